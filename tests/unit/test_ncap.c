/* test_ncap.c: record files (lib/ncap: chunk, writer, reader, schema).
 *
 * Round trips of every record type with every field set, multi-member gzip
 * files (small members, records larger than a member, records spanning
 * members of files not written by NETCAP, zcat), every truncation point and
 * random corruption of small files, and each fault the reader names. The
 * expected outcome of every cut or fault is computed independently of the
 * reader: gzip members are walked with libdeflate_gzip_decompress_ex and
 * records with a varint walk of their own. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ncap/chunk.h"
#include "ncap/reader.h"
#include "ncap/schema.h"
#include "ncap/varint.h"
#include "ncap/writer.h"
#include "../support/canon.h"
#include "../support/fill.h"

/* ---- fixtures and helpers ---------------------------------------------- */

static char tmpdir[256];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/ncap-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[512];
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
	rmdir(tmpdir);
}

TestSuite(ncap, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 120);

static const char *tpath(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
	return p[k];
}

struct buf {
	uint8_t *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->data = realloc(b->data, b->cap);
		cr_assert_not_null(b->data);
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

static struct buf slurp(const char *path)
{
	struct buf b = { 0 };
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	uint8_t tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	return b;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* A list of records (packed messages). */
struct recs {
	struct buf *r;
	size_t n;
};

static void recs_add(struct recs *rs, const uint8_t *p, size_t len)
{
	rs->r = realloc(rs->r, (rs->n + 1) * sizeof *rs->r);
	cr_assert_not_null(rs->r);
	rs->r[rs->n] = (struct buf){ 0 };
	buf_add(&rs->r[rs->n], p, len);
	rs->n++;
}

static void recs_add_msg(struct recs *rs, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *p = malloc(len ? len : 1);
	cr_assert_eq(protobuf_c_message_pack(m, p), len);
	recs_add(rs, p, len);
	free(p);
}

static void recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		buf_free(&rs->r[i]);
	free(rs->r);
	*rs = (struct recs){ 0 };
}

static const struct ncap_writer_opts base_opts = {
	.input_source = "eth0, \"lab\" \xc3\xa9",
	.contains_payloads = true,
	.created_ns = 1234567890123456789LL,
};

/* Writes recs through chunks of chunk_cap bytes (0: one chunk per record). */
static void write_file(const char *path, int type, const struct ncap_writer_opts *o,
		       const struct recs *rs, size_t chunk_cap)
{
	char err[1024] = "";
	struct ncap_writer *w = ncap_writer_open(path, type, o, err, sizeof err);
	cr_assert_not_null(w, "ncap_writer_open: %s", err);
	struct ncap_chunk c;
	size_t biggest = 0;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->r[i].len > biggest)
			biggest = rs->r[i].len;
	size_t cap = chunk_cap > biggest + NCAP_VARINT_MAX ? chunk_cap : biggest + NCAP_VARINT_MAX;
	cr_assert_eq(ncap_chunk_init(&c, type, cap), 0);
	uint64_t bytes_in = 0;
	for (size_t i = 0; i < rs->n; i++) {
		if (!ncap_chunk_append_raw(&c, rs->r[i].data, rs->r[i].len)) {
			cr_assert_eq(ncap_writer_write(w, c.data, c.len), 0, "%s", ncap_writer_error(w));
			bytes_in += c.len;
			ncap_chunk_reset(&c);
			cr_assert(ncap_chunk_append_raw(&c, rs->r[i].data, rs->r[i].len));
		}
		if (chunk_cap == 0 || i + 1 == rs->n) {
			cr_assert_eq(ncap_writer_write(w, c.data, c.len), 0, "%s", ncap_writer_error(w));
			bytes_in += c.len;
			ncap_chunk_reset(&c);
		}
	}
	cr_assert_eq(ncap_writer_records(w), rs->n);
	cr_assert_eq(ncap_writer_bytes_in(w), bytes_in);
	cr_assert_eq(ncap_writer_flush(w), 0, "%s", ncap_writer_error(w));
	uint64_t out = ncap_writer_bytes_out(w);
	cr_assert_eq(ncap_writer_close(w, err, sizeof err), 0, "close: %s", err);
	ncap_chunk_free(&c);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(out, (uint64_t)st.st_size, "bytes_out %llu, file %lld bytes",
		     (unsigned long long)out, (long long)st.st_size);
}

/* The plain stream of a file: header record, then the records. */
static struct buf stream_of(const uint8_t *header, size_t hlen, const struct recs *rs)
{
	struct buf s = { 0 };
	uint8_t v[NCAP_VARINT_MAX];
	buf_add(&s, v, ncap_varint_put(v, hlen));
	buf_add(&s, header, hlen);
	for (size_t i = 0; i < rs->n; i++) {
		buf_add(&s, v, ncap_varint_put(v, rs->r[i].len));
		buf_add(&s, rs->r[i].data, rs->r[i].len);
	}
	return s;
}

/* Result of reading a whole file with ncap_reader. */
struct readout {
	bool opened;
	int rc;             /* last ncap_reader_next: 0 clean end, -1 fault */
	struct recs recs;
	char error[1024];   /* open error or ncap_reader_error */
	uint64_t error_offset;
	Types__Header *header; /* copy of the header (unpacked again) */
};

static struct readout read_file(const char *path, size_t max_records)
{
	struct readout o = { 0 };
	struct ncap_reader *r = ncap_reader_open(path, o.error, sizeof o.error);
	if (!r) {
		o.rc = -1;
		return o;
	}
	o.opened = true;
	cr_assert_str_empty(ncap_reader_error(r));
	uint8_t hb[8192];
	size_t hl = protobuf_c_message_get_packed_size(&ncap_reader_header(r)->base);
	cr_assert_leq(hl, sizeof hb);
	protobuf_c_message_pack(&ncap_reader_header(r)->base, hb);
	o.header = types__header__unpack(NULL, hl, hb);
	const uint8_t *rec;
	size_t len;
	while ((o.rc = ncap_reader_next(r, &rec, &len)) > 0) {
		cr_assert_leq(len, NCAP_MAX_RECORD);
		recs_add(&o.recs, rec, len);
		cr_assert_leq(o.recs.n, max_records, "%s: more records than bytes", path);
	}
	cr_assert_eq(ncap_reader_records(r), o.recs.n);
	snprintf(o.error, sizeof o.error, "%s", ncap_reader_error(r));
	o.error_offset = ncap_reader_error_offset(r);
	if (o.rc == 0)
		cr_assert_str_empty(o.error, "clean end, yet error \"%s\"", o.error);
	else
		cr_assert_str_not_empty(o.error);
	/* After the end or a fault, the reader stays there. */
	cr_assert_eq(ncap_reader_next(r, &rec, &len), o.rc);
	ncap_reader_close(r);
	return o;
}

static void readout_free(struct readout *o)
{
	recs_free(&o->recs);
	if (o->header)
		types__header__free_unpacked(o->header, NULL);
}

static void assert_same_records(const struct recs *got, const struct recs *want, size_t n)
{
	cr_assert_geq(want->n, n);
	cr_assert_eq(got->n, n, "read %zu records, want %zu", got->n, n);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(got->r[i].len, want->r[i].len, "record %zu: %zu bytes, want %zu", i,
			     got->r[i].len, want->r[i].len);
		cr_assert_arr_eq(got->r[i].data, want->r[i].data, want->r[i].len, "record %zu differs", i);
	}
}

/* Gzip members of a file, found without the reader. */
struct member {
	size_t off, end;      /* in the file */
	size_t uoff, ulen;    /* in the uncompressed stream */
};

