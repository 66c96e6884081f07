/* writer.h: writes a record file, <Type>.ncap.gz or plain <Type>.ncap.
 *
 * A file is a Header record followed by records of one type, each preceded
 * by its varint length (docs/file-format.md). Gzip files are a series of
 * independent gzip members, each holding whole records and at most
 * member_cap bytes uncompressed (a single larger record gets a member of its
 * own), so a file cut short by a crash loses at most the member being
 * written, and members can be compressed on any core. A writer is owned by
 * one thread; it keeps one libdeflate compressor and one output buffer.
 * Several writers, on several threads, may fill one file
 * (ncap_writer_open_shared): each compresses its own members, and only
 * appending a finished member takes the file's lock. */
#ifndef NCAP_WRITER_H
#define NCAP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NCAP_DEFAULT_MEMBER_CAP (1u << 20)
#define NCAP_DEFAULT_LEVEL 1
#define NCAP_LEVEL_STORE (-1)
#define NCAP_VERSION "0.1.0"

struct ncap_writer_opts {
	int level;               /* libdeflate level 1..12; 0: the default (1);
				  * NCAP_LEVEL_STORE: deflate without compressing */
	size_t member_cap;       /* 0: NCAP_DEFAULT_MEMBER_CAP */
	const char *input_source; /* Header.InputSource: pcap path or interface */
	bool contains_payloads;  /* Header.ContainsPayloads */
	int64_t created_ns;      /* Header.Created; 0: now */
	bool plain;              /* force uncompressed (else: by ".gz" suffix) */
};

struct ncap_writer;

/* Creates path (truncating it) and writes the header. On failure returns
 * NULL with a message naming the file in err. */
struct ncap_writer *ncap_writer_open(const char *path, int type,
				     const struct ncap_writer_opts *opts,
				     char *err, size_t errlen);

/* Another writer for first's file, for another thread: its own member
 * buffer and compressor, the same file, options and counters apart. The
 * file is closed by the last of its writers to close. NULL (err set) when
 * out of memory. */
struct ncap_writer *ncap_writer_open_shared(struct ncap_writer *first, char *err, size_t errlen);

/* Writes len bytes of whole delimited records. Returns 0, or -1 when a
 * member could not be written (the reason in ncap_writer_error(); its
 * records counted in ncap_writer_lost_records(); the file cut back to its
 * last whole member). Later calls try again: a failure is not final unless
 * the file could not be cut back. */
int ncap_writer_write(struct ncap_writer *w, const uint8_t *records, size_t len);

/* Compresses and writes whatever records are pending, so that the file on
 * disk holds every record written so far (live capture calls this now and
 * then). Returns 0 or -1. */
int ncap_writer_flush(struct ncap_writer *w);

/* Writes what is pending and closes the writer, and the file with the last
 * of its writers; every record not counted as lost is readable afterwards. Returns 0, or -1 if any record was lost,
 * with the last reason in err (may be NULL). Frees w in both cases. */
int ncap_writer_close(struct ncap_writer *w, char *err, size_t errlen);

const char *ncap_writer_error(const struct ncap_writer *w);
uint64_t ncap_writer_bytes_in(const struct ncap_writer *w);  /* uncompressed */
uint64_t ncap_writer_bytes_out(const struct ncap_writer *w); /* on disk, by this writer */
/* The file's size on disk (whole members), by all of its writers: any
 * thread may read it, without the file's lock (--rotate-size). */
uint64_t ncap_writer_file_size(const struct ncap_writer *w);
uint64_t ncap_writer_records(const struct ncap_writer *w);   /* handed to the writer */
uint64_t ncap_writer_lost_records(const struct ncap_writer *w); /* of those, not on disk */
uint64_t ncap_writer_failed_writes(const struct ncap_writer *w);
/* True while the last member could not be written (or for good). */
bool ncap_writer_failing(const struct ncap_writer *w);

#endif
