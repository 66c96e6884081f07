/* worker.c: the worker role: decode each packet to completion and pack its
 * records into per-type chunks.
 *
 * Packets come from the dispatcher's ring, or straight from this lcore's RX
 * role when the port spreads load itself. The worker checks the mbuf chain
 * (mbufchain.h) before reading a byte, decodes (lib/decode), packs the
 * records (hand-written packers for the hot types, protobuf-c for the
 * rest) into one chunk per record type, and feeds the flow tables. A full
 * chunk goes to the compressor that owns its type; when the chunk pool or
 * that compressor's ring is empty, the worker waits, running this lcore's
 * compressor role meanwhile. Nothing here allocates, locks or makes a
 * system call per packet.
 *
 * The role finishes when its input is drained: it flushes its flows, sends
 * its partial chunks, then decrements workers_active. */
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "flow/flowhash.h"
#include "ncap/fastpack.h"
#include "ncap/truncate.h"
#include "ncap/varint.h"
#include "pipeline/bigframe.h"
#include "pipeline/mbufchain.h"
#include "pipeline/pipeline.h"
#include "pipeline/roles.h"
#include "pipeline/sidecar.h"

#if defined(__SANITIZE_ADDRESS__)
#define NETCAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETCAP_ASAN 1
#endif
#endif
#ifdef NETCAP_ASAN
#include <stdlib.h>
#include <string.h>
#endif

static int64_t wallclock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- chunks --------------------------------------------------------- */

static struct ncap_chunk *chunk_get(struct lcore_conf *lc, int type)
{
	void *obj;
	enum lcore_stage was = lc->stats.stage;
	while (rte_mempool_get(eng.chunk_pool, &obj) != 0) {
		lcore_wait(lc);
		lc->stats.chunk_waits++;
		service_compressor(lc);
		rte_pause();
	}
	lcore_wait_done(lc, was);
	struct ncap_chunk *c = obj;
	ncap_chunk_reset(c);
	c->type = type;
	return c;
}

static void chunk_send(struct lcore_conf *lc, struct ncap_chunk *c)
{
	unsigned shard = (unsigned)lc->worker % eng.type_shards[c->type];
	unsigned owner = eng.compressor_lcore[eng.type_compressor[c->type][shard]];
	lc->stats.chunks_sent++;
	if (owner == rte_lcore_id()) {
		compress_chunk(lc, c); /* inline layout: no ring needed */
		return;
	}
	enum lcore_stage was = lc->stats.stage;
	while (rte_ring_mp_enqueue(eng.lc[owner].chunk_ring, c) != 0) {
		lcore_wait(lc);
		lc->stats.chunk_waits++;
		service_compressor(lc);
		rte_pause();
	}
	lcore_wait_done(lc, was);
}

void flush_chunks(struct lcore_conf *lc)
{
	struct worker_state *ws = lc->ws;
	enum lcore_stage was = lc->stats.stage;
	lcore_stage_enter(lc, STAGE_RECORDS);
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		if (!ws->chunk[t])
			continue;
		if (ws->chunk[t]->len)
			chunk_send(lc, ws->chunk[t]);
		else
			rte_mempool_put(eng.chunk_pool, ws->chunk[t]);
		ws->chunk[t] = NULL;
	}
	lcore_stage_enter(lc, was);
}

/* ---- records -------------------------------------------------------- */

/* A record over NCAP_RECORD_LIMIT: cut to fit (truncate.h) and packed
 * through protobuf-c, which writes the Truncated field the hand-written
 * packers leave out. 0 when it cannot be cut that far (only scalars left:
 * no record NETCAP builds is like that). */
static long pack_truncated(struct worker_state *ws, const ProtobufCMessage *msg, uint8_t *at, size_t room)
{
	/* Records are the worker's own (its arena, or a flow record on the
	 * stack): cutting them in place is safe. */
	ProtobufCMessage *m = (ProtobufCMessage *)(uintptr_t)msg;
	struct ncap_scratch scratch = { .base = ws->scratch, .cap = NCAP_RECORD_LIMIT };
	if (!ncap_record_truncate(m, NCAP_RECORD_LIMIT, &scratch))
		return 0;
	return ncap_pack_delimited(m, at, room);
}

/* The hot types go through the hand-written packers, the others through
 * protobuf-c. A chunk always has room for one record of the largest size
 * allowed (CHUNK_SLACK past chunk_size, and it goes out once past
 * chunk_size), so a record is only ever refused for its own size: then it
 * is cut to fit, and counted. */
