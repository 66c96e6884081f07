/* ipv4.c: IPv4 headers with options (IPv4 record), RFC 791.
 *
 * Fields follow gopacket's IPv4: IHL in 32-bit words, Flags the top 3 bits
 * of the flags/fragment word (4 = evil bit, 2 = DF, 1 = MF), FragOffset the
 * low 13 bits as they stand (not times 8). Options are listed up to and
 * including an end-of-list option; the bytes after it are Padding. (gopacket
 * means the same, but its unlabeled `break` then goes on parsing the padding
 * as more options; we stop at the end of the list, as its TCP decoder does.)
 * PayloadSize and PayloadEntropy cover the payload actually captured, cut to
 * the total length, so Ethernet padding does not count.
 *
 * Faults, as Suricata's decode-ipv4.c: a header that is not all captured
 * (TRUNCATED), a version other than 4, an IHL below 5, a total length below
 * the header length, a malformed option. A total length beyond the captured
 * data is not a fault: the payload is what was captured, as tcpdump and
 * tshark show it; when the frame was not cut by the snaplen the length lies,
 * and that is counted (decode_note) without stopping.
 *
 * A total length of 0 is TCP segmentation offload (a host capture before
 * the NIC segments): the captured data is the datagram, as gopacket and
 * tshark take it; Length is then the captured length, as gopacket sets it
 * (which holds it in 16 bits; here it is the whole length, up to the
 * 262,144 bytes a pcap frame may have, as Linux's BIG TCP segments do).
 *
 * A fragment goes to the worker's reassembler when there is one
 * (ctx->defrag, lib/defrag/defrag.h): it keeps its IPv4 record and stops
 * there; the fragment that completes the datagram also carries the
 * datagram's transport and application records (docs/decoding.md,
 * "Defragmentation"). Without a reassembler, or for a fragment not all
 * captured: a non-first fragment (offset > 0) carries no transport header:
 * it sets pkt->fragment and stops. A first fragment with more to come is
 * decoded on into its transport header, which may be cut at the fragment's
 * end (gopacket decodes no transport in any fragment). */
#include "decode/decoders.h"
#include "decode/options.h"
#include "defrag/defrag.h"

#define IPV4_MIN_HEADER 20
#define IPV4_FLAG_MORE_FRAGMENTS 0x1

struct ipv4_header {
	uint8_t version, ihl, tos, ttl, protocol, flags;
	uint32_t total_length;    /* 16 bits, but TSO's 0 becomes the captured length */
	uint16_t id, frag_offset, checksum;
	uint8_t src[4], dst[4];
	struct cursor options;    /* the option bytes, walked again to fill */
	size_t n_options;
	ProtobufCBinaryData padding;
};

/* Reads and checks the header, options included, leaving the cursor at the
 * payload. Nothing is recorded unless the whole header is sound. */
static int parse_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			struct ipv4_header *h)
{
	uint8_t version_ihl = cur_u8(cur);
	h->tos = cur_u8(cur);
	h->total_length = cur_be16(cur);
	h->id = cur_be16(cur);
	uint16_t flags_fragment = cur_be16(cur);
	h->ttl = cur_u8(cur);
	h->protocol = cur_u8(cur);
	h->checksum = cur_be16(cur);
	cur_copy(cur, h->src, 4);
	cur_copy(cur, h->dst, 4);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IPV4, REASON_TRUNCATED);

	h->version = version_ihl >> 4;
	h->ihl = version_ihl & 0x0f;
	h->flags = flags_fragment >> 13;
	h->frag_offset = flags_fragment & 0x1fff;
	if (h->version != 4)
		return decode_fail(ctx, pkt, PROTO_IPV4, REASON_BAD_VERSION);
	if (h->ihl * 4 < IPV4_MIN_HEADER)
		return decode_fail(ctx, pkt, PROTO_IPV4, REASON_BAD_HEADER_LENGTH);
	if (h->total_length == 0) {
		/* TCP segmentation offload: the host captured the segment before
		 * the NIC split it and filled in lengths. gopacket (so netcap)
		 * and tshark take the captured data as the datagram; so do we,
		 * and count it. */
		decode_note(ctx, PROTO_IPV4, REASON_BAD_LENGTH);
		h->total_length = cur_left(cur) + IPV4_MIN_HEADER;
	}
	if (h->total_length < h->ihl * 4)
		return decode_fail(ctx, pkt, PROTO_IPV4, REASON_BAD_LENGTH);

	uint32_t option_bytes = h->ihl * 4u - IPV4_MIN_HEADER;
	if (option_bytes > cur_left(cur))
		return decode_fail(ctx, pkt, PROTO_IPV4, REASON_TRUNCATED);
	h->options = cur_sub(cur, option_bytes);
	if (!kl_options_scan(h->options, &h->n_options, &h->padding))
		return decode_fail(ctx, pkt, PROTO_IPV4, REASON_BAD_OPTION);
	return DECODE_OK;
}

