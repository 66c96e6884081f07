/* test_stream.c: the TCP stream reassembler (lib/stream/stream.c), driven
 * directly with segments built here.
 *
 * A recording consumer keeps, per connection and direction, the stream as
 * it was delivered: the data bytes, each gap written "[gap N]" in place,
 * and a log of fin and end callbacks ("f0 f1 E:closed"). The tests compare
 * those to the stream the segments carried, and check the counters
 * (TCPStream events) and the pool's blocks in use.
 *
 * Covered: in-order delivery; out-of-order (three segments reversed);
 * retransmission of delivered data (counted, not redelivered); overlaps
 * with held data (same bytes, other bytes: the first wins, counted);
 * sequence numbers wrapping past 2^32; midstream pickup and its
 * orientation by port; SYN and SYN-ACK orientation (the client start taken
 * from the SYN-ACK's ack); the depth reached (gap, then delivery); the pool
 * exhausted (memory counted, gap, nothing lost but the hole); FIN after a
 * hole (flush, gaps, fin); both FINs; RST (end at once, tombstone, then
 * silent expiry); idle expiry; stream_flush; table-full eviction; the
 * consumer's ignore flag (held blocks freed); snaplen cuts; a flood of
 * 1-byte segments bounded by the depth in blocks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

#define MAX_CONNS 4
#define STREAM_BUF (1u << 20)

/* What the consumer saw of one connection. */
struct seen {
	struct stream_conn *c;
	char buf[2][STREAM_BUF];
	size_t len[2];
	char log[256];
	unsigned ends, callbacks_after_end;
	uint16_t client_port_at_end; /* the entry is reused after end() */
	uint32_t ignore_after[2];   /* set ignore[dir] once this many bytes came (0: never) */
};

static struct seen *seen;       /* MAX_CONNS of them */
static unsigned n_seen;
static struct stream_table *st;
static uint64_t ev[REASON_COUNT];
static uint32_t ignore_after_default[2];

static struct seen *seen_of(struct stream_conn *c)
{
	if (!c->app) {
		cr_assert_lt(n_seen, MAX_CONNS, "more connections than the test expects");
		struct seen *s = &seen[n_seen++];
		s->c = c;
		memcpy(s->ignore_after, ignore_after_default, sizeof s->ignore_after);
		c->app = s;
	}
	struct seen *s = c->app;
	if (s->ends)
		s->callbacks_after_end++;
	return s;
}

static void put(struct seen *s, int dir, const void *d, size_t n)
{
	cr_assert_leq(s->len[dir] + n, STREAM_BUF, "stream longer than the test buffer");
	memcpy(s->buf[dir] + s->len[dir], d, n);
	s->len[dir] += n;
}

static void on_data(void *env, struct stream_conn *c, int dir, const uint8_t *d, uint32_t n, int64_t ts)
{
	(void)env, (void)ts;
	struct seen *s = seen_of(c);
	cr_assert(dir == 0 || dir == 1);
	cr_assert_gt(n, 0);
	put(s, dir, d, n);
	if (s->ignore_after[dir] && s->len[dir] >= s->ignore_after[dir])
		c->ignore[dir] = true;
}

static void on_gap(void *env, struct stream_conn *c, int dir, uint32_t n, int64_t ts)
{
	(void)env, (void)ts;
	struct seen *s = seen_of(c);
	char t[32];
	int k = snprintf(t, sizeof t, "[gap %u]", n);
	put(s, dir, t, (size_t)k);
}

static void logf_(struct seen *s, const char *what)
{
	size_t at = strlen(s->log);
	snprintf(s->log + at, sizeof s->log - at, "%s%s", at ? " " : "", what);
}

static void on_fin(void *env, struct stream_conn *c, int dir, int64_t ts)
{
	(void)env, (void)ts;
	logf_(seen_of(c), dir ? "f1" : "f0");
}

static void on_end(void *env, struct stream_conn *c, enum stream_end_reason why, int64_t ts)
{
	(void)env, (void)ts;
	static const char *const names[] = { "E:closed", "E:idle", "E:evicted", "E:shutdown" };
	struct seen *s = seen_of(c);
	logf_(s, names[why]);
	s->ends++;
	s->client_port_at_end = c->ep.client_port;
}

static const struct stream_callbacks recorder = { on_data, on_gap, on_fin, on_end };

