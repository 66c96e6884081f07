/* lcore.c: the loop every lcore runs, and its roles.
 *
 * Like DPDK's l3fwd, one tight loop per lcore; here it visits up to three
 * roles in turn: RX (read port queues, and either process the packets or
 * dispatch them to workers by flow hash), worker (decode, build records,
 * fill per-type chunks) and compressor (gzip chunks into the files of the
 * record types it owns). Nothing on this path allocates, locks or makes a
 * system call per packet; waiting for a full ring or an empty chunk pool
 * runs this lcore's other roles so lcores that share roles never deadlock.
 *
 * End of input travels as counters: RX lcores finish when every queue has
 * delivered the packets its file holds (or on SIGINT), then decrement
 * rx_active; workers finish when their input is drained, send their
 * partial chunks, then decrement workers_active; compressors finish when no
 * worker is active and their ring is empty. */
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "flow/flowhash.h"
#include "ncap/fastpack.h"
#include "ncap/schema.h"
#include "ncap/truncate.h"
#include "ncap/varint.h"
#include "pipeline/bigframe.h"
#include "pipeline/mbufchain.h"
#include "pipeline/pipeline.h"
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

#define RX_STALL_SECONDS 5

static void service_compressor(struct lcore_conf *lc);

static int64_t wallclock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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

/* ---- compressor role ------------------------------------------------ */

/* Write errors are told once per streak: when a file starts failing and
 * when it writes again, not once per chunk of a disk that stays full. */
static void note_write_state(struct compressor_state *cs, int type, bool failing, const char *err)
{
	if (failing == cs->failing[type])
		return;
	cs->failing[type] = failing;
	if (failing) {
		fprintf(stderr, "netcap: %s\n", err);
		atomic_store(&eng.write_failed, true);
	} else {
		fprintf(stderr, "netcap: %s: writing again\n", ncap_type_by_id(type)->name);
	}
}

/* The type's file, opened on its first chunk. An open that fails (a full
 * disk cannot take the header either) is tried again with the next chunk
 * (a chunk is 64 KiB of records: the cost of trying is nothing beside
 * them); the chunk's records are counted as lost. */
static struct ncap_writer *writer_for(struct compressor_state *cs, int type)
{
	if (cs->writer[type])
		return cs->writer[type];
	const struct ncap_type *t = ncap_type_by_id(type);
	char path[4096], err[4096 + 512];
	snprintf(path, sizeof path, "%s/%s.ncap%s", eng.cfg->out_dir, t->name, eng.cfg->plain ? "" : ".gz");
	cs->writer[type] = ncap_writer_open(path, type, &eng.wopts, err, sizeof err);
	note_write_state(cs, type, !cs->writer[type], err);
	return cs->writer[type];
}

static void compress_chunk(struct lcore_conf *lc, struct ncap_chunk *c)
{
	struct compressor_state *cs = lc->cs;
	struct ncap_writer *w = writer_for(cs, c->type);
	if (w) {
		uint64_t lost = ncap_writer_lost_records(w);
		ncap_writer_write(w, c->data, c->len);
		cs->lost_records += ncap_writer_lost_records(w) - lost;
		note_write_state(cs, c->type, ncap_writer_failing(w), ncap_writer_error(w));
	} else {
		cs->unopened_records[c->type] += c->records;
		cs->lost_records += c->records;
	}
	cs->chunks++;
	cs->bytes_in += c->len;
	rte_mempool_put(eng.chunk_pool, c);
}

static unsigned compressor_step(struct lcore_conf *lc)
{
	void *chunks[8];
	unsigned n = rte_ring_sc_dequeue_burst(lc->chunk_ring, chunks, 8, NULL);
	for (unsigned i = 0; i < n; i++)
		compress_chunk(lc, chunks[i]);
	return n;
}

static void service_compressor(struct lcore_conf *lc)
{
	if (lc->compressor >= 0)
		compressor_step(lc);
}

static void maybe_finish_compressor(struct lcore_conf *lc)
{
	if (atomic_load_explicit(&eng.workers_active, memory_order_acquire) != 0)
		return;
	/* Workers enqueue before they decrement: drain what is left. */
	while (compressor_step(lc))
		;
	lc->compressor_finished = true;
}

/* ---- chunks --------------------------------------------------------- */

static struct ncap_chunk *chunk_get(struct lcore_conf *lc, int type)
{
	void *obj;
	while (rte_mempool_get(eng.chunk_pool, &obj) != 0) {
		lc->stats.chunk_waits++;
		service_compressor(lc);
		rte_pause();
	}
	struct ncap_chunk *c = obj;
	ncap_chunk_reset(c);
	c->type = type;
	return c;
}

