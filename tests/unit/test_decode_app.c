/* test_decode_app.c: the application decoders (DNS, DHCPv4, DHCPv6, NTP,
 * SIP) and the port table that dispatches to them (lib/decode).
 *
 * Every packet is a whole Ethernet/IPv4 (IPv6 for DHCPv6)/UDP or TCP frame
 * built byte by byte, so expected values are known independently of the
 * decoders. Well-formed messages check every field of their records; broken
 * ones (compression loops, pointers past the end, counts with no data behind
 * them, options running past the end, every truncation of a response) check
 * that the application layer gives no record and a fault under its own
 * protocol while the Ethernet/IP/UDP records stay, and, under
 * AddressSanitizer, that nothing is read outside the frame. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/frames.h"

static const int all_types[] = {
	T_ETHERNET, T_IPV4, T_IPV6, T_TCP, T_UDP, T_DNS, T_DHCPV4, T_DHCPV6, T_NTP, T_SIP,
};

static void enable_all(void) { enable_types(all_types, COUNT_OF(all_types)); }
static void setup(void) { setup_decoder(1 << 20, all_types, COUNT_OF(all_types)); }

TestSuite(decode_app, .init = setup, .fini = teardown_decoder);

/* ---- building messages and frames ------------------------------------ */

/* A name in wire form without compression: "a.bc" is 1 a 2 b c 0. */
static void put_name(struct frame *f, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		put8(f, (uint32_t)n);
		put(f, dotted, n);
		dotted += n + (dot ? 1 : 0);
	}
	put8(f, 0);
}

static void put_pointer(struct frame *f, uint32_t offset) { put16(f, 0xc000 | offset); }

/* Ethernet, IPv4 192.168.1.10 > 10.0.0.1 and UDP around payload. */
static void frame_udp4(struct frame *f, uint16_t sport, uint16_t dport, const struct frame *payload)
{
	f->len = 0;
	put_ethernet(f, 0x0800);
	put_ipv4(f, 17, UDP_HEADER + payload->len);
	put_udp(f, sport, dport, UDP_HEADER + payload->len);
	put(f, payload->b, payload->len);
}

/* Ethernet, IPv6 fe80::1 > ff02::1:2 (hop limit 1) and UDP around payload. */
static void frame_udp6(struct frame *f, uint16_t sport, uint16_t dport, const struct frame *payload)
{
	static const struct ipv6_fields dhcpv6 = {
		.vtcfl = 0x60000000,
		.hop_limit = 1,
		.src = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		.dst = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2 },
	};
	f->len = 0;
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 17, UDP_HEADER + payload->len, &dhcpv6);
	put_udp(f, sport, dport, UDP_HEADER + payload->len);
	put(f, payload->b, payload->len);
}

/* Ethernet, IPv4 (DF) and a TCP segment (PSH|ACK) around payload. */
static void frame_tcp4(struct frame *f, uint16_t sport, uint16_t dport, const struct frame *payload)
{
	f->len = 0;
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 6, 20 + payload->len, &(struct ipv4_fields){ .flags_fragment = 0x4000 });
	put16(f, sport);
	put16(f, dport);
	put32(f, 1000);
	put32(f, 2000);
	PUT(f, 0x50, 0x18);
	put16(f, 0xffff);
	put16(f, 0x1111);
	put16(f, 0);
	put(f, payload->b, payload->len);
}

/* ---- looking at the result -------------------------------------------- */

/* A fault in the application layer leaves the lower layers' records. */
static void expect_app_fault(enum decode_protocol proto, enum decode_reason reason)
{
	expect_error(proto, reason);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->srcport, pkt.src_port);
}

static void expect_ip_ports(const char *srcip, const char *dstip, int32_t sp, int32_t dp,
			    const char *got_srcip, const char *got_dstip, int32_t gsp, int32_t gdp)
{
	cr_assert_str_eq(got_srcip, srcip);
	cr_assert_str_eq(got_dstip, dstip);
	cr_assert_eq(gsp, sp);
	cr_assert_eq(gdp, dp);
}

static uint64_t events(enum decode_protocol proto, enum decode_reason reason)
{
	return ctx.stats.events[proto][reason];
}

/* ==== DNS ============================================================== */

static void dns_header(struct frame *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
		       uint16_t ns, uint16_t ar)
{
	m->len = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* An RR header for a name already written; returns where RDLENGTH is. */
static uint32_t rr_fixed(struct frame *m, uint16_t type, uint16_t class, uint32_t ttl)
{
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
	uint32_t at = m->len;
	put16(m, 0);
	return at;
}

static void rr_end(struct frame *m, uint32_t at)
{
	uint32_t n = m->len - at - 2;
	m->b[at] = (uint8_t)(n >> 8);
	m->b[at + 1] = (uint8_t)n;
}

Test(decode_app, dns_query_every_header_field)
{
	/* QR 0, opcode 2, AA, TC, RD, RA, Z 5, rcode 3: 0 0010 1 1 1 | 1 101 0011 */
	struct frame m, f;
	dns_header(&m, 0xbeef, 0x17d3, 1, 0, 0, 0);
	put_name(&m, "www.example.com");
	put16(&m, 28);
	put16(&m, 1);
	frame_udp4(&f, 40000, 53, &m);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_DNS);
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_eq(d->timestamp, TS);
	cr_assert_eq(d->id, 0xbeef);
	cr_assert(!d->qr);
	cr_assert_eq(d->opcode, 2);
	cr_assert(d->aa);
	cr_assert(d->tc);
	cr_assert(d->rd);
	cr_assert(d->ra);
	cr_assert_eq(d->z, 5);
	cr_assert_eq(d->responsecode, 3);
	cr_assert_eq(d->qdcount, 1);
	cr_assert_eq(d->ancount, 0);
	cr_assert_eq(d->nscount, 0);
	cr_assert_eq(d->arcount, 0);
	cr_assert_eq(d->n_questions, 1);
	cr_assert_str_eq(d->questions[0]->name, "www.example.com");
	cr_assert_eq(d->questions[0]->type, 28);
	cr_assert_eq(d->questions[0]->class_, 1);
	cr_assert_eq(d->n_answers + d->n_authorities + d->n_additionals, 0);
	expect_ip_ports("192.168.1.10", "10.0.0.1", 40000, 53, d->srcip, d->dstip, d->srcport,
			d->dstport);
	cr_assert_str_eq(pkt.app_proto, "DNS");
}

/* A response with every RR kind of the schema, compressed names in owner
 * names and in RDATA, over the three sections. Offsets: the question name
 * "example.com" is at 12, "com" at 20. */
