/* emit.c: the generic CSV / JSON emitter (see emit.h, docs/csv-json.md).
 *
 * Values are read straight out of protobuf_c_message_unpack()'s structs
 * through each field descriptor's offset and, for repeated fields, the
 * element count at quantifier_offset. Everything is appended to reusable
 * buffers that only grow, so printing a record allocates nothing once the
 * buffers have reached the size of the largest record. */
#include "export/emit.h"
#include "ncap/schema.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where a value is printed; decides quoting and escaping. */
enum ctx {
	CTX_CELL,    /* a whole CSV cell (quoted afterwards if needed) */
	CTX_COMPACT, /* inside a CSV cell's ( ; ) / [ | ] compact form */
	CTX_JSON,
};

/* ---- growing buffer ---- */

static bool buf_reserve(struct emit_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (n <= b->cap - b->len)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

static void buf_put(struct emit_buf *b, const char *s, size_t n)
{
	if (n == 0 || !buf_reserve(b, n)) /* n == 0: data may still be NULL */
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void buf_puts(struct emit_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void buf_putc(struct emit_buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

static void buf_reset(struct emit_buf *b)
{
	b->len = 0;
	b->oom = false;
}

/* ---- scalars ---- */

static void put_u64(struct emit_buf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_put(b, tmp + sizeof tmp - n, n);
}

static void put_i64(struct emit_buf *b, int64_t v)
{
	if (v < 0) {
		buf_putc(b, '-');
		put_u64(b, (uint64_t)0 - (uint64_t)v); /* INT64_MIN too */
	} else {
		put_u64(b, (uint64_t)v);
	}
}

/* Shortest %g form that reads back as the same value; NaN and infinities
 * have no JSON number, so they become null there. */
static void put_double(struct emit_buf *b, double v, bool is_float, enum ctx ctx)
{
	if (!isfinite(v)) {
		if (ctx == CTX_JSON)
			buf_puts(b, "null");
		else
			buf_puts(b, isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf");
		return;
	}
	char tmp[40];
	int first = is_float ? 6 : 15, last = is_float ? 9 : 17;
	for (int prec = first; prec <= last; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (is_float ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	buf_puts(b, tmp);
}

/* RFC 3339 UTC with nanoseconds: 2019-02-03T04:05:06.123456789Z. */
static void put_rfc3339(struct emit_buf *b, int64_t ns)
{
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) { /* C division truncates; the fraction must count up */
		frac += 1000000000;
		secs--;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		put_i64(b, ns);
		return;
	}
	char tmp[64];
	int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)frac);
	if (n > 0)
		buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static bool is_timestamp_field(const ProtobufCFieldDescriptor *f)
{
	if (f->type != PROTOBUF_C_TYPE_INT64 && f->type != PROTOBUF_C_TYPE_SINT64 &&
	    f->type != PROTOBUF_C_TYPE_SFIXED64)
		return false;
	return !strcmp(f->name, "Timestamp") || !strcmp(f->name, "TimestampFirst") ||
	       !strcmp(f->name, "TimestampLast") || !strcmp(f->name, "Created");
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* The characters that structure the compact form, escaped inside its text. */
static bool is_compact_special(unsigned char c)
{
	switch (c) {
	case '\\': case '(': case ')': case ';': case '|': case '[': case ']':
		return true;
	default:
		return false;
	}
}

/* Bytes a run of text copies as they are: printable ASCII other than the
 * backslash (the escape character of every context) and the context's own
 * specials. Everything else takes the slow path in put_text. */
static inline bool is_plain(unsigned char c, enum ctx ctx)
{
	if (c < 0x20 || c >= 0x7f || c == '\\')
		return false;
	if (ctx == CTX_JSON)
		return c != '"';
	if (ctx == CTX_COMPACT)
		return !is_compact_special(c);
	return true; /* a CSV cell's quotes are doubled when the cell is quoted */
}

/* Text as valid UTF-8, each invalid byte replaced by U+FFFD, escaped for
 * ctx (JSON: without the surrounding quotes). Control characters never
 * reach the output raw, so that a record cannot move a terminal's cursor,
 * recolour it or break a CSV line: C0 (U+0000..U+001F, TAB, CR and LF
 * included), DEL (U+007F) and C1 (U+0080..U+009F, which some terminals
 * obey as well) are written as JSON \u00XX, and in CSV as \xNN, one per
 * byte of their UTF-8 form (C1: two), lowercase hex. In CSV, where the
 * backslash thus escapes, a backslash itself is written \\; in the
 * compact form the characters \ ( ) ; | [ ] are escaped with a backslash.
 * docs/csv-json.md gives the rules and the way back. */
static void put_text(struct emit_buf *b, const char *text, size_t n, enum ctx ctx)
{
	static const char hexdig[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < n) {
		/* Copy the longest run that needs no attention in one go. */
		size_t run = i;
		while (run < n && is_plain(s[run], ctx))
			run++;
		buf_put(b, text + i, run - i);
		if ((i = run) == n)
			break;

		unsigned char c = s[i];
		size_t len = utf8_valid_len(s + i, n - i);
		if (len == 0) {
			buf_puts(b, "\xEF\xBF\xBD");
			i++;
		} else if (len == 2 && c == 0xC2 && s[i + 1] < 0xA0) { /* C1 control */
			unsigned char c1 = s[i + 1];
			if (ctx == CTX_JSON) {
				char esc[6] = {'\\', 'u', '0', '0', hexdig[c1 >> 4], hexdig[c1 & 15]};
				buf_put(b, esc, sizeof esc);
			} else {
				char esc[8] = {'\\', 'x', 'c', '2', '\\', 'x', hexdig[c1 >> 4], hexdig[c1 & 15]};
				buf_put(b, esc, sizeof esc);
			}
			i += 2;
		} else if (len > 1) {
			buf_put(b, text + i, len);
			i += len;
		} else if (c < 0x20 || c == 0x7f) {
			if (ctx == CTX_JSON) {
				char esc[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};
				buf_put(b, esc, sizeof esc);
			} else {
				char esc[4] = {'\\', 'x', hexdig[c >> 4], hexdig[c & 15]};
				buf_put(b, esc, sizeof esc);
			}
			i++;
		} else { /* JSON: " or \; CSV: \; compact form: its specials */
			char esc[2] = {'\\', (char)c};
			buf_put(b, esc, sizeof esc);
			i++;
		}
	}
}

static void put_hex(struct emit_buf *b, const uint8_t *data, size_t n)
{
	static const char hexdig[] = "0123456789abcdef";
	if (n > SIZE_MAX / 2) {
		b->oom = true;
		return;
	}
	if (!buf_reserve(b, 2 * n))
		return;
	char *p = b->data + b->len;
	for (size_t i = 0; i < n; i++) {
		*p++ = hexdig[data[i] >> 4];
		*p++ = hexdig[data[i] & 15];
	}
	b->len += 2 * n;
}

/* ---- fields ---- */

static void put_message(const struct emitter *e, struct emit_buf *b,
			const ProtobufCMessage *msg, enum ctx ctx);

/* One value of field f stored at p. */
static void put_value(const struct emitter *e, struct emit_buf *b,
		      const ProtobufCFieldDescriptor *f, const void *p, enum ctx ctx)
{
	bool json = ctx == CTX_JSON;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		put_i64(b, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		put_u64(b, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		int64_t v = *(const int64_t *)p;
		if (e->utc && is_timestamp_field(f)) {
			if (json)
				buf_putc(b, '"');
			put_rfc3339(b, v);
			if (json)
				buf_putc(b, '"');
		} else {
			put_i64(b, v);
		}
		break;
	}
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		put_u64(b, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		put_double(b, *(const float *)p, true, ctx);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		put_double(b, *(const double *)p, false, ctx);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		buf_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		/* protobuf-c stores enums in 32 bits, singular and repeated. */
		int32_t v = *(const int32_t *)p;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
			(const ProtobufCEnumDescriptor *)f->descriptor, v);
		if (!ev) {
			put_i64(b, v);
			break;
		}
		if (json)
			buf_putc(b, '"');
		put_text(b, ev->name, strlen(ev->name), ctx);
		if (json)
			buf_putc(b, '"');
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		if (json)
			buf_putc(b, '"');
		if (s)
			put_text(b, s, strlen(s), ctx);
		if (json)
			buf_putc(b, '"');
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = p;
		if (json)
			buf_putc(b, '"');
		if (bd->data)
			put_hex(b, bd->data, bd->len);
		if (json)
			buf_putc(b, '"');
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(const ProtobufCMessage *const *)p;
		if (m)
			put_message(e, b, m, json ? CTX_JSON : CTX_COMPACT);
		else if (json)
			buf_puts(b, "null");
		break;
	}
	}
}

/* Field f of msg in context ctx (a top-level CSV cell, compact or JSON). */
static void put_field(const struct emitter *e, struct emit_buf *b,
		      const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
		      enum ctx ctx)
{
	const char *base = (const char *)msg;
	bool json = ctx == CTX_JSON;

	/* A oneof member that is not the one set shares its storage with the
	 * one that is: it must not be read. */
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)(base + f->quantifier_offset) != f->id) {
		if (json)
			buf_puts(b, "null");
		return;
	}
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		put_value(e, b, f, base + f->offset, ctx);
		return;
	}

	size_t n = *(const size_t *)(base + f->quantifier_offset);
	const char *elems = *(const char *const *)(base + f->offset);
	size_t size = ncap_repeated_element_size(f->type);
	enum ctx elem_ctx = json ? CTX_JSON : CTX_COMPACT;
	buf_putc(b, '[');
	for (size_t i = 0; i < n && elems; i++) {
		if (i)
			buf_putc(b, json ? ',' : '|');
		put_value(e, b, f, elems + i * size, elem_ctx);
	}
	buf_putc(b, ']');
}

/* A nested message: JSON object, or the compact ( ; ) form. */
static void put_message(const struct emitter *e, struct emit_buf *b,
			const ProtobufCMessage *msg, enum ctx ctx)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	bool json = ctx == CTX_JSON;
	buf_putc(b, json ? '{' : '(');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (i)
			buf_putc(b, json ? ',' : ';');
		if (json) {
			buf_putc(b, '"');
			put_text(b, f->name, strlen(f->name), CTX_JSON);
			buf_puts(b, "\":");
		}
		put_field(e, b, msg, f, ctx);
	}
	buf_putc(b, json ? '}' : ')');
}

