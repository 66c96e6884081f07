/* recordcheck.c: the cost check run before protobuf-c unpacks a record, and
 * the budget allocator behind it (see recordcheck.h).
 *
 * The walk mirrors protobuf_c_message_unpack() of protobuf-c 1.4 step by
 * step, so that what it measures is what protobuf-c will do:
 *   - scan: a field key of at most 5 bytes, then a value (varint of at most
 *     10 bytes, 4 or 8 fixed bytes, or a length of at most 5 bytes and that
 *     many bytes); every field occupies a 32-byte ScannedMember, 16 on the
 *     stack, the rest in heap slabs of doubling size;
 *   - allocate: the message struct, one array per repeated field with
 *     elements (its element count times the element size), one array of
 *     ProtobufCMessageUnknownField when there are unknown fields;
 *   - parse: a copy of every string (length + 1) and non-empty bytes value,
 *     a copy of every unknown field's bytes, each sub-message unpacked the
 *     same way, and a singular message field given again merged into the
 *     earlier one (repeated fields concatenated into new arrays).
 * Where protobuf-c would read bits that do not fit 32-bit arithmetic (a
 * length or key whose fifth byte sets high bits), the walk refuses the
 * record instead of guessing how protobuf-c wraps.
 *
 * Each byte of the record is looked at once, in its innermost message
 * (twice when the record is refused for its memory: a second walk names
 * the costliest field); every message costs O(its field count) more. No
 * allocation, recursion at most max_depth deep. */
#include "ncap/recordcheck.h"
#include "ncap/schema.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct ncap_limits ncap_default_limits = {
	.max_memory = NCAP_DEFAULT_MAX_MEMORY,
	.max_elements = NCAP_DEFAULT_MAX_ELEMENTS,
	.max_depth = NCAP_DEFAULT_MAX_DEPTH,
};

/* sizeof(ScannedMember) in protobuf-c 1.4 on LP64 (tag, wire type, prefix
 * length, field pointer, length, data pointer), and its 16-entry first
 * slab on the stack. */
#define SCANNED_MEMBER_SIZE 32u
#define FIRST_SLAB_ENTRIES 16u
/* Whatever a caller asks for, the path buffer and the recursion stop here. */
#define HARD_MAX_DEPTH 64u
#define MAX_FIELD_NUMBER 0x1fffffffu

enum { WIRE_VARINT = 0, WIRE_64BIT = 1, WIRE_LEN = 2, WIRE_32BIT = 5 };

struct walk {
	const struct ncap_limits *lim;
	unsigned max_depth;
	const uint8_t *record; /* for byte offsets in messages */
	const ProtobufCMessageDescriptor *root;
	struct ncap_check *out;
	/* The way to the message being walked: at depth k (1-based, k > 1),
	 * the field of the parent and the element index (UINT64_MAX when the
	 * field is singular). */
	const ProtobufCFieldDescriptor *path_field[HARD_MAX_DEPTH + 2];
	uint64_t path_index[HARD_MAX_DEPTH + 2];
	unsigned depth;
};

