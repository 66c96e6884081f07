/* test_decode.c: the Dot1Q, IPv4, IPv6, TCP, UDP and raw IP decoders
 * (lib/decode).
 *
 * Packets are built byte by byte (tests/support/frames.h), so every
 * expected field value is known independently of the decoders: well-formed
 * packets with options and extension headers check every field of their records; truncated, lying and
 * looping variants check that decoding stops at the faulty layer with the
 * right (protocol, reason), that only the layers fully decoded have records,
 * and (under AddressSanitizer) that nothing is read outside the frame. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../support/frames.h"

#define IPV4_AT ETH_HEADER      /* where the IP header starts in an Ethernet frame */

static void setup(void)
{
	static const int types[] = { T_ETHERNET, T_DOT1Q, T_IPV4, T_IPV6, T_TCP, T_UDP };
	setup_decoder(1 << 16, types, COUNT_OF(types));
}

TestSuite(decode, .init = setup, .fini = teardown_decoder);

/* The IPv4 headers here: TOS 0x10, plus the given fields (options,
 * flags_fragment). */
#define IPV4(...) (&(struct ipv4_fields){ .tos = 0x10, __VA_ARGS__ })

/* The IPv6 headers here: traffic class 0xab, flow label 0x12345, hop
 * limit 64, 2001:db8::1 > 2001:db8::2. */
static const struct ipv6_fields ipv6_doc = {
	.vtcfl = 0x6ab12345,
	.hop_limit = 64,
	.src = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	.dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
};

/* Checks one IPv4 or TCP option (same field layout). */
#define EXPECT_OPTION(o, type, length, ...) do { const uint8_t d_[] = { 0, __VA_ARGS__ }; \
	cr_assert_eq((o)->optiontype, (type)); cr_assert_eq((o)->optionlength, (length)); \
	expect_bytes((o)->optiondata, d_ + 1, sizeof d_ - 1); } while (0)

#define HELLO_ENTROPY 1.9219280948873623  /* h e l l o */

/* ---- IPv4 ----------------------------------------------------------- */

/* NOP, record route (one empty slot), timestamp with one address/time pair,
 * end of list, 3 bytes of padding: IHL 11. */
static const uint8_t ipv4_options[] = {
	0x01,
	0x07, 0x07, 0x04, 0, 0, 0, 0,
	0x44, 0x0c, 0x05, 0x01, 1, 2, 3, 4, 0, 0, 0x10, 0x20,
	0x00,
	0x00, 0x00, 0x00,
};

Test(decode, ipv4_with_options_every_field)
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

Test(decode, ipv4_options_of_length_two_and_no_end_of_list)
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

Test(decode, ipv4_ethernet_padding_is_not_payload)
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

Test(decode, ipv4_non_first_fragment_has_no_transport)
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

Test(decode, ipv4_first_fragment_decodes_its_transport_header)
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

Test(decode, ipv4_tiny_first_fragment_cuts_the_tcp_header)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 8, IPV4(.flags_fragment = 0x2000));
	PUT(&f, 0, 80, 0, 81, 1, 2, 3, 4);
	decode(&f);
	expect_error(PROTO_TCP, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
}

Test(decode, ipv4_in_ipv4_ports_go_to_the_inner_record)
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

/* ---- TCP ------------------------------------------------------------ */

/* MSS 1460, NOP, window scale 7, SACK permitted, timestamps 1/2, end of
 * list, 3 bytes of padding: data offset 11. */
static const uint8_t tcp_options[] = {
	0x02, 0x04, 0x05, 0xb4,
	0x01,
	0x03, 0x03, 0x07,
	0x04, 0x02,
	0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,
	0x00,
	0x00, 0x00, 0x00,
};

static void build_tcp(struct frame *f, uint8_t flags, bool ns)
{
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 6, 44 + HELLO_LEN, IPV4(.flags_fragment = 0x4000));
	put_tcp(f, 50000, 80, flags, ns, tcp_options, sizeof tcp_options);
	put(f, hello, HELLO_LEN);
}