static void make(size_t memory, uint32_t capacity, uint32_t depth, int64_t idle_ns)
{
	struct stream_settings s = { .memory = memory, .capacity = capacity, .depth = depth, .idle_ns = idle_ns };
	st = stream_create(&s, &recorder);
	cr_assert(st);
}

static void setup(void)
{
	seen = calloc(MAX_CONNS, sizeof *seen);
	cr_assert(seen);
	n_seen = 0;
	memset(ev, 0, sizeof ev);
	memset(ignore_after_default, 0, sizeof ignore_after_default);
	st = NULL;
}

static void teardown(void)
{
	stream_free(st);
	free(seen);
}

TestSuite(stream, .init = setup, .fini = teardown);

/* ---- segments ----------------------------------------------------------- */

static const uint8_t client_ip[4] = { 10, 0, 0, 1 }, server_ip[4] = { 10, 0, 0, 2 };
#define CPORT 40000
#define SPORT 80
static int64_t now = T0;

/* A segment of connection `conn` (0..: client port CPORT + conn) from the
 * client (dir 0) or the server (dir 1). */
static struct stream_conn *seg_full(int conn, int dir, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
				    uint32_t len, uint32_t full_len)
{
	struct stream_segment s = {
		.version = 4,
		.src = dir ? server_ip : client_ip, .dst = dir ? client_ip : server_ip,
		.src_port = (uint16_t)(dir ? SPORT : CPORT + conn), .dst_port = (uint16_t)(dir ? CPORT + conn : SPORT),
		.seq = seq, .ack = ack, .flags = flags, .data = data, .len = len, .full_len = full_len, .ts = now,
	};
	return stream_segment(st, &s, NULL, ev);
}

static struct stream_conn *seg(int dir, uint8_t flags, uint32_t seq, const char *data)
{
	uint32_t n = data ? (uint32_t)strlen(data) : 0;
	return seg_full(0, dir, flags, seq, 0, data, n, n);
}

/* SYN, SYN-ACK: the client's data starts at cisn + 1, the server's at sisn + 1. */
static void handshake(int conn, uint32_t cisn, uint32_t sisn)
{
	cr_assert(seg_full(conn, 0, SYN, cisn, 0, NULL, 0, 0));
	cr_assert(seg_full(conn, 1, SYN | ACK, sisn, cisn + 1, NULL, 0, 0));
}

static size_t in_use(void)
{
	struct stream_usage u;
	stream_get_usage(st, &u);
	return u.in_use;
}

static void expect_stream(struct seen *s, int dir, const char *want)
{
	size_t n = strlen(want);
	cr_assert_eq(s->len[dir], n, "dir %d: %zu bytes delivered, want %zu: \"%.*s\"", dir, s->len[dir], n,
		     (int)(s->len[dir] < 200 ? s->len[dir] : 200), s->buf[dir]);
	cr_assert(memcmp(s->buf[dir], want, n) == 0, "dir %d: \"%.*s\", want \"%s\"", dir, (int)s->len[dir],
		  s->buf[dir], want);
}

#define C 1000u   /* client ISN */
#define SV 5000u  /* server ISN */

/* ---- tests -------------------------------------------------------------- */

Test(stream, in_order_delivery)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1, "GET / ");
	seg(0, ACK, C + 7, "HTTP/1.1\r\n");
	seg(1, ACK, SV + 1, "HTTP/1.1 200");
	cr_assert_eq(n_seen, 1);
	expect_stream(&seen[0], 0, "GET / HTTP/1.1\r\n");
	expect_stream(&seen[0], 1, "HTTP/1.1 200");
	cr_assert_eq(ev[REASON_OUT_OF_ORDER] + ev[REASON_RETRANSMISSION] + ev[REASON_GAP] + ev[REASON_MIDSTREAM], 0);
	cr_assert_eq(in_use(), 0, "in-order data must not be held");
	cr_assert_eq(seen[0].c->ep.client_port, CPORT);
	cr_assert_eq(seen[0].c->ep.server_port, SPORT);
	cr_assert(memcmp(seen[0].c->ep.client, client_ip, 4) == 0);
}

