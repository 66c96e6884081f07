/* test_stream_app.c: the application layer over streams (lib/stream/app.c)
 * without the reassembler: protocol detection by content (and its
 * "ignore" verdict for what nobody asked for), the connection's
 * ApplicationProto, DNS over TCP's two-byte framing (several messages in
 * one delivery, one message over several, the length itself split), the
 * records' endpoints from the connection rather than the packet, gaps, and
 * the parser state returned to the pool at the end. The callbacks are
 * called as the reassembler calls them. */
#include <criterion/criterion.h>
#include <string.h>

#include "../support/frames.h"
#include "stream/app.h"
#include "stream/blocks.h"

#define T_HTTP TYPES__TYPE__NC_HTTP
#define T_CLIENT_HELLO TYPES__TYPE__NC_TLSClientHello

static struct block_pool pool;
static struct stream_conn conn;
static struct app_env env;
static const struct app_settings settings = {
	.http_head_max = APP_DEFAULT_HTTP_HEAD_MAX,
	.tls_handshake_max = APP_DEFAULT_TLS_HANDSHAKE_MAX,
};
static const int types[] = { T_DNS, T_HTTP, T_CLIENT_HELLO };

static void setup(void)
{
	setup_decoder(1 << 20, types, COUNT_OF(types));
	cr_assert_eq(block_pool_init(&pool, 1 << 20), 0);
	decode_records_begin(&ctx, &pkt, TS);
	memset(&conn, 0, sizeof conn);
	conn.ep = (struct stream_endpoints){
		.version = 4,
		.client = { 10, 0, 0, 1 },
		.server = { 10, 0, 0, 53 },
		.client_port = 40000,
		.server_port = 53,
	};
	env = (struct app_env){ .ctx = &ctx, .pkt = &pkt, .blocks = &pool, .settings = &settings };
}

static void teardown(void)
{
	block_pool_free(&pool);
	teardown_decoder();
}

TestSuite(stream_app, .init = setup, .fini = teardown);

static void deliver(int dir, const uint8_t *d, uint32_t n)
{
	app_stream_callbacks.data(&env, &conn, dir, d, n, TS);
}

static void end(void)
{
	app_stream_callbacks.end(&env, &conn, STREAM_END_SHUTDOWN, TS);
}

/* A DNS query for <label>.example with the given id, framed with its
 * two-byte length; returns the framed length. */