Test(decode, tcp_with_options_every_field)
{
	struct frame f = { 0 };
	build_tcp(&f, 0x5a, true);   /* SYN PSH ACK ECE, NS */
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
	Types__TCP *tcp = record(T_TCP, 0);
	cr_assert_eq(tcp->timestamp, TS);
	cr_assert_eq(tcp->srcport, 50000);
	cr_assert_eq(tcp->dstport, 80);
	cr_assert_eq(tcp->seqnum, 0x01020304u);
	cr_assert_eq(tcp->acknum, 0xa0b0c0d0u);
	cr_assert_eq(tcp->dataoffset, 11);
	cr_assert(!tcp->fin && tcp->syn && !tcp->rst && tcp->psh);
	cr_assert(tcp->ack && !tcp->urg && tcp->ece && !tcp->cwr && tcp->ns);
	cr_assert_eq(tcp->window, 0xfaf0);
	cr_assert_eq(tcp->checksum, 0x1111);
	cr_assert_eq(tcp->urgent, 7);
	expect_bytes(tcp->padding, "\0\0\0", 3);
	cr_assert_eq(tcp->n_options, 6);
	EXPECT_OPTION(tcp->options[0], 2, 4, 0x05, 0xb4);
	EXPECT_OPTION(tcp->options[1], 1, 1);
	EXPECT_OPTION(tcp->options[2], 3, 3, 0x07);
	EXPECT_OPTION(tcp->options[3], 4, 2);
	EXPECT_OPTION(tcp->options[4], 8, 10, 0, 0, 0, 1, 0, 0, 0, 2);
	EXPECT_OPTION(tcp->options[5], 0, 1);
	cr_assert_eq(tcp->payloadsize, HELLO_LEN);
	cr_assert_float_eq(tcp->payloadentropy, HELLO_ENTROPY, 1e-12);
	cr_assert_eq(tcp->payload.len, 0);
	cr_assert_str_eq(tcp->srcip, "192.168.1.10");
	cr_assert_str_eq(tcp->dstip, "10.0.0.1");

	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->srcport, 50000);
	cr_assert_eq(ip->dstport, 80);
	cr_assert_eq(ip->payloadsize, 44 + HELLO_LEN);

	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.src_port, 50000);
	cr_assert_eq(pkt.dst_port, 80);
	cr_assert_eq(pkt.tcp_flags, 0x5a);
	cr_assert(pkt.tcp_ns);
	cr_assert_eq(pkt.tcp_window, 0xfaf0);
	cr_assert_eq(pkt.app_len, HELLO_LEN);
	cr_assert_eq(pkt.ip_proto, 6);
}

Test(decode, tcp_the_other_flags)
{
	struct frame f = { 0 };
	build_tcp(&f, 0xa5, false);  /* FIN RST URG CWR */
	decode(&f);
	expect_ok();
	Types__TCP *tcp = record(T_TCP, 0);
	cr_assert(tcp->fin && !tcp->syn && tcp->rst && !tcp->psh);
	cr_assert(!tcp->ack && tcp->urg && !tcp->ece && tcp->cwr && !tcp->ns);
	cr_assert(!pkt.tcp_ns);
}

Test(decode, tcp_without_options)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 20, IPV4());
	put_tcp(&f, 1, 2, 0x10, false, NULL, 0);
	decode(&f);
	expect_ok();
	Types__TCP *tcp = record(T_TCP, 0);
	cr_assert_eq(tcp->dataoffset, 5);
	cr_assert_eq(tcp->n_options, 0);
	cr_assert_null(tcp->options);
	cr_assert_eq(tcp->padding.len, 0);
	cr_assert_eq(tcp->payloadsize, 0);
}

/* ---- UDP ------------------------------------------------------------ */

