/* test_decode_ppp.c: the PPP family of link decoders (lib/decode): PPP
 * links (DLT 9 and DLT_PPP_SERIAL 50, ppp.c) with and without HDLC-like
 * address and control, with compressed protocol fields; Cisco HDLC
 * (DLT 104, chdlc.c, also behind a PPP link type); NFLOG (DLT 239,
 * nflog.c: TLV walk, cap, families); PPPoE session and discovery over
 * Ethernet (pppoe.c).
 *
 * Frames are built byte by byte (tests/support/frames.h): well-formed
 * frames check what reaches the upper layers (none of these layers has a
 * record of its own: netcap's schema has none), every cut of every frame
 * checks the (protocol, reason) of the fault and the records kept, lying
 * lengths and caps check their counted events, and random corruption
 * checks that nothing is read past the captured bytes (each frame is
 * decoded from a heap block of exactly its size, under ASan in the
 * sanitizer builds). */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/frames.h"

#define T_MPLS TYPES__TYPE__NC_MPLS

static const int all_types[] = {
	T_ETHERNET, T_DOT1Q, T_IPV4, T_IPV6, T_TCP, T_UDP, T_ARP, T_LLC, T_SNAP, T_MPLS,
};

static void setup(void) { setup_decoder(1 << 20, all_types, COUNT_OF(all_types)); }

TestSuite(decode_ppp, .init = setup, .fini = teardown_decoder);

#define IPV4_UDP_HELLO (IPV4_HEADER + UDP_HEADER + HELLO_LEN)

/* IPv4/UDP 1000 > 2000 with "hello". */
static void put_ipv4_udp_hello(struct frame *f)
{
	put_ipv4(f, 17, UDP_HEADER + HELLO_LEN);
	put_udp(f, 1000, 2000, UDP_HEADER + HELLO_LEN);
	put(f, hello, HELLO_LEN);
}

/* The result of a frame holding IPv4/UDP "hello" at offset `at`, cut to
 * `cut` bytes at or after `at`: what the IP and UDP decoders make of it.
 * `before` records come first (the outer layers'). */
static void expect_ipv4_udp_cut(uint32_t at, uint32_t cut, const int *before, int n_before)
{
	int want[8];
	int n = 0;
	for (int i = 0; i < n_before; i++)
		want[n++] = before[i];
	if (cut < at + IPV4_HEADER) {
		expect_error(PROTO_IPV4, REASON_TRUNCATED);
	} else if (cut < at + IPV4_HEADER + UDP_HEADER) {
		want[n++] = T_IPV4;
		expect_error(PROTO_UDP, REASON_TRUNCATED);
	} else {
		want[n++] = T_IPV4;
		want[n++] = T_UDP;
		expect_ok();
		cr_assert_eq(pkt.app_len, cut - at - IPV4_HEADER - UDP_HEADER);
	}
	expect_records(want, n);
}

/* ---- PPP links --------------------------------------------------------- */

Test(decode_ppp, address_control_and_protocol_forms)
{
	/* Every header form before IPv4, on both PPP link types: ff 03 and a
	 * 2-byte protocol, ff 03 and a compressed one, no address/control
	 * (ACFC) with either protocol form. */
	static const uint8_t headers[][4] = {
		{ 0xff, 0x03, 0x00, 0x21 }, { 0xff, 0x03, 0x21 }, { 0x00, 0x21 }, { 0x21 },
	};
	static const uint32_t lens[] = { 4, 3, 2, 1 };
	const int links[] = { LINK_PPP, LINK_PPP_SERIAL };
	for (size_t l = 0; l < COUNT_OF(links); l++)
		for (size_t i = 0; i < COUNT_OF(headers); i++) {
			struct frame f = { 0 };
			put(&f, headers[i], lens[i]);
			put_ipv4_udp_hello(&f);
			decode_as(&f, links[l]);
			expect_clean();
			EXPECT_RECORDS(T_IPV4, T_UDP);
			Types__IPv4 *ip = record(T_IPV4, 0);
			cr_assert_str_eq(ip->srcip, "192.168.1.10");
			cr_assert_eq(pkt.app_len, HELLO_LEN);
			cr_assert(!pkt.has_mac);
		}
}

