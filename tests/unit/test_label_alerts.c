/* test_label_alerts.c: the Suricata alert parsers of lib/label/alerts.c.
 *
 * eve.json lines (every field, every malformed kind, events that are not
 * alerts, IPv6, UTC offsets, fractions), fast.log lines (IPv4 TCP/UDP,
 * ICMP's type and code where ports go, IPv6 as Suricata 7 prints it, IPS
 * actions, malformed ones), fast.log read in a zone with DST (Europe/Berlin's
 * ambiguous 2016-10-30 02:30 and nonexistent 2016-03-27 02:30), the TZif
 * reader against the C library's localtime_r, and real Suricata 7.0.10
 * output: tests/data/label/NAME.{eve.json,fast.log}, one run each, must
 * give the same alerts from both files.
 *
 * The fixtures were made with tests/rules/labeling.rules:
 *   TZ=ZONE suricata -r ../shared/corpus/ndpi/PCAP -k none \
 *     -S tests/rules/labeling.rules --runmode single -l OUT
 * (1kxun.pcap in Europe/Berlin, http_ipv6.pcap in America/New_York,
 * android.pcap in Europe/Berlin), fast.log whole, eve.json's alert events
 * and its first six other events. tests/e2e/test_label_alerts.sh makes them
 * afresh with the installed Suricata and runs these tests on them
 * ($NETCAP_LABEL_DATA). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "label/alerts.h"

/* The last reported message, for the "FILE:LINE: field: reason" checks. */
static char la_last_msg[600];
static int la_n_msgs;

static void la_collect(void *arg, const char *message)
{
	(void)arg;
	snprintf(la_last_msg, sizeof la_last_msg, "%s", message);
	la_n_msgs++;
}

static struct alert_set la_set;
static struct alert_tz *la_berlin;

static void la_setup(void)
{
	cr_assert_eq(alert_set_init(&la_set), 0);
	la_set.report = la_collect;
	cr_assert_eq(alert_set_add_source(&la_set, "eve.json"), 0);
	cr_assert_eq(alert_set_add_source(&la_set, "fast.log"), 1);
	la_last_msg[0] = '\0';
	la_n_msgs = 0;
	char err[256];
	la_berlin = alert_tz_load("Europe/Berlin", err, sizeof err);
	cr_assert_not_null(la_berlin, "%s", err);
}

static void la_teardown(void)
{
	alert_set_free(&la_set);
	alert_tz_free(la_berlin);
}

static int la_eve(const char *line)
{
	return alert_parse_eve_line(&la_set, line, strlen(line), 0, 7);
}

static int la_fast(const char *line, const struct alert_tz *tz)
{
	return alert_parse_fast_line(&la_set, tz, line, strlen(line), 1, 9);
}

static const struct alert *la_last(void)
{
	cr_assert_gt(la_set.n, 0);
	return &la_set.alerts[la_set.n - 1];
}

/* Unix ns of a UTC calendar time. */
static int64_t la_utc(int y, int mo, int d, int h, int mi, int s, int64_t ns)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return (int64_t)timegm(&tm) * 1000000000 + ns;
}

static void la_addr(const char *text, uint8_t out[16])
{
	cr_assert_neq(alert_parse_addr(text, strlen(text), out), 0, "%s", text);
}

#define EVE_GOOD                                                                           \
	"{\"timestamp\":\"2016-08-02T02:20:59.123456+0200\",\"flow_id\":1,\"event_type\":\"alert\"," \
	"\"src_ip\":\"192.168.1.2\",\"src_port\":50000,\"dest_ip\":\"1.2.3.4\",\"dest_port\":80,"   \
	"\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2013028,"  \
	"\"rev\":7,\"signature\":\"ET POLICY curl User-Agent Outbound\",\"category\":"            \
	"\"Attempted Information Leak\",\"severity\":2}}"

TestSuite(label_alerts, .init = la_setup, .fini = la_teardown);

Test(label_alerts, eve_good_line)
{
	cr_assert_eq(la_eve(EVE_GOOD), 1, "%s", la_last_msg);
	const struct alert *a = la_last();
	cr_assert_eq(a->ts, la_utc(2016, 8, 2, 0, 20, 59, 123456000));
	cr_assert_eq(a->version, 4);
	uint8_t want[16];
	la_addr("192.168.1.2", want);
	cr_assert_arr_eq(a->src, want, 16);
	la_addr("1.2.3.4", want);
	cr_assert_arr_eq(a->dst, want, 16);
	cr_assert_eq(a->src_port, 50000);
	cr_assert_eq(a->dst_port, 80);
	cr_assert_eq(a->proto, 6);
	cr_assert_eq(a->gid, 1);
	cr_assert_eq(a->sid, 2013028);
	cr_assert_eq(a->rev, 7);
	cr_assert_eq(a->priority, 2);
	cr_assert_str_eq(a->signature, "ET POLICY curl User-Agent Outbound");
	cr_assert_str_eq(a->classification, "Attempted Information Leak");
	cr_assert_eq(a->icmp_type, ALERT_NO_ICMP);
	cr_assert_eq(a->source, 0);
	cr_assert_eq(a->line, 7);
	cr_assert_eq(la_set.stats.alerts, 1);
	cr_assert_eq(la_set.stats.malformed, 0);
}

Test(label_alerts, eve_text_interned)
{
	for (int i = 0; i < 50; i++)
		cr_assert_eq(la_eve(EVE_GOOD), 1);
	cr_assert_eq(la_set.alerts[0].signature, la_set.alerts[49].signature);
	cr_assert_eq(la_set.alerts[0].classification, la_set.alerts[49].classification);
}