static void dns_full_response(struct frame *m)
{
	dns_header(m, 0x1234, 0x8180, 1, 11, 1, 1);
	put_name(m, "example.com");            /* 12 */
	put16(m, 255);
	put16(m, 1);
	uint32_t at;

	put_pointer(m, 12);                     /* A */
	at = rr_fixed(m, 1, 1, 300);
	PUT(m, 93, 184, 216, 34);
	rr_end(m, at);

	put_pointer(m, 12);                     /* AAAA */
	at = rr_fixed(m, 28, 1, 301);
	PUT(m, 0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0, 1, 0x2, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46);
	rr_end(m, at);

	put_pointer(m, 12);                     /* NS: a label then a pointer */
	at = rr_fixed(m, 2, 1, 302);
	put8(m, 3);
	puts_(m, "ns1");
	put_pointer(m, 12);
	rr_end(m, at);

	PUT(m, 3, 'w', 'w', 'w');               /* CNAME, owner www + pointer */
	put_pointer(m, 12);
	at = rr_fixed(m, 5, 1, 303);
	put_name(m, "host.example.net");
	rr_end(m, at);

	put_name(m, "4.3.2.1.in-addr.arpa");    /* PTR */
	at = rr_fixed(m, 12, 1, 304);
	put_pointer(m, 12);
	rr_end(m, at);

	put_pointer(m, 12);                     /* SOA */
	at = rr_fixed(m, 6, 1, 305);
	put8(m, 3);
	puts_(m, "ns1");
	put_pointer(m, 12);
	put8(m, 5);
	puts_(m, "admin");
	put_pointer(m, 12);
	put32(m, 2024010101);
	put32(m, 7200);
	put32(m, 3600);
	put32(m, 1209600);
	put32(m, 86400);
	rr_end(m, at);

	put_name(m, "_sip._udp.example.com");   /* SRV */
	at = rr_fixed(m, 33, 1, 306);
	put16(m, 10);
	put16(m, 60);
	put16(m, 5060);
	put8(m, 3);
	puts_(m, "sip");
	put_pointer(m, 12);
	rr_end(m, at);

	put_pointer(m, 12);                     /* MX */
	at = rr_fixed(m, 15, 1, 307);
	put16(m, 10);
	put8(m, 4);
	puts_(m, "mail");
	put_pointer(m, 20);                     /* "com" inside the question name */
	rr_end(m, at);

	put_pointer(m, 12);                     /* TXT: two strings, one empty */
	at = rr_fixed(m, 16, 1, 308);
	put8(m, 11);
	puts_(m, "v=spf1 -all");
	put8(m, 0);
	rr_end(m, at);

	put_pointer(m, 12);                     /* HINFO: CPU and OS strings */
	at = rr_fixed(m, 13, 1, 309);
	put8(m, 3);
	puts_(m, "x86");
	put8(m, 5);
	puts_(m, "Linux");
	rr_end(m, at);

	put_pointer(m, 12);                     /* CAA (257): raw Data only */
	at = rr_fixed(m, 257, 1, 310);
	PUT(m, 0, 5, 'i', 's', 's', 'u', 'e', 'c', 'a');
	rr_end(m, at);

	put_pointer(m, 20);                     /* authority: NS for com */
	at = rr_fixed(m, 2, 1, 172800);
	put_name(m, "a.gtld-servers.net");
	rr_end(m, at);

	put8(m, 0);                             /* additional: OPT, root owner */
	at = rr_fixed(m, 41, 1232, 0x00008000);
	rr_end(m, at);
}

static void expect_rr(const Types__DNSResourceRecord *r, const char *name, int type, int class,
		      uint32_t ttl)
{
	cr_assert_str_eq(r->name, name);
	cr_assert_eq(r->type, type);
	cr_assert_eq(r->class_, class);
	cr_assert_eq(r->ttl, ttl);
	cr_assert_eq((size_t)r->datalength, r->data.len);
}

/* Only the fields of its kind are set. */
static void expect_only(const Types__DNSResourceRecord *r, bool ip, bool ns, bool cname,
			bool ptr, bool soa, bool srv, bool mx, bool txts)
{
	cr_assert_eq(*r->ip != 0, ip);
	cr_assert_eq(r->ns.len != 0, ns);
	cr_assert_eq(r->cname.len != 0, cname);
	cr_assert_eq(r->ptr.len != 0, ptr);
	cr_assert_eq(r->soa != NULL, soa);
	cr_assert_eq(r->srv != NULL, srv);
	cr_assert_eq(r->mx != NULL, mx);
	cr_assert_eq(r->n_txts != 0, txts);
}

