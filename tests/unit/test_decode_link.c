/* test_decode_link.c: the link-layer decoders (lib/decode): Dot1Q tags
 * (and QinQ), ARP, LLC and SNAP over IEEE 802.3 frames (Ethernet's length
 * form), the Ethernet configuration testing protocol (EthernetCTP,
 * EthernetCTPReply), LLDP (LinkLayerDiscovery and LinkLayerDiscoveryInfo),
 * and the Linux cooked (SLL, SLL2), BSD loopback (NULL, LOOP) and raw IP
 * link types.
 *
 * Frames are built byte by byte (tests/support/frames.h) so that every
 * expected value is known independently of the decoders: well-formed frames check
 * every field of their records; cuts at every length, sizes and lengths that
 * lie, TLV lists that never end or run past the frame, and skip counts past
 * the data check that decoding stops at the faulty layer with the right
 * (protocol, reason), keeps only the records of the layers before it, and
 * that a next layer without a decoder is an unknown layer, not a fault.
 * Each frame is decoded from a heap block of exactly the captured size, so
 * AddressSanitizer sees any read past it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../support/frames.h"

static const int all_types[] = {
	T_ETHERNET, T_DOT1Q, T_IPV4, T_IPV6, T_TCP, T_UDP, T_ARP, T_LLC, T_SNAP, T_CTP, T_CTP_REPLY,
	T_LLDP, T_LLDP_INFO,
};

static void setup(void) { setup_decoder(1 << 20, all_types, COUNT_OF(all_types)); }

TestSuite(decode_link, .init = setup, .fini = teardown_decoder);

/* An 802.3 header whose length is filled in by end_8023(). */
static void begin_8023(struct frame *f) { put_ethernet(f, 0); }
static void end_8023(struct frame *f) { f->b[12] = (uint8_t)((f->len - ETH_HEADER) >> 8); f->b[13] = (uint8_t)(f->len - ETH_HEADER); }

/* IPv4/UDP with "hello": the upper layers the link decoders hand over to. */
static void put_ipv4_udp_hello(struct frame *f)
{
	put_ipv4(f, 17, UDP_HEADER + HELLO_LEN);
	put_udp(f, 1000, 2000, UDP_HEADER + HELLO_LEN);
	put(f, hello, HELLO_LEN);
}

/* ---- Dot1Q ---------------------------------------------------------- */

Test(decode_link, qinq_gives_one_dot1q_record_per_tag)
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

Test(decode_link, dot1q_truncated)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x8100);
	PUT(&f, 0x00, 0x64, 0x08);
	decode(&f);
	expect_error(PROTO_DOT1Q, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET);
	cr_assert_eq(ctx.stats.events[PROTO_DOT1Q][REASON_TRUNCATED], 1);
}

/* ---- ARP ------------------------------------------------------------ */

static void put_arp(struct frame *f, uint16_t hw_type, uint16_t proto_type, uint8_t hw_size,
		    uint8_t proto_size, uint16_t op, const uint8_t *sha, const uint8_t *spa,
		    const uint8_t *tha, const uint8_t *tpa)
{
	put16(f, hw_type);
	put16(f, proto_type);
	PUT(f, hw_size, proto_size);
	put16(f, op);
	put(f, sha, hw_size);
	put(f, spa, proto_size);
	put(f, tha, hw_size);
	put(f, tpa, proto_size);
}

static const uint8_t sha[6] = { 0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79 };
static const uint8_t spa[4] = { 192, 168, 1, 104 };
static const uint8_t tha[6] = { 0, 0, 0, 0, 0, 0 };
static const uint8_t tpa[4] = { 192, 168, 1, 1 };
#define ARP_IPV4_LEN (8 + 2 * 6 + 2 * 4)

static void build_arp_request(struct frame *f)
{
	put_ethernet(f, 0x0806);
	put_arp(f, 1, 0x0800, 6, 4, 1, sha, spa, tha, tpa);
	pad_to(f, 60);
}

Test(decode_link, arp_request_every_field)
{
	struct frame f = { 0 };
	build_arp_request(&f);
	decode(&f);

	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_ARP);
	Types__Ethernet *eth = record(T_ETHERNET, 0);
	cr_assert_eq(eth->ethernettype, 0x0806);
	Types__ARP *r = record(T_ARP, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->addrtype, 1);
	cr_assert_eq(r->protocol, 0x0800);
	cr_assert_eq(r->hwaddresssize, 6);
	cr_assert_eq(r->protocoladdresssize, 4);
	cr_assert_eq(r->operation, 1);
	cr_assert_str_eq(r->srchwaddress, "00:1f:29:da:2d:79");
	cr_assert_str_eq(r->srcprotocoladdress, "192.168.1.104");
	cr_assert_str_eq(r->dsthwaddress, "00:00:00:00:00:00");
	cr_assert_str_eq(r->dstprotocoladdress, "192.168.1.1");
}

Test(decode_link, arp_addresses_of_other_sizes)
{
	/* 8-byte hardware addresses and IPv6 protocol addresses; then no
	 * hardware address and 2-byte protocol addresses. */
	static const uint8_t hw8[8] = { 1, 2, 3, 4, 5, 6, 7, 0xab };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t two[2] = { 0xbe, 0xef };
	struct frame f = { 0 };
	put_ethernet(&f, 0x0806);
	put_arp(&f, 27, 0x86dd, 8, 16, 2, hw8, v6, hw8, v6);
	decode(&f);
	expect_clean();
	Types__ARP *r = record(T_ARP, 0);
	cr_assert_eq(r->addrtype, 27);
	cr_assert_eq(r->protocol, 0x86dd);
	cr_assert_eq(r->operation, 2);
	cr_assert_str_eq(r->srchwaddress, "01:02:03:04:05:06:07:ab");
	cr_assert_str_eq(r->srcprotocoladdress, "2001:db8::1");
	cr_assert_str_eq(r->dstprotocoladdress, "2001:db8::1");

	struct frame g = { 0 };
	put_ethernet(&g, 0x0806);
	put_arp(&g, 1, 0x1234, 0, 2, 9, two, two, two, two);
	decode(&g);
	expect_clean();
	r = record(T_ARP, 0);
	cr_assert_str_eq(r->srchwaddress, "");
	cr_assert_str_eq(r->dsthwaddress, "");
	cr_assert_str_eq(r->srcprotocoladdress, "be:ef");
	cr_assert_eq(r->hwaddresssize, 0);
	cr_assert_eq(r->protocoladdresssize, 2);
}

Test(decode_link, arp_truncated_at_every_length)
{
	struct frame f = { 0 };
	build_arp_request(&f);
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else if (cut < ETH_HEADER + ARP_IPV4_LEN) {
			expect_error(PROTO_ARP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else {
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_ARP);
		}
	}
}

