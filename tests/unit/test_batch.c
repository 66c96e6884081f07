/* test_batch.c: batch conversion of record files (lib/export/batch.h).
 *
 * Record files are written with lib/ncap/writer.h into a temporary folder,
 * converted with batch_convert(), and every output compared byte for byte
 * with what the per-file printer (export_file_records(), netcap-dump's
 * standard-output path) prints for the same file and options. Also: the
 * refusals before anything is written (existing outputs, two files of one
 * type), a corrupt, a truncated and a misnamed input among good ones,
 * skipped records, a write error (a file size limit: EFBIG, as a full disk
 * gives ENOSPC) and that no temporary file is ever left behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/batch.h"
#include "ncap/chunk.h"
#include "ncap/reader.h"
#include "ncap/writer.h"
#include "netcap.pb-c.h"

static char batch_dir[256];

static void batch_rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		batch_rm_tree(p);
	}
	closedir(d);
	rmdir(path);
}

static void batch_setup(void)
{
	snprintf(batch_dir, sizeof batch_dir, "%s/batch-test-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(batch_dir), "mkdtemp: %s", strerror(errno));
}

static void batch_teardown(void)
{
	batch_rm_tree(batch_dir);
}

TestSuite(batch, .init = batch_setup, .fini = batch_teardown, .timeout = 60);

/* batch_dir/name, in one of many rotating buffers: more than any test
 * holds at once (input lists are kept while outputs are named). */
static const char *bpath(const char *name)
{
	static char p[64][512];
	static int k;
	k = (k + 1) % 64;
	snprintf(p[k], sizeof p[k], "%s/%s", batch_dir, name);
	return p[k];
}

static void bmkdir(const char *name)
{
	cr_assert_eq(mkdir(bpath(name), 0777), 0, "mkdir %s: %s", name, strerror(errno));
}

/* Writes a record file of type with the given messages, then raw records
 * (bytes that need not decode) after them. */
static void write_records(const char *path, int type, ProtobufCMessage **msgs, size_t n,
			  const char *const *raw, size_t nraw)
{
	char err[1024];
	struct ncap_writer_opts wo = {.input_source = "test.pcap", .created_ns = 1549166706000000000LL};
	struct ncap_writer *w = ncap_writer_open(path, type, &wo, err, sizeof err);
	cr_assert_not_null(w, "%s", err);
	struct ncap_chunk c;
	cr_assert_eq(ncap_chunk_init(&c, type, 1 << 16), 0);
	for (size_t i = 0; i < n + nraw; i++) {
		bool fits = i < n ? ncap_chunk_append(&c, msgs[i])
				  : ncap_chunk_append_raw(&c, (const uint8_t *)raw[i - n],
							  strlen(raw[i - n]));
		if (!fits) {
			cr_assert_eq(ncap_writer_write(w, c.data, c.len), 0);
			ncap_chunk_reset(&c);
			i--;
		}
	}
	cr_assert_eq(ncap_writer_write(w, c.data, c.len), 0);
	ncap_chunk_free(&c);
	cr_assert_eq(ncap_writer_close(w, err, sizeof err), 0, "%s", err);
}

/* Three TCP records: a text cell that needs CSV quoting, options (the
 * compact form), a negative timestamp. */
static void write_tcp(const char *path)
{
	Types__TCP t[3];
	Types__TCPOption opt = TYPES__TCPOPTION__INIT, *opts[] = {&opt};
	uint8_t mss[] = {0x05, 0xb4};
	opt.optiontype = 2;
	opt.optionlength = 4;
	opt.optiondata = (ProtobufCBinaryData){sizeof mss, mss};
	ProtobufCMessage *m[3];
	for (int i = 0; i < 3; i++) {
		types__tcp__init(&t[i]);
		t[i].timestamp = i == 1 ? -1 : 1549166706123456789LL + i;
		t[i].srcport = 443 + i;
		t[i].dstport = 51000;
		t[i].srcip = i == 0 ? "host \"a\",b" : "10.0.0.1";
		t[i].dstip = "=cmd|' /C calc'!A0";
		m[i] = &t[i].base;
	}
	t[0].n_options = 1;
	t[0].options = opts;
	write_records(path, TYPES__TYPE__NC_TCP, m, 3, NULL, 0);
}

