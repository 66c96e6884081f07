/* test_recordcheck.c: unit tests of the record cost check and the budget
 * allocator (lib/ncap/recordcheck.c).
 *
 * Records are built byte by byte (wire.*) so that they can be anything an
 * attacker writes: huge element counts, deep nesting, cut varints, wrong
 * wire types, unknown fields, repeated singular messages. Where the check
 * passes a record, protobuf-c must decode it within the estimate; where it
 * calls a record malformed, protobuf-c must refuse it too. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ncap/recordcheck.h"
#include "ncap/schema.h"
#include "ncap/varint.h"
#include "netcap.pb-c.h"
#include "../support/fill.h"

TestSuite(recordcheck, .timeout = 120);

/* ---- building wire bytes ---- */

struct wire {
	uint8_t *p;
	size_t len, cap;
};

static void wire_bytes(struct wire *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2 + 64;
		w->p = realloc(w->p, w->cap);
		cr_assert_not_null(w->p);
	}
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void wire_varint(struct wire *w, uint64_t v)
{
	uint8_t tmp[NCAP_VARINT_MAX];
	wire_bytes(w, tmp, ncap_varint_put(tmp, v));
}

static void wire_key(struct wire *w, unsigned field, unsigned type)
{
	wire_varint(w, (uint64_t)field << 3 | type);
}

/* A length-delimited field holding n bytes at p. */
static void wire_len(struct wire *w, unsigned field, const void *p, size_t n)
{
	wire_key(w, field, 2);
	wire_varint(w, n);
	wire_bytes(w, p, n);
}

static void wire_free(struct wire *w)
{
	free(w->p);
	*w = (struct wire){ 0 };
}

static const struct ncap_limits small_limits = { .max_memory = 1u << 20, .max_elements = 1000, .max_depth = 16 };

/* Checks the record, expects status and (if not NULL) reason exactly. */
static struct ncap_check expect_check(const ProtobufCMessageDescriptor *d, const struct wire *w,
				      const struct ncap_limits *lim, enum ncap_check_status status,
				      const char *reason)
{
	struct ncap_check c;
	memset(&c, 0x5a, sizeof c);
	cr_assert_eq(ncap_record_check(d, w->p, w->len, lim, &c), status, "status %d, reason \"%s\"",
		     c.status, c.reason);
	cr_assert_eq(c.status, status);
	cr_assert_lt(strlen(c.reason), sizeof c.reason);
	if (status == NCAP_CHECK_OK)
		cr_assert_str_empty(c.reason);
	else
		cr_assert_str_not_empty(c.reason);
	if (reason)
		cr_assert_str_eq(c.reason, reason);
	return c;
}

/* The check passed: protobuf-c decodes the record within the estimate, and
 * the estimate is not wildly above what it took. */
