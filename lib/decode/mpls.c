/* mpls.c: MPLS label stacks, RFC 3032 (MPLS records), reached by ethertype
 * 0x8847 (unicast) and 0x8848 (multicast, RFC 5332), PPP protocols 0x0281
 * and 0x0283, Cisco HDLC, IP protocol 137 (MPLS in IP, RFC 4023) and UDP
 * port 6635 (MPLS in UDP, RFC 7510).
 *
 * A label stack entry is 32 bits: label (20), traffic class (3, the former
 * EXP bits, RFC 5462), bottom of stack (1), TTL (8). Each entry is one
 * MPLS record, outermost first, with Label, TrafficClass, StackBottom and
 * TTL as on the wire, as gopacket's MPLS layer (one layer per entry). At
 * most MPLS_MAX_STACK entries are read: a stack whose bottom is not among
 * them is cut there (CAPPED, the last record marked Truncated) and its
 * payload is not decoded, as it cannot be located.
 *
 * MPLS does not say what its payload is; as Wireshark's default does, the
 * first nibble after the bottom entry tells: 4 is IPv4, 6 is IPv6, 0 a
 * pseudowire control word (RFC 4385: 4 bytes, then an Ethernet frame,
 * RFC 4448); anything else (1: an associated channel, RFC 5586, ...) is an
 * unknown layer of MPLS. No payload at all ends the packet there.
 *
 * Faults: the data ends before the bottom entry (TRUNCATED, the records
 * of the entries read are kept); a control word cut short (TRUNCATED). */
#include "decode/decoders.h"

#define MPLS_MAX_STACK 16
#define MPLS_CONTROL_WORD 4

static int mpls_payload(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (cur_left(cur) == 0)
		return DECODE_OK;
	/* Behind UDP or IP (RFC 7510, 4023) MPLS is a tunnel: the outer
	 * ports no longer describe the packet. */
	packet_enter_tunnel(pkt);
	switch (cur_peek_u8(cur, 0) >> 4) {
	case 4:
		return decode_next(ctx, pkt, decode_ipv4, cur, PROTO_MPLS);
	case 6:
		return decode_next(ctx, pkt, decode_ipv6, cur, PROTO_MPLS);
	case 0:
		if (!cur_skip(cur, MPLS_CONTROL_WORD))
			return decode_fail(ctx, pkt, PROTO_MPLS, REASON_TRUNCATED);
		return decode_next(ctx, pkt, decode_ethernet, cur, PROTO_MPLS);
	default:
		return decode_unknown(ctx, pkt, PROTO_MPLS);
	}
}

int decode_mpls(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	Types__MPLS *last = NULL;
	for (int n = 0; n < MPLS_MAX_STACK; n++) {
		uint32_t entry = cur_be32(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_MPLS, REASON_TRUNCATED);
		bool bottom = (entry >> 8) & 1;
		Types__MPLS *r = RECORD_NEW(ctx, pkt, MPLS, mpls);
		if (r) {
			r->timestamp = pkt->ts;
			r->label = (int32_t)(entry >> 12);
			r->trafficclass = (int32_t)((entry >> 9) & 7);
			r->stackbottom = bottom;
			r->ttl = (int32_t)(entry & 0xff);
			last = r;
		}
		if (bottom)
			return mpls_payload(ctx, pkt, cur);
	}
	decode_capped(ctx, pkt, PROTO_MPLS, last);
	return DECODE_OK;
}