static size_t walk_members(const uint8_t *p, size_t n, struct member *m, size_t max, struct buf *stream)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t cap = 64u << 20;
	uint8_t *out = malloc(cap);
	cr_assert(d && out);
	size_t count = 0, off = 0, uoff = 0;
	while (off < n) {
		size_t in_used, produced;
		enum libdeflate_result res = libdeflate_gzip_decompress_ex(d, p + off, n - off, out, cap,
									   &in_used, &produced);
		cr_assert_eq(res, LIBDEFLATE_SUCCESS, "member at %zu does not decompress (%d)", off, res);
		cr_assert_lt(count, max);
		m[count++] = (struct member){ off, off + in_used, uoff, produced };
		if (stream)
			buf_add(stream, out, produced);
		off += in_used;
		uoff += produced;
	}
	free(out);
	libdeflate_free_decompressor(d);
	return count;
}

/* Whole delimited records in p[0..n); *end gets the offset after the last. */
static size_t count_whole(const uint8_t *p, size_t n, size_t *end)
{
	size_t pos = 0, count = 0;
	for (;;) {
		uint64_t len;
		int k = ncap_varint_get(p + pos, n - pos, &len);
		if (k <= 0 || len > n - pos - (size_t)k)
			break;
		pos += (size_t)k + (size_t)len;
		count++;
	}
	if (end)
		*end = pos;
	return count;
}

static uint8_t *gzip_bytes(const uint8_t *p, size_t n, int level, size_t *out_len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	cr_assert_not_null(c);
	size_t bound = libdeflate_gzip_compress_bound(c, n);
	uint8_t *out = malloc(bound);
	*out_len = libdeflate_gzip_compress(c, p, n, out, bound);
	cr_assert_gt(*out_len, 0);
	libdeflate_free_compressor(c);
	return out;
}

/* Small TCP records of 10 to 70 bytes: several per 256-byte member. */
static void small_tcp_records(struct recs *rs, size_t n, unsigned seed)
{
	uint8_t payload[64];
	for (size_t i = 0; i < n; i++) {
		Types__TCP t = TYPES__TCP__INIT;
		t.timestamp = 1700000000000000000LL + (int64_t)(i * 1000 + seed);
		t.srcport = 1024 + (int32_t)i;
		t.dstport = 443;
		t.seqnum = (uint32_t)(i * 2654435761u + seed);
		for (size_t k = 0; k < sizeof payload; k++)
			payload[k] = (uint8_t)((i * 31 + k * 7 + seed) ^ (k * k));
		t.payload.data = payload;
		t.payload.len = (i * 13 + seed) % 48;
		recs_add_msg(rs, &t.base);
	}
}

static size_t header_bytes(int type, const struct ncap_writer_opts *o, uint8_t *out)
{
	Types__Header h = TYPES__HEADER__INIT;
	h.created = o->created_ns;
	h.inputsource = (char *)o->input_source;
	h.type = (Types__Type)type;
	h.version = (char *)NCAP_VERSION;
	h.containspayloads = o->contains_payloads;
	return protobuf_c_message_pack(&h.base, out);
}

/* ---- the "every field" helper ------------------------------------------ */

/* A message whose every leaf is a bool: all true whatever the seed. */
static bool only_bools(const ProtobufCMessageDescriptor *d)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE ? !only_bools(f->descriptor) : f->type != PROTOBUF_C_TYPE_BOOL)
			return false;
	}
	return true;
}

Test(ncap, fill_sets_every_field_of_every_message)
{
	for (size_t i = 0; i < ncap_all_descriptors_count; i++) {
		const ProtobufCMessageDescriptor *d = ncap_all_descriptors[i];
		ProtobufCMessage *m = fill_message(d, 42);
		cr_assert_not_null(m);
		char why[512];
		cr_assert_null(fill_first_unset(m, why, sizeof why), "%s: %s not set", d->name, why);
		size_t len = protobuf_c_message_get_packed_size(m);
		uint8_t *a = malloc(len), *b = malloc(len);
		protobuf_c_message_pack(m, a);
		/* Every field survives packing: unpacked, every field is set. */
		ProtobufCMessage *u = protobuf_c_message_unpack(d, NULL, len, a);
		cr_assert_not_null(u, "%s does not unpack", d->name);
		cr_assert_null(fill_first_unset(u, why, sizeof why), "%s: %s lost by packing", d->name, why);
		cr_assert_eq(protobuf_c_message_get_packed_size(u), len);
		protobuf_c_message_pack(u, b);
		cr_assert_arr_eq(a, b, len, "%s: re-packing differs", d->name);
		protobuf_c_message_free_unpacked(u, NULL);
		/* Deterministic: same seed, same bytes; another seed, others. */
		ProtobufCMessage *same = fill_message(d, 42), *other = fill_message(d, 43);
		protobuf_c_message_pack(same, b);
		cr_assert_arr_eq(a, b, len, "%s: fill is not deterministic", d->name);
		size_t olen = protobuf_c_message_get_packed_size(other);
		uint8_t *c = malloc(olen);
		protobuf_c_message_pack(other, c);
		cr_assert(olen != len || memcmp(a, c, len) != 0 || only_bools(d), "%s: seed makes no difference",
			  d->name);
		free(a);
		free(b);
		free(c);
		fill_free(m);
		fill_free(same);
		fill_free(other);
	}
}

Test(ncap, fill_values_are_the_promised_kinds)
{
	Types__HTTP *h = (Types__HTTP *)fill_message(&types__http__descriptor, 5);
	cr_assert(strchr(h->host, ',') && strchr(h->host, '"') && strstr(h->host, "\xc3\xa9"),
		  "string lacks comma, quote or UTF-8: %s", h->host);
	cr_assert_eq(h->requestbody.data[0], 0x00);
	cr_assert_eq(h->requestbody.data[1], 0xff);
	cr_assert_eq(h->n_reqcookies, FILL_REPEATED);
	cr_assert_eq(h->n_requestheader, FILL_REPEATED);
	cr_assert_str_neq(h->requestheader[0]->key, h->requestheader[1]->key, "map keys must differ");
	cr_assert(fill_is_map_entry(h->requestheader[0]->base.descriptor));
	cr_assert(!fill_is_map_entry(&types__httpcookie__descriptor));
	fill_free(&h->base);

	Types__TCP *t = (Types__TCP *)fill_message(&types__tcp__descriptor, 5);
	cr_assert_neq(t->payloadentropy, (double)(int64_t)t->payloadentropy, "double without fraction");
	cr_assert(t->fin && t->cwr);
	fill_free(&t->base);

	Types__Batch *b = (Types__Batch *)fill_message(&types__batch__descriptor, 5);
	cr_assert_not_null(ncap_type_by_id((int)b->messagetype), "enum value %d is not valid", b->messagetype);
	cr_assert_neq(b->messagetype, 0);
	fill_free(&b->base);
}

Test(ncap, canon_json_of_a_header)
{
	Types__Header h = TYPES__HEADER__INIT;
	h.created = -5;
	h.inputsource = "a\"b\\c\n\xc3\xa9";
	h.type = TYPES__TYPE__NC_TCP;
	h.version = "0.1.0";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	canon_json(f, &h.base);
	fclose(f);
	cr_assert_str_eq(text, "{\"Created\":\"-5\",\"InputSource\":\"a\\\"b\\\\c\\n\xc3\xa9\","
			       "\"Type\":\"NC_TCP\",\"Version\":\"0.1.0\",\"ContainsPayloads\":false}");
	free(text);
}

Test(ncap, schema_table)
{
	size_t n;
	const struct ncap_type *t = ncap_types_table(&n);
	cr_assert_gt(n, 60);
	cr_assert_eq(ncap_type_by_name("TCP"), ncap_type_by_name("NC_TCP"));
	cr_assert_eq(ncap_type_by_name("TCP")->desc, &types__tcp__descriptor);
	cr_assert_eq(ncap_type_by_id(TYPES__TYPE__NC_UDP)->desc, &types__udp__descriptor);
	cr_assert_eq(ncap_type_from_path("/x/y/TCP.ncap.gz"), ncap_type_by_name("TCP"));
	cr_assert_eq(ncap_type_from_path("TCP.ncap"), ncap_type_by_name("TCP"));
	cr_assert_null(ncap_type_from_path("TCP.ncap.gz.bak"));
	cr_assert_null(ncap_type_from_path("Nope.ncap"));
	cr_assert_null(ncap_type_by_name("tcp"));
	size_t with_desc = 0;
	for (size_t i = 0; i < n; i++)
		with_desc += t[i].desc != NULL;
	cr_assert_geq(with_desc, 60);
}

