/* erspan.c: ERSPAN headers (Cisco's Encapsulated Remote SPAN,
 * draft-foschiano-erspan-03), reached from GRE protocols 0x88be (type II,
 * when the GRE header has a sequence number; without one it is type I,
 * which has no header and which gre.c sends straight to Ethernet) and
 * 0x22eb (type III). No record: the schema has no ERSPAN type.
 *
 * As Wireshark, the header's version field tells the types apart: 1 is
 * type II, 8 bytes (version, VLAN, CoS, encapsulation, T, session id,
 * reserved, index); 2 is type III, 12 bytes (version, VLAN, CoS, BSO, T,
 * session id, timestamp, SGT, P, frame type, hardware id, D, granularity,
 * O), plus an 8-byte platform-specific subheader when O is set. The
 * mirrored frame follows: Ethernet, except a type III frame type other
 * than 0 (Ethernet), which is an unknown layer of ERSPAN. The T bit says
 * the mirrored frame was cut by the switch: its lengths may then run past
 * the data, which the inner decoders take as they take a snaplen cut.
 *
 * Faults: a header cut short (TRUNCATED), a version other than 1 and 2
 * (BAD_VERSION). */
#include "decode/decoders.h"

#define ERSPAN_VERSION_II 1
#define ERSPAN_VERSION_III 2
#define ERSPAN_II_REST 6          /* after the version/VLAN word */
#define ERSPAN_III_REST 10
#define ERSPAN_III_PLATFORM 8     /* the optional platform subheader */
#define ERSPAN_III_FLAG_O 0x0001
#define ERSPAN_III_FRAME_TYPE(w) (((w) >> 10) & 0x1f)
#define ERSPAN_FRAME_ETHERNET 0

int decode_erspan(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t version_vlan = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ERSPAN, REASON_TRUNCATED);
	uint8_t version = version_vlan >> 12;
	uint16_t frame_type = ERSPAN_FRAME_ETHERNET;
	switch (version) {
	case ERSPAN_VERSION_II:
		cur_skip(cur, ERSPAN_II_REST);
		break;
	case ERSPAN_VERSION_III: {
		cur_skip(cur, ERSPAN_III_REST - 2);
		uint16_t flags = cur_be16(cur);
		frame_type = ERSPAN_III_FRAME_TYPE(flags);
		if (flags & ERSPAN_III_FLAG_O)
			cur_skip(cur, ERSPAN_III_PLATFORM);
		break;
	}
	default:
		return decode_fail(ctx, pkt, PROTO_ERSPAN, REASON_BAD_VERSION);
	}
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ERSPAN, REASON_TRUNCATED);
	if (frame_type != ERSPAN_FRAME_ETHERNET)
		return decode_unknown(ctx, pkt, PROTO_ERSPAN);
	if (cur_left(cur) == 0)
		return DECODE_OK;
	return decode_next(ctx, pkt, decode_ethernet, cur, PROTO_ERSPAN);
}
