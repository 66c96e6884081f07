/* test_flowhash.c: flow_hash_symmetric (lib/flow) gives both directions of
 * a connection the same hash, so the dispatcher sends them to one worker;
 * the hash is keyed (SipHash, lib/flow/siphash.h, checked against the
 * reference vectors and libsodium) and depends on the key.
 *
 * For every packet of a few corpus captures (Ethernet with and without VLAN
 * tags and QinQ, IPv4 and IPv6, fragments, IP in IP, raw IP links, ARP and
 * other non-IP frames), the mirrored packet is built in a copy: MACs, IP
 * addresses and transport ports swapped, each where the protocol puts them
 * (worked out here from the headers, independently of flowhash.c). Its
 * hash must equal the original's. The hashes must also vary, so that a
 * function returning a constant cannot pass.
 *
 * Tunnels (docs/flows.md, "Tunnels"): frames of every kind the tuple parse
 * follows, built here, give the inner tuple and the documented tunnel id,
 * the same hash both ways, different hashes for two tenants; no cut or
 * garbage makes the parse read past a frame (the frame ends at an
 * unmapped page); the depth cap; fragments inside tunnels.
 *
 * The corpus is $NETCAP_CORPUS, else ../shared/corpus from the current
 * directory (tests run from the repository root); without it the tests
 * skip. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode/decode.h"
#include "decode/ethertype.h"
#include "decode/ipproto.h"
#include "flow/flowhash.h"

static const char *corpus_dir(void)
{
	const char *env = getenv("NETCAP_CORPUS");
	return env && *env ? env : "../shared/corpus";
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];
	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Swaps the ports at p when the transport header has them and is there. */
static void mirror_ports(uint8_t *p, const uint8_t *end, uint8_t proto)
{
	if ((proto == 6 || proto == 17 || proto == 132) && end - p >= 4)
		swap_bytes(p, p + 2, 2);
}

/* Mirrors an IP packet at p (up to end) in place; returns true when it
 * was IP. */
static bool mirror_ip(uint8_t *p, const uint8_t *end, int version)
{
	if (version == 4) {
		if (end - p < 20)
			return false;
		unsigned ihl = (p[0] & 15) * 4u;
		uint16_t frag = be16(p + 6);
		swap_bytes(p + 12, p + 16, 4);
		/* A transport header only starts a packet or a first fragment. */
		if ((frag & 0x1fff) == 0 && ihl >= 20 && (size_t)(end - p) >= ihl)
			mirror_ports(p + ihl, end, p[9]);
		return true;
	}
	if (version == 6) {
		if (end - p < 40)
			return false;
		swap_bytes(p + 8, p + 24, 16);
		mirror_ports(p + 40, end, p[6]);
		return true;
	}
	return false;
}

/* Builds the mirror of data (link type link) in out; returns true when the
 * packet had something to mirror. */
static bool mirror(uint8_t *out, const uint8_t *data, uint32_t len, int link)
{
	memcpy(out, data, len);
	const uint8_t *end = out + len;
	if (link == LINK_ETHERNET) {
		if (len < 14)
			return false;
		swap_bytes(out, out + 6, 6);
		uint8_t *p = out + 12;
		uint16_t type = be16(p);
		p += 2;
		for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 4; tags++) {
			if (end - p < 4)
				return true;
			type = be16(p + 2);
			p += 4;
		}
		if (type == 0x0800)
			mirror_ip(p, end, 4);
		else if (type == 0x86dd)
			mirror_ip(p, end, 6);
		return true;
	}
	if (link == LINK_RAW || link == LINK_RAW_ALT)
		return len > 0 && mirror_ip(out, end, out[0] >> 4);
	return false;
}

struct result {
	unsigned packets, mirrored, differing_copies, distinct;
	unsigned asymmetric, first_bad;   /* mirrors hashing differently */
	uint64_t first_h, first_hm;
};

#define MAX_DISTINCT 4096

static struct result check_file(const char *rel)
{
	struct result r = { 0 };
	char path[1024], err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/%s", corpus_dir(), rel);
	pcap_t *p = pcap_open_offline(path, err);
	cr_assert_not_null(p, "%s: %s", path, err);
	int link = pcap_datalink(p);
	static uint8_t copy[262144];
	static uint64_t seen[MAX_DISTINCT];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	while (pcap_next_ex(p, &hdr, &data) == 1) {
		r.packets++;
		uint32_t len = hdr->caplen < sizeof copy ? hdr->caplen : (uint32_t)sizeof copy;
		uint64_t h = flow_hash_symmetric(data, len, link);
		if (!mirror(copy, data, len, link))
			continue;
		r.mirrored++;
		r.differing_copies += memcmp(copy, data, len) != 0;
		uint64_t hm = flow_hash_symmetric(copy, len, link);
		if (h != hm && r.asymmetric++ == 0) {
			r.first_bad = r.packets;
			r.first_h = h;
			r.first_hm = hm;
		}
		bool known = false;
		for (unsigned i = 0; i < r.distinct && !known; i++)
			known = seen[i] == h;
		if (!known && r.distinct < MAX_DISTINCT)
			seen[r.distinct++] = h;
	}
	pcap_close(p);
	return r;
}

static void need_corpus(void)
{
	char path[1024];
	struct stat st;
	snprintf(path, sizeof path, "%s/ndpi", corpus_dir());
	if (stat(path, &st) != 0)
		cr_skip_test("corpus %s absent (set NETCAP_CORPUS)", path);
}

TestSuite(flowhash);

/* file, the least number of distinct hashes (flows) expected */
static const struct {
	const char *file;
	unsigned min_distinct;
} files[] = {
	{ "ndpi/1kxun.pcap", 50 },                 /* IPv4, IPv6, TCP, UDP, many flows */
	{ "ndpi/http_ipv6.pcap", 5 },              /* IPv6 TCP and UDP */
	{ "ndpi/ip_fragmented_garbage.pcap", 1 },  /* IPv4 fragments, one address pair */
	{ "ndpi/ipv6_in_gtp.pcap", 1 },            /* two stacked 802.1Q tags */
	{ "ndpi/tls_invalid_reads.pcap", 2 },      /* stacked tags, GTP */
	{ "ndpi/4in6tunnel.pcap", 1 },             /* IPv4 in IPv6 */
	{ "ndpi/6in6tunnel.pcap", 1 },             /* IPv6 in IPv6 */
	{ "ndpi/ocs.pcap", 10 },                   /* raw IP link */
	{ "ndpi/synscan.pcap", 50 },               /* one packet per port */
	{ "tcpdump/QinQpacket.pcap", 2 },          /* 802.1ad tags, ARP */
	{ "tcpdump/rpvstp-trunk-native-vid5.pcap", 1 }, /* 802.3 frames, STP */
};

