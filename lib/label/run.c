/* run.c: one netcap-label run (run.h): alerts read, merged and indexed
 * once on the main thread; then the record files labeled by the batch
 * converter's threads, each file with its own matcher and buffers (the
 * index is read-only, its matched flags atomic); then the alerts nothing
 * matched written out and the figures printed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "label/run.h"
#include "ncap/schema.h"

/* A Label text's bound: --collect of many distinct signatures is cut here
 * (counted), the rest of the record unaffected. */
#define LABEL_TEXT_MAX 16384

struct label_run {
	const struct label_run_options *o;
	const char *prog;
	FILE *log;
	struct label_index idx;

	pthread_mutex_t lock; /* figures below, at the end of each file */
	struct label_type_figures *per_type; /* by ncap type id */
	size_t ntypes;
};

/* The state of one file being labeled, on the thread labeling it. */
struct label_file {
	struct label_run *run;
	const struct ncap_type *type;
	struct label_matcher matcher;
	struct label_type_figures fig;
	uint32_t matches[LABEL_MATCH_CAP];
	char text[LABEL_TEXT_MAX];
};

static __attribute__((format(printf, 2, 3))) void say(struct label_run *run, const char *fmt,
						       ...)
{
	va_list ap;
	va_start(ap, fmt);
	flockfile(run->log);
	fprintf(run->log, "%s: ", run->prog);
	vfprintf(run->log, fmt, ap);
	fputc('\n', run->log);
	fflush(run->log);
	funlockfile(run->log);
	va_end(ap);
}

static void report_alert_problem(void *arg, const char *message)
{
	say(arg, "%s", message);
}

static void *file_begin(void *arg, const struct ncap_type *type)
{
	struct label_run *run = arg;
	struct label_file *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->run = run;
	f->type = type;
	label_matcher_init(&f->matcher, type->desc, run->o->app_slack_ns);
	return f;
}

static int record_value(void *state, const ProtobufCMessage *msg, const char **text,
			size_t *len, char *why, size_t whylen)
{
	struct label_file *f = state;
	struct label_run *run = f->run;
	struct label_match_result res;
	size_t n = label_match(&f->matcher, msg, &run->idx, f->matches, LABEL_MATCH_CAP, &res);
	f->fig.records++;
	f->fig.bad += res.bad_record;
	f->fig.overflow += res.total > n;
	int l = label_text(&run->idx, f->matches, n, &run->o->text, f->text, sizeof f->text);
	if (l == LABEL_TEXT_CONFLICT) {
		snprintf(why, whylen, "--strict: the record matches alerts of different "
				      "classifications: %s", f->text);
		return -1;
	}
	size_t used = (size_t)l;
	if (used >= sizeof f->text) {
		f->fig.truncated++;
		used = strlen(f->text);
	}
	*text = f->text;
	*len = used;
	/* What the file shows: a record is labeled when its Label is not
	 * "normal" (all its alerts excluded leaves it normal). */
	if (!(used == 6 && !memcmp(f->text, "normal", 6)))
		f->fig.labeled++;
	return 0;
}

/* The figures are those of the files written: a file that failed part
 * way (--strict, a write error, interrupted) adds nothing. */
static bool file_end(void *state, bool usable)
{
	struct label_file *f = state;
	struct label_run *run = f->run;
	bool keep = !(run->o->skip_clean && f->fig.labeled == 0);
	pthread_mutex_lock(&run->lock);
	if (usable && keep && (size_t)f->type->id < run->ntypes) {
		struct label_type_figures *t = &run->per_type[f->type->id];
		t->records += f->fig.records;
		t->labeled += f->fig.labeled;
		t->bad += f->fig.bad;
		t->overflow += f->fig.overflow;
		t->truncated += f->fig.truncated;
	}
	pthread_mutex_unlock(&run->lock);
	free(f);
	return keep;
}

/* ---- alerts --------------------------------------------------------------- */

