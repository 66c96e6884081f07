/* tcp.c: TCP headers with options (TCP record), RFC 9293.
 *
 * Fields follow gopacket's TCP: DataOffset in 32-bit words, NS the low bit
 * of the data offset byte, the other eight flags from the flags byte.
 * Options are listed up to and including an end-of-list option (kind 0,
 * length 1; a no-op is kind 1, length 1); Padding is the bytes after it up to
 * DataOffset*4. PayloadSize and PayloadEntropy cover the segment's payload
 * as captured within the IP length; with --payload (ctx->payload) Payload
 * holds those bytes, up to PAYLOAD_MAX (record_payload(): a longer one is
 * cut, counted as TCP/capped, the record marked Truncated). SrcIP and DstIP
 * are the IP layer's strings.
 *
 * Faults, as Suricata's decode-tcp.c: fewer than 20 header bytes, a data
 * offset below 5, a data offset beyond the segment (TRUNCATED when the IP
 * payload was cut short, by the snaplen or a fragment boundary, else
 * BAD_HEADER_LENGTH: the offset lies), an option of length 0 or 1 or running
 * past the header. Option contents (MSS of 4 bytes, ...) are not checked, as
 * in gopacket. */
#include "decode/decoders.h"
#include "decode/options.h"
#include "stream/app.h"

#define TCP_MIN_HEADER 20
#define TCP_NS_BIT 0x01

struct tcp_header {
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t data_offset, flags;
	bool ns;
	uint16_t window, checksum, urgent;
	struct cursor options;    /* the option bytes, walked again to fill */
	size_t n_options;
	ProtobufCBinaryData padding;
};

/* Reads and checks the header, options included, leaving the cursor at the
 * payload. */
static int parse_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			struct tcp_header *h)
{
	h->src_port = cur_be16(cur);
	h->dst_port = cur_be16(cur);
	h->seq = cur_be32(cur);
	h->ack = cur_be32(cur);
	uint8_t offset_ns = cur_u8(cur);
	h->flags = cur_u8(cur);
	h->window = cur_be16(cur);
	h->checksum = cur_be16(cur);
	h->urgent = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_TCP, REASON_TRUNCATED);

	h->data_offset = offset_ns >> 4;
	h->ns = offset_ns & TCP_NS_BIT;
	if (h->data_offset * 4 < TCP_MIN_HEADER)
		return decode_fail(ctx, pkt, PROTO_TCP, REASON_BAD_HEADER_LENGTH);
	uint32_t option_bytes = h->data_offset * 4u - TCP_MIN_HEADER;
	if (option_bytes > cur_left(cur))
		return decode_fail(ctx, pkt, PROTO_TCP,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_HEADER_LENGTH);
	h->options = cur_sub(cur, option_bytes);
	if (!kl_options_scan(h->options, &h->n_options, &h->padding))
		return decode_fail(ctx, pkt, PROTO_TCP, REASON_BAD_OPTION);
	return DECODE_OK;
}

static void fill_options(struct decoder_ctx *ctx, struct packet *pkt, Types__TCP *r,
			 const struct tcp_header *h)
{
	void **options = kl_options_records(ctx, pkt, &types__tcpoption__descriptor, h->options, h->n_options);
	if (!options)
		return;
	r->n_options = h->n_options;
	r->options = (Types__TCPOption **)options;
}

static void fill_record(struct decoder_ctx *ctx, struct packet *pkt, Types__TCP *r,
			const struct tcp_header *h, const struct cursor *payload)
{
	r->timestamp = pkt->ts;
	r->srcport = h->src_port;
	r->dstport = h->dst_port;
	r->seqnum = h->seq;
	r->acknum = h->ack;
	r->dataoffset = h->data_offset;
	r->fin = (h->flags & 0x01) != 0;
	r->syn = (h->flags & 0x02) != 0;
	r->rst = (h->flags & 0x04) != 0;
	r->psh = (h->flags & 0x08) != 0;
	r->ack = (h->flags & 0x10) != 0;
	r->urg = (h->flags & 0x20) != 0;
	r->ece = (h->flags & 0x40) != 0;
	r->cwr = (h->flags & 0x80) != 0;
	r->ns = h->ns;
	r->window = h->window;
	r->checksum = h->checksum;
	r->urgent = h->urgent;
	r->padding = h->padding;
	fill_options(ctx, pkt, r, h);
	r->payloadsize = (int32_t)cur_left(payload);
	entropy_request(ctx, pkt, &r->payloadentropy, cur_here(payload), cur_left(payload));
	r->payload = record_payload(ctx, pkt, PROTO_TCP, r, payload);
	RECORD_FILL_IPS(r, pkt);
}

int decode_tcp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct tcp_header h;
	if (parse_header(ctx, pkt, cur, &h) != DECODE_OK)
		return DECODE_STOP;

	packet_set_ports(pkt, h.src_port, h.dst_port);
	pkt->tcp_flags = h.flags;
	pkt->tcp_ns = h.ns;
	pkt->tcp_window = h.window;
	pkt->app_len = cur_left(cur);

	Types__TCP *r = RECORD_NEW(ctx, pkt, TCP, tcp);
	if (r)
		fill_record(ctx, pkt, r, &h, cur);
	/* Reassembly (lib/stream) for the application layer: HTTP, TLS, DNS
	 * over TCP. */
	if (ctx->streams)
		app_tcp_segment(ctx, pkt, h.seq, h.ack, h.flags, cur);
	return decode_app(ctx, pkt, cur);
}
