/* test_label_match.c: the matching rules of lib/label/match.c: each record
 * family matches the alerts it should and no other (other tuple, outside
 * the time window, the reverse direction matching, IPv6), ICMP alerts
 * label IPv4 and ICMP records, flows by their span, HTTP within the
 * application slack and not past it, link-layer records by time alone,
 * bad records counted, the bounded output; and the Label text with
 * description, collect, exclude_class, strict and "normal". */
#include <criterion/criterion.h>
#include <string.h>

#include "label/match.h"
#include "ncap/schema.h"
#include "netcap.pb-c.h"

#define LM_S 1000000000LL
#define LM_T0 (1470104459LL * LM_S) /* 2016-08-02T02:20:59Z */

static struct alert lm_alert(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			     uint8_t proto, int64_t ts, const char *cls, const char *sig,
			     uint32_t sid, uint32_t prio)
{
	struct alert a = { .ts = ts, .proto = proto, .src_port = sp, .dst_port = dp,
			   .icmp_type = ALERT_NO_ICMP, .icmp_code = ALERT_NO_ICMP, .sid = sid,
			   .priority = prio, .classification = cls, .signature = sig };
	a.version = (uint8_t)alert_parse_addr(src, strlen(src), a.src);
	cr_assert_neq(a.version, 0, "%s", src);
	cr_assert_eq(alert_parse_addr(dst, strlen(dst), a.dst), a.version, "%s", dst);
	return a;
}

/* The alerts every test labels against:
 *  0 TCP 10.0.0.1:1234 -> 10.0.0.2:80 at T0 (a packet of the HTTP flow)
 *  1 TCP 10.0.0.2:80 -> 10.0.0.1:1234 at T0 + 2 s (the reply, reversed)
 *  2 ICMP 10.0.0.1 -> 10.0.0.3 at T0 + 1 s (no ports)
 *  3 UDP [2001:db8::1]:5353 -> [2001:db8::2]:53 at T0 + 3 s (IPv6)
 *  4 TCP 10.0.0.1:1235 -> 10.0.0.2:80 at T0 (another connection, same time)
 *  5 TCP 10.0.0.1:1234 -> 10.0.0.2:80 at T0 + 20 s (outside the flow) */
static struct alert lm_alerts[6];
static struct label_index lm_idx;

static void lm_setup(void)
{
	lm_alerts[0] = lm_alert("10.0.0.1", 1234, "10.0.0.2", 80, 6, LM_T0, "web-attack",
				"ET WEB GET", 1001, 2);
	lm_alerts[1] = lm_alert("10.0.0.2", 80, "10.0.0.1", 1234, 6, LM_T0 + 2 * LM_S,
				"trojan", "ET TROJAN reply", 1002, 1);
	lm_alerts[2] = lm_alert("10.0.0.1", 0, "10.0.0.3", 0, 1, LM_T0 + LM_S, "misc",
				"ICMP ping", 1003, 3);
	lm_alerts[3] = lm_alert("2001:db8::1", 5353, "2001:db8::2", 53, 17, LM_T0 + 3 * LM_S,
				"dns", "DNS v6 query", 1004, 2);
	lm_alerts[4] = lm_alert("10.0.0.1", 1235, "10.0.0.2", 80, 6, LM_T0, "other-conn",
				"other", 1005, 2);
	lm_alerts[5] = lm_alert("10.0.0.1", 1234, "10.0.0.2", 80, 6, LM_T0 + 20 * LM_S, "late",
				"late", 1006, 2);
	cr_assert_eq(label_index_build(&lm_idx, lm_alerts, 6, -1), 0);
}

static void lm_teardown(void)
{
	label_index_free(&lm_idx);
}

/* Matches a record; returns the matched alert numbers as a bit set. */
static unsigned lm_match(const ProtobufCMessageDescriptor *d, const void *record, int64_t slack)
{
	struct label_matcher m;
	label_matcher_init(&m, d, slack);
	uint32_t out[16];
	struct label_match_result res;
	size_t n = label_match(&m, record, &lm_idx, out, 16, &res);
	cr_assert_eq(n, res.total);
	cr_assert_not(res.bad_record);
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++)
		bits |= 1u << out[i];
	return bits;
}

