/* gre.c: Generic Routing Encapsulation, IP protocol 47 (GRE record):
 * version 0 (RFC 2784, key and sequence number of RFC 2890, the routing
 * of RFC 1701) and version 1, PPTP's enhanced GRE (RFC 2637).
 *
 * The record holds the header as gopacket's GRE reads it: the flag bits
 * of the first byte as booleans (ChecksumPresent 0x80, RoutingPresent
 * 0x40, KeyPresent 0x20, SeqPresent 0x10, StrictSourceRoute 0x08),
 * RecursionControl its low 3 bits, AckPresent the top bit of the second
 * byte, Flags that byte's top 5 bits (the ack bit included), Version its
 * low 3 bits, Protocol the ethertype of the payload; Checksum and Offset
 * when C or R is set, Key, Seq, and Ack (version 1 only, after Seq as RFC
 * 2637 orders it; gopacket reads it in any version); Routing the source
 * route entries (RFC 1701) as a linked list through Next, without the
 * terminating null entry, at most GRE_MAX_SRES of them (CAPPED beyond:
 * the walk to the payload goes on, the record keeps a prefix). SrcIP and
 * DstIP are the outer IP layer's. In version 1 the Key is the payload
 * length (high 16 bits) and call id; the payload is cut to that length.
 * The checksum is recorded, not verified.
 *
 * Payload by Protocol: 0x6558 (transparent Ethernet bridging) Ethernet;
 * 0x88be ERSPAN type II (erspan.c), or type I, the bare mirrored frame,
 * when the GRE header has no sequence number (as Wireshark tells them
 * apart); 0x22eb ERSPAN type III; 0x880b PPP (PPTP) to ppp.c's decode_ppp,
 * which takes frames with and without the ff 03 address and control; any
 * other through the ethertype table (IPv4, IPv6, MPLS, ...), else an
 * unknown layer of GRE. The inner packet gives its usual records and becomes the
 * packet's innermost IP layer (packet_enter_tunnel(), as IP in IP).
 * Each GRE layer counts against PACKET_MAX_DEPTH, so GRE in GRE ends as
 * GRE/too-deep.
 *
 * Faults: fewer bytes than the flags ask for, or an SRE running past the
 * data (TRUNCATED); a version other than 0 and 1 (BAD_VERSION, no record);
 * a version-1 payload length beyond the data when the frame was not cut
 * (BAD_LENGTH, counted without stopping). */
#include "decode/decoders.h"
#include "decode/ethertype.h"

#define GRE_FLAG_CHECKSUM 0x80
#define GRE_FLAG_ROUTING 0x40
#define GRE_FLAG_KEY 0x20
#define GRE_FLAG_SEQ 0x10
#define GRE_FLAG_STRICT 0x08
#define GRE_FLAG_ACK 0x80        /* in the second byte */
#define GRE_VERSION_PPTP 1
/* Source route entries kept per record: real ones list a few hops;
 * every entry is at least 4 bytes, so a frame could hold 65,000. */
#define GRE_MAX_SRES 32

struct gre_header {
	uint8_t b0, b1, version;
	uint16_t protocol, checksum, offset;
	uint32_t key, seq, ack;
	struct cursor sres;       /* the routing entries, walked again to fill */
	uint32_t n_sres;
};

/* Walks the SREs up to the null entry; false when one runs past the data.
 * Bounded by the data: each entry takes at least 4 bytes. */
static bool walk_sres(struct cursor *cur, uint32_t *n)
{
	*n = 0;
	for (;;) {
		uint16_t family = cur_be16(cur);
		cur_u8(cur);
		uint8_t length = cur_u8(cur);
		if (!cur_ok(cur))
			return false;
		if (family == 0 && length == 0)
			return true;
		if (!cur_skip(cur, length))
			return false;
		(*n)++;
	}
}

static int parse_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			struct gre_header *h)
{
	h->b0 = cur_u8(cur);
	h->b1 = cur_u8(cur);
	h->protocol = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_GRE, REASON_TRUNCATED);
	h->version = h->b1 & 7;
	if (h->version > GRE_VERSION_PPTP)
		return decode_fail(ctx, pkt, PROTO_GRE, REASON_BAD_VERSION);
	if (h->b0 & (GRE_FLAG_CHECKSUM | GRE_FLAG_ROUTING)) {
		h->checksum = cur_be16(cur);
		h->offset = cur_be16(cur);
	}
	if (h->b0 & GRE_FLAG_KEY)
		h->key = cur_be32(cur);
	if (h->b0 & GRE_FLAG_SEQ)
		h->seq = cur_be32(cur);
	if (h->version == GRE_VERSION_PPTP && (h->b1 & GRE_FLAG_ACK))
		h->ack = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_GRE, REASON_TRUNCATED);
	h->sres = cur_make(cur_here(cur), 0);
	h->n_sres = 0;
	if (h->version == 0 && (h->b0 & GRE_FLAG_ROUTING)) {
		uint32_t start = cur_pos(cur);
		if (!walk_sres(cur, &h->n_sres))
			return decode_fail(ctx, pkt, PROTO_GRE, REASON_TRUNCATED);
		h->sres = cur_make(cur->data + start, cur_pos(cur) - start);
	}
	return DECODE_OK;
}

