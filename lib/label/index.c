/* index.c: the sorted alert arrays of index.h and their binary-search
 * queries. */
#include "label/index.h"

#include <stdlib.h>
#include <string.h>

/* A direction-normalised key: the lower (address, port) end first. For the
 * address array the ports and protocol take no part (set to 0, and the
 * protocol is not compared). */
struct key {
	uint8_t version;
	int proto;
	const uint8_t *lo, *hi;
	uint16_t lo_port, hi_port;
	int64_t ts;
};

static void make_key(struct key *k, uint8_t version, int proto, const uint8_t *a, uint16_t ap,
		     const uint8_t *b, uint16_t bp, int64_t ts, bool ports)
{
	k->version = version;
	k->proto = ports ? proto : 0;
	k->ts = ts;
	if (!ports)
		ap = bp = 0;
	int c = memcmp(a, b, 16);
	if (c < 0 || (c == 0 && ap <= bp)) {
		k->lo = a, k->lo_port = ap, k->hi = b, k->hi_port = bp;
	} else {
		k->lo = b, k->lo_port = bp, k->hi = a, k->hi_port = ap;
	}
}

/* The time of an alert an array is ordered by: the packet's, or (the flow
 * array) its flow's start. */
static int64_t alert_time(const struct alert *a, bool by_start)
{
	return by_start ? a->flow_start : a->ts;
}

static void alert_key(struct key *k, const struct alert *a, bool ports, bool by_start)
{
	make_key(k, a->version, a->proto, a->src, a->src_port, a->dst, a->dst_port,
		 alert_time(a, by_start), ports);
}

/* Orders keys by tuple, then time; cmp_tuple_only leaves the time out. */
static int cmp_tuple(const struct key *x, const struct key *y)
{
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	int c = memcmp(x->lo, y->lo, 16);
	if (c)
		return c;
	if (x->lo_port != y->lo_port)
		return x->lo_port < y->lo_port ? -1 : 1;
	c = memcmp(x->hi, y->hi, 16);
	if (c)
		return c;
	if (x->hi_port != y->hi_port)
		return x->hi_port < y->hi_port ? -1 : 1;
	return 0;
}

