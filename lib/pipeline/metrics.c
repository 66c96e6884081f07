/* metrics.c: the page of netcap's --metrics endpoint (metrics.h). Runs in
 * the metrics server's thread: it reads what the telemetry socket reads,
 * the lcores' own counters, each written by one lcore, with relaxed loads
 * and no lock (a moment's view, as telemetry's); it never touches the
 * packet path. Counters only grow; the per-type and per-cause families
 * list the labels that have counted something, as the summary does. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "defrag/defrag.h"
#include "ncap/schema.h"
#include "pipeline/metrics.h"
#include "pipeline/pipeline.h"
#include "stream/stream.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static const char *type_label(int t)
{
	const struct ncap_type *nt = ncap_type_by_id(t);
	return nt ? nt->name : "unknown";
}

/* "rx,dispatch,worker,aggregator,compressor": the lcore's roles. */
static void roles_label(const struct lcore_conf *lc, char *buf, size_t len)
{
	const char *roles[] = { lc->n_rxq ? "rx" : "", lc->dispatch ? "dispatch" : "",
				lc->worker >= 0 ? "worker" : "", lc->aggregator ? "aggregator" : "",
				lc->compressor >= 0 ? "compressor" : "" };
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < RTE_DIM(roles); i++)
		if (roles[i][0] && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", roles[i]);
}

/* One family of one unlabelled sample. */
static void single(struct prom_buf *b, const char *name, enum prom_type type, const char *help, uint64_t v)
{
	prom_family(b, name, type, help);
	prom_sample_u64(b, name, NULL, v);
}

struct totals {
	uint64_t rx_packets, rx_bytes, packets, decode_errors, unknown, filtered;
	uint64_t ring_full_drops, ring_full_waits, chunk_waits, partial_waits, unwritable;
	uint64_t bad_chains[MBUF_CHAIN_FAULTS];
	uint64_t records[NCAP_TYPE_LIMIT], record_bytes[NCAP_TYPE_LIMIT], truncated[NCAP_TYPE_LIMIT];
};

static void sum_lcores(struct totals *t)
{
	memset(t, 0, sizeof *t);
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++) {
		if (!eng.lc[i].active)
			continue;
		const struct lcore_stats *s = &eng.lc[i].stats;
		t->rx_packets += LD(s->rx_packets);
		t->rx_bytes += LD(s->rx_bytes);
		t->packets += LD(s->packets);
		t->decode_errors += LD(s->decode_errors);
		t->unknown += LD(s->unknown);
		t->filtered += LD(s->filtered);
		t->ring_full_drops += LD(s->ring_full_drops);
		t->ring_full_waits += LD(s->ring_full_waits);
		t->chunk_waits += LD(s->chunk_waits);
		t->partial_waits += LD(s->partial_waits);
		t->unwritable += LD(s->unwritable_records);
		for (int f = 0; f < MBUF_CHAIN_FAULTS; f++)
			t->bad_chains[f] += LD(s->bad_chains[f]);
		for (int k = 0; k < NCAP_TYPE_LIMIT; k++) {
			t->records[k] += LD(s->records[k]);
			t->record_bytes[k] += LD(s->record_bytes[k]);
			t->truncated[k] += LD(s->truncated[k]);
		}
	}
}

static void per_type(struct prom_buf *b, const char *name, const char *help, const uint64_t *v)
{
	prom_family(b, name, PROM_COUNTER, help);
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++)
		if (v[t]) {
			const char *l[] = { "type", type_label(t), NULL };
			prom_sample_u64(b, name, l, v[t]);
		}
}

