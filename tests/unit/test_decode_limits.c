/* test_decode_limits.c: the decoders against hostile input (issue 9,
 * "Hardening"): record space that runs out, caps on what a record keeps,
 * frames of up to 262,144 bytes (docs/decoding.md, "Limits").
 *
 * Every frame here is crafted to cost as much as it can: Pad1 floods in
 * hop-by-hop headers, DNS names that re-expand through compression
 * pointers, lists of thousands of options, sources, TLVs or headers. Each
 * test says what the decoders did before the fix it guards (a crash, a
 * record lost, a record of hundreds of kilobytes) and checks that now:
 * nothing is read outside the frame (AddressSanitizer), every layer keeps
 * its record, a cut is counted as (protocol, capped) and marks the record
 * Truncated, and no record passes DECODE_RECORD_BOUND. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/frames.h"


static void enable_every_type(void)
{
	enable_types(decode_record_types, decode_record_types_count);
}

/* The engine's arena (1 MiB) and every record type, as netcap runs. */
static void setup(void)
{
	setup_decoder(1 << 20, decode_record_types, decode_record_types_count);
}

TestSuite(decode_limits, .init = setup, .fini = teardown_decoder);

/* A fresh context with an arena of `bytes`, every type on. */
static void small_arena(size_t bytes)
{
	decoder_free(&ctx);
	cr_assert_eq(decoder_init(&ctx, bytes), 0);
	enable_every_type();
}

static uint64_t events(enum decode_protocol proto, enum decode_reason reason)
{
	return ctx.stats.events[proto][reason];
}

static size_t packed(const void *record)
{
	return protobuf_c_message_get_packed_size((const ProtobufCMessage *)record);
}

/* No record of the packet is larger than the decoders promise. */
static void expect_bounded(void)
{
	for (unsigned i = 0; i < pkt.n_rec; i++)
		cr_assert_leq(packed(pkt.rec[i].msg), DECODE_RECORD_BOUND, "record %u (%s): %zu bytes", i,
			      pkt.rec[i].msg->descriptor->short_name, packed(pkt.rec[i].msg));
}

static int count_records(int type)
{
	int n = 0;
	for (unsigned i = 0; i < pkt.n_rec; i++)
		n += pkt.rec[i].type == type;
	return n;
}

/* Ethernet, then IPv6 (payload length covering the rest) with `k`
 * hop-by-hop headers of `size` bytes of Pad1 options (the first in place,
 * the others out of place), the last one's next header `next`; the caller
 * appends the rest and calls end_ipv6(). */
static void begin_pad1_chain(struct frame *f, int k, uint32_t size, uint8_t next)
{
	f->len = 0;
	put_ethernet(f, 0x86dd);
	put_ipv6(f, 0, 0);
	for (int h = 0; h < k; h++) {
		PUT(f, h + 1 < k ? 0 : next, (uint8_t)(size / 8 - 1));
		put_fill(f, 0, size - 2);
	}
}

static void end_ipv6(struct frame *f)
{
	uint32_t payload = f->len - ETH_HEADER - IPV6_HEADER;
	f->b[ETH_HEADER + 4] = (uint8_t)(payload >> 8);
	f->b[ETH_HEADER + 5] = (uint8_t)payload;
}

/* ==== 1. IGMPv3: the cursor never depends on record space ============= */

/* An IGMPv3 report (at the frame's end): group record 0 with 77 sources
 * of 255.255.255.255, records 1..7 with none, groups 239.1.1.r. */
static void put_igmp_report(struct frame *f, uint16_t first_sources)
{
	PUT(f, 0x22, 0, 0, 0, 0, 0, 0, 8);
	for (int r = 0; r < 8; r++) {
		uint16_t n = r ? 0 : first_sources;
		PUT(f, 1, 0);
		put16(f, n);
		PUT(f, 239, 1, 1, (uint8_t)r);
		put_fill(f, 0xff, 4u * n);
	}
}

static void expect_igmp_report(uint16_t first_sources)
{
	Types__IGMP *g = record(T_IGMP, 0);
	cr_assert_not_null(g, "no IGMP record");
	cr_assert_eq(g->numberofgrouprecords, 8);
	cr_assert_eq(g->n_grouprecords, 8);
	for (int r = 0; r < 8; r++) {
		Types__IGMPv3GroupRecord *gr = g->grouprecords[r];
		char want[24];
		snprintf(want, sizeof want, "239.1.1.%d", r);
		cr_assert_eq(gr->type, 1, "record %d: type %d", r, gr->type);
		cr_assert_eq(gr->numberofsources, r ? 0 : first_sources);
		cr_assert_eq(gr->auxdatalen, 0);
		if (*gr->multicastaddress)   /* "" only when out of space */
			cr_assert_str_eq(gr->multicastaddress, want);
	}
}