static Types__TCP lm_tcp(const char *src, int sp, const char *dst, int dp, int64_t ts)
{
	Types__TCP r = TYPES__TCP__INIT;
	r.timestamp = ts, r.srcip = (char *)src, r.dstip = (char *)dst;
	r.srcport = sp, r.dstport = dp;
	return r;
}

Test(label_match, families_of_the_schema, .init = lm_setup, .fini = lm_teardown)
{
	static const struct { const char *type; enum label_family f; } want[] = {
		{ "TCP", LABEL_FAMILY_PACKET_TUPLE },   { "UDP", LABEL_FAMILY_PACKET_TUPLE },
		{ "DNS", LABEL_FAMILY_PACKET_TUPLE },   { "DHCPv4", LABEL_FAMILY_PACKET_TUPLE },
		{ "NTP", LABEL_FAMILY_PACKET_TUPLE },   { "SIP", LABEL_FAMILY_PACKET_TUPLE },
		{ "IPv4", LABEL_FAMILY_PACKET_ADDRS },  { "IPv6", LABEL_FAMILY_PACKET_ADDRS },
		{ "ICMPv4", LABEL_FAMILY_PACKET_ADDRS }, { "ICMPv6", LABEL_FAMILY_PACKET_ADDRS },
		{ "IGMP", LABEL_FAMILY_PACKET_ADDRS },  { "IPv6HopByHop", LABEL_FAMILY_PACKET_ADDRS },
		{ "IPv6Fragment", LABEL_FAMILY_PACKET_ADDRS },
		{ "Ethernet", LABEL_FAMILY_PACKET_TIME }, { "ARP", LABEL_FAMILY_PACKET_TIME },
		{ "Dot1Q", LABEL_FAMILY_PACKET_TIME },  { "LLC", LABEL_FAMILY_PACKET_TIME },
		{ "Connection", LABEL_FAMILY_FLOW },    { "Flow", LABEL_FAMILY_FLOW },
		{ "NetworkFlow", LABEL_FAMILY_FLOW },   { "LinkFlow", LABEL_FAMILY_NONE },
		{ "TransportFlow", LABEL_FAMILY_NONE }, { "HTTP", LABEL_FAMILY_APP },
		{ "TLSClientHello", LABEL_FAMILY_APP }, { "TLSServerHello", LABEL_FAMILY_APP },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct ncap_type *t = ncap_type_by_name(want[i].type);
		cr_assert_not_null(t, "%s", want[i].type);
		struct label_matcher m;
		label_matcher_init(&m, t->desc, -1);
		cr_expect_eq(m.family, want[i].f, "%s: %s", want[i].type, label_family_name(m.family));
	}
	/* Every type of the schema gets a family, and a message of none is
	 * matched without crashing: the default (empty) record of each. */
	size_t count;
	const struct ncap_type *all = ncap_types_table(&count);
	for (size_t i = 0; i < count; i++) {
		if (!all[i].desc)
			continue;
		struct label_matcher m;
		label_matcher_init(&m, all[i].desc, -1);
		cr_assert(m.family != LABEL_FAMILY_NONE || m.why_none, "%s", all[i].name);
		ProtobufCMessage *msg = calloc(1, all[i].desc->sizeof_message);
		cr_assert_not_null(msg);
		protobuf_c_message_init(all[i].desc, msg);
		uint32_t out[4];
		label_match(&m, msg, &lm_idx, out, 4, NULL);
		free(msg);
	}
}

