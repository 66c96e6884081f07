/* truncate.c: see truncate.h. Runs only for a record over the limit, so
 * it favours simplicity: every step measures the message again. */
#include <string.h>

#include "ncap/schema.h"
#include "ncap/truncate.h"

/* Packed bytes of one value (a scalar counts as its largest varint). */
static size_t value_bytes(ProtobufCType type, const void *p)
{
	switch (type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s ? strlen(s) : 0;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len;
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(const ProtobufCMessage *const *)p;
		return m ? protobuf_c_message_get_packed_size(m) : 0;
	}
	default:
		return 10;
	}
}

static bool is_set_oneof_or_plain(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return true;
	return *(const uint32_t *)((const char *)msg + f->quantifier_offset) == f->id;
}

/* Packed bytes a field can give up: 0 for a single scalar. */
static size_t cuttable_bytes(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)msg;
	if (!is_set_oneof_or_plain(msg, f))
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(const size_t *)(base + f->quantifier_offset);
		const char *elems = *(const char *const *)(base + f->offset);
		size_t total = 0, size = ncap_repeated_element_size(f->type);
		for (size_t i = 0; elems && i < n; i++)
			total += value_bytes(f->type, elems + i * size) + 2;
		return total;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_BYTES: case PROTOBUF_C_TYPE_MESSAGE:
		return value_bytes(f->type, base + f->offset);
	default:
		return 0;
	}
}

/* Replaces *s by its first half (to a UTF-8 boundary), copied to scratch. */
static void cut_string(char **s, struct ncap_scratch *scratch)
{
	size_t len = strlen(*s), keep = len / 2;
	while (keep > 0 && ((unsigned char)(*s)[keep] & 0xC0) == 0x80)
		keep--;
	if (scratch->cap - scratch->used < keep + 1) {
		*s = (char *)protobuf_c_empty_string;
		return;
	}
	char *copy = scratch->base + scratch->used;
	memcpy(copy, *s, keep);
	copy[keep] = '\0';
	scratch->used += keep + 1;
	*s = copy;
}

static bool cut_largest(ProtobufCMessage *msg, struct ncap_scratch *scratch);

/* Halves one value of type `type` at p; false when nothing is left of it. */
static bool cut_value(ProtobufCType type, void *p, struct ncap_scratch *scratch)
{
	switch (type) {
	case PROTOBUF_C_TYPE_STRING:
		if (!**(char **)p)
			return false;
		cut_string(p, scratch);
		return true;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *bd = p;
		if (!bd->len)
			return false;
		bd->len /= 2;
		return true;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage **m = p;
		if (!*m)
			return false;
		if (!cut_largest(*m, scratch))
			*m = NULL; /* all scalars, yet too large as a whole: drop it */
		return true;
	}
	default:
		return false;
	}
}

/* Cuts the field of msg that holds the most bytes; false when none holds any. */
static bool cut_largest(ProtobufCMessage *msg, struct ncap_scratch *scratch)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const ProtobufCFieldDescriptor *best = NULL;
	size_t best_bytes = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		size_t b = cuttable_bytes(msg, &d->fields[i]);
		if (b > best_bytes) {
			best_bytes = b;
			best = &d->fields[i];
		}
	}
	if (!best)
		return false;
	char *base = (char *)msg;
	if (best->label != PROTOBUF_C_LABEL_REPEATED)
		return cut_value(best->type, base + best->offset, scratch);
	size_t *n = (size_t *)(base + best->quantifier_offset);
	if (*n >= 2) {
		*n /= 2;
		return true;
	}
	/* One element: cut inside it, or drop it when it cannot be cut. */
	char *elem = *(char **)(base + best->offset);
	if (!cut_value(best->type, elem, scratch))
		*n = 0;
	return true;
}

bool ncap_record_truncate(ProtobufCMessage *msg, size_t limit, struct ncap_scratch *scratch)
{
	if (protobuf_c_message_get_packed_size(msg) <= limit)
		return true;
	const ProtobufCFieldDescriptor *flag =
		protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "Truncated");
	if (flag && flag->type == PROTOBUF_C_TYPE_BOOL && flag->label != PROTOBUF_C_LABEL_REPEATED)
		*(protobuf_c_boolean *)((char *)msg + flag->offset) = 1;
	while (protobuf_c_message_get_packed_size(msg) > limit)
		if (!cut_largest(msg, scratch))
			return false;
	return true;
}
