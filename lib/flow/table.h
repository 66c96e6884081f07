/* table.h: a per-worker flow table: open addressing, preallocated entries,
 * a lazy timer wheel for expiry. No locks (one worker owns it), no malloc
 * after creation.
 *
 * Entries are fixed-size: a struct flow_node header then the family's
 * state. Each entry has an expiry time; the wheel keeps every entry in the
 * slot of the time it was last scheduled for. When a slot comes due, entries
 * whose expiry has moved later are rescheduled, the others expire. So a
 * packet only updates an entry's expiry time, unless it moves earlier (a
 * TCP teardown): then the entry moves slot at once.
 *
 * The index is linear probing with a bounded probe distance: every entry
 * lies fewer than FLOW_PROBE_LIMIT slots from its home slot, so a lookup
 * reads at most that many slots whatever the keys. An insert whose home
 * has no free slot within the limit writes the entry of that window due
 * soonest early (FLOW_END_PROBE_LIMIT, counted apart from table-full
 * evictions) and takes its slot. With the keyed hashes of flowhash.h this
 * practically never happens (docs/flows.md, "Hashing"); it bounds the cost
 * of a lookup should the hash ever be beaten. */
#ifndef FLOW_TABLE_H
#define FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Keys up to 48 bytes: an aggregate's key in the aggregator is a family
 * byte, the protocol, two IPv6 addresses and the window start (42). */
#define FLOW_KEY_MAX 48
#define FLOW_WHEEL_SLOTS 4096
/* Slots a lookup reads at most (fewer in an index of fewer slots). 64: at
 * the index's highest load (one half: the index has twice the capacity's
 * slots, rounded up to a power of two), random hashes put 2.1 entries 32
 * or more slots from home per fill of a 2^20-slot index and 0.035 entries
 * 48 or more (400 simulated fills), the tail shrinking ~60-fold per 16
 * slots: 64 or more about once per 1,500 fills. So the limit practically
 * never costs an innocent flow its record (32 would, twice per fill), while
 * a lookup never reads more than 64 entries (the unbounded index read
 * 20,000 under a hash flood). See docs/flows.md, "Hashing". */
#define FLOW_PROBE_LIMIT 64

/* Why an entry ends, for the expire callback. The table knows only an
 * entry's expiry time, not which of the family's timeouts set it (idle,
 * active cut, TCP close), so those are all FLOW_END_DUE. */
enum flow_end {
	FLOW_END_DUE,          /* its expiry time came */
	FLOW_END_EVICTED,      /* table full: the entry due soonest written early */
	FLOW_END_PROBE_LIMIT,  /* no free slot within FLOW_PROBE_LIMIT of the
				* new key's home: that window's entry due
				* soonest written early */
	FLOW_END_SHUTDOWN,     /* end of input */
};

struct flow_node {
	uint32_t hash;
	uint32_t next, prev;   /* wheel list, entry index + 1; 0: none */
	uint16_t slot;         /* wheel slot it is listed in */
	uint8_t key_len;
	int64_t expire_at;     /* ns */
	int64_t scheduled_at;  /* the time its slot stands for */
	uint8_t key[FLOW_KEY_MAX];
};

struct flow_table;
typedef void (*flow_expire_fn)(void *ctx, struct flow_node *node, enum flow_end why);

/* A zeroed block on cache lines of its own: a worker's tables and their
 * counters, written per packet, must not share a line with another
 * worker's (each worker's are allocated one after another at start). */
static inline void *flow_alloc_lines(size_t size)
{
	size = (size + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, size);
	if (p)
		memset(p, 0, size);
	return p;
}

/* capacity entries of entry_size bytes (header included); tick_ns is the
 * wheel's resolution. NULL when out of memory. */
struct flow_table *flow_table_create(uint32_t capacity, size_t entry_size, int64_t tick_ns,
				     flow_expire_fn expire, void *ctx);
void flow_table_free(struct flow_table *t);

/* The entry for key, or NULL. */
struct flow_node *flow_table_find(struct flow_table *t, const void *key, uint8_t key_len, uint32_t hash);
/* Starts loading the index slot where a lookup of hash begins, so that
 * several tables' cache misses overlap. */
void flow_table_prefetch(const struct flow_table *t, uint32_t hash);
/* A new zeroed entry for key (which must not be present); evicts the entry
 * due soonest when the table is full, and the entry due soonest among the
 * FLOW_PROBE_LIMIT slots from the key's home when they are all taken. */
struct flow_node *flow_table_insert(struct flow_table *t, const void *key, uint8_t key_len,
				    uint32_t hash, int64_t expire_at);
/* Sets a new expiry time (moving the entry if it is earlier). */
void flow_table_touch(struct flow_table *t, struct flow_node *n, int64_t expire_at);
/* Expires (with the callback) and removes one entry. */
void flow_table_expire(struct flow_table *t, struct flow_node *n, enum flow_end why);
/* Expires every entry due at or before now. */
void flow_table_advance(struct flow_table *t, int64_t now);
/* Expires every entry (end of input). */
void flow_table_flush(struct flow_table *t);

uint32_t flow_table_count(const struct flow_table *t);

/* What the index did, for the summary and for tests that assert probe
 * bounds by counting instead of timing. */
struct flow_table_stats {
	uint64_t evictions;         /* table full */
	uint64_t probe_evictions;   /* probe window full (FLOW_END_PROBE_LIMIT) */
	uint64_t lookups;           /* finds and inserts */
	uint64_t probes;            /* index slots they read */
	uint32_t max_probe;         /* the most slots one of them read */
	uint32_t probe_limit;       /* this index's limit */
};
void flow_table_stats(const struct flow_table *t, struct flow_table_stats *out);
size_t flow_table_bytes_per_entry(const struct flow_table *t);

#endif