Test(decode_ppp, ipv6_and_mpls)
{
	struct frame f = { 0 };
	PUT(&f, 0xff, 0x03, 0x00, 0x57);
	put_ipv6(&f, 17, UDP_HEADER + HELLO_LEN);
	put_udp(&f, 1, 2, UDP_HEADER + HELLO_LEN);
	put(&f, hello, HELLO_LEN);
	decode_as(&f, LINK_PPP);
	expect_clean();
	EXPECT_RECORDS(T_IPV6, T_UDP);

	struct frame g = { 0 };
	PUT(&g, 0x57);                     /* compressed */
	put_ipv6(&g, 59, 4);
	put32(&g, 0);
	decode_as(&g, LINK_PPP_SERIAL);
	expect_clean();
	EXPECT_RECORDS(T_IPV6);

	/* MPLS unicast and multicast: one label, then IPv4. */
	const uint16_t mpls[] = { 0x0281, 0x0283 };
	for (size_t i = 0; i < COUNT_OF(mpls); i++) {
		struct frame h = { 0 };
		PUT(&h, 0xff, 0x03);
		put16(&h, mpls[i]);
		put32(&h, 100u << 12 | 1 << 8 | 7);
		put_ipv4_udp_hello(&h);
		decode_as(&h, LINK_PPP);
		expect_clean();
		EXPECT_RECORDS(T_MPLS, T_IPV4, T_UDP);
		Types__MPLS *r = record(T_MPLS, 0);
		cr_assert_eq(r->label, 100);
		cr_assert_eq(r->ttl, 7);
		cr_assert(r->stackbottom);
	}
}

Test(decode_ppp, control_protocols_are_unknown)
{
	/* LCP, IPCP, IPV6CP, CCP, PAP, CHAP, IPX, compressed LCP would be
	 * 0xc021 (never compressed: RFC 1661 6.5). */
	const uint16_t protocols[] = { 0xc021, 0x8021, 0x8057, 0x80fd, 0xc023, 0xc223, 0x002b, 0x003d };
	for (size_t i = 0; i < COUNT_OF(protocols); i++) {
		struct frame f = { 0 };
		PUT(&f, 0xff, 0x03);
		put16(&f, protocols[i]);
		PUT(&f, 0x01, 0x01, 0x00, 0x04);
		decode_as(&f, LINK_PPP);
		expect_unknown(PROTO_PPP);
		EXPECT_NO_RECORDS();
	}
	/* A compressed protocol other than IPv4/IPv6: 0x2b (IPX). */
	struct frame g = { 0 };
	PUT(&g, 0x2b, 0, 0);
	decode_as(&g, LINK_PPP_SERIAL);
	expect_unknown(PROTO_PPP);
	cr_assert_eq(ctx.stats.events[PROTO_PPP][REASON_UNKNOWN_PROTOCOL], COUNT_OF(protocols) + 1);
}

Test(decode_ppp, every_cut)
{
	const int links[] = { LINK_PPP, LINK_PPP_SERIAL };
	for (size_t l = 0; l < COUNT_OF(links); l++) {
		struct frame f = { 0 };
		PUT(&f, 0xff, 0x03, 0x00, 0x21);
		put_ipv4_udp_hello(&f);
		for (uint32_t cut = 0; cut <= f.len; cut++) {
			decode_cut(&f, links[l], cut);
			if (cut < 4) {
				expect_error(PROTO_PPP, REASON_TRUNCATED);
				EXPECT_NO_RECORDS();
			} else {
				expect_ipv4_udp_cut(4, cut, NULL, 0);
			}
		}
		/* A 2-byte protocol cut after its first byte. */
		struct frame g = { 0 };
		PUT(&g, 0x00);
		decode_as(&g, links[l]);
		expect_error(PROTO_PPP, REASON_TRUNCATED);
	}
	cr_assert_eq(ctx.stats.events[PROTO_PPP][REASON_TRUNCATED], 2 * 4 + 2);
}

Test(decode_ppp, bare_protocol_entry)
{
	/* decode_ppp_protocol(): what PPPoE and PPTP's GRE call. */
	struct frame f = { 0 };
	PUT(&f, 0x00, 0x21);
	put_ipv4_udp_hello(&f);
	decode_as(&f, LINK_IPV4);          /* set pkt up; then call it directly */
	struct cursor c = cur_make(f.b, f.len);
	memset(&pkt, 0, offsetof(struct packet, rec));
	pkt.data = f.b;
	pkt.cap_len = pkt.wire_len = f.len;
	pkt.ts = TS;
	cr_assert_eq(decode_ppp_protocol(&ctx, &pkt, &c), DECODE_OK);
	expect_clean();
	EXPECT_RECORDS(T_IPV4, T_UDP);
}

