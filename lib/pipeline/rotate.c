/* rotate.c: generations, file names, the open-file registry and the
 * --keep pruner (rotate.h; docs/deployment.md, "Rotation"). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ncap/schema.h"
#include "pipeline/config.h"
#include "pipeline/rotate.h"

struct rotate_file {
	struct rotate_file *next;
	unsigned writers;
	char path[];
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rotate_parse_duration(const char *s, int64_t *ns)
{
	char *end;
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	int64_t unit = 1;
	switch (*end) {
	case '\0': case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	if (v > (unsigned long long)(INT64_MAX / 1000000000 / unit))
		return -1;
	*ns = (int64_t)v * unit * 1000000000;
	return 0;
}

int rotate_prepare(struct rotation *r, const struct netcap_config *cfg)
{
	pthread_mutex_init(&r->lock, NULL);
	r->out_dir = cfg->out_dir;
	if (cfg->rotate_interval &&
	    (rotate_parse_duration(cfg->rotate_interval, &r->interval_ns) < 0 || r->interval_ns == 0)) {
		fprintf(stderr, "netcap: --rotate-interval '%s' is not a duration (60s, 15m, 1h, 1d; at least 1s)\n",
			cfg->rotate_interval);
		return -1;
	}
	if (cfg->keep_age && (rotate_parse_duration(cfg->keep_age, &r->keep_ns) < 0 || r->keep_ns == 0)) {
		fprintf(stderr, "netcap: --keep '%s' is not a duration (12h, 7d, 4w; at least 1s)\n", cfg->keep_age);
		return -1;
	}
	r->size = cfg->rotate_size;
	r->keep_size = cfg->keep_size;
	r->on = r->interval_ns || r->size;
	if (!r->on && (r->keep_ns || r->keep_size)) {
		fprintf(stderr, "netcap: --%s needs rotation: --rotate-interval DURATION or --rotate-size BYTES\n",
			r->keep_ns ? "keep" : "keep-size");
		return -1;
	}
	return 0;
}

static int64_t boundary_after(const struct rotation *r, int64_t t)
{
	return (t / r->interval_ns + 1) * r->interval_ns;
}

void rotate_start(struct rotation *r)
{
	int64_t now = now_ns();
	atomic_store(&r->gen_start_ns[0], now);
	atomic_store(&r->gen, 0);
	if (r->interval_ns)
		r->next_boundary_ns = boundary_after(r, now);
	if (r->on)
		rotate_prune(r); /* files of earlier runs */
}

static void new_generation(struct rotation *r, int64_t start)
{
	uint32_t g = atomic_load_explicit(&r->gen, memory_order_relaxed) + 1;
	atomic_store_explicit(&r->gen_start_ns[g % ROTATE_STARTS], start, memory_order_relaxed);
	atomic_store_explicit(&r->gen, g, memory_order_release);
	atomic_fetch_add_explicit(&r->changes, 1, memory_order_release);
}

void rotate_tick(struct rotation *r)
{
	if (atomic_exchange(&r->hup, false)) {
		if (r->on) {
			new_generation(r, now_ns());
		} else if (!r->hup_told) {
			r->hup_told = true;
			fprintf(stderr, "netcap: SIGHUP: rotation is off (--rotate-interval, --rotate-size); ignored\n");
		}
	}
	if (!r->on)
		return;
	if (r->interval_ns) {
		int64_t now = now_ns();
		if (now >= r->next_boundary_ns) {
			/* the boundary just passed (a suspended host may have
			 * slept through several: one generation) */
			int64_t start = now / r->interval_ns * r->interval_ns;
			new_generation(r, start);
			r->next_boundary_ns = start + r->interval_ns;
		}
	}
	uint64_t closed = atomic_load(&r->closed);
	if (closed != r->pruned_at) {
		r->pruned_at = closed;
		rotate_prune(r);
	}
}

