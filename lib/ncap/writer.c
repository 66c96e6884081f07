/* writer.c: record files as independent gzip members (or plain).
 *
 * Records accumulate in a member-sized buffer; when the next record would
 * overflow it, the buffer is compressed with libdeflate into one gzip member
 * and written with a single write(). A member therefore always holds whole
 * records, and a crash loses at most the member in flight.
 *
 * Several writers may fill one file (ncap_writer_open_shared): each keeps
 * its own buffer and compressor, so the costly part runs on as many cores
 * as there are writers, and only the append of a finished member takes the
 * file's lock (a few system calls per megabyte of records). Members are
 * independent, so their order in the file does not matter to a reader.
 *
 * A write that fails (disk full, EIO, a file size limit) may have put part
 * of a member on disk: the file is cut back to the end of the last whole
 * member, so it stays readable to its last record, the member's records
 * are counted as lost, and the next member is tried afresh: a capture that
 * runs for months recovers when space comes back. Only when the file cannot
 * be cut back does the file stop for good. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ncap/schema.h"
#include "ncap/varint.h"
#include "ncap/writer.h"

/* The file: shared by its writers, its end and state under the lock. */
struct ncap_file {
	int fd;
	pthread_mutex_t lock;
	uint64_t size;            /* end of the last whole member */
	bool failed;              /* for good: the file could not be repaired */
	atomic_uint writers;      /* the last one to close closes the file */
	char *path;
};

struct ncap_writer {
	struct ncap_file *file;
	bool gzip;
	bool failed;              /* this writer refuses records: its file failed, or a caller's bug */
	bool failing;             /* the last member could not be written */
	const char *path;         /* the file's */
	struct libdeflate_compressor *compressor;
	int level;
	size_t member_cap;
	uint8_t *pending;      /* whole records waiting for the next member */
	size_t pending_len;
	uint8_t *out;          /* compressed member */
	size_t out_cap;
	uint64_t bytes_in, bytes_out, records;
	uint32_t pending_records;     /* whole records in pending */
	uint64_t lost_records, failed_writes;
	char error[512];
};

/* Sets the error message "PATH: ..." (cut to fit, whatever the path's
 * length). */
static void set_error(struct ncap_writer *w, const char *fmt, va_list ap)
{
	int n = snprintf(w->error, sizeof w->error, "%s: ", w->path);
	if (n < 0 || (size_t)n >= sizeof w->error)
		return;
	vsnprintf(w->error + n, sizeof w->error - (size_t)n, fmt, ap);
}

static __attribute__((format(printf, 2, 3))) int fail(struct ncap_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(w, fmt, ap);
	va_end(ap);
	w->failed = true;
	return -1;
}

/* A member of `records` records is not on disk: counted, and told. */
static void count_lost(struct ncap_writer *w, uint32_t records, const char *fmt, va_list ap)
{
	set_error(w, fmt, ap);
	w->failing = true;
	w->failed_writes++;
	w->lost_records += records;
}

/* A member that never reached the file (no memory, no compression). */
static __attribute__((format(printf, 3, 4))) int member_refused(struct ncap_writer *w, uint32_t records,
								 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	count_lost(w, records, fmt, ap);
	va_end(ap);
	return -1;
}

/* A member whose write failed: cut the file back to the end of its last
 * whole member. Called with the file's lock held. */
static __attribute__((format(printf, 3, 4))) int member_lost(struct ncap_writer *w, uint32_t records,
							      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	count_lost(w, records, fmt, ap);
	va_end(ap);
	struct ncap_file *f = w->file;
	if (ftruncate(f->fd, (off_t)f->size) < 0 || lseek(f->fd, (off_t)f->size, SEEK_SET) < 0) {
		size_t n = strlen(w->error);
		snprintf(w->error + n, sizeof w->error - n, "; cutting the file back to its last whole member failed too (%s): no more records go to it",
			 strerror(errno));
		f->failed = true;
		w->failed = true;
	}
	return -1;
}

/* Appends one whole member under the file's lock; on a failure the file
 * keeps only whole members. */
