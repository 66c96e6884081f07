/* collector.h: what netcap-collect does with one datagram, and the state
 * it keeps doing it (docs/collector.md).
 *
 * collect_handle() takes one datagram from any receive thread through:
 *   collect_peek (length, magic, version)   -> short, oversized, bad_magic,
 *                                              bad_version
 *   the sensor table (binary search)        -> unknown_key
 *   collect_open (box, plaintext header)    -> auth_failed, bad_header,
 *                                              bad_sensor_id, unknown_type
 *   under the sensor's mutex:
 *     the sensor id binding                 -> bad_sensor_id
 *     the replay window                     -> replay, too_old
 *     fragment reassembly                   -> bad_fragment
 *     collect_unpack_batch                  -> bad_batch, unknown_type
 *     the sink (record files, or a test's)
 * Nothing reaches the sink before the replay window has accepted the
 * datagram; a batch that fails to unpack after that is dropped as
 * bad_batch and its sequence number stays used (the sender is
 * authenticated: it is its own fault). Every drop is counted by cause, in
 * the worker (all datagrams) and, once the key is known, in the sensor.
 *
 * Memory: a worker (one per receive thread) owns its buffers (plaintext,
 * reassembled batch, unpacked batch: 2 x COLLECT_BATCH_MAX + max_datagram)
 * and a decompressor; nothing is allocated per datagram, except a sensor's
 * reassembly slots the first time each is used (reasm.h). */
#ifndef COLLECT_COLLECTOR_H
#define COLLECT_COLLECTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collect/keys.h"
#include "collect/sensors.h"
#include "collect/wire.h"

/* Where accepted batches go. batch() is called with the sensor's lock
 * held, records[0..len) being n whole records of type, each checked
 * (collect_unpack_batch); it counts what it could not store in
 * s->records_lost and s->write_errors itself. device is the datagram's
 * device type (NUL-terminated). */
struct collect_sink {
	/* epoch and seq name the batch (seq: its first datagram's number):
	 * the same batch received twice has the same names (NATS uses them
	 * to drop what two collectors both received). */
	void (*batch)(void *arg, struct collect_sensor *s, const char *device, int type,
		      uint64_t epoch, uint64_t seq, const uint8_t *records, size_t len,
		      uint32_t n);
	void *arg;
};

struct collector {
	struct collect_sensors sensors;
	size_t max_datagram; /* COLLECT_OVERHEAD + ... .. COLLECT_DGRAM_MAX */
	struct collect_sink sink;
	int64_t started_ns;  /* wall time */
};

/* The table from the collector's key pair and the allow list; sink may
 * be changed before the first datagram. Returns 0, or -1 with err. */
int collector_init(struct collector *c, const struct collect_keypair *kp,
		   const struct collect_allow *allow, size_t max_datagram,
		   const struct collect_sink *sink, char *err, size_t errlen);
void collector_free(struct collector *c);

/* Per receive thread. Counters are written by the owner only and read by
 * anyone (relaxed atomics). */
struct collect_worker {
	struct collector *c;
	uint8_t *plain;     /* max_datagram */
	uint8_t *assembled; /* COLLECT_BATCH_MAX: a reassembled payload */
	uint8_t *records;   /* COLLECT_BATCH_MAX: the unpacked batch */
	struct libdeflate_decompressor *dec;
	_Atomic uint64_t datagrams;  /* handed to collect_handle */
	_Atomic uint64_t accepted;
	_Atomic uint64_t drops[COLLECT_VERDICTS];
	_Atomic uint64_t receive_errors; /* counted by the receive loop */
};

/* NULL when out of memory. */
struct collect_worker *collect_worker_new(struct collector *c);
void collect_worker_free(struct collect_worker *w);

/* One datagram d[0..len) (len may exceed max_datagram: it is then
 * dropped as oversized), received at wall time now_ns. Returns the
 * verdict (COLLECT_ACCEPT also for a piece kept for reassembly). */
enum collect_verdict collect_handle(struct collect_worker *w, const uint8_t *d, size_t len,
				    int64_t now_ns);

/* ---- counters ------------------------------------------------------------------ */

/* The sum over workers. */
struct collect_totals {
	uint64_t datagrams, accepted, receive_errors;
	uint64_t drops[COLLECT_VERDICTS];
};
void collect_totals(struct collect_worker *const *w, size_t n, struct collect_totals *t);

/* A copy of one sensor's counters, taken under its lock. */
struct collect_sensor_view {
	bool seen;
	char key[2 * COLLECT_KEY_BYTES + 1];
	const char *name;
	char id[COLLECT_ID_MAX + 1], device[COLLECT_ID_MAX + 1];
	uint64_t datagrams, bytes, batches, records, records_lost, write_errors;
	uint64_t gaps, epochs;
	uint64_t frag_completed, frag_gave_up, frag_pending;
	int64_t first_seen_ns, last_seen_ns;
	uint64_t drops[COLLECT_VERDICTS], drops_total;
};
void collect_sensor_view(struct collect_sensor *s, struct collect_sensor_view *v);

/* The summary: one line of totals and one per sensor seen (or with drops),
 * to f. */
void collect_summary(struct collector *c, struct collect_worker *const *w, size_t n, FILE *f,
		     const char *label);

/* The counters as JSON (docs/collector.md, "Stats file") written to
 * path + ".tmp" and renamed over path. Returns 0, or -1 with err. */
int collect_stats_write(struct collector *c, struct collect_worker *const *w, size_t n,
			const char *path, char *err, size_t errlen);

/* Wall time now, Unix ns. */
int64_t collect_now_ns(void);

#endif
