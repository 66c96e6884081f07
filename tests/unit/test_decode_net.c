/* test_decode_net.c: the ICMPv4, ICMPv6 (with its echo and neighbor
 * discovery messages), IGMP, SCTP, IPv6 hop-by-hop, IEEE 802.11 and
 * radiotap decoders (lib/decode).
 *
 * As in test_decode.c, frames are built byte by byte so that every expected
 * value is known independently of the decoders: well-formed messages check
 * every field of their records; cuts at every length, lying lengths and
 * counts, and options that would never advance check that decoding stops
 * at the faulty layer with the right (protocol, reason) and keeps only the
 * records of the layers before it. Each frame is decoded from a heap block
 * of exactly the captured size, so AddressSanitizer sees any read past it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/frames.h"

static const int all_types[] = {
	T_ETHERNET, T_IPV4, T_IPV6, T_UDP, T_LLC, T_SNAP, T_ICMPV4, T_ICMPV6, T_ECHO6,
	T_NS, T_NA, T_RS, T_RA, T_IGMP, T_SCTP, T_HBH, T_DOT11,
};

static void setup(void) { setup_decoder(1 << 20, all_types, COUNT_OF(all_types)); }

TestSuite(decode_net, .init = setup, .fini = teardown_decoder);


/* ---- ICMPv4 --------------------------------------------------------- */

Test(decode_net, icmpv4_echo_every_field)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 1, 8 + HELLO_LEN);
	PUT(&f, 8, 0, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x07);
	put(&f, hello, HELLO_LEN);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_ICMPV4);
	Types__ICMPv4 *r = record(T_ICMPV4, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->typecode, 0x0800);
	cr_assert_eq(r->checksum, 0x1234);
	cr_assert_eq(r->id, 0xabcd);
	cr_assert_eq(r->seq, 7);
	cr_assert_str_eq(r->srcip, "192.168.1.10");
	cr_assert_str_eq(r->dstip, "10.0.0.1");
	cr_assert_eq(pkt.app_len, HELLO_LEN);
	cr_assert(!pkt.unknown);
	cr_assert(!pkt.has_ports);
}

Test(decode_net, icmpv4_error_quote_stays_payload)
{
	/* Fragmentation needed (3/4), next-hop MTU 1400, quoting an IPv4/UDP
	 * header: no records from the quote, as gopacket. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 1, 8 + IPV4_HEADER + 8);
	PUT(&f, 3, 4, 0xff, 0xfe, 0, 0, 0x05, 0x78);
	put_ipv4(&f, 17, 8 + 100);
	PUT(&f, 0x10, 0x00, 0x00, 0x35, 0x00, 0x6c, 0, 0);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_ICMPV4);
	Types__ICMPv4 *r = record(T_ICMPV4, 0);
	cr_assert_eq(r->typecode, 0x0304);
	cr_assert_eq(r->checksum, 0xfffe);
	cr_assert_eq(r->id, 0);
	cr_assert_eq(r->seq, 1400);
	cr_assert_eq(pkt.app_len, IPV4_HEADER + 8);
	cr_assert_str_eq(pkt.src_ip_str, "192.168.1.10");   /* the outer header's */
}

Test(decode_net, icmpv4_every_truncation)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 1, 8 + HELLO_LEN);
	PUT(&f, 0, 0, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x07);
	put(&f, hello, HELLO_LEN);
	const uint32_t icmp_at = ETH_HEADER + IPV4_HEADER;
	for (uint32_t cut = icmp_at; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < icmp_at + 8) {
			expect_error(PROTO_ICMPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_ICMPV4);
			cr_assert_eq(pkt.app_len, cut - icmp_at - 8);
		}
	}
	cr_assert_eq(ctx.stats.events[PROTO_ICMPV4][REASON_TRUNCATED], 8);
}

/* ---- ICMPv6 --------------------------------------------------------- */

static void put_icmpv6(struct frame *f, uint32_t message_len)
{
	put_ethernet(f, 0x86dd);
	put_ipv6(f, 58, message_len);
}

static const uint8_t target[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42 };
static const uint8_t lladdr[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

Test(decode_net, icmpv6_echo_every_field)
{
	struct frame f = { 0 };
	put_icmpv6(&f, 8 + HELLO_LEN);
	PUT(&f, 129, 0, 0x8a, 0xbc, 0x12, 0x34, 0x00, 0x2a);
	put(&f, hello, HELLO_LEN);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6, T_ECHO6);
	Types__ICMPv6 *r = record(T_ICMPV6, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->typecode, 129 << 8);
	cr_assert_eq(r->checksum, 0x8abc);
	cr_assert_str_eq(r->srcip, "fe80::1");
	cr_assert_str_eq(r->dstip, "ff02::1");
	Types__ICMPv6Echo *e = record(T_ECHO6, 0);
	cr_assert_eq(e->timestamp, TS);
	cr_assert_eq(e->identifier, 0x1234);
	cr_assert_eq(e->seqnumber, 42);
	cr_assert_str_eq(e->srcip, "fe80::1");
	cr_assert_str_eq(e->dstip, "ff02::1");
	cr_assert_eq(pkt.app_len, 0);   /* gopacket's echo layer leaves no payload */
}

Test(decode_net, icmpv6_neighbor_solicitation_every_field)
{
	struct frame f = { 0 };
	put_icmpv6(&f, 4 + 20 + 8);
	PUT(&f, 135, 0, 0x11, 0x22, 0xff, 0xff, 0xff, 0xff);  /* reserved bytes are ignored */
	put(&f, target, 16);
	PUT(&f, 1, 1);
	put(&f, lladdr, 6);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6, T_NS);
	cr_assert_eq(((Types__ICMPv6 *)record(T_ICMPV6, 0))->typecode, 135 << 8);
	Types__ICMPv6NeighborSolicitation *r = record(T_NS, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_str_eq(r->targetaddress, "2001:db8::42");
	cr_assert_eq(r->n_options, 1);
	cr_assert_eq(r->options[0]->type, 1);
	expect_bytes(r->options[0]->data, lladdr, 6);
	cr_assert_str_eq(r->srcip, "fe80::1");
	cr_assert_str_eq(r->dstip, "ff02::1");
}

Test(decode_net, icmpv6_neighbor_advertisement_every_field)
{
	struct frame f = { 0 };
	put_icmpv6(&f, 4 + 20 + 8 + 16);
	PUT(&f, 136, 0, 0x33, 0x44, 0xe0, 0, 0, 0);
	put(&f, target, 16);
	PUT(&f, 2, 1);
	put(&f, lladdr, 6);
	PUT(&f, 200, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);  /* an unknown type */
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6, T_NA);
	Types__ICMPv6NeighborAdvertisement *r = record(T_NA, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->flags, 0xe0);
	cr_assert_str_eq(r->targetaddress, "2001:db8::42");
	cr_assert_eq(r->n_options, 2);
	cr_assert_eq(r->options[0]->type, 2);
	expect_bytes(r->options[0]->data, lladdr, 6);
	cr_assert_eq(r->options[1]->type, 200);
	expect_bytes(r->options[1]->data, "\1\2\3\4\5\6\7\10\11\12\13\14\15\16", 14);
	cr_assert_str_eq(r->srcip, "fe80::1");
}

