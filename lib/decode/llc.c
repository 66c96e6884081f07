/* llc.c: IEEE 802.2 Logical Link Control (LLC record) and the Subnetwork
 * Access Protocol that follows it for SAP 0xAA (SNAP record), IEEE 802-2001.
 * LLC is reached from IEEE 802.3 frames (Ethernet or a VLAN tag with a
 * length instead of a type) and from Linux cooked captures of 802.2 frames.
 *
 * LLC fields follow gopacket's LLC: DSAP and SSAP are the address bytes
 * without their low bit (so 0xAA, 0x42, 0xFE as on the wire for the usual
 * individual/command values), IG that low bit of the DSAP (group address),
 * CR that of the SSAP (response). Control is one byte for an unnumbered
 * frame (low bits 11) and two bytes, first byte high, for an information
 * (low bit 0) or supervisory frame (low bits 01).
 *
 * SNAP fields follow gopacket's SNAP: OrganizationalCode the 3 OUI bytes,
 * Type the 16-bit protocol id. For OUI 00-00-00 (RFC 1042), 00-00-F8
 * (802.1H bridge tunnel) and 08-00-07 (AppleTalk) the id is an ethertype and
 * decoding goes on by it, as tshark does; under any other OUI (Cisco's
 * 00-00-0C: CDP, VTP, PVST+, ...) it is that organisation's own number,
 * which has no decoder here: an unknown layer. (gopacket takes every id as
 * an ethertype.)
 *
 * The control field of information and supervisory frames is read first
 * byte high, as gopacket does; tshark reads it little endian, so its
 * llc.control shows the two bytes swapped.
 *
 * Faults: fewer header bytes than the control field's form needs (3 or 4
 * bytes), a SNAP header of fewer than 5 bytes: TRUNCATED. A SAP other than
 * SNAP (STP 0x42, IS-IS 0xFE, NetBIOS 0xF0, IPX 0xE0, ...) has no decoder:
 * an unknown layer when payload follows. */
#include "decode/decoders.h"
#include "decode/ethertype.h"

#define SAP_SNAP 0xaa
/* The OUIs under which a SNAP protocol id is an ethertype (tcpdump's
 * oui.h names them alike). */
#define OUI_ENCAP_ETHER 0x000000  /* RFC 1042 */
#define OUI_CISCO_90 0x0000f8     /* 802.1H bridge tunnel */
#define OUI_APPLETALK 0x080007
#define SAP_ADDRESS_MASK 0xfe
#define RAW_IPX_CHECKSUM 0xffff

/* As tshark does, and gopacket does not: a length of 0 announces no LLC
 * header (tshark takes 0x0000 as an unknown ethertype), and in Novell's
 * raw 802.3 frames IPX follows the length directly, its checksum 0xFFFF
 * where DSAP and SSAP would be. Neither has a decoder. */
int decode_ieee8023(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		    uint16_t length, enum decode_protocol from)
{
	if (length == 0 || cur_peek_be16(cur, 0) == RAW_IPX_CHECKSUM)
		return decode_unknown(ctx, pkt, from);
	return decode_llc(ctx, pkt, cur);
}

int decode_type_or_length(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  uint16_t type_or_length, enum decode_protocol from)
{
	if (type_or_length >= ETHERTYPE_MIN)
		return decode_ethertype_from(ctx, pkt, type_or_length, cur, from);
	cur_limit(cur, type_or_length);
	return decode_ieee8023(ctx, pkt, cur, type_or_length, from);
}

int decode_llc(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t dsap = cur_u8(cur);
	uint8_t ssap = cur_u8(cur);
	uint16_t control = cur_u8(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_LLC, REASON_TRUNCATED);
	/* Information (low bit 0) and supervisory (low bits 01) frames carry
	 * a second control byte with the receive sequence number. */
	if ((control & 0x1) == 0 || (control & 0x3) == 0x1) {
		control = (uint16_t)(control << 8 | cur_u8(cur));
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_LLC, REASON_TRUNCATED);
	}

	Types__LLC *r = RECORD_NEW(ctx, pkt, LLC, llc);
	if (r) {
		r->timestamp = pkt->ts;
		r->dsap = dsap & SAP_ADDRESS_MASK;
		r->ig = dsap & 0x1;
		r->ssap = ssap & SAP_ADDRESS_MASK;
		r->cr = ssap & 0x1;
		r->control = control;
	}

	if ((dsap & SAP_ADDRESS_MASK) == SAP_SNAP && (ssap & SAP_ADDRESS_MASK) == SAP_SNAP)
		return decode_snap(ctx, pkt, cur);
	if (cur_left(cur) == 0)
		return DECODE_OK;
	return decode_unknown(ctx, pkt, PROTO_LLC);
}

int decode_snap(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	const uint8_t *oui = cur_bytes(cur, 3);
	uint16_t type = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_SNAP, REASON_TRUNCATED);

	Types__SNAP *r = RECORD_NEW(ctx, pkt, SNAP, snap);
	if (r) {
		r->timestamp = pkt->ts;
		r->organizationalcode = pb_bytes(oui, 3);
		r->type = type;
	}

	uint32_t org = (uint32_t)oui[0] << 16 | (uint32_t)oui[1] << 8 | oui[2];
	if (org == OUI_ENCAP_ETHER || org == OUI_CISCO_90 || org == OUI_APPLETALK)
		return decode_ethertype(ctx, pkt, type, cur);
	return decode_unknown(ctx, pkt, PROTO_SNAP);
}
