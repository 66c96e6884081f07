/* test_decode_dot11.c: the IEEE 802.11 (dot11.c) and radiotap (radiotap.c)
 * decoders: every field of the Dot11 record (QoS, HT Control in both
 * variants, the header forms of every frame type), the FCS taken from the
 * frame or computed, radiotap's flags after TSFT and extended presence
 * words, data padding, lengths that lie, bodies that are not decoded, the
 * DLT_IEEE802_11 link without radiotap, and cuts at every length.
 *
 * Frames are built byte by byte (tests/support/frames.h) so that every
 * expected value is known independently of the decoders, and decoded from
 * a heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>

#include "../support/frames.h"

static const int types[] = { T_IPV4, T_UDP, T_LLC, T_SNAP, T_DOT11 };

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_dot11, .init = setup, .fini = teardown_decoder);

/* ---- IEEE 802.11 and radiotap ---------------------------------------- */

static const uint8_t mac1[6] = { 0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa };
static const uint8_t mac2[6] = { 0x00, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
static const uint8_t mac3[6] = { 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5 };
static const uint8_t mac4[6] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };

/* A radiotap header with only the Flags field: 9 bytes. */
static void put_radiotap(struct frame *f, uint8_t flags)
{
	PUT(f, 0, 0);
	putle16(f, 9);
	putle32(f, 0x00000002);
	PUT(f, flags);
}

/* Bitwise CRC-32 (IEEE 802.3), independent of the decoder's. */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/* 802.11 header of a data frame: frame control (fc0, flags), duration
 * 0x002c, addresses 1-3, sequence 0x123 fragment 5. */
static void put_dot11_data(struct frame *f, uint8_t fc0, uint8_t flags)
{
	PUT(f, fc0, flags);
	putle16(f, 0x002c);
	put(f, mac1, 6);
	put(f, mac2, 6);
	put(f, mac3, 6);
	putle16(f, 0x123 << 4 | 5);
}

/* LLC/SNAP, IPv4, UDP and "hello": 41 bytes. */
#define LLC_TO_END (3 + 5 + IPV4_HEADER + 8 + HELLO_LEN)
static void put_llc_ipv4_udp(struct frame *f)
{
	PUT(f, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00);
	put_ipv4(f, 17, 8 + HELLO_LEN);
	PUT(f, 0x04, 0xd2, 0x16, 0x2e, 0, 8 + HELLO_LEN, 0, 0);
	put(f, hello, HELLO_LEN);
}

/* Radiotap (FCS flag), a QoS data frame from the DS (TID 5, EOSP, no ack,
 * TXOP 7), LLC/SNAP, IPv4/UDP, FCS 0xdeadbeef. */
static void build_qos_data(struct frame *f, uint8_t radiotap_flags)
{
	put_radiotap(f, radiotap_flags);
	put_dot11_data(f, 0x88, 0x02);
	PUT(f, 0x35, 0x07);
	if (radiotap_flags & 0x20)
		PUT(f, 0xee, 0xee);   /* driver padding to 28 bytes */
	put_llc_ipv4_udp(f);
	if (radiotap_flags & 0x10)
		putle32(f, 0xdeadbeef);
}

Test(decode_dot11, radiotap_qos_data_every_field)
{
	struct frame f = { 0 };
	build_qos_data(&f, 0x10);
	decode_as(&f, LINK_IEEE802_11_RADIO);

	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->type, 0x22);
	cr_assert_eq(r->proto, 0);
	cr_assert_eq(r->flags, 0x02);
	cr_assert_eq(r->durationid, 0x2c);
	cr_assert_str_eq(r->address1, "01:00:5e:7f:ff:fa");
	cr_assert_str_eq(r->address2, "00:1b:2c:3d:4e:5f");
	cr_assert_str_eq(r->address3, "a0:b1:c2:d3:e4:f5");
	cr_assert_str_eq(r->address4, "");
	cr_assert_eq(r->sequencenumber, 0x123);
	cr_assert_eq(r->fragmentnumber, 5);
	cr_assert_eq(r->checksum, 0xdeadbeef);
	cr_assert_not_null(r->qos);
	cr_assert_eq(r->qos->tid, 5);
	cr_assert(r->qos->eosp);
	cr_assert_eq(r->qos->ackpolicy, 1);
	cr_assert_eq(r->qos->txop, 7);
	cr_assert_null(r->htcontrol);

	/* The FCS is no payload: UDP gets exactly its 5 bytes. */
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
	cr_assert_eq(((Types__IPv4 *)record(T_IPV4, 0))->payloadsize, 8 + HELLO_LEN);
	Types__SNAP *snap = record(T_SNAP, 0);
	cr_assert_eq(snap->type, 0x0800);
	cr_assert_str_eq(pkt.src_ip_str, "192.168.1.10");
	cr_assert(!pkt.unknown);
}

