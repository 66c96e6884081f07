/* test_collect_reasm.c: fragment reassembly at the collector
 * (lib/collect/reasm.c): pieces in any order, a duplicate, a piece that
 * disagrees, the slot bound and eviction, giving up below the window and
 * at a new epoch, late pieces of a batch given up, the size bound. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "collect/reasm.h"

static struct collect_reasm reasm_r;
static uint8_t *reasm_out;
static uint8_t reasm_batch[4000];

static void reasm_setup(void)
{
	collect_reasm_init(&reasm_r);
	reasm_out = malloc(COLLECT_BATCH_MAX);
	for (size_t i = 0; i < sizeof reasm_batch; i++)
		reasm_batch[i] = (uint8_t)(i * 7 + 3);
}

static void reasm_teardown(void)
{
	collect_reasm_free(&reasm_r);
	free(reasm_out);
}

TestSuite(collect_reasm, .init = reasm_setup, .fini = reasm_teardown);

/* Piece i of a batch of len bytes cut into count pieces of piece bytes,
 * first sequence number first. */
static struct collect_opened reasm_piece(uint64_t epoch, uint64_t first, unsigned i,
					 unsigned count, size_t piece, size_t len)
{
	size_t off = i * piece;
	size_t n = len - off < piece ? len - off : piece;
	return (struct collect_opened){
		.epoch = epoch, .seq = first + i, .type = 37, .flags = COLLECT_FLAG_FRAGMENT,
		.frag_index = (uint16_t)i, .frag_count = (uint16_t)count,
		.inflated_len = (uint32_t)len, .payload = reasm_batch + off, .payload_len = n,
	};
}

static enum collect_reasm_result reasm_add(struct collect_opened o, size_t *got)
{
	return collect_reasm_add(&reasm_r, &o, 1, reasm_out, COLLECT_BATCH_MAX, got);
}

Test(collect_reasm, in_order_and_out_of_order)
{
	size_t got;
	/* 4 pieces of 1000 bytes, 3500 bytes: in order. */
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(reasm_add(reasm_piece(1, 10, i, 4, 1000, 3500), &got),
			     i < 3 ? COLLECT_REASM_PENDING : COLLECT_REASM_COMPLETE);
	cr_assert_eq(got, 3500);
	cr_assert_eq(memcmp(reasm_out, reasm_batch, 3500), 0);
	/* Another batch, last piece first, then 0, 2, 1. */
	unsigned order[] = {3, 0, 2, 1};
	for (unsigned k = 0; k < 4; k++)
		cr_assert_eq(reasm_add(reasm_piece(1, 20, order[k], 4, 1000, 3999), &got),
			     k < 3 ? COLLECT_REASM_PENDING : COLLECT_REASM_COMPLETE);
	cr_assert_eq(got, 3999);
	cr_assert_eq(memcmp(reasm_out, reasm_batch, 3999), 0);
	cr_assert_eq(reasm_r.completed, 2);
	cr_assert_eq(reasm_r.gave_up, 0);
	cr_assert_eq(collect_reasm_pending(&reasm_r), 0);
}

Test(collect_reasm, two_batches_interleaved)
{
	size_t got;
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 0, 2, 1000, 1500), &got), COLLECT_REASM_PENDING);
	cr_assert_eq(reasm_add(reasm_piece(1, 12, 1, 2, 700, 1400), &got), COLLECT_REASM_PENDING);
	cr_assert_eq(collect_reasm_pending(&reasm_r), 2);
	cr_assert_eq(reasm_add(reasm_piece(1, 12, 0, 2, 700, 1400), &got), COLLECT_REASM_COMPLETE);
	cr_assert_eq(got, 1400);
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 1, 2, 1000, 1500), &got), COLLECT_REASM_COMPLETE);
	cr_assert_eq(got, 1500);
	cr_assert_eq(memcmp(reasm_out, reasm_batch, 1500), 0);
}

Test(collect_reasm, duplicate_piece_is_dropped_batch_stays)
{
	size_t got;
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 0, 3, 1000, 2500), &got), COLLECT_REASM_PENDING);
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 0, 3, 1000, 2500), &got), COLLECT_REASM_DROP);
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 2, 3, 1000, 2500), &got), COLLECT_REASM_PENDING);
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 1, 3, 1000, 2500), &got), COLLECT_REASM_COMPLETE);
	cr_assert_eq(got, 2500);
	cr_assert_eq(memcmp(reasm_out, reasm_batch, 2500), 0);
}

Test(collect_reasm, disagreeing_piece_gives_up_the_batch)
{
	size_t got;
	struct collect_opened o;
	/* Each way of disagreeing: type, flags, count, length, piece size, an
	 * index past the batch's count. */
	for (int how = 0; how < 7; how++) {
		uint64_t first = 100 + (uint64_t)how * 10;
		cr_assert_eq(reasm_add(reasm_piece(1, first, 0, 3, 1000, 2500), &got),
			     COLLECT_REASM_PENDING);
		o = reasm_piece(1, first, 1, 3, 1000, 2500);
		switch (how) {
		case 0: o.type = 38; break;
		case 1: o.flags |= COLLECT_FLAG_DEFLATE; break;
		case 2: o.frag_count = 4; break;
		case 3: o.inflated_len = 2501; break;
		case 4: o.payload_len = 999; break; /* a non-last piece shorter */
		case 5: o = reasm_piece(1, first, 2, 3, 1000, 2500); o.payload_len = 1001; break;
		case 6: o = reasm_piece(1, first, 3, 4, 1000, 3500); break; /* past the count */
		}
		cr_assert_eq(reasm_add(o, &got), COLLECT_REASM_DROP, "how %d", how);
		cr_assert_eq(collect_reasm_pending(&reasm_r), 0, "how %d", how);
		/* Its late pieces are dropped, not a new slot. */
		cr_assert_eq(reasm_add(reasm_piece(1, first, 2, 3, 1000, 2500), &got),
			     COLLECT_REASM_DROP, "how %d", how);
		cr_assert_eq(collect_reasm_pending(&reasm_r), 0);
	}
	cr_assert_eq(reasm_r.gave_up, 7);
	cr_assert_eq(reasm_r.completed, 0);
}

