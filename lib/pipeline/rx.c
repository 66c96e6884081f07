/* rx.c: the RX role: read port queues, then either process the packets on
 * this lcore's own worker role or dispatch them to the workers by flow hash.
 *
 * When the port spreads load itself (RSS on a NIC, kernel fanout on
 * af_packet) every worker reads its own queues and processes each burst at
 * once. The pcap PMD cannot, so one lcore reads every file and dispatches
 * each packet by a symmetric hash of its 5-tuple, so that both directions
 * of a connection reach the same worker. Offline, a full worker ring is
 * waited for (doing this lcore's other work meanwhile); live, it drops,
 * since waiting would only move the loss to the NIC.
 *
 * A queue is either the pcap PMD's or a mapped file's (pcapmap.h: the
 * same packets, without copying them). The RX role finishes when every
 * queue has delivered the packets its file holds (the pre-scan's count:
 * the pcap PMD never signals end of file) or on SIGINT/SIGTERM, then
 * decrements rx_active. */
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "flow/flowhash.h"
#include "pipeline/bigframe.h"
#include "pipeline/pipeline.h"
#include "pipeline/roles.h"

#define RX_STALL_SECONDS 5

static void flush_to_worker(struct lcore_conf *lc, unsigned w)
{
	unsigned n = lc->n_pending[w], sent = 0;
	struct rte_ring *ring = eng.worker_ring[w];
	enum lcore_stage was = lc->stats.stage;
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
		lcore_wait(lc);
		lc->stats.ring_full_waits++;
		if (lc->worker >= 0 && !lc->worker_finished)
			worker_step(lc);
		service_compressor(lc);
		rte_pause();
	}
	lcore_wait_done(lc, was);
	lc->n_pending[w] = 0;
}

static void dispatch(struct lcore_conf *lc, struct rte_mbuf **bufs, unsigned n, int link)
{
	enum lcore_stage was = lc->stats.stage;
	lcore_stage_enter(lc, STAGE_DISPATCH);
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
	lcore_stage_enter(lc, was);
}

/* Frames over 64 KiB among the n packets that just arrived get their
 * whole bytes from the file's second reader (bigframe.h). */
static void attach_oversize(struct lcore_conf *lc, struct rx_queue *q, struct rte_mbuf **bufs, unsigned n)
{
	uint64_t next;
	enum lcore_stage was = lc->stats.stage;
	while ((next = bigframe_next(q->oversize)) < q->received + n) {
		struct big_frame *b;
		enum bigframe_result r;
		while ((r = bigframe_take(q->oversize, &b)) == BIGFRAME_BUSY) {
			/* Every buffer is in a worker's ring: let them drain,
			 * ours included. */
			lcore_wait(lc);
			if (lc->worker >= 0 && !lc->worker_finished)
				worker_step(lc);
			service_compressor(lc);
			rte_pause();
		}
		lcore_wait_done(lc, was);
		if (r == BIGFRAME_READY && next >= q->received)
			bigframe_attach(bufs[next - q->received], b);
		else if (r == BIGFRAME_READY)
			bigframe_release(b);
	}
}

unsigned rx_step(struct lcore_conf *lc)
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
		enum lcore_stage was = lc->stats.stage;
		lcore_stage_enter(lc, STAGE_RX);
		uint16_t n = q->map ? pcapmap_rx_burst(q->map, q->port, bufs, want)
				    : rte_eth_rx_burst(q->port, q->queue, bufs, want);
		if (n == 0 && q->map && pcapmap_done(q->map)) {
			/* A mapped file knows its end (only a file that shrank
			 * ends before the count). */
			lc->stats.stage = was;
			q->done = true;
			continue;
		}
		if (n == 0) {
			/* An empty poll is idle time: charged to the stage
			 * it interrupted (the loop's STAGE_IDLE). */
			lc->stats.stage = was;
			/* Safety net only: the scan's count is exact unless the
			 * file changed under us or the PMD failed to allocate. */
			uint64_t now = rte_get_tsc_cycles();
			if (!q->idle_since) {
				q->idle_since = now;
			} else if (q->expected && !q->map && now - q->idle_since > RX_STALL_SECONDS * rte_get_tsc_hz()) {
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
		lcore_stage_enter(lc, was);
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