static void check_files(void)
{
	unsigned total = 0, checked_files = 0;
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[1024];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", corpus_dir(), files[i].file);
		if (stat(path, &st) != 0) {
			cr_log_warn("%s absent from the corpus", path);
			continue;
		}
		struct result r = check_file(files[i].file);
		cr_expect_eq(r.asymmetric, 0, "%s: %u of %u mirrored packets hash differently, the first packet %u "
			     "(hash %016llx, mirrored %016llx)", files[i].file, r.asymmetric, r.mirrored, r.first_bad,
			     (unsigned long long)r.first_h, (unsigned long long)r.first_hm);
		cr_expect_gt(r.mirrored, 0, "%s: no packet mirrored", files[i].file);
		cr_expect_gt(r.differing_copies, 0, "%s: mirroring changed no packet", files[i].file);
		cr_expect_geq(r.distinct, files[i].min_distinct, "%s: only %u distinct hashes over %u packets",
			      files[i].file, r.distinct, r.packets);
		total += r.mirrored;
		checked_files++;
	}
	cr_assert_geq(checked_files, 8, "too few corpus files found under %s", corpus_dir());
	cr_assert_gt(total, 10000, "only %u packets mirrored", total);
}

/* Under the random key set before main(), then under a fixed one. */
Test(flowhash, mirrored_packets_hash_alike)
{
	need_corpus();
	check_files();
	static const uint8_t fixed[FLOW_HASH_KEY_LEN] = "mirrored-packet";
	cr_assert_eq(flow_hash_init(fixed), 0);
	check_files();
}

/* The mirror really changes packets (or the test above proves nothing),
 * and the hash is not blind to what it should see: a different port or
 * address gives a different hash for a plain TCP packet. */
Test(flowhash, sensitive_to_endpoints)
{
	uint8_t pkt[54] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,             /* Ethernet */
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,                   /* IPv4, TCP */
		10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	uint8_t m[sizeof pkt];
	cr_assert(mirror(m, pkt, sizeof pkt, LINK_ETHERNET));
	cr_assert_neq(memcmp(m, pkt, sizeof pkt), 0);
	cr_assert_eq(m[26], 10);
	cr_assert_eq(m[29], 2, "source address not swapped");
	cr_assert_eq(be16(m + 34), 80, "source port not swapped");
	uint64_t h = flow_hash_symmetric(pkt, sizeof pkt, LINK_ETHERNET);
	cr_assert_eq(h, flow_hash_symmetric(m, sizeof m, LINK_ETHERNET));
	uint8_t other[sizeof pkt];
	memcpy(other, pkt, sizeof pkt);
	other[35] = 0x51; /* destination port 81 */
	cr_expect_neq(h, flow_hash_symmetric(other, sizeof other, LINK_ETHERNET), "ports ignored");
	memcpy(other, pkt, sizeof pkt);
	other[33] = 3; /* destination 10.0.0.3 */
	cr_expect_neq(h, flow_hash_symmetric(other, sizeof other, LINK_ETHERNET), "addresses ignored");
}

/* ---- SipHash ------------------------------------------------------------- */

/* The reference vectors: key 00 01 .. 0f, message 00 01 .. (len - 1) for
 * len 0 to 63, as the reference implementation (github.com/veorq/SipHash)
 * prints them and Rust's core::hash tests carry them (there as bytes,
 * here as the little-endian words they are). SipHash-2-4's are those of
 * the paper's appendix (len 15: a129ca6149be45e5). */
static const uint64_t sip13_vectors[64] = {
	0xabac0158050fc4dcULL, 0xc9f49bf37d57ca93ULL, 0x82cb9b024dc7d44dULL,
	0x8bf80ab8e7ddf7fbULL, 0xcf75576088d38328ULL, 0xdef9d52f49533b67ULL,
	0xc50d2b50c59f22a7ULL, 0xd3927d989bb11140ULL, 0x369095118d299a8eULL,
	0x25a48eb36c063de4ULL, 0x79de85ee92ff097fULL, 0x70c118c1f94dc352ULL,
	0x78a384b157b4d9a2ULL, 0x306f760c1229ffa7ULL, 0x605aa111c0f95d34ULL,
	0xd320d86d2a519956ULL, 0xcc4fdd1a7d908b66ULL, 0x9cf2689063dbd80cULL,
	0x8ffc389cb473e63eULL, 0xf21f9de58d297d1cULL, 0xc0dc2f46a6cce040ULL,
	0xb992abfe2b45f844ULL, 0x7ffe7b9ba320872eULL, 0x525a0e7fdae6c123ULL,
	0xf464aeb267349c8cULL, 0x45cd5928705b0979ULL, 0x3a3e35e3ca9913a5ULL,
	0xa91dc74e4ade3b35ULL, 0xfb0bed02ef6cd00dULL, 0x88d93cb44ab1e1f4ULL,
	0x540f11d643c5e663ULL, 0x2370dd1f8c21d1bcULL, 0x81157b6c16a7b60dULL,
	0x4d54b9e57a8ff9bfULL, 0x759f12781f2a753eULL, 0xcea1a3bebf186b91ULL,
	0x2cf508d3ada26206ULL, 0xb6101c2da3c33057ULL, 0xb3f47496ae3a36a1ULL,
	0x626b57547b108392ULL, 0xc1d2363299e41531ULL, 0x667cc1923f1ad944ULL,
	0x65704ffec8138825ULL, 0x24f280d1c28949a6ULL, 0xc2ca1cedfaf8876bULL,
	0xc2164bfc9f042196ULL, 0xa16e9c9368b1d623ULL, 0x49fb169c8b5114fdULL,
	0x9f3143f8df074c46ULL, 0xc6fdaf2412cc86b3ULL, 0x7eaf49d10a52098fULL,
	0x1cf313559d292f9aULL, 0xc44a30dda2f41f12ULL, 0x36fae98943a71ed0ULL,
	0x318fb34c73f0bce6ULL, 0xa27abf3670a7e980ULL, 0xb4bcc0db243c6d75ULL,
	0x23f8d852fdb71513ULL, 0x8f035f4da67d8a08ULL, 0xd89cd0e5b7e8f148ULL,
	0xf6f4e6bcf7a644eeULL, 0xaec59ad80f1837f2ULL, 0xc3b2f6154b6694e0ULL,
	0x9d199062b7bbb3a8ULL,
};