Test(decode_app, dns_response_every_record_kind)
{
	struct frame m, f;
	dns_full_response(&m);
	frame_udp4(&f, 53, 40000, &m);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_DNS);
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_eq(d->id, 0x1234);
	cr_assert(d->qr);
	cr_assert(d->rd);
	cr_assert(d->ra);
	cr_assert_eq(d->qdcount, 1);
	cr_assert_eq(d->ancount, 11);
	cr_assert_eq(d->nscount, 1);
	cr_assert_eq(d->arcount, 1);
	cr_assert_eq(d->n_questions, 1);
	cr_assert_str_eq(d->questions[0]->name, "example.com");
	cr_assert_eq(d->questions[0]->type, 255);
	cr_assert_eq(d->n_answers, 11);
	cr_assert_eq(d->n_authorities, 1);
	cr_assert_eq(d->n_additionals, 1);
	Types__DNSResourceRecord **a = d->answers;

	expect_rr(a[0], "example.com", 1, 1, 300);
	cr_assert_str_eq(a[0]->ip, "93.184.216.34");
	expect_bytes(a[0]->data, (uint8_t[]){ 93, 184, 216, 34 }, 4);
	expect_only(a[0], true, false, false, false, false, false, false, false);

	expect_rr(a[1], "example.com", 28, 1, 301);
	cr_assert_str_eq(a[1]->ip, "2606:2800:220:1:248:1893:25c8:1946");
	cr_assert_eq(a[1]->datalength, 16);
	expect_only(a[1], true, false, false, false, false, false, false, false);

	expect_rr(a[2], "example.com", 2, 1, 302);
	expect_text(a[2]->ns, "ns1.example.com");
	expect_bytes(a[2]->data, (uint8_t[]){ 3, 'n', 's', '1', 0xc0, 12 }, 6);
	expect_only(a[2], false, true, false, false, false, false, false, false);

	expect_rr(a[3], "www.example.com", 5, 1, 303);
	expect_text(a[3]->cname, "host.example.net");
	expect_only(a[3], false, false, true, false, false, false, false, false);

	expect_rr(a[4], "4.3.2.1.in-addr.arpa", 12, 1, 304);
	expect_text(a[4]->ptr, "example.com");
	expect_only(a[4], false, false, false, true, false, false, false, false);

	expect_rr(a[5], "example.com", 6, 1, 305);
	expect_only(a[5], false, false, false, false, true, false, false, false);
	expect_text(a[5]->soa->mname, "ns1.example.com");
	expect_text(a[5]->soa->rname, "admin.example.com");
	cr_assert_eq(a[5]->soa->serial, 2024010101);
	cr_assert_eq(a[5]->soa->refresh, 7200);
	cr_assert_eq(a[5]->soa->retry, 3600);
	cr_assert_eq(a[5]->soa->expire, 1209600);
	cr_assert_eq(a[5]->soa->minimum, 86400);

	expect_rr(a[6], "_sip._udp.example.com", 33, 1, 306);
	expect_only(a[6], false, false, false, false, false, true, false, false);
	cr_assert_eq(a[6]->srv->priority, 10);
	cr_assert_eq(a[6]->srv->weight, 60);
	cr_assert_eq(a[6]->srv->port, 5060);
	expect_text(a[6]->srv->name, "sip.example.com");

	expect_rr(a[7], "example.com", 15, 1, 307);
	expect_only(a[7], false, false, false, false, false, false, true, false);
	cr_assert_eq(a[7]->mx->preference, 10);
	cr_assert_str_eq(a[7]->mx->name, "mail.com");

	expect_rr(a[8], "example.com", 16, 1, 308);
	expect_only(a[8], false, false, false, false, false, false, false, true);
	cr_assert_eq(a[8]->n_txts, 2);
	expect_text(a[8]->txts[0], "v=spf1 -all");
	expect_text(a[8]->txts[1], "");
	cr_assert_eq(a[8]->datalength, 13);

	expect_rr(a[9], "example.com", 13, 1, 309);
	cr_assert_eq(a[9]->n_txts, 2);
	expect_text(a[9]->txts[0], "x86");
	expect_text(a[9]->txts[1], "Linux");

	expect_rr(a[10], "example.com", 257, 1, 310);
	expect_bytes(a[10]->data, "\0\5issueca", 9);
	expect_only(a[10], false, false, false, false, false, false, false, false);

	expect_rr(d->authorities[0], "com", 2, 1, 172800);
	expect_text(d->authorities[0]->ns, "a.gtld-servers.net");

	expect_rr(d->additionals[0], "", 41, 1232, 0x8000);
	cr_assert_eq(d->additionals[0]->datalength, 0);
	expect_only(d->additionals[0], false, false, false, false, false, false, false, false);
	expect_ip_ports("192.168.1.10", "10.0.0.1", 53, 40000, d->srcip, d->dstip, d->srcport,
			d->dstport);
}

Test(decode_app, dns_mdns_and_llmnr_ports)
{
	struct frame m, f;
	dns_header(&m, 0, 0x8400, 1, 0, 0, 0);
	put_name(&m, "printer.local");
	put16(&m, 12);
	put16(&m, 0x8001);                      /* unicast-response bit as class */
	const uint16_t ports[][2] = { { 5353, 5353 }, { 5355, 50000 }, { 50000, 5355 }, { 53, 1 } };
	for (size_t i = 0; i < 4; i++) {
		frame_udp4(&f, ports[i][0], ports[i][1], &m);
		decode(&f);
		expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_DNS);
		Types__DNS *d = record(T_DNS, 0);
		cr_assert_str_eq(d->questions[0]->name, "printer.local");
		cr_assert_eq(d->questions[0]->class_, 0x8001);
		cr_assert(d->qr);
		cr_assert(d->aa);
	}
}

Test(decode_app, dns_names_root_escapes_and_longest)
{
	struct frame m, f;
	dns_header(&m, 1, 0, 3, 0, 0, 0);
	put8(&m, 0);                            /* the root */
	put16(&m, 2);
	put16(&m, 1);
	PUT(&m, 5, 'a', '\t', 0, 0x7f, 0xe9, 2, 'b', '\\', 0);   /* control bytes */
	put16(&m, 1);
	put16(&m, 1);
	/* 255 bytes in wire form: 3 labels of 63, one of 61, the root. */
	for (int l = 0; l < 4; l++) {
		int n = l < 3 ? 63 : 61;
		put8(&m, (uint32_t)n);
		for (int i = 0; i < n; i++)
			put8(&m, 'a' + l);
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_ok();
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_eq(d->n_questions, 3);
	cr_assert_str_eq(d->questions[0]->name, "");
	cr_assert_str_eq(d->questions[1]->name, "a\\t\\000\\177\xe9.b\\");
	cr_assert_eq(strlen(d->questions[2]->name), 253);
	cr_assert_eq(d->questions[2]->name[63], '.');
}

Test(decode_app, dns_name_over_255_bytes)
{
	struct frame m, f;
	dns_header(&m, 1, 0, 1, 0, 0, 0);
	for (int l = 0; l < 4; l++) {        /* 3 * 64 + 63 + 1 = 256 */
		put8(&m, 63 - (l == 3));
		for (int i = 0; i < 63 - (l == 3); i++)
			put8(&m, 'x');
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_LENGTH);

	/* The same through a pointer: the length counts across the jump.
	 * Question 1 at 12 is 63 c, 63 d (129 bytes); question 2 is 63 e,
	 * 63 f and a pointer to it: 128 + 129 = 257. */
	dns_header(&m, 1, 0, 2, 0, 0, 0);
	for (int l = 0; l < 2; l++) {
		put8(&m, 63);
		for (int i = 0; i < 63; i++)
			put8(&m, 'c' + l);
	}
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	for (int l = 0; l < 2; l++) {
		put8(&m, 63);
		for (int i = 0; i < 63; i++)
			put8(&m, 'e' + l);
	}
	put_pointer(&m, 12);
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_LENGTH);
}

Test(decode_app, dns_compression_self_pointer)
{
	struct frame m, f;
	dns_header(&m, 1, 0, 1, 0, 0, 0);
	put_pointer(&m, 12);                 /* points at itself */
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_VALUE);
	cr_assert_eq(events(PROTO_DNS, REASON_BAD_VALUE), 1);
}