Test(decode_net, icmpv6_router_solicitation_every_field)
{
	struct frame f = { 0 };
	put_icmpv6(&f, 8 + 8);
	PUT(&f, 133, 0, 0x55, 0x66, 0, 0, 0, 0);
	PUT(&f, 1, 1);
	put(&f, lladdr, 6);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6, T_RS);
	Types__ICMPv6RouterSolicitation *r = record(T_RS, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->n_options, 1);
	cr_assert_eq(r->options[0]->type, 1);
	expect_bytes(r->options[0]->data, lladdr, 6);
	cr_assert_str_eq(r->srcip, "fe80::1");
	cr_assert_str_eq(r->dstip, "ff02::1");

	/* Without options. */
	struct frame g = { 0 };
	put_icmpv6(&g, 8);
	PUT(&g, 133, 0, 0x55, 0x66, 0, 0, 0, 0);
	decode(&g);
	expect_ok();
	r = record(T_RS, 0);
	cr_assert_eq(r->n_options, 0);
	cr_assert_null(r->options);
}

/* Router advertisement: source link-layer address, MTU 1500 and a prefix
 * 2001:db8::/64 option. */
static void build_router_advertisement(struct frame *f)
{
	put_icmpv6(f, 16 + 8 + 8 + 32);
	PUT(f, 134, 0, 0x77, 0x88, 64, 0xc0, 0x07, 0x08);
	put32(f, 30000);
	put32(f, 1000);
	PUT(f, 1, 1);
	put(f, lladdr, 6);
	PUT(f, 5, 1, 0, 0, 0, 0, 0x05, 0xdc);
	PUT(f, 3, 4, 64, 0xc0, 0, 0x27, 0x8d, 0, 0, 0, 0x38, 0x40, 0, 0, 0, 0);
	put(f, target, 8);
	PUT(f, 0, 0, 0, 0, 0, 0, 0, 0);
}

Test(decode_net, icmpv6_router_advertisement_every_field)
{
	struct frame f = { 0 };
	build_router_advertisement(&f);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6, T_RA);
	cr_assert_eq(((Types__ICMPv6 *)record(T_ICMPV6, 0))->typecode, 134 << 8);
	cr_assert_eq(((Types__ICMPv6 *)record(T_ICMPV6, 0))->checksum, 0x7788);
	Types__ICMPv6RouterAdvertisement *r = record(T_RA, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->hoplimit, 64);
	cr_assert_eq(r->flags, 0xc0);
	cr_assert_eq(r->routerlifetime, 0x0708);
	cr_assert_eq(r->reachabletime, 30000);
	cr_assert_eq(r->retranstimer, 1000);
	cr_assert_eq(r->n_options, 3);
	cr_assert_eq(r->options[0]->type, 1);
	expect_bytes(r->options[0]->data, lladdr, 6);
	cr_assert_eq(r->options[1]->type, 5);
	expect_bytes(r->options[1]->data, "\0\0\0\0\x05\xdc", 6);
	cr_assert_eq(r->options[2]->type, 3);
	cr_assert_eq(r->options[2]->data.len, 30);
	cr_assert_eq(r->options[2]->data.data[0], 64);
	cr_assert_arr_eq(r->options[2]->data.data + 14, target, 8);
	cr_assert_str_eq(r->srcip, "fe80::1");
	cr_assert_str_eq(r->dstip, "ff02::1");
}

Test(decode_net, icmpv6_messages_without_records_stop_quietly)
{
	/* A destination unreachable quoting an IPv6/UDP header: one ICMPv6
	 * record, the quote is payload. */
	struct frame f = { 0 };
	put_icmpv6(&f, 8 + IPV6_HEADER + 8);
	PUT(&f, 1, 4, 0x12, 0x12, 0, 0, 0, 0);
	put_ipv6(&f, 17, 8);
	PUT(&f, 0x10, 0x00, 0x00, 0x35, 0x00, 0x08, 0, 0);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6);
	cr_assert_eq(((Types__ICMPv6 *)record(T_ICMPV6, 0))->typecode, 0x0104);
	cr_assert_eq(pkt.app_len, 4 + IPV6_HEADER + 8);
	cr_assert(!pkt.unknown);

	/* An MLD query (gopacket has a layer for it, netcap no record). */
	struct frame g = { 0 };
	put_icmpv6(&g, 24);
	PUT(&g, 130, 0, 0, 0, 0x27, 0x10, 0, 0);
	for (int i = 0; i < 16; i++)
		PUT(&g, 0);
	decode(&g);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6);
	cr_assert_eq(pkt.app_len, 0);
	cr_assert(!pkt.unknown);
}

Test(decode_net, icmpv6_option_of_length_zero_does_not_loop)
{
	struct frame f = { 0 };
	put_icmpv6(&f, 4 + 20 + 8 + 8);
	PUT(&f, 135, 0, 0, 0, 0, 0, 0, 0);
	put(&f, target, 16);
	PUT(&f, 1, 1);
	put(&f, lladdr, 6);
	PUT(&f, 1, 0, 0, 0, 0, 0, 0, 0);
	decode(&f);
	expect_error(PROTO_ICMPV6, REASON_BAD_OPTION);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6);

	/* The same when the records are off: the check does not depend on
	 * them. */
	decoder_enable(&ctx, T_NS, false);
	decode(&f);
	expect_error(PROTO_ICMPV6, REASON_BAD_OPTION);
	cr_assert_eq(ctx.stats.events[PROTO_ICMPV6][REASON_BAD_OPTION], 2);
}

Test(decode_net, icmpv6_option_past_the_message)
{
	/* The option says 2 units (16 bytes), 8 are there, and the IPv6
	 * payload length agrees with the data: the option lies. */
	struct frame f = { 0 };
	put_icmpv6(&f, 8 + 8);
	PUT(&f, 133, 0, 0, 0, 0, 0, 0, 0);
	PUT(&f, 1, 2);
	put(&f, lladdr, 6);
	decode(&f);
	expect_error(PROTO_ICMPV6, REASON_BAD_OPTION);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6);

	/* A trailing byte that cannot hold a type and a length. */
	struct frame g = { 0 };
	put_icmpv6(&g, 8 + 1);
	PUT(&g, 133, 0, 0, 0, 0, 0, 0, 0, 1);
	decode(&g);
	expect_error(PROTO_ICMPV6, REASON_BAD_OPTION);
}

