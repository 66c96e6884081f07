/* test_decode_igmp.c: the IGMP decoder (igmp.c): versions 1 and 2 and
 * version 3 queries and reports, every field, how the version is told
 * apart, source and group record counts that lie, lengths and types
 * without a decoder, and cuts at every length. The cap on addresses is
 * test_decode_limits.c's.
 *
 * Frames are built byte by byte (tests/support/frames.h) so that every
 * expected value is known independently of the decoder, and decoded from a
 * heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>

#include "../support/frames.h"

static const int types[] = { T_ETHERNET, T_IPV4, T_IGMP };

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_igmp, .init = setup, .fini = teardown_decoder);

/* ---- IGMP ----------------------------------------------------------- */

static const uint8_t all_hosts[4] = { 224, 0, 0, 1 };

static void put_igmp_v1_v2(struct frame *f, uint8_t type, uint8_t max_resp, const uint8_t group[4])
{
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 2, 8, &(struct ipv4_fields){ .dst = all_hosts });
	PUT(f, type, max_resp, 0xee, 0x9b);
	put(f, group, 4);
}

Test(decode_igmp, igmp_versions_1_and_2)
{
	static const uint8_t zero[4] = { 0 }, group[4] = { 239, 1, 2, 3 };
	const struct { uint8_t type, max_resp; const uint8_t *group; int version; } cases[] = {
		{ 0x11, 0, zero, 1 },      /* query of 8 bytes, Max Resp Code 0 */
		{ 0x11, 100, zero, 2 },    /* ... non-zero: 10 s */
		{ 0x11, 100, group, 2 },   /* a group-specific query */
		{ 0x12, 0, group, 1 },
		{ 0x16, 0, group, 2 },
		{ 0x17, 0, group, 2 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct frame f = { 0 };
		put_igmp_v1_v2(&f, cases[i].type, cases[i].max_resp, cases[i].group);
		decode(&f);
		expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
		Types__IGMP *r = record(T_IGMP, 0);
		cr_assert_eq(r->timestamp, TS);
		cr_assert_eq(r->type, cases[i].type);
		cr_assert_eq(r->version, cases[i].version, "case %zu", i);
		cr_assert_eq(r->maxresponsetime, cases[i].max_resp * 100000000ull);
		cr_assert_eq(r->checksum, 0xee9b);
		cr_assert_str_eq(r->groupaddress, cases[i].group == zero ? "0.0.0.0" : "239.1.2.3");
		cr_assert_not(r->supressrouterprocessing);
		cr_assert_eq(r->robustnessvalue, 0);
		cr_assert_eq(r->intervaltime, 0);
		cr_assert_eq(r->n_sourceaddresses, 0);
		cr_assert_eq(r->numberofgrouprecords, 0);
		cr_assert_eq(r->n_grouprecords, 0);
		cr_assert_str_eq(r->srcip, "192.168.1.10");
		cr_assert_str_eq(r->dstip, "224.0.0.1");
		cr_assert_eq(pkt.app_len, 0);
	}
}

/* A version 3 query for 239.1.2.3 with two sources, S set, QRV 2. */
static void build_v3_query(struct frame *f, uint8_t max_resp, uint8_t qqic, uint16_t n_sources,
			   uint32_t sources_present)
{
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 2, 12 + 4 * sources_present, &(struct ipv4_fields){ .dst = all_hosts });
	PUT(f, 0x11, max_resp, 0x12, 0x34, 239, 1, 2, 3, 0x0a, qqic);
	put16(f, n_sources);
	for (uint32_t i = 0; i < sources_present; i++)
		PUT(f, 10, 0, 0, (uint8_t)(i + 1));
}