/* Appends the cell to the line, RFC 4180-quoted when it holds the
 * separator, a quote, CR or LF (put_text leaves no CR or LF in text, but
 * the rule does not depend on it), or when defuse is set: then the cell
 * also starts with a single quote, which spreadsheets take as "this is
 * text" (OWASP, CSV Injection). */
static void put_csv_cell(struct emit_buf *line, const char *s, size_t n, char sep, bool defuse)
{
	bool quote = defuse;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == sep || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		buf_put(line, s, n);
		return;
	}
	buf_putc(line, '"');
	if (defuse)
		buf_putc(line, '\'');
	for (size_t i = 0; i < n;) {
		const char *q = memchr(s + i, '"', n - i);
		size_t end = q ? (size_t)(q - s) + 1 : n;
		buf_put(line, s + i, end - i);
		if (q)
			buf_putc(line, '"');
		i = end;
	}
	buf_putc(line, '"');
}

/* Whether a spreadsheet would take the CSV cell s of field f for a formula:
 * it starts with = + - @ TAB CR or LF (the characters OWASP's "CSV
 * Injection" lists, LF since 2025), after any spaces, which some
 * spreadsheets skip. Numbers are exempt: a negative number starts with -,
 * and a cell made of a number (or of -Inf) cannot call anything. Cells of
 * nested and repeated fields start with ( or [, bytes with a hex digit. */
