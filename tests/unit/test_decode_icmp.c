/* test_decode_icmp.c: the ICMPv4 (icmpv4.c) and ICMPv6 (icmpv6.c)
 * decoders: every field of the ICMPv4 record and of the ICMPv6 record and
 * its echo, router and neighbor solicitation and advertisement records,
 * error quotes that stay payload, messages without records of their own,
 * neighbor discovery options that would never advance or run past the
 * message, and cuts at every length. The cap on options is
 * test_decode_limits.c's.
 *
 * Frames are built byte by byte (tests/support/frames.h) so that every
 * expected value is known independently of the decoders, and decoded from
 * a heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>

#include "../support/frames.h"

static const int types[] = {
	T_ETHERNET, T_IPV4, T_IPV6, T_UDP, T_HBH, T_ICMPV4, T_ICMPV6, T_ECHO6, T_NS, T_NA, T_RS, T_RA,
};

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_icmp, .init = setup, .fini = teardown_decoder);

/* ---- ICMPv4 --------------------------------------------------------- */

Test(decode_icmp, icmpv4_echo_every_field)
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

Test(decode_icmp, icmpv4_error_quote_stays_payload)
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

Test(decode_icmp, icmpv4_every_truncation)
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

Test(decode_icmp, icmpv6_echo_every_field)
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

Test(decode_icmp, icmpv6_neighbor_solicitation_every_field)
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

Test(decode_icmp, icmpv6_neighbor_advertisement_every_field)
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

Test(decode_icmp, icmpv6_router_solicitation_every_field)
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

Test(decode_icmp, icmpv6_router_advertisement_every_field)
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

Test(decode_icmp, icmpv6_messages_without_records_stop_quietly)
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

Test(decode_icmp, icmpv6_option_of_length_zero_does_not_loop)
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

Test(decode_icmp, icmpv6_option_past_the_message)
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

Test(decode_icmp, icmpv6_router_advertisement_every_truncation)
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

/* ---- random corruption ---------------------------------------------- */

/* What a corrupted frame's result must also keep: the payload within what
 * was captured. */
static void check_icmp(uint32_t cut)
{
	cr_assert_leq(pkt.app_len, cut);
}

Test(decode_icmp, random_corruption_stays_in_bounds)
{
	struct frame ra = { 0 };
	build_router_advertisement(&ra);
	corrupt_and_decode(&ra, LINK_ETHERNET, 11, check_icmp);
}