Test(decode_net, icmpv6_router_advertisement_every_truncation)
{
	struct frame f = { 0 };
	build_router_advertisement(&f);
	const uint32_t icmp_at = ETH_HEADER + IPV6_HEADER, options_at = icmp_at + 16;
	/* option boundaries: a cut there leaves whole options only */
	const uint32_t ends[] = { options_at, options_at + 8, options_at + 16, options_at + 48 };
	for (uint32_t cut = ETH_HEADER; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < icmp_at) {
			expect_error(PROTO_IPV6, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else if (cut < icmp_at + 4) {
			expect_error(PROTO_ICMPV6, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV6);
		} else if (cut < options_at) {
			expect_error(PROTO_ICMPV6, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6);
		} else {
			size_t whole = 0;
			bool boundary = false;
			for (size_t i = 0; i < 4; i++) {
				if (ends[i] <= cut)
					whole = i;
				boundary |= ends[i] == cut;
			}
			if (boundary) {
				/* captured as far as whole options go */
				expect_ok();
				EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6, T_RA);
				cr_assert_eq(((Types__ICMPv6RouterAdvertisement *)record(T_RA, 0))->n_options,
					     whole);
			} else {
				expect_error(PROTO_ICMPV6, REASON_TRUNCATED);
				EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ICMPV6);
			}
		}
	}
}

/* ---- IGMP ----------------------------------------------------------- */

static const uint8_t all_hosts[4] = { 224, 0, 0, 1 };

static void put_igmp_v1_v2(struct frame *f, uint8_t type, uint8_t max_resp, const uint8_t group[4])
{
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 2, 8, &(struct ipv4_fields){ .dst = all_hosts });
	PUT(f, type, max_resp, 0xee, 0x9b);
	put(f, group, 4);
}

Test(decode_net, igmp_versions_1_and_2)
{
	static const uint8_t zero[4] = { 0 }, group[4] = { 239, 1, 2, 3 };
	const struct { uint8_t type, max_resp; const uint8_t *group; int version; } cases[] = {
		{ 0x11, 0, zero, 1 },      /* query of 8 bytes, Max Resp Code 0 */
		{ 0x11, 100, zero, 2 },    /* ... non-zero: 10 s */
		{ 0x11, 100, group, 2 },   /* a group-specific query */
		{ 0x12, 0, group, 1 },
		{ 0x16, 0, group, 2 },
		{ 0x17, 0, group, 2 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct frame f = { 0 };
		put_igmp_v1_v2(&f, cases[i].type, cases[i].max_resp, cases[i].group);
		decode(&f);
		expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
		Types__IGMP *r = record(T_IGMP, 0);
		cr_assert_eq(r->timestamp, TS);
		cr_assert_eq(r->type, cases[i].type);
		cr_assert_eq(r->version, cases[i].version, "case %zu", i);
		cr_assert_eq(r->maxresponsetime, cases[i].max_resp * 100000000ull);
		cr_assert_eq(r->checksum, 0xee9b);
		cr_assert_str_eq(r->groupaddress, cases[i].group == zero ? "0.0.0.0" : "239.1.2.3");
		cr_assert_not(r->supressrouterprocessing);
		cr_assert_eq(r->robustnessvalue, 0);
		cr_assert_eq(r->intervaltime, 0);
		cr_assert_eq(r->n_sourceaddresses, 0);
		cr_assert_eq(r->numberofgrouprecords, 0);
		cr_assert_eq(r->n_grouprecords, 0);
		cr_assert_str_eq(r->srcip, "192.168.1.10");
		cr_assert_str_eq(r->dstip, "224.0.0.1");
		cr_assert_eq(pkt.app_len, 0);
	}
}

/* A version 3 query for 239.1.2.3 with two sources, S set, QRV 2. */
static void build_v3_query(struct frame *f, uint8_t max_resp, uint8_t qqic, uint16_t n_sources,
			   uint32_t sources_present)
{
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 2, 12 + 4 * sources_present, &(struct ipv4_fields){ .dst = all_hosts });
	PUT(f, 0x11, max_resp, 0x12, 0x34, 239, 1, 2, 3, 0x0a, qqic);
	put16(f, n_sources);
	for (uint32_t i = 0; i < sources_present; i++)
		PUT(f, 10, 0, 0, (uint8_t)(i + 1));
}

Test(decode_net, igmp_v3_query_every_field)
{
	struct frame f = { 0 };
	build_v3_query(&f, 0x8f, 125, 2, 2);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
	Types__IGMP *r = record(T_IGMP, 0);
	cr_assert_eq(r->type, 0x11);
	cr_assert_eq(r->version, 3);
	/* 0x8f: exponent 0, mantissa 15: (0x10 | 15) << 3 = 248 tenths */
	cr_assert_eq(r->maxresponsetime, 24800000000ull);
	cr_assert_eq(r->checksum, 0x1234);
	cr_assert_str_eq(r->groupaddress, "239.1.2.3");
	cr_assert(r->supressrouterprocessing);
	cr_assert_eq(r->robustnessvalue, 2);
	cr_assert_eq(r->intervaltime, 12500000000ull);   /* QQIC 125 read as gopacket does */
	cr_assert_eq(r->numberofsources, 2);
	cr_assert_eq(r->n_sourceaddresses, 2);
	cr_assert_str_eq(r->sourceaddresses[0], "10.0.0.1");
	cr_assert_str_eq(r->sourceaddresses[1], "10.0.0.2");
	cr_assert_eq(r->n_grouprecords, 0);
	cr_assert_str_eq(r->srcip, "192.168.1.10");

	/* The largest code: (0x10 | 15) << (7 + 3) tenths, which gopacket's
	 * 8-bit arithmetic would lose. */
	struct frame g = { 0 };
	build_v3_query(&g, 0xff, 0x80, 0, 0);
	decode(&g);
	expect_ok();
	r = record(T_IGMP, 0);
	cr_assert_eq(r->maxresponsetime, 31744ull * 100000000ull);
	cr_assert_eq(r->intervaltime, (16ull << 3) * 100000000ull);
	cr_assert_eq(r->n_sourceaddresses, 0);
	cr_assert_null(r->sourceaddresses);
}

/* A version 3 report: an exclude record for 239.1.1.1 with two sources and
 * one word of auxiliary data, an include record for 239.2.2.2 without
 * sources. */
static void build_v3_report(struct frame *f, uint16_t n_records, uint16_t first_sources)
{
	put_ethernet(f, 0x0800);
	static const uint8_t igmpv3_routers[4] = { 224, 0, 0, 22 };
	put_ipv4_with(f, 2, 8 + 8 + 8 + 4 + 8, &(struct ipv4_fields){ .dst = igmpv3_routers });
	PUT(f, 0x22, 0, 0xab, 0xcd, 0, 0);
	put16(f, n_records);
	PUT(f, 2, 1);
	put16(f, first_sources);
	PUT(f, 239, 1, 1, 1, 172, 16, 0, 1, 172, 16, 0, 2);
	PUT(f, 0xa1, 0xa2, 0xa3, 0xa4);
	PUT(f, 1, 0, 0, 0, 239, 2, 2, 2);
}

