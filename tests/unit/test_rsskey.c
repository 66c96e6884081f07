/* test_rsskey.c: the RSS keys netcap gives NICs (lib/flow/flowhash.c) make
 * the Toeplitz hash symmetric: a packet and its reply (addresses and ports
 * swapped) land in the same RX queue, so each connection stays on one
 * worker. No NIC is needed: DPDK's software Toeplitz (rte_softrss) computes
 * what the NIC computes over the same input (RSS over IPv4/IPv6 addresses
 * and TCP/UDP ports, in that order).
 *
 * Keys: the old public one (flow_symmetric_rss_key, 0x6d5a repeated) and
 * random per-run ones (flow_rss_key_random): symmetric, spread over queues
 * through a round-robin redirection table, and refused when weak. The
 * limits are tested too, as documentation: a 16-bit-periodic key hashes a
 * linear function of the tuple's 16-bit XOR fold, so tuples of equal fold
 * collide under every key (docs/flows.md, "RSS key").
 *
 * So that the test can fail: a usual asymmetric key (the one in Microsoft's
 * RSS specification) must give different hashes for most pairs, and the
 * symmetric keys' hashes must vary across connections. */
#include <criterion/criterion.h>
#include <rte_thash.h>

#include "flow/flowhash.h"

static const uint8_t asymmetric_key[40] __attribute__((aligned(4))) = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The RSS input of a tuple, as rte_thash_load_v4/v6_addrs lays it out:
 * source address, destination address, then source port << 16 | destination port. */
static uint32_t hash_tuple(const uint8_t *key, const uint32_t *src, const uint32_t *dst, unsigned words,
			   uint16_t sport, uint16_t dport)
{
	uint32_t input[9];
	memcpy(input, src, words * 4);
	memcpy(input + words, dst, words * 4);
	input[2 * words] = (uint32_t)sport << 16 | dport;
	return rte_softrss(input, 2 * words + 1, key);
}

/* 10000 random tuples: every one hashes like its reply under key; the
 * hashes vary; through a 128-entry redirection table filled round robin
 * (DPDK's default) every one of `queues` queues gets 10000 / queues within
 * 20% (16 queues: 625 each, 6 standard deviations). */
static void check(const uint8_t *key, unsigned words, uint32_t seed, unsigned queues)
{
	unsigned asym_equal = 0, distinct = 0, load[16] = { 0 };
	uint32_t previous = 0;
	for (int i = 0; i < 10000; i++) {
		uint32_t a[4], b[4];
		for (unsigned w = 0; w < words; w++)
			a[w] = next(&seed), b[w] = next(&seed);
		uint16_t pa = (uint16_t)next(&seed), pb = (uint16_t)next(&seed);
		uint32_t forward = hash_tuple(key, a, b, words, pa, pb);
		uint32_t reply = hash_tuple(key, b, a, words, pb, pa);
		cr_assert_eq(forward, reply, "tuple %d (%u-word addresses): %08x vs reply %08x", i, words, forward, reply);
		distinct += forward != previous;
		previous = forward;
		load[(forward % 128) % queues]++;
		asym_equal += hash_tuple(asymmetric_key, a, b, words, pa, pb) ==
			      hash_tuple(asymmetric_key, b, a, words, pb, pa);
	}
	cr_assert_gt(distinct, 9900, "the symmetric key's hashes barely vary: %u of 10000", distinct);
	cr_assert_lt(asym_equal, 100, "an asymmetric key looked symmetric for %u of 10000 tuples", asym_equal);
	for (unsigned q = 0; q < queues; q++) {
		double share = (double)((127 - q) / queues + 1) / 128 * 10000;
		cr_expect(load[q] > 0.8 * share && load[q] < 1.2 * share, "queue %u of %u: %u tuples, %.0f expected",
			  q, queues, load[q], share);
	}
}

Test(rss_key, ipv4_tcp_udp_both_directions_hash_alike)
{
	check(flow_symmetric_rss_key, 1, 2463534242u, 4);
}

Test(rss_key, ipv6_tcp_udp_both_directions_hash_alike)
{
	check(flow_symmetric_rss_key, 4, 2463534246u, 4);
}

/* Eight random keys: symmetric for IPv4 and IPv6, spread over 4 and 16
 * queues, not all the same, each acceptable by the key's own rule. */