/* Reads every alert file; false (reported) when one cannot be read. */
static bool read_alerts(struct label_run *run, struct alert_set *set)
{
	const struct label_run_options *o = run->o;
	struct alert_tz *tz = NULL;
	if (o->tz) {
		char err[512];
		tz = alert_tz_load(o->tz, err, sizeof err);
		if (!tz) {
			say(run, "--tz %s: %s", o->tz, err);
			return false;
		}
	}
	bool ok = true;
	/* The jobs that will label the files parse eve.json first. */
	unsigned threads = o->batch.jobs ? o->batch.jobs : batch_cpus_available();
	for (size_t i = 0; i < o->n_eve && ok; i++)
		ok = !alert_read_eve_threads(set, o->eve[i], threads);
	for (size_t i = 0; i < o->n_fast && ok; i++)
		ok = !alert_read_fast(set, o->fast[i], tz);
	alert_tz_free(tz);
	return ok;
}

/* ---- the list of unmatched alerts ---------------------------------------- */

static void format_time(int64_t ns, char *out, size_t outlen)
{
	time_t s = (time_t)(ns / 1000000000);
	int64_t frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		snprintf(out, outlen, "%lld", (long long)ns);
		return;
	}
	char date[40];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outlen, "%s.%06lldZ", date, (long long)(frac / 1000));
}

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	default: snprintf(buf, len, "%u", proto); return buf;
	}
}

/* OUTDIR/unmatched_alerts.csv, written under a temporary name and renamed.
 * Returns the count written, or -1 (reported). */
