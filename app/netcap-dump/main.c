/* netcap-dump: prints NETCAP record files as CSV or JSON lines.
 *
 * Reads each FILE with the lib/ncap reader and prints its records through
 * the generic emitter of lib/export; this file only parses the command line
 * and sequences files. With -o OUTDIR it converts them into files instead,
 * OUTDIR/<Type>.csv or .json, concurrently (lib/export/batch.h), through the
 * same printing function as standard output. Every record goes through
 * ncap_record_unpack(), which bounds what decoding it may cost
 * (lib/ncap/recordcheck.h): a record that would cost too much, or does not
 * decode, is reported and skipped, and the records after it print. Exit
 * status: 0 all went well, 1 a file could not be read completely (the
 * records before the fault are printed) or a record was skipped, 2 bad
 * usage (or, with -o, a conversion refused before it began), 130
 * interrupted (-o). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/args.h"
#include "export/batch.h"
#include "export/emit.h"
#include "ncap/reader.h"
#include "ncap/recordcheck.h"
#include "ncap/schema.h"
#include "ncap/writer.h"
#include "netcap.pb-c.h"

static const char usage[] =
	"usage: netcap-dump [options] FILE...\n"
	"       netcap-dump -o OUTDIR [options] DIR|FILE...\n"
	"Prints NETCAP record files (<Type>.ncap.gz, or - for standard input)\n"
	"as CSV with a header line (default) or as JSON lines. With -o, converts\n"
	"every record file (the *.ncap.gz and *.ncap directly in each DIR) into\n"
	"OUTDIR/<Type>.csv (or .json), the type read from each file's header,\n"
	"each file what netcap-dump [options] FILE prints; several at once.\n"
	"\n"
	"  --select F1,F2  print only these fields, in this order\n"
	"  --fields        print the CSV header line only\n"
	"  --sep C         CSV separator, one character or \\t (default ,)\n"
	"  --tsv           tab-separated (same as --sep '\\t')\n"
	"  --json          one JSON object per record and line\n"
	"  --utc           timestamps as RFC 3339 UTC instead of Unix nanoseconds\n"
	"  --header        print each file's Header record instead of its records\n"
	"  --count         print the number of records (per file and a total)\n"
	"  --safe-csv      CSV for spreadsheets: a text cell starting with = + - @\n"
	"                  (formula injection) gets a leading ' and is quoted\n"
	"  --max-record-memory SIZE\n"
	"                  skip records whose decoding needs more memory than SIZE\n"
	"                  (bytes, or with K, M, G; default 64M)\n"
	"  --max-elements N\n"
	"                  skip records with a repeated field of more than N\n"
	"                  elements in one message (default 1048576)\n"
	"  -o, --out OUTDIR\n"
	"                  convert into OUTDIR (created if missing); two inputs\n"
	"                  of one type are refused\n"
	"  --force         with -o: replace existing OUTDIR/<Type>.csv files\n"
	"                  (without it the run is refused, naming them)\n"
	"  --jobs N        with -o: files converted at once (default: one per CPU)\n"
	"  --progress      with -o: progress lines on stderr even when it is not a\n"
	"                  terminal (on a terminal there is always one)\n"
	"  --help, --version\n"
	"Every option may also be written with a single dash (-select), and\n"
	"options with a value as --select=F1,F2. Field formats: docs/csv-json.md.\n";

enum mode { MODE_RECORDS, MODE_FIELDS, MODE_HEADER, MODE_COUNT };

struct options {
	enum mode mode;
	const char *select; /* NULL: every field */
	char sep;
	bool json, utc, safe_csv;
	struct ncap_limits limits;
	/* -o: batch conversion */
	const char *out_dir;
	unsigned jobs;
	bool force, progress;
};