static const uint64_t sip24_vectors[64] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
	0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
	0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
	0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
	0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
	0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
	0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
	0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
	0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
	0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
	0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
	0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
	0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
	0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
	0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
	0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
	0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
	0x958a324ceb064572ULL,
};

static const struct sip_key ref_key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };

Test(flowhash, siphash13_reference_vectors)
{
	uint8_t m[64];
	for (unsigned i = 0; i < 64; i++)
		m[i] = (uint8_t)i;
	for (unsigned len = 0; len < 64; len++)
		cr_expect_eq(flow_siphash13(&ref_key, m, len), sip13_vectors[len], "SipHash-1-3 of %u bytes: %016llx",
			     len, (unsigned long long)flow_siphash13(&ref_key, m, len));
	/* Zero key (the reference with cROUNDS 1, dROUNDS 3, as OCaml's
	 * runtime tests quote it), and a text message. */
	const struct sip_key zero = { 0, 0 };
	cr_expect_eq(flow_siphash13(&zero, m, 0), 0xd1fba762150c532cULL);
	cr_expect_eq(flow_siphash13(&zero, m, 1), 0x68a914128e01e473ULL);
	cr_expect_eq(flow_siphash13(&zero, "siphash", 7), 0x8264ceeccb16bcbeULL);
}

Test(flowhash, siphash24_reference_vectors)
{
	uint8_t m[64];
	for (unsigned i = 0; i < 64; i++)
		m[i] = (uint8_t)i;
	for (unsigned len = 0; len < 64; len++)
		cr_expect_eq(flow_siphash24(&ref_key, m, len), sip24_vectors[len], "SipHash-2-4 of %u bytes: %016llx",
			     len, (unsigned long long)flow_siphash24(&ref_key, m, len));
}

/* libsodium's crypto_shorthash is SipHash-2-4: same output for random keys
 * and messages of every length up to 200 bytes. */
Test(flowhash, siphash24_matches_libsodium)
{
	cr_assert_geq(sodium_init(), 0);
	for (unsigned len = 0; len <= 200; len++) {
		uint8_t key[crypto_shorthash_KEYBYTES], m[200], out[crypto_shorthash_BYTES];
		randombytes_buf(key, sizeof key);
		randombytes_buf(m, len);
		crypto_shorthash(out, m, len, key);
		struct sip_key k = { sip_le64(key), sip_le64(key + 8) };
		cr_assert_eq(flow_siphash24(&k, m, len), sip_le64(out), "length %u", len);
	}
}

/* ---- the key --------------------------------------------------------------- */

static const uint8_t tcp_packet[54] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
};

/* A fixed key gives fixed hashes; another key other hashes; two random
 * keys differ. */
Test(flowhash, hash_depends_on_the_key)
{
	static const uint8_t k1[FLOW_HASH_KEY_LEN] = "0123456789abcde", k2[FLOW_HASH_KEY_LEN] = "0123456789abcdf";
	cr_assert_eq(flow_hash_init(k1), 0);
	uint64_t a = flow_hash_symmetric(tcp_packet, sizeof tcp_packet, LINK_ETHERNET);
	cr_assert_eq(flow_hash_init(k2), 0);
	uint64_t b = flow_hash_symmetric(tcp_packet, sizeof tcp_packet, LINK_ETHERNET);
	cr_assert_eq(flow_hash_init(k1), 0);
	cr_expect_eq(flow_hash_symmetric(tcp_packet, sizeof tcp_packet, LINK_ETHERNET), a, "a fixed key, a fixed hash");
	cr_expect_neq(a, b, "one bit of key changed nothing");
	cr_assert_eq(flow_hash_init(NULL), 0);
	uint64_t r1 = flow_hash_symmetric(tcp_packet, sizeof tcp_packet, LINK_ETHERNET);
	struct flow_hash_keys first = flow_hash_keys;
	cr_assert_eq(flow_hash_init(NULL), 0);
	uint64_t r2 = flow_hash_symmetric(tcp_packet, sizeof tcp_packet, LINK_ETHERNET);
	cr_expect_neq(r1, r2, "two random keys hash alike");
	cr_expect_neq(memcmp(&first, &flow_hash_keys, sizeof first), 0);
	/* Each use has its own key, and the Flow table's reply mask is not
	 * zero where the tables look. */
	for (int d = 0; d < FLOW_HASH_DOMAINS; d++)
		for (int e = d + 1; e < FLOW_HASH_DOMAINS; e++)
			cr_expect(flow_hash_keys.sip[d].k0 != flow_hash_keys.sip[e].k0 ||
				  flow_hash_keys.sip[d].k1 != flow_hash_keys.sip[e].k1);
	cr_expect_neq((uint32_t)flow_hash_reply(r2), (uint32_t)r2);
}

/* The key is set before main(): never the all-zero key. */
Test(flowhash, random_key_before_main)
{
	const struct flow_hash_keys zero = { 0 };
	cr_expect_neq(memcmp(&zero, &flow_hash_keys, sizeof zero), 0);
}

/* The tuple hash is SipHash-1-3, under the tuple key, of the layout
 * flowhash.c documents: lower endpoint's address, higher's, their ports
 * (little-endian), the protocol, the version. */
Test(flowhash, tuple_hash_is_siphash13_of_the_ordered_tuple)
{
	struct flow_tuple t;
	cr_assert(flow_tuple_extract(tcp_packet, sizeof tcp_packet, LINK_ETHERNET, &t));
	const uint8_t m[14] = { 10, 0, 0, 1, 10, 0, 0, 2, 0x39, 0x30, 0x50, 0x00, 6, 4 };
	cr_expect_eq(flow_tuple_hash(&t), flow_siphash13(&flow_hash_keys.sip[FLOW_HASH_TUPLE], m, sizeof m));
	struct flow_tuple r = t;   /* the reply: same hash */
	memcpy(r.src, t.dst, 16), memcpy(r.dst, t.src, 16);
	r.src_port = t.dst_port, r.dst_port = t.src_port;
	cr_expect_eq(flow_tuple_hash(&r), flow_tuple_hash(&t));
	struct flow_tuple none = { 0 };
	cr_expect_eq(flow_tuple_hash(&none), 0);
}

