/* batch.c: converts many record files to CSV or JSON files at once, on a
 * pool of threads (netcap-dump -o OUTDIR DIR...); also the printing of one
 * file's records that netcap-dump's standard-output path shares, so the two
 * cannot differ. The rules are in batch.h and docs/csv-json.md.
 *
 * A run has two phases. The main thread first opens every input for its
 * Header (the type names the output) and refuses the whole run before
 * writing anything when the request cannot be done as asked: two inputs of
 * one type, an existing output without force, a --select field a type
 * lacks. Then workers take the files, largest first (the last file to
 * start bounds the run), each with its own reader and emitter, while the
 * main thread prints progress and waits for signals: SIGINT, SIGTERM and
 * SIGHUP are blocked in every thread and taken by the main thread with
 * sigtimedwait, so an interrupted run removes its temporary files instead
 * of leaving them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/batch.h"
#include "ncap/schema.h"

/* ---- one file ------------------------------------------------------------ */

/* Records between updates of the shared progress counter and checks of the
 * stop flag: rare enough to cost nothing, often enough for a progress line. */
#define EXPORT_TICK 4096

enum export_result export_file_records(struct emitter *em, struct ncap_reader *r,
				       const ProtobufCMessageDescriptor *desc,
				       const struct ncap_limits *limits, const char *prog,
				       FILE *log, struct export_stats *stats)
{
	if (!log)
		log = stderr;
	const uint8_t *rec;
	size_t len;
	int rc;
	bool ok = true;
	uint64_t since_tick = 0;
	while ((rc = ncap_reader_next(r, &rec, &len)) == 1) {
		if (++since_tick == EXPORT_TICK) {
			if (stats->progress)
				atomic_fetch_add_explicit(stats->progress, since_tick, memory_order_relaxed);
			since_tick = 0;
			if (stats->stop && atomic_load_explicit(stats->stop, memory_order_relaxed)) {
				stats->stopped = true;
				ok = false;
				break;
			}
		}
		struct ncap_check check;
		ProtobufCMessage *msg = ncap_record_unpack(desc, rec, len, limits, &check);
		if (!msg) {
			/* Framing is intact, so the records after it still print;
			 * the message follows the records before it. */
			if (fflush(em->out))
				return EXPORT_WRITE_FAILED;
			char where[1200];
			ncap_reader_record_where(r, where, sizeof where);
			fprintf(log, "%s: %s: %s%s; record skipped\n", prog, where,
				check.status == NCAP_CHECK_MALFORMED ? "cannot be decoded: " : "",
				check.reason);
			stats->skipped++;
			ok = false;
			continue;
		}
		int err;
		if (stats->extra) {
			const char *text = NULL;
			size_t text_len = 0;
			char why[512] = "";
			if (stats->extra->value(stats->extra->state, msg, &text, &text_len, why,
						sizeof why)) {
				protobuf_c_message_free_unpacked(msg, NULL);
				char where[1200];
				ncap_reader_record_where(r, where, sizeof where);
				fprintf(log, "%s: %s: %s\n", prog, where, why);
				stats->extra_refused = true;
				ok = false;
				break;
			}
			err = emit_record_extra(em, msg, text, text_len);
		} else {
			err = emit_record(em, msg);
		}
		protobuf_c_message_free_unpacked(msg, NULL);
		if (err)
			return EXPORT_WRITE_FAILED;
		stats->records++;
	}
	if (stats->progress)
		atomic_fetch_add_explicit(stats->progress, since_tick, memory_order_relaxed);
	return ok && rc == 0 ? EXPORT_OK : EXPORT_FAULT;
}

/* ---- many files: the plan ------------------------------------------------ */

struct batch_job {
	char *path;                    /* the input */
	const struct ncap_type *type;  /* from its Header */
	off_t size;                    /* to start the largest first */
	char *final;                   /* OUTDIR/<Type>.csv */
	char *tmp;                     /* OUTDIR/.<Type>.csv.<pid>.tmp */
};

struct batch_run {
	const struct batch_options *o;
	const char *prog;
	FILE *log;
	struct batch_job *jobs;
	size_t njobs;

	atomic_size_t next;           /* the next job to take */
	atomic_size_t done;           /* jobs finished, successfully or not */
	_Atomic uint64_t records_read; /* progress */
	atomic_bool stop;             /* interrupted */

	pthread_mutex_t lock;         /* the summary and the log */
	struct batch_summary sum;
	bool refused;                 /* a worker found the plan out of date */
};

