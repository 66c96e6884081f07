/* test_writer.c: a record file survives failed writes (lib/ncap/writer.c).
 *
 * A file size limit (RLIMIT_FSIZE, set in the test's own process: Criterion
 * forks one per test) makes write(2) stop part-way through a gzip member
 * and then fail with EFBIG, as a full disk does with ENOSPC. The writer
 * must cut the file back to its last whole member, count the member's
 * records as lost, and write the next member once the limit is lifted; the
 * file must read back to its end with exactly the records not lost.
 * Also: an error message for a path longer than the message buffer is cut,
 * not written past the buffer (issue 9, item 5). And several writers on
 * several threads filling one file (the compressors that share a busy
 * record type): every record once, whole, and a failed member of any of
 * them cut back without harming the others' members. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap/reader.h"
#include "ncap/varint.h"
#include "ncap/writer.h"
#include "netcap.pb-c.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/netcap-writer-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	signal(SIGXFSZ, SIG_IGN); /* EFBIG, not death */
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(writer, .init = setup, .fini = teardown, .timeout = 60);

static void limit_file_size(rlim_t bytes)
{
	struct rlimit r;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &r), 0);
	r.rlim_cur = bytes;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &r), 0, "%s", strerror(errno));
}

/* A chunk of n TCP records with seq numbers from first, incompressible
 * enough (random-ish payload sizes) that members are tens of KB. */
static size_t chunk_of(uint8_t *out, size_t cap, unsigned first, unsigned n)
{
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		Types__TCP t = TYPES__TCP__INIT;
		t.seqnum = first + i;
		t.acknum = (first + i) * 2654435761u;
		t.window = (int32_t)((first + i) * 40503u);
		t.srcport = (int32_t)((first + i) * 7919u % 65536);
		size_t sz = protobuf_c_message_get_packed_size(&t.base);
		cr_assert_leq(len + NCAP_VARINT_MAX + sz, cap);
		len += ncap_varint_put(out + len, sz);
		len += protobuf_c_message_pack(&t.base, out + len);
	}
	return len;
}

/* The seq numbers read back, in order; returns how many. */
static size_t read_back(const char *path, uint32_t *seq, size_t max)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	const uint8_t *rec;
	size_t len, n = 0;
	int rc;
	while ((rc = ncap_reader_next(r, &rec, &len)) == 1) {
		Types__TCP *t = types__tcp__unpack(NULL, len, rec);
		cr_assert_not_null(t);
		cr_assert_lt(n, max);
		seq[n++] = t->seqnum;
		types__tcp__free_unpacked(t, NULL);
	}
	cr_assert_eq(rc, 0, "the file does not read to its end: %s", ncap_reader_error(r));
	ncap_reader_close(r);
	return n;
}