/* n UDP records; raw records (undecodable ones, say) after them. */
static void write_udp(const char *path, int n, const char *const *raw, size_t nraw)
{
	Types__UDP *u = calloc((size_t)n, sizeof *u);
	ProtobufCMessage **m = calloc((size_t)n, sizeof *m);
	cr_assert(u && m);
	for (int i = 0; i < n; i++) {
		types__udp__init(&u[i]);
		u[i].timestamp = 1000 + i;
		u[i].srcport = (int32_t)(i % 65536);
		u[i].dstport = 53;
		u[i].srcip = "2001:db8::1";
		u[i].dstip = "2001:db8::2";
		m[i] = &u[i].base;
	}
	write_records(path, TYPES__TYPE__NC_UDP, m, (size_t)n, raw, nraw);
	free(m);
	free(u);
}

static char *slurp_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(f);
	fclose(mem);
	*len = size;
	return text;
}

/* What the per-file path prints for path with the options of o. */
static char *per_file(const char *path, const struct batch_options *o, size_t *len)
{
	char err[1200];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	const ProtobufCMessageDescriptor *desc = ncap_reader_type(r)->desc;
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	FILE *quiet = fopen("/dev/null", "w");
	struct emitter em;
	emit_init(&em, mem);
	em.format = o->format;
	em.sep = o->sep;
	em.utc = o->utc;
	em.safe_csv = o->safe_csv;
	if (o->select)
		cr_assert_eq(emit_select(&em, desc, o->select, err, sizeof err), 0, "%s", err);
	cr_assert_eq(emit_header_line(&em, desc), 0);
	struct export_stats st = {0};
	cr_assert_neq(export_file_records(&em, r, desc, &o->limits, "t", quiet, &st),
		      EXPORT_WRITE_FAILED);
	emit_free(&em);
	fclose(quiet);
	ncap_reader_close(r);
	fclose(mem);
	*len = size;
	return text;
}

static void expect_same_as_per_file(const char *output, const char *input,
				    const struct batch_options *o)
{
	size_t got_len, want_len;
	char *got = slurp_text(output, &got_len);
	char *want = per_file(input, o, &want_len);
	cr_expect(want_len > 0, "%s: the per-file printer printed nothing", input);
	/* Where they part, with a little context (whole files can be MBs). */
	size_t at = 0;
	while (at < got_len && at < want_len && got[at] == want[at])
		at++;
	size_t from = at > 80 ? at - 80 : 0;
	int gn = (int)(got_len - from < 160 ? got_len - from : 160);
	int wn = (int)(want_len - from < 160 ? want_len - from : 160);
	cr_expect(got_len == want_len && at == got_len,
		  "%s (%zu bytes) differs from the per-file output of %s (%zu bytes) at byte "
		  "%zu:\n--- batch\n%.*s\n--- per file\n%.*s",
		  output, got_len, input, want_len, at, gn, got + from, wn, want + from);
	free(got);
	free(want);
}

