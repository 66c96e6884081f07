/* siphash.h: SipHash-c-d (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012), inline, for the flow tables' keyed hashes.
 *
 * Why SipHash: the flow tables and the dispatcher hash what the network
 * sends, so an unkeyed hash (CRC32-C is linear over GF(2)) lets a sender
 * solve for keys that all land in one slot or on one worker. SipHash with a
 * secret 128-bit key is a PRF: without the key, colliding inputs cannot be
 * chosen better than at random.
 *
 * Why inline and why 1-3: the per-packet keys are 13 to 41 bytes and there
 * are up to four of them per packet (one tuple, three aggregates), so the
 * call and the generic byte loop of libsodium's crypto_shorthash
 * (SipHash-2-4) would be paid four times per packet. SipHash-1-3 (one
 * compression round per 8 bytes, three finalisation rounds) is what Rust's
 * HashMap, Python 3.11+ and Linux's hsiphash use for hash tables: hash
 * flooding only needs the attacker not to predict collisions, not a full
 * strength MAC. flow_siphash24 is the standard SipHash-2-4, kept for
 * deriving keys and as the cross-check against libsodium in the unit tests.
 *
 * The functions compute SipHash over the little-endian byte string exactly
 * as the reference (github.com/veorq/SipHash, siphash.c with cROUNDS and
 * dROUNDS); tests/unit/test_flowhash.c checks the reference vectors of both
 * variants. */
#ifndef FLOW_SIPHASH_H
#define FLOW_SIPHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sip_key {
	uint64_t k0, k1;
};

static inline uint64_t sip_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* A message's bytes as a little-endian word, for callers that build the
 * message in registers (flow_siphash13_words). Byte by byte, which
 * compiles to one load on little-endian hosts. */
static inline uint64_t sip_le32(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

static inline uint64_t sip_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

#define SIP_ROUND(v0, v1, v2, v3)                                                \
	do {                                                                     \
		v0 += v1; v1 = sip_rotl(v1, 13); v1 ^= v0; v0 = sip_rotl(v0, 32); \
		v2 += v3; v3 = sip_rotl(v3, 16); v3 ^= v2;                        \
		v0 += v3; v3 = sip_rotl(v3, 21); v3 ^= v0;                        \
		v2 += v1; v1 = sip_rotl(v1, 17); v1 ^= v2; v2 = sip_rotl(v2, 32); \
	} while (0)

/* c compression rounds per 8-byte block, d finalisation rounds; both are
 * constants at every call site, so the loops unroll. */
static inline __attribute__((always_inline)) uint64_t
sip_hash(const struct sip_key *k, const void *data, size_t len, int c, int d)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k->k1;
	const uint8_t *end = p + (len & ~(size_t)7);
	for (; p != end; p += 8) {
		uint64_t m = sip_le64(p);
		v3 ^= m;
		for (int i = 0; i < c; i++)
			SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* The last block: the 0 to 7 remaining bytes, the length in the top
	 * byte. A message of 8 bytes or more has them at the top of the 8
	 * bytes that end it: one load instead of one per byte. */
	uint64_t b = (uint64_t)len << 56;
	if (len >= 8 && (len & 7))
		b |= sip_le64(p + (len & 7) - 8) >> (64 - 8 * (len & 7));
	else switch (len & 7) {
	case 7: b |= (uint64_t)p[6] << 48; /* fall through */
	case 6: b |= (uint64_t)p[5] << 40; /* fall through */
	case 5: b |= (uint64_t)p[4] << 32; /* fall through */
	case 4: b |= (uint64_t)p[3] << 24; /* fall through */
	case 3: b |= (uint64_t)p[2] << 16; /* fall through */
	case 2: b |= (uint64_t)p[1] << 8;  /* fall through */
	case 1: b |= (uint64_t)p[0];       /* fall through */
	default: break;
	}
	v3 ^= b;
	for (int i = 0; i < c; i++)
		SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int i = 0; i < d; i++)
		SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-1-3 of a message of len bytes given as words: the (len / 8)
 * full little-endian words w[], then `last` holding the 0 to 7 remaining
 * bytes (little-endian, upper bytes zero). The same value as
 * flow_siphash13 over those bytes, for callers that build their message
 * in registers instead of memory (the tuple and aggregate hashes). */
static inline __attribute__((always_inline)) uint64_t
flow_siphash13_words(const struct sip_key *k, const uint64_t *w, size_t len, uint64_t last)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k->k1;
	for (size_t i = 0; i < len / 8; i++) {
		v3 ^= w[i];
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= w[i];
	}
	uint64_t b = (uint64_t)len << 56 | last;
	v3 ^= b;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline __attribute__((always_inline)) uint64_t
flow_siphash13(const struct sip_key *k, const void *data, size_t len)
{
	return sip_hash(k, data, len, 1, 3);
}

static inline uint64_t flow_siphash24(const struct sip_key *k, const void *data, size_t len)
{
	return sip_hash(k, data, len, 2, 4);
}

#endif