Test(label_match, per_packet_tuple, .init = lm_setup, .fini = lm_teardown)
{
	Types__TCP r = lm_tcp("10.0.0.1", 1234, "10.0.0.2", 80, LM_T0);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 1u << 0);
	/* The reverse direction's packet at T0 + 2 s. */
	r = lm_tcp("10.0.0.2", 80, "10.0.0.1", 1234, LM_T0 + 2 * LM_S);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 1u << 1);
	/* A reversed record of the first packet's time: still the tuple. */
	r = lm_tcp("10.0.0.2", 80, "10.0.0.1", 1234, LM_T0);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 1u << 0);
	/* Ports crossed wrongly (1234 on the server's side): nothing. */
	r = lm_tcp("10.0.0.1", 80, "10.0.0.2", 1234, LM_T0);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 0);
	/* Another port, another host, 2 us off: nothing. */
	r = lm_tcp("10.0.0.1", 1236, "10.0.0.2", 80, LM_T0);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 0);
	r = lm_tcp("10.0.0.9", 1234, "10.0.0.2", 80, LM_T0);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 0);
	r = lm_tcp("10.0.0.1", 1234, "10.0.0.2", 80, LM_T0 + 2000);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 0);
	/* Within the 1 us tolerance: matched. */
	r = lm_tcp("10.0.0.1", 1234, "10.0.0.2", 80, LM_T0 + 1000);
	cr_assert_eq(lm_match(&types__tcp__descriptor, &r, -1), 1u << 0);
	/* A UDP record of a TCP alert's tuple and time: not the same packet. */
	Types__UDP u = TYPES__UDP__INIT;
	u.timestamp = LM_T0, u.srcip = "10.0.0.1", u.dstip = "10.0.0.2";
	u.srcport = 1234, u.dstport = 80;
	cr_assert_eq(lm_match(&types__udp__descriptor, &u, -1), 0);
	/* IPv6: a DNS record (any transport) matches the IPv6 UDP alert. */
	Types__DNS d = TYPES__DNS__INIT;
	d.timestamp = LM_T0 + 3 * LM_S, d.srcip = "2001:db8::2", d.dstip = "2001:db8::1";
	d.srcport = 53, d.dstport = 5353;
	cr_assert_eq(lm_match(&types__dns__descriptor, &d, -1), 1u << 3);
	d.dstport = 5354;
	cr_assert_eq(lm_match(&types__dns__descriptor, &d, -1), 0);
}

Test(label_match, per_packet_addresses_and_icmp, .init = lm_setup, .fini = lm_teardown)
{
	/* The IPv4 record of the first packet: both TCP alerts of that time
	 * between these hosts (its own and the other connection's, which only
	 * ports tell apart, and an IPv4 record has none of its own). */
	Types__IPv4 ip = TYPES__IPV4__INIT;
	ip.timestamp = LM_T0, ip.srcip = "10.0.0.2", ip.dstip = "10.0.0.1";
	cr_assert_eq(lm_match(&types__ipv4__descriptor, &ip, -1), 1u << 0 | 1u << 4);
	/* The ICMP alert (no ports) labels the IPv4 and ICMPv4 records of its
	 * packet, in either direction, and nothing a microsecond later. */
	ip.timestamp = LM_T0 + LM_S, ip.srcip = "10.0.0.3", ip.dstip = "10.0.0.1";
	cr_assert_eq(lm_match(&types__ipv4__descriptor, &ip, -1), 1u << 2);
	Types__ICMPv4 ic = TYPES__ICMPV4__INIT;
	ic.timestamp = LM_T0 + LM_S, ic.srcip = "10.0.0.1", ic.dstip = "10.0.0.3";
	cr_assert_eq(lm_match(&types__icmpv4__descriptor, &ic, -1), 1u << 2);
	ic.timestamp += 1001;
	cr_assert_eq(lm_match(&types__icmpv4__descriptor, &ic, -1), 0);
	ic.timestamp = LM_T0 + LM_S, ic.dstip = "10.0.0.4";
	cr_assert_eq(lm_match(&types__icmpv4__descriptor, &ic, -1), 0);
	/* IPv6 records by their addresses, any form of writing them. */
	Types__IPv6 v6 = TYPES__IPV6__INIT;
	v6.timestamp = LM_T0 + 3 * LM_S, v6.srcip = "2001:0db8:0000:0000:0000:0000:0000:0001";
	v6.dstip = "2001:db8::2";
	cr_assert_eq(lm_match(&types__ipv6__descriptor, &v6, -1), 1u << 3);
	v6.timestamp = LM_T0;
	cr_assert_eq(lm_match(&types__ipv6__descriptor, &v6, -1), 0);
}

