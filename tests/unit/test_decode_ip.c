/* test_decode_ip.c: the IPv4 (ipv4.c) and IPv6 (ipv6.c) decoders: every
 * field of the IPv4 record with options, of the IPv6 record and its
 * extension headers, the hop-by-hop options in the IPv6 record and the
 * IPv6HopByHop records (in place and out of place), fragments, IP in IP,
 * jumbograms, and the faults: lying lengths, versions and header lengths,
 * option lengths that would loop or overrun, extension chains past the
 * chain cap. The other extension headers, the IPv6Fragment record and
 * IPsec are test_decode_ipv6ext.c's and test_decode_ipsec.c's. The per-packet cap on hop-by-hop options is
 * test_decode_limits.c's.
 *
 * Frames are built byte by byte (tests/support/frames.h) so that every
 * expected value is known independently of the decoders, and decoded from
 * a heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/frames.h"

static const int types[] = {
	T_ETHERNET, T_IPV4, T_IPV6, T_HBH, T_TCP, T_UDP, T_ICMPV6,
};

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_ip, .init = setup, .fini = teardown_decoder);

/* ---- IPv4 ----------------------------------------------------------- */

Test(decode_ip, ipv4_with_options_every_field)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 17, 8 + HELLO_LEN, IPV4(.options = ipv4_options,
		      .options_len = sizeof ipv4_options, .flags_fragment = 0x4000));
	put_udp(&f, 7353, 7053, 8 + HELLO_LEN);  /* no application decoder */
	put(&f, hello, HELLO_LEN);
	PUT(&f, 0xde, 0xad, 0xbe);         /* trailer beyond the total length */
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->timestamp, TS);
	cr_assert_eq(ip->version, 4);
	cr_assert_eq(ip->ihl, 11);
	cr_assert_eq(ip->tos, 0x10);
	cr_assert_eq(ip->length, 44 + 8 + HELLO_LEN);
	cr_assert_eq(ip->id, 0x1234);
	cr_assert_eq(ip->flags, 2);       /* DF */
	cr_assert_eq(ip->fragoffset, 0);
	cr_assert_eq(ip->ttl, 64);
	cr_assert_eq(ip->protocol, 17);
	cr_assert_eq(ip->checksum, 0xbeef);
	cr_assert_str_eq(ip->srcip, "192.168.1.10");
	cr_assert_str_eq(ip->dstip, "10.0.0.1");
	expect_bytes(ip->padding, "\0\0\0", 3);
	cr_assert_eq(ip->n_options, 4);
	EXPECT_OPTION(ip->options[0], 1, 1);
	EXPECT_OPTION(ip->options[1], 7, 7, 0x04, 0, 0, 0, 0);
	EXPECT_OPTION(ip->options[2], 68, 12, 0x05, 0x01, 1, 2, 3, 4, 0, 0, 0x10, 0x20);
	EXPECT_OPTION(ip->options[3], 0, 1);
	cr_assert_eq(ip->payloadsize, 8 + HELLO_LEN);
	cr_assert_float_eq(ip->payloadentropy,
			   shannon_entropy(f.b + IPV4_AT + 44, 8 + HELLO_LEN), 1e-12);
	cr_assert_eq(ip->srcport, 7353);
	cr_assert_eq(ip->dstport, 7053);

	cr_assert_eq(pkt.ip_version, 4);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.ip_len, 44 + 8 + HELLO_LEN);
	const uint8_t src[16] = { 192, 168, 1, 10 }, dst[16] = { 10, 0, 0, 1 };
	cr_assert_arr_eq(pkt.src_ip, src, 16);
	cr_assert_arr_eq(pkt.dst_ip, dst, 16);
	cr_assert_str_eq(pkt.src_ip_str, "192.168.1.10");
	cr_assert_str_eq(pkt.dst_ip_str, "10.0.0.1");
	cr_assert(!pkt.fragment);
	cr_assert(!pkt.ip_partial);
	cr_assert_eq(pkt.ipv4_rec, ip);
}

