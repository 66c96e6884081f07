/* test_decode_mpls.c: MPLS label stacks (lib/decode/mpls.c: MPLS records,
 * the stack cap, the payload guessed from its first nibble, the
 * pseudowire control word, MPLS in IP and in UDP) and the tags walked
 * through to an inner ethertype: Cisco VN-Tag (vntag.c), 802.1BR E-tag
 * (etag.c), 802.1ah PBB I-tag with its customer header (pbb.c).
 *
 * Frames are built byte by byte (tests/support/frames.h): every field of
 * every MPLS record, every cut of every frame (the fault's protocol and
 * reason, the records kept), stacks at and past the cap, nesting past
 * PACKET_MAX_DEPTH, and random corruption decoded from heap blocks of
 * exactly the captured size (ASan sees any read past them). */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/frames.h"

#define T_MPLS TYPES__TYPE__NC_MPLS
#define MPLS_MAX_STACK 16                 /* mpls.c's cap */

static const int all_types[] = {
	T_ETHERNET, T_DOT1Q, T_IPV4, T_IPV6, T_TCP, T_UDP, T_ARP, T_LLC, T_SNAP, T_MPLS, T_ICMPV4,
};

static void setup(void) { setup_decoder(1 << 20, all_types, COUNT_OF(all_types)); }

TestSuite(decode_mpls, .init = setup, .fini = teardown_decoder);

#define IPV4_UDP_HELLO (IPV4_HEADER + UDP_HEADER + HELLO_LEN)

static void put_ipv4_udp_hello(struct frame *f)
{
	put_ipv4(f, 17, UDP_HEADER + HELLO_LEN);
	put_udp(f, 1000, 2000, UDP_HEADER + HELLO_LEN);
	put(f, hello, HELLO_LEN);
}

static void put_label(struct frame *f, uint32_t label, uint32_t tc, bool bottom, uint32_t ttl)
{
	put32(f, label << 12 | tc << 9 | (uint32_t)bottom << 8 | ttl);
}

static void expect_label(int nth, int32_t label, int32_t tc, bool bottom, int32_t ttl)
{
	Types__MPLS *r = record(T_MPLS, nth);
	cr_assert_not_null(r, "no MPLS record %d", nth);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->label, label, "label %d, want %d", r->label, label);
	cr_assert_eq(r->trafficclass, tc);
	cr_assert_eq(r->stackbottom, bottom);
	cr_assert_eq(r->ttl, ttl);
	cr_assert(!r->truncated);
}

/* Ethernet 0x8847, labels 16 (TC 5, TTL 64) and 1048575 (TC 0, bottom,
 * TTL 1), then IPv4/UDP "hello". */
static void build_two_labels(struct frame *f, uint16_t ethertype)
{
	put_ethernet(f, ethertype);
	put_label(f, 16, 5, false, 64);
	put_label(f, 1048575, 0, true, 1);
	put_ipv4_udp_hello(f);
}

Test(decode_mpls, every_field_unicast_and_multicast)
{
	const uint16_t types[] = { 0x8847, 0x8848 };
	for (size_t i = 0; i < COUNT_OF(types); i++) {
		struct frame f = { 0 };
		build_two_labels(&f, types[i]);
		decode(&f);
		expect_clean();
		EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_MPLS, T_IPV4, T_UDP);
		expect_label(0, 16, 5, false, 64);
		expect_label(1, 1048575, 0, true, 1);
		cr_assert_eq(pkt.app_len, HELLO_LEN);
	}
	/* All bits of one entry: TC 7, TTL 255, label 0 (IPv4 explicit null). */
	struct frame g = { 0 };
	put_ethernet(&g, 0x8847);
	put_label(&g, 0, 7, true, 255);
	put_ipv4_udp_hello(&g);
	decode(&g);
	expect_clean();
	expect_label(0, 0, 7, true, 255);
}

