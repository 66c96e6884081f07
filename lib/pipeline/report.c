/* report.c: what a user sees of a run: the progress line, the summary,
 * and the /netcap/stats telemetry command. Counters are summed from the
 * lcores' own (written by one lcore each, read here without locks: a
 * slightly stale total is fine for a display). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "defrag/defrag.h"
#include "stream/stream.h"
#include "ncap/schema.h"
#include "ncap/truncate.h"
#include "pipeline/bigframe.h"
#include "pipeline/pipeline.h"

void report_totals(struct lcore_stats *sum)
{
	memset(sum, 0, sizeof *sum);
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++) {
		const struct lcore_stats *s = &eng.lc[i].stats;
		if (!eng.lc[i].active)
			continue;
		sum->rx_packets += s->rx_packets;
		sum->rx_bytes += s->rx_bytes;
		sum->dispatched += s->dispatched;
		sum->ring_full_drops += s->ring_full_drops;
		sum->ring_full_waits += s->ring_full_waits;
		sum->packets += s->packets;
		sum->filtered += s->filtered;
		sum->decode_errors += s->decode_errors;
		sum->unknown += s->unknown;
		sum->chunks_sent += s->chunks_sent;
		sum->chunk_waits += s->chunk_waits;
		sum->partial_waits += s->partial_waits;
		sum->unwritable_records += s->unwritable_records;
		sum->decode_cycles += s->decode_cycles;
		for (int f = 0; f < MBUF_CHAIN_FAULTS; f++)
			sum->bad_chains[f] += s->bad_chains[f];
		for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
			sum->records[t] += s->records[t];
			sum->record_bytes[t] += s->record_bytes[t];
			sum->truncated[t] += s->truncated[t];
		}
	}
}

static double seconds_since_start(void)
{
	uint64_t end = eng.end_tsc ? eng.end_tsc : rte_get_tsc_cycles();
	return (double)(end - eng.start_tsc) / (double)rte_get_tsc_hz();
}

void report_progress(bool final)
{
	struct lcore_stats s;
	report_totals(&s);
	double secs = seconds_since_start();
	if (secs <= 0)
		return;
	double pps = (double)s.rx_packets / secs, mbps = (double)s.rx_bytes / secs / 1e6;
	if (eng.expected_packets) {
		double done = (double)s.rx_packets / (double)eng.expected_packets;
		double eta = pps > 0 ? (double)(eng.expected_packets - s.rx_packets) / pps : 0;
		fprintf(stderr, "\r%5.1f%%  %" PRIu64 "/%" PRIu64 " packets  %.2f Mpps  %.1f MB/s  ETA %.0fs   %s",
			done * 100, s.rx_packets, eng.expected_packets, pps / 1e6, mbps, final ? 0 : eta,
			final ? "\n" : "");
	} else {
		fprintf(stderr, "\r%" PRIu64 " packets  %.2f Mpps  %.1f MB/s   %s", s.rx_packets, pps / 1e6, mbps,
			final ? "\n" : "");
	}
}

struct port_drops {
	uint64_t imissed, nombuf, ierrors;
};

static struct port_drops port_drops(void)
{
	struct port_drops d = { 0 };
	for (unsigned p = 0; p < eng.n_ports; p++) {
		struct rte_eth_stats st;
		if (rte_eth_stats_get(eng.ports[p], &st) == 0) {
			d.imissed += st.imissed;
			d.nombuf += st.rx_nombuf;
			d.ierrors += st.ierrors;
		}
	}
	return d;
}

/* "name N, name N)" for each nonzero count of a list. */
static void print_counts(FILE *out, const uint64_t *counts, int n, const char *(*name)(int))
{
	for (int i = 0, k = 0; i < n; i++)
		if (counts[i])
			fprintf(out, "%s%s %" PRIu64, k++ ? ", " : "", name(i), counts[i]);
	fprintf(out, ")\n");
}

static uint64_t total_of(const uint64_t *counts, int n)
{
	uint64_t total = 0;
	for (int i = 0; i < n; i++)
		total += counts[i];
	return total;
}

