/* metrics.h: netcap-collect's Prometheus page, --metrics ADDR:PORT
 * (lib/metrics/http.h serves it; docs/deployment.md, "Monitoring"). The
 * counters are those of the stats file (collect_totals,
 * collect_sensor_view), read with relaxed loads and each sensor's lock, as
 * the stats file reads them. */
#ifndef COLLECT_METRICS_H
#define COLLECT_METRICS_H

#include <stddef.h>

#include "collect/collector.h"
#include "metrics/http.h"

struct collect_metrics {
	struct collector *c;
	struct collect_worker *const *w;
	size_t n;
	struct metrics_server *server;
};

/* A metrics_page_fn; arg is a struct collect_metrics. */
int collect_metrics_page(struct prom_buf *b, void *arg);

#endif
