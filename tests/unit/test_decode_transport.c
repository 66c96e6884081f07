/* test_decode_transport.c: the TCP (tcp.c), UDP (udp.c) and SCTP (sctp.c)
 * decoders: every field of their records, the ports they give the packet
 * and the IP record, TCP options and padding, UDP lengths that trim, lie
 * or are 0, data offsets that lie, option lengths that would loop or
 * overrun, SCTP's walk to the first DATA chunk, and --payload: the TCP and
 * UDP records' Payload bytes, off by default, in place when on, cut at
 * PAYLOAD_MAX and counted.
 *
 * Frames are built byte by byte (tests/support/frames.h) so that every
 * expected value is known independently of the decoders, and decoded from
 * a heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>
#include <string.h>

#include "ncap/fastpack.h"
#include "../support/frames.h"

static const int types[] = { T_ETHERNET, T_IPV4, T_IPV6, T_TCP, T_UDP, T_SCTP };

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_transport, .init = setup, .fini = teardown_decoder);

#define HELLO_ENTROPY 1.9219280948873623  /* h e l l o */

/* ---- TCP ------------------------------------------------------------ */

Test(decode_transport, tcp_with_options_every_field)
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

Test(decode_transport, tcp_the_other_flags)
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

Test(decode_transport, tcp_without_options)
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

Test(decode_transport, udp_every_field_and_length_trim)
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

Test(decode_transport, udp_length_beyond_an_uncut_frame_is_noted_not_fatal)
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

/* ---- lengths that lie ----------------------------------------------- */

Test(decode_transport, tcp_lying_data_offsets)
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

Test(decode_transport, tcp_option_lengths_that_would_loop_or_overrun)
{
	const uint8_t tcp_zero[] = { 0x02, 0x00, 0x05, 0xb4 };
	const uint8_t tcp_one[] = { 0x08, 0x01, 0x01, 0x01 };
	const uint8_t tcp_past[] = { 0x02, 0x04, 0x05, 0xb4, 0x08, 0xff, 0x00, 0x00 };
	const uint8_t kind_without_length[] = { 0x01, 0x01, 0x01, 0x07 };
	expect_bad_tcp_options(tcp_zero, sizeof tcp_zero);
	expect_bad_tcp_options(tcp_one, sizeof tcp_one);
	expect_bad_tcp_options(tcp_past, sizeof tcp_past);
	expect_bad_tcp_options(kind_without_length, sizeof kind_without_length);
	cr_assert_eq(ctx.stats.events[PROTO_TCP][REASON_BAD_OPTION], 4);
}

Test(decode_transport, bytes_after_end_of_list_are_padding_not_options)
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

Test(decode_transport, sctp_every_field)
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

Test(decode_transport, sctp_every_truncation_and_bad_chunks)
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

/* ---- --payload ------------------------------------------------------ */

/* Ethernet, IPv4 with total length 0 (TSO: the captured length counts),
 * TCP 1234 > 80, then n payload bytes of a pattern; *at gets where the
 * payload starts. Frames of up to 262,144 bytes. */
static void build_tso_tcp(struct frame *f, uint32_t n, uint32_t *at)
{
	f->len = 0;
	put_ethernet(f, 0x0800);
	put_ipv4(f, 6, 0);
	f->b[IPV4_AT + 2] = f->b[IPV4_AT + 3] = 0;
	put_tcp(f, 1234, 80, 0x18, false, NULL, 0);
	*at = f->len;
	for (uint32_t i = 0; i < n; i++)
		put8(f, i % 251);
}