Test(decode, udp_every_field_and_length_trim)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 17, 8 + HELLO_LEN, IPV4());
	put_udp(&f, 7353, 7353, 8 + 3);  /* the datagram ends inside the IP payload */
	put(&f, hello, HELLO_LEN);
	decode(&f);
	expect_ok();
	Types__UDP *udp = record(T_UDP, 0);
	cr_assert_eq(udp->timestamp, TS);
	cr_assert_eq(udp->srcport, 7353);
	cr_assert_eq(udp->dstport, 7353);
	cr_assert_eq(udp->length, 11);
	cr_assert_eq(udp->checksum, 0xabcd);
	cr_assert_eq(udp->payloadsize, 3);
	cr_assert_float_eq(udp->payloadentropy, shannon_entropy(hello, 3), 1e-12);
	cr_assert_eq(udp->payload.len, 0);
	cr_assert_str_eq(udp->srcip, "192.168.1.10");
	cr_assert_str_eq(udp->dstip, "10.0.0.1");
	cr_assert_eq(pkt.app_len, 3);
	cr_assert_eq(pkt.src_port, 7353);
}

Test(decode, udp_length_beyond_an_uncut_frame_is_noted_not_fatal)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 17, 8 + HELLO_LEN, IPV4());
	put_udp(&f, 1, 2, 100);
	put(&f, hello, HELLO_LEN);
	decode(&f);
	expect_ok();
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
	cr_assert_eq(ctx.stats.events[PROTO_UDP][REASON_BAD_LENGTH], 1);
}

/* ---- Dot1Q ---------------------------------------------------------- */

Test(decode, qinq_gives_one_dot1q_record_per_tag)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x88a8);
	put16(&f, 5 << 13 | 1 << 12 | 100);   /* priority 5, drop eligible, VLAN 100 */
	put16(&f, 0x8100);
	put16(&f, 200);
	put16(&f, 0x0800);
	put_ipv4_with(&f, 17, 8, IPV4());
	put_udp(&f, 1, 2, 8);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_DOT1Q, T_DOT1Q, T_IPV4, T_UDP);
	Types__Dot1Q *outer = record(T_DOT1Q, 0), *inner = record(T_DOT1Q, 1);
	cr_assert_eq(outer->timestamp, TS);
	cr_assert_eq(outer->priority, 5);
	cr_assert(outer->dropeligible);
	cr_assert_eq(outer->vlanidentifier, 100);
	cr_assert_eq(outer->type, 0x8100);
	cr_assert_eq(inner->priority, 0);
	cr_assert(!inner->dropeligible);
	cr_assert_eq(inner->vlanidentifier, 200);
	cr_assert_eq(inner->type, 0x0800);
	cr_assert_eq(pkt.vlan_id, 200);
	cr_assert_eq(((Types__Ethernet *)record(T_ETHERNET, 0))->ethernettype, 0x88a8);
}

Test(decode, dot1q_truncated)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x8100);
	PUT(&f, 0x00, 0x64, 0x08);
	decode(&f);
	expect_error(PROTO_DOT1Q, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET);
	cr_assert_eq(ctx.stats.events[PROTO_DOT1Q][REASON_TRUNCATED], 1);
}

/* ---- IPv6 ----------------------------------------------------------- */

/* IPv6, hop-by-hop (router alert, PadN of length 0), fragment header, UDP
 * with a 4-byte payload; the fragment offset and M flag as given. */
static void build_ipv6_fragment(struct frame *f, uint16_t offset, bool more)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 0, 8 + 8 + 8 + 4, &ipv6_doc);
	PUT(f, 44, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00);
	PUT(f, 17, 0);
	put16(f, (uint32_t)offset << 3 | more);
	put32(f, 0xdeadbeef);
	put_udp(f, 1234, 5678, 1000);
	PUT(f, 1, 2, 3, 4);
}

Test(decode, ipv6_hop_by_hop_and_first_fragment)
{
	struct frame f = { 0 };
	build_ipv6_fragment(&f, 0, true);
	decode(&f);

	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_UDP);
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

Test(decode, ipv6_non_first_fragment_has_no_transport)
{
	struct frame f = { 0 };
	build_ipv6_fragment(&f, 185, false);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
	cr_assert(pkt.fragment);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert(!pkt.has_ports);
}

Test(decode, ipv6_routing_destination_and_auth_headers_reach_tcp)
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

Test(decode, ipv6_no_next_header_ends_quietly)
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

