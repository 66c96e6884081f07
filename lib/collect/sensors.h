/* sensors.h: the collector's table of allowed sensors and the state it
 * keeps for each (docs/collector.md).
 *
 * Built once at start from the allow file: one entry per public key, with
 * the shared key precomputed (crypto_box_beforenm), sorted by public key so
 * that finding a datagram's sensor is a binary search: an unknown key costs
 * O(log n) comparisons and allocates nothing. The table itself is read-only
 * after start; what changes per sensor is under that sensor's mutex, except
 * the drop counters, which are atomic (a flood of forged datagrams naming a
 * sensor's key must not contend for its lock).
 *
 * Sensor ids: the first id a key uses sticks for the run; another id from
 * that key, or an id already bound to another key, is dropped
 * (COLLECT_DROP_SENSOR_ID). Binding takes a table-wide lock once per key
 * and compares with the ids bound so far: O(n) once per sensor. */
#ifndef COLLECT_SENSORS_H
#define COLLECT_SENSORS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/keys.h"
#include "collect/reasm.h"
#include "collect/wire.h"

struct collect_sensor {
	uint8_t pk[COLLECT_KEY_BYTES];
	uint8_t shared[COLLECT_SHARED_BYTES];
	char *name;   /* the allow file's comment for the key, or "" */
	size_t index; /* in the table */

	pthread_mutex_t lock;
	/* Written under lock and the table's id_lock, read under either. */
	bool bound;
	char id[COLLECT_ID_MAX + 1];
	/* Under lock. */
	char device[COLLECT_ID_MAX + 1]; /* of the last datagram accepted */
	struct collect_replay replay;
	struct collect_reasm reasm;
	uint64_t datagrams;   /* accepted (written, or a piece kept) */
	uint64_t bytes;       /* their datagram bytes */
	uint64_t batches;     /* batches handed to the sink */
	uint64_t records;     /* their records */
	uint64_t records_lost; /* of those, not stored (a full disk...) */
	uint64_t write_errors; /* failed writes or file openings */
	int64_t first_seen_ns, last_seen_ns; /* wall time; 0 never */
	/* Any thread, relaxed. */
	_Atomic uint64_t drops[COLLECT_VERDICTS];
};

struct collect_sensors {
	struct collect_sensor *s; /* sorted by pk */
	size_t n;
	pthread_mutex_t id_lock;
};

/* Builds the table: a shared key per allowed key with the collector's
 * pair. Returns 0, or -1 with err. */
int collect_sensors_init(struct collect_sensors *t, const struct collect_keypair *collector,
			 const struct collect_allow *allow, char *err, size_t errlen);
void collect_sensors_free(struct collect_sensors *t);

/* The entry of public key pk, or NULL: a binary search. */
struct collect_sensor *collect_sensors_find(const struct collect_sensors *t,
					    const uint8_t pk[COLLECT_KEY_BYTES]);

/* With s->lock held: binds id (id_len bytes, already collect_id_safe) to
 * s if s has none and no other sensor has it, or checks it is s's.
 * COLLECT_ACCEPT or COLLECT_DROP_SENSOR_ID. */
enum collect_verdict collect_sensor_bind(struct collect_sensors *t, struct collect_sensor *s,
					 const char *id, size_t id_len);

/* Sequence numbers lost in transit so far: those that left the replay
 * window unseen, and those inside it not (yet) seen. Under s->lock. */
uint64_t collect_sensor_gaps(const struct collect_sensor *s);

#endif