static void expect_within_estimate(const ProtobufCMessageDescriptor *d, const struct wire *w,
				   uint64_t estimate)
{
	uint64_t used = 0;
	ProtobufCMessage *m = ncap_unpack_with_budget(d, w->p, w->len, estimate, &used);
	cr_assert_not_null(m, "%s: protobuf-c needed more than the estimate of %llu bytes", d->name,
			   (unsigned long long)estimate);
	cr_assert_leq(used, estimate);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* The check said malformed: protobuf-c refuses it as well. */
static void expect_protobuf_c_refuses(const ProtobufCMessageDescriptor *d, const struct wire *w)
{
	ProtobufCMessage *m = ncap_unpack_with_budget(d, w->p, w->len, 64u << 20, NULL);
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	cr_assert_null(m, "protobuf-c decodes what the check calls malformed");
}

/* ---- the schema fits the check ---- */

Test(recordcheck, every_schema_message_fits)
{
	for (size_t i = 0; i < ncap_all_descriptors_count; i++)
		cr_assert_leq(ncap_all_descriptors[i]->n_fields, NCAP_CHECK_MAX_FIELDS, "%s",
			      ncap_all_descriptors[i]->name);
}

/* Every message of the schema with every field set (nested to the fill
 * depth): the check passes it, and its estimate bounds protobuf-c. */
Test(recordcheck, estimate_bounds_every_filled_message)
{
	for (size_t i = 0; i < ncap_all_descriptors_count; i++) {
		const ProtobufCMessageDescriptor *d = ncap_all_descriptors[i];
		for (uint64_t seed = 1; seed <= 3; seed++) {
			ProtobufCMessage *m = fill_message(d, seed);
			cr_assert_not_null(m);
			struct wire w = { 0 };
			size_t n = protobuf_c_message_get_packed_size(m);
			w.p = malloc(n ? n : 1);
			w.len = w.cap = protobuf_c_message_pack(m, w.p);
			struct ncap_check c = expect_check(d, &w, NULL, NCAP_CHECK_OK, NULL);
			expect_within_estimate(d, &w, c.memory);
			/* Through the public entry point too. */
			ProtobufCMessage *back = ncap_record_unpack(d, w.p, w.len, NULL, &c);
			cr_assert_not_null(back, "%s: %s", d->name, c.reason);
			cr_assert_eq(protobuf_c_message_get_packed_size(back), n);
			protobuf_c_message_free_unpacked(back, NULL);
			fill_free(m);
			wire_free(&w);
		}
	}
}

Test(recordcheck, empty_record_is_fine)
{
	struct wire w = { 0 };
	struct ncap_check c = expect_check(&types__dns__descriptor, &w, NULL, NCAP_CHECK_OK, NULL);
	cr_assert_eq(c.memory, ncap_alloc_cost(sizeof(Types__DNS)));
	expect_within_estimate(&types__dns__descriptor, &w, c.memory);
}

/* ---- element counts ---- */

/* n empty elements of DNS field (15 Questions, 16 Answers): 2 or 3 bytes
 * each on the wire, a whole message each in memory. */
static void empty_elements(struct wire *w, unsigned field, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wire_len(w, field, NULL, 0);
}

Test(recordcheck, repeated_field_over_the_cap)
{
	struct wire w = { 0 };
	wire_key(&w, 2, 0);
	wire_varint(&w, 9); /* ID */
	empty_elements(&w, 16, 1000);
	struct ncap_check c = expect_check(&types__dns__descriptor, &w, &small_limits, NCAP_CHECK_OK, NULL);
	expect_within_estimate(&types__dns__descriptor, &w, c.memory);
	/* One more: refused, the field named with its count. */
	empty_elements(&w, 16, 1);
	expect_check(&types__dns__descriptor, &w, &small_limits, NCAP_CHECK_TOO_COSTLY,
		     "DNS.Answers: 1001 elements, more than the cap of 1000");
	wire_free(&w);
}

/* The record of the issue: a 16 MiB DNS record of nothing but empty
 * elements. Refused by the default limits, quickly. */
Test(recordcheck, sixteen_mib_of_empty_elements)
{
	struct wire w = { 0 };
	size_t n = (16u << 20) / 2;
	w.cap = 2 * n;
	w.p = malloc(w.cap);
	for (size_t i = 0; i < n; i++) {
		w.p[2 * i] = 15 << 3 | 2; /* Questions, length 0 */
		w.p[2 * i + 1] = 0;
	}
	w.len = 2 * n;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char want[128];
	snprintf(want, sizeof want, "DNS.Questions: %zu elements, more than the cap of %u", n,
		 NCAP_DEFAULT_MAX_ELEMENTS);
	expect_check(&types__dns__descriptor, &w, NULL, NCAP_CHECK_TOO_COSTLY, want);
	/* With the element cap lifted, the memory budget refuses it. */
	struct ncap_limits lifted = ncap_default_limits;
	lifted.max_elements = UINT64_MAX;
	struct ncap_check c = expect_check(&types__dns__descriptor, &w, &lifted, NCAP_CHECK_TOO_COSTLY, NULL);
	cr_assert(strstr(c.reason, "DNS: decoding needs about ") &&
		  strstr(c.reason, "more than the budget of 64 MiB (the most for Questions)"), "%s", c.reason);
	cr_assert_gt(c.memory, (uint64_t)n * sizeof(Types__DNSQuestion));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_expect_lt(secs, 5.0, "two checks of 16 MiB took %.2f s", secs);
	/* And protobuf-c, given the budget, stops too (the second line). */
	uint64_t used = 0;
	cr_assert_null(ncap_unpack_with_budget(&types__dns__descriptor, w.p, w.len, 64u << 20, &used));
	cr_assert_leq(used, 64u << 20);
	ProtobufCMessage *m = ncap_record_unpack(&types__dns__descriptor, w.p, w.len, NULL, &c);
	cr_assert_null(m);
	wire_free(&w);
}

Test(recordcheck, packed_elements_are_counted)
{
	/* TLSClientHello.CipherSuites (15): packed int32 varints. */
	struct wire w = { 0 }, packed = { 0 };
	for (int i = 0; i < 600; i++)
		wire_varint(&packed, (uint64_t)i * 1000);
	wire_len(&w, 15, packed.p, packed.len);
	struct ncap_check c = expect_check(&types__tlsclient_hello__descriptor, &w, &small_limits,
					   NCAP_CHECK_OK, NULL);
	expect_within_estimate(&types__tlsclient_hello__descriptor, &w, c.memory);
	/* Packed and unpacked occurrences of one field add up. */
	for (int i = 0; i < 401; i++) {
		wire_key(&w, 15, 0);
		wire_varint(&w, 7);
	}
	expect_check(&types__tlsclient_hello__descriptor, &w, &small_limits, NCAP_CHECK_TOO_COSTLY,
		     "TLSClientHello.CipherSuites: 1001 elements, more than the cap of 1000");
	wire_free(&w);
	wire_free(&packed);
}

Test(recordcheck, unknown_fields_are_counted_and_priced)
{
	/* UDP has no field 50: each occurrence is kept as an unknown field. */
	struct wire w = { 0 };
	for (int i = 0; i < 1000; i++) {
		wire_key(&w, 50, 0);
		wire_varint(&w, 1);
	}
	const char blob[] = "an unknown length-delimited field, copied whole";
	wire_len(&w, 51, blob, sizeof blob);
	struct ncap_limits lim = small_limits;
	lim.max_elements = 1001;
	struct ncap_check c = expect_check(&types__udp__descriptor, &w, &lim, NCAP_CHECK_OK, NULL);
	cr_assert_gt(c.memory, 1001 * (uint64_t)(32 + sizeof(ProtobufCMessageUnknownField)));
	expect_within_estimate(&types__udp__descriptor, &w, c.memory);
	wire_key(&w, 52, 5);
	wire_bytes(&w, "abcd", 4);
	expect_check(&types__udp__descriptor, &w, &lim, NCAP_CHECK_TOO_COSTLY,
		     "UDP: 1002 unknown fields, more than the cap of 1001");
	wire_free(&w);
}

Test(recordcheck, memory_budget_names_the_costliest_field)
{
	/* 500 answers of a 1000-byte name: about 0.5 MiB of copies. */
	struct wire w = { 0 }, answer = { 0 };
	char name[1000];
	memset(name, 'n', sizeof name);
	wire_len(&answer, 1, name, sizeof name);
	for (int i = 0; i < 500; i++)
		wire_len(&w, 16, answer.p, answer.len);
	wire_len(&w, 19, "10.0.0.1", 8);
	struct ncap_limits lim = small_limits;
	lim.max_memory = 256u << 10;
	struct ncap_check c = expect_check(&types__dns__descriptor, &w, &lim, NCAP_CHECK_TOO_COSTLY, NULL);
	char want[200];
	snprintf(want, sizeof want, "DNS: decoding needs about %llu KiB of memory, more than the budget of 256 KiB "
		 "(the most for Answers)", (unsigned long long)(c.memory >> 10));
	cr_assert_str_eq(c.reason, want);
	lim.max_memory = c.memory;
	expect_check(&types__dns__descriptor, &w, &lim, NCAP_CHECK_OK, NULL);
	expect_within_estimate(&types__dns__descriptor, &w, c.memory);
	wire_free(&w);
	wire_free(&answer);
}

/* A singular message field given again is merged into the earlier value,
 * its arrays copied each time: quadratic work, which the estimate prices. */
Test(recordcheck, repeated_singular_message_merges_are_priced)
{
	/* IPv6.HopByHop (12), a singular IPv6HopByHop with repeated Options (2). */
	struct wire hop = { 0 }, w = { 0 };
	for (int i = 0; i < 20; i++)
		wire_len(&hop, 2, NULL, 0);
	for (int k = 0; k < 50; k++)
		wire_len(&w, 12, hop.p, hop.len);
	struct ncap_check c = expect_check(&types__ipv6__descriptor, &w, NULL, NCAP_CHECK_OK, NULL);
	expect_within_estimate(&types__ipv6__descriptor, &w, c.memory);
	/* Merged: all 1000 options in one message, as protobuf-c does it. */
	Types__IPv6 *m = (Types__IPv6 *)ncap_record_unpack(&types__ipv6__descriptor, w.p, w.len, NULL, &c);
	cr_assert_not_null(m, "%s", c.reason);
	cr_assert_eq(m->hopbyhop->n_options, 1000);
	protobuf_c_message_free_unpacked(&m->base, NULL);
	/* 20000 times: 200 million element copies; refused unseen. */
	for (int k = 0; k < 20000 - 50; k++)
		wire_len(&w, 12, hop.p, hop.len);
	c = expect_check(&types__ipv6__descriptor, &w, NULL, NCAP_CHECK_TOO_COSTLY, NULL);
	cr_assert(strstr(c.reason, "(the most for HopByHop)") || strstr(c.reason, "decoding needs about"),
		  "%s", c.reason);
	wire_free(&w);
	wire_free(&hop);
}

/* ---- nesting ---- */

/* A message that contains itself (NETCAP's schema has none; other schemas
 * do): made by hand as protoc-c would generate it. */
typedef struct Node {
	ProtobufCMessage base;
	struct Node *child;
} Node;
static const ProtobufCMessageDescriptor node_descriptor;
static const ProtobufCFieldDescriptor node_fields[] = {
	{ "child", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0, offsetof(Node, child),
	  &node_descriptor, NULL, 0, 0, NULL, NULL },
};
static const unsigned node_fields_by_name[] = { 0 };
static const ProtobufCIntRange node_ranges[] = { { 1, 0 }, { 0, 1 } };
static void node_init(ProtobufCMessage *m)
{
	static const Node init = { PROTOBUF_C_MESSAGE_INIT(&node_descriptor), NULL };
	*(Node *)m = init;
}
static const ProtobufCMessageDescriptor node_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "test.Node", "Node", "Test__Node", "test", sizeof(Node),
	1, node_fields, node_fields_by_name, 1, node_ranges, node_init, NULL, NULL, NULL,
};