/* Before: five hop-by-hop headers of 1,558 Pad1 options (an 8,234-byte
 * frame) used up all but a few hundred bytes of the 1 MiB arena; IGMP's
 * source list then found no space and returned without reading the
 * sources, so group records 1..7 were read from source bytes (255...)
 * until the cursor ran out, and format_ip() dereferenced the NULL of the
 * next cur_bytes(): a segmentation fault. Now the options are capped, the
 * sources are read whether or not there is space, and every record is
 * there. */
Test(decode_limits, igmp_after_a_pad1_flood_reads_every_group_record)
{
	static struct frame f;
	begin_pad1_chain(&f, 5, 1560, 2);
	put_igmp_report(&f, 77);
	end_ipv6(&f);
	cr_assert_eq(f.len, 8234);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_HBH, T_HBH, T_HBH, T_HBH, T_IGMP);
	expect_igmp_report(77);
	Types__IGMP *g = record(T_IGMP, 0);
	cr_assert_eq(g->grouprecords[0]->n_sourceaddresses, 77);
	cr_assert_str_eq(g->grouprecords[0]->sourceaddresses[76], "255.255.255.255");
	cr_assert_not(g->truncated);
	cr_assert_eq(events(PROTO_LINK, REASON_ARENA_FULL), 0);
	cr_assert_eq(events(PROTO_IPV6_EXT, REASON_CAPPED), 5);
	expect_error(PROTO_IPV6_EXT, REASON_CAPPED);
	expect_bounded();
}

/* The same report in a small arena, where the 1,000-source list of record
 * 0 cannot fit: before, the following records were read from the sources
 * (type 255, 65,535 sources) and the walk crashed past the end; now the
 * record keeps what fit, the loss is counted once and marks it. */
Test(decode_limits, igmp_group_records_when_the_arena_runs_out)
{
	small_arena(6144);
	static struct frame f;
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 2, 8 + 8 * 8 + 4 * 1000);
	put_igmp_report(&f, 1000);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
	expect_igmp_report(1000);
	Types__IGMP *g = record(T_IGMP, 0);
	cr_assert_eq(g->grouprecords[0]->n_sourceaddresses, 0);
	cr_assert(g->truncated);
	expect_error(PROTO_LINK, REASON_ARENA_FULL);
	cr_assert_eq(events(PROTO_LINK, REASON_ARENA_FULL), 1);
	cr_assert_leq(ctx.arena.used, ctx.arena.cap);
}

/* A read past the data gives NULL; the shared formatters take it as "". */
Test(decode_limits, format_ip_and_format_mac_take_a_null_address)
{
	cr_assert_str_eq(format_ip(&ctx.arena, 4, NULL), "");
	cr_assert_str_eq(format_ip(&ctx.arena, 6, NULL), "");
	cr_assert_str_eq(format_ip_bulk(&ctx.arena, 4, NULL), "");
	cr_assert_str_eq(format_mac(&ctx.arena, NULL), "");
	cr_assert_str_eq(format_hex(&ctx.arena, NULL, 4, ':'), "");
}

/* IPv6 text is written without inet_ntop() (its snprintf per group was a
 * third of the cost of an IPv6 packet): the same text, special forms and
 * random addresses with runs of zero groups. */
Test(decode_limits, ipv6_text_is_inet_ntops)
{
	static const char *const special[] = {
		"::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0.0.0.0", "64:ff9b::1.2.3.4",
		"1:0:0:2:0:0:0:3", "1:0:0:2::3", "0:1:0:1:0:1:0:1", "1:2:3:4:5:6:7:8", "fe80::1",
		"2001:db8::", "::2:3:4:5:6:7", "1:2:3:4:5:6::", "::ffff:ffff:ffff", "::fffe:1.2.3.4",
	};
	uint8_t a[16];
	char want[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < COUNT_OF(special); i++) {
		cr_assert_eq(inet_pton(AF_INET6, special[i], a), 1, "%s", special[i]);
		inet_ntop(AF_INET6, a, want, sizeof want);
		cr_assert_str_eq(format_ip(&ctx.arena, 6, a), want, "%s", special[i]);
	}
	uint32_t state = 99;
	for (int round = 0; round < 20000; round++) {
		for (int w = 0; w < 8; w++) {
			uint32_t r = next_random(&state);
			uint16_t v = r % 3 == 0 ? 0 : r % 7 == 1 ? 0xffff : (uint16_t)(r >> 8);
			if (r % 11 == 3)
				v &= 0x000f;
			a[2 * w] = (uint8_t)(v >> 8);
			a[2 * w + 1] = (uint8_t)v;
		}
		inet_ntop(AF_INET6, a, want, sizeof want);
		ctx.arena.used = 0;
		cr_assert_str_eq(format_ip(&ctx.arena, 6, a), want);
	}
}

