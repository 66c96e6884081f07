/* flowhash.c: see flowhash.h. The tuple parse, the run's key, the keyed
 * symmetric tuple hash and the NIC's RSS key. */
#include <netinet/ip.h>
#include <string.h>

#include <rte_thash.h>
#include <sodium.h>

#include "decode/cursor.h"
#include "decode/decode.h"
#include "decode/ethertype.h"
#include "decode/ipproto.h"
#include "flow/flowhash.h"

static void read_ports(struct cursor *c, struct flow_tuple *t)
{
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP && t->proto != IPPROTO_SCTP)
		return;
	uint16_t sp = cur_be16(c), dp = cur_be16(c);
	if (cur_ok(c)) {
		t->src_port = sp;
		t->dst_port = dp;
	}
}

/* 802.1Q, 802.1ad and the pre-standard QinQ tag: 4 bytes, the key
 * leaves them out (one conversation seen on two VLANs is one record). */
static bool is_vlan_tag(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

bool flow_tuple_extract(const uint8_t *data, uint32_t len, int link, struct flow_tuple *t)
{
	memset(t, 0, sizeof *t);
	struct cursor c = cur_make(data, len);
	uint16_t type;
	if (link == LINK_ETHERNET) {
		cur_copy(&c, t->dst_mac, 6);
		cur_copy(&c, t->src_mac, 6);
		type = cur_be16(&c);
		if (!cur_ok(&c))
			return false;
		t->has_mac = true;
		for (int vlans = 0; vlans < 4 && is_vlan_tag(type); vlans++) {
			cur_skip(&c, 2);
			type = cur_be16(&c);
		}
	} else if (link == LINK_RAW || link == LINK_RAW_ALT) {
		type = (cur_peek_u8(&c, 0) >> 4) == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
	} else if (link == LINK_IPV4) {
		type = ETHERTYPE_IPV4;
	} else if (link == LINK_IPV6) {
		type = ETHERTYPE_IPV6;
	} else {
		return false;
	}
	if (!cur_ok(&c))
		return t->has_mac;
	if (type == ETHERTYPE_IPV4) {
		struct cursor ip = c;
		uint8_t vihl = cur_u8(&ip);
		cur_skip(&ip, 5);
		uint16_t frag = cur_be16(&ip);
		cur_skip(&ip, 1);
		uint8_t proto = cur_u8(&ip);
		cur_skip(&ip, 2);
		uint8_t src[4], dst[4];
		cur_copy(&ip, src, 4);
		cur_copy(&ip, dst, 4);
		if (!cur_ok(&ip) || (vihl >> 4) != 4)
			return t->has_mac;
		t->version = 4;
		t->proto = proto;
		memcpy(t->src, src, 4);
		memcpy(t->dst, dst, 4);
		/* Fragments, first included, go by addresses only. */
		if (!(frag & (IP_MF | IP_OFFMASK)) && (vihl & 15) >= 5 && cur_skip(&ip, (uint32_t)((vihl & 15) * 4) - 20))
			read_ports(&ip, t);
		return true;
	}
	if (type == ETHERTYPE_IPV6) {
		struct cursor ip = c;
		uint8_t v = cur_u8(&ip);
		cur_skip(&ip, 5);
		uint8_t next = cur_u8(&ip);
		cur_skip(&ip, 1);
		uint8_t src[16], dst[16];
		cur_copy(&ip, src, 16);
		cur_copy(&ip, dst, 16);
		if (!cur_ok(&ip) || (v >> 4) != 6)
			return t->has_mac;
		t->version = 6;
		t->proto = next;
		memcpy(t->src, src, 16);
		memcpy(t->dst, dst, 16);
		/* Hop-by-hop, routing, destination options and AH headers lead
		 * to the transport; behind a fragment header, as for IPv4
		 * fragments, addresses only. */
		for (int ext = 0; ext < 8; ext++) {
			if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
			    next != IPPROTO_AH && next != IPPROTO_FRAGMENT)
				break;
			struct cursor h = ip;
			uint8_t after = cur_u8(&h), hlen = cur_u8(&h);
			if (!cur_ok(&h))
				return true;
			t->proto = after;
			if (next == IPPROTO_FRAGMENT)
				return true;
			/* AH counts its length in 4-byte words less 2 (RFC 4302),
			 * the others in 8-byte units less 1 (RFC 8200). */
			if (!cur_skip(&ip, next == IPPROTO_AH ? (uint32_t)(hlen + 2) * 4 : (uint32_t)(hlen + 1) * 8))
				return true;
			next = after;
		}
		read_ports(&ip, t);
		return true;
	}
	return t->has_mac;
}