Test(decode_transport, payload_off_by_default_and_in_place_when_on)
{
	struct frame f = { 0 };
	build_tcp(&f, 0x18, false);
	decode(&f);
	expect_ok();
	cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payload.len, 0);

	ctx.payload = true;
	decode(&f);
	expect_ok();
	Types__TCP *tcp = record(T_TCP, 0);
	expect_bytes(tcp->payload, hello, HELLO_LEN);
	cr_assert_eq(tcp->payload.data, pkt.data + f.len - HELLO_LEN, "the bytes in place, not a copy");
	cr_assert_not(tcp->truncated);

	/* What the snaplen captured of it. */
	decode_cut(&f, LINK_ETHERNET, f.len - 2);
	expect_ok();
	expect_bytes(((Types__TCP *)record(T_TCP, 0))->payload, hello, HELLO_LEN - 2);

	/* A bare ACK has none. */
	struct frame ack = { 0 };
	put_ethernet(&ack, 0x0800);
	put_ipv4_with(&ack, 6, 20, IPV4());
	put_tcp(&ack, 1, 2, 0x10, false, NULL, 0);
	decode(&ack);
	expect_ok();
	cr_assert_eq(((Types__TCP *)record(T_TCP, 0))->payload.len, 0);

	/* UDP: cut to its Length; Ethernet padding is no payload. */
	struct frame udp = { 0 };
	put_ethernet(&udp, 0x0800);
	put_ipv4_with(&udp, 17, 8 + HELLO_LEN, IPV4());
	put_udp(&udp, 7353, 7353, 8 + 3);
	put(&udp, hello, HELLO_LEN);
	pad_to(&udp, 60);
	decode(&udp);
	expect_ok();
	expect_bytes(((Types__UDP *)record(T_UDP, 0))->payload, hello, 3);

	/* IPv6: the payload length ends the TCP payload before the padding. */
	struct frame v6 = { 0 };
	put_ethernet(&v6, 0x86dd);
	put_ipv6_with(&v6, 6, 20 + HELLO_LEN, &ipv6_doc);
	put_tcp(&v6, 1, 2, 0x18, false, NULL, 0);
	put(&v6, hello, HELLO_LEN);
	PUT(&v6, 0xee, 0xee);
	decode(&v6);
	expect_ok();
	expect_bytes(((Types__TCP *)record(T_TCP, 0))->payload, hello, HELLO_LEN);

	/* The application decoders see the same bytes: the payload is kept,
	 * not consumed. */
	struct frame dns = { 0 };
	put_ethernet(&dns, 0x0800);
	put_ipv4_with(&dns, 17, 8 + 12, IPV4());
	put_udp(&dns, 5000, 53, 8 + 12);
	PUT(&dns, 0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
	decode(&dns);
	expect_ok();
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payload.len, 12);
	cr_assert_str_eq(pkt.app_proto, "DNS");
}

Test(decode_transport, payload_past_the_cap_is_cut_counted_and_marked)
{
	static struct frame f;
	ctx.payload = true;
	for (uint32_t extra = 0; extra <= 1; extra++) {
		uint32_t at;
		build_tso_tcp(&f, PAYLOAD_MAX + extra, &at);
		decode(&f);
		if (extra)
			expect_error(PROTO_TCP, REASON_CAPPED);
		else
			expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_TCP);
		Types__TCP *tcp = record(T_TCP, 0);
		cr_assert_eq(tcp->payloadsize, PAYLOAD_MAX + extra);
		cr_assert_eq(tcp->payload.len, PAYLOAD_MAX);
		cr_assert_eq(tcp->payload.data, pkt.data + at);
		cr_assert_eq(tcp->truncated, extra);
		cr_assert_eq(ctx.stats.events[PROTO_TCP][REASON_CAPPED], extra);
		cr_assert_leq(protobuf_c_message_get_packed_size(&tcp->base), DECODE_RECORD_BOUND);
	}

	/* UDP in an IPv6 jumbogram, 200,000 bytes: the cut is counted once,
	 * PayloadSize and PayloadEntropy still cover the whole payload. */
	f.len = 0;
	put_ethernet(&f, 0x86dd);
	put_ipv6_jumbo(&f, 17, 8 + 200000);
	put_udp(&f, 9, 10, 0);
	put_fill(&f, 0x5a, 200000);
	decode(&f);
	expect_error(PROTO_UDP, REASON_CAPPED);
	Types__UDP *udp = record(T_UDP, 0);
	cr_assert_eq(udp->payloadsize, 200000);
	cr_assert_eq(udp->payload.len, PAYLOAD_MAX);
	cr_assert_float_eq(udp->payloadentropy, 0.0, 1e-12);
	cr_assert(udp->truncated);
	cr_assert_eq(ctx.stats.events[PROTO_UDP][REASON_CAPPED], 1);
	cr_assert_leq(protobuf_c_message_get_packed_size(&udp->base), DECODE_RECORD_BOUND);

	/* With --payload off nothing is cut: nothing is kept. */
	ctx.payload = false;
	decode(&f);
	expect_ok();
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payload.len, 0);
	cr_assert_not(((Types__UDP *)record(T_UDP, 0))->truncated);
}

