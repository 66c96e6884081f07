/* dot1q.c: IEEE 802.1Q VLAN tags (Dot1Q record), also reached through the
 * 802.1ad (0x88a8) and pre-standard QinQ (0x9100) ethertypes.
 *
 * As gopacket's Dot1Q: Priority is the top 3 bits of the tag control word,
 * DropEligible the next bit, VLANIdentifier the low 12 bits and Type the
 * following 16-bit field as it stands. Stacked tags are one layer each, so
 * QinQ gives one record per tag and pkt->vlan_id ends as the innermost VLAN.
 * A Type below 0x0600 is an 802.3 length, handled as Ethernet does (the
 * payload is cut to it and LLC follows), which gopacket does not do (tshark
 * does). */
#include "decode/decoders.h"
#include "decode/ethertype.h"

int decode_dot1q(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t tag_control = cur_be16(cur);
	uint16_t type = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_DOT1Q, REASON_TRUNCATED);

	uint16_t vlan = tag_control & 0x0fff;
	pkt->vlan_id = vlan;

	Types__Dot1Q *r = RECORD_NEW(ctx, pkt, Dot1Q, dot1_q);
	if (r) {
		r->timestamp = pkt->ts;
		r->priority = tag_control >> 13;
		r->dropeligible = (tag_control >> 12) & 1;
		r->vlanidentifier = vlan;
		r->type = type;
	}

	if (type < ETHERTYPE_MIN) {
		cur_limit(cur, type);
		return decode_ieee8023(ctx, pkt, cur, type, PROTO_DOT1Q);
	}
	return decode_ethertype(ctx, pkt, type, cur);
}