Test(decode_mpls, payload_by_first_nibble)
{
	/* 6: IPv6. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x8847);
	put_label(&f, 2, 0, true, 9);
	put_ipv6(&f, 59, 4);
	put32(&f, 0);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_IPV6);

	/* 1 (an associated channel header), 5, 15: unknown. */
	const uint8_t firsts[] = { 0x10, 0x50, 0xf0 };
	for (size_t i = 0; i < COUNT_OF(firsts); i++) {
		struct frame g = { 0 };
		put_ethernet(&g, 0x8847);
		put_label(&g, 13, 0, true, 1);
		PUT(&g, firsts[i], 0, 0, 0, 1, 2, 3, 4);
		decode(&g);
		expect_unknown(PROTO_MPLS);
		EXPECT_RECORDS(T_ETHERNET, T_MPLS);
	}

	/* Nothing after the bottom entry: MPLS ends the packet. */
	struct frame h = { 0 };
	put_ethernet(&h, 0x8847);
	put_label(&h, 3, 0, true, 1);
	decode(&h);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_MPLS);
}

static const uint8_t inner_dst[6] = { 0x02, 0, 0, 0, 0, 0xd1 };

/* Bottom label, control word, Ethernet to inner_dst, IPv4/UDP. */
static void build_pseudowire(struct frame *f)
{
	put_ethernet(f, 0x8847);
	put_label(f, 100, 1, true, 32);
	put32(f, 0x00000017);              /* control word: sequence number 23 */
	put_ethernet_to(f, inner_dst, 0x0800);
	put_ipv4_udp_hello(f);
}
#define PW_INNER (ETH_HEADER + 4 + 4)   /* where the inner Ethernet starts */

Test(decode_mpls, control_word_then_ethernet)
{
	struct frame f = { 0 };
	build_pseudowire(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_ETHERNET, T_IPV4, T_UDP);
	expect_label(0, 100, 1, true, 32);
	Types__Ethernet *inner = record(T_ETHERNET, 1);
	cr_assert_str_eq(inner->dstmac, "02:00:00:00:00:d1");
	cr_assert_eq(inner->ethernettype, 0x0800);
	cr_assert_arr_eq(pkt.dst_mac, inner_dst, 6);
}

Test(decode_mpls, every_cut)
{
	struct frame f = { 0 };
	build_two_labels(&f, 0x8847);
	const uint32_t at = ETH_HEADER + 8;
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else if (cut < ETH_HEADER + 4) {
			expect_error(PROTO_MPLS, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else if (cut < at) {
			expect_error(PROTO_MPLS, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_MPLS);
		} else if (cut == at) {
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_MPLS);
		} else if (cut < at + IPV4_HEADER) {
			expect_error(PROTO_IPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_MPLS);
		} else if (cut < at + IPV4_HEADER + UDP_HEADER) {
			expect_error(PROTO_UDP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_MPLS, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_MPLS, T_IPV4, T_UDP);
		}
	}

	struct frame g = { 0 };
	build_pseudowire(&g);
	for (uint32_t cut = ETH_HEADER + 4; cut <= g.len; cut++) {
		decode_cut(&g, LINK_ETHERNET, cut);
		if (cut == ETH_HEADER + 4) {
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_MPLS);
		} else if (cut < PW_INNER) {
			/* the control word cut (its first nibble 0 was seen) */
			expect_error(PROTO_MPLS, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_MPLS);
		} else if (cut < PW_INNER + ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_MPLS);
		} else if (cut < PW_INNER + ETH_HEADER + IPV4_HEADER) {
			expect_error(PROTO_IPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_MPLS, T_ETHERNET);
		}
	}
}

Test(decode_mpls, stack_cap)
{
	/* MPLS_MAX_STACK entries, the last the bottom: all decoded. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x8847);
	for (int i = 0; i < MPLS_MAX_STACK; i++)
		put_label(&f, 1000 + (uint32_t)i, 0, i == MPLS_MAX_STACK - 1, 64);
	put_ipv4_udp_hello(&f);
	decode(&f);
	expect_clean();
	cr_assert_eq(pkt.n_rec, 1 + MPLS_MAX_STACK + 2);
	expect_label(MPLS_MAX_STACK - 1, 1000 + MPLS_MAX_STACK - 1, 0, true, 64);

	/* One more entry: the stack is cut at the cap, counted, the last
	 * record kept marked Truncated, the payload not decoded. */
	struct frame g = { 0 };
	put_ethernet(&g, 0x8847);
	for (int i = 0; i <= MPLS_MAX_STACK; i++)
		put_label(&g, 1000 + (uint32_t)i, 0, i == MPLS_MAX_STACK, 64);
	put_ipv4_udp_hello(&g);
	decode(&g);
	expect_error(PROTO_MPLS, REASON_CAPPED);
	cr_assert_eq(pkt.n_rec, 1 + MPLS_MAX_STACK);
	Types__MPLS *last = record(T_MPLS, MPLS_MAX_STACK - 1);
	cr_assert(last->truncated);
	cr_assert(!((Types__MPLS *)record(T_MPLS, 0))->truncated);
	cr_assert_eq(ctx.stats.events[PROTO_MPLS][REASON_CAPPED], 1);
	cr_assert_null(record(T_IPV4, 0));

	/* A stack that never ends and fills the frame. */
	struct frame h = { 0 };
	put_ethernet(&h, 0x8847);
	for (int i = 0; i < 200; i++)
		put_label(&h, 5, 0, false, 64);
	decode(&h);
	expect_error(PROTO_MPLS, REASON_CAPPED);
	cr_assert_eq(pkt.n_rec, 1 + MPLS_MAX_STACK);
}

