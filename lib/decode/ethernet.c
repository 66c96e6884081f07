/* ethernet.c: Ethernet II and IEEE 802.3 frames (Ethernet record).
 *
 * As in gopacket, which netcap's records come from: a type field below
 * 0x0600 is an 802.3 length, the EthernetType becomes 0 (LLC), the payload
 * is cut to that length and an 802.2 LLC header follows (llc.c); otherwise
 * the payload is everything after the 14-byte header, trailer padding
 * included, and the type picks the next decoder.
 *
 * Cisco's ISL frames are 802.3 frames to 01-00-0C-00-00-xx or
 * 0C-00-0C-00-00-xx whose payload is the rest of the ISL header and the
 * tagged frame; the header's first bytes (AA AA 03 00 00 0C) only look like
 * LLC and SNAP. As tshark does, they are told apart by that destination;
 * there is no ISL decoder: an unknown layer. (gopacket decodes them as LLC
 * and SNAP.) */
#include "decode/decoders.h"
#include "decode/ethertype.h"

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
	if (!ieee8023)
		return decode_ethertype(ctx, pkt, type, cur);
	bool isl = (dst[0] == 0x01 || dst[0] == 0x0c) && dst[1] == 0x00 && dst[2] == 0x0c &&
		   dst[3] == 0x00 && dst[4] == 0x00;
	if (isl)
		return decode_unknown(ctx, pkt, PROTO_ETHERNET);
	return decode_ieee8023(ctx, pkt, cur, type, PROTO_ETHERNET);
}