Test(decode_net, igmp_v3_report_every_field)
{
	struct frame f = { 0 };
	build_v3_report(&f, 2, 2);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
	Types__IGMP *r = record(T_IGMP, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->type, 0x22);
	cr_assert_eq(r->version, 3);
	cr_assert_eq(r->maxresponsetime, 0);
	cr_assert_eq(r->checksum, 0xabcd);
	cr_assert_str_eq(r->groupaddress, "");
	cr_assert_eq(r->numberofgrouprecords, 2);
	cr_assert_eq(r->n_grouprecords, 2);
	Types__IGMPv3GroupRecord *g0 = r->grouprecords[0], *g1 = r->grouprecords[1];
	cr_assert_eq(g0->type, 2);
	cr_assert_eq(g0->auxdatalen, 1);
	cr_assert_eq(g0->numberofsources, 2);
	cr_assert_str_eq(g0->multicastaddress, "239.1.1.1");
	cr_assert_eq(g0->n_sourceaddresses, 2);
	cr_assert_str_eq(g0->sourceaddresses[0], "172.16.0.1");
	cr_assert_str_eq(g0->sourceaddresses[1], "172.16.0.2");
	/* the auxiliary data word is skipped, not read as the next record */
	cr_assert_eq(g1->type, 1);
	cr_assert_eq(g1->auxdatalen, 0);
	cr_assert_eq(g1->numberofsources, 0);
	cr_assert_str_eq(g1->multicastaddress, "239.2.2.2");
	cr_assert_eq(g1->n_sourceaddresses, 0);
	cr_assert_str_eq(r->dstip, "224.0.0.22");
}

Test(decode_net, igmp_lying_counts)
{
	/* Source counts beyond the data of a frame that was not cut. */
	struct frame q = { 0 };
	build_v3_query(&q, 10, 125, 3, 2);
	decode(&q);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	struct frame big = { 0 };
	build_v3_query(&big, 10, 125, 0xffff, 2);
	decode(&big);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);

	struct frame records = { 0 };
	build_v3_report(&records, 3, 2);
	decode(&records);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	struct frame sources = { 0 };
	build_v3_report(&sources, 2, 4);
	decode(&sources);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);

	struct frame counts = { 0 };
	build_v3_report(&counts, 0xffff, 0xffff);
	decode(&counts);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
	cr_assert_eq(ctx.stats.events[PROTO_IGMP][REASON_BAD_LENGTH], 5);
}

Test(decode_net, igmp_odd_lengths_and_unknown_types)
{
	/* A query of 9 to 11 bytes has no version (RFC 3376 7.1). */
	for (uint32_t extra = 1; extra <= 3; extra++) {
		struct frame f = { 0 };
		put_ethernet(&f, 0x0800);
		put_ipv4_with(&f, 2, 8 + extra, &(struct ipv4_fields){ .dst = all_hosts });
		PUT(&f, 0x11, 100, 0, 0, 0, 0, 0, 0);
		for (uint32_t i = 0; i < extra; i++)
			PUT(&f, 0);
		decode(&f);
		expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
		EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	}
	/* A v2 report with bytes after it still is a v2 report. */
	struct frame longer = { 0 };
	put_ethernet(&longer, 0x0800);
	put_ipv4_with(&longer, 2, 12, &(struct ipv4_fields){ .dst = all_hosts });
	PUT(&longer, 0x16, 0, 0, 0, 239, 1, 2, 3, 9, 9, 9, 9);
	decode(&longer);
	expect_ok();
	cr_assert_eq(((Types__IGMP *)record(T_IGMP, 0))->version, 2);

	/* DVMRP (0x13), mtrace (0x1f): no decoder, an unknown layer. */
	const uint8_t types[] = { 0x13, 0x1f, 0x00 };
	for (size_t i = 0; i < sizeof types; i++) {
		struct frame f = { 0 };
		put_igmp_v1_v2(&f, types[i], 0, all_hosts);
		decode(&f);
		expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4);
		cr_assert(pkt.unknown);
		cr_assert_eq(pkt.unknown_proto, PROTO_IGMP);
	}
}

Test(decode_net, igmp_every_truncation)
{
	struct frame rep = { 0 };
	build_v3_report(&rep, 2, 2);
	const uint32_t igmp_at = ETH_HEADER + IPV4_HEADER;
	for (uint32_t cut = igmp_at; cut <= rep.len; cut++) {
		decode_cut(&rep, LINK_ETHERNET, cut);
		if (cut < rep.len) {
			expect_error(PROTO_IGMP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
		}
	}
	struct frame q = { 0 };
	build_v3_query(&q, 10, 125, 2, 2);
	for (uint32_t cut = igmp_at; cut < q.len; cut++) {
		/* an 8-byte cut of a v3 query is no v1/v2 query */
		decode_cut(&q, LINK_ETHERNET, cut);
		expect_error(PROTO_IGMP, REASON_TRUNCATED);
		EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	}
	struct frame v2 = { 0 };
	put_igmp_v1_v2(&v2, 0x16, 0, all_hosts);
	for (uint32_t cut = igmp_at; cut < v2.len; cut++) {
		decode_cut(&v2, LINK_ETHERNET, cut);
		expect_error(PROTO_IGMP, REASON_TRUNCATED);
	}
	cr_assert_eq(ctx.stats.events[PROTO_IGMP][REASON_BAD_LENGTH], 0);
}

/* ---- SCTP ----------------------------------------------------------- */

/* Common header 5000 > 36412, tag 0xdeadbeef, checksum 0x01020304; a SACK
 * chunk (16 bytes), then a DATA chunk with 5 bytes of user data (padded to
 * 4). */
static void build_sctp(struct frame *f)
{
	put_ethernet(f, 0x0800);
	put_ipv4(f, 132, 12 + 16 + 24);
	put16(f, 5000);
	put16(f, 36412);
	put32(f, 0xdeadbeef);
	put32(f, 0x01020304);
	PUT(f, 3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0x10, 0, 0, 0, 0, 0);
	PUT(f, 0, 3, 0, 16 + HELLO_LEN, 0, 0, 0, 9, 0, 1, 0, 0, 0, 0, 0, 46);
	put(f, hello, HELLO_LEN);
	PUT(f, 0, 0, 0);
}

Test(decode_net, sctp_every_field)
{
	struct frame f = { 0 };
	build_sctp(&f);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_SCTP);
	Types__SCTP *r = record(T_SCTP, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->srcport, 5000);
	cr_assert_eq(r->dstport, 36412);
	cr_assert_eq(r->verificationtag, 0xdeadbeef);
	cr_assert_eq(r->checksum, 0x01020304);
	cr_assert_str_eq(r->srcip, "192.168.1.10");
	cr_assert_str_eq(r->dstip, "10.0.0.1");
	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.src_port, 5000);
	cr_assert_eq(pkt.dst_port, 36412);
	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->srcport, 5000);
	cr_assert_eq(ip->dstport, 36412);
	cr_assert_eq(pkt.app_len, HELLO_LEN);    /* the first DATA chunk's user data */
	cr_assert(!pkt.unknown);
}

