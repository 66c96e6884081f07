/* test_collect_files.c: the collector's record files (lib/collect/files.c):
 * a sensor's directory and file made on its first batch, the Header's
 * InputSource, an earlier run's file moved aside (never overwritten),
 * SIGHUP rotation (renamed when still at its name, left alone when moved),
 * and a full disk (a file size limit): the lost records counted, the run
 * going on, the file valid. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/files.h"
#include "ncap/reader.h"
#include "ncap/varint.h"
#include "netcap.pb-c.h"

static char cf_dir[256];
static struct collect_sensors cf_t;
static struct collect_sensor *cf_s;
static struct collect_files *cf_f;
static struct collect_sink cf_sink;

static void cf_setup(void)
{
	snprintf(cf_dir, sizeof cf_dir, "/tmp/netcap-collect-files-XXXXXX");
	cr_assert_not_null(mkdtemp(cf_dir));
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_geq(sodium_init(), 0);
	struct collect_keypair coll;
	crypto_box_keypair(coll.pk, coll.sk);
	static uint8_t key[1][COLLECT_KEY_BYTES];
	uint8_t sk[COLLECT_KEY_BYTES];
	crypto_box_keypair(key[0], sk);
	struct collect_allow allow = {.keys = key, .n = 1};
	char err[512];
	cr_assert_eq(collect_sensors_init(&cf_t, &coll, &allow, err, sizeof err), 0, "%s", err);
	cf_s = &cf_t.s[0];
	cr_assert_eq(collect_sensor_bind(&cf_t, cf_s, "s1", 2), COLLECT_ACCEPT);
	char out[300];
	snprintf(out, sizeof out, "%s/out", cf_dir);
	cf_f = collect_files_new(out, &cf_t, err, sizeof err);
	cr_assert_not_null(cf_f, "%s", err);
	cf_sink = collect_files_sink(cf_f);
}

static void cf_teardown(void)
{
	collect_files_close(cf_f, &cf_t);
	collect_sensors_free(&cf_t);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", cf_dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(collect_files, .init = cf_setup, .fini = cf_teardown, .timeout = 60);

/* n TCP records from first, sent to the sink as one batch. */
static void cf_batch(unsigned first, unsigned n)
{
	static uint8_t buf[1 << 20];
	size_t len = 0;
	for (unsigned i = 0; i < n; i++) {
		Types__TCP t = TYPES__TCP__INIT;
		t.seqnum = first + i;
		t.acknum = (first + i) * 2654435761u;
		t.window = (int32_t)((first + i) * 40503u);
		size_t sz = protobuf_c_message_get_packed_size(&t.base);
		len += ncap_varint_put(buf + len, sz);
		len += protobuf_c_message_pack(&t.base, buf + len);
	}
	pthread_mutex_lock(&cf_s->lock);
	cf_sink.batch(cf_sink.arg, cf_s, "dev", TYPES__TYPE__NC_TCP, 1, 1, buf, len, n);
	pthread_mutex_unlock(&cf_s->lock);
}

/* Records in path (read to its end, or the test fails); the InputSource
 * into source when not NULL. */
static size_t cf_count(const char *path, char *source, size_t cap)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	cr_assert_not_null(r, "%s", err);
	if (source)
		snprintf(source, cap, "%s", ncap_reader_header(r)->inputsource);
	const uint8_t *rec;
	size_t len, n = 0;
	int rc;
	while ((rc = ncap_reader_next(r, &rec, &len)) == 1)
		n++;
	cr_assert_eq(rc, 0, "%s: %s", path, ncap_reader_error(r));
	ncap_reader_close(r);
	return n;
}

/* Names in the sensor's directory other than TCP.ncap.gz, that look like
 * a rotated TCP file; the first into name. */
static int cf_rotated(char *name, size_t cap)
{
	char d[300];
	snprintf(d, sizeof d, "%s/out/s1", cf_dir);
	DIR *dir = opendir(d);
	cr_assert_not_null(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "TCP.", 4) && strcmp(e->d_name, "TCP.ncap.gz") &&
		    strlen(e->d_name) >= strlen("TCP.20260101T000000Z.ncap.gz")) {
			if (!n++)
				snprintf(name, cap, "%s/%s", d, e->d_name);
		}
	closedir(dir);
	return n;
}