/* The same instant written with different offsets. */
Test(label_alerts, eve_time_offsets)
{
	static const struct { const char *stamp; int64_t want; } cases[] = {
		{ "2016-08-02T02:20:59.123456+0200", 0 },
		{ "2016-08-02T00:20:59.123456Z", 0 },
		{ "2016-08-01T19:20:59.123456-0500", 0 },
		{ "2016-08-02T02:20:59.123456+02:00", 0 },
		{ "2016-08-02T05:50:59.123456+0530", 0 },
		{ "2016-08-02T00:20:59.123456+0000", 0 },
		{ "2016-08-02T00:20:59.1234560+0000", 0 },
		{ "2016-08-02T00:20:59.123456789Z", 789 },
		{ "2016-08-02T00:20:59.1Z", -23456000 },
		{ "2016-08-02T00:20:59Z", -123456000 },
	};
	int64_t base = la_utc(2016, 8, 2, 0, 20, 59, 123456000);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char line[600];
		snprintf(line, sizeof line,
			 "{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\","
			 "\"dest_ip\":\"10.0.0.2\",\"proto\":\"ICMP\",\"icmp_type\":8,\"icmp_code\":0,"
			 "\"alert\":{\"gid\":1,\"signature_id\":5,\"rev\":1,\"signature\":\"s\","
			 "\"category\":\"\",\"severity\":3}}",
			 cases[i].stamp);
		cr_assert_eq(la_eve(line), 1, "%s: %s", cases[i].stamp, la_last_msg);
		cr_assert_eq(la_last()->ts, base + cases[i].want, "%s", cases[i].stamp);
		cr_assert_eq(la_last()->proto, 1);
		cr_assert_eq(la_last()->src_port, 0);
		cr_assert_eq(la_last()->icmp_type, 8);
		cr_assert_eq(la_last()->icmp_code, 0);
		cr_assert_str_eq(la_last()->classification, "");
	}
}

Test(label_alerts, eve_ipv6)
{
	const char *line =
		"{\"timestamp\":\"2015-11-23T08:58:58.575377+0000\",\"event_type\":\"alert\","
		"\"src_ip\":\"2a00:0d40:0001:0003:7aac:c0ff:fea7:0d4c\",\"src_port\":37486,"
		"\"dest_ip\":\"2a03:b0c0:3:d0::70:1001\",\"dest_port\":443,\"proto\":\"TCP\","
		"\"alert\":{\"gid\":1,\"signature_id\":1000004,\"rev\":0,\"signature\":\"TCP SYN\","
		"\"category\":\"Not Suspicious Traffic\",\"severity\":3}}";
	cr_assert_eq(la_eve(line), 1, "%s", la_last_msg);
	const struct alert *a = la_last();
	cr_assert_eq(a->version, 6);
	uint8_t want[16];
	la_addr("2a00:d40:1:3:7aac:c0ff:fea7:d4c", want);
	cr_assert_arr_eq(a->src, want, 16);
	la_addr("2a03:b0c0:0003:00d0:0000:0000:0070:1001", want);
	cr_assert_arr_eq(a->dst, want, 16);
	cr_assert_eq(a->dst_port, 443);

	const char *icmp6 =
		"{\"timestamp\":\"2020-02-23T11:47:45.794321+0100\",\"event_type\":\"alert\","
		"\"src_ip\":\"::\",\"dest_ip\":\"ff02::1:ff9f:f627\",\"proto\":\"IPv6-ICMP\","
		"\"icmp_type\":135,\"icmp_code\":0,\"alert\":{\"gid\":1,\"signature_id\":3,\"rev\":1,"
		"\"signature\":\"ICMP any\",\"category\":\"Misc activity\",\"severity\":3}}";
	cr_assert_eq(la_eve(icmp6), 1, "%s", la_last_msg);
	cr_assert_eq(la_last()->proto, 58);
	cr_assert_eq(la_last()->icmp_type, 135);
	cr_assert_eq(la_last()->ts, la_utc(2020, 2, 23, 10, 47, 45, 794321000));
}

Test(label_alerts, eve_not_alerts_skipped)
{
	cr_assert_eq(la_eve("{\"timestamp\":\"2016-08-02T02:20:59.1+0200\",\"event_type\":\"flow\"}"), 0);
	cr_assert_eq(la_eve("{\"event_type\":\"stats\",\"stats\":{}}"), 0);
	cr_assert_eq(la_eve("{\"event_type\":\"alerts\"}"), 0);
	cr_assert_eq(la_eve(""), 0);
	cr_assert_eq(la_eve("   \r\n"), 0);
	/* An alert on a decoder event of a packet without IP. */
	cr_assert_eq(la_eve("{\"timestamp\":\"2016-08-02T02:20:59.1+0200\",\"event_type\":\"alert\","
			    "\"alert\":{\"gid\":1,\"signature_id\":2200000,\"rev\":2,"
			    "\"signature\":\"SURICATA Ethernet packet too small\",\"severity\":3}}"), 0);
	cr_assert_eq(la_set.stats.skipped, 6);
	cr_assert_eq(la_set.stats.malformed, 0);
	cr_assert_eq(la_set.n, 0);
	cr_assert_eq(la_n_msgs, 0);
}

/* EVE_GOOD with one substitution: replace `from` by `to`. */
static int la_eve_sub(const char *from, const char *to)
{
	const char *at = strstr(EVE_GOOD, from);
	cr_assert_not_null(at, "%s", from);
	char line[2048];
	snprintf(line, sizeof line, "%.*s%s%s", (int)(at - EVE_GOOD), EVE_GOOD, to, at + strlen(from));
	return la_eve(line);
}