/* The names in dir, sorted, joined by spaces. */
static char *listing(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	cr_assert(n >= 0, "scandir %s: %s", dir, strerror(errno));
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			fprintf(mem, "%s%s", size || ftell(mem) ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	fclose(mem);
	return text;
}

static void expect_listing(const char *dir, const char *want)
{
	char *got = listing(dir);
	cr_expect_str_eq(got, want, "%s holds [%s], expected [%s]", dir, got, want);
	free(got);
}

/* Options as netcap-dump's defaults; messages into a memory buffer. */
struct batch_log {
	char *text;
	size_t size;
	FILE *f;
};

static struct batch_options batch_defaults(struct batch_log *log)
{
	log->text = NULL;
	log->size = 0;
	log->f = open_memstream(&log->text, &log->size);
	cr_assert_not_null(log->f);
	return (struct batch_options){
		.format = EMIT_CSV,
		.sep = ',',
		.limits = ncap_default_limits,
		.jobs = 4,
		.log = log->f,
	};
}

static const char *log_text(struct batch_log *log)
{
	fflush(log->f);
	return log->text ? log->text : "";
}

static void log_close(struct batch_log *log)
{
	fclose(log->f);
	free(log->text);
}

static void expect_log_has(struct batch_log *log, const char *needle)
{
	cr_expect(strstr(log_text(log), needle), "the messages lack [%s]:\n%s", needle,
		  log_text(log));
}

Test(batch, csv_equals_per_file_output)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));
	write_udp(bpath("in/UDP.ncap"), 10, NULL, 0); /* plain, not gzip */
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	struct batch_summary s;
	const char *in[] = {bpath("in")};
	cr_assert_eq(batch_convert(in, 1, bpath("out"), &o, &s), BATCH_OK, "%s", log_text(&log));
	expect_listing(bpath("out"), "TCP.csv UDP.csv");
	expect_same_as_per_file(bpath("out/TCP.csv"), bpath("in/TCP.ncap.gz"), &o);
	expect_same_as_per_file(bpath("out/UDP.csv"), bpath("in/UDP.ncap"), &o);
	cr_expect_eq(s.files_converted, 2);
	cr_expect_eq(s.files_failed, 0);
	cr_expect_eq(s.records, 13);
	cr_expect_eq(s.records_skipped, 0);
	struct stat a, b;
	cr_assert_eq(stat(bpath("out/TCP.csv"), &a), 0);
	cr_assert_eq(stat(bpath("out/UDP.csv"), &b), 0);
	cr_expect_eq(s.bytes_written, (uint64_t)(a.st_size + b.st_size));
	expect_log_has(&log, "2 files converted, 0 failed: 13 records, 0 skipped");

	/* An independent look at one line: the header line, and quoting. */
	size_t len;
	char *text = slurp_text(bpath("out/TCP.csv"), &len);
	cr_expect(!strncmp(text, "Timestamp,SrcPort,DstPort,", 26), "%s", text);
	cr_expect(strstr(text, "\"host \"\"a\"\",b\""), "%s", text);
	cr_expect(strstr(text, "[(2;4;05b4)]"), "%s", text);
	free(text);
	log_close(&log);
}

Test(batch, json_select_utc_safe_csv_tsv)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));
	write_udp(bpath("in/UDP.ncap.gz"), 5, NULL, 0);
	const char *in[] = {bpath("in")};
	struct batch_log log;

	struct batch_options o = batch_defaults(&log);
	o.format = EMIT_JSON;
	o.utc = true;
	o.select = "Timestamp,SrcIP,SrcPort";
	cr_assert_eq(batch_convert(in, 1, bpath("json"), &o, NULL), BATCH_OK, "%s", log_text(&log));
	expect_listing(bpath("json"), "TCP.json UDP.json");
	expect_same_as_per_file(bpath("json/TCP.json"), bpath("in/TCP.ncap.gz"), &o);
	expect_same_as_per_file(bpath("json/UDP.json"), bpath("in/UDP.ncap.gz"), &o);
	size_t len;
	char *text = slurp_text(bpath("json/TCP.json"), &len);
	cr_expect(!strncmp(text, "{\"Timestamp\":\"2019-02-03T04:05:06.123456789Z\",\"SrcIP\":", 52),
		  "%s", text);
	free(text);
	log_close(&log);

	o = batch_defaults(&log);
	o.sep = '\t';
	o.safe_csv = true;
	o.jobs = 1;
	cr_assert_eq(batch_convert(in, 1, bpath("tsv"), &o, NULL), BATCH_OK, "%s", log_text(&log));
	expect_same_as_per_file(bpath("tsv/TCP.csv"), bpath("in/TCP.ncap.gz"), &o);
	text = slurp_text(bpath("tsv/TCP.csv"), &len);
	cr_expect(strstr(text, "\t\"'=cmd|' /C calc'!A0\"\t"), "%s", text);
	free(text);
	log_close(&log);
}

