/* ppp.c: the Point-to-Point Protocol (RFC 1661) as a link type and as the
 * payload of PPPoE (pppoe.c) and PPTP's enhanced GRE (gre.c).
 *
 * Link types LINKTYPE_PPP (DLT 9) and LINKTYPE_PPP_HDLC (DLT_PPP_SERIAL
 * 50) are decoded alike, as Wireshark's ppp_hdlc dissector does for both:
 *   - a first byte 0x0f or 0x8f is Cisco HDLC's unicast or broadcast
 *     address, not PPP: the frame goes to chdlc.c (tcpdump's
 *     ppp_hdlc_if_print does the same for DLT 50);
 *   - a first byte 0xff is the HDLC-like address (RFC 1662 3.1): it and
 *     the control byte after it (0x03) are skipped; without them the
 *     frame starts at the protocol field (address-and-control-field
 *     compression, RFC 1661 6.6). The control value is not checked, as
 *     Wireshark does not (tcpdump's DLT 9 printer wants ff 03).
 *   - the protocol field is two bytes, or one when compressed (RFC 1661
 *     6.5): protocol numbers are odd in their low byte and even in their
 *     high byte, so a first byte with its low bit set is a whole,
 *     compressed protocol (tcpdump's ppp_print and Wireshark alike).
 * decode_ppp_protocol() starts at the protocol field (PPPoE and GRE).
 *
 * Next layer: 0x0021 IPv4, 0x0057 IPv6, 0x0281 and 0x0283 MPLS (RFC
 * 3032 5); every other protocol (LCP, IPCP, IPV6CP, PAP, CHAP, CCP,
 * compressed TCP/IP, multilink, ...) is an unknown layer of PPP.
 *
 * Record: none (netcap's schema has no PPP type): decoding goes on with
 * the payload, as for the other link types without a record. No FCS is
 * expected: libpcap's PPP link types carry none.
 *
 * Faults: a frame that ends before its protocol field (TRUNCATED). */
#include "decode/decoders.h"

/* PPP DLL protocol numbers (IANA "PPP DLL Protocol Numbers"). */
#define PPP_PROTO_IPV4 0x0021
#define PPP_PROTO_IPV6 0x0057
#define PPP_PROTO_MPLS 0x0281
#define PPP_PROTO_MPLS_MULTI 0x0283
/* HDLC-like framing, RFC 1662 3.1. */
#define PPP_ADDRESS 0xff
/* Cisco HDLC addresses (chdlc.c). */
#define CHDLC_UNICAST 0x0f
#define CHDLC_BROADCAST 0x8f

int decode_ppp_protocol(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t protocol = cur_u8(cur);
	if (!(protocol & 1))
		protocol = (uint16_t)(protocol << 8 | cur_u8(cur));
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_PPP, REASON_TRUNCATED);
	switch (protocol) {
	case PPP_PROTO_IPV4:
		return decode_next(ctx, pkt, decode_ipv4, cur, PROTO_PPP);
	case PPP_PROTO_IPV6:
		return decode_next(ctx, pkt, decode_ipv6, cur, PROTO_PPP);
	case PPP_PROTO_MPLS:
	case PPP_PROTO_MPLS_MULTI:
		return decode_next(ctx, pkt, decode_mpls, cur, PROTO_PPP);
	default:
		return decode_unknown(ctx, pkt, PROTO_PPP);
	}
}

int decode_ppp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	switch (cur_peek_u8(cur, 0)) {
	case CHDLC_UNICAST:
	case CHDLC_BROADCAST:
		return decode_chdlc(ctx, pkt, cur);
	case PPP_ADDRESS:
		cur_skip(cur, 2);             /* address, control */
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_PPP, REASON_TRUNCATED);
		break;
	}
	return decode_ppp_protocol(ctx, pkt, cur);
}
