/* nats-roundtrip: drives lib/collect/nats.c against a local nats-server for
 * tests/e2e/test_collect_nats.sh.
 *
 *   nats-roundtrip publish URL STREAM DIR --sensor ID [--device D]
 *                  [--epoch E] [--batch-bytes N] [--times K]
 *       publishes the records of every DIR/<Type>.ncap.gz in batches of at
 *       most N bytes (default 16384) through collect_nats_publish, as a
 *       collector would, batch numbers 1, 2, ... of epoch E (default 1);
 *       --times K publishes the same batches K times (JetStream must keep
 *       one copy: the de-duplication a second collector relies on).
 *       Prints "key value" lines: batches, messages, records, acked,
 *       duplicates, failed. Exit 1 when any publish failed.
 *   nats-roundtrip raw URL SUBJECT [--hex HEX] [--header KEY=VALUE]...
 *       stores one message as anyone with access to NATS could (a
 *       synchronous JetStream publish), the body HEX (default empty).
 *   nats-roundtrip consume URL STREAM OUTDIR DURABLE [--max-msgs N]
 *                  [--idle-exit MS] [--batch N]
 *       collect_nats_consume until SIGINT/SIGTERM, N messages or MS
 *       without one; prints its counters as "key value" lines.
 * Exit status 0, 1 on failure (a message on standard error), 2 on usage. */
#include <dirent.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/nats.h"
#include "ncap/reader.h"
#include "ncap/schema.h"
#include "ncap/varint.h"

static void usage(void)
{
	fputs("usage: nats-roundtrip publish URL STREAM DIR --sensor ID [--device D] [--epoch E]\n"
	      "                      [--batch-bytes N] [--times K]\n"
	      "       nats-roundtrip raw URL SUBJECT [--hex HEX] [--header KEY=VALUE]...\n"
	      "       nats-roundtrip consume URL STREAM OUTDIR DURABLE [--max-msgs N]\n"
	      "                      [--idle-exit MS] [--batch N]\n", stderr);
	exit(2);
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end)
		usage();
	return v;
}

/* ---- publish ------------------------------------------------------------------------ */

struct pub {
	struct collect_nats *n;
	const char *sensor, *device;
	uint64_t epoch, seq;
	int failed;
};

static void flush_batch(struct pub *p, const char *type, const uint8_t *buf, size_t len)
{
	if (!len)
		return;
	char err[512];
	p->seq++;
	if (collect_nats_publish(p->n, p->sensor, p->device, type, p->epoch, p->seq, buf, len, err,
				 sizeof err) != 0) {
		fprintf(stderr, "nats-roundtrip: %s\n", err);
		p->failed = 1;
	}
}

static int publish_file(struct pub *p, const char *path, size_t batch_bytes, uint8_t *buf)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	if (!r) {
		fprintf(stderr, "nats-roundtrip: %s\n", err);
		return -1;
	}
	const char *type = ncap_reader_type(r)->name;
	size_t used = 0;
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = ncap_reader_next(r, &rec, &len)) > 0) {
		size_t need = ncap_varint_size(len) + len;
		if (need > batch_bytes) {
			fprintf(stderr, "nats-roundtrip: %s: a record of %zu bytes is over the batch\n",
				path, len);
			rc = -1;
			break;
		}
		if (used + need > batch_bytes) {
			flush_batch(p, type, buf, used);
			used = 0;
		}
		used += ncap_varint_put(buf + used, len);
		memcpy(buf + used, rec, len);
		used += len;
	}
	if (rc < 0 && *ncap_reader_error(r))
		fprintf(stderr, "nats-roundtrip: %s\n", ncap_reader_error(r));
	flush_batch(p, type, buf, used);
	ncap_reader_close(r);
	return rc < 0 ? -1 : 0;
}

static int cmd_publish(int argc, char **argv)
{
	if (argc < 5)
		usage();
	const char *url = argv[2], *stream = argv[3], *dir = argv[4];
	struct pub p = {.device = "", .epoch = 1};
	size_t batch_bytes = 16384;
	unsigned long long times = 1;
	for (int i = 5; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--sensor"))
			p.sensor = argv[++i];
		else if (!strcmp(argv[i], "--device"))
			p.device = argv[++i];
		else if (!strcmp(argv[i], "--epoch"))
			p.epoch = number(argv[++i]);
		else if (!strcmp(argv[i], "--batch-bytes"))
			batch_bytes = number(argv[++i]);
		else if (!strcmp(argv[i], "--times"))
			times = number(argv[++i]);
		else
			usage();
	}
	if (!p.sensor || batch_bytes < 64 || batch_bytes > (1u << 20) || times < 1)
		usage();
	char err[512];
	if (!(p.n = collect_nats_open(url, stream, NULL, err, sizeof err))) {
		fprintf(stderr, "nats-roundtrip: %s\n", err);
		return 1;
	}
	uint8_t *buf = malloc(batch_bytes);
	DIR *d = opendir(dir);
	if (!buf || !d) {
		fprintf(stderr, "nats-roundtrip: %s: cannot read\n", dir);
		return 1;
	}
	/* Names sorted, so that every pass numbers the same batches alike. */
	struct dirent **names;
	int count = scandir(dir, &names, NULL, alphasort);
	closedir(d);
	if (count < 0) {
		fprintf(stderr, "nats-roundtrip: %s: cannot list\n", dir);
		return 1;
	}
	for (unsigned long long pass = 0; pass < times; pass++) {
		p.seq = 0;
		for (int i = 0; i < count; i++) {
			const char *name = names[i]->d_name;
			size_t nl = strlen(name);
			if (nl < 9 || strcmp(name + nl - 8, ".ncap.gz") != 0)
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, name);
			if (publish_file(&p, path, batch_bytes, buf) != 0)
				p.failed = 1;
		}
	}
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(buf);
	struct collect_nats_pub_stats st;
	collect_nats_close(p.n, 10000, &st);
	uint64_t failed = st.fail_input + st.fail_too_large + st.fail_stalled + st.fail_publish +
			  st.fail_ack;
	printf("batches %llu\nmessages %llu\nrecords %llu\nacked %llu\nduplicates %llu\nfailed %llu\n",
	       (unsigned long long)st.batches, (unsigned long long)st.messages,
	       (unsigned long long)st.records, (unsigned long long)st.acked,
	       (unsigned long long)st.duplicates, (unsigned long long)failed);
	collect_nats_shutdown(2000);
	return p.failed || failed ? 1 : 0;
}

