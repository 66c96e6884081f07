/* test_decode_ipv6ext.c: the IPv6 extension chain (ipv6.c) and its routing
 * and fragment headers (ipv6_ext.c): every field of the IPv6Fragment
 * record, first, non-first and atomic fragments, routing types 0, 2, 3 (RPL)
 * and 4 (SRH) and their lying layouts, destination options twice, mobility,
 * the generic headers without decoder (HIP, shim6, experimental), the chain
 * cap and the depth, and every cut of a long chain. AH and ESP are
 * test_decode_ipsec.c's.
 *
 * Frames are built byte by byte (tests/support/frames.h) and decoded from a
 * heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/frames.h"

enum {
	T_FRAG6 = TYPES__TYPE__NC_IPv6Fragment,
	T_AH = TYPES__TYPE__NC_IPSecAH,
	T_ESP = TYPES__TYPE__NC_IPSecESP,
};

static const int types[] = {
	T_ETHERNET, T_IPV6, T_HBH, T_FRAG6, T_AH, T_ESP, T_TCP, T_UDP,
};

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_ipv6ext, .init = setup, .fini = teardown_decoder);

static uint64_t ext_events(enum decode_reason reason)
{
	return ctx.stats.events[PROTO_IPV6_EXT][reason];
}

/* ---- fragments ------------------------------------------------------ */

Test(decode_ipv6ext, first_fragment_record_every_field)
{
	struct frame f = { 0 };
	build_ipv6_fragment(&f, 0, true);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_FRAG6, T_UDP);
	Types__IPv6Fragment *r = record(T_FRAG6, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->nextheader, 17);
	cr_assert_eq(r->reserved1, 0);
	cr_assert_eq(r->fragmentoffset, 0);
	cr_assert_eq(r->reserved2, 0);
	cr_assert(r->morefragments);
	cr_assert_eq(r->identification, 0xdeadbeef);
	cr_assert_str_eq(r->srcip, "2001:db8::1");
	cr_assert_str_eq(r->dstip, "2001:db8::2");
	cr_assert_eq(r->srcport, 0);          /* netcap fills no ports */
	cr_assert_eq(r->dstport, 0);
	/* The transport goes on, cut at the fragment's end: expected. */
	cr_assert(pkt.ip_partial);
	cr_assert(!pkt.fragment);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->srcport, 1234);
	cr_assert_eq(ctx.stats.events[PROTO_UDP][REASON_BAD_LENGTH], 0);
}

Test(decode_ipv6ext, reserved_fields_and_offset)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 44, 8 + 6, &ipv6_doc);
	PUT(&f, 6, 0xa5);                          /* next TCP, Reserved1 0xa5 */
	put16(&f, 0x1fff << 3 | 0x6 | 1);          /* offset 8191, both reserved bits, M */
	put32(&f, 0x80000001);
	put_fill(&f, 0xee, 6);                     /* the middle of a datagram */
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_FRAG6);
	Types__IPv6Fragment *r = record(T_FRAG6, 0);
	cr_assert_eq(r->nextheader, 6);
	cr_assert_eq(r->reserved1, 0xa5);
	cr_assert_eq(r->fragmentoffset, 8191);
	cr_assert_eq(r->reserved2, 3);
	cr_assert(r->morefragments);
	cr_assert_eq(r->identification, 0x80000001u);
	cr_assert(pkt.fragment);
	cr_assert(!pkt.has_ports);
}

Test(decode_ipv6ext, non_first_fragment_stops_after_its_record)
{
	struct frame f = { 0 };
	build_ipv6_fragment(&f, 185, false);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH, T_FRAG6);
	Types__IPv6Fragment *r = record(T_FRAG6, 0);
	cr_assert_eq(r->fragmentoffset, 185);
	cr_assert(!r->morefragments);
	cr_assert(pkt.fragment);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert(!pkt.has_ports);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->srcport, 0);
}