void emit_record(struct lcore_conf *lc, struct worker_state *ws, int t, const ProtobufCMessage *msg)
{
	struct ncap_chunk *c = ws->chunk[t];
	if (!c)
		c = ws->chunk[t] = chunk_get(lc, t);
	uint8_t *at = c->data + c->len;
	size_t room = NCAP_VARINT_MAX + NCAP_RECORD_LIMIT;
	long n = ncap_fastpack(t, msg, at, room);
	if (n < 0)
		n = ncap_pack_delimited(msg, at, room);
	if (n == 0) {
		n = pack_truncated(ws, msg, at, room);
		if (n == 0) {
			lc->stats.unwritable_records++;
			return;
		}
		lc->stats.truncated[t]++;
	}
	c->len += (size_t)n;
	c->records++;
	lc->stats.records[t]++;
	lc->stats.record_bytes[t] += (uint64_t)n;
	if (c->len >= eng.cfg->chunk_size) {
		chunk_send(lc, c);
		ws->chunk[t] = NULL;
	}
}

static void emit_packet_records(struct lcore_conf *lc, struct worker_state *ws)
{
	const struct packet *p = &ws->pkt;
	for (unsigned i = 0; i < p->n_rec; i++)
		emit_record(lc, ws, p->rec[i].type, p->rec[i].msg);
}

/* ---- packets -------------------------------------------------------- */

/* A replayed packet's time in Unix ns from the pcap PMD's timestamp (raw
 * units times scale). libpcap reads a pcap file's 32-bit seconds as signed,
 * so a time after 2038 arrives negative: read it back unsigned, as the
 * format and tshark mean it. A time past 2116 (crafted pcapng files reach
 * year 4139) is held there: int64 ns ends in 2262 and flow expiry adds
 * timeouts to packet times. Neither may overflow or go negative
 * (tcpdump/vqp-oobr.pcap, tcpdump/smb_data_print-segv.pcapng). */
static int64_t replay_time_ns(uint64_t raw, int64_t scale)
{
	const int64_t max_ns = INT64_MAX / 2;
	int64_t v = (int64_t)raw;
	if (v < 0)
		v += (INT64_C(1) << 32) * (1000000000 / scale);
	if (v < 0)
		return 0;
	return v > max_ns / scale ? max_ns : v * scale;
}

/* The bytes of m to decode: a frame over 64 KiB that RX attached, or the
 * chain, checked first (mbufchain.h). 0 with *fault set for a chain that
 * disagrees with itself. */
static uint32_t packet_bytes(struct worker_state *ws, const struct rte_mbuf *m, const uint8_t **data,
			     enum mbuf_chain_fault *fault)
{
	const struct big_frame *big = bigframe_of(m);
	if (big) {
		*fault = MBUF_CHAIN_OK;
		*data = big->data;
		return big->len;
	}
	return mbuf_chain_bytes(m, ws->linear, BIGFRAME_MAX, data, fault);
}

/* --bpf: runs the capture filter over the burst before anything is
 * decoded, frees the packets it refuses and moves the others to the front
 * of bufs; returns how many are left. Every packet of every input mode
 * passes here (the RX role's own bursts and the dispatcher's rings alike).
 * link < 0: each packet's link type is in the mbuf (dispatched). The
 * filter reads the mbuf chain (capfilter.h), so only a chain that passes
 * mbuf_chain_check() is shown to it: one that does not goes on to be
 * counted as a bad chain, as without a filter. A frame over 64 KiB
 * (bigframe.h) is shown whole, from its buffer. No allocation, no system
 * call: the filter's context is the mbuf itself. */
