/* metrics.h: netcap's Prometheus endpoint, --metrics ADDR:PORT
 * (lib/metrics/http.h serves it; metrics.c writes the page from the same
 * counters as the telemetry socket and the summary; docs/deployment.md,
 * "Monitoring"). */
#ifndef PIPELINE_METRICS_H
#define PIPELINE_METRICS_H

#include <stdint.h>

#include "metrics/http.h"
#include "pipeline/config.h"

/* Binds cfg->metrics (before DPDK starts, so a bad address or a port in
 * use ends the run at once). NULL after printing the error. */
struct metrics_server *engine_metrics_open(const struct netcap_config *cfg);
/* Starts the server's thread once the engine is set up, on the CPUs no
 * lcore runs on (all of them when every CPU has an lcore). -1 after
 * printing the error. */
int engine_metrics_start(struct metrics_server *m);

/* report.c: an lcore's cycles by shown stage (the summary's split of the
 * packet loops) and the stages' names, for the per-lcore metrics. */
struct lcore_stats;
uint64_t report_stage_cycles(const struct lcore_stats *s, uint64_t *out);
const char *report_stage_name(int stage);

#endif
