/* ipv6.c: IPv6 headers and their extension headers (IPv6 record), RFC 8200.
 *
 * As gopacket's IPv6: Length is the payload length field, NextHeader the
 * fixed header's value, and a hop-by-hop header right after the fixed header
 * belongs to the IPv6 layer: its options fill the record's HopByHop message
 * (gopacket's IPv6.HopByHop; OptionAlignment is all zero when decoding, as
 * there), a Pad1 option reads as type 0, length 0, actual length 1, and a
 * payload length of 0 takes its size from a jumbo payload option (RFC 2675).
 * PayloadSize and PayloadEntropy cover what follows the hop-by-hop header,
 * captured and within the payload length. (gopacket cuts the payload length
 * from after the hop-by-hop header instead of from the fixed header, so its
 * payload may run that many bytes into link padding; we do not copy that.)
 * Each hop-by-hop header also gives an IPv6HopByHop record of its own, right
 * after the IPv6 record (gopacket adds the header as a separate layer too):
 * the same options, the packet's addresses. A hop-by-hop header out of place
 * further down the chain gives one as well, as gopacket decodes it there.
 *
 * The other extension headers are walked to reach the transport, at most
 * IPV6_MAX_EXT_HEADERS in one chain, a leading hop-by-hop header included
 * (RFC 8200's order has at most seven: hop-by-hop, destination options,
 * routing, fragment, AH, destination options, mobility; the cap leaves
 * room for the out-of-place repeats gopacket decodes); a longer chain is
 * IPv6Extension/too-deep. They are one IP layer's headers, not nested
 * layers: the chain has its own cap instead of counting towards
 * PACKET_MAX_DEPTH, which bounds the IP layers (IPv6 in IPv6) around it.
 * Their faults are PROTO_IPV6_EXT. Destination options (60, also twice)
 * are checked as hop-by-hop's; routing (43) and fragment (44) are
 * ipv6_ext.c's (the IPv6Fragment record; a non-first fragment ends
 * decoding with pkt->fragment set, a first fragment goes on into its
 * transport header, gopacket stops at every fragment); AH (51) is
 * ipsec.c's (IPSecAH record), its next header continues the chain;
 * mobility (135, RFC 6275) is walked and ends the packet (nothing above
 * it: its payload protocol is No Next Header), pkt->ip_proto 135. HIP
 * (139), shim6 (140) and the experimental 253 and 254 have the generic
 * format: walked, counted as IPv6Extension/unknown-protocol (the packet
 * goes to the unknown pcap) and decoding goes on with their next header.
 * ESP (50) is reached through the IP protocol table (ipsec.c): it hides
 * what follows. No Next Header ends the packet. A payload length beyond
 * the captured data is handled as IPv4's total length is.
 *
 * Bounded work: the option list of each header is walked once to check it
 * and again to fill the records, which share one list (the IPv6 record's
 * HopByHop and the IPv6HopByHop record hold the same options, each with an
 * all-zero OptionAlignment, also shared). A packet lists at most
 * HBH_MAX_OPTIONS hop-by-hop options over all its headers: every byte of a
 * header can be a Pad1 option, so a 2,048-byte header would otherwise be
 * 2,048 options in each of two records, and out-of-place headers repeat
 * that. Options past it are left out, counted as IPv6Extension/capped,
 * the records marked Truncated. */
#include "decode/decoders.h"
#include "decode/ipproto.h"
#include "decode/ipv6_ext.h"
#include "decode/options.h"
#include "defrag/defrag.h"

#define IPV6_HEADER_BYTES 40
#define HBH_OPTION_PAD1 0
#define HBH_OPTION_JUMBO 0xc2
#define HBH_MAX_OPTIONS 64        /* listed per packet, over all its headers */
#define IPV6_MAX_EXT_HEADERS 16   /* per chain, hop-by-hop included */

struct ipv6_header {
	uint8_t version, traffic_class, next_header, hop_limit;
	uint32_t flow_label;
	uint16_t payload_length;
	uint8_t src[16], dst[16];
};

