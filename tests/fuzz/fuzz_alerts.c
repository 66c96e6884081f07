/* fuzz_alerts.c: libFuzzer target for the Suricata alert parsers and the
 * alert index (lib/label/alerts.c, lib/label/index.c).
 *
 * Input: byte 0 picks the zone fast.log is read in (bit 0: Europe/Berlin,
 * else UTC; bit 1: America/New_York instead, when bit 0 is clear) and
 * whether every line goes to both parsers (bit 2 clear) or eve.json lines
 * and fast.log lines alternate (bit 2 set); the rest is split at newlines
 * into lines. Each parser must return 1, 0 or -1 and count what it did;
 * every alert kept must be well formed (IP version 4 or 6, an IPv4
 * address's upper bytes zero, no ports without a protocol that has them,
 * texts present). Then the index is built over the alerts and each alert
 * must find itself by its tuple in both directions and by its addresses;
 * the first 8 bytes of each line, read as a local time, must convert
 * consistently (a unique local time's offset is the one in force then).
 *
 * Build: make fuzz (build/fuzz/fuzz_alerts). Seeds: seed_alerts.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label/alerts.h"
#include "label/index.h"

static struct alert_tz *berlin, *new_york;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_alerts: %s\n", what);
	abort();
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	/* Without the zone files the zones read as UTC: still a valid run. */
	berlin = alert_tz_load("Europe/Berlin", err, sizeof err);
	new_york = alert_tz_load("America/New_York", err, sizeof err);
	return 0;
}

static bool self_found(void *arg, uint32_t no, const struct alert *a)
{
	(void)a;
	if (no == *(uint32_t *)arg)
		*(uint32_t *)arg = UINT32_MAX;
	return true;
}

static void check_index(const struct alert_set *set)
{
	struct label_index idx;
	if (label_index_build(&idx, set->alerts, set->n, (int64_t)(set->n % 3) * 1000) < 0)
		fail("index build failed");
	for (uint32_t i = 0; i < set->n; i++) {
		const struct alert *a = &set->alerts[i];
		for (int dir = 0; dir < 3; dir++) {
			struct label_query q = {
				.version = a->version, .proto = a->proto,
				.a_addr = dir == 1 ? a->dst : a->src, .b_addr = dir == 1 ? a->src : a->dst,
				.a_port = dir == 1 ? a->dst_port : a->src_port,
				.b_port = dir == 1 ? a->src_port : a->dst_port,
				.t_from = a->ts, .t_to = a->ts,
			};
			uint32_t want = i;
			uint64_t probes = 0;
			size_t n = dir < 2 ? label_index_find(&idx, &q, self_found, &want, &probes)
					   : label_index_find_addrs(&idx, &q, self_found, &want, &probes);
			if (want != UINT32_MAX || n == 0)
				fail("an alert does not find itself");
			if (probes > 40 + 2 * (uint64_t)n + set->n)
				fail("a query cost more than the index holds");
		}
		label_index_mark(&idx, i);
	}
	if (label_index_count_matched(&idx) != set->n)
		fail("matched flags lost");
	label_index_free(&idx);
}

static void check_alerts(const struct alert_set *set)
{
	static const uint8_t zero[12];
	for (size_t i = 0; i < set->n; i++) {
		const struct alert *a = &set->alerts[i];
		if (a->version != 4 && a->version != 6)
			fail("IP version not 4 or 6");
		if (a->version == 4 && (memcmp(a->src + 4, zero, 12) || memcmp(a->dst + 4, zero, 12)))
			fail("IPv4 address with upper bytes set");
		bool ports = a->proto == 6 || a->proto == 17 || a->proto == 132;
		if (!ports && (a->src_port || a->dst_port))
			fail("ports on a protocol without ports");
		if (!a->signature || !a->classification)
			fail("text missing");
		if (strlen(a->signature) > ALERT_LINE_MAX)
			fail("signature longer than a line");
	}
}

static void check_tz(const struct alert_tz *tz, const uint8_t *p, size_t n)
{
	int64_t local = 0;
	memcpy(&local, p, n < 8 ? n : 8);
	/* Years 1970 to 2200, as the parsers accept. */
	local = (int64_t)((uint64_t)local % 7258118400ULL);
	int64_t early, late;
	enum alert_local_kind kind = alert_tz_to_utc(tz, local, &early, &late);
	if (early > late)
		fail("early after late");
	if (kind == ALERT_LOCAL_UNIQUE && (early != late || alert_tz_offset(tz, early) != local - early))
		fail("a unique local time with the wrong offset");
	if (kind == ALERT_LOCAL_AMBIGUOUS && (alert_tz_offset(tz, early) != local - early ||
					      alert_tz_offset(tz, late) != local - late))
		fail("an ambiguous reading with the wrong offset");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = data[0];
	const struct alert_tz *tz = (cfg & 1) ? berlin : (cfg & 2) ? new_york : NULL;
	struct alert_set set;
	if (alert_set_init(&set) < 0)
		abort();
	set.report = quiet;
	int eve = alert_set_add_source(&set, "eve.json"), fast = alert_set_add_source(&set, "fast.log");
	if (eve < 0 || fast < 0)
		abort();
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	uint32_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		lineno++;
		struct alert_stats before = set.stats;
		size_t n_before = set.n;
		int r1 = 0, r2 = 0;
		if (!(cfg & 4) || lineno % 2)
			r1 = alert_parse_eve_line(&set, p, len, (uint32_t)eve, lineno);
		if (!(cfg & 4) || !(lineno % 2))
			r2 = alert_parse_fast_line(&set, tz, p, len, (uint32_t)fast, lineno);
		if (r1 < -1 || r1 > 1 || r2 < -1 || r2 > 1)
			fail("a parser returned an unknown value");
		uint64_t kept = (uint64_t)(r1 == 1) + (r2 == 1);
		if (set.n - n_before != kept || set.stats.alerts - before.alerts != kept)
			fail("alerts added and counted differ");
		uint64_t bad = (uint64_t)(r1 == -1) + (r2 == -1);
		if (set.stats.malformed - before.malformed != bad)
			fail("malformed lines and counts differ");
		check_tz(tz, (const uint8_t *)p, len);
		p = nl ? nl + 1 : end;
	}
	check_alerts(&set);
	check_index(&set);
	alert_set_free(&set);
	return 0;
}