static bool is_formula(const ProtobufCFieldDescriptor *f, const char *s, size_t n)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
		case PROTOBUF_C_TYPE_BYTES:
		case PROTOBUF_C_TYPE_MESSAGE:
			break;
		default: /* integers, floats, doubles, enums (a name or a number), bools */
			return false;
		}
	}
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	return i < n && s[i] != '\0' && strchr("=+-@\t\r\n", s[i]) != NULL;
}

/* ---- public ---- */

void emit_init(struct emitter *e, FILE *out)
{
	memset(e, 0, sizeof *e);
	e->format = EMIT_CSV;
	e->sep = ',';
	e->out = out;
}

void emit_free(struct emitter *e)
{
	free(e->line.data);
	free(e->cell.data);
	e->line = e->cell = (struct emit_buf){0};
}

void emit_select_clear(struct emitter *e)
{
	e->selected_desc = NULL;
	e->nselected = 0;
}

int emit_select(struct emitter *e, const ProtobufCMessageDescriptor *desc,
		const char *names, char *err, size_t errlen)
{
	emit_select_clear(e);
	size_t count = 0;
	for (const char *p = names;;) {
		size_t len = strcspn(p, ",");
		const char *name = p;
		size_t name_len = len;
		while (name_len && (*name == ' ' || *name == '\t')) {
			name++;
			name_len--;
		}
		while (name_len && (name[name_len - 1] == ' ' || name[name_len - 1] == '\t'))
			name_len--;

		unsigned found = desc->n_fields;
		for (unsigned i = 0; i < desc->n_fields; i++)
			if (strlen(desc->fields[i].name) == name_len &&
			    !memcmp(desc->fields[i].name, name, name_len)) {
				found = i;
				break;
			}
		if (found == desc->n_fields) {
			int n = name_len ? snprintf(err, errlen, "unknown field \"%.*s\" for type %s",
						    (int)name_len, name, desc->short_name)
					 : snprintf(err, errlen, "empty field name in \"%s\"", names);
			/* snprintf returns what it wanted to write: clamp
			 * before using it as an offset. */
			size_t used = n < 0 ? 0 : (size_t)n;
			for (unsigned i = 0; i < desc->n_fields && used + 1 < errlen; i++) {
				n = snprintf(err + used, errlen - used, "%s%s",
					     i ? "," : "; valid fields: ", desc->fields[i].name);
				used += n < 0 ? 0 : (size_t)n;
			}
			return -1;
		}
		if (count == EMIT_MAX_SELECT) {
			snprintf(err, errlen, "more than %d fields selected", EMIT_MAX_SELECT);
			return -1;
		}
		e->selected[count++] = found;
		if (!p[len])
			break;
		p += len + 1;
	}
	e->selected_desc = desc;
	e->nselected = count;
	return 0;
}

