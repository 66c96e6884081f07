/* run.h: one netcap-label run: the alerts read and indexed, every record
 * file labeled into OUTDIR/<Type>_labeled.csv on a pool of threads, the
 * alerts that matched nothing listed in OUTDIR/unmatched_alerts.csv, and a
 * summary (docs/labeling.md, "Running netcap-label").
 *
 * The files are written by lib/export's batch conversion with a Label
 * column added (batch_hook), so a labeled file holds exactly the columns
 * `netcap-dump --select ... FILE` prints, then Label; it inherits the
 * batch rules: refusal before anything is written, temporary names renamed
 * when complete, a failed file not stopping the others, Ctrl-C removing
 * what is unfinished. */
#ifndef LABEL_RUN_H
#define LABEL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/batch.h"
#include "label/match.h"

/* The list of alerts no record matched, in OUTDIR. */
#define LABEL_UNMATCHED_FILE "unmatched_alerts.csv"
/* Alerts one record may match before the rest are only counted: the label
 * is decided among these (in time order), which bounds a record's cost
 * whatever the alert file holds. */
#define LABEL_MATCH_CAP 1024

struct label_run_options {
	const char *const *eve;   /* eve.json files */
	size_t n_eve;
	const char *const *fast;  /* fast.log files */
	size_t n_fast;
	const char *tz;           /* the zone fast.log times are in; NULL: UTC */
	int64_t tolerance_ns;     /* < 0: LABEL_TOLERANCE_DEFAULT_NS */
	int64_t app_slack_ns;     /* < 0: LABEL_APP_SLACK_DEFAULT_NS */
	size_t max_alerts;        /* 0: ALERT_MAX_DEFAULT */
	struct label_text_options text;
	bool skip_clean;          /* no file for a type without a labeled record */
	/* Output format, --select, --include, jobs, force, progress, limits,
	 * prog and log; hook and quiet are set by label_run. */
	struct batch_options batch;
};

struct label_type_figures {
	uint64_t records, labeled;
	uint64_t bad;       /* an address or port that cannot be read: normal */
	uint64_t overflow;  /* matched more than LABEL_MATCH_CAP alerts */
	uint64_t truncated; /* a Label text cut at its bound (--collect) */
};

struct label_run_summary {
	struct alert_stats alerts;    /* as read, before duplicates merged */
	uint64_t alerts_indexed;      /* after duplicates merged */
	uint64_t alerts_duplicate;    /* the same alert in two files (eve.json
				       * and fast.log of one Suricata run) */
	uint64_t alerts_matched;      /* matched at least one record */
	uint64_t records, labeled;    /* over every file written */
	struct batch_summary batch;
};

/* Labels every record file among inputs (files, or directories whose
 * record files are taken) into outdir. Returns a batch status: BATCH_OK,
 * BATCH_FAILED (something was not labeled, an alert line was malformed,
 * or an output could not be written), BATCH_REFUSED (nothing written: an
 * alert file unreadable, outputs existing without force, ...) or
 * BATCH_INTERRUPTED. sum may be NULL. */
int label_run(const char *const *inputs, size_t ninputs, const char *outdir,
	      const struct label_run_options *o, struct label_run_summary *sum);

#endif