Test(decode_link, arp_sizes_that_lie)
{
	/* A whole 60-byte frame (not cut) whose sizes need more than it has:
	 * the sizes lie. */
	const uint8_t sizes[][2] = { { 134, 4 }, { 6, 36 }, { 255, 255 }, { 6, 16 } };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		struct frame f = { 0 };
		build_arp_request(&f);
		f.b[ETH_HEADER + 4] = sizes[i][0];
		f.b[ETH_HEADER + 5] = sizes[i][1];
		decode(&f);
		expect_error(PROTO_ARP, REASON_BAD_LENGTH);
		EXPECT_RECORDS(T_ETHERNET);
	}
	cr_assert_eq(ctx.stats.events[PROTO_ARP][REASON_BAD_LENGTH], 4);
}

/* ---- LLC and SNAP --------------------------------------------------- */

Test(decode_link, llc_unnumbered_frame_every_field)
{
	/* A spanning tree BPDU: 802.3, LLC 42 42 03, then STP (no decoder). */
	struct frame f = { 0 };
	begin_8023(&f);
	PUT(&f, 0x42, 0x42, 0x03);
	PUT(&f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00);
	end_8023(&f);
	uint32_t length = f.len - ETH_HEADER;
	pad_to(&f, 60);
	decode(&f);

	expect_unknown(PROTO_LLC);
	EXPECT_RECORDS(T_ETHERNET, T_LLC);
	Types__Ethernet *eth = record(T_ETHERNET, 0);
	cr_assert_eq(eth->ethernettype, 0);
	cr_assert_eq(eth->payloadsize, length);
	Types__LLC *r = record(T_LLC, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->dsap, 0x42);
	cr_assert(!r->ig);
	cr_assert_eq(r->ssap, 0x42);
	cr_assert(!r->cr);
	cr_assert_eq(r->control, 0x03);
}

Test(decode_link, llc_information_and_supervisory_frames_have_two_control_bytes)
{
	/* Group DSAP (IG) and response SSAP (CR): the SAPs lose the low bit. */
	const uint8_t controls[][2] = {
		{ 0x00, 0x34 },  /* I: low bit 0 */
		{ 0x0e, 0x35 },  /* I */
		{ 0x01, 0x05 },  /* S: low bits 01 */
		{ 0x09, 0xfe },  /* S */
	};
	for (size_t i = 0; i < sizeof controls / sizeof *controls; i++) {
		struct frame f = { 0 };
		begin_8023(&f);
		PUT(&f, 0xf1, 0xf1, controls[i][0], controls[i][1], 'x');
		end_8023(&f);
		decode(&f);
		expect_unknown(PROTO_LLC);
		Types__LLC *r = record(T_LLC, 0);
		cr_assert_eq(r->dsap, 0xf0);
		cr_assert(r->ig);
		cr_assert_eq(r->ssap, 0xf0);
		cr_assert(r->cr);
		cr_assert_eq(r->control, controls[i][0] << 8 | controls[i][1]);
	}
}

Test(decode_link, llc_without_payload_is_not_unknown)
{
	/* An LLC TEST or XID command with nothing after the header. */
	struct frame f = { 0 };
	begin_8023(&f);
	PUT(&f, 0x00, 0x01, 0xf3);
	end_8023(&f);
	pad_to(&f, 60);
	decode(&f);
	expect_clean();
	Types__LLC *r = record(T_LLC, 0);
	cr_assert_eq(r->dsap, 0x00);
	cr_assert_eq(r->ssap, 0x00);
	cr_assert(r->cr);
	cr_assert_eq(r->control, 0xf3);
}

static void build_snap_ipv4(struct frame *f)
{
	begin_8023(f);
	PUT(f, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
	put_ipv4_udp_hello(f);
	end_8023(f);
	pad_to(f, 60);
}
#define SNAP_IPV4_AT (ETH_HEADER + 3 + 5)

Test(decode_link, snap_rfc1042_carries_an_ethertype)
{
	struct frame f = { 0 };
	build_snap_ipv4(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__LLC *llc = record(T_LLC, 0);
	cr_assert_eq(llc->dsap, 0xaa);
	cr_assert_eq(llc->ssap, 0xaa);
	cr_assert_eq(llc->control, 3);
	Types__SNAP *r = record(T_SNAP, 0);
	cr_assert_eq(r->timestamp, TS);
	expect_bytes(r->organizationalcode, "\0\0\0", 3);
	cr_assert_eq(r->type, 0x0800);
	/* The 802.3 length bounds the IP payload, not the padding. */
	cr_assert_eq(((Types__IPv4 *)record(T_IPV4, 0))->payloadsize, UDP_HEADER + HELLO_LEN);
	cr_assert_eq(pkt.app_len, HELLO_LEN);
}

Test(decode_link, snap_under_other_ouis_is_unknown)
{
	/* Cisco's CDP (00-00-0C, 0x2000) and an 802.1H bridge tunnel of ARP
	 * (00-00-F8, 0x0806, an ethertype). */
	struct frame f = { 0 };
	begin_8023(&f);
	PUT(&f, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 0x02, 0xb4, 0x12, 0x34);
	end_8023(&f);
	decode(&f);
	expect_unknown(PROTO_SNAP);
	EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP);
	Types__SNAP *r = record(T_SNAP, 0);
	expect_bytes(r->organizationalcode, "\x00\x00\x0c", 3);
	cr_assert_eq(r->type, 0x2000);

	struct frame g = { 0 };
	begin_8023(&g);
	PUT(&g, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0xf8, 0x08, 0x06);
	put_arp(&g, 1, 0x0800, 6, 4, 1, sha, spa, tha, tpa);
	end_8023(&g);
	decode(&g);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP, T_ARP);
}

Test(decode_link, ieee8023_payloads_without_llc)
{
	/* Length 0 (tshark: ethertype 0), Novell raw IPX (checksum 0xFFFF
	 * where the SAPs would be), Cisco ISL (by destination): no LLC. */
	struct frame f = { 0 };
	put_ethernet(&f, 0);
	PUT(&f, 0x45, 0x00, 0x00, 0x1c);
	pad_to(&f, 60);
	decode(&f);
	expect_unknown(PROTO_ETHERNET);
	EXPECT_RECORDS(T_ETHERNET);

	struct frame ipx = { 0 };
	begin_8023(&ipx);
	PUT(&ipx, 0xff, 0xff, 0x00, 0x1e, 0x00, 0x04);
	end_8023(&ipx);
	decode(&ipx);
	expect_unknown(PROTO_ETHERNET);
	EXPECT_RECORDS(T_ETHERNET);

	static const uint8_t isl_dst[2][6] = { { 0x01, 0x00, 0x0c, 0x00, 0x00, 0x00 },
					       { 0x0c, 0x00, 0x0c, 0x00, 0x00, 0x13 } };
	for (int i = 0; i < 2; i++) {
		struct frame isl = { 0 };
		put_ethernet_to(&isl, isl_dst[i], 0);
		PUT(&isl, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x00, 0x03, 0x00, 0x00);
		end_8023(&isl);
		decode(&isl);
		expect_unknown(PROTO_ETHERNET);
		EXPECT_RECORDS(T_ETHERNET);
	}
	/* 01-00-0C-CC-CC-CC (CDP, VTP, DTP) is not ISL. */
	static const uint8_t cdp_dst[6] = { 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc };
	struct frame cdp = { 0 };
	put_ethernet_to(&cdp, cdp_dst, 0);
	PUT(&cdp, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x04, 0x01);
	end_8023(&cdp);
	decode(&cdp);
	expect_unknown(PROTO_SNAP);
	EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP);
}

