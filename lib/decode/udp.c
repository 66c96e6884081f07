/* udp.c: UDP headers (UDP record), RFC 768.
 *
 * As gopacket's UDP: Length and Checksum as they stand; the payload is what
 * follows the 8-byte header, cut to Length when Length is smaller than the
 * data (link padding, or bytes after the datagram in the IP payload).
 * PayloadSize and PayloadEntropy cover that payload as captured; with
 * --payload (ctx->payload) Payload holds those bytes, up to PAYLOAD_MAX
 * (record_payload(): a longer one is cut, counted as UDP/capped, the
 * record marked Truncated). SrcIP and DstIP are the IP layer's strings.
 *
 * Faults: fewer than 8 header bytes (TRUNCATED), a Length below 8
 * (BAD_LENGTH). The one exception is Length 0 in an IPv6 jumbogram, which
 * RFC 2675 asks for; gopacket takes Length 0 as "the rest" anywhere, Suricata
 * nowhere. A Length beyond the data is expected when the IP payload was cut
 * (snaplen, first fragment); otherwise it lies, which is counted without
 * stopping, the captured bytes being the payload. */
#include "decode/decoders.h"

#define UDP_HEADER 8
#define IPV6_HEADER_BYTES 40
#define IPV6_MAX_PAYLOAD 65535u

static bool is_ipv6_jumbogram(const struct packet *pkt)
{
	return pkt->ip_version == 6 && pkt->ip_len > IPV6_HEADER_BYTES + IPV6_MAX_PAYLOAD;
}

/* Cuts the cursor to the datagram; false when Length is not acceptable. */
static bool limit_payload(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  uint16_t length)
{
	if (length < UDP_HEADER)
		return length == 0 && is_ipv6_jumbogram(pkt);
	uint32_t declared = length - UDP_HEADER;
	if (declared <= cur_left(cur))
		cur_limit(cur, declared);
	else if (!pkt->ip_partial)
		decode_note(ctx, PROTO_UDP, REASON_BAD_LENGTH);
	return true;
}

int decode_udp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t src_port = cur_be16(cur);
	uint16_t dst_port = cur_be16(cur);
	uint16_t length = cur_be16(cur);
	uint16_t checksum = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_UDP, REASON_TRUNCATED);
	if (!limit_payload(ctx, pkt, cur, length))
		return decode_fail(ctx, pkt, PROTO_UDP, REASON_BAD_LENGTH);

	packet_set_ports(pkt, src_port, dst_port);
	pkt->app_len = cur_left(cur);

	Types__UDP *r = RECORD_NEW(ctx, pkt, UDP, udp);
	if (r) {
		r->timestamp = pkt->ts;
		r->srcport = src_port;
		r->dstport = dst_port;
		r->length = length;
		r->checksum = checksum;
		r->payloadsize = (int32_t)cur_left(cur);
		entropy_request(ctx, pkt, &r->payloadentropy, cur_here(cur), cur_left(cur));
		r->payload = record_payload(ctx, pkt, PROTO_UDP, r, cur);
		RECORD_FILL_IPS(r, pkt);
	}
	return decode_app(ctx, pkt, cur);
}