static void chunk_send(struct lcore_conf *lc, struct ncap_chunk *c)
{
	unsigned owner = eng.compressor_lcore[eng.type_owner[c->type]];
	lc->stats.chunks_sent++;
	if (owner == rte_lcore_id()) {
		compress_chunk(lc, c); /* inline layout: no ring needed */
		return;
	}
	while (rte_ring_mp_enqueue(eng.lc[owner].chunk_ring, c) != 0) {
		lc->stats.chunk_waits++;
		service_compressor(lc);
		rte_pause();
	}
}

static void flush_chunks(struct lcore_conf *lc)
{
	struct worker_state *ws = lc->ws;
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		if (!ws->chunk[t])
			continue;
		if (ws->chunk[t]->len)
			chunk_send(lc, ws->chunk[t]);
		else
			rte_mempool_put(eng.chunk_pool, ws->chunk[t]);
		ws->chunk[t] = NULL;
	}
}

/* ---- worker role ---------------------------------------------------- */

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

/* Serializes one record into its type's chunk: the hot types through the
 * hand-written packers, the others through protobuf-c. A chunk always has
 * room for one record of the largest size allowed (CHUNK_SLACK past
 * chunk_size, and it goes out once past chunk_size), so a record is only
 * ever refused for its own size: then it is cut to fit, and counted. */
static void emit_one(struct lcore_conf *lc, struct worker_state *ws, int t, const ProtobufCMessage *msg)
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

static void emit_records(struct lcore_conf *lc, struct worker_state *ws)
{
	const struct packet *p = &ws->pkt;
	for (unsigned i = 0; i < p->n_rec; i++)
		emit_one(lc, ws, p->rec[i].type, p->rec[i].msg);
}

/* ---- flows ---------------------------------------------------------- */

/* Flow records expire inside flows_*(): they come back here. */
void flow_emit(void *ctx, int type, const ProtobufCMessage *msg)
{
	struct worker_state *ws = ctx;
	if (record_set_has(&eng.enabled, type))
		emit_one(ws->lc, ws, type, msg);
}

static unsigned aggregator_step(struct lcore_conf *lc);

/* A worker's share of an aggregate goes to the aggregator: directly when
 * there is one worker, else over a ring. */
void flow_partial_out(void *ctx, const struct flow_partial *p)
{
	struct worker_state *ws = ctx;
	struct lcore_conf *lc = ws->lc;
	if (!eng.partial_ring) {
		flow_aggregator_add(eng.aggregator, p);
		return;
	}
	void *obj;
	while (rte_mempool_get(eng.partial_pool, &obj) != 0) {
		lc->stats.chunk_waits++;
		if (lc->aggregator)
			aggregator_step(lc);
		service_compressor(lc);
		rte_pause();
	}
	memcpy(obj, p, sizeof *p);
	while (rte_ring_mp_enqueue(eng.partial_ring, obj) != 0) {
		if (lc->aggregator)
			aggregator_step(lc);
		rte_pause();
	}
}

static int64_t watermark(void)
{
	int64_t w = INT64_MAX;
	for (unsigned i = 0; i < eng.n_workers; i++) {
		int64_t t = atomic_load_explicit(&eng.worker_time[i], memory_order_acquire);
		if (t < w)
			w = t;
	}
	return w;
}

static unsigned aggregator_step(struct lcore_conf *lc)
{
	(void)lc;
	void *objs[32];
	unsigned n = rte_ring_sc_dequeue_burst(eng.partial_ring, objs, 32, NULL);
	for (unsigned i = 0; i < n; i++)
		flow_aggregator_add(eng.aggregator, objs[i]);
	if (n)
		rte_mempool_put_bulk(eng.partial_pool, objs, n);
	if (eng.live) {
		int64_t w = watermark();
		if (w != INT64_MAX)
			flow_aggregator_advance(eng.aggregator, w);
	}
	return n;
}

static void publish_time(struct lcore_conf *lc, int64_t t)
{
	atomic_store_explicit(&eng.worker_time[lc->worker], t, memory_order_release);
	if (eng.live && !eng.partial_ring && eng.aggregator)
		flow_aggregator_advance(eng.aggregator, t);
}

/* Live capture, every 100 ms: the wall clock expires flows even when no
 * packet comes, and every LIVE_FLUSH_SECONDS partly filled chunks go out,
 * so the files on disk trail the traffic by seconds, not by 64 KiB. */
