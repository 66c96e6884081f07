/* icmpv6.c: ICMP for IPv6 (ICMPv6 record), RFC 4443, and the neighbor
 * discovery and echo messages that have records of their own (ICMPv6Echo,
 * ICMPv6RouterSolicitation, ICMPv6RouterAdvertisement,
 * ICMPv6NeighborSolicitation, ICMPv6NeighborAdvertisement), RFC 4861.
 *
 * As gopacket: the ICMPv6 layer is the 4 bytes of type, code and checksum
 * (TypeCode = type << 8 | code, gopacket's ICMPv6TypeCode); the message
 * body that follows is a layer of its own for echo request/reply (128/129:
 * Identifier, SeqNumber), router solicitation (133: 4 reserved bytes, then
 * options), router advertisement (134: HopLimit, Flags, RouterLifetime,
 * ReachableTime, RetransTimer, options), neighbor solicitation (135: 4
 * reserved bytes, TargetAddress, options) and neighbor advertisement (136:
 * Flags the first byte, 3 reserved, TargetAddress, options). Each gives one
 * record after the ICMPv6 record. Other messages (errors, redirect, MLD,
 * node information, RPL, ...) have no record type here and their body is
 * not decoded: an error's quote of the offending packet gives no inner IPv6
 * records (tshark dissects it as inner ipv6/udp/tcp layers).
 *
 * Options are gopacket's ICMPv6Options: Type the first byte, Data the bytes
 * after the length byte up to the option's length (in units of 8 bytes, so
 * Data has length*8 - 2 bytes). SrcIP and DstIP are the IP layer's strings,
 * TargetAddress the usual IPv6 text form.
 *
 * Faults: fewer than 4 bytes (TRUNCATED, ICMPv6); a message body shorter than
 * its fixed part (TRUNCATED, ICMPv6; the ICMPv6 record is kept, as gopacket
 * keeps that layer); an option of length 0, which would never advance
 * (BAD_OPTION), or one running past the message (TRUNCATED when the IP
 * payload was cut short, else BAD_OPTION). gopacket drops the message layer
 * on such options, and so do we: no record for that message.
 *
 * Bounded work: the options are checked in full; a record keeps the first
 * ICMPV6_MAX_OPTIONS of them holding at most ICMPV6_MAX_DATA bytes of data
 * (a message of 8-byte options would otherwise give one element per 8
 * bytes); a cut is counted as ICMPv6/capped and marks the record Truncated.
 *
 * pkt->app_len is what gopacket's application (payload) layer would hold:
 * the bytes after the 4-byte header for messages it has no layer for, none
 * for the ones it decodes (their layers leave no payload). */
#include "decode/decoders.h"

#define IPV6_ADDRESS 16
#define ICMPV6_MAX_OPTIONS 64
#define ICMPV6_MAX_DATA 8192

enum {
	ICMPV6_ECHO_REQUEST = 128,
	ICMPV6_ECHO_REPLY = 129,
	ICMPV6_MLD_QUERY = 130,
	ICMPV6_MLD_REPORT = 131,
	ICMPV6_MLD_DONE = 132,
	ICMPV6_ROUTER_SOLICITATION = 133,
	ICMPV6_ROUTER_ADVERTISEMENT = 134,
	ICMPV6_NEIGHBOR_SOLICITATION = 135,
	ICMPV6_NEIGHBOR_ADVERTISEMENT = 136,
	ICMPV6_REDIRECT = 137,
	ICMPV6_MLDV2_REPORT = 143,
};

/* nd_option_next() results besides KL_OPTION and KL_DONE. */
enum { ND_ZERO_LENGTH = -1, ND_PAST_END = -2 };

struct nd_option {
	uint8_t type;
	const uint8_t *data;
	uint32_t len;
};