Test(label_alerts, eve_malformed)
{
	static const struct { const char *from, *to, *msg; } cases[] = {
		{ "{\"timestamp\"", "[\"timestamp\"", "eve.json:7: json: " },
		{ "\"severity\":2}}", "\"severity\":2}", "eve.json:7: json: " },
		{ "\"event_type\":\"alert\"", "\"event_typ\":\"alert\"", "eve.json:7: event_type: missing" },
		{ "\"event_type\":\"alert\"", "\"event_type\":1", "eve.json:7: event_type: not a string" },
		{ "\"timestamp\":\"2016-08-02T02:20:59.123456+0200\",", "", "eve.json:7: timestamp: missing" },
		{ "+0200\"", "\"", "eve.json:7: timestamp: no UTC offset (Z or +HHMM)" },
		{ "2016-08-02T", "2016-02-30T", "eve.json:7: timestamp: no such date" },
		{ "2016-08-02T", "1969-12-31T", "eve.json:7: timestamp: year out of range (1970 to 2200)" },
		{ "02:20:59", "24:20:59", "eve.json:7: timestamp: no such time of day" },
		{ "02:20:59", "2:20:59", "eve.json:7: timestamp: not YYYY-MM-DDTHH:MM:SS" },
		{ ".123456+", ".+", "eve.json:7: timestamp: bad fraction of a second (1 to 9 digits)" },
		{ ".123456+", ".1234567890+", "eve.json:7: timestamp: bad fraction of a second (1 to 9 digits)" },
		{ "+0200", "+2400", "eve.json:7: timestamp: bad UTC offset" },
		{ "+0200", "+0200x", "eve.json:7: timestamp: text after the UTC offset" },
		{ "\"timestamp\":\"2016-08-02T02:20:59.123456+0200\"", "\"timestamp\":1470097259",
		  "eve.json:7: timestamp: not a string" },
		{ "\"192.168.1.2\"", "\"192.168.1.256\"", "eve.json:7: src_ip: not an IP address" },
		{ "\"src_ip\":\"192.168.1.2\",", "", "eve.json:7: src_ip: missing" },
		{ "\"1.2.3.4\"", "\"::1\"", "eve.json:7: dest_ip: IPv4 and IPv6 addresses mixed" },
		{ "\"1.2.3.4\"", "[1,2,3,4]", "eve.json:7: dest_ip: not a string" },
		{ "\"TCP\"", "\"TCPX\"", "eve.json:7: proto: unknown protocol" },
		{ "\"TCP\"", "6", "eve.json:7: proto: not a string" },
		{ "\"src_port\":50000,", "", "eve.json:7: src_port: missing" },
		{ "\"dest_port\":80", "\"dest_port\":65536", "eve.json:7: dest_port: out of range" },
		{ "\"dest_port\":80", "\"dest_port\":-1", "eve.json:7: dest_port: out of range" },
		{ "\"dest_port\":80", "\"dest_port\":\"80\"", "eve.json:7: dest_port: not an integer" },
		{ "\"dest_port\":80", "\"dest_port\":80.0", "eve.json:7: dest_port: not an integer" },
		{ "\"alert\":{", "\"alrt\":{", "eve.json:7: alert: missing" },
		{ "\"signature_id\":2013028", "\"signature_id\":-5", "eve.json:7: alert.signature_id: out of range" },
		{ "\"signature_id\":2013028", "\"signature_id\":4294967296",
		  "eve.json:7: alert.signature_id: out of range" },
		{ "\"gid\":1,", "", "eve.json:7: alert.gid: missing" },
		{ "\"rev\":7", "\"rev\":null", "eve.json:7: alert.rev: not an integer" },
		{ "\"severity\":2", "\"severity\":true", "eve.json:7: alert.severity: not an integer" },
		{ "\"signature\":\"ET POLICY curl User-Agent Outbound\"", "\"signature\":{}",
		  "eve.json:7: alert.signature: not a string" },
		{ "\"category\":\"Attempted Information Leak\"", "\"category\":2",
		  "eve.json:7: alert.category: not a string" },
		{ "\"flow_id\":1", "\"src_ip\":\"1.1.1.1\"", "eve.json:7: json: duplicate object key" },
		{ "ET POLICY", "ET\\u0000POLICY", "eve.json:7: json: " },
		{ "ET POLICY", "ET\xff POLICY", "eve.json:7: json: " },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		la_last_msg[0] = '\0';
		cr_assert_eq(la_eve_sub(cases[i].from, cases[i].to), -1, "case %zu: %s", i, cases[i].msg);
		cr_assert_eq(strncmp(la_last_msg, cases[i].msg, strlen(cases[i].msg)), 0,
			     "case %zu: got \"%s\", want \"%s\"", i, la_last_msg, cases[i].msg);
	}
	cr_assert_eq(la_set.n, 0);
	cr_assert_eq(la_set.stats.malformed, sizeof cases / sizeof *cases);
	/* Jansson wants an object or array at the top; an array is no event. */
	cr_assert_eq(la_eve("42"), -1);
	cr_assert_eq(strncmp(la_last_msg, "eve.json:7: json: ", 18), 0, "%s", la_last_msg);
	cr_assert_eq(la_eve("[1]"), -1);
	cr_assert_str_eq(la_last_msg, "eve.json:7: line: not a JSON object");
	/* The category may be absent (Suricata before 7 with no classtype). */
	cr_assert_eq(la_eve_sub(",\"category\":\"Attempted Information Leak\"", ""), 1, "%s", la_last_msg);
	cr_assert_str_eq(la_last()->classification, "");
}

Test(label_alerts, eve_deep_nesting_and_report_limit)
{
	/* Deep nesting is refused by jansson, not a stack overflow. */
	size_t depth = 100000;
	char *line = malloc(depth * 2 + 1);
	memset(line, '[', depth);
	memset(line + depth, ']', depth);
	line[depth * 2] = '\0';
	cr_assert_eq(la_eve(line), -1);
	free(line);
	la_set.report_max = 3;
	la_set.reported = 0;
	la_n_msgs = 0;
	for (int i = 0; i < 10; i++)
		cr_assert_eq(la_eve("{"), -1);
	/* Three reports and a note that only counting goes on. */
	cr_assert_eq(la_n_msgs, 4);
	cr_assert_eq(la_set.stats.malformed, 11);
}