Test(decode_dot11, radiotap_without_fcs_computes_the_checksum)
{
	struct frame f = { 0 };
	build_qos_data(&f, 0x00);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->checksum, crc32_ref(f.b + 9, f.len - 9));
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);
}

Test(decode_dot11, radiotap_datapad_is_skipped)
{
	struct frame f = { 0 };
	build_qos_data(&f, 0x30);   /* FCS and data padding */
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	cr_assert_eq(((Types__LLC *)record(T_LLC, 0))->dsap, 0xaa);
	cr_assert_eq(((Types__Dot11 *)record(T_DOT11, 0))->checksum, 0xdeadbeef);

	/* Without FCS the computed CRC leaves the padding out, as gopacket. */
	struct frame g = { 0 };
	build_qos_data(&g, 0x20);
	decode_as(&g, LINK_IEEE802_11_RADIO);
	expect_ok();
	struct frame unpadded = { 0 };
	build_qos_data(&unpadded, 0x00);
	cr_assert_eq(((Types__Dot11 *)record(T_DOT11, 0))->checksum,
		     crc32_ref(unpadded.b + 9, unpadded.len - 9));

	/* A 24-byte header is aligned already: nothing to skip. */
	struct frame plain = { 0 };
	put_radiotap(&plain, 0x20);
	put_dot11_data(&plain, 0x08, 0x01);
	put_llc_ipv4_udp(&plain);
	decode_as(&plain, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
}

Test(decode_dot11, radiotap_flags_after_tsft_and_extended_presence)
{
	/* present words 0x80000003 and 0: TSFT aligned to 16, Flags at 24. */
	struct frame f = { 0 };
	PUT(&f, 0, 0);
	putle16(&f, 26);
	putle32(&f, 0x80000003);
	putle32(&f, 0);
	PUT(&f, 0xaa, 0xaa, 0xaa, 0xaa);      /* alignment padding */
	for (int i = 0; i < 8; i++)
		PUT(&f, 0x11);
	PUT(&f, 0x10, 0x00);                  /* Flags: FCS; a pad byte */
	put_dot11_data(&f, 0x08, 0x02);
	put_llc_ipv4_udp(&f);
	putle32(&f, 0x0badf00d);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x02);
	cr_assert_null(r->qos);
	cr_assert_eq(r->checksum, 0x0badf00d);
}

