/* fuzz_emit.c: libFuzzer target for the bounded record decoding
 * (lib/ncap/recordcheck.c) and the CSV / JSON emitter (lib/export/emit.c)
 * on arbitrary record bytes.
 *
 * Input: byte 0 picks the message type: the record type with that
 * Types__Type value when it has a message (NC_DNS = 41 is DNS), else
 * ncap_all_descriptors[byte % count] (nested types, map entries); byte 1
 * holds flags (bit 0: --utc; bits 1-2: separator , \t ; |; bit 3: also
 * decode under a tiny budget); the rest is the record. seed_emit.sh
 * writes records of real files in this form.
 *
 * Checked on every input, an abort() when wrong:
 *   - the cost check: a record it passes decodes through protobuf-c within
 *     its estimate; one it calls malformed protobuf-c refuses as well
 *     (except the documented cases where the check is stricter: field
 *     number 0 or above 2^29-1, a length of 2^32 or more);
 *   - CSV, plain and --safe-csv: one line, ending with its only LF; no raw
 *     C0 control but the TAB separator, no DEL, no C1 control; valid UTF-8;
 *     as many cells (RFC 4180 split) as columns; with --safe-csv no text
 *     cell starts (after spaces) with = + - @ unquoted or without its ';
 *   - JSON: one line, no raw control character, valid UTF-8, an object;
 *   - under a tiny budget, protobuf-c fails cleanly (LeakSanitizer).
 *
 * Build: make fuzz (build/fuzz/fuzz_emit). Reproduce a crash:
 * build/fuzz/fuzz_emit CRASH_FILE. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/emit.h"
#include "ncap/recordcheck.h"
#include "ncap/schema.h"

static const struct ncap_limits limits = {
	.max_memory = 8u << 20,
	.max_elements = NCAP_DEFAULT_MAX_ELEMENTS,
	.max_depth = NCAP_DEFAULT_MAX_DEPTH,
};

static void fail(const char *what, const ProtobufCMessageDescriptor *d, const char *detail)
{
	fprintf(stderr, "fuzz_emit: %s (%s)%s%.400s\n", what, d ? d->name : "?", detail ? ": " : "",
		detail ? detail : "");
	abort();
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* One line, valid UTF-8, no control character raw (sep may be TAB). */
static void check_text(const char *text, size_t n, char sep, const ProtobufCMessageDescriptor *d)
{
	const unsigned char *s = (const unsigned char *)text;
	if (n == 0 || s[n - 1] != '\n')
		fail("output does not end with a line feed", d, text);
	for (size_t i = 0; i + 1 < n;) {
		size_t len = utf8_len(s + i, n - 1 - i);
		if (len == 0)
			fail("output is not UTF-8", d, text);
		if ((s[i] < 0x20 && !(s[i] == '\t' && sep == '\t')) || s[i] == 0x7f ||
		    (s[i] == 0xC2 && s[i + 1] < 0xA0))
			fail("raw control character in the output", d, text);
		i += len;
	}
}

/* Splits a CSV line (without its LF) by RFC 4180; checks each cell of a
 * string field against --safe-csv when safe. Returns the cell count. */
static size_t check_csv_cells(const char *s, size_t n, char sep, bool safe,
			      const ProtobufCMessageDescriptor *d)
{
	size_t cells = 0, i = 0;
	for (;;) {
		const ProtobufCFieldDescriptor *f = cells < d->n_fields ? &d->fields[cells] : NULL;
		bool text = f && f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_STRING;
		cells++;
		if (i < n && s[i] == '"') {
			if (safe && text) { /* a formula here must follow a ' */
				size_t k = i + 1;
				while (k < n && s[k] == ' ')
					k++;
				if (k < n && strchr("=+-@", s[k]))
					fail("--safe-csv left a formula", d, s);
			}
			for (i++;; i++) {
				if (i >= n)
					fail("unterminated quoted cell", d, s);
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"')
						i++;
					else
						break;
				}
			}
			i++; /* the closing quote */
		} else {
			size_t start = i;
			while (i < n && s[i] != sep) {
				if (s[i] == '"')
					fail("quote inside an unquoted cell", d, s);
				i++;
			}
			if (safe && text) {
				size_t k = start;
				while (k < i && s[k] == ' ')
					k++;
				if (k < i && strchr("=+-@", s[k]))
					fail("--safe-csv left a formula", d, s);
			}
		}
		if (i == n)
			return cells;
		if (s[i] != sep)
			fail("a quoted cell not followed by the separator", d, s);
		i++;
	}
}