Test(batch, existing_output_refused_without_force)
{
	bmkdir("in");
	bmkdir("out");
	write_tcp(bpath("in/TCP.ncap.gz"));
	write_udp(bpath("in/UDP.ncap.gz"), 3, NULL, 0);
	FILE *f = fopen(bpath("out/UDP.csv"), "w");
	fputs("keep me\n", f);
	fclose(f);
	const char *in[] = {bpath("in")};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	cr_assert_eq(batch_convert(in, 1, bpath("out"), &o, NULL), BATCH_REFUSED);
	expect_log_has(&log, "/out/UDP.csv exists");
	expect_log_has(&log, "--force");
	/* Refused before anything was converted: not even TCP.csv. */
	expect_listing(bpath("out"), "UDP.csv");
	size_t len;
	char *text = slurp_text(bpath("out/UDP.csv"), &len);
	cr_expect_str_eq(text, "keep me\n");
	free(text);
	log_close(&log);

	o = batch_defaults(&log);
	o.force = true;
	cr_assert_eq(batch_convert(in, 1, bpath("out"), &o, NULL), BATCH_OK, "%s", log_text(&log));
	expect_listing(bpath("out"), "TCP.csv UDP.csv");
	expect_same_as_per_file(bpath("out/UDP.csv"), bpath("in/UDP.ncap.gz"), &o);
	log_close(&log);
}

Test(batch, two_inputs_of_one_type_refused)
{
	bmkdir("a");
	bmkdir("b");
	write_tcp(bpath("a/TCP.ncap.gz"));
	write_tcp(bpath("b/TCP.ncap.gz"));
	write_udp(bpath("a/UDP.ncap.gz"), 3, NULL, 0);
	const char *in[] = {bpath("a"), bpath("b")};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	cr_assert_eq(batch_convert(in, 2, bpath("out"), &o, NULL), BATCH_REFUSED);
	expect_log_has(&log, "/a/TCP.ncap.gz and ");
	expect_log_has(&log, "/b/TCP.ncap.gz both hold TCP records");
	struct stat st;
	cr_expect_neq(stat(bpath("out"), &st), 0, "out/ was created for a refused run");
	log_close(&log);

	/* The same file named twice (its folder and itself) is converted once. */
	const char *again[] = {bpath("a"), bpath("a/TCP.ncap.gz")};
	o = batch_defaults(&log);
	cr_assert_eq(batch_convert(again, 2, bpath("out"), &o, NULL), BATCH_OK, "%s",
		     log_text(&log));
	expect_listing(bpath("out"), "TCP.csv UDP.csv");
	log_close(&log);
}

