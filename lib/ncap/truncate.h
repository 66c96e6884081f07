/* truncate.h: cutting a record that is too large to be written whole.
 *
 * A serialized record may be at most NCAP_RECORD_LIMIT bytes: the engine's
 * chunks keep that much room free, and readers bound their memory by it.
 * NETCAP's decoders cap what they put in a record so that none comes near
 * the limit (docs/decoding.md); this is the last line, so that a record is
 * never lost silently. A larger record is cut: the field holding the most
 * bytes, at whatever depth, loses its later half (a repeated field its
 * later elements, a bytes field its later bytes, a string its later
 * characters, cut at a UTF-8 boundary), again until the record fits, and
 * its Truncated field (number 100, a NETCAP extension on every record
 * type) is set. docs/file-format.md, "Truncated records". */
#ifndef NCAP_TRUNCATE_H
#define NCAP_TRUNCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#define NCAP_RECORD_LIMIT (128u << 10)

/* Room for the shortened copies of strings (strings may point into memory
 * that is not the record's to change). */
struct ncap_scratch {
	char *base;
	size_t cap, used;
};

/* Cuts msg in place until its packed size is at most limit, and sets its
 * Truncated field when it has one. The message and everything it points
 * to must be writable, except string contents (copied into scratch before
 * they are cut). Returns false when it cannot be cut that far (only
 * scalar fields left), leaving msg cut as far as it went. */
bool ncap_record_truncate(ProtobufCMessage *msg, size_t limit, struct ncap_scratch *scratch);

#endif