Test(decode_dot11, radiotap_lying_lengths)
{
	/* below 8 */
	for (uint16_t len = 0; len < 8; len++) {
		struct frame f = { 0 };
		PUT(&f, 0, 0);
		putle16(&f, len);
		putle32(&f, 0);
		put_dot11_data(&f, 0x08, 0);
		decode_as(&f, LINK_IEEE802_11_RADIO);
		expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);
		cr_assert_eq(pkt.n_rec, 0);
	}
	/* beyond the data of a frame that was not cut */
	struct frame big = { 0 };
	PUT(&big, 0, 0);
	putle16(&big, 0xffff);
	putle32(&big, 2);
	PUT(&big, 0x10);
	decode_as(&big, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);
	/* the same cut by the snaplen */
	decode_cut(&big, LINK_IEEE802_11_RADIO, big.len - 1);
	expect_error(PROTO_RADIOTAP, REASON_TRUNCATED);

	/* presence words chained past the header length */
	struct frame chain = { 0 };
	PUT(&chain, 0, 0);
	putle16(&chain, 12);
	putle32(&chain, 0x80000002);
	putle32(&chain, 0x80000000);
	putle32(&chain, 0x80000000);
	put_dot11_data(&chain, 0x08, 0);
	decode_as(&chain, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);

	/* a Flags field past the header length */
	struct frame flags = { 0 };
	PUT(&flags, 0, 0);
	putle16(&flags, 8);
	putle32(&flags, 0x00000002);
	put_dot11_data(&flags, 0x08, 0);
	decode_as(&flags, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_HEADER_LENGTH);

	/* a version other than 0 */
	struct frame v1 = { 0 };
	put_radiotap(&v1, 0x00);
	v1.b[0] = 1;
	put_dot11_data(&v1, 0x08, 0);
	decode_as(&v1, LINK_IEEE802_11_RADIO);
	expect_error(PROTO_RADIOTAP, REASON_BAD_VERSION);
	cr_assert_eq(pkt.n_rec, 0);

	/* a header of exactly 8 bytes and no fields is fine */
	struct frame bare = { 0 };
	PUT(&bare, 0, 0);
	putle16(&bare, 8);
	putle32(&bare, 0);
	put_dot11_data(&bare, 0x08, 0);
	put_llc_ipv4_udp(&bare);
	decode_as(&bare, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
}

Test(decode_dot11, radiotap_dot11_every_truncation)
{
	/* With the FCS flag: a frame cut by the snaplen has lost its FCS, so
	 * every cut decodes as far as the data goes. */
	struct frame f = { 0 };
	build_qos_data(&f, 0x10);
	const uint32_t dot11_at = 9, llc_at = dot11_at + 26, snap_at = llc_at + 3,
		ip_at = snap_at + 5, udp_at = ip_at + IPV4_HEADER, payload_at = udp_at + 8;
	for (uint32_t cut = 0; cut <= f.len; cut++) {
		decode_cut(&f, LINK_IEEE802_11_RADIO, cut);
		if (cut < dot11_at) {
			expect_error(PROTO_RADIOTAP, REASON_TRUNCATED);
			cr_assert_eq(pkt.n_rec, 0);
		} else if (cut < llc_at) {
			expect_error(PROTO_DOT11, REASON_TRUNCATED);
			cr_assert_eq(pkt.n_rec, 0);
		} else if (cut == llc_at) {
			expect_ok();      /* a data frame with an empty body */
			EXPECT_RECORDS(T_DOT11);
		} else if (cut < snap_at) {
			expect_error(PROTO_LLC, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11);
		} else if (cut < ip_at) {
			expect_error(PROTO_SNAP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11, T_LLC);
		} else if (cut < udp_at) {
			expect_error(PROTO_IPV4, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP);
		} else if (cut < payload_at) {
			expect_error(PROTO_UDP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
			Types__Dot11 *r = record(T_DOT11, 0);
			/* The FCS only when the frame was captured whole. */
			cr_assert_eq(r->checksum, cut == f.len ? 0xdeadbeef : 0);
			uint32_t udp_payload = cut - payload_at;
			if (udp_payload > HELLO_LEN)
				udp_payload = HELLO_LEN;  /* the rest is the FCS, under the IP length */
			cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, udp_payload);
		}
		if (cut >= llc_at)
			cr_assert_str_eq(((Types__Dot11 *)record(T_DOT11, 0))->address3,
					 "a0:b1:c2:d3:e4:f5");
	}

	/* A whole frame (not cut) with the FCS flag needs the 4 FCS bytes. */
	for (uint32_t len = dot11_at; len < dot11_at + 10 + 4; len++) {
		struct frame g = f;
		g.len = len;
		decode_as(&g, LINK_IEEE802_11_RADIO);
		expect_error(PROTO_DOT11, REASON_TRUNCATED);
	}
}

