/* defrag_decode.c: the decoders' side of defragmentation (defrag.h):
 * defrag_ipv4 and defrag_ipv6 hand a fragment to the worker's reassembler,
 * and decode a completed datagram's payload once, in the packet of the
 * fragment that completed it.
 *
 * The fragment's own IP record is made by the IP decoder as without
 * defragmentation (one IPv4 or IPv6 record per fragment); the datagram
 * gets no second IP record, only its upper layers: the transport decoders
 * run on the reassembled payload with the fragment's addresses, as if the
 * datagram had come whole. The ports they find are not back-filled into
 * the last fragment's IP record (that fragment carried none).
 *
 * Flows: pkt->defrag_held and pkt->reassembled (decode.h) tell the flow
 * tables to skip a fragment taken and to key the completed datagram on its
 * own 5-tuple (flows.c). */
#include "decode/decoders.h"
#include "defrag/defrag.h"

static uint32_t frame_bytes(const struct packet *pkt)
{
	return pkt->wire_len > pkt->cap_len ? pkt->wire_len : pkt->cap_len;
}

/* Whether the fragment can go to the reassembler: not one inside a
 * datagram reassembled already (IP in IP, both fragmented): completing it
 * would overwrite the buffer the outer datagram's records point into. */
static bool can_take(struct decoder_ctx *ctx, const struct packet *pkt)
{
	if (!pkt->reassembled)
		return true;
	decode_note(ctx, PROTO_DEFRAG, REASON_TOO_DEEP);
	return false;
}

/* Adds the fragment; on completion decodes the datagram's payload. */
static int take(struct decoder_ctx *ctx, struct packet *pkt, struct defrag_fragment *f,
		const struct cursor *payload)
{
	uint64_t *events = ctx->stats.events[PROTO_DEFRAG];
	f->data = cur_here(payload);
	f->len = cur_left(payload);
	f->frame_bytes = frame_bytes(pkt);
	f->ts = pkt->ts;
	struct defrag_datagram dg;
	pkt->defrag_held = true;
	if (defrag_add(ctx->defrag, f, events, &dg) != DEFRAG_COMPLETE)
		return DEFRAG_TAKEN;

	pkt->reassembled = dg.packet;
	pkt->reassembled_len = dg.packet_len;
	pkt->reassembled_wire = dg.frame_bytes;
	pkt->fragment = false;
	pkt->ip_partial = false;
	pkt->ip_len = dg.packet_len;
	pkt->ip_proto = dg.proto;
	/* The fragment's IP record keeps what the fragment carried. */
	pkt->ipv4_rec = NULL;
	pkt->ipv6_rec = NULL;
	/* Record space for the datagram's layers by its size, as if it had
	 * come whole (decode.h, struct arena), not by the last fragment's. */
	struct arena *a = &ctx->arena;
	if (a->bulk_end) {
		size_t limit = a->cap - a->reserve;
		size_t grown = a->bulk_end + (size_t)ARENA_BULK_PER_BYTE * dg.payload_len;
		a->bulk_end = grown < limit ? grown : limit;
	}
	struct cursor datagram = cur_make(dg.payload, dg.payload_len);
	decode_ip_protocol(ctx, pkt, dg.proto, &datagram);
	return DEFRAG_DECODED;
}

int defrag_ipv4(struct decoder_ctx *ctx, struct packet *pkt, const struct ipv4_frag_info *info,
		const struct cursor *payload)
{
	if (!ctx->defrag)
		return DEFRAG_PASS;
	if (info->cut) {
		decode_note(ctx, PROTO_DEFRAG, REASON_TRUNCATED);
		return DEFRAG_PASS;
	}
	if (!can_take(ctx, pkt))
		return DEFRAG_PASS;
	struct defrag_fragment f = {
		.version = 4, .proto = info->proto,
		.src = pkt->src_ip, .dst = pkt->dst_ip,
		.id = info->id, .tunnel = pkt->tunnel, .offset = info->offset, .more = info->more,
		.header = info->header, .header_len = info->header_len,
	};
	return take(ctx, pkt, &f, payload);
}

int defrag_ipv6(struct decoder_ctx *ctx, struct packet *pkt, const struct ipv6_frag_info *info,
		const struct cursor *payload)
{
	if (!ctx->defrag)
		return DEFRAG_PASS;
	if (info->offset == 0 && !info->more) {
		/* RFC 6946: an atomic fragment is a whole datagram. */
		decode_note(ctx, PROTO_DEFRAG, REASON_ATOMIC_FRAGMENT);
		return DEFRAG_PASS;
	}
	if (info->cut) {
		decode_note(ctx, PROTO_DEFRAG, REASON_TRUNCATED);
		return DEFRAG_PASS;
	}
	if (!can_take(ctx, pkt))
		return DEFRAG_PASS;
	/* The datagram's header: the packet's fixed header, or one made of
	 * its addresses (ipv6.c's chain walk has the addresses at hand). */
	uint8_t made[40] = { 0x60 };
	const uint8_t *header = info->header;
	if (!header) {
		memcpy(made + 8, pkt->src_ip, 16);
		memcpy(made + 24, pkt->dst_ip, 16);
		header = made;
	}
	struct defrag_fragment f = {
		.version = 6, .proto = info->next_header,
		.src = header + 8, .dst = header + 24,
		.id = info->id, .tunnel = pkt->tunnel, .offset = info->offset, .more = info->more,
		.header = header, .header_len = 40,
	};
	return take(ctx, pkt, &f, payload);
}
