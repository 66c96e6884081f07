/* files.c: the collector's record files per sensor and type, rotation
 * and flushing (files.h). Everything about one sensor's files happens
 * under that sensor's lock: the receive thread writing its batch, or the
 * main thread flushing or rotating. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/files.h"
#include "ncap/schema.h"
#include "ncap/writer.h"

/* Record type ids are below this (proto/netcap.proto); a type beyond it
 * would not have passed collect_unpack_batch's table lookup into a slot. */
#define FILES_MAX_TYPE 256

struct open_file {
	struct ncap_writer *w;
	char path[4200];
	dev_t dev;
	ino_t ino;
	uint64_t lost_seen; /* ncap_writer_lost_records() already counted */
	bool failing;       /* an error was reported and not yet recovered */
};

struct sensor_files {
	struct open_file *f[FILES_MAX_TYPE];
	bool open_failing[FILES_MAX_TYPE];
};

struct collect_files {
	char *dir;
	size_t n;
	struct sensor_files *s; /* by sensor index */
};

struct collect_files *collect_files_new(const char *dir, const struct collect_sensors *t,
					char *err, size_t errlen)
{
	if (strlen(dir) > 3900) {
		snprintf(err, errlen, "%.100s...: path too long", dir);
		return NULL;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return NULL;
	}
	struct collect_files *f = calloc(1, sizeof *f);
	if (f) {
		f->dir = strdup(dir);
		f->n = t->n;
		f->s = calloc(t->n ? t->n : 1, sizeof *f->s);
	}
	if (!f || !f->dir || !f->s) {
		if (f)
			free(f->dir), free(f->s);
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return f;
}

/* Moves the file at path (of record type name, in directory dir) aside
 * to <name>.<its mtime, UTC>[-N].ncap.gz without replacing anything.
 * Returns 0, or -1 with err. */
static int move_aside(const char *dir, const char *name, const char *path, char *err,
		      size_t errlen)
{
	struct stat st;
	if (stat(path, &st))
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
	time_t t = st.st_mtime;
	struct tm tm;
	gmtime_r(&t, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 1000; i++) {
		char to[4300];
		if (i)
			snprintf(to, sizeof to, "%.4000s/%.100s.%.20s-%d.ncap.gz", dir, name, stamp, i);
		else
			snprintf(to, sizeof to, "%.4000s/%.100s.%.20s.ncap.gz", dir, name, stamp);
		/* link + unlink: unlike rename, never replaces an existing file. */
		if (!link(path, to)) {
			if (unlink(path)) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				return -1;
			}
			return 0;
		}
		if (errno != EEXIST) {
			snprintf(err, errlen, "renaming %s to %s: %s", path, to, strerror(errno));
			return -1;
		}
	}
	snprintf(err, errlen, "%s: no free name to move it aside to", path);
	return -1;
}

/* Adds the records the writer has lost since last looked at. */
static void account_lost(struct collect_sensor *s, struct open_file *of)
{
	uint64_t lost = ncap_writer_lost_records(of->w);
	s->records_lost += lost - of->lost_seen;
	of->lost_seen = lost;
}

static struct open_file *open_file(struct collect_files *f, struct collect_sensor *s,
				   const char *device, int type)
{
	const struct ncap_type *t = ncap_type_by_id(type);
	char dir[4200], err[8800];
	snprintf(dir, sizeof dir, "%.3900s/%.64s", f->dir, s->id);
	struct open_file *of = calloc(1, sizeof *of);
	if (!of) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, sizeof err, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	snprintf(of->path, sizeof of->path, "%.4000s/%.100s.ncap.gz", dir, t->name);
	if (move_aside(dir, t->name, of->path, err, sizeof err))
		goto fail;
	char source[200];
	snprintf(source, sizeof source, "sensor %s (%s)", s->id, device);
	struct ncap_writer_opts opts = {.input_source = source};
	of->w = ncap_writer_open(of->path, type, &opts, err, sizeof err);
	if (!of->w)
		goto fail;
	struct stat st;
	if (!stat(of->path, &st))
		of->dev = st.st_dev, of->ino = st.st_ino;
	f->s[s->index].open_failing[type] = false;
	return of;
fail:
	s->write_errors++;
	if (!f->s[s->index].open_failing[type]) /* once until it works again */
		fprintf(stderr, "netcap-collect: sensor %s: %s\n", s->id, err);
	f->s[s->index].open_failing[type] = true;
	free(of);
	return NULL;
}