Test(decode_dot11, dot11_header_forms)
{
	/* ACK: 10 bytes, only the receiver address. */
	struct frame ack = { 0 };
	put_radiotap(&ack, 0x10);
	PUT(&ack, 0xd4, 0x00, 0, 0);
	put(&ack, mac2, 6);
	putle32(&ack, 0x11223344);
	decode_as(&ack, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x35);
	cr_assert_str_eq(r->address1, "00:1b:2c:3d:4e:5f");
	cr_assert_str_eq(r->address2, "");
	cr_assert_str_eq(r->address3, "");
	cr_assert_eq(r->sequencenumber, 0);
	cr_assert_eq(r->checksum, 0x11223344);

	/* RTS: receiver and transmitter. */
	struct frame rts = { 0 };
	put_radiotap(&rts, 0x10);
	PUT(&rts, 0xb4, 0x00, 0x10, 0x01);
	put(&rts, mac1, 6);
	put(&rts, mac2, 6);
	putle32(&rts, 0);
	decode_as(&rts, LINK_IEEE802_11_RADIO);
	expect_ok();
	r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x2d);
	cr_assert_eq(r->durationid, 0x0110);
	cr_assert_str_eq(r->address2, "00:1b:2c:3d:4e:5f");

	/* Block ack: gopacket reads no transmitter address. */
	struct frame ba = { 0 };
	put_radiotap(&ba, 0x10);
	PUT(&ba, 0x94, 0x00, 0, 0);
	put(&ba, mac1, 6);
	put(&ba, mac2, 6);
	PUT(&ba, 0x05, 0x00, 0x10, 0x00);
	putle32(&ba, 0);
	decode_as(&ba, LINK_IEEE802_11_RADIO);
	expect_ok();
	r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x25);
	cr_assert_str_eq(r->address2, "");

	/* A four-address data frame (ToDS and FromDS) reaches the LLC. */
	struct frame wds = { 0 };
	put_radiotap(&wds, 0x00);
	put_dot11_data(&wds, 0x08, 0x03);
	put(&wds, mac4, 6);
	put_llc_ipv4_udp(&wds);
	decode_as(&wds, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	r = record(T_DOT11, 0);
	cr_assert_str_eq(r->address4, "12:34:56:78:9a:bc");
	cr_assert_eq(r->flags, 3);

	/* A protocol version of 1 is kept as it stands. */
	struct frame v1 = { 0 };
	put_radiotap(&v1, 0x00);
	put_dot11_data(&v1, 0x49, 0x00);   /* Null function, version 1 */
	decode_as(&v1, LINK_IEEE802_11_RADIO);
	expect_ok();
	r = record(T_DOT11, 0);
	cr_assert_eq(r->proto, 1);
	cr_assert_eq(r->type, 0x12);
}

Test(decode_dot11, dot11_bodies_that_are_not_decoded)
{
	/* Null function, QoS Null, a protected data frame, a beacon: one
	 * Dot11 record each, nothing after it, nothing unknown. */
	const struct { uint8_t fc0, flags; bool qos; } cases[] = {
		{ 0x48, 0x01, false }, { 0xc8, 0x01, true }, { 0x88, 0x41, true }, { 0x80, 0x00, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct frame f = { 0 };
		put_radiotap(&f, 0x00);
		put_dot11_data(&f, cases[i].fc0, cases[i].flags);
		if (cases[i].qos)
			PUT(&f, 0x00, 0x00);
		put_llc_ipv4_udp(&f);
		decode_as(&f, LINK_IEEE802_11_RADIO);
		expect_ok();
		EXPECT_RECORDS(T_DOT11);
		cr_assert(!pkt.unknown, "case %zu", i);
	}
	/* An A-MSDU has no decoder. */
	struct frame amsdu = { 0 };
	put_radiotap(&amsdu, 0x00);
	put_dot11_data(&amsdu, 0x88, 0x01);
	PUT(&amsdu, 0x80, 0x00);
	put_llc_ipv4_udp(&amsdu);
	decode_as(&amsdu, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11);
	cr_assert(pkt.unknown);
	cr_assert_eq(pkt.unknown_proto, PROTO_DOT11);
}

Test(decode_dot11, dot11_link_without_radiotap)
{
	struct frame f = { 0 };
	put_dot11_data(&f, 0x08, 0x01);
	put_llc_ipv4_udp(&f);
	decode_as(&f, LINK_IEEE802_11);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->flags, 1);
	/* no FCS assumed: the last bytes are the payload's, the checksum is
	 * computed */
	cr_assert_eq(r->checksum, crc32_ref(f.b, f.len));
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN);

	for (uint32_t cut = 0; cut < 24; cut++) {
		decode_cut(&f, LINK_IEEE802_11, cut);
		expect_error(PROTO_DOT11, REASON_TRUNCATED);
		cr_assert_eq(pkt.n_rec, 0);
	}
}

