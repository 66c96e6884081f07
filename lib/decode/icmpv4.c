/* icmpv4.c: ICMP for IPv4 (ICMPv4 record), RFC 792.
 *
 * Fields follow gopacket's ICMPv4: TypeCode is type << 8 | code (gopacket's
 * ICMPv4TypeCode, a uint16), Checksum as it stands, and Id and Seq the two
 * 16-bit words of bytes 4..7 whatever the type: the identifier and sequence
 * number of echo, timestamp, information and address mask messages; for the
 * others the same bytes read as two words (the unused word of an error, the
 * next-hop MTU of "fragmentation needed" in Seq, a redirect's gateway
 * address split in two, a parameter problem's pointer in the top byte of
 * Id). SrcIP and DstIP are the IP layer's strings.
 *
 * What follows the 8-byte header is not decoded further, as in gopacket: an
 * error message quotes the IP header and first bytes of the datagram that
 * caused it, which stays payload here (no IPv4/TCP/UDP records from the
 * quote; tshark dissects it as inner ip/udp/tcp layers).
 *
 * Faults: fewer than 8 bytes (TRUNCATED), as gopacket. */
#include "decode/decoders.h"

int decode_icmpv4(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t type = cur_u8(cur);
	uint8_t code = cur_u8(cur);
	uint16_t checksum = cur_be16(cur);
	uint16_t id = cur_be16(cur);
	uint16_t seq = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV4, REASON_TRUNCATED);

	pkt->app_len = cur_left(cur);
	Types__ICMPv4 *r = RECORD_NEW(ctx, pkt, ICMPv4, icmpv4);
	if (r) {
		r->timestamp = pkt->ts;
		r->typecode = type << 8 | code;
		r->checksum = checksum;
		r->id = id;
		r->seq = seq;
		RECORD_FILL_IPS(r, pkt);
	}
	return DECODE_OK;
}
