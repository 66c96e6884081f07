/* geneve.c: Geneve, UDP port 6081 (Geneve record), RFC 8926.
 *
 * The 8-byte header: Version the top 2 bits (gopacket takes only the top
 * bit), OptionsLength the options' size in bytes (the 6-bit field times
 * 4, as gopacket), OAMPacket the O bit, CriticalOption the C bit,
 * Protocol the ethertype of the payload, VNI 24 bits. Options, in order:
 * Class, Type, Flags (the 3 reserved bits), Length the option's size in
 * bytes with its 4-byte header (as gopacket's), Data the rest. At most
 * GENEVE_MAX_OPTIONS options are kept (CAPPED beyond); the options area
 * is at most 252 bytes, so the walk is bounded by the header.
 *
 * Payload by Protocol: 0x6558 Ethernet; others through the ethertype
 * table (IPv4, IPv6, ...), else an unknown layer of Geneve. The inner
 * packet gives its usual records (packet_enter_tunnel()); an empty payload
 * is none. Each Geneve layer counts against PACKET_MAX_DEPTH.
 *
 * Faults: a header or options area cut short (TRUNCATED), a version other
 * than 0 (BAD_VERSION: the rest of the header may mean anything), an
 * option running past the options area (BAD_OPTION). */
#include "decode/decoders.h"
#include "decode/ethertype.h"

#define GENEVE_VERSION 0
#define GENEVE_FLAG_OAM 0x80
#define GENEVE_FLAG_CRITICAL 0x40
#define GENEVE_OPTION_HEADER 4
/* Options kept per record: deployments carry one to a few; the 252-byte
 * area holds up to 63. */
#define GENEVE_MAX_OPTIONS 32

/* Counts the options; false when one runs past the area. */
static bool walk_options(struct cursor opts, uint32_t *n)
{
	*n = 0;
	while (cur_left(&opts)) {
		cur_skip(&opts, 3);
		uint8_t length = cur_u8(&opts) & 0x1f;
		if (!cur_skip(&opts, length * 4u))
			return false;
		(*n)++;
	}
	return true;
}

static void fill_options(struct decoder_ctx *ctx, struct packet *pkt, Types__Geneve *r,
			 struct cursor opts, uint32_t n_options)
{
	uint32_t n = n_options < GENEVE_MAX_OPTIONS ? n_options : GENEVE_MAX_OPTIONS;
	if (n_options > GENEVE_MAX_OPTIONS)
		decode_capped(ctx, pkt, PROTO_GENEVE, r);
	Types__GeneveOption **o = (Types__GeneveOption **)record_array(ctx, pkt, &types__geneve_option__descriptor, n);
	if (!o)
		return;
	for (uint32_t i = 0; i < n; i++) {
		o[i]->class_ = cur_be16(&opts);
		o[i]->type = cur_u8(&opts);
		uint8_t flags_length = cur_u8(&opts);
		uint32_t data = (flags_length & 0x1f) * 4u;
		o[i]->flags = flags_length >> 5;
		o[i]->length = (int32_t)(data + GENEVE_OPTION_HEADER);
		o[i]->data = pb_bytes(cur_bytes(&opts, data), data);
	}
	r->n_options = n;
	r->options = o;
}

int decode_geneve(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t version_length = cur_u8(cur);
	uint8_t flags = cur_u8(cur);
	uint16_t protocol = cur_be16(cur);
	uint32_t vni = cur_be24(cur);
	cur_u8(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_GENEVE, REASON_TRUNCATED);
	uint8_t version = version_length >> 6;
	uint32_t options_length = (version_length & 0x3f) * 4u;
	if (version != GENEVE_VERSION)
		return decode_fail(ctx, pkt, PROTO_GENEVE, REASON_BAD_VERSION);
	if (options_length > cur_left(cur))
		return decode_fail(ctx, pkt, PROTO_GENEVE, REASON_TRUNCATED);
	struct cursor opts = cur_sub(cur, options_length);
	uint32_t n_options;
	if (!walk_options(opts, &n_options))
		return decode_fail(ctx, pkt, PROTO_GENEVE, REASON_BAD_OPTION);

	Types__Geneve *r = RECORD_NEW(ctx, pkt, Geneve, geneve);
	if (r) {
		r->timestamp = pkt->ts;
		r->version = version;
		r->optionslength = (int32_t)options_length;
		r->oampacket = (flags & GENEVE_FLAG_OAM) != 0;
		r->criticaloption = (flags & GENEVE_FLAG_CRITICAL) != 0;
		r->protocol = protocol;
		r->vni = vni;
		fill_options(ctx, pkt, r, opts, n_options);
	}
	if (cur_left(cur) == 0)
		return DECODE_OK;
	packet_enter_tunnel(pkt);
	packet_fold_tunnel(pkt, (uint64_t)PROTO_GENEVE << 32 | vni);
	if (protocol == ETHERTYPE_TEB)
		return decode_next(ctx, pkt, decode_ethernet, cur, PROTO_GENEVE);
	return decode_ethertype_from(ctx, pkt, protocol, cur, PROTO_GENEVE);
}