/* A management frame (beacon) or QoS data frame with the Order flag and an
 * HT Control field htc. */
static void build_htc(struct frame *f, bool management, const uint8_t htc[4])
{
	put_radiotap(f, 0x10);
	put_dot11_data(f, management ? 0x80 : 0x88, management ? 0x80 : 0x81);
	if (!management)
		PUT(f, 0x06, 0x00);
	put(f, htc, 4);
	if (management)
		PUT(f, 1, 2, 3, 4, 5, 6, 7, 8, 0x64, 0, 0x11, 0x04);
	else
		put_llc_ipv4_udp(f);
	putle32(f, 0);
}

Test(decode_dot11, dot11_ht_control_ht_variant)
{
	const uint8_t htc[4] = { 0x9e, 0xab, 0xc6, 0xe1 };
	struct frame f = { 0 };
	build_htc(&f, true, htc);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11);
	Types__Dot11 *r = record(T_DOT11, 0);
	cr_assert_eq(r->type, 0x20);
	cr_assert_null(r->qos);
	Types__Dot11HTControl *h = r->htcontrol;
	cr_assert_not_null(h);
	cr_assert(h->acconstraint);
	cr_assert(h->rdgmoreppdu);
	cr_assert_null(h->vht);
	cr_assert_not_null(h->ht);
	Types__Dot11LinkAdapationControl *lac = h->ht->linkadapationcontrol;
	cr_assert_not_null(lac);
	cr_assert(lac->trq);
	cr_assert(lac->mrq);
	cr_assert_eq(lac->msi, 3);
	cr_assert_eq(lac->mfsi, 2 + (1 << 2));   /* B6-B8 (gopacket: 2 + (1 << 3)) */
	cr_assert_eq(lac->mfb, 0x55);
	cr_assert_null(lac->asel);
	cr_assert_eq(h->ht->calibrationposition, 2);
	cr_assert_eq(h->ht->calibrationsequence, 1);
	cr_assert_eq(h->ht->csisteering, 3);
	cr_assert(h->ht->ndpannouncement);
	cr_assert_not(h->ht->dei);          /* not read for management frames */

	/* Antenna selection (MAI 14), on a QoS data frame: DEI is read. */
	const uint8_t asel[4] = { 0x38, 0x5a, 0x00, 0x20 };
	struct frame g = { 0 };
	build_htc(&g, false, asel);
	decode_as(&g, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	r = record(T_DOT11, 0);
	cr_assert_not_null(r->qos);
	cr_assert_eq(r->qos->tid, 6);
	lac = r->htcontrol->ht->linkadapationcontrol;
	cr_assert_not_null(lac->asel);
	cr_assert_eq(lac->asel->command, 5);
	cr_assert_eq(lac->asel->data, 5);
	cr_assert_not(lac->mrq);
	cr_assert_eq(lac->mfb, 0);
	cr_assert(r->htcontrol->ht->dei);
	cr_assert_not(r->htcontrol->acconstraint);
}