/* The same for IPv6 and MAC-pair tuples (built in registers, not bytes),
 * and IPv4 ordered by ports when the addresses are equal: each side first
 * in turn gives the one message. */
Test(flowhash, tuple_hash_layouts)
{
	const struct sip_key *k = &flow_hash_keys.sip[FLOW_HASH_TUPLE];
	struct flow_tuple t = { .version = 6, .proto = 17, .src_port = 80, .dst_port = 1234 };
	for (int i = 0; i < 16; i++)
		t.src[i] = (uint8_t)(0x20 + i), t.dst[i] = (uint8_t)(0x20 + i);
	t.src[15] = 0x99;             /* src above dst: dst is endpoint a */
	uint8_t m6[38];
	memcpy(m6, t.dst, 16), memcpy(m6 + 16, t.src, 16);
	m6[32] = 1234 & 0xff, m6[33] = 1234 >> 8, m6[34] = 80, m6[35] = 0, m6[36] = 17, m6[37] = 6;
	cr_expect_eq(flow_tuple_hash(&t), flow_siphash13(k, m6, sizeof m6), "IPv6");
	struct flow_tuple r = t;
	memcpy(r.src, t.dst, 16), memcpy(r.dst, t.src, 16);
	r.src_port = t.dst_port, r.dst_port = t.src_port;
	cr_expect_eq(flow_tuple_hash(&r), flow_tuple_hash(&t), "IPv6 reply");

	struct flow_tuple m = { .has_mac = true };
	const uint8_t hi[6] = { 2, 0, 0, 0, 0, 9 }, lo[6] = { 2, 0, 0, 0, 0, 3 };
	memcpy(m.src_mac, hi, 6), memcpy(m.dst_mac, lo, 6);
	uint8_t mm[18] = { 0 };
	memcpy(mm, lo, 6), memcpy(mm + 6, hi, 6);
	cr_expect_eq(flow_tuple_hash(&m), flow_siphash13(k, mm, sizeof mm), "MAC pair");
	memcpy(m.src_mac, lo, 6), memcpy(m.dst_mac, hi, 6);
	cr_expect_eq(flow_tuple_hash(&m), flow_siphash13(k, mm, sizeof mm), "MAC pair, other way");

	struct flow_tuple e = { .version = 4, .proto = 6, .src_port = 9000, .dst_port = 22 };
	memcpy(e.src, (const uint8_t[]){ 192, 168, 1, 1 }, 4), memcpy(e.dst, e.src, 4);
	const uint8_t m4[14] = { 192, 168, 1, 1, 192, 168, 1, 1, 22, 0, 9000 & 0xff, 9000 >> 8, 6, 4 };
	cr_expect_eq(flow_tuple_hash(&e), flow_siphash13(k, m4, sizeof m4), "equal addresses: lower port first");
	e.src_port = 22, e.dst_port = 9000;
	cr_expect_eq(flow_tuple_hash(&e), flow_siphash13(k, m4, sizeof m4));
}

/* The one order the hash and the Connection key share: addresses as
 * big-endian bytes (1.0.0.2 is below 2.0.0.1, though not as little-endian
 * words), then ports, a tie counting as lower. Each tuple and its reply
 * disagree unless they are the same tuple. */
Test(flowhash, src_is_lower_orders_by_address_then_port)
{
	struct flow_tuple t = { .version = 4, .src_port = 9000, .dst_port = 22 };
	memcpy(t.src, (const uint8_t[]){ 1, 0, 0, 2 }, 4), memcpy(t.dst, (const uint8_t[]){ 2, 0, 0, 1 }, 4);
	cr_expect(flow_tuple_src_is_lower(&t), "IPv4 by bytes, not by little-endian word");
	struct flow_tuple r = t;
	memcpy(r.src, t.dst, 16), memcpy(r.dst, t.src, 16);
	r.src_port = t.dst_port, r.dst_port = t.src_port;
	cr_expect_not(flow_tuple_src_is_lower(&r));

	memcpy(t.dst, t.src, 4);
	cr_expect_not(flow_tuple_src_is_lower(&t), "equal addresses: the higher port is not lower");
	t.src_port = 22;
	cr_expect(flow_tuple_src_is_lower(&t), "the same endpoint both ways");

	struct flow_tuple v6 = { .version = 6 };
	v6.src[0] = 0x20, v6.dst[0] = 0x20, v6.src[15] = 1, v6.dst[15] = 2;
	cr_expect(flow_tuple_src_is_lower(&v6), "IPv6");
	v6.src[14] = 1;
	cr_expect_not(flow_tuple_src_is_lower(&v6), "IPv6, earlier byte decides");

	struct flow_tuple mac = { .has_mac = true };
	mac.src_mac[0] = 2, mac.dst_mac[5] = 9;
	cr_expect_not(flow_tuple_src_is_lower(&mac), "MAC pair");
}

Test(flowhash, worker_choice_in_range_and_even)
{
	unsigned count[5] = { 0 };
	for (unsigned i = 0; i < 50000; i++) {
		uint64_t h;
		randombytes_buf(&h, sizeof h);
		unsigned w = flow_hash_worker(h, 5);
		cr_assert_lt(w, 5);
		count[w]++;
	}
	for (unsigned w = 0; w < 5; w++)
		cr_expect(count[w] > 9000 && count[w] < 11000, "worker %u: %u of 50000", w, count[w]);
	cr_expect_eq(flow_hash_worker(UINT64_MAX, 7), 6);
	cr_expect_eq(flow_hash_worker(0, 7), 0);
}

/* ---- tunnels (docs/flows.md, "Tunnels") ------------------------------------ */

/* Frames built layer by layer, outermost first, into a byte buffer. */
struct frame {
	uint8_t b[512];
	uint32_t n;
};

static uint8_t *put(struct frame *f, const void *bytes, uint32_t n)
{
	cr_assert_leq(f->n + n, sizeof f->b);
	uint8_t *p = f->b + f->n;
	if (bytes)
		memcpy(p, bytes, n);
	else
		memset(p, 0, n);
	f->n += n;
	return p;
}

static void put_be16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(f, b, 2);
}

static void put_be32(struct frame *f, uint32_t v)
{
	put_be16(f, (uint16_t)(v >> 16));
	put_be16(f, (uint16_t)v);
}

static void put_eth(struct frame *f, uint8_t dst_last, uint8_t src_last, uint16_t type)
{
	uint8_t m[12] = { 2, 0, 0, 0, 0, dst_last, 2, 0, 0, 0, 0, src_last };
	put(f, m, 12);
	put_be16(f, type);
}

