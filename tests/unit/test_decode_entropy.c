/* test_decode_entropy.c: the PayloadEntropy fields (lib/decode/entropy.c):
 * the fast paths (short ranges, c log2 c tables, one histogram grown from
 * the innermost payload outwards) against the textbook formula, for every
 * layer and for frames of up to 262,144 bytes, and entropy turned off;
 * and bit for bit against the same sums in entropy.c's order, so that a
 * faster histogram cannot change a value.
 *
 * Frames are built byte by byte (tests/support/frames.h) and decoded from a
 * heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../support/frames.h"

static void setup(void)
{
	static const int types[] = { T_ETHERNET, T_IPV4, T_IPV6, T_TCP, T_UDP };
	setup_decoder(1 << 16, types, COUNT_OF(types));
}

TestSuite(decode_entropy, .init = setup, .fini = teardown_decoder);

Test(decode_entropy, entropy_off_leaves_entropy_zero)
{
	ctx.entropy = false;
	struct frame f = { 0 };
	build_tcp(&f, 0x18, false);
	decode(&f);
	cr_assert_eq(((Types__IPv4 *)record(T_IPV4, 0))->payloadentropy, 0.0);
	cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payloadentropy, 0.0);
	cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payloadsize, HELLO_LEN);
}

/* Shannon entropy the textbook way, -sum p log2 p over the byte values: an
 * oracle independent of the decoder's tables, short-range and incremental
 * paths. */
static double reference_entropy(const uint8_t *data, uint32_t len)
{
	uint32_t count[256] = { 0 };
	for (uint32_t i = 0; i < len; i++)
		count[data[i]]++;
	double h = 0;
	for (int b = 0; b < 256; b++)
		if (count[b]) {
			double p = (double)count[b] / len;
			h -= p * log2(p);
		}
	return h;
}

/* Bytes of varied skew: one value, a few values, text, uniform random. */
static void fill_payload(uint8_t *p, uint32_t len, uint32_t *seed, int kind)
{
	for (uint32_t i = 0; i < len; i++) {
		uint32_t r = next_random(seed);
		p[i] = kind == 0 ? 0 : kind == 1 ? (uint8_t)(r % 3) : kind == 2 ? (uint8_t)('a' + r % 26) : (uint8_t)r;
	}
}

Test(decode_entropy, entropy_agrees_with_the_textbook_formula)
{
	static uint8_t data[4200];
	uint32_t seed = 7;
	for (int kind = 0; kind < 4; kind++)
		for (uint32_t len = 0; len < sizeof data; len += len < 130 ? 1 : 97) {
			fill_payload(data, len, &seed, kind);
			cr_assert_float_eq(shannon_entropy(data, len), reference_entropy(data, len), 1e-9,
					   "kind %d, %u bytes", kind, len);
		}
}

/* Outer layers' entropy is computed by adding their header bytes to the
 * inner payload's histogram: check each layer against the formula, for
 * payloads on both sides of the short-range threshold. */
Test(decode_entropy, nested_layer_entropy_agrees_with_the_textbook_formula)
{
	static const uint32_t sizes[] = { 1, 2, 20, 63, 64, 65, 300, 1400 };
	uint32_t seed = 11;
	for (size_t i = 0; i < COUNT_OF(sizes); i++)
		for (int kind = 0; kind < 4; kind++) {
			struct frame f = { 0 };
			put_ethernet(&f, 0x0800);
			put_ipv4(&f, 6, 20 + sizes[i]);
			uint32_t ip_payload = f.len;
			put_tcp(&f, 1234, 80, 0x18, false, NULL, 0);
			uint32_t tcp_payload = f.len;
			fill_payload(f.b + f.len, sizes[i], &seed, kind);
			f.len += sizes[i];
			decode(&f);
			expect_ok();
			Types__TCP *tcp = record(T_TCP, 0);
			Types__IPv4 *ip = record(T_IPV4, 0);
			cr_assert_float_eq(tcp->payloadentropy, reference_entropy(f.b + tcp_payload, sizes[i]), 1e-9,
					   "TCP, %u payload bytes of kind %d", sizes[i], kind);
			cr_assert_float_eq(ip->payloadentropy, reference_entropy(f.b + ip_payload, f.len - ip_payload),
					   1e-9, "IPv4, %u payload bytes of kind %d", sizes[i], kind);
		}
}

/* Frames reach 262,144 bytes (pcap's largest snaplen): counts of one byte
 * value pass 65,535 (the histogram's counts were 16 bits: 70,000 zero
 * bytes came out as 15.3 bits per byte) and every count passes the
 * tables' 2,048, so both the fill and the incremental path take the slow
 * sums. Checked against the textbook formula for lengths around those
 * limits, and layer by layer in a jumbogram of 262,144 bytes. */