#define LIVE_FLUSH_SECONDS 5

static void live_tick(struct lcore_conf *lc, struct worker_state *ws)
{
	uint64_t now = rte_get_tsc_cycles();
	if (now < ws->next_tick)
		return;
	ws->next_tick = now + rte_get_tsc_hz() / 10;
	if (ws->flows) {
		int64_t wall = wallclock_ns();
		flows_advance(ws->flows, wall);
		publish_time(lc, wall);
	}
	if (now >= ws->next_flush) {
		ws->next_flush = now + LIVE_FLUSH_SECONDS * rte_get_tsc_hz();
		flush_chunks(lc);
	}
}

static void live_flush_writers(struct lcore_conf *lc)
{
	struct compressor_state *cs = lc->cs;
	uint64_t now = rte_get_tsc_cycles();
	if (now < cs->next_flush)
		return;
	cs->next_flush = now + LIVE_FLUSH_SECONDS * rte_get_tsc_hz();
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		struct ncap_writer *w = cs->writer[t];
		if (!w)
			continue;
		ncap_writer_flush(w);
		note_write_state(cs, t, ncap_writer_failing(w), ncap_writer_error(w));
	}
}

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

/* link < 0: the dispatcher put the link type in the mbuf. */
static void process_burst(struct lcore_conf *lc, struct rte_mbuf **bufs, unsigned n, int link)
{
	struct worker_state *ws = lc->ws;
	int64_t now = eng.ts_offset < 0 ? wallclock_ns() : 0;
	uint64_t t0 = rte_rdtsc();
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
		lc->stats.decode_errors += ws->pkt.error;
		lc->stats.unknown += ws->pkt.unknown;
		if (eng.sidecar && (ws->pkt.error || ws->pkt.unknown))
			sidecar_packet(&ws->pkt, pkt_link);
		emit_records(lc, ws);
		if (ws->flows)
			flows_packet_hashed(ws->flows, &ws->pkt, pkt_link, tuple_hash);
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
		flows_advance(ws->flows, flows_now(ws->flows));
		publish_time(lc, flows_now(ws->flows));
	}
	lc->stats.decode_cycles += rte_rdtsc() - t0;
}

static unsigned worker_step(struct lcore_conf *lc)
{
	if (!lc->in_ring)
		return 0; /* this worker reads its queues in the RX role */
	struct rte_mbuf *bufs[BURST];
	unsigned n = rte_ring_sc_dequeue_burst(lc->in_ring, (void **)bufs, BURST, NULL);
	if (n)
		process_burst(lc, bufs, n, -1);
	return n;
}

/* The aggregator finishes after every worker has handed in its shares. */
static void maybe_finish_aggregator(struct lcore_conf *lc)
{
	if (atomic_load_explicit(&eng.flow_workers_active, memory_order_acquire) != 0)
		return;
	while (aggregator_step(lc))
		;
	flow_aggregator_flush(eng.aggregator);
	flush_chunks(lc);
	lc->aggregator_finished = true;
	atomic_fetch_sub_explicit(&eng.workers_active, 1, memory_order_release);
}

static void maybe_finish_worker(struct lcore_conf *lc)
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
	if (ws->flows) {
		flows_counters(ws->flows, &lc->flow_counters);
		flows_flush(ws->flows);
		atomic_store_explicit(&eng.worker_time[lc->worker], INT64_MAX, memory_order_release);
		if (!eng.partial_ring && eng.aggregator)
			flow_aggregator_flush(eng.aggregator);
	}
	atomic_fetch_sub_explicit(&eng.flow_workers_active, 1, memory_order_release);
	flush_chunks(lc);
	lc->worker_finished = true;
	atomic_fetch_sub_explicit(&eng.workers_active, 1, memory_order_release);
}

/* ---- RX role -------------------------------------------------------- */

static void flush_to_worker(struct lcore_conf *lc, unsigned w)
{
	unsigned n = lc->n_pending[w], sent = 0;
	struct rte_ring *ring = eng.worker_ring[w];
	while (sent < n) {
		sent += rte_ring_sp_enqueue_burst(ring, (void **)&lc->pending[w][sent], n - sent, NULL);
		if (sent == n)
			break;
		if (eng.live) {
			/* Waiting would only move the loss to the NIC. */
			rte_pktmbuf_free_bulk(&lc->pending[w][sent], n - sent);
			lc->stats.ring_full_drops += n - sent;
			break;
		}
		/* Offline replay never drops: wait, doing our own work. */
		lc->stats.ring_full_waits++;
		if (lc->worker >= 0 && !lc->worker_finished)
			worker_step(lc);
		service_compressor(lc);
		rte_pause();
	}
	lc->n_pending[w] = 0;
}