/* ---- the key ------------------------------------------------------------ */

struct flow_hash_keys flow_hash_keys;

/* One derived word: SipHash-2-4, under the run's key, of a label, the use
 * and the half. Uses get independent keys, so no two hashes (the tuple's,
 * an aggregate family's) can be made to collide together. */
static uint64_t derive(const struct sip_key *run, uint8_t use, uint8_t half)
{
	uint8_t label[17] = "netcap-flow-key";
	label[15] = use;
	label[16] = half;
	return flow_siphash24(run, label, sizeof label);
}

int flow_hash_init(const uint8_t *key)
{
	uint8_t drawn[FLOW_HASH_KEY_LEN];
	if (!key) {
		if (sodium_init() < 0)
			return -1;
		randombytes_buf(drawn, sizeof drawn);
		key = drawn;
	}
	struct sip_key run = { sip_le64(key), sip_le64(key + 8) };
	struct flow_hash_keys k;
	for (unsigned d = 0; d < FLOW_HASH_DOMAINS; d++) {
		k.sip[d].k0 = derive(&run, (uint8_t)d, 0);
		k.sip[d].k1 = derive(&run, (uint8_t)d, 1);
	}
	k.reply = derive(&run, 0xff, 0);
	flow_hash_keys = k;
	sodium_memzero(drawn, sizeof drawn);
	sodium_memzero(&run, sizeof run);
	return 0;
}

/* Before main(): a program that never calls flow_hash_init() still hashes
 * under a secret key. (Should libsodium fail here, the key stays zero; the
 * engine's own flow_hash_init(NULL) then fails and says so.) */
__attribute__((constructor)) static void flow_hash_default_key(void)
{
	(void)flow_hash_init(NULL);
}

/* ---- the tuple hash ------------------------------------------------------- */

/* The message hashed is exactly what the Connection key holds (flows.c,
 * endpoint_key), so equal keys always hash alike: the lower endpoint's
 * address, the higher's, their ports (little-endian), the protocol (IP
 * only), the version, which also tells the layouts apart:
 *
 *   IPv4  a(4) b(4) pa pb proto 4        14 bytes, 2 SipHash blocks
 *   IPv6  a(16) b(16) pa pb proto 6      38 bytes, 5 blocks
 *   MACs  a(6) b(6) pa pb 0 0            18 bytes, 3 blocks
 *
 * built in registers (the words of that byte string), not in memory:
 * tests/unit/test_flowhash.c checks it against flow_siphash13 of the
 * bytes. */
uint64_t flow_tuple_hash(const struct flow_tuple *t)
{
	const struct sip_key *k = &flow_hash_keys.sip[FLOW_HASH_TUPLE];
	if (t->version == 4) { /* the common case first */
		/* Words chosen by value, not addresses by pointer: each address
		 * is then one load. */
		uint64_t s = sip_le32(t->src), d = sip_le32(t->dst);
		uint64_t sp = t->src_port, dp = t->dst_port;
		bool src_lower = flow_tuple_src_is_lower(t);
		uint64_t w = src_lower ? s | d << 32 : d | s << 32;
		uint64_t ports = src_lower ? sp | dp << 16 : dp | sp << 16;
		return flow_siphash13_words(k, &w, 14, ports | (uint64_t)t->proto << 32 | (uint64_t)4 << 40);
	}
	if (!t->version && !t->has_mac)
		return 0;
	bool src_lower = flow_tuple_src_is_lower(t);
	uint64_t pa = src_lower ? t->src_port : t->dst_port, pb = src_lower ? t->dst_port : t->src_port;
	uint64_t ports = pa | pb << 16;
	if (t->version) { /* 6 (flow_tuple_extract makes no other) */
		const uint8_t *a = src_lower ? t->src : t->dst, *b = src_lower ? t->dst : t->src;
		uint64_t w[4];
		memcpy(w, a, 16);
		memcpy(w + 2, b, 16);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		for (int i = 0; i < 4; i++)
			w[i] = __builtin_bswap64(w[i]);
#endif
		return flow_siphash13_words(k, w, 38, ports | (uint64_t)t->proto << 32 | (uint64_t)t->version << 40);
	}
	const uint8_t *a = src_lower ? t->src_mac : t->dst_mac, *b = src_lower ? t->dst_mac : t->src_mac;
	uint64_t w[2] = {
		sip_le32(a) | (uint64_t)a[4] << 32 | (uint64_t)a[5] << 40 | (uint64_t)b[0] << 48 | (uint64_t)b[1] << 56,
		sip_le32(b + 2) | ports << 32,
	};
	return flow_siphash13_words(k, w, 18, 0);
}

