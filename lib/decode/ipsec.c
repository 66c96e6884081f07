/* ipsec.c: IPsec headers: the Authentication Header (IPSecAH record, RFC
 * 4302, IP protocol 51) and the Encapsulating Security Payload header
 * (IPSecESP record, RFC 4303, IP protocol 50), after IPv4 or IPv6.
 *
 * AH as gopacket's IPSecAH: Reserved is the 16 bits after the length, SPI
 * and Seq the next two 32-bit words (the schema has them as int32: the
 * uint32 bits as they are, so values from 2^31 read negative, as in
 * netcap), AuthenticationData the integrity check value, the rest of the
 * header: the payload length field counts the header in 32-bit words
 * minus 2. What follows AH is decoded as usual (pkt->ip_proto becomes AH's
 * next header, so the transport and application decoders see theirs).
 * After IPv6, AH is one of the extension headers that ipv6.c walks; it
 * calls ipsec_ah_header() and goes on with its chain. SrcIP and DstIP are
 * the IP layer's.
 *
 * ESP as gopacket's IPSecESP: SPI and Seq (int32, as AH's), LenEncrypted
 * the bytes after the 8-byte header, captured and within the IP payload
 * length (payload, padding, trailer and ICV: without the keys none can be
 * told apart). Nothing after ESP is decoded: it is encrypted. ESP in UDP
 * (RFC 3948, port 4500, as tshark's udpencap) gives the same record; there
 * a payload starting with the 4 zero bytes of the non-ESP marker is IKE and
 * a lone 0xff byte a NAT keepalive: no ESP, nothing counted (gopacket
 * leaves all of port 4500 to the UDP payload).
 *
 * Faults (IPSecAH/..., IPSecESP/...), each ending the packet: AH's 12
 * fixed bytes or ESP's 8 past the data: truncated when the IP payload was
 * cut short (snaplen, first fragment), else bad-length (the IP length
 * leaves no room); an AH payload length of 0 (a header of 8 bytes, below
 * the fixed 12): bad-header-length; an ICV past the data: truncated when
 * the IP payload was cut short, else bad-header-length (the AH length
 * lies). Nothing is listed, so nothing is capped: the ICV is at most
 * (255 + 2) * 4 - 12 = 1,016 bytes, kept in place. */
#include "decode/decoders.h"
#include "decode/ipproto.h"

#define AH_FIXED_BYTES 12          /* next, length, reserved, SPI, sequence */
#define NAT_KEEPALIVE 0xff         /* RFC 3948 2.3 */

int ipsec_ah_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		    uint8_t *next)
{
	uint8_t next_header = cur_u8(cur);
	uint8_t length = cur_u8(cur);
	uint16_t reserved = cur_be16(cur);
	uint32_t spi = cur_be32(cur);
	uint32_t seq = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IPSEC_AH,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_LENGTH);
	uint32_t bytes = (length + 2u) * 4;   /* RFC 4302: 32-bit words - 2 */
	if (bytes < AH_FIXED_BYTES)
		return decode_fail(ctx, pkt, PROTO_IPSEC_AH, REASON_BAD_HEADER_LENGTH);
	uint32_t icv_len = bytes - AH_FIXED_BYTES;
	const uint8_t *icv = cur_bytes(cur, icv_len);
	if (!icv)
		return decode_fail(ctx, pkt, PROTO_IPSEC_AH,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_HEADER_LENGTH);

	Types__IPSecAH *r = RECORD_NEW(ctx, pkt, IPSecAH, ipsec_ah);
	if (r) {
		r->timestamp = pkt->ts;
		r->reserved = reserved;
		r->spi = (int32_t)spi;
		r->seq = (int32_t)seq;
		r->authenticationdata = pb_bytes(icv, icv_len);
		RECORD_FILL_IPS(r, pkt);
	}
	*next = next_header;
	return DECODE_OK;
}

/* AH after IPv4 (the IP protocol table's entry). */
int decode_ipsec_ah(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t next;
	if (ipsec_ah_header(ctx, pkt, cur, &next) != DECODE_OK)
		return DECODE_STOP;
	pkt->ip_proto = next;     /* the transport's, as after IPv6's chain */
	if (next == IPPROTO_NONE)
		return DECODE_OK;
	return decode_ip_protocol(ctx, pkt, next, cur);
}

int decode_ipsec_esp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint32_t spi = cur_be32(cur);
	uint32_t seq = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IPSEC_ESP,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_LENGTH);
	Types__IPSecESP *r = RECORD_NEW(ctx, pkt, IPSecESP, ipsec_esp);
	if (r) {
		r->timestamp = pkt->ts;
		r->spi = (int32_t)spi;
		r->seq = (int32_t)seq;
		r->lenencrypted = (int32_t)cur_left(cur);
		RECORD_FILL_IPS(r, pkt);
	}
	return DECODE_OK;
}

/* UDP port 4500 (the application table's entry). */
int decode_ipsec_esp_udp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (cur_left(cur) == 1 && cur_peek_u8(cur, 0) == NAT_KEEPALIVE)
		return DECODE_OK;
	if (cur_left(cur) >= 4 && cur_peek_be16(cur, 0) == 0 && cur_peek_be16(cur, 2) == 0)
		return DECODE_OK;     /* non-ESP marker: IKE (no decoder) */
	return decode_ipsec_esp(ctx, pkt, cur);
}
