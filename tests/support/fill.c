/* fill.c: every field of any message set from a seed (see fill.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncap/schema.h"
#include "fill.h"

struct rng {
	uint64_t state;
	unsigned serial; /* counts values handed out: makes strings distinct */
};

/* splitmix64: cheap, deterministic, well mixed. */
static uint64_t next(struct rng *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	g->serial++;
	return z ^ (z >> 31);
}

#define AT(m, off, type) ((type *)((char *)(m) + (off)))

bool fill_is_map_entry(const ProtobufCMessageDescriptor *d)
{
	size_t n = strlen(d->name);
	return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
	       strcmp(d->fields[0].name, "key") == 0 && d->fields[0].id == 1 &&
	       strcmp(d->fields[1].name, "value") == 0 && d->fields[1].id == 2;
}

static ProtobufCMessage *fill_at_depth(const ProtobufCMessageDescriptor *d,
				       struct rng *g, int depth);

/* Sets one value of field f at p. Returns 0, or -1 when out of memory. */
static int fill_value(const ProtobufCFieldDescriptor *f, void *p, struct rng *g, int depth)
{
	uint64_t r = next(g);
	bool negative = g->serial % 2 == 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: {
		int32_t v = (int32_t)(r % 2000000000u) + 1;
		*(int32_t *)p = negative ? -v : v;
		return 0;
	}
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)p = (uint32_t)(r % 4000000000u) + 1;
		return 0;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		int64_t v = (int64_t)((r >> 2) | (1ull << 60)) + 1; /* > 2^53 */
		*(int64_t *)p = negative ? -v : v;
		return 0;
	}
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)p = r | (1ull << 63);
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)p = (float)(r % 100000) + 0.25f;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = (double)(r % 100000000) / 8.0 + 0.0625;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = 1;
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		unsigned nonzero = 0;
		for (unsigned i = 0; i < e->n_values; i++)
			nonzero += e->values[i].value != 0;
		int v = e->n_values ? e->values[0].value : 0;
		if (nonzero) {
			unsigned pick = (unsigned)(r % nonzero);
			for (unsigned i = 0; i < e->n_values; i++)
				if (e->values[i].value != 0 && pick-- == 0) {
					v = e->values[i].value;
					break;
				}
		}
		*(int *)p = v;
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char s[256];
		snprintf(s, sizeof s, "%s#%u-%llu, \"q\" \\ \xc3\xa9\xe2\x80\x94\xe2\x9c\x93",
			 f->name, g->serial, (unsigned long long)(r % 1000));
		return (*(char **)p = strdup(s)) ? 0 : -1;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		b->len = 4 + (size_t)(r % 4);
		if (!(b->data = malloc(b->len)))
			return -1;
		b->data[0] = 0x00;
		b->data[1] = 0xff;
		for (size_t i = 2; i < b->len; i++)
			b->data[i] = (uint8_t)(r >> (8 * i));
		b->data[b->len - 1] = (uint8_t)g->serial;
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return (*(ProtobufCMessage **)p = fill_at_depth(f->descriptor, g, depth + 1)) ? 0 : -1;
	}
	return -1;
}

static ProtobufCMessage *fill_at_depth(const ProtobufCMessageDescriptor *d,
				       struct rng *g, int depth)
{
	ProtobufCMessage *m = calloc(1, d->sizeof_message);
	if (!m)
		return NULL;
	protobuf_c_message_init(d, m);
	if (depth >= FILL_MAX_DEPTH)
		return m; /* present, but empty */
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *p = AT(m, f->offset, void);
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t *which = AT(m, f->quantifier_offset, uint32_t);
			if (*which != 0)
				continue; /* an earlier member of this oneof is set */
			*which = f->id;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			   f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
			*AT(m, f->quantifier_offset, protobuf_c_boolean) = 1;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t es = ncap_repeated_element_size(f->type);
			void *arr = calloc(FILL_REPEATED, es);
			*(void **)p = arr;
			if (!arr)
				goto oom;
			for (size_t k = 0; k < FILL_REPEATED; k++) {
				/* Count first, so a failure frees only what was set. */
				*AT(m, f->quantifier_offset, size_t) = k + 1;
				if (fill_value(f, (char *)arr + k * es, g, depth) < 0)
					goto oom;
			}
		} else if (fill_value(f, p, g, depth) < 0) {
			goto oom;
		}
	}
	return m;