Test(decode_link, dot1q_with_an_8023_length_reaches_llc)
{
	struct frame f = { 0 };
	put_ethernet(&f, 0x8100);
	put16(&f, 0x0005);
	put16(&f, 3 + 5 + IPV4_HEADER + UDP_HEADER + HELLO_LEN);
	PUT(&f, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
	put_ipv4_udp_hello(&f);
	pad_to(&f, 64);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_DOT1Q, T_LLC, T_SNAP, T_IPV4, T_UDP);
	cr_assert_eq(((Types__Dot1Q *)record(T_DOT1Q, 0))->type, 3 + 5 + IPV4_HEADER + UDP_HEADER + HELLO_LEN);

	/* A VLAN-tagged raw IPX frame: unknown after the tag. */
	struct frame g = { 0 };
	put_ethernet(&g, 0x8100);
	put16(&g, 0x0005);
	put16(&g, 6);
	PUT(&g, 0xff, 0xff, 0x00, 0x1e, 0x00, 0x04);
	decode(&g);
	expect_unknown(PROTO_DOT1Q);
	EXPECT_RECORDS(T_ETHERNET, T_DOT1Q);
}

Test(decode_link, llc_snap_truncated_at_every_length)
{
	struct frame f = { 0 };
	build_snap_ipv4(&f);
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
			EXPECT_NO_RECORDS();
		} else if (cut < ETH_HEADER + 3) {
			expect_error(PROTO_LLC, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else if (cut < SNAP_IPV4_AT) {
			expect_error(PROTO_SNAP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_LLC);
		} else if (cut < SNAP_IPV4_AT + IPV4_HEADER) {
			expect_error(PROTO_IPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP);
		} else if (cut < SNAP_IPV4_AT + IPV4_HEADER + UDP_HEADER) {
			expect_error(PROTO_UDP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP, T_IPV4);
		} else {
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_LLC, T_SNAP, T_IPV4, T_UDP);
		}
	}
}

Test(decode_link, ieee8023_lengths_that_lie)
{
	/* A length too short for the LLC header of a whole 60-byte frame: the
	 * payload is cut to it, and LLC is truncated. An I-frame needs 4. */
	const uint16_t lengths[] = { 1, 2, 3 };
	for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
		struct frame f = { 0 };
		put_ethernet(&f, lengths[i]);
		PUT(&f, 0x06, 0x06, 0x00, 0x02);
		pad_to(&f, 60);
		decode(&f);
		expect_error(PROTO_LLC, REASON_TRUNCATED);
		EXPECT_RECORDS(T_ETHERNET);
		cr_assert_eq(((Types__Ethernet *)record(T_ETHERNET, 0))->payloadsize, lengths[i]);
	}
	/* A length beyond the frame: the payload is what was captured. */
	struct frame g = { 0 };
	put_ethernet(&g, 1500);
	PUT(&g, 0x42, 0x42, 0x03, 0, 0);
	decode(&g);
	expect_unknown(PROTO_LLC);
	cr_assert_eq(((Types__Ethernet *)record(T_ETHERNET, 0))->payloadsize, 5);
}

/* ---- EthernetCTP ---------------------------------------------------- */

static void build_ctp_reply(struct frame *f, uint16_t skip)
{
	put_ethernet(f, 0x9000);
	putle16(f, skip);
	putle16(f, 1);          /* reply */
	putle16(f, 0x1234);     /* receipt number */
	put(f, hello, HELLO_LEN);
}
#define CTP_AT ETH_HEADER

Test(decode_link, ctp_reply_every_field)
{
	struct frame f = { 0 };
	build_ctp_reply(&f, 0);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_CTP, T_CTP_REPLY);
	Types__EthernetCTP *c = record(T_CTP, 0);
	cr_assert_eq(c->timestamp, TS);
	cr_assert_eq(c->skipcount, 0);
	Types__EthernetCTPReply *r = record(T_CTP_REPLY, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->function, 1);
	cr_assert_eq(r->receiptnumber, 0x1234);
	expect_bytes(r->data, hello, HELLO_LEN);
	cr_assert_eq(ctx.stats.events[PROTO_CTP][REASON_BAD_VALUE], 0);
}

Test(decode_link, ctp_forward_messages_are_stepped_over)
{
	/* Two forward-data messages, then the reply; skip count 8 points at
	 * the second forward. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x9000);
	putle16(&f, 8);
	putle16(&f, 2);
	PUT(&f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
	putle16(&f, 2);
	PUT(&f, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb);
	putle16(&f, 1);
	putle16(&f, 7);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_CTP, T_CTP_REPLY);
	cr_assert_eq(((Types__EthernetCTP *)record(T_CTP, 0))->skipcount, 8);
	Types__EthernetCTPReply *r = record(T_CTP_REPLY, 0);
	cr_assert_eq(r->receiptnumber, 7);
	cr_assert_eq(r->data.len, 0);

	/* Forward messages up to the end of the frame: no reply, no fault. */
	struct frame g = { 0 };
	put_ethernet(&g, 0x9000);
	putle16(&g, 0);
	for (int i = 0; i < 150; i++) {
		putle16(&g, 2);
		PUT(&g, 1, 2, 3, 4, 5, 6);
	}
	decode(&g);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_CTP);
}

Test(decode_link, ctp_skip_count_past_the_data_is_noted)
{
	const uint16_t skips[] = { 0xfffe, 12, 10 };
	for (size_t i = 0; i < sizeof skips / sizeof *skips; i++) {
		struct frame f = { 0 };
		build_ctp_reply(&f, skips[i]);    /* 9 bytes after the skip count */
		decode(&f);
		expect_clean();
		EXPECT_RECORDS(T_ETHERNET, T_CTP, T_CTP_REPLY);
		cr_assert_eq(((Types__EthernetCTP *)record(T_CTP, 0))->skipcount, skips[i]);
		cr_assert_eq(((Types__EthernetCTPReply *)record(T_CTP_REPLY, 0))->receiptnumber, 0x1234);
	}
	cr_assert_eq(ctx.stats.events[PROTO_CTP][REASON_BAD_VALUE], 3);
	/* 6 points at the last two bytes: still inside. */
	struct frame g = { 0 };
	build_ctp_reply(&g, 6);
	decode(&g);
	cr_assert_eq(ctx.stats.events[PROTO_CTP][REASON_BAD_VALUE], 3);
}