Test(writer, a_failed_member_is_cut_back_counted_and_the_next_one_written)
{
	char path[300], err[1024];
	snprintf(path, sizeof path, "%s/TCP.ncap.gz", dir);
	/* Small members (4 KiB of records, about 200) at level 0: each member
	 * is ~4 KiB on disk, so a limit lands inside one. */
	struct ncap_writer_opts o = { .level = NCAP_LEVEL_STORE, .member_cap = 4096 };
	struct ncap_writer *w = ncap_writer_open(path, TYPES__TYPE__NC_TCP, &o, err, sizeof err);
	cr_assert_not_null(w, "%s", err);
	static uint8_t chunk[1 << 20];
	unsigned seq = 0;

	/* 1000 records fit (about 5 members), then the limit: writes fail. */
	size_t n = chunk_of(chunk, sizeof chunk, seq, 1000);
	cr_assert_eq(ncap_writer_write(w, chunk, n), 0, "%s", ncap_writer_error(w));
	cr_assert_eq(ncap_writer_flush(w), 0);
	seq += 1000;
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	off_t good = st.st_size;
	limit_file_size((rlim_t)good + 1000); /* the next member stops part-way */
	n = chunk_of(chunk, sizeof chunk, seq, 1000);
	cr_assert_eq(ncap_writer_write(w, chunk, n), -1);
	cr_assert_eq(ncap_writer_flush(w), -1);
	seq += 1000;
	cr_assert(ncap_writer_failing(w));
	cr_assert_str_not_empty(ncap_writer_error(w));
	cr_assert(strstr(ncap_writer_error(w), "File too large"), "%s", ncap_writer_error(w));
	uint64_t lost = ncap_writer_lost_records(w);
	cr_assert_eq(lost, 1000, "every record handed over while writes fail is lost: %llu",
		     (unsigned long long)lost);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, good, "the partial member must be cut off: %lld bytes, %lld expected",
		     (long long)st.st_size, (long long)good);

	/* Space again: the next members are written. */
	limit_file_size(RLIM_INFINITY);
	n = chunk_of(chunk, sizeof chunk, seq, 500);
	cr_assert_eq(ncap_writer_write(w, chunk, n), 0, "%s", ncap_writer_error(w));
	seq += 500;
	cr_assert_not(ncap_writer_failing(w));
	cr_assert_eq(ncap_writer_close(w, err, sizeof err), -1, "close reports the earlier loss");

	static uint32_t got[4000];
	size_t k = read_back(path, got, 4000);
	cr_assert_eq(k, 1500, "%zu records read back", k);
	for (size_t i = 0; i < k; i++)
		cr_assert_eq(got[i], i < 1000 ? i : i + 1000, "record %zu has seq %u", i, got[i]);
}

Test(writer, error_message_of_a_very_long_path_is_cut_to_the_buffer)
{
	/* A path of ~3000 characters, longer than the writer's message. */
	char path[4096];
	size_t n = (size_t)snprintf(path, sizeof path, "%s", dir);
	for (int i = 0; i < 12; i++) {
		n += (size_t)snprintf(path + n, sizeof path - n, "/%0240d", i);
		cr_assert_eq(mkdir(path, 0755), 0, "%s", strerror(errno));
	}
	snprintf(path + n, sizeof path - n, "/TCP.ncap.gz");
	char err[8192];
	struct ncap_writer *w = ncap_writer_open(path, TYPES__TYPE__NC_TCP, NULL, err, sizeof err);
	cr_assert_not_null(w, "%s", err);
	limit_file_size(1);
	static uint8_t chunk[1 << 16];
	size_t len = chunk_of(chunk, sizeof chunk, 0, 10);
	cr_assert_eq(ncap_writer_write(w, chunk, len), 0); /* pending only */
	cr_assert_eq(ncap_writer_flush(w), -1);
	const char *msg = ncap_writer_error(w);
	cr_assert_lt(strlen(msg), 512, "the message must stay in its buffer");
	cr_assert_eq(strncmp(msg, path, strlen(msg) < 100 ? strlen(msg) : 100), 0, "%s", msg);
	limit_file_size(RLIM_INFINITY);
	ncap_writer_close(w, err, sizeof err);
}

/* Several writers on several threads fill one file (the compressors of a
 * busy record type): every record arrives whole, none twice, whatever the
 * interleaving of their members. */
struct shared_job {
	struct ncap_writer *w;
	unsigned first, n;
	int rc;
};