Test(batch, bad_inputs_reported_while_others_convert)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));
	/* Not a record file at all. */
	FILE *f = fopen(bpath("in/Bogus.ncap.gz"), "w");
	fputs("this is not a gzip file\n", f);
	fclose(f);
	/* Cut short in its last gzip member: the records before it convert. */
	write_udp(bpath("whole.ncap.gz"), 30000, NULL, 0);
	size_t len;
	char *whole = slurp_text(bpath("whole.ncap.gz"), &len);
	f = fopen(bpath("in/UDP.ncap.gz"), "w");
	fwrite(whole, 1, len - 100, f);
	fclose(f);
	free(whole);
	/* Type from the header, not the name; two records that do not decode. */
	const char *raw[] = {"\xff\xff\xff", "\x4a\x7f"};
	Types__ARP arp = TYPES__ARP__INIT;
	arp.timestamp = 7;
	ProtobufCMessage *m[] = {&arp.base};
	write_records(bpath("in/capture-1.ncap"), TYPES__TYPE__NC_ARP, m, 1, raw, 2);

	const char *in[] = {bpath("in"), bpath("missing.ncap.gz")};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	struct batch_summary s;
	cr_assert_eq(batch_convert(in, 2, bpath("out"), &o, &s), BATCH_FAILED, "%s", log_text(&log));
	expect_listing(bpath("out"), "ARP.csv TCP.csv UDP.csv");
	expect_same_as_per_file(bpath("out/TCP.csv"), bpath("in/TCP.ncap.gz"), &o);
	expect_same_as_per_file(bpath("out/UDP.csv"), bpath("in/UDP.ncap.gz"), &o);
	expect_same_as_per_file(bpath("out/ARP.csv"), bpath("in/capture-1.ncap"), &o);
	expect_log_has(&log, "/in/Bogus.ncap.gz: offset 0: not a gzip file");
	expect_log_has(&log, "/missing.ncap.gz: No such file or directory");
	expect_log_has(&log, "/in/UDP.ncap.gz: offset ");
	expect_log_has(&log, "/in/capture-1.ncap: offset ");
	expect_log_has(&log, "record skipped");
	cr_expect_eq(s.files_converted, 3);
	cr_expect_eq(s.files_incomplete, 1);
	cr_expect_eq(s.files_failed, 2);
	cr_expect_eq(s.records_skipped, 2);
	cr_expect(s.records > 4 && s.records < 30004, "%llu records", (unsigned long long)s.records);
	log_close(&log);
}

Test(batch, write_error_names_the_file_and_others_finish)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));
	write_udp(bpath("in/UDP.ncap.gz"), 20000, NULL, 0); /* about 1.4 MB of CSV */
	/* A file size limit makes writes past it fail (EFBIG), as a full disk
	 * makes them fail with ENOSPC; the signal it would send is ignored, as
	 * netcap-dump does. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 256 * 1024;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	const char *in[] = {bpath("in")};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	struct batch_summary s;
	int status = batch_convert(in, 1, bpath("out"), &o, &s);
	setrlimit(RLIMIT_FSIZE, &old);
	cr_assert_eq(status, BATCH_FAILED, "%s", log_text(&log));
	expect_log_has(&log, "writing ");
	expect_log_has(&log, "/out/UDP.csv: File too large; ");
	expect_log_has(&log, "/in/UDP.ncap.gz not converted");
	/* No partial file under the final name, no temporary file left. */
	expect_listing(bpath("out"), "TCP.csv");
	expect_same_as_per_file(bpath("out/TCP.csv"), bpath("in/TCP.ncap.gz"), &o);
	cr_expect_eq(s.files_converted, 1);
	cr_expect_eq(s.files_failed, 1);
	log_close(&log);
}

Test(batch, refusals_of_the_request)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));
	write_udp(bpath("in/UDP.ncap.gz"), 2, NULL, 0);
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);

	/* A field one of the types lacks: printing that file alone would fail. */
	const char *in[] = {bpath("in")};
	o.select = "SrcPort,Options";
	cr_expect_eq(batch_convert(in, 1, bpath("out"), &o, NULL), BATCH_REFUSED);
	expect_log_has(&log, "/in/UDP.ncap.gz (type UDP): unknown field \"Options\"");

	/* Standard input has no place among files converted into a folder. */
	const char *dash[] = {"-"};
	o.select = NULL;
	cr_expect_eq(batch_convert(dash, 1, bpath("out"), &o, NULL), BATCH_REFUSED);
	expect_log_has(&log, "standard input");

	/* OUTDIR is a file. */
	FILE *f = fopen(bpath("file"), "w");
	fclose(f);
	cr_expect_eq(batch_convert(in, 1, bpath("file"), &o, NULL), BATCH_REFUSED);
	expect_log_has(&log, "/file: not a directory");

	/* An empty folder is reported; the others still convert. */
	bmkdir("empty");
	const char *some[] = {bpath("empty"), bpath("in")};
	cr_expect_eq(batch_convert(some, 2, bpath("out"), &o, NULL), BATCH_FAILED);
	expect_log_has(&log, "/empty: no record files");
	expect_listing(bpath("out"), "TCP.csv UDP.csv");
	log_close(&log);
}

