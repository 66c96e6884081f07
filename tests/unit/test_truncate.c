/* test_truncate.c: a record over NCAP_RECORD_LIMIT is cut to fit, marked
 * Truncated, and still a valid record (lib/ncap/truncate.c). The engine
 * used to drop such a record without a trace (issue 9, item 4). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ncap/truncate.h"
#include "netcap.pb-c.h"

static char scratch_mem[NCAP_RECORD_LIMIT];

static struct ncap_scratch scratch(void)
{
	return (struct ncap_scratch){ .base = scratch_mem, .cap = sizeof scratch_mem };
}

/* Packs msg, unpacks it again through protobuf-c and returns the copy. */
static ProtobufCMessage *round_trip(const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(n ? n : 1);
	protobuf_c_message_pack(msg, buf);
	ProtobufCMessage *back = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
	free(buf);
	cr_assert_not_null(back, "the cut record does not unpack");
	return back;
}

Test(truncate, dns_with_thousands_of_long_questions)
{
	enum { N = 3000 };
	static Types__DNSQuestion q[N];
	static Types__DNSQuestion *qp[N];
	static char name[256];
	memset(name, 'a', 250);
	for (int i = 0; i < N; i++) {
		types__dnsquestion__init(&q[i]);
		q[i].name = name;
		q[i].type = 1;
		qp[i] = &q[i];
	}
	Types__DNS dns = TYPES__DNS__INIT;
	dns.questions = qp;
	dns.n_questions = N;
	dns.qdcount = N;
	dns.srcip = (char *)"10.0.0.1";
	cr_assert_gt(protobuf_c_message_get_packed_size(&dns.base), NCAP_RECORD_LIMIT);
	struct ncap_scratch s = scratch();
	cr_assert(ncap_record_truncate(&dns.base, NCAP_RECORD_LIMIT, &s));
	size_t size = protobuf_c_message_get_packed_size(&dns.base);
	cr_assert_leq(size, NCAP_RECORD_LIMIT);
	cr_assert_gt(size, NCAP_RECORD_LIMIT / 2, "cut far more than needed: %zu bytes left", size);
	cr_assert(dns.truncated);
	cr_assert_gt(dns.n_questions, 0);
	cr_assert_lt(dns.n_questions, N);
	cr_assert_eq(dns.qdcount, N, "the header's count stays as on the wire");
	Types__DNS *back = (Types__DNS *)round_trip(&dns.base);
	cr_assert(back->truncated);
	cr_assert_eq(back->n_questions, dns.n_questions);
	cr_assert_str_eq(back->questions[0]->name, name);
	cr_assert_str_eq(back->srcip, "10.0.0.1");
	protobuf_c_message_free_unpacked(&back->base, NULL);
}

Test(truncate, bytes_field_of_a_262144_byte_frame)
{
	static uint8_t data[262144];
	Types__EthernetCTPReply r = TYPES__ETHERNET_CTPREPLY__INIT;
	r.function = 1;
	r.data = (ProtobufCBinaryData){ .len = sizeof data, .data = data };
	struct ncap_scratch s = scratch();
	cr_assert(ncap_record_truncate(&r.base, NCAP_RECORD_LIMIT, &s));
	cr_assert_leq(protobuf_c_message_get_packed_size(&r.base), NCAP_RECORD_LIMIT);
	cr_assert(r.truncated);
	cr_assert_eq(r.data.len, sizeof data / 4);
	cr_assert_eq(r.function, 1);
}

Test(truncate, strings_are_cut_at_a_utf8_boundary)
{
	/* One header of 200 KB of 3-byte characters: the cut must not split one. */
	size_t n = 200000;
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3); /* U+20AC */
	big[n - n % 3] = '\0';
	char *headers[1] = { big };
	Types__SIP sip = TYPES__SIP__INIT;
	sip.headers = headers;
	sip.n_headers = 1;
	struct ncap_scratch s = scratch();
	cr_assert(ncap_record_truncate(&sip.base, NCAP_RECORD_LIMIT, &s));
	cr_assert(sip.truncated);
	cr_assert_eq(sip.n_headers, 1);
	size_t len = strlen(sip.headers[0]);
	cr_assert_gt(len, 0);
	cr_assert_eq(len % 3, 0, "cut inside a character: %zu bytes", len);
	cr_assert_eq(big[0], '\xe2', "the original string must not be written to");
	cr_assert_eq(strlen(big), n - n % 3);
	free(big);
}

Test(truncate, a_record_within_the_limit_is_left_alone)
{
	Types__DNS dns = TYPES__DNS__INIT;
	dns.srcip = (char *)"10.0.0.1";
	struct ncap_scratch s = scratch();
	cr_assert(ncap_record_truncate(&dns.base, NCAP_RECORD_LIMIT, &s));
	cr_assert_not(dns.truncated);
	cr_assert_eq(s.used, 0);
}
