/* recordcheck.h: bounds what decoding one record may cost, before decoding it.
 *
 * protobuf_c_message_unpack() believes its input: every element of a
 * repeated message field costs sizeof(message) (plus scan slabs and array
 * slots) however small it is on the wire, so a 16 MiB record of empty
 * elements (2 or 3 bytes each) makes it allocate over a gigabyte and take
 * seconds; unknown fields are copied one allocation each; a singular
 * message field given many times is merged, copying its arrays again each
 * time. Every reader of record files that unpacks records from a file it
 * did not write (netcap-dump, a labeler, a collector) goes through here.
 *
 * ncap_record_check() walks the record's wire format once against its
 * descriptor, recursively for sub-messages (depth-limited), reading it
 * exactly as protobuf-c 1.4 frames it, and computes an upper bound of the
 * bytes protobuf-c will allocate for it (each allocation counted as
 * ncap_alloc_cost() of its size) and the element count of every repeated
 * field. It is linear in the record's bytes, allocates nothing and never
 * reads outside data[0..len). It refuses:
 *   - NCAP_CHECK_MALFORMED: wire format protobuf-c would refuse as well
 *     (truncated varint or length, a field running past its message, a
 *     group or reserved wire type, a wire type that does not fit the field,
 *     bad packed data), and a few things it would misread (a length prefix
 *     of 2^32 or more, field number 0 or above 2^29-1);
 *   - NCAP_CHECK_TOO_COSTLY: a repeated field (or the unknown fields) of one
 *     message with more than max_elements elements, nesting deeper than
 *     max_depth, or an estimate above max_memory.
 * The reason names the field by path and the byte offset in the record:
 *   "DNS.Answers: 5592405 elements, more than the cap of 1048576"
 *   "DNS.Answers[2].Name at byte 57: length 300 runs past the end of its message (20 bytes left)"
 *
 * ncap_record_unpack() checks, then unpacks with an allocator that refuses
 * to allocate more than max_memory in total (a second line of defence in
 * case the estimate were ever wrong). Its messages are ordinary protobuf-c
 * messages: free them with protobuf_c_message_free_unpacked(msg, NULL). */
#ifndef NCAP_RECORDCHECK_H
#define NCAP_RECORDCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* Defaults (docs/csv-json.md, "Limits"). NETCAP writes records of at most
 * 128 KiB, which decode into at most about 20 MiB even when made of nothing
 * but empty sub-messages, and hold fewer than 2^17 elements in all. */
#define NCAP_DEFAULT_MAX_MEMORY (64u << 20)
#define NCAP_DEFAULT_MAX_ELEMENTS (1u << 20)
#define NCAP_DEFAULT_MAX_DEPTH 16
/* Messages with more fields than this cannot be checked (the schema's
 * largest has 31; a unit test keeps it so). */
#define NCAP_CHECK_MAX_FIELDS 128
/* Records larger than this are refused before anything else (protobuf-c
 * keeps lengths in 32 bits; the reader stops at 16 MiB anyway). */
#define NCAP_CHECK_MAX_LEN (1u << 30)

struct ncap_limits {
	uint64_t max_memory;   /* bytes protobuf-c may allocate for one record */
	uint64_t max_elements; /* elements of one repeated field of one message */
	unsigned max_depth;    /* messages nested in each other; the record is 1 */
};

extern const struct ncap_limits ncap_default_limits;

enum ncap_check_status {
	NCAP_CHECK_OK = 0,
	NCAP_CHECK_MALFORMED,
	NCAP_CHECK_TOO_COSTLY,
};

struct ncap_check {
	enum ncap_check_status status;
	/* Upper bound of what protobuf-c allocates for the record, in
	 * ncap_alloc_cost() units; exact for OK, a lower bound otherwise. */
	uint64_t memory;
	char reason[320]; /* "" for OK */
};

/* Checks one record of type desc (see above); fills *out and returns its
 * status. lim NULL: ncap_default_limits. */
enum ncap_check_status ncap_record_check(const ProtobufCMessageDescriptor *desc,
					 const uint8_t *data, size_t len,
					 const struct ncap_limits *lim, struct ncap_check *out);

/* ncap_record_check(), then protobuf_c_message_unpack() with a budget of
 * lim->max_memory. NULL when either refuses, with out->reason set
 * (protobuf-c's refusals: "cannot be decoded as DNS"). */
ProtobufCMessage *ncap_record_unpack(const ProtobufCMessageDescriptor *desc,
				     const uint8_t *data, size_t len,
				     const struct ncap_limits *lim, struct ncap_check *out);

/* protobuf_c_message_unpack() through an allocator that refuses to go past
 * budget bytes in total (ncap_alloc_cost() of each allocation); *used gets
 * what it counted (may be NULL). No check first: for tests and fuzzers,
 * and for callers that checked already. */
ProtobufCMessage *ncap_unpack_with_budget(const ProtobufCMessageDescriptor *desc,
					  const uint8_t *data, size_t len,
					  uint64_t budget, uint64_t *used);

/* What one allocation of size bytes costs the heap (glibc: the size plus an
 * 8-byte header, in 16-byte steps, at least 32), as both the estimate and
 * the budget allocator count it. */
static inline uint64_t ncap_alloc_cost(uint64_t size)
{
	if (size > UINT64_MAX / 2)
		return UINT64_MAX;
	uint64_t c = (size + 8 + 15) & ~(uint64_t)15;
	return c < 32 ? 32 : c;
}

#endif
