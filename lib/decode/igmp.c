/* igmp.c: IGMP versions 1, 2 and 3 (IGMP record), RFC 1112, 2236, 3376.
 *
 * The version is told apart as gopacket's decodeIGMP does, which is RFC 3376
 * section 7.1: a membership query (0x11) of 8 bytes is version 1 when its
 * Max Resp Code is 0, else version 2; one of 12 bytes or more is version 3;
 * any other length is ignored. A version 1 report (0x12) is version 1, a
 * version 2 report (0x16) or leave (0x17) version 2, a version 3 report
 * (0x22) version 3. Other types (DVMRP, PIMv1, mtrace, router discovery,
 * ...) have no decoder: an unknown layer, no record (gopacket fails on them).
 *
 * Fields follow gopacket's IGMP (version 3) and IGMPv1or2 layers, as netcap
 * fills its IGMP record from them:
 *   Type             the type byte
 *   MaxResponseTime  Max Resp Code decoded as in RFC 3376 4.1.1 (below 128
 *                    tenths of a second, else the exponential form), as a
 *                    Go time.Duration: nanoseconds. Set for queries (all
 *                    versions) and for version 1/2 reports and leaves (their
 *                    byte 1); 0 for version 3 reports.
 *   Checksum         as it stands
 *   GroupAddress     the group of a query or v1/v2 message; empty for a v3
 *                    report (netcap's Go code prints a nil address, "<nil>")
 *   SupressRouterProcessing, RobustnessValue  the S flag and QRV of a v3 query
 *   IntervalTime     the QQIC of a v3 query decoded with the same function
 *                    as MaxResponseTime, in nanoseconds: gopacket's reading,
 *                    which takes the code for tenths of a second although
 *                    RFC 3376 4.1.7 counts QQIC in seconds (so the value is
 *                    a tenth of the querier's interval)
 *   NumberOfSources, SourceAddresses  of a v3 query
 *   NumberOfGroupRecords, GroupRecords  of a v3 report: each record's Type,
 *                    AuxDataLen, NumberOfSources, MulticastAddress and
 *                    SourceAddresses
 *   Version          1, 2 or 3 as above
 *   SrcIP, DstIP     the IP layer's strings
 * Two gopacket slips are not copied: its exponential form is computed in 8
 * bits (so codes of 0x88 and up come out wrong), and it does not skip a
 * group record's auxiliary data (AuxDataLen words) before the next record.
 *
 * Faults: fewer bytes than the fixed part of the message (8, or 12 for a
 * v3 query), or a query shorter than 12 bytes in an IP payload that was cut
 * short (its version cannot be told): TRUNCATED; a query of 9 to 11 bytes:
 * BAD_LENGTH (RFC 3376 says to ignore it); source or group record counts that run past the message:
 * TRUNCATED when the IP payload was cut short, else BAD_LENGTH (gopacket
 * keeps the layer with the records it could read; we make no record for a
 * message whose counts lie).
 *
 * Bounded work: the counts are checked against the data before anything
 * is allocated; the bytes of every source and group record are read (the
 * cursor moves past them) whether or not a record is made or had room. A
 * record keeps at most IGMP_MAX_ADDRESSES addresses (query sources, or
 * group records and their sources, in message order; a full 1,500-byte
 * message holds 366); past that it is cut, counted as IGMP/capped and
 * marked Truncated, the counts keeping the message's values. */
#include "decode/decoders.h"

#define IGMP_MIN 8
#define IGMPV3_QUERY_MIN 12
#define IGMPV3_RECORD_HEADER 8
#define IPV4_ADDRESS 4
#define IGMP_MAX_ADDRESSES 1024

enum {
	IGMP_QUERY = 0x11,
	IGMP_REPORT_V1 = 0x12,
	IGMP_REPORT_V2 = 0x16,
	IGMP_LEAVE = 0x17,
	IGMP_REPORT_V3 = 0x22,
};

/* RFC 3376 4.1.1: a code below 128 is the time itself, else a floating
 * point form 1|exp(3)|mant(4); both in tenths of a second. Returns ns. */