static char *render(const ProtobufCMessage *m, enum emit_format format, char sep, bool utc,
		    bool safe, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);
	if (!out)
		abort();
	struct emitter e;
	emit_init(&e, out);
	e.format = format;
	e.sep = sep;
	e.utc = utc;
	e.safe_csv = safe;
	if (emit_record(&e, m) != 0)
		fail("emit_record failed", m->descriptor, NULL);
	emit_free(&e);
	if (fclose(out) != 0)
		abort();
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct ncap_type *t = ncap_type_by_id(data[0]);
	const ProtobufCMessageDescriptor *d =
		t && t->desc ? t->desc : ncap_all_descriptors[data[0] % ncap_all_descriptors_count];
	unsigned flags = data[1];
	static const char seps[] = {',', '\t', ';', '|'};
	char sep = seps[(flags >> 1) & 3];
	const uint8_t *rec = data + 2;
	size_t len = size - 2;

	/* An exact-size copy, so that ASan sees any read past the record. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, rec, len);

	struct ncap_check check;
	enum ncap_check_status st = ncap_record_check(d, copy, len, &limits, &check);
	if (st == NCAP_CHECK_MALFORMED && !strstr(check.reason, "field number")) {
		/* protobuf-c must refuse it too. Lengths of 2^32 and more: the
		 * check reads them whole, protobuf-c wraps them. */
		const char *len_at = strstr(check.reason, ": length ");
		bool huge = len_at && strtoull(len_at + 9, NULL, 10) > UINT32_MAX - 8;
		if (!huge) {
			ProtobufCMessage *m = ncap_unpack_with_budget(d, copy, len, limits.max_memory, NULL);
			if (m) {
				protobuf_c_message_free_unpacked(m, NULL);
				fail("protobuf-c decodes a record the check calls malformed", d, check.reason);
			}
		}
	}
	if (flags & 8) { /* protobuf-c's failure paths: a budget too small */
		uint64_t budget = (uint64_t)(len % 4096) + 64;
		ProtobufCMessage *m = ncap_unpack_with_budget(d, copy, len, budget, NULL);
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	if (st != NCAP_CHECK_OK) {
		free(copy);
		return 0;
	}
	uint64_t used = 0;
	ProtobufCMessage *m = ncap_unpack_with_budget(d, copy, len, check.memory, &used);
	if (!m || used > check.memory)
		fail("protobuf-c needs more than the estimate", d, NULL);
	free(copy); /* the message holds copies */

	bool utc = flags & 1;
	for (int safe = 0; safe <= 1; safe++) {
		size_t n;
		char *csv = render(m, EMIT_CSV, sep, utc, safe, &n);
		check_text(csv, n, sep, d);
		if (memchr(csv, '\n', n) != csv + n - 1)
			fail("CSV record on more than one line", d, csv);
		size_t cells = check_csv_cells(csv, n - 1, sep, safe, d);
		if (cells != d->n_fields)
			fail("CSV cells do not match the columns", d, csv);
		free(csv);
	}
	size_t n;
	char *json = render(m, EMIT_JSON, sep, utc, false, &n);
	check_text(json, n, ',', d);
	if (memchr(json, '\n', n) != json + n - 1 || json[0] != '{' || n < 3 || json[n - 2] != '}')
		fail("JSON not one object on one line", d, json);
	free(json);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