/* The hop-by-hop header, when it follows the fixed header. */
struct hop_by_hop {
	bool present;
	uint8_t next_header;
	uint32_t bytes;           /* the whole header */
	struct cursor options;    /* its option area, walked again to fill */
	size_t n_options;
	bool has_jumbo;
	uint32_t jumbo_length;
	/* The list both records share, made by the first that is filled. */
	bool listed;
	size_t n_listed;
	Types__IPv6HopByHopOption **list;
};

/* The type-length-value options of hop-by-hop and destination headers
 * and of the segment routing header's TLVs (an option_next_fn): Pad1 is
 * the one byte of type 0, without length or data; an option running past
 * the area is malformed. Every option takes at least one byte. */
int ipv6_tlv_option_next(struct cursor *area, struct option *opt)
{
	if (cur_left(area) == 0)
		return OPTION_DONE;
	*opt = (struct option){ .type = cur_u8(area) };
	if (opt->type == HBH_OPTION_PAD1)
		return OPTION_READ;
	opt->length = cur_u8(area);
	opt->size = opt->length;
	opt->data = cur_bytes(area, opt->size);
	return cur_ok(area) ? OPTION_READ : OPTION_MALFORMED;
}

/* The bytes an option takes, type and length included (gopacket's
 * ActualLength). */
static uint32_t tlv_option_bytes(const struct option *opt)
{
	return opt->type == HBH_OPTION_PAD1 ? 1 : opt->size + 2u;
}

static bool is_extension(uint8_t next)
{
	switch (next) {
	case IPPROTO_HOPOPTS: case IPPROTO_ROUTING: case IPPROTO_FRAGMENT: case IPPROTO_AH:
	case IPPROTO_DSTOPTS: case IPPROTO_MH: case IPPROTO_HIP: case IPPROTO_SHIM6:
	case IPPROTO_EXPERIMENT1: case IPPROTO_EXPERIMENT2:
		return true;
	}
	return false;
}

/* Moves the extension header of type `type` at the cursor into *ext (AH,
 * whose length counts 32-bit words, is ipsec.c's). A header past the data
 * is TRUNCATED when the data was cut, else its length contradicts the
 * payload length. */
static int take_extension(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  uint8_t type, struct cursor *ext)
{
	uint32_t bytes = 8;                               /* the fragment header's */
	if (type != IPPROTO_FRAGMENT)
		bytes = (cur_peek_u8(cur, 1) + 1u) * 8;       /* 8-byte units - 1 */
	if (cur_left(cur) < 2 || bytes > cur_left(cur))
		return decode_fail(ctx, pkt, PROTO_IPV6_EXT,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_HEADER_LENGTH);
	*ext = cur_sub(cur, bytes);
	return DECODE_OK;
}

static int parse_fixed_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			      struct ipv6_header *h)
{
	uint32_t first_word = cur_be32(cur);
	h->payload_length = cur_be16(cur);
	h->next_header = cur_u8(cur);
	h->hop_limit = cur_u8(cur);
	cur_copy(cur, h->src, 16);
	cur_copy(cur, h->dst, 16);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IPV6, REASON_TRUNCATED);
	h->version = first_word >> 28;
	h->traffic_class = (first_word >> 20) & 0xff;
	h->flow_label = first_word & 0xfffff;
	if (h->version != 6)
		return decode_fail(ctx, pkt, PROTO_IPV6, REASON_BAD_VERSION);
	return DECODE_OK;
}

/* Checks the hop-by-hop options and finds a jumbo payload length. */
static int scan_hop_by_hop(struct decoder_ctx *ctx, struct packet *pkt, struct hop_by_hop *hbh)
{
	struct cursor area = hbh->options;
	struct option opt;
	int rc;
	while ((rc = ipv6_tlv_option_next(&area, &opt)) == OPTION_READ) {
		hbh->n_options++;
		/* The first jumbo option counts, as in gopacket and tcpdump. */
		if (opt.type == HBH_OPTION_JUMBO && opt.length == 4 && !hbh->has_jumbo) {
			struct cursor value = cur_make(opt.data, 4);
			hbh->has_jumbo = true;
			hbh->jumbo_length = cur_be32(&value);
		}
	}
	if (rc == OPTION_MALFORMED)
		return decode_fail(ctx, pkt, PROTO_IPV6_EXT, REASON_BAD_OPTION);
	return DECODE_OK;
}