Test(decode, ipv6_extension_chain_is_bounded_by_the_depth)
{
	/* Ethernet and IPv6 are 2 layers: PACKET_MAX_DEPTH - 2 headers fit. */
	struct frame ok = { 0 }, deep = { 0 };
	build_ipv6_chain(&ok, PACKET_MAX_DEPTH - 2);
	decode(&ok);
	expect_ok();
	cr_assert_eq(pkt.ip_proto, 59);

	build_ipv6_chain(&deep, PACKET_MAX_DEPTH - 1);
	decode(&deep);
	expect_error(PROTO_IPV6_EXT, REASON_TOO_DEEP);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);   /* the IPv6 header itself was sound */

	struct frame longer = { 0 };
	build_ipv6_chain(&longer, 40);
	decode(&longer);
	expect_error(PROTO_IPV6_EXT, REASON_TOO_DEEP);
}

Test(decode, ipv6_in_ipv6_nesting_is_bounded)
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

Test(decode, ipv6_faults)
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

Test(decode, ipv6_jumbogram)
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
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_UDP);
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

/* ---- raw IP link ---------------------------------------------------- */

Test(decode, raw_ip_link_picks_the_version)
{
	struct frame v4 = { 0 };
	put_ipv4_with(&v4, 6, 20, IPV4());
	put_tcp(&v4, 22, 60000, 0x18, false, NULL, 0);
	decode_cut(&v4, LINK_RAW, v4.len);
	expect_ok();
	EXPECT_RECORDS(T_IPV4, T_TCP);
	cr_assert(!pkt.has_mac);
	cr_assert_eq(pkt.src_port, 22);

	struct frame v6 = { 0 };
	put_ipv6_with(&v6, 17, 8, &ipv6_doc);
	put_udp(&v6, 53, 5353, 8);
	decode_cut(&v6, LINK_RAW_ALT, v6.len);
	expect_ok();
	EXPECT_RECORDS(T_IPV6, T_UDP);

	struct frame v5 = v4;
	v5.b[0] = 0x55;
	decode_cut(&v5, LINK_RAW, v5.len);
	expect_error(PROTO_LINK, REASON_BAD_VERSION);
	EXPECT_NO_RECORDS();

	decode_cut(&v4, LINK_RAW, 0);
	expect_error(PROTO_LINK, REASON_TRUNCATED);
}

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

/* ---- lengths that lie ----------------------------------------------- */

Test(decode, ipv4_lying_lengths)
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

Test(decode, tcp_lying_data_offsets)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 20, IPV4());
	put_tcp(&f, 1, 2, 0x10, false, NULL, 0);
	const uint32_t offset_at = IPV4_AT + 20 + 12;

	struct frame bad = f;
	bad.b[offset_at] = 0x40;              /* data offset 4 */
	decode(&bad);
	expect_error(PROTO_TCP, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	cr_assert(!pkt.has_ports);

	bad = f;
	bad.b[offset_at] = 0x00;              /* data offset 0 */
	decode(&bad);
	expect_error(PROTO_TCP, REASON_BAD_HEADER_LENGTH);

	/* data offset 15 in a 20-byte segment, with bytes after the IP packet
	 * that must not be taken for options */
	bad = f;
	bad.b[offset_at] = 0xf0;
	for (int i = 0; i < 40; i++)
		PUT(&bad, 0x01);
	decode(&bad);
	expect_error(PROTO_TCP, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	struct frame udp = { 0 };
	put_ethernet(&udp, 0x0800);
	put_ipv4_with(&udp, 17, 8, IPV4());
	put_udp(&udp, 1, 2, 7);
	decode(&udp);
	expect_error(PROTO_UDP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	udp.b[IPV4_AT + 20 + 5] = 0;          /* UDP length 0 over IPv4 */
	decode(&udp);
	expect_error(PROTO_UDP, REASON_BAD_LENGTH);
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

static void expect_bad_tcp_options(const uint8_t *options, uint32_t len)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 20 + len, IPV4());
	put_tcp(&f, 1, 2, 0x02, false, options, len);
	decode(&f);
	expect_error(PROTO_TCP, REASON_BAD_OPTION);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
}

Test(decode, option_lengths_that_would_loop_or_overrun)
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

	const uint8_t tcp_zero[] = { 0x02, 0x00, 0x05, 0xb4 };
	const uint8_t tcp_one[] = { 0x08, 0x01, 0x01, 0x01 };
	const uint8_t tcp_past[] = { 0x02, 0x04, 0x05, 0xb4, 0x08, 0xff, 0x00, 0x00 };
	expect_bad_tcp_options(tcp_zero, sizeof tcp_zero);
	expect_bad_tcp_options(tcp_one, sizeof tcp_one);
	expect_bad_tcp_options(tcp_past, sizeof tcp_past);
	expect_bad_tcp_options(kind_without_length, sizeof kind_without_length);
	cr_assert_eq(ctx.stats.events[PROTO_TCP][REASON_BAD_OPTION], 4);
}

