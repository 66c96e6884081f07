/* test_rsskey.c: the RSS key netcap gives NICs (flow_symmetric_rss_key,
 * lib/flow/flowhash.c) makes the Toeplitz hash symmetric: a packet and its
 * reply (addresses and ports swapped) land in the same RX queue, so each
 * connection stays on one worker. No NIC is needed: DPDK's software
 * Toeplitz (rte_softrss) computes what the NIC computes over the same input
 * (RSS over IPv4/IPv6 addresses and TCP/UDP ports, in that order).
 *
 * So that the test can fail: a usual asymmetric key (the one in Microsoft's
 * RSS specification) must give different hashes for most pairs, and the
 * symmetric key's hashes must vary across connections. */
#include <criterion/criterion.h>
#include <rte_thash.h>

#include "flow/flowhash.h"

static const uint8_t asymmetric_key[40] = {
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

static void check(unsigned words)
{
	uint32_t seed = 2463534242u + words;
	unsigned asym_equal = 0, distinct = 0;
	uint32_t previous = 0;
	for (int i = 0; i < 10000; i++) {
		uint32_t a[4], b[4];
		for (unsigned w = 0; w < words; w++)
			a[w] = next(&seed), b[w] = next(&seed);
		uint16_t pa = (uint16_t)next(&seed), pb = (uint16_t)next(&seed);
		uint32_t forward = hash_tuple(flow_symmetric_rss_key, a, b, words, pa, pb);
		uint32_t reply = hash_tuple(flow_symmetric_rss_key, b, a, words, pb, pa);
		cr_assert_eq(forward, reply, "tuple %d (%u-word addresses): %08x vs reply %08x", i, words, forward, reply);
		distinct += forward != previous;
		previous = forward;
		asym_equal += hash_tuple(asymmetric_key, a, b, words, pa, pb) ==
			      hash_tuple(asymmetric_key, b, a, words, pb, pa);
	}
	cr_assert_gt(distinct, 9900, "the symmetric key's hashes barely vary: %u of 10000", distinct);
	cr_assert_lt(asym_equal, 100, "an asymmetric key looked symmetric for %u of 10000 tuples", asym_equal);
}

Test(rss_key, ipv4_tcp_udp_both_directions_hash_alike)
{
	check(1);
}

Test(rss_key, ipv6_tcp_udp_both_directions_hash_alike)
{
	check(4);
}