/* ---- round trips ------------------------------------------------------- */

static void round_trip_every_type(bool gz)
{
	size_t n;
	const struct ncap_type *types = ncap_types_table(&n);
	size_t files = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ncap_type *t = &types[i];
		if (!t->desc || t->id == TYPES__TYPE__NC_Header)
			continue;
		char name[128];
		snprintf(name, sizeof name, "%s.ncap%s", t->name, gz ? ".gz" : "");
		const char *path = tpath(name);
		struct recs want = { 0 };
		for (unsigned k = 0; k < 5; k++) {
			ProtobufCMessage *m = fill_message(t->desc, 1000 * i + k);
			recs_add_msg(&want, m);
			fill_free(m);
		}
		struct ncap_writer_opts o = base_opts;
		o.plain = !gz;
		/* One record per write, a few per write, all in one write. */
		size_t chunk_cap = i % 3 == 0 ? 0 : i % 3 == 1 ? 700 : 1u << 20;
		write_file(path, t->id, &o, &want, chunk_cap);
		struct buf file = slurp(path);
		cr_assert_eq(file.len >= 2 && file.data[0] == 0x1f && file.data[1] == 0x8b, gz,
			     "%s: gzip magic present: %d", name, !gz);
		buf_free(&file);

		struct readout r = read_file(path, 1000);
		cr_assert(r.opened, "%s: %s", name, r.error);
		cr_assert_eq(r.rc, 0, "%s: %s", name, r.error);
		cr_assert_eq(r.header->type, (Types__Type)t->id);
		cr_assert_str_eq(r.header->inputsource, base_opts.input_source);
		cr_assert_str_eq(r.header->version, NCAP_VERSION);
		cr_assert_eq(r.header->created, base_opts.created_ns);
		cr_assert_eq(r.header->containspayloads, 1);
		assert_same_records(&r.recs, &want, want.n);
		for (size_t k = 0; k < r.recs.n; k++) {
			ProtobufCMessage *m = protobuf_c_message_unpack(t->desc, NULL, r.recs.r[k].len,
									r.recs.r[k].data);
			cr_assert_not_null(m, "%s record %zu does not unpack", name, k);
			char why[512];
			cr_assert_null(fill_first_unset(m, why, sizeof why), "%s: %s lost", name, why);
			uint8_t *again = malloc(want.r[k].len + 1);
			cr_assert_eq(protobuf_c_message_pack(m, again), want.r[k].len);
			cr_assert_arr_eq(again, want.r[k].data, want.r[k].len, "%s record %zu re-packs differently",
					 name, k);
			free(again);
			protobuf_c_message_free_unpacked(m, NULL);
		}
		readout_free(&r);
		recs_free(&want);
		unlink(path);
		files++;
	}
	cr_assert_geq(files, 60);
}

Test(ncap, round_trip_every_type_gzip) { round_trip_every_type(true); }
Test(ncap, round_trip_every_type_plain) { round_trip_every_type(false); }

Test(ncap, header_created_defaults_to_now_and_flags)
{
	struct recs none = { 0 };
	struct ncap_writer_opts o = { 0 }; /* no source, no payloads, created now */
	struct timespec a, b;
	clock_gettime(CLOCK_REALTIME, &a);
	write_file(tpath("UDP.ncap.gz"), TYPES__TYPE__NC_UDP, &o, &none, 0);
	clock_gettime(CLOCK_REALTIME, &b);
	struct readout r = read_file(tpath("UDP.ncap.gz"), 10);
	cr_assert(r.opened, "%s", r.error);
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.recs.n, 0, "a file of a header alone has no records");
	int64_t lo = (int64_t)a.tv_sec * 1000000000 + a.tv_nsec, hi = (int64_t)b.tv_sec * 1000000000 + b.tv_nsec;
	cr_assert(r.header->created >= lo && r.header->created <= hi, "Created %lld not in [%lld, %lld]",
		  (long long)r.header->created, (long long)lo, (long long)hi);
	cr_assert_str_eq(r.header->inputsource, "");
	cr_assert_eq(r.header->containspayloads, 0);
	cr_assert_eq(r.header->type, TYPES__TYPE__NC_UDP);
	readout_free(&r);
}

/* ---- multi-member files ------------------------------------------------ */

Test(ncap, small_members_hold_whole_records)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 150, 1);
	/* Records larger than the 256-byte member cap, one far larger. */
	for (unsigned k = 0; k < 3; k++) {
		Types__TCP *t = (Types__TCP *)fill_message(&types__tcp__descriptor, 900 + k);
		recs_add_msg(&want, &t->base);
		fill_free(&t->base);
	}
	uint8_t *big = malloc(5000);
	for (int k = 0; k < 5000; k++)
		big[k] = (uint8_t)(k * 7919 >> 3);
	Types__TCP t = TYPES__TCP__INIT;
	t.payload.data = big;
	t.payload.len = 5000;
	recs_add_msg(&want, &t.base);
	free(big);
	small_tcp_records(&want, 50, 2);

	struct ncap_writer_opts o = base_opts;
	o.member_cap = 256;
	const char *path = tpath("TCP.ncap.gz");
	write_file(path, TYPES__TYPE__NC_TCP, &o, &want, 1000);

	struct buf file = slurp(path), stream = { 0 };
	struct member m[4096];
	size_t nm = walk_members(file.data, file.len, m, 4096, &stream);
	cr_assert_gt(nm, 30, "only %zu members", nm);
	/* The first member is the header record alone. */
	size_t end;
	cr_assert_eq(count_whole(stream.data, m[0].ulen, &end), 1);
	cr_assert_eq(end, m[0].ulen);
	bool saw_big = false;
	for (size_t i = 1; i < nm; i++) {
		size_t records = count_whole(stream.data + m[i].uoff, m[i].ulen, &end);
		cr_assert_eq(end, m[i].ulen, "member %zu does not end with a whole record", i);
		cr_assert_geq(records, 1);
		cr_assert(m[i].ulen <= 256 || records == 1, "member %zu: %zu bytes, %zu records", i, m[i].ulen,
			  records);
		if (m[i].ulen > 5000)
			saw_big = true;
		/* Members are full: the next member's first record did not fit. */
		if (i + 1 < nm) {
			uint64_t next_len = 0;
			int k = ncap_varint_get(stream.data + m[i + 1].uoff, m[i + 1].ulen, &next_len);
			cr_assert(m[i].ulen + (size_t)k + next_len > 256, "member %zu could have held more", i);
		}
	}
	cr_assert(saw_big, "the 5000-byte record should have a member of its own");
	struct readout r = read_file(path, 100000);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	assert_same_records(&r.recs, &want, want.n);

	/* The uncompressed stream is exactly header + records. */
	uint8_t hb[512];
	size_t hl = header_bytes(TYPES__TYPE__NC_TCP, &o, hb);
	struct buf expect = stream_of(hb, hl, &want);
	cr_assert_eq(stream.len, expect.len);
	cr_assert_arr_eq(stream.data, expect.data, expect.len);
	readout_free(&r);
	recs_free(&want);
	buf_free(&file);
	buf_free(&stream);
	buf_free(&expect);
}