/* ---- Cisco HDLC ---------------------------------------------------------- */

static void put_chdlc(struct frame *f, uint8_t address, uint16_t protocol)
{
	PUT(f, address, 0x00);
	put16(f, protocol);
}

Test(decode_ppp, chdlc_protocols)
{
	struct frame f = { 0 };
	put_chdlc(&f, 0x0f, 0x0800);
	put_ipv4_udp_hello(&f);
	decode_as(&f, LINK_C_HDLC);
	expect_clean();
	EXPECT_RECORDS(T_IPV4, T_UDP);

	struct frame g = { 0 };
	put_chdlc(&g, 0x8f, 0x86dd);
	put_ipv6(&g, 59, 4);
	put32(&g, 0);
	decode_as(&g, LINK_C_HDLC);
	expect_clean();
	EXPECT_RECORDS(T_IPV6);

	struct frame h = { 0 };
	put_chdlc(&h, 0x0f, 0x8847);
	put32(&h, 3u << 12 | 1 << 8 | 255);
	put_ipv4_udp_hello(&h);
	decode_as(&h, LINK_C_HDLC);
	expect_clean();
	EXPECT_RECORDS(T_MPLS, T_IPV4, T_UDP);

	/* SLARP, CDP, OSI: no decoder. */
	const uint16_t others[] = { 0x8035, 0x2000, 0xfefe };
	for (size_t i = 0; i < COUNT_OF(others); i++) {
		struct frame k = { 0 };
		put_chdlc(&k, 0x8f, others[i]);
		put32(&k, 0);
		put32(&k, 0);
		decode_as(&k, LINK_C_HDLC);
		expect_unknown(PROTO_CHDLC);
		EXPECT_NO_RECORDS();
	}
}

Test(decode_ppp, chdlc_behind_ppp_link_types)
{
	const int links[] = { LINK_PPP, LINK_PPP_SERIAL };
	for (size_t l = 0; l < COUNT_OF(links); l++) {
		struct frame f = { 0 };
		put_chdlc(&f, 0x0f, 0x0800);
		put_ipv4_udp_hello(&f);
		decode_as(&f, links[l]);
		expect_clean();
		EXPECT_RECORDS(T_IPV4, T_UDP);
		struct frame g = { 0 };
		put_chdlc(&g, 0x8f, 0x8035);
		decode_as(&g, links[l]);
		expect_unknown(PROTO_CHDLC);
	}
}

Test(decode_ppp, chdlc_every_cut)
{
	struct frame f = { 0 };
	put_chdlc(&f, 0x0f, 0x0800);
	put_ipv4_udp_hello(&f);
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_C_HDLC, cut);
		if (cut < 4) {
			expect_error(PROTO_CHDLC, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else {
			expect_ipv4_udp_cut(4, cut, NULL, 0);
		}
	}
}

/* ---- NFLOG -------------------------------------------------------------- */

#define NFLOG_AF_INET 2
#define NFLOG_AF_INET6 10

static void put_nflog_header(struct frame *f, uint8_t family, uint8_t version)
{
	PUT(f, family, version);
	put16(f, 7);                       /* resource id */
}

/* A TLV: little-endian length (header included) and type, the value, and
 * the padding to 4 bytes. */
static void put_nflog_tlv(struct frame *f, uint16_t type, const void *value, uint16_t n)
{
	putle16(f, 4 + n);
	putle16(f, type);
	put(f, value, n);
	while (f->len % 4)
		put8(f, 0);
}

/* The TLVs a real capture has before the payload: packet header
 * (hardware protocol, hook), prefix "test" (NUL-terminated: 9 bytes,
 * padded to 12), uid. The payload TLV's header follows: nflog_payload()
 * returns where the payload starts. */
static uint32_t build_nflog(struct frame *f, uint8_t family)
{
	static const uint8_t packet_hdr[4] = { 0x08, 0x00, 0x03, 0x00 };
	static const uint8_t uid[4] = { 0, 0, 0, 0 };
	put_nflog_header(f, family, 0);
	put_nflog_tlv(f, 1, packet_hdr, sizeof packet_hdr);
	put_nflog_tlv(f, 10, "test", 5);
	put_nflog_tlv(f, 11, uid, sizeof uid);
	putle16(f, 4 + IPV4_UDP_HELLO);
	putle16(f, 9);
	uint32_t at = f->len;
	put_ipv4_udp_hello(f);
	return at;
}

