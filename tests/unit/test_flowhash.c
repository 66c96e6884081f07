/* test_flowhash.c: flow_hash_symmetric (lib/flow) gives both directions of
 * a connection the same hash, so the dispatcher sends them to one worker.
 *
 * For every packet of a few corpus captures (Ethernet with and without VLAN
 * tags and QinQ, IPv4 and IPv6, fragments, IP in IP, raw IP links, ARP and
 * other non-IP frames), the mirrored packet is built in a copy: MACs, IP
 * addresses and transport ports swapped, each where the protocol puts them
 * (worked out here from the headers, independently of flowhash.c). Its
 * hash must equal the original's. The hashes must also vary, so that a
 * function returning a constant cannot pass.
 *
 * The corpus is $NETCAP_CORPUS, else ../shared/corpus from the current
 * directory (tests run from the repository root); without it the tests
 * skip. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode/decode.h"
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
	uint32_t first_h, first_hm;
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
	static uint32_t seen[MAX_DISTINCT];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	while (pcap_next_ex(p, &hdr, &data) == 1) {
		r.packets++;
		uint32_t len = hdr->caplen < sizeof copy ? hdr->caplen : (uint32_t)sizeof copy;
		uint32_t h = flow_hash_symmetric(data, len, link);
		if (!mirror(copy, data, len, link))
			continue;
		r.mirrored++;
		r.differing_copies += memcmp(copy, data, len) != 0;
		uint32_t hm = flow_hash_symmetric(copy, len, link);
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

Test(flowhash, mirrored_packets_hash_alike)
{
	need_corpus();
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
			     "(hash %08x, mirrored %08x)", files[i].file, r.asymmetric, r.mirrored, r.first_bad,
			     r.first_h, r.first_hm);
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
	uint32_t h = flow_hash_symmetric(pkt, sizeof pkt, LINK_ETHERNET);
	cr_assert_eq(h, flow_hash_symmetric(m, sizeof m, LINK_ETHERNET));
	uint8_t other[sizeof pkt];
	memcpy(other, pkt, sizeof pkt);
	other[35] = 0x51; /* destination port 81 */
	cr_expect_neq(h, flow_hash_symmetric(other, sizeof other, LINK_ETHERNET), "ports ignored");
	memcpy(other, pkt, sizeof pkt);
	other[33] = 3; /* destination 10.0.0.3 */
	cr_expect_neq(h, flow_hash_symmetric(other, sizeof other, LINK_ETHERNET), "addresses ignored");
}