static int parse_hop_by_hop(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			    struct hop_by_hop *hbh)
{
	struct cursor ext;
	if (take_extension(ctx, pkt, cur, IPPROTO_HOPOPTS, &ext) != DECODE_OK)
		return DECODE_STOP;
	hbh->present = true;
	hbh->bytes = cur_left(&ext);
	hbh->next_header = cur_u8(&ext);
	cur_skip(&ext, 1);        /* the length, known already */
	hbh->options = cur_rest(&ext);
	return scan_hop_by_hop(ctx, pkt, hbh);
}

/* Cuts the cursor to the payload length and tells whether the payload is
 * all there. Called before the hop-by-hop header is read, except for a
 * payload length of 0, which the jumbo option replaces. */
static bool limit_payload(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  uint32_t declared)
{
	if (declared <= cur_left(cur)) {
		cur_limit(cur, declared);
		pkt->ip_missing = 0;
		return true;
	}
	/* Bytes the snaplen cut are a gap in the stream; bytes a lying
	 * length claims are not (skipping them would hide real data). */
	bool cut = pkt->cap_len < pkt->wire_len || pkt->cap_len >= ctx->cut_len;
	pkt->ip_missing = cut ? declared - cur_left(cur) : 0;
	if (pkt->cap_len >= pkt->wire_len)
		decode_note(ctx, PROTO_IPV6, REASON_BAD_LENGTH);
	return false;
}

/* Reads the hop-by-hop header if any and sets the payload bounds. */
static int parse_payload_start(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			       const struct ipv6_header *h, struct hop_by_hop *hbh)
{
	/* Length 0 with no next header is an empty packet (a Teredo bubble,
	 * RFC 4380), not a jumbogram: nothing follows that could carry a jumbo
	 * option. */
	bool jumbogram = h->payload_length == 0 && h->next_header != IPPROTO_NONE;
	if (!jumbogram)
		pkt->ip_partial = !limit_payload(ctx, pkt, cur, h->payload_length);
	else
		pkt->ip_partial = pkt->cap_len < pkt->wire_len; /* until the jumbo length is known */
	pkt->ip_len = IPV6_HEADER_BYTES + h->payload_length;
	if (h->next_header == IPPROTO_HOPOPTS &&
	    parse_hop_by_hop(ctx, pkt, cur, hbh) != DECODE_OK)
		return DECODE_STOP;
	if (!jumbogram)
		return DECODE_OK;
	/* The jumbo length counts the hop-by-hop header, already consumed. */
	if (!hbh->has_jumbo || hbh->jumbo_length < hbh->bytes)
		return decode_fail(ctx, pkt, PROTO_IPV6, REASON_BAD_LENGTH);
	pkt->ip_partial = !limit_payload(ctx, pkt, cur, hbh->jumbo_length - hbh->bytes);
	pkt->ip_len = hbh->jumbo_length <= UINT32_MAX - IPV6_HEADER_BYTES
		? IPV6_HEADER_BYTES + hbh->jumbo_length : UINT32_MAX;
	return DECODE_OK;
}

static void set_packet_fields(struct decoder_ctx *ctx, struct packet *pkt,
			      const struct ipv6_header *h)
{
	packet_fold_outer_ip(pkt);
	pkt->ip_version = 6;
	pkt->ip_proto = h->next_header;   /* the transport's, once the chain is walked */
	memcpy(pkt->src_ip, h->src, 16);
	memcpy(pkt->dst_ip, h->dst, 16);
	pkt->src_ip_str = format_ip(&ctx->arena, 6, h->src);
	pkt->dst_ip_str = format_ip(&ctx->arena, 6, h->dst);
	pkt->fragment = false;
}

/* The options both records list (the first n_listed), made once; false
 * when none can be listed. */