Test(decode_app, dns_compression_loop_a_b_a)
{
	/* Names A at 23 ("a", then a pointer to B) and B at 27 ("b", then a
	 * pointer to A) sit in the RDATA of an RR of unknown type; the next
	 * RR's owner points to B. Both first jumps go backward from where they
	 * stand (33 to 27, 29 to 23); the third (25 to 27) closes the loop. */
	struct frame m, f;
	dns_header(&m, 1, 0x8000, 0, 2, 0, 0);
	put8(&m, 0);                         /* 12: owner, the root */
	uint32_t at = rr_fixed(&m, 99, 1, 1);
	PUT(&m, 1, 'a');                     /* 23: A */
	put_pointer(&m, 27);                 /* 25 */
	PUT(&m, 1, 'b');                     /* 27: B */
	put_pointer(&m, 23);                 /* 29 */
	rr_end(&m, at);
	cr_assert_eq(m.len, 31);
	put_pointer(&m, 27);                 /* 31: owner of RR 2 */
	at = rr_fixed(&m, 1, 1, 1);
	PUT(&m, 1, 2, 3, 4);
	rr_end(&m, at);
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_VALUE);

	/* Owner names that point at each other, the first one forward. */
	dns_header(&m, 1, 0x8000, 0, 1, 0, 0);
	put_pointer(&m, 14);                 /* 12 -> 14 */
	put_pointer(&m, 12);                 /* 14 -> 12 */
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_VALUE);
}

Test(decode_app, dns_forward_pointer_and_past_the_end)
{
	struct frame m, f;
	dns_header(&m, 1, 0, 1, 0, 0, 0);
	put_pointer(&m, 18);                 /* forward, to a real name */
	put16(&m, 1);
	put16(&m, 1);
	put_name(&m, "ok");
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_VALUE);

	dns_header(&m, 1, 0, 1, 0, 0, 0);
	put_pointer(&m, 0x3fff);             /* past the end of the message */
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_VALUE);

	dns_header(&m, 1, 0, 1, 0, 0, 0);
	PUT(&m, 0x40, 'a');                  /* extended label type 01 */
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_VALUE);

	dns_header(&m, 1, 0, 1, 0, 0, 0);
	PUT(&m, 0xc0);                       /* half a pointer */
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_TRUNCATED);
}

Test(decode_app, dns_huge_counts_with_little_data)
{
	struct frame m, f;
	dns_header(&m, 1, 0x8000, 65535, 65535, 65535, 65535);
	put_name(&m, "a");
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_TRUNCATED);
	cr_assert_lt(ctx.arena.used, 1024, "%zu arena bytes for a 20-byte message", ctx.arena.used);

	/* Counts of zero-length questions (the root), all present: 300 kept
	 * as 256, the counts as written, the cut counted (DNS/capped). */
	dns_header(&m, 1, 0, 300, 0, 0, 0);
	for (int i = 0; i < 300; i++) {
		put8(&m, 0);
		put16(&m, 1);
		put16(&m, 1);
	}
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_error(PROTO_DNS, REASON_CAPPED);
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_eq(d->qdcount, 300);
	cr_assert_eq(d->n_questions, 256);
	cr_assert(d->truncated);
	cr_assert_eq(events(PROTO_DNS, REASON_CAPPED), 1);
}

Test(decode_app, dns_arena_exhaustion_is_counted)
{
	decoder_free(&ctx);
	cr_assert_eq(decoder_init(&ctx, 4096), 0);
	enable_all();
	struct frame m, f;
	dns_header(&m, 1, 0x8000, 0, 200, 0, 0);
	for (int i = 0; i < 200; i++) {
		put8(&m, 0);
		uint32_t at = rr_fixed(&m, 16, 1, 1);
		PUT(&m, 2, 'h', 'i', 0);
		rr_end(&m, at);
	}
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	/* The DNS record exists; its answers did not fit. */
	cr_assert_not_null(record(T_DNS, 0));
	expect_error(PROTO_LINK, REASON_ARENA_FULL);
	cr_assert_geq(events(PROTO_LINK, REASON_ARENA_FULL), 1);
	cr_assert_leq(ctx.arena.used, ctx.arena.cap);
}

Test(decode_app, dns_every_truncation_of_a_response)
{
	struct frame m, f;
	dns_full_response(&m);
	frame_udp4(&f, 53, 40000, &m);
	const uint32_t dns_at = 14 + 20 + 8;
	for (uint32_t cut = dns_at; cut < f.len; cut++) {
		/* Cut by the capture: the datagram's length says more. */
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut == dns_at) {
			expect_ok();          /* no payload, no DNS */
			EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
			continue;
		}
		cr_assert(pkt.error_reason == REASON_TRUNCATED, "cut at %u: %s", cut - dns_at,
			  decode_reason_names[pkt.error_reason]);
		expect_app_fault(PROTO_DNS, REASON_TRUNCATED);
		cr_assert_null(record(T_DNS, 0));
	}
	/* A whole datagram holding a cut message: its lengths say so. */
	for (uint32_t n = 1; n < m.len; n++) {
		struct frame short_msg = m;
		short_msg.len = n;
		frame_udp4(&f, 53, 40000, &short_msg);
		decode(&f);
		cr_assert(pkt.error, "message cut at %u decoded", n);
		cr_assert_eq(pkt.error_proto, PROTO_DNS);
		cr_assert(pkt.error_reason == REASON_TRUNCATED || pkt.error_reason == REASON_BAD_LENGTH,
			  "cut at %u: %s", n, decode_reason_names[pkt.error_reason]);
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	}
}

Test(decode_app, dns_rdata_faults)
{
	struct frame m, f;
	uint32_t at;
	/* TXT whose string runs past RDLENGTH. */
	dns_header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_fixed(&m, 16, 1, 1);
	PUT(&m, 5, 'a', 'b');
	rr_end(&m, at);
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_LENGTH);

	/* CNAME whose name goes past RDLENGTH (into the next bytes). */
	dns_header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_fixed(&m, 5, 1, 1);
	PUT(&m, 3, 'a', 'b');
	rr_end(&m, at);
	PUT(&m, 'c', 0);
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_LENGTH);

	/* SOA without its five numbers. */
	dns_header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_fixed(&m, 6, 1, 1);
	PUT(&m, 0, 0, 0, 0, 0, 1);
	rr_end(&m, at);
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_BAD_LENGTH);

	/* A of 3 bytes: the record stays, IP empty, counted without a fault. */
	uint64_t bad_lengths = events(PROTO_DNS, REASON_BAD_LENGTH);
	dns_header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_fixed(&m, 1, 1, 1);
	PUT(&m, 1, 2, 3);
	rr_end(&m, at);
	frame_udp4(&f, 53, 1024, &m);
	decode(&f);
	expect_ok();
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_str_eq(d->answers[0]->ip, "");
	expect_bytes(d->answers[0]->data, "\1\2\3", 3);
	cr_assert_eq(events(PROTO_DNS, REASON_BAD_LENGTH), bad_lengths + 1);
}