static void write_ports(struct prom_buf *b, const struct totals *t)
{
	struct rte_eth_stats st[CONFIG_MAX_INPUTS];
	bool ok[CONFIG_MAX_INPUTS];
	uint64_t imissed = 0, nombuf = 0;
	for (unsigned p = 0; p < eng.n_ports; p++) {
		ok[p] = rte_eth_stats_get(eng.ports[p], &st[p]) == 0;
		if (ok[p]) {
			imissed += st[p].imissed;
			nombuf += st[p].rx_nombuf;
		}
	}
	static const char *const fam[][2] = {
		{ "netcap_port_received_packets_total", "Packets the port (NIC, af_packet or pcap PMD) received, as the port counts them." },
		{ "netcap_port_received_bytes_total", "Bytes the port received, as the port counts them." },
		{ "netcap_port_missed_total", "Packets the port dropped because its RX queues were full (imissed)." },
		{ "netcap_port_nombuf_total", "RX mbuf allocation failures of the port (rx_nombuf)." },
		{ "netcap_port_errors_total", "Erroneous packets the port received (ierrors)." },
	};
	for (size_t f = 0; f < RTE_DIM(fam); f++) {
		prom_family(b, fam[f][0], PROM_COUNTER, fam[f][1]);
		for (unsigned p = 0; p < eng.n_ports; p++) {
			if (!ok[p])
				continue;
			char port[12];
			snprintf(port, sizeof port, "%u", eng.ports[p]);
			const char *l[] = { "port", port, NULL };
			const uint64_t v[] = { st[p].ipackets, st[p].ibytes, st[p].imissed, st[p].rx_nombuf, st[p].ierrors };
			prom_sample_u64(b, fam[f][0], l, v[f]);
		}
	}
	const char *name = "netcap_drops_total";
	prom_family(b, name, PROM_COUNTER,
		    "Packets lost before decoding, by cause: the NIC's queues full (nic_imissed), no mbuf "
		    "(rx_nombuf), a worker's ring full (ring_full, live only); the summary's drops.");
	const char *causes[] = { "nic_imissed", "rx_nombuf", "ring_full" };
	const uint64_t v[] = { imissed, nombuf, t->ring_full_drops };
	for (int i = 0; i < 3; i++) {
		const char *l[] = { "cause", causes[i], NULL };
		prom_sample_u64(b, name, l, v[i]);
	}
}

static void write_queues(struct prom_buf *b)
{
	const char *name = "netcap_queue_received_packets_total";
	prom_family(b, name, PROM_COUNTER, "Packets netcap read from each RX queue, by port, queue and reading lcore.");
	for (unsigned id = 0; id < RTE_MAX_LCORE; id++) {
		const struct lcore_conf *lc = &eng.lc[id];
		if (!lc->active)
			continue;
		for (unsigned q = 0; q < lc->n_rxq; q++) {
			char port[12], queue[12], lcore[12];
			snprintf(port, sizeof port, "%u", lc->rxq[q].port);
			snprintf(queue, sizeof queue, "%u", lc->rxq[q].queue);
			snprintf(lcore, sizeof lcore, "%u", id);
			const char *l[] = { "port", port, "queue", queue, "lcore", lcore, NULL };
			prom_sample_u64(b, name, l, LD(lc->rxq[q].received));
		}
	}
}

static void write_lcores(struct prom_buf *b)
{
	static const char *const fam[][2] = {
		{ "netcap_lcore_packets_read_total", "Packets each lcore read from its RX queues." },
		{ "netcap_lcore_packets_decoded_total", "Packets each lcore decoded." },
		{ "netcap_lcore_seconds_total", "Time each lcore spent, by stage (the summary's per-lcore table; "
						"the packet loops are split in the proportions of sampled bursts)." },
	};
	double hz = (double)rte_get_tsc_hz();
	for (size_t f = 0; f < RTE_DIM(fam); f++) {
		prom_family(b, fam[f][0], PROM_COUNTER, fam[f][1]);
		for (unsigned id = 0; id < RTE_MAX_LCORE; id++) {
			const struct lcore_conf *lc = &eng.lc[id];
			if (!lc->active)
				continue;
			char lcore[12], role[64];
			snprintf(lcore, sizeof lcore, "%u", id);
			roles_label(lc, role, sizeof role);
			if (f == 0 || f == 1) {
				const char *l[] = { "lcore", lcore, "role", role, NULL };
				prom_sample_u64(b, fam[f][0], l, f == 0 ? LD(lc->stats.rx_packets) : LD(lc->stats.packets));
				continue;
			}
			/* A copy first: report_stage_cycles reads plain words. */
			struct lcore_stats s;
			for (int i = 0; i < STAGE_COUNT; i++)
				s.cycles[i] = LD(lc->stats.cycles[i]);
			uint64_t c[STAGE_SHOWN];
			report_stage_cycles(&s, c);
			for (int i = 0; i < STAGE_SHOWN; i++) {
				const char *l[] = { "lcore", lcore, "role", role, "stage", report_stage_name(i), NULL };
				prom_sample_f64(b, fam[f][0], l, hz > 0 ? (double)c[i] / hz : 0);
			}
		}
	}
}

