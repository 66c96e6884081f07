/* raw_ip.c: the raw IP link types (LINKTYPE_RAW, DLT_RAW), where a frame is
 * an IPv4 or IPv6 packet with nothing before it: the version nibble of the
 * first byte tells which. Anything else is BAD_VERSION of the link, as
 * Suricata's DecodeRaw counts it. The link is no layer of its own: no record,
 * and the IP decoder is called directly. */
#include "decode/decoders.h"

int decode_raw_ip(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (cur_left(cur) == 0)
		return decode_fail(ctx, pkt, PROTO_LINK, REASON_TRUNCATED);
	switch (cur_peek_u8(cur, 0) >> 4) {
	case 4:
		return decode_ipv4(ctx, pkt, cur);
	case 6:
		return decode_ipv6(ctx, pkt, cur);
	default:
		return decode_fail(ctx, pkt, PROTO_LINK, REASON_BAD_VERSION);
	}
}
