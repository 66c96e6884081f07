/* fill.h: messages with every field set, for tests and test-file generators.
 *
 * fill_message() walks a message descriptor (field offsets, quantifier
 * offsets, nested descriptors) and sets every field to a value that is not
 * the proto3 default, derived from a seed: the same descriptor and seed give
 * the same message. No per-type code: it works for every message of
 * proto/netcap.proto and for any future one.
 *
 * Values, per field:
 *   integers    non-zero, distinct from field to field; signed ones
 *               alternate in sign; 64-bit ones exceed 2^53 (beyond a
 *               double's precision, so lossy JSON handling shows)
 *   enums       a valid, non-zero value of the enum
 *   float/double  a non-zero value with a fraction (x.0625, x.5, ...)
 *   bool        true
 *   string      text with a comma, a double quote, a backslash and
 *               non-ASCII UTF-8 ("Name#7, \"q\" \\ é—✓")
 *   bytes       4 to 7 bytes including 0x00 and 0xff
 *   message     filled recursively (to FILL_MAX_DEPTH, then left empty but
 *               present)
 *   repeated    FILL_REPEATED elements; map entries get distinct keys
 *   oneof       only the first member of each oneof is set
 *
 * Memory comes from malloc; fill_free() releases a filled message. */
#ifndef NCAP_TEST_FILL_H
#define NCAP_TEST_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#define FILL_MAX_DEPTH 8
#define FILL_REPEATED 2

/* A new message of type d with every field set; NULL when out of memory. */
ProtobufCMessage *fill_message(const ProtobufCMessageDescriptor *d, uint64_t seed);

/* Frees a message from fill_message() (NULL is fine). */
void fill_free(ProtobufCMessage *m);

/* Checks that every field of m (recursively, every element of repeated
 * fields) holds a non-default value. Returns NULL if so, else writes the
 * first offending field's path ("HTTP.ReqCookies[1].Name") to buf and
 * returns buf. Works on any message, filled or unpacked. */
const char *fill_first_unset(const ProtobufCMessage *m, char *buf, size_t len);

/* True for the synthetic entry message protoc generates for a map field:
 * named "...Entry", fields key = 1 and value = 2. */
bool fill_is_map_entry(const ProtobufCMessageDescriptor *d);

#endif