Test(decode_igmp, igmp_v3_query_every_field)
{
	struct frame f = { 0 };
	build_v3_query(&f, 0x8f, 125, 2, 2);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
	Types__IGMP *r = record(T_IGMP, 0);
	cr_assert_eq(r->type, 0x11);
	cr_assert_eq(r->version, 3);
	/* 0x8f: exponent 0, mantissa 15: (0x10 | 15) << 3 = 248 tenths */
	cr_assert_eq(r->maxresponsetime, 24800000000ull);
	cr_assert_eq(r->checksum, 0x1234);
	cr_assert_str_eq(r->groupaddress, "239.1.2.3");
	cr_assert(r->supressrouterprocessing);
	cr_assert_eq(r->robustnessvalue, 2);
	cr_assert_eq(r->intervaltime, 12500000000ull);   /* QQIC 125 read as gopacket does */
	cr_assert_eq(r->numberofsources, 2);
	cr_assert_eq(r->n_sourceaddresses, 2);
	cr_assert_str_eq(r->sourceaddresses[0], "10.0.0.1");
	cr_assert_str_eq(r->sourceaddresses[1], "10.0.0.2");
	cr_assert_eq(r->n_grouprecords, 0);
	cr_assert_str_eq(r->srcip, "192.168.1.10");

	/* The largest code: (0x10 | 15) << (7 + 3) tenths, which gopacket's
	 * 8-bit arithmetic would lose. */
	struct frame g = { 0 };
	build_v3_query(&g, 0xff, 0x80, 0, 0);
	decode(&g);
	expect_ok();
	r = record(T_IGMP, 0);
	cr_assert_eq(r->maxresponsetime, 31744ull * 100000000ull);
	cr_assert_eq(r->intervaltime, (16ull << 3) * 100000000ull);
	cr_assert_eq(r->n_sourceaddresses, 0);
	cr_assert_null(r->sourceaddresses);
}

/* A version 3 report: an exclude record for 239.1.1.1 with two sources and
 * one word of auxiliary data, an include record for 239.2.2.2 without
 * sources. */
static void build_v3_report(struct frame *f, uint16_t n_records, uint16_t first_sources)
{
	put_ethernet(f, 0x0800);
	static const uint8_t igmpv3_routers[4] = { 224, 0, 0, 22 };
	put_ipv4_with(f, 2, 8 + 8 + 8 + 4 + 8, &(struct ipv4_fields){ .dst = igmpv3_routers });
	PUT(f, 0x22, 0, 0xab, 0xcd, 0, 0);
	put16(f, n_records);
	PUT(f, 2, 1);
	put16(f, first_sources);
	PUT(f, 239, 1, 1, 1, 172, 16, 0, 1, 172, 16, 0, 2);
	PUT(f, 0xa1, 0xa2, 0xa3, 0xa4);
	PUT(f, 1, 0, 0, 0, 239, 2, 2, 2);
}

Test(decode_igmp, igmp_v3_report_every_field)
{
	struct frame f = { 0 };
	build_v3_report(&f, 2, 2);
	decode(&f);
	expect_ok();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
	Types__IGMP *r = record(T_IGMP, 0);
	cr_assert_eq(r->timestamp, TS);
	cr_assert_eq(r->type, 0x22);
	cr_assert_eq(r->version, 3);
	cr_assert_eq(r->maxresponsetime, 0);
	cr_assert_eq(r->checksum, 0xabcd);
	cr_assert_str_eq(r->groupaddress, "");
	cr_assert_eq(r->numberofgrouprecords, 2);
	cr_assert_eq(r->n_grouprecords, 2);
	Types__IGMPv3GroupRecord *g0 = r->grouprecords[0], *g1 = r->grouprecords[1];
	cr_assert_eq(g0->type, 2);
	cr_assert_eq(g0->auxdatalen, 1);
	cr_assert_eq(g0->numberofsources, 2);
	cr_assert_str_eq(g0->multicastaddress, "239.1.1.1");
	cr_assert_eq(g0->n_sourceaddresses, 2);
	cr_assert_str_eq(g0->sourceaddresses[0], "172.16.0.1");
	cr_assert_str_eq(g0->sourceaddresses[1], "172.16.0.2");
	/* the auxiliary data word is skipped, not read as the next record */
	cr_assert_eq(g1->type, 1);
	cr_assert_eq(g1->auxdatalen, 0);
	cr_assert_eq(g1->numberofsources, 0);
	cr_assert_str_eq(g1->multicastaddress, "239.2.2.2");
	cr_assert_eq(g1->n_sourceaddresses, 0);
	cr_assert_str_eq(r->dstip, "224.0.0.22");
}

Test(decode_igmp, igmp_lying_counts)
{
	/* Source counts beyond the data of a frame that was not cut. */
	struct frame q = { 0 };
	build_v3_query(&q, 10, 125, 3, 2);
	decode(&q);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	struct frame big = { 0 };
	build_v3_query(&big, 10, 125, 0xffff, 2);
	decode(&big);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);

	struct frame records = { 0 };
	build_v3_report(&records, 3, 2);
	decode(&records);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);

	struct frame sources = { 0 };
	build_v3_report(&sources, 2, 4);
	decode(&sources);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);

	struct frame counts = { 0 };
	build_v3_report(&counts, 0xffff, 0xffff);
	decode(&counts);
	expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
	cr_assert_eq(ctx.stats.events[PROTO_IGMP][REASON_BAD_LENGTH], 5);
}