Test(ncap, record_larger_than_default_member)
{
	/* 3 MiB of records, one of 1.5 MiB: beyond the 1 MiB default member. */
	struct recs want = { 0 };
	small_tcp_records(&want, 10, 3);
	size_t bigl = 3u << 19;
	uint8_t *big = malloc(bigl);
	for (size_t k = 0; k < bigl; k++)
		big[k] = (uint8_t)((k * 2654435761u) >> 13);
	recs_add(&want, big, bigl);
	free(big);
	small_tcp_records(&want, 10, 4);
	for (const char *const *name = (const char *const[]){ "TCP.ncap.gz", "TCP.ncap", NULL }; *name; name++) {
		write_file(tpath(*name), TYPES__TYPE__NC_TCP, &base_opts, &want, 1u << 20);
		struct readout r = read_file(tpath(*name), 1000);
		cr_assert_eq(r.rc, 0, "%s", r.error);
		assert_same_records(&r.recs, &want, want.n);
		readout_free(&r);
	}
	recs_free(&want);
}

/* Concatenates gzip members of the given pieces of s (cuts: piece ends). */
static struct buf gzip_pieces(const struct buf *s, const size_t *cuts, size_t ncuts, int level)
{
	struct buf f = { 0 };
	size_t from = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : s->len;
		size_t zl;
		uint8_t *z = gzip_bytes(s->data + from, to - from, level, &zl);
		buf_add(&f, z, zl);
		free(z);
		from = to;
	}
	return f;
}

Test(ncap, records_spanning_members_of_foreign_files)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 40, 5);
	uint8_t hb[512];
	size_t hl = header_bytes(TYPES__TYPE__NC_TCP, &base_opts, hb);
	struct buf s = stream_of(hb, hl, &want);
	const char *path = tpath("TCP.ncap.gz");

	/* Two members split at every byte of the stream: inside the header,
	 * inside length varints, inside records. */
	for (size_t cut = 0; cut <= s.len; cut++) {
		struct buf f = gzip_pieces(&s, &cut, 1, (int)(cut % 13));
		spit(path, f.data, f.len);
		struct readout r = read_file(path, 1000);
		cr_assert(r.opened, "cut %zu: %s", cut, r.error);
		cr_assert_eq(r.rc, 0, "cut %zu: %s", cut, r.error);
		assert_same_records(&r.recs, &want, want.n);
		readout_free(&r);
		buf_free(&f);
	}
	/* Many tiny members (7 bytes each): every record spans several. */
	size_t cuts[1024], n = 0;
	for (size_t at = 7; at < s.len && n < 1024; at += 7)
		cuts[n++] = at;
	struct buf f = gzip_pieces(&s, cuts, n, 6);
	spit(path, f.data, f.len);
	struct readout r = read_file(path, 1000);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	assert_same_records(&r.recs, &want, want.n);
	readout_free(&r);
	buf_free(&f);
	recs_free(&want);
	buf_free(&s);
}

Test(ncap, members_from_gzip_cli_with_file_name_and_empty_member)
{
	/* gzip(1) stores the file name (FNAME); an empty member in between. */
	struct recs want = { 0 };
	small_tcp_records(&want, 30, 6);
	uint8_t hb[512];
	size_t hl = header_bytes(TYPES__TYPE__NC_TCP, &base_opts, hb);
	struct buf s = stream_of(hb, hl, &want);
	size_t half = s.len / 2 + 3;
	spit(tpath("second-half"), s.data + half, s.len - half);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "gzip -c -N '%s' > '%s'", tpath("second-half"), tpath("second.gz"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	struct buf second = slurp(tpath("second.gz"));
	cr_assert(second.len > 10 && (second.data[3] & 0x08), "gzip(1) did not store a file name");

	size_t zl, el;
	uint8_t *first = gzip_bytes(s.data, half, 9, &zl);
	uint8_t *empty = gzip_bytes(NULL, 0, 1, &el);
	struct buf f = { 0 };
	buf_add(&f, first, zl);
	buf_add(&f, empty, el);
	buf_add(&f, second.data, second.len);
	spit(tpath("TCP.ncap.gz"), f.data, f.len);
	struct readout r = read_file(tpath("TCP.ncap.gz"), 1000);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	assert_same_records(&r.recs, &want, want.n);
	readout_free(&r);
	free(first);
	free(empty);
	buf_free(&f);
	buf_free(&second);
	buf_free(&s);
	recs_free(&want);
}

Test(ncap, zcat_reads_our_files)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 100, 7);
	Types__DNS *d = (Types__DNS *)fill_message(&types__dns__descriptor, 3);
	recs_add_msg(&want, &d->base);
	fill_free(&d->base);
	struct ncap_writer_opts o = base_opts;
	o.member_cap = 300;
	write_file(tpath("TCP.ncap.gz"), TYPES__TYPE__NC_TCP, &o, &want, 0);
	write_file(tpath("TCP.ncap"), TYPES__TYPE__NC_TCP, &o, &want, 0);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s'", tpath("TCP.ncap.gz"), tpath("zcat.out"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof cmd, "gzip -t '%s'", tpath("TCP.ncap.gz"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	struct buf z = slurp(tpath("zcat.out")), p = slurp(tpath("TCP.ncap"));
	cr_assert_eq(z.len, p.len, "gzip -dc gave %zu bytes, the plain file has %zu", z.len, p.len);
	cr_assert_arr_eq(z.data, p.data, p.len, "gzip -dc output differs from the plain file");
	buf_free(&z);
	buf_free(&p);
	recs_free(&want);
}

Test(ncap, flush_makes_records_readable_while_writing)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 20, 8);
	char err[512];
	const char *path = tpath("TCP.ncap.gz");
	struct ncap_writer *w = ncap_writer_open(path, TYPES__TYPE__NC_TCP, &base_opts, err, sizeof err);
	cr_assert_not_null(w, "%s", err);
	struct readout r = read_file(path, 100);
	cr_assert_eq(r.rc, 0, "a file just opened holds a valid header: %s", r.error);
	cr_assert_eq(r.recs.n, 0);
	readout_free(&r);
	struct ncap_chunk c;
	ncap_chunk_init(&c, TYPES__TYPE__NC_TCP, 1 << 16);
	for (size_t i = 0; i < 12; i++)
		cr_assert(ncap_chunk_append_raw(&c, want.r[i].data, want.r[i].len));
	cr_assert_eq(ncap_writer_write(w, c.data, c.len), 0);
	cr_assert_eq(ncap_writer_flush(w), 0);
	r = read_file(path, 100);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	assert_same_records(&r.recs, &want, 12);
	readout_free(&r);
	ncap_chunk_free(&c);
	cr_assert_eq(ncap_writer_close(w, err, sizeof err), 0, "%s", err);
	recs_free(&want);
}

Test(ncap, reads_standard_input)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 20, 9);
	write_file(tpath("TCP.ncap.gz"), TYPES__TYPE__NC_TCP, &base_opts, &want, 0);
	int fd = open(tpath("TCP.ncap.gz"), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	struct readout r = read_file("-", 100);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	cr_assert_eq(r.header->type, TYPES__TYPE__NC_TCP);
	assert_same_records(&r.recs, &want, want.n);
	readout_free(&r);
	recs_free(&want);
}

/* ---- truncation and corruption ----------------------------------------- */

/* A gzip file of about 3 KiB in many 256-byte members, and its plain twin. */
static void small_files(struct recs *want, struct buf *gz, struct buf *plain)
{
	small_tcp_records(want, 90, 10);
	struct ncap_writer_opts o = base_opts;
	o.member_cap = 256;
	write_file(tpath("src.ncap.gz"), TYPES__TYPE__NC_TCP, &o, want, 0);
	write_file(tpath("src.ncap"), TYPES__TYPE__NC_TCP, &o, want, 0);
	*gz = slurp(tpath("src.ncap.gz"));
	*plain = slurp(tpath("src.ncap"));
	cr_assert(gz->len > 2500 && gz->len < 5000, "gzip file of %zu bytes", gz->len);
}