/* The fast serializers (lib/ncap/fastpack.c) write the Payload field as
 * protobuf-c does, lengths of one to three varint bytes included. */
Test(decode_transport, payload_records_pack_alike_through_fastpack_and_protobuf_c)
{
	static struct frame f;
	static uint8_t fast[DECODE_RECORD_BOUND + 64], reference[DECODE_RECORD_BOUND + 64];
	static const uint32_t sizes[] = { 1, 127, 128, 16383, 16384, 40000, PAYLOAD_MAX };
	ctx.payload = true;
	for (size_t i = 0; i < COUNT_OF(sizes); i++) {
		uint32_t at;
		build_tso_tcp(&f, sizes[i], &at);
		decode(&f);
		expect_ok();
		const Types__TCP *tcp = record(T_TCP, 0);
		long n_ref = ncap_pack_delimited(&tcp->base, reference, sizeof reference);
		long n_fast = ncap_fastpack(T_TCP, &tcp->base, fast, sizeof fast);
		cr_assert_eq(tcp->payload.len, sizes[i]);
		cr_assert_gt(n_ref, 0);
		cr_assert_eq(n_fast, n_ref, "TCP, %u payload bytes", sizes[i]);
		cr_assert(memcmp(fast, reference, (size_t)n_ref) == 0, "TCP, %u payload bytes", sizes[i]);

		f.len = 0;
		put_ethernet(&f, 0x0800);
		put_ipv4(&f, 17, 8 + sizes[i]);
		put_udp(&f, 4000, 4001, 8 + sizes[i]);
		put_fill(&f, 0xc3, sizes[i]);
		decode(&f);
		expect_ok();
		const Types__UDP *u = record(T_UDP, 0);
		n_ref = ncap_pack_delimited(&u->base, reference, sizeof reference);
		n_fast = ncap_fastpack(T_UDP, &u->base, fast, sizeof fast);
		cr_assert_eq(u->payload.len, sizes[i]);
		cr_assert_gt(n_ref, 0);
		cr_assert_eq(n_fast, n_ref, "UDP, %u payload bytes", sizes[i]);
		cr_assert(memcmp(fast, reference, (size_t)n_ref) == 0, "UDP, %u payload bytes", sizes[i]);
	}
}

/* ---- random corruption ---------------------------------------------- */

/* What a corrupted frame's result must also keep: the payload within what
 * was captured. */
static void check_transport(uint32_t cut)
{
	cr_assert_leq(pkt.app_len, cut);
	Types__TCP *tcp = record(T_TCP, 0);
	if (tcp)
		cr_assert_leq(tcp->payload.len, cut);
	Types__UDP *udp = record(T_UDP, 0);
	if (udp)
		cr_assert_leq(udp->payload.len, cut);
}

Test(decode_transport, random_corruption_stays_in_bounds)
{
	struct frame sctp = { 0 }, tcp = { 0 }, udp = { 0 };
	build_sctp(&sctp);
	corrupt_and_decode(&sctp, LINK_ETHERNET, 14, check_transport);
	/* The payloads kept with --payload point into the captured bytes. */
	ctx.payload = true;
	build_tcp(&tcp, 0x18, false);
	put_ethernet(&udp, 0x86dd);
	put_ipv6_with(&udp, 17, 8 + HELLO_LEN, &ipv6_doc);
	put_udp(&udp, 1, 2, 8 + HELLO_LEN);
	put(&udp, hello, HELLO_LEN);
	corrupt_and_decode(&tcp, LINK_ETHERNET, 21, check_transport);
	corrupt_and_decode(&udp, LINK_ETHERNET, 22, check_transport);
}
