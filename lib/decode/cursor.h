/* cursor.h: the one bounds-checked reader every decoder parses through.
 *
 * A cursor is a window [data, data+len) and a position. Reads past the end
 * return 0 (or NULL for byte ranges), leave the position at the end, and set
 * a sticky error flag; a decoder reads its whole header, then checks
 * cur_ok() once, as tcpdump's GET_ macros do without the longjmp. No decoder
 * indexes packet memory except through these functions. */
#ifndef DECODE_CURSOR_H
#define DECODE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *data;
	uint32_t len;
	uint32_t pos;
	bool err;
};

static inline struct cursor cur_make(const uint8_t *data, uint32_t len)
{
	return (struct cursor){ .data = data, .len = len };
}

static inline bool cur_ok(const struct cursor *c) { return !c->err; }
static inline uint32_t cur_left(const struct cursor *c) { return c->len - c->pos; }
static inline uint32_t cur_pos(const struct cursor *c) { return c->pos; }
static inline const uint8_t *cur_here(const struct cursor *c) { return c->data + c->pos; }

static inline bool cur_fail(struct cursor *c)
{
	c->err = true;
	c->pos = c->len;
	return false;
}

/* True when n more bytes can be read; else fails the cursor. */
static inline bool cur_need(struct cursor *c, uint32_t n)
{
	return n <= cur_left(c) ? true : cur_fail(c);
}

static inline uint8_t cur_u8(struct cursor *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->data[c->pos++];
}

static inline uint16_t cur_be16(struct cursor *c)
{
	if (!cur_need(c, 2))
		return 0;
	const uint8_t *p = c->data + c->pos;
	c->pos += 2;
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cur_be24(struct cursor *c)
{
	if (!cur_need(c, 3))
		return 0;
	const uint8_t *p = c->data + c->pos;
	c->pos += 3;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t cur_be32(struct cursor *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *p = c->data + c->pos;
	c->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t cur_be64(struct cursor *c)
{
	uint64_t hi = cur_be32(c);
	return hi << 32 | cur_be32(c);
}

static inline uint16_t cur_le16(struct cursor *c)
{
	if (!cur_need(c, 2))
		return 0;
	const uint8_t *p = c->data + c->pos;
	c->pos += 2;
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t cur_le32(struct cursor *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *p = c->data + c->pos;
	c->pos += 4;
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* n bytes in place (NULL when short; then the cursor has failed). */
static inline const uint8_t *cur_bytes(struct cursor *c, uint32_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *p = c->data + c->pos;
	c->pos += n;
	return p;
}

static inline bool cur_copy(struct cursor *c, void *dst, uint32_t n)
{
	const uint8_t *p = cur_bytes(c, n);
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
	return p != NULL;
}

static inline bool cur_skip(struct cursor *c, uint32_t n)
{
	if (!cur_need(c, n))
		return false;
	c->pos += n;
	return true;
}

/* Byte at pos+off without moving; 0 (and no failure) past the end. */
static inline uint8_t cur_peek_u8(const struct cursor *c, uint32_t off)
{
	return off < cur_left(c) ? c->data[c->pos + off] : 0;
}

static inline uint16_t cur_peek_be16(const struct cursor *c, uint32_t off)
{
	return (uint16_t)(cur_peek_u8(c, off) << 8 | cur_peek_u8(c, off + 1));
}

/* A cursor over the next n bytes (fewer if the data is shorter: the child
 * then starts short, and the parent fails), moving the parent past them.
 * Used where a length field bounds a sub-structure. */
static inline struct cursor cur_sub(struct cursor *c, uint32_t n)
{
	uint32_t take = n <= cur_left(c) ? n : cur_left(c);
	struct cursor sub = cur_make(c->data + c->pos, take);
	if (take < n)
		cur_fail(c);
	else
		c->pos += take;
	return sub;
}

/* The rest of the data as a child cursor, leaving the parent at its end. */
static inline struct cursor cur_rest(struct cursor *c)
{
	return cur_sub(c, cur_left(c));
}

/* Shortens the window to n bytes from the current position (a length field
 * says the layer ends earlier, e.g. Ethernet padding after IP). */
static inline void cur_limit(struct cursor *c, uint32_t n)
{
	if (n < cur_left(c))
		c->len = c->pos + n;
}

#endif