Test(label_alerts, max_alerts_dropped)
{
	la_set.max_alerts = 3;
	for (int i = 0; i < 5; i++)
		la_eve(EVE_GOOD);
	cr_assert_eq(la_set.n, 3);
	cr_assert_eq(la_set.stats.dropped, 2);
	cr_assert_eq(la_n_msgs, 1);
}

#define FAST_GOOD                                                                          \
	"08/02/2016-02:20:59.123456  [**] [1:2013028:7] ET POLICY curl User-Agent Outbound [**] " \
	"[Classification: Attempted Information Leak] [Priority: 2] {TCP} 192.168.1.2:50000 -> 1.2.3.4:80"

Test(label_alerts, fast_good_matches_eve)
{
	/* In Berlin, 2016-08-02 02:20:59 is +0200, as in EVE_GOOD. */
	cr_assert_eq(la_fast(FAST_GOOD, la_berlin), 1, "%s", la_last_msg);
	cr_assert_eq(la_eve(EVE_GOOD), 1, "%s", la_last_msg);
	struct alert f = la_set.alerts[0], e = la_set.alerts[1];
	cr_assert_eq(f.source, 1);
	cr_assert_eq(f.line, 9);
	f.source = e.source;
	f.line = e.line;
	cr_assert_eq(memcmp(&f, &e, sizeof f), 0);
	/* Read as UTC: two hours later. */
	cr_assert_eq(la_fast(FAST_GOOD, NULL), 1);
	cr_assert_eq(la_last()->ts, e.ts + 2 * 3600 * 1000000000LL);
}

Test(label_alerts, duplicates_across_files_merged_once)
{
	/* fast.log (source 1), then eve.json (source 0) with the same alert,
	 * fast.log read as UTC (another time: another alert), and the
	 * eve.json line again: copies within one file stay. */
	cr_assert_eq(la_fast(FAST_GOOD, la_berlin), 1, "%s", la_last_msg);
	cr_assert_eq(la_eve(EVE_GOOD), 1, "%s", la_last_msg);
	cr_assert_eq(la_fast(FAST_GOOD, NULL), 1, "%s", la_last_msg); /* 2 h later: another */
	cr_assert_eq(la_eve(EVE_GOOD), 1, "%s", la_last_msg);
	int64_t kept_ts = la_set.alerts[0].ts, later_ts = la_set.alerts[2].ts;
	/* The event of eve.json (source 0, twice) and fast.log (once): the
	 * lower source's copies stay, fast.log's goes. */
	cr_assert_eq(alert_set_merge_duplicates(&la_set), 1);
	cr_assert_eq(la_set.n, 3);
	/* In the order read. */
	cr_expect_eq(la_set.alerts[0].ts, kept_ts);
	cr_expect_eq(la_set.alerts[0].source, 0);
	cr_expect_eq(la_set.alerts[1].ts, later_ts);
	cr_expect_eq(la_set.alerts[1].source, 1);
	cr_expect_eq(la_set.alerts[2].ts, kept_ts);
	cr_expect_eq(la_set.alerts[2].source, 0);
	/* One file: nothing merged, even with copies. */
	struct alert_set one;
	cr_assert_eq(alert_set_init(&one), 0);
	cr_assert_eq(alert_set_add_source(&one, "eve.json"), 0);
	cr_assert_eq(alert_parse_eve_line(&one, EVE_GOOD, strlen(EVE_GOOD), 0, 1), 1);
	cr_assert_eq(alert_parse_eve_line(&one, EVE_GOOD, strlen(EVE_GOOD), 0, 2), 1);
	cr_expect_eq(alert_set_merge_duplicates(&one), 0);
	cr_expect_eq(one.n, 2);
	alert_set_free(&one);
}