static bool list_options(struct decoder_ctx *ctx, struct packet *pkt, struct hop_by_hop *hbh)
{
	if (hbh->listed)
		return hbh->list != NULL;
	hbh->listed = true;
	size_t room = HBH_MAX_OPTIONS - pkt->hbh_options;
	hbh->n_listed = hbh->n_options < room ? hbh->n_options : room;
	pkt->hbh_options += (uint16_t)hbh->n_listed;
	if (hbh->n_listed < hbh->n_options)
		decode_capped(ctx, pkt, PROTO_IPV6_EXT, NULL);
	Types__IPv6HopByHopOption **options = (Types__IPv6HopByHopOption **)record_array(
		ctx, pkt, &types__ipv6_hop_by_hop_option__descriptor, hbh->n_listed);
	Types__IPv6HopByHopOptionAlignment **alignment = (Types__IPv6HopByHopOptionAlignment **)
		record_array(ctx, pkt, &types__ipv6_hop_by_hop_option_alignment__descriptor, 1);
	if (!options || !alignment)
		return false;
	struct cursor area = hbh->options;
	struct option opt;
	for (size_t i = 0; i < hbh->n_listed && ipv6_tlv_option_next(&area, &opt) == OPTION_READ; i++) {
		options[i]->optiontype = opt.type;
		options[i]->optionlength = opt.length;
		options[i]->actuallength = (int32_t)tlv_option_bytes(&opt);
		options[i]->optiondata = pb_bytes(opt.data, opt.size);
		options[i]->optionalignment = alignment[0];
	}
	hbh->list = options;
	return true;
}

/* Fills a hop-by-hop message: the IPv6 record's nested HopByHop and the
 * standalone IPv6HopByHop record hold the same. `record` is the record
 * the message belongs to (marked when the options were cut). */
static void fill_hop_by_hop(struct decoder_ctx *ctx, struct packet *pkt, Types__IPv6HopByHop *m,
			    struct hop_by_hop *hbh, void *record)
{
	m->timestamp = pkt->ts;
	RECORD_FILL_IPS(m, pkt);
	if (list_options(ctx, pkt, hbh)) {
		m->n_options = hbh->n_listed;
		m->options = hbh->list;
	}
	if (hbh->n_listed < hbh->n_options)
		record_set_truncated(record);
}

static Types__IPv6HopByHop *hop_by_hop_message(struct decoder_ctx *ctx, struct packet *pkt,
					       struct hop_by_hop *hbh, Types__IPv6 *record)
{
	Types__IPv6HopByHop *m = record_message(ctx, pkt, &types__ipv6_hop_by_hop__descriptor);
	if (m)
		fill_hop_by_hop(ctx, pkt, m, hbh, record);
	return m;
}

/* The IPv6HopByHop record, which gopacket's separate hop-by-hop layer gives
 * besides the IPv6 layer's HopByHop field. */
static void hop_by_hop_record(struct decoder_ctx *ctx, struct packet *pkt,
			      struct hop_by_hop *hbh)
{
	Types__IPv6HopByHop *r = RECORD_NEW(ctx, pkt, IPv6HopByHop, ipv6_hop_by_hop);
	if (r)
		fill_hop_by_hop(ctx, pkt, r, hbh, r);
}

static void fill_record(struct decoder_ctx *ctx, struct packet *pkt, Types__IPv6 *r,
			const struct ipv6_header *h, struct hop_by_hop *hbh,
			const struct cursor *payload)
{
	r->timestamp = pkt->ts;
	r->version = h->version;
	r->trafficclass = h->traffic_class;
	r->flowlabel = h->flow_label;
	r->length = h->payload_length;
	r->nextheader = h->next_header;
	r->hoplimit = h->hop_limit;
	RECORD_FILL_IPS(r, pkt);
	r->payloadsize = (int32_t)cur_left(payload);
	entropy_request(ctx, pkt, &r->payloadentropy, cur_here(payload), cur_left(payload));
	if (hbh->present)
		r->hopbyhop = hop_by_hop_message(ctx, pkt, hbh, r);
}

/* Reads one extension header other than a leading hop-by-hop one: its next
 * header goes to *next. Returns DECODE_OK to go on, DECODE_STOP on a fault,
 * and sets *stop where nothing after the header is decoded (a non-first
 * fragment, mobility). */