uint64_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link)
{
	struct flow_tuple t;
	if (!flow_tuple_extract(data, len, link, &t))
		return 0;
	return flow_tuple_hash(&t);
}

/* ---- NIC RSS -------------------------------------------------------------- */

const uint8_t flow_symmetric_rss_key[FLOW_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

void flow_rss_key_from_pattern(uint16_t pattern, uint8_t key[FLOW_RSS_KEY_LEN])
{
	for (unsigned i = 0; i < FLOW_RSS_KEY_LEN; i += 2) {
		key[i] = (uint8_t)(pattern >> 8);
		key[i + 1] = (uint8_t)pattern;
	}
}

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Toeplitz over a key of period 16 bits: the input bit at position p
 * meets the 32 key bits from p on, which depend on p mod 16 only. So the
 * hash is a linear map of the XOR of the input's 16-bit words (the fold),
 * and its low bits, which index the NIC's redirection table (RETA), take
 * every value equally often over uniform folds exactly when that map has
 * full rank: for 16 consecutive output bits, when the pattern's popcount is
 * odd (its polynomial is then prime to x^16 + 1 = (x + 1)^16 over GF(2)).
 * The spread check below measures it on tuples all the same. */
bool flow_rss_pattern_ok(uint16_t pattern)
{
	uint8_t hi = (uint8_t)(pattern >> 8), lo = (uint8_t)pattern;
	if (hi == 0 || lo == 0 || hi == 0xff || lo == 0xff)
		return false;
	int pop = __builtin_popcount(pattern);
	if (pop < 5 || pop > 11 || !(pop & 1))
		return false;
	/* rte_softrss reads the key as 32-bit words. */
	uint8_t key[FLOW_RSS_KEY_LEN] __attribute__((aligned(4)));
	flow_rss_key_from_pattern(pattern, key);
	/* 4096 fixed tuples, half IPv4, half IPv6, into a 128-entry RETA
	 * filled round robin (what DPDK's drivers set by default) for 2, 3,
	 * 4, 8 and 16 queues: every queue within 25% of its share (16 queues:
	 * 256 tuples each, 4 standard deviations). */
	enum { TUPLES = 4096, RETA = 128 };
	static const unsigned queues[] = { 2, 3, 4, 8, 16 };
	unsigned count[sizeof queues / sizeof *queues][16];
	memset(count, 0, sizeof count);
	uint32_t s = 0x6d5a56da;
	for (unsigned i = 0; i < TUPLES; i++) {
		uint32_t in[9];
		unsigned words = i & 1 ? 4 : 1;
		for (unsigned w = 0; w <= 2 * words; w++)
			in[w] = xorshift32(&s);
		unsigned entry = rte_softrss(in, 2 * words + 1, key) % RETA;
		for (unsigned q = 0; q < sizeof queues / sizeof *queues; q++)
			count[q][entry % queues[q]]++;
	}
	for (unsigned q = 0; q < sizeof queues / sizeof *queues; q++) {
		unsigned n = queues[q];
		for (unsigned k = 0; k < n; k++) {
			/* RETA entries of queue k: k, k + n, ... below RETA */
			double share = (double)((RETA - 1 - k) / n + 1) / RETA * TUPLES;
			if (count[q][k] < 0.75 * share || count[q][k] > 1.25 * share)
				return false;
		}
	}
	return true;
}

uint16_t flow_rss_key_random(uint8_t key[FLOW_RSS_KEY_LEN])
{
	if (sodium_init() < 0)
		return 0;
	uint16_t pattern;
	do
		randombytes_buf(&pattern, sizeof pattern);
	while (!flow_rss_pattern_ok(pattern));
	flow_rss_key_from_pattern(pattern, key);
	return pattern;
}