/* An IPv4 header (lengths are not checked by the tuple parse; left 0). */
static void put_ip4(struct frame *f, uint8_t proto, uint32_t src, uint32_t dst, uint16_t frag)
{
	uint8_t *h = put(f, NULL, 20);
	h[0] = 0x45, h[6] = (uint8_t)(frag >> 8), h[7] = (uint8_t)frag, h[8] = 64, h[9] = proto;
	for (int i = 0; i < 4; i++)
		h[12 + i] = (uint8_t)(src >> (24 - 8 * i)), h[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
}

/* 2001::/32 (Teredo's prefix, which Teredo's inner packets need) */
static void v6(uint8_t a[16], uint32_t low)
{
	memset(a, 0, 16);
	a[0] = 0x20, a[1] = 0x01, a[4] = 0x0d, a[5] = 0xb8;
	for (int i = 0; i < 4; i++)
		a[12 + i] = (uint8_t)(low >> (24 - 8 * i));
}

static void put_ip6(struct frame *f, uint8_t next, uint32_t src, uint32_t dst)
{
	uint8_t *h = put(f, NULL, 40);
	h[0] = 0x60, h[6] = next, h[7] = 64;
	v6(h + 8, src);
	v6(h + 24, dst);
}

static void put_udp(struct frame *f, uint16_t sp, uint16_t dp)
{
	put_be16(f, sp);
	put_be16(f, dp);
	put_be32(f, 0);
}

static void put_tcp(struct frame *f, uint16_t sp, uint16_t dp)
{
	uint8_t *h = put(f, NULL, 20);
	h[0] = (uint8_t)(sp >> 8), h[1] = (uint8_t)sp, h[2] = (uint8_t)(dp >> 8), h[3] = (uint8_t)dp;
	h[12] = 0x50, h[13] = 0x02;
}

#define OUT_A 0xc0000201u  /* 192.0.2.1: outer (tunnel) addresses */
#define OUT_B 0xc0000202u
#define IN_A 0x0a000001u   /* 10.0.0.1: the inner conversation */
#define IN_B 0x0a000002u

/* The inner packet every tunnel below carries, in one direction or the
 * other: TCP 10.0.0.1:1234 -> 10.0.0.2:80 (IPv4), or the same ports between
 * 2001:db8::a00:1 and ::a00:2 (IPv6). */
static void put_inner(struct frame *f, int version, bool reply)
{
	uint32_t s = reply ? IN_B : IN_A, d = reply ? IN_A : IN_B;
	if (version == 4)
		put_ip4(f, IPPROTO_TCP, s, d, 0);
	else
		put_ip6(f, IPPROTO_TCP, s, d);
	put_tcp(f, reply ? 80 : 1234, reply ? 1234 : 80);
}

enum tun { TUN_4IN4, TUN_6IN4, TUN_4IN6, TUN_6IN6, TUN_GRE_IP, TUN_GRE_KEY, TUN_NVGRE, TUN_ERSPAN_I,
	   TUN_ERSPAN_II, TUN_ERSPAN_III, TUN_VXLAN, TUN_GENEVE_ETH, TUN_GENEVE_IP, TUN_GTP, TUN_GTP_EXT,
	   TUN_TEREDO, TUN_MPLS, TUN_MPLS_PW, TUN_PPPOE, TUN_COUNT };

static const char *const tun_name[TUN_COUNT] = {
	"4in4", "6in4", "4in6", "6in6", "GRE IP", "GRE key", "NVGRE", "ERSPAN I", "ERSPAN II", "ERSPAN III",
	"VXLAN", "Geneve Ethernet", "Geneve IP", "GTP-U", "GTP-U extensions", "Teredo", "MPLS",
	"MPLS pseudowire", "PPPoE",
};

/* What each tunnel's id is made of (flowhash.h): kind, identifier, the
 * carrier's IP version; kind 0: no id (MPLS, PPPoE). */
static const struct {
	enum flow_tunnel_kind kind;
	uint64_t ident;
	uint8_t outer, inner;   /* IP versions */
} tun_id[TUN_COUNT] = {
	[TUN_4IN4] = { FLOW_TUNNEL_IPIP, 0, 4, 4 },
	[TUN_6IN4] = { FLOW_TUNNEL_IPIP, 0, 4, 6 },
	[TUN_4IN6] = { FLOW_TUNNEL_IPIP, 0, 6, 4 },
	[TUN_6IN6] = { FLOW_TUNNEL_IPIP, 0, 6, 6 },
	[TUN_GRE_IP] = { FLOW_TUNNEL_GRE, 0, 4, 4 },
	[TUN_GRE_KEY] = { FLOW_TUNNEL_GRE, 1ULL << 32 | 0x01020304, 4, 6 },
	[TUN_NVGRE] = { FLOW_TUNNEL_GRE, 1ULL << 32 | 0x010203, 6, 4 },
	[TUN_ERSPAN_I] = { FLOW_TUNNEL_GRE, 0, 4, 4 },
	[TUN_ERSPAN_II] = { FLOW_TUNNEL_GRE, 0, 4, 4 },
	[TUN_ERSPAN_III] = { FLOW_TUNNEL_GRE, 0, 4, 6 },
	[TUN_VXLAN] = { FLOW_TUNNEL_VXLAN, 100, 4, 4 },
	[TUN_GENEVE_ETH] = { FLOW_TUNNEL_GENEVE, 0xabcdef, 4, 4 },
	[TUN_GENEVE_IP] = { FLOW_TUNNEL_GENEVE, 7, 6, 6 },
	[TUN_GTP] = { FLOW_TUNNEL_GTP, 0, 4, 4 },
	[TUN_GTP_EXT] = { FLOW_TUNNEL_GTP, 0, 4, 6 },
	[TUN_TEREDO] = { FLOW_TUNNEL_TEREDO, 0, 4, 6 },
	[TUN_MPLS] = { 0, 0, 0, 4 },
	[TUN_MPLS_PW] = { 0, 0, 0, 6 },
	[TUN_PPPOE] = { 0, 0, 0, 4 },
};

/* One frame of tunnel `k`, request (reply false) or reply: then the outer
 * addresses, the inner ones and ports are swapped, and VXLAN's outer
 * source port differs (entropy chosen per direction), as do GTP-U's TEIDs
 * (each end picks the one it receives on). `vni` replaces the tunnel's
 * identifier where it has one. */
static void build_tunnel(struct frame *f, enum tun k, bool reply, uint32_t vni)
{
	f->n = 0;
	uint32_t s = reply ? OUT_B : OUT_A, d = reply ? OUT_A : OUT_B;
	uint8_t outer = tun_id[k].outer, inner = tun_id[k].inner;
	uint16_t inner_type = inner == 4 ? 0x0800 : 0x86dd;
	uint8_t inner_proto = inner == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	uint8_t ms = reply ? 0xb : 0xa, md = reply ? 0xa : 0xb;
	if (!outer) {
		if (k == TUN_PPPOE) {
			put_eth(f, md, ms, ETHERTYPE_PPPOE_SESS);
			put_be16(f, 0x1100);                 /* version, type, code */
			put_be16(f, 0x1234);                 /* session */
			put_be16(f, 62);
			put_be16(f, 0x0021);                 /* PPP: IPv4 */
		} else {
			put_eth(f, md, ms, ETHERTYPE_MPLS);
			put_be32(f, reply ? 0x00017040 : 0x00020040); /* per-direction labels */
			put_be32(f, 0x00003140);             /* bottom of stack */
			if (k == TUN_MPLS_PW) {
				put_be32(f, 0);                  /* control word */
				put_eth(f, 0xd, 0xc, inner_type);
			}
		}
		put_inner(f, inner, reply);
		return;
	}
	put_eth(f, md, ms, outer == 4 ? 0x0800 : 0x86dd);
	uint8_t proto = k <= TUN_6IN6 ? inner_proto : k <= TUN_ERSPAN_III ? IPPROTO_GRE : IPPROTO_UDP;
	if (outer == 4)
		put_ip4(f, proto, s, d, 0);
	else
		put_ip6(f, proto, s, d);
	uint32_t id = vni ? vni : (uint32_t)tun_id[k].ident;
	switch (k) {
	case TUN_GRE_IP:
		put_be16(f, 0x8000), put_be16(f, 0x0800);   /* checksum present */
		put_be32(f, 0);
		break;
	case TUN_GRE_KEY:
		put_be16(f, 0x3000), put_be16(f, 0x86dd);   /* key, sequence */
		put_be32(f, id), put_be32(f, reply ? 9 : 77);
		break;
	case TUN_NVGRE:
		put_be16(f, 0x2000), put_be16(f, ETHERTYPE_TEB);
		put_be32(f, id << 8 | (reply ? 0x11 : 0x22)); /* VSID, per-flow entropy */
		put_eth(f, 0xd, 0xc, inner_type);
		break;
	case TUN_ERSPAN_I:
		put_be16(f, 0x0000), put_be16(f, ETHERTYPE_ERSPAN_II);
		put_eth(f, 0xd, 0xc, inner_type);
		break;
	case TUN_ERSPAN_II:
		put_be16(f, 0x1000), put_be16(f, ETHERTYPE_ERSPAN_II);
		put_be32(f, 5);                              /* sequence */
		put_be32(f, 0x10010000 | (reply ? 2 : 1)), put_be32(f, 0); /* version 1, session */
		put_eth(f, 0xd, 0xc, inner_type);
		break;
	case TUN_ERSPAN_III:
		put_be16(f, 0x1000), put_be16(f, ETHERTYPE_ERSPAN_III);
		put_be32(f, 5);
		put_be32(f, 0x20010001), put_be32(f, 0), put_be16(f, 0), put_be16(f, 0x0001); /* version 2, O */
		put(f, NULL, 8);                                                             /* platform */
		put_eth(f, 0xd, 0xc, inner_type);
		break;
	case TUN_VXLAN:
		put_udp(f, reply ? 61000 : 49152, PORT_VXLAN);
		put_be32(f, 0x08000000), put_be32(f, id << 8);
		put_eth(f, 0xd, 0xc, inner_type);
		break;
	case TUN_GENEVE_ETH:
		put_udp(f, reply ? 3333 : 4444, PORT_GENEVE);
		put_be16(f, 0x0200), put_be16(f, ETHERTYPE_TEB); /* 8 bytes of options */
		put_be32(f, id << 8);
		put_be16(f, 0x0102), put_be16(f, 0x0301), put_be32(f, 0xdeadbeef);
		put_eth(f, 0xd, 0xc, inner_type);
		break;
	case TUN_GENEVE_IP:
		put_udp(f, reply ? 3333 : 4444, PORT_GENEVE);
		put_be16(f, 0x0000), put_be16(f, inner_type);
		put_be32(f, id << 8);
		break;
	case TUN_GTP:
		put_udp(f, PORT_GTP_U, PORT_GTP_U);
		put_be16(f, 0x30ff), put_be16(f, 40), put_be32(f, reply ? 0x1111 : 0x2222); /* G-PDU, TEID */
		break;
	case TUN_GTP_EXT:
		put_udp(f, PORT_GTP_U, PORT_GTP_U);
		put_be16(f, 0x36ff), put_be16(f, 68), put_be32(f, reply ? 0x1111 : 0x2222); /* E and S */
		put_be32(f, 0x00010085);                     /* sequence, N-PDU, next: PDU session */
		put_be32(f, 0x01000000);                     /* one 4-byte extension, next none */
		break;
	case TUN_TEREDO:
		put_udp(f, reply ? 3544 : 40000, reply ? 40000 : 3544);
		put_be16(f, 1), put(f, (uint8_t[]){ 1, 2, 'i', 'a', 'b' }, 5), put(f, NULL, 9); /* auth */
		put_be16(f, 0), put(f, NULL, 6);             /* origin indication */
		break;
	default:
		break;
	}
	put_inner(f, inner, reply);
}

/* The tuple of b's n first bytes, read from memory that ends there: the
 * next page is mapped without access, so any read past the frame faults. */
static bool extract_fenced(const uint8_t *b, uint32_t n, int link, struct flow_tuple *t)
{
	static uint8_t *region;
	long page = sysconf(_SC_PAGESIZE);
	if (!region) {
		region = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		cr_assert_neq(region, MAP_FAILED);
		cr_assert_eq(mprotect(region + page, (size_t)page, PROT_NONE), 0);
	}
	cr_assert_leq(n, (uint32_t)page);
	uint8_t *at = region + page - n;
	memcpy(at, b, n);
	return flow_tuple_extract(at, n, link, t);
}

static void expect_inner(const struct flow_tuple *t, uint8_t version, const char *what)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	if (version == 4)
		a[0] = b[0] = 10, a[3] = 1, b[3] = 2;
	else
		v6(a, IN_A), v6(b, IN_B);
	cr_expect_eq(t->version, version, "%s: version %u", what, t->version);
	cr_expect_eq(t->proto, IPPROTO_TCP, "%s: protocol %u", what, t->proto);
	cr_expect(memcmp(t->src, a, 16) == 0 && memcmp(t->dst, b, 16) == 0, "%s: inner addresses", what);
	cr_expect(t->src_port == 1234 && t->dst_port == 80, "%s: ports %u %u", what, t->src_port, t->dst_port);
}

