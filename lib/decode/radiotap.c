/* radiotap.c: the radiotap header of DLT_IEEE802_11_RADIO captures
 * (https://www.radiotap.org), before an IEEE 802.11 frame (dot11.c).
 *
 * The schema has no radiotap record (as in netcap, where gopacket's RadioTap
 * layer has no encoder), so this layer records nothing: it reads the header
 * length (little-endian, bytes 2-3) to find the 802.11 frame, and the Flags
 * field (present bit 1, after the TSFT field when bit 0 is set, 8-byte
 * aligned from the header start; fields follow the chain of presence words
 * whose bit 31 announces another) for two of its bits:
 *   0x10  the frame includes its FCS: the last 4 bytes are Dot11's Checksum
 *         (otherwise Dot11's Checksum is computed, as gopacket does)
 *   0x20  the driver padded the 802.11 header of data frames to 4 bytes
 * Like gopacket, only the first presence word's fields are looked at.
 *
 * Faults (protocol Radiotap): fewer than 8 bytes (TRUNCATED); a version
 * other than 0, the only one there is (BAD_VERSION; gopacket does not check
 * it, tshark flags the header and goes on); a header length below 8, or presence words or the Flags field beyond the header
 * length (BAD_HEADER_LENGTH); a header length beyond the captured data
 * (TRUNCATED when the snaplen cut the frame, else BAD_HEADER_LENGTH: the
 * length lies). */
#include "decode/decoders.h"
#include "decode/dot11.h"

#define RADIOTAP_MIN 8
#define PRESENT_TSFT 0x1u
#define PRESENT_FLAGS 0x2u
#define PRESENT_EXT 0x80000000u
#define FLAG_FCS 0x10
#define FLAG_DATAPAD 0x20

/* The Flags field, 0 when absent; -1 when the header is malformed. */
static int read_flags(struct cursor hdr, uint32_t present)
{
	/* hdr starts after the first presence word, 8 bytes into the header. */
	uint32_t offset = RADIOTAP_MIN;
	for (uint32_t word = present; word & PRESENT_EXT; offset += 4)
		word = cur_le32(&hdr);
	if (!cur_ok(&hdr))
		return -1;
	if (!(present & PRESENT_FLAGS))
		return 0;
	if (present & PRESENT_TSFT) {
		uint32_t align = (8 - offset % 8) % 8;
		cur_skip(&hdr, align + 8);
	}
	uint8_t flags = cur_u8(&hdr);
	return cur_ok(&hdr) ? flags : -1;
}

int decode_radiotap(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t version = cur_u8(cur);
	cur_skip(cur, 1);          /* pad */
	uint16_t length = cur_le16(cur);
	uint32_t present = cur_le32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_RADIOTAP, REASON_TRUNCATED);
	if (version != 0)
		return decode_fail(ctx, pkt, PROTO_RADIOTAP, REASON_BAD_VERSION);
	if (length < RADIOTAP_MIN)
		return decode_fail(ctx, pkt, PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);
	if ((uint32_t)length - RADIOTAP_MIN > cur_left(cur))
		return decode_fail(ctx, pkt, PROTO_RADIOTAP, pkt->cap_len < pkt->wire_len
				   ? REASON_TRUNCATED : REASON_BAD_HEADER_LENGTH);
	struct cursor rest = cur_sub(cur, length - RADIOTAP_MIN);
	int flags = read_flags(rest, present);
	if (flags < 0)
		return decode_fail(ctx, pkt, PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);

	unsigned frame_flags = (flags & FLAG_FCS ? DOT11_HAS_FCS : 0) |
			       (flags & FLAG_DATAPAD ? DOT11_DATAPAD : 0);
	return dot11_decode_frame(ctx, pkt, cur, frame_flags);
}
