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
DECLARE_DECODER(ipsec_ah);   /* IPsec AH after IPv4, then its next header */
DECLARE_DECODER(ipsec_esp);  /* IPsec ESP: nothing above it is decoded */
DECLARE_DECODER(ipsec_esp_udp); /* UDP 4500: ESP, or IKE / NAT keepalive (no record) */
/* The AH header at cur (IPSecAH record), for IPv6's extension chain:
 * its next header in *next; DECODE_STOP on a fault (counted). */
int ipsec_ah_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		    uint8_t *next);
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
/* The 2 bytes after a tag that ends in Ethernet's type field (VN-Tag,
 * E-tag, PBB): an ethertype from 0x0600 (the table; an unknown one is an
 * unknown layer of `from`), else an 802.3 length (decode_ieee8023). */
int decode_type_or_length(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  uint16_t type_or_length, enum decode_protocol from);
DECLARE_DECODER(ctp);         /* Ethernet configuration testing (loopback) */
DECLARE_DECODER(lldp);
DECLARE_DECODER(null);        /* BSD loopback link, host-order family */
DECLARE_DECODER(loop);        /* OpenBSD loopback link, network order */
DECLARE_DECODER(sll);         /* Linux cooked capture v1 */
DECLARE_DECODER(sll2);        /* Linux cooked capture v2 */
DECLARE_DECODER(ppp);         /* PPP links (DLT 9, 50): optional ff 03, then a PPP frame */
/* A bare PPP frame from its protocol field (1 byte when compressed, RFC
 * 1661 6.5) on: IPv4, IPv6, MPLS follow, anything else (LCP, IPCP, CCP,
 * ...) is an unknown layer of PPP. For PPPoE and PPTP's enhanced GRE,
 * which carry PPP without address and control (decode_ppp also takes
 * frames with them). */
DECLARE_DECODER(ppp_protocol);
DECLARE_DECODER(chdlc);       /* Cisco HDLC link (DLT 104) */
DECLARE_DECODER(nflog);       /* Linux NFLOG link (DLT 239): TLVs, then the IP packet */
DECLARE_DECODER(pppoe_session);   /* PPPoE session stage, then PPP */
DECLARE_DECODER(pppoe_discovery); /* PPPoE discovery: header and tags, no record */
DECLARE_DECODER(mpls);        /* MPLS label stack (MPLS records), then its payload */
DECLARE_DECODER(vntag);       /* Cisco VN-Tag, then the inner ethertype */
DECLARE_DECODER(etag);        /* 802.1BR E-tag, then the inner ethertype */
DECLARE_DECODER(pbb);         /* 802.1ah I-tag and customer addresses, then the inner ethertype */
DECLARE_DECODER(icmpv4);
DECLARE_DECODER(icmpv6);      /* and its echo/neighbor discovery messages */
DECLARE_DECODER(igmp);
DECLARE_DECODER(sctp);
DECLARE_DECODER(gre);         /* GRE versions 0 and 1 (PPTP), then the inner layer */
DECLARE_DECODER(erspan);      /* ERSPAN type II or III header, then the mirrored frame */
DECLARE_DECODER(vxlan);       /* VXLAN (and GBP), then inner Ethernet */
DECLARE_DECODER(geneve);      /* Geneve with options, then Ethernet or IP */
DECLARE_DECODER(teredo);      /* Teredo indications, then IPv6 */
DECLARE_DECODER(gtp);         /* GTP-U, then a G-PDU's IPv4 or IPv6 */
DECLARE_DECODER(dot11);       /* IEEE 802.11 link, frames without FCS */
DECLARE_DECODER(radiotap);    /* radiotap header, then an 802.11 frame */
DECLARE_DECODER(dns);         /* DNS, mDNS, LLMNR messages over UDP */
DECLARE_DECODER(dns_tcp);     /* DNS over TCP: length-prefixed messages */
DECLARE_DECODER(dhcpv4);
DECLARE_DECODER(dhcpv6);
DECLARE_DECODER(ntp);
DECLARE_DECODER(sip);         /* over UDP or TCP */

#endif
