/* decoders.h: every protocol decoder, one per file of lib/decode/.
 * decode.c wires them into the dispatch tables. */
#ifndef DECODE_DECODERS_H
#define DECODE_DECODERS_H

#include "decode/decode.h"

#define DECLARE_DECODER(name) \
	int decode_##name(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)

DECLARE_DECODER(ethernet);
DECLARE_DECODER(dot1q);
DECLARE_DECODER(ipv4);
DECLARE_DECODER(ipv6);
DECLARE_DECODER(tcp);
DECLARE_DECODER(udp);
DECLARE_DECODER(raw_ip);      /* raw IP link: version nibble picks v4/v6 */
DECLARE_DECODER(arp);
DECLARE_DECODER(llc);         /* 802.2 LLC; SNAP follows for SAP 0xAA */
DECLARE_DECODER(snap);
/* The payload of an IEEE 802.3 length field (Ethernet, Dot1Q), cut to it:
 * LLC, or no decoder (length 0, Novell raw IPX); `from` names the layer
 * for an unknown one. */
int decode_ieee8023(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		    uint16_t length, enum decode_protocol from);
DECLARE_DECODER(ctp);         /* Ethernet configuration testing (loopback) */
DECLARE_DECODER(lldp);
DECLARE_DECODER(null);        /* BSD loopback link, host-order family */
DECLARE_DECODER(loop);        /* OpenBSD loopback link, network order */
DECLARE_DECODER(sll);         /* Linux cooked capture v1 */
DECLARE_DECODER(sll2);        /* Linux cooked capture v2 */
DECLARE_DECODER(icmpv4);
DECLARE_DECODER(icmpv6);      /* and its echo/neighbor discovery messages */
DECLARE_DECODER(igmp);
DECLARE_DECODER(sctp);
DECLARE_DECODER(dot11);       /* IEEE 802.11 link, frames without FCS */
DECLARE_DECODER(radiotap);    /* radiotap header, then an 802.11 frame */
DECLARE_DECODER(dns);         /* DNS, mDNS, LLMNR messages over UDP */
DECLARE_DECODER(dns_tcp);     /* DNS over TCP: length-prefixed messages */
DECLARE_DECODER(dhcpv4);
DECLARE_DECODER(dhcpv6);
DECLARE_DECODER(ntp);
DECLARE_DECODER(sip);         /* over UDP or TCP */

#endif