/* ==== 2. record space: every layer keeps its record ===================== */

static const uint8_t tcp_nops[] = { 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 0x05, 0xb4 };

/* Before: eleven hop-by-hop headers of 2,014 Pad1 options (a 22,250-byte
 * frame) became 22,000 option and alignment messages in the IPv6 and
 * IPv6HopByHop records, the 1 MiB arena ran out, and TCP had no record.
 * Now a packet lists at most 64 hop-by-hop options (one shared list for
 * both records of a header), counted once per header cut. */
Test(decode_limits, pad1_flood_keeps_the_tcp_record)
{
	static struct frame f;
	begin_pad1_chain(&f, 11, 2016, 6);
	put_tcp(&f, 1234, 80, 0x18, false, tcp_nops, sizeof tcp_nops);
	put(&f, hello, HELLO_LEN);
	end_ipv6(&f);
	cr_assert_eq(f.len, 22250 + sizeof tcp_nops + HELLO_LEN);
	decode(&f);
	cr_assert_eq(count_records(T_HBH), 11);
	Types__TCP *t = record(T_TCP, 0);
	cr_assert_not_null(t, "no TCP record");
	cr_assert_eq(t->srcport, 1234);
	cr_assert_eq(t->dstport, 80);
	cr_assert_eq(t->n_options, 9);
	cr_assert_eq(t->payloadsize, HELLO_LEN);
	cr_assert_not(t->truncated);
	Types__IPv6 *ip = record(T_IPV6, 0);
	cr_assert_eq(ip->hopbyhop->n_options, 64);
	cr_assert(ip->truncated);
	Types__IPv6HopByHop *first = record(T_HBH, 0), *later = record(T_HBH, 5);
	cr_assert_eq(first->n_options, 64);
	cr_assert_eq(first->options[63]->actuallength, 1);
	cr_assert(first->truncated);
	cr_assert_eq(later->n_options, 0);
	cr_assert(later->truncated);
	cr_assert_eq(events(PROTO_IPV6_EXT, REASON_CAPPED), 11);
	cr_assert_eq(events(PROTO_LINK, REASON_ARENA_FULL), 0);
	cr_assert_lt(ctx.arena.used, 32 << 10, "%zu arena bytes", ctx.arena.used);
	expect_bounded();
}

/* With an arena of 4 KiB, five hop-by-hop headers of Pad1 run the
 * packet's record space out whatever the caps. Before, the option lists
 * took it all and TCP had no record; now the records of every layer come
 * from the reserve (ARENA_RESERVE, a quarter of a small arena): the lists
 * that did not fit are counted (ARENA_FULL) and their records marked. */
Test(decode_limits, exhausted_record_space_leaves_every_layer_its_record)
{
	small_arena(4096);
	static struct frame f;
	begin_pad1_chain(&f, 5, 24, 6);
	put_tcp(&f, 1234, 80, 0x02, false, NULL, 0);
	end_ipv6(&f);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_HBH, T_HBH, T_HBH, T_HBH, T_TCP);
	Types__TCP *t = record(T_TCP, 0);
	cr_assert_eq(t->dstport, 80);
	cr_assert(t->syn);
	cr_assert_str_eq(t->srcip, "fe80::1");
	cr_assert_geq(events(PROTO_LINK, REASON_ARENA_FULL), 1);
	bool marked = false;
	for (int i = 0; i < 5; i++)
		marked |= ((Types__IPv6HopByHop *)record(T_HBH, i))->truncated;
	cr_assert(marked, "no record marked Truncated");
	cr_assert_leq(ctx.arena.used, ctx.arena.cap);
}