Test(decode_link, ctp_odd_skip_count_and_unknown_function)
{
	struct frame f = { 0 };
	build_ctp_reply(&f, 3);
	decode(&f);
	expect_error(PROTO_CTP, REASON_BAD_VALUE);
	EXPECT_RECORDS(T_ETHERNET);

	struct frame g = { 0 };
	put_ethernet(&g, 0x9000);
	putle16(&g, 0);
	putle16(&g, 3);
	put(&g, hello, HELLO_LEN);
	decode(&g);
	expect_unknown(PROTO_CTP);
	EXPECT_RECORDS(T_ETHERNET, T_CTP);

	/* Nothing after the skip count. */
	struct frame h = { 0 };
	put_ethernet(&h, 0x9000);
	putle16(&h, 0);
	decode(&h);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_CTP);
}

Test(decode_link, ctp_truncated_at_every_length)
{
	/* skip, forward (8 bytes), reply (4 bytes) and data. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x9000);
	putle16(&f, 0);
	putle16(&f, 2);
	PUT(&f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
	putle16(&f, 1);
	putle16(&f, 9);
	put(&f, hello, HELLO_LEN);
	const uint32_t fwd = CTP_AT + 2, reply = fwd + 8, data = reply + 4;
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
		} else if (cut < fwd) {
			expect_error(PROTO_CTP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else if (cut == fwd || cut == reply) {
			/* The cut falls between two messages. */
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_CTP);
		} else if (cut < data) {
			expect_error(PROTO_CTP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_CTP);
		} else {
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_CTP, T_CTP_REPLY);
			expect_bytes(((Types__EthernetCTPReply *)record(T_CTP_REPLY, 0))->data, hello,
				     cut - data);
		}
	}
}

/* ---- LLDP ----------------------------------------------------------- */

static void put_tlv(struct frame *f, uint8_t type, const void *value, uint16_t len)
{
	put16(f, (uint32_t)type << 9 | len);
	if (len)
		put(f, value, len);
}
#define TLV(f, type, ...) do { const uint8_t v_[] = { __VA_ARGS__ }; \
	put_tlv((f), (type), v_, sizeof v_); } while (0)

static void put_mandatory(struct frame *f)
{
	TLV(f, 1, 4, 0x00, 0x19, 0x2f, 0xa7, 0xb2, 0x8d);   /* chassis: MAC */
	TLV(f, 2, 5, 'e', 't', 'h', '0');                  /* port: interface name */
	TLV(f, 3, 0, 120);                                 /* TTL */
}

static void put_end(struct frame *f) { put16(f, 0); }

/* 192.0.2.1, ifIndex 2, OID 1.3.6.1.4.1.9 */
static const uint8_t mgmt_ipv4[] = { 5, 1, 192, 0, 2, 1, 2, 0, 0, 0, 2, 6,
				     0x2b, 0x06, 0x01, 0x04, 0x01, 0x09 };

static void build_lldp(struct frame *f)
{
	put_ethernet(f, 0x88cc);
	put_mandatory(f);
	put_tlv(f, 4, "GigabitEthernet0/13", 19);
	put_tlv(f, 5, "S2.cisco.com", 12);
	put_tlv(f, 6, "IOS\nRelease", 11);
	TLV(f, 7, 0x07, 0x16, 0x00, 0x04);
	put_tlv(f, 8, mgmt_ipv4, sizeof mgmt_ipv4);
	TLV(f, 127, 0x00, 0x80, 0xc2, 0x01, 0x00, 0x01);
	TLV(f, 10, 0xde, 0xad, 0xbe);                      /* reserved type */
	TLV(f, 127, 0x00, 0x12, 0x0f, 0x04, 0x05, 0xee);
	put_end(f);
	pad_to(f, 300);
}

static void expect_value(Types__LinkLayerDiscoveryValue *v, int type, const void *value, size_t len)
{
	cr_assert_eq(v->type, type);
	cr_assert_eq(v->length, (int)len);
	expect_bytes(v->value, value, len);
}

Test(decode_link, lldp_every_field)
{
	struct frame f = { 0 };
	build_lldp(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_LLDP, T_LLDP_INFO);

	Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->chassisid->subtype, 4);
	expect_bytes(r->chassisid->id, "\x00\x19\x2f\xa7\xb2\x8d", 6);
	cr_assert_eq(r->portid->subtype, 5);
	expect_bytes(r->portid->id, "eth0", 4);
	cr_assert_eq(r->ttl, 120);
	cr_assert_eq(r->n_values, 8);
	expect_value(r->values[0], 4, "GigabitEthernet0/13", 19);
	expect_value(r->values[1], 5, "S2.cisco.com", 12);
	expect_value(r->values[2], 6, "IOS\nRelease", 11);
	expect_value(r->values[3], 7, "\x07\x16\x00\x04", 4);
	expect_value(r->values[4], 8, mgmt_ipv4, sizeof mgmt_ipv4);
	expect_value(r->values[5], 127, "\x00\x80\xc2\x01\x00\x01", 6);
	expect_value(r->values[6], 10, "\xde\xad\xbe", 3);
	expect_value(r->values[7], 127, "\x00\x12\x0f\x04\x05\xee", 6);

	Types__LinkLayerDiscoveryInfo *i = record(T_LLDP_INFO, 0);
	cr_assert_eq(i->timestamp, TS);
	cr_assert_str_eq(i->portdescription, "GigabitEthernet0/13");
	cr_assert_str_eq(i->sysname, "S2.cisco.com");
	cr_assert_str_eq(i->sysdescription, "IOS\nRelease");
	/* system 0x0716: Repeater, Bridge, Router, CVLAN, SVLAN, TMPR */
	Types__LLDPCapabilities *s = i->syscapabilities->systemcap;
	cr_assert(!s->other && s->repeater && s->bridge && !s->wlanap && s->router && !s->phone &&
		  !s->docsis && !s->stationonly && s->cvlan && s->svlan && s->tmpr);
	Types__LLDPCapabilities *e = i->syscapabilities->enabledcap;
	cr_assert(!e->other && !e->repeater && e->bridge && !e->wlanap && !e->router && !e->phone &&
		  !e->docsis && !e->stationonly && !e->cvlan && !e->svlan && !e->tmpr);
	Types__LLDPMgmtAddress *m = i->mgmtaddress;
	cr_assert_eq(m->subtype, 1);
	expect_bytes(m->address, "\xc0\x00\x02\x01", 4);
	cr_assert_eq(m->interfacesubtype, 2);
	cr_assert_eq(m->interfacenumber, 2);
	cr_assert_str_eq(m->oid, "1.3.6.1.4.1.9");
	cr_assert_eq(i->n_orgtlvs, 2);
	cr_assert_eq(i->orgtlvs[0]->oui, 0x0080c2);
	cr_assert_eq(i->orgtlvs[0]->subtype, 1);
	expect_bytes(i->orgtlvs[0]->info, "\x00\x01", 2);
	cr_assert_eq(i->orgtlvs[1]->oui, 0x00120f);
	cr_assert_eq(i->orgtlvs[1]->subtype, 4);
	expect_bytes(i->orgtlvs[1]->info, "\x05\xee", 2);
	cr_assert_eq(i->n_unknown, 1);
	expect_value(i->unknown[0], 10, "\xde\xad\xbe", 3);
}

