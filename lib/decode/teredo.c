/* teredo.c: Teredo, IPv6 over UDP port 3544 (RFC 4380). No record: the
 * schema has no Teredo type; the IPv6 packet inside gives its usual
 * records.
 *
 * Before the IPv6 header may come an authentication header (indicator
 * 0x0001: client id length, authentication value length, the id, the
 * value, an 8-byte nonce, a confirmation byte) and then an origin
 * indication (indicator 0x0000: the obfuscated port and address, 8 bytes),
 * each at most once, in that order (RFC 4380 5.1.1). The IPv6 packet
 * follows; a bubble is an IPv6 header with next header 59 and no payload,
 * decoded as such (an IPv6 record, no transport). Each Teredo layer counts
 * against PACKET_MAX_DEPTH; packet_enter_tunnel() makes the IPv6 layer the
 * packet's innermost.
 *
 * Faults: an indication cut short (TRUNCATED). A payload that is neither
 * an indication nor IPv6 (version nibble other than 6: other traffic on
 * port 3544) is an unknown layer of Teredo, not a fault. */
#include "decode/decoders.h"

#define TEREDO_ORIGIN 0x0000
#define TEREDO_AUTH 0x0001
#define TEREDO_AUTH_TRAILER 9    /* nonce and confirmation byte */
#define TEREDO_ORIGIN_BODY 6     /* port and address after the indicator */

int decode_teredo(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (cur_left(cur) >= 2 && cur_peek_be16(cur, 0) == TEREDO_AUTH) {
		cur_skip(cur, 2);
		uint8_t id_length = cur_u8(cur);
		uint8_t auth_length = cur_u8(cur);
		cur_skip(cur, (uint32_t)id_length + auth_length + TEREDO_AUTH_TRAILER);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_TEREDO, REASON_TRUNCATED);
	}
	if (cur_left(cur) >= 2 && cur_peek_be16(cur, 0) == TEREDO_ORIGIN) {
		cur_skip(cur, 2 + TEREDO_ORIGIN_BODY);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_TEREDO, REASON_TRUNCATED);
	}
	if (cur_left(cur) == 0 || cur_peek_u8(cur, 0) >> 4 != 6)
		return decode_unknown(ctx, pkt, PROTO_TEREDO);
	packet_enter_tunnel(pkt);
	return decode_next(ctx, pkt, decode_ipv6, cur, PROTO_TEREDO);
}