oom:
	fill_free(m);
	return NULL;
}

ProtobufCMessage *fill_message(const ProtobufCMessageDescriptor *d, uint64_t seed)
{
	struct rng g = { .state = seed * 0x2545f4914f6cdd1dull + d->n_fields };
	return fill_at_depth(d, &g, 0);
}

static void free_value(const ProtobufCFieldDescriptor *f, void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *s = *(char **)p;
		if (s && s != protobuf_c_empty_string && s != f->default_value)
			free(s);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		const ProtobufCBinaryData *def = f->default_value;
		if (b->data && (!def || b->data != def->data))
			free(b->data);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		fill_free(*(ProtobufCMessage **)p);
		break;
	default:
		break;
	}
}

void fill_free(ProtobufCMessage *m)
{
	if (!m)
		return;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *p = AT(m, f->offset, void);
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *AT(m, f->quantifier_offset, uint32_t) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *AT(m, f->quantifier_offset, size_t);
			char *arr = *(char **)p;
			for (size_t k = 0; arr && k < n; k++)
				free_value(f, arr + k * ncap_repeated_element_size(f->type));
			free(arr);
		} else {
			free_value(f, p);
		}
	}
	free(m);
}

/* Path of a field for messages: "HTTP.ReqCookies[1].Name". */
static const char *unset(char *buf, size_t len, const char *prefix, const char *name, long index)
{
	if (index >= 0)
		snprintf(buf, len, "%s.%s[%ld]", prefix, name, index);
	else
		snprintf(buf, len, "%s.%s", prefix, name);
	return buf;
}

static const char *first_unset(const ProtobufCMessage *m, const char *prefix, int depth, char *buf, size_t len);

static const char *check_value(const ProtobufCFieldDescriptor *f, const void *p,
			       const char *prefix, long index, int depth, char *buf, size_t len)
{
	bool is_default;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_ENUM:
		is_default = *(const uint32_t *)p == 0;
		break;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		is_default = *(const uint64_t *)p == 0;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		is_default = *(const float *)p == 0;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		is_default = *(const double *)p == 0;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		is_default = !*(const protobuf_c_boolean *)p;
		break;
	case PROTOBUF_C_TYPE_STRING:
		is_default = !*(char *const *)p || !**(char *const *)p;
		break;
	case PROTOBUF_C_TYPE_BYTES:
		is_default = ((const ProtobufCBinaryData *)p)->len == 0;
		break;
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		if (!sub)
			return unset(buf, len, prefix, f->name, index);
		char path[512];
		if (index >= 0)
			snprintf(path, sizeof path, "%s.%s[%ld]", prefix, f->name, index);
		else
			snprintf(path, sizeof path, "%s.%s", prefix, f->name);
		return first_unset(sub, path, depth + 1, buf, len);
	}
	default:
		is_default = true;
	}
	return is_default ? unset(buf, len, prefix, f->name, index) : NULL;
}

static const char *first_unset(const ProtobufCMessage *m, const char *prefix, int depth, char *buf, size_t len)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (depth >= FILL_MAX_DEPTH)
		return NULL; /* a recursive message (GRERouting.Next): filled this deep, then left empty */
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = AT(m, f->offset, const void);
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *AT(m, f->quantifier_offset, const uint32_t);
			if (which == 0)
				return unset(buf, len, prefix, f->name, -1);
			if (which != f->id)
				continue; /* another member of the oneof is set */
		}
		const char *bad;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *AT(m, f->quantifier_offset, const size_t);
			if (n == 0)
				return unset(buf, len, prefix, f->name, -1);
			const char *arr = *(char *const *)p;
			for (size_t k = 0; k < n; k++)
				if ((bad = check_value(f, arr + k * ncap_repeated_element_size(f->type), prefix, (long)k, depth, buf, len)))
					return bad;
		} else if ((bad = check_value(f, p, prefix, -1, depth, buf, len))) {
			return bad;
		}
	}
	return NULL;
}

const char *fill_first_unset(const ProtobufCMessage *m, char *buf, size_t len)
{
	return first_unset(m, m->descriptor->short_name, 0, buf, len);
}
