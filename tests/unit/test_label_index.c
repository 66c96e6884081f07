/* test_label_index.c: the alert index of lib/label/index.c: a tuple is
 * found in either direction and only with its own protocol, ports and IP
 * version; the time window's edges with and without tolerance; alerts
 * without ports (ICMP) by tuple and by addresses; 100,000 alerts answer a
 * query within a logarithmic number of comparisons (counted, not timed)
 * and the answers equal a linear scan's; the matched flags from threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "label/index.h"

#define LI_S 1000000000LL

static void li_ip(const char *text, uint8_t out[16])
{
	cr_assert_neq(alert_parse_addr(text, strlen(text), out), 0, "%s", text);
}

static struct alert li_alert(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			     uint8_t proto, int64_t ts)
{
	struct alert a = { .ts = ts, .proto = proto, .src_port = sp, .dst_port = dp,
			   .icmp_type = ALERT_NO_ICMP, .icmp_code = ALERT_NO_ICMP,
			   .signature = "s", .classification = "c" };
	li_ip(src, a.src);
	li_ip(dst, a.dst);
	a.version = strchr(src, ':') ? 6 : 4;
	return a;
}

struct li_hits {
	uint32_t no[64];
	size_t n;
};

static bool li_collect(void *arg, uint32_t alert_no, const struct alert *a)
{
	(void)a;
	struct li_hits *h = arg;
	if (h->n < 64)
		h->no[h->n++] = alert_no;
	return true;
}

/* Queries a tuple; returns the hits. */
static struct li_hits li_find(const struct label_index *idx, const char *a, uint16_t ap,
			      const char *b, uint16_t bp, int proto, int64_t from, int64_t to)
{
	uint8_t aa[16], bb[16];
	li_ip(a, aa);
	li_ip(b, bb);
	struct label_query q = { .version = strchr(a, ':') ? 6 : 4, .proto = proto, .a_addr = aa,
				 .b_addr = bb, .a_port = ap, .b_port = bp, .t_from = from, .t_to = to };
	struct li_hits h = { .n = 0 };
	size_t n = label_index_find(idx, &q, li_collect, &h, NULL);
	cr_assert_eq(n, h.n);
	return h;
}

static struct li_hits li_find_addrs(const struct label_index *idx, const char *a, const char *b,
				    int proto, int64_t from, int64_t to)
{
	uint8_t aa[16], bb[16];
	li_ip(a, aa);
	li_ip(b, bb);
	struct label_query q = { .version = strchr(a, ':') ? 6 : 4, .proto = proto, .a_addr = aa,
				 .b_addr = bb, .t_from = from, .t_to = to };
	struct li_hits h = { .n = 0 };
	cr_assert_eq(label_index_find_addrs(idx, &q, li_collect, &h, NULL), h.n);
	return h;
}

Test(label_index, both_directions_and_exact_tuple)
{
	struct alert v[] = {
		li_alert("10.0.0.1", 40000, "10.0.0.2", 80, 6, 100 * LI_S),   /* 0 */
		li_alert("10.0.0.2", 80, "10.0.0.1", 40000, 6, 101 * LI_S),   /* 1: reply */
		li_alert("10.0.0.1", 40001, "10.0.0.2", 80, 6, 100 * LI_S),   /* 2: other port */
		li_alert("10.0.0.1", 40000, "10.0.0.2", 80, 17, 100 * LI_S),  /* 3: UDP */
		li_alert("10.0.0.1", 80, "10.0.0.2", 40000, 6, 100 * LI_S),   /* 4: ports swapped */
		li_alert("::a00:1", 40000, "::a00:2", 80, 6, 100 * LI_S),     /* 5: IPv6 */
	};
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, v, 6, 0), 0);
	struct li_hits h = li_find(&idx, "10.0.0.1", 40000, "10.0.0.2", 80, 6, 0, 200 * LI_S);
	cr_assert_eq(h.n, 2);
	cr_assert_eq(h.no[0], 0);
	cr_assert_eq(h.no[1], 1);
	h = li_find(&idx, "10.0.0.2", 80, "10.0.0.1", 40000, 6, 0, 200 * LI_S);
	cr_assert_eq(h.n, 2, "the other direction finds the same");
	h = li_find(&idx, "10.0.0.1", 40001, "10.0.0.2", 80, 6, 0, 200 * LI_S);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 2);
	h = li_find(&idx, "10.0.0.2", 80, "10.0.0.1", 40000, 17, 0, 200 * LI_S);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 3);
	h = li_find(&idx, "10.0.0.1", 80, "10.0.0.2", 40000, 6, 0, 200 * LI_S);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 4);
	h = li_find(&idx, "::a00:2", 80, "::a00:1", 40000, 6, 0, 200 * LI_S);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 5);
	h = li_find(&idx, "10.0.0.1", 40000, "10.0.0.3", 80, 6, 0, 200 * LI_S);
	cr_assert_eq(h.n, 0);
	/* By addresses: every alert between 10.0.0.1 and .2, of one or any protocol */
	h = li_find_addrs(&idx, "10.0.0.2", "10.0.0.1", LABEL_ANY_PROTO, 0, 200 * LI_S);
	cr_assert_eq(h.n, 5);
	h = li_find_addrs(&idx, "10.0.0.1", "10.0.0.2", 17, 0, 200 * LI_S);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 3);
	label_index_free(&idx);
}