static unsigned filter_burst(struct lcore_conf *lc, struct rte_mbuf **bufs, unsigned n, int link)
{
	struct worker_state *ws = lc->ws;
	const struct capfilter *f = &eng.filter;
	/* One program for the whole burst: the usual case (one link type). */
	const struct capfilter_prog *one = link >= 0 ? capfilter_for(f, link) : f->n == 1 ? &f->prog[0] : NULL;
	if (link >= 0 && !one)
		return n; /* never: every input's link type has its program */
	void *ctx[BURST];
	uint64_t rc[BURST];
	uint8_t at[BURST];  /* ctx[j] is bufs[at[j]] */
	bool keep[BURST];
	unsigned batch = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = bufs[i];
		const struct capfilter_prog *p = one ? one : capfilter_for(f, (int)m->hash.fdir.lo);
		keep[i] = true;
		if (!p)
			continue; /* never: every input's link type has its program */
		const struct big_frame *big = bigframe_of(m);
		if (big) {
			keep[i] = capfilter_exec(p, capfilter_frame(ws->filter_frame, big->data, big->len)) != 0;
		} else if (m->nb_segs > 1 && mbuf_chain_check(m) != MBUF_CHAIN_OK) {
			continue; /* not read: the worker counts it */
		} else if (one) {
			at[batch] = (uint8_t)i;
			ctx[batch++] = m;
		} else {
			keep[i] = capfilter_exec(p, m) != 0;
		}
	}
	if (batch) {
		capfilter_exec_burst(one, ctx, rc, batch);
		for (unsigned j = 0; j < batch; j++)
			keep[at[j]] = rc[j] != 0;
	}
	struct rte_mbuf *refused[BURST];
	unsigned kept = 0, dropped = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = bufs[i];
		if (keep[i]) {
			bufs[kept++] = m;
			continue;
		}
		struct big_frame *big = bigframe_of(m);
		if (big)
			bigframe_release(big);
		refused[dropped++] = m;
	}
	if (dropped)
		rte_pktmbuf_free_bulk(refused, dropped);
	lc->stats.filtered += dropped;
	return kept;
}

void process_burst(struct lcore_conf *lc, struct rte_mbuf **bufs, unsigned n, int link)
{
	struct worker_state *ws = lc->ws;
	int64_t now = eng.ts_offset < 0 ? wallclock_ns() : 0;
	/* The packet loop is timed whole, and every SAMPLE_BURSTS-th burst
	 * packet by packet: decode (with the chain checks and the mbufs'
	 * release), records, flows (pipeline.h, enum lcore_stage). */
	bool sample = lc->stats.bursts++ % SAMPLE_BURSTS == 0;
	enum lcore_stage was = lc->stats.stage;
	uint64_t t0 = lcore_stage_enter(lc, sample ? STAGE_SAMPLED_DECODE : STAGE_PACKETS);
	if (eng.filter.expr)
		n = filter_burst(lc, bufs, n, link);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = bufs[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(bufs[i + 1], void *));
		int pkt_link = link >= 0 ? link : (int)m->hash.fdir.lo;
		const uint8_t *data;
		enum mbuf_chain_fault fault;
		uint32_t len = packet_bytes(ws, m, &data, &fault);
		/* The dispatcher's tuple hash, when it hashed these very bytes
		 * (not a chain's or a big frame's). */
		uint64_t tuple_hash = link < 0 && data == rte_pktmbuf_mtod(m, const uint8_t *) && len == m->data_len ?
				      m->hash.fdir.hi : FLOW_HASH_NONE;
		lc->stats.packets++;
		if (fault != MBUF_CHAIN_OK) {
			/* Never read: counted, as a malformed packet. */
			lc->stats.bad_chains[fault]++;
			lc->stats.decode_errors++;
			continue;
		}
#ifdef NETCAP_ASAN
		/* AddressSanitizer builds only: the frame in a heap block of
		 * exactly its length, so that a read past the captured data is
		 * reported (mbuf memory is DPDK's, which ASan does not watch).
		 * See tests/e2e/test_decode_sanitizers.sh. */
		uint8_t *asan_copy = malloc(len ? len : 1);
		if (asan_copy) {
			memcpy(asan_copy, data, len);
			data = asan_copy;
		}
#endif
		int64_t ts = now;
		if (eng.ts_offset >= 0 && (m->ol_flags & eng.ts_flag))
			ts = replay_time_ns(*RTE_MBUF_DYNFIELD(m, eng.ts_offset, rte_mbuf_timestamp_t *), eng.ts_scale);
		/* pkt_len exceeds len only for a chain longer than BIGFRAME_MAX,
		 * cut there like a snaplen. (The pcap PMD's pkt_len is the
		 * captured length: a replay does not know the length on the wire.) */
		uint32_t wire_len = m->pkt_len > len ? m->pkt_len : len;
		decode_packet(&ws->dctx, &ws->pkt, pkt_link, data, len, wire_len, ts);
		if (ts > ws->stream_now)
			ws->stream_now = ts;
		lc->stats.decode_errors += ws->pkt.error;
		lc->stats.unknown += ws->pkt.unknown;
		if (eng.sidecar && (ws->pkt.error || ws->pkt.unknown))
			sidecar_packet(&ws->pkt, pkt_link);
		if (sample)
			lcore_stage_enter(lc, STAGE_SAMPLED_RECORDS);
		emit_packet_records(lc, ws);
		if (ws->flows) {
			if (sample)
				lcore_stage_enter(lc, STAGE_SAMPLED_FLOWS);
			flows_packet_hashed(ws->flows, &ws->pkt, pkt_link, tuple_hash);
		}
		if (sample)
			lcore_stage_enter(lc, STAGE_SAMPLED_DECODE);
#ifdef NETCAP_ASAN
		free(asan_copy);
#endif
	}
	for (unsigned i = 0; i < n; i++) {
		struct big_frame *big = bigframe_of(bufs[i]);
		if (big)
			bigframe_release(big);
	}
	rte_pktmbuf_free_bulk(bufs, n);
	if (ws->flows && !eng.live) {
		/* Offline, packet time drives expiry: a replay gives the same
		 * records however fast it runs. */
		lcore_stage_enter(lc, STAGE_FLOWS);
		flows_advance(ws->flows, flows_now(ws->flows));
		publish_worker_time(lc, flows_now(ws->flows));
	}
	if (!eng.live)
		worker_streams_advance(ws, ws->stream_now);
	lc->stats.decode_cycles += lcore_stage_enter(lc, was) - t0;
}