/* "2 workers, 3 compressors, a reader of its own; spread: IPv4 over 2, ..." */
static void print_layout(FILE *out)
{
	fprintf(out, "  layout      %u worker%s, %u compressor%s%s", eng.n_workers, eng.n_workers == 1 ? "" : "s",
		eng.n_compressors, eng.n_compressors == 1 ? "" : "s",
		eng.lc[eng.compressor_lcore[0]].worker >= 0 ? " (inline)" : "");
	if (!eng.live && eng.cfg->files_as_queues)
		fprintf(out, ", every worker reads its files");
	else if (!eng.live && eng.lc[eng.rx_lcore].worker < 0)
		fprintf(out, ", a reader of its own");
	const char *sep = "; spread: ";
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++)
		if (eng.type_shards[t] > 1) {
			fprintf(out, "%s%s over %u", sep, ncap_type_by_id(t)->name, eng.type_shards[t]);
			sep = ", ";
		}
	fputc('\n', out);
}

static const char *fault_name(int f) { return mbuf_chain_fault_names[f]; }
static const char *type_name(int t) { return ncap_type_by_id(t)->name; }

/* Records the compressors could not put on disk (known at the end). */
static void print_lost(FILE *out)
{
	uint64_t total = total_of(eng.lost_records, NCAP_TYPE_LIMIT);
	if (!total)
		return;
	fprintf(out, "  lost        %" PRIu64 " records not written: write errors, see above; files end with their last whole member (", total);
	print_counts(out, eng.lost_records, NCAP_TYPE_LIMIT, type_name);
}

uint64_t report_events(int proto, int reason)
{
	uint64_t n = 0;
	for (unsigned w = 0; w < eng.n_workers; w++) {
		const struct worker_state *ws = eng.lc[eng.worker_lcore[w]].ws;
		if (ws)
			n += __atomic_load_n(&ws->dctx.stats.events[proto][reason], __ATOMIC_RELAXED);
	}
	return n;
}

/* Malformed layers and other decoder events, by layer and reason. */
static void print_events(FILE *out)
{
	bool any = false;
	for (int p = 0; p < PROTO_COUNT; p++)
		for (int r = 0; r < REASON_COUNT; r++) {
			uint64_t n = report_events(p, r);
			if (!n)
				continue;
			fprintf(out, "%s%s %s %" PRIu64, any ? ", " : "  events      ", decode_protocol_names[p],
				decode_reason_names[r], n);
			any = true;
		}
	if (any)
		fprintf(out, "\n");
}

/* ---- where each lcore's time goes ------------------------------------ */

static const char *const stage_names[STAGE_SHOWN] = {
	[STAGE_IDLE] = "idle", [STAGE_RX] = "rx", [STAGE_DISPATCH] = "dispatch",
	[STAGE_DECODE] = "decode", [STAGE_RECORDS] = "records", [STAGE_FLOWS] = "flows",
	[STAGE_COMPRESS] = "compress", [STAGE_AGGREGATE] = "aggregate", [STAGE_WAIT] = "wait",
};
/* The table's column order: the packet's path, then waiting and idling. */
static const enum lcore_stage stage_order[STAGE_SHOWN] = {
	STAGE_RX, STAGE_DISPATCH, STAGE_DECODE, STAGE_RECORDS, STAGE_FLOWS,
	STAGE_COMPRESS, STAGE_AGGREGATE, STAGE_WAIT, STAGE_IDLE,
};

/* An lcore's cycles by shown stage: the packet loops timed whole
 * (STAGE_PACKETS) are split in the proportions of the sampled bursts
 * (pipeline.h, enum lcore_stage; the first burst is sampled, so there are
 * proportions whenever there is a whole). Returns the total. */
static uint64_t stage_cycles(const struct lcore_stats *s, uint64_t out[STAGE_SHOWN])
{
	static const enum lcore_stage sampled[][2] = {
		{ STAGE_SAMPLED_DECODE, STAGE_DECODE },
		{ STAGE_SAMPLED_RECORDS, STAGE_RECORDS },
		{ STAGE_SAMPLED_FLOWS, STAGE_FLOWS },
	};
	uint64_t total = 0, sampled_total = 0;
	for (int i = 0; i < STAGE_SHOWN; i++)
		out[i] = s->cycles[i];
	for (size_t i = 0; i < RTE_DIM(sampled); i++)
		sampled_total += s->cycles[sampled[i][0]];
	for (size_t i = 0; i < RTE_DIM(sampled); i++) {
		uint64_t c = s->cycles[sampled[i][0]];
		out[sampled[i][1]] += c;
		if (sampled_total)
			out[sampled[i][1]] += (uint64_t)((double)s->cycles[STAGE_PACKETS] * (double)c / (double)sampled_total);
	}
	for (int i = 0; i < STAGE_SHOWN; i++)
		total += out[i];
	return total;
}