Test(label_index, time_window_edges)
{
	int64_t t = 1470097259LL * LI_S + 123456000;
	struct alert v[] = { li_alert("1.1.1.1", 1, "2.2.2.2", 2, 17, t) };
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, v, 1, 0), 0);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t, t).n, 1);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t - 5, t).n, 1);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t, t + 5).n, 1);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t + 1, t + 5).n, 0);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t - 5, t - 1).n, 0);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t + 1, t).n, 0, "empty window");
	label_index_free(&idx);

	/* The default tolerance: 1 us either side, inclusive */
	cr_assert_eq(label_index_build(&idx, v, 1, -1), 0);
	cr_assert_eq(idx.tolerance_ns, LABEL_TOLERANCE_DEFAULT_NS);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t + 1000, t + 2000).n, 1);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t + 1001, t + 2000).n, 0);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t - 2000, t - 1000).n, 1);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t - 2000, t - 1001).n, 0);
	/* A packet of a nanosecond capture: Suricata truncated it to the us */
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, t + 999, t + 999).n, 1);
	/* No overflow at the ends of time */
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 17, INT64_MIN, INT64_MAX).n, 1);
	label_index_free(&idx);
}

Test(label_index, alerts_without_ports)
{
	int64_t t = 50 * LI_S;
	struct alert v[] = {
		li_alert("10.0.0.1", 0, "10.0.0.2", 0, 1, t),           /* ICMP */
		li_alert("10.0.0.2", 0, "10.0.0.1", 0, 1, t + LI_S),    /* ICMP reply */
		li_alert("fe80::1", 0, "ff02::2", 0, 58, t),            /* ICMPv6 */
		li_alert("10.0.0.1", 5, "10.0.0.2", 6, 6, t),           /* TCP between them */
	};
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, v, 4, 0), 0);
	/* An ICMP record's tuple: ports 0 */
	struct li_hits h = li_find(&idx, "10.0.0.2", 0, "10.0.0.1", 0, 1, t, t + LI_S);
	cr_assert_eq(h.n, 2);
	h = li_find(&idx, "10.0.0.2", 0, "10.0.0.1", 0, 1, t + 1, t + LI_S);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 1);
	cr_assert_eq(li_find(&idx, "ff02::2", 0, "fe80::1", 0, 58, t, t).n, 1);
	/* An IPv4 record (no ports) of the TCP packet, or of the ICMP one */
	h = li_find_addrs(&idx, "10.0.0.1", "10.0.0.2", 6, t, t);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.no[0], 3);
	h = li_find_addrs(&idx, "10.0.0.1", "10.0.0.2", LABEL_ANY_PROTO, t, t);
	cr_assert_eq(h.n, 2);
	cr_assert_eq(li_find_addrs(&idx, "ff02::2", "fe80::1", LABEL_ANY_PROTO, t, t).n, 1);
	/* Versions never mix: ::a00:1 is not 10.0.0.1 */
	cr_assert_eq(li_find_addrs(&idx, "::a00:1", "::a00:2", LABEL_ANY_PROTO, 0, 100 * LI_S).n, 0);
	label_index_free(&idx);
}