static void files_batch(void *arg, struct collect_sensor *s, const char *device, int type,
			uint64_t epoch, uint64_t seq, const uint8_t *records, size_t len, uint32_t n)
{
	(void)epoch, (void)seq;
	struct collect_files *f = arg;
	if (type < 0 || type >= FILES_MAX_TYPE || s->index >= f->n) {
		s->records_lost += n;
		return;
	}
	struct sensor_files *sf = &f->s[s->index];
	if (!sf->f[type])
		sf->f[type] = open_file(f, s, device, type);
	struct open_file *of = sf->f[type];
	if (!of) {
		s->records_lost += n;
		return;
	}
	if (ncap_writer_write(of->w, records, len)) {
		s->write_errors++;
		if (!of->failing)
			fprintf(stderr, "netcap-collect: sensor %s: %s\n", s->id,
				ncap_writer_error(of->w));
		of->failing = true;
	} else {
		of->failing = false;
	}
	account_lost(s, of);
}

struct collect_sink collect_files_sink(struct collect_files *f)
{
	return (struct collect_sink){.batch = files_batch, .arg = f};
}

/* Closes one file: what is pending written first, its losses counted;
 * renamed aside when rotate and it is still at its name. */
static void close_file(struct collect_files *f, struct collect_sensor *s, struct open_file *of,
		       bool rotate)
{
	char err[8800];
	if (ncap_writer_flush(of->w))
		s->write_errors++;
	account_lost(s, of);
	if (ncap_writer_close(of->w, err, sizeof err)) {
		s->write_errors++;
		fprintf(stderr, "netcap-collect: sensor %s: %s\n", s->id, err);
	}
	struct stat st;
	if (rotate && !stat(of->path, &st) && st.st_dev == of->dev && st.st_ino == of->ino) {
		char dir[4200];
		snprintf(dir, sizeof dir, "%.3900s/%.64s", f->dir, s->id);
		const char *base = strrchr(of->path, '/') + 1;
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)(strlen(base) - strlen(".ncap.gz")), base);
		if (move_aside(dir, name, of->path, err, sizeof err))
			fprintf(stderr, "netcap-collect: sensor %s: %s\n", s->id, err);
	}
	free(of);
}

static void each_file(struct collect_files *f, struct collect_sensors *t, int what)
{
	for (size_t i = 0; i < t->n && i < f->n; i++) {
		struct collect_sensor *s = &t->s[i];
		pthread_mutex_lock(&s->lock);
		for (int k = 0; k < FILES_MAX_TYPE; k++) {
			struct open_file *of = f->s[i].f[k];
			if (!of)
				continue;
			if (what == 0) {
				if (ncap_writer_flush(of->w))
					s->write_errors++;
				account_lost(s, of);
			} else {
				close_file(f, s, of, what == 1);
				f->s[i].f[k] = NULL;
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
}

void collect_files_flush(struct collect_files *f, struct collect_sensors *t)
{
	each_file(f, t, 0);
}

void collect_files_rotate(struct collect_files *f, struct collect_sensors *t)
{
	each_file(f, t, 1);
}

void collect_files_close(struct collect_files *f, struct collect_sensors *t)
{
	if (!f)
		return;
	each_file(f, t, 2);
	free(f->s);
	free(f->dir);
	free(f);
}

size_t collect_files_open_count(struct collect_files *f, struct collect_sensors *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n && i < f->n; i++) {
		pthread_mutex_lock(&t->s[i].lock);
		for (int k = 0; k < FILES_MAX_TYPE; k++)
			n += f->s[i].f[k] != NULL;
		pthread_mutex_unlock(&t->s[i].lock);
	}
	return n;
}