/* The bulk of a packet's records grows at most linearly with its size:
 * a 100-byte frame may not use more than ARENA_BULK_BASE +
 * ARENA_BULK_PER_BYTE * 100 bytes of bulk space, whatever the arena. */
Test(decode_limits, bulk_space_is_bounded_by_the_frame_size)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	pad_to(&f, 100);
	decode(&f);
	cr_assert_eq(ctx.arena.bulk_end, ARENA_BULK_BASE + ARENA_BULK_PER_BYTE * 100);
	void *p = arena_alloc(&ctx.arena, ARENA_BULK_BASE + ARENA_BULK_PER_BYTE * 100);
	cr_assert_null(p, "bulk allocation past the packet's budget");
	cr_assert(ctx.arena.full);
	cr_assert_not_null(arena_alloc_fixed(&ctx.arena, 1000), "the reserve is for fixed allocations");
}

/* ==== 3. caps: bounded work, counted, never silent ===================== */

/* The DNS query of issue 9: 200 questions of a 2-byte compression pointer
 * to a 255-byte name of control bytes (each escaped as \ooo: 1,000
 * characters), 1,507 bytes in all. Before: a DNS record of 202 KB. Now the
 * packet's name text is capped (DNS_TEXT_BASE + 2 per payload byte): the
 * first questions are kept whole, the rest left out, counted, marked. */
static void dns_pointer_query(struct frame *m, uint16_t n_questions)
{
	m->len = 0;
	PUT(m, 0x12, 0x34, 0x01, 0x00);
	put16(m, n_questions);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	static const uint8_t labels[] = { 63, 63, 63, 61 };
	for (size_t l = 0; l < COUNT_OF(labels); l++) {
		put8(m, labels[l]);
		put_fill(m, 1, labels[l]);
	}
	put8(m, 0);
	put16(m, 1);
	put16(m, 1);
	for (int i = 1; i < n_questions; i++) {
		put16(m, 0xc00c);
		put16(m, 1);
		put16(m, 1);
	}
}

static void frame_udp4(struct frame *f, uint16_t sport, uint16_t dport, const struct frame *payload)
{
	f->len = 0;
	put_ethernet(f, 0x0800);
	put_ipv4(f, 17, UDP_HEADER + payload->len);
	put_udp(f, sport, dport, UDP_HEADER + payload->len);
	put(f, payload->b, payload->len);
}

/* UDP in an IPv6 jumbogram: the payload may pass 64 KiB. */
static void frame_udp_jumbo(struct frame *f, uint16_t sport, uint16_t dport, const struct frame *payload)
{
	f->len = 0;
	put_ethernet(f, 0x86dd);
	put_ipv6_jumbo(f, 17, UDP_HEADER + payload->len);
	put_udp(f, sport, dport, 0);
	put(f, payload->b, payload->len);
}

Test(decode_limits, dns_compression_does_not_multiply_a_query)
{
	static struct frame m, f;
	dns_pointer_query(&m, 200);
	frame_udp4(&f, 1053, 53, &m);
	cr_assert_eq(f.len, 1507);
	decode(&f);
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_not_null(d);
	cr_assert_eq(d->qdcount, 200);
	uint32_t payload = m.len;
	size_t text = 0;
	for (size_t i = 0; i < d->n_questions; i++) {
		cr_assert_eq(strlen(d->questions[i]->name), 1003, "question %zu", i);
		text += 1003;
	}
	cr_assert_gt(d->n_questions, 0);
	cr_assert_lt(d->n_questions, 200);
	cr_assert_leq(text, 4096 + 2 * payload);
	cr_assert(d->truncated);
	cr_assert_eq(events(PROTO_DNS, REASON_CAPPED), 1);
	expect_error(PROTO_DNS, REASON_CAPPED);
	cr_assert_lt(packed(d), 16 << 10, "a %zu-byte DNS record from %u bytes", packed(d), f.len);
}

/* Names of 127 one-byte labels, each behind a pointer: checking them
 * costs 128 steps per 6 bytes. The check stops when the packet's steps
 * run out (DNS_STEPS_BASE + 1 per byte): what was checked is kept, what
 * follows is not read at all, a malformed tail included. */