Test(decode_net, sctp_every_truncation_and_bad_chunks)
{
	struct frame f = { 0 };
	build_sctp(&f);
	const uint32_t sctp_at = ETH_HEADER + IPV4_HEADER;
	for (uint32_t cut = sctp_at; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < sctp_at + 12) {
			expect_error(PROTO_SCTP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_SCTP);
			uint32_t data_at = sctp_at + 12 + 16 + 16;
			cr_assert_eq(pkt.app_len, cut > data_at ? (cut < data_at + HELLO_LEN ? cut - data_at : HELLO_LEN) : 0);
		}
	}
	/* A chunk length below 4 ends the walk (it would not advance). */
	struct frame g = { 0 };
	put_ethernet(&g, 0x0800);
	put_ipv4(&g, 132, 12 + 8);
	put16(&g, 1);
	put16(&g, 2);
	put32(&g, 3);
	put32(&g, 4);
	PUT(&g, 3, 0, 0, 0, 0, 0, 0, 0);
	decode(&g);
	expect_ok();
	cr_assert_eq(pkt.app_len, 0);
}

/* ---- IPv6 hop-by-hop ------------------------------------------------ */

Test(decode_net, ipv6_hop_by_hop_record)
{
	/* Hop-by-hop with a router alert and a PadN, then an MLD report. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6(&f, 0, 8 + 28);
	PUT(&f, 58, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00);
	PUT(&f, 143, 0, 0x12, 0x34, 0, 0, 0, 1, 4, 0, 0, 0);
	PUT(&f, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_ICMPV6);
	Types__IPv6HopByHop *h = record(T_HBH, 0);
	cr_assert_eq(h->timestamp, TS);
	cr_assert_str_eq(h->srcip, "fe80::1");
	cr_assert_str_eq(h->dstip, "ff02::1");
	cr_assert_eq(h->n_options, 2);
	cr_assert_eq(h->options[0]->optiontype, 5);
	cr_assert_eq(h->options[0]->optionlength, 2);
	cr_assert_eq(h->options[0]->actuallength, 4);
	expect_bytes(h->options[0]->optiondata, "\0\0", 2);
	cr_assert_not_null(h->options[0]->optionalignment);
	cr_assert_eq(h->options[0]->optionalignment->one, 0);
	cr_assert_eq(h->options[0]->optionalignment->two, 0);
	cr_assert_eq(h->options[1]->optiontype, 1);
	cr_assert_eq(h->options[1]->optionlength, 0);
	cr_assert_eq(h->options[1]->actuallength, 2);
	/* The IPv6 record's nested copy holds the same. */
	Types__IPv6 *ip = record(T_IPV6, 0);
	cr_assert_not_null(ip->hopbyhop);
	cr_assert_neq(ip->hopbyhop, h);
	cr_assert_eq(ip->hopbyhop->n_options, 2);
	cr_assert_eq(((Types__ICMPv6 *)record(T_ICMPV6, 0))->typecode, 143 << 8);

	/* Only the standalone record when the IPv6 record is off. */
	decoder_enable(&ctx, T_IPV6, false);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_HBH, T_ICMPV6);
}

Test(decode_net, ipv6_hop_by_hop_out_of_place_gives_a_record_too)
{
	/* destination options, then a hop-by-hop header (not first), then UDP */
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6(&f, 60, 8 + 8 + 8);
	PUT(&f, 0, 0, 0x01, 0x04, 0, 0, 0, 0);
	PUT(&f, 17, 0, 0xc2, 0x04, 0, 0, 0, 9);
	PUT(&f, 0, 1, 0, 2, 0, 8, 0, 0);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_UDP);
	cr_assert_null(((Types__IPv6 *)record(T_IPV6, 0))->hopbyhop);
	Types__IPv6HopByHop *h = record(T_HBH, 0);
	cr_assert_eq(h->n_options, 1);
	cr_assert_eq(h->options[0]->optiontype, 0xc2);
	expect_bytes(h->options[0]->optiondata, "\0\0\0\x09", 4);
}

/* ---- IEEE 802.11 and radiotap ---------------------------------------- */

static const uint8_t mac1[6] = { 0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa };
static const uint8_t mac2[6] = { 0x00, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
static const uint8_t mac3[6] = { 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5 };
static const uint8_t mac4[6] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };

/* A radiotap header with only the Flags field: 9 bytes. */
static void put_radiotap(struct frame *f, uint8_t flags)
{
	PUT(f, 0, 0);
	putle16(f, 9);
	putle32(f, 0x00000002);
	PUT(f, flags);
}

/* Bitwise CRC-32 (IEEE 802.3), independent of the decoder's. */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/* 802.11 header of a data frame: frame control (fc0, flags), duration
 * 0x002c, addresses 1-3, sequence 0x123 fragment 5. */
static void put_dot11_data(struct frame *f, uint8_t fc0, uint8_t flags)
{
	PUT(f, fc0, flags);
	putle16(f, 0x002c);
	put(f, mac1, 6);
	put(f, mac2, 6);
	put(f, mac3, 6);
	putle16(f, 0x123 << 4 | 5);
}

/* LLC/SNAP, IPv4, UDP and "hello": 41 bytes. */
#define LLC_TO_END (3 + 5 + IPV4_HEADER + 8 + HELLO_LEN)
static void put_llc_ipv4_udp(struct frame *f)
{
	PUT(f, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00);
	put_ipv4(f, 17, 8 + HELLO_LEN);
	PUT(f, 0x04, 0xd2, 0x16, 0x2e, 0, 8 + HELLO_LEN, 0, 0);
	put(f, hello, HELLO_LEN);
}

/* Radiotap (FCS flag), a QoS data frame from the DS (TID 5, EOSP, no ack,
 * TXOP 7), LLC/SNAP, IPv4/UDP, FCS 0xdeadbeef. */
static void build_qos_data(struct frame *f, uint8_t radiotap_flags)
{
	put_radiotap(f, radiotap_flags);
	put_dot11_data(f, 0x88, 0x02);
	PUT(f, 0x35, 0x07);
	if (radiotap_flags & 0x20)
		PUT(f, 0xee, 0xee);   /* driver padding to 28 bytes */
	put_llc_ipv4_udp(f);
	if (radiotap_flags & 0x10)
		putle32(f, 0xdeadbeef);
}