static uint32_t dns_query(uint8_t *out, uint16_t id, const char *label)
{
	uint8_t *m = out + 2;
	uint32_t n = 0;
	const uint8_t header[12] = { id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(m, header, sizeof header);
	n += sizeof header;
	size_t l = strlen(label);
	m[n++] = (uint8_t)l;
	memcpy(m + n, label, l);
	n += (uint32_t)l;
	m[n++] = 7;
	memcpy(m + n, "example", 7);
	n += 7;
	m[n++] = 0;
	const uint8_t tail[4] = { 0, 1, 0, 1 };   /* A, IN */
	memcpy(m + n, tail, 4);
	n += 4;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	return n + 2;
}

static const char *question(int nth)
{
	Types__DNS *r = record(T_DNS, nth);
	cr_assert(r, "no DNS record %d", nth);
	cr_assert_eq(r->n_questions, 1);
	return r->questions[0]->name;
}

Test(stream_app, dns_two_messages_in_one_delivery)
{
	uint8_t buf[256];
	uint32_t n = dns_query(buf, 1, "one");
	n += dns_query(buf + n, 2, "two");
	deliver(0, buf, n);
	cr_assert_eq(pkt.n_rec, 2);
	cr_assert_str_eq(question(0), "one.example");
	cr_assert_str_eq(question(1), "two.example");
	cr_assert_str_eq(conn.app_proto, "DNS");
	end();
	cr_assert_eq(pool.in_use, 0, "the parser's block is returned");
}

Test(stream_app, dns_message_over_several_deliveries)
{
	uint8_t buf[256];
	uint32_t n = dns_query(buf, 7, "split");
	/* The length's two bytes apart, then the message in three pieces. */
	deliver(0, buf, 1);
	deliver(0, buf + 1, 1);
	deliver(0, buf + 2, 5);
	cr_assert_eq(pkt.n_rec, 0);
	deliver(0, buf + 7, 9);
	cr_assert_eq(pkt.n_rec, 0);
	deliver(0, buf + 16, n - 16);
	cr_assert_eq(pkt.n_rec, 1);
	cr_assert_str_eq(question(0), "split.example");
	end();
	cr_assert_eq(pool.in_use, 0);
}

Test(stream_app, dns_byte_by_byte_both_directions)
{
	uint8_t q[128], r[128];
	uint32_t nq = dns_query(q, 9, "bytes");
	uint32_t nr = dns_query(r, 9, "reply");
	r[4] = 0x81;    /* QR set: a response */
	for (uint32_t i = 0; i < nq || i < nr; i++) {
		if (i < nq)
			deliver(0, q + i, 1);
		if (i < nr)
			deliver(1, r + i, 1);
	}
	cr_assert_eq(pkt.n_rec, 2);
	end();
	cr_assert_eq(pool.in_use, 0);
}

Test(stream_app, dns_endpoints_follow_the_direction)
{
	uint8_t buf[128];
	uint32_t n = dns_query(buf, 3, "dir");
	buf[4] = 0x81;
	/* The packet in hand has other addresses (an RST from the other side
	 * flushing this direction): the record names the sender of the data. */
	pkt.src_ip_str = "192.0.2.99";
	deliver(1, buf, n);
	Types__DNS *r = record(T_DNS, 0);
	cr_assert(r);
	cr_assert_str_eq(r->srcip, "10.0.0.53");
	cr_assert_str_eq(r->dstip, "10.0.0.1");
	cr_assert_eq(r->srcport, 53);
	cr_assert_eq(r->dstport, 40000);
	end();
}

Test(stream_app, dns_gap_stops_the_direction)
{
	uint8_t buf[128];
	uint32_t n = dns_query(buf, 4, "gap");
	deliver(0, buf, 6);
	app_stream_callbacks.gap(&env, &conn, 0, 100, TS);
	cr_assert(conn.ignore[0], "framing lost: the direction is not read further");
	cr_assert(!conn.ignore[1]);
	cr_assert_eq(pkt.n_rec, 0);
	(void)n;
	end();
	cr_assert_eq(pool.in_use, 0);
}

Test(stream_app, dns_empty_and_oversized_lengths)
{
	/* A zero length is skipped; 65,535 announced and never sent is
	 * counted at the end, its partial bytes returned to the pool. */
	uint8_t buf[128] = { 0, 0 };
	uint32_t n = 2 + dns_query(buf + 2, 5, "after");
	deliver(0, buf, n);
	cr_assert_eq(pkt.n_rec, 1);
	const uint8_t big[4] = { 0xff, 0xff, 1, 2 };
	deliver(0, big, sizeof big);
	cr_assert_gt(pool.in_use, 1);
	uint64_t before = ctx.stats.events[PROTO_DNS][REASON_TRUNCATED];
	end();
	cr_assert_eq(ctx.stats.events[PROTO_DNS][REASON_TRUNCATED], before + 1);
	cr_assert_eq(pool.in_use, 0);
}

Test(stream_app, unknown_protocol_is_ignored)
{
	conn.ep.server_port = 25;
	deliver(1, (const uint8_t *)"220 mail ESMTP\r\n", 16);
	cr_assert(conn.ignore[0] && conn.ignore[1]);
	cr_assert_null(conn.app_proto);
	cr_assert_null(conn.app);
	cr_assert_eq(pool.in_use, 0);
	end();
}

Test(stream_app, detected_but_not_wanted_names_the_protocol_only)
{
	decoder_enable(&ctx, T_CLIENT_HELLO, false);
	conn.ep.server_port = 8443;
	const uint8_t hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	deliver(0, hello_start, sizeof hello_start);
	cr_assert_str_eq(conn.app_proto, "TLS");
	cr_assert(conn.ignore[0] && conn.ignore[1], "no TLS record wanted: nothing held");
	cr_assert_eq(pool.in_use, 0);
	end();
}

Test(stream_app, http_on_any_port)
{
	conn.ep.server_port = 8081;
	deliver(0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16);
	cr_assert_str_eq(conn.app_proto, "HTTP");
	cr_assert(!conn.ignore[0]);
	cr_assert_not_null(conn.app);
	end();
	cr_assert_null(conn.app);
	cr_assert_eq(pool.in_use, 0);
}

Test(stream_app, pool_exhausted_at_detection)
{
	/* No block for the parser: counted, the connection ignored. */
	struct block *taken[1024];
	unsigned n = 0;
	while (n < 1024 && (taken[n] = block_get(&pool)))
		n++;
	conn.ep.server_port = 80;
	deliver(0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16);
	cr_assert_eq(ctx.stats.events[PROTO_STREAM][REASON_MEMORY], 1);
	cr_assert(conn.ignore[0] && conn.ignore[1]);
	for (unsigned i = 0; i < n; i++)
		block_put(&pool, taken[i]);
	end();
}

Test(stream_app, parser_released_when_both_directions_are_done)
{
	/* After a 101 neither direction is HTTP any more: the parser's block
	 * goes back at once (a TLS session's does after both hellos), its
	 * transaction written, the protocol still named. */
	conn.ep.server_port = 80;
	const char *req = "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
	const char *res = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
	deliver(0, (const uint8_t *)req, (uint32_t)strlen(req));
	cr_assert_not_null(conn.app);
	deliver(1, (const uint8_t *)res, (uint32_t)strlen(res));
	cr_assert(conn.ignore[0] && conn.ignore[1]);
	cr_assert_null(conn.app, "the parser's block is released before the connection ends");
	cr_assert_eq(pool.in_use, 0);
	cr_assert_str_eq(conn.app_proto, "HTTP");
	Types__HTTP *r = record(T_HTTP, 0);
	cr_assert(r);
	cr_assert_eq(r->statuscode, 101);
	end();
	cr_assert_eq(pkt.n_rec, 1, "nothing more at the end");
}

Test(stream_app, idle_http_connection_holds_its_state_only)
{
	/* Between transactions a keep-alive connection keeps one block, its
	 * parser's state: heads, kept bodies and sniffed bytes are returned. */
	conn.ep.server_port = 80;
	const char *req = "POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
	const char *res = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nworld!";
	for (int i = 0; i < 3; i++) {
		deliver(0, (const uint8_t *)req, (uint32_t)strlen(req));
		deliver(1, (const uint8_t *)res, (uint32_t)strlen(res));
	}
	cr_assert_eq(pkt.n_rec, 3);
	cr_assert_eq(pool.in_use, 1, "%u blocks held between transactions", pool.in_use);
	end();
	cr_assert_eq(pool.in_use, 0);
}