Test(rss_key, random_keys_symmetric_and_spread)
{
	uint16_t first = 0;
	bool differ = false;
	for (int k = 0; k < 8; k++) {
		uint8_t key[FLOW_RSS_KEY_LEN] __attribute__((aligned(4)));
		uint16_t pattern = flow_rss_key_random(key);
		cr_assert_neq(pattern, 0, "libsodium failed");
		cr_assert(flow_rss_pattern_ok(pattern));
		for (unsigned i = 0; i < FLOW_RSS_KEY_LEN; i += 2)
			cr_assert(key[i] == pattern >> 8 && key[i + 1] == (pattern & 0xff), "key byte %u", i);
		if (k == 0)
			first = pattern;
		differ |= pattern != first;
		check(key, 1, 1000u + (uint32_t)k, 4);
		check(key, 4, 2000u + (uint32_t)k, 4);
		check(key, 1, 3000u + (uint32_t)k, 16);
		check(key, 4, 4000u + (uint32_t)k, 16);
	}
	cr_expect(differ, "eight random keys, all %04x", first);
}

/* What the acceptance rule refuses and takes. */
Test(rss_key, weak_patterns_refused)
{
	cr_expect(!flow_rss_pattern_ok(0x0000));
	cr_expect(!flow_rss_pattern_ok(0x00b7), "a zero byte");
	cr_expect(!flow_rss_pattern_ok(0xff01), "a 0xff byte");
	cr_expect(!flow_rss_pattern_ok(0x0101), "popcount 2");
	cr_expect(!flow_rss_pattern_ok(0x7ff7), "popcount 14");
	cr_expect(!flow_rss_pattern_ok(0x6d6d), "popcount 10, even");
	cr_expect(flow_rss_pattern_ok(0x6d5a), "the old default (popcount 9) is not weak, only public");
	unsigned ok = 0;
	for (unsigned p = 0; p < 65536; p += 97)
		ok += flow_rss_pattern_ok((uint16_t)p);
	cr_expect(ok > 676 * 3 / 10, "only %u of 676 patterns acceptable: random keys would take long", ok);
}

/* GF(2) rank of n vectors of 16 bits. */
static unsigned rank16(uint16_t *v, unsigned n)
{
	unsigned rank = 0;
	for (int bit = 15; bit >= 0; bit--) {
		unsigned pivot = rank;
		while (pivot < n && !(v[pivot] >> bit & 1))
			pivot++;
		if (pivot == n)
			continue;
		uint16_t t = v[pivot];
		v[pivot] = v[rank];
		v[rank] = t;
		for (unsigned i = 0; i < n; i++)
			if (i != rank && (v[i] >> bit & 1))
				v[i] ^= v[rank];
		rank++;
	}
	return rank;
}

/* The reason for the odd-popcount rule (flowhash.c): the low 16 bits of
 * the hash are a linear map of the 16-bit fold, of full rank exactly when
 * the pattern's popcount is odd. Every pattern, through rte_softrss. */
Test(rss_key, odd_popcount_is_full_rank)
{
	uint8_t key[FLOW_RSS_KEY_LEN] __attribute__((aligned(4)));
	for (uint32_t p = 1; p < 65536; p++) {
		flow_rss_key_from_pattern((uint16_t)p, key);
		uint16_t image[16];
		for (unsigned bit = 0; bit < 16; bit++) {
			uint32_t input = 1u << (31 - bit);   /* fold bit `bit` */
			image[bit] = (uint16_t)rte_softrss(&input, 1, key);
		}
		bool full = rank16(image, 16) == 16;
		cr_assert_eq(full, (__builtin_popcount(p) & 1) == 1, "pattern %04x: rank %s", p, full ? "full" : "short");
	}
}

/* The limit, as documentation: tuples whose 16-bit words XOR to the same
 * value hash alike under every periodic key, so a sender can put any
 * number of flows in one queue without knowing the key (source port p,
 * destination port p ^ c). The random key only hides which queue. */
Test(rss_key, equal_fold_collides_under_every_key)
{
	for (int k = 0; k < 4; k++) {
		uint8_t key[FLOW_RSS_KEY_LEN] __attribute__((aligned(4)));
		cr_assert_neq(flow_rss_key_random(key), 0);
		uint32_t src = 0xc0a80001, dst = 0x0a000002;
		uint32_t h0 = hash_tuple(key, &src, &dst, 1, 1000, 1000 ^ 0x1234);
		for (uint16_t p = 1001; p < 1100; p++)
			cr_expect_eq(hash_tuple(key, &src, &dst, 1, p, p ^ 0x1234), h0);
	}
}
