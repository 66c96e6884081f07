/* table.c: see table.h. Linear probing over an index of slots (twice the
 * capacity, so probes stay short) with a bounded probe distance,
 * backward-shift deletion, entries from a free list.
 *
 * The bound's invariant: every entry lies at distance d < probe_limit from
 * its home slot (hash & index_mask), and every slot from its home to it is
 * taken (linear probing's own invariant). Inserting into the first free
 * slot within the limit keeps both. Replacing, when the whole window from
 * home is taken, the entry of one of those slots keeps both as well: the
 * new entry is within the limit with every slot before it taken, and no
 * slot changes from taken to free, so no other entry's run is cut.
 * Backward-shift deletion only moves an entry into a hole between its home
 * and itself: closer to home, never past it. So lookups may stop after
 * probe_limit slots. (Tests: test_flows.c, probe_bound_*.) */
#include <stdlib.h>
#include <string.h>

#include "flow/table.h"

struct flow_table {
	uint32_t capacity, count;
	uint32_t index_mask;
	uint32_t *index;        /* entry number + 1; 0: empty */
	uint8_t *entries;
	size_t entry_size;
	uint32_t free_head;     /* entry number + 1: recycled entries */
	uint32_t fresh;         /* entries never used start here: untouched
				 * memory stays unmapped until flows need it */
	uint32_t wheel[FLOW_WHEEL_SLOTS]; /* list heads, entry number + 1 */
	uint32_t wheel_tail[FLOW_WHEEL_SLOTS]; /* lists are in linking order:
						* the oldest first, for eviction */
	int64_t tick;
	int64_t wheel_time;     /* start of the slot due next; 0: not started */
	int64_t empty_before;   /* the slots before this time are empty: where
				 * the search for an eviction victim starts */
	uint64_t evictions;
	uint64_t probe_evictions;
	uint32_t probe_limit;   /* FLOW_PROBE_LIMIT, or the slots if fewer */
	uint32_t max_probe;     /* 0 until a lookup reads 2 slots */
	uint64_t lookups, extra_probes; /* slots read beyond the home slot */
	flow_expire_fn expire;
	void *ctx;
};

static inline struct flow_node *node_at(const struct flow_table *t, uint32_t i)
{
	return (struct flow_node *)(t->entries + (size_t)i * t->entry_size);
}

static inline uint32_t node_number(const struct flow_table *t, const struct flow_node *n)
{
	return (uint32_t)(((const uint8_t *)n - t->entries) / t->entry_size);
}

struct flow_table *flow_table_create(uint32_t capacity, size_t entry_size, int64_t tick_ns,
				     flow_expire_fn expire, void *ctx)
{
	struct flow_table *t = flow_alloc_lines(sizeof *t);
	if (!t)
		return NULL;
	uint32_t slots = 2;
	while (slots < 2 * capacity)
		slots <<= 1;
	t->capacity = capacity;
	t->index_mask = slots - 1;
	t->probe_limit = slots < FLOW_PROBE_LIMIT ? slots : FLOW_PROBE_LIMIT;
	t->entry_size = (entry_size + 7) & ~(size_t)7;
	t->index = calloc(slots, sizeof *t->index);
	t->entries = calloc(capacity, t->entry_size);
	t->tick = tick_ns;
	t->expire = expire;
	t->ctx = ctx;
	if (!t->index || !t->entries) {
		flow_table_free(t);
		return NULL;
	}
	/* Map every page of the index now. A fresh calloc'd page is first read
	 * by a lookup (mapping the shared zero page), then written by the
	 * insert: a copy-on-write fault whose TLB flush interrupts every other
	 * CPU of the process. With two lcores that was 42% of the worker's
	 * time (docs/performance.md). The stores are volatile so the compiler
	 * cannot drop them as redundant after calloc. Entries need no such
	 * care: a fresh one is written before it is read. */
	volatile uint32_t *touch = t->index;
	for (size_t i = 0; i < slots; i += 4096 / sizeof *t->index)
		touch[i] = 0;
	return t;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	free(t->index);
	free(t->entries);
	free(t);
}

/* ---- wheel ---------------------------------------------------------- */

static void wheel_unlink(struct flow_table *t, struct flow_node *n)
{
	if (n->prev)
		node_at(t, n->prev - 1)->next = n->next;
	else
		t->wheel[n->slot] = n->next;
	if (n->next)
		node_at(t, n->next - 1)->prev = n->prev;
	else
		t->wheel_tail[n->slot] = n->prev;
	n->next = n->prev = 0;
}

