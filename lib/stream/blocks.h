/* blocks.h: the fixed-size memory blocks that hold a worker's stream data:
 * out-of-order TCP segments (lib/stream/stream.c) and the bytes an
 * application parser must keep across segments (an HTTP head, a TLS
 * handshake message, a DNS message split over segments).
 *
 * Why a pool: nothing on the per-packet path may call malloc, and an
 * attacker who opens connections and leaves holes in them must hit a
 * counted limit, not the machine's memory. A worker's pool is one region
 * reserved at start (--stream-memory); blocks are carved from it on first
 * use (pages never used are never touched) and recycled through a free
 * list. A refused allocation is counted; its caller drops what it could
 * not keep and says so (a gap, a capped record), it never stops.
 *
 * struct bytebuf is a byte queue made of blocks, with its own cap: data is
 * appended at the tail, read (copied out contiguously) from the head and
 * consumed from the head, freeing blocks as they empty. */
#ifndef STREAM_BLOCKS_H
#define STREAM_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_SIZE 2048u
#define BLOCK_DATA (BLOCK_SIZE - 16u)
#define BLOCKS_MIN_MEMORY (64u << 10)

struct block {
	struct block *next;
	uint32_t len;               /* bytes used in data[] (from 0) */
	uint32_t tag;               /* the owner's: a TCP sequence number, ... */
	uint8_t data[BLOCK_DATA];
};

struct block_pool {
	uint8_t *region;            /* memory / BLOCK_SIZE blocks */
	uint32_t total;             /* blocks in the region */
	uint32_t carved;            /* blocks handed out at least once */
	uint32_t in_use, peak;
	struct block *free_list;
	uint64_t refused;           /* allocations refused: pool empty */
};

/* Reserves `memory` bytes (at least BLOCKS_MIN_MEMORY). 0 or -1. */
int block_pool_init(struct block_pool *p, size_t memory);
void block_pool_free(struct block_pool *p);
/* A block with len 0 and next NULL, or NULL (counted in refused). */
struct block *block_get(struct block_pool *p);
void block_put(struct block_pool *p, struct block *b);
/* Returns a whole chain (linked by next). */
void block_put_chain(struct block_pool *p, struct block *b);

struct bytebuf {
	struct block *head, *tail;
	uint32_t head_off;          /* consumed bytes of head */
	uint32_t len;               /* bytes held */
	uint32_t cap;               /* at most this many; 0: none may be held */
};

static inline void bytebuf_init(struct bytebuf *b, uint32_t cap)
{
	*b = (struct bytebuf){ .cap = cap };
}
/* Appends up to n bytes; returns how many were kept (fewer when the cap
 * or the pool ran out). */
uint32_t bytebuf_append(struct block_pool *p, struct bytebuf *b, const uint8_t *data, uint32_t n);
/* Copies n bytes from offset off into out; false when fewer are held. */
bool bytebuf_copy(const struct bytebuf *b, uint32_t off, uint8_t *out, uint32_t n);
/* The byte at off (which must be < len). */
uint8_t bytebuf_at(const struct bytebuf *b, uint32_t off);
/* Drops n bytes (at most len) from the head, freeing empty blocks. */
void bytebuf_consume(struct block_pool *p, struct bytebuf *b, uint32_t n);
/* Drops everything; the cap stays. */
void bytebuf_clear(struct block_pool *p, struct bytebuf *b);

#endif
