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
#include "decode/options.h"

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

/* nd_option_next()'s two kinds of malformed option. */
enum { ND_ZERO_LENGTH = OPTION_MALFORMED, ND_PAST_END = OPTION_MALFORMED - 1 };

/* Neighbor discovery options (an option_next_fn): type, length in units
 * of 8 bytes (the two header bytes included), data. */
static int nd_option_next(struct cursor *area, struct option *o)
{
	if (cur_left(area) == 0)
		return OPTION_DONE;
	*o = (struct option){ .type = cur_u8(area) };
	o->length = cur_u8(area);
	if (!cur_ok(area))
		return ND_PAST_END;
	if (o->length == 0)
		return ND_ZERO_LENGTH;
	o->size = o->length * 8u - 2;
	o->data = cur_bytes(area, o->size);
	return o->data ? OPTION_READ : ND_PAST_END;
}

/* The options that fill the rest of a message, and how many of them a
 * record keeps. */
struct nd_options {
	struct cursor area;
	size_t kept;              /* as many as the cap lets through */
	bool capped;              /* ... fewer than there are */
};

/* Checks the options that fill the rest of the message. */
static int options_scan(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			struct nd_options *opts)
{
	opts->area = cur_rest(cur);
	struct cap cap = CAP(ICMPV6_MAX_OPTIONS, ICMPV6_MAX_DATA);
	int rc = options_count(opts->area, nd_option_next, &cap, &opts->kept);
	opts->capped = cap.hit;
	if (rc == OPTION_DONE)
		return DECODE_OK;
	/* A zero length lies whatever was captured; an option past the end
	 * is expected when the snaplen or a first fragment cut the message. */
	return decode_fail(ctx, pkt, PROTO_ICMPV6,
			   rc == ND_PAST_END && pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_OPTION);
}

/* The options the record keeps (*kept of them); the cut, if any, counted. */
static Types__ICMPv6Option **options_fill(struct decoder_ctx *ctx, struct packet *pkt,
					  const struct nd_options *opts, size_t *kept, void *record)
{
	if (opts->capped)
		decode_capped(ctx, pkt, PROTO_ICMPV6, record);
	Types__ICMPv6Option **options = (Types__ICMPv6Option **)record_array(
		ctx, pkt, &types__icmpv6_option__descriptor, opts->kept);
	struct cursor area = opts->area;
	struct option o;
	for (size_t i = 0; options && i < opts->kept && nd_option_next(&area, &o) == OPTION_READ; i++) {
		options[i]->type = o.type;
		options[i]->data = pb_bytes(o.data, o.size);
	}
	*kept = options ? opts->kept : 0;
	return options;
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
		RECORD_FILL_IPS(r, pkt);
	}
	return DECODE_OK;
}

static int router_solicitation(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct nd_options opts;
	if (!cur_skip(cur, 4))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	if (options_scan(ctx, pkt, cur, &opts) != DECODE_OK)
		return DECODE_STOP;
	Types__ICMPv6RouterSolicitation *r =
		RECORD_NEW(ctx, pkt, ICMPv6RouterSolicitation, icmpv6_router_solicitation);
	if (r) {
		r->timestamp = pkt->ts;
		r->options = options_fill(ctx, pkt, &opts, &r->n_options, r);
		RECORD_FILL_IPS(r, pkt);
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
	struct nd_options opts;
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	if (options_scan(ctx, pkt, cur, &opts) != DECODE_OK)
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
		r->options = options_fill(ctx, pkt, &opts, &r->n_options, r);
		RECORD_FILL_IPS(r, pkt);
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
	struct nd_options opts;
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_ICMPV6, REASON_TRUNCATED);
	if (options_scan(ctx, pkt, cur, &opts) != DECODE_OK)
		return DECODE_STOP;
	if (advertisement) {
		Types__ICMPv6NeighborAdvertisement *r = RECORD_NEW(
			ctx, pkt, ICMPv6NeighborAdvertisement, icmpv6_neighbor_advertisement);
		if (r) {
			r->timestamp = pkt->ts;
			r->flags = flags;
			r->targetaddress = format_ip(&ctx->arena, 6, target);
			r->options = options_fill(ctx, pkt, &opts, &r->n_options, r);
			RECORD_FILL_IPS(r, pkt);
		}
	} else {
		Types__ICMPv6NeighborSolicitation *r = RECORD_NEW(
			ctx, pkt, ICMPv6NeighborSolicitation, icmpv6_neighbor_solicitation);
		if (r) {
			r->timestamp = pkt->ts;
			r->targetaddress = format_ip(&ctx->arena, 6, target);
			r->options = options_fill(ctx, pkt, &opts, &r->n_options, r);
			RECORD_FILL_IPS(r, pkt);
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
		RECORD_FILL_IPS(r, pkt);
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