Test(decode_entropy, entropy_of_frames_up_to_262144_bytes)
{
	static uint8_t data[FRAME_MAX];
	static const uint32_t lengths[] = { 2047, 2048, 2049, 65535, 65536, 65537, 70000, 131072, FRAME_MAX };
	uint32_t seed = 13;
	for (int kind = 0; kind < 4; kind++)
		for (size_t i = 0; i < COUNT_OF(lengths); i++) {
			fill_payload(data, lengths[i], &seed, kind);
			cr_assert_float_eq(shannon_entropy(data, lengths[i]), reference_entropy(data, lengths[i]),
					   1e-9, "kind %d, %u bytes", kind, lengths[i]);
		}
	memset(data, 0, 70000);
	cr_assert_float_eq(shannon_entropy(data, 70000), 0.0, 1e-12);

	/* Ethernet, IPv6 jumbogram, TCP, payload to 262,144 bytes: the
	 * TCP payload is one histogram, the outer layers add their headers. */
	static struct frame f;
	for (int kind = 0; kind < 4; kind++) {
		f.len = 0;
		uint32_t payload = FRAME_MAX - ETH_HEADER - IPV6_HEADER - 8 - 20;
		put_ethernet(&f, 0x86dd);
		put_ipv6_jumbo(&f, 6, 20 + payload);
		put_tcp(&f, 1234, 80, 0x10, false, NULL, 0);
		fill_payload(f.b + f.len, payload, &seed, kind);
		f.len += payload;
		cr_assert_eq(f.len, FRAME_MAX);
		decode(&f);
		expect_ok();
		Types__Ethernet *e = record(T_ETHERNET, 0);
		Types__IPv6 *ip = record(T_IPV6, 0);
		Types__TCP *t = record(T_TCP, 0);
		cr_assert_eq(t->payloadsize, payload);
		cr_assert_eq(ip->payloadsize, 20 + payload);
		cr_assert_float_eq(t->payloadentropy, reference_entropy(f.b + FRAME_MAX - payload, payload),
				   1e-9, "TCP, kind %d", kind);
		cr_assert_float_eq(ip->payloadentropy,
				   reference_entropy(f.b + FRAME_MAX - payload - 20, payload + 20), 1e-9,
				   "IPv6, kind %d", kind);
		cr_assert_float_eq(e->payloadentropy, reference_entropy(f.b + ETH_HEADER, FRAME_MAX - ETH_HEADER),
				   1e-9, "Ethernet, kind %d", kind);
	}
}

/* entropy.c's sums in the order it adds them, from a plain histogram:
 * sums over the bytes below 64 bytes (two, alternating), four sums over
 * the bins (bin b into sum b % 4) below 2,048, one above; outer layers add
 * c+1 log2 c+1 - c log2 c per byte (two alternating sums while every
 * count stays below 2,048, one above). Floating-point addition is not
 * associative, so a faster histogram (sub-histograms, vector sums,
 * skipped bins) must keep these orders to leave every PayloadEntropy
 * value as it was: the tests below compare bit for bit. Bins of count 0
 * or 1 add 0 (0 log2 0 is taken as 0), which leaves a sum unchanged. */
struct exact_histogram {
	uint32_t count[256];
	double sum;
	uint32_t n;
};

static double exact_xlogx(uint32_t c)
{
	return c ? c * log2(c) : 0.0;
}

static void exact_fill(struct exact_histogram *h, const uint8_t *data, uint32_t len)
{
	memset(h->count, 0, sizeof h->count);
	for (uint32_t i = 0; i < len; i++)
		h->count[data[i]]++;
	double s[4] = { 0, 0, 0, 0 };
	if (len < 64) {
		for (uint32_t i = 0; i < len; i++)
			s[i % 2] += log2(h->count[data[i]]);
		h->sum = s[0] + s[1];
	} else if (len < 2048) {
		for (int b = 0; b < 256; b++)
			s[b % 4] += exact_xlogx(h->count[b]);
		h->sum = (s[0] + s[1]) + (s[2] + s[3]);
	} else {
		h->sum = 0;
		for (int b = 0; b < 256; b++)
			h->sum += exact_xlogx(h->count[b]);
	}
	h->n = len;
}

static void exact_add(struct exact_histogram *h, const uint8_t *data, uint32_t len)
{
	if (h->n + len >= 2048) {
		for (uint32_t i = 0; i < len; i++) {
			uint32_t c = h->count[data[i]]++;
			h->sum += exact_xlogx(c + 1) - exact_xlogx(c);
		}
	} else {
		double s[2] = { 0, 0 };
		for (uint32_t i = 0; i < len; i++) {
			uint32_t c = h->count[data[i]]++;
			s[i % 2] += exact_xlogx(c + 1) - exact_xlogx(c);
		}
		h->sum += s[0] + s[1];
	}
	h->n += len;
}