Test(decode_dot11, dot11_ht_control_vht_variant)
{
	/* Solicited: MRQ, MSI 6, MFSI 5, NumSTS 3, MCS 9, BW 2, SNR -5 + 22. */
	const uint8_t solicited[4] = { 0x75, 0x97, 0xee, 0xc0 };
	struct frame f = { 0 };
	build_htc(&f, false, solicited);
	decode_as(&f, LINK_IEEE802_11_RADIO);
	expect_ok();
	EXPECT_RECORDS(T_DOT11, T_LLC, T_SNAP, T_IPV4, T_UDP);
	Types__Dot11HTControl *h = ((Types__Dot11 *)record(T_DOT11, 0))->htcontrol;
	cr_assert_not_null(h);
	cr_assert(h->acconstraint && h->rdgmoreppdu);
	cr_assert_null(h->ht);
	Types__Dot11HTControlVHT *v = h->vht;
	cr_assert_not_null(v);
	cr_assert(v->mrq);
	cr_assert_not(v->unsolicitedmfb);
	cr_assert_eq(v->msi, 6);
	cr_assert_eq(v->mfsi, 5);
	cr_assert_not_null(v->mfb);
	cr_assert_eq(v->mfb->numsts, 3);
	cr_assert_eq(v->mfb->vhtmcs, 9);
	cr_assert_eq(v->mfb->bw, 2);
	cr_assert_eq(v->mfb->snr, 17);
	cr_assert_eq(v->compressedmsi, 0);
	cr_assert_eq(v->gid, 0);

	/* Unsolicited: compressed MSI 2, STBC, GID 47, LDPC, beamformed. */
	const uint8_t unsolicited[4] = { 0xf1, 0x97, 0x02, 0x3d };
	struct frame g = { 0 };
	build_htc(&g, false, unsolicited);
	decode_as(&g, LINK_IEEE802_11_RADIO);
	expect_ok();
	v = ((Types__Dot11 *)record(T_DOT11, 0))->htcontrol->vht;
	cr_assert(v->unsolicitedmfb);
	cr_assert_not(v->mrq);
	cr_assert_eq(v->compressedmsi, 2);
	cr_assert(v->stbcindication);
	cr_assert_eq(v->gid, 47);
	cr_assert_eq(v->codingtype, 1);
	cr_assert(v->fbtxbeamformed);
	cr_assert_eq(v->msi, 0);
	cr_assert_eq(v->mfsi, 0);
	cr_assert_eq(v->mfb->snr, 22);

	/* Unsolicited with "no feedback" (MCS 15, NumSTS 7): nothing more. */
	const uint8_t none[4] = { 0xf1, 0xfe, 0x00, 0x3d };
	struct frame n = { 0 };
	build_htc(&n, false, none);
	decode_as(&n, LINK_IEEE802_11_RADIO);
	expect_ok();
	v = ((Types__Dot11 *)record(T_DOT11, 0))->htcontrol->vht;
	cr_assert_eq(v->gid, 0);
	cr_assert_not(v->stbcindication);
	cr_assert_eq(v->codingtype, 0);
}

/* ---- random corruption ---------------------------------------------- */

/* What a corrupted frame's result must also keep: the payload within what
 * was captured. */
static void check_dot11(uint32_t cut)
{
	cr_assert_leq(pkt.app_len, cut);
}

Test(decode_dot11, random_corruption_stays_in_bounds)
{
	struct frame qos = { 0 }, htc = { 0 }, ext = { 0 };
	build_qos_data(&qos, 0x30);
	const uint8_t vht[4] = { 0xf1, 0x97, 0x02, 0x3d };
	build_htc(&htc, false, vht);
	PUT(&ext, 0, 0);
	putle16(&ext, 26);
	putle32(&ext, 0x80000003);
	putle32(&ext, 0);
	for (int i = 0; i < 14; i++)
		PUT(&ext, 0x10);
	put_dot11_data(&ext, 0x88, 0x03);
	put(&ext, mac4, 6);
	PUT(&ext, 0, 0);
	put_llc_ipv4_udp(&ext);

	corrupt_and_decode(&qos, LINK_IEEE802_11_RADIO, 15, check_dot11);
	corrupt_and_decode(&htc, LINK_IEEE802_11_RADIO, 16, check_dot11);
	corrupt_and_decode(&ext, LINK_IEEE802_11_RADIO, 17, check_dot11);
	corrupt_and_decode(&qos, LINK_IEEE802_11, 18, check_dot11);
}
