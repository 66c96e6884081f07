/* server.c: sockets, receive threads and the main thread's signal loop
 * of netcap-collect (server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collect/files.h"
#include "collect/metrics.h"
#include "collect/nats.h"
#include "collect/server.h"
#include "ncap/schema.h"

/* The collector's sink: the files, NATS, or both. Called under the
 * sensor's lock, so a batch reaches both in the order it was accepted. */
struct tee {
	struct collect_sink files; /* .batch NULL with --nats-only */
	struct collect_nats *nats;
};

static void tee_batch(void *arg, struct collect_sensor *s, const char *device, int type,
		      uint64_t epoch, uint64_t seq, const uint8_t *records, size_t len, uint32_t n)
{
	struct tee *t = arg;
	if (t->files.batch)
		t->files.batch(t->files.arg, s, device, type, epoch, seq, records, len, n);
	if (t->nats) {
		/* Failures are counted by the NATS side (collect_nats_pub_stats)
		 * and told in the summaries. */
		collect_nats_publish(t->nats, s->id, device, ncap_type_by_id(type)->name, epoch, seq,
				     records, len, NULL, 0);
	}
}

static void nats_summary(const struct collect_nats_pub_stats *s, FILE *out, const char *what)
{
	struct collect_nats_pub_stats st = *s;
	fprintf(out, "netcap-collect: %s: NATS: %llu batches, %llu messages, %llu records, %llu "
		     "acked (%llu duplicates), %llu pending; failed: input %llu, too large %llu, "
		     "stalled %llu, publish %llu, ack %llu\n", what,
		(unsigned long long)st.batches, (unsigned long long)st.messages,
		(unsigned long long)st.records, (unsigned long long)st.acked,
		(unsigned long long)st.duplicates, (unsigned long long)st.pending,
		(unsigned long long)st.fail_input, (unsigned long long)st.fail_too_large,
		(unsigned long long)st.fail_stalled, (unsigned long long)st.fail_publish,
		(unsigned long long)st.fail_ack);
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t len, char *err, size_t errlen)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	int size = (int)COLLECT_RCVBUF;
	/* Past the system's rmem_max when privileged; else what it allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)) {
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, len)) {
		snprintf(err, errlen, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether something is bound to the address already: a bind without
 * SO_REUSEPORT fails then. */
static bool port_in_use(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int one = 1;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	bool used = bind(fd, (const struct sockaddr *)ss, len) && errno == EADDRINUSE;
	close(fd);
	return used;
}

static atomic_bool stopping;

struct receiver {
	pthread_t thread;
	int fd;
	struct collect_worker *w;
	size_t slot; /* bytes per receive buffer: max_datagram + 1 */
	uint8_t *bufs;
	struct mmsghdr msgs[COLLECT_RECV_BATCH];
	struct iovec iov[COLLECT_RECV_BATCH];
};

static void *receive_loop(void *arg)
{
	struct receiver *r = arg;
	for (int i = 0; i < COLLECT_RECV_BATCH; i++) {
		r->iov[i].iov_base = r->bufs + (size_t)i * r->slot;
		r->iov[i].iov_len = r->slot;
		memset(&r->msgs[i].msg_hdr, 0, sizeof r->msgs[i].msg_hdr);
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&stopping)) {
		int n = recvmmsg(r->fd, r->msgs, COLLECT_RECV_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				atomic_fetch_add_explicit(&r->w->receive_errors, 1, memory_order_relaxed);
			continue;
		}
		int64_t now = collect_now_ns();
		for (int i = 0; i < n; i++) {
			size_t len = r->msgs[i].msg_len;
			/* Cut by the buffer: longer than the bound (the buffer is one
			 * byte longer, so the length alone shows it too). */
			if (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				len = r->slot;
			collect_handle(r->w, r->iov[i].iov_base, len, now);
			r->msgs[i].msg_hdr.msg_flags = 0;
		}
	}
	return NULL;
}