Test(label_alerts, fast_variants)
{
	/* UDP, (null) classification, rev 0 */
	cr_assert_eq(la_fast("08/02/2016-02:19:37.734137  [**] [1:1000002:0] DNS query [**] "
			     "[Classification: (null)] [Priority: 3] {UDP} 192.168.115.8:51024 -> 8.8.8.8:53",
			     NULL), 1, "%s", la_last_msg);
	cr_assert_eq(la_last()->proto, 17);
	cr_assert_eq(la_last()->rev, 0);
	cr_assert_str_eq(la_last()->classification, "");
	cr_assert_eq(la_last()->ts, la_utc(2016, 8, 2, 2, 19, 37, 734137000));
	/* ICMP: type and code where the ports go */
	cr_assert_eq(la_fast("08/02/2016-02:19:37.000001  [**] [1:3:1] ICMP echo [**] "
			     "[Classification: Misc activity] [Priority: 3] {ICMP} 10.0.0.1:8 -> 10.0.0.2:0",
			     NULL), 1, "%s", la_last_msg);
	cr_assert_eq(la_last()->proto, 1);
	cr_assert_eq(la_last()->src_port, 0);
	cr_assert_eq(la_last()->dst_port, 0);
	cr_assert_eq(la_last()->icmp_type, 8);
	cr_assert_eq(la_last()->icmp_code, 0);
	/* IPv6 as Suricata 7 prints it, every group in full, port after the last colon */
	cr_assert_eq(la_fast("11/23/2015-08:58:58.575377  [**] [1:1000004:0] TCP SYN [**] "
			     "[Classification: Not Suspicious Traffic] [Priority: 3] {TCP} "
			     "2a00:0d40:0001:0003:7aac:c0ff:fea7:0d4c:37486 -> "
			     "2a03:b0c0:0003:00d0:0000:0000:0070:1001:443\r\n", NULL), 1, "%s", la_last_msg);
	uint8_t want[16];
	la_addr("2a03:b0c0:3:d0::70:1001", want);
	cr_assert_eq(la_last()->version, 6);
	cr_assert_arr_eq(la_last()->dst, want, 16);
	cr_assert_eq(la_last()->src_port, 37486);
	cr_assert_eq(la_last()->dst_port, 443);
	/* bracketed IPv6, IPS action, a signature holding brackets and "[**]",
	 * a two-digit year, a number for the protocol */
	cr_assert_eq(la_fast("08/02/16-02:19:37.5  [Drop] [**] [1:9:2] odd [**] sig [x] [**] "
			     "[Classification: Misc activity] [Priority: 1] {PROTO:132} [::1]:5 -> [::2]:6",
			     NULL), 1, "%s", la_last_msg);
	cr_assert_str_eq(la_last()->signature, "odd [**] sig [x]");
	cr_assert_eq(la_last()->proto, 132);
	cr_assert_eq(la_last()->src_port, 5);
	cr_assert_eq(la_last()->ts, la_utc(2016, 8, 2, 2, 19, 37, 500000000));
	cr_assert_eq(la_fast("08/02/2016-02:19:37.5  [wDrop] [**] [1:9:2] g [**] "
			     "[Classification: x] [Priority: 1] {GRE} 1.1.1.1:0 -> 2.2.2.2:0", NULL), 1);
	cr_assert_eq(la_last()->proto, 47);
	/* A decoder event without IP: skipped, no error */
	cr_assert_eq(la_fast("08/02/2016-02:19:37.5  [**] [1:2200000:2] SURICATA too small [**] "
			     "[Classification: Generic Protocol Command Decode] [Priority: 3] [**] "
			     "[Raw pkt: 00 01 02 ] [pcap file packet: 4]", NULL), 0);
	cr_assert_eq(la_set.stats.malformed, 0, "%s", la_last_msg);
}