static void wheel_link(struct flow_table *t, struct flow_node *n)
{
	/* Replay clamps packet times to [0, INT64_MAX / 2] (lcore.c); slot
	 * arithmetic below assumes no negative time all the same. */
	int64_t at = n->expire_at > 0 ? n->expire_at : 0;
	if (t->wheel_time == 0)
		t->wheel_time = at - at % t->tick; /* the wheel starts at the first entry */
	int64_t span = (int64_t)FLOW_WHEEL_SLOTS * t->tick;
	if (at < t->wheel_time)
		at = t->wheel_time;
	if (at >= t->wheel_time + span)
		at = t->wheel_time + span - t->tick; /* rescheduled when reached */
	int64_t slot_time = at - at % t->tick;
	if (slot_time < t->empty_before)
		t->empty_before = slot_time;
	n->scheduled_at = slot_time;
	n->slot = (uint16_t)((slot_time / t->tick) % FLOW_WHEEL_SLOTS);
	uint32_t num = node_number(t, n) + 1;
	n->next = 0;
	n->prev = t->wheel_tail[n->slot];
	if (n->prev)
		node_at(t, n->prev - 1)->next = num;
	else
		t->wheel[n->slot] = num;
	t->wheel_tail[n->slot] = num;
}

/* ---- index ---------------------------------------------------------- */

void flow_table_prefetch(const struct flow_table *t, uint32_t hash)
{
	__builtin_prefetch(&t->index[hash & t->index_mask]);
}

/* Most lookups read their home slot alone: only longer ones touch more
 * than the one counter. */
static inline void count_probe(struct flow_table *t, uint32_t slots)
{
	t->lookups++;
	if (slots > 1) {
		t->extra_probes += slots - 1;
		if (slots > t->max_probe)
			t->max_probe = slots;
	}
}

/* The index slot holding key, or NULL. Reads at most probe_limit slots:
 * no entry lies farther from home (see the top of this file). */
static uint32_t *index_find(struct flow_table *t, const void *key, uint8_t key_len, uint32_t hash)
{
	uint32_t i = hash & t->index_mask, d = 0, *found = NULL;
	for (; d < t->probe_limit; d++, i = (i + 1) & t->index_mask) {
		uint32_t e = t->index[i];
		if (!e)
			break;
		struct flow_node *n = node_at(t, e - 1);
		if (n->hash == hash && n->key_len == key_len && memcmp(n->key, key, key_len) == 0) {
			found = &t->index[i];
			break;
		}
	}
	count_probe(t, d < t->probe_limit ? d + 1 : d);
	return found;
}

static void index_remove(struct flow_table *t, struct flow_node *n)
{
	/* Its own slot, by entry number: no key comparison, within the
	 * limit from home. */
	uint32_t num = node_number(t, n) + 1, hole = n->hash & t->index_mask;
	while (t->index[hole] != num)
		hole = (hole + 1) & t->index_mask;
	/* Backward shift: pull later members of the probe run into the hole. */
	for (uint32_t i = (hole + 1) & t->index_mask; t->index[i]; i = (i + 1) & t->index_mask) {
		uint32_t home = node_at(t, t->index[i] - 1)->hash & t->index_mask;
		bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
		if (movable) {
			t->index[hole] = t->index[i];
			hole = i;
		}
	}
	t->index[hole] = 0;
}

struct flow_node *flow_table_find(struct flow_table *t, const void *key, uint8_t key_len, uint32_t hash)
{
	uint32_t *slot = index_find(t, key, key_len, hash);
	return slot ? node_at(t, *slot - 1) : NULL;
}

/* The entry due soonest (to the wheel's tick): the oldest one of the
 * earliest slot that is really due in that slot. An entry stays in the
 * slot it was scheduled for when packets move its expiry later, so a busy
 * flow can sit in an early slot: such entries are rescheduled on the way,
 * as flow_table_advance() would, instead of being taken. */
static struct flow_node *soonest(struct flow_table *t)
{
	struct flow_node *any = NULL;
	int64_t last = t->wheel_time + (int64_t)(FLOW_WHEEL_SLOTS - 1) * t->tick;
	int64_t slot_time = t->empty_before > t->wheel_time ? t->empty_before : t->wheel_time;
	unsigned slot = (unsigned)((slot_time / t->tick) % FLOW_WHEEL_SLOTS);
	for (; slot_time <= last; slot_time += t->tick, slot = (slot + 1) % FLOW_WHEEL_SLOTS) {
		uint32_t e = t->wheel[slot];
		while (e) {
			struct flow_node *n = node_at(t, e - 1);
			e = n->next;
			if (n->expire_at < slot_time + t->tick) {
				t->empty_before = slot_time;
				return n;
			}
			if (!any || n->expire_at < any->expire_at)
				any = n;
			if (slot_time < last) { /* to a later slot; the last one
						 * holds what is beyond the span */
				wheel_unlink(t, n);
				wheel_link(t, n);
			}
		}
	}
	t->empty_before = last;
	return any; /* all beyond the wheel's span: the earliest of them */
}

/* Expires n (callback, wheel, free list) but leaves its index slot to the
 * caller, who puts another entry there at once. */
static void retire(struct flow_table *t, struct flow_node *n, enum flow_end why)
{
	t->expire(t->ctx, n, why);
	wheel_unlink(t, n);
	n->next = t->free_head;
	t->free_head = node_number(t, n) + 1;
	t->count--;
}