Test(decode_app, dns_over_tcp_length_prefixed)
{
	struct frame q, seg, f;
	dns_header(&q, 7, 0x0100, 1, 0, 0, 0);
	put_name(&q, "a.example");
	put16(&q, 1);
	put16(&q, 1);

	/* Two messages in one segment. */
	seg.len = 0;
	put16(&seg, q.len);
	put(&seg, q.b, q.len);
	q.b[1] = 8;                          /* ID 8 */
	put16(&seg, q.len);
	put(&seg, q.b, q.len);
	frame_tcp4(&f, 50000, 53, &seg);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP, T_DNS, T_DNS);
	cr_assert_eq(((Types__DNS *)record(T_DNS, 0))->id, 7);
	cr_assert_eq(((Types__DNS *)record(T_DNS, 1))->id, 8);
	cr_assert_str_eq(((Types__DNS *)record(T_DNS, 1))->questions[0]->name, "a.example");
	cr_assert_str_eq(pkt.app_proto, "DNS");

	/* A message that goes on in the next segment: counted, not decoded. */
	seg.len = 0;
	put16(&seg, q.len + 100);
	put(&seg, q.b, q.len);
	frame_tcp4(&f, 53, 50000, &seg);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
	cr_assert_eq(events(PROTO_DNS, REASON_TRUNCATED), 1);

	/* One byte: not even the length. */
	seg.len = 0;
	put8(&seg, 0);
	frame_tcp4(&f, 53, 50000, &seg);
	decode(&f);
	expect_error(PROTO_DNS, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
}

Test(decode_app, dns_disabled_type_still_counts_faults)
{
	decoder_enable(&ctx, T_DNS, false);
	struct frame m, f;
	dns_header(&m, 1, 0, 1, 0, 0, 0);
	put_name(&m, "x");
	put16(&m, 1);
	put16(&m, 1);
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_str_eq(pkt.app_proto, "DNS");
	m.len -= 3;
	frame_udp4(&f, 1024, 53, &m);
	decode(&f);
	expect_app_fault(PROTO_DNS, REASON_TRUNCATED);
}

/* ==== dispatch ========================================================== */