/* "rx, dispatch, worker 0, aggregator, compressor 1": the lcore's roles. */
static void lcore_roles(const struct lcore_conf *lc, char *buf, size_t len)
{
	char worker[24] = "", compressor[24] = "";
	if (lc->worker >= 0)
		snprintf(worker, sizeof worker, "worker %d", lc->worker);
	if (lc->compressor >= 0)
		snprintf(compressor, sizeof compressor, "compressor %d", lc->compressor);
	const char *roles[] = { lc->n_rxq ? "rx" : "", lc->dispatch ? "dispatch" : "", worker,
				lc->aggregator ? "aggregator" : "", compressor };
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < RTE_DIM(roles); i++)
		if (roles[i][0] && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", roles[i]);
}

static void print_mpps(FILE *out, uint64_t packets, double secs)
{
	if (packets && secs > 0)
		fprintf(out, " %8.3f", packets / secs / 1e6);
	else
		fprintf(out, " %8s", "-");
}

/* The table's i-th stage column: as wide as its name, at least 5. */
static int column_width(int i)
{
	size_t w = strlen(stage_names[stage_order[i]]);
	return w < 5 ? 5 : (int)w;
}

/* One line per lcore: the share of its cycles per stage, the Mpps it read
 * and decoded, its roles (docs/performance.md, "Where the time goes"). */
static void print_lcores(FILE *out, double secs)
{
	fprintf(out, "  lcore ");
	for (int i = 0; i < STAGE_SHOWN; i++)
		fprintf(out, " %*s", column_width(i), stage_names[stage_order[i]]);
	fprintf(out, " %8s %8s  roles (%% of each lcore's cycles; Mpps read, decoded)\n", "rx Mpps", "dec Mpps");
	for (unsigned id = 0; id < RTE_MAX_LCORE; id++) {
		const struct lcore_conf *lc = &eng.lc[id];
		if (!lc->active)
			continue;
		uint64_t c[STAGE_SHOWN];
		uint64_t total = stage_cycles(&lc->stats, c);
		fprintf(out, "  %5u ", id);
		for (int i = 0; i < STAGE_SHOWN; i++)
			fprintf(out, " %*.1f", column_width(i),
				total ? 100.0 * (double)c[stage_order[i]] / (double)total : 0.0);
		print_mpps(out, lc->stats.rx_packets, secs);
		print_mpps(out, lc->stats.packets, secs);
		char roles[128];
		lcore_roles(lc, roles, sizeof roles);
		fprintf(out, "  %s\n", roles);
	}
}

/* Memory: the process's peak, and what each worker allocates (flow tables
 * by their configured capacity: lib/flow does not say what it touched). */