Test(decode_ppp, nflog_ipv4_payload)
{
	struct frame f = { 0 };
	uint32_t at = build_nflog(&f, NFLOG_AF_INET);
	cr_assert_eq(at, 4 + 8 + 12 + 8 + 4);
	decode_as(&f, LINK_NFLOG);
	expect_clean();
	EXPECT_RECORDS(T_IPV4, T_UDP);
	cr_assert_eq(pkt.app_len, HELLO_LEN);

	/* The payload TLV with the netlink flag bits set (NLA_F_NESTED). */
	f.b[at - 1] = 0x80;
	decode_as(&f, LINK_NFLOG);
	expect_clean();
	EXPECT_RECORDS(T_IPV4, T_UDP);
}

Test(decode_ppp, nflog_families)
{
	struct frame f = { 0 };
	put_nflog_header(&f, NFLOG_AF_INET6, 0);
	putle16(&f, 4 + IPV6_HEADER + 4);
	putle16(&f, 9);
	put_ipv6(&f, 59, 4);
	put32(&f, 0);
	decode_as(&f, LINK_NFLOG);
	expect_clean();
	EXPECT_RECORDS(T_IPV6);

	/* The bridge family (7), and AF_UNSPEC: no decoder. */
	const uint8_t others[] = { 7, 0 };
	for (size_t i = 0; i < COUNT_OF(others); i++) {
		struct frame g = { 0 };
		build_nflog(&g, others[i]);
		decode_as(&g, LINK_NFLOG);
		expect_unknown(PROTO_NFLOG);
		EXPECT_NO_RECORDS();
	}

	/* No payload TLV at all: NFLOG ends the packet. */
	struct frame h = { 0 };
	put_nflog_header(&h, NFLOG_AF_INET, 0);
	put_nflog_tlv(&h, 10, "abc", 4);
	decode_as(&h, LINK_NFLOG);
	expect_clean();
	EXPECT_NO_RECORDS();
}

Test(decode_ppp, nflog_faults)
{
	/* Version 1. */
	struct frame f = { 0 };
	build_nflog(&f, NFLOG_AF_INET);
	f.b[1] = 1;
	decode_as(&f, LINK_NFLOG);
	expect_error(PROTO_NFLOG, REASON_BAD_VERSION);
	EXPECT_NO_RECORDS();

	/* A TLV length below its header: 0 would never end the walk. */
	for (uint16_t len = 0; len < 4; len++) {
		struct frame g = { 0 };
		build_nflog(&g, NFLOG_AF_INET);
		g.b[4] = (uint8_t)len;
		decode_as(&g, LINK_NFLOG);
		expect_error(PROTO_NFLOG, REASON_BAD_LENGTH);
		EXPECT_NO_RECORDS();
	}

	/* Lengths that lie in a frame that was not cut: a TLV, the payload. */
	struct frame h = { 0 };
	build_nflog(&h, NFLOG_AF_INET);
	h.b[4 + 8] = 0xf0;                 /* the prefix TLV: 240 bytes */
	decode_as(&h, LINK_NFLOG);
	expect_error(PROTO_NFLOG, REASON_BAD_LENGTH);
	struct frame k = { 0 };
	uint32_t at = build_nflog(&k, NFLOG_AF_INET);
	k.b[at - 4] = (uint8_t)(4 + IPV4_UDP_HELLO + 1);
	decode_as(&k, LINK_NFLOG);
	expect_error(PROTO_NFLOG, REASON_BAD_LENGTH);
	EXPECT_NO_RECORDS();
	/* A payload TLV shorter than the IP packet: the IP layer is cut. */
	k.b[at - 4] = (uint8_t)(4 + IPV4_HEADER + 2);
	decode_as(&k, LINK_NFLOG);
	EXPECT_RECORDS(T_IPV4);
	expect_error(PROTO_UDP, REASON_TRUNCATED);
}

Test(decode_ppp, nflog_every_cut)
{
	struct frame f = { 0 };
	uint32_t at = build_nflog(&f, NFLOG_AF_INET);
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_NFLOG, cut);
		if (cut < at) {
			/* The header, a TLV or the payload TLV's header cut;
			 * a cut at a TLV boundary, or in the prefix's padding
			 * (21 to 24: the last TLV may lack it), ends the walk
			 * cleanly. */
			bool boundary = cut == 4 || cut == 12 || (cut >= 21 && cut <= 24) || cut == 32;
			if (boundary)
				expect_ok();
			else
				expect_error(PROTO_NFLOG, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else {
			expect_ipv4_udp_cut(at, cut, NULL, 0);
		}
	}
}

