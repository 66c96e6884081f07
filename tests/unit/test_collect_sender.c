/* test_collect_sender.c: the sensor's UDP sender (lib/collect/sender.h).
 *
 * A local UDP socket receives what the sender sends: nothing leaves before
 * a flush or a full queue, a flush is one sendmmsg, and the datagrams
 * arrive whole and in order (and, sealed, open at the other end into the
 * records that went in). Losses are made the ways a sensor meets them: a
 * port nobody listens on (ECONNREFUSED, from the ICMP error of an earlier
 * datagram) and a peer that does not keep up. Over loopback UDP a slow
 * receiver drops at its own end (loopback hands the datagram over at once,
 * so the sender's buffer never fills): the full-buffer path is driven
 * through a Unix datagram socket that nobody reads, whose queue does
 * fill and answers EAGAIN, as a full UDP send buffer does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <libdeflate.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "collect/sender.h"
#include "collect/wire.h"
#include "ncap/varint.h"
#include "netcap.pb-c.h"

TestSuite(collect_sender, .timeout = 60);

/* A UDP socket on 127.0.0.1, a free port; its address in *addr. */
static int snd_receiver(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	*addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
	socklen_t len = sizeof *addr;
	cr_assert_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static struct collect_sender *snd_new(const void *addr, socklen_t len, size_t dgram_max)
{
	char err[256] = "";
	struct collect_sender *s = collect_sender_new(addr, len, dgram_max, 0, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	return s;
}

/* Datagram i: its length and every byte derived from i. */
static size_t snd_fill(uint8_t *buf, unsigned i)
{
	size_t len = 100 + i * 7;
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k);
	return len;
}

Test(collect_sender, resolve_accepts_and_refuses)
{
	struct sockaddr_storage a;
	socklen_t l;
	char err[256];
	cr_assert_eq(collect_resolve("127.0.0.1:9", &a, &l, err, sizeof err), 0, "%s", err);
	cr_assert_eq(a.ss_family, AF_INET);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&a)->sin_port), 9);
	cr_assert_eq(collect_resolve("[::1]:65535", &a, &l, err, sizeof err), 0, "%s", err);
	cr_assert_eq(a.ss_family, AF_INET6);
	cr_assert_eq(ntohs(((struct sockaddr_in6 *)&a)->sin6_port), 65535);
	cr_assert_eq(collect_resolve("localhost:4000", &a, &l, err, sizeof err), 0, "%s", err);
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", ":80", "::1:80", "[::1]80", "[::1]", "[::1:80",
		"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1:8x",
		"127.0.0.1:99999999999999999999", "host.invalid:80",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		cr_expect_eq(collect_resolve(bad[i], &a, &l, err, sizeof err), -1, "\"%s\" accepted", bad[i]);
		cr_expect(strstr(err, bad[i]) != NULL, "the error names \"%s\": %s", bad[i], err);
	}
}

Test(collect_sender, queued_until_flushed_then_whole_and_in_order)
{
	struct sockaddr_in addr;
	int rfd = snd_receiver(&addr);
	struct collect_sender *s = snd_new(&addr, sizeof addr, 2000);
	uint8_t buf[2000], got[4000];
	for (unsigned i = 0; i < 5; i++)
		collect_sender_emit(s, buf, snd_fill(buf, i), i + 1);
	cr_assert_eq(collect_sender_queued(s), 5);
	/* Nothing left before the flush. */
	cr_assert_eq(recv(rfd, got, sizeof got, MSG_DONTWAIT), -1);
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	cr_assert_eq(collect_sender_stats(s)->sendmmsg_calls, 0);
	collect_sender_flush(s);
	cr_assert_eq(collect_sender_queued(s), 0);
	const struct collect_sender_stats *st = collect_sender_stats(s);
	cr_assert_eq(st->sendmmsg_calls, 1);
	cr_assert_eq(st->datagrams, 5);
	cr_assert_eq(st->records, 1 + 2 + 3 + 4 + 5);
	size_t bytes = 0;
	for (unsigned i = 0; i < 5; i++) {
		size_t want = snd_fill(buf, i);
		bytes += want;
		ssize_t n = recv(rfd, got, sizeof got, 0);
		cr_assert_eq(n, (ssize_t)want, "datagram %u", i);
		cr_assert_eq(memcmp(got, buf, want), 0, "datagram %u", i);
	}
	cr_assert_eq(st->bytes, bytes);
	/* An empty flush costs no system call. */
	collect_sender_flush(s);
	cr_assert_eq(st->sendmmsg_calls, 1);
	cr_assert_eq(st->full_datagrams + st->error_datagrams, 0);
	collect_sender_free(s);
	close(rfd);
}