Test(label_match, link_layer_by_time, .init = lm_setup, .fini = lm_teardown)
{
	/* Ethernet at T0 carries one of the two packets of that microsecond:
	 * indistinguishable, both alerts label it (docs/labeling.md). */
	Types__Ethernet e = TYPES__ETHERNET__INIT;
	e.timestamp = LM_T0, e.srcmac = "00:11:22:33:44:55", e.dstmac = "66:77:88:99:aa:bb";
	cr_assert_eq(lm_match(&types__ethernet__descriptor, &e, -1), 1u << 0 | 1u << 4);
	e.timestamp = LM_T0 + LM_S;
	cr_assert_eq(lm_match(&types__ethernet__descriptor, &e, -1), 1u << 2);
	e.timestamp = LM_T0 + LM_S / 2;
	cr_assert_eq(lm_match(&types__ethernet__descriptor, &e, -1), 0);
}

static Types__Connection lm_conn(const char *proto, const char *src, const char *sp,
				 const char *dst, const char *dp, int64_t first, int64_t last)
{
	Types__Connection c = TYPES__CONNECTION__INIT;
	c.transportproto = (char *)proto, c.networkproto = strchr(src, ':') ? "IPv6" : "IPv4";
	c.srcip = (char *)src, c.srcport = (char *)sp, c.dstip = (char *)dst;
	c.dstport = (char *)dp, c.timestampfirst = first, c.timestamplast = last;
	return c;
}

Test(label_match, flows_by_span, .init = lm_setup, .fini = lm_teardown)
{
	/* The connection T0 .. T0 + 10 s: both of its alerts, either
	 * direction, not the other connection's, not the one 20 s on. */
	Types__Connection c = lm_conn("TCP", "10.0.0.1", "1234", "10.0.0.2", "80", LM_T0,
				      LM_T0 + 10 * LM_S);
	cr_assert_eq(lm_match(&types__connection__descriptor, &c, -1), 1u << 0 | 1u << 1);
	c = lm_conn("TCP", "10.0.0.2", "80", "10.0.0.1", "1234", LM_T0 + 2000, LM_T0 + 10 * LM_S);
	cr_assert_eq(lm_match(&types__connection__descriptor, &c, -1), 1u << 1, "starts after alert 0");
	c = lm_conn("UDP", "10.0.0.1", "1234", "10.0.0.2", "80", LM_T0, LM_T0 + 10 * LM_S);
	cr_assert_eq(lm_match(&types__connection__descriptor, &c, -1), 0);
	/* ICMP: ports 0, protocol ICMPv4. */
	c = lm_conn("ICMPv4", "10.0.0.3", "0", "10.0.0.1", "0", LM_T0, LM_T0 + 5 * LM_S);
	cr_assert_eq(lm_match(&types__connection__descriptor, &c, -1), 1u << 2);
	/* IPv6 Flow record, same rules. */
	Types__Flow f = TYPES__FLOW__INIT;
	f.transportproto = "UDP", f.srcip = "2001:db8::1", f.srcport = "5353";
	f.dstip = "2001:db8::2", f.dstport = "53", f.timestampfirst = LM_T0;
	f.timestamplast = LM_T0 + 3 * LM_S;
	cr_assert_eq(lm_match(&types__flow__descriptor, &f, -1), 1u << 3);
	f.timestamplast = LM_T0 + 3 * LM_S - 1001;
	cr_assert_eq(lm_match(&types__flow__descriptor, &f, -1), 0);
	/* NetworkFlow: the addresses, any protocol, in the span. */
	Types__NetworkFlow nf = TYPES__NETWORK_FLOW__INIT;
	nf.srcip = "10.0.0.1", nf.dstip = "10.0.0.2", nf.timestampfirst = LM_T0;
	nf.timestamplast = LM_T0 + 30 * LM_S;
	cr_assert_eq(lm_match(&types__network_flow__descriptor, &nf, -1),
		     1u << 0 | 1u << 1 | 1u << 4 | 1u << 5);
	/* LinkFlow and TransportFlow are never labeled. */
	Types__TransportFlow tf = TYPES__TRANSPORT_FLOW__INIT;
	tf.proto = "TCP", tf.srcport = 1234, tf.dstport = 80, tf.timestampfirst = LM_T0;
	tf.timestamplast = LM_T0 + 30 * LM_S;
	cr_assert_eq(lm_match(&types__transport_flow__descriptor, &tf, -1), 0);
	/* A non-IP Connection (no addresses, no ports): no match, not bad. */
	c = lm_conn("", "", "", "", "", LM_T0, LM_T0 + 30 * LM_S);
	cr_assert_eq(lm_match(&types__connection__descriptor, &c, -1), 0);
}

