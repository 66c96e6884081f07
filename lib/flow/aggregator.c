/* aggregator.c: the one aggregator of LinkFlow, NetworkFlow and
 * TransportFlow (flows.h; docs/flows.md, "Determinism across workers").
 *
 * Those records count MAC, IP and port pairs, which span workers (the
 * dispatcher spreads connections, not pairs). So each worker sums its share
 * per key and window (flows.c) and hands it over as a struct flow_partial;
 * the aggregator adds the shares up in one table and writes each key and
 * window as one record when it is due. The sums commute (counts, bytes,
 * earliest first packet, latest last), so the records do not depend on the
 * number of workers or on the order the shares arrive in. */
#include <stdlib.h>
#include <string.h>

#include "flow/flows.h"
#include "flow/internal.h"

struct flow_aggregator {
	struct flow_settings s;
	flow_emit_fn emit;
	void *ctx;
	struct flow_table *sums;    /* key: family, the share's key, window start */
};

/* Writes one key and window's sums as its family's record. */
static void aggregate_write(void *ctx, struct flow_node *n, enum flow_end why)
{
	(void)why;
	struct flow_aggregator *a = ctx;
	const struct flow_partial *p = &((struct aggregate *)n)->sum;
	uint8_t len = (uint8_t)((p->key_len - 1) / 2);
	const uint8_t *lo = p->key + 1, *hi = p->key + 1 + len;
	uint64_t uid = uid_of(n->key, n->key_len, p->window_start);
	char s1[64] = "", s2[64] = "";
	switch (p->family) {
	case FAMILY_LINK: {
		Types__LinkFlow r = TYPES__LINK_FLOW__INIT;
		format_mac_into(s1, lo);
		format_mac_into(s2, hi);
		r.timestampfirst = p->first, r.timestamplast = p->last, r.duration = p->last - p->first;
		r.proto = (char *)"Ethernet", r.srcmac = s1, r.dstmac = s2;
		r.size = (int64_t)p->bytes, r.numpackets = (int64_t)p->packets, r.uid = uid;
		a->emit(a->ctx, TYPES__TYPE__NC_LinkFlow, &r.base);
		break;
	}
	case FAMILY_NETWORK: {
		Types__NetworkFlow r = TYPES__NETWORK_FLOW__INIT;
		format_addr(s1, sizeof s1, p->key[0], lo);
		format_addr(s2, sizeof s2, p->key[0], hi);
		r.timestampfirst = p->first, r.timestamplast = p->last, r.duration = p->last - p->first;
		r.proto = (char *)network_name(p->key[0]), r.srcip = s1, r.dstip = s2;
		r.size = (int64_t)p->bytes, r.numpackets = (int64_t)p->packets, r.uid = uid;
		a->emit(a->ctx, TYPES__TYPE__NC_NetworkFlow, &r.base);
		break;
	}
	default: {
		Types__TransportFlow r = TYPES__TRANSPORT_FLOW__INIT;
		r.timestampfirst = p->first, r.timestamplast = p->last, r.duration = p->last - p->first;
		r.proto = (char *)transport_name(p->key[0]);
		r.srcport = lo[0] << 8 | lo[1], r.dstport = hi[0] << 8 | hi[1];
		r.size = (int64_t)p->bytes, r.numpackets = (int64_t)p->packets, r.uid = uid;
		a->emit(a->ctx, TYPES__TYPE__NC_TransportFlow, &r.base);
		break;
	}
	}
}

struct flow_aggregator *flow_aggregator_create(uint32_t capacity, const struct flow_settings *s,
					       flow_emit_fn emit, void *ctx)
{
	struct flow_aggregator *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->s = *s;
	a->emit = emit;
	a->ctx = ctx;
	a->sums = flow_table_create(capacity, sizeof(struct aggregate), FLOW_TICK_NS, aggregate_write, a);
	if (!a->sums) {
		free(a);
		return NULL;
	}
	return a;
}

void flow_aggregator_free(struct flow_aggregator *a)
{
	if (!a)
		return;
	flow_table_free(a->sums);
	free(a);
}

void flow_aggregator_add(struct flow_aggregator *a, const struct flow_partial *p)
{
	uint8_t key[FLOW_KEY_MAX];
	key[0] = p->family;
	memcpy(key + 1, p->key, p->key_len);
	memcpy(key + 1 + p->key_len, &p->window_start, sizeof p->window_start);
	uint8_t key_len = (uint8_t)(1 + p->key_len + sizeof p->window_start);
	/* The worker's keyed hash of (key, window) under its family's own
	 * key: the families cannot be made to collide with one another either. */
	uint32_t hash = p->hash;
	struct aggregate *g = (struct aggregate *)flow_table_find(a->sums, key, key_len, hash);
	if (!g) {
		/* Due when the window ends: advance() only passes a watermark
		 * every worker has reached, so all shares are in by then. */
		g = (struct aggregate *)flow_table_insert(a->sums, key, key_len, hash, p->window_start + a->s.window);
		if (!g)
			return;
		g->sum = *p;
		return;
	}
	if (p->first < g->sum.first)
		g->sum.first = p->first;
	if (p->last > g->sum.last)
		g->sum.last = p->last;
	g->sum.bytes += p->bytes;
	g->sum.packets += p->packets;
}

void flow_aggregator_stats(const struct flow_aggregator *a, struct flow_table_stats *out)
{
	flow_table_stats(a->sums, out);
}

void flow_aggregator_advance(struct flow_aggregator *a, int64_t watermark)
{
	flow_table_advance(a->sums, watermark);
}

void flow_aggregator_flush(struct flow_aggregator *a)
{
	flow_table_flush(a->sums);
}
