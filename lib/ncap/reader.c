/* reader.c: streaming reader of record files, gzip (multi-member) or plain.
 *
 * Two buffers bound the memory: a window of compressed input and a buffer of
 * decompressed records. Gzip members are decoded one at a time with
 * libdeflate (the gzip header and trailer are parsed here, so that a fault
 * can be named precisely: bad magic, truncated header, corrupt deflate data,
 * missing trailer, CRC mismatch). Plain files are read in blocks. Records may
 * span members or blocks: the unread tail moves to the front of the record
 * buffer before the next member is appended. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncap/reader.h"
#include "ncap/varint.h"

#define INITIAL_WINDOW (4u << 20)
#define MAX_WINDOW (NCAP_MAX_MEMBER + (1u << 20))
#define PLAIN_BLOCK (1u << 20)
#define GZIP_HEADER_MIN 10
#define GZIP_TRAILER 8

struct ncap_reader {
	char *path;
	int fd;
	bool gzip;
	bool eof;               /* no more bytes from fd */
	bool failed;

	uint8_t *in;            /* compressed window: in[in_pos..in_len) unread */
	size_t in_cap, in_len, in_pos;
	uint64_t in_file_off;   /* file offset of in[0] */
	uint64_t member_off;    /* file offset of the member being read */

	uint8_t *buf;           /* records: buf[pos..len) unread */
	size_t cap, len, pos;
	uint64_t stream_off;    /* uncompressed offset of buf[0] */

	struct libdeflate_decompressor *inflater;
	Types__Header *header;
	const struct ncap_type *type;
	uint64_t records;
	uint64_t error_offset;
	char error[640];
};

static int fail_at(struct ncap_reader *r, uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->error, sizeof r->error, "%s: offset %" PRIu64 ": ", r->path, offset);
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof r->error - (size_t)n, fmt, ap);
	va_end(ap);
	r->error_offset = offset;
	r->failed = true;
	return -1;
}

/* Fills the rest of the compressed window from the file. */
static int fill_window(struct ncap_reader *r)
{
	while (!r->eof && r->in_len < r->in_cap) {
		ssize_t k = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail_at(r, r->in_file_off + r->in_len, "read: %s", strerror(errno));
		if (k == 0)
			r->eof = true;
		r->in_len += (size_t)k;
	}
	return 0;
}

/* Makes room for more input: drops consumed bytes, else grows the window.
 * Returns 0, or -1 when the window is at its limit. */
static int widen_window(struct ncap_reader *r)
{
	if (r->in_pos > 0) {
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_file_off += r->in_pos;
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	} else if (r->in_len == r->in_cap) {
		if (r->in_cap >= MAX_WINDOW)
			return -1;
		size_t cap = r->in_cap * 2 > MAX_WINDOW ? MAX_WINDOW : r->in_cap * 2;
		uint8_t *in = realloc(r->in, cap);
		if (!in)
			return -1;
		r->in = in;
		r->in_cap = cap;
	}
	return fill_window(r);
}

/* Room for n more bytes after buf[len]. */
static int reserve(struct ncap_reader *r, size_t n)
{
	if (r->cap - r->len >= n)
		return 0;
	size_t cap = r->cap ? r->cap : PLAIN_BLOCK;
	while (cap - r->len < n)
		cap *= 2;
	uint8_t *buf = realloc(r->buf, cap);
	if (!buf)
		return fail_at(r, r->member_off, "out of memory (%zu bytes)", cap);
	r->buf = buf;
	r->cap = cap;
	return 0;
}

enum { MEMBER_OK = 1, MEMBER_NEED_INPUT = 0, MEMBER_FAULT = -1 };

/* Length of the gzip header at p (RFC 1952), 0 when incomplete, -1 on a
 * fault (reason set). */
static long gzip_header_length(struct ncap_reader *r, const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] != 0x1f)
		goto bad_magic;
	if (n >= 2 && p[1] != 0x8b)
		goto bad_magic;
	if (n < GZIP_HEADER_MIN)
		return 0;
	if (p[2] != 8)
		return fail_at(r, r->member_off, "gzip member uses compression method %u, not deflate", p[2]);
	uint8_t flags = p[3];
	if (flags & 0xe0)
		return fail_at(r, r->member_off, "gzip header has reserved flag bits set (0x%02x)", flags);
	size_t h = GZIP_HEADER_MIN;
	if (flags & 0x04) { /* FEXTRA */
		if (n < h + 2)
			return 0;
		h += 2 + (size_t)(p[h] | p[h + 1] << 8);
	}
	for (int bit = 0x08; bit <= 0x10; bit <<= 1) { /* FNAME, FCOMMENT */
		if (!(flags & bit))
			continue;
		const uint8_t *nul = h < n ? memchr(p + h, 0, n - h) : NULL;
		if (!nul)
			return 0;
		h = (size_t)(nul - p) + 1;
	}
	if (flags & 0x02) /* FHCRC */
		h += 2;
	return h <= n ? (long)h : 0;
