/* batch.h: converts many record files to CSV or JSON files at once.
 *
 * netcap-dump -o OUTDIR DIR... turns every record file into
 * OUTDIR/<Type>.csv (or .json) on a pool of threads. Each output is what
 * `netcap-dump [options] FILE` prints, byte for byte: both go through
 * export_file_records(), which prints one open file's records through an
 * emitter to whatever FILE* the emitter holds.
 *
 * The rules (docs/csv-json.md, "Converting a whole directory"):
 *   - the type, and so the output's name, comes from each file's Header
 *     record; a file that is not a record file is reported and skipped;
 *   - before anything is converted, the run is refused (status 2) when two
 *     inputs have the same type, when an output exists and force is off,
 *     or when --select names a field one of the types lacks;
 *   - outputs are written to ".<Type>.csv.<pid>.tmp" in OUTDIR, synced and
 *     renamed when complete, so a crash, a full disk or Ctrl-C never leaves
 *     a partial file under a final name; a failed file does not stop the
 *     others. */
#ifndef EXPORT_BATCH_H
#define EXPORT_BATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export/emit.h"
#include "ncap/reader.h"
#include "ncap/recordcheck.h"

/* ---- one file ------------------------------------------------------------ */

/* A column added after every record's own (netcap-label's Label). value
 * gives a record's text (*text, *len; it stays valid until the next
 * call) and returns 0, or -1 to refuse the file: why then says which
 * rule the record broke (--strict), and the file is not converted. */
struct export_extra {
	int (*value)(void *state, const ProtobufCMessage *msg, const char **text, size_t *len,
		     char *why, size_t whylen);
	void *state;
};

struct export_stats {
	uint64_t records; /* printed */
	uint64_t skipped; /* not decodable, or over the limits */
	/* Optional: a counter of records read that others may watch (progress),
	 * added to every few thousand records and at the end. */
	_Atomic uint64_t *progress;
	/* Optional: set by a supervisor to stop early (interrupted); checked
	 * between records. */
	const atomic_bool *stop;
	bool stopped; /* set when stop cut the file short */
	/* Optional: the extra column's values (the emitter's extra_column
	 * names it). */
	const struct export_extra *extra;
	bool extra_refused; /* set when extra->value refused a record */
};

enum export_result {
	EXPORT_OK = 0,
	EXPORT_FAULT = 1,        /* records skipped, or the reader faulted
				  * (ncap_reader_error() says why; not printed
				  * here), or stopped */
	EXPORT_WRITE_FAILED = -1 /* writing em->out failed; errno says why */
};

/* Prints every record of r (desc: its type's message) as a line through
 * em, after whatever the caller printed (the header line). A record that
 * cannot be decoded or costs more than limits allow is reported on log
 * (NULL: stderr) as "prog: WHERE: reason; record skipped", em->out flushed
 * first so the message follows the records before it, and the records
 * after it print. stats may not be NULL; its counters are added to. */
enum export_result export_file_records(struct emitter *em, struct ncap_reader *r,
				       const ProtobufCMessageDescriptor *desc,
				       const struct ncap_limits *limits, const char *prog,
				       FILE *log, struct export_stats *stats);

/* ---- many files ---------------------------------------------------------- */

enum batch_progress {
	BATCH_PROGRESS_NONE,
	BATCH_PROGRESS_TERMINAL, /* one line, rewritten in place (\r) */
	BATCH_PROGRESS_LINES,    /* a line per finished file, and one a second */
};

/* What netcap-label adds to a conversion; every member optional. */
struct batch_hook {
	const char *extra_column; /* a last column, filled by record_value */
	const char *name_suffix;  /* outputs are <Type><suffix>.csv */
	void *arg;
	/* Before a file's records, on the thread converting it: the state
	 * record_value gets; NULL when out of memory (the file fails). */
	void *(*file_begin)(void *arg, const struct ncap_type *type);
	int (*record_value)(void *state, const ProtobufCMessage *msg, const char **text,
			    size_t *len, char *why, size_t whylen);
	/* After the file, with whether its output is usable (it holds the
	 * records read: all, or those before a fault of the input); returns
	 * whether to keep it (false: removed, as --skip-clean does with a file
	 * that got no label), and frees state. */
	bool (*file_end)(void *state, bool usable);
};

struct batch_options {
	/* The emitter's settings, as for one file. */
	enum emit_format format;
	char sep;
	bool utc, safe_csv;
	const char *select; /* NULL: every field */
	const char *include; /* comma-separated type names; NULL: every type */
	struct ncap_limits limits;

	unsigned jobs;  /* threads; 0: one per CPU this process may run on */
	bool force;     /* replace existing outputs */
	enum batch_progress progress;
	const char *prog; /* message prefix; NULL: "netcap-dump" */
	FILE *log;        /* messages, progress, summary; NULL: stderr */
	bool quiet;       /* no summary line */
	/* Optional: set by the caller (another thread, a test) to interrupt;
	 * batch_convert() also sets its own flag on SIGINT, SIGTERM, SIGHUP. */
	const atomic_bool *stop;
	const struct batch_hook *hook; /* NULL: a plain conversion */
};

struct batch_summary {
	uint64_t files_converted;  /* outputs now under their final name */
	uint64_t files_incomplete; /* of those: the input faulted part way (the
				    * output holds the records before it) */
	uint64_t files_failed;     /* inputs with no output: not a record file,
				    * unreadable, a write error */
	uint64_t files_dropped;    /* converted, but the hook did not keep it */
	uint64_t files_excluded;   /* record files of a type not in include */
	uint64_t records;          /* printed, in all files */
	uint64_t records_skipped;
	uint64_t bytes_written;    /* in the outputs under their final names */
	double seconds;
	bool interrupted;
};

/* Exit statuses of batch_convert(), those of netcap-dump. */
enum {
	BATCH_OK = 0,
	BATCH_FAILED = 1,      /* something was not converted, or not fully */
	BATCH_REFUSED = 2,     /* nothing was converted: the request cannot be
				* done as asked (see above) */
	BATCH_INTERRUPTED = 130,
};

/* Converts every record file among inputs (files, or directories whose
 * *.ncap.gz and *.ncap files directly inside are taken; names starting
 * with "." are not) into outdir, created if missing (with its parents).
 * Returns one of the statuses above; sum (may be NULL) gets the figures
 * the summary line prints. */
int batch_convert(const char *const *inputs, size_t ninputs, const char *outdir,
		  const struct batch_options *o, struct batch_summary *sum);

/* Threads this process may run on (its CPU affinity, as taskset or a
 * cgroup set it): the default of jobs. */
unsigned batch_cpus_available(void);

/* The output name for type name and format: "TCP.csv", "TCP.json". */
const char *batch_extension(enum emit_format format);

#endif