static unsigned cpus_available(void)
{
	cpu_set_t set;
	if (!sched_getaffinity(0, sizeof set, &set) && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static double mono_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_stats(struct collector *c, struct collect_worker **w, size_t n, const char *path)
{
	char err[4400];
	static bool reported;
	if (collect_stats_write(c, w, n, path, err, sizeof err)) {
		if (!reported)
			fprintf(stderr, "netcap-collect: stats file: %s\n", err);
		reported = true;
	} else {
		reported = false;
	}
}

int collect_serve(const struct collect_serve_opts *o)
{
	char err[4400];
	struct collect_keypair kp;
	struct collect_allow allow = {0};
	if (collect_read_secret(o->key_path, &kp, err, sizeof err) ||
	    collect_read_allow(o->allow_path, &allow, err, sizeof err)) {
		fprintf(stderr, "netcap-collect: %s\n", err);
		return 1;
	}
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (collect_parse_listen(o->listen, &ss, &sslen, err, sizeof err)) {
		fprintf(stderr, "netcap-collect: --listen %s\n", err);
		collect_allow_free(&allow);
		return 1;
	}
	struct collector c;
	size_t max_dgram = o->max_datagram ? o->max_datagram : COLLECT_DGRAM_MAX;
	int rc = collector_init(&c, &kp, &allow, max_dgram, NULL, err, sizeof err);
	sodium_memzero(&kp, sizeof kp);
	collect_allow_free(&allow);
	if (rc) {
		fprintf(stderr, "netcap-collect: %s: %s\n", o->allow_path, err);
		return 1;
	}
	struct tee tee = {0};
	struct collect_files *files = NULL;
	if (!o->nats_only) {
		files = collect_files_new(o->out_dir, &c.sensors, err, sizeof err);
		if (!files) {
			fprintf(stderr, "netcap-collect: -o %s\n", err);
			collector_free(&c);
			return 1;
		}
		tee.files = collect_files_sink(files);
	}
	if (o->nats_url) {
		tee.nats = collect_nats_open(o->nats_url, o->nats_stream, NULL, err, sizeof err);
		if (!tee.nats) {
			fprintf(stderr, "netcap-collect: --nats: %s\n", err);
			if (files)
				collect_files_close(files, &c.sensors);
			collector_free(&c);
			collect_nats_shutdown(2000);
			return 1;
		}
	}
	c.sink = (struct collect_sink){.batch = tee_batch, .arg = &tee};

	unsigned nthreads = o->threads ? o->threads : cpus_available();
	if (nthreads > COLLECT_MAX_THREADS)
		nthreads = COLLECT_MAX_THREADS;
	struct receiver *rx = calloc(nthreads, sizeof *rx);
	struct collect_worker **workers = calloc(nthreads, sizeof *workers);
	if (!rx || !workers) {
		fprintf(stderr, "netcap-collect: out of memory\n");
		return 1;
	}
	/* Signals go to the main thread only: block them before threads start. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	unsigned started = 0;
	rc = 0;
	/* Bound before the receive threads start: a bad address or a port in
	 * use stops the start. Its thread starts once they run. */
	struct collect_metrics metrics = {.c = &c, .w = workers};
	if (o->metrics) {
		metrics.server = metrics_server_open(o->metrics, collect_metrics_page, &metrics, err, sizeof err);
		if (!metrics.server) {
			fprintf(stderr, "netcap-collect: --metrics %s\n", err);
			rc = 1;
		}
	}
	if (!o->share_port && port_in_use(&ss, sslen)) {
		fprintf(stderr, "netcap-collect: --listen %s: the port is in use (another collector? "
				"--share-port joins it, and the kernel then spreads the sensors over both)\n",
			o->listen);
		rc = 1;
	}
	for (unsigned i = 0; i < nthreads && !rc; i++) {
		rx[i].fd = open_socket(&ss, sslen, err, sizeof err);
		if (rx[i].fd < 0) {
			fprintf(stderr, "netcap-collect: --listen %s: %s\n", o->listen, err);
			rc = 1;
			break;
		}
		rx[i].slot = max_dgram + 1;
		rx[i].bufs = malloc(rx[i].slot * COLLECT_RECV_BATCH);
		rx[i].w = workers[i] = collect_worker_new(&c);
		const char *why = !rx[i].bufs || !rx[i].w ? "out of memory"
				  : pthread_create(&rx[i].thread, NULL, receive_loop, &rx[i])
				      ? "cannot start a receive thread"
				      : NULL;
		if (why) {
			fprintf(stderr, "netcap-collect: %s\n", why);
			close(rx[i].fd);
			free(rx[i].bufs);
			collect_worker_free(rx[i].w);
			workers[i] = NULL;
			rc = 1;
			break;
		}
		started++;
	}
	metrics.n = started;
	if (!rc && metrics.server && metrics_server_start(metrics.server, NULL, err, sizeof err)) {
		fprintf(stderr, "netcap-collect: --metrics: %s\n", err);
		rc = 1;
	}
	if (!rc && !o->quiet)
		fprintf(stderr, "netcap-collect: listening on %s, %u threads, %zu sensors allowed, "
				"%s%s%s%s\n", o->listen, nthreads, c.sensors.n,
			files ? "writing " : "", files ? o->out_dir : "",
			files && tee.nats ? " and " : "", tee.nats ? "publishing to NATS" : "");
	if (!rc && o->stats_file)
		write_stats(&c, workers, started, o->stats_file);

	double next_stats = mono_seconds() + o->stats_interval;
	double next_flush = mono_seconds() + COLLECT_FLUSH_SECONDS;
	while (!rc) {
		struct timespec tick = {.tv_sec = 0, .tv_nsec = 100000000};
		int sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGHUP && files) {
			collect_files_rotate(files, &c.sensors);
			if (!o->quiet)
				fprintf(stderr, "netcap-collect: SIGHUP: files closed, new ones open on the "
						"next batch\n");
		}
		double now = mono_seconds();
		if (now >= next_flush && files) {
			collect_files_flush(files, &c.sensors);
			next_flush = now + COLLECT_FLUSH_SECONDS;
		}
		if (o->stats_interval && now >= next_stats) {
			if (!o->quiet) {
				collect_summary(&c, workers, started, stderr, "summary");
				if (tee.nats) {
					struct collect_nats_pub_stats st;
					collect_nats_pub_stats(tee.nats, &st);
					nats_summary(&st, stderr, "summary");
				}
			}
			if (o->stats_file)
				write_stats(&c, workers, started, o->stats_file);
			next_stats = now + o->stats_interval;
		}
	}
	atomic_store(&stopping, true);
	for (unsigned i = 0; i < started; i++)
		pthread_join(rx[i].thread, NULL);
	if (files)
		collect_files_close(files, &c.sensors);
	if (tee.nats) {
		/* What is still in flight gets its answer, or counts as failed. */
		struct collect_nats_pub_stats st;
		collect_nats_close(tee.nats, 5000, &st);
		collect_nats_shutdown(2000);
		nats_summary(&st, stderr, "final");
	}
	if (started) {
		collect_summary(&c, workers, started, stderr, "final");
		if (o->stats_file)
			write_stats(&c, workers, started, o->stats_file);
	}
	/* After the final summary: a last scrape sees the final counts. */
	metrics_server_close(metrics.server);
	for (unsigned i = 0; i < started; i++) {
		close(rx[i].fd);
		free(rx[i].bufs);
		collect_worker_free(workers[i]);
	}
	free(rx);
	free(workers);
	collector_free(&c);
	return rc;
}
