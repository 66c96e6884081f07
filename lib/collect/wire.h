/* wire.h: the datagrams a sensor sends its collector, byte by byte
 * (docs/collector.md, "Wire format"), sealed on one side and opened,
 * checked and taken apart on the other.
 *
 * A datagram (all integers little-endian):
 *   off len
 *    0   4  magic "NCSD"
 *    4   1  version, 1
 *    5   3  zero
 *    8  32  the sensor's Curve25519 public key
 *   40  24  nonce, random per datagram
 *   64  16  Poly1305 tag  } crypto_box_easy_afternm(plaintext, nonce,
 *   80   n  ciphertext    }   beforenm(collector public, sensor secret))
 * The plaintext:
 *    0   8  epoch: the sensor's start, Unix ns; a restarted sensor begins a
 *           larger epoch, and sequence numbers begin again at 1
 *    8   8  sequence number, 1, 2, ... per datagram within the epoch, over
 *           every record type of the sensor
 *   16   2  record type (proto/netcap.proto Types.Type)
 *   18   1  flags: 1 DEFLATE (the batch is raw deflate), 2 FRAGMENT
 *   19   1  sensor id length, 1..64
 *   20   1  device type length, 0..64
 *   21   1  zero
 *   22   2  fragment index (FRAGMENT: 0..count-1, else 0)
 *   24   2  fragment count (FRAGMENT: 2..COLLECT_MAX_FRAGMENTS, else 1)
 *   26   2  zero
 *   28   4  the batch's length after inflating, 1..COLLECT_BATCH_MAX
 *   32      sensor id, device type, then the batch (or, FRAGMENT, a piece
 *           of it: the pieces of one batch have consecutive sequence
 *           numbers, piece i the number first + i, and the same header)
 * A batch is records of the one type, each a varint length and the
 * protobuf message, as in a record file (docs/file-format.md). A batch
 * that needs fragments holds exactly one record (one too large for a
 * datagram on its own).
 *
 * Nothing outside the box is trusted: the public key only chooses the
 * shared key to try; magic, version and key are read before and are
 * checked by the box opening or not at all. */
#ifndef COLLECT_WIRE_H
#define COLLECT_WIRE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/keys.h"

#define COLLECT_MAGIC "NCSD"
#define COLLECT_VERSION 1
#define COLLECT_OUTER_BYTES 64  /* magic .. nonce */
#define COLLECT_TAG_BYTES 16
#define COLLECT_OVERHEAD (COLLECT_OUTER_BYTES + COLLECT_TAG_BYTES)
#define COLLECT_PLAIN_HEADER 32
#define COLLECT_ID_MAX 64
#define COLLECT_SHARED_BYTES 32 /* crypto_box_BEFORENMBYTES */

/* Datagram sizes: the default fits a 1500-byte MTU under IPv4 and IPv6
 * without fragmentation (1500 - 40 IPv6 - 8 UDP); at most what one UDP
 * datagram can carry. The smallest leaves room for a header, the longest
 * ids and some records. */
#define COLLECT_DGRAM_DEFAULT 1452
#define COLLECT_DGRAM_MIN 512
#define COLLECT_DGRAM_MAX 65507
/* A batch inflates to at most this (bounds the collector's work and
 * memory per datagram and per reassembly); a longer record is not sent. */
#define COLLECT_BATCH_MAX (1u << 20)
#define COLLECT_MAX_FRAGMENTS 1024

enum collect_flags {
	COLLECT_FLAG_DEFLATE = 1,
	COLLECT_FLAG_FRAGMENT = 2,
};

/* Why a datagram was dropped: each counted by the collector. */
enum collect_verdict {
	COLLECT_ACCEPT = 0,
	COLLECT_DROP_SHORT,       /* shorter than the outer header and tag */
	COLLECT_DROP_OVERSIZED,   /* longer than the collector's datagram bound */
	COLLECT_DROP_MAGIC,       /* not "NCSD" */
	COLLECT_DROP_VERSION,     /* another version */
	COLLECT_DROP_UNKNOWN_KEY, /* a public key not in the allow file */
	COLLECT_DROP_AUTH,        /* the box does not open: forged, corrupted */
	COLLECT_DROP_HEADER,      /* the plaintext header is malformed */
	COLLECT_DROP_SENSOR_ID,   /* an id that is not a safe name, or another
				   * than this key's, or taken by another key */
	COLLECT_DROP_REPLAY,      /* a sequence number already accepted */
	COLLECT_DROP_TOO_OLD,     /* below the replay window, or an older epoch */
	COLLECT_DROP_FRAGMENT,    /* a piece that disagrees with its batch's
				   * others, or whose batch was given up */
	COLLECT_DROP_BATCH,       /* does not inflate to its length, or its
				   * records are not whole, or a record is
				   * malformed for its type */
	COLLECT_DROP_TYPE,        /* a record type this build does not know */
	COLLECT_VERDICTS
};

/* "short", "oversized", ...: the names in summaries and the stats file. */
const char *collect_verdict_name(enum collect_verdict v);

/* ---- sealing (the sensor) -------------------------------------------------- */

struct collect_sealer;