static void print_memory(FILE *out)
{
	struct rusage ru;
	fprintf(out, "  memory      ");
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(out, "peak RSS %.1f MiB; ", ru.ru_maxrss / 1024.0); /* KiB on Linux */
	const struct worker_state *ws = eng.lc[eng.worker_lcore[0]].ws;
	fprintf(out, "per worker: decoder arena %.1f MiB, frame buffers %.1f MiB", ws ? ws->dctx.arena.cap / 1048576.0 : 0.0,
		(BIGFRAME_MAX + NCAP_RECORD_LIMIT) / 1048576.0);
	if (ws && ws->dctx.defrag) {
		/* The budget each, the largest peak, the datagrams left
		 * incomplete at the end (their events: Defrag in "events"). */
		struct defrag_usage u, w;
		size_t peak = 0;
		uint32_t pending = 0;
		defrag_get_usage(ws->dctx.defrag, &u);
		for (unsigned i = 0; i < eng.n_workers; i++) {
			const struct worker_state *wi = eng.lc[eng.worker_lcore[i]].ws;
			if (!wi || !wi->dctx.defrag)
				continue;
			defrag_get_usage(wi->dctx.defrag, &w);
			peak = w.peak > peak ? w.peak : peak;
			pending += w.trackers;
		}
		fprintf(out, ", defrag %.1f MiB (peak in use %.1f KiB, %u datagrams incomplete at the end)",
			u.budget / 1048576.0, peak / 1024.0, pending);
	}
	if (ws && ws->dctx.streams) {
		/* The budget each; the largest peaks; refusals and evictions
		 * summed (the streams' events: TCPStream in "events"). */
		struct stream_usage u, w;
		size_t peak = 0;
		uint32_t conns = 0;
		uint64_t refused = 0, evicted = 0;
		stream_get_usage(ws->dctx.streams, &u);
		for (unsigned i = 0; i < eng.n_workers; i++) {
			const struct worker_state *wi = eng.lc[eng.worker_lcore[i]].ws;
			if (!wi || !wi->dctx.streams)
				continue;
			stream_get_usage(wi->dctx.streams, &w);
			peak = w.peak > peak ? w.peak : peak;
			conns = w.connections_max > conns ? w.connections_max : conns;
			refused += w.refused;
			evicted += w.evicted;
		}
		fprintf(out, ", streams %.1f MiB (peak in use %.1f KiB, room for %u connections, %" PRIu64
			" allocations refused, %" PRIu64 " connections evicted)",
			u.budget / 1048576.0, peak / 1024.0, conns, refused, evicted);
	}
	const struct flow_settings *fs = &eng.flow_settings;
	unsigned tables = 0;
	static const int flow_types[] = { TYPES__TYPE__NC_Connection, TYPES__TYPE__NC_Flow, TYPES__TYPE__NC_LinkFlow,
					  TYPES__TYPE__NC_NetworkFlow, TYPES__TYPE__NC_TransportFlow };
	for (size_t i = 0; i < RTE_DIM(flow_types); i++)
		tables += eng.flows_wanted && fs->want[flow_types[i]];
	if (tables) {
		/* table.h: an index of twice the capacity's slots, rounded up
		 * to a power of two, of 4 bytes each, touched when created. */
		double index = (double)rte_align64pow2(2 * (uint64_t)fs->capacity) * sizeof(uint32_t) * tables;
		size_t per_entry = eng.lc[eng.worker_lcore[0]].flow_counters.bytes_per_entry;
		fprintf(out, ", flow index %.1f MiB (%u tables of %u entries; entries mapped as flows arrive", index / 1048576.0,
			tables, fs->capacity);
		if (per_entry)
			fprintf(out, ", %zu B per Connection", per_entry);
		fprintf(out, ")");
	}
	fprintf(out, "\n");
}

static void print_bad_chains(FILE *out, const struct lcore_stats *s)
{
	uint64_t total = total_of(s->bad_chains, MBUF_CHAIN_FAULTS);
	if (!total)
		return;
	fprintf(out, "  mbufs       %" PRIu64 " packets not decoded: their mbuf chain disagrees with itself (", total);
	print_counts(out, s->bad_chains, MBUF_CHAIN_FAULTS, fault_name);
}

static void print_truncated(FILE *out, const struct lcore_stats *s)
{
	uint64_t total = total_of(s->truncated, NCAP_TYPE_LIMIT);
	if (!total)
		return;
	fprintf(out, "  truncated   %" PRIu64 " records over %u bytes cut to fit, Truncated=true (", total, NCAP_RECORD_LIMIT);
	print_counts(out, s->truncated, NCAP_TYPE_LIMIT, type_name);
}