Test(decode_limits, dns_check_walk_is_bounded)
{
	static struct frame m, f;
	m.len = 0;
	uint16_t n = 9000;
	PUT(&m, 0, 1, 0x01, 0);
	put16(&m, n);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 0);
	for (int l = 0; l < 127; l++)
		PUT(&m, 1, 'a');
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	for (int i = 1; i < n - 1; i++) {
		put16(&m, 0xc00c);
		put16(&m, 1);
		put16(&m, 1);
	}
	PUT(&m, 0xc0);      /* the last question is cut: never reached */
	frame_udp4(&f, 53, 1053, &m);
	decode(&f);
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_not_null(d, "no DNS record");
	cr_assert_eq(d->qdcount, n);
	/* Steps: 128 for the first name, 129 for each pointer to it. */
	uint32_t steps = 1024 + m.len;
	cr_assert_leq(d->n_questions, 1 + (steps - 128) / 129);
	cr_assert_gt(d->n_questions, 0);
	cr_assert(d->truncated);
	expect_error(PROTO_DNS, REASON_CAPPED);
	expect_bounded();
}

/* A TXT record of 1,000 empty strings keeps 256 (DNS_MAX_TXTS); a 60 KB
 * record after an A record is past DNS_MAX_RECORD_BYTES and left out; 17
 * messages in a TCP segment give 16 records. Each cut is counted. */
Test(decode_limits, dns_txt_strings_record_bytes_and_tcp_messages)
{
	static struct frame m, f;
	m.len = 0;
	PUT(&m, 0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0);
	put8(&m, 0);
	put16(&m, 16);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 1000);
	put_fill(&m, 0, 1000);
	frame_udp4(&f, 53, 1053, &m);
	decode(&f);
	Types__DNS *d = record(T_DNS, 0);
	cr_assert_eq(d->n_answers, 1);
	cr_assert_eq(d->answers[0]->n_txts, 256);
	cr_assert(d->truncated);
	cr_assert_eq(events(PROTO_DNS, REASON_CAPPED), 1);

	m.len = 0;
	PUT(&m, 0, 1, 0x81, 0x80, 0, 0, 0, 2, 0, 0, 0, 0);
	PUT(&m, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1);   /* A 10.0.0.1 */
	put8(&m, 0);
	put16(&m, 99);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 60000);
	put_fill(&m, 0x5a, 60000);
	frame_udp4(&f, 53, 1053, &m);
	decode(&f);
	d = record(T_DNS, 0);
	cr_assert_eq(d->ancount, 2);
	cr_assert_eq(d->n_answers, 1);
	cr_assert_str_eq(d->answers[0]->ip, "10.0.0.1");
	cr_assert(d->truncated);
	cr_assert_eq(events(PROTO_DNS, REASON_CAPPED), 2);
	expect_bounded();

	/* 17 small messages in one segment */
	static struct frame seg;
	seg.len = 0;
	for (int i = 0; i < 17; i++) {
		put16(&seg, 17);
		PUT(&seg, 0, (uint8_t)i, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1);
	}
	f.len = 0;
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 6, 20 + seg.len);
	put_tcp(&f, 1053, 53, 0x18, false, NULL, 0);
	put(&f, seg.b, seg.len);
	decode(&f);
	cr_assert_eq(count_records(T_DNS), 16);
	cr_assert_eq(events(PROTO_DNS, REASON_CAPPED), 3);
}

/* A hop-by-hop header of 100 options lists 64 in both records (one
 * shared list), counted once; without the cap, 200 options. */
Test(decode_limits, ipv6_hop_by_hop_options_per_packet)
{
	static struct frame f;
	f.len = 0;
	put_ethernet(&f, 0x86dd);
	put_ipv6(&f, 0, 0);
	PUT(&f, 59, 12);            /* 104 bytes: next header, length, */
	put_fill(&f, 0, 100);       /* 100 Pad1 options */
	PUT(&f, 1, 0);              /* and a PadN of 2 bytes: 101 options */
	end_ipv6(&f);
	decode(&f);
	Types__IPv6 *ip = record(T_IPV6, 0);
	Types__IPv6HopByHop *h = record(T_HBH, 0);
	cr_assert_eq(ip->hopbyhop->n_options, 64);
	cr_assert_eq(h->n_options, 64);
	cr_assert_eq(h->options, ip->hopbyhop->options, "the records share one list");
	cr_assert(ip->truncated);
	cr_assert(h->truncated);
	cr_assert_eq(events(PROTO_IPV6_EXT, REASON_CAPPED), 1);
}