Test(collect_reasm, last_piece_first_then_shorter_middle)
{
	size_t got;
	/* The last piece (500) arrives first; a middle piece of 400 would make
	 * it longer than the others: refused. */
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 2, 3, 1000, 2500), &got), COLLECT_REASM_PENDING);
	struct collect_opened o = reasm_piece(1, 10, 0, 3, 1000, 2500);
	o.payload_len = 400;
	cr_assert_eq(reasm_add(o, &got), COLLECT_REASM_DROP);
	cr_assert_eq(reasm_r.gave_up, 1);
}

Test(collect_reasm, slots_are_bounded_oldest_evicted)
{
	size_t got;
	for (unsigned b = 0; b < COLLECT_REASM_SLOTS + 3; b++)
		cr_assert_eq(reasm_add(reasm_piece(1, 100 + b * 10, 0, 2, 1000, 1500), &got),
			     COLLECT_REASM_PENDING);
	cr_assert_eq(collect_reasm_pending(&reasm_r), COLLECT_REASM_SLOTS);
	cr_assert_eq(reasm_r.evicted, 3);
	cr_assert_eq(reasm_r.gave_up, 3);
	/* The newest completes; the oldest (evicted) does not come back. */
	cr_assert_eq(reasm_add(reasm_piece(1, 100 + (COLLECT_REASM_SLOTS + 2) * 10, 1, 2, 1000, 1500),
			       &got), COLLECT_REASM_COMPLETE);
	cr_assert_eq(reasm_add(reasm_piece(1, 100, 1, 2, 1000, 1500), &got), COLLECT_REASM_DROP);
}

Test(collect_reasm, given_up_below_window_and_at_new_epoch)
{
	size_t got;
	cr_assert_eq(reasm_add(reasm_piece(1, 10, 0, 2, 1000, 1500), &got), COLLECT_REASM_PENDING);
	cr_assert_eq(reasm_add(reasm_piece(1, 5000, 0, 2, 1000, 1500), &got), COLLECT_REASM_PENDING);
	/* The window's bottom passes 10. */
	cr_assert_eq(collect_reasm_expire(&reasm_r, 1, 11), 1);
	cr_assert_eq(collect_reasm_pending(&reasm_r), 1);
	/* A piece whose batch starts below the window and has no slot. */
	struct collect_opened o = reasm_piece(1, 3, 1, 2, 1000, 1500);
	cr_assert_eq(collect_reasm_add(&reasm_r, &o, 11, reasm_out, COLLECT_BATCH_MAX, &got),
		     COLLECT_REASM_DROP);
	/* A new epoch gives up the rest. */
	cr_assert_eq(collect_reasm_expire(&reasm_r, 2, 1), 1);
	cr_assert_eq(collect_reasm_pending(&reasm_r), 0);
	cr_assert_eq(reasm_r.gave_up, 2);
}

Test(collect_reasm, bounded_by_batch_max)
{
	size_t got;
	/* 1024 pieces of 1100 bytes claim more than COLLECT_BATCH_MAX: the
	 * piece that would pass it gives the batch up, nothing is written
	 * past the slot. */
	static uint8_t big[1100];
	enum collect_reasm_result last = COLLECT_REASM_PENDING;
	unsigned i;
	for (i = 0; i < COLLECT_MAX_FRAGMENTS && last == COLLECT_REASM_PENDING; i++) {
		struct collect_opened o = {
			.epoch = 1, .seq = 10 + i, .type = 37, .flags = COLLECT_FLAG_FRAGMENT,
			.frag_index = (uint16_t)i, .frag_count = COLLECT_MAX_FRAGMENTS,
			.inflated_len = COLLECT_BATCH_MAX, .payload = big, .payload_len = sizeof big,
		};
		last = collect_reasm_add(&reasm_r, &o, 1, reasm_out, COLLECT_BATCH_MAX, &got);
	}
	cr_assert_eq(last, COLLECT_REASM_DROP);
	cr_assert_eq(i, COLLECT_BATCH_MAX / sizeof big + 1);
	cr_assert_eq(reasm_r.gave_up, 1);
}

Test(collect_reasm, refuses_inconsistent_headers)
{
	size_t got;
	struct collect_opened o = reasm_piece(1, 10, 0, 2, 1000, 1500);
	o.flags = 0;
	cr_assert_eq(reasm_add(o, &got), COLLECT_REASM_DROP);
	o = reasm_piece(1, 10, 0, 2, 1000, 1500);
	o.frag_index = 2;
	cr_assert_eq(reasm_add(o, &got), COLLECT_REASM_DROP);
	o = reasm_piece(1, 10, 0, 2, 1000, 1500);
	o.payload_len = 0;
	cr_assert_eq(reasm_add(o, &got), COLLECT_REASM_DROP);
	cr_assert_eq(collect_reasm_pending(&reasm_r), 0);
}
