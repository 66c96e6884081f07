/* collect-load: a load generator standing in for one NETCAP sensor, for the
 * collector benchmark (scripts/bench-collect.sh; docs/performance.md,
 * "Collector").
 *
 *   collect-load --to ADDR:PORT --collector-pub FILE --sensor-key FILE
 *                [--id ID] [--device D] [--rate R] [--seconds S]
 *                [--records N] [--dgram N] [--batch N] [--epoch N]
 *                [--wait-signal] RECORDFILE...
 *   collect-load --gen-keypair PREFIX
 *
 * Reads the record files (<Type>.ncap.gz, any number of types) into memory
 * once, then seals, before the timed phase, exactly the datagrams the run
 * will send (collect_seal_records with its own key pair, --id and a new
 * epoch): N records (--records, else R x S), taken from the files in turn
 * (chunks proportional to each file's record count, each file from its
 * start again when used up). Sequence numbers are inside the box, so a
 * datagram cannot be sent twice (the collector would drop it as a replay):
 * the pool holds every datagram of the run.
 *
 * Then it sends them over one connected UDP socket with sendmmsg(2), up
 * to --batch (default 32) datagrams a call, paced by a token bucket of R
 * records/s (--rate; 0, the default, as fast as it can; the bucket holds
 * at most 2 ms of records or one batch), until the pool is sent or S
 * seconds (--seconds) have passed. A datagram the kernel refuses
 * (sendmmsg fails: ENOBUFS, ECONNREFUSED, ...) is counted as a send error
 * and skipped: the collector sees its sequence number as a gap.
 *
 * --wait-signal: after sealing, print "ready" on stderr and wait for
 * SIGUSR1 before sending (several processes then start together).
 *
 * Output: a "sealed" line on stderr, then one line on stdout:
 *   sent records N datagrams N bytes N seconds S records_per_s R
 *   datagrams_per_s R send_errors N error_records N rpd_min N rpd_max N
 *   epoch N cpu_s S
 * bytes are UDP payload bytes; cpu_s the process's user + system CPU time
 * over the sending phase; rpd_min/rpd_max the fewest and most
 * records of a datagram sent (to bound the records a gap can stand for). */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collect/keys.h"
#include "collect/netaddr.h"
#include "collect/wire.h"
#include "ncap/reader.h"
#include "ncap/schema.h"
#include "ncap/varint.h"

#define BATCH_MAX 256
#define CHUNK 4096 /* records of the largest file per round */

static _Noreturn void die(const char *fmt, const char *a)
{
	fprintf(stderr, "collect-load: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("%s", "out of memory");
	return p;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One input file: its framed records and where each begins. */
struct input {
	int type;
	uint8_t *data;
	size_t len;
	size_t *off; /* n + 1 offsets: record i is data[off[i] .. off[i+1]) */
	size_t n;
	size_t cursor;
};

static void load(struct input *in, const char *path)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	if (!r)
		die("%s", err);
	in->type = ncap_reader_type(r)->id;
	size_t cap = 1 << 20, ocap = 1 << 14;
	in->data = xrealloc(NULL, cap);
	in->off = xrealloc(NULL, ocap * sizeof *in->off);
	in->off[0] = 0;
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = ncap_reader_next(r, &rec, &len)) > 0) {
		if (len + 10 > COLLECT_BATCH_MAX)
			continue; /* the sealer would not send it */
		while (in->len + len + 10 > cap)
			in->data = xrealloc(in->data, cap *= 2);
		if (in->n + 2 > ocap)
			in->off = xrealloc(in->off, (ocap *= 2) * sizeof *in->off);
		in->len += (size_t)ncap_varint_put(in->data + in->len, len);
		memcpy(in->data + in->len, rec, len);
		in->len += len;
		in->off[++in->n] = in->len;
	}
	if (rc < 0)
		die("%s", ncap_reader_error(r));
	ncap_reader_close(r);
	if (!in->n)
		die("%s: no records", path);
}

/* The pool of sealed datagrams. */
static uint8_t *pool;
static size_t pool_len, pool_cap;
static size_t *dg_off;   /* n + 1 offsets into pool */
static uint32_t *dg_rec; /* records of each */
static size_t dg_n, dg_cap;

static void keep(void *arg, const uint8_t *d, size_t len, uint32_t records)
{
	(void)arg;
	while (pool_len + len > pool_cap)
		pool = xrealloc(pool, pool_cap = pool_cap ? pool_cap * 2 : 1 << 22);
	if (dg_n + 2 > dg_cap) {
		dg_cap = dg_cap ? dg_cap * 2 : 1 << 14;
		dg_off = xrealloc(dg_off, dg_cap * sizeof *dg_off);
		dg_rec = xrealloc(dg_rec, dg_cap * sizeof *dg_rec);
	}
	memcpy(pool + pool_len, d, len);
	dg_off[dg_n] = pool_len;
	dg_rec[dg_n] = records;
	pool_len += len;
	dg_off[++dg_n] = pool_len;
}