bad_magic:
	if (r->member_off == 0)
		return fail_at(r, 0, "not a gzip file (starts with 0x%02x%02x, expected 0x1f8b)",
			       p[0], n > 1 ? p[1] : 0);
	return fail_at(r, r->member_off, "garbage after the last gzip member (0x%02x%02x, expected 0x1f8b)",
		       p[0], n > 1 ? p[1] : 0);
}

/* Decodes the member at in[in_pos] and appends its data to buf. */
static int decode_member(struct ncap_reader *r)
{
	const uint8_t *p = r->in + r->in_pos;
	size_t n = r->in_len - r->in_pos;
	long h = gzip_header_length(r, p, n);
	if (h <= 0)
		return h < 0 ? MEMBER_FAULT : MEMBER_NEED_INPUT;

	for (;;) {
		size_t used_in = 0, produced = 0;
		enum libdeflate_result res = libdeflate_deflate_decompress_ex(
			r->inflater, p + h, n - (size_t)h, r->buf + r->len, r->cap - r->len,
			&used_in, &produced);
		if (res == LIBDEFLATE_INSUFFICIENT_SPACE) {
			size_t member_room = r->cap - r->len;
			if (member_room >= NCAP_MAX_MEMBER)
				return fail_at(r, r->member_off,
					       "gzip member larger than %u MiB uncompressed (NETCAP writes 1 MiB members)",
					       NCAP_MAX_MEMBER >> 20);
			if (reserve(r, member_room * 2) < 0)
				return MEMBER_FAULT;
			continue;
		}
		if (res != LIBDEFLATE_SUCCESS)
			return r->eof ? fail_at(r, r->member_off,
						"gzip member corrupt or truncated (deflate data invalid; file ends at offset %" PRIu64 ")",
						r->in_file_off + r->in_len)
				      : MEMBER_NEED_INPUT;
		size_t end = (size_t)h + used_in;
		if (n - end < GZIP_TRAILER)
			return r->eof ? fail_at(r, r->member_off,
						"gzip member truncated: trailer missing (file ends at offset %" PRIu64 ")",
						r->in_file_off + r->in_len)
				      : MEMBER_NEED_INPUT;
		const uint8_t *t = p + end;
		uint32_t crc = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
		uint32_t isize = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
		if (crc != libdeflate_crc32(0, r->buf + r->len, produced))
			return fail_at(r, r->member_off, "gzip member corrupt: CRC32 mismatch");
		if (isize != (uint32_t)produced)
			return fail_at(r, r->member_off, "gzip member corrupt: length field says %u, data has %zu",
				       isize, produced);
		r->len += produced;
		r->in_pos += end + GZIP_TRAILER;
		return MEMBER_OK;
	}
}

/* Appends the next member (or plain block) to buf. Returns 1, 0 at end of
 * file, -1 on a fault. */
static int refill(struct ncap_reader *r)
{
	/* Keep only the unread tail: a record split across members. */
	if (r->pos > 0) {
		r->stream_off += r->pos;
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}

	if (!r->gzip) {
		if (r->eof)
			return 0;
		if (reserve(r, PLAIN_BLOCK) < 0)
			return -1;
		ssize_t k;
		do
			k = read(r->fd, r->buf + r->len, PLAIN_BLOCK);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return fail_at(r, r->stream_off + r->len, "read: %s", strerror(errno));
		if (k == 0)
			r->eof = true;
		r->len += (size_t)k;
		return k > 0;
	}

	if (reserve(r, PLAIN_BLOCK) < 0)
		return -1;
	for (;;) {
		r->member_off = r->in_file_off + r->in_pos;
		if (r->in_pos == r->in_len && r->eof)
			return 0;
		int rc = decode_member(r);
		if (rc == MEMBER_OK)
			return 1;
		if (rc == MEMBER_FAULT)
			return -1;
		if (r->eof) {
			if (r->in_pos == r->in_len)
				return 0;
			return fail_at(r, r->member_off, "gzip member truncated: header incomplete");
		}
		/* A valid member (at most NCAP_MAX_MEMBER uncompressed) always
		 * fits the full window, so not decoding there means corrupt
		 * data, not a member too large. */
		if (widen_window(r) < 0)
			return r->failed ? -1 : r->in_cap < MAX_WINDOW
				? fail_at(r, r->member_off, "out of memory for the read window")
				: fail_at(r, r->member_off,
					  "gzip member corrupt (deflate data invalid; no valid member within the %u MiB read window)",
					  MAX_WINDOW >> 20);
	}
}

