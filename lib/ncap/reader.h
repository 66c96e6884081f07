/* reader.h: reads a record file, streaming, in bounded memory.
 *
 * Gzip files are read one member at a time (records may span members); plain
 * files in fixed-size blocks. Faults stop the reader with a message naming
 * the file, the byte offset and the reason; every record before the fault
 * has been delivered by then. Faults: not gzip, a corrupt or truncated
 * member, a record length over NCAP_MAX_RECORD or past the end of the data,
 * a missing or undecodable header, a header whose type is not the one the
 * file's name says. */
#ifndef NCAP_READER_H
#define NCAP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "netcap.pb-c.h"
#include "ncap/schema.h"

#define NCAP_MAX_RECORD (16u << 20)
/* Largest gzip member (uncompressed) the reader accepts; NETCAP writes
 * members of 1 MiB. Bounds the reader's memory. */
#define NCAP_MAX_MEMBER (64u << 20)

struct ncap_reader;

/* Opens path ("-" is standard input) and reads its header. On failure
 * returns NULL and writes "PATH: offset N: reason" to err. */
struct ncap_reader *ncap_reader_open(const char *path, char *err, size_t errlen);

const Types__Header *ncap_reader_header(const struct ncap_reader *r);
/* The header's record type (never NULL for an open reader). */
const struct ncap_type *ncap_reader_type(const struct ncap_reader *r);

/* Next record: 1 with *rec and *len set (valid until the next call), 0 at a
 * clean end of file, -1 on a fault (see ncap_reader_error). */
int ncap_reader_next(struct ncap_reader *r, const uint8_t **rec, size_t *len);

/* "PATH: offset N: reason" after a fault, else "". */
const char *ncap_reader_error(const struct ncap_reader *r);
/* Byte offset in the file of the fault (the gzip member holding it). */
uint64_t ncap_reader_error_offset(const struct ncap_reader *r);
uint64_t ncap_reader_records(const struct ncap_reader *r);

/* Where the record last returned by ncap_reader_next() is, for messages
 * about it (one that cannot be decoded, or costs too much to):
 *   index          1 for the first record after the header
 *   file_offset    plain: the file offset of its length varint; gzip: that
 *                  of the gzip member holding its length varint, the
 *                  offset faults are reported at
 *   stream_offset  the offset of its length varint in the decompressed
 *                  stream (plain: the same as file_offset) */
struct ncap_record_pos {
	uint64_t index;
	uint64_t file_offset;
	uint64_t stream_offset;
	bool gzip;
};
void ncap_reader_record_pos(const struct ncap_reader *r, struct ncap_record_pos *pos);
/* The same as text, in the form of fault messages:
 * "PATH: offset N: record K" (plain), "PATH: offset N: record K at
 * uncompressed offset U" (gzip); a path too long for buf is cut from the
 * left ("...end/of/PATH"), as in fault messages. */
void ncap_reader_record_where(const struct ncap_reader *r, char *buf, size_t len);

void ncap_reader_close(struct ncap_reader *r);

#endif