static void fill_routing(struct decoder_ctx *ctx, struct packet *pkt, Types__GRE *r,
			 const struct gre_header *h)
{
	uint32_t n = h->n_sres < GRE_MAX_SRES ? h->n_sres : GRE_MAX_SRES;
	if (h->n_sres > GRE_MAX_SRES)
		decode_capped(ctx, pkt, PROTO_GRE, r);
	Types__GRERouting **sre = (Types__GRERouting **)record_array(ctx, pkt, &types__grerouting__descriptor, n);
	if (!sre)
		return;
	struct cursor c = h->sres;
	for (uint32_t i = 0; i < n; i++) {
		sre[i]->addressfamily = cur_be16(&c);
		sre[i]->sreoffset = cur_u8(&c);
		sre[i]->srelength = cur_u8(&c);
		sre[i]->routinginformation = pb_bytes(cur_bytes(&c, (uint32_t)sre[i]->srelength),
						      (uint32_t)sre[i]->srelength);
		sre[i]->next = i + 1 < n ? sre[i + 1] : NULL;
	}
	r->routing = sre[0];
}

static void fill_record(struct decoder_ctx *ctx, struct packet *pkt, Types__GRE *r,
			const struct gre_header *h)
{
	r->timestamp = pkt->ts;
	r->checksumpresent = (h->b0 & GRE_FLAG_CHECKSUM) != 0;
	r->routingpresent = (h->b0 & GRE_FLAG_ROUTING) != 0;
	r->keypresent = (h->b0 & GRE_FLAG_KEY) != 0;
	r->seqpresent = (h->b0 & GRE_FLAG_SEQ) != 0;
	r->strictsourceroute = (h->b0 & GRE_FLAG_STRICT) != 0;
	r->ackpresent = (h->b1 & GRE_FLAG_ACK) != 0;
	r->recursioncontrol = h->b0 & 7;
	r->flags = h->b1 >> 3;
	r->version = h->version;
	r->protocol = h->protocol;
	r->checksum = h->checksum;
	r->offset = h->offset;
	r->key = h->key;
	r->seq = h->seq;
	r->ack = h->ack;
	RECORD_FILL_IPS(r, pkt);
	fill_routing(ctx, pkt, r, h);
}

int decode_gre(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct gre_header h = { 0 };
	if (parse_header(ctx, pkt, cur, &h) != DECODE_OK)
		return DECODE_STOP;
	/* PPTP: the key's high half is the payload length. */
	if (h.version == GRE_VERSION_PPTP && (h.b0 & GRE_FLAG_KEY)) {
		uint32_t length = h.key >> 16;
		if (length <= cur_left(cur))
			cur_limit(cur, length);
		else if (!pkt->ip_partial)
			decode_note(ctx, PROTO_GRE, REASON_BAD_LENGTH);
	}

	Types__GRE *r = RECORD_NEW(ctx, pkt, GRE, gre);
	if (r)
		fill_record(ctx, pkt, r, &h);

	/* A PPTP acknowledgement or a keepalive carries no packet. */
	if (cur_left(cur) == 0)
		return DECODE_OK;
	packet_enter_tunnel(pkt);
	packet_fold_tunnel(pkt, (uint64_t)PROTO_GRE << 32 | h.key); /* 0 without a key */
	switch (h.protocol) {
	case ETHERTYPE_TEB:
		return decode_next(ctx, pkt, decode_ethernet, cur, PROTO_GRE);
	case ETHERTYPE_ERSPAN_II:
		/* Type I has no header of its own and no GRE sequence number. */
		if (!(h.b0 & GRE_FLAG_SEQ))
			return decode_next(ctx, pkt, decode_ethernet, cur, PROTO_GRE);
		return decode_next(ctx, pkt, decode_erspan, cur, PROTO_GRE);
	case ETHERTYPE_ERSPAN_III:
		return decode_next(ctx, pkt, decode_erspan, cur, PROTO_GRE);
	case ETHERTYPE_PPP:
		/* With or without the ff 03 address and control (ACFC). */
		return decode_next(ctx, pkt, decode_ppp, cur, PROTO_GRE);
	default:
		return decode_ethertype_from(ctx, pkt, h.protocol, cur, PROTO_GRE);
	}
}