/* Every kind: the inner tuple, and the tunnel id flowhash.h documents
 * (kind, identifier, the outer addresses in order), the same for the
 * reply (outer addresses swapped, VXLAN and Geneve source ports, GTP-U
 * TEIDs, NVGRE entropy, MPLS labels all differing): same hash. */
Test(flowhash, tunnels_key_on_the_inner_tuple_and_the_tunnel)
{
	for (int k = 0; k < TUN_COUNT; k++) {
		struct frame f, r;
		build_tunnel(&f, (enum tun)k, false, 0);
		build_tunnel(&r, (enum tun)k, true, 0);
		struct flow_tuple t, u;
		cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t), "%s", tun_name[k]);
		cr_assert(flow_tuple_extract(r.b, r.n, LINK_ETHERNET, &u), "%s reply", tun_name[k]);
		expect_inner(&t, tun_id[k].inner, tun_name[k]);
		uint64_t want = 0;
		if (tun_id[k].kind) {
			uint8_t a[16] = { 0 }, b[16] = { 0 };
			if (tun_id[k].outer == 4)
				a[0] = b[0] = 192, a[2] = b[2] = 2, a[3] = 1, b[3] = 2;
			else
				v6(a, OUT_A), v6(b, OUT_B);
			want = flow_tunnel_fold(0, tun_id[k].kind, tun_id[k].ident, tun_id[k].outer, b, a);
			cr_expect_neq(want, 0);
		}
		cr_expect_eq(t.tunnel_id, want, "%s: tunnel id %016llx", tun_name[k], (unsigned long long)t.tunnel_id);
		cr_expect_eq(u.tunnel_id, t.tunnel_id, "%s: the reply's tunnel id", tun_name[k]);
		cr_expect_eq(flow_tuple_hash(&u), flow_tuple_hash(&t), "%s: the reply's hash", tun_name[k]);
		cr_expect_eq(flow_hash_symmetric(r.b, r.n, LINK_ETHERNET), flow_hash_symmetric(f.b, f.n, LINK_ETHERNET));
		/* Inner Ethernet gives the MACs; other tunnels keep the outer. */
		bool inner_eth = k == TUN_NVGRE || (k >= TUN_ERSPAN_I && k <= TUN_GENEVE_ETH) || k == TUN_MPLS_PW;
		cr_expect(t.has_mac && t.src_mac[5] == (inner_eth ? 0xc : 0xa), "%s: MACs", tun_name[k]);
	}
}

