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

void ncap_reader_close(struct ncap_reader *r);

#endif