/* 1,100 IGMPv3 query sources: 1,024 kept (IGMP_MAX_ADDRESSES). */
Test(decode_limits, igmp_addresses_per_message)
{
	static struct frame f;
	f.len = 0;
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 2, 12 + 4 * 1100);
	PUT(&f, 0x11, 100, 0, 0, 224, 0, 0, 1, 2, 125);
	put16(&f, 1100);
	for (uint32_t i = 0; i < 1100; i++)
		put32(&f, 0x0a000000 + i);
	decode(&f);
	Types__IGMP *g = record(T_IGMP, 0);
	cr_assert_eq(g->numberofsources, 1100);
	cr_assert_eq(g->n_sourceaddresses, 1024);
	cr_assert_str_eq(g->sourceaddresses[1023], "10.0.3.255");
	cr_assert(g->truncated);
	expect_error(PROTO_IGMP, REASON_CAPPED);
}

/* LLDP: 20 TLVs of 511 bytes keep 16 (8,176 of LLDP_MAX_BYTES 8,192) in
 * Values and in OrgTLVs. */
Test(decode_limits, lldp_value_bytes)
{
	static struct frame f;
	f.len = 0;
	put_ethernet(&f, 0x88cc);
	PUT(&f, 0x02, 0x07, 4, 0, 1, 2, 3, 4, 5);           /* chassis ID */
	PUT(&f, 0x04, 0x07, 3, 0, 1, 2, 3, 4, 5);           /* port ID */
	PUT(&f, 0x06, 0x02, 0, 120);                        /* TTL */
	for (int i = 0; i < 20; i++) {
		PUT(&f, 0xff, 0xff, 0x00, 0x80, 0xc2, 0x01);    /* organisation TLV, 511 bytes */
		put_fill(&f, (uint8_t)i, 507);
	}
	PUT(&f, 0, 0);
	decode(&f);
	Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
	Types__LinkLayerDiscoveryInfo *info = record(T_LLDP_INFO, 0);
	cr_assert_eq(r->n_values, 16);
	cr_assert_eq(info->n_orgtlvs, 16);
	cr_assert_eq(info->orgtlvs[15]->info.data[0], 15);
	cr_assert(r->truncated && info->truncated);
	cr_assert_eq(events(PROTO_LLDP, REASON_CAPPED), 2);
}

static void dhcpv4_message(struct frame *m)
{
	m->len = 0;
	PUT(m, 1, 1, 6, 0);
	put32(m, 0x12345678);
	put_fill(m, 0, 236 - 8);
	put32(m, 0x63825363);
}

/* DHCPv4: 300 Pad options keep 128 (and a Fingerprint of 128); binary
 * options keep DHCP_MAX_DATA (8,192) bytes of data, as hex. DHCPv6 the
 * same. */
Test(decode_limits, dhcp_options_and_data)
{
	static struct frame m, f;
	dhcpv4_message(&m);
	put_fill(&m, 0, 300);
	put8(&m, 255);
	frame_udp4(&f, 68, 67, &m);
	decode(&f);
	Types__DHCPv4 *d = record(T_DHCPV4, 0);
	cr_assert_eq(d->n_options, 128);
	cr_assert_eq(strlen(d->fingerprint), 2 * 128 - 1);
	cr_assert(d->truncated);
	cr_assert_eq(events(PROTO_DHCPV4, REASON_CAPPED), 1);

	dhcpv4_message(&m);
	for (int i = 0; i < 40; i++) {
		PUT(&m, 43, 255);
		put_fill(&m, 0xab, 255);
	}
	put8(&m, 255);
	frame_udp4(&f, 68, 67, &m);
	decode(&f);
	d = record(T_DHCPV4, 0);
	cr_assert_eq(d->n_options, 8192 / 255);
	cr_assert_eq(strlen(d->options[31]->data), 510);
	cr_assert(d->truncated);

	m.len = 0;
	PUT(&m, 1, 0, 0, 1);
	for (int i = 0; i < 200; i++) {
		put16(&m, 1000 + i);
		put16(&m, 0);
	}
	f.len = 0;
	put_ethernet(&f, 0x86dd);
	put_ipv6(&f, 17, UDP_HEADER + m.len);
	put_udp(&f, 546, 547, UDP_HEADER + m.len);
	put(&f, m.b, m.len);
	decode(&f);
	Types__DHCPv6 *d6 = record(T_DHCPV6, 0);
	cr_assert_eq(d6->n_options, 128);
	cr_assert_eq(d6->options[127]->code, 1127);
	cr_assert(d6->truncated);
	cr_assert_eq(events(PROTO_DHCPV6, REASON_CAPPED), 1);
}

