/* recordset.h: a set of record types (Types__Type values), as a bitset.
 *
 * The decoders ask it whether to build a record (--include/--exclude: an
 * excluded type costs nothing), the engine whether to route and write one;
 * both hold the same set, filled once at start. */
#ifndef DECODE_RECORDSET_H
#define DECODE_RECORDSET_H

#include <stdbool.h>
#include <stdint.h>

#define NCAP_TYPE_LIMIT 128   /* Types__Type values are below this */

struct record_set {
	uint64_t bits[NCAP_TYPE_LIMIT / 64];
};

static inline bool record_set_has(const struct record_set *s, int type)
{
	return (unsigned)type < NCAP_TYPE_LIMIT && (s->bits[(unsigned)type / 64] >> ((unsigned)type % 64)) & 1;
}

static inline void record_set_put(struct record_set *s, int type, bool on)
{
	if ((unsigned)type >= NCAP_TYPE_LIMIT)
		return;
	uint64_t bit = UINT64_C(1) << ((unsigned)type % 64);
	if (on)
		s->bits[(unsigned)type / 64] |= bit;
	else
		s->bits[(unsigned)type / 64] &= ~bit;
}

static inline unsigned record_set_count(const struct record_set *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NCAP_TYPE_LIMIT / 64; i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

#endif