Test(decode_mpls, nesting_is_bounded)
{
	/* Ethernet pseudowires inside each other: decoding stops at
	 * PACKET_MAX_DEPTH with TOO_DEEP. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x8847);
	for (int i = 0; i < 40; i++) {
		put_label(&f, 100, 0, true, 64);
		put32(&f, 0);
		put_ethernet(&f, 0x8847);
	}
	put_label(&f, 100, 0, true, 64);
	decode(&f);
	cr_assert(pkt.error);
	cr_assert_eq(pkt.error_reason, REASON_TOO_DEEP);
	cr_assert_leq(pkt.depth, PACKET_MAX_DEPTH + 1);
}

Test(decode_mpls, mpls_in_ip_and_udp)
{
	/* IP protocol 137 (RFC 4023). */
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 137, 4 + IPV4_UDP_HELLO);
	put_label(&f, 77, 2, true, 3);
	put_ipv4_udp_hello(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_MPLS, T_IPV4, T_UDP);
	expect_label(0, 77, 2, true, 3);

	/* UDP port 6635 (RFC 7510). */
	struct frame g = { 0 };
	put_ethernet(&g, 0x0800);
	put_ipv4(&g, 17, UDP_HEADER + 4 + IPV4_UDP_HELLO);
	put_udp(&g, 49152, 6635, UDP_HEADER + 4 + IPV4_UDP_HELLO);
	put_label(&g, 78, 0, true, 4);
	put_ipv4_udp_hello(&g);
	decode(&g);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_MPLS, T_IPV4, T_UDP);
	expect_label(0, 78, 0, true, 4);
	/* The inner transport's ports are the packet's; the outer UDP
	 * record keeps its own. */
	cr_assert_eq(pkt.src_port, 1000);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->dstport, 6635);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 1))->dstport, 2000);
}

Test(decode_mpls, records_off_decoding_goes_on)
{
	decoder_enable(&ctx, T_MPLS, false);
	struct frame f = { 0 };
	build_two_labels(&f, 0x8847);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	/* The cap counts entries, not records. */
	struct frame g = { 0 };
	put_ethernet(&g, 0x8847);
	for (int i = 0; i < 20; i++)
		put_label(&g, 5, 0, false, 64);
	decode(&g);
	expect_error(PROTO_MPLS, REASON_CAPPED);
	EXPECT_RECORDS(T_ETHERNET);
}

/* ---- VN-Tag, E-tag, PBB ----------------------------------------------- */

struct tag_case {
	uint16_t ethertype;
	uint32_t size;                     /* after the ethertype, next type included */
	enum decode_protocol proto;
};
static const struct tag_case tags[] = {
	{ 0x8926, 6, PROTO_VNTAG },
	{ 0x893f, 8, PROTO_ETAG },
	{ 0x88e7, 18, PROTO_PBB },
};

static const uint8_t c_dst[6] = { 0x02, 0xc0, 0, 0, 0, 0x0d };
static const uint8_t c_src[6] = { 0x02, 0xc0, 0, 0, 0, 0x05 };

/* The tag with next type `next`: bit patterns in every tag field. */
static void put_tag(struct frame *f, const struct tag_case *t, uint16_t next)
{
	put_ethernet(f, t->ethertype);
	put_fill(f, 0xa5, t->size - 2 - (t->ethertype == 0x88e7 ? 12 : 0));
	if (t->ethertype == 0x88e7) {
		put(f, c_dst, 6);
		put(f, c_src, 6);
	}
	put16(f, next);
}