void report_summary(FILE *out)
{
	struct lcore_stats s;
	report_totals(&s);
	struct port_drops d = port_drops();
	double secs = seconds_since_start();
	uint64_t records = 0, out_bytes = 0;
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		records += s.records[t];
		out_bytes += eng.file_bytes[t];
	}
	fprintf(out, "netcap: %s\n", eng.input_source);
	fprintf(out, "  packets     %" PRIu64 " (%" PRIu64 " bytes) in %.3f s: %.3f Mpps, %.1f MB/s\n",
		s.rx_packets, s.rx_bytes, secs, secs > 0 ? s.rx_packets / secs / 1e6 : 0,
		secs > 0 ? s.rx_bytes / secs / 1e6 : 0);
	print_layout(out);
	if (eng.filter.expr)
		fprintf(out, "  filtered    %" PRIu64 " packets refused by --bpf '%s' (%s), not decoded\n", s.filtered,
			eng.filter.expr, eng.filter.n && eng.filter.prog[0].jit ? "JIT" : "interpreted");
	if (s.packets)
		fprintf(out, "  decoding    %.0f ns/packet per worker\n",
			(double)s.decode_cycles * 1e9 / (double)rte_get_tsc_hz() / (double)s.packets);
	if (eng.write_local)
		fprintf(out, "  records     %" PRIu64 "; output %" PRIu64 " bytes in %s\n", records, out_bytes, eng.cfg->out_dir);
	else
		fprintf(out, "  records     %" PRIu64 "; sent to the collector (sensor, below)\n", records);
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		if (!s.records[t])
			continue;
		fprintf(out, "    %-28s %12" PRIu64 " records %12" PRIu64 " bytes", ncap_type_by_id(t)->name,
			s.records[t], s.record_bytes[t]);
		if (eng.file_bytes[t])
			fprintf(out, " -> %" PRIu64 " gz", eng.file_bytes[t]);
		fprintf(out, "\n");
	}
	fprintf(out, "  decode      %" PRIu64 " malformed, %" PRIu64 " with an unknown layer\n",
		s.decode_errors, s.unknown);
	if (eng.cfg->errors_pcap)
		fprintf(out, "  errors.pcap %llu packets (reasons in errors.log)\n", eng.sidecar_errors);
	if (eng.cfg->unknown_pcap)
		fprintf(out, "  unknown.pcap %llu packets\n", eng.sidecar_unknown);
	sensor_summary(out);
	print_lost(out);
	print_events(out);
	print_bad_chains(out, &s);
	print_truncated(out, &s);
	if (s.unwritable_records)
		fprintf(out, "  unwritable  %" PRIu64 " records could not be cut to %u bytes and were not written\n",
			s.unwritable_records, NCAP_RECORD_LIMIT);
	if (eng.flows_wanted) {
		uint64_t evicted = 0, probe_evicted = 0;
		uint32_t max_probe = 0;
		size_t per_entry = 0;
		for (unsigned w = 0; w < eng.n_workers; w++) {
			const struct flow_counters *fc = &eng.lc[eng.worker_lcore[w]].flow_counters;
			evicted += fc->evicted;
			probe_evicted += fc->probe_evicted;
			if (fc->max_probe > max_probe)
				max_probe = fc->max_probe;
			per_entry = fc->bytes_per_entry;
		}
		fprintf(out, "  flows       %zu bytes per tracked connection; %" PRIu64 " written early (tables full)",
			per_entry, evicted);
		/* Never with the keyed hashes in practice: a sign of a flood
		 * (docs/flows.md, "Hashing"). */
		if (probe_evicted)
			fprintf(out, ", %" PRIu64 " at the probe limit", probe_evicted);
		fprintf(out, "; longest probe %u slots\n", max_probe);
	}
	fprintf(out, "  waits       %" PRIu64 " for a chunk (pool empty or compressor ring full), %" PRIu64
		" for the partial-sums pool, %" PRIu64 " on a full worker ring\n",
		s.chunk_waits, s.partial_waits, s.ring_full_waits);
	print_lcores(out, secs);
	print_memory(out);
	uint64_t lost = d.imissed + d.nombuf + s.ring_full_drops;
	fprintf(out, "  drops       %" PRIu64 " (nic imissed %" PRIu64 ", rx_nombuf %" PRIu64 ", ring full %" PRIu64 ")\n",
		lost, d.imissed, d.nombuf, s.ring_full_drops);
	if (eng.expected_packets && s.rx_packets != eng.expected_packets)
		fprintf(out, "  incomplete  %" PRIu64 " of %" PRIu64 " packets read%s\n", s.rx_packets,
			eng.expected_packets, atomic_load(&eng.stop) ? " (interrupted)" : "");
	fflush(out);
}

/* Adds container c to d under name, or frees it. */
static void add_container(struct rte_tel_data *d, const char *name, struct rte_tel_data *c)
{
	if (rte_tel_data_add_dict_container(d, name, c, 0) != 0)
		rte_tel_data_free(c);
}

/* The per-lcore table as arrays, one entry per active lcore in the order
 * of "lcores": its roles, packets read and decoded, and TSC cycles by
 * stage (the summary's shares are these over their sum). */
