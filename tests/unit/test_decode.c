/* test_decode.c: the decoding framework (lib/decode/decode.c) over whole
 * stacks of layers: a frame cut at every length stops at the right layer
 * with the right (protocol, reason) and keeps the records of the layers
 * before it; frames the snaplen did not cut have lengths that lie; record
 * types turned off still leave the packet's fields (flows need them); and
 * randomly corrupted Ethernet/VLAN/IPv4/IPv6/TCP/UDP frames stay within
 * what was captured. The protocols' own fields are tested per family
 * (tests/README.md lists which file tests which decoder).
 *
 * Frames are built byte by byte (tests/support/frames.h) and decoded from a
 * heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>

#include "../support/frames.h"

static void setup(void)
{
	static const int types[] = { T_ETHERNET, T_DOT1Q, T_IPV4, T_IPV6, T_TCP, T_UDP };
	setup_decoder(1 << 16, types, COUNT_OF(types));
}

TestSuite(decode, .init = setup, .fini = teardown_decoder);

/* ---- truncation at every length ------------------------------------- */

Test(decode, every_truncation_of_ethernet_ipv4_tcp)
{
	const uint8_t ip_options[] = { 0x01, 0x01, 0x01, 0x00 };
	const uint8_t options[] = { 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02,
				    0x01, 0x03, 0x03, 0x07 };
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 32 + 10, IPV4(.options = ip_options,
		      .options_len = sizeof ip_options, .flags_fragment = 0x4000));
	put_tcp(&f, 1, 2, 0x18, false, options, sizeof options);
	for (int i = 0; i < 10; i++)
		PUT(&f, (uint8_t)(i * 7));
	const uint32_t ip_at = ETH_HEADER, tcp_at = ip_at + 24, payload_at = tcp_at + 32;
	cr_assert_eq(f.len, payload_at + 10);

	for (uint32_t cut = 0; cut <= f.len; cut++) {
		/* the capture stops at cut; the frame on the wire was whole */
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ip_at) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else if (cut < tcp_at) {
			expect_error(PROTO_IPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else if (cut < payload_at) {
			expect_error(PROTO_TCP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV4);
			cr_assert_eq(((Types__IPv4 *)record(T_IPV4, 0))->payloadsize, cut - tcp_at);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
			cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payloadsize, cut - payload_at);
			cr_assert_eq(pkt.app_len, cut - payload_at);
		}
	}
	/* Cut by the snaplen: the IP length beyond the data is no anomaly. */
	cr_assert_eq(ctx.stats.events[PROTO_IPV4][REASON_BAD_LENGTH], 0);
	cr_assert_eq(ctx.stats.events[PROTO_ETHERNET][REASON_TRUNCATED], ip_at);
	cr_assert_eq(ctx.stats.events[PROTO_IPV4][REASON_TRUNCATED], tcp_at - ip_at);
	cr_assert_eq(ctx.stats.events[PROTO_TCP][REASON_TRUNCATED], payload_at - tcp_at);
}

Test(decode, short_frames_not_cut_by_the_snaplen)
{
	/* The frame on the wire was as short as the capture: the IP length
	 * lies. Decoding goes on (noted); the TCP header that does not fit is
	 * still TRUNCATED, as the IP payload is shorter than it says. */
	struct frame f = { 0 };
	build_tcp(&f, 0x10, false);
	for (uint32_t cut = ETH_HEADER + 20; cut < f.len; cut++) {
		struct frame g = f;
		g.len = cut;
		decode(&g);
		if (cut < ETH_HEADER + 20 + 44)
			expect_error(PROTO_TCP, REASON_TRUNCATED);
		else
			expect_ok();
	}
	cr_assert_eq(ctx.stats.events[PROTO_IPV4][REASON_BAD_LENGTH], f.len - (ETH_HEADER + 20));
}

/* ---- disabled records ----------------------------------------------- */

