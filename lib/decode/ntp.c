/* ntp.c: NTP packets (NTP record), RFC 5905, on UDP 123.
 *
 * Fields follow gopacket's NTP layer, which reads the 48-byte header of
 * every mode alike: LeapIndicator, Version and Mode from the first byte,
 * Stratum, Poll and Precision (signed log2 seconds), RootDelay and
 * RootDispersion (16.16 fixed point, as raw 32-bit values), ReferenceID (the
 * raw 32 bits), the four timestamps as raw 64-bit NTP timestamps (seconds
 * since 1900 in the high 32 bits, fraction in the low 32), and
 * ExtensionBytes: everything after the 48 bytes (extension fields and MAC).
 *
 * Control (mode 6) and private (mode 7) messages have their own, shorter
 * formats (ntpq, ntpdc): one shorter than 48 bytes gives no record and is no
 * fault (gopacket makes no layer for it; it is still NTP for the flow's
 * application protocol). Any other packet shorter than 48 bytes is a fault
 * (NTP/truncated).
 *
 * ExtensionBytes keeps at most NTP_MAX_EXTENSION bytes (an NTP packet is
 * one unfragmented datagram; a jumbogram could make it 262 KB): the rest is
 * counted as NTP/capped and marks the record Truncated. */
#include "decode/decoders.h"

#define NTP_HEADER 48
#define NTP_MODE_CONTROL 6
#define NTP_MODE_PRIVATE 7
#define NTP_MAX_EXTENSION 16384

int decode_ntp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t mode = cur_peek_u8(cur, 0) & 7;
	if (cur_left(cur) < NTP_HEADER) {
		if (mode == NTP_MODE_CONTROL || mode == NTP_MODE_PRIVATE) {
			pkt->app_proto = "NTP";
			return DECODE_OK;
		}
		return decode_fail(ctx, pkt, PROTO_NTP, REASON_TRUNCATED);
	}
	pkt->app_proto = "NTP";
	uint8_t flags = cur_u8(cur);
	uint8_t stratum = cur_u8(cur);
	int8_t poll = (int8_t)cur_u8(cur);
	int8_t precision = (int8_t)cur_u8(cur);
	uint32_t root_delay = cur_be32(cur);
	uint32_t root_dispersion = cur_be32(cur);
	uint32_t reference_id = cur_be32(cur);
	uint64_t timestamps[4];
	for (int i = 0; i < 4; i++)
		timestamps[i] = cur_be64(cur);
	uint32_t ext = cur_left(cur);
	const uint8_t *extension = cur_bytes(cur, ext);

	Types__NTP *r = RECORD_NEW(ctx, pkt, NTP, ntp);
	if (!r)
		return DECODE_OK;
	r->timestamp = pkt->ts;
	r->leapindicator = flags >> 6;
	r->version = flags >> 3 & 7;
	r->mode = flags & 7;
	r->stratum = stratum;
	r->poll = poll;
	r->precision = precision;
	r->rootdelay = root_delay;
	r->rootdispersion = root_dispersion;
	r->referenceid = reference_id;
	r->referencetimestamp = timestamps[0];
	r->origintimestamp = timestamps[1];
	r->receivetimestamp = timestamps[2];
	r->transmittimestamp = timestamps[3];
	r->extensionbytes = pb_bytes(extension, ext < NTP_MAX_EXTENSION ? ext : NTP_MAX_EXTENSION);
	RECORD_FILL_ENDPOINTS(r, pkt);
	if (ext > NTP_MAX_EXTENSION)
		decode_capped(ctx, pkt, PROTO_NTP, r);
	return DECODE_OK;
}