Test(stream, out_of_order_reversed)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 9, "ghi");
	seg(0, ACK, C + 5, "def!");
	cr_assert_eq(n_seen, 0, "nothing deliverable yet");
	cr_assert_eq(in_use(), 2 * BLOCK_SIZE);
	seg(0, ACK, C + 1, "abcd");
	expect_stream(&seen[0], 0, "abcddef!ghi");
	cr_assert_eq(ev[REASON_OUT_OF_ORDER], 2);
	cr_assert_eq(in_use(), 0, "blocks freed once delivered");
}

Test(stream, retransmission_not_redelivered)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1, "abc");
	seg(0, ACK, C + 1, "abc");
	cr_assert_eq(ev[REASON_RETRANSMISSION], 1);
	seg(0, ACK, C + 1, "XYZdef");   /* old part other bytes: not compared */
	cr_assert_eq(ev[REASON_RETRANSMISSION], 2);
	expect_stream(&seen[0], 0, "abcdef");
	cr_assert_eq(ev[REASON_OVERLAP], 0);
	seg(1, SYN | ACK, SV, NULL);     /* a retransmitted SYN-ACK adds nothing */
	cr_assert_eq(seen[0].len[1], 0);
}

Test(stream, overlap_same_and_different_first_wins)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1 + 4, "EFGH");
	seg(0, ACK, C + 1 + 6, "GHIJ");          /* same bytes over held */
	cr_assert_eq(ev[REASON_OVERLAP], 1);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 0);
	seg(0, ACK, C + 1 + 6, "zzzzMN");        /* other bytes over held */
	cr_assert_eq(ev[REASON_OVERLAP], 2);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 1);
	seg(0, ACK, C + 1 + 5, "FG");            /* all held already */
	cr_assert_eq(ev[REASON_OVERLAP], 3);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 0 + 1);
	cr_assert_eq(ev[REASON_RETRANSMISSION], 1);
	seg(0, ACK, C + 1, "ABCDxxxxxx");        /* in order, over held: held wins */
	cr_assert_eq(ev[REASON_OVERLAP], 4);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 2);
	expect_stream(&seen[0], 0, "ABCDEFGHIJMN");
	cr_assert_eq(in_use(), 0);
}

Test(stream, sequence_wraparound)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	uint32_t isn = 0xfffffff0u;
	handshake(0, isn, 0xfffffffeu);
	/* [isn+1, isn+11) below 2^32, [isn+11, isn+21) across it, then past */
	seg(0, ACK, isn + 21, "UVWXYZ");
	seg(0, ACK, isn + 11, "klmnopqrst");
	seg(0, ACK, isn + 1, "abcdefghij");
	expect_stream(&seen[0], 0, "abcdefghijklmnopqrstUVWXYZ");
	cr_assert_eq(ev[REASON_OUT_OF_ORDER], 2);
	seg(0, ACK, isn + 1, "abc");             /* before the wrap: old */
	cr_assert_eq(ev[REASON_RETRANSMISSION], 1);
	/* the server's ISN + 1 wraps to 0xffffffff, its data crosses 0 */
	seg(1, ACK, 0xffffffffu + 3, "cd");
	seg(1, ACK, 0xffffffffu, "ab-");
	expect_stream(&seen[0], 1, "ab-cd");
	cr_assert_eq(in_use(), 0);
}

Test(stream, midstream_pickup_orientation)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	/* The server speaks first: port 80 is the server's all the same. */
	struct stream_conn *c = seg(1, ACK, 777, "220 ready");
	cr_assert(c);
	cr_assert_eq(ev[REASON_MIDSTREAM], 1);
	cr_assert_eq(c->ep.client_port, CPORT);
	cr_assert_eq(c->ep.server_port, SPORT);
	expect_stream(&seen[0], 1, "220 ready");
	seg(0, ACK, 42, "HELO");
	expect_stream(&seen[0], 0, "HELO");
	/* Both ports high: the first sender is the client. */
	struct stream_segment s = {
		.version = 4, .src = server_ip, .dst = client_ip, .src_port = 5000, .dst_port = 6000,
		.seq = 1, .flags = ACK, .data = (const uint8_t *)"x", .len = 1, .full_len = 1, .ts = now,
	};
	c = stream_segment(st, &s, NULL, ev);
	cr_assert(c);
	cr_assert_eq(c->ep.client_port, 5000);
	cr_assert(memcmp(c->ep.client, server_ip, 4) == 0);
	cr_assert_eq(seen[1].len[0], 1, "the first sender's data is dir 0");
	/* Pure ACK, FIN, RST of an unknown connection: nothing. */
	cr_assert_null(seg_full(2, 0, ACK, 1, 0, NULL, 0, 0));
	cr_assert_null(seg_full(2, 0, FIN | ACK, 1, 0, NULL, 0, 0));
	cr_assert_null(seg_full(2, 0, RST, 1, 0, "x", 1, 1));
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_eq(u.connections, 2);
}

