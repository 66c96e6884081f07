/* blocks.c: the worker's stream memory: a region carved into fixed-size
 * blocks on first use, recycled through a free list (blocks.h). */
#include "stream/blocks.h"

#include <stdlib.h>
#include <string.h>

int block_pool_init(struct block_pool *p, size_t memory)
{
	memset(p, 0, sizeof *p);
	if (memory < BLOCKS_MIN_MEMORY)
		return -1;
	size_t n = memory / BLOCK_SIZE;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	/* calloc: pages come from the kernel zeroed and untouched, so a
	 * budget that is never used costs no resident memory. */
	p->region = calloc(n, BLOCK_SIZE);
	if (!p->region)
		return -1;
	p->total = (uint32_t)n;
	return 0;
}

void block_pool_free(struct block_pool *p)
{
	free(p->region);
	memset(p, 0, sizeof *p);
}

struct block *block_get(struct block_pool *p)
{
	struct block *b = p->free_list;
	if (b) {
		p->free_list = b->next;
	} else if (p->carved < p->total) {
		b = (struct block *)(p->region + (size_t)p->carved++ * BLOCK_SIZE);
	} else {
		p->refused++;
		return NULL;
	}
	b->next = NULL;
	b->len = 0;
	b->tag = 0;
	if (++p->in_use > p->peak)
		p->peak = p->in_use;
	return b;
}

void block_put(struct block_pool *p, struct block *b)
{
	if (!b)
		return;
	b->next = p->free_list;
	p->free_list = b;
	p->in_use--;
}

void block_put_chain(struct block_pool *p, struct block *b)
{
	while (b) {
		struct block *next = b->next;
		block_put(p, b);
		b = next;
	}
}

uint32_t bytebuf_append(struct block_pool *p, struct bytebuf *b, const uint8_t *data, uint32_t n)
{
	uint32_t room = b->cap > b->len ? b->cap - b->len : 0;
	if (n > room)
		n = room;
	uint32_t kept = 0;
	while (kept < n) {
		struct block *t = b->tail;
		if (!t || t->len == BLOCK_DATA) {
			struct block *nb = block_get(p);
			if (!nb)
				break;
			if (t)
				t->next = nb;
			else
				b->head = nb;
			b->tail = t = nb;
		}
		uint32_t take = BLOCK_DATA - t->len;
		if (take > n - kept)
			take = n - kept;
		memcpy(t->data + t->len, data + kept, take);
		t->len += take;
		kept += take;
	}
	b->len += kept;
	return kept;
}

bool bytebuf_copy(const struct bytebuf *b, uint32_t off, uint8_t *out, uint32_t n)
{
	if (off > b->len || n > b->len - off)
		return false;
	const struct block *k = b->head;
	uint32_t at = off + b->head_off;     /* offset inside the chain's data */
	while (k && at >= k->len) {
		at -= k->len;
		k = k->next;
	}
	while (n) {
		uint32_t take = k->len - at;
		if (take > n)
			take = n;
		memcpy(out, k->data + at, take);
		out += take;
		n -= take;
		at = 0;
		k = k->next;
	}
	return true;
}

uint8_t bytebuf_at(const struct bytebuf *b, uint32_t off)
{
	uint8_t v = 0;
	bytebuf_copy(b, off, &v, 1);
	return v;
}

void bytebuf_consume(struct block_pool *p, struct bytebuf *b, uint32_t n)
{
	if (n > b->len)
		n = b->len;
	b->len -= n;
	while (n && b->head) {
		uint32_t avail = b->head->len - b->head_off;
		if (n < avail) {
			b->head_off += n;
			return;
		}
		n -= avail;
		struct block *next = b->head->next;
		block_put(p, b->head);
		b->head = next;
		b->head_off = 0;
	}
	if (!b->head) {
		b->tail = NULL;
		b->head_off = 0;
	}
}

void bytebuf_clear(struct block_pool *p, struct bytebuf *b)
{
	block_put_chain(p, b->head);
	uint32_t cap = b->cap;
	bytebuf_init(b, cap);
}