Test(ncap, every_truncation_of_a_gzip_file)
{
	struct recs want = { 0 };
	struct buf gz, plain, stream = { 0 };
	small_files(&want, &gz, &plain);
	struct member m[512];
	size_t nm = walk_members(gz.data, gz.len, m, 512, &stream);
	cr_assert_gt(nm, 8, "only %zu members", nm);
	const char *path = tpath("TCP.ncap.gz");
	size_t last = 0;
	for (size_t cut = 0; cut <= gz.len; cut++) {
		/* Independent expectation: complete members before the cut. */
		size_t complete = 0;
		while (complete < nm && m[complete].end <= cut)
			complete++;
		bool at_boundary = cut == 0 || (complete > 0 && m[complete - 1].end == cut);
		size_t ubytes = complete ? m[complete - 1].uoff + m[complete - 1].ulen : 0;
		size_t whole = count_whole(stream.data, ubytes, NULL);
		size_t expect = whole ? whole - 1 : 0; /* minus the header */

		spit(path, gz.data, cut);
		struct readout r = read_file(path, 10000);
		if (complete == 0) {
			cr_assert(!r.opened, "cut %zu: opened without a whole header member", cut);
			cr_assert(strstr(r.error, "offset"), "cut %zu: \"%s\"", cut, r.error);
			cr_assert(strstr(r.error, path), "cut %zu: error does not name the file: %s", cut, r.error);
		} else {
			cr_assert(r.opened, "cut %zu: %s", cut, r.error);
			assert_same_records(&r.recs, &want, expect);
			cr_assert_geq(r.recs.n, last, "cut %zu: fewer records than a shorter file", cut);
			last = r.recs.n;
			if (at_boundary) {
				cr_assert_eq(r.rc, 0, "cut %zu at a member boundary: %s", cut, r.error);
			} else {
				cr_assert_eq(r.rc, -1, "cut %zu inside a member: no fault reported", cut);
				cr_assert(strstr(r.error, "offset"), "cut %zu: \"%s\"", cut, r.error);
				/* The fault names the member that is cut short. */
				cr_assert_eq(r.error_offset, m[complete - 1].end, "cut %zu: fault at %llu: %s", cut,
					     (unsigned long long)r.error_offset, r.error);
			}
		}
		readout_free(&r);
	}
	cr_assert_eq(last, want.n);
	buf_free(&gz);
	buf_free(&plain);
	buf_free(&stream);
	recs_free(&want);
}

Test(ncap, every_truncation_of_a_plain_file)
{
	struct recs want = { 0 };
	struct buf gz, plain;
	small_files(&want, &gz, &plain);
	const char *path = tpath("TCP.ncap");
	size_t last = 0;
	for (size_t cut = 0; cut <= plain.len; cut++) {
		size_t end;
		size_t whole = count_whole(plain.data, cut, &end);
		spit(path, plain.data, cut);
		struct readout r = read_file(path, 10000);
		if (whole == 0) {
			cr_assert(!r.opened, "cut %zu: opened without a whole header", cut);
			cr_assert(strstr(r.error, "offset"), "cut %zu: \"%s\"", cut, r.error);
		} else {
			cr_assert(r.opened, "cut %zu: %s", cut, r.error);
			assert_same_records(&r.recs, &want, whole - 1);
			cr_assert_geq(r.recs.n, last);
			last = r.recs.n;
			if (end == cut) {
				cr_assert_eq(r.rc, 0, "cut %zu at a record boundary: %s", cut, r.error);
			} else {
				cr_assert_eq(r.rc, -1, "cut %zu inside a record: no fault reported", cut);
				cr_assert(strstr(r.error, "offset"), "cut %zu: \"%s\"", cut, r.error);
				cr_assert_eq(r.error_offset, end, "cut %zu: fault at %llu, the record starts at %zu: %s",
					     cut, (unsigned long long)r.error_offset, end, r.error);
			}
		}
		readout_free(&r);
	}
	cr_assert_eq(last, want.n);
	buf_free(&gz);
	buf_free(&plain);
	recs_free(&want);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void byte_flips(bool gzip, int iterations)
{
	struct recs want = { 0 };
	struct buf gz, plain;
	small_files(&want, &gz, &plain);
	struct buf *orig = gzip ? &gz : &plain;
	const char *path = tpath(gzip ? "TCP.ncap.gz" : "TCP.ncap");
	uint64_t seed = 0x5eed1234abcdull + gzip;
	uint8_t *copy = malloc(orig->len);
	int ok = 0, faults = 0;
	for (int it = 0; it < iterations; it++) {
		memcpy(copy, orig->data, orig->len);
		int flips = 1 + (int)(xorshift(&seed) % 3);
		for (int k = 0; k < flips; k++) {
			size_t at = xorshift(&seed) % orig->len;
			copy[at] ^= (uint8_t)(1 + xorshift(&seed) % 255);
		}
		spit(path, copy, orig->len);
		struct readout r = read_file(path, orig->len + 1);
		if (r.rc == 0) {
			ok++;
			/* Gzip data is CRC-checked: a file that reads cleanly has
			 * only had bytes changed that carry no data (mtime, OS). */
			if (gzip)
				assert_same_records(&r.recs, &want, want.n);
		} else {
			faults++;
			cr_assert(strstr(r.error, "offset"), "iteration %d: \"%s\"", it, r.error);
			if (r.opened)
				cr_assert_leq(r.error_offset, orig->len, "iteration %d: %s", it, r.error);
		}
		readout_free(&r);
	}
	cr_log_info("%s: %d byte-flip files read cleanly, %d faulted", gzip ? "gzip" : "plain", ok, faults);
	/* Gzip: nearly every flip hits CRC-checked data. Plain: only flips of
	 * length varints are noticed. */
	cr_assert_gt(faults, gzip ? iterations * 9 / 10 : iterations / 50);
	free(copy);
	buf_free(&gz);
	buf_free(&plain);
	recs_free(&want);
}

Test(ncap, random_byte_flips_gzip) { byte_flips(true, 3000); }
Test(ncap, random_byte_flips_plain) { byte_flips(false, 2000); }

/* ---- named faults ------------------------------------------------------ */

static void expect_open_error(const char *path, const char *needle)
{
	struct readout r = read_file(path, 100);
	cr_assert(!r.opened, "%s opened; expected \"%s\"", path, needle);
	cr_assert(strstr(r.error, needle), "%s: \"%s\" lacks \"%s\"", path, r.error, needle);
	cr_assert(strstr(r.error, path), "error does not name the file: %s", r.error);
	cr_assert(strstr(r.error, "offset"), "error gives no offset: %s", r.error);
}

static void expect_read_error(const char *path, size_t records, const char *needle, uint64_t offset)
{
	struct readout r = read_file(path, 100);
	cr_assert(r.opened, "%s: %s", path, r.error);
	cr_assert_eq(r.rc, -1, "%s: no fault; expected \"%s\"", path, needle);
	cr_assert_eq(r.recs.n, records, "%s: %zu records before the fault, want %zu", path, r.recs.n, records);
	cr_assert(strstr(r.error, needle), "%s: \"%s\" lacks \"%s\"", path, r.error, needle);
	char at[64];
	snprintf(at, sizeof at, "offset %llu:", (unsigned long long)offset);
	cr_assert(strstr(r.error, at), "\"%s\" lacks \"%s\"", r.error, at);
	cr_assert_eq(r.error_offset, offset);
	readout_free(&r);
}

Test(ncap, record_length_limit)
{
	uint8_t hb[512], v[NCAP_VARINT_MAX];
	size_t hl = header_bytes(TYPES__TYPE__NC_TCP, &base_opts, hb);
	struct recs one = { 0 };
	small_tcp_records(&one, 1, 11);
	struct buf s = stream_of(hb, hl, &one);
	size_t good = s.len;
	buf_add(&s, v, ncap_varint_put(v, NCAP_MAX_RECORD + 1));
	buf_add(&s, "abcdef", 6);
	spit(tpath("TCP.ncap"), s.data, s.len);
	expect_read_error(tpath("TCP.ncap"), 1, "exceeds the 16 MiB limit", good);
	/* Gzip: the offset is the member's, the stream offset is in the text. */
	size_t zl;
	uint8_t *z = gzip_bytes(s.data, s.len, 6, &zl);
	spit(tpath("TCP.ncap.gz"), z, zl);
	free(z);
	char what[128];
	snprintf(what, sizeof what, "record at uncompressed offset %zu: length %u exceeds the 16 MiB limit", good,
		 NCAP_MAX_RECORD + 1);
	expect_read_error(tpath("TCP.ncap.gz"), 1, what, 0);
	/* A length of exactly 16 MiB is allowed: here it runs past the end. */
	s.len = good;
	buf_add(&s, v, ncap_varint_put(v, NCAP_MAX_RECORD));
	buf_add(&s, "abcdef", 6);
	spit(tpath("TCP.ncap"), s.data, s.len);
	expect_read_error(tpath("TCP.ncap"), 1, "record runs past the end of the data", good);
	/* A malformed length varint. */
	s.len = good;
	buf_add(&s, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
	spit(tpath("TCP.ncap"), s.data, s.len);
	expect_read_error(tpath("TCP.ncap"), 1, "malformed record length varint", good);
	buf_free(&s);
	recs_free(&one);
}

Test(ncap, record_of_exactly_16_mib)
{
	struct recs want = { 0 };
	uint8_t *big = malloc(NCAP_MAX_RECORD);
	for (size_t k = 0; k < NCAP_MAX_RECORD; k++)
		big[k] = (uint8_t)(k ^ (k >> 9));
	recs_add(&want, big, NCAP_MAX_RECORD);
	free(big);
	small_tcp_records(&want, 3, 12);
	for (const char *const *name = (const char *const[]){ "TCP.ncap.gz", "TCP.ncap", NULL }; *name; name++) {
		write_file(tpath(*name), TYPES__TYPE__NC_TCP, &base_opts, &want, 0);
		struct readout r = read_file(tpath(*name), 100);
		cr_assert_eq(r.rc, 0, "%s", r.error);
		assert_same_records(&r.recs, &want, want.n);
		readout_free(&r);
		unlink(tpath(*name));
	}
	recs_free(&want);
}

Test(ncap, member_over_64_mib_refused)
{
	/* Header member, then a member of 65 MiB of zero-length records. */
	uint8_t hb[512], v[NCAP_VARINT_MAX];
	size_t hl = header_bytes(TYPES__TYPE__NC_TCP, &base_opts, hb);
	struct buf s = { 0 };
	buf_add(&s, v, ncap_varint_put(v, hl));
	buf_add(&s, hb, hl);
	size_t zl, bl;
	uint8_t *z = gzip_bytes(s.data, s.len, 1, &zl);
	size_t huge = NCAP_MAX_MEMBER + (1u << 20);
	uint8_t *zeros = calloc(huge, 1);
	uint8_t *bz = gzip_bytes(zeros, huge, 1, &bl);
	free(zeros);
	struct buf f = { 0 };
	buf_add(&f, z, zl);
	buf_add(&f, bz, bl);
	spit(tpath("TCP.ncap.gz"), f.data, f.len);
	struct readout r = read_file(tpath("TCP.ncap.gz"), huge + 1);
	cr_assert_eq(r.rc, -1);
	cr_assert(strstr(r.error, "larger than 64 MiB uncompressed"), "%s", r.error);
	cr_assert_eq(r.error_offset, zl);
	readout_free(&r);
	free(z);
	free(bz);
	buf_free(&f);
	buf_free(&s);
}

Test(ncap, header_of_the_wrong_type)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 3, 13);
	write_file(tpath("UDP.ncap.gz"), TYPES__TYPE__NC_TCP, &base_opts, &want, 0);
	expect_open_error(tpath("UDP.ncap.gz"), "header says the records are TCP, but the file name says UDP");
	expect_open_error(tpath("UDP.ncap.gz"), "offset 0:");
	/* The same bytes under a name that implies no type: read as TCP. */
	rename(tpath("UDP.ncap.gz"), tpath("capture.bin.gz"));
	struct readout r = read_file(tpath("capture.bin.gz"), 100);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	cr_assert_eq(r.header->type, TYPES__TYPE__NC_TCP);
	assert_same_records(&r.recs, &want, want.n);
	readout_free(&r);
	recs_free(&want);
}

