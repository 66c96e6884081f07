/* test_decode_ipsec.c: the IPsec decoders (ipsec.c): every field of the
 * IPSecAH and IPSecESP records, AH after IPv4 and inside IPv6's extension
 * chain with the transport decoded after it, ESP ending the packet, SPI
 * and sequence numbers from 2^31 (int32 in the schema), and the faults:
 * AH lengths that lie or cut the header below its fixed part, short ESP
 * headers, and every cut of both.
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
	T_ETHERNET, T_IPV4, T_IPV6, T_FRAG6, T_AH, T_ESP, T_TCP, T_UDP,
};

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_ipsec, .init = setup, .fini = teardown_decoder);

static const uint8_t icv[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* AH of 24 bytes (payload length 4): next header, Reserved 0x1234, SPI
 * 0x80000001, sequence 0xfffffffe, a 12-byte ICV. */
static void put_ah(struct frame *f, uint8_t next)
{
	PUT(f, next, 4, 0x12, 0x34);
	put32(f, 0x80000001);
	put32(f, 0xfffffffe);
	put(f, icv, sizeof icv);
}

static void expect_ah(const Types__IPSecAH *r, const char *src, const char *dst)
{
	cr_assert_not_null(r);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->reserved, 0x1234);
	cr_assert_eq(r->spi, (int32_t)0x80000001u);   /* the uint32 bits, as netcap */
	cr_assert_eq(r->seq, -2);
	expect_bytes(r->authenticationdata, icv, sizeof icv);
	cr_assert_str_eq(r->srcip, src);
	cr_assert_str_eq(r->dstip, dst);
}

/* Ethernet, IPv4, AH, UDP 4000 > 4001 with hello. */
static void build_ah_ipv4(struct frame *f)
{
	put_ethernet(f, 0x0800);
	put_ipv4(f, 51, 24 + 8 + HELLO_LEN);
	put_ah(f, 17);
	put_udp(f, 4000, 4001, 8 + HELLO_LEN);
	put(f, hello, HELLO_LEN);
}

/* Ethernet, IPv6, destination options, AH, TCP 443 > 50001. */
static void build_ah_ipv6(struct frame *f)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 60, 8 + 24 + 20, &ipv6_doc);
	PUT(f, 51, 0, 0x01, 0x04, 0, 0, 0, 0);
	put_ah(f, 6);
	put_tcp(f, 443, 50001, 0x18, false, NULL, 0);
}

Test(decode_ipsec, ah_after_ipv4_then_udp)
{
	struct frame f = { 0 };
	build_ah_ipv4(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_AH, T_UDP);
	expect_ah(record(T_AH, 0), "192.168.1.10", "10.0.0.1");
	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->protocol, 51);
	cr_assert_eq(ip->srcport, 4000);      /* back-filled through AH */
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
}

Test(decode_ipsec, ah_in_the_ipv6_chain_then_tcp)
{
	struct frame f = { 0 };
	build_ah_ipv6(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_AH, T_TCP);
	expect_ah(record(T_AH, 0), "2001:db8::1", "2001:db8::2");
	cr_assert_eq(((Types__IPv6 *)record(T_IPV6, 0))->dstport, 50001);
	cr_assert_eq(pkt.ip_proto, 6);
}

Test(decode_ipsec, ah_with_no_next_header_and_without_icv)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 51, 12);
	PUT(&f, 59, 1, 0, 0);                  /* (1 + 2) * 4 = 12: no ICV */
	put32(&f, 5);
	put32(&f, 6);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_AH);
	Types__IPSecAH *r = record(T_AH, 0);
	cr_assert_eq(r->spi, 5);
	cr_assert_eq(r->seq, 6);
	cr_assert_eq(r->authenticationdata.len, 0);
	cr_assert_eq(pkt.ip_proto, 59);
}

