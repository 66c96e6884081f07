/* writer.c: record files as independent gzip members (or plain).
 *
 * Records accumulate in a member-sized buffer; when the next record would
 * overflow it, the buffer is compressed with libdeflate into one gzip member
 * and written with a single write(). A member therefore always holds whole
 * records, and a crash loses at most the member in flight.
 *
 * A write that fails (disk full, EIO, a file size limit) may have put part
 * of a member on disk: the file is cut back to the end of the last whole
 * member, so it stays readable to its last record, the member's records
 * are counted as lost, and the next member is tried afresh: a capture that
 * runs for months recovers when space comes back. Only when the file cannot
 * be cut back does the writer stop for good. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ncap/schema.h"
#include "ncap/varint.h"
#include "ncap/writer.h"

struct ncap_writer {
	int fd;
	bool gzip;
	bool failed;              /* for good: the file could not be repaired */
	bool failing;             /* the last member could not be written */
	char *path;
	struct libdeflate_compressor *compressor;
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

/* A member of `records` records could not be written: cut the file back
 * to bytes_out, the end of the last whole member. */
static __attribute__((format(printf, 3, 4))) int member_lost(struct ncap_writer *w, uint32_t records,
							      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(w, fmt, ap);
	va_end(ap);
	w->failing = true;
	w->failed_writes++;
	w->lost_records += records;
	if (ftruncate(w->fd, (off_t)w->bytes_out) < 0 || lseek(w->fd, (off_t)w->bytes_out, SEEK_SET) < 0) {
		size_t n = strlen(w->error);
		snprintf(w->error + n, sizeof w->error - n, "; cutting the file back to its last whole member failed too (%s): no more records go to it",
			 strerror(errno));
		w->failed = true;
	}
	return -1;
}

/* Writes one whole member; on a failure the file keeps only whole members. */
static int write_member(struct ncap_writer *w, const uint8_t *p, size_t n, uint32_t records)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(w->fd, p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 && records == 0) /* the header: the open fails */
			return member_lost(w, 0, "write: %s (the file's header)", k < 0 ? strerror(errno) : "no progress");
		if (k <= 0)
			return member_lost(w, records, "write: %s; %u records lost, the file ends with its last whole member",
					   k < 0 ? strerror(errno) : "no progress", records);
		done += (size_t)k;
	}
	w->bytes_out += n;
	w->failing = false;
	return 0;
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
		return write_member(w, data, n, records);
	size_t bound = libdeflate_gzip_compress_bound(w->compressor, n);
	uint8_t *out = w->out;
	if (bound > w->out_cap) {
		/* Only a single record larger than the member cap gets here. */
		out = malloc(bound);
		if (!out)
			return member_lost(w, records, "out of memory compressing a %zu-byte record", n);
	}
	size_t clen = libdeflate_gzip_compress(w->compressor, data, n, out, bound);
	int rc = clen ? write_member(w, out, clen, records) : member_lost(w, records, "compression failed");
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

struct ncap_writer *ncap_writer_open(const char *path, int type,
				     const struct ncap_writer_opts *opts,
				     char *err, size_t errlen)
{
	static const struct ncap_writer_opts defaults;
	if (!opts)
		opts = &defaults;
	struct ncap_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(w);
		return NULL;
	}
	w->gzip = !opts->plain && has_suffix(path, ".gz");
	w->member_cap = opts->member_cap ? opts->member_cap : NCAP_DEFAULT_MEMBER_CAP;
	w->pending = malloc(w->member_cap);
	if (w->gzip) {
		int level = opts->level == NCAP_LEVEL_STORE ? 0 : opts->level ? opts->level : NCAP_DEFAULT_LEVEL;
		w->compressor = libdeflate_alloc_compressor(level);
		if (w->compressor) {
			w->out_cap = libdeflate_gzip_compress_bound(w->compressor, w->member_cap);
			w->out = malloc(w->out_cap);
		}
	}
	if (!w->pending || (w->gzip && (!w->compressor || !w->out))) {
		snprintf(err, errlen, "%s: out of memory (or bad compression level %d)", path, opts->level);
		goto fail;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
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
	if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
	close(w->fd);
}
fail:
	libdeflate_free_compressor(w->compressor);
	free(w->out);
	free(w->pending);
	free(w->path);
	free(w);
	return NULL;
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
		uint64_t rlen;
		int k = ncap_varint_get(records + pos, len - pos, &rlen);
		if (k <= 0 || rlen > len - pos - (size_t)k) {
			/* A caller's bug, not the disk's: nothing it hands over
			 * is trusted from here on. */
			w->lost_records++;
			return fail(w, "caller passed a partial record at chunk offset %zu", pos);
		}
		size_t whole = (size_t)k + (size_t)rlen;
		if (whole > w->member_cap - w->pending_len && flush_pending(w) < 0)
			rc = -1;
		if (whole > w->member_cap) {
			if (emit_member(w, records + pos, whole, 1) < 0)
				rc = -1;
		} else {
			memcpy(w->pending + w->pending_len, records + pos, whole);
			w->pending_len += whole;
			w->pending_records++;
		}
		pos += whole;
		w->records++;
	}
	w->bytes_in += len;
	return rc;
}

int ncap_writer_close(struct ncap_writer *w, char *err, size_t errlen)
{
	int rc = flush_pending(w);
	if (close(w->fd) < 0 && rc == 0)
		rc = fail(w, "close: %s", strerror(errno));
	if (w->lost_records && rc == 0)
		rc = -1; /* an earlier member was lost: the error still says which */
	if (rc < 0 && err)
		snprintf(err, errlen, "%s", w->error);
	libdeflate_free_compressor(w->compressor);
	free(w->out);
	free(w->pending);
	free(w->path);
	free(w);
	return rc;
}

const char *ncap_writer_error(const struct ncap_writer *w) { return w->error; }
uint64_t ncap_writer_bytes_in(const struct ncap_writer *w) { return w->bytes_in; }
uint64_t ncap_writer_bytes_out(const struct ncap_writer *w) { return w->bytes_out; }
uint64_t ncap_writer_records(const struct ncap_writer *w) { return w->records; }
uint64_t ncap_writer_lost_records(const struct ncap_writer *w) { return w->lost_records; }
uint64_t ncap_writer_failed_writes(const struct ncap_writer *w) { return w->failed_writes; }
bool ncap_writer_failing(const struct ncap_writer *w) { return w->failing || w->failed; }