Test(batch, interrupted_runs_leave_no_partial_file)
{
	bmkdir("in");
	write_udp(bpath("in/UDP.ncap.gz"), 10000, NULL, 0);

	/* Within a file: stop is looked at between records, and cuts it short. */
	char err[1200];
	struct ncap_reader *r = ncap_reader_open(bpath("in/UDP.ncap.gz"), err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	FILE *sink = fopen("/dev/null", "w");
	struct emitter em;
	emit_init(&em, sink);
	atomic_bool stop = true;
	_Atomic uint64_t seen = 0;
	struct export_stats st = {.progress = &seen, .stop = &stop};
	cr_expect_eq(export_file_records(&em, r, &types__udp__descriptor, &ncap_default_limits,
					 "t", NULL, &st), EXPORT_FAULT);
	cr_expect(st.stopped);
	cr_expect(st.records < 10000, "%llu records: not stopped", (unsigned long long)st.records);
	cr_expect_eq(atomic_load(&seen), st.records + 1);
	emit_free(&em);
	fclose(sink);
	ncap_reader_close(r);

	/* A run told to stop converts nothing and leaves nothing. */
	const char *in[] = {bpath("in")};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	o.stop = &stop;
	struct batch_summary s;
	cr_expect_eq(batch_convert(in, 1, bpath("out"), &o, &s), BATCH_INTERRUPTED);
	cr_expect(s.interrupted);
	cr_expect_eq(s.files_converted, 0);
	expect_log_has(&log, "interrupted");
	expect_listing(bpath("out"), "");
	log_close(&log);
}

/* ---- the hook netcap-label uses ------------------------------------------ */

/* A hook that labels a record by its port: "even"/"odd"; refuses a
 * record whose port is 7 when asked; keeps a file only when it has an odd
 * port, like --skip-clean. Counts calls. */
struct parity_hook {
	int begun, ended;
	bool refuse_seven;
	_Atomic int records;
};

struct parity_file {
	struct parity_hook *h;
	int odd;
	char text[16];
};

static void *parity_begin(void *arg, const struct ncap_type *type)
{
	(void)type;
	struct parity_hook *h = arg;
	struct parity_file *f = calloc(1, sizeof *f);
	f->h = h;
	__atomic_add_fetch(&h->begun, 1, __ATOMIC_RELAXED);
	return f;
}

static int parity_value(void *state, const ProtobufCMessage *msg, const char **text, size_t *len,
			char *why, size_t whylen)
{
	struct parity_file *f = state;
	int port = msg->descriptor == &types__udp__descriptor ? ((const Types__UDP *)msg)->srcport
							       : ((const Types__TCP *)msg)->srcport;
	f->h->records++;
	if (f->h->refuse_seven && port == 7) {
		snprintf(why, whylen, "port seven refused");
		return -1;
	}
	f->odd += port % 2;
	/* A label with a comma and a leading '=', to see it quoted and
	 * defused like any text cell. */
	snprintf(f->text, sizeof f->text, port % 2 ? "=odd,x" : "even");
	*text = f->text;
	*len = strlen(f->text);
	return 0;
}

static bool parity_end(void *state, bool complete)
{
	(void)complete;
	struct parity_file *f = state;
	__atomic_add_fetch(&f->h->ended, 1, __ATOMIC_RELAXED);
	bool keep = f->odd > 0;
	free(f);
	return keep;
}

Test(batch, hook_adds_a_column_names_and_drops_outputs)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));        /* ports 443, 444, 445 */
	write_udp(bpath("in/UDP.ncap"), 1, NULL, 0); /* port 0 only: dropped */
	struct parity_hook h = {0};
	struct batch_hook hook = {
		.extra_column = "Label",
		.name_suffix = "_labeled",
		.arg = &h,
		.file_begin = parity_begin,
		.record_value = parity_value,
		.file_end = parity_end,
	};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	o.hook = &hook;
	o.safe_csv = true;
	o.select = "SrcPort";
	struct batch_summary s;
	const char *in[] = {bpath("in")};
	cr_assert_eq(batch_convert(in, 1, bpath("out"), &o, &s), BATCH_OK, "%s", log_text(&log));
	expect_listing(bpath("out"), "TCP_labeled.csv");
	size_t len;
	char *got = slurp_text(bpath("out/TCP_labeled.csv"), &len);
	cr_expect_str_eq(got, "SrcPort,Label\n443,\"'=odd,x\"\n444,even\n445,\"'=odd,x\"\n");
	free(got);
	cr_expect_eq(s.files_converted, 1);
	cr_expect_eq(s.files_dropped, 1);
	cr_expect_eq(s.records, 4);
	cr_expect_eq(h.begun, 2);
	cr_expect_eq(h.ended, 2);

	/* JSON: one more key. */
	o.format = EMIT_JSON;
	o.safe_csv = false;
	cr_assert_eq(batch_convert(in, 1, bpath("json"), &o, &s), BATCH_OK, "%s", log_text(&log));
	got = slurp_text(bpath("json/TCP_labeled.json"), &len);
	cr_expect_str_eq(got, "{\"SrcPort\":443,\"Label\":\"=odd,x\"}\n"
			      "{\"SrcPort\":444,\"Label\":\"even\"}\n"
			      "{\"SrcPort\":445,\"Label\":\"=odd,x\"}\n");
	free(got);
	log_close(&log);
}