Test(label_match, http_and_tls_within_slack, .init = lm_setup, .fini = lm_teardown)
{
	/* HTTP at T0 - 1 s, done after 0.5 s: the slack reaches T0 + 2 s
	 * with 2.5 s, T0 only with 1.5 s; never alert 5 (20 s on). */
	Types__HTTP h = TYPES__HTTP__INIT;
	h.timestamp = LM_T0 - LM_S, h.doneafter = LM_S / 2;
	h.srcip = "10.0.0.1", h.dstip = "10.0.0.2";
	cr_assert_eq(lm_match(&types__http__descriptor, &h, -1), 1u << 0 | 1u << 1 | 1u << 4);
	cr_assert_eq(lm_match(&types__http__descriptor, &h, 5 * LM_S / 2), 1u << 0 | 1u << 1 | 1u << 4);
	cr_assert_eq(lm_match(&types__http__descriptor, &h, 3 * LM_S / 2), 1u << 0 | 1u << 4);
	cr_assert_eq(lm_match(&types__http__descriptor, &h, LM_S / 2 - 1001), 0);
	/* A negative DoneAfter (hostile) counts as 0. */
	h.doneafter = -100 * LM_S;
	cr_assert_eq(lm_match(&types__http__descriptor, &h, 3 * LM_S / 2), 1u << 0 | 1u << 4);
	/* An alert before the request does not label it. */
	h.timestamp = LM_T0 + 2000, h.doneafter = 0;
	cr_assert_eq(lm_match(&types__http__descriptor, &h, 5 * LM_S), 1u << 1);
	/* TLS: the exact tuple in either direction. */
	Types__TLSClientHello t = TYPES__TLSCLIENT_HELLO__INIT;
	t.timestamp = LM_T0 - LM_S, t.srcip = "10.0.0.1", t.dstip = "10.0.0.2";
	t.srcport = 1234, t.dstport = 80;
	cr_assert_eq(lm_match(&types__tlsclient_hello__descriptor, &t, -1), 1u << 0 | 1u << 1);
	t.srcport = 1299;
	cr_assert_eq(lm_match(&types__tlsclient_hello__descriptor, &t, -1), 0);
}

Test(label_match, bad_records_and_bounded_output, .init = lm_setup, .fini = lm_teardown)
{
	struct label_matcher m;
	label_matcher_init(&m, &types__tcp__descriptor, -1);
	struct label_match_result res;
	uint32_t out[2];
	static const char *const bad_ips[][2] = {
		{ "10.0.0.1", "not an address" }, { "10.0.0.1", "2001:db8::2" }, { "", "10.0.0.2" },
		{ "10.0.0.1/24", "10.0.0.2" },
	};
	for (size_t i = 0; i < 4; i++) {
		Types__TCP r = lm_tcp(bad_ips[i][0], 1234, bad_ips[i][1], 80, LM_T0);
		cr_assert_eq(label_match(&m, &r.base, &lm_idx, out, 2, &res), 0);
		cr_assert(res.bad_record, "%s %s", bad_ips[i][0], bad_ips[i][1]);
	}
	Types__TCP r = lm_tcp("10.0.0.1", 70000, "10.0.0.2", 80, LM_T0);
	label_match(&m, &r.base, &lm_idx, out, 2, &res);
	cr_assert(res.bad_record);
	Types__Connection c = lm_conn("TCP", "10.0.0.1", "12x4", "10.0.0.2", "80", LM_T0, LM_T0);
	struct label_matcher mc;
	label_matcher_init(&mc, &types__connection__descriptor, -1);
	label_match(&mc, &c.base, &lm_idx, out, 2, &res);
	cr_assert(res.bad_record);
	c.srcport = "123456";
	label_match(&mc, &c.base, &lm_idx, out, 2, &res);
	cr_assert(res.bad_record);
	/* A record of another type than the matcher's. */
	label_match(&m, &c.base, &lm_idx, out, 2, &res);
	cr_assert(res.bad_record);
	/* Inverted span: nothing, no failure. */
	c = lm_conn("TCP", "10.0.0.1", "1234", "10.0.0.2", "80", LM_T0 + LM_S, LM_T0);
	cr_assert_eq(label_match(&mc, &c.base, &lm_idx, out, 2, &res), 0);
	cr_assert_not(res.bad_record);
	/* Three matches, room for one: one stored, three counted and marked. */
	Types__NetworkFlow nf = TYPES__NETWORK_FLOW__INIT;
	nf.srcip = "10.0.0.1", nf.dstip = "10.0.0.2", nf.timestampfirst = LM_T0;
	nf.timestamplast = LM_T0 + 2 * LM_S;
	struct label_matcher mn;
	label_matcher_init(&mn, &types__network_flow__descriptor, -1);
	cr_assert_eq(label_index_count_matched(&lm_idx), 0);
	cr_assert_eq(label_match(&mn, &nf.base, &lm_idx, out, 1, &res), 1);
	cr_assert_eq(res.total, 3);
	cr_assert_not(res.bad_record);
	cr_assert_eq(label_index_count_matched(&lm_idx), 3);
	cr_assert(label_index_matched(&lm_idx, 0) && label_index_matched(&lm_idx, 1) &&
		  label_index_matched(&lm_idx, 4));
}

