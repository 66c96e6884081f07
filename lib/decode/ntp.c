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
 * (NTP/truncated). */
#include "decode/decoders.h"

#define NTP_HEADER 48
#define NTP_MODE_CONTROL 6
#define NTP_MODE_PRIVATE 7

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
	Types__NTP *r = RECORD_NEW(ctx, pkt, NTP, ntp);
	if (!r)
		return DECODE_OK;
	uint8_t flags = cur_u8(cur);
	r->timestamp = pkt->ts;
	r->leapindicator = flags >> 6;
	r->version = flags >> 3 & 7;
	r->mode = flags & 7;
	r->stratum = cur_u8(cur);
	r->poll = (int8_t)cur_u8(cur);
	r->precision = (int8_t)cur_u8(cur);
	r->rootdelay = cur_be32(cur);
	r->rootdispersion = cur_be32(cur);
	r->referenceid = cur_be32(cur);
	r->referencetimestamp = cur_be64(cur);
	r->origintimestamp = cur_be64(cur);
	r->receivetimestamp = cur_be64(cur);
	r->transmittimestamp = cur_be64(cur);
	uint32_t ext = cur_left(cur);
	r->extensionbytes = pb_bytes(cur_bytes(cur, ext), ext);
	r->srcip = (char *)(pkt->src_ip_str ? pkt->src_ip_str : "");
	r->dstip = (char *)(pkt->dst_ip_str ? pkt->dst_ip_str : "");
	r->srcport = pkt->src_port;
	r->dstport = pkt->dst_port;
	return DECODE_OK;
}
