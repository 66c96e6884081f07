/* varint.h: unsigned LEB128 varints, the length prefix of every record.
 *
 * Protobuf's delimited framing writes each record's byte length as a
 * base-128 varint, least significant group first, 1 to 10 bytes for a
 * 64-bit value. Decoding is strict: an 11th byte, or a 10th byte carrying
 * more than the top bit of a uint64, is malformed rather than wrapped. */
#ifndef NCAP_VARINT_H
#define NCAP_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define NCAP_VARINT_MAX 10

/* Writes v at p (room for NCAP_VARINT_MAX bytes); returns bytes written. */
static inline size_t ncap_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline size_t ncap_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

enum { NCAP_VARINT_NEED_MORE = 0, NCAP_VARINT_MALFORMED = -1 };

/* Reads a varint from the n bytes at p. Returns the bytes consumed (1..10),
 * NCAP_VARINT_NEED_MORE when the bytes end inside the varint, or
 * NCAP_VARINT_MALFORMED when it is longer than 10 bytes or overflows. */
static inline int ncap_varint_get(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < NCAP_VARINT_MAX; i++) {
		if (i == n)
			return NCAP_VARINT_NEED_MORE;
		uint8_t b = p[i];
		if (i == NCAP_VARINT_MAX - 1 && b > 1)
			return NCAP_VARINT_MALFORMED;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return (int)i + 1;
		}
	}
	return NCAP_VARINT_MALFORMED;
}

#endif
