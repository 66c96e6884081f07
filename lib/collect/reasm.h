/* reasm.h: reassembly of fragmented batches at the collector, per sensor.
 *
 * A record too large for one datagram comes as 2..COLLECT_MAX_FRAGMENTS
 * pieces with consecutive sequence numbers (wire.h): piece i has the
 * number first + i, and every piece repeats the batch's header (type,
 * flags, count, inflated length). The pieces are authenticated and have
 * passed the replay window before they come here, so a piece is never
 * seen twice unless a caller skips that check; still, nothing here trusts
 * them to be consistent.
 *
 * Bounded: at most COLLECT_REASM_SLOTS batches pending per sensor, each
 * at most COLLECT_BATCH_MAX bytes of payload (the compressed batch is
 * never longer than the record it holds), so one sensor costs at most
 * COLLECT_REASM_SLOTS x COLLECT_BATCH_MAX bytes, allocated the first time
 * a slot is used and kept. A batch is given up (its pieces' count added to
 * gave_up) when
 *   - one of its pieces disagrees with the others (type, flags, count,
 *     inflated length, piece length), or its pieces would pass
 *     COLLECT_BATCH_MAX;
 *   - its first sequence number falls below the replay window
 *     (collect_reasm_expire): its first piece can no longer come;
 *   - the sensor starts a new epoch (collect_reasm_expire);
 *   - all slots are busy and a new batch begins: the oldest goes.
 * A late piece of a batch given up is dropped (the last
 * COLLECT_REASM_SLOTS batches given up are remembered), so that it does
 * not open a slot that can never complete. */
#ifndef COLLECT_REASM_H
#define COLLECT_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/wire.h"

#define COLLECT_REASM_SLOTS 8

struct collect_reasm_slot {
	bool used;
	uint64_t epoch, first;
	int type;
	uint8_t flags;
	uint16_t count, got;
	uint32_t inflated_len;
	uint32_t piece_len;  /* length of every piece but the last; 0 unknown */
	uint32_t stored;     /* bytes in buf */
	uint64_t age;        /* when the slot was taken, for eviction */
	uint8_t *buf;        /* COLLECT_BATCH_MAX, pieces in arrival order */
	uint32_t *off;       /* COLLECT_MAX_FRAGMENTS: where piece i is in buf */
	uint32_t *len;       /* its length; 0: not yet here (pieces are non-empty) */
};

struct collect_reasm {
	struct collect_reasm_slot slot[COLLECT_REASM_SLOTS];
	struct { uint64_t epoch, first; } gone[COLLECT_REASM_SLOTS];
	unsigned gone_next;
	uint64_t clock;
	/* Counters. */
	uint64_t completed;  /* batches put together */
	uint64_t gave_up;    /* batches given up, for any reason above */
	uint64_t evicted;    /* of those: all slots busy */
};

enum collect_reasm_result {
	COLLECT_REASM_PENDING,  /* stored; the batch is not complete */
	COLLECT_REASM_COMPLETE, /* the batch is in out[0..*out_len) */
	COLLECT_REASM_DROP,     /* the piece is dropped (COLLECT_DROP_FRAGMENT) */
	COLLECT_REASM_NOMEM,    /* no memory for a slot: the piece is dropped */
};

/* Zeroed state is empty; free releases the buffers. */
void collect_reasm_init(struct collect_reasm *r);
void collect_reasm_free(struct collect_reasm *r);

/* Adds the piece o (opened, FRAGMENT set, its sequence number accepted by
 * the replay window whose bottom is now low). A piece of a batch with no
 * slot yet whose first number is below low is dropped: that first piece
 * can no longer pass the window. On COMPLETE the batch's payload (still compressed
 * when DEFLATE) is copied to out (cap >= COLLECT_BATCH_MAX) and its slot
 * freed. */
enum collect_reasm_result collect_reasm_add(struct collect_reasm *r,
					    const struct collect_opened *o, uint64_t low, uint8_t *out,
					    size_t cap, size_t *out_len);

/* Gives up every batch of an epoch other than epoch, and every batch whose
 * first number is below low (the bottom of the replay window). Returns
 * how many it gave up. */
unsigned collect_reasm_expire(struct collect_reasm *r, uint64_t epoch, uint64_t low);

/* Batches pending now. */
unsigned collect_reasm_pending(const struct collect_reasm *r);

#endif