/* n messages nested in each other below the record: field 1 of each holds
 * the next. Lengths first, from the inside out, then the keys and lengths
 * from the outside in. */
static struct wire nested(size_t n)
{
	uint64_t *inner = calloc(n + 1, sizeof *inner); /* payload length at each level */
	cr_assert_not_null(inner);
	for (size_t k = 1; k <= n; k++)
		inner[k] = 1 + ncap_varint_size(inner[k - 1]) + inner[k - 1];
	struct wire w = { 0 };
	for (size_t k = n; k >= 1; k--) {
		wire_key(&w, 1, 2);
		wire_varint(&w, inner[k - 1]);
	}
	cr_assert_eq(w.len, inner[n]);
	free(inner);
	return w;
}

Test(recordcheck, nesting_is_limited)
{
	struct wire w = nested(15); /* the record and 15 levels below: 16 */
	struct ncap_check c = expect_check(&node_descriptor, &w, NULL, NCAP_CHECK_OK, NULL);
	expect_within_estimate(&node_descriptor, &w, c.memory);
	wire_free(&w);
	w = nested(16);
	c = expect_check(&node_descriptor, &w, NULL, NCAP_CHECK_TOO_COSTLY, NULL);
	cr_assert(strstr(c.reason, "Node.child.child.") && strstr(c.reason, ": messages nested more than 16 deep"),
		  "%s", c.reason);
	wire_free(&w);
	/* 100000 deep would overflow protobuf-c's stack; the check stops at 16. */
	w = nested(100000);
	expect_check(&node_descriptor, &w, NULL, NCAP_CHECK_TOO_COSTLY, NULL);
	wire_free(&w);
	/* Real schema, lower limit: Dot11.HTControl.VHT.MFB is 4 deep. */
	struct wire mfb = { 0 }, vht = { 0 }, ht = { 0 };
	wire_key(&mfb, 1, 0);
	wire_varint(&mfb, 1);
	wire_len(&vht, 4, mfb.p, mfb.len); /* VHT.MFB */
	wire_len(&ht, 3, vht.p, vht.len);  /* HTControl.VHT */
	const ProtobufCFieldDescriptor *htc = protobuf_c_message_descriptor_get_field_by_name(
		&types__dot11__descriptor, "HTControl");
	cr_assert_not_null(htc);
	wire_len(&w, htc->id, ht.p, ht.len);
	struct ncap_limits three = ncap_default_limits;
	three.max_depth = 3;
	c = expect_check(&types__dot11__descriptor, &w, NULL, NCAP_CHECK_OK, NULL);
	c = expect_check(&types__dot11__descriptor, &w, &three, NCAP_CHECK_TOO_COSTLY, NULL);
	cr_assert(strstr(c.reason, "Dot11.HTControl.VHT.MFB at byte ") &&
		  strstr(c.reason, ": messages nested more than 3 deep"), "%s", c.reason);
	wire_free(&w);
	wire_free(&mfb);
	wire_free(&vht);
	wire_free(&ht);
}