static void write_events(struct prom_buf *b)
{
	const char *name = "netcap_decode_events_total";
	prom_family(b, name, PROM_COUNTER,
		    "Malformed layers and other decoder events (defragmentation, stream reassembly), by layer "
		    "and reason; the summary's events.");
	for (int p = 0; p < PROTO_COUNT; p++)
		for (int r = 0; r < REASON_COUNT; r++) {
			uint64_t n = report_events(p, r);
			if (!n)
				continue;
			const char *l[] = { "layer", decode_protocol_names[p], "reason", decode_reason_names[r], NULL };
			prom_sample_u64(b, name, l, n);
		}
}

/* Per worker: flow tables, stream reassembly, defragmentation. Each
 * value is one aligned word of the worker's, read while it writes. */
static void write_workers(struct prom_buf *b)
{
	enum { TRACKED, EARLY, S_USE, S_PEAK, S_CONNS, S_REFUSED, S_EVICTED, D_USE, D_PEAK, D_PENDING, N };
	static const char *const fam[N][2] = {
		[TRACKED] = { "netcap_flows_tracked", "Flows in the worker's tables now (all record families)." },
		[EARLY] = { "netcap_flows_written_early_total", "Flow records written before their flow ended, by cause: a "
							      "table full (table_full) or the probe limit (probe_limit)." },
		[S_USE] = { "netcap_stream_bytes_in_use", "TCP stream reassembly memory in use." },
		[S_PEAK] = { "netcap_stream_bytes_peak", "The most TCP stream reassembly memory ever in use." },
		[S_CONNS] = { "netcap_stream_connections", "TCP connections being reassembled." },
		[S_REFUSED] = { "netcap_stream_refused_total", "Stream reassembly allocations refused (memory full)." },
		[S_EVICTED] = { "netcap_stream_evicted_total", "Connections ended early in stream reassembly (table full)." },
		[D_USE] = { "netcap_defrag_bytes_in_use", "IP reassembly memory holding fragments." },
		[D_PEAK] = { "netcap_defrag_bytes_peak", "The most IP reassembly memory ever in use." },
		[D_PENDING] = { "netcap_defrag_datagrams_pending", "IP datagrams in reassembly." },
	};
	static const enum prom_type types[N] = { PROM_GAUGE, PROM_COUNTER, PROM_GAUGE, PROM_GAUGE, PROM_GAUGE,
						 PROM_COUNTER, PROM_COUNTER, PROM_GAUGE, PROM_GAUGE, PROM_GAUGE };
	for (int f = 0; f < N; f++) {
		bool header = false;
		for (unsigned w = 0; w < eng.n_workers; w++) {
			const struct worker_state *ws = eng.lc[eng.worker_lcore[w]].ws;
			if (!ws)
				continue;
			char worker[12];
			snprintf(worker, sizeof worker, "%u", w);
			const char *l[] = { "worker", worker, NULL, NULL, NULL };
			uint64_t v[2];
			int nv = 1;
			if (f <= EARLY) {
				if (!ws->flows)
					continue;
				struct flow_counters fc;
				flows_counters(ws->flows, &fc);
				v[0] = f == TRACKED ? fc.tracked : fc.evicted;
				v[1] = fc.probe_evicted;
				nv = f == EARLY ? 2 : 1;
			} else if (f <= S_EVICTED) {
				if (!ws->dctx.streams)
					continue;
				struct stream_usage u;
				stream_get_usage(ws->dctx.streams, &u);
				v[0] = f == S_USE ? u.in_use : f == S_PEAK ? u.peak : f == S_CONNS ? u.connections
					: f == S_REFUSED ? u.refused : u.evicted;
			} else {
				if (!ws->dctx.defrag)
					continue;
				struct defrag_usage u;
				defrag_get_usage(ws->dctx.defrag, &u);
				v[0] = f == D_USE ? u.in_use : f == D_PEAK ? u.peak : u.trackers;
			}
			if (!header)
				prom_family(b, fam[f][0], types[f], fam[f][1]);
			header = true;
			for (int i = 0; i < nv; i++) {
				if (nv == 2) {
					l[2] = "cause";
					l[3] = i ? "probe_limit" : "table_full";
				}
				prom_sample_u64(b, fam[f][0], l, v[i]);
			}
		}
	}
}

