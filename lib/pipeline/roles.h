/* roles.h: the roles an lcore plays, as the per-lcore loop (lcore.c) and
 * the roles themselves call them. A packet's path, file by file:
 *
 *   rx.c          reads port queues; processes the burst on the spot or
 *                 dispatches it to the workers' rings by flow hash
 *   worker.c      decodes each packet and packs its records into per-type
 *                 chunks, sent to the compressor that owns the type
 *   worker_flows.c  the worker's side of lib/flow: flow records back into
 *                 the chunks, aggregate shares to the aggregator role
 *   worker_streams.c  the worker's side of lib/stream outside a packet:
 *                 records of connections that end by expiry or shutdown
 *   compressor.c  gzips chunks into the files of the types it owns
 *
 * Each function runs on the lcore that owns lc and writes its state, besides
 * the engine's shared rings, pools and atomic counters. Not a public API. */
#ifndef PIPELINE_ROLES_H
#define PIPELINE_ROLES_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_cycles.h>

#include "pipeline/pipeline.h"

/* Live capture: partly filled chunks go out, and the writers flush their
 * pending members, this often, so the files on disk trail the traffic by
 * seconds, not by 64 KiB. */
#define LIVE_FLUSH_SECONDS 5

/* rx.c */
/* One pass over the lcore's queues; the number of packets read. Marks the
 * RX role finished once every queue is done. */
unsigned rx_step(struct lcore_conf *lc);

/* worker.c */
/* Decodes n packets and packs their records. link < 0: the dispatcher put
 * each packet's link type in its mbuf. Frees the mbufs. */
void process_burst(struct lcore_conf *lc, struct rte_mbuf **bufs, unsigned n, int link);
/* Processes one burst from the worker's ring; the number of packets. */
unsigned worker_step(struct lcore_conf *lc);
/* Packs one record into its type's chunk (a chunk that fills goes out). */
void emit_record(struct lcore_conf *lc, struct worker_state *ws, int type, const ProtobufCMessage *msg);
/* Sends every partly filled chunk of the worker. */
void flush_chunks(struct lcore_conf *lc);
void live_tick(struct lcore_conf *lc, struct worker_state *ws);
void maybe_finish_worker(struct lcore_conf *lc);

/* worker_streams.c */
/* Ends the connections idle at `now`, packing the records they leave. */
void worker_streams_advance(struct worker_state *ws, int64_t now);
/* Ends every connection (end of input). */
void worker_streams_flush(struct worker_state *ws);

/* worker_flows.c (and publish_worker_time below) */
unsigned aggregator_step(struct lcore_conf *lc);
void maybe_finish_aggregator(struct lcore_conf *lc);

/* compressor.c */
/* Writes a chunk to its type's file and gives it back to the pool. */
void compress_chunk(struct lcore_conf *lc, struct ncap_chunk *c);
/* Compresses a burst of chunks from the ring; the number compressed. */
unsigned compressor_step(struct lcore_conf *lc);
void live_flush_writers(struct lcore_conf *lc);
void maybe_finish_compressor(struct lcore_conf *lc);
/* Rotation: closes every writer of the compressor (the end of the run). */
void compressor_close_writers(struct compressor_state *cs);

/* Inline, being a few instructions each: the stage helpers run a few times
 * per burst, the worker calls publish_worker_time after every burst, and
 * every wait loop calls service_compressor. */

/* Charges the cycles since the last call to the stage the lcore is in and
 * enters `next` (pipeline.h, enum lcore_stage); returns the TSC. Callers
 * keep the stage they interrupt (lc->stats.stage) and enter it again when
 * done. Once per burst or per role step, never per packet (one rdtsc is
 * ~10 ns on the 2-CPU EPYC VM: pipeline.h, STAGE_PACKETS). */
static inline uint64_t lcore_stage_enter(struct lcore_conf *lc, enum lcore_stage next)
{
	uint64_t now = rte_rdtsc();
	lc->stats.cycles[lc->stats.stage] += now - lc->stats.stage_since;
	lc->stats.stage_since = now;
	lc->stats.stage = next;
	return now;
}

/* In a wait loop, before each spin: the cycles from here on are
 * STAGE_WAIT, but for what the roles run meanwhile (they enter their own
 * stages, then STAGE_WAIT again). */
static inline void lcore_wait(struct lcore_conf *lc)
{
	if (lc->stats.stage != STAGE_WAIT)
		lcore_stage_enter(lc, STAGE_WAIT);
}

/* After a wait loop: back to the stage the wait interrupted. */
static inline void lcore_wait_done(struct lcore_conf *lc, enum lcore_stage was)
{
	if (lc->stats.stage != was)
		lcore_stage_enter(lc, was);
}

/* Tells the aggregator how far this worker's flow clock has come. */
static inline void publish_worker_time(struct lcore_conf *lc, int64_t t)
{
	atomic_store_explicit(&eng.worker_time[lc->worker].t, t, memory_order_release);
	if (eng.live && !eng.partial_ring && eng.aggregator)
		flow_aggregator_advance(eng.aggregator, t);
}

/* While waiting on another role: compresses, if this lcore is a
 * compressor, so that roles sharing an lcore never deadlock. */
static inline void service_compressor(struct lcore_conf *lc)
{
	if (lc->compressor >= 0)
		compressor_step(lc);
}

#endif