/* ---- malformed wire format ---- */

static void expect_malformed(const ProtobufCMessageDescriptor *d, const void *bytes, size_t n,
			     const char *reason)
{
	struct wire w = { 0 };
	wire_bytes(&w, bytes, n);
	expect_check(d, &w, NULL, NCAP_CHECK_MALFORMED, reason);
	expect_protobuf_c_refuses(d, &w);
	struct ncap_check c;
	cr_assert_null(ncap_record_unpack(d, w.p, w.len, NULL, &c));
	cr_assert_eq(c.status, NCAP_CHECK_MALFORMED);
	wire_free(&w);
}

#define MALFORMED(d, lit, reason) expect_malformed(d, lit, sizeof lit - 1, reason)

Test(recordcheck, malformed_wire_format)
{
	const ProtobufCMessageDescriptor *udp = &types__udp__descriptor;
	MALFORMED(udp, "\x10\x35\x80", "UDP at byte 2: field key cut off by the end of the message");
	MALFORMED(udp, "\x80\x80\x80\x80\x80\x01", "UDP at byte 0: field key longer than 5 bytes");
	MALFORMED(udp, "\x10\x80", "UDP.SrcPort at byte 0: varint cut off by the end of the message");
	MALFORMED(udp, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
		  "UDP.SrcPort at byte 0: varint longer than 10 bytes");
	MALFORMED(udp, "\x4a\x05" "ab",
		  "UDP.SrcIP at byte 0: length 5 runs past the end of its message (2 bytes left)");
	MALFORMED(udp, "\x4a\x80\x80\x80\x80\x80\x00", "UDP.SrcIP at byte 0: length longer than 5 bytes");
	MALFORMED(udp, "\x4a\x81", "UDP.SrcIP at byte 0: length cut off by the end of the message");
	MALFORMED(udp, "\x31\x00\x00",
		  "UDP.PayloadEntropy at byte 0: 8-byte value cut off by the end of the message (2 bytes left)");
	MALFORMED(udp, "\x10\x01\x0b",
		  "UDP.Timestamp at byte 2: wire type 3 (field 1): groups and reserved wire types are not supported");
	MALFORMED(udp, "\x16", "UDP.SrcPort at byte 0: wire type 6 (field 2): groups and reserved wire types are not supported");
	MALFORMED(udp, "\x12\x00", "UDP.SrcPort at byte 0: wire type 2, but a int32 value has wire type 0");
	MALFORMED(udp, "\x4a\x00\x48\x01", "UDP.SrcIP at byte 2: wire type 0, but a string value has wire type 2");
	MALFORMED(udp, "\x2d\x00\x00\x00\x00",
		  "UDP.Checksum at byte 0: wire type 5, but a int32 value has wire type 0");
	/* A packed int32 whose last varint is cut; a packed bool above 1;
	 * packed fixed-size values of a length that does not divide. */
	const ProtobufCMessageDescriptor *hello = &types__tlsclient_hello__descriptor;
	MALFORMED(hello, "\x7a\x03\x01\x02\x83",
		  "TLSClientHello.CipherSuites at byte 4: packed varint cut off by the end of the value");
	/* Nested: the path names the element. */
	const ProtobufCMessageDescriptor *dns = &types__dns__descriptor;
	MALFORMED(dns, "\x82\x01\x00\x82\x01\x03\x0a\x05x",
		  "DNS.Answers[1].Name at byte 6: length 5 runs past the end of its message (1 bytes left)");
	MALFORMED(dns, "\x82\x01\x02\x5a\x05",
		  "DNS.Answers[0].SOA at byte 3: length 5 runs past the end of its message (0 bytes left)");
}