/* Two tenants: the same inner conversation in two VNIs (GRE keys, ...)
 * gets two ids and two hashes; the same tuple untunnelled a third. */
Test(flowhash, two_tenants_same_inner_tuple_hash_apart)
{
	static const enum tun with_id[] = { TUN_GRE_KEY, TUN_NVGRE, TUN_VXLAN, TUN_GENEVE_ETH, TUN_GENEVE_IP };
	for (size_t i = 0; i < sizeof with_id / sizeof *with_id; i++) {
		struct frame f, g;
		build_tunnel(&f, with_id[i], false, 100);
		build_tunnel(&g, with_id[i], false, 200);
		struct flow_tuple t, u;
		cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
		cr_assert(flow_tuple_extract(g.b, g.n, LINK_ETHERNET, &u));
		cr_expect_neq(t.tunnel_id, u.tunnel_id, "%s", tun_name[with_id[i]]);
		cr_expect_neq(flow_tuple_hash(&t), flow_tuple_hash(&u), "%s", tun_name[with_id[i]]);
		struct flow_tuple bare = t;
		bare.tunnel_id = 0;
		cr_expect_neq(flow_tuple_hash(&t), flow_tuple_hash(&bare));
	}
	/* Other outer addresses, same kind and inner tuple: another tunnel. */
	struct frame f;
	build_tunnel(&f, TUN_GTP, false, 0);
	struct flow_tuple t, u;
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
	f.b[14 + 19] = 9; /* outer destination 192.0.2.9 */
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &u));
	cr_expect_neq(t.tunnel_id, u.tunnel_id);
}

/* A tunnelled tuple hashes the untunnelled message with the tunnel id
 * appended (flowhash.c), and an untunnelled one exactly as before. */
Test(flowhash, tunnelled_hash_layout)
{
	const struct sip_key *k = &flow_hash_keys.sip[FLOW_HASH_TUPLE];
	struct frame f;
	build_tunnel(&f, TUN_VXLAN, true, 0);
	struct flow_tuple t;
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
	uint8_t m[22] = { 10, 0, 0, 1, 10, 0, 0, 2, 1234 & 0xff, 1234 >> 8, 80, 0, 6, 4 };
	for (int i = 0; i < 8; i++)
		m[14 + i] = (uint8_t)(t.tunnel_id >> 8 * i);
	cr_expect_eq(flow_tuple_hash(&t), flow_siphash13(k, m, sizeof m));
	t.tunnel_id = 0;
	cr_expect_eq(flow_tuple_hash(&t), flow_siphash13(k, m, 14), "untunnelled: the 14 bytes, as before");
}

/* Every cut of every frame: nothing read past it (fenced), and the tuple
 * is the inner one, or what an untunnelled parse of the same bytes keys
 * on (the carrier): never something in between. */