/* ---- raw ------------------------------------------------------------------------------ */

static int cmd_raw(int argc, char **argv)
{
	if (argc < 4)
		usage();
	const char *url = argv[2], *subject = argv[3];
	static uint8_t body[1 << 16];
	size_t blen = 0;
	natsMsg *m = NULL;
	const char *headers[32];
	int nh = 0;
	for (int i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--hex")) {
			const char *h = argv[++i];
			size_t hl = strlen(h);
			if (hl % 2 || hl / 2 > sizeof body)
				usage();
			for (blen = 0; blen < hl / 2; blen++) {
				unsigned v;
				if (sscanf(h + 2 * blen, "%2x", &v) != 1)
					usage();
				body[blen] = (uint8_t)v;
			}
		} else if (!strcmp(argv[i], "--header") && nh < 32 && strchr(argv[i + 1], '=')) {
			headers[nh++] = argv[++i];
		} else {
			usage();
		}
	}
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsPubAck *pa = NULL;
	natsStatus s = natsConnection_ConnectTo(&nc, url);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, nc, NULL);
	if (s == NATS_OK)
		s = natsMsg_Create(&m, subject, NULL, (const char *)body, (int)blen);
	for (int i = 0; s == NATS_OK && i < nh; i++) {
		char key[256];
		const char *eq = strchr(headers[i], '=');
		snprintf(key, sizeof key, "%.*s", (int)(eq - headers[i]), headers[i]);
		s = natsMsgHeader_Set(m, key, eq + 1);
	}
	if (s == NATS_OK)
		s = js_PublishMsg(&pa, js, m, NULL, NULL);
	if (s != NATS_OK)
		fprintf(stderr, "nats-roundtrip: raw %s to %s: %s\n", subject, url, natsStatus_GetText(s));
	jsPubAck_Destroy(pa);
	natsMsg_Destroy(m);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	collect_nats_shutdown(2000);
	return s == NATS_OK ? 0 : 1;
}

/* ---- consume ---------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int cmd_consume(int argc, char **argv)
{
	if (argc < 6)
		usage();
	const char *url = argv[2], *stream = argv[3], *outdir = argv[4], *durable = argv[5];
	struct collect_nats_consume_opts o = {0};
	for (int i = 6; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--max-msgs"))
			o.max_msgs = number(argv[++i]);
		else if (!strcmp(argv[i], "--idle-exit"))
			o.idle_exit_ms = (int)number(argv[++i]);
		else if (!strcmp(argv[i], "--batch"))
			o.batch = (int)number(argv[++i]);
		else
			usage();
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct collect_nats_consume_stats st;
	char err[1024];
	int rc = collect_nats_consume(url, stream, outdir, durable, &stop_flag, &o, &st, err,
				      sizeof err);
	if (rc != 0)
		fprintf(stderr, "nats-roundtrip: %s\n", err);
	printf("messages %llu\nwritten %llu\nrecords %llu\nredelivered %llu\nhanded_back %llu\n"
	       "write_errors %llu\nfiles %llu\nfetch_errors %llu\n",
	       (unsigned long long)st.messages, (unsigned long long)st.written,
	       (unsigned long long)st.records, (unsigned long long)st.redelivered,
	       (unsigned long long)st.handed_back, (unsigned long long)st.write_errors,
	       (unsigned long long)st.files, (unsigned long long)st.fetch_errors);
	for (int b = 0; b < COLLECT_NATS_BADS; b++)
		printf("bad_%s %llu\n", collect_nats_bad_name(b), (unsigned long long)st.bad[b]);
	collect_nats_shutdown(2000);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "publish"))
		return cmd_publish(argc, argv);
	if (!strcmp(argv[1], "raw"))
		return cmd_raw(argc, argv);
	if (!strcmp(argv[1], "consume"))
		return cmd_consume(argc, argv);
	usage();
}