static double exact_value(const struct exact_histogram *h)
{
	if (!h->n)
		return 0.0;
	double e = log2(h->n) - h->sum / h->n;
	return e > 0 ? e : 0.0;
}

static void expect_same_double(double got, double want, const char *what, int kind, uint32_t len)
{
	uint64_t g, w;
	memcpy(&g, &got, sizeof g);
	memcpy(&w, &want, sizeof w);
	cr_assert_eq(g, w, "%s, kind %d, %u bytes: %.17g, want %.17g", what, kind, len, got, want);
}

/* Bytes of the kinds fill_payload makes, and two more: runs of one value
 * (up to 300 bytes) between random bytes, and random bytes then zero
 * padding from the middle on. */
static void fill_exact_payload(uint8_t *p, uint32_t len, uint32_t *seed, int kind)
{
	if (kind < 4) {
		fill_payload(p, len, seed, kind);
		return;
	}
	for (uint32_t i = 0; i < len;) {
		uint32_t r = next_random(seed);
		if (kind == 5) {
			p[i] = i < len / 2 ? (uint8_t)r : 0;
			i++;
		} else if (r % 4 == 0) {
			uint32_t run = 1 + (r >> 8) % 300;
			for (; run && i < len; run--)
				p[i++] = (uint8_t)(r >> 16);
		} else {
			p[i++] = (uint8_t)(r >> 8);
		}
	}
}

#define EXACT_KINDS 6

Test(decode_entropy, entropy_is_bit_identical_to_the_reference_order)
{
	static uint8_t data[FRAME_MAX];
	static const uint32_t lengths[] = { 255, 256, 257, 1000, 1400, 2047, 2048, 2049, 4096,
					    65535, 65536, 65537, 70000, 131072, FRAME_MAX };
	uint32_t seed = 17;
	struct exact_histogram h;
	for (int kind = 0; kind < EXACT_KINDS; kind++) {
		for (uint32_t len = 0; len <= 130; len++) {
			fill_exact_payload(data, len, &seed, kind);
			exact_fill(&h, data, len);
			expect_same_double(shannon_entropy(data, len), exact_value(&h), "shannon_entropy", kind, len);
		}
		for (size_t i = 0; i < COUNT_OF(lengths); i++) {
			fill_exact_payload(data, lengths[i], &seed, kind);
			exact_fill(&h, data, lengths[i]);
			expect_same_double(shannon_entropy(data, lengths[i]), exact_value(&h), "shannon_entropy", kind,
					   lengths[i]);
		}
	}
	/* One value throughout, counts past 65,535 included. (Not always
	 * exactly 0: below 64 bytes, n log2 n summed as n terms of log2 n can
	 * round above it, 63 bytes giving 1.8e-15.) */
	memset(data, 0xa5, FRAME_MAX);
	for (uint32_t len = 1; len <= FRAME_MAX; len = len * 2 + 1) {
		exact_fill(&h, data, len);
		expect_same_double(shannon_entropy(data, len), exact_value(&h), "one value", 0, len);
		cr_assert_float_eq(shannon_entropy(data, len), 0.0, 1e-12, "one value, %u bytes", len);
	}
}

/* The TCP payload's histogram grown by the IPv4 and Ethernet headers, bit
 * for bit, payloads from 1 to 130 bytes and across the tables' 2,048. */
Test(decode_entropy, nested_entropy_is_bit_identical_to_the_reference_order)
{
	static struct frame f;
	uint32_t seed = 19;
	for (uint32_t size = 1; size <= 2100; size += size < 130 ? 1 : size < 1990 ? 310 : 7)
		for (int kind = 0; kind < EXACT_KINDS; kind++) {
			f.len = 0;
			put_ethernet(&f, 0x0800);
			put_ipv4(&f, 6, 20 + size);
			uint32_t ip_payload = f.len;
			put_tcp(&f, 1234, 80, 0x18, false, NULL, 0);
			uint32_t tcp_payload = f.len;
			fill_exact_payload(f.b + f.len, size, &seed, kind);
			f.len += size;
			decode(&f);
			expect_ok();
			struct exact_histogram h;
			exact_fill(&h, f.b + tcp_payload, size);
			expect_same_double(((Types__TCP *)record(T_TCP, 0))->payloadentropy, exact_value(&h), "TCP",
					   kind, size);
			exact_add(&h, f.b + ip_payload, tcp_payload - ip_payload);
			expect_same_double(((Types__IPv4 *)record(T_IPV4, 0))->payloadentropy, exact_value(&h), "IPv4",
					   kind, size);
			exact_add(&h, f.b + ETH_HEADER, ip_payload - ETH_HEADER);
			expect_same_double(((Types__Ethernet *)record(T_ETHERNET, 0))->payloadentropy, exact_value(&h),
					   "Ethernet", kind, size);
		}
}
