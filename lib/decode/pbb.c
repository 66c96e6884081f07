/* pbb.c: IEEE 802.1ah provider backbone bridging (MAC-in-MAC): the
 * backbone service instance tag, I-tag (ethertype 0x88e7), and the
 * customer frame's header after it.
 *
 * After the ethertype: the I-tag (4: I-PCP, I-DEI, UCA, reserved bits,
 * I-SID of 24 bits), then the customer destination and source addresses
 * (6 each) and the customer ethertype (2), which picks the next decoder;
 * one below 0x0600 is an 802.3 length, handled as Ethernet does. The
 * customer addresses become the packet's (pkt->src_mac, dst_mac: the
 * innermost frame's, as the innermost VLAN is pkt->vlan_id); the
 * backbone ones stay in the Ethernet record.
 *
 * Record: none (netcap's schema has no PBB type, and the customer header
 * is no Ethernet record: tshark shows it inside ieee8021ah too); the tag
 * is one layer of depth. Faults: fewer than 18 bytes (TRUNCATED). */
#include "decode/decoders.h"

int decode_pbb(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	cur_skip(cur, 4);                 /* I-tag */
	const uint8_t *dst = cur_bytes(cur, 6);
	const uint8_t *src = cur_bytes(cur, 6);
	uint16_t type = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_PBB, REASON_TRUNCATED);
	memcpy(pkt->dst_mac, dst, 6);
	memcpy(pkt->src_mac, src, 6);
	pkt->has_mac = true;
	return decode_type_or_length(ctx, pkt, cur, type, PROTO_PBB);
}
