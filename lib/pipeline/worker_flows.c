/* worker_flows.c: where the worker meets lib/flow, and the aggregator role.
 *
 * A worker's flow tables (lib/flow/flows.h) call back here: a flow record
 * that expires goes into the worker's chunks like any other record, and a
 * worker's share of a LinkFlow, NetworkFlow or TransportFlow aggregate goes
 * to the one aggregator, directly when there is one worker, else through
 * the partial-sums pool and ring. The aggregator role (on worker 0's
 * lcore) sums the shares; live, it closes windows at the watermark, the
 * flow clock of the slowest worker. It finishes after every worker has
 * handed in its last shares. */
#include <string.h>

#include <rte_pause.h>

#include "pipeline/pipeline.h"
#include "pipeline/roles.h"

/* Flow records expire inside flows_*() and the aggregator: they come back
 * here. */
void worker_flow_emit(void *ctx, int type, const ProtobufCMessage *msg)
{
	struct worker_state *ws = ctx;
	if (record_set_has(&eng.enabled, type))
		emit_record(ws->lc, ws, type, msg);
}

/* A worker's share of an aggregate goes to the aggregator: directly when
 * there is one worker, else over a ring. */
void worker_flow_partial(void *ctx, const struct flow_partial *p)
{
	struct worker_state *ws = ctx;
	struct lcore_conf *lc = ws->lc;
	if (!eng.partial_ring) {
		flow_aggregator_add(eng.aggregator, p);
		return;
	}
	void *obj;
	enum lcore_stage was = lc->stats.stage;
	while (rte_mempool_get(eng.partial_pool, &obj) != 0) {
		lcore_wait(lc);
		lc->stats.partial_waits++;
		if (lc->aggregator)
			aggregator_step(lc);
		service_compressor(lc);
		rte_pause();
	}
	memcpy(obj, p, sizeof *p);
	while (rte_ring_mp_enqueue(eng.partial_ring, obj) != 0) {
		lcore_wait(lc);
		if (lc->aggregator)
			aggregator_step(lc);
		rte_pause();
	}
	lcore_wait_done(lc, was);
}

/* The flow clock of the slowest worker: live, windows close by it. */
static int64_t watermark(void)
{
	int64_t w = INT64_MAX;
	for (unsigned i = 0; i < eng.n_workers; i++) {
		int64_t t = atomic_load_explicit(&eng.worker_time[i].t, memory_order_acquire);
		if (t < w)
			w = t;
	}
	return w;
}

unsigned aggregator_step(struct lcore_conf *lc)
{
	void *objs[32];
	unsigned n = rte_ring_sc_dequeue_burst(eng.partial_ring, objs, 32, NULL);
	int64_t w = eng.live ? watermark() : INT64_MAX;
	/* Timed when there is work: shares to add, or (live) a watermark
	 * that moved, which may close windows. A poll is idle time. */
	bool timed = n || (w != INT64_MAX && w != lc->last_watermark);
	enum lcore_stage was = lc->stats.stage;
	if (timed)
		lcore_stage_enter(lc, STAGE_AGGREGATE);
	for (unsigned i = 0; i < n; i++)
		flow_aggregator_add(eng.aggregator, objs[i]);
	if (n)
		rte_mempool_put_bulk(eng.partial_pool, objs, n);
	if (w != INT64_MAX) {
		lc->last_watermark = w;
		flow_aggregator_advance(eng.aggregator, w);
	}
	if (timed)
		lcore_stage_enter(lc, was);
	return n;
}

/* The aggregator finishes after every worker has handed in its shares. */
void maybe_finish_aggregator(struct lcore_conf *lc)
{
	if (atomic_load_explicit(&eng.flow_workers_active, memory_order_acquire) != 0)
		return;
	while (aggregator_step(lc))
		;
	enum lcore_stage was = lc->stats.stage;
	lcore_stage_enter(lc, STAGE_AGGREGATE);
	flow_aggregator_flush(eng.aggregator);
	lcore_stage_enter(lc, was);
	flush_chunks(lc);
	lc->aggregator_finished = true;
	atomic_fetch_sub_explicit(&eng.workers_active, 1, memory_order_release);
}