static void *write_share(void *arg)
{
	struct shared_job *j = arg;
	static __thread uint8_t chunk[64 << 10];
	for (unsigned done = 0; done < j->n && j->rc == 0;) {
		unsigned k = j->n - done < 300 ? j->n - done : 300;
		size_t len = chunk_of(chunk, sizeof chunk, j->first + done, k);
		j->rc = ncap_writer_write(j->w, chunk, len);
		done += k;
	}
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

Test(writer, shared_writers_on_threads_fill_one_file_with_whole_records)
{
	char path[300], err[1024];
	snprintf(path, sizeof path, "%s/TCP.ncap.gz", dir);
	struct ncap_writer_opts o = { .member_cap = 8192 }; /* many members each */
	enum { WRITERS = 4, EACH = 20000 };
	struct shared_job job[WRITERS];
	pthread_t th[WRITERS];
	job[0].w = ncap_writer_open(path, TYPES__TYPE__NC_TCP, &o, err, sizeof err);
	cr_assert_not_null(job[0].w, "%s", err);
	for (int i = 1; i < WRITERS; i++) {
		job[i].w = ncap_writer_open_shared(job[0].w, err, sizeof err);
		cr_assert_not_null(job[i].w, "%s", err);
	}
	for (int i = 0; i < WRITERS; i++) {
		job[i].first = (unsigned)i * EACH;
		job[i].n = EACH;
		job[i].rc = 0;
		cr_assert_eq(pthread_create(&th[i], NULL, write_share, &job[i]), 0);
	}
	uint64_t out = 0;
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(job[i].rc, 0, "%s", ncap_writer_error(job[i].w));
	}
	/* Closed in any order: the file stays open until the last. */
	for (int i = WRITERS - 1; i >= 0; i--) {
		cr_assert_eq(ncap_writer_flush(job[i].w), 0);
		out += ncap_writer_bytes_out(job[i].w);
		cr_assert_eq(ncap_writer_close(job[i].w, err, sizeof err), 0, "%s", err);
	}
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq((uint64_t)st.st_size, out, "the file is the members its writers wrote: %lld vs %llu",
		     (long long)st.st_size, (unsigned long long)out);
	static uint32_t got[WRITERS * EACH + 1];
	size_t k = read_back(path, got, WRITERS * EACH + 1);
	cr_assert_eq(k, WRITERS * EACH, "%zu records read back", k);
	qsort(got, k, sizeof *got, by_value);
	for (size_t i = 0; i < k; i++)
		cr_assert_eq(got[i], i, "record %zu has seq %u: lost or doubled", i, got[i]);
}

Test(writer, a_shared_file_is_cut_back_to_whole_members_whichever_writer_failed)
{
	char path[300], err[1024];
	snprintf(path, sizeof path, "%s/TCP.ncap.gz", dir);
	struct ncap_writer_opts o = { .level = NCAP_LEVEL_STORE, .member_cap = 4096 };
	struct ncap_writer *a = ncap_writer_open(path, TYPES__TYPE__NC_TCP, &o, err, sizeof err);
	cr_assert_not_null(a, "%s", err);
	struct ncap_writer *b = ncap_writer_open_shared(a, err, sizeof err);
	cr_assert_not_null(b, "%s", err);
	static uint8_t chunk[1 << 20];
	size_t n = chunk_of(chunk, sizeof chunk, 0, 1000);
	cr_assert_eq(ncap_writer_write(a, chunk, n), 0);
	cr_assert_eq(ncap_writer_flush(a), 0);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	off_t good = st.st_size;
	/* b's member stops part-way: the file goes back to a's last member. */
	limit_file_size((rlim_t)good + 1000);
	n = chunk_of(chunk, sizeof chunk, 1000, 1000);
	cr_assert_eq(ncap_writer_write(b, chunk, n), -1);
	cr_assert_eq(ncap_writer_flush(b), -1);
	cr_assert_eq(ncap_writer_lost_records(b), 1000);
	cr_assert_eq(ncap_writer_lost_records(a), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, good);
	/* Space again: a writes after the cut, at the file's end. */
	limit_file_size(RLIM_INFINITY);
	n = chunk_of(chunk, sizeof chunk, 2000, 500);
	cr_assert_eq(ncap_writer_write(a, chunk, n), 0, "%s", ncap_writer_error(a));
	cr_assert_eq(ncap_writer_close(a, err, sizeof err), 0, "%s", err);
	cr_assert_eq(ncap_writer_close(b, err, sizeof err), -1, "b reports its loss");
	static uint32_t got[4000];
	size_t k = read_back(path, got, 4000);
	cr_assert_eq(k, 1500, "%zu records read back", k);
	for (size_t i = 0; i < k; i++)
		cr_assert_eq(got[i], i < 1000 ? i : i + 1000, "record %zu has seq %u", i, got[i]);
}
