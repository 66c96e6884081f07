/* arp.c: the Address Resolution Protocol, RFC 826 (ARP record), ethertype
 * 0x0806.
 *
 * Fields follow gopacket's ARP: AddrType is the hardware type (1 for
 * Ethernet), Protocol the protocol type (0x0800 for IPv4), HwAddressSize and
 * ProtocolAddressSize the two size bytes, Operation the opcode (1 request,
 * 2 reply, 3/4 RARP, ...), all as they stand. The four addresses are as long
 * as the sizes say, whatever the types are. Their text forms, as netcap
 * writes them: a hardware address as lowercase hex bytes joined by colons
 * (any length; "" for size 0), a protocol address of 4 bytes as a dotted
 * quad, of 16 bytes as IPv6 text, of any other size as hex bytes joined by
 * colons.
 *
 * Faults: fewer than the 8 fixed bytes (TRUNCATED); addresses that run past
 * the data (TRUNCATED when the frame was cut by the snaplen, else
 * BAD_LENGTH: the sizes lie). Bytes after the addresses are Ethernet
 * padding: ARP is the last layer. */
#include "decode/decoders.h"

#define ARP_FIXED 8

static char *format_protocol_address(struct arena *a, const uint8_t *p, uint32_t n)
{
	if (n == 4)
		return format_ip(a, 4, p);
	if (n == 16)
		return format_ip(a, 6, p);
	return format_hex(a, p, n, ':');
}

int decode_arp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t hw_type = cur_be16(cur);
	uint16_t proto_type = cur_be16(cur);
	uint8_t hw_size = cur_u8(cur);
	uint8_t proto_size = cur_u8(cur);
	uint16_t operation = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ARP, REASON_TRUNCATED);

	const uint8_t *sha = cur_bytes(cur, hw_size);
	const uint8_t *spa = cur_bytes(cur, proto_size);
	const uint8_t *tha = cur_bytes(cur, hw_size);
	const uint8_t *tpa = cur_bytes(cur, proto_size);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ARP,
				   pkt->cap_len < pkt->wire_len ? REASON_TRUNCATED : REASON_BAD_LENGTH);

	Types__ARP *r = RECORD_NEW(ctx, pkt, ARP, arp);
	if (r) {
		r->timestamp = pkt->ts;
		r->addrtype = hw_type;
		r->protocol = proto_type;
		r->hwaddresssize = hw_size;
		r->protocoladdresssize = proto_size;
		r->operation = operation;
		r->srchwaddress = format_hex(&ctx->arena, sha, hw_size, ':');
		r->srcprotocoladdress = format_protocol_address(&ctx->arena, spa, proto_size);
		r->dsthwaddress = format_hex(&ctx->arena, tha, hw_size, ':');
		r->dstprotocoladdress = format_protocol_address(&ctx->arena, tpa, proto_size);
	}
	return DECODE_OK;
}