static int nd_option_next(struct cursor *area, struct nd_option *o)
{
	if (cur_left(area) == 0)
		return KL_DONE;
	o->type = cur_u8(area);
	uint32_t units = cur_u8(area);
	if (!cur_ok(area))
		return ND_PAST_END;
	if (units == 0)
		return ND_ZERO_LENGTH;
	o->len = units * 8 - 2;
	o->data = cur_bytes(area, o->len);
	return o->data ? KL_OPTION : ND_PAST_END;
}

/* Checks the options that fill the rest of the message; *count gets their
 * number and *area their bytes. */
static int options_scan(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			struct cursor *area, size_t *count)
{
	*area = cur_rest(cur);
	*count = 0;
	struct cursor walk = *area;
	struct nd_option o;
	int rc;
	while ((rc = nd_option_next(&walk, &o)) == KL_OPTION)
		++*count;
	if (rc == KL_DONE)
		return DECODE_OK;
	/* A zero length lies whatever was captured; an option past the end
	 * is expected when the snaplen or a first fragment cut the message. */
	return decode_fail(ctx, pkt, PROTO_ICMPV6,
			   rc == ND_PAST_END && pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_OPTION);
}

/* The options a record keeps, as many as the cap lets through (*kept);
 * counted when some are left out. */
static Types__ICMPv6Option **options_fill(struct decoder_ctx *ctx, struct packet *pkt,
					  struct cursor area, size_t count, size_t *kept,
					  void *record)
{
	struct cap cap = CAP(ICMPV6_MAX_OPTIONS, ICMPV6_MAX_DATA);
	struct cursor walk = area;
	struct nd_option o;
	size_t n = 0;
	while (n < count && nd_option_next(&walk, &o) == KL_OPTION && cap_take(&cap, o.len))
		n++;
	if (cap.hit)
		decode_capped(ctx, pkt, PROTO_ICMPV6, record);
	Types__ICMPv6Option **options = (Types__ICMPv6Option **)record_array(
		ctx, pkt, &types__icmpv6_option__descriptor, n);
	for (size_t i = 0; options && i < n && nd_option_next(&area, &o) == KL_OPTION; i++) {
		options[i]->type = o.type;
		options[i]->data = pb_bytes(o.data, o.len);
	}
	*kept = options ? n : 0;
	return options;
}

static char *ip_string(const struct packet *pkt, bool dst)
{
	const char *s = dst ? pkt->dst_ip_str : pkt->src_ip_str;
	return (char *)(s ? s : protobuf_c_empty_string);
}

static int echo(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t id = cur_be16(cur);
	uint16_t seq = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	Types__ICMPv6Echo *r = RECORD_NEW(ctx, pkt, ICMPv6Echo, icmpv6_echo);
	if (r) {
		r->timestamp = pkt->ts;
		r->identifier = id;
		r->seqnumber = seq;
		r->srcip = ip_string(pkt, false);
		r->dstip = ip_string(pkt, true);
	}
	return DECODE_OK;
}

static int router_solicitation(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct cursor area;
	size_t n;
	if (!cur_skip(cur, 4))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	if (options_scan(ctx, pkt, cur, &area, &n) != DECODE_OK)
		return DECODE_STOP;
	Types__ICMPv6RouterSolicitation *r =
		RECORD_NEW(ctx, pkt, ICMPv6RouterSolicitation, icmpv6_router_solicitation);
	if (r) {
		r->timestamp = pkt->ts;
		r->options = options_fill(ctx, pkt, area, n, &r->n_options, r);
		r->srcip = ip_string(pkt, false);
		r->dstip = ip_string(pkt, true);
	}
	return DECODE_OK;
}