/* SIP: a header of 20,000 bytes is cut at SIP_MAX_TEXT; 600 lines without
 * a colon stop the walk at SIP_MAX_LINES (the header after them is not
 * read); a status of 2,000 bytes keeps SIP_MAX_STATUS. */
Test(decode_limits, sip_text_lines_and_status)
{
	static struct frame m, f;
	m.len = 0;
	puts_(&m, "MESSAGE sip:x SIP/2.0\r\nTo: a\r\nSubject: ");
	put_fill(&m, 'x', 20000);
	puts_(&m, "\r\nFrom: b\r\n\r\n");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);
	Types__SIP *s = record(T_SIP, 0);
	cr_assert_eq(s->n_headers, 2);
	cr_assert_str_eq(s->headers[0], "To: a");
	cr_assert_eq(strlen(s->headers[1]), 16384 - strlen("To: a"));
	cr_assert(s->truncated);
	cr_assert_eq(events(PROTO_SIP, REASON_CAPPED), 1);

	m.len = 0;
	puts_(&m, "MESSAGE sip:x SIP/2.0\r\nTo: a\r\n");
	for (int i = 0; i < 600; i++)
		puts_(&m, "x\r\n");
	puts_(&m, "From: b\r\n\r\n");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);
	s = record(T_SIP, 0);
	cr_assert_eq(s->n_headers, 1);
	cr_assert(s->truncated);

	m.len = 0;
	puts_(&m, "SIP/2.0 200 ");
	put_fill(&m, 'k', 2000);
	puts_(&m, "\r\nCSeq: 1 INVITE\r\n\r\n");
	frame_udp4(&f, 5060, 5060, &m);
	decode(&f);
	s = record(T_SIP, 0);
	cr_assert_eq(strlen(s->responsestatus), 1024);
	cr_assert_eq(s->method, 1);
	cr_assert(s->truncated);
}

/* A router advertisement of 100 options keeps 64 (ICMPV6_MAX_OPTIONS). */
Test(decode_limits, icmpv6_options)
{
	static struct frame f;
	f.len = 0;
	put_ethernet(&f, 0x86dd);
	put_ipv6(&f, 58, 16 + 100 * 8);
	PUT(&f, 134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0);
	for (int i = 0; i < 100; i++)
		PUT(&f, 1, 1, 2, 0, 0, 0, 0, (uint8_t)i);
	decode(&f);
	Types__ICMPv6RouterAdvertisement *ra = record(T_RA, 0);
	cr_assert_eq(ra->n_options, 64);
	cr_assert_eq(ra->options[63]->data.data[5], 63);
	cr_assert(ra->truncated);
	cr_assert_eq(events(PROTO_ICMPV6, REASON_CAPPED), 1);
}

/* Raw byte fields: NTP's ExtensionBytes and CTP's reply Data keep 16 KiB. */
Test(decode_limits, ntp_and_ctp_bytes)
{
	static struct frame m, f;
	m.len = 0;
	put8(&m, 0x23);
	put_fill(&m, 0, 47);
	put_fill(&m, 7, 40000);
	frame_udp4(&f, 123, 123, &m);
	decode(&f);
	Types__NTP *n = record(T_NTP, 0);
	cr_assert_eq(n->extensionbytes.len, 16384);
	cr_assert(n->truncated);
	cr_assert_eq(events(PROTO_NTP, REASON_CAPPED), 1);

	f.len = 0;
	put_ethernet(&f, 0x9000);
	putle16(&f, 0);
	putle16(&f, 1);
	putle16(&f, 9);
	put_fill(&f, 3, 100000);
	decode(&f);
	Types__EthernetCTPReply *r = record(T_CTP_REPLY, 0);
	cr_assert_eq(r->data.len, 16384);
	cr_assert(r->truncated);
	cr_assert_eq(events(PROTO_CTP, REASON_CAPPED), 1);
}

/* ==== frames up to 262,144 bytes, records within the bound ============== */

/* The largest crafted messages of each family in a 262,144-byte frame
 * (IPv6 jumbograms carry UDP past 64 KiB): before, a DNS record of 259 KB,
 * IGMP of 480 KB, DHCPv6 of 524 KB; now no record is larger than
 * DECODE_RECORD_BOUND (the largest, TCP or UDP with --payload, is under
 * 61 KiB; DNS under 49 KiB). */