/* Things protobuf-c would read through 32-bit arithmetic that wraps, or
 * keep although every other protobuf runtime refuses them: refused here. */
Test(recordcheck, stricter_than_protobuf_c)
{
	struct wire w = { 0 };
	/* Field number 0. */
	wire_bytes(&w, "\x00\x01", 2);
	expect_check(&types__udp__descriptor, &w, NULL, NCAP_CHECK_MALFORMED,
		     "UDP at byte 0: field number 0 is outside 1..536870911");
	wire_free(&w);
	/* Field number 2^29 (a 5-byte key). */
	wire_varint(&w, (uint64_t)1 << 32);
	wire_varint(&w, 1);
	expect_check(&types__udp__descriptor, &w, NULL, NCAP_CHECK_MALFORMED,
		     "UDP at byte 0: field number 536870912 is outside 1..536870911");
	wire_free(&w);
	/* A length of 2^32 + 2 in 5 bytes: protobuf-c keeps 32 bits (2). */
	wire_key(&w, 9, 2);
	wire_varint(&w, ((uint64_t)1 << 32) + 2);
	wire_bytes(&w, "ab", 2);
	expect_check(&types__udp__descriptor, &w, NULL, NCAP_CHECK_MALFORMED,
		     "UDP.SrcIP at byte 0: length 4294967298 runs past the end of its message (2 bytes left)");
	wire_free(&w);
}