Test(decode_ipv6ext, atomic_fragment_decodes_its_payload_whole)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 44, 8 + 8 + HELLO_LEN, &ipv6_doc);
	PUT(&f, 17, 0, 0, 0);                      /* offset 0, M clear */
	put32(&f, 7);
	put_udp(&f, 4000, 4001, 8 + HELLO_LEN);
	put(&f, hello, HELLO_LEN);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_FRAG6, T_UDP);
	cr_assert(!((Types__IPv6Fragment *)record(T_FRAG6, 0))->morefragments);
	cr_assert(!pkt.ip_partial);
	cr_assert(!pkt.fragment);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
}

Test(decode_ipv6ext, fragment_header_past_the_payload_length)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 44, 4, &ipv6_doc);      /* the header needs 8 */
	PUT(&f, 17, 0, 0, 1, 0, 0, 0, 1);
	decode(&f);
	expect_error(PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
}

/* ---- routing -------------------------------------------------------- */

/* Ethernet, IPv6 (ipv6_doc), a routing header of `units` 8-byte units
 * after its first 8 bytes: type, segments left and the 4 type-specific
 * bytes, then `data` (units * 8 bytes), then UDP 4000 > 4001 with hello. */
static void build_routing(struct frame *f, uint8_t type, uint8_t segments_left,
			  const uint8_t word[4], uint8_t units, const uint8_t *data)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 43, 8 + units * 8u + 8 + HELLO_LEN, &ipv6_doc);
	PUT(f, 17, units, type, segments_left);
	put(f, word, 4);
	put(f, data, units * 8u);
	put_udp(f, 4000, 4001, 8 + HELLO_LEN);
	put(f, hello, HELLO_LEN);
}

static const uint8_t zero_word[4];
static uint8_t addresses[255 * 8]; /* any content: addresses, compressed or not */

/* The routing header is walked, the UDP record reached, and `reason`
 * (or nothing, with REASON_COUNT) counted once for IPv6Extension. */
static void expect_routing(const struct frame *f, enum decode_reason reason)
{
	uint64_t before[REASON_COUNT];
	for (int i = 0; i < REASON_COUNT; i++)
		before[i] = ext_events(i);
	decode(f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_UDP);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.src_port, 4000);
	for (int i = 0; i < REASON_COUNT; i++)
		cr_assert_eq(ext_events(i) - before[i], (uint64_t)(i == (int)reason),
			     "IPv6Extension/%s counted %llu times", decode_reason_names[i],
			     (unsigned long long)(ext_events(i) - before[i]));
}

Test(decode_ipv6ext, routing_type_0)
{
	struct frame f = { 0 }, odd = { 0 }, beyond = { 0 };
	build_routing(&f, 0, 2, zero_word, 4, addresses);         /* two addresses */
	expect_routing(&f, REASON_COUNT);
	build_routing(&odd, 0, 0, zero_word, 3, addresses);       /* 1.5 addresses */
	expect_routing(&odd, REASON_BAD_HEADER_LENGTH);
	build_routing(&beyond, 0, 3, zero_word, 4, addresses);    /* 3 left of 2 */
	expect_routing(&beyond, REASON_BAD_VALUE);
}

Test(decode_ipv6ext, routing_type_2_mobile_ipv6)
{
	struct frame f = { 0 }, two = { 0 }, left = { 0 };
	build_routing(&f, 2, 1, zero_word, 2, addresses);
	expect_routing(&f, REASON_COUNT);
	build_routing(&two, 2, 1, zero_word, 4, addresses);       /* two home addresses */
	expect_routing(&two, REASON_BAD_HEADER_LENGTH);
	build_routing(&left, 2, 0, zero_word, 2, addresses);
	expect_routing(&left, REASON_BAD_VALUE);
}