Test(ncap, header_naming_a_type_without_message)
{
	struct recs none = { 0 };
	write_file(tpath("x.ncap"), TYPES__TYPE__NC_USB, &base_opts, &none, 0);
	expect_open_error(tpath("x.ncap"), "header names record type 70, which has no message");
	write_file(tpath("y.ncap.gz"), TYPES__TYPE__NC_Header, &base_opts, &none, 0);
	expect_open_error(tpath("y.ncap.gz"), "header names record type 0");
}

Test(ncap, no_header)
{
	spit(tpath("TCP.ncap"), "", 0);
	expect_open_error(tpath("TCP.ncap"), "missing header: the file holds no records");
	spit(tpath("TCP.ncap.gz"), "", 0);
	expect_open_error(tpath("TCP.ncap.gz"), "empty file: not a gzip file");
	/* A gzip file of nothing: valid gzip, no header record. */
	size_t el;
	uint8_t *empty = gzip_bytes(NULL, 0, 1, &el);
	spit(tpath("TCP.ncap.gz"), empty, el);
	free(empty);
	expect_open_error(tpath("TCP.ncap.gz"), "missing header: the file holds no records");
	/* A first record that is not a Header (a bare varint field key with
	 * no value). */
	spit(tpath("TCP.ncap"), "\x01\x08", 2);
	expect_open_error(tpath("TCP.ncap"), "missing header: the first record is not a valid Header");
}

Test(ncap, garbage_not_gzip)
{
	const char text[] = "this is not a record file, just text\n";
	spit(tpath("TCP.ncap.gz"), text, sizeof text - 1);
	expect_open_error(tpath("TCP.ncap.gz"), "not a gzip file (starts with 0x7468, expected 0x1f8b)");
	spit(tpath("TCP.ncap.gz"), "\x1f", 1);
	expect_open_error(tpath("TCP.ncap.gz"), "gzip member truncated: header incomplete");
	/* Garbage after valid members: records before it are delivered. */
	struct recs want = { 0 };
	small_tcp_records(&want, 5, 14);
	write_file(tpath("TCP.ncap.gz"), TYPES__TYPE__NC_TCP, &base_opts, &want, 0);
	struct buf f = slurp(tpath("TCP.ncap.gz"));
	size_t good = f.len;
	buf_add(&f, "junk", 4);
	spit(tpath("TCP.ncap.gz"), f.data, f.len);
	expect_read_error(tpath("TCP.ncap.gz"), 5, "garbage after the last gzip member (0x6a75, expected 0x1f8b)", good);
	/* A member with a corrupt CRC. */
	f.len = good;
	f.data[good - 5] ^= 0x40; /* inside the last member's CRC32 */
	spit(tpath("TCP.ncap.gz"), f.data, f.len);
	f.data[good - 5] ^= 0x40; /* back to valid, to find the members */
	struct member m[16];
	size_t nm = walk_members(f.data, f.len, m, 16, NULL);
	cr_assert_eq(nm, 2, "header member and one member of 5 records");
	expect_read_error(tpath("TCP.ncap.gz"), 0, "gzip member corrupt: CRC32 mismatch", m[1].off);
	buf_free(&f);
	recs_free(&want);
}

/* ---- writer errors ----------------------------------------------------- */

Test(ncap, writer_into_a_missing_directory)
{
	char err[1024] = "";
	const char *path = tpath("no-such-dir/TCP.ncap.gz");
	struct ncap_writer *w = ncap_writer_open(path, TYPES__TYPE__NC_TCP, &base_opts, err, sizeof err);
	cr_assert_null(w);
	cr_assert(strstr(err, path), "error does not name the path: \"%s\"", err);
	cr_assert(strstr(err, "No such file or directory"), "\"%s\"", err);
	cr_assert_neq(access(tpath("no-such-dir"), F_OK), 0);
}