Test(decode_app, dispatch_by_port_table)
{
	struct frame m, f;
	dns_header(&m, 1, 0, 1, 0, 0, 0);
	put_name(&m, "x");
	put16(&m, 1);
	put16(&m, 1);

	/* The destination port first: to 53 from 5060 is DNS. */
	frame_udp4(&f, 5060, 53, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_DNS);

	/* Neither port in the table: no application layer, no fault. */
	frame_udp4(&f, 1000, 2000, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_null(pkt.app_proto);

	/* NTP's port over TCP is not NTP. */
	frame_tcp4(&f, 1000, 123, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);

	/* An empty payload is no message. */
	m.len = 0;
	frame_udp4(&f, 53, 53, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_null(pkt.app_proto);
}

/* ==== DHCPv4 ============================================================ */

/* The fixed part: BOOTREQUEST over Ethernet, hops 1, xid, secs 3, flags
 * broadcast, ciaddr 0, yiaddr 10.0.0.5, siaddr 10.0.0.1, giaddr 10.0.0.254,
 * chaddr 00:1a:2b:3c:4d:5e, sname "srv", file "boot.img", magic cookie. */
static void dhcp_fixed(struct frame *m, uint8_t hlen)
{
	m->len = 0;
	PUT(m, 1, 1, hlen, 1);
	put32(m, 0xdeadbeef);
	put16(m, 3);
	put16(m, 0x8000);
	PUT(m, 0, 0, 0, 0, 10, 0, 0, 5, 10, 0, 0, 1, 10, 0, 0, 254);
	PUT(m, 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	uint8_t sname[64] = "srv", file[128] = "boot.img";
	put(m, sname, sizeof sname);
	put(m, file, sizeof file);
	put32(m, 0x63825363);
}

Test(decode_app, dhcpv4_every_field_and_options)
{
	struct frame m, f;
	dhcp_fixed(&m, 6);
	PUT(&m, 53, 1, 3);                          /* message type: request */
	PUT(&m, 0);                                 /* pad */
	PUT(&m, 12, 6, 'l', 'a', 'p', 't', 'o', 'p');  /* host name: text */
	PUT(&m, 55, 4, 1, 3, 6, 15);                /* parameter request list: hex */
	PUT(&m, 60, 3, 'a', 0, 'b');                /* vendor class, not printable: hex */
	PUT(&m, 80, 0);                             /* rapid commit: zero length */
	PUT(&m, 255, 0, 0, 0);                      /* end, then padding */
	frame_udp4(&f, 68, 67, &m);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_DHCPV4);
	Types__DHCPv4 *d = record(T_DHCPV4, 0);
	cr_assert_eq(d->timestamp, TS);
	cr_assert_eq(d->operation, 1);
	cr_assert_eq(d->hardwaretype, 1);
	cr_assert_eq(d->hardwarelen, 6);
	cr_assert_eq(d->hardwareopts, 1);
	cr_assert_eq(d->xid, 0xdeadbeef);
	cr_assert_eq(d->secs, 3);
	cr_assert_eq(d->flags, 0x8000);
	cr_assert_str_eq(d->clientip, "0.0.0.0");
	cr_assert_str_eq(d->yourclientip, "10.0.0.5");
	cr_assert_str_eq(d->nextserverip, "10.0.0.1");
	cr_assert_str_eq(d->relayagentip, "10.0.0.254");
	cr_assert_str_eq(d->clienthwaddr, "00:1a:2b:3c:4d:5e");
	cr_assert_eq(d->servername.len, 64);
	cr_assert_str_eq((char *)d->servername.data, "srv");
	cr_assert_eq(d->file.len, 128);
	cr_assert_str_eq((char *)d->file.data, "boot.img");
	cr_assert_eq(d->n_options, 6);
	const struct { int type, length; const char *data; } want[] = {
		{ 53, 1, "03" }, { 0, 0, "" }, { 12, 6, "laptop" }, { 55, 4, "0103060f" },
		{ 60, 3, "610062" }, { 80, 0, "" },
	};
	for (size_t i = 0; i < 6; i++) {
		cr_assert_eq(d->options[i]->type, want[i].type, "option %zu", i);
		cr_assert_eq(d->options[i]->length, want[i].length, "option %zu", i);
		cr_assert_str_eq(d->options[i]->data, want[i].data, "option %zu", i);
	}
	cr_assert_str_eq(d->fingerprint, "53,0,12,55,60,80");
	expect_ip_ports("192.168.1.10", "10.0.0.1", 68, 67, d->srcip, d->dstip, d->srcport,
			d->dstport);
	cr_assert_str_eq(pkt.app_proto, "DHCPv4");
}

Test(decode_app, dhcpv4_no_options_and_long_hardware_length)
{
	struct frame m, f;
	dhcp_fixed(&m, 40);                         /* hlen beyond chaddr's 16 */
	frame_udp4(&f, 67, 68, &m);
	decode(&f);
	expect_ok();
	Types__DHCPv4 *d = record(T_DHCPV4, 0);
	cr_assert_eq(d->n_options, 0);
	cr_assert_str_eq(d->fingerprint, "");
	cr_assert_eq(d->hardwarelen, 40);
	cr_assert_str_eq(d->clienthwaddr, "00:1a:2b:3c:4d:5e:00:00:00:00:00:00:00:00:00:00");
}

Test(decode_app, dhcpv4_faults)
{
	struct frame m, f;
	/* An option whose length runs past the datagram. */
	dhcp_fixed(&m, 6);
	PUT(&m, 53, 1, 1, 12, 10, 'a', 'b');
	frame_udp4(&f, 68, 67, &m);
	decode(&f);
	expect_app_fault(PROTO_DHCPV4, REASON_BAD_OPTION);

	/* An option type without its length byte. */
	dhcp_fixed(&m, 6);
	PUT(&m, 53, 1, 1, 61);
	frame_udp4(&f, 68, 67, &m);
	decode(&f);
	expect_app_fault(PROTO_DHCPV4, REASON_BAD_OPTION);

	/* The same cut by the capture instead. */
	dhcp_fixed(&m, 6);
	PUT(&m, 53, 1, 1, 12, 10, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 255);
	frame_udp4(&f, 68, 67, &m);
	decode_cut(&f, LINK_ETHERNET, f.len - 5);
	expect_app_fault(PROTO_DHCPV4, REASON_TRUNCATED);

	/* A wrong magic cookie. */
	dhcp_fixed(&m, 6);
	m.b[239] = 0x64;
	frame_udp4(&f, 68, 67, &m);
	decode(&f);
	expect_app_fault(PROTO_DHCPV4, REASON_BAD_VALUE);

	/* Shorter than the fixed part, at every length. */
	dhcp_fixed(&m, 6);
	for (uint32_t n = 1; n < 240; n++) {
		struct frame s = m;
		s.len = n;
		frame_udp4(&f, 68, 67, &s);
		decode(&f);
		expect_app_fault(PROTO_DHCPV4, REASON_TRUNCATED);
	}
}

/* ==== DHCPv6 ============================================================ */

static void put_v6opt(struct frame *m, uint16_t code, const void *data, uint16_t len)
{
	put16(m, code);
	put16(m, len);
	put(m, data, len);
}

Test(decode_app, dhcpv6_solicit_every_field)
{
	struct frame m, f;
	m.len = 0;
	PUT(&m, 1, 0xab, 0xcd, 0xef);           /* Solicit, transaction id */
	put_v6opt(&m, 1, "\0\3\0\1\x00\x1a\x2b\x3c\x4d\x5e", 10);   /* client id, DUID-LL */
	put_v6opt(&m, 6, "\0\x17\0\x18", 4);    /* ORO: DNS servers, domain list */
	put_v6opt(&m, 8, "\0\0", 2);            /* elapsed time */
	put_v6opt(&m, 14, "", 0);               /* rapid commit: zero length */
	frame_udp6(&f, 546, 547, &m);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_UDP, T_DHCPV6);
	Types__DHCPv6 *d = record(T_DHCPV6, 0);
	cr_assert_eq(d->timestamp, TS);
	cr_assert_eq(d->msgtype, 1);
	cr_assert_eq(d->hopcount, 0);
	cr_assert_str_eq(d->linkaddr, "");
	cr_assert_str_eq(d->peeraddr, "");
	expect_bytes(d->transactionid, "\xab\xcd\xef", 3);
	cr_assert_eq(d->n_options, 4);
	cr_assert_eq(d->options[0]->code, 1);
	cr_assert_eq(d->options[0]->length, 10);
	cr_assert_str_eq(d->options[0]->data, "00030001001a2b3c4d5e");
	cr_assert_eq(d->options[1]->code, 6);
	cr_assert_str_eq(d->options[1]->data, "00170018");
	cr_assert_eq(d->options[2]->code, 8);
	cr_assert_str_eq(d->options[2]->data, "0000");
	cr_assert_eq(d->options[3]->code, 14);
	cr_assert_eq(d->options[3]->length, 0);
	cr_assert_str_eq(d->options[3]->data, "");
	cr_assert_str_eq(d->fingerprint, "1,6,8,14");
	expect_ip_ports("fe80::1", "ff02::1:2", 546, 547, d->srcip, d->dstip, d->srcport,
			d->dstport);
	cr_assert_str_eq(pkt.app_proto, "DHCPv6");
}

Test(decode_app, dhcpv6_relay_forward)
{
	struct frame inner, m, f;
	inner.len = 0;
	PUT(&inner, 11, 1, 2, 3);               /* Information-request */
	m.len = 0;
	PUT(&m, 12, 2);                         /* Relay-forward, hop count 2 */
	PUT(&m, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
	PUT(&m, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1a, 0x2b, 0xff, 0xfe, 0x3c, 0x4d, 0x5e);
	put_v6opt(&m, 18, "eth0", 4);           /* interface id */
	put_v6opt(&m, 9, inner.b, (uint16_t)inner.len);
	frame_udp6(&f, 547, 547, &m);
	decode(&f);
	expect_ok();
	Types__DHCPv6 *d = record(T_DHCPV6, 0);
	cr_assert_eq(d->msgtype, 12);
	cr_assert_eq(d->hopcount, 2);
	cr_assert_str_eq(d->linkaddr, "2001:db8::1");
	cr_assert_str_eq(d->peeraddr, "fe80::21a:2bff:fe3c:4d5e");
	cr_assert_eq(d->transactionid.len, 0);
	cr_assert_eq(d->n_options, 2);
	cr_assert_str_eq(d->options[0]->data, "65746830");
	cr_assert_eq(d->options[1]->code, 9);
	cr_assert_eq(d->options[1]->length, 4);
	cr_assert_str_eq(d->options[1]->data, "0b010203");
	cr_assert_str_eq(d->fingerprint, "18,9");
}

static void expect_app_fault6(enum decode_protocol proto, enum decode_reason reason)
{
	expect_error(proto, reason);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_UDP);
}

Test(decode_app, dhcpv6_faults)
{
	struct frame m, f;
	m.len = 0;
	PUT(&m, 1, 0, 0, 1);
	put16(&m, 1);
	put16(&m, 20);                           /* 20 bytes announced, 2 there */
	PUT(&m, 0, 1);
	frame_udp6(&f, 546, 547, &m);
	decode(&f);
	expect_app_fault6(PROTO_DHCPV6, REASON_BAD_OPTION);

	m.len = 0;
	PUT(&m, 1, 0, 0, 1, 0, 1, 0);           /* half an option header */
	frame_udp6(&f, 546, 547, &m);
	decode(&f);
	expect_app_fault6(PROTO_DHCPV6, REASON_BAD_OPTION);

	m.len = 0;
	PUT(&m, 1, 0, 0);                       /* 3 bytes */
	frame_udp6(&f, 546, 547, &m);
	decode(&f);
	expect_app_fault6(PROTO_DHCPV6, REASON_TRUNCATED);

	m.len = 0;
	PUT(&m, 13, 0);                         /* relay reply without its addresses */
	for (int i = 0; i < 20; i++)
		put8(&m, 0);
	frame_udp6(&f, 547, 546, &m);
	decode(&f);
	expect_app_fault6(PROTO_DHCPV6, REASON_TRUNCATED);
}

/* ==== NTP =============================================================== */

Test(decode_app, ntp_every_field)
{
	struct frame m, f;
	m.len = 0;
	PUT(&m, 0xe4, 2, 6, 0xe9);              /* LI 3, VN 4, mode 4; stratum 2, poll 6, precision -23 */
	put32(&m, 0x00001234);
	put32(&m, 0x00005678);
	PUT(&m, 192, 168, 1, 1);
	put64(&m, 0xe8b1c2d3a0000000ull);
	put64(&m, 0xe8b1c2d4b0000000ull);
	put64(&m, 0xe8b1c2d5c0000000ull);
	put64(&m, 0xe8b1c2d6d0000000ull);
	PUT(&m, 0, 0, 0, 1, 0xaa, 0xbb);         /* key id and a (short) MAC */
	frame_udp4(&f, 123, 123, &m);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_NTP);
	Types__NTP *n = record(T_NTP, 0);
	cr_assert_eq(n->timestamp, TS);
	cr_assert_eq(n->leapindicator, 3);
	cr_assert_eq(n->version, 4);
	cr_assert_eq(n->mode, 4);
	cr_assert_eq(n->stratum, 2);
	cr_assert_eq(n->poll, 6);
	cr_assert_eq(n->precision, -23);
	cr_assert_eq(n->rootdelay, 0x1234);
	cr_assert_eq(n->rootdispersion, 0x5678);
	cr_assert_eq(n->referenceid, 0xc0a80101);
	cr_assert_eq(n->referencetimestamp, 0xe8b1c2d3a0000000ull);
	cr_assert_eq(n->origintimestamp, 0xe8b1c2d4b0000000ull);
	cr_assert_eq(n->receivetimestamp, 0xe8b1c2d5c0000000ull);
	cr_assert_eq(n->transmittimestamp, 0xe8b1c2d6d0000000ull);
	expect_bytes(n->extensionbytes, "\0\0\0\1\xaa\xbb", 6);
	expect_ip_ports("192.168.1.10", "10.0.0.1", 123, 123, n->srcip, n->dstip, n->srcport,
			n->dstport);
	cr_assert_str_eq(pkt.app_proto, "NTP");
}