/* The index slot for a new key of home slot `home`: the first free one
 * within the limit, else the slot of the window's entry due soonest (the
 * first such in probe order), written early. */
static uint32_t insert_slot(struct flow_table *t, uint32_t home)
{
	uint32_t i = home, d = 0;
	for (; d < t->probe_limit; d++, i = (i + 1) & t->index_mask)
		if (!t->index[i]) {
			count_probe(t, d + 1);
			return i;
		}
	count_probe(t, d);
	uint32_t slot = home;
	struct flow_node *victim = NULL;
	i = home;
	for (d = 0; d < t->probe_limit; d++, i = (i + 1) & t->index_mask) {
		struct flow_node *n = node_at(t, t->index[i] - 1);
		if (!victim || n->expire_at < victim->expire_at)
			victim = n, slot = i;
	}
	t->probe_evictions++;
	retire(t, victim, FLOW_END_PROBE_LIMIT);
	return slot;
}

struct flow_node *flow_table_insert(struct flow_table *t, const void *key, uint8_t key_len,
				    uint32_t hash, int64_t expire_at)
{
	if (!t->free_head && t->fresh == t->capacity) {
		struct flow_node *victim = soonest(t);
		if (!victim)
			return NULL;
		t->evictions++;
		flow_table_expire(t, victim, FLOW_END_EVICTED);
	}
	uint32_t slot = insert_slot(t, hash & t->index_mask);
	uint32_t e;
	struct flow_node *n;
	if (t->free_head) {
		e = t->free_head;
		n = node_at(t, e - 1);
		t->free_head = n->next;
	} else {
		e = ++t->fresh;
		n = node_at(t, e - 1);
	}
	memset(n, 0, t->entry_size);
	n->hash = hash;
	n->key_len = key_len;
	memcpy(n->key, key, key_len);
	n->expire_at = expire_at;
	t->index[slot] = e;
	wheel_link(t, n);
	t->count++;
	return n;
}

void flow_table_touch(struct flow_table *t, struct flow_node *n, int64_t expire_at)
{
	n->expire_at = expire_at;
	if (expire_at < n->scheduled_at) {
		wheel_unlink(t, n);
		wheel_link(t, n);
	}
}

void flow_table_expire(struct flow_table *t, struct flow_node *n, enum flow_end why)
{
	retire(t, n, why);
	index_remove(t, n);
}

static void run_slot(struct flow_table *t, unsigned slot, int64_t now)
{
	/* Up to the entry that was last when we started: one rescheduled
	 * into this very slot (its time is now's, after a long jump) is
	 * appended behind it and must not be visited again. */
	uint32_t e = t->wheel[slot], last = t->wheel_tail[slot];
	while (e) {
		struct flow_node *n = node_at(t, e - 1);
		bool was_last = e == last;
		e = n->next;
		if (n->expire_at <= now) {
			flow_table_expire(t, n, FLOW_END_DUE);
		} else if (n->scheduled_at <= now) {
			wheel_unlink(t, n);
			wheel_link(t, n);
		}
		if (was_last)
			break;
	}
}

void flow_table_advance(struct flow_table *t, int64_t now)
{
	if (t->wheel_time == 0 && t->count == 0) {
		/* Not started: start at now, so that entries due before the
		 * first one's expiry (a TCP close) are not held back to it. */
		t->wheel_time = now - now % t->tick;
		return;
	}
	if (t->wheel_time == 0 || now < t->wheel_time + t->tick)
		return;
	int64_t span = (int64_t)FLOW_WHEEL_SLOTS * t->tick;
	if (now - t->wheel_time >= span) {
		/* A long jump (a gap in a capture): one full turn, then on. */
		t->wheel_time = now - now % t->tick;
		for (unsigned s = 0; s < FLOW_WHEEL_SLOTS; s++)
			run_slot(t, s, now);
		return;
	}
	while (t->wheel_time + t->tick <= now) {
		unsigned slot = (unsigned)((t->wheel_time / t->tick) % FLOW_WHEEL_SLOTS);
		t->wheel_time += t->tick;
		run_slot(t, slot, now);
	}
}

void flow_table_flush(struct flow_table *t)
{
	for (unsigned s = 0; s < FLOW_WHEEL_SLOTS; s++)
		while (t->wheel[s])
			flow_table_expire(t, node_at(t, t->wheel[s] - 1), FLOW_END_SHUTDOWN);
}

uint32_t flow_table_count(const struct flow_table *t) { return t->count; }

void flow_table_stats(const struct flow_table *t, struct flow_table_stats *out)
{
	*out = (struct flow_table_stats){
		.evictions = t->evictions,
		.probe_evictions = t->probe_evictions,
		.lookups = t->lookups,
		.probes = t->lookups + t->extra_probes,
		.max_probe = t->max_probe ? t->max_probe : t->lookups ? 1 : 0,
		.probe_limit = t->probe_limit,
	};
}

size_t flow_table_bytes_per_entry(const struct flow_table *t)
{
	return t->entry_size + 2 * sizeof(uint32_t); /* entry + its two index slots */
}