Test(stream, syn_synack_orientation)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	/* The SYN-ACK alone (its SYN missed): its receiver is the client, and
	 * its ack tells where the client's stream starts. */
	struct stream_conn *c = seg_full(0, 1, SYN | ACK, SV, C + 1, NULL, 0, 0);
	cr_assert(c);
	cr_assert_eq(c->ep.client_port, CPORT);
	cr_assert_eq(ev[REASON_MIDSTREAM], 0);
	/* The client's second segment comes first: held, not taken as the start. */
	seg(0, ACK, C + 1 + 6, "world");
	cr_assert_eq(n_seen, 0);
	seg(0, ACK, C + 1, "hello ");
	expect_stream(&seen[0], 0, "hello world");
	seg(1, ACK, SV + 1, "ok");
	expect_stream(&seen[0], 1, "ok");
	/* A SYN from the high port: its sender is the client even so. */
	c = seg_full(1, 0, SYN, 9, 0, NULL, 0, 0);
	cr_assert(c);
	cr_assert_eq(c->ep.client_port, CPORT + 1);
}

Test(stream, depth_overflow_gap_then_delivery)
{
	make(1 << 20, 16, 4 * BLOCK_SIZE, 60 * SEC);
	handshake(0, C, SV);
	static char data[5][1001];
	for (int i = 0; i < 5; i++) {
		memset(data[i], 'a' + i, 1000);
		data[i][1000] = 0;
	}
	for (int i = 0; i < 4; i++)
		seg(0, ACK, C + 1 + 100 + 1000 * i, data[i]);
	cr_assert_eq(in_use(), 4 * BLOCK_SIZE);
	cr_assert_eq(ev[REASON_DEPTH], 0);
	cr_assert_eq(n_seen, 0);
	seg(0, ACK, C + 1 + 100 + 1000 * 4, data[4]);   /* a fifth block: over the depth */
	cr_assert_eq(ev[REASON_DEPTH], 1);
	cr_assert_eq(ev[REASON_GAP], 1);
	char want[6000] = "[gap 100]";
	for (int i = 0; i < 5; i++)
		strcat(want, data[i]);
	expect_stream(&seen[0], 0, want);
	cr_assert_eq(in_use(), 0);
	seg(0, ACK, C + 1 + 5100, "next");            /* goes on in order */
	cr_assert_eq(seen[0].len[0], strlen(want) + 4);
}

Test(stream, pool_exhaustion_counted)
{
	/* 32 blocks for everything; a depth that would allow more. */
	make(BLOCKS_MIN_MEMORY, 16, 1 << 20, 60 * SEC);
	handshake(0, C, SV);
	handshake(1, C, SV);
	static char data[1001];
	memset(data, 'q', 1000);
	for (int i = 0; i < 20; i++)
		seg_full(0, 0, ACK, C + 1 + 10 + 1000 * i, 0, data, 1000, 1000);
	for (int i = 0; i < 20; i++)
		seg_full(1, 0, ACK, C + 1 + 10 + 1000 * i, 0, data, 1000, 1000);
	cr_assert_geq(ev[REASON_MEMORY], 1);
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_geq(u.refused, 1);
	cr_assert_leq(u.peak, u.budget);
	cr_assert_eq(u.budget, BLOCKS_MIN_MEMORY);
	/* Conn 1 ran out: its hole became a gap, all its bytes came. */
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(seen[0].c->ep.client_port, CPORT + 1);
	char t[16];
	snprintf(t, sizeof t, "[gap 10]");
	cr_assert(memcmp(seen[0].buf[0], t, strlen(t)) == 0);
	cr_assert_eq(seen[0].len[0], strlen(t) + 20 * 1000);
	stream_flush(st, NULL, ev);
	cr_assert_eq(in_use(), 0);
	cr_assert_eq(n_seen, 2);
	cr_assert_eq(seen[1].len[0], strlen(t) + 20 * 1000, "conn 0 flushed whole");
}