/* What a message (with everything below it) costs. */
struct cost {
	uint64_t memory;      /* every allocation, in ncap_alloc_cost() units */
	uint64_t array_bytes; /* sizes of its repeated arrays and those below */
	uint64_t arrays;      /* their number */
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* ---- messages ---- */

/* Appends printf output to dst (size cap, *used so far), never past its
 * end: snprintf returns what it wanted to write, which may be more. */
static void append(char *dst, size_t cap, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *dst, size_t cap, size_t *used, const char *fmt, ...)
{
	if (*used + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst + *used, cap - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = (size_t)n >= cap - *used ? cap - 1 : *used + (size_t)n;
}

/* "DNS.Answers[2].SOA": the message being walked. */
static void put_path(const struct walk *w, char *dst, size_t cap, size_t *used)
{
	append(dst, cap, used, "%s", w->root->short_name);
	for (unsigned k = 2; k <= w->depth; k++) {
		append(dst, cap, used, ".%s", w->path_field[k]->name);
		if (w->path_index[k] != UINT64_MAX)
			append(dst, cap, used, "[%" PRIu64 "]", w->path_index[k]);
	}
}

/* Records a refusal: "PATH[.FIELD][ at byte N]: reason". field may be NULL
 * (the message itself), at may be NULL (no position). Returns false, so
 * that callers can `return refuse(...)` and unwind. */
static bool refuse(struct walk *w, enum ncap_check_status status,
		   const ProtobufCFieldDescriptor *field, const uint8_t *at, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static bool refuse(struct walk *w, enum ncap_check_status status,
		   const ProtobufCFieldDescriptor *field, const uint8_t *at, const char *fmt, ...)
{
	struct ncap_check *o = w->out;
	size_t used = 0, cap = sizeof o->reason;
	o->status = status;
	put_path(w, o->reason, cap, &used);
	if (field)
		append(o->reason, cap, &used, ".%s", field->name);
	if (at)
		append(o->reason, cap, &used, " at byte %zu", (size_t)(at - w->record));
	append(o->reason, cap, &used, ": ");
	if (used + 1 < cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(o->reason + used, cap - used, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* "12 MiB", "300 KiB", "800 bytes": sizes in messages. */
static void format_size(uint64_t n, char *dst, size_t cap)
{
	if (n >= (uint64_t)10 << 20)
		snprintf(dst, cap, "%" PRIu64 " MiB", n >> 20);
	else if (n >= (uint64_t)10 << 10)
		snprintf(dst, cap, "%" PRIu64 " KiB", n >> 10);
	else
		snprintf(dst, cap, "%" PRIu64 " bytes", n);
}

/* ---- the wire format, as protobuf-c reads it ---- */

/* A varint of at most max bytes at p (n bytes left). Returns its length,
 * 0 when the bytes end first, -1 when it is longer than max. */
static inline int read_varint(const uint8_t *p, size_t n, unsigned max, uint64_t *value)
{
	if (n && p[0] < 0x80) { /* most keys, lengths and values */
		*value = p[0];
		return 1;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < max; i++) {
		if (i == n)
			return 0;
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*value = v;
			return (int)i + 1;
		}
	}
	return -1;
}

static bool is_packable(ProtobufCType t)
{
	return t != PROTOBUF_C_TYPE_STRING && t != PROTOBUF_C_TYPE_BYTES &&
	       t != PROTOBUF_C_TYPE_MESSAGE;
}

/* The wire type protobuf-c's parse_required_member() accepts for a value
 * of type t; -1: any (bool). */
static int wire_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return WIRE_32BIT;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return WIRE_64BIT;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return WIRE_LEN;
	case PROTOBUF_C_TYPE_BOOL:
		return -1;
	default: /* the varint integers and enums */
		return WIRE_VARINT;
	}
}

/* Elements in the packed value p[0..n) of a field of type t, as
 * count_packed_elements() and parse_packed_repeated_member() of protobuf-c
 * see them; false when they would refuse it (reason set). */
static bool count_packed(struct walk *w, const ProtobufCFieldDescriptor *f,
			 const uint8_t *p, size_t n, uint64_t *count)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: {
		size_t size = ncap_repeated_element_size(f->type) == 8 ? 8 : 4;
		if (n % size)
			return refuse(w, NCAP_CHECK_MALFORMED, f, p,
				      "packed value of %zu bytes is not a multiple of %zu", n, size);
		*count = n / size;
		return true;
	}
	case PROTOBUF_C_TYPE_BOOL:
		for (size_t i = 0; i < n; i++)
			if (p[i] > 1)
				return refuse(w, NCAP_CHECK_MALFORMED, f, p + i,
					      "packed bool value 0x%02x is neither 0 nor 1", p[i]);
		*count = n;
		return true;
	default: { /* varints of at most 10 bytes, the last one ending the value */
		uint64_t k = 0, v;
		for (size_t i = 0; i < n; k++) {
			int len = read_varint(p + i, n - i, 10, &v);
			if (len <= 0)
				return refuse(w, NCAP_CHECK_MALFORMED, f, p + i,
					      len == 0 ? "packed varint cut off by the end of the value"
						       : "packed varint longer than 10 bytes");
			i += (size_t)len;
		}
		*count = k;
		return true;
	}
	}
}

/* What protobuf-c's scan slabs cost for a message of n fields. */
static uint64_t slab_cost(uint64_t n)
{
	uint64_t memory = 0, room = FIRST_SLAB_ENTRIES;
	for (unsigned slab = 1; n > room && slab < 40; slab++) {
		memory = sat_add(memory, ncap_alloc_cost((uint64_t)SCANNED_MEMBER_SIZE * FIRST_SLAB_ENTRIES << slab));
		room += (uint64_t)FIRST_SLAB_ENTRIES << slab;
	}
	return memory;
}

/* ---- the walk ---- */


static const char *type_name(ProtobufCType t)
{
	static const char *const names[] = {
		[PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
		[PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
		[PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
		[PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
		[PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
		[PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
		[PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
		[PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
		[PROTOBUF_C_TYPE_MESSAGE] = "message",
	};
	return (unsigned)t < sizeof names / sizeof *names && names[t] ? names[t] : "value";
}

/* Walks the message of type d in p[0..n), at depth w->depth; adds its cost
 * to *c. top (for the record itself, else NULL) gets the cost per field of
 * d, that of unknown fields at index d->n_fields. Returns false after a
 * refusal (reason set). */
static bool walk_message(struct walk *w, const ProtobufCMessageDescriptor *d,
			 const uint8_t *p, size_t n, struct cost *c, uint64_t *top)
{
	if (d->n_fields > NCAP_CHECK_MAX_FIELDS)
		return refuse(w, NCAP_CHECK_TOO_COSTLY, NULL, NULL,
			      "message type %s has %u fields, more than the %d the check supports",
			      d->name, d->n_fields, NCAP_CHECK_MAX_FIELDS);
	uint64_t count[NCAP_CHECK_MAX_FIELDS]; /* elements per repeated field */
	memset(count, 0, d->n_fields * sizeof *count);
	uint64_t fields = 0, unknown = 0;
	uint64_t memory = ncap_alloc_cost(d->sizeof_message);
	if ((d->n_fields + 7) / 8 > 16) /* protobuf-c's required-field bitmap */
		memory = sat_add(memory, ncap_alloc_cost((d->n_fields + 7) / 8));
	struct cost below = { 0 };    /* every sub-message */
	struct cost singular = { 0 }; /* the sub-messages of singular fields */
	uint64_t singular_count = 0;
	unsigned next = 0; /* index after the last field seen */

	for (size_t i = 0; i < n;) {
		const uint8_t *key_at = p + i;
		uint64_t key, v;
		int k = read_varint(p + i, n - i, 5, &key);
		if (k <= 0)
			return refuse(w, NCAP_CHECK_MALFORMED, NULL, key_at,
				      k == 0 ? "field key cut off by the end of the message"
					     : "field key longer than 5 bytes");
		i += (size_t)k;
		unsigned wire = (unsigned)(key & 7);
		uint64_t number = key >> 3;
		if (number == 0 || number > MAX_FIELD_NUMBER)
			return refuse(w, NCAP_CHECK_MALFORMED, NULL, key_at,
				      "field number %" PRIu64 " is outside 1..%u", number, MAX_FIELD_NUMBER);
		/* Writers put fields in number order, the descriptor lists them
		 * so, and fields holding defaults are left out: look a few
		 * fields ahead of the last one first. */
		const ProtobufCFieldDescriptor *f = NULL;
		for (unsigned j = next > 0 ? next - 1 : 0; j < d->n_fields && j < next + 4; j++)
			if (d->fields[j].id >= number) {
				if (d->fields[j].id == number)
					f = &d->fields[j];
				break;
			}
		if (!f)
			f = protobuf_c_message_descriptor_get_field(d, (unsigned)number);
		if (f)
			next = (unsigned)(f - d->fields) + 1;

		/* The value: bytes [value, end); for length-delimited ones the
		 * payload after the length is [payload, end). */
		size_t value = i, payload = i, end;
		switch (wire) {
		case WIRE_VARINT:
			k = read_varint(p + i, n - i, 10, &v);
			if (k <= 0)
				return refuse(w, NCAP_CHECK_MALFORMED, f, key_at,
					      k == 0 ? "varint cut off by the end of the message"
						     : "varint longer than 10 bytes");
			end = i + (size_t)k;
			break;
		case WIRE_64BIT:
		case WIRE_32BIT: {
			size_t size = wire == WIRE_64BIT ? 8 : 4;
			if (n - i < size)
				return refuse(w, NCAP_CHECK_MALFORMED, f, key_at,
					      "%zu-byte value cut off by the end of the message (%zu bytes left)",
					      size, n - i);
			end = i + size;
			break;
		}
		case WIRE_LEN:
			k = read_varint(p + i, n - i, 5, &v);
			if (k <= 0)
				return refuse(w, NCAP_CHECK_MALFORMED, f, key_at,
					      k == 0 ? "length cut off by the end of the message"
						     : "length longer than 5 bytes");
			if (v > n - i - (size_t)k)
				return refuse(w, NCAP_CHECK_MALFORMED, f, key_at,
					      "length %" PRIu64 " runs past the end of its message (%zu bytes left)",
					      v, n - i - (size_t)k);
			payload = i + (size_t)k;
			end = payload + (size_t)v;
			break;
		default:
			return refuse(w, NCAP_CHECK_MALFORMED, f, key_at,
				      "wire type %u (field %" PRIu64 "): groups and reserved wire types are not supported",
				      wire, number);
		}
		i = end;
		fields++;

		uint64_t m = 0; /* what this value costs */
		if (!f) { /* an unknown field: protobuf-c keeps a copy of its bytes */
			unknown++;
			m = ncap_alloc_cost(end - value);
			memory = sat_add(memory, m);
			if (top)
				top[d->n_fields] = sat_add(top[d->n_fields], m);
			continue;
		}
		size_t fi = (size_t)(f - d->fields);
		bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
		if (repeated && wire == WIRE_LEN &&
		    ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) || is_packable(f->type))) {
			uint64_t elements = 0;
			if (!count_packed(w, f, p + payload, end - payload, &elements))
				return false;
			count[fi] = sat_add(count[fi], elements); /* the array: below */
			continue;
		}
		int want = wire_type_of(f->type);
		if (want >= 0 && (unsigned)want != wire)
			return refuse(w, NCAP_CHECK_MALFORMED, f, key_at,
				      "wire type %u, but a %s value has wire type %d", wire,
				      type_name(f->type), want);
		if (repeated)
			count[fi]++;
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			m = ncap_alloc_cost(end - payload + 1);
			break;
		case PROTOBUF_C_TYPE_BYTES:
			m = end > payload ? ncap_alloc_cost(end - payload) : 0;
			break;
		case PROTOBUF_C_TYPE_MESSAGE: {
			/* Entered first, so that a refusal names it. */
			w->depth++;
			w->path_field[w->depth] = f;
			w->path_index[w->depth] = repeated ? count[fi] - 1 : UINT64_MAX;
			if (w->depth > w->max_depth)
				return refuse(w, NCAP_CHECK_TOO_COSTLY, NULL, key_at,
					      "messages nested more than %u deep", w->max_depth);
			struct cost sub = { 0 };
			if (!walk_message(w, f->descriptor, p + payload, end - payload, &sub, NULL))
				return false;
			w->depth--;
			m = sub.memory;
			below.array_bytes = sat_add(below.array_bytes, sub.array_bytes);
			below.arrays = sat_add(below.arrays, sub.arrays);
			if (!repeated) {
				singular_count++;
				singular.array_bytes = sat_add(singular.array_bytes, sub.array_bytes);
				singular.arrays = sat_add(singular.arrays, sub.arrays);
			}
			break;
		}
		default:
			break;
		}
		memory = sat_add(memory, m);
		if (top)
			top[fi] = sat_add(top[fi], m);
	}

	memory = sat_add(memory, slab_cost(fields));
	uint64_t array_bytes = 0, arrays = 0;
	for (unsigned fi = 0; fi < d->n_fields; fi++) {
		if (!count[fi])
			continue;
		const ProtobufCFieldDescriptor *f = &d->fields[fi];
		if (count[fi] > w->lim->max_elements)
			return refuse(w, NCAP_CHECK_TOO_COSTLY, f, NULL,
				      "%" PRIu64 " elements, more than the cap of %" PRIu64,
				      count[fi], w->lim->max_elements);
		uint64_t bytes = sat_mul(count[fi], ncap_repeated_element_size(f->type));
		uint64_t m = ncap_alloc_cost(bytes);
		array_bytes = sat_add(array_bytes, bytes);
		arrays++;
		memory = sat_add(memory, m);
		if (top)
			top[fi] = sat_add(top[fi], m);
	}
	if (unknown) {
		if (unknown > w->lim->max_elements)
			return refuse(w, NCAP_CHECK_TOO_COSTLY, NULL, NULL,
				      "%" PRIu64 " unknown fields, more than the cap of %" PRIu64,
				      unknown, w->lim->max_elements);
		uint64_t m = ncap_alloc_cost(sat_mul(unknown, sizeof(ProtobufCMessageUnknownField)));
		memory = sat_add(memory, m);
		if (top)
			top[d->n_fields] = sat_add(top[d->n_fields], m);
	}
	/* A singular message field given again is merged into its earlier
	 * value, and each merge copies the repeated arrays gathered so far
	 * into new ones (at most 32 bytes of rounding and header each): at
	 * most all the arrays below singular fields, once per merge. NETCAP
	 * never writes a field twice; this only prices what an attacker may. */
	if (singular_count > 1) {
		uint64_t per_merge = sat_add(singular.array_bytes, sat_mul(singular.arrays, 32));
		memory = sat_add(memory, sat_mul(singular_count - 1, per_merge));
	}
	c->memory = sat_add(c->memory, memory);
	c->array_bytes = sat_add(c->array_bytes, sat_add(array_bytes, below.array_bytes));
	c->arrays = sat_add(c->arrays, sat_add(arrays, below.arrays));
	return true;
}

enum ncap_check_status ncap_record_check(const ProtobufCMessageDescriptor *desc,
					 const uint8_t *data, size_t len,
					 const struct ncap_limits *lim, struct ncap_check *out)
{
	if (!lim)
		lim = &ncap_default_limits;
	out->status = NCAP_CHECK_OK;
	out->memory = 0;
	out->reason[0] = '\0';
	struct walk w = {
		.lim = lim,
		.max_depth = lim->max_depth < 1 ? 1 : lim->max_depth > HARD_MAX_DEPTH ? HARD_MAX_DEPTH : lim->max_depth,
		.record = data,
		.root = desc,
		.out = out,
		.depth = 1,
	};
	if (len > NCAP_CHECK_MAX_LEN) {
		refuse(&w, NCAP_CHECK_TOO_COSTLY, NULL, NULL, "record of %zu bytes, more than the %u the check accepts",
		       len, NCAP_CHECK_MAX_LEN);
		return out->status;
	}
	struct cost c = { 0 };
	bool ok = walk_message(&w, desc, data, len, &c, NULL);
	out->memory = c.memory;
	if (!ok)
		return out->status;
	if (c.memory > lim->max_memory) {
		/* Walk again, keeping the cost per field, to name the costliest
		 * (only records that are refused pay for it). */
		uint64_t top[NCAP_CHECK_MAX_FIELDS + 1] = { 0 };
		struct cost again = { 0 };
		walk_message(&w, desc, data, len, &again, top);
		unsigned n = desc->n_fields <= NCAP_CHECK_MAX_FIELDS ? desc->n_fields : 0, most = n;
		for (unsigned i = 0; i < n; i++)
			if (top[i] > top[most])
				most = i;
		char need[32], budget[32];
		format_size(c.memory, need, sizeof need);
		format_size(lim->max_memory, budget, sizeof budget);
		refuse(&w, NCAP_CHECK_TOO_COSTLY, NULL, NULL,
		       "decoding needs about %s of memory, more than the budget of %s (the most for %s)",
		       need, budget, most < n ? desc->fields[most].name : "unknown fields");
	}
	return out->status;
}

/* ---- the budget allocator ---- */

struct budget {
	uint64_t budget, used;
	bool refused;
};

static void *budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	uint64_t cost = ncap_alloc_cost(size);
	if (cost > b->budget - b->used) {
		b->refused = true;
		return NULL;
	}
	void *p = malloc(size ? size : 1);
	if (p)
		b->used += cost;
	return p;
}

static void budget_free(void *data, void *p)
{
	(void)data;
	free(p); /* plain malloc blocks: protobuf_c_message_free_unpacked(m, NULL) frees them too */
}

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
				size_t len, struct budget *b)
{
	ProtobufCAllocator allocator = { .alloc = budget_alloc, .free = budget_free, .allocator_data = b };
	return protobuf_c_message_unpack(desc, &allocator, len, data);
}

ProtobufCMessage *ncap_unpack_with_budget(const ProtobufCMessageDescriptor *desc,
					  const uint8_t *data, size_t len,
					  uint64_t budget, uint64_t *used)
{
	struct budget b = { .budget = budget };
	ProtobufCMessage *m = unpack(desc, data, len, &b);
	if (used)
		*used = b.used;
	return m;
}

ProtobufCMessage *ncap_record_unpack(const ProtobufCMessageDescriptor *desc,
				     const uint8_t *data, size_t len,
				     const struct ncap_limits *lim, struct ncap_check *out)
{
	if (!lim)
		lim = &ncap_default_limits;
	if (ncap_record_check(desc, data, len, lim, out) != NCAP_CHECK_OK)
		return NULL;
	struct budget b = { .budget = lim->max_memory };
	ProtobufCMessage *m = unpack(desc, data, len, &b);
	if (!m && b.refused) {
		/* The estimate is an upper bound, so this means it is wrong
		 * for this record: still refused, never unbounded. */
		char budget[32];
		format_size(lim->max_memory, budget, sizeof budget);
		out->status = NCAP_CHECK_TOO_COSTLY;
		snprintf(out->reason, sizeof out->reason, "%s: decoding went past the memory budget of %s",
			 desc->short_name, budget);
	} else if (!m) {
		out->status = NCAP_CHECK_MALFORMED;
		snprintf(out->reason, sizeof out->reason, "%s: protobuf-c cannot decode it", desc->short_name);
	}
	return m;
}