/* The field printed in the k-th column of a record of type d. */
static const ProtobufCFieldDescriptor *column(const struct emitter *e,
					      const ProtobufCMessageDescriptor *d,
					      size_t k)
{
	return &d->fields[e->nselected ? e->selected[k] : k];
}

static int write_line(struct emitter *e)
{
	if (e->line.oom || e->cell.oom) {
		errno = ENOMEM;
		return -1;
	}
	if (fwrite(e->line.data, 1, e->line.len, e->out) != e->line.len)
		return -1; /* errno from the failed write */
	return 0;
}

static int check_selection(const struct emitter *e, const ProtobufCMessageDescriptor *d,
			   size_t *columns)
{
	if (e->nselected && e->selected_desc != d) {
		errno = EINVAL;
		return -1;
	}
	*columns = e->nselected ? e->nselected : d->n_fields;
	return 0;
}

int emit_header_line(struct emitter *e, const ProtobufCMessageDescriptor *desc)
{
	size_t columns;
	if (e->format == EMIT_JSON)
		return 0;
	if (check_selection(e, desc, &columns))
		return -1;
	buf_reset(&e->line);
	for (size_t k = 0; k < columns; k++) {
		const char *name = column(e, desc, k)->name;
		if (k)
			buf_putc(&e->line, e->sep);
		put_csv_cell(&e->line, name, strlen(name), e->sep, false);
	}
	if (e->extra_column) {
		if (columns)
			buf_putc(&e->line, e->sep);
		put_csv_cell(&e->line, e->extra_column, strlen(e->extra_column), e->sep, false);
	}
	buf_putc(&e->line, '\n');
	return write_line(e);
}

