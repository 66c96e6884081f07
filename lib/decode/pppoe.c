/* pppoe.c: PPP over Ethernet, RFC 2516: the session stage (ethertype
 * 0x8864), which carries PPP, and the discovery stage (0x8863).
 *
 * Header (6 bytes): version (4 bits, 1) and type (4 bits, 1), code (1),
 * session id (2), length (2: the payload bytes after the header).
 *
 * Session: the payload is cut to the length (Ethernet padding follows a
 * short one) and is a PPP frame from its protocol field on (ppp.c:
 * IPv4, IPv6, MPLS; LCP, IPCP, ... are unknown layers of PPP). A length
 * beyond the data of a frame not cut by the snaplen is counted
 * (BAD_LENGTH, as a note: tshark too flags it and goes on) and the data
 * there is decoded.
 *
 * Discovery (PADI, PADO, PADR, PADS, PADT): the payload is a list of tags,
 * type (2) and length (2) then the value, which is walked to its
 * End-Of-List tag (type 0) or its end, at most PPPOE_MAX_TAGS tags
 * (CAPPED beyond). Nothing follows it.
 *
 * Record: none for either stage (netcap's schema has no PPPoE type).
 *
 * Faults: a header of fewer than 6 bytes (TRUNCATED); a version or type
 * other than 1 (BAD_VERSION); a discovery tag past the payload (TRUNCATED
 * when the frame was cut by the snaplen, else BAD_LENGTH). */
#include "decode/decoders.h"

#define PPPOE_VERTYPE 0x11
#define PPPOE_TAG_END 0x0000
#define PPPOE_MAX_TAGS 64

/* The header; the cursor is left on the payload, cut to its length. */
static int pppoe_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t vertype = cur_u8(cur);
	cur_skip(cur, 1 + 2);             /* code, session id */
	uint16_t length = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_PPPOE, REASON_TRUNCATED);
	if (vertype != PPPOE_VERTYPE)
		return decode_fail(ctx, pkt, PROTO_PPPOE, REASON_BAD_VERSION);
	if (length > cur_left(cur) && pkt->cap_len == pkt->wire_len)
		decode_note(ctx, PROTO_PPPOE, REASON_BAD_LENGTH);
	cur_limit(cur, length);
	return DECODE_OK;
}

int decode_pppoe_session(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (pppoe_header(ctx, pkt, cur) != DECODE_OK)
		return DECODE_STOP;
	return decode_next(ctx, pkt, decode_ppp_protocol, cur, PROTO_PPPOE);
}

int decode_pppoe_discovery(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (pppoe_header(ctx, pkt, cur) != DECODE_OK)
		return DECODE_STOP;
	bool cut = pkt->cap_len < pkt->wire_len;
	for (uint32_t n = 0; cur_left(cur) > 0; n++) {
		if (n == PPPOE_MAX_TAGS) {
			decode_capped(ctx, pkt, PROTO_PPPOE, NULL);
			return DECODE_OK;
		}
		uint16_t type = cur_be16(cur);
		uint16_t length = cur_be16(cur);
		cur_skip(cur, length);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_PPPOE,
					   cut ? REASON_TRUNCATED : REASON_BAD_LENGTH);
		if (type == PPPOE_TAG_END)
			break;
	}
	return DECODE_OK;
}