static void dispatch(struct lcore_conf *lc, struct rte_mbuf **bufs, unsigned n, int link)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = bufs[i];
		uint64_t h = flow_hash_symmetric(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, link);
		unsigned w = flow_hash_worker(h, eng.n_workers);
		/* For the worker: the link type, and the low half of the hash,
		 * which its flow tables reuse (flows_packet_hashed). */
		m->hash.fdir.lo = (uint32_t)link;
		m->hash.fdir.hi = (uint32_t)h;
		lc->pending[w][lc->n_pending[w]++] = m;
		if (lc->n_pending[w] == BURST)
			flush_to_worker(lc, w);
	}
	for (unsigned w = 0; w < eng.n_workers; w++)
		if (lc->n_pending[w])
			flush_to_worker(lc, w);
	lc->stats.dispatched += n;
}

/* Frames over 64 KiB among the n packets that just arrived get their
 * whole bytes from the file's second reader (bigframe.h). */
static void attach_oversize(struct lcore_conf *lc, struct rx_queue *q, struct rte_mbuf **bufs, unsigned n)
{
	uint64_t next;
	while ((next = bigframe_next(q->oversize)) < q->received + n) {
		struct big_frame *b;
		enum bigframe_result r;
		while ((r = bigframe_take(q->oversize, &b)) == BIGFRAME_BUSY) {
			/* Every buffer is in a worker's ring: let them drain,
			 * ours included. */
			if (lc->worker >= 0 && !lc->worker_finished)
				worker_step(lc);
			service_compressor(lc);
			rte_pause();
		}
		if (r == BIGFRAME_READY && next >= q->received)
			bigframe_attach(bufs[next - q->received], b);
		else if (r == BIGFRAME_READY)
			bigframe_release(b);
	}
}

static unsigned rx_step(struct lcore_conf *lc)
{
	struct rte_mbuf *bufs[BURST];
	unsigned total = 0;
	bool all_done = true;
	bool stop = atomic_load_explicit(&eng.stop, memory_order_relaxed);
	for (unsigned i = 0; i < lc->n_rxq; i++) {
		struct rx_queue *q = &lc->rxq[i];
		if (q->done)
			continue;
		if (stop) {
			q->done = true;
			continue;
		}
		uint16_t want = BURST;
		if (q->expected && q->expected - q->received < want)
			want = (uint16_t)(q->expected - q->received);
		uint16_t n = rte_eth_rx_burst(q->port, q->queue, bufs, want);
		if (n == 0) {
			/* Safety net only: the scan's count is exact unless the
			 * file changed under us or the PMD failed to allocate. */
			uint64_t now = rte_get_tsc_cycles();
			if (!q->idle_since) {
				q->idle_since = now;
			} else if (q->expected && now - q->idle_since > RX_STALL_SECONDS * rte_get_tsc_hz()) {
				fprintf(stderr, "netcap: warning: port %u queue %u delivered %llu of %llu packets, then nothing for %d s; ending its input\n",
					q->port, q->queue, (unsigned long long)q->received,
					(unsigned long long)q->expected, RX_STALL_SECONDS);
				q->done = true;
			}
			all_done &= q->done;
			continue;
		}
		q->idle_since = 0;
		if (q->oversize)
			attach_oversize(lc, q, bufs, n);
		q->received += n;
		lc->stats.rx_packets += n;
		for (unsigned k = 0; k < n; k++)
			lc->stats.rx_bytes += bufs[k]->pkt_len;
		if (lc->dispatch)
			dispatch(lc, bufs, n, q->link);
		else
			process_burst(lc, bufs, n, q->link);
		total += n;
		if (q->expected && q->received >= q->expected)
			q->done = true;
		all_done &= q->done;
	}
	if (all_done) {
		lc->rx_finished = true;
		atomic_fetch_sub_explicit(&eng.rx_active, 1, memory_order_release);
	}
	return total;
}

/* ---- the loop ------------------------------------------------------- */

int lcore_main(void *arg)
{
	(void)arg;
	struct lcore_conf *lc = &eng.lc[rte_lcore_id()];
	if (!lc->active)
		return 0;
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
	return 0;
}
