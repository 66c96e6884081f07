/* gtp.c: GTP-U, the GPRS tunnelling protocol's user plane, UDP port 2152
 * (3GPP TS 29.281). No record: the schema has no GTP type; a G-PDU's inner
 * IP packet gives its usual records.
 *
 * The 8-byte header (version 1, protocol type 1, the E, S and PN flags,
 * message type, length, TEID); when any of E, S, PN is set, 4 more bytes
 * (sequence number, N-PDU number, next extension header type); with E,
 * the extension headers, each a length in 4-byte units (its own length
 * and next-type bytes included), its content and the next type, walked
 * until a next type of 0, at most GTP_MAX_EXTENSIONS of them (CAPPED
 * beyond: the inner packet is not decoded). Length counts the bytes after
 * the first 8; the payload is cut to it. Message type 255 (G-PDU) carries
 * an IP packet, IPv4 or IPv6 by its version nibble (anything else is an
 * unknown layer of GTP); other messages (echo, error indication, end
 * marker) carry none. packet_enter_tunnel() makes the inner IP layer the
 * packet's innermost; each GTP layer counts against PACKET_MAX_DEPTH.
 *
 * Faults: a header or extension cut short (TRUNCATED); a version other
 * than 1 or protocol type 0 (GTP', BAD_VERSION); a Length shorter than the
 * optional fields, or an extension header of length 0 (BAD_LENGTH). A
 * Length beyond the data when the frame was not cut is counted without
 * stopping (BAD_LENGTH note). */
#include "decode/decoders.h"

#define GTP_VERSION 1
#define GTP_FLAG_PT 0x10
#define GTP_FLAGS_OPTIONAL 0x07   /* E, S, PN */
#define GTP_FLAG_E 0x04
#define GTP_OPTIONAL 4            /* sequence, N-PDU, next extension type */
#define GTP_MSG_GPDU 255
/* Extension headers followed: TS 29.281 defines a handful (PDCP number,
 * UDP port, RAN container, PDU session container...), each once. */
#define GTP_MAX_EXTENSIONS 16

/* Walks the extension headers from `next`; DECODE_OK with the cursor past
 * them, or the fault. */
static int walk_extensions(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			   uint8_t next)
{
	for (int n = 0; next != 0; n++) {
		if (n == GTP_MAX_EXTENSIONS) {
			decode_capped(ctx, pkt, PROTO_GTP, NULL);
			return DECODE_STOP;
		}
		uint8_t units = cur_u8(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_GTP, REASON_TRUNCATED);
		if (units == 0)
			return decode_fail(ctx, pkt, PROTO_GTP, REASON_BAD_LENGTH);
		cur_skip(cur, units * 4u - 2);
		next = cur_u8(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_GTP, REASON_TRUNCATED);
	}
	return DECODE_OK;
}

int decode_gtp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t flags = cur_u8(cur);
	uint8_t type = cur_u8(cur);
	uint16_t length = cur_be16(cur);
	cur_be32(cur);            /* TEID */
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_GTP, REASON_TRUNCATED);
	if (flags >> 5 != GTP_VERSION || !(flags & GTP_FLAG_PT))
		return decode_fail(ctx, pkt, PROTO_GTP, REASON_BAD_VERSION);
	if (length <= cur_left(cur))
		cur_limit(cur, length);
	else if (!pkt->ip_partial)
		decode_note(ctx, PROTO_GTP, REASON_BAD_LENGTH);
	if (flags & GTP_FLAGS_OPTIONAL) {
		if (length < GTP_OPTIONAL)
			return decode_fail(ctx, pkt, PROTO_GTP, REASON_BAD_LENGTH);
		cur_skip(cur, 3);
		uint8_t next = cur_u8(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_GTP, REASON_TRUNCATED);
		if ((flags & GTP_FLAG_E) && walk_extensions(ctx, pkt, cur, next) != DECODE_OK)
			return DECODE_STOP;
	}
	if (type != GTP_MSG_GPDU || cur_left(cur) == 0)
		return DECODE_OK;
	packet_enter_tunnel(pkt);
	switch (cur_peek_u8(cur, 0) >> 4) {
	case 4:
		return decode_next(ctx, pkt, decode_ipv4, cur, PROTO_GTP);
	case 6:
		return decode_next(ctx, pkt, decode_ipv6, cur, PROTO_GTP);
	default:
		return decode_unknown(ctx, pkt, PROTO_GTP);
	}
}
