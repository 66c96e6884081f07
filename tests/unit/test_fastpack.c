/* test_fastpack.c: the hand-written serializers must write exactly the bytes
 * protobuf-c writes, for every field set, for defaults, and for values at
 * the edges of their types (negative int32 become 10-byte varints). */
#include <criterion/criterion.h>
#include <string.h>

#include "ncap/fastpack.h"
#include "ncap/schema.h"
#include "../support/fill.h"

static const int fast_types[] = {
	TYPES__TYPE__NC_Ethernet, TYPES__TYPE__NC_Dot1Q, TYPES__TYPE__NC_IPv4,
	TYPES__TYPE__NC_IPv6, TYPES__TYPE__NC_TCP, TYPES__TYPE__NC_UDP,
	TYPES__TYPE__NC_Connection, TYPES__TYPE__NC_Flow, TYPES__TYPE__NC_LinkFlow,
	TYPES__TYPE__NC_NetworkFlow, TYPES__TYPE__NC_TransportFlow,
};

static void expect_same_bytes(int type, const ProtobufCMessage *msg, const char *what)
{
	static uint8_t fast[1 << 20], reference[1 << 20];
	long n_ref = ncap_pack_delimited(msg, reference, sizeof reference);
	long n_fast = ncap_fastpack(type, msg, fast, sizeof fast);
	cr_assert_gt(n_ref, 0);
	if (n_fast == -1)
		return; /* this message takes the protobuf-c path (IPv6 hop-by-hop) */
	cr_assert_eq(n_fast, n_ref, "%s %s: %ld bytes, protobuf-c %ld", ncap_type_by_id(type)->name,
		     what, n_fast, n_ref);
	cr_assert(memcmp(fast, reference, (size_t)n_ref) == 0, "%s %s: bytes differ",
		  ncap_type_by_id(type)->name, what);
	/* Too little room is refused, never overrun. */
	cr_assert_eq(ncap_fastpack(type, msg, fast, 2), 0);
}

Test(fastpack, every_field_set_matches_protobuf_c)
{
	for (size_t i = 0; i < sizeof fast_types / sizeof *fast_types; i++) {
		const struct ncap_type *t = ncap_type_by_id(fast_types[i]);
		for (uint64_t seed = 1; seed <= 50; seed++) {
			ProtobufCMessage *m = fill_message(t->desc, seed);
			cr_assert_not_null(m);
			expect_same_bytes(t->id, m, "filled");
			fill_free(m);
		}
	}
}

Test(fastpack, defaults_and_edges_match_protobuf_c)
{
	for (size_t i = 0; i < sizeof fast_types / sizeof *fast_types; i++) {
		const struct ncap_type *t = ncap_type_by_id(fast_types[i]);
		/* all defaults: an empty record */
		uint8_t storage[4096] __attribute__((aligned(16)));
		ProtobufCMessage *m = (ProtobufCMessage *)storage;
		protobuf_c_message_init(t->desc, m);
		expect_same_bytes(t->id, m, "empty");
		/* integers at their edges, one field at a time */
		for (unsigned f = 0; f < t->desc->n_fields; f++) {
			const ProtobufCFieldDescriptor *fd = &t->desc->fields[f];
			if (fd->label == PROTOBUF_C_LABEL_REPEATED)
				continue;
			void *member = storage + fd->offset;
			protobuf_c_message_init(t->desc, m);
			switch (fd->type) {
			case PROTOBUF_C_TYPE_INT32:
				*(int32_t *)member = INT32_MIN;
				expect_same_bytes(t->id, m, fd->name);
				*(int32_t *)member = -1;
				expect_same_bytes(t->id, m, fd->name);
				*(int32_t *)member = INT32_MAX;
				break;
			case PROTOBUF_C_TYPE_UINT32:
				*(uint32_t *)member = UINT32_MAX;
				break;
			case PROTOBUF_C_TYPE_INT64:
				*(int64_t *)member = INT64_MIN;
				break;
			case PROTOBUF_C_TYPE_DOUBLE:
				*(double *)member = -0.0; /* equal to 0: omitted by both */
				expect_same_bytes(t->id, m, fd->name);
				*(double *)member = 7.999999;
				break;
			case PROTOBUF_C_TYPE_BOOL:
				*(protobuf_c_boolean *)member = 1;
				break;
			case PROTOBUF_C_TYPE_STRING: {
				static char longer[300];
				memset(longer, 'x', sizeof longer - 1); /* length varint of 2 bytes */
				*(char **)member = longer;
				break;
			}
			default:
				continue;
			}
			expect_same_bytes(t->id, m, fd->name);
		}
	}
}

Test(fastpack, long_options_need_two_byte_lengths)
{
	Types__TCP tcp = TYPES__TCP__INIT;
	Types__TCPOption opt = TYPES__TCPOPTION__INIT, *opts[1] = { &opt };
	static uint8_t data[200];
	memset(data, 0xab, sizeof data);
	opt.optiontype = 254;
	opt.optionlength = 202;
	opt.optiondata = (ProtobufCBinaryData){ .len = sizeof data, .data = data };
	tcp.n_options = 1;
	tcp.options = opts;
	tcp.srcport = 443;
	expect_same_bytes(TYPES__TYPE__NC_TCP, &tcp.base, "long option");
}

Test(fastpack, other_types_take_the_protobuf_c_path)
{
	Types__DNS dns = TYPES__DNS__INIT;
	uint8_t out[64];
	cr_assert_eq(ncap_fastpack(TYPES__TYPE__NC_DNS, &dns.base, out, sizeof out), -1);
}