/* Cuts the cursor to the total length (trailing link padding goes) and tells
 * whether the payload is whole; a total length beyond a frame that the
 * snaplen did not cut is a lie worth counting. */
static bool limit_payload(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			  const struct ipv4_header *h)
{
	uint32_t declared = h->total_length - h->ihl * 4u;
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
		decode_note(ctx, PROTO_IPV4, REASON_BAD_LENGTH);
	return false;
}

static void set_packet_fields(struct decoder_ctx *ctx, struct packet *pkt,
			      const struct ipv4_header *h, bool payload_whole)
{
	bool more_fragments = h->flags & IPV4_FLAG_MORE_FRAGMENTS;
	packet_fold_outer_ip(pkt);
	pkt->ip_version = 4;
	pkt->ip_proto = h->protocol;
	memset(pkt->src_ip, 0, sizeof pkt->src_ip);
	memset(pkt->dst_ip, 0, sizeof pkt->dst_ip);
	memcpy(pkt->src_ip, h->src, 4);
	memcpy(pkt->dst_ip, h->dst, 4);
	pkt->src_ip_str = format_ip(&ctx->arena, 4, h->src);
	pkt->dst_ip_str = format_ip(&ctx->arena, 4, h->dst);
	pkt->ip_len = h->total_length;
	pkt->fragment = h->frag_offset > 0;
	/* A first fragment holds only the start of the transport segment. */
	pkt->ip_partial = !payload_whole || more_fragments;
}

static void fill_options(struct decoder_ctx *ctx, struct packet *pkt, Types__IPv4 *r,
			 const struct ipv4_header *h)
{
	void **options = kl_options_records(ctx, pkt, &types__ipv4_option__descriptor, h->options, h->n_options);
	if (!options)
		return;
	r->n_options = h->n_options;
	r->options = (Types__IPv4Option **)options;
}

static void fill_record(struct decoder_ctx *ctx, struct packet *pkt, Types__IPv4 *r,
			const struct ipv4_header *h, const struct cursor *payload)
{
	r->timestamp = pkt->ts;
	r->version = h->version;
	r->ihl = h->ihl;
	r->tos = h->tos;
	r->length = (int32_t)h->total_length;
	r->id = h->id;
	r->flags = h->flags;
	r->fragoffset = h->frag_offset;
	r->ttl = h->ttl;
	r->protocol = h->protocol;
	r->checksum = h->checksum;
	RECORD_FILL_IPS(r, pkt);
	r->padding = h->padding;
	fill_options(ctx, pkt, r, h);
	r->payloadsize = (int32_t)cur_left(payload);
	entropy_request(ctx, pkt, &r->payloadentropy, cur_here(payload), cur_left(payload));
}

int decode_ipv4(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	const uint8_t *header = cur_here(cur);
	struct ipv4_header h;
	if (parse_header(ctx, pkt, cur, &h) != DECODE_OK)
		return DECODE_STOP;
	bool payload_whole = limit_payload(ctx, pkt, cur, &h);
	set_packet_fields(ctx, pkt, &h, payload_whole);

	Types__IPv4 *r = RECORD_NEW(ctx, pkt, IPv4, ipv4);
	/* The transport back-fills the ports into the innermost IP record. */
	pkt->ipv4_rec = r;
	pkt->ipv6_rec = NULL;
	if (r)
		fill_record(ctx, pkt, r, &h, cur);

	bool more_fragments = h.flags & IPV4_FLAG_MORE_FRAGMENTS;
	if (pkt->fragment || more_fragments) {
		struct ipv4_frag_info frag = {
			.header = header, .header_len = h.ihl * 4u, .proto = h.protocol, .id = h.id,
			.offset = h.frag_offset * 8u, .more = more_fragments, .cut = !payload_whole,
		};
		if (defrag_ipv4(ctx, pkt, &frag, cur) != DEFRAG_PASS)
			return DECODE_OK;
	}
	if (pkt->fragment)
		return DECODE_OK;
	return decode_ip_protocol(ctx, pkt, h.protocol, cur);
}
