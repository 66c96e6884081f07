/* chunk.h: a buffer of delimited records (varint length, then the record).
 *
 * Producers serialize records straight into a chunk; a full chunk goes to a
 * writer (directly, or over a ring to a compression lcore) as one unit.
 * The buffer is allocated once; appending never allocates. */
#ifndef NCAP_CHUNK_H
#define NCAP_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

struct ncap_chunk {
	uint8_t *data;
	size_t len;      /* bytes used */
	size_t cap;      /* bytes allocated */
	uint32_t records;
	int type;        /* Types__Type of every record inside */
};

/* Allocates cap bytes. Returns 0, or -1 when out of memory. */
int ncap_chunk_init(struct ncap_chunk *c, int type, size_t cap);
void ncap_chunk_free(struct ncap_chunk *c);
static inline void ncap_chunk_reset(struct ncap_chunk *c)
{
	c->len = 0;
	c->records = 0;
}

/* Appends one message with its length prefix. Returns false, leaving the
 * chunk unchanged, when it does not fit. */
bool ncap_chunk_append(struct ncap_chunk *c, const ProtobufCMessage *msg);

/* Appends an already serialized record of len bytes with its prefix. */
bool ncap_chunk_append_raw(struct ncap_chunk *c, const uint8_t *rec, size_t len);

#endif