int emit_record(struct emitter *e, const ProtobufCMessage *msg)
{
	return emit_record_extra(e, msg, NULL, 0);
}

/* For cells that are text from outside a record: a string field's rules. */
static const ProtobufCFieldDescriptor string_field = {.type = PROTOBUF_C_TYPE_STRING};

/* The extra column's value: text from outside the record (an alert's
 * signature is whatever a rule writer typed), so it is repaired, escaped
 * and defused like any string field. */
static void put_extra(struct emitter *e, size_t columns, const char *text, size_t n)
{
	if (!text)
		n = 0;
	if (e->format == EMIT_JSON) {
		if (columns)
			buf_putc(&e->line, ',');
		buf_putc(&e->line, '"');
		put_text(&e->line, e->extra_column, strlen(e->extra_column), CTX_JSON);
		buf_puts(&e->line, "\":\"");
		put_text(&e->line, text ? text : "", n, CTX_JSON);
		buf_putc(&e->line, '"');
		return;
	}
	if (columns)
		buf_putc(&e->line, e->sep);
	e->cell.len = 0;
	put_text(&e->cell, text ? text : "", n, CTX_CELL);
	if (!e->cell.oom)
		put_csv_cell(&e->line, e->cell.data, e->cell.len, e->sep,
			     e->safe_csv && is_formula(&string_field, e->cell.data, e->cell.len));
}

int emit_record_extra(struct emitter *e, const ProtobufCMessage *msg, const char *extra,
		      size_t extra_len)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	size_t columns;
	if (check_selection(e, d, &columns))
		return -1;
	buf_reset(&e->line);
	buf_reset(&e->cell);
	if (e->format == EMIT_JSON)
		buf_putc(&e->line, '{');
	for (size_t k = 0; k < columns; k++) {
		const ProtobufCFieldDescriptor *f = column(e, d, k);
		if (e->format == EMIT_JSON) {
			if (k)
				buf_putc(&e->line, ',');
			buf_putc(&e->line, '"');
			put_text(&e->line, f->name, strlen(f->name), CTX_JSON);
			buf_puts(&e->line, "\":");
			put_field(e, &e->line, msg, f, CTX_JSON);
		} else {
			if (k)
				buf_putc(&e->line, e->sep);
			e->cell.len = 0;
			put_field(e, &e->cell, msg, f, CTX_CELL);
			if (!e->cell.oom)
				put_csv_cell(&e->line, e->cell.data, e->cell.len, e->sep,
					     e->safe_csv && is_formula(f, e->cell.data, e->cell.len));
		}
	}
	if (e->extra_column)
		put_extra(e, columns, extra, extra_len);
	if (e->format == EMIT_JSON)
		buf_putc(&e->line, '}');
	buf_putc(&e->line, '\n');
	return write_line(e);
}

int emit_text_line(struct emitter *e, const char *const *cells, size_t n)
{
	buf_reset(&e->line);
	for (size_t k = 0; k < n; k++) {
		const char *text = cells[k] ? cells[k] : "";
		if (k)
			buf_putc(&e->line, e->sep);
		buf_reset(&e->cell);
		put_text(&e->cell, text, strlen(text), CTX_CELL);
		if (!e->cell.oom)
			put_csv_cell(&e->line, e->cell.data, e->cell.len, e->sep,
				     e->safe_csv && is_formula(&string_field, e->cell.data, e->cell.len));
	}
	buf_putc(&e->line, '\n');
	return write_line(e);
}