Test(decode_link, lldp_only_mandatory_tlvs)
{
	/* No optional TLVs: empty Values, an Info record with empty text and
	 * all-false capabilities, still carrying both sub-messages. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x88cc);
	put_mandatory(&f);
	put_end(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_LLDP, T_LLDP_INFO);
	Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
	cr_assert_eq(r->n_values, 0);
	Types__LinkLayerDiscoveryInfo *i = record(T_LLDP_INFO, 0);
	cr_assert_str_eq(i->portdescription, "");
	cr_assert_str_eq(i->sysname, "");
	cr_assert_not_null(i->syscapabilities);
	cr_assert(!i->syscapabilities->systemcap->bridge);
	cr_assert_not_null(i->mgmtaddress);
	cr_assert_eq(i->mgmtaddress->address.len, 0);
	cr_assert_str_eq(i->mgmtaddress->oid, "");
	cr_assert_eq(i->n_orgtlvs, 0);
	cr_assert_eq(i->n_unknown, 0);
}

Test(decode_link, lldp_zero_length_tlvs_and_nine_bit_lengths)
{
	/* Zero-length TLVs are valid; a 9-bit length (the low bit of the
	 * first byte) up to 511. */
	static uint8_t big[300];
	memset(big, 'd', sizeof big);
	struct frame f = { 0 };
	put_ethernet(&f, 0x88cc);
	put_mandatory(&f);
	put_tlv(&f, 4, NULL, 0);
	put_tlv(&f, 20, NULL, 0);
	put_tlv(&f, 6, big, sizeof big);
	put_end(&f);
	decode(&f);
	expect_clean();
	Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
	cr_assert_eq(r->n_values, 3);
	expect_value(r->values[0], 4, NULL, 0);
	expect_value(r->values[1], 20, NULL, 0);
	expect_value(r->values[2], 6, big, sizeof big);
	Types__LinkLayerDiscoveryInfo *i = record(T_LLDP_INFO, 0);
	cr_assert_str_eq(i->portdescription, "");
	cr_assert_eq(strlen(i->sysdescription), sizeof big);
	cr_assert_eq(i->n_unknown, 1);
	expect_value(i->unknown[0], 20, NULL, 0);
}

Test(decode_link, lldp_many_zero_length_tlvs_end)
{
	/* A frame full of empty TLVs: each advances 2 bytes, so the walk
	 * ends; without an End TLV it is BAD_VALUE. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x88cc);
	put_mandatory(&f);
	while (f.len < 1500)
		put_tlv(&f, 9, NULL, 0);
	decode(&f);
	expect_error(PROTO_LLDP, REASON_BAD_VALUE);
	EXPECT_RECORDS(T_ETHERNET);

	/* With End: 733 TLVs, of which each record keeps the first 128
	 * (docs/decoding.md, "Limits"), counted once per record cut. */
	put_end(&f);
	decode(&f);
	expect_error(PROTO_LLDP, REASON_CAPPED);
	cr_assert_eq(ctx.stats.events[PROTO_LLDP][REASON_CAPPED], 2);
	EXPECT_RECORDS(T_ETHERNET, T_LLDP, T_LLDP_INFO);
	Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
	Types__LinkLayerDiscoveryInfo *i = record(T_LLDP_INFO, 0);
	cr_assert_eq(r->n_values, 128);
	cr_assert_eq(i->n_unknown, 128);
	cr_assert(r->truncated);
	cr_assert(i->truncated);
	expect_value(r->values[127], 9, NULL, 0);
}

Test(decode_link, lldp_end_stops_the_list)
{
	/* After End: padding, even if it looks like TLVs (a SysName, or a
	 * length past the frame). */
	struct frame f = { 0 };
	put_ethernet(&f, 0x88cc);
	put_mandatory(&f);
	put_end(&f);
	put_tlv(&f, 5, "ghost", 5);
	put16(&f, 5 << 9 | 500);
	decode(&f);
	expect_clean();
	cr_assert_eq(((Types__LinkLayerDiscovery *)record(T_LLDP, 0))->n_values, 0);
	cr_assert_str_eq(((Types__LinkLayerDiscoveryInfo *)record(T_LLDP_INFO, 0))->sysname, "");
}

Test(decode_link, lldp_tlv_past_the_end)
{
	/* A value running past a whole frame: the length lies; in a frame cut
	 * by the snaplen: truncated. */
	struct frame f = { 0 };
	put_ethernet(&f, 0x88cc);
	put_mandatory(&f);
	put16(&f, 5 << 9 | 300);
	put(&f, "abc", 3);
	decode(&f);
	expect_error(PROTO_LLDP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET);

	/* A TLV header cut in half. */
	struct frame g = { 0 };
	put_ethernet(&g, 0x88cc);
	put_mandatory(&g);
	PUT(&g, 0x0a);
	decode(&g);
	expect_error(PROTO_LLDP, REASON_BAD_LENGTH);

	struct frame h = { 0 };
	build_lldp(&h);
	decode_cut(&h, LINK_ETHERNET, h.len - 300 + 60);
	expect_error(PROTO_LLDP, REASON_TRUNCATED);
	EXPECT_RECORDS(T_ETHERNET);
}

Test(decode_link, lldp_truncated_at_every_length)
{
	struct frame f = { 0 };
	build_lldp(&f);
	uint32_t end = 0;   /* where the End TLV ends: the padding after it may go */
	for (uint32_t at = ETH_HEADER;; ) {
		uint16_t word = (uint16_t)(f.b[at] << 8 | f.b[at + 1]);
		at += 2 + (word & 0x1ff);
		if (word >> 9 == 0) {
			end = at;
			break;
		}
	}
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_ETHERNET, cut);
		if (cut < ETH_HEADER) {
			expect_error(PROTO_ETHERNET, REASON_TRUNCATED);
		} else if (cut < end) {
			expect_error(PROTO_LLDP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET);
		} else {
			expect_clean();
			EXPECT_RECORDS(T_ETHERNET, T_LLDP, T_LLDP_INFO);
		}
	}
}