Test(decode_net, radiotap_qos_data_every_field)
{
	struct frame f = { 0 };
	build_qos_data(&f, 0x10);
	decode_as(&f, LINK_IEEE802_11_RADIO);

	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->type, 0x22);
	cr_assert_eq(r->proto, 0);
	cr_assert_eq(r->flags, 0x02);
	cr_assert_eq(r->durationid, 0x2c);
	cr_assert_str_eq(r->address1, "01:00:5e:7f:ff:fa");
	cr_assert_str_eq(r->address2, "00:1b:2c:3d:4e:5f");
	cr_assert_str_eq(r->address3, "a0:b1:c2:d3:e4:f5");
	cr_assert_str_eq(r->address4, "");
	cr_assert_eq(r->sequencenumber, 0x123);
	cr_assert_eq(r->fragmentnumber, 5);
	cr_assert_eq(r->checksum, 0xdeadbeef);
	cr_assert_not_null(r->qos);
	cr_assert_eq(r->qos->tid, 5);
	cr_assert(r->qos->eosp);
	cr_assert_eq(r->qos->ackpolicy, 1);
	cr_assert_eq(r->qos->txop, 7);
	cr_assert_null(r->htcontrol);

	/* The FCS is no payload: UDP gets exactly its 5 bytes. */
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
	cr_assert_eq(((Types__IPv4 *)record(T_IPV4, 0))->payloadsize, 8 + HELLO_LEN);
	Types__SNAP *snap = record(T_SNAP, 0);
	cr_assert_eq(snap->type, 0x0800);
	cr_assert_str_eq(pkt.src_ip_str, "192.168.1.10");
	cr_assert(!pkt.unknown);
}

Test(decode_net, radiotap_without_fcs_computes_the_checksum)
{
	struct frame f = { 0 };
	build_qos_data(&f, 0x00);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->checksum, crc32_ref(f.b + 9, f.len - 9));
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
}

Test(decode_net, radiotap_datapad_is_skipped)
{
	struct frame f = { 0 };
	build_qos_data(&f, 0x30);   /* FCS and data padding */
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	cr_assert_eq(((Types__LLC *)record(T_LLC, 0))->dsap, 0xaa);
	cr_assert_eq(((Types__Dot11 *)record(T_DOT11, 0))->checksum, 0xdeadbeef);

	/* Without FCS the computed CRC leaves the padding out, as gopacket. */
	struct frame g = { 0 };
	build_qos_data(&g, 0x20);
	decode_as(&g, LINK_IEEE802_11_RADIO);
	expect_ok();
	struct frame unpadded = { 0 };
	build_qos_data(&unpadded, 0x00);
	cr_assert_eq(((Types__Dot11 *)record(T_DOT11, 0))->checksum,
		     crc32_ref(unpadded.b + 9, unpadded.len - 9));

	/* A 24-byte header is aligned already: nothing to skip. */
	struct frame plain = { 0 };
	put_radiotap(&plain, 0x20);
	put_dot11_data(&plain, 0x08, 0x01);
	put_llc_ipv4_udp(&plain);
	decode_as(&plain, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
}

Test(decode_net, radiotap_flags_after_tsft_and_extended_presence)
{
	/* present words 0x80000003 and 0: TSFT aligned to 16, Flags at 24. */
	struct frame f = { 0 };
	PUT(&f, 0, 0);
	putle16(&f, 26);
	putle32(&f, 0x80000003);
	putle32(&f, 0);
	PUT(&f, 0xaa, 0xaa, 0xaa, 0xaa);      /* alignment padding */
	for (int i = 0; i < 8; i++)
		PUT(&f, 0x11);
	PUT(&f, 0x10, 0x00);                  /* Flags: FCS; a pad byte */
	put_dot11_data(&f, 0x08, 0x02);
	put_llc_ipv4_udp(&f);
	putle32(&f, 0x0badf00d);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x02);
	cr_assert_null(r->qos);
	cr_assert_eq(r->checksum, 0x0badf00d);
}

Test(decode_net, radiotap_lying_lengths)
{
	/* below 8 */
	for (uint16_t len = 0; len < 8; len++) {
		struct frame f = { 0 };
		PUT(&f, 0, 0);
		putle16(&f, len);
		putle32(&f, 0);
		put_dot11_data(&f, 0x08, 0);
		decode_as(&f, LINK_IEEE802_11_RADIO);
		expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);
		cr_assert_eq(pkt.n_rec, 0);
	}
	/* beyond the data of a frame that was not cut */
	struct frame big = { 0 };
	PUT(&big, 0, 0);
	putle16(&big, 0xffff);
	putle32(&big, 2);
	PUT(&big, 0x10);
	decode_as(&big, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);
	/* the same cut by the snaplen */
	decode_cut(&big, LINK_IEEE802_11_RADIO, big.len - 1);
	expect_error(PROTO_RADIOTAP, REASON_TRUNCATED);

	/* presence words chained past the header length */
	struct frame chain = { 0 };
	PUT(&chain, 0, 0);
	putle16(&chain, 12);
	putle32(&chain, 0x80000002);
	putle32(&chain, 0x80000000);
	putle32(&chain, 0x80000000);
	put_dot11_data(&chain, 0x08, 0);
	decode_as(&chain, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);

	/* a Flags field past the header length */
	struct frame flags = { 0 };
	PUT(&flags, 0, 0);
	putle16(&flags, 8);
	putle32(&flags, 0x00000002);
	put_dot11_data(&flags, 0x08, 0);
	decode_as(&flags, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);

	/* a version other than 0 */
	struct frame v1 = { 0 };
	put_radiotap(&v1, 0x00);
	v1.b[0] = 1;
	put_dot11_data(&v1, 0x08, 0);
	decode_as(&v1, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_VERSION);
	cr_assert_eq(pkt.n_rec, 0);

	/* a header of exactly 8 bytes and no fields is fine */
	struct frame bare = { 0 };
	PUT(&bare, 0, 0);
	putle16(&bare, 8);
	putle32(&bare, 0);
	put_dot11_data(&bare, 0x08, 0);
	put_llc_ipv4_udp(&bare);
	decode_as(&bare, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
}

