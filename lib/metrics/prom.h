/* prom.h: the Prometheus text exposition format, version 0.0.4, written
 * into a bounded buffer (docs/deployment.md, "Monitoring").
 *
 *   # HELP netcap_records_total Records made, by record type.
 *   # TYPE netcap_records_total counter
 *   netcap_records_total{type="TCP"} 1234
 *
 * Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__" (reserved); a sample
 * or family with a bad name is refused and nothing of it is written (the
 * names are the program's own: a refusal is a bug, counted in
 * prom_buf.refused). Label values are escaped as the format says: \ as
 * \\, " as \", a line feed as \n; other control bytes and bytes that are
 * not UTF-8 become '?', so any text (a file name, a sensor's device type)
 * gives a line a parser accepts. HELP text: \ as \\ and a line feed as
 * \n. The samples of one family are written right after its HELP and
 * TYPE lines, by the caller. */
#ifndef METRICS_PROM_H
#define METRICS_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Grows up to max bytes; past that the text is cut (failed set) and the
 * scrape should answer 500 rather than serve a partial page. */
struct prom_buf {
	char *data;
	size_t len, cap, max;
	bool failed;          /* out of memory or over max */
	unsigned refused;     /* samples or families with a bad name */
};

void prom_init(struct prom_buf *b, size_t max);
void prom_free(struct prom_buf *b);
void prom_reset(struct prom_buf *b);

bool prom_metric_name_ok(const char *name);
bool prom_label_name_ok(const char *name);

/* Appends v escaped as a label value to out[0..cap) (NUL-terminated, cut
 * to fit); returns the length it needed (as snprintf). */
size_t prom_escape_label(char *out, size_t cap, const char *v);
size_t prom_escape_help(char *out, size_t cap, const char *v);

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_UNTYPED };

/* "# HELP name help\n# TYPE name type\n". Returns 0, -1 if refused. */
int prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help);

/* A sample: name{l1="v1",...} value. labels: name, value, name, value,
 * ..., NULL (or labels NULL: none). Returns 0, -1 if refused. */
int prom_sample_u64(struct prom_buf *b, const char *name, const char *const *labels, uint64_t v);
int prom_sample_f64(struct prom_buf *b, const char *name, const char *const *labels, double v);

/* printf into the buffer (the writer's own use; exposed for the tests). */
void prom_printf(struct prom_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