static void write_sensor(struct prom_buf *b)
{
	if (!eng.sensor)
		return;
	struct sensor_totals st;
	sensor_totals(&st);
	single(b, "netcap_sensor_datagrams_sent_total", PROM_COUNTER, "Sensor mode: datagrams the kernel took.", st.datagrams);
	single(b, "netcap_sensor_records_sent_total", PROM_COUNTER, "Sensor mode: records in them.", st.records);
	single(b, "netcap_sensor_bytes_sent_total", PROM_COUNTER, "Sensor mode: bytes sent.", st.bytes);
	const char *name = "netcap_sensor_datagrams_lost_total";
	prom_family(b, name, PROM_COUNTER, "Sensor mode: datagrams lost at the sensor, by cause (socket buffer full, other send errors).");
	const char *full[] = { "cause", "full", NULL }, *error[] = { "cause", "error", NULL };
	prom_sample_u64(b, name, full, st.full_datagrams);
	prom_sample_u64(b, name, error, st.error_datagrams);
	name = "netcap_sensor_records_lost_total";
	prom_family(b, name, PROM_COUNTER, "Sensor mode: records lost at the sensor, by cause.");
	prom_sample_u64(b, name, full, st.full_records);
	prom_sample_u64(b, name, error, st.error_records);
	single(b, "netcap_sensor_records_too_large_total", PROM_COUNTER, "Sensor mode: records too large for a batch, not sent.", st.too_large);
}

