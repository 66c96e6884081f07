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
#include "ncap/recordcheck.h"
#include "ncap/varint.h"

#define INITIAL_WINDOW (4u << 20)
#define MAX_WINDOW (NCAP_MAX_MEMBER + (1u << 20))
#define PLAIN_BLOCK (1u << 20)
#define GZIP_HEADER_MIN 10
#define GZIP_TRAILER 8

/* What decoding the header may cost: it has five scalar fields (NETCAP's
 * are under 4 KiB); room for a long input source and for fields a later
 * version may add, which are kept as unknown fields. */
static const struct ncap_limits header_limits = {
	.max_memory = 1u << 20,
	.max_elements = 1024,
	.max_depth = 2,
};

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
	/* Which member each record starts in (records may span members in
	 * foreign files): the last member appended to buf and where its data
	 * starts in the stream, and the member holding the start of the
	 * record left incomplete at the last refill. */
	uint64_t last_member_off, last_member_stream, tail_member_off;
	uint64_t rec_file_off, rec_stream_off; /* of the record last returned */

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

/* Writes "PATH: offset N: text" into buf (cap bytes). What follows the
 * path matters most, so a path too long for the buffer (up to PATH_MAX) is
 * cut from the left, "...tail/of/the/path", instead of crowding it out.
 * snprintf returns the length it wanted, not what it wrote: never used as
 * an offset here. */
static void put_located(const char *path, uint64_t offset, const char *text, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	char where[48];
	int n = snprintf(where, sizeof where, ": offset %" PRIu64 ": ", offset);
	size_t where_len = n < 0 ? 0 : (size_t)n;
	size_t text_len = strlen(text), path_len = strlen(path), keep = path_len;
	size_t room = cap - 1;
	if (path_len + where_len + text_len > room) {
		/* Keep at least the last 64 bytes of the path (the file name). */
		size_t rest = where_len + text_len + 3;
		keep = room > rest + 64 ? room - rest : 64;
	}
	if (keep < path_len)
		snprintf(buf, cap, "...%s%s%s", path + path_len - keep, where, text);
	else
		snprintf(buf, cap, "%s%s%s", path, where, text);
}

/* Records a fault: "PATH: offset N: reason". */
static int fail_at(struct ncap_reader *r, uint64_t offset, const char *fmt, ...)
{
	char reason[sizeof r->error];
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(reason, sizeof reason, fmt, ap) < 0)
		reason[0] = '\0';
	va_end(ap);
	put_located(r->path, offset, reason, r->error, sizeof r->error);
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
	/* The incomplete record kept at buf[0] started in the last member
	 * appended, unless it started before that one (and was kept then). */
	if (r->stream_off >= r->last_member_stream)
		r->tail_member_off = r->last_member_off;
	for (;;) {
		r->member_off = r->in_file_off + r->in_pos;
		if (r->in_pos == r->in_len && r->eof)
			return 0;
		uint64_t appended_at = r->stream_off + r->len;
		int rc = decode_member(r);
		if (rc == MEMBER_OK) {
			r->last_member_off = r->member_off;
			r->last_member_stream = appended_at;
			return 1;
		}
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
		/* buf is NULL until the first refill: no arithmetic on it then. */
		int k = avail ? ncap_varint_get(r->buf + r->pos, avail, &rlen) : NCAP_VARINT_NEED_MORE;
		uint64_t where = r->stream_off + r->pos;
		if (k == NCAP_VARINT_MALFORMED)
			return r->gzip ? fail_at(r, r->member_off, "record at uncompressed offset %" PRIu64 ": malformed length varint", where)
				       : fail_at(r, where, "malformed record length varint");
		if (k > 0 && rlen > NCAP_MAX_RECORD)
			return r->gzip ? fail_at(r, r->member_off, "record at uncompressed offset %" PRIu64 ": length %" PRIu64 " exceeds the %u MiB limit", where, rlen, NCAP_MAX_RECORD >> 20)
				       : fail_at(r, where, "record length %" PRIu64 " exceeds the %u MiB limit", rlen, NCAP_MAX_RECORD >> 20);
		if (k > 0 && avail - (size_t)k >= rlen) {
			r->rec_stream_off = where;
			r->rec_file_off = !r->gzip ? where
					  : where >= r->last_member_stream ? r->last_member_off
					  : r->tail_member_off;
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
	/* Bounded like every record (recordcheck.h): a header is a few
	 * hundred bytes, but the file is not to be trusted. */
	struct ncap_check check;
	r->header = (Types__Header *)ncap_record_unpack(&types__header__descriptor, rec, len,
						       &header_limits, &check);
	if (!r->header)
		return fail_at(r, 0, "missing header: the first record is not a valid Header (%s)",
			       check.reason);
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

void ncap_reader_record_pos(const struct ncap_reader *r, struct ncap_record_pos *pos)
{
	pos->index = r->records;
	pos->file_offset = r->rec_file_off;
	pos->stream_offset = r->rec_stream_off;
	pos->gzip = r->gzip;
}

void ncap_reader_record_where(const struct ncap_reader *r, char *buf, size_t len)
{
	char text[96];
	if (r->gzip)
		snprintf(text, sizeof text, "record %" PRIu64 " at uncompressed offset %" PRIu64, r->records,
			 r->rec_stream_off);
	else
		snprintf(text, sizeof text, "record %" PRIu64, r->records);
	put_located(r->path, r->rec_file_off, text, buf, len);
}

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