Test(recordcheck, what_protobuf_c_accepts_passes)
{
	struct wire w = { 0 };
	/* A bool in any wire type (protobuf-c reads any), unknown fields of
	 * every wire type (not descended into), the same singular field
	 * twice (the last value wins), a 5-byte length holding a small value,
	 * a 10-byte varint. */
	wire_key(&w, 8, 2); /* SYN as a length-delimited value */
	wire_varint(&w, 2);
	wire_bytes(&w, "\x01\x00", 2);
	wire_key(&w, 11, 1); /* ACK as 8 bytes */
	wire_bytes(&w, "\x01\x00\x00\x00\x00\x00\x00\x00", 8);
	wire_len(&w, 99, "\xff\xff\xff", 3); /* unknown: garbage inside is fine */
	wire_key(&w, 98, 5);
	wire_bytes(&w, "abcd", 4);
	wire_key(&w, 24, 2); /* SrcIP with a 5-byte length of 3 */
	wire_bytes(&w, "\x83\x80\x80\x80\x00" "a.b", 8);
	wire_len(&w, 24, "c.d", 3);
	wire_key(&w, 2, 0); /* SrcPort, 10-byte varint */
	wire_bytes(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	struct ncap_check c = expect_check(&types__tcp__descriptor, &w, NULL, NCAP_CHECK_OK, NULL);
	expect_within_estimate(&types__tcp__descriptor, &w, c.memory);
	Types__TCP *t = (Types__TCP *)ncap_record_unpack(&types__tcp__descriptor, w.p, w.len, NULL, &c);
	cr_assert_not_null(t, "%s", c.reason);
	cr_assert(t->syn && t->ack);
	cr_assert_str_eq(t->srcip, "c.d");
	cr_assert_eq(t->srcport, -1);
	cr_assert_eq(t->base.n_unknown_fields, 2);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	wire_free(&w);
}

/* ---- random records ---- */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Filled records of every type with bytes changed, cut or inserted: the
 * check never reads out of bounds (ASan builds), and whenever it passes a
 * record protobuf-c decodes it within the estimate. */
Test(recordcheck, mutated_records_stay_within_the_estimate)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t passed = 0, malformed = 0;
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < ncap_all_descriptors_count; i++) {
			const ProtobufCMessageDescriptor *d = ncap_all_descriptors[i];
			ProtobufCMessage *m = fill_message(d, (uint64_t)round + 1);
			size_t n = protobuf_c_message_get_packed_size(m);
			uint8_t *p = malloc(n + 16);
			protobuf_c_message_pack(m, p);
			fill_free(m);
			int flips = 1 + (int)(xorshift(&seed) % 4);
			for (int k = 0; k < flips && n; k++) {
				size_t at = xorshift(&seed) % n;
				switch (xorshift(&seed) % 3) {
				case 0: p[at] = (uint8_t)xorshift(&seed); break;
				case 1: n = at; break;
				default: p[at] ^= (uint8_t)(1u << (xorshift(&seed) % 8)); break;
				}
			}
			/* An exact-size copy, so that ASan sees any read past it. */
			struct wire w = { 0 };
			wire_bytes(&w, p, n);
			free(p);
			struct ncap_check c;
			enum ncap_check_status st = ncap_record_check(d, w.p, w.len, NULL, &c);
			if (st == NCAP_CHECK_OK) {
				expect_within_estimate(d, &w, c.memory);
				passed++;
			} else {
				malformed += st == NCAP_CHECK_MALFORMED;
			}
			wire_free(&w);
		}
	}
	cr_assert_gt(passed, 100);
	cr_assert_gt(malformed, 100);
}