Test(decode_ipsec, ah_lying_lengths)
{
	struct frame f = { 0 };
	build_ah_ipv4(&f);

	/* Payload length 0: an 8-byte header, below AH's fixed 12. */
	struct frame bad = f;
	bad.b[IPV4_AT + IPV4_HEADER + 1] = 0;
	decode(&bad);
	expect_error(PROTO_IPSEC_AH, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	/* An ICV past the IPv4 total length, frame not cut. */
	bad = f;
	bad.b[IPV4_AT + IPV4_HEADER + 1] = 20;
	decode(&bad);
	expect_error(PROTO_IPSEC_AH, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	/* The same in IPv6's chain. */
	struct frame g = { 0 };
	build_ah_ipv6(&g);
	g.b[ETH_HEADER + 40 + 8 + 1] = 30;
	decode(&g);
	expect_error(PROTO_IPSEC_AH, REASON_BAD_HEADER_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV6);

	/* An IPv4 total length that leaves less than AH's fixed part. */
	struct frame shortened = { 0 };
	put_ethernet(&shortened, 0x0800);
	put_ipv4(&shortened, 51, 8);
	PUT(&shortened, 17, 4, 0, 0, 0, 0, 0, 1);
	put_fill(&shortened, 0, 30);           /* beyond the total length */
	decode(&shortened);
	expect_error(PROTO_IPSEC_AH, REASON_BAD_LENGTH);
}

Test(decode_ipsec, every_cut_of_ah_is_truncated_never_read_past)
{
	struct frame v4 = { 0 }, v6 = { 0 };
	build_ah_ipv4(&v4);
	build_ah_ipv6(&v6);
	const struct frame *frames[] = { &v4, &v6 };
	/* Every header is whole once the UDP payload starts (v4; a cut payload
	 * is no fault) or the TCP header ends (v6). */
	const uint32_t headers[] = { v4.len - HELLO_LEN, v6.len };
	for (size_t i = 0; i < COUNT_OF(frames); i++) {
		for (uint32_t cut = 0; cut < headers[i]; cut++) {
			decode_cut(frames[i], LINK_ETHERNET, cut);
			cr_assert(pkt.error, "cut %u: no fault", cut);
			cr_assert_eq(pkt.error_reason, REASON_TRUNCATED, "cut %u: %s/%s", cut,
				     decode_protocol_names[pkt.error_proto],
				     decode_reason_names[pkt.error_reason]);
		}
		for (uint32_t cut = headers[i]; cut <= frames[i]->len; cut++) {
			decode_cut(frames[i], LINK_ETHERNET, cut);
			expect_clean();
			cr_assert_not_null(record(T_AH, 0));
		}
	}
	corrupt_and_decode(&v4, LINK_ETHERNET, 0x51a4, NULL);
	corrupt_and_decode(&v6, LINK_ETHERNET, 0x51a6, NULL);
}

/* ---- ESP ------------------------------------------------------------ */

/* Ethernet, IPv4, ESP with SPI 0xfedcba98, sequence 7 and n bytes after
 * the header, then 4 bytes of Ethernet padding. */
static void build_esp_ipv4(struct frame *f, uint32_t n)
{
	put_ethernet(f, 0x0800);
	put_ipv4(f, 50, 8 + n);
	put32(f, 0xfedcba98);
	put32(f, 7);
	put_fill(f, 0x5a, n);
	put_fill(f, 0, 4);
}

Test(decode_ipsec, esp_after_ipv4_ends_the_packet)
{
	struct frame f = { 0 };
	build_esp_ipv4(&f, 36);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_ESP);
	Types__IPSecESP *r = record(T_ESP, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->spi, (int32_t)0xfedcba98u);
	cr_assert_eq(r->seq, 7);
	cr_assert_eq(r->lenencrypted, 36);    /* not the link padding */
	cr_assert_str_eq(r->srcip, "192.168.1.10");
	cr_assert_str_eq(r->dstip, "10.0.0.1");
	cr_assert_eq(pkt.ip_proto, 50);
	cr_assert(!pkt.has_ports);
}

Test(decode_ipsec, esp_after_ipv6_extensions_and_ah)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x86dd);
	put_ipv6_with(&f, 60, 8 + 24 + 8 + 16, &ipv6_doc);
	PUT(&f, 51, 0, 0x01, 0x04, 0, 0, 0, 0);
	put_ah(&f, 50);
	put32(&f, 1);
	put32(&f, 2);
	put_fill(&f, 0x77, 16);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV6, T_AH, T_ESP);
	Types__IPSecESP *r = record(T_ESP, 0);
	cr_assert_eq(r->spi, 1);
	cr_assert_eq(r->seq, 2);
	cr_assert_eq(r->lenencrypted, 16);
	cr_assert_str_eq(r->srcip, "2001:db8::1");
	cr_assert_eq(pkt.ip_proto, 50);
}

Test(decode_ipsec, esp_short_header_and_cuts)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x0800);
	put_ipv4(&f, 50, 6);
	put32(&f, 0xfedcba98);
	PUT(&f, 0, 7);
	decode(&f);
	expect_error(PROTO_IPSEC_ESP, REASON_BAD_LENGTH);     /* the IPv4 length lies */
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	struct frame g = { 0 };
	build_esp_ipv4(&g, 20);
	uint32_t whole = ETH_HEADER + IPV4_HEADER + 8;
	for (uint32_t cut = 0; cut < whole; cut++) {
		decode_cut(&g, LINK_ETHERNET, cut);
		cr_assert_eq(pkt.error_reason, REASON_TRUNCATED, "cut %u", cut);
	}
	for (uint32_t cut = whole; cut <= g.len; cut++) {
		decode_cut(&g, LINK_ETHERNET, cut);
		expect_clean();
		uint32_t want = cut - whole < 20 ? cut - whole : 20;
		cr_assert_eq(((Types__IPSecESP *)record(T_ESP, 0))->lenencrypted, (int32_t)want);
	}
	corrupt_and_decode(&g, LINK_ETHERNET, 0xe5b0, NULL);
}

/* ---- ESP in UDP (RFC 3948) ------------------------------------------- */

/* Ethernet, IPv4, UDP 4500 > 4500 with the n bytes of payload given. */
static void build_udp_4500(struct frame *f, const uint8_t *payload, uint32_t n)
{
	put_ethernet(f, 0x0800);
	put_ipv4(f, 17, 8 + n);
	put_udp(f, 4500, 4500, 8 + n);
	put(f, payload, n);
}

Test(decode_ipsec, esp_in_udp_4500)
{
	const uint8_t esp[] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 3, 0xaa, 0xbb, 0xcc, 0xdd };
	struct frame f = { 0 };
	build_udp_4500(&f, esp, sizeof esp);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_ESP);
	Types__IPSecESP *r = record(T_ESP, 0);
	cr_assert_eq(r->spi, 0x12345678);
	cr_assert_eq(r->seq, 3);
	cr_assert_eq(r->lenencrypted, 4);
	cr_assert_eq(pkt.ip_proto, 17);

	/* IKE after the non-ESP marker, and a NAT keepalive: no ESP. */
	const uint8_t ike[] = { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct frame g = { 0 };
	build_udp_4500(&g, ike, sizeof ike);
	decode(&g);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	const uint8_t keepalive[] = { 0xff };
	struct frame k = { 0 };
	build_udp_4500(&k, keepalive, sizeof keepalive);
	decode(&k);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);

	/* Too short for ESP's header. */
	const uint8_t stub[] = { 0x12, 0x34, 0x56 };
	struct frame s = { 0 };
	build_udp_4500(&s, stub, sizeof stub);
	decode(&s);
	expect_error(PROTO_IPSEC_ESP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
}