static int router_advertisement(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t hop_limit = cur_u8(cur);
	uint8_t flags = cur_u8(cur);
	uint16_t lifetime = cur_be16(cur);
	uint32_t reachable = cur_be32(cur);
	uint32_t retrans = cur_be32(cur);
	struct cursor area;
	size_t n;
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	if (options_scan(ctx, pkt, cur, &area, &n) != DECODE_OK)
		return DECODE_STOP;
	Types__ICMPv6RouterAdvertisement *r =
		RECORD_NEW(ctx, pkt, ICMPv6RouterAdvertisement, icmpv6_router_advertisement);
	if (r) {
		r->timestamp = pkt->ts;
		r->hoplimit = hop_limit;
		r->flags = flags;
		r->routerlifetime = lifetime;
		r->reachabletime = reachable;
		r->retranstimer = retrans;
		r->options = options_fill(ctx, pkt, area, n, &r->n_options, r);
		r->srcip = ip_string(pkt, false);
		r->dstip = ip_string(pkt, true);
	}
	return DECODE_OK;
}

/* Neighbor solicitation and advertisement share their layout: a first
 * word (the advertisement's flags in its top byte), the target, options. */
static int neighbor_message(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			    bool advertisement)
{
	uint8_t flags = cur_u8(cur);
	cur_skip(cur, 3);
	const uint8_t *target = cur_bytes(cur, IPV6_ADDRESS);
	struct cursor area;
	size_t n;
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	if (options_scan(ctx, pkt, cur, &area, &n) != DECODE_OK)
		return DECODE_STOP;
	if (advertisement) {
		Types__ICMPv6NeighborAdvertisement *r = RECORD_NEW(
			ctx, pkt, ICMPv6NeighborAdvertisement, icmpv6_neighbor_advertisement);
		if (r) {
			r->timestamp = pkt->ts;
			r->flags = flags;
			r->targetaddress = format_ip(&ctx->arena, 6, target);
			r->options = options_fill(ctx, pkt, area, n, &r->n_options, r);
			r->srcip = ip_string(pkt, false);
			r->dstip = ip_string(pkt, true);
		}
	} else {
		Types__ICMPv6NeighborSolicitation *r = RECORD_NEW(
			ctx, pkt, ICMPv6NeighborSolicitation, icmpv6_neighbor_solicitation);
		if (r) {
			r->timestamp = pkt->ts;
			r->targetaddress = format_ip(&ctx->arena, 6, target);
			r->options = options_fill(ctx, pkt, area, n, &r->n_options, r);
			r->srcip = ip_string(pkt, false);
			r->dstip = ip_string(pkt, true);
		}
	}
	return DECODE_OK;
}

/* True for the types gopacket decodes into a layer of their own (so their
 * bytes are no payload), records or not. */
static bool has_message_layer(uint8_t type)
{
	return (type >= ICMPV6_ECHO_REQUEST && type <= ICMPV6_REDIRECT) ||
	       type == ICMPV6_MLDV2_REPORT;
}

int decode_icmpv6(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t type = cur_u8(cur);
	uint8_t code = cur_u8(cur);
	uint16_t checksum = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);

	pkt->app_len = has_message_layer(type) ? 0 : cur_left(cur);
	Types__ICMPv6 *r = RECORD_NEW(ctx, pkt, ICMPv6, icmpv6);
	if (r) {
		r->timestamp = pkt->ts;
		r->typecode = type << 8 | code;
		r->checksum = checksum;
		r->srcip = ip_string(pkt, false);
		r->dstip = ip_string(pkt, true);
	}

	switch (type) {
	case ICMPV6_ECHO_REQUEST:
	case ICMPV6_ECHO_REPLY:
		return echo(ctx, pkt, cur);
	case ICMPV6_ROUTER_SOLICITATION:
		return router_solicitation(ctx, pkt, cur);
	case ICMPV6_ROUTER_ADVERTISEMENT:
		return router_advertisement(ctx, pkt, cur);
	case ICMPV6_NEIGHBOR_SOLICITATION:
		return neighbor_message(ctx, pkt, cur, false);
	case ICMPV6_NEIGHBOR_ADVERTISEMENT:
		return neighbor_message(ctx, pkt, cur, true);
	default:
		return DECODE_OK;
	}
}
