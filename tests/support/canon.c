/* canon.c: canonical JSON of a protobuf-c message (see canon.h). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ncap/schema.h"
#include "canon.h"
#include "fill.h"

#define AT(m, off, type) ((type *)((char *)(m) + (off)))

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* Shortest %g text that reads back as the same double. */
static void json_double(FILE *out, double v, int min_digits)
{
	if (isnan(v)) {
		fputs("\"NaN\"", out);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
		return;
	}
	char s[64];
	for (int digits = min_digits; digits <= 17; digits++) {
		snprintf(s, sizeof s, "%.*g", digits, v);
		if (strtod(s, NULL) == v)
			break;
	}
	fputs(s, out);
}

static void canon_message(FILE *out, const ProtobufCMessage *m);

/* as_key: the text of a map key, always quoted. */
static void canon_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p, int as_key)
{
	const char *q = as_key ? "\"" : "";
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%s%" PRId32 "%s", q, *(const int32_t *)p, q);
		break;
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%s%" PRIu32 "%s", q, *(const uint32_t *)p, q);
		break;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "\"%" PRId64 "\"", *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		fprintf(out, "\"%" PRIu64 "\"", *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		json_double(out, *(const float *)p, 1);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		json_double(out, *(const double *)p, 1);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fprintf(out, "%s%s%s", q, *(const protobuf_c_boolean *)p ? "true" : "false", q);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		if (ev)
			json_string(out, ev->name);
		else
			fprintf(out, "%d", v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		json_string(out, s ? s : "");
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		fputc('"', out);
		for (size_t i = 0; i < b->len; i++)
			fprintf(out, "%02x", b->data[i]);
		fputc('"', out);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		if (sub)
			canon_message(out, sub);
		else
			fputs("{}", out); /* a map entry without value */
		break;
	}
	}
}

static void canon_message(FILE *out, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	fputc('{', out);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = AT(m, f->offset, const void);
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *AT(m, f->quantifier_offset, const uint32_t) != f->id)
			continue;
		if (f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    !*(ProtobufCMessage *const *)p)
			continue; /* unset message: absent, as in MessageToDict */
		if (!first)
			fputc(',', out);
		first = false;
		json_string(out, f->name);
		fputc(':', out);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			canon_value(out, f, p, 0);
			continue;
		}
		size_t n = *AT(m, f->quantifier_offset, const size_t);
		const char *arr = *(char *const *)p;
		bool map = f->type == PROTOBUF_C_TYPE_MESSAGE && fill_is_map_entry(f->descriptor);
		fputc(map ? '{' : '[', out);
		for (size_t k = 0; k < n; k++) {
			const void *e = arr + k * ncap_repeated_element_size(f->type);
			if (k)
				fputc(',', out);
			if (map) {
				const ProtobufCMessage *entry = *(ProtobufCMessage *const *)e;
				const ProtobufCMessageDescriptor *ed = entry->descriptor;
				canon_value(out, &ed->fields[0], AT(entry, ed->fields[0].offset, const void), 1);
				fputc(':', out);
				canon_value(out, &ed->fields[1], AT(entry, ed->fields[1].offset, const void), 0);
			} else {
				canon_value(out, f, e, 0);
			}
		}
		fputc(map ? '}' : ']', out);
	}
	fputc('}', out);
}

void canon_json(FILE *out, const ProtobufCMessage *m)
{
	canon_message(out, m);
}
