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
DECLARE_DECODER(dns);         /* DNS, mDNS, LLMNR messages over UDP */
DECLARE_DECODER(dns_tcp);     /* DNS over TCP: length-prefixed messages */
DECLARE_DECODER(dhcpv4);
DECLARE_DECODER(dhcpv6);
DECLARE_DECODER(ntp);
DECLARE_DECODER(sip);         /* over UDP or TCP */

#endif