Test(decode_link, lldp_mandatory_tlvs)
{
	struct frame f;
	/* No PortID (and so fewer than four TLVs). */
	f = (struct frame){ 0 };
	put_ethernet(&f, 0x88cc);
	TLV(&f, 1, 4, 1, 2, 3, 4, 5, 6);
	TLV(&f, 3, 0, 120);
	put_tlv(&f, 5, "x", 1);
	put_end(&f);
	decode(&f);
	expect_error(PROTO_LLDP, REASON_BAD_VALUE);
	EXPECT_RECORDS(T_ETHERNET);

	/* Chassis, port and End only: fewer than four TLVs. */
	f = (struct frame){ 0 };
	put_ethernet(&f, 0x88cc);
	TLV(&f, 1, 4, 1, 2, 3, 4, 5, 6);
	TLV(&f, 2, 5, 'p');
	put_end(&f);
	decode(&f);
	expect_error(PROTO_LLDP, REASON_BAD_VALUE);

	/* Chassis subtype 0, a PortID or TTL value under two bytes, an empty
	 * chassis TLV: { type, length, value }. */
	const uint8_t bad[][4] = { { 1, 2, 0, 7 }, { 2, 1, 5 }, { 3, 1, 120 }, { 1, 0 } };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		f = (struct frame){ 0 };
		put_ethernet(&f, 0x88cc);
		put_mandatory(&f);
		put_tlv(&f, bad[i][0], bad[i] + 2, bad[i][1]);
		put_end(&f);
		decode(&f);
		expect_error(PROTO_LLDP, REASON_BAD_VALUE);
		EXPECT_RECORDS(T_ETHERNET);
	}

	/* TTL missing is allowed (gopacket's check): TTL 0. */
	f = (struct frame){ 0 };
	put_ethernet(&f, 0x88cc);
	TLV(&f, 1, 4, 1, 2, 3, 4, 5, 6);
	TLV(&f, 2, 5, 'p');
	put_tlv(&f, 5, "x", 1);
	put_end(&f);
	decode(&f);
	expect_clean();
	cr_assert_eq(((Types__LinkLayerDiscovery *)record(T_LLDP, 0))->ttl, 0);
}