Test(decode_net, radiotap_dot11_every_truncation)
{
	/* With the FCS flag: a frame cut by the snaplen has lost its FCS, so
	 * every cut decodes as far as the data goes. */
	struct frame f = { 0 };
	build_qos_data(&f, 0x10);
	const uint32_t dot11_at = 9, llc_at = dot11_at + 26, snap_at = llc_at + 3,
		ip_at = snap_at + 5, udp_at = ip_at + IPV4_HEADER, payload_at = udp_at + 8;
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_IEEE802_11_RADIO, cut);
		if (cut < dot11_at) {
			expect_error(PROTO_RADIOTAP, REASON_TRUNCATED);
			cr_assert_eq(pkt.n_rec, 0);
		} else if (cut < llc_at) {
			expect_error(PROTO_DOT11, REASON_TRUNCATED);
			cr_assert_eq(pkt.n_rec, 0);
		} else if (cut == llc_at) {
			expect_ok();      /* a data frame with an empty body */
			EXPECT_RECORDS(T_DOT11);
		} else if (cut < snap_at) {
			expect_error(PROTO_LLC, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11);
		} else if (cut < ip_at) {
			expect_error(PROTO_SNAP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11, T_LLC);
		} else if (cut < udp_at) {
			expect_error(PROTO_IPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP);
		} else if (cut < payload_at) {
			expect_error(PROTO_UDP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
			Types__Dot11 *r = record(T_DOT11, 0);
			/* The FCS only when the frame was captured whole. */
			cr_assert_eq(r->checksum, cut == f.len ? 0xdeadbeef : 0);
			uint32_t udp_payload = cut - payload_at;
			if (udp_payload > HELLO_LEN)
				udp_payload = HELLO_LEN;  /* the rest is the FCS, under the IP length */
			cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, udp_payload);
		}
		if (cut >= llc_at)
			cr_assert_str_eq(((Types__Dot11 *)record(T_DOT11, 0))->address3,
					 "a0:b1:c2:d3:e4:f5");
	}

	/* A whole frame (not cut) with the FCS flag needs the 4 FCS bytes. */
	for (uint32_t len = dot11_at; len < dot11_at + 10 + 4; len++) {
		struct frame g = f;
		g.len = len;
		decode_as(&g, LINK_IEEE802_11_RADIO);
		expect_error(PROTO_DOT11, REASON_TRUNCATED);
	}
}

Test(decode_net, dot11_header_forms)
{
	/* ACK: 10 bytes, only the receiver address. */
	struct frame ack = { 0 };
	put_radiotap(&ack, 0x10);
	PUT(&ack, 0xd4, 0x00, 0, 0);
	put(&ack, mac2, 6);
	putle32(&ack, 0x11223344);
	decode_as(&ack, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x35);
	cr_assert_str_eq(r->address1, "00:1b:2c:3d:4e:5f");
	cr_assert_str_eq(r->address2, "");
	cr_assert_str_eq(r->address3, "");
	cr_assert_eq(r->sequencenumber, 0);
	cr_assert_eq(r->checksum, 0x11223344);

	/* RTS: receiver and transmitter. */
	struct frame rts = { 0 };
	put_radiotap(&rts, 0x10);
	PUT(&rts, 0xb4, 0x00, 0x10, 0x01);
	put(&rts, mac1, 6);
	put(&rts, mac2, 6);
	putle32(&rts, 0);
	decode_as(&rts, LINK_IEEE802_11_RADIO);
	expect_ok();
	r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x2d);
	cr_assert_eq(r->durationid, 0x0110);
	cr_assert_str_eq(r->address2, "00:1b:2c:3d:4e:5f");

	/* Block ack: gopacket reads no transmitter address. */
	struct frame ba = { 0 };
	put_radiotap(&ba, 0x10);
	PUT(&ba, 0x94, 0x00, 0, 0);
	put(&ba, mac1, 6);
	put(&ba, mac2, 6);
	PUT(&ba, 0x05, 0x00, 0x10, 0x00);
	putle32(&ba, 0);
	decode_as(&ba, LINK_IEEE802_11_RADIO);
	expect_ok();
	r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x25);
	cr_assert_str_eq(r->address2, "");

	/* A four-address data frame (ToDS and FromDS) reaches the LLC. */
	struct frame wds = { 0 };
	put_radiotap(&wds, 0x00);
	put_dot11_data(&wds, 0x08, 0x03);
	put(&wds, mac4, 6);
	put_llc_ipv4_udp(&wds);
	decode_as(&wds, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	r = record(T_DOT11, 0);
	cr_assert_str_eq(r->address4, "12:34:56:78:9a:bc");
	cr_assert_eq(r->flags, 3);

	/* A protocol version of 1 is kept as it stands. */
	struct frame v1 = { 0 };
	put_radiotap(&v1, 0x00);
	put_dot11_data(&v1, 0x49, 0x00);   /* Null function, version 1 */
	decode_as(&v1, LINK_IEEE802_11_RADIO);
	expect_ok();
	r = record(T_DOT11, 0);
	cr_assert_eq(r->proto, 1);
	cr_assert_eq(r->type, 0x12);
}

Test(decode_net, dot11_bodies_that_are_not_decoded)
{
	/* Null function, QoS Null, a protected data frame, a beacon: one
	 * Dot11 record each, nothing after it, nothing unknown. */
	const struct { uint8_t fc0, flags; bool qos; } cases[] = {
		{ 0x48, 0x01, false }, { 0xc8, 0x01, true }, { 0x88, 0x41, true }, { 0x80, 0x00, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct frame f = { 0 };
		put_radiotap(&f, 0x00);
		put_dot11_data(&f, cases[i].fc0, cases[i].flags);
		if (cases[i].qos)
			PUT(&f, 0x00, 0x00);
		put_llc_ipv4_udp(&f);
		decode_as(&f, LINK_IEEE802_11_RADIO);
		expect_ok();
		EXPECT_RECORDS(T_DOT11);
		cr_assert(!pkt.unknown, "case %zu", i);
	}
	/* An A-MSDU has no decoder. */
	struct frame amsdu = { 0 };
	put_radiotap(&amsdu, 0x00);
	put_dot11_data(&amsdu, 0x88, 0x01);
	PUT(&amsdu, 0x80, 0x00);
	put_llc_ipv4_udp(&amsdu);
	decode_as(&amsdu, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11);
	cr_assert(pkt.unknown);
	cr_assert_eq(pkt.unknown_proto, PROTO_DOT11);
}

Test(decode_net, dot11_link_without_radiotap)
{
	struct frame f = { 0 };
	put_dot11_data(&f, 0x08, 0x01);
	put_llc_ipv4_udp(&f);
	decode_as(&f, LINK_IEEE802_11);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->flags, 1);
	/* no FCS assumed: the last bytes are the payload's, the checksum is
	 * computed */
	cr_assert_eq(r->checksum, crc32_ref(f.b, f.len));
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);

	for (uint32_t cut = 0; cut < 24; cut++) {
		decode_cut(&f, LINK_IEEE802_11, cut);
		expect_error(PROTO_DOT11, REASON_TRUNCATED);
		cr_assert_eq(pkt.n_rec, 0);
	}
}

/* A management frame (beacon) or QoS data frame with the Order flag and an
 * HT Control field htc. */
static void build_htc(struct frame *f, bool management, const uint8_t htc[4])
{
	put_radiotap(f, 0x10);
	put_dot11_data(f, management ? 0x80 : 0x88, management ? 0x80 : 0x81);
	if (!management)
		PUT(f, 0x06, 0x00);
	put(f, htc, 4);
	if (management)
		PUT(f, 1, 2, 3, 4, 5, 6, 7, 8, 0x64, 0, 0x11, 0x04);
	else
		put_llc_ipv4_udp(f);
	putle32(f, 0);
}

