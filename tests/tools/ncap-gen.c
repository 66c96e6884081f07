/* ncap-gen: writes test record files with every field of every record set.
 *
 *   ncap-gen DIR [--plain] [--count N] [--seed S] [--member-cap BYTES]
 *       writes DIR/<Type>.ncap.gz (or <Type>.ncap with --plain) for every
 *       record type of the schema, N records each (default 3), every field
 *       of every record set to a non-default value derived from S
 *       (tests/support/fill.h). Same arguments, same bytes.
 *   ncap-gen --dump-json FILE...
 *       reads each file with the NETCAP reader and prints its header, then
 *       each record, as canonical JSON (tests/support/canon.h), one line
 *       each. tests/e2e/protobuf_compat.py compares this with what Google's
 *       protobuf runtime decodes from the same file.
 * Exit status 0, or 1 with a message on standard error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ncap/chunk.h"
#include "ncap/reader.h"
#include "ncap/schema.h"
#include "ncap/writer.h"
#include "../support/canon.h"
#include "../support/fill.h"

#define GEN_CREATED_NS 1700000000123456789LL
#define CHUNK_CAP (4u << 20)

static void usage(void)
{
	fputs("usage: ncap-gen DIR [--plain] [--count N] [--seed S] [--member-cap BYTES]\n"
	      "       ncap-gen --dump-json FILE...\n", stderr);
	exit(2);
}

static int dump_json(const char *path)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	if (!r) {
		fprintf(stderr, "ncap-gen: %s\n", err);
		return -1;
	}
	canon_json(stdout, &ncap_reader_header(r)->base);
	putchar('\n');
	const ProtobufCMessageDescriptor *d = ncap_reader_type(r)->desc;
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = ncap_reader_next(r, &rec, &len)) > 0) {
		ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, rec);
		if (!m) {
			fprintf(stderr, "ncap-gen: %s: record %llu does not decode as %s\n", path,
				(unsigned long long)ncap_reader_records(r), d->name);
			ncap_reader_close(r);
			return -1;
		}
		canon_json(stdout, m);
		putchar('\n');
		protobuf_c_message_free_unpacked(m, NULL);
	}
	if (rc < 0)
		fprintf(stderr, "ncap-gen: %s\n", ncap_reader_error(r));
	ncap_reader_close(r);
	return rc;
}

static int write_type(const char *dir, const struct ncap_type *t, bool plain,
		      unsigned long count, unsigned long long seed, size_t member_cap,
		      struct ncap_chunk *chunk)
{
	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/%s.ncap%s", dir, t->name, plain ? "" : ".gz");
	struct ncap_writer_opts opts = {
		.input_source = "ncap-gen",
		.contains_payloads = true,
		.created_ns = GEN_CREATED_NS,
		.plain = plain,
		.member_cap = member_cap,
	};
	struct ncap_writer *w = ncap_writer_open(path, t->id, &opts, err, sizeof err);
	if (!w) {
		fprintf(stderr, "ncap-gen: %s\n", err);
		return -1;
	}
	chunk->type = t->id;
	ncap_chunk_reset(chunk);
	for (unsigned long i = 0; i < count; i++) {
		ProtobufCMessage *m = fill_message(t->desc, seed * 1000003u + i);
		if (!m) {
			fprintf(stderr, "ncap-gen: out of memory\n");
			ncap_writer_close(w, NULL, 0);
			return -1;
		}
		bool ok = ncap_chunk_append(chunk, m);
		if (!ok && chunk->len > 0) {
			if (ncap_writer_write(w, chunk->data, chunk->len) < 0) {
				fill_free(m);
				break; /* the error comes from ncap_writer_close */
			}
			ncap_chunk_reset(chunk);
			ok = ncap_chunk_append(chunk, m);
		}
		fill_free(m);
		if (!ok) {
			fprintf(stderr, "ncap-gen: %s: record larger than %u bytes\n", path, CHUNK_CAP);
			ncap_writer_close(w, NULL, 0);
			return -1;
		}
	}
	if (chunk->len > 0)
		ncap_writer_write(w, chunk->data, chunk->len);
	if (ncap_writer_close(w, err, sizeof err) < 0) {
		fprintf(stderr, "ncap-gen: %s\n", err);
		return -1;
	}
	return 0;
}

static unsigned long long number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || !*s)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--dump-json") == 0) {
		if (argc < 3)
			usage();
		int status = 0;
		for (int i = 2; i < argc; i++)
			if (dump_json(argv[i]) < 0)
				status = 1;
		return status;
	}

	const char *dir = NULL;
	bool plain = false;
	unsigned long count = 3;
	unsigned long long seed = 1;
	size_t member_cap = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--plain") == 0)
			plain = true;
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = (unsigned long)number(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = number(argv[++i]);
		else if (strcmp(argv[i], "--member-cap") == 0 && i + 1 < argc)
			member_cap = (size_t)number(argv[++i]);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			usage();
	}
	if (!dir)
		usage();
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "ncap-gen: %s: %s\n", dir, strerror(errno));
		return 1;
	}

	struct ncap_chunk chunk;
	if (ncap_chunk_init(&chunk, 0, CHUNK_CAP) < 0) {
		fprintf(stderr, "ncap-gen: out of memory\n");
		return 1;
	}
	size_t n;
	const struct ncap_type *types = ncap_types_table(&n);
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		if (!types[i].desc || types[i].id == TYPES__TYPE__NC_Header)
			continue;
		if (write_type(dir, &types[i], plain, count, seed, member_cap, &chunk) < 0)
			status = 1;
	}
	ncap_chunk_free(&chunk);
	return status;
}