static void telemetry_lcores(struct rte_tel_data *d)
{
	enum { IDS, READ, DECODED, FILTERED, CYCLES, N_ARRAYS = CYCLES + STAGE_SHOWN };
	struct rte_tel_data *a[N_ARRAYS], *roles = rte_tel_data_alloc();
	bool ok = roles && rte_tel_data_start_array(roles, RTE_TEL_STRING_VAL) == 0;
	for (int i = 0; i < N_ARRAYS; i++) {
		a[i] = rte_tel_data_alloc();
		ok = ok && a[i] && rte_tel_data_start_array(a[i], RTE_TEL_U64_VAL) == 0;
	}
	if (!ok) {
		for (int i = 0; i < N_ARRAYS; i++)
			if (a[i])
				rte_tel_data_free(a[i]);
		if (roles)
			rte_tel_data_free(roles);
		return;
	}
	for (unsigned id = 0; id < RTE_MAX_LCORE; id++) {
		const struct lcore_conf *lc = &eng.lc[id];
		if (!lc->active)
			continue;
		uint64_t c[STAGE_SHOWN];
		stage_cycles(&lc->stats, c);
		rte_tel_data_add_array_u64(a[IDS], id);
		rte_tel_data_add_array_u64(a[READ], lc->stats.rx_packets);
		rte_tel_data_add_array_u64(a[DECODED], lc->stats.packets);
		rte_tel_data_add_array_u64(a[FILTERED], lc->stats.filtered);
		for (int i = 0; i < STAGE_SHOWN; i++)
			rte_tel_data_add_array_u64(a[CYCLES + i], c[stage_order[i]]);
		char r[128];
		lcore_roles(lc, r, sizeof r);
		rte_tel_data_add_array_string(roles, r);
	}
	add_container(d, "lcores", a[IDS]);
	add_container(d, "lcore_roles", roles);
	add_container(d, "lcore_read", a[READ]);
	add_container(d, "lcore_decoded", a[DECODED]);
	add_container(d, "lcore_filtered", a[FILTERED]);
	for (int i = 0; i < STAGE_SHOWN; i++) {
		char name[64];
		snprintf(name, sizeof name, "lcore_cycles_%s", stage_names[stage_order[i]]);
		add_container(d, name, a[CYCLES + i]);
	}
}

/* TCP stream reassembly: per worker (arrays in worker order) its memory
 * and connections, and the TCPStream events summed (the summary's
 * "events" has them too). Read while the workers write: each value is
 * one aligned word, a moment's view. */
static void telemetry_streams(struct rte_tel_data *d)
{
	enum { IN_USE, PEAK, CONNS, REFUSED, EVICTED, N_ARRAYS };
	static const char *const names[N_ARRAYS] = {
		"stream_bytes_in_use", "stream_bytes_peak", "stream_connections",
		"stream_refused", "stream_evicted",
	};
	const struct worker_state *w0 = eng.n_workers ? eng.lc[eng.worker_lcore[0]].ws : NULL;
	if (!w0 || !w0->dctx.streams)
		return;
	struct rte_tel_data *a[N_ARRAYS];
	for (int i = 0; i < N_ARRAYS; i++)
		if ((a[i] = rte_tel_data_alloc()))
			rte_tel_data_start_array(a[i], RTE_TEL_U64_VAL);
	uint64_t events[REASON_COUNT] = { 0 };
	for (unsigned i = 0; i < eng.n_workers; i++) {
		const struct worker_state *ws = eng.lc[eng.worker_lcore[i]].ws;
		if (!ws || !ws->dctx.streams)
			continue;
		struct stream_usage u;
		stream_get_usage(ws->dctx.streams, &u);
		const uint64_t v[N_ARRAYS] = { u.in_use, u.peak, u.connections, u.refused, u.evicted };
		for (int k = 0; k < N_ARRAYS; k++)
			if (a[k])
				rte_tel_data_add_array_u64(a[k], v[k]);
		for (int r = 0; r < REASON_COUNT; r++)
			events[r] += ws->dctx.stats.events[PROTO_STREAM][r];
	}
	for (int k = 0; k < N_ARRAYS; k++)
		if (a[k])
			add_container(d, names[k], a[k]);
	for (int r = 0; r < REASON_COUNT; r++) {
		if (!events[r])
			continue;
		char key[64];
		snprintf(key, sizeof key, "stream_%s", decode_reason_names[r]);
		rte_tel_data_add_dict_u64(d, key, events[r]);
	}
}