static __attribute__((format(printf, 2, 3))) void say(struct batch_run *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	flockfile(b->log);
	/* On a terminal the message replaces the progress line, which the next
	 * tick draws again below it. */
	if (b->o->progress == BATCH_PROGRESS_TERMINAL)
		fputs("\r\033[K", b->log);
	fprintf(b->log, "%s: ", b->prog);
	vfprintf(b->log, fmt, ap);
	fputc('\n', b->log);
	fflush(b->log);
	funlockfile(b->log);
	va_end(ap);
}

static char *join_path(const char *dir, const char *name)
{
	char *p;
	size_t n = strlen(dir);
	bool slash = n > 0 && dir[n - 1] == '/';
	if (asprintf(&p, "%s%s%s", dir, slash ? "" : "/", name) < 0)
		return NULL;
	return p;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growing list of paths. */
struct path_list {
	char **p;
	size_t n, cap;
};

static bool path_list_add(struct path_list *l, char *path)
{
	if (!path)
		return false;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **p = realloc(l->p, cap * sizeof *p);
		if (!p) {
			free(path);
			return false;
		}
		l->p = p;
		l->cap = cap;
	}
	l->p[l->n++] = path;
	return true;
}

/* Adds the record files directly in dir, sorted by name (so messages come
 * in a stable order). Returns false after reporting why. */
static bool expand_dir(struct batch_run *b, const char *dir, struct path_list *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		say(b, "%s: %s", dir, strerror(errno));
		return false;
	}
	size_t first = out->n;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		/* Hidden names are skipped: our own temporary files among them. */
		if (e->d_name[0] == '.' ||
		    !(has_suffix(e->d_name, ".ncap.gz") || has_suffix(e->d_name, ".ncap")))
			continue;
		if (!path_list_add(out, join_path(dir, e->d_name))) {
			closedir(d);
			say(b, "out of memory");
			return false;
		}
		errno = 0;
	}
	int err = errno;
	closedir(d);
	if (err) {
		say(b, "%s: %s", dir, strerror(err));
		return false;
	}
	if (out->n == first) {
		say(b, "%s: no record files (*.ncap.gz, *.ncap) in it", dir);
		return false;
	}
	qsort(out->p + first, out->n - first, sizeof *out->p, compare_names);
	return true;
}

static void free_jobs(struct batch_run *b)
{
	for (size_t i = 0; i < b->njobs; i++) {
		free(b->jobs[i].path);
		free(b->jobs[i].final);
		free(b->jobs[i].tmp);
	}
	free(b->jobs);
	b->jobs = NULL;
	b->njobs = 0;
}

static int compare_type_then_path(const void *a, const void *b)
{
	const struct batch_job *x = a, *y = b;
	if (x->type->id != y->type->id)
		return x->type->id < y->type->id ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int compare_size_desc(const void *a, const void *b)
{
	const struct batch_job *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->path, y->path);
}

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	size_t index; /* in the list of paths */
};