Test(decode_net, dot11_ht_control_ht_variant)
{
	const uint8_t htc[4] = { 0x9e, 0xab, 0xc6, 0xe1 };
	struct frame f = { 0 };
	build_htc(&f, true, htc);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x20);
	cr_assert_null(r->qos);
	Types__Dot11HTControl *h = r->htcontrol;
	cr_assert_not_null(h);
	cr_assert(h->acconstraint);
	cr_assert(h->rdgmoreppdu);
	cr_assert_null(h->vht);
	cr_assert_not_null(h->ht);
	Types__Dot11LinkAdapationControl *lac = h->ht->linkadapationcontrol;
	cr_assert_not_null(lac);
	cr_assert(lac->trq);
	cr_assert(lac->mrq);
	cr_assert_eq(lac->msi, 3);
	cr_assert_eq(lac->mfsi, 2 + (1 << 2));   /* B6-B8 (gopacket: 2 + (1 << 3)) */
	cr_assert_eq(lac->mfb, 0x55);
	cr_assert_null(lac->asel);
	cr_assert_eq(h->ht->calibrationposition, 2);
	cr_assert_eq(h->ht->calibrationsequence, 1);
	cr_assert_eq(h->ht->csisteering, 3);
	cr_assert(h->ht->ndpannouncement);
	cr_assert_not(h->ht->dei);          /* not read for management frames */

	/* Antenna selection (MAI 14), on a QoS data frame: DEI is read. */
	const uint8_t asel[4] = { 0x38, 0x5a, 0x00, 0x20 };
	struct frame g = { 0 };
	build_htc(&g, false, asel);
	decode_as(&g, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	r = record(T_DOT11, 0);
	cr_assert_not_null(r->qos);
	cr_assert_eq(r->qos->tid, 6);
	lac = r->htcontrol->ht->linkadapationcontrol;
	cr_assert_not_null(lac->asel);
	cr_assert_eq(lac->asel->command, 5);
	cr_assert_eq(lac->asel->data, 5);
	cr_assert_not(lac->mrq);
	cr_assert_eq(lac->mfb, 0);
	cr_assert(r->htcontrol->ht->dei);
	cr_assert_not(r->htcontrol->acconstraint);
}

Test(decode_net, dot11_ht_control_vht_variant)
{
	/* Solicited: MRQ, MSI 6, MFSI 5, NumSTS 3, MCS 9, BW 2, SNR -5 + 22. */
	const uint8_t solicited[4] = { 0x75, 0x97, 0xee, 0xc0 };
	struct frame f = { 0 };
	build_htc(&f, false, solicited);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11HTControl *h = ((Types__Dot11 *)record(T_DOT11, 0))->htcontrol;
	cr_assert_not_null(h);
	cr_assert(h->acconstraint && h->rdgmoreppdu);
	cr_assert_null(h->ht);
	Types__Dot11HTControlVHT *v = h->vht;
	cr_assert_not_null(v);
	cr_assert(v->mrq);
	cr_assert_not(v->unsolicitedmfb);
	cr_assert_eq(v->msi, 6);
	cr_assert_eq(v->mfsi, 5);
	cr_assert_not_null(v->mfb);
	cr_assert_eq(v->mfb->numsts, 3);
	cr_assert_eq(v->mfb->vhtmcs, 9);
	cr_assert_eq(v->mfb->bw, 2);
	cr_assert_eq(v->mfb->snr, 17);
	cr_assert_eq(v->compressedmsi, 0);
	cr_assert_eq(v->gid, 0);

	/* Unsolicited: compressed MSI 2, STBC, GID 47, LDPC, beamformed. */
	const uint8_t unsolicited[4] = { 0xf1, 0x97, 0x02, 0x3d };
	struct frame g = { 0 };
	build_htc(&g, false, unsolicited);
	decode_as(&g, LINK_IEEE802_11_RADIO);
	expect_ok();
	v = ((Types__Dot11 *)record(T_DOT11, 0))->htcontrol->vht;
	cr_assert(v->unsolicitedmfb);
	cr_assert_not(v->mrq);
	cr_assert_eq(v->compressedmsi, 2);
	cr_assert(v->stbcindication);
	cr_assert_eq(v->gid, 47);
	cr_assert_eq(v->codingtype, 1);
	cr_assert(v->fbtxbeamformed);
	cr_assert_eq(v->msi, 0);
	cr_assert_eq(v->mfsi, 0);
	cr_assert_eq(v->mfb->snr, 22);

	/* Unsolicited with "no feedback" (MCS 15, NumSTS 7): nothing more. */
	const uint8_t none[4] = { 0xf1, 0xfe, 0x00, 0x3d };
	struct frame n = { 0 };
	build_htc(&n, false, none);
	decode_as(&n, LINK_IEEE802_11_RADIO);
	expect_ok();
	v = ((Types__Dot11 *)record(T_DOT11, 0))->htcontrol->vht;
	cr_assert_eq(v->gid, 0);
	cr_assert_not(v->stbcindication);
	cr_assert_eq(v->codingtype, 0);
}

/* ---- random corruption ---------------------------------------------- */

/* What a corrupted frame's result must also keep: the payload and the IGMP
 * source addresses within what was captured. */
static void check_net(uint32_t cut)
{
	cr_assert_leq(pkt.app_len, cut);
	Types__IGMP *igmp = record(T_IGMP, 0);
	if (igmp)
		cr_assert_leq(igmp->n_sourceaddresses * 4, cut);
}

Test(decode_net, random_corruption_stays_in_bounds)
{
	struct frame ra = { 0 }, report = { 0 }, query = { 0 }, sctp = { 0 }, qos = { 0 },
		htc = { 0 }, ext = { 0 };
	build_router_advertisement(&ra);
	build_v3_report(&report, 2, 2);
	build_v3_query(&query, 10, 125, 2, 2);
	build_sctp(&sctp);
	build_qos_data(&qos, 0x30);
	const uint8_t vht[4] = { 0xf1, 0x97, 0x02, 0x3d };
	build_htc(&htc, false, vht);
	PUT(&ext, 0, 0);
	putle16(&ext, 26);
	putle32(&ext, 0x80000003);
	putle32(&ext, 0);
	for (int i = 0; i < 14; i++)
		PUT(&ext, 0x10);
	put_dot11_data(&ext, 0x88, 0x03);
	put(&ext, mac4, 6);
	PUT(&ext, 0, 0);
	put_llc_ipv4_udp(&ext);

	corrupt_and_decode(&ra, LINK_ETHERNET, 11, check_net);
	corrupt_and_decode(&report, LINK_ETHERNET, 12, check_net);
	corrupt_and_decode(&query, LINK_ETHERNET, 13, check_net);
	corrupt_and_decode(&sctp, LINK_ETHERNET, 14, check_net);
	corrupt_and_decode(&qos, LINK_IEEE802_11_RADIO, 15, check_net);
	corrupt_and_decode(&htc, LINK_IEEE802_11_RADIO, 16, check_net);
	corrupt_and_decode(&ext, LINK_IEEE802_11_RADIO, 17, check_net);
	corrupt_and_decode(&qos, LINK_IEEE802_11, 18, check_net);
}