Test(decode_ip, ipv4_options_of_length_two_and_no_end_of_list)
{
	/* A kind with length 2 has no data; without an end-of-list there is no
	 * padding. */
	const uint8_t options[] = { 0x83, 0x02, 0x01, 0x01 };
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 253, 0, IPV4(.options = options, .options_len = sizeof options));
	decode(&f);
	expect_ok();
	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->n_options, 3);
	EXPECT_OPTION(ip->options[0], 0x83, 2);
	EXPECT_OPTION(ip->options[1], 1, 1);
	EXPECT_OPTION(ip->options[2], 1, 1);
	cr_assert_eq(ip->padding.len, 0);
	cr_assert_eq(ip->payloadsize, 0);
	cr_assert_eq(ip->payloadentropy, 0.0);
	/* No decoder for protocol 253: counted as unknown, not as a fault. */
	cr_assert(pkt.unknown);
	cr_assert_eq(pkt.unknown_proto, PROTO_IPV4);
}

Test(decode_ip, ipv4_ethernet_padding_is_not_payload)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 17, 8 + 2, IPV4());
	put_udp(&f, 1000, 2000, 8 + 2);
	PUT(&f, 'h', 'i');
	while (f.len < 60)
		PUT(&f, 0);
	decode(&f);
	expect_ok();
	Types__IPv4 *ip = record(T_IPV4, 0);
	Types__UDP *udp = record(T_UDP, 0);
	cr_assert_eq(ip->payloadsize, 10);
	cr_assert_eq(udp->payloadsize, 2);
	cr_assert_eq(pkt.app_len, 2);
	cr_assert_eq(ctx.stats.events[PROTO_IPV4][REASON_BAD_LENGTH], 0);
}

Test(decode_ip, ipv4_non_first_fragment_has_no_transport)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 24, IPV4(.flags_fragment = 0x2000 | 185));   /* MF, offset 185 */
	put_tcp(&f, 1, 2, 0x02, false, NULL, 0);      /* bytes that only look like TCP */
	PUT(&f, 1, 2, 3, 4);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->flags, 1);
	cr_assert_eq(ip->fragoffset, 185);
	cr_assert_eq(ip->payloadsize, 24);
	cr_assert(pkt.fragment);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert(!pkt.has_ports);
	cr_assert_eq(ip->srcport, 0);
}

Test(decode_ip, ipv4_first_fragment_decodes_its_transport_header)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 17, 8 + HELLO_LEN, IPV4(.flags_fragment = 0x2000));   /* MF, offset 0 */
	put_udp(&f, 4000, 7053, 1400);   /* the whole datagram's length */
	put(&f, hello, HELLO_LEN);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert(!pkt.fragment);
	cr_assert(pkt.ip_partial);
	cr_assert(pkt.has_ports);
	Types__UDP *udp = record(T_UDP, 0);
	cr_assert_eq(udp->length, 1400);
	cr_assert_eq(udp->payloadsize, HELLO_LEN);
	/* A UDP length beyond a first fragment is expected, not a lie. */
	cr_assert_eq(ctx.stats.events[PROTO_UDP][REASON_BAD_LENGTH], 0);
}

Test(decode_ip, ipv4_tiny_first_fragment_cuts_the_tcp_header)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 8, IPV4(.flags_fragment = 0x2000));
	PUT(&f, 0, 80, 0, 81, 1, 2, 3, 4);
	decode(&f);
	expect_error(PROTO_TCP, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
}

Test(decode_ip, ipv4_in_ipv4_ports_go_to_the_inner_record)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 4, 20 + 8, IPV4());
	PUT(&f, 0x45, 0, 0, 28, 0, 1, 0, 0, 32, 17, 0, 0, 172, 16, 0, 1, 172, 16, 0, 2);
	put_udp(&f, 7, 9, 8);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IPV4, T_UDP);
	Types__IPv4 *outer = record(T_IPV4, 0), *inner = record(T_IPV4, 1);
	cr_assert_eq(outer->srcport, 0);
	cr_assert_eq(inner->srcport, 7);
	cr_assert_eq(inner->dstport, 9);
	cr_assert_str_eq(inner->srcip, "172.16.0.1");
	cr_assert_str_eq(pkt.src_ip_str, "172.16.0.1");
	cr_assert_str_eq(((Types__UDP *)record(T_UDP, 0))->dstip, "172.16.0.2");
}