Test(collect_sender, a_full_queue_goes_out_by_itself)
{
	struct sockaddr_in addr;
	int rfd = snd_receiver(&addr);
	struct collect_sender *s = snd_new(&addr, sizeof addr, 1452);
	uint8_t buf[1452], got[2000];
	for (unsigned i = 0; i < COLLECT_SENDER_QUEUE + 1; i++)
		collect_sender_emit(s, buf, snd_fill(buf, i % 100), 1);
	/* The 33rd found the queue full: the 32 went out in one call. */
	cr_assert_eq(collect_sender_queued(s), 1);
	cr_assert_eq(collect_sender_stats(s)->sendmmsg_calls, 1);
	cr_assert_eq(collect_sender_stats(s)->datagrams, COLLECT_SENDER_QUEUE);
	/* Freeing flushes the last one. */
	collect_sender_free(s);
	for (unsigned i = 0; i < COLLECT_SENDER_QUEUE + 1; i++)
		cr_assert_eq(recv(rfd, got, sizeof got, 0), (ssize_t)snd_fill(buf, i % 100), "datagram %u", i);
	close(rfd);
}

Test(collect_sender, oversized_datagram_is_an_error_not_a_crash)
{
	struct sockaddr_in addr;
	int rfd = snd_receiver(&addr);
	struct collect_sender *s = snd_new(&addr, sizeof addr, 600);
	uint8_t buf[2000] = { 0 };
	collect_sender_emit(s, buf, 601, 9);
	cr_assert_eq(collect_sender_queued(s), 0);
	cr_assert_eq(collect_sender_stats(s)->error_datagrams, 1);
	cr_assert_eq(collect_sender_stats(s)->error_records, 9);
	cr_assert_eq(collect_sender_stats(s)->last_errno, EMSGSIZE);
	collect_sender_free(s);
	close(rfd);
}

/* Nobody listens: the first datagram leaves, its ICMP port unreachable
 * comes back, and the kernel reports it on the next send instead of
 * sending that datagram: counted lost with its records, never retried. */
Test(collect_sender, refused_is_counted_as_lost)
{
	struct sockaddr_in addr;
	int rfd = snd_receiver(&addr);
	close(rfd); /* the port is now closed */
	struct collect_sender *s = snd_new(&addr, sizeof addr, 1452);
	uint8_t buf[1452];
	const struct collect_sender_stats *st = collect_sender_stats(s);
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 4; i++)
			collect_sender_emit(s, buf, snd_fill(buf, i), 3);
		collect_sender_flush(s);
		cr_assert_eq(collect_sender_queued(s), 0);
		if (st->error_datagrams)
			break;
		usleep(10 * 1000); /* the ICMP error on its way back */
	}
	cr_assert_gt(st->error_datagrams, 0);
	cr_assert_eq(st->last_errno, ECONNREFUSED);
	cr_assert_eq(st->error_records, 3 * st->error_datagrams);
	cr_assert_eq(st->full_datagrams, 0);
	cr_assert_eq(st->datagrams * 3, st->records);
	collect_sender_free(s);
}

/* A peer that never reads: its queue fills and the non-blocking sender
 * gets EAGAIN at once; what did not go is lost, the flush returns, and a
 * later flush tries again from an empty queue. */