Test(label_alerts, fast_malformed)
{
	static const struct { const char *from, *to, *msg; } cases[] = {
		{ "08/02/2016-", "8/02/2016-", "fast.log:9: time: not MM/DD/YYYY-HH:MM:SS" },
		{ "08/02/2016-", "08/02/201-", "fast.log:9: time: not MM/DD/YYYY-HH:MM:SS" },
		{ "08/02/2016-", "13/02/2016-", "fast.log:9: time: no such date" },
		{ "08/02/2016-", "02/29/2015-", "fast.log:9: time: no such date" },
		{ "02:20:59", "02:60:59", "fast.log:9: time: no such time of day" },
		{ ".123456 ", ". ", "fast.log:9: time: bad fraction of a second" },
		{ ".123456  ", ".123456", "fast.log:9: time: not followed by a space" },
		{ "[**] [1:", "[*] [1:", "fast.log:9: rule: no \"[**] [\" after the time" },
		{ "[1:2013028:7]", "[1:2013028]", "fast.log:9: rule: not [gid:sid:rev]" },
		{ "[1:2013028:7]", "[1:x:7]", "fast.log:9: rule: not [gid:sid:rev]" },
		{ "[1:2013028:7]", "[1:99999999999:7]", "fast.log:9: rule: not [gid:sid:rev]" },
		{ "[Classification: ", "[Class: ", "fast.log:9: classification: missing" },
		{ "] [Priority: 2]", "] [Prio: 2]", "fast.log:9: priority: missing" },
		{ "[Priority: 2]", "[Priority: two]", "fast.log:9: priority: not a number" },
		{ "{TCP}", "TCP", "fast.log:9: proto: no {PROTO}" },
		{ "{TCP}", "{TXP}", "fast.log:9: proto: unknown protocol" },
		{ "{TCP}", "{PROTO:256}", "fast.log:9: proto: unknown protocol" },
		{ " -> ", " => ", "fast.log:9: dst: no \" -> \"" },
		{ "192.168.1.2:50000", "192.168.1.2", "fast.log:9: src: not ADDRESS:PORT" },
		{ "192.168.1.2:50000", "192.168.1.2:65536", "fast.log:9: src: not ADDRESS:PORT" },
		{ "192.168.1.2:50000", "192.168.1:50000", "fast.log:9: src: not ADDRESS:PORT" },
		{ "1.2.3.4:80", "1.2.3.4:", "fast.log:9: dst: not ADDRESS:PORT" },
		{ "1.2.3.4:80", "1.2.3.4:80 x", "fast.log:9: dst: not ADDRESS:PORT" },
		{ "1.2.3.4:80", "::1:80", "fast.log:9: dst: IPv4 and IPv6 addresses mixed" },
		{ "curl", "cu\0rl", "fast.log:9: line: NUL byte" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *at = strstr(FAST_GOOD, cases[i].from);
		cr_assert_not_null(at, "%s", cases[i].from);
		char line[1024];
		size_t pre = (size_t)(at - FAST_GOOD), tl = strlen(cases[i].to);
		/* The NUL case: length by hand, the to-string holds a NUL. */
		if (strcmp(cases[i].to, "cu") == 0)
			tl = 5;
		memcpy(line, FAST_GOOD, pre);
		memcpy(line + pre, cases[i].to, tl);
		strcpy(line + pre + tl, at + strlen(cases[i].from));
		size_t len = pre + tl + strlen(at + strlen(cases[i].from));
		la_last_msg[0] = '\0';
		cr_assert_eq(alert_parse_fast_line(&la_set, NULL, line, len, 1, 9), -1, "case %zu", i);
		cr_assert_eq(strncmp(la_last_msg, cases[i].msg, strlen(cases[i].msg)), 0,
			     "case %zu: got \"%s\", want \"%s\"", i, la_last_msg, cases[i].msg);
	}
	cr_assert_eq(la_set.n, 0);
	cr_assert_eq(la_set.stats.malformed, sizeof cases / sizeof *cases);
	cr_assert_eq(la_fast("{ICMP} 10.0.0.1:300 -> 10.0.0.2:0", NULL), -1);
	cr_assert_eq(la_fast("08/02/2016-02:19:37.1  [**] [1:3:1] x [**] [Classification: y] "
			     "[Priority: 3] {ICMP} 10.0.0.1:300 -> 10.0.0.2:0", NULL), -1);
	cr_assert_str_eq(la_last_msg, "fast.log:9: src: ICMP type or code over 255");
}

/* Europe/Berlin, 2016-10-30: 03:00 CEST became 02:00 CET, so 02:00-02:59
 * came twice (00:xx UTC, then 01:xx UTC). */
Test(label_alerts, fast_dst_fall_back_ambiguous)
{
	const char *fmt = "10/30/2016-%s  [**] [1:1:1] s [**] [Classification: c] [Priority: 1] "
			  "{UDP} 10.0.0.1:1 -> 10.0.0.2:2";
	const char *times[] = { "01:59:59.000000", "02:30:00.000000", "02:59:00.000000",
				"02:00:30.000000", "02:30:00.000000", "03:00:00.000000" };
	int64_t want[] = { la_utc(2016, 10, 29, 23, 59, 59, 0), la_utc(2016, 10, 30, 0, 30, 0, 0),
			   la_utc(2016, 10, 30, 0, 59, 0, 0),   la_utc(2016, 10, 30, 1, 0, 30, 0),
			   la_utc(2016, 10, 30, 1, 30, 0, 0),   la_utc(2016, 10, 30, 2, 0, 0, 0) };
	for (int i = 0; i < 6; i++) {
		char line[256];
		snprintf(line, sizeof line, fmt, times[i]);
		cr_assert_eq(la_fast(line, la_berlin), 1, "%s", la_last_msg);
		cr_assert_eq(la_last()->ts, want[i], "line %d: %lld", i, (long long)la_last()->ts);
	}
	cr_assert_eq(la_set.stats.ambiguous, 4);
	/* Alone (no earlier line), an ambiguous time reads as the first pass. */
	la_set.fast_have_prev = false;
	char line[256];
	snprintf(line, sizeof line, fmt, "02:30:00.000000");
	cr_assert_eq(la_fast(line, la_berlin), 1);
	cr_assert_eq(la_last()->ts, la_utc(2016, 10, 30, 0, 30, 0, 0));
	/* Read as UTC nothing is ambiguous. */
	cr_assert_eq(la_fast(line, NULL), 1);
	cr_assert_eq(la_last()->ts, la_utc(2016, 10, 30, 2, 30, 0, 0));
	cr_assert_eq(la_set.stats.ambiguous, 5);
}

/* Europe/Berlin, 2016-03-27: 02:00 CET became 03:00 CEST; 02:30 never
 * happened. It reads with the offset before the change (+1 h) and is
 * reported, not dropped. */
Test(label_alerts, fast_dst_spring_forward_nonexistent)
{
	const char *line = "03/27/2016-02:30:00.250000  [**] [1:1:1] s [**] [Classification: c] "
			   "[Priority: 1] {UDP} 10.0.0.1:1 -> 10.0.0.2:2";
	cr_assert_eq(la_fast(line, la_berlin), 1, "%s", la_last_msg);
	cr_assert_eq(la_last()->ts, la_utc(2016, 3, 27, 1, 30, 0, 250000000));
	cr_assert_eq(la_set.stats.nonexistent, 1);
	cr_assert_eq(la_set.stats.malformed, 0);
	cr_assert_eq(strncmp(la_last_msg, "fast.log:9: time: no such local time", 36), 0, "%s", la_last_msg);
	/* Either side of the gap */
	line = "03/27/2016-01:59:59.000000  [**] [1:1:1] s [**] [Classification: c] "
	       "[Priority: 1] {UDP} 10.0.0.1:1 -> 10.0.0.2:2";
	cr_assert_eq(la_fast(line, la_berlin), 1);
	cr_assert_eq(la_last()->ts, la_utc(2016, 3, 27, 0, 59, 59, 0));
	line = "03/27/2016-03:00:00.000000  [**] [1:1:1] s [**] [Classification: c] "
	       "[Priority: 1] {UDP} 10.0.0.1:1 -> 10.0.0.2:2";
	cr_assert_eq(la_fast(line, la_berlin), 1);
	cr_assert_eq(la_last()->ts, la_utc(2016, 3, 27, 1, 0, 0, 0));
	cr_assert_eq(la_set.stats.nonexistent, 1);
}

/* The TZif reader gives the C library's offsets, every 6 hours over
 * decades and past the table's end (2037: the footer rule decides), for
 * zones north and south, with and without DST. Runs single-threaded, so
 * the test may set TZ. */
Test(label_alerts, tz_offsets_equal_libc)
{
	const char *zones[] = { "Europe/Berlin", "America/New_York", "Australia/Sydney",
				"Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham" };
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
		char err[256];
		struct alert_tz *tz = alert_tz_load(zones[z], err, sizeof err);
		cr_assert_not_null(tz, "%s", err);
		setenv("TZ", zones[z], 1);
		tzset();
		int checked = 0;
		for (int64_t t = 0; t < 4102444800LL; t += 6 * 3600 + 7) {
			time_t tt = (time_t)t;
			struct tm tm;
			localtime_r(&tt, &tm);
			cr_assert_eq(alert_tz_offset(tz, t), tm.tm_gmtoff, "%s at %lld", zones[z], (long long)t);
			/* Back: a unique local time gives t itself. */
			int64_t local = t + tm.tm_gmtoff, early, late;
			enum alert_local_kind kind = alert_tz_to_utc(tz, local, &early, &late);
			if (kind == ALERT_LOCAL_UNIQUE)
				cr_assert_eq(early, t, "%s at %lld", zones[z], (long long)t);
			else
				cr_assert(early == t || late == t, "%s at %lld", zones[z], (long long)t);
			checked++;
		}
		cr_assert_gt(checked, 10000);
		alert_tz_free(tz);
	}
	if (old) {
		setenv("TZ", old, 1);
		free(old);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

Test(label_alerts, tz_load_errors)
{
	char err[256];
	cr_assert_null(alert_tz_load("Mars/Olympus_Mons", err, sizeof err));
	cr_assert_not_null(strstr(err, "unknown time zone"), "%s", err);
	cr_assert_null(alert_tz_load("../../../etc/passwd", err, sizeof err));
	cr_assert_null(alert_tz_load("/etc/passwd", err, sizeof err));
	cr_assert_not_null(strstr(err, "not a TZif file"), "%s", err);
	struct alert_tz *utc = alert_tz_load("UTC", err, sizeof err);
	cr_assert_not_null(utc);
	cr_assert_eq(alert_tz_offset(utc, 1470097259), 0);
	alert_tz_free(utc);
}

Test(label_alerts, proto_names)
{
	cr_assert_eq(alert_proto_number("TCP", 3), 6);
	cr_assert_eq(alert_proto_number("udp", 3), 17);
	cr_assert_eq(alert_proto_number("IPv6-ICMP", 9), 58);
	cr_assert_eq(alert_proto_number("047", 3), 47);
	cr_assert_eq(alert_proto_number("PROTO:255", 9), 255);
	cr_assert_eq(alert_proto_number("256", 3), -1);
	cr_assert_eq(alert_proto_number("", 0), -1);
	cr_assert_eq(alert_proto_number("1234", 4), -1);
}

/* Writes text to a temporary file and returns its name (static buffer). */
static const char *la_tmpfile(const char *text, size_t len)
{
	static char name[64];
	snprintf(name, sizeof name, "/tmp/test_label_alerts.XXXXXX");
	int fd = mkstemp(name);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return name;
}

Test(label_alerts, file_lines_overlong_and_unterminated)
{
	/* good, overlong, good without its newline; CRLF line ends */
	size_t big = ALERT_LINE_MAX + 10;
	size_t cap = big + 3 * sizeof FAST_GOOD + 16;
	char *text = malloc(cap);
	size_t n = 0;
	n += (size_t)sprintf(text + n, "%s\r\n", FAST_GOOD);
	memset(text + n, 'x', big);
	n += big;
	text[n++] = '\n';
	n += (size_t)sprintf(text + n, "%s", FAST_GOOD);
	const char *path = la_tmpfile(text, n);
	free(text);
	cr_assert_eq(alert_read_fast(&la_set, path, NULL), 0);
	cr_assert_eq(la_set.stats.lines, 3);
	cr_assert_eq(la_set.n, 2);
	cr_assert_eq(la_set.alerts[0].line, 1);
	cr_assert_eq(la_set.alerts[1].line, 3);
	cr_assert_eq(la_set.stats.malformed, 1);
	char want[128];
	snprintf(want, sizeof want, "%s:2: line: longer than %u bytes", path, ALERT_LINE_MAX);
	cr_assert_str_eq(la_last_msg, want);
	unlink(path);
	cr_assert_eq(alert_read_eve(&la_set, "/nonexistent/eve.json"), -1);
	cr_assert_not_null(strstr(la_last_msg, "/nonexistent/eve.json: cannot open"), "%s", la_last_msg);
}

static const char *la_data_dir(void)
{
	const char *env = getenv("NETCAP_LABEL_DATA");
	return env && *env ? env : "tests/data/label";
}

/* Real Suricata output: the same alerts from eve.json and fast.log. */
static void la_fixture(const char *name, const char *zone, size_t want_alerts)
{
	char eve[512], fast[512], err[256];
	snprintf(eve, sizeof eve, "%s/%s.eve.json", la_data_dir(), name);
	snprintf(fast, sizeof fast, "%s/%s.fast.log", la_data_dir(), name);
	struct alert_tz *tz = alert_tz_load(zone, err, sizeof err);
	cr_assert_not_null(tz, "%s", err);
	struct alert_set e, f;
	cr_assert_eq(alert_set_init(&e), 0);
	cr_assert_eq(alert_set_init(&f), 0);
	e.report = f.report = la_collect;
	cr_assert_eq(alert_read_eve(&e, eve), 0, "%s", la_last_msg);
	cr_assert_eq(alert_read_fast(&f, fast, tz), 0, "%s", la_last_msg);
	cr_assert_eq(e.stats.malformed, 0, "%s", la_last_msg);
	cr_assert_eq(f.stats.malformed, 0, "%s", la_last_msg);
	/* Fixtures made afresh (tests/e2e/test_label_alerts.sh) by another
	 * Suricata may count differently; both files must still agree. */
	if (getenv("NETCAP_LABEL_DATA"))
		cr_assert_gt(e.n, 0);
	else
		cr_assert_eq(e.n, want_alerts);
	cr_assert_eq(f.n, e.n);
	cr_assert_gt(e.stats.skipped, 0, "the eve fixture holds other events too");
	for (size_t i = 0; i < e.n; i++) {
		struct alert a = e.alerts[i], b = f.alerts[i];
		cr_assert_str_eq(a.signature, b.signature, "%s alert %zu", name, i);
		cr_assert_str_eq(a.classification, b.classification, "%s alert %zu", name, i);
		cr_assert_eq(a.ts, b.ts, "%s alert %zu", name, i);
		/* eve's line numbers count its other events; fast.log's do not */
		cr_assert_eq(b.line, i + 1);
		a.line = b.line = 0;
		a.source = b.source = 0;
		/* Only eve.json tells the flow's start. */
		cr_assert_gt(a.flow_start, 0, "%s alert %zu", name, i);
		cr_assert_leq(a.flow_start, a.ts, "%s alert %zu", name, i);
		cr_assert_eq(b.flow_start, 0);
		a.flow_start = 0;
		a.signature = b.signature = a.classification = b.classification = NULL;
		cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "%s alert %zu differs", name, i);
	}
	alert_set_free(&e);
	alert_set_free(&f);
	alert_tz_free(tz);
}

Test(label_alerts, suricata_fixture_1kxun_berlin)
{
	la_fixture("1kxun-berlin", "Europe/Berlin", 72);
}

Test(label_alerts, suricata_fixture_http_ipv6_new_york)
{
	la_fixture("http_ipv6-newyork", "America/New_York", 12);
}

Test(label_alerts, suricata_fixture_android_icmpv6_berlin)
{
	la_fixture("android-berlin", "Europe/Berlin", 72);
}

/* Lines that cannot be alerts are skipped without parsing; an alert
 * spelled with \u escapes is still parsed, and a non-object line is still
 * reported. */
Test(label_alerts, eve_non_alert_events_skipped_unparsed)
{
	cr_assert_eq(la_eve("{\"event_type\":\"flow\",\"src_ip\":\"1.2.3.4\",broken}"), 0);
	cr_assert_eq(la_set.stats.skipped, 1);
	cr_assert_eq(la_set.stats.malformed, 0);
	cr_assert_eq(la_eve_sub("\"event_type\":\"alert\"", "\"event_type\":\"\\u0061lert\""), 1,
		     "%s", la_last_msg);
	cr_assert_eq(la_eve("not json"), -1);
}

/* The threaded reader gives what the line-by-line one gives: the same
 * alerts in the same order with the same line numbers, texts and stats,
 * on a file large enough to be cut into ranges (Suricata's own output
 * repeated, malformed lines among it). */
Test(label_alerts, eve_threads_equal_one_thread, .timeout = 60)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/1kxun-berlin.eve.json", la_data_dir());
	size_t flen;
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	char *fixture = malloc(1 << 20);
	flen = fread(fixture, 1, 1 << 20, f);
	fclose(f);
	size_t cap = (6u << 20) + flen, n = 0;
	char *text = malloc(cap);
	for (int copy = 0; n + flen + 64 < cap - flen; copy++) {
		memcpy(text + n, fixture, flen);
		n += flen;
		if (copy % 50 == 7)
			n += (size_t)sprintf(text + n, "[\"alert\"]\n{\"event_type\":\"alert\"\n");
	}
	/* A last line without its newline. */
	n += (size_t)sprintf(text + n, "%s", EVE_GOOD);
	const char *tmp = la_tmpfile(text, n);
	free(text);
	free(fixture);

	struct alert_set one, many;
	cr_assert_eq(alert_set_init(&one), 0);
	cr_assert_eq(alert_set_init(&many), 0);
	one.report = many.report = la_collect;
	cr_assert_eq(alert_read_eve(&one, tmp), 0);
	cr_assert_eq(alert_read_eve_threads(&many, tmp, 4), 0);
	unlink(tmp);
	cr_assert_gt(one.n, 5000);
	cr_assert_eq(many.n, one.n);
	cr_expect_eq(memcmp(&many.stats, &one.stats, sizeof one.stats), 0);
	cr_expect_gt(one.stats.malformed, 0);
	for (size_t i = 0; i < one.n; i++) {
		struct alert a = one.alerts[i], b = many.alerts[i];
		cr_assert_str_eq(a.signature, b.signature, "alert %zu", i);
		cr_assert_str_eq(a.classification, b.classification, "alert %zu", i);
		a.signature = b.signature;
		a.classification = b.classification;
		cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "alert %zu (line %u vs %u)", i, a.line,
			     b.line);
	}
	alert_set_free(&one);
	alert_set_free(&many);
}