Test(decode_igmp, igmp_odd_lengths_and_unknown_types)
{
	/* A query of 9 to 11 bytes has no version (RFC 3376 7.1). */
	for (uint32_t extra = 1; extra <= 3; extra++) {
		struct frame f = { 0 };
		put_ethernet(&f, 0x0800);
		put_ipv4_with(&f, 2, 8 + extra, &(struct ipv4_fields){ .dst = all_hosts });
		PUT(&f, 0x11, 100, 0, 0, 0, 0, 0, 0);
		for (uint32_t i = 0; i < extra; i++)
			PUT(&f, 0);
		decode(&f);
		expect_error(PROTO_IGMP, REASON_BAD_LENGTH);
		EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	}
	/* A v2 report with bytes after it still is a v2 report. */
	struct frame longer = { 0 };
	put_ethernet(&longer, 0x0800);
	put_ipv4_with(&longer, 2, 12, &(struct ipv4_fields){ .dst = all_hosts });
	PUT(&longer, 0x16, 0, 0, 0, 239, 1, 2, 3, 9, 9, 9, 9);
	decode(&longer);
	expect_ok();
	cr_assert_eq(((Types__IGMP *)record(T_IGMP, 0))->version, 2);

	/* DVMRP (0x13), mtrace (0x1f): no decoder, an unknown layer. */
	const uint8_t types[] = { 0x13, 0x1f, 0x00 };
	for (size_t i = 0; i < sizeof types; i++) {
		struct frame f = { 0 };
		put_igmp_v1_v2(&f, types[i], 0, all_hosts);
		decode(&f);
		expect_ok();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4);
		cr_assert(pkt.unknown);
		cr_assert_eq(pkt.unknown_proto, PROTO_IGMP);
	}
}

Test(decode_igmp, igmp_every_truncation)
{
	struct frame rep = { 0 };
	build_v3_report(&rep, 2, 2);
	const uint32_t igmp_at = ETH_HEADER + IPV4_HEADER;
	for (uint32_t cut = igmp_at; cut <= rep.len; cut++) {
		decode_cut(&rep, LINK_ETHERNET, cut);
		if (cut < rep.len) {
			expect_error(PROTO_IGMP, REASON_TRUNCATED);
			EXPECT_RECORDS(T_ETHERNET, T_IPV4);
		} else {
			expect_ok();
			EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_IGMP);
		}
	}
	struct frame q = { 0 };
	build_v3_query(&q, 10, 125, 2, 2);
	for (uint32_t cut = igmp_at; cut < q.len; cut++) {
		/* an 8-byte cut of a v3 query is no v1/v2 query */
		decode_cut(&q, LINK_ETHERNET, cut);
		expect_error(PROTO_IGMP, REASON_TRUNCATED);
		EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	}
	struct frame v2 = { 0 };
	put_igmp_v1_v2(&v2, 0x16, 0, all_hosts);
	for (uint32_t cut = igmp_at; cut < v2.len; cut++) {
		decode_cut(&v2, LINK_ETHERNET, cut);
		expect_error(PROTO_IGMP, REASON_TRUNCATED);
	}
	cr_assert_eq(ctx.stats.events[PROTO_IGMP][REASON_BAD_LENGTH], 0);
}

/* ---- random corruption ---------------------------------------------- */

/* What a corrupted frame's result must also keep: the IGMP source
 * addresses within what was captured. */
static void check_igmp(uint32_t cut)
{
	cr_assert_leq(pkt.app_len, cut);
	Types__IGMP *igmp = record(T_IGMP, 0);
	if (igmp)
		cr_assert_leq(igmp->n_sourceaddresses * 4, cut);
}

Test(decode_igmp, random_corruption_stays_in_bounds)
{
	struct frame report = { 0 }, query = { 0 };
	build_v3_report(&report, 2, 2);
	build_v3_query(&query, 10, 125, 2, 2);
	corrupt_and_decode(&report, LINK_ETHERNET, 12, check_igmp);
	corrupt_and_decode(&query, LINK_ETHERNET, 13, check_igmp);
}
