/* netcap-dump: prints NETCAP record files as CSV or JSON lines.
 *
 * Reads each FILE with the lib/ncap reader and prints its records through
 * the generic emitter of lib/export; this file only parses the command line
 * and sequences files. Exit status: 0 all went well, 1 a file could not be
 * read completely (the records before the fault are printed), 2 bad usage. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/emit.h"
#include "ncap/reader.h"
#include "ncap/schema.h"
#include "ncap/writer.h"
#include "netcap.pb-c.h"

static const char usage[] =
	"usage: netcap-dump [options] FILE...\n"
	"Prints NETCAP record files (<Type>.ncap.gz, or - for standard input)\n"
	"as CSV with a header line (default) or as JSON lines.\n"
	"\n"
	"  --select F1,F2  print only these fields, in this order\n"
	"  --fields        print the CSV header line only\n"
	"  --sep C         CSV separator, one character or \\t (default ,)\n"
	"  --tsv           tab-separated (same as --sep '\\t')\n"
	"  --json          one JSON object per record and line\n"
	"  --utc           timestamps as RFC 3339 UTC instead of Unix nanoseconds\n"
	"  --header        print each file's Header record instead of its records\n"
	"  --count         print the number of records (per file and a total)\n"
	"  --help, --version\n"
	"Every option may also be written with a single dash (-select), and\n"
	"options with a value as --select=F1,F2. Field formats: docs/csv-json.md.\n";

enum mode { MODE_RECORDS, MODE_FIELDS, MODE_HEADER, MODE_COUNT };

struct options {
	enum mode mode;
	const char *select; /* NULL: every field */
	char sep;
	bool json, utc;
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
		bool takes_value = IS("select") || IS("sep");
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
			if (!strcmp(value, "\\t") || !strcmp(value, "\t"))
				o->sep = '\t';
			else if (strlen(value) != 1)
				usage_error("--sep takes one character (or \\t), got \"%s\"", value);
			else if (strchr("\"\r\n", value[0]))
				usage_error("--sep cannot be a quote or a line break");
			else
				o->sep = value[0];
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
		usage_error("no FILE given");
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

/* Prints the records of one file; returns false if any could not be read
 * or unpacked. */
static bool dump_records(struct emitter *em, struct ncap_reader *r,
			 const char *path, const ProtobufCMessageDescriptor *desc)
{
	const uint8_t *rec;
	size_t len;
	int rc;
	bool ok = true;
	uint64_t index = 0;
	while ((rc = ncap_reader_next(r, &rec, &len)) == 1) {
		index++;
		ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, len, rec);
		if (!msg) {
			/* Framing is intact, so the records after it still print. */
			if (fflush(stdout))
				output_failed();
			fprintf(stderr, "netcap-dump: %s: record %llu: cannot be decoded as %s\n",
				path, (unsigned long long)index, desc->short_name);
			ok = false;
			continue;
		}
		int err = emit_record(em, msg);
		protobuf_c_message_free_unpacked(msg, NULL);
		if (err)
			output_failed();
	}
	return ok && rc == 0;
}

int main(int argc, char **argv)
{
	/* Writes to a closed pipe fail with EPIPE and end quietly, instead of
	 * a signal that a `set -o pipefail` shell would count as a failure. */
	signal(SIGPIPE, SIG_IGN);

	struct options o = {.sep = ','};
	const char **files = calloc((size_t)argc, sizeof *files);
	if (!files) {
		fputs("netcap-dump: out of memory\n", stderr);
		return 1;
	}
	int nfiles = parse_args(argc, argv, &o, files);

	struct emitter em;
	emit_init(&em, stdout);
	/* --fields prints the CSV header line whatever the record format. */
	em.format = o.json && o.mode != MODE_FIELDS ? EMIT_JSON : EMIT_CSV;
	em.sep = o.sep;
	em.utc = o.utc;

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
				ok = dump_records(&em, r, path, desc);
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