/* One sealer per sending thread: the shared key computed once
 * (crypto_box_beforenm), a deflate compressor and scratch buffers.
 * dgram_max: COLLECT_DGRAM_MIN..COLLECT_DGRAM_MAX. id: 1..64 characters
 * of [A-Za-z0-9._-] not starting with '.'; device 0..64 printable ASCII.
 * Returns NULL with err. */
struct collect_sealer *collect_sealer_new(const struct collect_keypair *sensor,
					  const uint8_t collector_pk[COLLECT_KEY_BYTES],
					  const char *id, const char *device, uint64_t epoch,
					  size_t dgram_max, char *err, size_t errlen);
void collect_sealer_free(struct collect_sealer *s);

/* Called for each datagram made; data is valid until it returns. */
typedef void (*collect_emit_fn)(void *arg, const uint8_t *dgram, size_t len, uint32_t records);

struct collect_seal_stats {
	uint64_t datagrams, records;
	uint64_t records_too_large; /* over COLLECT_BATCH_MAX: not sent */
	uint64_t malformed;         /* framing broken: the rest of the input */
};

/* Packs the framed records[0..len) of one type into as few datagrams as
 * fit dgram_max, each compressed when that makes it smaller, a record too
 * large for one datagram into fragments; numbers them from *seq (shared
 * by every sealer of the sensor: one atomic add per datagram) and hands
 * each to emit. */
void collect_seal_records(struct collect_sealer *s, int type, const uint8_t *records, size_t len,
			  _Atomic uint64_t *seq, collect_emit_fn emit, void *arg,
			  struct collect_seal_stats *st);

/* ---- opening (the collector) ------------------------------------------------ */

/* The outer header: checks length bounds, magic and version; *pk points
 * at the sensor key inside d. */
enum collect_verdict collect_peek(const uint8_t *d, size_t len, size_t dgram_max,
				  const uint8_t **pk);

struct collect_opened {
	uint64_t epoch, seq;
	int type;
	uint8_t flags;
	const char *id, *device; /* inside the plaintext, not NUL-terminated */
	size_t id_len, device_len;
	uint16_t frag_index, frag_count;
	uint32_t inflated_len;
	const uint8_t *payload; /* inside the plaintext */
	size_t payload_len;
};

/* Opens d (already peeked) with the shared key of its sensor into
 * plain[0..cap) (cap >= len) and checks the plaintext header: lengths
 * within bounds and within the datagram, zero fields zero, fragment
 * fields consistent, the id a safe name (collect_id_safe). */
enum collect_verdict collect_open(const uint8_t *d, size_t len,
				  const uint8_t shared[COLLECT_SHARED_BYTES], uint8_t *plain,
				  size_t cap, struct collect_opened *o);

/* The shared key for a sensor's public key and the collector's pair. */
int collect_shared_key(uint8_t shared[COLLECT_SHARED_BYTES],
		       const uint8_t sensor_pk[COLLECT_KEY_BYTES],
		       const struct collect_keypair *collector);

struct libdeflate_decompressor;

/* A whole batch (a datagram's payload, or a reassembled one) to its
 * records: inflated (DEFLATE) or copied into out[0..cap) (cap >=
 * inflated_len), exactly inflated_len bytes, then checked: whole framed
 * records, each well-formed for type within the limits of
 * ncap_record_check. *records gets their count. */
enum collect_verdict collect_unpack_batch(struct libdeflate_decompressor *dec, int type,
					  uint8_t flags, const uint8_t *payload, size_t len,
					  uint32_t inflated_len, uint8_t *out, size_t cap,
					  uint32_t *records);

/* Checks framed records of type (not the Header) in data[0..len): whole
 * records, each well-formed for the type within ncap_record_check's
 * limits (as a batch from a sensor, or a message from NATS). Returns 0
 * with *records their count, or -1. */
int collect_check_records(int type, const uint8_t *data, size_t len, uint32_t *records);

/* Whether id (len bytes) may name a directory: 1..64 of [A-Za-z0-9._-],
 * not starting with '.'. */
bool collect_id_safe(const char *id, size_t len);

/* ---- replay protection ------------------------------------------------------ */

/* A sliding window of the last COLLECT_WINDOW sequence numbers of the
 * current epoch, as IPsec's (RFC 4303, 3.4.3): a number above the top
 * moves the window; one inside it is accepted once; one below it is too
 * old. A larger epoch starts again; a smaller one is too old. The numbers
 * that leave the window unseen are counted as lost in transit. */
#define COLLECT_WINDOW 4096

struct collect_replay {
	uint64_t epoch;
	uint64_t top;   /* the highest accepted; 0 before any */
	uint64_t bits[COLLECT_WINDOW / 64];
	uint64_t lost;  /* numbers that left the window unseen, all epochs */
	uint64_t epochs; /* epochs seen: restarts of the sensor + 1 */
};

/* Accepts (and records) seq of epoch, or says why not. */
enum collect_verdict collect_replay_check(struct collect_replay *r, uint64_t epoch, uint64_t seq);

/* Numbers below the top, inside the window, not seen (yet): late or lost. */
uint64_t collect_replay_missing(const struct collect_replay *r);

#endif