Test(ncap, writer_on_a_full_device)
{
	/* Through a symlink, so that a writer wrongly unlinking its path on
	 * failure removes the link and not the device node itself. */
	struct stat st;
	if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode))
		cr_skip_test("no /dev/full");
	const char *link = tpath("full");
	cr_assert_eq(symlink("/dev/full", link), 0);
	char err[1024] = "";
	struct ncap_writer *w = ncap_writer_open(link, TYPES__TYPE__NC_TCP, &base_opts, err, sizeof err);
	cr_assert_null(w, "writing the header to /dev/full succeeded");
	char want[600];
	snprintf(want, sizeof want, "%s: write: No space left on device", link);
	cr_assert(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
	/* The writer removes a file it could not write, but not a device. */
	cr_assert_eq(lstat(link, &st), 0, "the writer unlinked %s, a device it failed to write to", link);
	cr_assert_eq(stat("/dev/full", &st), 0);
}

Test(ncap, writer_removes_a_regular_file_it_could_not_start)
{
	/* An input source too long for the header: no file is left behind. */
	char *src = malloc(5000);
	memset(src, 'a', 4999);
	src[4999] = '\0';
	struct ncap_writer_opts o = base_opts;
	o.input_source = src;
	char err[1024] = "";
	const char *path = tpath("TCP.ncap.gz");
	cr_assert_null(ncap_writer_open(path, TYPES__TYPE__NC_TCP, &o, err, sizeof err));
	cr_assert(strstr(err, "input source name too long"), "%s", err);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert_neq(access(path, F_OK), 0, "a file that is not a valid record file was left behind");
	free(src);
}

Test(ncap, writer_rejects_partial_records)
{
	char err[1024] = "";
	struct ncap_writer *w = ncap_writer_open(tpath("TCP.ncap.gz"), TYPES__TYPE__NC_TCP, &base_opts, err, sizeof err);
	cr_assert_not_null(w, "%s", err);
	const uint8_t good[] = { 0x02, 0x08, 0x01 };
	cr_assert_eq(ncap_writer_write(w, good, sizeof good), 0);
	const uint8_t partial[] = { 0x02, 0x08, 0x01, 0x05, 0x08 };
	cr_assert_eq(ncap_writer_write(w, partial, sizeof partial), -1);
	cr_assert(strstr(ncap_writer_error(w), "partial record at chunk offset 3"), "%s", ncap_writer_error(w));
	cr_assert(strstr(ncap_writer_error(w), tpath("TCP.ncap.gz")), "%s", ncap_writer_error(w));
	/* A failed writer stays failed; close reports it. */
	cr_assert_eq(ncap_writer_write(w, good, sizeof good), -1);
	cr_assert_eq(ncap_writer_flush(w), -1);
	cr_assert_eq(ncap_writer_close(w, err, sizeof err), -1);
	cr_assert(strstr(err, "partial record"), "%s", err);
}

Test(ncap, chunk_append_refuses_what_does_not_fit)
{
	struct ncap_chunk c;
	cr_assert_eq(ncap_chunk_init(&c, TYPES__TYPE__NC_TCP, 10), 0);
	cr_assert(ncap_chunk_append_raw(&c, (const uint8_t *)"12345678", 8)); /* 1 + 8 */
	cr_assert(!ncap_chunk_append_raw(&c, (const uint8_t *)"", 1));
	cr_assert(ncap_chunk_append_raw(&c, (const uint8_t *)"", 0)); /* 1 byte: fits */
	cr_assert_eq(c.len, 10);
	cr_assert_eq(c.records, 2);
	Types__TCP t = TYPES__TCP__INIT;
	t.srcport = 1;
	cr_assert(!ncap_chunk_append(&c, &t.base));
	cr_assert_eq(c.len, 10, "a refused append changed the chunk");
	ncap_chunk_reset(&c);
	cr_assert(ncap_chunk_append(&c, &t.base));
	cr_assert_eq(c.len, 3);
	cr_assert_arr_eq(c.data, ((uint8_t[]){ 0x02, 0x10, 0x01 }), 3);
	ncap_chunk_free(&c);
}

Test(ncap, corrupt_member_early_in_a_large_file)
{
	/* 70 incompressible 1 MiB records, so the file is larger than the
	 * reader's 65 MiB window; the second record's member is corrupted. */
	struct recs want = { 0 };
	size_t rl = (1u << 20) - 16;
	uint8_t *rec = malloc(rl);
	uint64_t seed = 99;
	for (int i = 0; i < 70; i++) {
		for (size_t k = 0; k + 8 <= rl; k += 8) {
			uint64_t x = xorshift(&seed);
			memcpy(rec + k, &x, 8);
		}
		recs_add(&want, rec, rl);
	}
	free(rec);
	const char *path = tpath("TCP.ncap.gz");
	write_file(path, TYPES__TYPE__NC_TCP, &base_opts, &want, 0);
	struct buf f = slurp(path);
	struct member m[128];
	size_t nm = walk_members(f.data, f.len, m, 128, NULL);
	cr_assert_eq(nm, 71);
	f.data[(m[2].off + m[2].end) / 2] ^= 0x55;
	spit(path, f.data, f.len);
	struct readout r = read_file(path, 100);
	cr_assert(r.opened, "%s", r.error);
	cr_assert_eq(r.rc, -1);
	assert_same_records(&r.recs, &want, 1);
	cr_assert_eq(r.error_offset, m[2].off, "%s", r.error);
	cr_assert(strstr(r.error, "corrupt"), "a corrupt member is not called corrupt: %s", r.error);
	readout_free(&r);
	buf_free(&f);
	recs_free(&want);
}

/* ---- reader: long paths, record positions, bounded header ------------- */

/* A path of about 4000 bytes naming a file of the tmpdir ("/./././...":
 * no directories to create). */
static char *long_path(const char *name)
{
	size_t n = strlen(tmpdir) + 4000 + strlen(name) + 2;
	char *p = malloc(n);
	cr_assert_not_null(p);
	size_t used = (size_t)snprintf(p, n, "%s/", tmpdir);
	while (used + 2 + strlen(name) < 4000) {
		memcpy(p + used, "./", 2);
		used += 2;
	}
	snprintf(p + used, n - used, "%s", name);
	return p;
}

/* The message is whole (the reason, complete, at its end), shortened at
 * the path's start, NUL-terminated inside its buffer. */
static void expect_shortened(const char *msg, size_t cap, const char *reason)
{
	size_t n = strnlen(msg, cap);
	cr_assert_lt(n, cap, "message not NUL-terminated within its %zu bytes", cap);
	cr_assert(strncmp(msg, "...", 3) == 0, "long path not shortened at its start: %.80s", msg);
	size_t rl = strlen(reason);
	cr_assert(n >= rl && strcmp(msg + n - rl, reason) == 0, "message does not end with \"%s\": %s", reason,
		  msg);
}

