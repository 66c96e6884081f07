/* sctp.c: the SCTP common header (SCTP record), RFC 9260.
 *
 * As gopacket's SCTP: SrcPort, DstPort, VerificationTag and Checksum (the
 * CRC32c, as it stands) of the 12-byte common header. SrcIP and DstIP are
 * the IP layer's strings. The ports are the packet's transport ports (flows,
 * and the IP record's SrcPort/DstPort), as for TCP and UDP.
 *
 * The chunks that follow have no record types; they are walked only for
 * pkt->app_len, which is what gopacket's application layer holds for SCTP:
 * the user data of the first DATA chunk (as far as captured). No
 * application decoder runs over SCTP.
 *
 * Faults: fewer than 12 bytes (TRUNCATED), as gopacket. */
#include "decode/decoders.h"

#define SCTP_CHUNK_DATA 0
#define SCTP_CHUNK_HEADER 4
#define SCTP_DATA_HEADER 16

/* Captured user data bytes of the first DATA chunk, 0 if none. */
static uint32_t first_data_bytes(struct cursor chunks)
{
	while (cur_left(&chunks) >= SCTP_CHUNK_HEADER) {
		uint32_t left = cur_left(&chunks);
		uint8_t type = cur_u8(&chunks);
		cur_skip(&chunks, 1);
		uint32_t length = cur_be16(&chunks);
		if (length < SCTP_CHUNK_HEADER)
			return 0;            /* malformed: no further chunk can be found */
		if (type == SCTP_CHUNK_DATA) {
			uint32_t have = length < left ? length : left;
			return have > SCTP_DATA_HEADER ? have - SCTP_DATA_HEADER : 0;
		}
		uint32_t padded = (length + 3) & ~3u;
		if (padded > left)
			return 0;
		cur_skip(&chunks, padded - SCTP_CHUNK_HEADER);
	}
	return 0;
}

int decode_sctp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t src_port = cur_be16(cur);
	uint16_t dst_port = cur_be16(cur);
	uint32_t tag = cur_be32(cur);
	uint32_t checksum = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_SCTP, REASON_TRUNCATED);

	packet_set_ports(pkt, src_port, dst_port);
	pkt->app_len = first_data_bytes(*cur);

	Types__SCTP *r = RECORD_NEW(ctx, pkt, SCTP, sctp);
	if (r) {
		r->timestamp = pkt->ts;
		r->srcport = src_port;
		r->dstport = dst_port;
		r->verificationtag = tag;
		r->checksum = checksum;
		RECORD_FILL_IPS(r, pkt);
	}
	return DECODE_OK;
}