unsigned worker_step(struct lcore_conf *lc)
{
	if (!lc->in_ring)
		return 0; /* this worker reads its queues in the RX role */
	struct rte_mbuf *bufs[BURST];
	unsigned n = rte_ring_sc_dequeue_burst(lc->in_ring, (void **)bufs, BURST, NULL);
	if (n)
		process_burst(lc, bufs, n, -1);
	return n;
}

/* Live capture, every 100 ms: the wall clock expires flows even when no
 * packet comes, and every LIVE_FLUSH_SECONDS (in sensor mode, every
 * --batch-time if shorter: eng.live_flush_tsc) partly filled chunks go
 * out. */
void live_tick(struct lcore_conf *lc, struct worker_state *ws)
{
	uint64_t now = rte_get_tsc_cycles();
	if (now < ws->next_tick)
		return;
	ws->next_tick = now + rte_get_tsc_hz() / 10;
	if (ws->flows) {
		enum lcore_stage was = lc->stats.stage;
		lcore_stage_enter(lc, STAGE_FLOWS);
		int64_t wall = wallclock_ns();
		flows_advance(ws->flows, wall);
		publish_worker_time(lc, wall);
		lcore_stage_enter(lc, was);
	}
	worker_streams_advance(ws, wallclock_ns());
	/* A new generation (rotate.h): partly filled chunks go out now, so
	 * that a file holds the records of its interval give or take this
	 * tick, not the chunks' flush time. */
	uint32_t gen = atomic_load_explicit(&eng.rot.gen, memory_order_relaxed);
	if (now >= ws->next_flush || gen != ws->rot_gen) {
		ws->rot_gen = gen;
		ws->next_flush = now + eng.live_flush_tsc;
		flush_chunks(lc);
	}
}

void maybe_finish_worker(struct lcore_conf *lc)
{
	if (lc->in_ring) {
		if (atomic_load_explicit(&eng.rx_active, memory_order_acquire) != 0)
			return;
		while (worker_step(lc))
			;
	} else if (!lc->rx_finished) {
		return;
	}
	struct worker_state *ws = lc->ws;
	/* Connections still open end: their pending records go out. */
	worker_streams_flush(ws);
	if (ws->flows) {
		enum lcore_stage was = lc->stats.stage;
		lcore_stage_enter(lc, STAGE_FLOWS);
		flows_counters(ws->flows, &lc->flow_counters);
		flows_flush(ws->flows);
		atomic_store_explicit(&eng.worker_time[lc->worker].t, INT64_MAX, memory_order_release);
		if (!eng.partial_ring && eng.aggregator)
			flow_aggregator_flush(eng.aggregator);
		lcore_stage_enter(lc, was);
	}
	atomic_fetch_sub_explicit(&eng.flow_workers_active, 1, memory_order_release);
	flush_chunks(lc);
	lc->worker_finished = true;
	atomic_fetch_sub_explicit(&eng.workers_active, 1, memory_order_release);
}