Test(ncap, fault_message_with_a_path_of_4000_bytes)
{
	spit(tpath("TCP.ncap.gz"), "this is not gzip", 16);
	char *path = long_path("TCP.ncap.gz");
	cr_assert_gt(strlen(path), 3900);
	/* The caller's buffer, with guard bytes after it. */
	struct {
		char err[700];
		unsigned char guard[256];
	} out;
	memset(&out, 0xAA, sizeof out);
	cr_assert_null(ncap_reader_open(path, out.err, sizeof out.err));
	expect_shortened(out.err, sizeof out.err,
			 "TCP.ncap.gz: offset 0: not a gzip file (starts with 0x7468, expected 0x1f8b)");
	for (size_t i = 0; i < sizeof out.guard; i++)
		cr_assert_eq(out.guard[i], 0xAA, "byte %zu after the error buffer written", i);

	/* A fault after opening: ncap_reader_error() is whole as well. */
	struct recs one = { 0 };
	small_tcp_records(&one, 2, 3);
	write_file(tpath("TCP.ncap"), TYPES__TYPE__NC_TCP, &base_opts, &one, 0);
	FILE *f = fopen(tpath("TCP.ncap"), "ab");
	cr_assert_not_null(f);
	fwrite("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 1, 11, f);
	fclose(f);
	free(path);
	path = long_path("TCP.ncap");
	struct ncap_reader *r = ncap_reader_open(path, out.err, sizeof out.err);
	cr_assert_not_null(r, "%s", out.err);
	const uint8_t *rec;
	size_t len;
	cr_assert_eq(ncap_reader_next(r, &rec, &len), 1);
	cr_assert_eq(ncap_reader_next(r, &rec, &len), 1);
	cr_assert_eq(ncap_reader_next(r, &rec, &len), -1);
	expect_shortened(ncap_reader_error(r), 640, ": malformed record length varint");
	cr_assert(strstr(ncap_reader_error(r), "TCP.ncap: offset "), "%s", ncap_reader_error(r));
	/* The record position message is whole too (the caller's buffer). */
	char where[5000];
	ncap_reader_record_where(r, where, sizeof where);
	cr_assert(strncmp(where, path, strlen(path)) == 0 && strstr(where, "/TCP.ncap: offset ") &&
		  strstr(where, ": record 2"), "%.100s", where);
	/* In a small buffer the path gives way, the record number stays. */
	char small[200];
	ncap_reader_record_where(r, small, sizeof small);
	expect_shortened(small, sizeof small, ": record 2");
	ncap_reader_close(r);
	free(path);
	recs_free(&one);
}

/* Reads path and checks each record's position against the stream (s) and
 * the members (m, nm; none for plain files). */
static void expect_positions(const char *path, const struct buf *s, const struct member *m, size_t nm,
			     size_t nrecords)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	/* The stream offset of each record: after the header. */
	uint64_t hlen = 0;
	size_t pos = (size_t)ncap_varint_get(s->data, s->len, &hlen);
	pos += (size_t)hlen;
	const uint8_t *rec;
	size_t len;
	for (uint64_t index = 1; ncap_reader_next(r, &rec, &len) == 1; index++) {
		struct ncap_record_pos p;
		ncap_reader_record_pos(r, &p);
		cr_assert_eq(p.index, index);
		cr_assert_eq(p.stream_offset, pos, "record %llu at %llu, want %zu", (unsigned long long)index,
			     (unsigned long long)p.stream_offset, pos);
		size_t want = pos;
		if (nm) { /* the member holding the record's first byte */
			size_t k = 0;
			while (k < nm && !(m[k].uoff <= pos && pos < m[k].uoff + m[k].ulen))
				k++;
			cr_assert_lt(k, nm);
			want = m[k].off;
		}
		cr_assert_eq(p.gzip, nm > 0);
		cr_assert_eq(p.file_offset, want, "record %llu: file offset %llu, want %zu",
			     (unsigned long long)index, (unsigned long long)p.file_offset, want);
		char where[1200], expect[1200];
		ncap_reader_record_where(r, where, sizeof where);
		if (nm)
			snprintf(expect, sizeof expect, "%s: offset %zu: record %llu at uncompressed offset %zu", path,
				 want, (unsigned long long)index, pos);
		else
			snprintf(expect, sizeof expect, "%s: offset %zu: record %llu", path, want,
				 (unsigned long long)index);
		cr_assert_str_eq(where, expect);
		uint64_t l = 0;
		pos += (size_t)ncap_varint_get(s->data + pos, s->len - pos, &l) + (size_t)l;
		cr_assert_eq(len, l);
	}
	cr_assert_str_empty(ncap_reader_error(r));
	cr_assert_eq(ncap_reader_records(r), nrecords);
	ncap_reader_close(r);
}

Test(ncap, record_positions)
{
	struct recs want = { 0 };
	small_tcp_records(&want, 120, 4);
	/* Plain: the file offset of each length varint. */
	write_file(tpath("TCP.ncap"), TYPES__TYPE__NC_TCP, &base_opts, &want, 0);
	struct buf plain = slurp(tpath("TCP.ncap"));
	expect_positions(tpath("TCP.ncap"), &plain, NULL, 0, want.n);

	/* NETCAP's gzip files, small members: the member of each record. */
	struct ncap_writer_opts o = base_opts;
	o.member_cap = 300;
	write_file(tpath("TCP.ncap.gz"), TYPES__TYPE__NC_TCP, &o, &want, 1000);
	struct buf file = slurp(tpath("TCP.ncap.gz")), stream = { 0 };
	struct member m[4096];
	size_t nm = walk_members(file.data, file.len, m, 4096, &stream);
	cr_assert_gt(nm, 10);
	expect_positions(tpath("TCP.ncap.gz"), &stream, m, nm, want.n);
	buf_free(&file);

	/* Foreign files: records spanning members, cut anywhere (inside
	 * length varints too), tiny members, an empty member. */
	for (size_t step = 1; step <= 40; step += 13) {
		size_t cuts[8192], n = 0;
		for (size_t at = step; at < stream.len && n < 8192; at += step) {
			cuts[n++] = at;
			if (at == 3 * step && n < 8192)
				cuts[n++] = at; /* an empty member */
		}
		struct buf f = gzip_pieces(&stream, cuts, n, 1);
		spit(tpath("TCP.ncap.gz"), f.data, f.len);
		struct member fm[8200];
		struct buf again = { 0 };
		size_t fnm = walk_members(f.data, f.len, fm, 8200, &again);
		cr_assert_eq(again.len, stream.len);
		expect_positions(tpath("TCP.ncap.gz"), &stream, fm, fnm, want.n);
		buf_free(&f);
		buf_free(&again);
	}
	buf_free(&plain);
	buf_free(&stream);
	recs_free(&want);
}

/* The header is decoded within bounds like any record (recordcheck.h):
 * a header of 16 MiB of unknown fields would make protobuf-c allocate
 * about a gigabyte. */
Test(ncap, header_decoding_is_bounded)
{
	uint8_t hb[512], v[NCAP_VARINT_MAX];
	size_t hl = header_bytes(TYPES__TYPE__NC_TCP, &base_opts, hb);
	struct buf h = { 0 };
	buf_add(&h, hb, hl);
	for (int i = 0; i < 1025; i++)
		buf_add(&h, "\x90\x03\x01", 3); /* field 50, varint 1: unknown */
	struct buf s = { 0 };
	buf_add(&s, v, ncap_varint_put(v, h.len));
	buf_add(&s, h.data, h.len);
	spit(tpath("TCP.ncap"), s.data, s.len);
	expect_open_error(tpath("TCP.ncap"),
			  "missing header: the first record is not a valid Header "
			  "(Header: 1025 unknown fields, more than the cap of 1024)");
	/* 16 MiB of them. */
	buf_free(&h);
	buf_add(&h, hb, hl);
	while (h.len + 3 <= NCAP_MAX_RECORD)
		buf_add(&h, "\x90\x03\x01", 3);
	s.len = 0;
	buf_add(&s, v, ncap_varint_put(v, h.len));
	buf_add(&s, h.data, h.len);
	spit(tpath("TCP.ncap"), s.data, s.len);
	expect_open_error(tpath("TCP.ncap"), "unknown fields, more than the cap of 1024)");
	/* A few unknown fields (a later version's): read. */
	buf_free(&h);
	buf_add(&h, hb, hl);
	buf_add(&h, "\x90\x03\x01", 3);
	s.len = 0;
	buf_add(&s, v, ncap_varint_put(v, h.len));
	buf_add(&s, h.data, h.len);
	spit(tpath("TCP.ncap"), s.data, s.len);
	struct readout r = read_file(tpath("TCP.ncap"), 10);
	cr_assert_eq(r.rc, 0, "%s", r.error);
	cr_assert_eq(r.header->type, TYPES__TYPE__NC_TCP);
	readout_free(&r);
	buf_free(&h);
	buf_free(&s);
}