Test(decode_app, ntp_short_packets)
{
	struct frame m, f;
	/* A client request cut at 47 bytes: a fault. */
	m.len = 0;
	PUT(&m, 0x23);
	for (int i = 1; i < 47; i++)
		put8(&m, 0);
	frame_udp4(&f, 40000, 123, &m);
	decode(&f);
	expect_app_fault(PROTO_NTP, REASON_TRUNCATED);

	/* A 12-byte control message (ntpq, mode 6): NTP, but no record. */
	m.len = 0;
	PUT(&m, 0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	frame_udp4(&f, 40000, 123, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_str_eq(pkt.app_proto, "NTP");
}

/* ==== SIP =============================================================== */

static void sip_payload(struct frame *m, const char *text)
{
	m->len = 0;
	puts_(m, text);
}

Test(decode_app, sip_request_every_field)
{
	struct frame m, f;
	sip_payload(&m,
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n"
		"Max-Forwards:70\r\n"
		"To: Bob <sip:bob@example.com>\r\n"
		"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
		"Subject: a folded\r\n"
		"   header\r\n"
		"\tin three lines\r\n"
		"no colon on this line\r\n"
		"i: a84b4c76e66710@pc33\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Length: 4\r\n"
		"\r\n"
		"v=0\n");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_SIP);
	Types__SIP *s = record(T_SIP, 0);
	cr_assert_eq(s->timestamp, TS);
	cr_assert_eq(s->version, 2);
	cr_assert_eq(s->method, 1);
	cr_assert(!s->isresponse);
	cr_assert_eq(s->responsecode, 0);
	cr_assert_str_eq(s->responsestatus, "");
	const char *want[] = {
		"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds",
		"Max-Forwards: 70",
		"To: Bob <sip:bob@example.com>",
		"From: Alice <sip:alice@example.com>;tag=1928301774",
		"Subject: a folded header in three lines",
		"i: a84b4c76e66710@pc33",
		"CSeq: 314159 INVITE",
		"Content-Length: 4",
	};
	cr_assert_eq(s->n_headers, 8);
	for (size_t i = 0; i < 8; i++)
		cr_assert_str_eq(s->headers[i], want[i]);
	expect_ip_ports("192.168.1.10", "10.0.0.1", 5060, 5060, s->srcip, s->dstip, s->srcport,
			s->dstport);
	cr_assert_str_eq(pkt.app_proto, "SIP");
}

Test(decode_app, sip_responses_and_methods)
{
	struct frame m, f;
	sip_payload(&m, "SIP/2.0 180 Ringing Now\nCSeq: 2 bye\nCall-ID: x\n\n");
	frame_udp4(&f, 5060, 40000, &m);
	decode(&f);
	expect_ok();
	Types__SIP *s = record(T_SIP, 0);
	cr_assert(s->isresponse);
	cr_assert_eq(s->version, 2);
	cr_assert_eq(s->responsecode, 180);
	cr_assert_str_eq(s->responsestatus, "Ringing Now");
	cr_assert_eq(s->method, 3);               /* from CSeq, any case */
	cr_assert_eq(s->n_headers, 2);

	const struct { const char *line; int method; int version; } req[] = {
		{ "ACK sip:x SIP/2.0", 2, 2 }, { "cancel sip:x SIP/2.0", 4, 2 },
		{ "OPTIONS sip:x SIP/1.0", 5, 1 }, { "REGISTER sip:x sip/2.0", 6, 2 },
		{ "PRACK sip:x SIP/2.0", 7, 2 }, { "SUBSCRIBE sip:x SIP/2.0", 8, 2 },
		{ "NOTIFY sip:x SIP/2.0", 9, 2 }, { "PUBLISH sip:x SIP/2.0", 10, 2 },
		{ "INFO sip:x SIP/2.0", 11, 2 }, { "REFER sip:x SIP/2.0", 12, 2 },
		{ "MESSAGE sip:x SIP/2.0", 13, 2 }, { "UPDATE sip:x SIP/2.0", 14, 2 },
		{ "PING sip:x SIP/2.0", 15, 2 }, { "FOO sip:x SIP/2.0", 0, 2 },
	};
	for (size_t i = 0; i < sizeof req / sizeof *req; i++) {
		char text[128];
		snprintf(text, sizeof text, "%s\r\nTo: a\r\n\r\n", req[i].line);
		sip_payload(&m, text);
		frame_udp4(&f, 40000, 5060, &m);
		decode(&f);
		expect_ok();
		s = record(T_SIP, 0);
		cr_assert_eq(s->method, req[i].method, "%s", req[i].line);
		cr_assert_eq(s->version, req[i].version, "%s", req[i].line);
		cr_assert_eq(s->n_headers, 1);
	}
}

Test(decode_app, sip_line_ends_and_keepalives)
{
	struct frame m, f;
	/* No line break at all. */
	sip_payload(&m, "INVITE sip:bob@example.com SIP/2.0");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);
	expect_app_fault(PROTO_SIP, REASON_TRUNCATED);

	/* A last header without its line break is left out. */
	sip_payload(&m, "BYE sip:x SIP/2.0\r\nTo: a\r\nFrom: b");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);
	expect_ok();
	Types__SIP *s = record(T_SIP, 0);
	cr_assert_eq(s->n_headers, 1);
	cr_assert_str_eq(s->headers[0], "To: a");

	/* Keep-alives: white space only. */
	const char *alive[] = { "\r\n\r\n", "\r\n", "     " };
	for (size_t i = 0; i < 3; i++) {
		sip_payload(&m, alive[i]);
		frame_udp4(&f, 5060, 5060, &m);
		decode(&f);
		expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
		cr_assert_null(pkt.app_proto);
	}
}

