/* pbwire.h: writing protobuf wire format by hand, for the hot record types.
 *
 * Each put_* appends one field (tag and value) at p and returns the new end,
 * skipping the field when it holds its proto3 default, exactly as
 * protobuf-c 1.4 does (fields in number order, zero/false/empty omitted,
 * negative int32 as a 10-byte varint, NULL nested message omitted). The
 * caller guarantees room; fastpack.c bounds a record by its packet. */
#ifndef NCAP_PBWIRE_H
#define NCAP_PBWIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ncap/varint.h"

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2 };

static inline uint8_t *pb_tag(uint8_t *p, unsigned field, unsigned wire)
{
	return p + ncap_varint_put(p, (uint64_t)field << 3 | wire);
}

static inline uint8_t *pb_uint64(uint8_t *p, unsigned field, uint64_t v)
{
	if (!v)
		return p;
	p = pb_tag(p, field, PB_VARINT);
	return p + ncap_varint_put(p, v);
}

/* int32 and int64 are sign-extended to 64 bits, as protobuf requires. */
static inline uint8_t *pb_int64(uint8_t *p, unsigned field, int64_t v)
{
	return pb_uint64(p, field, (uint64_t)v);
}

static inline uint8_t *pb_int32(uint8_t *p, unsigned field, int32_t v)
{
	return pb_uint64(p, field, (uint64_t)(int64_t)v);
}

static inline uint8_t *pb_uint32(uint8_t *p, unsigned field, uint32_t v)
{
	return pb_uint64(p, field, v);
}

static inline uint8_t *pb_bool(uint8_t *p, unsigned field, bool v)
{
	return pb_uint64(p, field, v ? 1 : 0);
}

static inline uint8_t *pb_double(uint8_t *p, unsigned field, double v)
{
	if (v == 0.0)
		return p;
	p = pb_tag(p, field, PB_FIXED64);
	memcpy(p, &v, 8); /* little-endian x86, as protobuf's wire order */
	return p + 8;
}

static inline uint8_t *pb_bytes_field(uint8_t *p, unsigned field, const void *data, size_t len)
{
	if (!len)
		return p;
	p = pb_tag(p, field, PB_LEN);
	p += ncap_varint_put(p, len);
	memcpy(p, data, len);
	return p + len;
}

static inline uint8_t *pb_string(uint8_t *p, unsigned field, const char *s)
{
	return s ? pb_bytes_field(p, field, s, strlen(s)) : p;
}

/* A nested message: tag, then a length known only after its fields are
 * written. Fields start one byte in (a length below 128, the usual case);
 * pb_end_nested moves them when the length needs more bytes. */
static inline uint8_t *pb_begin_nested(uint8_t *p, unsigned field, uint8_t **len_at)
{
	p = pb_tag(p, field, PB_LEN);
	*len_at = p;
	return p + 1;
}

static inline uint8_t *pb_end_nested(uint8_t *len_at, uint8_t *end)
{
	size_t len = (size_t)(end - len_at - 1);
	size_t k = ncap_varint_size(len);
	if (k > 1)
		memmove(len_at + k, len_at + 1, len);
	ncap_varint_put(len_at, len);
	return len_at + k + len;
}

#endif