Test(batch, hook_refusal_fails_that_file_only)
{
	bmkdir("in");
	Types__UDP u[3];
	ProtobufCMessage *m[3];
	for (int i = 0; i < 3; i++) {
		types__udp__init(&u[i]);
		u[i].srcport = 5 + i; /* 5, 6, 7: the third is refused */
		m[i] = &u[i].base;
	}
	write_records(bpath("in/UDP.ncap.gz"), TYPES__TYPE__NC_UDP, m, 3, NULL, 0);
	write_tcp(bpath("in/TCP.ncap.gz"));
	struct parity_hook h = {.refuse_seven = true};
	struct batch_hook hook = {.extra_column = "Label", .arg = &h, .file_begin = parity_begin,
				  .record_value = parity_value, .file_end = parity_end};
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	o.hook = &hook;
	struct batch_summary s;
	const char *in[] = {bpath("in")};
	cr_assert_eq(batch_convert(in, 1, bpath("out"), &o, &s), BATCH_FAILED, "%s", log_text(&log));
	expect_listing(bpath("out"), "TCP.csv");
	expect_log_has(&log, "UDP.ncap.gz");
	expect_log_has(&log, "record 3");
	expect_log_has(&log, "port seven refused");
	cr_expect_eq(s.files_failed, 1);
	cr_expect_eq(h.ended, 2);
	log_close(&log);
}

Test(batch, include_selects_types_and_rejects_unknown_names)
{
	bmkdir("in");
	write_tcp(bpath("in/TCP.ncap.gz"));
	write_udp(bpath("in/UDP.ncap"), 3, NULL, 0);
	struct batch_log log;
	struct batch_options o = batch_defaults(&log);
	o.include = "UDP,DNS";
	struct batch_summary s;
	const char *in[] = {bpath("in")};
	cr_assert_eq(batch_convert(in, 1, bpath("out"), &o, &s), BATCH_OK, "%s", log_text(&log));
	expect_listing(bpath("out"), "UDP.csv");
	cr_expect_eq(s.files_excluded, 1);

	o.include = "UDP,Tcp";
	cr_expect_eq(batch_convert(in, 1, bpath("out2"), &o, NULL), BATCH_REFUSED);
	expect_log_has(&log, "--include: Tcp is not a record type");
	cr_expect_eq(access(bpath("out2"), F_OK), -1, "a refused run made its directory");
	log_close(&log);
}