Test(decode_app, sip_faults)
{
	const struct { const char *text; enum decode_reason reason; } bad[] = {
		{ "INVITE sip:x\r\n\r\n", REASON_BAD_VALUE },          /* two parts */
		{ "INVITE sip:x SIP/3.0\r\n\r\n", REASON_BAD_VERSION },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", REASON_BAD_VERSION },
		{ "SIP/2.0 OK fine\r\n\r\n", REASON_BAD_VALUE },        /* code not a number */
		{ "SIP/2.0 200\r\n\r\n", REASON_BAD_VALUE },            /* two parts */
		{ "SIP/9.9 200 OK\r\n\r\n", REASON_BAD_VERSION },
		{ "\x01\x02\x03\x04", REASON_TRUNCATED },
	};
	struct frame m, f;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sip_payload(&m, bad[i].text);
		frame_udp4(&f, 5060, 5060, &m);
		decode(&f);
		expect_app_fault(PROTO_SIP, bad[i].reason);
	}
}

Test(decode_app, sip_header_count_is_bounded)
{
	struct frame m, f;
	sip_payload(&m, "MESSAGE sip:x SIP/2.0\r\n");
	for (int i = 0; i < 100; i++) {
		char h[32];
		snprintf(h, sizeof h, "X-H%d: %d\r\n", i, i);
		puts_(&m, h);
	}
	puts_(&m, "\r\n");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);
	expect_error(PROTO_SIP, REASON_CAPPED);
	Types__SIP *s = record(T_SIP, 0);
	cr_assert_eq(s->n_headers, 64);
	cr_assert_str_eq(s->headers[63], "X-H63: 63");
	cr_assert(s->truncated);
	cr_assert_eq(events(PROTO_SIP, REASON_CAPPED), 1);
}

Test(decode_app, sip_over_tcp)
{
	struct frame m, f;
	sip_payload(&m, "OPTIONS sip:x SIP/2.0\r\nTo: a\r\n\r\n");
	frame_tcp4(&f, 40000, 5060, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP, T_SIP);
	cr_assert_eq(((Types__SIP *)record(T_SIP, 0))->method, 5);

	/* The rest of a message (a body) in a later segment: counted, no record. */
	sip_payload(&m, "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n");
	frame_tcp4(&f, 40000, 5060, &m);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
	cr_assert_eq(events(PROTO_SIP, REASON_BAD_VALUE), 1);
}

/* Every prefix of every well-formed message above, cut by the capture,
 * decodes without reading outside the frame (AddressSanitizer) and either
 * gives the application record or an application fault. */
Test(decode_app, every_capture_cut_of_every_protocol)
{
	struct frame m, f;
	struct { uint16_t sport, dport; bool v6; } kind[5] = {
		{ 53, 40000, false }, { 68, 67, false }, { 546, 547, true }, { 123, 123, false },
		{ 5060, 5060, false },
	};
	for (int k = 0; k < 5; k++) {
		switch (k) {
		case 0:
			dns_full_response(&m);
			break;
		case 1:
			dhcp_fixed(&m, 6);
			PUT(&m, 53, 1, 3, 0, 12, 2, 'h', 'i', 255);
			break;
		case 2:
			m.len = 0;
			PUT(&m, 1, 1, 2, 3);
			put_v6opt(&m, 1, "\0\3\0\1abcdef", 10);
			break;
		case 3:
			m.len = 0;
			for (int i = 0; i < 56; i++)
				put8(&m, i == 0 ? 0x23 : i);
			break;
		case 4:
			sip_payload(&m, "INVITE sip:x SIP/2.0\r\nVia: y\r\n folded\r\n\r\nbody");
			break;
		}
		if (kind[k].v6)
			frame_udp6(&f, kind[k].sport, kind[k].dport, &m);
		else
			frame_udp4(&f, kind[k].sport, kind[k].dport, &m);
		uint32_t at = f.len - m.len;
		for (uint32_t cut = at; cut <= f.len; cut++) {
			decode_cut(&f, LINK_ETHERNET, cut);
			cr_assert(pkt.n_rec >= 3);
			cr_assert(!pkt.error || pkt.error_proto == PROTO_DNS ||
				  pkt.error_proto == PROTO_DHCPV4 || pkt.error_proto == PROTO_DHCPV6 ||
				  pkt.error_proto == PROTO_NTP || pkt.error_proto == PROTO_SIP,
				  "kind %d cut %u: %s", k, cut, decode_protocol_names[pkt.error_proto]);
		}
	}
}