Test(decode_ipv6ext, routing_type_3_rpl)
{
	/* CmprI 8, CmprE 8: addresses of 8 bytes; Pad 0: 16 bytes hold 2. */
	const uint8_t word[4] = { 0x88, 0x00, 0, 0 };
	struct frame f = { 0 }, padded = { 0 }, ragged = { 0 }, beyond = { 0 };
	build_routing(&f, 3, 2, word, 2, addresses);
	expect_routing(&f, REASON_COUNT);
	/* CmprI 15, CmprE 14: 1-byte addresses, a last one of 2, Pad 5: 8
	 * bytes = 1 + 2 + 5: two addresses. */
	const uint8_t word_pad[4] = { 0xfe, 0x50, 0, 0 };
	build_routing(&padded, 3, 2, word_pad, 1, addresses);
	expect_routing(&padded, REASON_COUNT);
	/* CmprI 0 (16 bytes each), CmprE 8 (a last address of 8), Pad 0: in
	 * 16 bytes, 16 - 8 = 8 bytes are not a whole address. */
	const uint8_t word_ragged[4] = { 0x08, 0x00, 0, 0 };
	build_routing(&ragged, 3, 1, word_ragged, 2, addresses);
	expect_routing(&ragged, REASON_BAD_HEADER_LENGTH);
	build_routing(&beyond, 3, 3, word, 2, addresses);         /* 3 left of 2 */
	expect_routing(&beyond, REASON_BAD_VALUE);

	/* Pad and the last address larger than the header. */
	struct frame pad = { 0 };
	const uint8_t word_big_pad[4] = { 0x00, 0xf0, 0, 0 };
	build_routing(&pad, 3, 0, word_big_pad, 1, addresses);
	expect_routing(&pad, REASON_BAD_HEADER_LENGTH);
}

Test(decode_ipv6ext, routing_type_4_segment_routing)
{
	/* Last Entry 1: two segments (32 bytes), then a PadN TLV of 6 bytes
	 * and a Pad1 and one more Pad1: 40 bytes, 5 units. */
	uint8_t data[40] = { 0 };
	data[32] = 4;                  /* PadN */
	data[33] = 4;                  /* 4 bytes of padding */
	const uint8_t word[4] = { 1, 0, 0x12, 0x34 };
	struct frame f = { 0 };
	build_routing(&f, 4, 1, word, 5, data);
	expect_routing(&f, REASON_COUNT);

	/* Last Entry 4: five segments do not fit in 40 bytes. */
	const uint8_t word_long[4] = { 4, 0, 0, 0 };
	struct frame lying = { 0 };
	build_routing(&lying, 4, 1, word_long, 5, data);
	expect_routing(&lying, REASON_BAD_HEADER_LENGTH);

	/* Segments Left 3 of 2 segments. */
	struct frame beyond = { 0 };
	build_routing(&beyond, 4, 3, word, 5, data);
	expect_routing(&beyond, REASON_BAD_VALUE);

	/* A TLV running past the header. */
	data[33] = 9;
	struct frame tlv = { 0 };
	build_routing(&tlv, 4, 1, word, 5, data);
	expect_routing(&tlv, REASON_BAD_OPTION);

	/* Last Entry 255: 256 segments; the largest header holds 127. */
	const uint8_t word_max[4] = { 255, 0, 0, 0 };
	struct frame max = { 0 };
	build_routing(&max, 4, 0, word_max, 255, addresses);
	expect_routing(&max, REASON_BAD_HEADER_LENGTH);
}

Test(decode_ipv6ext, routing_of_unknown_type_is_walked_and_counted)
{
	struct frame f = { 0 };
	build_routing(&f, 253, 0, zero_word, 1, addresses);
	expect_routing(&f, REASON_UNKNOWN_PROTOCOL);
}

/* ---- chains --------------------------------------------------------- */

/* Destination options, routing type 0 (one address), an atomic fragment,
 * destination options again, then TCP 443 > 50001: a chain in RFC 8200's
 * order (AH sits in the ipsec tests' chain). */