Test(decode_ip, ipv4_lying_lengths)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 20, IPV4());
	put_tcp(&f, 1, 2, 0x10, false, NULL, 0);

	struct frame bad = f;
	bad.b[IPV4_AT] = 0x44;                           /* IHL 4 */
	decode(&bad);
	expect_error(PROTO_IPV4, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET);

	bad = f;
	bad.b[IPV4_AT + 2] = 0, bad.b[IPV4_AT + 3] = 19; /* total length < 20 */
	decode(&bad);
	expect_error(PROTO_IPV4, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET);

	bad = f;
	bad.b[IPV4_AT] = 0x46;                           /* IHL 6 > total length 20 */
	bad.b[IPV4_AT + 3] = 20;
	decode(&bad);
	expect_error(PROTO_IPV4, REASON_BAD_LENGTH);

	/* Total length 0 is TCP segmentation offload: the captured data is the
	 * datagram (as gopacket and tshark), so TCP still decodes. */
	bad = f;
	bad.b[IPV4_AT + 3] = 0;
	decode(&bad);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
	cr_assert_eq(((Types__IPv4 *)pkt.rec[1].msg)->length, 40);

	bad = f;
	bad.b[IPV4_AT] = 0x65;                           /* version 6 under ethertype IPv4 */
	decode(&bad);
	expect_error(PROTO_IPV4, REASON_BAD_VERSION);

	bad = f;
	bad.b[IPV4_AT] = 0x4f;                           /* IHL 15: 40 option bytes absent */
	bad.b[IPV4_AT + 3] = 80;
	decode(&bad);
	expect_error(PROTO_IPV4, REASON_TRUNCATED);

	bad = f;
	bad.b[IPV4_AT + 2] = 0x05;                       /* total length 1320 > the frame */
	uint64_t noted = ctx.stats.events[PROTO_IPV4][REASON_BAD_LENGTH];
	decode(&bad);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
	cr_assert(pkt.ip_partial);
	cr_assert_eq(ctx.stats.events[PROTO_IPV4][REASON_BAD_LENGTH], noted + 1);
}

/* ---- option loops --------------------------------------------------- */

static void expect_bad_ipv4_options(const uint8_t *options, uint32_t len)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 17, 8, IPV4(.options = options, .options_len = len));
	put_udp(&f, 1, 2, 8);
	decode(&f);
	expect_error(PROTO_IPV4, REASON_BAD_OPTION);
	EXPECT_RECORDS(T_ETHERNET);
}

Test(decode_ip, ipv4_option_lengths_that_would_loop_or_overrun)
{
	const uint8_t zero[] = { 0x07, 0x00, 0x01, 0x01 };
	const uint8_t one[] = { 0x07, 0x01, 0x01, 0x01 };
	const uint8_t past[] = { 0x01, 0x44, 0x28, 0x00 };
	const uint8_t kind_without_length[] = { 0x01, 0x01, 0x01, 0x07 };
	const uint8_t after_nops[] = { 0x01, 0x01, 0x02, 0x00, 0x01, 0x01, 0x01, 0x01 };
	expect_bad_ipv4_options(zero, sizeof zero);
	expect_bad_ipv4_options(one, sizeof one);
	expect_bad_ipv4_options(past, sizeof past);
	expect_bad_ipv4_options(kind_without_length, sizeof kind_without_length);
	expect_bad_ipv4_options(after_nops, sizeof after_nops);
	cr_assert_eq(ctx.stats.events[PROTO_IPV4][REASON_BAD_OPTION], 5);
}

/* ---- IPv6 ----------------------------------------------------------- */

