/* metrics.c: netcap-collect's Prometheus page (metrics.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/metrics.h"

static void single(struct prom_buf *b, const char *name, enum prom_type type, const char *help, uint64_t v)
{
	prom_family(b, name, type, help);
	prom_sample_u64(b, name, NULL, v);
}

enum { S_DATAGRAMS, S_BYTES, S_BATCHES, S_RECORDS, S_RECORDS_LOST, S_WRITE_ERRORS, S_GAPS, S_EPOCHS,
       S_FRAG_DONE, S_FRAG_GAVE_UP, S_FRAG_PENDING, S_DROPS, S_FIRST_SEEN, S_LAST_SEEN, S_COUNT };

static const struct {
	const char *name;
	enum prom_type type;
	const char *help;
} sensor_families[S_COUNT] = {
	[S_DATAGRAMS] = { "netcap_collect_sensor_datagrams_total", PROM_COUNTER, "Datagrams accepted from the sensor." },
	[S_BYTES] = { "netcap_collect_sensor_bytes_total", PROM_COUNTER, "Bytes of the datagrams accepted from the sensor." },
	[S_BATCHES] = { "netcap_collect_sensor_batches_total", PROM_COUNTER, "Record batches from the sensor." },
	[S_RECORDS] = { "netcap_collect_sensor_records_total", PROM_COUNTER, "Records from the sensor (the stats file's records)." },
	[S_RECORDS_LOST] = { "netcap_collect_sensor_records_lost_total", PROM_COUNTER, "Records of the sensor accepted but not stored." },
	[S_WRITE_ERRORS] = { "netcap_collect_sensor_write_errors_total", PROM_COUNTER, "Write errors on the sensor's files." },
	[S_GAPS] = { "netcap_collect_sensor_gaps", PROM_GAUGE, "Sequence numbers of the sensor lost or not seen yet (late ones fill in)." },
	[S_EPOCHS] = { "netcap_collect_sensor_epochs_total", PROM_COUNTER, "Epochs (sensor restarts) seen." },
	[S_FRAG_DONE] = { "netcap_collect_sensor_fragments_completed_total", PROM_COUNTER, "Fragmented batches reassembled." },
	[S_FRAG_GAVE_UP] = { "netcap_collect_sensor_fragments_gave_up_total", PROM_COUNTER, "Fragmented batches given up." },
	[S_FRAG_PENDING] = { "netcap_collect_sensor_fragments_pending", PROM_GAUGE, "Fragmented batches in reassembly." },
	[S_DROPS] = { "netcap_collect_sensor_drops_total", PROM_COUNTER, "Datagrams of the sensor's key dropped, by cause." },
	[S_FIRST_SEEN] = { "netcap_collect_sensor_first_seen_timestamp_seconds", PROM_GAUGE, "When the sensor's first datagram was accepted, seconds since the Unix epoch." },
	[S_LAST_SEEN] = { "netcap_collect_sensor_last_seen_timestamp_seconds", PROM_GAUGE, "When the sensor's last datagram was accepted, seconds since the Unix epoch." },
};

int collect_metrics_page(struct prom_buf *b, void *arg)
{
	const struct collect_metrics *m = arg;
	struct collect_totals t;
	collect_totals(m->w, m->n, &t);
	prom_family(b, "netcap_collect_start_time_seconds", PROM_GAUGE, "When the collector started, seconds since the Unix epoch.");
	prom_sample_f64(b, "netcap_collect_start_time_seconds", NULL, (double)m->c->started_ns / 1e9);
	single(b, "netcap_collect_threads", PROM_GAUGE, "Receive threads.", m->n);
	single(b, "netcap_collect_datagrams_total", PROM_COUNTER, "Datagrams received.", t.datagrams);
	single(b, "netcap_collect_accepted_total", PROM_COUNTER, "Datagrams accepted (whole batches and pieces kept for reassembly).", t.accepted);
	const char *name = "netcap_collect_drops_total";
	prom_family(b, name, PROM_COUNTER, "Datagrams dropped, by cause (docs/collector.md).");
	for (int v = 1; v < COLLECT_VERDICTS; v++) {
		const char *l[] = { "cause", collect_verdict_name((enum collect_verdict)v), NULL };
		prom_sample_u64(b, name, l, t.drops[v]);
	}
	single(b, "netcap_collect_receive_errors_total", PROM_COUNTER, "Errors of the receive calls.", t.receive_errors);

	/* Per sensor of the allow list that sent something (or was dropped):
	 * one view each, taken under its lock, then one family at a time. */
	size_t n = m->c->sensors.n;
	struct collect_sensor_view *views = n ? malloc(n * sizeof *views) : NULL;
	if (n && !views)
		return -1;
	for (size_t i = 0; i < n; i++)
		collect_sensor_view(&m->c->sensors.s[i], &views[i]);
	for (int f = 0; f < S_COUNT; f++) {
		prom_family(b, sensor_families[f].name, sensor_families[f].type, sensor_families[f].help);
		for (size_t i = 0; i < n; i++) {
			const struct collect_sensor_view v = views[i];
			if (!v.seen && !v.drops_total)
				continue;
			const char *l[] = { "sensor", v.seen ? v.id : "", "key", v.key, NULL, NULL, NULL };
			const char *fn = sensor_families[f].name;
			switch (f) {
			case S_DATAGRAMS: prom_sample_u64(b, fn, l, v.datagrams); break;
			case S_BYTES: prom_sample_u64(b, fn, l, v.bytes); break;
			case S_BATCHES: prom_sample_u64(b, fn, l, v.batches); break;
			case S_RECORDS: prom_sample_u64(b, fn, l, v.records); break;
			case S_RECORDS_LOST: prom_sample_u64(b, fn, l, v.records_lost); break;
			case S_WRITE_ERRORS: prom_sample_u64(b, fn, l, v.write_errors); break;
			case S_GAPS: prom_sample_u64(b, fn, l, v.gaps); break;
			case S_EPOCHS: prom_sample_u64(b, fn, l, v.epochs); break;
			case S_FRAG_DONE: prom_sample_u64(b, fn, l, v.frag_completed); break;
			case S_FRAG_GAVE_UP: prom_sample_u64(b, fn, l, v.frag_gave_up); break;
			case S_FRAG_PENDING: prom_sample_u64(b, fn, l, v.frag_pending); break;
			case S_DROPS:
				l[4] = "cause";
				for (int d = 1; d < COLLECT_VERDICTS; d++) {
					l[5] = collect_verdict_name((enum collect_verdict)d);
					prom_sample_u64(b, fn, l, v.drops[d]);
				}
				break;
			case S_FIRST_SEEN:
			case S_LAST_SEEN: {
				int64_t ns = f == S_FIRST_SEEN ? v.first_seen_ns : v.last_seen_ns;
				if (ns)
					prom_sample_f64(b, fn, l, (double)ns / 1e9);
				break;
			}
			}
		}
	}
	free(views);
	if (m->server)
		metrics_write_server(b, "netcap_collect", m->server);
	return b->refused ? -1 : 0;
}
