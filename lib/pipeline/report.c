/* report.c: what a user sees of a run: the progress line, the summary,
 * and the /netcap/stats telemetry command. Counters are summed from the
 * lcores' own (written by one lcore each, read here without locks: a
 * slightly stale total is fine for a display). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "ncap/schema.h"
#include "ncap/truncate.h"
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

/* Malformed layers and other decoder events, by layer and reason, summed
 * over the workers (each worker writes only its own). */
static void print_events(FILE *out)
{
	bool any = false;
	for (int p = 0; p < PROTO_COUNT; p++)
		for (int r = 0; r < REASON_COUNT; r++) {
			uint64_t n = 0;
			for (unsigned w = 0; w < eng.n_workers; w++) {
				const struct worker_state *ws = eng.lc[eng.worker_lcore[w]].ws;
				if (ws)
					n += ws->dctx.stats.events[p][r];
			}
			if (!n)
				continue;
			fprintf(out, "%s%s %s %" PRIu64, any ? ", " : "  events      ", decode_protocol_names[p],
				decode_reason_names[r], n);
			any = true;
		}
	if (any)
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
	fprintf(out, "  layout      %u worker%s, %u compressor%s%s\n", eng.n_workers, eng.n_workers == 1 ? "" : "s",
		eng.n_compressors, eng.n_compressors == 1 ? "" : "s",
		eng.lc[eng.compressor_lcore[0]].worker >= 0 ? " (inline)" : "");
	if (s.packets)
		fprintf(out, "  decoding    %.0f ns/packet per worker\n",
			(double)s.decode_cycles * 1e9 / (double)rte_get_tsc_hz() / (double)s.packets);
	fprintf(out, "  records     %" PRIu64 "; output %" PRIu64 " bytes in %s\n", records, out_bytes, eng.cfg->out_dir);
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
	uint64_t lost = d.imissed + d.nombuf + s.ring_full_drops;
	fprintf(out, "  drops       %" PRIu64 " (nic imissed %" PRIu64 ", rx_nombuf %" PRIu64 ", ring full %" PRIu64 ")\n",
		lost, d.imissed, d.nombuf, s.ring_full_drops);
	if (eng.expected_packets && s.rx_packets != eng.expected_packets)
		fprintf(out, "  incomplete  %" PRIu64 " of %" PRIu64 " packets read%s\n", s.rx_packets,
			eng.expected_packets, atomic_load(&eng.stop) ? " (interrupted)" : "");
	fflush(out);
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
				   "Packets, records per type and drops by cause. Takes no parameters");
	rte_telemetry_register_cmd("/netcap/ports", telemetry_ports,
				   "Per-port RX counters. Takes no parameters");
}