Test(decode_link, lldp_malformed_info_tlvs_keep_the_discovery_record)
{
	const struct { uint8_t type; uint8_t len; uint8_t v[24]; enum decode_reason reason; } cases[] = {
		{ 7, 2, { 0, 4 }, REASON_BAD_LENGTH },                         /* capabilities < 4 */
		{ 8, 8, { 5, 1, 1, 2, 3, 4, 2, 0 }, REASON_BAD_LENGTH },       /* mgmt < 9 */
		{ 8, 9, { 0, 1, 1, 2, 3, 4, 2, 0, 0 }, REASON_BAD_VALUE },     /* string length 0 */
		{ 8, 9, { 6, 1, 1, 2, 3, 4, 5, 0, 0 }, REASON_BAD_LENGTH },    /* address past the TLV */
		{ 8, 12, { 5, 1, 1, 2, 3, 4, 2, 0, 0, 0, 1, 2 }, REASON_BAD_LENGTH }, /* OID past it */
		{ 127, 3, { 0, 0x80, 0xc2 }, REASON_BAD_LENGTH },              /* org TLV < 4 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct frame f = { 0 };
		put_ethernet(&f, 0x88cc);
		put_mandatory(&f);
		put_tlv(&f, 5, "sw1", 3);
		put_tlv(&f, cases[i].type, cases[i].v, cases[i].len);
		put_end(&f);
		decode(&f);
		expect_error(PROTO_LLDP, cases[i].reason);
		EXPECT_RECORDS(T_ETHERNET, T_LLDP);
		Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
		cr_assert_eq(r->n_values, 2);
		expect_value(r->values[1], cases[i].type, cases[i].v, cases[i].len);
	}
}

Test(decode_link, lldp_repeated_info_tlvs_last_counts)
{
	static const uint8_t mgmt_ipv6[] = { 17, 2, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 7, 3, 0, 0, 0, 1, 0 };
	struct frame f = { 0 };
	put_ethernet(&f, 0x88cc);
	put_mandatory(&f);
	put_tlv(&f, 5, "first", 5);
	put_tlv(&f, 8, mgmt_ipv4, sizeof mgmt_ipv4);
	put_tlv(&f, 5, "second", 6);
	put_tlv(&f, 8, mgmt_ipv6, sizeof mgmt_ipv6);
	TLV(&f, 1, 7, 'c', 'h');          /* a second chassis TLV */
	put_end(&f);
	decode(&f);
	expect_clean();
	Types__LinkLayerDiscovery *r = record(T_LLDP, 0);
	cr_assert_eq(r->chassisid->subtype, 7);
	expect_bytes(r->chassisid->id, "ch", 2);
	cr_assert_eq(r->n_values, 4);
	Types__LinkLayerDiscoveryInfo *i = record(T_LLDP_INFO, 0);
	cr_assert_str_eq(i->sysname, "second");
	cr_assert_eq(i->mgmtaddress->subtype, 2);
	expect_bytes(i->mgmtaddress->address, mgmt_ipv6 + 2, 16);
	cr_assert_eq(i->mgmtaddress->interfacesubtype, 3);
	cr_assert_eq(i->mgmtaddress->interfacenumber, 1);
	cr_assert_str_eq(i->mgmtaddress->oid, "");
}

Test(decode_link, lldp_text_ends_at_nul_and_oid_forms)
{
	const struct { uint8_t oid[12]; uint8_t len; const char *text; } oids[] = {
		{ { 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01 }, 9, "1.3.6.1.2.1.2.2.1.1" },
		{ { 0x88, 0x37, 0x03 }, 3, "2.999.3" },              /* first arc above 79 */
		{ { 0x00 }, 1, "0.0" },
		{ { 0x2b, 0x86, 0x8d, 0x1f }, 4, "1.3.99999" },
		{ { 0x2b, 0x86 }, 2, "" },                           /* arc does not end */
		{ { 0x2b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, 11, "" },
	};
	for (size_t k = 0; k < sizeof oids / sizeof *oids; k++) {
		uint8_t v[32] = { 5, 1, 10, 0, 0, 1, 2, 0, 0, 0, 9, oids[k].len };
		memcpy(v + 12, oids[k].oid, oids[k].len);
		struct frame f = { 0 };
		put_ethernet(&f, 0x88cc);
		put_mandatory(&f);
		put_tlv(&f, 5, "ab\0cd", 5);
		put_tlv(&f, 8, v, (uint16_t)(12 + oids[k].len));
		put_end(&f);
		decode(&f);
		expect_clean();
		Types__LinkLayerDiscoveryInfo *i = record(T_LLDP_INFO, 0);
		cr_assert_str_eq(i->sysname, "ab");
		cr_assert_str_eq(i->mgmtaddress->oid, oids[k].text, "OID %zu", k);
		cr_assert_eq(i->mgmtaddress->interfacenumber, 9);
		/* The value keeps every byte. */
		expect_value(((Types__LinkLayerDiscovery *)record(T_LLDP, 0))->values[0], 5, "ab\0cd", 5);
	}
}

Test(decode_link, lldp_disabled_records_still_check)
{
	decoder_enable(&ctx, T_LLDP, false);
	decoder_enable(&ctx, T_LLDP_INFO, false);
	struct frame f = { 0 };
	build_lldp(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET);

	struct frame g = { 0 };
	put_ethernet(&g, 0x88cc);
	put_mandatory(&g);
	TLV(&g, 7, 0, 4);
	put_end(&g);
	decode(&g);
	expect_error(PROTO_LLDP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET);

	/* Only Info enabled. */
	decoder_enable(&ctx, T_LLDP_INFO, true);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_LLDP_INFO);
	cr_assert_str_eq(((Types__LinkLayerDiscoveryInfo *)record(T_LLDP_INFO, 0))->sysname, "S2.cisco.com");
}

/* ---- Linux cooked captures ------------------------------------------ */

static void put_sll(struct frame *f, uint16_t hatype, uint16_t protocol)
{
	put16(f, 4);                     /* sent by us */
	put16(f, hatype);
	put16(f, 6);
	PUT(f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0);
	put16(f, protocol);
}
#define SLL_HEADER 16

static void put_sll2(struct frame *f, uint16_t hatype, uint16_t protocol)
{
	put16(f, protocol);
	put16(f, 0);
	put32(f, 3);                     /* interface index */
	put16(f, hatype);
	PUT(f, 0, 6);                    /* to us, address length */
	PUT(f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0);
}
#define SLL2_HEADER 20

Test(decode_link, sll_and_sll2_carry_ethertypes)
{
	for (int v = 1; v <= 2; v++) {
		int link = v == 1 ? LINK_LINUX_SLL : LINK_LINUX_SLL2;
		struct frame f = { 0 };
		(v == 1 ? put_sll : put_sll2)(&f, 1, 0x0800);
		put_ipv4_udp_hello(&f);
		decode_as(&f, link);
		expect_clean();
		EXPECT_RECORDS(T_IPV4, T_UDP);
		cr_assert_eq(pkt.app_len, HELLO_LEN);
		cr_assert(!pkt.has_mac);

		struct frame g = { 0 };
		(v == 1 ? put_sll : put_sll2)(&g, 1, 0x0806);
		put_arp(&g, 1, 0x0800, 6, 4, 2, sha, spa, tha, tpa);
		decode_as(&g, link);
		expect_clean();
		EXPECT_RECORDS(T_ARP);

		/* A VLAN tag kept by the capture, and GRE tunnels (ARPHRD_IPGRE,
		 * protocol = GRE's ethertype). */
		struct frame h = { 0 };
		(v == 1 ? put_sll : put_sll2)(&h, 778, 0x8100);
		put16(&h, 7);
		put16(&h, 0x86dd);
		put_ipv6(&h, 59, 4);
		PUT(&h, 1, 2, 3, 4);
		decode_as(&h, link);
		expect_clean();
		EXPECT_RECORDS(T_DOT1Q, T_IPV6);
	}
}

Test(decode_link, sll_linux_protocol_numbers)
{
	for (int v = 1; v <= 2; v++) {
		int link = v == 1 ? LINK_LINUX_SLL : LINK_LINUX_SLL2;
		/* ETH_P_802_2: an LLC frame. */
		struct frame f = { 0 };
		(v == 1 ? put_sll : put_sll2)(&f, 1, 0x0004);
		PUT(&f, 0x42, 0x42, 0x03, 0, 0, 0);
		decode_as(&f, link);
		expect_unknown(PROTO_LLC);
		EXPECT_RECORDS(T_LLC);

		/* Novell raw 802.3, CAN, PPP: no decoder. */
		const uint16_t others[] = { 0x0001, 0x000c, 0x0007, 0x0000 };
		for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
			struct frame g = { 0 };
			(v == 1 ? put_sll : put_sll2)(&g, 1, others[i]);
			PUT(&g, 0xff, 0xff, 0, 0);
			decode_as(&g, link);
			expect_unknown(PROTO_SLL);
			EXPECT_NO_RECORDS();
		}
		/* Netlink and 802.11 devices: whatever the protocol says. */
		const uint16_t hatypes[] = { 824, 801, 802, 803 };
		for (size_t i = 0; i < sizeof hatypes / sizeof *hatypes; i++) {
			struct frame g = { 0 };
			(v == 1 ? put_sll : put_sll2)(&g, hatypes[i], 0x0800);
			put_ipv4_udp_hello(&g);
			decode_as(&g, link);
			expect_unknown(PROTO_SLL);
			EXPECT_NO_RECORDS();
		}
	}
}

Test(decode_link, sll_truncated_at_every_length)
{
	for (int v = 1; v <= 2; v++) {
		int link = v == 1 ? LINK_LINUX_SLL : LINK_LINUX_SLL2;
		uint32_t header = v == 1 ? SLL_HEADER : SLL2_HEADER;
		struct frame f = { 0 };
		(v == 1 ? put_sll : put_sll2)(&f, 1, 0x0800);
		put_ipv4_udp_hello(&f);
		for (uint32_t cut = 0; cut <= f.len; cut++) {
			decode_cut(&f, link, cut);
			if (cut < header) {
				expect_error(PROTO_SLL, REASON_TRUNCATED);
				EXPECT_NO_RECORDS();
			} else if (cut < header + IPV4_HEADER) {
				expect_error(PROTO_IPV4, REASON_TRUNCATED);
			} else if (cut < header + IPV4_HEADER + UDP_HEADER) {
				expect_error(PROTO_UDP, REASON_TRUNCATED);
				EXPECT_RECORDS(T_IPV4);
			} else {
				expect_clean();
				EXPECT_RECORDS(T_IPV4, T_UDP);
			}
		}
	}
}

/* ---- BSD loopback --------------------------------------------------- */