Test(decode_mpls, tags_walk_to_the_inner_ethertype)
{
	for (size_t i = 0; i < COUNT_OF(tags); i++) {
		struct frame f = { 0 };
		put_tag(&f, &tags[i], 0x0800);
		put_ipv4_udp_hello(&f);
		decode(&f);
		expect_clean();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
		cr_assert_eq(pkt.depth, 3 + 1);  /* Ethernet, tag, IPv4, UDP */
		cr_assert_eq(((Types__Ethernet *)record(T_ETHERNET, 0))->ethernettype, tags[i].ethertype);
		if (tags[i].proto == PROTO_PBB) {
			cr_assert_arr_eq(pkt.dst_mac, c_dst, 6);
			cr_assert_arr_eq(pkt.src_mac, c_src, 6);
		} else {
			cr_assert_arr_eq(pkt.dst_mac, dst_mac, 6);
		}

		/* A VLAN tag after it, then MPLS. */
		struct frame g = { 0 };
		put_tag(&g, &tags[i], 0x8100);
		put16(&g, 42);
		put16(&g, 0x8847);
		put_label(&g, 9, 0, true, 1);
		put_ipv4_udp_hello(&g);
		decode(&g);
		expect_clean();
		EXPECT_RECORDS(T_ETHERNET, T_DOT1Q, T_MPLS, T_IPV4, T_UDP);
		cr_assert_eq(pkt.vlan_id, 42);

		/* An ethertype without a decoder: unknown, of the tag. */
		struct frame h = { 0 };
		put_tag(&h, &tags[i], 0x88b5);
		put32(&h, 0);
		decode(&h);
		expect_unknown(tags[i].proto);
		EXPECT_RECORDS(T_ETHERNET);

		/* An 802.3 length: LLC and SNAP follow, cut to the length. */
		struct frame k = { 0 };
		put_tag(&k, &tags[i], 8 + 4);
		PUT(&k, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06, 1, 2, 3, 4);
		pad_to(&k, k.len + 10);
		decode(&k);
		EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP);
		expect_error(PROTO_ARP, REASON_TRUNCATED);
	}
}

Test(decode_mpls, tags_every_cut)
{
	for (size_t i = 0; i < COUNT_OF(tags); i++) {
		struct frame f = { 0 };
		put_tag(&f, &tags[i], 0x0800);
		put_ipv4_udp_hello(&f);
		const uint32_t at = ETH_HEADER + tags[i].size;
		for (uint32_t cut = ETH_HEADER; cut <= f.len; cut++) {
			decode_cut(&f, LINK_ETHERNET, cut);
			if (cut < at) {
				expect_error(tags[i].proto, REASON_TRUNCATED);
				EXPECT_RECORDS(T_ETHERNET);
			} else if (cut < at + IPV4_HEADER) {
				expect_error(PROTO_IPV4, REASON_TRUNCATED);
				EXPECT_RECORDS(T_ETHERNET);
			} else if (cut < at + IPV4_HEADER + UDP_HEADER) {
				expect_error(PROTO_UDP, REASON_TRUNCATED);
				EXPECT_RECORDS(T_ETHERNET, T_IPV4);
			} else {
				expect_ok();
				EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
			}
		}
	}
}

Test(decode_mpls, random_corruption_stays_in_bounds)
{
	struct frame two = { 0 }, pw = { 0 }, vntag = { 0 }, etag = { 0 }, pbb = { 0 };
	build_two_labels(&two, 0x8847);
	build_pseudowire(&pw);
	put_tag(&vntag, &tags[0], 0x8847);
	put_label(&vntag, 1, 0, true, 1);
	put_ipv4_udp_hello(&vntag);
	put_tag(&etag, &tags[1], 0x0800);
	put_ipv4_udp_hello(&etag);
	put_tag(&pbb, &tags[2], 0x8100);
	put16(&pbb, 1);
	put16(&pbb, 0x0800);
	put_ipv4_udp_hello(&pbb);
	corrupt_and_decode(&two, LINK_ETHERNET, 41, NULL);
	corrupt_and_decode(&pw, LINK_ETHERNET, 42, NULL);
	corrupt_and_decode(&vntag, LINK_ETHERNET, 43, NULL);
	corrupt_and_decode(&etag, LINK_ETHERNET, 44, NULL);
	corrupt_and_decode(&pbb, LINK_ETHERNET, 45, NULL);
}