Test(decode_limits, every_record_stays_within_the_bound)
{
	static struct frame m, f;
	uint32_t room = FRAME_MAX - ETH_HEADER - IPV6_HEADER - 8 - UDP_HEADER;

	dns_pointer_query(&m, (uint16_t)((room - 12 - 260) / 6));
	frame_udp_jumbo(&f, 1053, 53, &m);
	cr_assert_leq(f.len, FRAME_MAX);
	decode(&f);
	cr_assert_not_null(record(T_DNS, 0));
	expect_bounded();

	m.len = 0;                    /* DHCPv6, four options of 65,000 bytes: hex */
	PUT(&m, 1, 0, 0, 1);
	for (int i = 0; i < 4; i++) {
		put16(&m, 17);
		put16(&m, 65000);
		put_fill(&m, (uint8_t)i, 65000);
	}
	frame_udp_jumbo(&f, 546, 547, &m);
	decode(&f);
	cr_assert_not_null(record(T_DHCPV6, 0));
	expect_bounded();

	f.len = 0;                    /* IGMP query of 65,000 sources */
	put_ethernet(&f, 0x86dd);
	put_ipv6_jumbo(&f, 2, 12 + 4 * 65000);
	PUT(&f, 0x11, 100, 0, 0, 224, 0, 0, 1, 2, 125);
	put16(&f, 65000);
	put_fill(&f, 10, 4 * 65000);
	decode(&f);
	cr_assert_not_null(record(T_IGMP, 0));
	expect_bounded();

	m.len = 0;                    /* SIP: one header of 250,000 bytes */
	puts_(&m, "INVITE sip:x SIP/2.0\r\nSubject: ");
	put_fill(&m, 'y', 250000);
	puts_(&m, "\r\n\r\n");
	frame_udp_jumbo(&f, 5060, 5060, &m);
	decode(&f);
	cr_assert_not_null(record(T_SIP, 0));
	expect_bounded();

	f.len = 0;                    /* LLDP of 510 TLVs of 511 bytes */
	put_ethernet(&f, 0x88cc);
	PUT(&f, 0x02, 0x07, 4, 0, 1, 2, 3, 4, 5, 0x04, 0x07, 3, 0, 1, 2, 3, 4, 5, 0x06, 0x02, 0, 120);
	while (f.len + 513 + 2 <= FRAME_MAX) {
		PUT(&f, 0xff, 0xff, 0x00, 0x80, 0xc2, 0x01);
		put_fill(&f, 1, 507);
	}
	PUT(&f, 0, 0);
	decode(&f);
	cr_assert_not_null(record(T_LLDP_INFO, 0));
	expect_bounded();

	ctx.payload = true;           /* --payload: a TSO segment and a jumbogram */
	f.len = 0;
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 6, 0);
	f.b[ETH_HEADER + 2] = f.b[ETH_HEADER + 3] = 0;   /* total length 0 */
	put_tcp(&f, 1234, 80, 0x18, false, tcp_options, sizeof tcp_options);
	put_fill(&f, 0xab, FRAME_MAX - f.len);
	decode(&f);
	cr_assert_not_null(record(T_TCP, 0));
	expect_bounded();

	m.len = 0;
	put_fill(&m, 0xcd, room);
	frame_udp_jumbo(&f, 4000, 4001, &m);
	decode(&f);
	cr_assert_not_null(record(T_UDP, 0));
	expect_bounded();
}

/* IPv4 with total length 0 (TSO, Linux's BIG TCP) takes the captured
 * length, which may pass 64 KiB: before, it was held to 65,535 bytes and
 * the TCP payload cut there. */
Test(decode_limits, ipv4_tso_segment_past_64_kib)
{
	static struct frame f;
	f.len = 0;
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 6, 0);
	f.b[ETH_HEADER + 2] = f.b[ETH_HEADER + 3] = 0;   /* total length 0 */
	put_tcp(&f, 1234, 80, 0x10, false, NULL, 0);
	put_fill(&f, 'z', 200000);
	decode(&f);
	Types__IPv4 *ip = record(T_IPV4, 0);
	Types__TCP *t = record(T_TCP, 0);
	cr_assert_eq(ip->length, 20 + 20 + 200000);
	cr_assert_eq(ip->payloadsize, 20 + 200000);
	cr_assert_eq(t->payloadsize, 200000);
	cr_assert_float_eq(t->payloadentropy, 0.0, 1e-12);
}