Test(stream, fin_with_hole_flushes)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1 + 10, "0123456789");
	cr_assert_eq(n_seen, 0);
	seg(0, FIN | ACK, C + 1 + 30, NULL);
	expect_stream(&seen[0], 0, "[gap 10]0123456789[gap 10]");
	cr_assert_str_eq(seen[0].log, "f0");
	cr_assert_eq(in_use(), 0);
	/* The server's FIN: both done, closed. */
	seg(1, FIN | ACK, SV + 1, "bye");
	expect_stream(&seen[0], 1, "bye");
	cr_assert_str_eq(seen[0].log, "f0 f1 E:closed");
	/* A FIN that only overtook the last data (nothing held) waits for it. */
	handshake(1, C, SV);
	seg_full(1, 0, FIN | ACK, C + 1 + 3, 0, NULL, 0, 0);
	cr_assert_eq(n_seen, 1);
	seg_full(1, 0, ACK, C + 1 + 8, 0, "zz", 2, 2);   /* past the FIN: held */
	cr_assert_eq(in_use(), BLOCK_SIZE);
	seg_full(1, 0, ACK, C + 1, 0, "abc", 3, 3);
	expect_stream(&seen[1], 0, "abc");
	cr_assert_str_eq(seen[1].log, "f0");
	cr_assert_eq(in_use(), 0, "bytes past the FIN dropped once it is reached");
	stream_flush(st, NULL, ev);
	expect_stream(&seen[1], 0, "abc");
	cr_assert_str_eq(seen[1].log, "f0 E:shutdown");
}

Test(stream, rst_ends_at_once_then_tombstone)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1, "abc");
	seg(1, ACK, SV + 1 + 5, "held");
	seg(1, RST | ACK, SV + 1 + 9, NULL);
	cr_assert_str_eq(seen[0].log, "E:closed");
	expect_stream(&seen[0], 1, "[gap 5]held");
	cr_assert_eq(in_use(), 0);
	uint64_t before = ev[REASON_RETRANSMISSION];
	struct stream_conn *c = seg(0, ACK, C + 4, "late");
	cr_assert(c, "the tombstone answers");
	cr_assert_eq(ev[REASON_RETRANSMISSION], before + 1);
	expect_stream(&seen[0], 0, "abc");
	cr_assert_eq(ev[REASON_MIDSTREAM], 0, "no new connection from a late segment");
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_eq(u.connections, 1);
	stream_advance(st, now + STREAM_CLOSE_LINGER_NS + 2 * SEC, NULL, ev);
	stream_get_usage(st, &u);
	cr_assert_eq(u.connections, 0);
	cr_assert_eq(seen[0].ends, 1, "no second end");
	cr_assert_eq(seen[0].callbacks_after_end, 0);
}

Test(stream, idle_expiry)
{
	make(1 << 20, 16, 64 << 10, 30 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1, "ab");
	seg(0, ACK, C + 1 + 4, "ef");
	stream_advance(st, now + 10 * SEC, NULL, ev);
	cr_assert_str_eq(seen[0].log, "", "not idle yet");
	stream_advance(st, now + 32 * SEC, NULL, ev);
	expect_stream(&seen[0], 0, "ab[gap 2]ef");
	cr_assert_str_eq(seen[0].log, "E:idle");
	cr_assert_eq(in_use(), 0);
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_eq(u.connections, 0);
}

Test(stream, flush_ends_everything)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	handshake(1, C, SV);
	seg_full(1, 1, ACK, SV + 1 + 3, 0, "xyz", 3, 3);
	stream_flush(st, NULL, ev);
	cr_assert_eq(n_seen, 2);
	for (unsigned i = 0; i < n_seen; i++)
		cr_assert_str_eq(seen[i].log, "E:shutdown");
	struct seen *one = seen[0].c->ep.client_port == CPORT + 1 ? &seen[0] : &seen[1];
	expect_stream(one, 1, "[gap 3]xyz");
	cr_assert_eq(in_use(), 0);
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_eq(u.connections, 0);
}