Test(decode_ppp, nflog_tlv_cap)
{
	/* 63 empty TLVs and the payload: within the cap of 64. */
	struct frame f = { 0 };
	put_nflog_header(&f, NFLOG_AF_INET, 0);
	for (int i = 0; i < 63; i++)
		put_nflog_tlv(&f, 11, "", 0);
	putle16(&f, 4 + IPV4_UDP_HELLO);
	putle16(&f, 9);
	put_ipv4_udp_hello(&f);
	decode_as(&f, LINK_NFLOG);
	expect_clean();
	EXPECT_RECORDS(T_IPV4, T_UDP);

	/* One more: the cap cuts the walk before the payload. */
	struct frame g = { 0 };
	put_nflog_header(&g, NFLOG_AF_INET, 0);
	for (int i = 0; i < 64; i++)
		put_nflog_tlv(&g, 11, "", 0);
	putle16(&g, 4 + IPV4_UDP_HELLO);
	putle16(&g, 9);
	put_ipv4_udp_hello(&g);
	decode_as(&g, LINK_NFLOG);
	expect_error(PROTO_NFLOG, REASON_CAPPED);
	EXPECT_NO_RECORDS();
	cr_assert_eq(ctx.stats.events[PROTO_NFLOG][REASON_CAPPED], 1);
}

/* ---- PPPoE -------------------------------------------------------------- */

#define PPPOE_HEADER 6

static void put_pppoe(struct frame *f, uint16_t ethertype, uint8_t code, uint16_t length)
{
	put_ethernet(f, ethertype);
	PUT(f, 0x11, code);
	put16(f, 0x1234);                  /* session id */
	put16(f, length);
}

static void build_pppoe_session(struct frame *f)
{
	put_pppoe(f, 0x8864, 0x00, 2 + IPV4_UDP_HELLO);
	put16(f, 0x0021);
	put_ipv4_udp_hello(f);
}

Test(decode_ppp, pppoe_session_ipv4_ipv6_lcp)
{
	struct frame f = { 0 };
	build_pppoe_session(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_eq(((Types__Ethernet *)record(T_ETHERNET, 0))->ethernettype, 0x8864);
	cr_assert_eq(pkt.app_len, HELLO_LEN);

	/* Ethernet padding after a short PPPoE payload is not PPP's. */
	struct frame g = { 0 };
	put_pppoe(&g, 0x8864, 0x00, 2 + IPV6_HEADER + 4);
	put16(&g, 0x0057);
	put_ipv6(&g, 59, 4);
	put32(&g, 0);
	pad_to(&g, 120);
	decode(&g);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->length, 4);
	cr_assert(!pkt.ip_partial);

	/* LCP echo request: an unknown layer of PPP. A compressed protocol. */
	struct frame h = { 0 };
	put_pppoe(&h, 0x8864, 0x00, 10);
	put16(&h, 0xc021);
	PUT(&h, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4);
	pad_to(&h, 60);
	decode(&h);
	expect_unknown(PROTO_PPP);
	EXPECT_RECORDS(T_ETHERNET);
	struct frame k = { 0 };
	put_pppoe(&k, 0x8864, 0x00, 1 + IPV4_UDP_HELLO);
	put8(&k, 0x21);
	put_ipv4_udp_hello(&k);
	decode(&k);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
}