Test(decode, bytes_after_end_of_list_are_padding_not_options)
{
	/* An end of list followed by what would be a malformed option: it is
	 * padding, never parsed. */
	const uint8_t options[] = { 0x01, 0x00, 0x07, 0x00 };
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 6, 24, IPV4(.options = options, .options_len = sizeof options));
	put_tcp(&f, 1, 2, 0x02, false, options, sizeof options);
	decode(&f);
	expect_ok();
	Types__IPv4 *ip = record(T_IPV4, 0);
	Types__TCP *tcp = record(T_TCP, 0);
	cr_assert_eq(ip->n_options, 2);
	expect_bytes(ip->padding, "\x07\x00", 2);
	cr_assert_eq(tcp->n_options, 2);
	EXPECT_OPTION(tcp->options[1], 0, 1);
	expect_bytes(tcp->padding, "\x07\x00", 2);
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

Test(decode, entropy_off_leaves_entropy_zero)
{
	ctx.entropy = false;
	struct frame f = { 0 };
	build_tcp(&f, 0x18, false);
	decode(&f);
	cr_assert_eq(((Types__IPv4 *)record(T_IPV4, 0))->payloadentropy, 0.0);
	cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payloadentropy, 0.0);
	cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payloadsize, HELLO_LEN);
}

/* Shannon entropy the textbook way, -sum p log2 p over the byte values: an
 * oracle independent of the decoder's tables, short-range and incremental
 * paths. */
static double reference_entropy(const uint8_t *data, uint32_t len)
{
	uint32_t count[256] = { 0 };
	for (uint32_t i = 0; i < len; i++)
		count[data[i]]++;
	double h = 0;
	for (int b = 0; b < 256; b++)
		if (count[b]) {
			double p = (double)count[b] / len;
			h -= p * log2(p);
		}
	return h;
}

/* Bytes of varied skew: one value, a few values, text, uniform random. */
static void fill_payload(uint8_t *p, uint32_t len, uint32_t *seed, int kind)
{
	for (uint32_t i = 0; i < len; i++) {
		uint32_t r = next_random(seed);
		p[i] = kind == 0 ? 0 : kind == 1 ? (uint8_t)(r % 3) : kind == 2 ? (uint8_t)('a' + r % 26) : (uint8_t)r;
	}
}

Test(decode, entropy_agrees_with_the_textbook_formula)
{
	static uint8_t data[4200];
	uint32_t seed = 7;
	for (int kind = 0; kind < 4; kind++)
		for (uint32_t len = 0; len < sizeof data; len += len < 130 ? 1 : 97) {
			fill_payload(data, len, &seed, kind);
			cr_assert_float_eq(shannon_entropy(data, len), reference_entropy(data, len), 1e-9,
					   "kind %d, %u bytes", kind, len);
		}
}

/* Outer layers' entropy is computed by adding their header bytes to the
 * inner payload's histogram: check each layer against the formula, for
 * payloads on both sides of the short-range threshold. */