/* Label text of the given alert numbers. */
static int lm_text(const uint32_t *nos, size_t n, const struct label_text_options *o, char *out,
		   size_t outlen)
{
	uint32_t m[8];
	if (n)
		memcpy(m, nos, n * sizeof *nos);
	return label_text(&lm_idx, m, n, o, out, outlen);
}

Test(label_match, label_text_options, .init = lm_setup, .fini = lm_teardown)
{
	char out[128];
	struct label_text_options o = { 0 };
	/* None: normal. */
	cr_assert_eq(lm_text(NULL, 0, &o, out, sizeof out), 6);
	cr_assert_str_eq(out, "normal");
	/* One: its classification, or with description its signature. */
	cr_assert_eq(lm_text((uint32_t[]){ 0 }, 1, &o, out, sizeof out), 10);
	cr_assert_str_eq(out, "web-attack");
	o.description = true;
	lm_text((uint32_t[]){ 0 }, 1, &o, out, sizeof out);
	cr_assert_str_eq(out, "ET WEB GET");
	o.description = false;
	/* Several: the lowest priority number wins (alert 1, priority 1),
	 * whatever the order given; among equal priorities the earliest (0
	 * and 4 at T0, sid 1001 first). */
	lm_text((uint32_t[]){ 5, 0, 1 }, 3, &o, out, sizeof out);
	cr_assert_str_eq(out, "trojan");
	lm_text((uint32_t[]){ 5, 4, 0 }, 3, &o, out, sizeof out);
	cr_assert_str_eq(out, "web-attack");
	/* collect: every distinct label, by time then sid. */
	o.collect = true;
	lm_text((uint32_t[]){ 1, 4, 0, 5 }, 4, &o, out, sizeof out);
	cr_assert_str_eq(out, "web-attack | other-conn | trojan | late");
	lm_text((uint32_t[]){ 0, 0 }, 2, &o, out, sizeof out);
	cr_assert_str_eq(out, "web-attack");
	/* exclude_class: neither labels nor conflicts; all excluded: normal. */
	const char *ex[] = { "trojan", "late" };
	o.exclude_class = ex, o.n_exclude = 2;
	lm_text((uint32_t[]){ 1, 0, 5 }, 3, &o, out, sizeof out);
	cr_assert_str_eq(out, "web-attack");
	lm_text((uint32_t[]){ 1, 5 }, 2, &o, out, sizeof out);
	cr_assert_str_eq(out, "normal");
	/* strict: different classes fail, naming them; one class is fine;
	 * excluded classes do not conflict. */
	o.collect = false, o.strict = true;
	cr_assert_eq(lm_text((uint32_t[]){ 0, 5, 1 }, 3, &o, out, sizeof out), 0 + 10);
	cr_assert_str_eq(out, "web-attack");
	o.n_exclude = 0;
	cr_assert_eq(lm_text((uint32_t[]){ 0, 1 }, 2, &o, out, sizeof out), LABEL_TEXT_CONFLICT);
	cr_assert_str_eq(out, "web-attack | trojan");
	cr_assert_eq(lm_text((uint32_t[]){ 0 }, 1, &o, out, sizeof out), 10);
	/* An out-of-range alert number is ignored, not read. */
	o.strict = false;
	lm_text((uint32_t[]){ 99 }, 1, &o, out, sizeof out);
	cr_assert_str_eq(out, "normal");
	/* Truncation: the full length returned, the text cut and terminated. */
	o.collect = true;
	char small[8];
	cr_assert_eq(lm_text((uint32_t[]){ 0, 1 }, 2, &o, small, sizeof small), 19);
	cr_assert_str_eq(small, "web-att");
}

