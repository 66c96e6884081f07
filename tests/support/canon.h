/* canon.h: a canonical JSON rendering of any protobuf-c message, the test
 * oracle that tests/e2e/protobuf_compat.py compares with Google's protobuf
 * runtime (MessageToDict with preserving_proto_field_name and
 * including_default_value_fields).
 *
 * One JSON object per message, keys are the .proto field names in field
 * order, every field present (defaults too) except unset message fields.
 * Values follow the proto3 JSON mapping, except bytes:
 *   32-bit integers  JSON numbers
 *   64-bit integers  JSON strings ("-1234")
 *   float, double    JSON numbers, shortest text that reads back exactly
 *                    ("NaN", "Infinity", "-Infinity" as strings)
 *   bool             true / false
 *   enum             the value's name ("NC_TCP"), or its number if unnamed
 *   string           JSON string (UTF-8 passed through, controls escaped)
 *   bytes            lowercase hex string (proto3 JSON says base64; hex is
 *                    easier to read in a diff)
 *   repeated         JSON array
 *   map              JSON object keyed by the key's text
 * Deliberately independent of lib/export: it is what that code is checked
 * against, not a second use of it. */
#ifndef NCAP_TEST_CANON_H
#define NCAP_TEST_CANON_H

#include <stdio.h>
#include <protobuf-c/protobuf-c.h>

void canon_json(FILE *out, const ProtobufCMessage *m);

#endif