Test(decode, nested_layer_entropy_agrees_with_the_textbook_formula)
{
	static const uint32_t sizes[] = { 1, 2, 20, 63, 64, 65, 300, 1400 };
	uint32_t seed = 11;
	for (size_t i = 0; i < COUNT_OF(sizes); i++)
		for (int kind = 0; kind < 4; kind++) {
			struct frame f = { 0 };
			put_ethernet(&f, 0x0800);
			put_ipv4(&f, 6, 20 + sizes[i]);
			uint32_t ip_payload = f.len;
			put_tcp(&f, 1234, 80, 0x18, false, NULL, 0);
			uint32_t tcp_payload = f.len;
			fill_payload(f.b + f.len, sizes[i], &seed, kind);
			f.len += sizes[i];
			decode(&f);
			expect_ok();
			Types__TCP *tcp = record(T_TCP, 0);
			Types__IPv4 *ip = record(T_IPV4, 0);
			cr_assert_float_eq(tcp->payloadentropy, reference_entropy(f.b + tcp_payload, sizes[i]), 1e-9,
					   "TCP, %u payload bytes of kind %d", sizes[i], kind);
			cr_assert_float_eq(ip->payloadentropy, reference_entropy(f.b + ip_payload, f.len - ip_payload),
					   1e-9, "IPv4, %u payload bytes of kind %d", sizes[i], kind);
		}
}

/* Frames reach 262,144 bytes (pcap's largest snaplen): counts of one byte
 * value pass 65,535 (the histogram's counts were 16 bits: 70,000 zero
 * bytes came out as 15.3 bits per byte) and every count passes the
 * tables' 2,048, so both the fill and the incremental path take the slow
 * sums. Checked against the textbook formula for lengths around those
 * limits, and layer by layer in a jumbogram of 262,144 bytes. */
Test(decode, entropy_of_frames_up_to_262144_bytes)
{
	static uint8_t data[FRAME_MAX];
	static const uint32_t lengths[] = { 2047, 2048, 2049, 65535, 65536, 65537, 70000, 131072, FRAME_MAX };
	uint32_t seed = 13;
	for (int kind = 0; kind < 4; kind++)
		for (size_t i = 0; i < COUNT_OF(lengths); i++) {
			fill_payload(data, lengths[i], &seed, kind);
			cr_assert_float_eq(shannon_entropy(data, lengths[i]), reference_entropy(data, lengths[i]),
					   1e-9, "kind %d, %u bytes", kind, lengths[i]);
		}
	memset(data, 0, 70000);
	cr_assert_float_eq(shannon_entropy(data, 70000), 0.0, 1e-12);

	/* Ethernet, IPv6 jumbogram, TCP, payload to 262,144 bytes: the
	 * TCP payload is one histogram, the outer layers add their headers. */
	static struct frame f;
	for (int kind = 0; kind < 4; kind++) {
		f.len = 0;
		uint32_t payload = FRAME_MAX - ETH_HEADER - IPV6_HEADER - 8 - 20;
		put_ethernet(&f, 0x86dd);
		put_ipv6_jumbo(&f, 6, 20 + payload);
		put_tcp(&f, 1234, 80, 0x10, false, NULL, 0);
		fill_payload(f.b + f.len, payload, &seed, kind);
		f.len += payload;
		cr_assert_eq(f.len, FRAME_MAX);
		decode(&f);
		expect_ok();
		Types__Ethernet *e = record(T_ETHERNET, 0);
		Types__IPv6 *ip = record(T_IPV6, 0);
		Types__TCP *t = record(T_TCP, 0);
		cr_assert_eq(t->payloadsize, payload);
		cr_assert_eq(ip->payloadsize, 20 + payload);
		cr_assert_float_eq(t->payloadentropy, reference_entropy(f.b + FRAME_MAX - payload, payload),
				   1e-9, "TCP, kind %d", kind);
		cr_assert_float_eq(ip->payloadentropy,
				   reference_entropy(f.b + FRAME_MAX - payload - 20, payload + 20), 1e-9,
				   "IPv6, kind %d", kind);
		cr_assert_float_eq(e->payloadentropy, reference_entropy(f.b + ETH_HEADER, FRAME_MAX - ETH_HEADER),
				   1e-9, "Ethernet, kind %d", kind);
	}
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