Test(label_match, empty_classification_uses_signature)
{
	struct alert a = lm_alert("10.0.0.1", 1, "10.0.0.2", 2, 6, LM_T0, "", "GPL rule", 7, 3);
	struct label_index idx;
	cr_assert_eq(label_index_build(&idx, &a, 1, -1), 0);
	uint32_t no = 0;
	char out[32];
	label_text(&idx, &no, 1, NULL, out, sizeof out);
	cr_assert_str_eq(out, "GPL rule");
	label_index_free(&idx);
}

/* Alerts raised when Suricata flushes a flow come after its last packet;
 * eve.json's flow.start ties them to the flow's records, and only to
 * the flow that started then. */
Test(label_match, late_alerts_by_flow_start)
{
	struct alert al[4];
	al[0] = lm_alert("10.0.0.1", 1234, "10.0.0.2", 443, 6, LM_T0 + 60 * LM_S, "flushed", "TLS SNI",
			 2001, 2);
	al[0].flow_start = LM_T0;
	al[1] = lm_alert("10.0.0.1", 1234, "10.0.0.2", 443, 6, LM_T0 + 60 * LM_S, "next", "TLS SNI",
			 2002, 2);
	al[1].flow_start = LM_T0 + 30 * LM_S; /* the tuple's next connection */
	al[2] = lm_alert("10.0.0.1", 1234, "10.0.0.2", 443, 6, LM_T0, "syn", "SYN", 2003, 3);
	al[2].flow_start = LM_T0;
	/* fast.log: no flow start, so nothing ties it. */
	al[3] = lm_alert("10.0.0.1", 1234, "10.0.0.2", 443, 6, LM_T0 + 60 * LM_S, "fast", "TLS SNI",
			 2004, 2);
	label_index_free(&lm_idx);
	cr_assert_eq(label_index_build(&lm_idx, al, 4, -1), 0);
	cr_assert_eq(lm_idx.n_flow, 3);

	Types__Connection c = lm_conn("TCP", "10.0.0.1", "1234", "10.0.0.2", "443", LM_T0,
				      LM_T0 + 10 * LM_S);
	cr_expect_eq(lm_match(&types__connection__descriptor, &c, -1), 1u << 0 | 1u << 2);
	/* The reverse Flow starts a round trip after the SYN: within the
	 * slack before it; the SYN itself stays the forward direction's. */
	Types__Flow f = TYPES__FLOW__INIT;
	f.transportproto = "TCP", f.srcip = "10.0.0.2", f.srcport = "443";
	f.dstip = "10.0.0.1", f.dstport = "1234", f.timestampfirst = LM_T0 + 50000000;
	f.timestamplast = LM_T0 + 10 * LM_S;
	cr_expect_eq(lm_match(&types__flow__descriptor, &f, -1), 1u << 0);
	cr_expect_eq(lm_match(&types__flow__descriptor, &f, 0), 0, "no slack: not before the start");
	/* The next connection of the tuple takes its own late alert only. */
	c = lm_conn("TCP", "10.0.0.1", "1234", "10.0.0.2", "443", LM_T0 + 30 * LM_S,
		    LM_T0 + 40 * LM_S);
	cr_expect_eq(lm_match(&types__connection__descriptor, &c, -1), 1u << 1);
	/* A record spanning the alerts' time matches them by time, once. */
	c = lm_conn("TCP", "10.0.0.1", "1234", "10.0.0.2", "443", LM_T0, LM_T0 + 70 * LM_S);
	cr_expect_eq(lm_match(&types__connection__descriptor, &c, -1), 0xfu);
	cr_expect_eq(label_index_count_matched(&lm_idx), 4);
}