static int telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	struct lcore_stats s;
	report_totals(&s);
	struct port_drops pd = port_drops();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "packets", s.rx_packets);
	rte_tel_data_add_dict_u64(d, "bytes", s.rx_bytes);
	rte_tel_data_add_dict_u64(d, "decoded", s.packets);
	rte_tel_data_add_dict_u64(d, "filtered", s.filtered);
	rte_tel_data_add_dict_u64(d, "malformed", s.decode_errors);
	rte_tel_data_add_dict_u64(d, "unknown_layer", s.unknown);
	rte_tel_data_add_dict_u64(d, "drops_imissed", pd.imissed);
	rte_tel_data_add_dict_u64(d, "drops_rx_nombuf", pd.nombuf);
	rte_tel_data_add_dict_u64(d, "drops_ring_full", s.ring_full_drops);
	uint64_t bad_chains = 0, truncated = 0;
	for (int f = 0; f < MBUF_CHAIN_FAULTS; f++)
		bad_chains += s.bad_chains[f];
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++)
		truncated += s.truncated[t];
	rte_tel_data_add_dict_u64(d, "mbuf_bad_chains", bad_chains);
	rte_tel_data_add_dict_u64(d, "records_truncated", truncated);
	rte_tel_data_add_dict_u64(d, "records_unwritable", s.unwritable_records);
	uint64_t lost = 0;
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		const struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
		if (cs)
			lost += cs->lost_records;
	}
	rte_tel_data_add_dict_u64(d, "records_lost", lost);
	if (eng.sensor) {
		/* Sensor mode (docs/sensor.md): what went to the collector and
		 * what the sensor lost, by cause. */
		struct sensor_totals st;
		sensor_totals(&st);
		rte_tel_data_add_dict_u64(d, "sensor_datagrams_sent", st.datagrams);
		rte_tel_data_add_dict_u64(d, "sensor_records_sent", st.records);
		rte_tel_data_add_dict_u64(d, "sensor_bytes_sent", st.bytes);
		rte_tel_data_add_dict_u64(d, "sensor_datagrams_lost", st.full_datagrams + st.error_datagrams);
		rte_tel_data_add_dict_u64(d, "sensor_records_lost", st.full_records + st.error_records);
		rte_tel_data_add_dict_u64(d, "sensor_datagrams_lost_full", st.full_datagrams);
		rte_tel_data_add_dict_u64(d, "sensor_datagrams_lost_error", st.error_datagrams);
		rte_tel_data_add_dict_u64(d, "sensor_records_too_large", st.too_large);
	}
	rte_tel_data_add_dict_u64(d, "chunk_waits", s.chunk_waits);
	rte_tel_data_add_dict_u64(d, "partial_waits", s.partial_waits);
	rte_tel_data_add_dict_u64(d, "ring_full_waits", s.ring_full_waits);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		rte_tel_data_add_dict_u64(d, "peak_rss_kib", (uint64_t)ru.ru_maxrss);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	telemetry_lcores(d);
	telemetry_streams(d);
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++)
		if (s.records[t])
			rte_tel_data_add_dict_u64(d, ncap_type_by_id(t)->name, s.records[t]);
	return 0;
}

static int telemetry_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	for (unsigned p = 0; p < eng.n_ports; p++) {
		struct rte_eth_stats st;
		if (rte_eth_stats_get(eng.ports[p], &st) != 0)
			continue;
		char key[64];
		snprintf(key, sizeof key, "port%u_ipackets", eng.ports[p]);
		rte_tel_data_add_dict_u64(d, key, st.ipackets);
		snprintf(key, sizeof key, "port%u_imissed", eng.ports[p]);
		rte_tel_data_add_dict_u64(d, key, st.imissed);
		snprintf(key, sizeof key, "port%u_rx_nombuf", eng.ports[p]);
		rte_tel_data_add_dict_u64(d, key, st.rx_nombuf);
	}
	return 0;
}

void report_register_telemetry(void)
{
	rte_telemetry_register_cmd("/netcap/stats", telemetry_stats,
				   "Packets, records per type, drops by cause, waits, peak RSS, cycles by "
				   "lcore and stage. Takes no parameters");
	rte_telemetry_register_cmd("/netcap/ports", telemetry_ports,
				   "Per-port RX counters. Takes no parameters");
}

/* For the metrics endpoint (metrics.c, metrics.h). */
uint64_t report_stage_cycles(const struct lcore_stats *s, uint64_t *out)
{
	uint64_t c[STAGE_SHOWN];
	uint64_t total = stage_cycles(s, c);
	for (int i = 0; i < STAGE_SHOWN; i++)
		out[i] = c[stage_order[i]];
	return total;
}

const char *report_stage_name(int stage)
{
	return stage_names[stage_order[stage]];
}