Test(decode_link, null_family_in_either_byte_order)
{
	const uint32_t v6_families[] = { 10, 24, 28, 30 };
	for (int le = 0; le <= 1; le++) {
		struct frame f = { 0 };
		(le ? putle32 : put32)(&f, 2);
		put_ipv4_udp_hello(&f);
		decode_as(&f, LINK_NULL);
		expect_clean();
		EXPECT_RECORDS(T_IPV4, T_UDP);
		for (size_t i = 0; i < sizeof v6_families / sizeof *v6_families; i++) {
			struct frame g = { 0 };
			(le ? putle32 : put32)(&g, v6_families[i]);
			put_ipv6(&g, 17, UDP_HEADER + HELLO_LEN);
			put_udp(&g, 1, 2, UDP_HEADER + HELLO_LEN);
			put(&g, hello, HELLO_LEN);
			decode_as(&g, LINK_NULL);
			expect_clean();
			EXPECT_RECORDS(T_IPV6, T_UDP);
		}
		/* OSI, IPX, AppleTalk: no decoder. */
		const uint32_t others[] = { 7, 23, 16, 0, 255 };
		for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
			struct frame g = { 0 };
			(le ? putle32 : put32)(&g, others[i]);
			put_ipv4_udp_hello(&g);
			decode_as(&g, LINK_NULL);
			expect_unknown(PROTO_LOOPBACK);
			EXPECT_NO_RECORDS();
		}
	}
	/* Not below 256 in either order: not a family. */
	struct frame g = { 0 };
	put32(&g, 0x01000100);
	put_ipv4_udp_hello(&g);
	decode_as(&g, LINK_NULL);
	expect_error(PROTO_LOOPBACK, REASON_BAD_VALUE);
	EXPECT_NO_RECORDS();
}

Test(decode_link, loop_family_in_network_order)
{
	struct frame f = { 0 };
	put32(&f, 2);
	put_ipv4_udp_hello(&f);
	decode_as(&f, LINK_LOOP);
	expect_clean();
	EXPECT_RECORDS(T_IPV4, T_UDP);

	struct frame g = { 0 };
	put32(&g, 24);
	put_ipv6(&g, 59, 4);
	PUT(&g, 1, 2, 3, 4);
	decode_as(&g, LINK_LOOP);
	expect_clean();
	EXPECT_RECORDS(T_IPV6);

	/* Host order under DLT_LOOP is another family. */
	struct frame h = { 0 };
	putle32(&h, 2);
	put_ipv4_udp_hello(&h);
	decode_as(&h, LINK_LOOP);
	expect_unknown(PROTO_LOOPBACK);
	EXPECT_NO_RECORDS();
}

Test(decode_link, loopback_truncated_at_every_length)
{
	for (int link = 0; link < 2; link++) {
		struct frame f = { 0 };
		put32(&f, 2);
		put_ipv4_udp_hello(&f);
		for (uint32_t cut = 0; cut <= f.len; cut++) {
			decode_cut(&f, link ? LINK_LOOP : LINK_NULL, cut);
			if (cut < 4) {
				expect_error(PROTO_LOOPBACK, REASON_TRUNCATED);
				EXPECT_NO_RECORDS();
			} else if (cut < 4 + IPV4_HEADER) {
				expect_error(PROTO_IPV4, REASON_TRUNCATED);
				EXPECT_NO_RECORDS();
			} else if (cut < 4 + IPV4_HEADER + UDP_HEADER) {
				expect_error(PROTO_UDP, REASON_TRUNCATED);
			} else {
				expect_clean();
			}
		}
	}
}

/* ---- raw IP link ---------------------------------------------------- */

Test(decode_link, raw_ip_link_picks_the_version)
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

/* ---- records off, unknown link types, random corruption -------------- */

Test(decode_link, disabled_types_make_no_records)
{
	for (size_t i = 0; i < sizeof all_types / sizeof *all_types; i++)
		decoder_enable(&ctx, all_types[i], false);
	struct frame f = { 0 };
	build_snap_ipv4(&f);
	decode(&f);
	expect_clean();
	EXPECT_NO_RECORDS();
	cr_assert_eq(pkt.app_len, HELLO_LEN);   /* decoding went on */

	struct frame g = { 0 };
	build_ctp_reply(&g, 0);
	decode(&g);
	expect_clean();
	EXPECT_NO_RECORDS();

	struct frame h = { 0 };
	build_arp_request(&h);
	decode(&h);
	expect_clean();
	EXPECT_NO_RECORDS();
}

Test(decode_link, link_types_without_a_decoder_are_unknown)
{
	struct frame f = { 0 };
	put_ipv4_udp_hello(&f);
	decode_as(&f, 147);        /* DLT_USER0 */
	expect_unknown(PROTO_LINK);
	EXPECT_NO_RECORDS();
}

/* What a corrupted link-layer frame's result must also keep: the depth and
 * the data the records point to within what was captured. */
static void check_link(uint32_t cut)
{
	cr_assert_leq(pkt.depth, PACKET_MAX_DEPTH + 1);
	Types__EthernetCTPReply *reply = record(T_CTP_REPLY, 0);
	if (reply)
		cr_assert_leq(reply->data.len, cut);
	Types__LinkLayerDiscovery *lldp = record(T_LLDP, 0);
	if (lldp)
		for (size_t i = 0; i < lldp->n_values; i++)
			cr_assert_leq(lldp->values[i]->value.len, cut);
}

Test(decode_link, random_corruption_stays_in_bounds)
{
	struct frame arp = { 0 }, snap = { 0 }, ctp = { 0 }, lldp = { 0 }, sll = { 0 },
		     sll2 = { 0 }, null = { 0 };
	build_arp_request(&arp);
	build_snap_ipv4(&snap);
	put_ethernet(&ctp, 0x9000);
	putle16(&ctp, 8);
	putle16(&ctp, 2);
	PUT(&ctp, 1, 2, 3, 4, 5, 6);
	putle16(&ctp, 1);
	putle16(&ctp, 1);
	put(&ctp, hello, HELLO_LEN);
	build_lldp(&lldp);
	lldp.len -= 200;               /* less padding: more flips hit the TLVs */
	put_sll(&sll, 1, 0x0004);
	PUT(&sll, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06);
	put_arp(&sll, 1, 0x0800, 6, 4, 1, sha, spa, tha, tpa);
	put_sll2(&sll2, 1, 0x88cc);
	put_mandatory(&sll2);
	put_tlv(&sll2, 8, mgmt_ipv4, sizeof mgmt_ipv4);
	put_end(&sll2);
	put32(&null, 2);
	put_ipv4_udp_hello(&null);

	corrupt_and_decode(&arp, LINK_ETHERNET, 11, check_link);
	corrupt_and_decode(&snap, LINK_ETHERNET, 12, check_link);
	corrupt_and_decode(&ctp, LINK_ETHERNET, 13, check_link);
	corrupt_and_decode(&lldp, LINK_ETHERNET, 14, check_link);
	corrupt_and_decode(&sll, LINK_LINUX_SLL, 15, check_link);
	corrupt_and_decode(&sll2, LINK_LINUX_SLL2, 16, check_link);
	corrupt_and_decode(&null, LINK_NULL, 17, check_link);
	corrupt_and_decode(&null, LINK_LOOP, 18, check_link);
}