static int cmp_key(const struct key *x, const struct key *y)
{
	int c = cmp_tuple(x, y);
	if (c)
		return c;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

struct sort_ctx {
	const struct alert *alerts;
	bool ports, by_start;
};

static int cmp_alerts(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *ctx = arg;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	struct key ka, kb;
	alert_key(&ka, &ctx->alerts[ia], ctx->ports, ctx->by_start);
	alert_key(&kb, &ctx->alerts[ib], ctx->ports, ctx->by_start);
	int c = cmp_key(&ka, &kb);
	/* Equal keys keep file order: the output does not depend on qsort. */
	return c ? c : (ia < ib ? -1 : ia > ib);
}

/* By time alone; equal times keep file order, as in cmp_alerts. */
static int cmp_alert_times(const void *pa, const void *pb, void *arg)
{
	const struct alert *alerts = arg;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	int64_t ta = alerts[ia].ts, tb = alerts[ib].ts;
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

int label_index_build(struct label_index *idx, const struct alert *alerts, size_t n,
		      int64_t tolerance_ns)
{
	memset(idx, 0, sizeof *idx);
	if (n > UINT32_MAX)
		return -1;
	idx->alerts = alerts;
	idx->n = (uint32_t)n;
	idx->tolerance_ns = tolerance_ns < 0 ? LABEL_TOLERANCE_DEFAULT_NS : tolerance_ns;
	size_t m = n ? n : 1;
	idx->by_tuple = malloc(m * sizeof *idx->by_tuple);
	idx->by_addr = malloc(m * sizeof *idx->by_addr);
	idx->by_time = malloc(m * sizeof *idx->by_time);
	idx->matched = calloc(m, sizeof *idx->matched);
	uint32_t n_flow = 0;
	for (uint32_t i = 0; i < idx->n; i++)
		n_flow += alerts[i].flow_start != 0;
	idx->by_flow = malloc((n_flow ? n_flow : 1) * sizeof *idx->by_flow);
	if (!idx->by_tuple || !idx->by_addr || !idx->by_time || !idx->matched || !idx->by_flow) {
		label_index_free(idx);
		return -1;
	}
	for (uint32_t i = 0; i < idx->n; i++) {
		idx->by_tuple[i] = idx->by_addr[i] = idx->by_time[i] = i;
		if (alerts[i].flow_start)
			idx->by_flow[idx->n_flow++] = i;
	}
	struct sort_ctx tuple = { alerts, true, false }, addr = { alerts, false, false },
			flow = { alerts, true, true };
	qsort_r(idx->by_tuple, n, sizeof *idx->by_tuple, cmp_alerts, &tuple);
	qsort_r(idx->by_addr, n, sizeof *idx->by_addr, cmp_alerts, &addr);
	qsort_r(idx->by_flow, idx->n_flow, sizeof *idx->by_flow, cmp_alerts, &flow);
	qsort_r(idx->by_time, n, sizeof *idx->by_time, cmp_alert_times, (void *)alerts);
	return 0;
}

void label_index_free(struct label_index *idx)
{
	free(idx->by_tuple);
	free(idx->by_addr);
	free(idx->by_time);
	free(idx->by_flow);
	free((void *)idx->matched);
	memset(idx, 0, sizeof *idx);
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	return a < INT64_MIN + b ? INT64_MIN : a - b;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The shared search: the first entry of order[] not below (key, from),
 * then every entry of the key up to `to`, filtered by proto (address
 * array only). */
static size_t find(const struct label_index *idx, const uint32_t *order, uint32_t count,
		   bool ports, bool by_start, const struct label_query *q, label_match_fn fn,
		   void *arg, uint64_t *probes)
{
	uint64_t cost = 0;
	size_t found = 0;
	if (!count || !q->a_addr || !q->b_addr || q->t_to < q->t_from)
		goto out;
	int64_t from = sat_sub(q->t_from, idx->tolerance_ns);
	int64_t to = sat_add(q->t_to, idx->tolerance_ns);
	struct key want;
	make_key(&want, q->version, q->proto, q->a_addr, q->a_port, q->b_addr, q->b_port, from, ports);
	uint32_t lo = 0, hi = count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct key k;
		alert_key(&k, &idx->alerts[order[mid]], ports, by_start);
		cost++;
		if (cmp_key(&k, &want) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i < count; i++) {
		const struct alert *a = &idx->alerts[order[i]];
		struct key k;
		alert_key(&k, a, ports, by_start);
		cost++;
		if (cmp_tuple(&k, &want) != 0 || alert_time(a, by_start) > to)
			break;
		if (!ports && q->proto != LABEL_ANY_PROTO && a->proto != q->proto)
			continue;
		found++;
		if (fn && !fn(arg, order[i], a))
			break;
	}
out:
	if (probes)
		*probes = cost;
	return found;
}

size_t label_index_find(const struct label_index *idx, const struct label_query *q,
			label_match_fn fn, void *arg, uint64_t *probes)
{
	if (q->proto < 0 || q->proto > 255) {
		if (probes)
			*probes = 0;
		return 0;
	}
	return find(idx, idx->by_tuple, idx->n, true, false, q, fn, arg, probes);
}

size_t label_index_find_addrs(const struct label_index *idx, const struct label_query *q,
			      label_match_fn fn, void *arg, uint64_t *probes)
{
	return find(idx, idx->by_addr, idx->n, false, false, q, fn, arg, probes);
}

size_t label_index_find_flow_start(const struct label_index *idx, const struct label_query *q,
				   label_match_fn fn, void *arg, uint64_t *probes)
{
	if (q->proto < 0 || q->proto > 255) {
		if (probes)
			*probes = 0;
		return 0;
	}
	return find(idx, idx->by_flow, idx->n_flow, true, true, q, fn, arg, probes);
}

size_t label_index_find_time(const struct label_index *idx, int64_t t_from, int64_t t_to,
			     label_match_fn fn, void *arg, uint64_t *probes)
{
	uint64_t cost = 0;
	size_t found = 0;
	if (!idx->n || t_to < t_from)
		goto out;
	int64_t from = sat_sub(t_from, idx->tolerance_ns);
	int64_t to = sat_add(t_to, idx->tolerance_ns);
	uint32_t lo = 0, hi = idx->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		cost++;
		if (idx->alerts[idx->by_time[mid]].ts < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i < idx->n; i++) {
		const struct alert *a = &idx->alerts[idx->by_time[i]];
		cost++;
		if (a->ts > to)
			break;
		found++;
		if (fn && !fn(arg, idx->by_time[i], a))
			break;
	}
out:
	if (probes)
		*probes = cost;
	return found;
}

size_t label_index_count_matched(const struct label_index *idx)
{
	size_t n = 0;
	for (uint32_t i = 0; i < idx->n; i++)
		n += label_index_matched(idx, i);
	return n;
}