Test(collect_sender, full_peer_never_blocks_and_counts_loss)
{
	int rfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_geq(rfd, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int n = snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "netcap-sender-test-%d", (int)getpid());
	socklen_t ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	cr_assert_eq(bind(rfd, (struct sockaddr *)&un, ulen), 0);
	struct collect_sender *s = snd_new(&un, ulen, 1452);
	uint8_t buf[1452];
	const unsigned total = 10 * COLLECT_SENDER_QUEUE;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < total; i++)
		collect_sender_emit(s, buf, 1400, 2);
	collect_sender_flush(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	const struct collect_sender_stats *st = collect_sender_stats(s);
	cr_assert_gt(st->full_datagrams, 0, "the peer's queue never filled");
	cr_assert_eq(st->datagrams + st->full_datagrams, total);
	cr_assert_eq(st->records + st->full_records, 2 * total);
	cr_assert_eq(st->error_datagrams, 0);
	cr_assert(st->last_errno == EAGAIN || st->last_errno == EWOULDBLOCK || st->last_errno == ENOBUFS);
	/* One failed call per queue at most: the rest of a full queue is not
	 * tried once the buffer said full. */
	cr_assert_leq(st->sendmmsg_calls, 2 * (total / COLLECT_SENDER_QUEUE) + 1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(secs, 1.0, "sending took %.3f s: it must never wait", secs);
	/* Room again: what is sent now arrives. */
	uint8_t got[2000];
	while (recv(rfd, got, sizeof got, MSG_DONTWAIT) > 0)
		;
	uint64_t before = st->datagrams;
	collect_sender_emit(s, buf, 1400, 2);
	collect_sender_flush(s);
	cr_assert_eq(st->datagrams, before + 1);
	collect_sender_free(s);
	close(rfd);
}

/* Sealed records through the sender and a real socket: what arrives opens
 * into the very records, in order, with consecutive sequence numbers. */
Test(collect_sender, sealed_records_arrive_and_open)
{
	cr_assert(sodium_init() >= 0);
	struct collect_keypair sensor, collector;
	crypto_box_keypair(sensor.pk, sensor.sk);
	crypto_box_keypair(collector.pk, collector.sk);
	uint8_t shared[COLLECT_SHARED_BYTES];
	cr_assert_eq(collect_shared_key(shared, sensor.pk, &collector), 0);
	char err[256] = "";
	struct collect_sealer *sealer = collect_sealer_new(&sensor, collector.pk, "snd-test", "netcap", 5,
							   COLLECT_DGRAM_DEFAULT, err, sizeof err);
	cr_assert_not_null(sealer, "%s", err);

	/* 2000 framed UDP records, each with a different port. */
	size_t cap = 1 << 20, len = 0;
	uint8_t *in = malloc(cap);
	for (int i = 0; i < 2000; i++) {
		Types__UDP u = TYPES__UDP__INIT;
		u.timestamp = 1700000000000000000LL + i;
		u.srcport = i;
		u.dstport = 53;
		u.srcip = "192.0.2.1";
		size_t n = types__udp__get_packed_size(&u);
		len += ncap_varint_put(in + len, n);
		types__udp__pack(&u, in + len);
		len += n;
	}
	struct sockaddr_in addr;
	int rfd = snd_receiver(&addr);
	struct collect_sender *s = snd_new(&addr, sizeof addr, COLLECT_DGRAM_DEFAULT);
	_Atomic uint64_t seq = 0;
	struct collect_seal_stats sst = { 0 };
	collect_seal_records(sealer, TYPES__TYPE__NC_UDP, in, len, &seq, collect_sender_emit, s, &sst);
	collect_sender_flush(s);
	const struct collect_sender_stats *st = collect_sender_stats(s);
	cr_assert_eq(st->datagrams, sst.datagrams);
	cr_assert_eq(st->records, 2000);
	cr_assert_eq(sst.records, 2000);
	cr_assert_eq(st->full_datagrams + st->error_datagrams, 0);

	struct libdeflate_decompressor *dec = libdeflate_alloc_decompressor();
	uint8_t *plain = malloc(COLLECT_DGRAM_MAX), *batch = malloc(COLLECT_BATCH_MAX), *out = malloc(cap);
	uint8_t d[COLLECT_DGRAM_MAX];
	size_t out_len = 0;
	uint64_t records = 0;
	for (uint64_t i = 0; i < sst.datagrams; i++) {
		ssize_t n = recv(rfd, d, sizeof d, 0);
		cr_assert_gt(n, 0, "datagram %" PRIu64 " did not arrive", i);
		cr_assert_leq((size_t)n, COLLECT_DGRAM_DEFAULT);
		const uint8_t *pk;
		cr_assert_eq(collect_peek(d, (size_t)n, COLLECT_DGRAM_MAX, &pk), COLLECT_ACCEPT);
		struct collect_opened o;
		cr_assert_eq(collect_open(d, (size_t)n, shared, plain, COLLECT_DGRAM_MAX, &o), COLLECT_ACCEPT);
		cr_assert_eq(o.seq, i + 1);
		cr_assert_eq(o.epoch, 5);
		uint32_t k;
		cr_assert_eq(collect_unpack_batch(dec, o.type, o.flags, o.payload, o.payload_len, o.inflated_len,
						  batch, COLLECT_BATCH_MAX, &k),
			     COLLECT_ACCEPT);
		memcpy(out + out_len, batch, o.inflated_len);
		out_len += o.inflated_len;
		records += k;
	}
	cr_assert_eq(records, 2000);
	cr_assert_eq(out_len, len);
	cr_assert_eq(memcmp(out, in, len), 0);
	libdeflate_free_decompressor(dec);
	free(plain);
	free(batch);
	free(out);
	free(in);
	collect_sender_free(s);
	collect_sealer_free(sealer);
	close(rfd);
}