static void build_long_chain(struct frame *f)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 60, 8 + 24 + 8 + 8 + 20, &ipv6_doc);
	PUT(f, 43, 0, 0x01, 0x04, 0, 0, 0, 0);             /* dest options, PadN 4 */
	PUT(f, 44, 2, 0, 1, 0, 0, 0, 0);                   /* routing type 0 */
	put_fill(f, 0x20, 16);
	PUT(f, 60, 0, 0, 0, 0, 0, 0, 9);                   /* atomic fragment */
	PUT(f, 6, 0, 0x00, 0x01, 0x03, 0, 0, 0);           /* dest options: Pad1, PadN 3 */
	put_tcp(f, 443, 50001, 0x10, false, NULL, 0);
}

Test(decode_ipv6ext, destination_options_twice_routing_and_fragment_reach_tcp)
{
	struct frame f = { 0 };
	build_long_chain(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_FRAG6, T_TCP);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(((Types__IPv6Fragment *)record(T_FRAG6, 0))->identification, 9);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->dstport, 50001);
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->nextheader, 60);
}

Test(decode_ipv6ext, every_cut_of_a_chain_is_truncated_never_read_past)
{
	struct frame f = { 0 };
	build_long_chain(&f);
	for (uint32_t cut = 0; cut < f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		cr_assert(pkt.error, "cut %u: no fault", cut);
		cr_assert_eq(pkt.error_reason, REASON_TRUNCATED, "cut %u: %s/%s", cut,
			     decode_protocol_names[pkt.error_proto],
			     decode_reason_names[pkt.error_reason]);
		cr_assert(pkt.n_rec < 4);
	}
	decode_cut(&f, LINK_ETHERNET, f.len);
	expect_clean();
}

Test(decode_ipv6ext, corrupted_chains_stay_in_bounds)
{
	struct frame f = { 0 };
	build_long_chain(&f);
	corrupt_and_decode(&f, LINK_ETHERNET, 0x1b6e, NULL);
	struct frame g = { 0 };
	build_ipv6_fragment(&g, 0, true);
	corrupt_and_decode(&g, LINK_ETHERNET, 0x2c7f, NULL);
}

Test(decode_ipv6ext, mobility_header_ends_the_packet)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 135, 16, &ipv6_doc);
	/* payload proto 59, length 1 (16 bytes), binding refresh request */
	PUT(&f, 59, 1, 0, 0, 0x12, 0x34, 0, 0);
	put_fill(&f, 0, 8);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
	cr_assert_eq(pkt.ip_proto, 135);

	/* Even a payload proto that names TCP has nothing above it decoded. */
	f.b[ETH_HEADER + 40] = 6;
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);
	cr_assert_eq(pkt.ip_proto, 135);

	/* Its length past the payload length. */
	f.b[ETH_HEADER + 41] = 2;
	decode(&f);
	expect_error(PROTO_IPV6_EXT, REASON_BAD_HEADER_LENGTH);
}

Test(decode_ipv6ext, headers_without_decoder_are_walked_and_counted)
{
	const uint8_t generic[] = { 139, 140, 253, 254 };
	for (size_t i = 0; i < COUNT_OF(generic); i++) {
		struct frame f = { 0 };
		put_ethernet(&f, 0x86dd);
		put_ipv6_with(&f, generic[i], 16 + 8 + HELLO_LEN, &ipv6_doc);
		PUT(&f, 17, 1, 0xaa, 0xbb, 0, 0, 0, 0);
		put_fill(&f, 0xcc, 8);
		put_udp(&f, 4000, 4001, 8 + HELLO_LEN);
		put(&f, hello, HELLO_LEN);
		uint64_t before = ext_events(REASON_UNKNOWN_PROTOCOL);
		decode(&f);
		expect_unknown(PROTO_IPV6_EXT);
		EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_UDP);
		cr_assert_eq(ext_events(REASON_UNKNOWN_PROTOCOL) - before, 1);
		cr_assert_eq(pkt.ip_proto, 17);
	}
}

/* A chain of n destination-options headers, the last with no next header. */
static void build_dstopts_chain(struct frame *f, int n)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 60, 8u * n, &ipv6_doc);
	for (int i = 0; i < n; i++)
		PUT(f, i == n - 1 ? 59 : 60, 0, 0x01, 0x04, 0, 0, 0, 0);
}