Test(decode_ppp, pppoe_session_lies)
{
	/* Version/type 0x21: BAD_VERSION. */
	struct frame f = { 0 };
	build_pppoe_session(&f);
	f.b[ETH_HEADER] = 0x21;
	decode(&f);
	expect_error(PROTO_PPPOE, REASON_BAD_VERSION);
	EXPECT_RECORDS(T_ETHERNET);

	/* A length past the frame (not cut): counted, decoding goes on. */
	struct frame g = { 0 };
	build_pppoe_session(&g);
	g.b[ETH_HEADER + 4] = 0x05;
	decode(&g);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	cr_assert_eq(ctx.stats.events[PROTO_PPPOE][REASON_BAD_LENGTH], 1);

	/* A length that ends inside the UDP header: the payload is cut there,
	 * whatever follows in the frame. */
	struct frame k = { 0 };
	build_pppoe_session(&k);
	k.b[ETH_HEADER + 5] = 2 + IPV4_HEADER + 4;
	decode(&k);
	expect_error(PROTO_UDP, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	/* A length of 0 and of 1: no PPP protocol. */
	for (uint8_t len = 0; len < 2; len++) {
		struct frame h = { 0 };
		build_pppoe_session(&h);
		h.b[ETH_HEADER + 4] = 0;
		h.b[ETH_HEADER + 5] = len;
		decode(&h);
		expect_error(PROTO_PPP, REASON_TRUNCATED);
		EXPECT_RECORDS(T_ETHERNET);
	}
}

Test(decode_ppp, pppoe_session_every_cut)
{
	struct frame f = { 0 };
	build_pppoe_session(&f);
	const uint32_t at = ETH_HEADER + PPPOE_HEADER + 2;
	const int eth[] = { T_ETHERNET };
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else if (cut < ETH_HEADER + PPPOE_HEADER) {
			expect_error(PROTO_PPPOE, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else if (cut < at) {
			expect_error(PROTO_PPP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else {
			expect_ipv4_udp_cut(at, cut, eth, 1);
		}
	}
	cr_assert_eq(ctx.stats.events[PROTO_PPPOE][REASON_BAD_LENGTH], 0);
}

/* PADI: service name (empty), host uniq (4 bytes), end of list. */
static void build_padi(struct frame *f)
{
	put_pppoe(f, 0x8863, 0x09, 4 + 4 + 4 + 4);
	put16(f, 0x0101);
	put16(f, 0);
	put16(f, 0x0103);
	put16(f, 4);
	put32(f, 0xdeadbeef);
	put16(f, 0x0000);
	put16(f, 0);
}

Test(decode_ppp, pppoe_discovery)
{
	struct frame f = { 0 };
	build_padi(&f);
	pad_to(&f, 60);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET);
	cr_assert_eq(pkt.depth, 2);       /* Ethernet, PPPoE */

	/* A tag whose length runs past the payload (frame not cut). */
	struct frame g = { 0 };
	build_padi(&g);
	g.b[ETH_HEADER + PPPOE_HEADER + 4 + 3] = 200;
	decode(&g);
	expect_error(PROTO_PPPOE, REASON_BAD_LENGTH);

	/* 64 tags are walked; the 65th is the cap. */
	for (int n = 64; n <= 65; n++) {
		struct frame h = { 0 };
		put_pppoe(&h, 0x8863, 0x07, (uint16_t)(4 * n));
		for (int i = 0; i < n; i++) {
			put16(&h, 0x0102);
			put16(&h, 0);
		}
		decode(&h);
		if (n == 64) {
			expect_clean();
		} else {
			expect_error(PROTO_PPPOE, REASON_CAPPED);
		}
		EXPECT_RECORDS(T_ETHERNET);
	}
}

Test(decode_ppp, pppoe_discovery_every_cut)
{
	struct frame f = { 0 };
	build_padi(&f);
	const uint32_t tags = ETH_HEADER + PPPOE_HEADER;
	for (uint32_t cut = ETH_HEADER; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		EXPECT_RECORDS(T_ETHERNET);
		bool boundary = cut == tags || cut == tags + 4 || cut == tags + 12 || cut == f.len;
		if (cut < tags)
			expect_error(PROTO_PPPOE, REASON_TRUNCATED);
		else if (boundary)
			expect_clean();
		else
			expect_error(PROTO_PPPOE, REASON_TRUNCATED);
	}
}

/* ---- records off, random corruption ------------------------------------ */

Test(decode_ppp, random_corruption_stays_in_bounds)
{
	struct frame ppp = { 0 }, chdlc = { 0 }, nflog = { 0 }, session = { 0 }, padi = { 0 };
	PUT(&ppp, 0xff, 0x03, 0x00, 0x21);
	put_ipv4_udp_hello(&ppp);
	put_chdlc(&chdlc, 0x0f, 0x0800);
	put_ipv4_udp_hello(&chdlc);
	build_nflog(&nflog, NFLOG_AF_INET);
	build_pppoe_session(&session);
	build_padi(&padi);
	corrupt_and_decode(&ppp, LINK_PPP, 31, NULL);
	corrupt_and_decode(&ppp, LINK_PPP_SERIAL, 32, NULL);
	corrupt_and_decode(&chdlc, LINK_C_HDLC, 33, NULL);
	corrupt_and_decode(&nflog, LINK_NFLOG, 34, NULL);
	corrupt_and_decode(&session, LINK_ETHERNET, 35, NULL);
	corrupt_and_decode(&padi, LINK_ETHERNET, 36, NULL);
}