Test(label_index, empty_and_stop)
{
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, NULL, 0, 0), 0);
	cr_assert_eq(li_find(&idx, "1.1.1.1", 1, "2.2.2.2", 2, 6, 0, INT64_MAX).n, 0);
	cr_assert_eq(label_index_count_matched(&idx), 0);
	label_index_free(&idx);
}

/* Deterministic pseudo-random numbers (xorshift), so failures repeat. */
static uint64_t li_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool li_count_only(void *arg, uint32_t no, const struct alert *a)
{
	(void)no;
	(void)a;
	(*(size_t *)arg)++;
	return true;
}

/* 100,000 alerts on 2,000 connections of 200 hosts: each query costs at
 * most ~2 log2(n) + matches + 2 comparisons and finds what a scan finds. */
Test(label_index, many_alerts_logarithmic)
{
	enum { N = 100000, CONNS = 2000 };
	struct alert *v = calloc(N, sizeof *v);
	struct { uint8_t a[16], b[16]; uint16_t ap, bp; uint8_t proto; } *conn = calloc(CONNS, sizeof *conn);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (int c = 0; c < CONNS; c++) {
		conn[c].a[0] = 10;
		conn[c].a[3] = (uint8_t)(li_rand(&seed) % 200);
		conn[c].b[0] = 192;
		conn[c].b[3] = (uint8_t)(li_rand(&seed) % 200);
		conn[c].ap = (uint16_t)(1024 + li_rand(&seed) % 60000);
		conn[c].bp = (uint16_t)(li_rand(&seed) % 3 ? 80 : 53);
		conn[c].proto = conn[c].bp == 53 ? 17 : 6;
	}
	for (int i = 0; i < N; i++) {
		int c = (int)(li_rand(&seed) % CONNS);
		bool reply = li_rand(&seed) & 1;
		struct alert *a = &v[i];
		a->version = 4;
		a->proto = conn[c].proto;
		memcpy(reply ? a->dst : a->src, conn[c].a, 16);
		memcpy(reply ? a->src : a->dst, conn[c].b, 16);
		a->src_port = reply ? conn[c].bp : conn[c].ap;
		a->dst_port = reply ? conn[c].ap : conn[c].bp;
		a->ts = (int64_t)(li_rand(&seed) % 3600) * LI_S;
		a->signature = a->classification = "x";
	}
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, v, N, 0), 0);
	uint64_t worst_extra = 0;
	for (int qn = 0; qn < 500; qn++) {
		int c = (int)(li_rand(&seed) % CONNS);
		int64_t from = (int64_t)(li_rand(&seed) % 3600) * LI_S, to = from + 60 * LI_S;
		struct label_query q = { .version = 4, .proto = conn[c].proto, .t_from = from, .t_to = to };
		bool flip = qn & 1;
		q.a_addr = flip ? conn[c].b : conn[c].a;
		q.b_addr = flip ? conn[c].a : conn[c].b;
		q.a_port = flip ? conn[c].bp : conn[c].ap;
		q.b_port = flip ? conn[c].ap : conn[c].bp;
		uint64_t probes = 0;
		size_t counted = 0;
		size_t found = label_index_find(&idx, &q, li_count_only, &counted, &probes);
		cr_assert_eq(found, counted);
		/* The linear scan's answer */
		size_t want = 0;
		for (int i = 0; i < N; i++) {
			const struct alert *a = &v[i];
			bool fwd = !memcmp(a->src, conn[c].a, 16) && !memcmp(a->dst, conn[c].b, 16) &&
				   a->src_port == conn[c].ap && a->dst_port == conn[c].bp;
			bool rev = !memcmp(a->src, conn[c].b, 16) && !memcmp(a->dst, conn[c].a, 16) &&
				   a->src_port == conn[c].bp && a->dst_port == conn[c].ap;
			want += (fwd || rev) && a->proto == conn[c].proto && a->ts >= from && a->ts <= to;
		}
		cr_assert_eq(found, want, "query %d", qn);
		/* log2(100000) < 17: the search, then one per match and one stop */
		cr_assert_leq(probes, 17 + found + 1, "query %d: %llu probes for %zu matches", qn,
			      (unsigned long long)probes, found);
		if (probes - found > worst_extra)
			worst_extra = probes - found;
		/* By addresses: costs the alerts between the hosts in the window */
		uint64_t aprobes = 0;
		q.proto = LABEL_ANY_PROTO;
		size_t afound = label_index_find_addrs(&idx, &q, NULL, NULL, &aprobes);
		cr_assert_geq(afound, found);
		cr_assert_leq(aprobes, 17 + afound + 1);
	}
	cr_assert_gt(worst_extra, 10, "the binary search ran");
	label_index_free(&idx);
	free(v);
	free(conn);
}