static int append_member(struct ncap_writer *w, const uint8_t *p, size_t n, uint32_t records)
{
	struct ncap_file *f = w->file;
	int rc = 0;
	pthread_mutex_lock(&f->lock);
	if (f->failed) {
		/* another writer of the file could not cut it back */
		snprintf(w->error, sizeof w->error, "%s: no more records go to it (an earlier write failed and could not be undone)",
			 f->path);
		w->failed = true;
		w->lost_records += records;
		rc = -1;
		goto out;
	}
	for (size_t done = 0; done < n;) {
		ssize_t k = write(f->fd, p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 && records == 0) { /* the header: the open fails */
			rc = member_lost(w, 0, "write: %s (the file's header)", k < 0 ? strerror(errno) : "no progress");
			goto out;
		}
		if (k <= 0) {
			rc = member_lost(w, records, "write: %s; %u records lost, the file ends with its last whole member",
					 k < 0 ? strerror(errno) : "no progress", records);
			goto out;
		}
		done += (size_t)k;
	}
	__atomic_store_n(&f->size, f->size + n, __ATOMIC_RELAXED); /* read unlocked: ncap_writer_file_size */
	w->bytes_out += n;
	w->failing = false;
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Compresses n bytes of whole records (`records` of them) into one gzip
 * member and writes it. */
static int emit_member(struct ncap_writer *w, const uint8_t *data, size_t n, uint32_t records)
{
	if (n == 0)
		return 0;
	if (w->failed) {
		w->lost_records += records;
		return -1;
	}
	if (!w->gzip)
		return append_member(w, data, n, records);
	size_t bound = libdeflate_gzip_compress_bound(w->compressor, n);
	uint8_t *out = w->out;
	if (bound > w->out_cap) {
		/* Only a single record larger than the member cap gets here. */
		out = malloc(bound);
		if (!out)
			return member_refused(w, records, "out of memory compressing a %zu-byte record", n);
	}
	size_t clen = libdeflate_gzip_compress(w->compressor, data, n, out, bound);
	int rc = clen ? append_member(w, out, clen, records) : member_refused(w, records, "compression failed");
	if (out != w->out)
		free(out);
	return rc;
}

static int flush_pending(struct ncap_writer *w)
{
	int rc = emit_member(w, w->pending, w->pending_len, w->pending_records);
	w->pending_len = 0;
	w->pending_records = 0;
	return rc;
}

int ncap_writer_flush(struct ncap_writer *w)
{
	return flush_pending(w);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A writer's own part: its buffer, compressor and counters. */
static struct ncap_writer *writer_new(struct ncap_file *f, bool gzip, int level, size_t member_cap)
{
	struct ncap_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	*w = (struct ncap_writer){ .file = f, .path = f->path, .gzip = gzip, .level = level, .member_cap = member_cap };
	w->pending = malloc(w->member_cap);
	if (gzip && (w->compressor = libdeflate_alloc_compressor(level))) {
		w->out_cap = libdeflate_gzip_compress_bound(w->compressor, w->member_cap);
		w->out = malloc(w->out_cap);
	}
	if (!w->pending || (gzip && (!w->compressor || !w->out))) {
		libdeflate_free_compressor(w->compressor);
		free(w->out);
		free(w->pending);
		free(w);
		return NULL;
	}
	return w;
}

static void writer_free(struct ncap_writer *w)
{
	libdeflate_free_compressor(w->compressor);
	free(w->out);
	free(w->pending);
	free(w);
}

static void file_free(struct ncap_file *f)
{
	pthread_mutex_destroy(&f->lock);
	free(f->path);
	free(f);
}

struct ncap_writer *ncap_writer_open(const char *path, int type,
				     const struct ncap_writer_opts *opts,
				     char *err, size_t errlen)
{
	static const struct ncap_writer_opts defaults;
	if (!opts)
		opts = &defaults;
	struct ncap_file *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	atomic_init(&f->writers, 1);
	bool gzip = !opts->plain && has_suffix(path, ".gz");
	int level = opts->level == NCAP_LEVEL_STORE ? 0 : opts->level ? opts->level : NCAP_DEFAULT_LEVEL;
	struct ncap_writer *w = writer_new(f, gzip, level, opts->member_cap ? opts->member_cap : NCAP_DEFAULT_MEMBER_CAP);
	if (!w) {
		snprintf(err, errlen, "%s: out of memory (or bad compression level %d)", path, opts->level);
		file_free(f);
		return NULL;
	}
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}

	int64_t created = opts->created_ns;
	if (!created) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		created = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	Types__Header header = TYPES__HEADER__INIT;
	header.created = created;
	header.inputsource = (char *)(opts->input_source ? opts->input_source : "");
	header.type = (Types__Type)type;
	header.version = (char *)NCAP_VERSION;
	header.containspayloads = opts->contains_payloads;
	size_t hlen = protobuf_c_message_get_packed_size(&header.base);
	uint8_t hbuf[4096 + NCAP_VARINT_MAX];
	if (hlen > 4096) {
		snprintf(err, errlen, "%s: input source name too long", path);
		goto fail_close;
	}
	size_t n = ncap_varint_put(hbuf, hlen);
	n += protobuf_c_message_pack(&header.base, hbuf + n);
	/* The header is a member of its own, on disk at once: a file that
	 * exists is a valid file, however the run ends. */
	if (emit_member(w, hbuf, n, 0) < 0) {
		snprintf(err, errlen, "%s", w->error);
		goto fail_close;
	}
	return w;

fail_close: {
	/* Remove the unusable file, but never a device or FIFO ("/dev/full",
	 * "/dev/stdout"): only a regular file is ours to delete. */
	struct stat st;
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
	close(f->fd);
}
fail:
	writer_free(w);
	file_free(f);
	return NULL;
}

struct ncap_writer *ncap_writer_open_shared(struct ncap_writer *first, char *err, size_t errlen)
{
	struct ncap_writer *w = writer_new(first->file, first->gzip, first->level, first->member_cap);
	if (!w) {
		snprintf(err, errlen, "%s: out of memory", first->path);
		return NULL;
	}
	atomic_fetch_add(&first->file->writers, 1);
	return w;
}

/* Records in a chunk, counted for the losses of a writer that stopped. */
static uint64_t count_records(const uint8_t *records, size_t len)
{
	uint64_t n = 0, rlen;
	int k;
	for (size_t pos = 0; pos < len && (k = ncap_varint_get(records + pos, len - pos, &rlen)) > 0 &&
	     rlen <= len - pos - (size_t)k; pos += (size_t)k + (size_t)rlen)
		n++;
	return n;
}

int ncap_writer_write(struct ncap_writer *w, const uint8_t *records, size_t len)
{
	if (w->failed) {
		w->lost_records += count_records(records, len);
		return -1;
	}
	int rc = 0;
	size_t pos = 0;
	while (pos < len) {
		/* The run of whole records from pos that fits in pending goes
		 * in with one copy (a chunk holds hundreds of small records). */
		size_t room = w->member_cap - w->pending_len, run = 0, whole = 0;
		uint32_t n = 0;
		while (pos + run < len) {
			uint64_t rlen;
			size_t at = pos + run;
			int k = ncap_varint_get(records + at, len - at, &rlen);
			if (k <= 0 || rlen > len - at - (size_t)k) {
				/* A caller's bug, not the disk's: nothing it hands
				 * over is trusted from here on (the whole records
				 * before it are kept). */
				memcpy(w->pending + w->pending_len, records + pos, run);
				w->pending_len += run;
				w->pending_records += n;
				w->records += n;
				w->lost_records++;
				return fail(w, "caller passed a partial record at chunk offset %zu", at);
			}
			whole = (size_t)k + (size_t)rlen;
			if (whole > room - run)
				break;
			run += whole;
			n++;
		}
		memcpy(w->pending + w->pending_len, records + pos, run);
		w->pending_len += run;
		w->pending_records += n;
		w->records += n;
		pos += run;
		if (pos == len)
			break;
		/* The next record does not fit: a member goes out first, and a
		 * record larger than a member is one on its own. */
		if (flush_pending(w) < 0)
			rc = -1;
		if (whole > w->member_cap) {
			if (emit_member(w, records + pos, whole, 1) < 0)
				rc = -1;
			pos += whole;
			w->records++;
		}
	}
	w->bytes_in += len;
	return rc;
}

int ncap_writer_close(struct ncap_writer *w, char *err, size_t errlen)
{
	int rc = flush_pending(w);
	struct ncap_file *f = w->file;
	bool last = atomic_fetch_sub(&f->writers, 1) == 1;
	if (last && close(f->fd) < 0 && rc == 0)
		rc = fail(w, "close: %s", strerror(errno));
	if (w->lost_records && rc == 0)
		rc = -1; /* an earlier member was lost: the error still says which */
	if (rc < 0 && err)
		snprintf(err, errlen, "%s", w->error);
	writer_free(w);
	if (last)
		file_free(f);
	return rc;
}

const char *ncap_writer_error(const struct ncap_writer *w) { return w->error; }
uint64_t ncap_writer_bytes_in(const struct ncap_writer *w) { return w->bytes_in; }
uint64_t ncap_writer_bytes_out(const struct ncap_writer *w) { return w->bytes_out; }
uint64_t ncap_writer_file_size(const struct ncap_writer *w) { return __atomic_load_n(&w->file->size, __ATOMIC_RELAXED); }
uint64_t ncap_writer_records(const struct ncap_writer *w) { return w->records; }
uint64_t ncap_writer_lost_records(const struct ncap_writer *w) { return w->lost_records; }
uint64_t ncap_writer_failed_writes(const struct ncap_writer *w) { return w->failed_writes; }
bool ncap_writer_failing(const struct ncap_writer *w) { return w->failing || w->failed; }
