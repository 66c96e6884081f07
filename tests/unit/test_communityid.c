/* test_communityid.c: the Community ID v1 flow hash (lib/flow/communityid.c)
 * and the CommunityID field of Connection and Flow records (lib/flow/flows.c).
 *
 * The expected values are the spec's published baselines
 * (github.com/corelight/community-id-spec, baseline/README.md: the tables
 * for the default seed, seed 1 and without base64; baseline/baseline_deflt.json:
 * the tuples of its combined.pcap, ICMP types and codes already mapped to
 * ports, which map to themselves again). Then records: a Connection and
 * both its Flows carry the tuple's Community ID for TCP, UDP, SCTP, ICMP
 * request/reply, one-way ICMP in either direction, ICMPv6, a protocol
 * without ports, IPv6; nothing for a frame without IP. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/communityid.h"
#include "flow/flows.h"

/* ---- the function --------------------------------------------------- */

struct vector {
	uint8_t proto;
	const char *src, *dst;
	int sport, dport;           /* -1: none (protocols without ports) */
	const char *deflt, *seed1, *hex;
};

/* baseline/README.md: the three tables, one row each. */
static const struct vector tables[] = {
	{ 6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
	  "c026f7386ef200559e95a53276ed03fb5db908b3" },
	{ 6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
	  "c026f7386ef200559e95a53276ed03fb5db908b3" },
	{ 17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
	  "d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
	{ 17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
	  "d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
	{ 132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
	  "10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
	{ 132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
	  "10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
	{ 1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=",
	  "72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
	{ 1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=",
	  "72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
	{ 1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=", "1:1DD7cWGC/Yg91YGsQeni8du3pIA=",
	  "7ff6224b25aa733ad381f5026650549ef1d170f9" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0,
	  "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "d1b7fb872309530b777cc103ef3f0b21f46905ea" },
	{ 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0,
	  "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "d1b7fb872309530b777cc103ef3f0b21f46905ea" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0,
	  "1:fYC8+pz24E+EhANP1EZhpX0Dw10=", "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=", "7d80bcfa9cf6e04f8484034fd44661a57d03c35d" },
	{ 46, "1.2.3.4", "5.6.7.8", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
	  "8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
	{ 46, "5.6.7.8", "1.2.3.4", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
	  "8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
	{ 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", -1, -1,
	  "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", "c10ff69b0ae75cfe259897077462f978f8d1f9ed" },
	{ 46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", -1, -1,
	  "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", "c10ff69b0ae75cfe259897077462f978f8d1f9ed" },
};

/* baseline/baseline_deflt.json, every entry (default seed). */
static const struct vector baseline_json[] = {
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", 0, 0 },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", 0, 0 },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck=", 0, 0 },
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck=", 0, 0 },
	{ 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", 0, 0 },
	{ 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
	  0, 0 },
	{ 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", 0, 0 },
	{ 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", 0, 0 },
	{ 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", 0, 0 },
	{ 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=", 0, 0 },
	{ 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", 0, 0 },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", 0, 0 },
	{ 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=", 0, 0 },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", 0, 0 },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", 0, 0 },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", 0, 0 },
	{ 132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", 0, 0 },
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", 0, 0 },
	{ 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", 0, 0 },
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", 0, 0 },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", 0, 0 },
	{ 46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", 0, 0 },
	{ 46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", 0, 0 },
};

struct addrs {
	uint8_t src[16], dst[16];
};

static struct community_tuple tuple_of(const struct vector *v, struct addrs *a)
{
	struct community_tuple t = { .proto = v->proto, .src = a->src, .dst = a->dst };
	t.version = strchr(v->src, ':') ? 6 : 4;
	int af = t.version == 6 ? AF_INET6 : AF_INET;
	cr_assert_eq(inet_pton(af, v->src, a->src), 1, "%s", v->src);
	cr_assert_eq(inet_pton(af, v->dst, a->dst), 1, "%s", v->dst);
	if (v->sport >= 0) {
		t.src_port = (uint16_t)v->sport;
		t.dst_port = (uint16_t)v->dport;
	} else {
		/* No ports in the hash: whatever the fields hold. */
		t.src_port = 4321;
		t.dst_port = 99;
	}
	return t;
}

static void check(const struct vector *v, uint16_t seed, const char *want)
{
	struct addrs a;
	struct community_tuple t = tuple_of(v, &a);
	char out[COMMUNITY_ID_SIZE];
	memset(out, 'x', sizeof out);
	size_t n = community_id_v1(&t, seed, out);
	cr_expect_str_eq(out, want, "proto %u %s %d -> %s %d, seed %u", v->proto, v->src, v->sport, v->dst,
			 v->dport, seed);
	cr_expect_eq(n, strlen(want));
	cr_expect_eq(n, COMMUNITY_ID_SIZE - 1);
}

Test(communityid, spec_tables_default_seed)
{
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
		check(&tables[i], 0, tables[i].deflt);
}

Test(communityid, spec_tables_seed_1)
{
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
		check(&tables[i], 1, tables[i].seed1);
}

Test(communityid, spec_tables_digest_without_base64)
{
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		const struct vector *v = &tables[i];
		struct addrs a;
		struct community_tuple t = tuple_of(v, &a);
		uint8_t d[COMMUNITY_ID_DIGEST_LEN];
		cr_assert(community_id_digest(&t, 0, d));
		char hex[2 * COMMUNITY_ID_DIGEST_LEN + 1];
		for (int k = 0; k < COMMUNITY_ID_DIGEST_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", d[k]);
		cr_expect_str_eq(hex, v->hex, "row %zu", i);
	}
}

Test(communityid, spec_baseline_json)
{
	for (size_t i = 0; i < sizeof baseline_json / sizeof *baseline_json; i++)
		check(&baseline_json[i], 0, baseline_json[i].deflt);
}

Test(communityid, icmp_port_equivalents)
{
	uint16_t sp, dp;
	/* Requests and replies: (type, counterpart), two-way. */
	static const uint8_t v4[][2] = { { 8, 0 }, { 0, 8 }, { 10, 9 }, { 9, 10 }, { 13, 14 },
					 { 14, 13 }, { 15, 16 }, { 16, 15 }, { 17, 18 }, { 18, 17 } };
	for (size_t i = 0; i < sizeof v4 / sizeof *v4; i++) {
		cr_expect(!community_id_icmp_ports(1, v4[i][0], 7, &sp, &dp), "type %u", v4[i][0]);
		cr_expect(sp == v4[i][0] && dp == v4[i][1], "type %u: %u %u", v4[i][0], sp, dp);
	}
	static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 }, { 130, 131 }, { 131, 130 },
					 { 133, 134 }, { 134, 133 }, { 135, 136 }, { 136, 135 },
					 { 139, 140 }, { 140, 139 }, { 144, 145 }, { 145, 144 } };
	for (size_t i = 0; i < sizeof v6 / sizeof *v6; i++) {
		cr_expect(!community_id_icmp_ports(58, v6[i][0], 7, &sp, &dp), "type %u", v6[i][0]);
		cr_expect(sp == v6[i][0] && dp == v6[i][1], "type %u: %u %u", v6[i][0], sp, dp);
	}
	/* Anything else: (type, code), one-way; the maps are per protocol. */
	cr_expect(community_id_icmp_ports(1, 3, 3, &sp, &dp) && sp == 3 && dp == 3);
	cr_expect(community_id_icmp_ports(1, 128, 5, &sp, &dp) && sp == 128 && dp == 5);
	cr_expect(community_id_icmp_ports(58, 8, 0, &sp, &dp) && sp == 8 && dp == 0);
	cr_expect(community_id_icmp_ports(58, 1, 4, &sp, &dp) && sp == 1 && dp == 4);
}

/* One-way ICMP is not ordered: the reverse direction is another ID;
 * two-way protocols give one ID for both directions, also with equal
 * addresses (ports decide); no IP, no ID. */
Test(communityid, directions)
{
	static const uint8_t lo[4] = { 10, 0, 0, 1 }, hi[4] = { 10, 0, 0, 2 };
	char a[COMMUNITY_ID_SIZE], b[COMMUNITY_ID_SIZE];
	struct community_tuple t = { .version = 4, .proto = 1, .src = lo, .dst = hi, .src_port = 11 };
	community_id_v1(&t, 0, a);
	cr_expect_str_eq(a, "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
	t.src = hi, t.dst = lo;
	community_id_v1(&t, 0, b);
	cr_expect_str_neq(a, b);
	struct community_tuple u = { .version = 4, .proto = 17, .src = lo, .dst = lo, .src_port = 53, .dst_port = 9 };
	community_id_v1(&u, 0, a);
	u.src_port = 9, u.dst_port = 53;
	community_id_v1(&u, 0, b);
	cr_expect_str_eq(a, b);
	struct community_tuple none = { .version = 0, .src = lo, .dst = hi };
	memset(a, 'x', sizeof a);
	cr_expect_eq(community_id_v1(&none, 0, a), 0);
	cr_expect_str_eq(a, "");
}

/* ---- the records ---------------------------------------------------- */

#define S 1000000000LL
#define T0 (1700000000LL * S)

struct ids {
	int n_conn, n_flow;
	char conn[8][COMMUNITY_ID_SIZE + 8], flow[8][COMMUNITY_ID_SIZE + 8];
};

static void collect_ids(void *ctx, int type, const ProtobufCMessage *msg)
{
	struct ids *s = ctx;
	if (type == TYPES__TYPE__NC_Connection && s->n_conn < 8)
		snprintf(s->conn[s->n_conn++], sizeof s->conn[0], "%s",
			 ((const Types__Connection *)msg)->communityid);
	else if (type == TYPES__TYPE__NC_Flow && s->n_flow < 8)
		snprintf(s->flow[s->n_flow++], sizeof s->flow[0], "%s", ((const Types__Flow *)msg)->communityid);
}

static void no_partial(void *ctx, const struct flow_partial *p)
{
	(void)ctx, (void)p;
}

struct frame_spec {
	uint8_t proto;              /* 0: ARP, no IP */
	const char *src, *dst;
	uint16_t sport, dport;      /* ICMP: type, code */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

/* An Ethernet frame of the spec, into f; its length. */
static uint32_t frame_of(uint8_t *f, const struct frame_spec *k)
{
	memset(f, 0, 256);
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 }, smac[6] = { 2, 0, 0, 0, 0, 1 };
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	if (!k->proto) {
		put16(f + 12, 0x0806);
		return 14 + 28;
	}
	bool v6 = strchr(k->src, ':');
	uint8_t *ip = f + 14, *l4;
	uint32_t l4_len = k->proto == 6 ? 20 : 8;
	if (!v6) {
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4_len));
		ip[8] = 64;
		ip[9] = k->proto;
		cr_assert_eq(inet_pton(AF_INET, k->src, ip + 12), 1);
		cr_assert_eq(inet_pton(AF_INET, k->dst, ip + 16), 1);
		l4 = ip + 20;
	} else {
		put16(f + 12, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4_len);
		ip[6] = k->proto;
		ip[7] = 64;
		cr_assert_eq(inet_pton(AF_INET6, k->src, ip + 8), 1);
		cr_assert_eq(inet_pton(AF_INET6, k->dst, ip + 24), 1);
		l4 = ip + 40;
	}
	if (k->proto == 1 || k->proto == 58) {
		l4[0] = (uint8_t)k->sport;
		l4[1] = (uint8_t)k->dport;
	} else if (k->proto == 6 || k->proto == 17 || k->proto == 132) {
		put16(l4, k->sport);
		put16(l4 + 2, k->dport);
		if (k->proto == 6)
			l4[12] = 0x50;
	}
	return (uint32_t)(l4 - f) + l4_len;
}

/* The packets through one worker's Connection and Flow tables, one second
 * apart; the records' Community IDs in ids. */
static void run(const struct frame_spec *k, size_t n, struct ids *ids)
{
	memset(ids, 0, sizeof *ids);
	struct flow_settings s;
	flow_settings_default(&s);
	s.capacity = 64;
	s.want[TYPES__TYPE__NC_Connection] = true;
	s.want[TYPES__TYPE__NC_Flow] = true;
	struct flows *f = flows_create(&s, collect_ids, no_partial, ids);
	cr_assert_not_null(f);
	struct packet *p = calloc(1, sizeof *p);
	uint8_t frame[256];
	for (size_t i = 0; i < n; i++) {
		memset(p, 0, sizeof *p);
		p->ts = T0 + (int64_t)i * S;
		p->data = frame;
		p->cap_len = p->wire_len = frame_of(frame, &k[i]);
		p->ip_proto = k[i].proto;
		flows_packet(f, p, LINK_ETHERNET);
	}
	flows_flush(f);
	flows_free(f);
	free(p);
}

/* A conversation of two packets (there and back): one Connection, two
 * Flows, all with the expected ID. */
static void check_conversation(const struct frame_spec *there, const struct frame_spec *back, const char *want)
{
	struct frame_spec k[2] = { *there, *back };
	struct ids ids;
	run(k, 2, &ids);
	cr_assert_eq(ids.n_conn, 1, "%s: %d Connections", want, ids.n_conn);
	cr_assert_eq(ids.n_flow, 2, "%s: %d Flows", want, ids.n_flow);
	cr_expect_str_eq(ids.conn[0], want);
	cr_expect_str_eq(ids.flow[0], want);
	cr_expect_str_eq(ids.flow[1], want);
}

#define V6A "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
#define V6B "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

Test(communityid, records_two_way)
{
	/* The client is the higher endpoint in some, the lower in others. */
	check_conversation(&(struct frame_spec){ 6, "1.2.3.4", "5.6.7.8", 1122, 3344 },
			   &(struct frame_spec){ 6, "5.6.7.8", "1.2.3.4", 3344, 1122 }, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	check_conversation(&(struct frame_spec){ 6, "5.6.7.8", "1.2.3.4", 3344, 1122 },
			   &(struct frame_spec){ 6, "1.2.3.4", "5.6.7.8", 1122, 3344 }, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	check_conversation(&(struct frame_spec){ 17, "1.2.3.4", "5.6.7.8", 1122, 3344 },
			   &(struct frame_spec){ 17, "5.6.7.8", "1.2.3.4", 3344, 1122 }, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
	check_conversation(&(struct frame_spec){ 132, "5.6.7.8", "1.2.3.4", 3344, 1122 },
			   &(struct frame_spec){ 132, "1.2.3.4", "5.6.7.8", 1122, 3344 }, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
	/* ICMP echo: request then reply, and a capture that starts with the reply. */
	check_conversation(&(struct frame_spec){ 1, "1.2.3.4", "5.6.7.8", 8, 0 },
			   &(struct frame_spec){ 1, "5.6.7.8", "1.2.3.4", 0, 0 }, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	check_conversation(&(struct frame_spec){ 1, "5.6.7.8", "1.2.3.4", 0, 0 },
			   &(struct frame_spec){ 1, "1.2.3.4", "5.6.7.8", 8, 0 }, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	check_conversation(&(struct frame_spec){ 58, V6B, V6A, 129, 0 },
			   &(struct frame_spec){ 58, V6A, V6B, 128, 0 }, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
	/* No ports: RSVP over IPv4 and IPv6. */
	check_conversation(&(struct frame_spec){ 46, "5.6.7.8", "1.2.3.4", 0, 0 },
			   &(struct frame_spec){ 46, "1.2.3.4", "5.6.7.8", 0, 0 }, "1:ikv3kmf89luf73WPz1jOs49S768=");
	check_conversation(&(struct frame_spec){ 46, V6A, V6B, 0, 0 }, &(struct frame_spec){ 46, V6B, V6A, 0, 0 },
			   "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
}

/* One-way ICMP: the Connection's ID is its first message's, in that
 * message's direction, from the lower endpoint or the higher. */
Test(communityid, records_one_way_icmp)
{
	struct ids ids;
	struct frame_spec up = { 1, "1.2.3.4", "5.6.7.8", 11, 0 };
	run(&up, 1, &ids);
	cr_assert_eq(ids.n_conn, 1);
	cr_expect_str_eq(ids.conn[0], "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
	cr_expect_str_eq(ids.flow[0], "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");

	struct frame_spec down = { 1, "5.6.7.8", "1.2.3.4", 11, 0 };
	uint8_t a[4], b[4];
	inet_pton(AF_INET, "5.6.7.8", a);
	inet_pton(AF_INET, "1.2.3.4", b);
	struct community_tuple t = { .version = 4, .proto = 1, .src = a, .dst = b, .src_port = 11 };
	char want[COMMUNITY_ID_SIZE];
	community_id_v1(&t, 0, want);
	cr_assert_str_neq(want, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
	run(&down, 1, &ids);
	cr_expect_str_eq(ids.conn[0], want);
	cr_expect_str_eq(ids.flow[0], want);

	/* ICMPv6 destination unreachable (1, port 4): the baseline's tuple. */
	struct frame_spec v6 = { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4 };
	run(&v6, 1, &ids);
	cr_expect_str_eq(ids.conn[0], "1:hLZd0XGWojozrvxqE0dWB1iM6R0=");
}

/* Without IP (ARP): keyed on MACs, no Community ID. */
Test(communityid, records_without_ip_have_none)
{
	struct frame_spec arp = { 0, NULL, NULL, 0, 0 };
	struct ids ids;
	run(&arp, 1, &ids);
	cr_assert_eq(ids.n_conn, 1);
	cr_assert_eq(ids.n_flow, 1);
	cr_expect_str_eq(ids.conn[0], "");
	cr_expect_str_eq(ids.flow[0], "");
}