/* eve.json's flow.start, read when present; a wrong one is malformed. */
Test(label_alerts, eve_flow_start)
{
	cr_assert_eq(la_eve_sub("\"proto\":\"TCP\",",
				"\"proto\":\"TCP\",\"flow\":{\"pkts_toserver\":3,"
				"\"start\":\"2016-08-02T02:20:58.000001+0200\"},"),
		     1, "%s", la_last_msg);
	cr_assert_eq(la_last()->flow_start, la_utc(2016, 8, 2, 0, 20, 58, 1000));
	cr_assert_eq(la_eve(EVE_GOOD), 1);
	cr_assert_eq(la_last()->flow_start, 0);
	cr_assert_eq(la_eve_sub("\"proto\":\"TCP\",", "\"proto\":\"TCP\",\"flow\":5,"), -1);
	cr_assert_str_eq(la_last_msg, "eve.json:7: flow: not an object");
	cr_assert_eq(la_eve_sub("\"proto\":\"TCP\",", "\"proto\":\"TCP\",\"flow\":{\"start\":7},"), -1);
	cr_assert_str_eq(la_last_msg, "eve.json:7: flow.start: not a string");
	/* Suricata's own dns events may hold \u0000: not alerts, not read. */
	cr_assert_eq(la_eve("{\"timestamp\":\"x\",\"event_type\":\"dns\",\"dns\":{\"rrname\":\"a\\u0000b\"}}"), 0);
	cr_assert_eq(la_set.stats.malformed, 2);
}