static int walk_extension(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  uint8_t *next, bool *stop)
{
	uint8_t type = *next;
	if (type == IPPROTO_AH)
		return ipsec_ah_header(ctx, pkt, cur, next);
	struct cursor ext;
	if (take_extension(ctx, pkt, cur, type, &ext) != DECODE_OK)
		return DECODE_STOP;
	struct cursor whole = ext;
	*next = cur_u8(&ext);
	cur_skip(&ext, 1);        /* length, or the fragment header's reserved byte */
	switch (type) {
	case IPPROTO_FRAGMENT: {
		/* defrag: IPv6 reassembly (lib/defrag/defrag.h). A fragment the
		 * worker's reassembler takes ends the chain here; the one that
		 * completes a datagram has had its upper layers decoded there. */
		bool cut = pkt->ip_partial;   /* before ipv6_fragment marks a first fragment */
		*stop = ipv6_fragment(ctx, pkt, whole);
		struct cursor fh = whole;
		cur_skip(&fh, 2);
		uint16_t offset_flags = cur_be16(&fh);
		struct ipv6_frag_info frag = {
			.next_header = *next, .id = cur_be32(&fh), .offset = offset_flags & 0xfff8u,
			.more = offset_flags & 1, .cut = cut,
		};
		if (cur_ok(&fh) && defrag_ipv6(ctx, pkt, &frag, cur) != DEFRAG_PASS)
			*stop = true;
		break;
	}
	case IPPROTO_HOPOPTS: {
		/* Out of place (RFC 8200 wants it first), but gopacket decodes
		 * it as a hop-by-hop layer all the same: a record too. */
		struct hop_by_hop hbh = { .present = true, .next_header = *next,
					  .options = cur_rest(&ext) };
		if (scan_hop_by_hop(ctx, pkt, &hbh) != DECODE_OK)
			return DECODE_STOP;
		hop_by_hop_record(ctx, pkt, &hbh);
		break;
	}
	case IPPROTO_DSTOPTS:
		if (options_count(ext, ipv6_tlv_option_next, NULL, NULL) != OPTION_DONE)
			return decode_fail(ctx, pkt, PROTO_IPV6_EXT, REASON_BAD_OPTION);
		break;
	case IPPROTO_ROUTING:
		ipv6_routing(ctx, whole);
		break;
	case IPPROTO_MH:
		/* RFC 6275 6.1.1: a mobility message has nothing after it. */
		*next = IPPROTO_MH;
		*stop = true;
		break;
	default:
		/* HIP, shim6, experimental: the generic format, no decoder. */
		decode_unknown(ctx, pkt, PROTO_IPV6_EXT);
		break;
	}
	return DECODE_OK;
}

/* Walks the extension headers from `next` to the transport and hands it on;
 * `walked` headers (a leading hop-by-hop one) are behind already. */
static int decode_extensions(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			     uint8_t next, unsigned walked)
{
	bool stop = false;
	while (is_extension(next) && !stop) {
		if (++walked > IPV6_MAX_EXT_HEADERS)
			return decode_fail(ctx, pkt, PROTO_IPV6_EXT, REASON_TOO_DEEP);
		if (walk_extension(ctx, pkt, cur, &next, &stop) != DECODE_OK)
			return DECODE_STOP;
	}
	pkt->ip_proto = next;
	if (stop || next == IPPROTO_NONE)
		return DECODE_OK;
	return decode_ip_protocol(ctx, pkt, next, cur);
}

int decode_ipv6(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct ipv6_header h;
	struct hop_by_hop hbh = { 0 };
	if (parse_fixed_header(ctx, pkt, cur, &h) != DECODE_OK ||
	    parse_payload_start(ctx, pkt, cur, &h, &hbh) != DECODE_OK)
		return DECODE_STOP;
	set_packet_fields(ctx, pkt, &h);

	Types__IPv6 *r = RECORD_NEW(ctx, pkt, IPv6, ipv6);
	/* The transport back-fills the ports into the innermost IP record. */
	pkt->ipv6_rec = r;
	pkt->ipv4_rec = NULL;
	if (r)
		fill_record(ctx, pkt, r, &h, &hbh, cur);
	if (hbh.present)
		hop_by_hop_record(ctx, pkt, &hbh);

	uint8_t next = hbh.present ? hbh.next_header : h.next_header;
	return decode_extensions(ctx, pkt, cur, next, hbh.present);
}
