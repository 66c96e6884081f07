/* reasm.c: fragmented batches put back together, bounded (reasm.h).
 *
 * Pieces are stored in arrival order in their slot's buffer with their
 * place noted, and copied out in index order once all are in: no piece
 * length has to be known before the first non-last piece comes, and a
 * slot never holds more than COLLECT_BATCH_MAX bytes whatever the pieces
 * claim. */
#include <stdlib.h>
#include <string.h>

#include "collect/reasm.h"

void collect_reasm_init(struct collect_reasm *r)
{
	memset(r, 0, sizeof *r);
}

void collect_reasm_free(struct collect_reasm *r)
{
	for (int i = 0; i < COLLECT_REASM_SLOTS; i++) {
		free(r->slot[i].buf);
		free(r->slot[i].off);
		free(r->slot[i].len);
	}
	memset(r, 0, sizeof *r);
}

/* Remembers a batch given up, so its late pieces are dropped. */
static void give_up(struct collect_reasm *r, struct collect_reasm_slot *s)
{
	r->gone[r->gone_next].epoch = s->epoch;
	r->gone[r->gone_next].first = s->first;
	r->gone_next = (r->gone_next + 1) % COLLECT_REASM_SLOTS;
	r->gave_up++;
	s->used = false;
}

static bool was_given_up(const struct collect_reasm *r, uint64_t epoch, uint64_t first)
{
	for (int i = 0; i < COLLECT_REASM_SLOTS; i++)
		if (r->gone[i].epoch == epoch && r->gone[i].first == first && epoch)
			return true;
	return false;
}

unsigned collect_reasm_pending(const struct collect_reasm *r)
{
	unsigned n = 0;
	for (int i = 0; i < COLLECT_REASM_SLOTS; i++)
		n += r->slot[i].used;
	return n;
}

unsigned collect_reasm_expire(struct collect_reasm *r, uint64_t epoch, uint64_t low)
{
	unsigned n = 0;
	for (int i = 0; i < COLLECT_REASM_SLOTS; i++) {
		struct collect_reasm_slot *s = &r->slot[i];
		if (s->used && (s->epoch != epoch || s->first < low)) {
			give_up(r, s);
			n++;
		}
	}
	return n;
}

/* A free slot with its buffers, evicting the oldest when all are busy;
 * NULL when the buffers cannot be allocated. */
static struct collect_reasm_slot *take_slot(struct collect_reasm *r)
{
	struct collect_reasm_slot *s = NULL, *oldest = NULL;
	for (int i = 0; i < COLLECT_REASM_SLOTS && !s; i++) {
		if (!r->slot[i].used)
			s = &r->slot[i];
		else if (!oldest || r->slot[i].age < oldest->age)
			oldest = &r->slot[i];
	}
	if (!s) {
		give_up(r, oldest);
		r->evicted++;
		s = oldest;
	}
	if (!s->buf) {
		s->buf = malloc(COLLECT_BATCH_MAX);
		s->off = calloc(COLLECT_MAX_FRAGMENTS, sizeof *s->off);
		s->len = calloc(COLLECT_MAX_FRAGMENTS, sizeof *s->len);
		if (!s->buf || !s->off || !s->len) {
			free(s->buf), free(s->off), free(s->len);
			s->buf = NULL, s->off = NULL, s->len = NULL;
			return NULL;
		}
	}
	return s;
}

/* Whether piece o (of length n) fits its slot's batch: the same header,
 * and every piece but the last the same length, the last no longer. */
static bool piece_agrees(const struct collect_reasm_slot *s, const struct collect_opened *o,
			 size_t n)
{
	if (o->type != s->type || o->flags != s->flags || o->frag_count != s->count ||
	    o->inflated_len != s->inflated_len)
		return false;
	if (n > COLLECT_BATCH_MAX - s->stored)
		return false;
	bool last = o->frag_index == s->count - 1;
	if (s->piece_len) {
		if (last ? n > s->piece_len : n != s->piece_len)
			return false;
	} else if (!last && s->len[s->count - 1] && s->len[s->count - 1] > n) {
		return false; /* the last piece, here already, is longer */
	}
	return true;
}

enum collect_reasm_result collect_reasm_add(struct collect_reasm *r,
					    const struct collect_opened *o, uint64_t low, uint8_t *out,
					    size_t cap, size_t *out_len)
{
	*out_len = 0;
	if (!(o->flags & COLLECT_FLAG_FRAGMENT) || o->frag_count < 2 ||
	    o->frag_count > COLLECT_MAX_FRAGMENTS || o->frag_index >= o->frag_count ||
	    o->seq <= o->frag_index || o->payload_len == 0 || o->payload_len > COLLECT_BATCH_MAX)
		return COLLECT_REASM_DROP;
	uint64_t first = o->seq - o->frag_index;
	if (was_given_up(r, o->epoch, first))
		return COLLECT_REASM_DROP;
	struct collect_reasm_slot *s = NULL;
	for (int i = 0; i < COLLECT_REASM_SLOTS && !s; i++)
		if (r->slot[i].used && r->slot[i].epoch == o->epoch && r->slot[i].first == first)
			s = &r->slot[i];
	size_t n = o->payload_len;
	if (s) {
		/* The count first: it bounds the index read below. */
		if (o->frag_count != s->count) {
			give_up(r, s);
			return COLLECT_REASM_DROP;
		}
		if (s->len[o->frag_index])
			return COLLECT_REASM_DROP; /* a duplicate: the batch stays */
		if (!piece_agrees(s, o, n)) {
			give_up(r, s);
			return COLLECT_REASM_DROP;
		}
	} else {
		if (first < low)
			return COLLECT_REASM_DROP;
		s = take_slot(r);
		if (!s)
			return COLLECT_REASM_NOMEM;
		s->used = true;
		s->epoch = o->epoch;
		s->first = first;
		s->type = o->type;
		s->flags = o->flags;
		s->count = o->frag_count;
		s->got = 0;
		s->inflated_len = o->inflated_len;
		s->piece_len = 0;
		s->stored = 0;
		s->age = ++r->clock;
		memset(s->len, 0, s->count * sizeof *s->len);
	}
	if (o->frag_index != s->count - 1)
		s->piece_len = (uint32_t)n;
	s->off[o->frag_index] = s->stored;
	s->len[o->frag_index] = (uint32_t)n;
	memcpy(s->buf + s->stored, o->payload, n);
	s->stored += (uint32_t)n;
	if (++s->got < s->count)
		return COLLECT_REASM_PENDING;
	/* Every piece is in, each non-last of one length, the last no
	 * longer, all within COLLECT_BATCH_MAX: put them in order. */
	size_t pos = 0;
	for (unsigned i = 0; i < s->count; i++) {
		if (s->len[i] > cap - pos) { /* cap below COLLECT_BATCH_MAX */
			give_up(r, s);
			return COLLECT_REASM_DROP;
		}
		memcpy(out + pos, s->buf + s->off[i], s->len[i]);
		pos += s->len[i];
	}
	*out_len = pos;
	s->used = false;
	r->completed++;
	return COLLECT_REASM_COMPLETE;
}