Test(collect_files, first_batch_makes_the_file_rotation_renames_it)
{
	char path[300], source[200], rotated[600];
	snprintf(path, sizeof path, "%s/out/s1/TCP.ncap.gz", cf_dir);
	struct stat st;
	cr_assert_neq(stat(path, &st), 0, "no file before a batch");
	cf_batch(0, 100);
	cf_batch(100, 50);
	cr_assert_eq(collect_files_open_count(cf_f, &cf_t), 1);
	collect_files_rotate(cf_f, &cf_t);
	cr_assert_eq(collect_files_open_count(cf_f, &cf_t), 0);
	cr_assert_neq(stat(path, &st), 0, "renamed away");
	cr_assert_eq(cf_rotated(rotated, sizeof rotated), 1);
	cr_assert_eq(cf_count(rotated, source, sizeof source), 150);
	cr_assert_str_eq(source, "sensor s1 (dev)");
	/* The next batch, a new file. */
	cf_batch(150, 10);
	collect_files_flush(cf_f, &cf_t);
	cr_assert_eq(cf_count(path, NULL, 0), 10);
	cr_assert_eq(cf_s->records_lost, 0);
}

Test(collect_files, moved_file_is_left_alone_earlier_file_moved_aside)
{
	char path[300], moved[320], rotated[600];
	snprintf(path, sizeof path, "%s/out/s1/TCP.ncap.gz", cf_dir);
	snprintf(moved, sizeof moved, "%s/moved.ncap.gz", cf_dir);
	cf_batch(0, 20);
	collect_files_flush(cf_f, &cf_t);
	cr_assert_eq(rename(path, moved), 0); /* as logrotate would */
	collect_files_rotate(cf_f, &cf_t);
	cr_assert_eq(cf_rotated(rotated, sizeof rotated), 0, "a moved file is not renamed again");
	cr_assert_eq(cf_count(moved, NULL, 0), 20);
	/* An earlier run's file at the name: moved aside, never overwritten. */
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("not a record file, but somebody's data", f);
	fclose(f);
	cf_batch(20, 5);
	cr_assert_eq(cf_rotated(rotated, sizeof rotated), 1);
	f = fopen(rotated, "r");
	char text[100] = "";
	cr_assert_not_null(fgets(text, sizeof text, f));
	fclose(f);
	cr_assert_str_eq(text, "not a record file, but somebody's data");
	collect_files_flush(cf_f, &cf_t);
	cr_assert_eq(cf_count(path, NULL, 0), 5);
	/* Rotated twice within a second: a second name, nothing replaced. */
	collect_files_rotate(cf_f, &cf_t);
	cf_batch(25, 5);
	collect_files_rotate(cf_f, &cf_t);
	cr_assert_eq(cf_rotated(rotated, sizeof rotated), 3);
}

Test(collect_files, full_disk_counts_lost_records_and_goes_on)
{
	char path[300];
	snprintf(path, sizeof path, "%s/out/s1/TCP.ncap.gz", cf_dir);
	cf_batch(0, 100);
	collect_files_flush(cf_f, &cf_t);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	struct rlimit r;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &r), 0);
	r.rlim_cur = (rlim_t)st.st_size + 100;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &r), 0, "%s", strerror(errno));
	cf_batch(100, 2000);
	collect_files_flush(cf_f, &cf_t);
	cr_assert_eq(cf_s->records_lost, 2000);
	cr_assert_gt(cf_s->write_errors, 0);
	r.rlim_cur = RLIM_INFINITY;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &r), 0);
	cf_batch(2100, 30);
	collect_files_rotate(cf_f, &cf_t);
	char rotated[600];
	cr_assert_eq(cf_rotated(rotated, sizeof rotated), 1);
	cr_assert_eq(cf_count(rotated, NULL, 0), 130);
	cr_assert_eq(cf_s->records_lost, 2000);
}
