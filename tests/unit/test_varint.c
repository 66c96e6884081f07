/* test_varint.c: the record length varint (lib/ncap/varint.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "ncap/varint.h"

struct vcase {
	uint64_t v;
	size_t n;
	uint8_t bytes[NCAP_VARINT_MAX];
};

/* Exact encodings, worked out by hand from the LEB128 definition. */
static const struct vcase cases[] = {
	{ 0, 1, { 0x00 } },
	{ 1, 1, { 0x01 } },
	{ 127, 1, { 0x7f } },
	{ 128, 2, { 0x80, 0x01 } },
	{ 300, 2, { 0xac, 0x02 } },
	{ 16383, 2, { 0xff, 0x7f } },
	{ 16384, 3, { 0x80, 0x80, 0x01 } },
	{ (1ull << 21) - 1, 3, { 0xff, 0xff, 0x7f } },
	{ 1ull << 21, 4, { 0x80, 0x80, 0x80, 0x01 } },
	{ 16u << 20, 4, { 0x80, 0x80, 0x80, 0x08 } }, /* NCAP_MAX_RECORD */
	{ 0xffffffffull, 5, { 0xff, 0xff, 0xff, 0xff, 0x0f } },
	{ 1ull << 32, 5, { 0x80, 0x80, 0x80, 0x80, 0x10 } },
	{ (1ull << 63) - 1, 9, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f } },
	{ 1ull << 63, 10, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 } },
	{ UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
};
#define NCASES (sizeof cases / sizeof *cases)

Test(varint, exact_encodings)
{
	for (size_t i = 0; i < NCASES; i++) {
		uint8_t buf[NCAP_VARINT_MAX + 4];
		memset(buf, 0xee, sizeof buf);
		size_t n = ncap_varint_put(buf, cases[i].v);
		cr_assert_eq(n, cases[i].n, "put(%llu) wrote %zu bytes, want %zu",
			     (unsigned long long)cases[i].v, n, cases[i].n);
		cr_assert_arr_eq(buf, cases[i].bytes, n, "put(%llu): wrong bytes", (unsigned long long)cases[i].v);
		cr_assert_eq(buf[n], 0xee, "put(%llu) wrote past its %zu bytes", (unsigned long long)cases[i].v, n);
		cr_assert_eq(ncap_varint_size(cases[i].v), cases[i].n, "size(%llu)", (unsigned long long)cases[i].v);
	}
}

Test(varint, decode_exact_and_with_trailing_bytes)
{
	for (size_t i = 0; i < NCASES; i++) {
		uint8_t buf[NCAP_VARINT_MAX + 3];
		memcpy(buf, cases[i].bytes, cases[i].n);
		memset(buf + cases[i].n, 0xff, 3); /* a following record: ignored */
		for (size_t extra = 0; extra <= 3; extra++) {
			uint64_t out = 12345;
			int k = ncap_varint_get(buf, cases[i].n + extra, &out);
			cr_assert_eq(k, (int)cases[i].n, "get(%llu) consumed %d", (unsigned long long)cases[i].v, k);
			cr_assert_eq(out, cases[i].v, "get: %llu, want %llu", (unsigned long long)out,
				     (unsigned long long)cases[i].v);
		}
	}
}

Test(varint, need_more_at_every_cut)
{
	for (size_t i = 0; i < NCASES; i++)
		for (size_t cut = 0; cut < cases[i].n; cut++) {
			uint64_t out = 777;
			int k = ncap_varint_get(cases[i].bytes, cut, &out);
			cr_assert_eq(k, NCAP_VARINT_NEED_MORE, "get(%llu) cut at %zu: %d",
				     (unsigned long long)cases[i].v, cut, k);
			cr_assert_eq(out, 777, "NEED_MORE must leave *out alone");
		}
}

Test(varint, round_trip_every_bit_width)
{
	for (int bits = 0; bits <= 64; bits++) {
		uint64_t base = bits == 64 ? UINT64_MAX : (bits ? (1ull << bits) - 1 : 0);
		uint64_t vals[] = { base, base + 1, base - 1, base / 3 };
		for (size_t j = 0; j < sizeof vals / sizeof *vals; j++) {
			uint8_t buf[NCAP_VARINT_MAX];
			size_t n = ncap_varint_put(buf, vals[j]);
			cr_assert(n >= 1 && n <= NCAP_VARINT_MAX);
			cr_assert_eq(n, ncap_varint_size(vals[j]));
			/* Shortest form: the last byte carries bits unless n == 1. */
			cr_assert(n == 1 || buf[n - 1] != 0, "non-minimal encoding of %llu",
				  (unsigned long long)vals[j]);
			uint64_t out;
			cr_assert_eq(ncap_varint_get(buf, n, &out), (int)n);
			cr_assert_eq(out, vals[j]);
		}
	}
}

Test(varint, malformed_eleven_bytes)
{
	uint8_t buf[16];
	memset(buf, 0x80, 10);
	buf[10] = 0x01;
	uint64_t out = 5;
	cr_assert_eq(ncap_varint_get(buf, 11, &out), NCAP_VARINT_MALFORMED);
	cr_assert_eq(ncap_varint_get(buf, sizeof buf, &out), NCAP_VARINT_MALFORMED);
	/* Ten continuation bytes are already malformed: no need for the 11th. */
	cr_assert_eq(ncap_varint_get(buf, 10, &out), NCAP_VARINT_MALFORMED);
	cr_assert_eq(out, 5, "MALFORMED must leave *out alone");
}

Test(varint, malformed_overflowing_tenth_byte)
{
	/* The 10th byte holds bit 63 only: 0x00 and 0x01 are fine, 0x02..0x7f
	 * would overflow a uint64, 0x80.. would continue to an 11th byte. */
	for (unsigned last = 0; last <= 0xff; last++) {
		uint8_t buf[NCAP_VARINT_MAX] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		buf[9] = (uint8_t)last;
		uint64_t out = 0;
		int k = ncap_varint_get(buf, sizeof buf, &out);
		if (last <= 1) {
			cr_assert_eq(k, 10, "10th byte 0x%02x: %d", last, k);
			cr_assert_eq(out, last ? UINT64_MAX : UINT64_MAX >> 1);
		} else {
			cr_assert_eq(k, NCAP_VARINT_MALFORMED, "10th byte 0x%02x accepted (%d)", last, k);
		}
	}
}

Test(varint, non_minimal_forms_decode)
{
	/* Not produced by the writer, but valid protobuf: 0 in two bytes. */
	uint8_t two[] = { 0x80, 0x00 };
	uint64_t out = 9;
	cr_assert_eq(ncap_varint_get(two, 2, &out), 2);
	cr_assert_eq(out, 0);
	/* The longest accepted form: 0 in ten bytes. */
	uint8_t ten[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	cr_assert_eq(ncap_varint_get(ten, 10, &out), 10);
	cr_assert_eq(out, 0);
}
