/* ipv6_ext.c: the IPv6 routing header (RFC 8200 4.4) and fragment header
 * (RFC 8200 4.5, IPv6Fragment record), for the extension chain that
 * ipv6.c walks.
 *
 * Routing: no record (netcap's schema has no routing message); the header
 * is checked against its routing type's layout so that a lying one is
 * counted: type 0 (RFC 5095 deprecates it; whole 16-byte addresses),
 * type 2 (RFC 6275 6.4: exactly one address, Segments Left 1), type 3
 * (RPL, RFC 6554: addresses of 16 - CmprI bytes, the last of 16 - CmprE,
 * then Pad bytes, filling the header exactly), type 4 (segment routing
 * header, RFC 8754: Last Entry + 1 segments of 16 bytes, then TLVs of the
 * hop-by-hop option format). Segments Left beyond the addresses is
 * bad-value, a layout the length cannot hold bad-header-length, a TLV
 * past the header bad-option, another routing type unknown-protocol; all
 * IPv6Extension events that do not stop decoding (the next header is
 * found by the generic length whatever the type, and tshark and tcpdump
 * go on too). The check is a few compares and one TLV walk bounded by the
 * header's 2,048 bytes; segments are neither listed nor walked, so there
 * is nothing to cap.
 *
 * Fragment: the IPv6Fragment record as gopacket's IPv6Fragment: NextHeader,
 * Reserved1 (the second byte), FragmentOffset (in 8-byte units),
 * Reserved2 (the two bits before M), MoreFragments, Identification, and
 * the packet's SrcIP/DstIP. SrcPort and DstPort stay 0: netcap fills
 * neither (gopacket decodes nothing after a fragment header). A non-first
 * fragment (offset > 0) sets pkt->fragment and ends the packet: its
 * payload is the middle of a datagram. A first fragment (offset 0, M set)
 * sets pkt->ip_partial and decoding goes on into the transport header, as
 * for IPv4; an atomic fragment (offset 0, M clear, RFC 6946) is a whole
 * datagram and decodes as if there were no fragment header. */
#include "decode/ipv6_ext.h"
#include "decode/ipproto.h"

#define ROUTING_FIXED_BYTES 8      /* next, length, type, segments left, 4 type-specific */
#define ROUTING_TYPE_SOURCE 0      /* RFC 5095 (deprecated) */
#define ROUTING_TYPE_MOBILE 2      /* RFC 6275 */
#define ROUTING_TYPE_RPL 3         /* RFC 6554 */
#define ROUTING_TYPE_SRH 4         /* RFC 8754 */
#define IPV6_ADDRESS_BYTES 16

/* Type 0: reserved word, then whole addresses. */
static void routing_source(struct decoder_ctx *ctx, uint8_t units, uint8_t segments_left)
{
	if (units % 2)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
	else if (segments_left > units / 2)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_VALUE);
}

/* Type 2: one home address. */
static void routing_mobile(struct decoder_ctx *ctx, uint8_t units, uint8_t segments_left)
{
	if (units != IPV6_ADDRESS_BYTES / 8)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
	else if (segments_left != 1)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_VALUE);
}

/* Type 3: n - 1 addresses of 16 - CmprI bytes, one of 16 - CmprE, Pad
 * bytes: n = (area - Pad - (16 - CmprE)) / (16 - CmprI) + 1, exactly. */
static void routing_rpl(struct decoder_ctx *ctx, struct cursor *data, uint32_t area,
			uint8_t segments_left)
{
	uint8_t compression = cur_u8(data);
	uint8_t pad = cur_u8(data) >> 4;
	uint32_t each = IPV6_ADDRESS_BYTES - (compression >> 4);   /* 1..16 */
	uint32_t last = IPV6_ADDRESS_BYTES - (compression & 0xf);
	if (pad + last > area || (area - pad - last) % each) {
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
		return;
	}
	if (segments_left > (area - pad - last) / each + 1)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_VALUE);
}

/* Type 4: Last Entry, Flags, Tag, the segment list, then TLVs. */
static void routing_srh(struct decoder_ctx *ctx, struct cursor *data, uint32_t area,
			uint8_t segments_left)
{
	uint32_t segments = cur_u8(data) + 1u;   /* Last Entry: the list's last index */
	cur_skip(data, 3);                      /* Flags, Tag */
	uint32_t list = segments * IPV6_ADDRESS_BYTES;
	if (list > area) {
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
		return;
	}
	if (segments_left > segments)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_VALUE);
	cur_skip(data, list);
	if (options_count(*data, ipv6_tlv_option_next, NULL, NULL) != OPTION_DONE)
		decode_note(ctx, PROTO_IPV6_EXT, REASON_BAD_OPTION);
}

void ipv6_routing(struct decoder_ctx *ctx, struct cursor hdr)
{
	cur_skip(&hdr, 1);                      /* next header, read by the walk */
	uint8_t units = cur_u8(&hdr);           /* 8-byte units after the first 8 */
	uint8_t type = cur_u8(&hdr);
	uint8_t segments_left = cur_u8(&hdr);
	/* The area after the fixed 8 bytes: the header's length says it is
	 * there (take_extension), so the reads below stay in it. */
	uint32_t area = units * 8u;
	switch (type) {
	case ROUTING_TYPE_SOURCE:
		routing_source(ctx, units, segments_left);
		break;
	case ROUTING_TYPE_MOBILE:
		routing_mobile(ctx, units, segments_left);
		break;
	case ROUTING_TYPE_RPL:
		routing_rpl(ctx, &hdr, area, segments_left);
		break;
	case ROUTING_TYPE_SRH:
		routing_srh(ctx, &hdr, area, segments_left);
		break;
	default:
		decode_note(ctx, PROTO_IPV6_EXT, REASON_UNKNOWN_PROTOCOL);
		break;
	}
}

bool ipv6_fragment(struct decoder_ctx *ctx, struct packet *pkt, struct cursor hdr)
{
	uint8_t next_header = cur_u8(&hdr);
	uint8_t reserved1 = cur_u8(&hdr);
	uint16_t offset_flags = cur_be16(&hdr);
	uint32_t identification = cur_be32(&hdr);
	uint16_t offset = offset_flags >> 3;
	bool more_fragments = offset_flags & 1;

	Types__IPv6Fragment *r = RECORD_NEW(ctx, pkt, IPv6Fragment, ipv6_fragment);
	if (r) {
		r->timestamp = pkt->ts;
		r->nextheader = next_header;
		r->reserved1 = reserved1;
		r->fragmentoffset = offset;
		r->reserved2 = (offset_flags >> 1) & 3;
		r->morefragments = more_fragments;
		r->identification = identification;
		RECORD_FILL_IPS(r, pkt);
	}
	if (offset > 0) {
		pkt->fragment = true;
		return true;
	}
	if (more_fragments)
		pkt->ip_partial = true;   /* the transport segment goes on in later fragments */
	return false;
}