int ncap_reader_next(struct ncap_reader *r, const uint8_t **rec, size_t *len)
{
	if (r->failed)
		return -1;
	for (;;) {
		size_t avail = r->len - r->pos;
		uint64_t rlen = 0;
		int k = ncap_varint_get(r->buf + r->pos, avail, &rlen);
		uint64_t where = r->stream_off + r->pos;
		if (k == NCAP_VARINT_MALFORMED)
			return r->gzip ? fail_at(r, r->member_off, "record at uncompressed offset %" PRIu64 ": malformed length varint", where)
				       : fail_at(r, where, "malformed record length varint");
		if (k > 0 && rlen > NCAP_MAX_RECORD)
			return r->gzip ? fail_at(r, r->member_off, "record at uncompressed offset %" PRIu64 ": length %" PRIu64 " exceeds the %u MiB limit", where, rlen, NCAP_MAX_RECORD >> 20)
				       : fail_at(r, where, "record length %" PRIu64 " exceeds the %u MiB limit", rlen, NCAP_MAX_RECORD >> 20);
		if (k > 0 && avail - (size_t)k >= rlen) {
			*rec = r->buf + r->pos + k;
			*len = (size_t)rlen;
			r->pos += (size_t)k + (size_t)rlen;
			r->records++;
			return 1;
		}
		int more = refill(r);
		if (more < 0)
			return -1;
		if (more == 0) {
			if (avail == 0)
				return 0;
			where = r->stream_off + r->pos;
			const char *what = k > 0 ? "runs past the end of the data" : "length varint cut off by the end of the data";
			return r->gzip ? fail_at(r, r->member_off, "record at uncompressed offset %" PRIu64 ": %s (%zu bytes left)", where, what, avail)
				       : fail_at(r, where, "record %s (%zu bytes left)", what, avail);
		}
	}
}

static int read_header(struct ncap_reader *r, const char *path)
{
	const uint8_t *rec;
	size_t len;
	int rc = ncap_reader_next(r, &rec, &len);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return fail_at(r, 0, "missing header: the file holds no records");
	r->header = types__header__unpack(NULL, len, rec);
	if (!r->header)
		return fail_at(r, 0, "missing header: the first record is not a valid Header");
	r->type = ncap_type_by_id(r->header->type);
	if (!r->type || !r->type->desc || r->header->type == TYPES__TYPE__NC_Header)
		return fail_at(r, 0, "header names record type %d, which has no message", r->header->type);
	const struct ncap_type *named = ncap_type_from_path(path);
	if (named && named != r->type)
		return fail_at(r, 0, "header says the records are %s, but the file name says %s",
			       r->type->name, named->name);
	r->records = 0; /* the header is not a record */
	return 0;
}

struct ncap_reader *ncap_reader_open(const char *path, char *err, size_t errlen)
{
	struct ncap_reader *r = calloc(1, sizeof *r);
	if (!r || !(r->path = strdup(path)) || !(r->inflater = libdeflate_alloc_decompressor())) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	r->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	r->in_cap = INITIAL_WINDOW;
	if (!(r->in = malloc(r->in_cap))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (fill_window(r) < 0)
		goto fail_msg;
	size_t n = r->in_len;
	size_t plen = strlen(path);
	bool named_gz = plen >= 3 && strcmp(path + plen - 3, ".gz") == 0;
	r->gzip = (n >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) || named_gz;
	if (!r->gzip) {
		/* Plain file: hand the bytes already read to the record buffer. */
		if (reserve(r, n + PLAIN_BLOCK) < 0)
			goto fail_msg;
		memcpy(r->buf, r->in, n);
		r->len = n;
		free(r->in);
		r->in = NULL;
		r->in_len = r->in_cap = 0;
	} else if (n == 0) {
		fail_at(r, 0, "empty file: not a gzip file");
		goto fail_msg;
	}
	if (read_header(r, path) < 0)
		goto fail_msg;
	return r;

fail_msg:
	snprintf(err, errlen, "%s", r->error);
fail:
	ncap_reader_close(r);
	return NULL;
}

const Types__Header *ncap_reader_header(const struct ncap_reader *r) { return r->header; }
const struct ncap_type *ncap_reader_type(const struct ncap_reader *r) { return r->type; }
const char *ncap_reader_error(const struct ncap_reader *r) { return r->error; }
uint64_t ncap_reader_error_offset(const struct ncap_reader *r) { return r->error_offset; }
uint64_t ncap_reader_records(const struct ncap_reader *r) { return r->records; }

void ncap_reader_close(struct ncap_reader *r)
{
	if (!r)
		return;
	if (r->fd > STDIN_FILENO)
		close(r->fd);
	if (r->header)
		types__header__free_unpacked(r->header, NULL);
	libdeflate_free_decompressor(r->inflater);
	free(r->in);
	free(r->buf);
	free(r->path);
	free(r);
}