static uint64_t igmp_time_ns(uint8_t code)
{
	uint64_t tenths = code;
	if (code & 0x80) {
		unsigned mant = code & 0x0f, exp = (code >> 4) & 0x07;
		tenths = (uint64_t)(mant | 0x10) << (exp + 3);
	}
	return tenths * 100000000ull;
}

static Types__IGMP *new_record(struct decoder_ctx *ctx, struct packet *pkt, uint8_t type,
			       int version)
{
	Types__IGMP *r = RECORD_NEW(ctx, pkt, IGMP, igmp);
	if (r) {
		r->timestamp = pkt->ts;
		r->type = type;
		r->version = version;
		RECORD_FILL_IPS(r, pkt);
	}
	return r;
}

/* A source or group count beyond the message. */
static int lying_count(struct decoder_ctx *ctx, struct packet *pkt)
{
	return decode_fail(ctx, pkt, PROTO_IGMP,
			   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_LENGTH);
}

/* The first `keep` of the IPv4 addresses at src (read by the caller) as
 * strings; NULL for none, or when out of space (counted with the record). */
static char **address_list(struct decoder_ctx *ctx, const uint8_t *src, size_t keep)
{
	if (keep == 0 || !src)
		return NULL;
	char **list = arena_alloc(&ctx->arena, keep * sizeof *list);
	if (!list)
		return NULL;
	for (size_t i = 0; i < keep; i++)
		list[i] = format_ip_bulk(&ctx->arena, 4, src + i * IPV4_ADDRESS);
	return list;
}

/* Versions 1 and 2: type, max response time, checksum, group. */
static int decode_v1_v2(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			int version)
{
	uint8_t type = cur_u8(cur);
	uint8_t max_resp = cur_u8(cur);
	uint16_t checksum = cur_be16(cur);
	const uint8_t *group = cur_bytes(cur, IPV4_ADDRESS);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IGMP, REASON_TRUNCATED);
	Types__IGMP *r = new_record(ctx, pkt, type, version);
	if (r) {
		r->maxresponsetime = igmp_time_ns(max_resp);
		r->checksum = checksum;
		r->groupaddress = format_ip(&ctx->arena, 4, group);
	}
	return DECODE_OK;
}

static int decode_v3_query(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t type = cur_u8(cur);
	uint8_t max_resp = cur_u8(cur);
	uint16_t checksum = cur_be16(cur);
	const uint8_t *group = cur_bytes(cur, IPV4_ADDRESS);
	uint8_t s_qrv = cur_u8(cur);
	uint8_t qqic = cur_u8(cur);
	uint16_t n_sources = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IGMP, REASON_TRUNCATED);
	if (n_sources > cur_left(cur) / IPV4_ADDRESS)
		return lying_count(ctx, pkt);
	const uint8_t *sources = cur_bytes(cur, n_sources * (uint32_t)IPV4_ADDRESS);
	Types__IGMP *r = new_record(ctx, pkt, type, 3);
	if (r) {
		r->maxresponsetime = igmp_time_ns(max_resp);
		r->checksum = checksum;
		r->groupaddress = format_ip(&ctx->arena, 4, group);
		r->supressrouterprocessing = (s_qrv & 0x08) != 0;
		r->robustnessvalue = s_qrv & 0x07;
		r->intervaltime = igmp_time_ns(qqic);
		r->numberofsources = n_sources;
		struct cap cap = CAP(IGMP_MAX_ADDRESSES, UINT32_MAX);
		size_t keep = cap_take_items(&cap, n_sources);
		r->sourceaddresses = address_list(ctx, sources, keep);
		r->n_sourceaddresses = r->sourceaddresses ? keep : 0;
		if (cap.hit)
			decode_capped(ctx, pkt, PROTO_IGMP, r);
	}
	return DECODE_OK;
}

/* Walks the group records once to check the counts against the data. */
static bool records_fit(struct cursor walk, uint16_t n_records)
{
	for (uint16_t i = 0; i < n_records; i++) {
		cur_skip(&walk, 1);
		uint8_t aux_words = cur_u8(&walk);
		uint16_t n_sources = cur_be16(&walk);
		cur_skip(&walk, IPV4_ADDRESS + n_sources * (uint32_t)IPV4_ADDRESS + aux_words * 4u);
		if (!cur_ok(&walk))
			return false;
	}
	return true;
}