struct li_thread {
	struct label_index *idx;
	uint32_t from, step;
};

static void *li_marker(void *arg)
{
	struct li_thread *t = arg;
	for (uint32_t i = t->from; i < t->idx->n; i += t->step)
		label_index_mark(t->idx, i);
	return NULL;
}

Test(label_index, matched_flags_from_threads)
{
	enum { N = 10000 };
	struct alert *v = calloc(N, sizeof *v);
	for (int i = 0; i < N; i++) {
		v[i] = li_alert("1.1.1.1", 1, "2.2.2.2", 2, 6, i);
	}
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, v, N, 0), 0);
	/* Four threads mark every third alert, overlapping each other */
	pthread_t th[4];
	struct li_thread args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct li_thread){ &idx, (uint32_t)(i % 2) * 3, 6 };
		cr_assert_eq(pthread_create(&th[i], NULL, li_marker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	size_t want = 0;
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_eq(label_index_matched(&idx, i), i % 3 == 0, "alert %u", i);
		want += i % 3 == 0;
	}
	cr_assert_eq(label_index_count_matched(&idx), want);
	label_index_free(&idx);
	free(v);
}

/* Records without addresses (Ethernet, ARP) find alerts by time alone:
 * every alert of the window, whatever its tuple, in time order, and none
 * outside it; a logarithmic number of comparisons among many alerts. */
Test(label_index, by_time_only)
{
	enum { LI_TN = 100000 };
	struct alert *alerts = calloc(LI_TN, sizeof *alerts);
	cr_assert_not_null(alerts);
	/* Times shuffled (i * 7919 mod LI_TN, a permutation), one alert per
	 * millisecond, so the array is not in time order. */
	for (uint32_t i = 0; i < LI_TN; i++)
		alerts[i] = li_alert(i % 2 ? "10.0.0.1" : "2001:db8::1", 80,
				     i % 2 ? "10.0.0.2" : "2001:db8::2", 1000, 6,
				     (int64_t)((uint64_t)i * 7919 % LI_TN) * 1000000);
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, alerts, LI_TN, 0), 0);
	struct li_hits h = { .n = 0 };
	uint64_t probes = 0;
	/* [5 ms, 7 ms] holds the alerts at 5, 6, 7 ms. */
	cr_assert_eq(label_index_find_time(&idx, 5000000, 7000000, li_collect, &h, &probes), 3);
	cr_assert_eq(h.n, 3);
	for (size_t k = 0; k < 3; k++)
		cr_assert_eq(alerts[h.no[k]].ts, (int64_t)(5 + k) * 1000000);
	cr_assert_leq(probes, 17 + 3 + 1, "%llu comparisons", (unsigned long long)probes);
	/* Between two alerts: nothing; one nanosecond off an edge, without
	 * tolerance: nothing. */
	cr_assert_eq(label_index_find_time(&idx, 5000001, 5999999, NULL, NULL, NULL), 0);
	cr_assert_eq(label_index_find_time(&idx, 7000001, 7000001, NULL, NULL, NULL), 0);
	/* An inverted window and an empty index find nothing. */
	cr_assert_eq(label_index_find_time(&idx, 7000000, 5000000, NULL, NULL, NULL), 0);
	label_index_free(&idx);
	cr_assert_eq(label_index_build(&idx, alerts, LI_TN, 1000), 0);
	cr_assert_eq(label_index_find_time(&idx, 7001000, 7001000, NULL, NULL, NULL), 1);
	cr_assert_eq(label_index_find_time(&idx, 7001001, 7001001, NULL, NULL, NULL), 0);
	label_index_free(&idx);
	cr_assert_eq(label_index_build(&idx, alerts, 0, 0), 0);
	cr_assert_eq(label_index_find_time(&idx, 0, INT64_MAX, NULL, NULL, NULL), 0);
	label_index_free(&idx);
	free(alerts);
}