Test(flowhash, tunnel_cuts_never_read_past)
{
	for (int k = 0; k < TUN_COUNT; k++) {
		struct frame f;
		build_tunnel(&f, (enum tun)k, false, 0);
		struct flow_tuple whole;
		cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &whole));
		for (uint32_t n = 0; n <= f.n; n++) {
			struct flow_tuple t;
			bool ok = extract_fenced(f.b, n, LINK_ETHERNET, &t);
			cr_expect_eq(ok, n >= 14, "%s cut at %u", tun_name[k], n);
			if (t.tunnel_id)
				cr_expect_eq(t.tunnel_id, whole.tunnel_id, "%s cut at %u", tun_name[k], n);
			if (t.version == whole.version && t.tunnel_id == whole.tunnel_id && t.tunnel_id)
				cr_expect(memcmp(t.src, whole.src, 16) == 0, "%s cut at %u", tun_name[k], n);
		}
		/* The same bytes shifted by every offset: no alignment
		 * assumption, and raw-IP frames too. */
		for (uint32_t off = 0; off < f.n; off++) {
			struct flow_tuple t;
			extract_fenced(f.b + off, f.n - off, LINK_RAW, &t);
			extract_fenced(f.b + off, f.n - off, LINK_ETHERNET, &t);
		}
	}
}

/* Random bytes behind every tunnel's header (fuzz): no read past, no
 * hang; and an IPv4 UDP packet on a tunnel port whose payload is not a
 * tunnel keeps its own tuple. */
Test(flowhash, tunnel_garbage_payloads)
{
	cr_assert_geq(sodium_init(), 0);
	for (int round = 0; round < 2000; round++) {
		struct frame f;
		build_tunnel(&f, (enum tun)(round % TUN_COUNT), round & 1, 0);
		uint32_t from = 14 + (uint32_t)randombytes_uniform(f.n - 14);
		randombytes_buf(f.b + from, f.n - from);
		struct flow_tuple t;
		extract_fenced(f.b, f.n, LINK_ETHERNET, &t);
	}
	static const uint16_t ports[] = { PORT_VXLAN, PORT_GENEVE, PORT_GTP_U, PORT_TEREDO };
	for (size_t i = 0; i < 4; i++) {
		struct frame f = { .n = 0 };
		put_eth(&f, 1, 2, 0x0800);
		put_ip4(&f, IPPROTO_UDP, IN_A, IN_B, 0);
		put_udp(&f, 53, ports[i]);
		put(&f, "not a tunnel, just a few bytes of something", 43);
		struct flow_tuple t;
		cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
		cr_expect(t.version == 4 && t.proto == IPPROTO_UDP && t.src_port == 53 && t.dst_port == ports[i] &&
			  t.tunnel_id == 0, "port %u", ports[i]);
	}
}

/* IP in IP nested 6 deep: the walk stops at FLOW_TUNNEL_MAX_DEPTH and keys
 * on the IP header reached there, in the tunnels above it. */
Test(flowhash, tunnel_depth_cap)
{
	struct frame f = { .n = 0 };
	put_eth(&f, 1, 2, 0x0800);
	for (uint32_t i = 0; i < 6; i++)
		put_ip4(&f, i < 5 ? IPPROTO_IPIP : IPPROTO_TCP, 0x0a000000u + 2 * i + 1, 0x0a000000u + 2 * i + 2, 0);
	put_tcp(&f, 1234, 80);
	struct flow_tuple t;
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
	cr_expect_eq(t.proto, IPPROTO_IPIP);
	cr_expect_eq(t.src[3], 2 * FLOW_TUNNEL_MAX_DEPTH + 1, "the header at the cap: 10.0.0.%u", t.src[3]);
	uint64_t id = 0;
	for (uint32_t i = 0; i < FLOW_TUNNEL_MAX_DEPTH; i++) {
		uint8_t a[4] = { 10, 0, 0, (uint8_t)(2 * i + 1) }, b[4] = { 10, 0, 0, (uint8_t)(2 * i + 2) };
		id = flow_tunnel_fold(id, FLOW_TUNNEL_IPIP, 0, 4, a, b);
	}
	cr_expect_eq(t.tunnel_id, id, "folded layer by layer");
	/* Within the cap: the innermost. */
	struct frame g = { .n = 0 };
	put_eth(&g, 1, 2, 0x0800);
	for (uint32_t i = 0; i <= FLOW_TUNNEL_MAX_DEPTH; i++)
		put_ip4(&g, i < FLOW_TUNNEL_MAX_DEPTH ? IPPROTO_IPIP : IPPROTO_TCP, 0x0a000000u + 2 * i + 1,
			0x0a000000u + 2 * i + 2, 0);
	put_tcp(&g, 1234, 80);
	cr_assert(flow_tuple_extract(g.b, g.n, LINK_ETHERNET, &t));
	cr_expect(t.proto == IPPROTO_TCP && t.src_port == 1234 && t.tunnel_id == id);
}

/* An inner fragment goes by the inner addresses and the tunnel (ports 0),
 * as an outer one by the outer addresses; the datagram reassembled from
 * it, parsed inside that tunnel, gets the whole tuple in the same tunnel. */
Test(flowhash, fragments_inside_tunnels)
{
	struct frame f = { .n = 0 };
	put_eth(&f, 1, 2, 0x0800);
	put_ip4(&f, IPPROTO_UDP, OUT_A, OUT_B, 0);
	put_udp(&f, 50000, PORT_VXLAN);
	put_be32(&f, 0x08000000), put_be32(&f, 100 << 8);
	put_eth(&f, 0xd, 0xc, 0x0800);
	uint32_t inner_at = f.n;
	put_ip4(&f, IPPROTO_TCP, IN_A, IN_B, 0x2000); /* more fragments */
	put_tcp(&f, 1234, 80);
	struct flow_tuple t, whole;
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
	cr_expect(t.version == 4 && t.src[3] == 1 && t.dst[3] == 2 && t.src[0] == 10);
	cr_expect(t.src_port == 0 && t.dst_port == 0, "a first fragment: addresses only");
	f.b[inner_at + 6] = 0; /* the same packet unfragmented */
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &whole));
	cr_expect_neq(t.tunnel_id, 0);
	cr_expect_eq(t.tunnel_id, whole.tunnel_id);
	struct flow_tuple d;
	cr_assert(flow_tuple_extract_in(f.b + inner_at, f.n - inner_at, LINK_RAW, t.tunnel_id, &d));
	cr_expect(d.src_port == 1234 && d.tunnel_id == whole.tunnel_id);
	cr_expect_eq(flow_tuple_hash(&d), flow_tuple_hash(&whole));
	/* The outer packet a fragment: the tunnel is not reached. */
	f.b[14 + 6] = 0x20;
	cr_assert(flow_tuple_extract(f.b, f.n, LINK_ETHERNET, &t));
	cr_expect(t.src[0] == 192 && t.proto == IPPROTO_UDP && t.src_port == 0 && t.tunnel_id == 0);
}
