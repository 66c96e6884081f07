/* test_decode_entropy.c: the PayloadEntropy fields (lib/decode/entropy.c):
 * the fast paths (short ranges, c log2 c tables, one histogram grown from
 * the innermost payload outwards) against the textbook formula, for every
 * layer and for frames of up to 262,144 bytes, and entropy turned off.
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
