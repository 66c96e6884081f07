/* etag.c: the IEEE 802.1BR E-tag (ethertype 0x893f) of bridge port
 * extension.
 *
 * After the ethertype: 6 bytes of tag (E-PCP, E-DEI, ingress E-CID base,
 * GRP, E-CID base, ingress E-CID and E-CID extensions; 802.1BR-2012
 * 7.7), then the next ethertype (2). The tag is walked through, as 802.1Q
 * tags are, to the ethertype, which picks the next decoder; one below
 * 0x0600 is an 802.3 length, handled as Ethernet does.
 *
 * Record: none (netcap's schema has no E-tag type); the tag is one layer
 * of depth. Faults: fewer than 8 bytes (TRUNCATED). */
#include "decode/decoders.h"

int decode_etag(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	cur_skip(cur, 6);                 /* the tag */
	uint16_t type = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ETAG, REASON_TRUNCATED);
	return decode_type_or_length(ctx, pkt, cur, type, PROTO_ETAG);
}