Test(stream, capacity_eviction)
{
	make(1 << 20, 2, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	now += 2 * SEC;
	handshake(1, C, SV);
	now += 2 * SEC;
	handshake(2, C, SV);
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_eq(u.connections, 2);
	cr_assert_eq(u.connections_max, 2);
	cr_assert_eq(u.evicted, 1);
	cr_assert_eq(n_seen, 1);
	cr_assert_str_eq(seen[0].log, "E:evicted");
	cr_assert_eq(seen[0].client_port_at_end, CPORT, "the one due soonest, not %u", seen[0].client_port_at_end);
}

Test(stream, ignore_stops_holding)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg(0, ACK, C + 1, "a");
	seg(0, ACK, C + 1 + 5, "fgh");
	seg(0, ACK, C + 1 + 10, "klm");
	cr_assert_eq(in_use(), 2 * BLOCK_SIZE);
	seen[0].c->ignore[0] = true;
	seg(0, ACK, C + 1 + 20, "uvw");     /* never held */
	cr_assert_eq(in_use(), 0, "held blocks freed once ignored");
	seg(0, ACK, C + 1 + 1, "bcde");
	expect_stream(&seen[0], 0, "a");
	/* Ignored in the data callback: the held data after that segment is
	 * not delivered, and freed. */
	seg(1, ACK, SV + 1 + 4, "efgh");
	seen[0].ignore_after[1] = 2;
	seg(1, ACK, SV + 1, "abcd");
	expect_stream(&seen[0], 1, "abcd");
	cr_assert_eq(in_use(), 0);
	/* Both ignored: the entry stays, FINs still close it. */
	seg(1, FIN | ACK, SV + 1 + 50, NULL);
	seg(0, FIN | ACK, C + 1 + 60, NULL);
	cr_assert_str_eq(seen[0].log, "E:closed");
}

Test(stream, snaplen_cut_is_gap)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	handshake(0, C, SV);
	seg_full(0, 0, ACK, C + 1, 0, "abcde", 5, 10);
	expect_stream(&seen[0], 0, "abcde[gap 5]");
	seg(0, ACK, C + 11, "klm");
	expect_stream(&seen[0], 0, "abcde[gap 5]klm");
	cr_assert_eq(ev[REASON_GAP], 1);
	/* A cut segment out of order: its captured bytes held. */
	seg_full(0, 0, ACK, C + 20, 0, "tu", 2, 6);
	seg(0, ACK, C + 14, "nopqrs");
	expect_stream(&seen[0], 0, "abcde[gap 5]klmnopqrstu");
}

Test(stream, one_byte_flood_bounded_by_depth)
{
	uint32_t depth = 8 * BLOCK_SIZE;
	make(1 << 20, 16, depth, 60 * SEC);
	handshake(0, C, SV);
	/* A hole at C+1, then 1,000 one-byte segments each one apart. */
	for (uint32_t i = 0; i < 1000; i++) {
		seg(0, ACK, C + 1 + 1 + 2 * i, "z");
		cr_assert_leq(in_use(), depth, "segment %u: %zu bytes held", i, in_use());
	}
	cr_assert_geq(ev[REASON_DEPTH], 1000 / 9);
	struct stream_usage u;
	stream_get_usage(st, &u);
	cr_assert_leq(u.peak, depth);
	stream_flush(st, NULL, ev);
	cr_assert_eq(in_use(), 0);
	/* Every captured byte came, each after a one-byte gap. */
	cr_assert_eq(seen[0].len[0], 1000 * (1 + strlen("[gap 1]")));
}

Test(stream, ipv6_and_tunnels_apart)
{
	make(1 << 20, 16, 64 << 10, 60 * SEC);
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct stream_segment s = {
		.version = 6, .src = a, .dst = b, .src_port = 50000, .dst_port = 443,
		.seq = 100, .flags = SYN, .ts = now,
	};
	struct stream_conn *c1 = stream_segment(st, &s, NULL, ev);
	s.tunnel = 7;
	struct stream_conn *c2 = stream_segment(st, &s, NULL, ev);
	cr_assert(c1 && c2 && c1 != c2, "two tenants, two connections");
	cr_assert_eq(c1->ep.version, 6);
	cr_assert(memcmp(c1->ep.server, b, 16) == 0);
	/* The reply finds the same entry. */
	struct stream_segment r = {
		.version = 6, .src = b, .dst = a, .src_port = 443, .dst_port = 50000, .tunnel = 7,
		.seq = 9, .ack = 101, .flags = SYN | ACK, .ts = now,
	};
	cr_assert_eq(stream_segment(st, &r, NULL, ev), c2);
}
