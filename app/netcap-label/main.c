/* netcap-label: Suricata alerts mapped onto NETCAP records, for labeled
 * datasets: every record file becomes OUTDIR/<Type>_labeled.csv, its CSV
 * columns then Label (the matching alert's classification, or "normal").
 *
 * This file parses the command line; lib/label/run.c does the run and
 * lib/label/pipeline.c the --pcap mode (Suricata and netcap first). Exit
 * status: 0 all went well, 1 something was not labeled or not read fully
 * (a malformed alert line, a record file cut short, a write error, a
 * --strict conflict), 2 bad usage or a run refused before anything was
 * written, 130 interrupted. docs/labeling.md has the rules. */
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
#include "label/pipeline.h"
#include "label/run.h"
#include "ncap/writer.h"

static const char usage[] =
	"usage: netcap-label -r DIR|FILE... (--eve eve.json | --fast fast.log)... -o OUTDIR [options]\n"
	"       netcap-label --pcap FILE --rules FILE -o OUTDIR [options]\n"
	"Labels NETCAP records with Suricata alerts: every record file becomes\n"
	"OUTDIR/<Type>_labeled.csv, the columns netcap-dump prints and a last\n"
	"column Label (the alert's classification, or normal); the alerts no\n"
	"record matched are listed in OUTDIR/" LABEL_UNMATCHED_FILE ".\n"
	"\n"
	"Input\n"
	"  -r, --read DIR|FILE  record files (a DIR's *.ncap.gz); repeatable, or\n"
	"                  give them after the options\n"
	"  --eve FILE      Suricata eve.json (alert events; zones from their offsets)\n"
	"  --fast FILE     Suricata fast.log (netcap's input); both repeatable; the\n"
	"                  same alert in two files counts once\n"
	"  --tz ZONE       the zone fast.log times were written in, as the sensor's\n"
	"                  TZ: Europe/Berlin, UTC (default UTC)\n"
	"  --include T1,T2 only these record types\n"
	"  --pcap FILE --rules FILE\n"
	"                  run suricata -r FILE -S RULES and netcap -r FILE first,\n"
	"                  into a temporary directory, and label their output\n"
	"  --suricata PROG, --suricata-config FILE, --netcap PROG\n"
	"                  with --pcap: the programs (netcap: the one beside\n"
	"                  netcap-label first) and Suricata's configuration\n"
	"  --netcap-arg ARG with --pcap: one more argument for netcap; repeatable\n"
	"  --work-dir DIR  with --pcap: keep Suricata's and netcap's output in DIR\n"
	"\n"
	"Labels\n"
	"  --description   the alert's signature instead of its classification\n"
	"  --collect       every distinct label of a record, joined with \" | \"\n"
	"                  (default: the most severe alert's)\n"
	"  --exclude-class C1,C2\n"
	"                  ignore alerts of these classifications\n"
	"  --strict        fail a file with a record matching alerts of different\n"
	"                  classifications (it is named)\n"
	"  --tolerance DURATION\n"
	"                  how far a packet's time may be from its alert's: 1us\n"
	"                  (default), 0, 10ms, 1s\n"
	"  --app-slack DURATION\n"
	"                  how long after an HTTP or TLS record its alert may come\n"
	"                  (default 5s)\n"
	"  --max-alerts N  alerts read at most (default 10000000; more are counted)\n"
	"\n"
	"Output\n"
	"  -o, --out OUTDIR created if missing; existing outputs are refused\n"
	"  --force         replace existing outputs\n"
	"  --skip-clean    no file for a type with no labeled record\n"
	"  --select F1,F2  only these fields (then Label), in this order\n"
	"  --sep C, --tsv, --utc, --safe-csv, --json\n"
	"                  as netcap-dump (--json: <Type>_labeled.json, a Label key)\n"
	"  --jobs N        files labeled at once (default: one per CPU)\n"
	"  --progress      progress lines on stderr even when it is not a terminal\n"
	"  --max-record-memory SIZE, --max-elements N\n"
	"                  as netcap-dump: records costing more are skipped\n"
	"  --help, --version\n"
	"Options may be written with one dash (-description) and as --name=value.\n";

/* A growing list of strings from repeatable options. */
struct strings {
	const char **v;
	size_t n;
};

struct options {
	struct strings inputs, eve, fast, netcap_args, exclude_class;
	const char *tz, *out_dir, *select, *include;
	const char *pcap, *rules, *suricata, *suricata_config, *netcap, *work_dir;
	bool description, collect, strict, skip_clean;
	bool json, utc, safe_csv, force, progress;
	char sep;
	unsigned jobs;
	uint64_t max_alerts;
	int64_t tolerance_ns, app_slack_ns;
	struct ncap_limits limits;
};