Test(decode_ipv6ext, chain_longer_than_the_cap_is_too_deep)
{
	struct frame ok = { 0 }, over = { 0 };
	build_dstopts_chain(&ok, 16);
	decode(&ok);
	expect_clean();
	cr_assert_eq(pkt.ip_proto, 59);

	build_dstopts_chain(&over, 17);
	uint64_t before = ext_events(REASON_TOO_DEEP);
	decode(&over);
	expect_error(PROTO_IPV6_EXT, REASON_TOO_DEEP);
	cr_assert_eq(ext_events(REASON_TOO_DEEP) - before, 1);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);

	/* A leading hop-by-hop header counts towards the cap. */
	struct frame hbh = { 0 };
	put_ethernet(&hbh, 0x86dd);
	put_ipv6_with(&hbh, 0, 8u * 17, &ipv6_doc);
	PUT(&hbh, 60, 0, 0x01, 0x04, 0, 0, 0, 0);
	for (int i = 0; i < 16; i++)
		PUT(&hbh, i == 15 ? 59 : 60, 0, 0x01, 0x04, 0, 0, 0, 0);
	decode(&hbh);
	expect_error(PROTO_IPV6_EXT, REASON_TOO_DEEP);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_HBH);
}

Test(decode_ipv6ext, the_cap_is_per_chain_and_the_depth_bounds_nesting)
{
	/* 14 IPv6 headers, each inside the one before and each with a chain
	 * of 16 destination options headers: the chains are no layers, so
	 * Ethernet and 15 IPv6 layers make PACKET_MAX_DEPTH as without them;
	 * a 15th nested IPv6 header would be refused. */
	static struct frame f;
	f.len = 0;
	const int nested = 14, chain = 16;
	put_ethernet(&f, 0x86dd);
	for (int i = 0; i < nested; i++) {
		uint32_t rest = (uint32_t)(nested - 1 - i) * (40 + 8 * chain);
		put_ipv6_with(&f, 60, 8u * chain + rest, &ipv6_doc);
		for (int h = 0; h < chain; h++)
			PUT(&f, h < chain - 1 ? 60 : i == nested - 1 ? 59 : 41,
			    0, 0x01, 0x04, 0, 0, 0, 0);
	}
	decode(&f);
	expect_clean();
	cr_assert_eq(pkt.n_rec, 1 + nested);

	/* One more level: Ethernet and 16 IPv6 layers. */
	f.len = 0;
	put_ethernet(&f, 0x86dd);
	for (int i = 0; i < 16; i++) {
		uint32_t rest = (uint32_t)(16 - 1 - i) * (40 + 8);
		put_ipv6_with(&f, 60, 8 + rest, &ipv6_doc);
		PUT(&f, i == 15 ? 59 : 41, 0, 0x01, 0x04, 0, 0, 0, 0);
	}
	decode(&f);
	expect_error(PROTO_IPV6, REASON_TOO_DEEP);
	cr_assert_eq(pkt.n_rec, PACKET_MAX_DEPTH);
}

Test(decode_ipv6ext, segment_routing_header_carrying_ethernet)
{
	/* SRv6 L2 service (RFC 8986): SRH with next header 143, then an
	 * Ethernet frame carrying IPv6 and UDP. */
	const uint8_t word[4] = { 0, 0, 0, 0 };       /* Last Entry 0: one segment */
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 43, 8 + 16 + ETH_HEADER + 40 + 8, &ipv6_doc);
	PUT(&f, 143, 2, 4, 0);
	put(&f, word, 4);
	put(&f, addresses, 16);
	put_ethernet(&f, 0x86dd);
	put_ipv6(&f, 17, 8);
	put_udp(&f, 4000, 4001, 8);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_ETHERNET, T_IPV6, T_UDP);
	cr_assert_str_eq(((Types__UDP *)record(T_UDP, 0))->srcip, "fe80::1");
}
