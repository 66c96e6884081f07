/* lcore.c: the loop every lcore runs.
 *
 * Like DPDK's l3fwd, one tight loop per lcore; here it visits the roles the
 * lcore was given in turn (roles.h): RX (rx.c), worker (worker.c), the flow
 * aggregator (worker_flows.c) and compressor (compressor.c). A role that
 * has nothing to do checks whether it is finished; the lcore returns when
 * all of its roles are. Waiting for a full ring or an empty pool runs this
 * lcore's other roles, so lcores that share roles never deadlock.
 *
 * End of input travels as counters: RX lcores finish when every queue has
 * delivered the packets its file holds (or on SIGINT), then decrement
 * rx_active; workers finish when their input is drained, send their
 * partial chunks, then decrement workers_active; compressors finish when no
 * worker is active and their ring is empty. */
#include <sched.h>
#include <unistd.h>

#include <rte_pause.h>

#include "pipeline/pipeline.h"
#include "pipeline/roles.h"

static void idle_backoff(unsigned *idle)
{
	/* Lcores may share a CPU (tests, small machines): after a short
	 * spin, give the CPU away instead of burning it. */
	++*idle;
	if (*idle < 64)
		rte_pause();
	else if (*idle < 2048)
		sched_yield();
	else
		usleep(50);
}

int lcore_main(void *arg)
{
	(void)arg;
	struct lcore_conf *lc = &eng.lc[rte_lcore_id()];
	if (!lc->active)
		return 0;
	/* The loop itself is STAGE_IDLE: each role's step enters its own
	 * stage while it works (pipeline.h, enum lcore_stage). */
	lc->stats.stage = STAGE_IDLE;
	lc->stats.stage_since = rte_rdtsc();
	unsigned idle = 0;
	for (;;) {
		unsigned work = 0;
		if (lc->n_rxq && !lc->rx_finished)
			work += rx_step(lc);
		if (lc->worker >= 0 && !lc->worker_finished) {
			work += worker_step(lc);
			if (eng.live)
				live_tick(lc, lc->ws);
			if (!work)
				maybe_finish_worker(lc);
		}
		if (lc->aggregator && !lc->aggregator_finished) {
			unsigned n = aggregator_step(lc);
			work += n;
			if (!n && lc->worker_finished)
				maybe_finish_aggregator(lc);
		}
		if (lc->compressor >= 0 && !lc->compressor_finished) {
			unsigned n = compressor_step(lc);
			work += n;
			if (eng.live)
				live_flush_writers(lc);
			if (!n)
				maybe_finish_compressor(lc);
		}
		bool rx_done = !lc->n_rxq || lc->rx_finished;
		bool worker_done = lc->worker < 0 || lc->worker_finished;
		bool compressor_done = lc->compressor < 0 || lc->compressor_finished;
		bool aggregator_done = !lc->aggregator || lc->aggregator_finished;
		if (rx_done && worker_done && compressor_done && aggregator_done)
			break;
		if (work)
			idle = 0;
		else
			idle_backoff(&idle);
	}
	lcore_stage_enter(lc, STAGE_IDLE);
	return 0;
}