static int write_page(struct prom_buf *b, void *arg)
{
	struct metrics_server *srv = arg;
	struct totals t;
	sum_lcores(&t);
	const char *info = "netcap_info";
	prom_family(b, info, PROM_GAUGE, "Always 1: the version and the input of this run.");
	const char *il[] = { "version", NCAP_VERSION, "input", eng.input_source, NULL };
	prom_sample_u64(b, info, il, 1);
	prom_family(b, "netcap_start_time_seconds", PROM_GAUGE, "When the run started, seconds since the Unix epoch.");
	prom_sample_f64(b, "netcap_start_time_seconds", NULL, (double)eng.start_ns / 1e9);
	if (eng.expected_packets)
		single(b, "netcap_input_packets", PROM_GAUGE, "Replay: packets in the input files.", eng.expected_packets);
	single(b, "netcap_packets_total", PROM_COUNTER, "Packets received (the summary's packets).", t.rx_packets);
	single(b, "netcap_bytes_total", PROM_COUNTER, "Bytes of the packets received.", t.rx_bytes);
	single(b, "netcap_packets_filtered_total", PROM_COUNTER, "Packets refused by the capture filter (--bpf), not decoded.", t.filtered);
	single(b, "netcap_packets_decoded_total", PROM_COUNTER, "Packets the workers decoded.", t.packets);
	single(b, "netcap_packets_malformed_total", PROM_COUNTER, "Packets with a malformed layer.", t.decode_errors);
	single(b, "netcap_packets_unknown_layer_total", PROM_COUNTER, "Packets with a layer no decoder knows.", t.unknown);
	write_ports(b, &t);
	write_queues(b);
	per_type(b, "netcap_records_total", "Records made, by record type (the summary's records).", t.records);
	per_type(b, "netcap_record_bytes_total", "Bytes of the records made (serialized), by record type.", t.record_bytes);
	per_type(b, "netcap_records_truncated_total", "Records over the size limit cut to fit (Truncated=true), by record type.", t.truncated);
	single(b, "netcap_records_unwritable_total", PROM_COUNTER, "Records that could not be cut to the size limit, not written.", t.unwritable);
	uint64_t lost = 0;
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		const struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
		if (cs)
			lost += LD(cs->lost_records);
	}
	single(b, "netcap_records_lost_total", PROM_COUNTER, "Records not written: write errors.", lost);
	const char *name = "netcap_mbuf_bad_chains_total";
	prom_family(b, name, PROM_COUNTER, "Packets not decoded because their mbuf chain disagrees with itself, by fault.");
	for (int f = 0; f < MBUF_CHAIN_FAULTS; f++)
		if (t.bad_chains[f]) {
			const char *l[] = { "fault", mbuf_chain_fault_names[f], NULL };
			prom_sample_u64(b, name, l, t.bad_chains[f]);
		}
	write_events(b);
	write_workers(b);
	name = "netcap_waits_total";
	prom_family(b, name, PROM_COUNTER,
		    "Times an lcore waited, by what for: a chunk (pool empty or compressor ring full), the "
		    "flow partial-sums pool, a full worker ring (replay).");
	const char *wc[] = { "chunk", "partial_sums", "ring_full" };
	const uint64_t wv[] = { t.chunk_waits, t.partial_waits, t.ring_full_waits };
	for (int i = 0; i < 3; i++) {
		const char *l[] = { "cause", wc[i], NULL };
		prom_sample_u64(b, name, l, wv[i]);
	}
	write_lcores(b);
	write_sensor(b);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		single(b, "netcap_peak_rss_bytes", PROM_GAUGE, "The process's peak resident memory.", (uint64_t)ru.ru_maxrss * 1024);
	metrics_write_server(b, "netcap", srv);
	return b->refused ? -1 : 0;
}

struct metrics_server *engine_metrics_open(const struct netcap_config *cfg)
{
	char err[600];
	/* The page's argument is the server itself (its own counters); it
	 * is set once the server exists: see engine_metrics_start. */
	struct metrics_server *m = metrics_server_open(cfg->metrics, write_page, NULL, err, sizeof err);
	if (!m)
		fprintf(stderr, "netcap: --metrics %s\n", err);
	return m;
}

int engine_metrics_start(struct metrics_server *m)
{
	if (!m)
		return 0;
	metrics_server_set_arg(m, m);
	cpu_set_t cpus, lcores;
	CPU_ZERO(&cpus);
	CPU_ZERO(&lcores);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	for (long c = 0; c < n && c < CPU_SETSIZE; c++)
		CPU_SET(c, &cpus);
	unsigned id;
	RTE_LCORE_FOREACH(id) {
		rte_cpuset_t s = rte_lcore_cpuset(id);
		CPU_OR(&lcores, &lcores, &s);
	}
	cpu_set_t rest;
	CPU_XOR(&rest, &cpus, &lcores);
	CPU_AND(&rest, &rest, &cpus);
	char err[200];
	if (metrics_server_start(m, CPU_COUNT(&rest) ? &rest : &cpus, err, sizeof err)) {
		fprintf(stderr, "netcap: --metrics: %s\n", err);
		return -1;
	}
	return 0;
}