/* By identity, then by position: the first naming of a file is kept. */
static int compare_file_ids(const void *a, const void *b)
{
	const struct file_id *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int compare_file_index(const void *a, const void *b)
{
	const struct file_id *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

const char *batch_extension(enum emit_format format)
{
	return format == EMIT_JSON ? "json" : "csv";
}

/* Whether name is one of the comma-separated names in list. */
static bool type_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* Every name of the include list must be a record type: a typo would
 * otherwise convert nothing of what was meant, silently. */
static bool include_valid(struct batch_run *b, const char *list)
{
	bool ok = true;
	for (const char *p = list;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[128];
		if (len == 0 || len >= sizeof name) {
			say(b, "--include: an empty or overlong type name in \"%s\"", list);
			ok = false;
		} else {
			memcpy(name, p, len);
			name[len] = '\0';
			if (!ncap_type_by_name(name)) {
				say(b, "--include: %s is not a record type (netcap-dump --list-types "
				       "names them)", name);
				ok = false;
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	return ok;
}

/* Phase one: every input opened for its Header; the whole run checked.
 * Returns BATCH_OK with b->jobs set, BATCH_FAILED when some inputs are
 * unusable (reported, counted; the others are planned), or BATCH_REFUSED. */
static int plan(struct batch_run *b, const char *const *inputs, size_t ninputs, const char *outdir)
{
	const struct batch_options *o = b->o;
	int status = BATCH_OK;
	struct path_list paths = {0};
	const char *suffix = o->hook && o->hook->name_suffix ? o->hook->name_suffix : "";
	if (o->include && !include_valid(b, o->include))
		return BATCH_REFUSED;

	for (size_t i = 0; i < ninputs; i++) {
		struct stat st;
		if (!strcmp(inputs[i], "-")) {
			say(b, "standard input (-) cannot be converted into a directory; "
			       "without -o, netcap-dump prints it");
			status = BATCH_REFUSED;
		} else if (stat(inputs[i], &st)) {
			say(b, "%s: %s", inputs[i], strerror(errno));
			b->sum.files_failed++;
			status = status == BATCH_REFUSED ? status : BATCH_FAILED;
		} else if (S_ISDIR(st.st_mode)) {
			if (!expand_dir(b, inputs[i], &paths)) {
				b->sum.files_failed++;
				status = status == BATCH_REFUSED ? status : BATCH_FAILED;
			}
		} else if (!path_list_add(&paths, strdup(inputs[i]))) {
			say(b, "out of memory");
			status = BATCH_REFUSED;
		}
	}
	if (status == BATCH_REFUSED)
		goto out;

	b->jobs = calloc(paths.n ? paths.n : 1, sizeof *b->jobs);
	if (!b->jobs) {
		say(b, "out of memory");
		status = BATCH_REFUSED;
		goto out;
	}
	/* The same file named twice (DIR and DIR/TCP.ncap.gz) is converted
	 * once: identity by device and inode, duplicates found by sorting (a
	 * folder may hold many files). */
	struct file_id *ids = calloc(paths.n ? paths.n : 1, sizeof *ids);
	if (!ids) {
		say(b, "out of memory");
		status = BATCH_REFUSED;
		goto out;
	}
	size_t nids = 0;
	for (size_t i = 0; i < paths.n; i++) {
		struct stat st;
		if (stat(paths.p[i], &st)) {
			say(b, "%s: %s", paths.p[i], strerror(errno));
			b->sum.files_failed++;
			status = BATCH_FAILED;
			continue;
		}
		ids[nids++] = (struct file_id){st.st_dev, st.st_ino, st.st_size, i};
	}
	qsort(ids, nids, sizeof *ids, compare_file_ids);
	size_t kept = 0;
	for (size_t i = 0; i < nids; i++)
		if (i == 0 || ids[i].dev != ids[i - 1].dev || ids[i].ino != ids[i - 1].ino)
			ids[kept++] = ids[i];
	/* Back to the order given, for messages in that order. */
	qsort(ids, kept, sizeof *ids, compare_file_index);

	for (size_t k = 0; k < kept; k++) {
		char *path = paths.p[ids[k].index];
		char err[1200];
		struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
		if (!r) {
			say(b, "%s; not converted", err);
			b->sum.files_failed++;
			status = BATCH_FAILED;
			continue;
		}
		const struct ncap_type *type = ncap_reader_type(r);
		ncap_reader_close(r);
		if (!type->desc) {
			say(b, "%s: record type %s has no message to print; not converted", path,
			    type->name);
			b->sum.files_failed++;
			status = BATCH_FAILED;
			continue;
		}
		if (o->include && !type_listed(o->include, type->name)) {
			b->sum.files_excluded++;
			continue;
		}
		struct batch_job *j = &b->jobs[b->njobs++];
		j->path = path;
		paths.p[ids[k].index] = NULL;
		j->type = type;
		j->size = ids[k].size;
	}
	free(ids);

	/* Two files of one type would need one output: refused, naming both,
	 * rather than one silently replacing the other or a merge whose order
	 * nobody asked for (convert them into two directories). */
	qsort(b->jobs, b->njobs, sizeof *b->jobs, compare_type_then_path);
	for (size_t i = 1; i < b->njobs; i++) {
		if (b->jobs[i].type == b->jobs[i - 1].type) {
			say(b, "%s and %s both hold %s records, and would both be written to "
			       "%s%s.%s; convert them into different directories",
			    b->jobs[i - 1].path, b->jobs[i].path, b->jobs[i].type->name,
			    b->jobs[i].type->name, suffix, batch_extension(o->format));
			status = BATCH_REFUSED;
		}
	}

	/* The selection must hold for every type, as it must for netcap-dump
	 * printing each file on its own. */
	if (o->select) {
		struct emitter em;
		emit_init(&em, b->log);
		for (size_t i = 0; i < b->njobs; i++) {
			if (i > 0 && b->jobs[i].type == b->jobs[i - 1].type)
				continue;
			char select_err[4096];
			if (emit_select(&em, b->jobs[i].type->desc, o->select, select_err,
					sizeof select_err)) {
				say(b, "--select: %s (type %s): %s", b->jobs[i].path,
				    b->jobs[i].type->name, select_err);
				status = BATCH_REFUSED;
			}
		}
		emit_free(&em);
	}

	struct stat st;
	if (!stat(outdir, &st) && !S_ISDIR(st.st_mode)) {
		say(b, "%s: not a directory", outdir);
		status = BATCH_REFUSED;
	}
	for (size_t i = 0; i < b->njobs; i++) {
		struct batch_job *j = &b->jobs[i];
		char *name, *tmp;
		if (asprintf(&name, "%s%s.%s", j->type->name, suffix, batch_extension(o->format)) < 0 ||
		    !(j->final = join_path(outdir, name))) {
			say(b, "out of memory");
			status = BATCH_REFUSED;
			goto out;
		}
		free(name);
		if (asprintf(&tmp, ".%s%s.%s.%ld.tmp", j->type->name, suffix, batch_extension(o->format),
			     (long)getpid()) < 0 || !(j->tmp = join_path(outdir, tmp))) {
			say(b, "out of memory");
			status = BATCH_REFUSED;
			goto out;
		}
		free(tmp);
		if (!o->force && !lstat(j->final, &st)) {
			say(b, "%s exists (from %s); --force replaces it", j->final, j->path);
			status = BATCH_REFUSED;
		}
	}
out:
	for (size_t i = 0; i < paths.n; i++)
		free(paths.p[i]);
	free(paths.p);
	return status;
}

/* ---- many files: the workers ---------------------------------------------- */

static void add_summary(struct batch_run *b, const struct export_stats *st, bool converted,
			bool incomplete, uint64_t bytes)
{
	pthread_mutex_lock(&b->lock);
	b->sum.records += st->records;
	b->sum.records_skipped += st->skipped;
	if (converted) {
		b->sum.files_converted++;
		b->sum.files_incomplete += incomplete;
		b->sum.bytes_written += bytes;
	} else {
		b->sum.files_failed++;
	}
	pthread_mutex_unlock(&b->lock);
}

/* Moves tmp to final; without force never over a file that appeared since
 * the plan was checked. Returns 0 or -1 with errno. */
static int put_in_place(const char *tmp, const char *final, bool force)
{
	if (force)
		return rename(tmp, final);
	if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() never replaces. */
	if (link(tmp, final))
		return -1;
	unlink(tmp);
	return 0;
}

/* Converts one file. Every outcome is reported and counted here. */
static void convert_one(struct batch_run *b, struct batch_job *j)
{
	const struct batch_options *o = b->o;
	struct export_stats st = {.progress = &b->records_read, .stop = &b->stop};
	char err[1200];
	struct ncap_reader *r = ncap_reader_open(j->path, err, sizeof err);
	if (!r) {
		say(b, "%s; not converted", err);
		add_summary(b, &st, false, false, 0);
		return;
	}
	if (ncap_reader_type(r) != j->type) {
		say(b, "%s: now holds %s records, not %s; changed while converting? not converted",
		    j->path, ncap_reader_type(r)->name, j->type->name);
		ncap_reader_close(r);
		add_summary(b, &st, false, false, 0);
		return;
	}

	int fd = open(j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *out = fd < 0 ? NULL : fdopen(fd, "w");
	if (!out) {
		say(b, "%s: %s; %s not converted", j->tmp, strerror(errno), j->path);
		if (fd >= 0) {
			close(fd);
			unlink(j->tmp);
		}
		ncap_reader_close(r);
		add_summary(b, &st, false, false, 0);
		return;
	}
	/* Lines are written one fwrite each; a larger buffer means fewer
	 * write calls, and the bytes are the same. */
	setvbuf(out, NULL, _IOFBF, 1 << 18);

	const struct batch_hook *hook = o->hook;
	struct export_extra extra = {0};
	if (hook && hook->record_value) {
		extra.value = hook->record_value;
		extra.state = hook->file_begin ? hook->file_begin(hook->arg, j->type) : hook->arg;
		if (!extra.state) {
			say(b, "out of memory; %s not converted", j->path);
			fclose(out);
			unlink(j->tmp);
			ncap_reader_close(r);
			add_summary(b, &st, false, false, 0);
			return;
		}
		st.extra = &extra;
	}

	struct emitter em;
	emit_init(&em, out);
	em.extra_column = hook ? hook->extra_column : NULL;
	em.format = o->format;
	em.sep = o->sep;
	em.utc = o->utc;
	em.safe_csv = o->safe_csv;
	enum export_result res = EXPORT_OK;
	char select_err[4096];
	if (o->select && emit_select(&em, j->type->desc, o->select, select_err, sizeof select_err)) {
		/* Checked in the plan for this very type: cannot happen. */
		say(b, "--select: %s: %s", j->path, select_err);
		res = EXPORT_FAULT;
	} else if (emit_header_line(&em, j->type->desc)) {
		res = EXPORT_WRITE_FAILED;
	} else {
		res = export_file_records(&em, r, j->type->desc, &o->limits, b->prog, b->log,
					  &st);
	}
	int write_errno = res == EXPORT_WRITE_FAILED ? errno : 0;
	emit_free(&em);

	/* Everything written reaches the disk before the name does. */
	errno = 0;
	if (!write_errno && (fflush(out) || ferror(out) || fsync(fileno(out))))
		write_errno = errno ? errno : EIO;
	off_t bytes = write_errno ? 0 : ftello(out);
	if (fclose(out) && !write_errno)
		write_errno = errno;

	bool stopped = st.stopped;
	bool incomplete = *ncap_reader_error(r) != '\0';
	/* Whether the output holds what was read: then it is put in place
	 * unless the hook drops it. */
	bool usable = !write_errno && !stopped && !st.extra_refused &&
		      !(res == EXPORT_FAULT && !incomplete && !st.skipped);
	bool keep = true;
	if (st.extra && hook->file_end)
		keep = hook->file_end(extra.state, usable);
	if (write_errno) {
		say(b, "%s: writing %s: %s; %s not converted", j->tmp, j->final,
		    strerror(write_errno), j->path);
	} else if (stopped) {
		/* Interrupted: the partial output goes, quietly. */
	} else if (st.extra_refused) {
		say(b, "%s not converted", j->path);
	} else if (res == EXPORT_FAULT && !incomplete && !st.skipped) {
		/* The --select mismatch above. */
	} else if (!keep) {
		if (incomplete)
			say(b, "%s", ncap_reader_error(r));
		unlink(j->tmp);
		ncap_reader_close(r);
		pthread_mutex_lock(&b->lock);
		b->sum.records += st.records;
		b->sum.records_skipped += st.skipped;
		b->sum.files_dropped++;
		pthread_mutex_unlock(&b->lock);
		return;
	} else if (put_in_place(j->tmp, j->final, o->force)) {
		write_errno = errno;
		say(b, "%s: %s%s; %s not converted", j->final, strerror(write_errno),
		    write_errno == EEXIST ? " (it appeared while converting; --force replaces it)" : "",
		    j->path);
	} else {
		if (incomplete)
			say(b, "%s; %s holds the %llu records before it", ncap_reader_error(r),
			    j->final, (unsigned long long)st.records);
		if (o->progress == BATCH_PROGRESS_LINES)
			say(b, "%s -> %s: %llu records", j->path, j->final,
			    (unsigned long long)st.records);
		ncap_reader_close(r);
		add_summary(b, &st, true, incomplete, bytes > 0 ? (uint64_t)bytes : 0);
		return;
	}
	unlink(j->tmp);
	ncap_reader_close(r);
	if (!stopped || write_errno)
		add_summary(b, &st, false, false, 0);
}

static void *worker(void *arg)
{
	struct batch_run *b = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&b->next, 1);
		if (i >= b->njobs)
			break;
		if (!atomic_load(&b->stop))
			convert_one(b, &b->jobs[i]);
		atomic_fetch_add(&b->done, 1);
	}
	return NULL;
}

/* Threads this process may run on: its CPU affinity (taskset, cgroup
 * cpusets), not every CPU of the machine. */
unsigned batch_cpus_available(void)
{
	cpu_set_t set;
	if (!sched_getaffinity(0, sizeof set, &set) && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_line(struct batch_run *b, const struct timespec *t0)
{
	size_t done = atomic_load(&b->done);
	unsigned long long recs = atomic_load_explicit(&b->records_read, memory_order_relaxed);
	flockfile(b->log);
	if (b->o->progress == BATCH_PROGRESS_TERMINAL)
		fprintf(b->log, "\r%s: %zu/%zu files, %llu records, %.1f s\033[K", b->prog,
			done, b->njobs, recs, seconds_since(t0));
	else
		fprintf(b->log, "%s: %zu/%zu files, %llu records, %.1f s\n", b->prog, done,
			b->njobs, recs, seconds_since(t0));
	fflush(b->log);
	funlockfile(b->log);
}

/* Phase two: the workers run; this thread prints progress and takes the
 * signals that interrupt. */
static void run_jobs(struct batch_run *b, const struct timespec *t0)
{
	const struct batch_options *o = b->o;
	unsigned jobs = o->jobs ? o->jobs : batch_cpus_available();
	if (jobs > b->njobs)
		jobs = (unsigned)b->njobs;
	/* Largest first: the last file to start decides when the run ends. */
	qsort(b->jobs, b->njobs, sizeof *b->jobs, compare_size_desc);

	sigset_t stop_signals, old_mask;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);

	if (o->stop && atomic_load(o->stop))
		atomic_store(&b->stop, true);
	pthread_t *threads = calloc(jobs ? jobs : 1, sizeof *threads);
	unsigned started = 0;
	while (threads && started < jobs && !pthread_create(&threads[started], NULL, worker, b))
		started++;
	if (started == 0) /* no thread at all: this one does the work */
		worker(b);

	/* Wakes every 50 ms at most: the end of the run is seen that soon. */
	double last_progress = 0;
	int signo = 0;
	while (atomic_load(&b->done) < b->njobs) {
		struct timespec wait = {.tv_nsec = 50 * 1000 * 1000};
		int s = sigtimedwait(&stop_signals, NULL, &wait);
		if (s > 0 && !signo) {
			signo = s;
			atomic_store(&b->stop, true);
		}
		if (o->stop && atomic_load(o->stop))
			atomic_store(&b->stop, true);
		double now = seconds_since(t0);
		double every = o->progress == BATCH_PROGRESS_TERMINAL ? 0.25 : 1.0;
		if (o->progress != BATCH_PROGRESS_NONE && now - last_progress >= every && now > 0.5) {
			progress_line(b, t0);
			last_progress = now;
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (o->progress == BATCH_PROGRESS_TERMINAL && last_progress > 0) {
		fputs("\r\033[K", b->log); /* the summary takes the line's place */
		fflush(b->log);
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (atomic_load(&b->stop)) {
		b->sum.interrupted = true;
		say(b, "interrupted%s%s%s; files not finished were removed, finished ones kept",
		    signo ? " (" : "", signo ? strsignal(signo) : "", signo ? ")" : "");
	}
}

/* mkdir -p: outdir and any missing parent. Returns 0 or -1 (errno). */
static int make_dirs(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		bool last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST)
			rc = -1;
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

int batch_convert(const char *const *inputs, size_t ninputs, const char *outdir,
		  const struct batch_options *o, struct batch_summary *sum)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct batch_run b = {
		.o = o,
		.prog = o->prog ? o->prog : "netcap-dump",
		.log = o->log ? o->log : stderr,
	};
	pthread_mutex_init(&b.lock, NULL);

	int status = plan(&b, inputs, ninputs, outdir);
	if (status == BATCH_REFUSED) {
		say(&b, "nothing converted");
	} else if (b.njobs > 0) {
		if (make_dirs(outdir)) {
			say(&b, "%s: %s; nothing converted", outdir, strerror(errno));
			status = BATCH_REFUSED;
		} else {
			run_jobs(&b, &t0);
			/* The names of the renamed files are on disk too. */
			int dfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
			if (b.sum.files_failed || b.sum.files_incomplete || b.sum.records_skipped)
				status = BATCH_FAILED;
			if (b.sum.interrupted)
				status = BATCH_INTERRUPTED;
		}
	}
	b.sum.seconds = seconds_since(&t0);

	if (status != BATCH_REFUSED && !o->quiet) {
		const struct batch_summary *s = &b.sum;
		char incomplete[64] = "";
		if (s->files_incomplete)
			snprintf(incomplete, sizeof incomplete, " (%llu incomplete)",
				 (unsigned long long)s->files_incomplete);
		say(&b, "%llu file%s converted%s, %llu failed: %llu records, %llu skipped, "
			"%llu bytes written to %s in %.2f s",
		    (unsigned long long)s->files_converted, s->files_converted == 1 ? "" : "s",
		    incomplete,
		    (unsigned long long)s->files_failed, (unsigned long long)s->records,
		    (unsigned long long)s->records_skipped, (unsigned long long)s->bytes_written,
		    outdir, s->seconds);
	}
	if (sum)
		*sum = b.sum;
	free_jobs(&b);
	pthread_mutex_destroy(&b.lock);
	return status;
}