/* Reads the n_records group records at cur (all of them, record or not)
 * and fills r, if any, with as many as the cap lets through. */
static void group_records(struct decoder_ctx *ctx, struct packet *pkt, Types__IGMP *r,
			  struct cursor *cur, uint16_t n_records)
{
	/* Each kept group record takes one of the cap's addresses. */
	size_t room = n_records < IGMP_MAX_ADDRESSES ? n_records : IGMP_MAX_ADDRESSES;
	Types__IGMPv3GroupRecord **records = r ? (Types__IGMPv3GroupRecord **)record_array(
		ctx, pkt, &types__igmpv3_group_record__descriptor, room) : NULL;
	struct cap cap = CAP(IGMP_MAX_ADDRESSES, UINT32_MAX);
	size_t kept = 0;
	for (uint16_t i = 0; i < n_records; i++) {
		uint8_t type = cur_u8(cur);
		uint8_t aux_words = cur_u8(cur);
		uint16_t n_sources = cur_be16(cur);
		const uint8_t *group = cur_bytes(cur, IPV4_ADDRESS);
		const uint8_t *sources = cur_bytes(cur, n_sources * (uint32_t)IPV4_ADDRESS);
		cur_skip(cur, aux_words * 4u);
		if (!records || !cap_take(&cap, 0))
			continue;
		Types__IGMPv3GroupRecord *g = records[kept++];
		g->type = type;
		g->auxdatalen = aux_words;
		g->numberofsources = n_sources;
		g->multicastaddress = format_ip_bulk(&ctx->arena, 4, group);
		size_t keep = cap_take_items(&cap, n_sources);
		g->sourceaddresses = address_list(ctx, sources, keep);
		g->n_sourceaddresses = g->sourceaddresses ? keep : 0;
	}
	if (records) {
		r->grouprecords = kept ? records : NULL;
		r->n_grouprecords = kept;
	}
	if (r && cap.hit)
		decode_capped(ctx, pkt, PROTO_IGMP, r);
}

static int decode_v3_report(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t type = cur_u8(cur);
	cur_skip(cur, 1);
	uint16_t checksum = cur_be16(cur);
	cur_skip(cur, 2);
	uint16_t n_records = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_IGMP, REASON_TRUNCATED);
	if (!records_fit(*cur, n_records))
		return lying_count(ctx, pkt);
	Types__IGMP *r = new_record(ctx, pkt, type, 3);
	if (r) {
		r->checksum = checksum;
		r->numberofgrouprecords = n_records;
	}
	group_records(ctx, pkt, r, cur, n_records);
	return DECODE_OK;
}

int decode_igmp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	if (cur_left(cur) == 0)
		return decode_fail(ctx, pkt, PROTO_IGMP, REASON_TRUNCATED);
	uint32_t len = cur_left(cur);
	switch (cur_peek_u8(cur, 0)) {
	case IGMP_QUERY:
		if (len >= IGMPV3_QUERY_MIN)
			return decode_v3_query(ctx, pkt, cur);
		/* The length tells the version: one cut short tells nothing. */
		if (pkt->ip_partial)
			return decode_fail(ctx, pkt, PROTO_IGMP, REASON_TRUNCATED);
		if (len > IGMP_MIN)
			return decode_fail(ctx, pkt, PROTO_IGMP, REASON_BAD_LENGTH);
		return decode_v1_v2(ctx, pkt, cur, cur_peek_u8(cur, 1) == 0 ? 1 : 2);
	case IGMP_REPORT_V1:
		return decode_v1_v2(ctx, pkt, cur, 1);
	case IGMP_REPORT_V2:
	case IGMP_LEAVE:
		return decode_v1_v2(ctx, pkt, cur, 2);
	case IGMP_REPORT_V3:
		return decode_v3_report(ctx, pkt, cur);
	default:
		return decode_unknown(ctx, pkt, PROTO_IGMP);
	}
}