Test(decode_ip, ipv6_hop_by_hop_and_first_fragment)
{
	struct frame f = { 0 };
	build_ipv6_fragment(&f, 0, true);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_UDP);
	Types__IPv6 *ip = record(T_IPV6, 0);
	cr_assert_eq(ip->timestamp, TS);
	cr_assert_eq(ip->version, 6);
	cr_assert_eq(ip->trafficclass, 0xab);
	cr_assert_eq(ip->flowlabel, 0x12345);
	cr_assert_eq(ip->length, 28);
	cr_assert_eq(ip->nextheader, 0);
	cr_assert_eq(ip->hoplimit, 64);
	cr_assert_str_eq(ip->srcip, "2001:db8::1");
	cr_assert_str_eq(ip->dstip, "2001:db8::2");
	cr_assert_eq(ip->payloadsize, 20);   /* after the hop-by-hop header */
	cr_assert_float_eq(ip->payloadentropy,
			   shannon_entropy(f.b + ETH_HEADER + 48, 20), 1e-12);
	cr_assert_eq(ip->srcport, 1234);
	cr_assert_eq(ip->dstport, 5678);

	Types__IPv6HopByHop *hbh = ip->hopbyhop;
	cr_assert_not_null(hbh);
	cr_assert_eq(hbh->timestamp, TS);
	cr_assert_str_eq(hbh->srcip, "2001:db8::1");
	cr_assert_eq(hbh->n_options, 2);
	cr_assert_eq(hbh->options[0]->optiontype, 5);
	cr_assert_eq(hbh->options[0]->optionlength, 2);
	cr_assert_eq(hbh->options[0]->actuallength, 4);
	expect_bytes(hbh->options[0]->optiondata, "\0\0", 2);
	cr_assert_not_null(hbh->options[0]->optionalignment);
	cr_assert_eq(hbh->options[1]->optiontype, 1);
	cr_assert_eq(hbh->options[1]->optionlength, 0);
	cr_assert_eq(hbh->options[1]->actuallength, 2);
	cr_assert_eq(hbh->options[1]->optiondata.len, 0);

	cr_assert_eq(pkt.ip_version, 6);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.ip_len, 40 + 28);
	cr_assert(!pkt.fragment);
	cr_assert(pkt.ip_partial);
	cr_assert_str_eq(pkt.dst_ip_str, "2001:db8::2");
	cr_assert_eq(pkt.dst_ip[15], 2);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, 4);
	cr_assert_eq(ctx.stats.events[PROTO_UDP][REASON_BAD_LENGTH], 0);
}

Test(decode_ip, ipv6_non_first_fragment_has_no_transport)
{
	struct frame f = { 0 };
	build_ipv6_fragment(&f, 185, false);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH);
	cr_assert(pkt.fragment);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert(!pkt.has_ports);
}

Test(decode_ip, ipv6_routing_destination_and_auth_headers_reach_tcp)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 43, 24 + 8 + 16 + 20, &ipv6_doc);
	/* routing type 0 with one address: 24 bytes */
	PUT(&f, 60, 2, 0, 1, 0, 0, 0, 0);
	for (int i = 0; i < 16; i++)
		PUT(&f, (uint8_t)i);
	PUT(&f, 51, 0, 0x01, 0x04, 0xc0, 0, 0, 0);           /* dest options, PadN 4 */
	PUT(&f, 6, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0); /* AH: (2+2)*4 = 16 bytes */
	put_tcp(&f, 443, 50001, 0x10, false, NULL, 0);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_TCP);
	Types__IPv6 *ip = record(T_IPV6, 0);
	cr_assert_eq(ip->nextheader, 43);
	cr_assert_null(ip->hopbyhop);
	cr_assert_eq(ip->payloadsize, 24 + 8 + 16 + 20);
	cr_assert_eq(ip->srcport, 443);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_str_eq(((Types__TCP *)record(T_TCP, 0))->srcip, "2001:db8::1");
}

Test(decode_ip, ipv6_no_next_header_ends_quietly)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 59, 0x10, &ipv6_doc);
	for (int i = 0; i < 0x10; i++)
		PUT(&f, 0xee);
	decode(&f);
	expect_ok();
	cr_assert(!pkt.unknown);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->payloadsize, 0x10);
}

/* A chain of n destination-options headers, the last one with no next
 * header. */
static void build_ipv6_chain(struct frame *f, int n)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 60, 8u * n, &ipv6_doc);
	for (int i = 0; i < n; i++)
		PUT(f, i == n - 1 ? 59 : 60, 0, 0x01, 0x04, 0, 0, 0, 0);
}

Test(decode_ip, ipv6_extension_chain_is_bounded)
{
	/* At most 16 headers in one chain (ipv6.c's IPV6_MAX_EXT_HEADERS;
	 * test_decode_ipv6ext.c checks it with nesting). */
	struct frame ok = { 0 }, deep = { 0 };
	build_ipv6_chain(&ok, 16);
	decode(&ok);
	expect_ok();
	cr_assert_eq(pkt.ip_proto, 59);

	build_ipv6_chain(&deep, 17);
	decode(&deep);
	expect_error(PROTO_IPV6_EXT, REASON_TOO_DEEP);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);   /* the IPv6 header itself was sound */

	struct frame longer = { 0 };
	build_ipv6_chain(&longer, 40);
	decode(&longer);
	expect_error(PROTO_IPV6_EXT, REASON_TOO_DEEP);
}