static ssize_t write_unmatched(struct label_run *run, const struct alert_set *set,
			       const char *outdir)
{
	char final[4096], tmp[4096];
	if ((size_t)snprintf(final, sizeof final, "%s/%s", outdir, LABEL_UNMATCHED_FILE) >=
		    sizeof final ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", outdir, LABEL_UNMATCHED_FILE,
			     (long)getpid()) >= sizeof tmp) {
		say(run, "%s: path too long", outdir);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	FILE *out = fd < 0 ? NULL : fdopen(fd, "w");
	if (!out) {
		say(run, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct emitter em;
	emit_init(&em, out);
	em.sep = run->o->batch.sep ? run->o->batch.sep : ',';
	em.safe_csv = run->o->batch.safe_csv;
	static const char *const header[] = {"Timestamp", "Source", "Line", "Protocol",
		"SrcIP", "SrcPort", "DstIP", "DstPort", "Gid", "Sid", "Rev", "Priority",
		"Classification", "Signature"};
	int err = emit_text_line(&em, header, sizeof header / sizeof *header);
	ssize_t count = 0;
	for (size_t i = 0; i < set->n && !err; i++) {
		if (label_index_matched(&run->idx, (uint32_t)i))
			continue;
		const struct alert *a = &set->alerts[i];
		char ts[64], line[16], proto[8], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN],
			sport[8], dport[8], gid[16], sid[16], rev[16], prio[16];
		format_time(a->ts, ts, sizeof ts);
		snprintf(line, sizeof line, "%u", a->line);
		int af = a->version == 6 ? AF_INET6 : AF_INET;
		inet_ntop(af, a->src, src, sizeof src);
		inet_ntop(af, a->dst, dst, sizeof dst);
		snprintf(sport, sizeof sport, "%u", a->src_port);
		snprintf(dport, sizeof dport, "%u", a->dst_port);
		snprintf(gid, sizeof gid, "%u", a->gid);
		snprintf(sid, sizeof sid, "%u", a->sid);
		snprintf(rev, sizeof rev, "%u", a->rev);
		snprintf(prio, sizeof prio, "%u", a->priority);
		const char *cells[] = {ts, set->sources[a->source], line,
			proto_name(a->proto, proto, sizeof proto), src, sport, dst, dport, gid, sid,
			rev, prio, a->classification, a->signature};
		err = emit_text_line(&em, cells, sizeof cells / sizeof *cells);
		count++;
	}
	emit_free(&em);
	int write_errno = err ? errno : 0;
	errno = 0;
	if (!write_errno && (fflush(out) || ferror(out) || fsync(fileno(out))))
		write_errno = errno ? errno : EIO;
	if (fclose(out) && !write_errno)
		write_errno = errno;
	if (!write_errno && rename(tmp, final))
		write_errno = errno;
	if (write_errno) {
		say(run, "writing %s: %s", final, strerror(write_errno));
		unlink(tmp);
		return -1;
	}
	return count;
}

/* ---- the run -------------------------------------------------------------- */

static int compare_type_names(const void *a, const void *b)
{
	const struct ncap_type *x = *(const struct ncap_type *const *)a,
			       *y = *(const struct ncap_type *const *)b;
	return strcmp(x->name, y->name);
}

static void print_summary(struct label_run *run, const struct label_run_summary *s,
			  const char *outdir, ssize_t unmatched)
{
	const struct alert_stats *a = &s->alerts;
	char dup[96] = "";
	if (s->alerts_duplicate)
		snprintf(dup, sizeof dup, " (and %llu copies of them in a later file, merged)",
			 (unsigned long long)s->alerts_duplicate);
	char listed[4200] = "";
	if (unmatched >= 0)
		snprintf(listed, sizeof listed, " (listed in %s/%s)", outdir, LABEL_UNMATCHED_FILE);
	say(run, "alerts: %llu read%s, %llu malformed lines, %llu matched a record, %llu "
		 "matched none%s",
	    (unsigned long long)s->alerts_indexed, dup, (unsigned long long)a->malformed,
	    (unsigned long long)s->alerts_matched,
	    (unsigned long long)(s->alerts_indexed - s->alerts_matched), listed);
	if (a->dropped)
		say(run, "alerts: %llu past the limit of %zu not read",
		    (unsigned long long)a->dropped, run->o->max_alerts);

	/* Records labeled per type, by type name. */
	size_t n = 0;
	const struct ncap_type **types = calloc(run->ntypes ? run->ntypes : 1, sizeof *types);
	size_t count;
	const struct ncap_type *table = ncap_types_table(&count);
	for (size_t i = 0; types && i < count; i++)
		if ((size_t)table[i].id < run->ntypes && run->per_type[table[i].id].records +
								 run->per_type[table[i].id].labeled)
			types[n++] = &table[i];
	if (types)
		qsort(types, n, sizeof *types, compare_type_names);
	for (size_t i = 0; i < n; i++) {
		const struct label_type_figures *f = &run->per_type[types[i]->id];
		char extra[160] = "";
		int len = 0;
		if (f->bad)
			len += snprintf(extra + len, sizeof extra - (size_t)len,
					", %llu with unreadable addresses", (unsigned long long)f->bad);
		if (f->overflow && len < (int)sizeof extra)
			len += snprintf(extra + len, sizeof extra - (size_t)len,
					", %llu matching over %d alerts", (unsigned long long)f->overflow,
					LABEL_MATCH_CAP);
		if (f->truncated && len < (int)sizeof extra)
			snprintf(extra + len, sizeof extra - (size_t)len, ", %llu labels cut",
				 (unsigned long long)f->truncated);
		say(run, "  %-20s %llu of %llu records labeled%s", types[i]->name,
		    (unsigned long long)f->labeled, (unsigned long long)f->records, extra);
	}
	free(types);
	const struct batch_summary *b = &s->batch;
	char dropped[64] = "";
	if (b->files_dropped)
		snprintf(dropped, sizeof dropped, ", %llu without a label not written",
			 (unsigned long long)b->files_dropped);
	say(run, "%llu file%s written%s, %llu failed: %llu of %llu records labeled, %llu "
		 "bytes to %s in %.2f s",
	    (unsigned long long)b->files_converted, b->files_converted == 1 ? "" : "s", dropped,
	    (unsigned long long)b->files_failed, (unsigned long long)s->labeled,
	    (unsigned long long)s->records, (unsigned long long)b->bytes_written, outdir,
	    b->seconds);
}

int label_run(const char *const *inputs, size_t ninputs, const char *outdir,
	      const struct label_run_options *o, struct label_run_summary *sum)
{
	struct label_run run = {
		.o = o,
		.prog = o->batch.prog ? o->batch.prog : "netcap-label",
		.log = o->batch.log ? o->batch.log : stderr,
	};
	struct label_run_summary s = {0};
	int status = BATCH_OK;
	pthread_mutex_init(&run.lock, NULL);
	/* Ids index the table; leave room for the largest. */
	size_t count;
	const struct ncap_type *table = ncap_types_table(&count);
	run.ntypes = 0;
	for (size_t i = 0; i < count; i++)
		if ((size_t)table[i].id + 1 > run.ntypes)
			run.ntypes = (size_t)table[i].id + 1;
	run.per_type = calloc(run.ntypes ? run.ntypes : 1, sizeof *run.per_type);

	struct alert_set set;
	bool have_set = !alert_set_init(&set);
	if (!have_set || !run.per_type) {
		say(&run, "out of memory");
		status = BATCH_REFUSED;
		goto out;
	}
	if (o->max_alerts)
		set.max_alerts = o->max_alerts;
	set.report = report_alert_problem;
	set.report_arg = &run;

	/* Refused before reading anything long: the list would be replaced. */
	char unmatched_path[4096];
	struct stat st;
	snprintf(unmatched_path, sizeof unmatched_path, "%s/%s", outdir, LABEL_UNMATCHED_FILE);
	if (!o->batch.force && !lstat(unmatched_path, &st)) {
		say(&run, "%s exists; --force replaces it; nothing labeled", unmatched_path);
		status = BATCH_REFUSED;
		goto out;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!read_alerts(&run, &set)) {
		say(&run, "nothing labeled");
		status = BATCH_REFUSED;
		goto out;
	}
	s.alerts = set.stats;
	ssize_t merged = alert_set_merge_duplicates(&set);
	if (merged < 0) {
		say(&run, "out of memory");
		status = BATCH_REFUSED;
		goto out;
	}
	s.alerts_duplicate = (uint64_t)merged;
	s.alerts_indexed = set.n;
	if (label_index_build(&run.idx, set.alerts, set.n, o->tolerance_ns)) {
		say(&run, "out of memory indexing %zu alerts", set.n);
		status = BATCH_REFUSED;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (set.n == 0)
		say(&run, "no alert in the alert files: every record is labeled normal");
	else if (o->batch.progress != BATCH_PROGRESS_NONE)
		say(&run, "%zu alerts read and indexed in %.2f s", set.n,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

	struct batch_hook hook = {
		.extra_column = "Label",
		.name_suffix = "_labeled",
		.arg = &run,
		.file_begin = file_begin,
		.record_value = record_value,
		.file_end = file_end,
	};
	struct batch_options bo = o->batch;
	bo.hook = &hook;
	bo.quiet = true;
	bo.prog = run.prog;
	bo.log = run.log;
	status = batch_convert(inputs, ninputs, outdir, &bo, &s.batch);
	if (status == BATCH_REFUSED)
		goto out;

	for (size_t i = 0; i < run.ntypes; i++) {
		s.records += run.per_type[i].records;
		s.labeled += run.per_type[i].labeled;
	}
	s.alerts_matched = label_index_count_matched(&run.idx);
	ssize_t unmatched = -1;
	if (status != BATCH_INTERRUPTED) {
		unmatched = write_unmatched(&run, &set, outdir);
		if (unmatched < 0 && status == BATCH_OK)
			status = BATCH_FAILED;
	}
	if (set.stats.malformed && status == BATCH_OK)
		status = BATCH_FAILED;
	if (!o->batch.quiet)
		print_summary(&run, &s, outdir, unmatched);
out:
	label_index_free(&run.idx);
	if (have_set)
		alert_set_free(&set);
	free(run.per_type);
	pthread_mutex_destroy(&run.lock);
	if (sum)
		*sum = s;
	return status;
}
