/* vxlan.c: VXLAN, Ethernet frames in UDP port 4789 (VXLAN record), RFC
 * 7348, with the Group Based Policy extension (draft-smith-vxlan-group-
 * policy) as gopacket reads it.
 *
 * The 8-byte header: ValidIDFlag is the I flag (0x08 of the first byte),
 * VNI the 24 bits after the first word; GBPExtension the G flag (0x80 of
 * the first byte), GBPDontLearn the D bit (0x40) and GBPApplied the A bit
 * (0x08) of the second byte, GBPGroupPolicyID the 16 bits that follow.
 * Without the G flag these bits are reserved and recorded as they stand.
 * A header without the I flag is still decoded, as gopacket and tshark do.
 * The inner Ethernet frame follows and gives its usual records
 * (packet_enter_tunnel(): the innermost IP layer is what records and flows
 * see); an empty payload is no frame. Each VXLAN layer costs four layers of
 * PACKET_MAX_DEPTH (IP, UDP, VXLAN, Ethernet), so nesting ends as a
 * too-deep fault. Only port 4789 is VXLAN (no --vxlan-port option).
 *
 * Faults: fewer than 8 bytes (TRUNCATED). */
#include "decode/decoders.h"

#define VXLAN_FLAG_GBP 0x80
#define VXLAN_FLAG_VNI 0x08
#define VXLAN_GBP_DONT_LEARN 0x40
#define VXLAN_GBP_APPLIED 0x08

int decode_vxlan(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t flags = cur_u8(cur);
	uint8_t gbp_flags = cur_u8(cur);
	uint16_t group_policy = cur_be16(cur);
	uint32_t vni = cur_be24(cur);
	cur_u8(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_VXLAN, REASON_TRUNCATED);

	Types__VXLAN *r = RECORD_NEW(ctx, pkt, VXLAN, vxlan);
	if (r) {
		r->timestamp = pkt->ts;
		r->valididflag = (flags & VXLAN_FLAG_VNI) != 0;
		r->vni = vni;
		r->gbpextension = (flags & VXLAN_FLAG_GBP) != 0;
		r->gbpdontlearn = (gbp_flags & VXLAN_GBP_DONT_LEARN) != 0;
		r->gbpapplied = (gbp_flags & VXLAN_GBP_APPLIED) != 0;
		r->gbpgrouppolicyid = group_policy;
	}
	if (cur_left(cur) == 0)
		return DECODE_OK;
	packet_enter_tunnel(pkt);
	packet_fold_tunnel(pkt, (uint64_t)PROTO_VXLAN << 32 | vni);
	return decode_next(ctx, pkt, decode_ethernet, cur, PROTO_VXLAN);
}