static void usage(void)
{
	fputs("usage: collect-load --to ADDR:PORT --collector-pub FILE --sensor-key FILE\n"
	      "                    [--id ID] [--device D] [--rate RECORDS/S] [--seconds S]\n"
	      "                    [--records N] [--dgram N] [--batch N] [--epoch N]\n"
	      "                    [--wait-signal] RECORDFILE...\n"
	      "       collect-load --gen-keypair PREFIX\n"
	      "(see the comment at the top of bench/collect-load.c)\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *to_text = NULL, *cpub = NULL, *skey = NULL, *gen = NULL;
	const char *id = "load", *device = "collect-load";
	double rate = 0, seconds = 0;
	unsigned long long want_records = 0, epoch = 0;
	size_t dgram_max = COLLECT_DGRAM_DEFAULT;
	unsigned batch = 32;
	int wait_signal = 0;
	const char **files = xrealloc(NULL, (size_t)argc * sizeof *files);
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--to") && v) to_text = v, i++;
		else if (!strcmp(a, "--collector-pub") && v) cpub = v, i++;
		else if (!strcmp(a, "--sensor-key") && v) skey = v, i++;
		else if (!strcmp(a, "--gen-keypair") && v) gen = v, i++;
		else if (!strcmp(a, "--id") && v) id = v, i++;
		else if (!strcmp(a, "--device") && v) device = v, i++;
		else if (!strcmp(a, "--rate") && v) rate = strtod(v, NULL), i++;
		else if (!strcmp(a, "--seconds") && v) seconds = strtod(v, NULL), i++;
		else if (!strcmp(a, "--records") && v) want_records = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--dgram") && v) dgram_max = strtoul(v, NULL, 10), i++;
		else if (!strcmp(a, "--batch") && v) batch = (unsigned)strtoul(v, NULL, 10), i++;
		else if (!strcmp(a, "--epoch") && v) epoch = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--wait-signal")) wait_signal = 1;
		else if (!strcmp(a, "--help")) usage();
		else if (a[0] != '-') files[nfiles++] = a;
		else {
			fprintf(stderr, "collect-load: bad argument %s\n", a);
			usage();
		}
	}
	if (sodium_init() < 0)
		die("%s", "libsodium");
	char err[4400];
	if (gen) {
		if (collect_keypair_generate(gen, err, sizeof err))
			die("%s", err);
		struct collect_keypair kp;
		char path[4200], hex[2 * COLLECT_KEY_BYTES + 1];
		snprintf(path, sizeof path, "%s.key", gen);
		if (collect_read_secret(path, &kp, err, sizeof err))
			die("%s", err);
		collect_key_hex(kp.pk, hex);
		printf("%s\n", hex);
		return 0;
	}
	if (!to_text || !cpub || !skey || !nfiles)
		usage();
	if (rate < 0 || seconds < 0 || batch < 1 || batch > BATCH_MAX)
		die("%s", "--rate and --seconds must be >= 0, --batch 1..256");
	if (!want_records) {
		if (rate > 0 && seconds > 0)
			want_records = (unsigned long long)(rate * seconds + 0.5);
		else
			die("%s", "--records N, or --rate and --seconds, must say how many records to seal");
	}

	struct sockaddr_storage to;
	socklen_t to_len;
	struct collect_keypair sensor;
	uint8_t collector_pk[COLLECT_KEY_BYTES];
	if (collect_parse_listen(to_text, &to, &to_len, err, sizeof err) ||
	    collect_read_public(cpub, collector_pk, err, sizeof err) ||
	    collect_read_secret(skey, &sensor, err, sizeof err))
		die("%s", err);
	if (!epoch) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		epoch = (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
	}
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (wait_signal) /* blocked before anyone can send it */
		sigprocmask(SIG_BLOCK, &usr1, NULL);

	/* ---- load and seal -------------------------------------------------- */
	struct input *in = xrealloc(NULL, (size_t)nfiles * sizeof *in);
	size_t nmax = 0;
	for (int f = 0; f < nfiles; f++) {
		memset(&in[f], 0, sizeof in[f]);
		load(&in[f], files[f]);
		if (in[f].n > nmax)
			nmax = in[f].n;
	}
	struct collect_sealer *s = collect_sealer_new(&sensor, collector_pk, id, device, epoch,
						      dgram_max, err, sizeof err);
	if (!s)
		die("%s", err);
	_Atomic uint64_t seq = 0;
	struct collect_seal_stats st = {0};
	uint64_t framed = 0; /* record bytes sealed, varint lengths included */
	unsigned long long left = want_records;
	double t_seal = now_s();
	while (left) {
		for (int f = 0; f < nfiles && left; f++) {
			struct input *x = &in[f];
			size_t k = (size_t)((double)CHUNK * (double)x->n / (double)nmax + 0.5);
			if (k < 1)
				k = 1;
			if (k > x->n - x->cursor)
				k = x->n - x->cursor;
			if (k > left)
				k = (size_t)left;
			collect_seal_records(s, x->type, x->data + x->off[x->cursor],
					     x->off[x->cursor + k] - x->off[x->cursor], &seq, keep, NULL,
					     &st);
			framed += x->off[x->cursor + k] - x->off[x->cursor];
			x->cursor += k;
			if (x->cursor == x->n)
				x->cursor = 0;
			left -= k;
		}
	}
	t_seal = now_s() - t_seal;
	collect_sealer_free(s);
	if (st.malformed || st.records_too_large)
		fprintf(stderr, "collect-load: %s: sealer: %llu malformed, %llu too large\n", id,
			(unsigned long long)st.malformed, (unsigned long long)st.records_too_large);
	fprintf(stderr,
		"collect-load: %s: sealed %llu records (%.1f bytes each, framed) of %d type(s) into %zu "
		"datagrams (%.1f records, %.0f bytes each) in %.3f s (%.0f records/s)\n",
		id, (unsigned long long)st.records,
		st.records ? (double)framed / (double)st.records : 0.0, nfiles, dg_n,
		dg_n ? (double)st.records / (double)dg_n : 0.0,
		dg_n ? (double)pool_len / (double)dg_n : 0.0, t_seal,
		t_seal > 0 ? (double)st.records / t_seal : 0.0);

	/* ---- send --------------------------------------------------------------- */
	int fd = socket(to.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int big = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	if (connect(fd, (const struct sockaddr *)&to, to_len))
		die("connect: %s", strerror(errno));
	static struct mmsghdr msgs[BATCH_MAX];
	static struct iovec iov[BATCH_MAX];

	if (wait_signal) {
		fprintf(stderr, "collect-load: %s: ready\n", id);
		int sig;
		sigwait(&usr1, &sig);
	}

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	uint64_t sent_rec = 0, sent_dg = 0, sent_bytes = 0, errors = 0, err_rec = 0;
	uint32_t rpd_min = UINT32_MAX, rpd_max = 0;
	uint32_t max_rec = 1;
	for (size_t i = 0; i < dg_n; i++)
		if (dg_rec[i] > max_rec)
			max_rec = dg_rec[i];
	double cap = rate * 0.002;
	if (cap < (double)batch * max_rec)
		cap = (double)batch * max_rec;
	double tokens = rate > 0 ? (double)max_rec : 0, t0 = now_s(), last = t0, end = t0;
	size_t i = 0;
	int last_errno = 0;
	while (i < dg_n) {
		double t = now_s();
		if (seconds > 0 && t - t0 >= seconds)
			break;
		unsigned k = 0;
		if (rate > 0) {
			tokens += (t - last) * rate;
			last = t;
			if (tokens > cap)
				tokens = cap;
			double take = 0;
			while (k < batch && i + k < dg_n && take + dg_rec[i + k] <= tokens)
				take += dg_rec[i + k++];
			if (!k) {
				double wait = ((double)dg_rec[i] - tokens) / rate;
				if (wait > 50e-6) {
					struct timespec ts = {0, (long)(wait * 1e9)};
					nanosleep(&ts, NULL);
				}
				continue;
			}
			tokens -= take;
		} else {
			k = batch;
			if (k > dg_n - i)
				k = (unsigned)(dg_n - i);
		}
		for (unsigned j = 0; j < k; j++) {
			iov[j].iov_base = pool + dg_off[i + j];
			iov[j].iov_len = dg_off[i + j + 1] - dg_off[i + j];
			memset(&msgs[j].msg_hdr, 0, sizeof msgs[j].msg_hdr);
			msgs[j].msg_hdr.msg_iov = &iov[j];
			msgs[j].msg_hdr.msg_iovlen = 1;
		}
		unsigned done = 0;
		while (done < k) {
			int r = sendmmsg(fd, msgs + done, k - done, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				last_errno = errno;
				errors++; /* that datagram is skipped: a gap */
				err_rec += dg_rec[i + done];
				done++;
				continue;
			}
			for (int j = 0; j < r; j++) {
				uint32_t n = dg_rec[i + done + (unsigned)j];
				sent_rec += n;
				sent_bytes += iov[done + (unsigned)j].iov_len;
				if (n < rpd_min)
					rpd_min = n;
				if (n > rpd_max)
					rpd_max = n;
			}
			sent_dg += (unsigned)r;
			done += (unsigned)r;
		}
		i += k;
		end = now_s();
	}
	double secs = end - t0;
	getrusage(RUSAGE_SELF, &ru1);
	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
		     (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) * 1e-6 +
		     (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;
	if (errors)
		fprintf(stderr, "collect-load: %s: %llu send errors, the last: %s\n", id,
			(unsigned long long)errors, strerror(last_errno));
	if (!sent_dg)
		rpd_min = 0;
	printf("sent records %llu datagrams %llu bytes %llu seconds %.3f records_per_s %.0f "
	       "datagrams_per_s %.0f send_errors %llu error_records %llu rpd_min %u rpd_max %u "
	       "epoch %llu cpu_s %.3f\n",
	       (unsigned long long)sent_rec, (unsigned long long)sent_dg,
	       (unsigned long long)sent_bytes, secs, secs > 0 ? (double)sent_rec / secs : 0.0,
	       secs > 0 ? (double)sent_dg / secs : 0.0, (unsigned long long)errors,
	       (unsigned long long)err_rec, rpd_min, rpd_max, epoch, cpu);
	close(fd);
	return 0;
}