void rotate_type(struct rotation *r, int type, uint32_t seq)
{
	/* One of the type's compressors wins; the others see the new seq. */
	int64_t now = now_ns();
	uint32_t expect = seq;
	if (atomic_load_explicit(&r->seq[type], memory_order_relaxed) != seq)
		return;
	atomic_store_explicit(&r->seq_start_ns[type], now, memory_order_relaxed);
	if (atomic_compare_exchange_strong_explicit(&r->seq[type], &expect, seq + 1, memory_order_release,
						    memory_order_relaxed))
		atomic_fetch_add_explicit(&r->changes, 1, memory_order_release);
}

static bool is_open(const struct rotation *r, const char *path)
{
	for (const struct rotate_file *f = r->open_files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			return true;
	return false;
}

static bool open_under(const struct rotation *r, const char *dir)
{
	size_t n = strlen(dir);
	for (const struct rotate_file *f = r->open_files; f; f = f->next)
		if (strncmp(f->path, dir, n) == 0 && f->path[n] == '/')
			return true;
	return false;
}

struct rotate_file *rotate_file_new(struct rotation *r, int type, uint32_t gen, uint32_t seq, bool plain,
				    char *path, size_t pathlen, int64_t *start_ns, char *err, size_t errlen)
{
	(void)seq;
	int64_t start = atomic_load_explicit(&r->gen_start_ns[gen % ROTATE_STARTS], memory_order_relaxed);
	int64_t sstart = atomic_load_explicit(&r->seq_start_ns[type], memory_order_relaxed);
	if (sstart > start)
		start = sstart; /* a size rotation since the generation began */
	*start_ns = start;
	time_t secs = (time_t)(start / 1000000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char day[16], stamp[32];
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", r->out_dir, day);
	const char *name = ncap_type_by_id(type)->name, *ext = plain ? ".ncap" : ".ncap.gz";
	/* under the lock: the pruner removes empty date directories */
	pthread_mutex_lock(&r->lock);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		pthread_mutex_unlock(&r->lock);
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	/* Two files of a type may start in one second (SIGHUP just after a
	 * boundary, --rotate-size): the later ones get -1, -2, ...; a file of
	 * an earlier run is never overwritten. */
	for (unsigned n = 0;; n++) {
		if (n)
			snprintf(path, pathlen, "%s/%s.%s-%u%s", dir, name, stamp, n, ext);
		else
			snprintf(path, pathlen, "%s/%s.%s%s", dir, name, stamp, ext);
		if (!is_open(r, path) && access(path, F_OK) < 0)
			break;
	}
	struct rotate_file *f = malloc(sizeof *f + strlen(path) + 1);
	if (!f) {
		pthread_mutex_unlock(&r->lock);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	f->writers = 1;
	strcpy(f->path, path);
	f->next = r->open_files;
	r->open_files = f;
	pthread_mutex_unlock(&r->lock);
	atomic_fetch_add(&r->files_opened, 1);
	return f;
}

void rotate_file_ref(struct rotation *r, struct rotate_file *f)
{
	pthread_mutex_lock(&r->lock);
	f->writers++;
	pthread_mutex_unlock(&r->lock);
}

void rotate_file_unref(struct rotation *r, struct rotate_file *f)
{
	pthread_mutex_lock(&r->lock);
	bool last = --f->writers == 0;
	if (last)
		for (struct rotate_file **p = &r->open_files; *p; p = &(*p)->next)
			if (*p == f) {
				*p = f->next;
				break;
			}
	pthread_mutex_unlock(&r->lock);
	if (last) {
		free(f);
		atomic_fetch_add(&r->closed, 1);
	}
}

/* ---- --keep, --keep-size -------------------------------------------- */

struct old_file {
	char *path;
	char stamp[40]; /* YYYYmmddTHHMMSSZ[-N]: sorts by start */
	uint64_t size;
	int64_t mtime_ns;
};

/* "<Type>.<YYYYmmddTHHMMSSZ>[-N].ncap[.gz]": the start's part in stamp. */
static bool rotated_name(const char *name, char *stamp, size_t n)
{
	const char *dot = strchr(name, '.');
	if (!dot || dot == name)
		return false;
	for (const char *p = name; p < dot; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	const char *s = dot + 1, *e = strstr(s, ".ncap");
	if (!e || (strcmp(e, ".ncap") != 0 && strcmp(e, ".ncap.gz") != 0))
		return false;
	size_t len = (size_t)(e - s);
	if (len < 16 || len >= n || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (size_t i = 0; i < 15; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return false;
	if (len > 16) {
		if (s[16] != '-' || len == 17)
			return false;
		for (size_t i = 17; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
	}
	memcpy(stamp, s, len);
	stamp[len] = '\0';
	return true;
}

static bool date_dir(const char *name)
{
	static const char pat[] = "dddd-dd-dd";
	if (strlen(name) != sizeof pat - 1)
		return false;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (name[i] < '0' || name[i] > '9') : name[i] != pat[i])
			return false;
	return true;
}

static int by_start(const void *a, const void *b)
{
	const struct old_file *x = a, *y = b;
	/* the stamp without a suffix first: "T...Z" < "T...Z-1" */
	int c = strncmp(x->stamp, y->stamp, 16);
	if (c)
		return c;
	size_t lx = strlen(x->stamp), ly = strlen(y->stamp);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	c = strcmp(x->stamp, y->stamp);
	if (c)
		return c;
	return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

static int add_file(struct old_file **files, size_t *n, size_t *cap, const char *path, const char *stamp,
		    const struct stat *st)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct old_file *f = realloc(*files, c * sizeof *f);
		if (!f)
			return -1;
		*files = f;
		*cap = c;
	}
	struct old_file *f = &(*files)[*n];
	if (!(f->path = strdup(path)))
		return -1;
	snprintf(f->stamp, sizeof f->stamp, "%s", stamp);
	f->size = (uint64_t)st->st_size;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	++*n;
	return 0;
}

void rotate_prune(struct rotation *r)
{
	if (!r->keep_ns && !r->keep_size)
		return;
	/* The directory is read without the lock (it may be long); only the
	 * removal checks, under it, that a file is not open. A file opened
	 * after the scan is not in it. */
	DIR *top = opendir(r->out_dir);
	if (!top)
		return;
	struct old_file *files = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	char path[4096 + 512], stamp[40];
	while ((d = readdir(top))) {
		if (!date_dir(d->d_name))
			continue;
		char dir[4096 + 16];
		snprintf(dir, sizeof dir, "%s/%s", r->out_dir, d->d_name);
		DIR *sub = opendir(dir);
		if (!sub)
			continue;
		struct dirent *e;
		while ((e = readdir(sub))) {
			struct stat st;
			if (!rotated_name(e->d_name, stamp, sizeof stamp))
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				add_file(&files, &n, &cap, path, stamp, &st);
		}
		closedir(sub);
	}
	closedir(top);
	if (n)
		qsort(files, n, sizeof *files, by_start);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += files[i].size;
	int64_t oldest = r->keep_ns ? now_ns() - r->keep_ns : INT64_MIN;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		bool too_old = files[i].mtime_ns < oldest;
		bool over = r->keep_size && total > r->keep_size;
		if (!too_old && !over)
			continue;
		if (is_open(r, files[i].path))
			continue; /* never a file being written */
		if (unlink(files[i].path) == 0 || errno == ENOENT) {
			total -= files[i].size;
			atomic_fetch_add(&r->files_removed, 1);
			/* its date directory, once empty (fails otherwise),
			 * unless a file registered there is about to be made */
			char *slash = strrchr(files[i].path, '/');
			*slash = '\0';
			if (!open_under(r, files[i].path))
				rmdir(files[i].path);
		}
	}
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
}