Test(decode, disabled_records_still_fill_the_packet)
{
	const int types[] = { T_ETHERNET, T_DOT1Q, T_IPV4, T_IPV6, T_TCP, T_UDP };
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		decoder_enable(&ctx, types[i], false);

	struct frame f = { 0 };
	put_ethernet(&f, 0x8100);
	put16(&f, 42);
	put16(&f, 0x0800);
	put_ipv4_with(&f, 6, 44 + HELLO_LEN, IPV4(.flags_fragment = 0x4000));
	put_tcp(&f, 50000, 80, 0x12, false, tcp_options, sizeof tcp_options);
	put(&f, hello, HELLO_LEN);
	decode(&f);

	expect_ok();
	EXPECT_NO_RECORDS();
	cr_assert_null(pkt.ipv4_rec);
	cr_assert(pkt.has_mac);
	cr_assert_eq(pkt.vlan_id, 42);
	cr_assert_eq(pkt.ip_version, 4);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(pkt.ip_len, 20 + 44 + HELLO_LEN);
	cr_assert_str_eq(pkt.src_ip_str, "192.168.1.10");
	cr_assert_str_eq(pkt.dst_ip_str, "10.0.0.1");
	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.src_port, 50000);
	cr_assert_eq(pkt.dst_port, 80);
	cr_assert_eq(pkt.tcp_flags, 0x12);
	cr_assert_eq(pkt.tcp_window, 0xfaf0);
	cr_assert_eq(pkt.app_len, HELLO_LEN);

	struct frame v6 = { 0 };
	build_ipv6_fragment(&v6, 0, false);
	decode(&v6);
	expect_ok();
	EXPECT_NO_RECORDS();
	cr_assert_eq(pkt.ip_version, 6);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.dst_port, 5678);
	cr_assert_null(pkt.ipv6_rec);
}

/* ---- random corruption ---------------------------------------------- */

/* What a corrupted IP/TCP frame's result must also keep: payload sizes and
 * the depth within what was captured. */
static void check_decode(uint32_t cut)
{
	cr_assert_leq(pkt.app_len, cut);
	cr_assert_leq(pkt.depth, PACKET_MAX_DEPTH + 1);
	Types__IPv4 *ip = record(T_IPV4, 0);
	if (ip)
		cr_assert_leq((uint32_t)ip->payloadsize, cut);
	Types__TCP *tcp = record(T_TCP, 0);
	if (tcp)
		cr_assert_leq((uint32_t)tcp->payloadsize, cut);
}

Test(decode, random_corruption_stays_in_bounds)
{
	struct frame tcp = { 0 }, v6 = { 0 }, qinq = { 0 }, raw = { 0 };
	build_tcp(&tcp, 0x18, false);
	build_ipv6_fragment(&v6, 0, true);
	put_ethernet(&qinq, 0x88a8);
	put16(&qinq, 100);
	put16(&qinq, 0x8100);
	put16(&qinq, 200);
	put16(&qinq, 0x0800);
	put_ipv4_with(&qinq, 17, 8 + HELLO_LEN, IPV4(.options = ipv4_options,
		      .options_len = sizeof ipv4_options));
	put_udp(&qinq, 1, 2, 8 + HELLO_LEN);
	put(&qinq, hello, HELLO_LEN);
	put_ipv6_with(&raw, 60, 8 + 20 + sizeof tcp_options, &ipv6_doc);
	PUT(&raw, 6, 0, 0x01, 0x04, 0, 0, 0, 0);
	put_tcp(&raw, 1, 2, 0x02, false, tcp_options, sizeof tcp_options);

	corrupt_and_decode(&tcp, LINK_ETHERNET, 1, check_decode);
	corrupt_and_decode(&v6, LINK_ETHERNET, 2, check_decode);
	corrupt_and_decode(&qinq, LINK_ETHERNET, 3, check_decode);
	corrupt_and_decode(&raw, LINK_RAW, 4, check_decode);
}
