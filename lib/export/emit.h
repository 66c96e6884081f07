/* emit.h: prints records of any type as CSV or JSON lines.
 *
 * One generic emitter walks the protobuf-c descriptors, so every record type
 * of proto/netcap.proto prints the same way without code of its own. The
 * output rules (quoting, the compact form of nested and repeated fields,
 * timestamps, UTF-8 repair) are in docs/csv-json.md.
 *
 * Use: emit_init(), set format/sep/utc, optionally emit_select(); then
 * emit_header_line() once per run of records of one type (CSV only; a no-op
 * for JSON) and emit_record() per record; emit_free() at the end. Output is
 * built in a buffer reused from record to record and written with one
 * fwrite per line. */
#ifndef EXPORT_EMIT_H
#define EXPORT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <protobuf-c/protobuf-c.h>

enum emit_format { EMIT_CSV, EMIT_JSON };

/* At most this many columns can be selected (names may repeat). */
#define EMIT_MAX_SELECT 256

struct emit_buf {
	char *data;
	size_t len, cap;
	bool oom; /* an allocation failed; the content is incomplete */
};

struct emitter {
	/* Settings, defaults from emit_init(). */
	enum emit_format format; /* EMIT_CSV */
	char sep;                /* CSV separator: ',' (or '\t' for TSV) */
	bool utc;                /* timestamps as RFC 3339 UTC, not integer ns */
	bool safe_csv;           /* CSV: defuse cells a spreadsheet would run as
				  * formulas (a leading ' and quotes) */
	FILE *out;
	/* An extra last column after the record's fields, NULL for none:
	 * its name (netcap-label's "Label"), printed by emit_header_line; its
	 * value per record is emit_record_extra's text (JSON: one more key). */
	const char *extra_column;

	/* Column selection, set by emit_select(): indices into
	 * selected_desc->fields in output order. None: every field of the
	 * record in field-number order. */
	const ProtobufCMessageDescriptor *selected_desc;
	size_t nselected;
	unsigned selected[EMIT_MAX_SELECT];

	/* Private: the line being built and the CSV cell being built. */
	struct emit_buf line, cell;
};

void emit_init(struct emitter *e, FILE *out);
void emit_free(struct emitter *e);

/* Selects the columns named in names ("SrcPort,DstPort", exact proto field
 * names, in the order wanted) for records of type desc; replaces any earlier
 * selection. On an unknown or empty name returns -1 and writes a message
 * listing every valid field name of desc to err. */
int emit_select(struct emitter *e, const ProtobufCMessageDescriptor *desc,
		const char *names, char *err, size_t errlen);
void emit_select_clear(struct emitter *e);

/* CSV: writes the line of column names for records of type desc. JSON:
 * writes nothing. Returns 0, or -1 with errno set when writing failed. */
int emit_header_line(struct emitter *e, const ProtobufCMessageDescriptor *desc);

/* Writes msg as one line. Returns 0, or -1 with errno set: ENOMEM, EINVAL
 * (a selection made for another type), or the error of the failed write. */
int emit_record(struct emitter *e, const ProtobufCMessage *msg);

/* emit_record with the value of the extra column (text of extra_len
 * bytes; NULL: empty), escaped, repaired and defused like a string field. */
int emit_record_extra(struct emitter *e, const ProtobufCMessage *msg, const char *extra,
		      size_t extra_len);

/* CSV: writes one line of n text cells that are not a record's (NULL:
 * empty), by the rules of a string field; netcap-label's list of unmatched
 * alerts uses it. Returns as emit_record. */
int emit_text_line(struct emitter *e, const char *const *cells, size_t n);

#endif