static _Noreturn __attribute__((format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("netcap-dump: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(netcap-dump --help lists the options)\n", stderr);
	exit(2);
}

/* A write to standard output failed: a closed pipe (| head) ends the run
 * quietly, anything else is an error. */
static _Noreturn void output_failed(void)
{
	if (errno == EPIPE)
		exit(0);
	fprintf(stderr, "netcap-dump: writing output: %s\n", strerror(errno));
	exit(1);
}

static void set_mode(struct options *o, enum mode m, const char *flag)
{
	if (o->mode != MODE_RECORDS && o->mode != m)
		usage_error("%s cannot be combined with --fields, --header or --count", flag);
	o->mode = m;
}

/* A positive count for option flag; sizes may have a K, M or G suffix. */
static uint64_t parse_count(const char *flag, const char *value, bool size)
{
	uint64_t v;
	if (export_parse_count(value, size, &v))
		usage_error("%s takes a positive number%s, got \"%s\"", flag,
			    size ? " of bytes (K, M, G allowed)" : "", value);
	return v;
}

/* Parses argv into o and the FILE arguments into files; returns their
 * count. Files and options may be mixed; "--" ends the options. */
static int parse_args(int argc, char **argv, struct options *o, const char **files)
{
	int nfiles = 0;
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (options_done || arg[0] != '-' || !strcmp(arg, "-")) {
			files[nfiles++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		/* "--name", "-name", "--name=value" */
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
		const char *value = eq ? eq + 1 : NULL;
#define IS(s) (name_len == strlen(s) && !strncmp(name, s, name_len))
		bool takes_value = IS("select") || IS("sep") || IS("max-record-memory") ||
				   IS("max-elements") || IS("o") || IS("out") || IS("jobs");
		if (value && !takes_value)
			usage_error("option %.*s takes no value", (int)(eq - arg), arg);
		if (takes_value && !value) {
			if (i + 1 == argc)
				usage_error("option %s needs a value", arg);
			value = argv[++i];
		}

		if (IS("select")) {
			o->select = value;
		} else if (IS("sep")) {
			if (export_parse_sep(value, &o->sep))
				usage_error("--sep takes one ASCII character other than a quote or a "
					    "line break (or \\t), got \"%s\"", value);
		} else if (IS("max-record-memory")) {
			o->limits.max_memory = parse_count(arg, value, true);
		} else if (IS("max-elements")) {
			o->limits.max_elements = parse_count(arg, value, false);
		} else if (IS("o") || IS("out")) {
			if (!*value)
				usage_error("%s takes a directory", arg);
			o->out_dir = value;
		} else if (IS("jobs")) {
			uint64_t n = parse_count(arg, value, false);
			if (n > 1024)
				usage_error("--jobs takes at most 1024, got %s", value);
			o->jobs = (unsigned)n;
		} else if (IS("force")) {
			o->force = true;
		} else if (IS("progress")) {
			o->progress = true;
		} else if (IS("safe-csv")) {
			o->safe_csv = true;
		} else if (IS("tsv")) {
			o->sep = '\t';
		} else if (IS("json")) {
			o->json = true;
		} else if (IS("utc")) {
			o->utc = true;
		} else if (IS("fields")) {
			set_mode(o, MODE_FIELDS, arg);
		} else if (IS("header")) {
			set_mode(o, MODE_HEADER, arg);
		} else if (IS("count")) {
			set_mode(o, MODE_COUNT, arg);
		} else if (IS("help") || IS("h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (IS("version")) {
			printf("netcap-dump %s\n", NCAP_VERSION);
			exit(0);
		} else {
			usage_error("unknown option %s", arg);
		}
#undef IS
	}
	if (nfiles == 0)
		usage_error(o->out_dir ? "no DIR or FILE given" : "no FILE given");
	if (o->out_dir && o->mode != MODE_RECORDS)
		usage_error("-o converts records; --fields, --header and --count print to "
			    "standard output without it");
	if (!o->out_dir && (o->jobs || o->force || o->progress))
		usage_error("--jobs, --force and --progress go with -o OUTDIR");
	return nfiles;
}

/* Counts the records of one file. Returns false after a fault. */
static bool count_file(struct ncap_reader *r, uint64_t *count)
{
	const uint8_t *rec;
	size_t len;
	int rc;
	*count = 0;
	while ((rc = ncap_reader_next(r, &rec, &len)) == 1)
		++*count;
	return rc == 0;
}

/* Prints the records of one file (the function -o uses for each output
 * file); returns false if any could not be read or unpacked. */
static bool dump_records(struct emitter *em, struct ncap_reader *r,
			 const ProtobufCMessageDescriptor *desc, const struct ncap_limits *limits)
{
	struct export_stats stats = {0};
	enum export_result res = export_file_records(em, r, desc, limits, "netcap-dump", stderr,
						     &stats);
	if (res == EXPORT_WRITE_FAILED)
		output_failed();
	return res == EXPORT_OK;
}

/* -o OUTDIR: every input converted into a file of its own. */
static int convert_to_dir(const struct options *o, const char *const *inputs, int ninputs)
{
	struct batch_options bo = {
		.format = o->json ? EMIT_JSON : EMIT_CSV,
		.sep = o->sep,
		.utc = o->utc,
		.safe_csv = o->safe_csv,
		.select = o->select,
		.limits = o->limits,
		.jobs = o->jobs,
		.force = o->force,
		.progress = isatty(STDERR_FILENO) ? BATCH_PROGRESS_TERMINAL
			    : o->progress         ? BATCH_PROGRESS_LINES
						  : BATCH_PROGRESS_NONE,
	};
	return batch_convert(inputs, (size_t)ninputs, o->out_dir, &bo, NULL);
}

int main(int argc, char **argv)
{
	/* Writes to a closed pipe fail with EPIPE and end quietly, instead of
	 * a signal that a `set -o pipefail` shell would count as a failure. */
	signal(SIGPIPE, SIG_IGN);

	struct options o = {.sep = ',', .limits = ncap_default_limits};
	const char **files = calloc((size_t)argc, sizeof *files);
	if (!files) {
		fputs("netcap-dump: out of memory\n", stderr);
		return 1;
	}
	int nfiles = parse_args(argc, argv, &o, files);
	if (o.out_dir) {
		/* A file size limit (ulimit -f) is then a write error naming the
		 * file, like a full disk, not a signal that kills every file. */
		signal(SIGXFSZ, SIG_IGN);
		int status = convert_to_dir(&o, files, nfiles);
		free(files);
		return status;
	}

	struct emitter em;
	emit_init(&em, stdout);
	/* --fields prints the CSV header line whatever the record format. */
	em.format = o.json && o.mode != MODE_FIELDS ? EMIT_JSON : EMIT_CSV;
	em.sep = o.sep;
	em.utc = o.utc;
	em.safe_csv = o.safe_csv;

	int status = 0;
	uint64_t total = 0;
	const ProtobufCMessageDescriptor *last_desc = NULL; /* of the last header line */
	for (int i = 0; i < nfiles; i++) {
		const char *path = files[i];
		char err[512];
		struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
		if (!r) {
			fprintf(stderr, "netcap-dump: %s\n", err);
			status = 1;
			continue;
		}
		const struct ncap_type *type = ncap_reader_type(r);
		const ProtobufCMessageDescriptor *desc =
			o.mode == MODE_HEADER ? &types__header__descriptor : type->desc;
		bool ok = true;

		if (o.mode == MODE_COUNT) {
			uint64_t n;
			ok = count_file(r, &n);
			total += n;
			if (nfiles == 1)
				printf("%llu\n", (unsigned long long)n);
			else
				printf("%llu\t%s\n", (unsigned long long)n, path);
		} else if (!desc) {
			fprintf(stderr, "netcap-dump: %s: record type %s has no message to print\n",
				path, type->name);
			ok = false;
		} else {
			/* A new header line, and the selection resolved again, for
			 * every change of record type. */
			if (desc != last_desc) {
				char select_err[4096];
				if (o.select &&
				    emit_select(&em, desc, o.select, select_err, sizeof select_err)) {
					fflush(stdout);
					fprintf(stderr, "netcap-dump: --select: %s\n", select_err);
					exit(2);
				}
				if (emit_header_line(&em, desc))
					output_failed();
				last_desc = desc;
			}
			if (o.mode == MODE_HEADER) {
				if (emit_record(&em, &ncap_reader_header(r)->base))
					output_failed();
			} else if (o.mode == MODE_RECORDS) {
				ok = dump_records(&em, r, desc, &o.limits);
			}
		}
		if (!ok && *ncap_reader_error(r)) {
			/* Flush first so the error follows the records it cut short. */
			if (fflush(stdout))
				output_failed();
			fprintf(stderr, "netcap-dump: %s\n", ncap_reader_error(r));
		}
		if (!ok)
			status = 1;
		ncap_reader_close(r);
	}
	if (o.mode == MODE_COUNT && nfiles > 1)
		printf("%llu\ttotal\n", (unsigned long long)total);
	if (fflush(stdout) || ferror(stdout))
		output_failed();
	emit_free(&em);
	free(files);
	return status;
}
