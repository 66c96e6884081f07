/* ethernet.c: Ethernet II and IEEE 802.3 frames (Ethernet record).
 *
 * As in gopacket, which netcap's records come from: a type field below
 * 0x0600 is an 802.3 length, the EthernetType becomes 0 (LLC) and the
 * payload is cut to that length; otherwise the payload is everything after
 * the 14-byte header, trailer padding included. */
#include "decode/decoders.h"

#define ETHERNET_HEADER 14
#define ETHERTYPE_MIN 0x0600

int decode_ethernet(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	const uint8_t *dst = cur_bytes(cur, 6);
	const uint8_t *src = cur_bytes(cur, 6);
	uint16_t type = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ETHERNET, REASON_TRUNCATED);

	memcpy(pkt->dst_mac, dst, 6);
	memcpy(pkt->src_mac, src, 6);
	pkt->has_mac = true;

	bool ieee8023 = type < ETHERTYPE_MIN;
	if (ieee8023)
		cur_limit(cur, type);

	Types__Ethernet *r = RECORD_NEW(ctx, pkt, Ethernet, ethernet);
	if (r) {
		r->timestamp = pkt->ts;
		r->srcmac = format_mac(&ctx->arena, src);
		r->dstmac = format_mac(&ctx->arena, dst);
		r->ethernettype = ieee8023 ? 0 : type;
		r->payloadsize = (int32_t)cur_left(cur);
		entropy_request(ctx, pkt, &r->payloadentropy, cur_here(cur), cur_left(cur));
	}
	if (ieee8023)
		return decode_ethertype(ctx, pkt, 0, cur); /* LLC: a later decoder */
	return decode_ethertype(ctx, pkt, type, cur);
}