static _Noreturn __attribute__((format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("netcap-label: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(netcap-label --help lists the options)\n", stderr);
	exit(2);
}

static void add(struct strings *s, const char *v)
{
	const char **p = realloc(s->v, (s->n + 1) * sizeof *p);
	if (!p)
		usage_error("out of memory");
	s->v = p;
	s->v[s->n++] = v;
}

/* Splits a comma-separated list into s (the text is the argument's own). */
static void add_list(struct strings *s, char *list, const char *flag)
{
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		add(s, t);
	if (s->n == 0)
		usage_error("%s takes a comma-separated list", flag);
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

/* A duration: a number with a unit ns, us, ms or s (0 needs none). */
static int64_t parse_duration(const char *flag, const char *value)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno || end == value || v < 0 || value[0] == '-')
		usage_error("%s takes a duration like 1us, 10ms or 2s, got \"%s\"", flag, value);
	if (!*end && v == 0)
		return 0;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (!strcmp(end, units[i].unit)) {
			if (v > INT64_MAX / units[i].ns)
				usage_error("%s: %s is too long", flag, value);
			return v * units[i].ns;
		}
	usage_error("%s takes a duration with a unit ns, us, ms or s, got \"%s\"", flag, value);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (options_done || arg[0] != '-' || !strcmp(arg, "-")) {
			add(&o->inputs, arg);
			continue;
		}
		if (!strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		char *eq = strchr(name, '=');
		size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
		char *value = eq ? eq + 1 : NULL;
#define IS(s) (name_len == strlen(s) && !strncmp(name, s, name_len))
		bool takes_value =
			IS("r") || IS("read") || IS("eve") || IS("fast") || IS("tz") || IS("include") ||
			IS("pcap") || IS("rules") || IS("suricata") || IS("suricata-config") ||
			IS("netcap") || IS("netcap-arg") || IS("work-dir") || IS("exclude-class") ||
			IS("tolerance") || IS("app-slack") || IS("max-alerts") || IS("o") ||
			IS("out") || IS("select") || IS("sep") || IS("jobs") ||
			IS("max-record-memory") || IS("max-elements");
		if (value && !takes_value)
			usage_error("option %.*s takes no value", (int)(eq - arg), arg);
		if (takes_value && !value) {
			if (i + 1 == argc)
				usage_error("option %s needs a value", arg);
			value = argv[++i];
		}
		if (takes_value && !*value && !IS("netcap-arg"))
			usage_error("option %s needs a non-empty value", arg);

		if (IS("r") || IS("read")) {
			add(&o->inputs, value);
		} else if (IS("eve")) {
			add(&o->eve, value);
		} else if (IS("fast")) {
			add(&o->fast, value);
		} else if (IS("tz")) {
			o->tz = value;
		} else if (IS("include")) {
			o->include = value;
		} else if (IS("pcap")) {
			o->pcap = value;
		} else if (IS("rules")) {
			o->rules = value;
		} else if (IS("suricata")) {
			o->suricata = value;
		} else if (IS("suricata-config")) {
			o->suricata_config = value;
		} else if (IS("netcap")) {
			o->netcap = value;
		} else if (IS("netcap-arg")) {
			add(&o->netcap_args, value);
		} else if (IS("work-dir")) {
			o->work_dir = value;
		} else if (IS("exclude-class")) {
			add_list(&o->exclude_class, value, arg);
		} else if (IS("tolerance")) {
			o->tolerance_ns = parse_duration(arg, value);
		} else if (IS("app-slack")) {
			o->app_slack_ns = parse_duration(arg, value);
		} else if (IS("max-alerts")) {
			o->max_alerts = parse_count(arg, value, false);
		} else if (IS("o") || IS("out")) {
			o->out_dir = value;
		} else if (IS("select")) {
			o->select = value;
		} else if (IS("sep")) {
			if (export_parse_sep(value, &o->sep))
				usage_error("--sep takes one ASCII character other than a quote or a "
					    "line break (or \\t), got \"%s\"", value);
		} else if (IS("jobs")) {
			uint64_t n = parse_count(arg, value, false);
			if (n > 1024)
				usage_error("--jobs takes at most 1024, got %s", value);
			o->jobs = (unsigned)n;
		} else if (IS("max-record-memory")) {
			o->limits.max_memory = parse_count(arg, value, true);
		} else if (IS("max-elements")) {
			o->limits.max_elements = parse_count(arg, value, false);
		} else if (IS("description")) {
			o->description = true;
		} else if (IS("collect")) {
			o->collect = true;
		} else if (IS("strict")) {
			o->strict = true;
		} else if (IS("skip-clean")) {
			o->skip_clean = true;
		} else if (IS("json")) {
			o->json = true;
		} else if (IS("utc")) {
			o->utc = true;
		} else if (IS("safe-csv")) {
			o->safe_csv = true;
		} else if (IS("tsv")) {
			o->sep = '\t';
		} else if (IS("force")) {
			o->force = true;
		} else if (IS("progress")) {
			o->progress = true;
		} else if (IS("help") || IS("h")) {
			fputs(usage, stdout);
			exit(0);
		} else if (IS("version")) {
			printf("netcap-label %s\n", NCAP_VERSION);
			exit(0);
		} else {
			usage_error("unknown option %s", arg);
		}
#undef IS
	}
	if (!o->out_dir)
		usage_error("no -o OUTDIR given");
	if (o->pcap || o->rules) {
		if (!o->pcap || !o->rules)
			usage_error("--pcap and --rules go together");
		if (o->inputs.n || o->eve.n || o->fast.n)
			usage_error("--pcap makes the records and alerts; -r, --eve and --fast "
				    "label ones that exist");
	} else {
		if (o->suricata || o->suricata_config || o->netcap || o->netcap_args.n ||
		    o->work_dir)
			usage_error("--suricata, --suricata-config, --netcap, --netcap-arg and "
				    "--work-dir go with --pcap");
		if (!o->inputs.n)
			usage_error("no record files given (-r DIR)");
		if (!o->eve.n && !o->fast.n)
			usage_error("no alerts given (--eve eve.json or --fast fast.log)");
	}
	if (o->tz && !o->fast.n)
		usage_error("--tz says how to read fast.log times; eve.json times carry "
			    "their offsets");
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit is a write error naming the file, as a full disk. */
	signal(SIGXFSZ, SIG_IGN);

	struct options o = {
		.sep = ',',
		.limits = ncap_default_limits,
		.tolerance_ns = -1,
		.app_slack_ns = -1,
	};
	parse_args(argc, argv, &o);

	struct label_pipeline pipe = {
		.pcap = o.pcap,
		.rules = o.rules,
		.suricata = o.suricata,
		.suricata_config = o.suricata_config,
		.netcap = o.netcap,
		.netcap_args = o.netcap_args.v,
		.n_netcap_args = o.netcap_args.n,
		.work_dir = o.work_dir,
		.prog = "netcap-label",
	};
	if (o.pcap) {
		/* Outputs that would be refused are refused before the tools
		 * run for minutes: the same check label_run makes. */
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", o.out_dir, LABEL_UNMATCHED_FILE);
		if (!o.force && !access(path, F_OK)) {
			fprintf(stderr, "netcap-label: %s exists; --force replaces it; nothing "
					"labeled\n", path);
			return 2;
		}
		if (label_pipeline_run(&pipe)) {
			label_pipeline_cleanup(&pipe);
			return 1;
		}
		add(&o.inputs, pipe.records);
		add(&o.eve, pipe.eve);
	}

	struct label_run_options lo = {
		.eve = o.eve.v,
		.n_eve = o.eve.n,
		.fast = o.fast.v,
		.n_fast = o.fast.n,
		.tz = o.tz,
		.tolerance_ns = o.tolerance_ns,
		.app_slack_ns = o.app_slack_ns,
		.max_alerts = (size_t)o.max_alerts,
		.text = {
			.description = o.description,
			.collect = o.collect,
			.strict = o.strict,
			.exclude_class = o.exclude_class.v,
			.n_exclude = o.exclude_class.n,
		},
		.skip_clean = o.skip_clean,
		.batch = {
			.format = o.json ? EMIT_JSON : EMIT_CSV,
			.sep = o.sep,
			.utc = o.utc,
			.safe_csv = o.safe_csv,
			.select = o.select,
			.include = o.include,
			.limits = o.limits,
			.jobs = o.jobs,
			.force = o.force,
			.progress = isatty(STDERR_FILENO) ? BATCH_PROGRESS_TERMINAL
				    : o.progress          ? BATCH_PROGRESS_LINES
							  : BATCH_PROGRESS_NONE,
			.prog = "netcap-label",
		},
	};
	int status = label_run(o.inputs.v, o.inputs.n, o.out_dir, &lo, NULL);
	label_pipeline_cleanup(&pipe);
	free(o.inputs.v);
	free(o.eve.v);
	free(o.fast.v);
	free(o.netcap_args.v);
	free(o.exclude_class.v);
	return status;
}