Test(decode_ip, ipv6_in_ipv6_nesting_is_bounded)
{
	/* 20 IPv6 headers, each inside the one before, lengths all consistent:
	 * Ethernet and 15 IPv6 layers make PACKET_MAX_DEPTH, the 16th is
	 * refused. */
	struct frame f = { 0 };
	const int nested = 20;
	put_ethernet(&f, 0x86dd);
	for (int i = 0; i < nested; i++)
		put_ipv6_with(&f, i == nested - 1 ? 59 : 41, 40u * (nested - 1 - i), &ipv6_doc);
	decode(&f);
	expect_error(PROTO_IPV6, REASON_TOO_DEEP);
	cr_assert_eq(pkt.n_rec, PACKET_MAX_DEPTH);
	cr_assert_eq(pkt.rec[PACKET_MAX_DEPTH - 1].type, T_IPV6);
}

Test(decode_ip, ipv6_faults)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 17, 8, &ipv6_doc);
	put_udp(&f, 1, 2, 8);

	struct frame bad = f;
	bad.b[ETH_HEADER] = 0x7a;              /* version 7 */
	decode(&bad);
	expect_error(PROTO_IPV6, REASON_BAD_VERSION);
	EXPECT_RECORDS(T_ETHERNET);

	bad = f;
	bad.b[ETH_HEADER + 4] = bad.b[ETH_HEADER + 5] = 0;  /* length 0, no jumbo option */
	decode(&bad);
	expect_error(PROTO_IPV6, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET);

	decode_cut(&f, LINK_ETHERNET, ETH_HEADER + 39);
	expect_error(PROTO_IPV6, REASON_TRUNCATED);

	/* hop-by-hop option running past its header */
	struct frame hbh = { 0 };
	put_ethernet(&hbh, 0x86dd);
	put_ipv6_with(&hbh, 0, 8, &ipv6_doc);
	PUT(&hbh, 59, 0, 0x05, 0x09, 0, 0, 0, 0);
	decode(&hbh);
	expect_error(PROTO_IPV6_EXT, REASON_BAD_OPTION);
	EXPECT_RECORDS(T_ETHERNET);

	/* extension header longer than the payload length, frame not cut */
	struct frame ext = { 0 };
	put_ethernet(&ext, 0x86dd);
	put_ipv6_with(&ext, 60, 8, &ipv6_doc);
	PUT(&ext, 59, 1, 0x01, 0x04, 0, 0, 0, 0);
	for (int i = 0; i < 8; i++)
		PUT(&ext, 0);
	decode(&ext);
	expect_error(PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
}

Test(decode_ip, ipv6_jumbogram)
{
	static uint8_t big[14 + 40 + 8 + 8 + 70000];
	const uint32_t udp_payload = 70000;
	const uint32_t jumbo = 8 + 8 + udp_payload;
	struct frame head = { 0 };
	put_ethernet(&head, 0x86dd);
	put_ipv6_with(&head, 0, 0, &ipv6_doc);
	PUT(&head, 17, 0, 0xc2, 0x04);
	put32(&head, jumbo);
	put_udp(&head, 9, 10, 0);
	memcpy(big, head.b, head.len);
	memset(big + head.len, 0x5a, udp_payload);
	decode_packet(&ctx, &pkt, LINK_ETHERNET, big, sizeof big, sizeof big, TS);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_UDP);   /* the jumbo option's header */
	cr_assert_eq(pkt.ip_len, 40 + jumbo);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->payloadsize, 8 + udp_payload);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, udp_payload);

	/* UDP length 0 outside a jumbogram is a fault */
	struct frame small = { 0 };
	put_ethernet(&small, 0x86dd);
	put_ipv6_with(&small, 17, 8, &ipv6_doc);
	put_udp(&small, 9, 10, 0);
	decode(&small);
	expect_error(PROTO_UDP, REASON_BAD_LENGTH);
}

/* ---- IPv6 hop-by-hop ------------------------------------------------ */

Test(decode_ip, ipv6_hop_by_hop_record)
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

Test(decode_ip, ipv6_hop_by_hop_out_of_place_gives_a_record_too)
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
