/* test_collect_nats.c: what lib/collect/nats.c decides without a server:
 * which subjects name a sensor and a type, which ids can be subject
 * tokens, and which message bodies are whole, well-formed batches. The
 * round trip through a real nats-server is tests/e2e/test_collect_nats.sh. */
#include <criterion/criterion.h>
#include <string.h>

#include "collect/nats.h"
#include "collect/wire.h"
#include "ncap/schema.h"
#include "ncap/varint.h"

static bool parses(const char *subject, const char *want_id, const char *want_type)
{
	const char *id, *type;
	size_t il, tl;
	if (!collect_nats_parse_subject(subject, &id, &il, &type, &tl))
		return false;
	cr_assert_eq(il, strlen(want_id), "%s: id length %zu", subject, il);
	cr_assert(memcmp(id, want_id, il) == 0, "%s: id %.*s", subject, (int)il, id);
	cr_assert_eq(tl, strlen(want_type), "%s: type length %zu", subject, tl);
	cr_assert(memcmp(type, want_type, tl) == 0, "%s: type %.*s", subject, (int)tl, type);
	return true;
}

Test(collect_nats, subjects)
{
	cr_assert(parses("netcap.s1.TCP", "s1", "TCP"));
	/* A sensor id may hold dots: the type is the last token. */
	cr_assert(parses("netcap.site-a.rack.2.DNS", "site-a.rack.2", "DNS"));
	const char *bad[] = {
		"", "netcap", "netcap.", "netcap.s1", "netcap.s1.", "netcap..TCP", "netcap.TCP",
		"other.s1.TCP", "NETCAP.s1.TCP", "netcap.bad$id.TCP", "netcap.../x.TCP",
		"netcap.a..b.TCP", "netcap.a..TCP", "netcap.s1.*", "netcap.*.TCP", "netcap.>",
		"xnetcap.s1.TCP",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *id, *type;
		size_t il, tl;
		cr_expect(!collect_nats_parse_subject(bad[i], &id, &il, &type, &tl),
			  "\"%s\" accepted", bad[i]);
	}
	char longid[200] = "netcap.";
	memset(longid + 7, 'a', COLLECT_ID_MAX + 1);
	strcpy(longid + 7 + COLLECT_ID_MAX + 1, ".TCP");
	const char *id, *type;
	size_t il, tl;
	cr_assert(!collect_nats_parse_subject(longid, &id, &il, &type, &tl), "a 65-byte id accepted");
	cr_assert(!collect_nats_parse_subject(NULL, &id, &il, &type, &tl));
}

Test(collect_nats, ids)
{
	cr_assert(collect_nats_id_ok("s1", 2));
	cr_assert(collect_nats_id_ok("a.b", 3));
	cr_assert(!collect_nats_id_ok("a..b", 4));
	cr_assert(!collect_nats_id_ok("a.", 2));
	cr_assert(!collect_nats_id_ok(".a", 2));
	cr_assert(!collect_nats_id_ok("a b", 3));
	cr_assert(!collect_nats_id_ok("a*", 2));
	cr_assert(!collect_nats_id_ok("", 0));
}

/* n empty records of one byte each, then extra. */
static size_t batch(uint8_t *buf, size_t n)
{
	memset(buf, 0, n);
	return n;
}

Test(collect_nats, bodies)
{
	static uint8_t buf[COLLECT_BATCH_MAX + 16];
	uint32_t records = 99;
	size_t len = batch(buf, 3);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, buf, len, &records), -1);
	cr_assert_eq(records, 3);

	/* A real field: TCP SrcPort (field 2, varint) = 443, framed. */
	uint8_t rec[] = {0x10, 0xbb, 0x03};
	size_t n = ncap_varint_put(buf, sizeof rec);
	memcpy(buf + n, rec, sizeof rec);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, buf, n + sizeof rec, &records), -1);
	cr_assert_eq(records, 1);
	/* Cut anywhere inside, it is not whole. */
	for (size_t cut = 1; cut < n + sizeof rec; cut++)
		cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, buf, cut, &records),
			     COLLECT_NATS_BAD_RECORDS, "cut at %zu", cut);

	/* A length past the end; a varint that never ends; a group wire type. */
	const uint8_t past[] = {0x05, 0x00};
	const uint8_t endless[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t group[] = {0x01, 0x0b};
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, past, sizeof past, &records),
		     COLLECT_NATS_BAD_RECORDS);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, endless, sizeof endless, &records),
		     COLLECT_NATS_BAD_RECORDS);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, group, sizeof group, &records),
		     COLLECT_NATS_BAD_RECORDS);

	/* Sizes: empty, and one byte over the bound. */
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, buf, 0, &records),
		     COLLECT_NATS_BAD_SIZE);
	len = batch(buf, COLLECT_BATCH_MAX + 1);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, buf, len, &records),
		     COLLECT_NATS_BAD_SIZE);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_TCP, buf, COLLECT_BATCH_MAX, &records), -1);
	cr_assert_eq(records, COLLECT_BATCH_MAX);

	/* Types: none, and Header, whose files no reader accepts. */
	cr_assert_eq(collect_nats_check_body(-1, buf, 1, &records), COLLECT_NATS_BAD_TYPE);
	cr_assert_eq(collect_nats_check_body(TYPES__TYPE__NC_Header, buf, 1, &records),
		     COLLECT_NATS_BAD_TYPE);
}

Test(collect_nats, bad_names)
{
	for (int b = 0; b < COLLECT_NATS_BADS; b++)
		cr_assert(strcmp(collect_nats_bad_name(b), "?") != 0, "cause %d has no name", b);
	cr_assert_str_eq(collect_nats_bad_name(COLLECT_NATS_BADS), "?");
}
