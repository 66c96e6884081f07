/* vntag.c: Cisco's VN-Tag (ethertype 0x8926), the interface virtualisation
 * tag of Cisco's fabric extenders (the pre-standard form of 802.1BR,
 * etag.c); Wireshark's packet-vntag.c is the reference.
 *
 * After the ethertype: 4 bytes of tag (direction, pointer, destination
 * VIF, looped, version, source VIF), then the next ethertype (2). The
 * tag is walked through, as 802.1Q tags are, to the ethertype, which
 * picks the next decoder; one below 0x0600 is an 802.3 length, handled as
 * Ethernet does (the payload cut to it, LLC after it).
 *
 * Record: none (netcap's schema has no VN-Tag type); the tag is one layer
 * of depth. Faults: fewer than 6 bytes (TRUNCATED). */
#include "decode/decoders.h"

int decode_vntag(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	cur_skip(cur, 4);                 /* the tag */
	uint16_t type = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_VNTAG, REASON_TRUNCATED);
	return decode_type_or_length(ctx, pkt, cur, type, PROTO_VNTAG);
}
