/* test_http.c: the HTTP/1.x parser over reassembled streams
 * (lib/decode/http.c).
 *
 * Each test drives http_data/http_gap/http_fin/http_end directly, as
 * lib/stream/app.c does, with a decoder context that wants HTTP records, a
 * block pool of its own, a fake connection (client 10.0.0.1:40000, server
 * 10.0.0.2:80) and an env without a drain (records go to one packet).
 * Every chunk of input is copied to a heap block of exactly its size, so
 * AddressSanitizer sees a read past it. After http_end every test checks
 * that the parser gave all its blocks back, and every record is packed
 * (protobuf-c walks every field: a NULL string would crash it). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/http.h"
#include "stream/app.h"
#include "stream/blocks.h"

#define T0 INT64_C(1700000000000000000)
#define MS INT64_C(1000000)

static struct decoder_ctx ctx;
static struct packet *pkt;
static struct block_pool pool;
static struct app_settings settings;
static struct app_env env;
static struct stream_conn conn;
static _Alignas(16) uint8_t state_mem[BLOCK_DATA];
static struct http_state *st;
static bool ended;

static void start(void)
{
	memset(state_mem, 0, sizeof state_mem);
	st = (struct http_state *)state_mem;
	http_init(st, &settings);
	ended = false;
}

static void setup(void)
{
	cr_assert_eq(decoder_init(&ctx, 4u << 20), 0);
	decoder_enable(&ctx, TYPES__TYPE__NC_HTTP, true);
	cr_assert_eq(block_pool_init(&pool, 4u << 20), 0);
	pkt = calloc(1, sizeof *pkt);
	cr_assert(pkt);
	pkt->ts = T0;
	settings = (struct app_settings){ .http_head_max = APP_DEFAULT_HTTP_HEAD_MAX,
					  .http_body_max = 0,
					  .tls_handshake_max = APP_DEFAULT_TLS_HANDSHAKE_MAX };
	env = (struct app_env){ .ctx = &ctx, .pkt = pkt, .blocks = &pool, .settings = &settings };
	memset(&conn, 0, sizeof conn);
	conn.ep.version = 4;
	memcpy(conn.ep.client, "\x0a\x00\x00\x01", 4);
	memcpy(conn.ep.server, "\x0a\x00\x00\x02", 4);
	conn.ep.client_port = 40000;
	conn.ep.server_port = 80;
	start();
}

static void teardown(void)
{
	free(pkt);
	block_pool_free(&pool);
	decoder_free(&ctx);
}

TestSuite(http, .init = setup, .fini = teardown);

/* ---- driving the parser ------------------------------------------------ */

static void feed_bytes(int dir, const void *data, size_t n, int64_t ts)
{
	uint8_t *copy = malloc(n ? n : 1);
	cr_assert(copy);
	memcpy(copy, data, n);
	http_data(&env, &conn, st, dir, copy, (uint32_t)n, ts);
	free(copy);
}

static void feed(int dir, const char *s, int64_t ts) { feed_bytes(dir, s, strlen(s), ts); }

/* s in pieces of `piece` bytes. */
static void feed_split(int dir, const char *s, size_t piece, int64_t ts)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i += piece)
		feed_bytes(dir, s + i, n - i < piece ? n - i : piece, ts);
}

static void end(int64_t ts)
{
	http_end(&env, &conn, st, ts);
	ended = true;
	cr_assert_eq(pool.in_use, 0, "the parser kept %u blocks after http_end", pool.in_use);
}

static uint64_t events(enum decode_reason reason) { return ctx.stats.events[PROTO_HTTP][reason]; }

static unsigned n_records(void)
{
	for (unsigned i = 0; i < pkt->n_rec; i++) {
		cr_assert_eq(pkt->rec[i].type, TYPES__TYPE__NC_HTTP);
		size_t size = protobuf_c_message_get_packed_size(pkt->rec[i].msg);
		uint8_t *buf = malloc(size + 1);
		cr_assert(buf);
		cr_assert_eq(protobuf_c_message_pack(pkt->rec[i].msg, buf), size);
		free(buf);
	}
	return pkt->n_rec;
}

static Types__HTTP *rec(unsigned i)
{
	cr_assert_lt(i, n_records(), "record %u of %u", i, pkt->n_rec);
	return (Types__HTTP *)pkt->rec[i].msg;
}

static const char *req_header(const Types__HTTP *r, const char *name)
{
	for (size_t i = 0; i < r->n_requestheader; i++)
		if (strcmp(r->requestheader[i]->key, name) == 0)
			return r->requestheader[i]->value;
	return NULL;
}

static const char *res_header(const Types__HTTP *r, const char *name)
{
	for (size_t i = 0; i < r->n_responseheader; i++)
		if (strcmp(r->responseheader[i]->key, name) == 0)
			return r->responseheader[i]->value;
	return NULL;
}

static const char *param(const Types__HTTP *r, const char *name)
{
	for (size_t i = 0; i < r->n_parameters; i++)
		if (strcmp(r->parameters[i]->key, name) == 0)
			return r->parameters[i]->value;
	return NULL;
}

static void expect_bytes(ProtobufCBinaryData b, const char *s)
{
	cr_assert_eq(b.len, strlen(s), "%zu bytes, expected %zu", b.len, strlen(s));
	cr_assert(b.len == 0 || memcmp(b.data, s, b.len) == 0);
}

static const char get_req[] =
	"GET /index.html?a=1 HTTP/1.1\r\n"
	"Host: example.com\r\n"
	"User-Agent: curl/8.0\r\n"
	"Referer: http://ref.example/\r\n"
	"Cookie: sid=abc; theme=\"dark\"\r\n"
	"Accept: text/html\r\n"
	"Accept: text/plain\r\n"
	"\r\n";

static const char ok_res[] =
	"HTTP/1.1 200 OK\r\n"
	"Server: nginx\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"hello";

/* ---- detection ---------------------------------------------------------- */

Test(http, detection)
{
	cr_assert(http_is_request((const uint8_t *)"GET / HTTP/1.1", 14));
	cr_assert(http_is_request((const uint8_t *)"PO", 2));     /* a prefix may be short */
	cr_assert(http_is_request((const uint8_t *)"CONNECT ", 8));
	cr_assert_not(http_is_request((const uint8_t *)"GETX / ", 7));
	cr_assert_not(http_is_request((const uint8_t *)"\x16\x03\x01", 3));
	cr_assert_not(http_is_request((const uint8_t *)"", 0));
	cr_assert(http_is_response((const uint8_t *)"HTTP/1.1 200 OK", 15));
	cr_assert(http_is_response((const uint8_t *)"HT", 2));
	cr_assert_not(http_is_response((const uint8_t *)"HTTP/2 200", 10));
	cr_assert_lt(http_state_size, BLOCK_DATA - 15);
	end(T0);
}

/* ---- transactions ------------------------------------------------------- */

Test(http, get_200_content_length)
{
	feed(0, get_req, T0);
	cr_assert_eq(n_records(), 0, "a request waits for its response");
	feed(1, ok_res, T0 + 30 * MS);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	cr_assert_eq(r->timestamp, T0);
	cr_assert_str_eq(r->proto, "HTTP/1.1");
	cr_assert_str_eq(r->method, "GET");
	cr_assert_str_eq(r->url, "/index.html?a=1");
	cr_assert_str_eq(r->host, "example.com");
	cr_assert_str_eq(r->useragent, "curl/8.0");
	cr_assert_str_eq(r->referer, "http://ref.example/");
	cr_assert_eq(r->n_reqcookies, 2);
	cr_assert_str_eq(r->reqcookies[0]->name, "sid");
	cr_assert_str_eq(r->reqcookies[0]->value, "abc");
	cr_assert_str_eq(r->reqcookies[1]->name, "theme");
	cr_assert_str_eq(r->reqcookies[1]->value, "dark");
	cr_assert_eq(r->statuscode, 200);
	cr_assert_str_eq(r->servername, "nginx");
	cr_assert_str_eq(r->rescontenttype, "text/plain");
	cr_assert_eq(r->rescontentlength, 5);
	cr_assert_eq(r->reqcontentlength, 0);
	cr_assert_str_eq(r->srcip, "10.0.0.1");
	cr_assert_str_eq(r->dstip, "10.0.0.2");
	cr_assert_eq(r->firstbyteafter, 30 * MS);
	cr_assert_eq(r->doneafter, 30 * MS);
	cr_assert_eq(r->dnsdoneafter, 0);
	cr_assert_eq(r->tlsdoneafter, 0);
	cr_assert_str_eq(r->rescontenttypedetected, "text/plain; charset=utf-8");
	cr_assert_str_eq(r->contenttypedetected, "");
	cr_assert_eq(r->n_requestheader, 5);
	cr_assert_str_eq(req_header(r, "Accept"), "text/html, text/plain");
	cr_assert_str_eq(req_header(r, "Host"), "example.com");
	cr_assert_eq(r->n_responseheader, 3);
	cr_assert_str_eq(res_header(r, "Content-Length"), "5");
	cr_assert_str_eq(param(r, "a"), "1");
	cr_assert_eq(r->responsebody.len, 0, "bodies are off by default");
	cr_assert_not(r->truncated);
	end(T0 + 40 * MS);
	cr_assert_eq(n_records(), 1);
	cr_assert_eq(events(REASON_BAD_VALUE), 0);
}

Test(http, one_byte_calls)
{
	feed_split(0, get_req, 1, T0);
	feed_split(1, ok_res, 1, T0 + MS);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	cr_assert_str_eq(r->url, "/index.html?a=1");
	cr_assert_str_eq(r->host, "example.com");
	cr_assert_str_eq(req_header(r, "Accept"), "text/html, text/plain");
	cr_assert_eq(r->statuscode, 200);
	cr_assert_str_eq(r->servername, "nginx");
	cr_assert_eq(r->rescontentlength, 5);
	cr_assert_str_eq(r->rescontenttypedetected, "text/plain; charset=utf-8");
	end(T0 + 2 * MS);
}

Test(http, bare_lf_line_ends)
{
	feed(0, "GET /lf HTTP/1.0\nHost: a\n\n", T0);
	feed(1, "HTTP/1.0 200 OK\nContent-Length: 2\n\nok", T0 + MS);
	cr_assert_eq(n_records(), 1);
	cr_assert_str_eq(rec(0)->url, "/lf");
	cr_assert_str_eq(rec(0)->host, "a");
	cr_assert_eq(rec(0)->rescontentlength, 2);
	end(T0);
}

Test(http, pipelined_pairs_in_order)
{
	feed(0, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
		"\r\n" /* a stray empty line between messages is skipped */
		"GET /3 HTTP/1.1\r\nHost: a\r\n\r\n", T0);
	cr_assert_eq(n_records(), 0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
		"HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nxyz", T0 + MS);
	cr_assert_eq(n_records(), 3);
	cr_assert_str_eq(rec(0)->url, "/1");
	cr_assert_eq(rec(0)->statuscode, 200);
	cr_assert_str_eq(rec(1)->url, "/2");
	cr_assert_eq(rec(1)->statuscode, 404);
	cr_assert_str_eq(rec(2)->url, "/3");
	cr_assert_eq(rec(2)->statuscode, 500);
	end(T0 + 2 * MS);
	cr_assert_eq(n_records(), 3);
	cr_assert_eq(events(REASON_MIDSTREAM), 0);
}

Test(http, ninth_pipelined_request_writes_the_oldest)
{
	char buf[64];
	for (int i = 1; i <= HTTP_MAX_PENDING + 1; i++) {
		snprintf(buf, sizeof buf, "GET /%d HTTP/1.1\r\n\r\n", i);
		feed(0, buf, T0 + i);
	}
	cr_assert_eq(n_records(), 1);
	cr_assert_str_eq(rec(0)->url, "/1");
	cr_assert_eq(rec(0)->statuscode, 0);
	feed(1, "HTTP/1.1 204 No Content\r\n\r\n", T0 + MS);
	cr_assert_eq(n_records(), 2);
	cr_assert_str_eq(rec(1)->url, "/2");
	cr_assert_eq(rec(1)->statuscode, 204);
	end(T0 + 2 * MS);
	cr_assert_eq(n_records(), HTTP_MAX_PENDING + 1);
	cr_assert_str_eq(rec(HTTP_MAX_PENDING)->url, "/9");
}

static const char chunked_res[] =
	"HTTP/1.1 200 OK\r\n"
	"Transfer-Encoding: gzip, chunked\r\n"
	"\r\n"
	"5;name=value;x\r\n"
	"hello\r\n"
	"6 ; ext\r\n"
	" world\r\n"
	"0\r\n"
	"X-Trailer: t\r\n"
	"Expires: never\r\n"
	"\r\n";

Test(http, chunked_with_extensions_and_trailers)
{
	settings.http_body_max = 64;
	start();
	feed(0, "GET /c HTTP/1.1\r\n\r\n", T0);
	feed(1, chunked_res, T0 + MS);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	expect_bytes(r->responsebody, "hello world");
	cr_assert_eq(r->rescontentlength, 11);
	/* The same in 1-byte and 3-byte pieces, then a next transaction. */
	feed(0, "GET /d HTTP/1.1\r\n\r\nGET /e HTTP/1.1\r\n\r\n", T0 + 2 * MS);
	feed_split(1, chunked_res, 1, T0 + 3 * MS);
	feed_split(1, chunked_res, 3, T0 + 4 * MS);
	cr_assert_eq(n_records(), 3);
	expect_bytes(rec(1)->responsebody, "hello world");
	cr_assert_str_eq(rec(1)->url, "/d");
	expect_bytes(rec(2)->responsebody, "hello world");
	cr_assert_str_eq(rec(2)->url, "/e");
	cr_assert_eq(rec(2)->doneafter, 2 * MS);
	end(T0 + 5 * MS);
	cr_assert_eq(events(REASON_BAD_VALUE), 0);
}

Test(http, bad_chunk_size_stops_the_direction)
{
	feed(0, "GET / HTTP/1.1\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 1);
	cr_assert(conn.ignore[1]);
	cr_assert_eq(n_records(), 1, "the response is written with what was seen");
	end(T0);
}

Test(http, response_without_request)
{
	feed(1, ok_res, T0 + 5);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	cr_assert_eq(r->timestamp, T0 + 5);
	cr_assert_str_eq(r->proto, "HTTP/1.1");
	cr_assert_str_eq(r->method, "");
	cr_assert_eq(r->statuscode, 200);
	cr_assert_str_eq(r->servername, "nginx");
	cr_assert_eq(events(REASON_MIDSTREAM), 1);
	end(T0);
}

Test(http, request_without_response_written_at_end)
{
	feed(0, "POST /up HTTP/1.1\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nabc", T0);
	cr_assert_eq(n_records(), 0);
	end(T0 + MS);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	cr_assert_str_eq(r->method, "POST");
	cr_assert_str_eq(r->url, "/up");
	cr_assert_eq(r->reqcontentlength, 3);
	cr_assert_str_eq(r->contenttype, "text/plain");
	cr_assert_str_eq(r->contenttypedetected, "text/plain; charset=utf-8");
	cr_assert_eq(r->statuscode, 0);
	cr_assert_eq(r->doneafter, 0);
}

Test(http, head_over_the_cap_is_cut_and_parsing_goes_on)
{
	settings.http_head_max = 256;
	start();
	char big[1200];
	int n = snprintf(big, sizeof big, "GET /big HTTP/1.1\r\nHost: h\r\nX-Pad: ");
	memset(big + n, 'p', 1000);
	strcpy(big + n + 1000, "\r\nContent-Length: 2\r\n\r\nxy");
	feed_split(0, big, 100, T0);
	feed(0, "GET /next HTTP/1.1\r\n\r\n", T0 + 1);
	/* The response head is long too, read in place. */
	char res[1200];
	n = snprintf(res, sizeof res, "HTTP/1.1 200 OK\r\nX-Long: ");
	memset(res + n, 'q', 600);
	strcpy(res + n + 600, "\r\nContent-Length: 0\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	feed(1, res, T0 + MS);
	cr_assert_eq(n_records(), 2);
	Types__HTTP *r = rec(0);
	cr_assert(r->truncated);
	cr_assert_str_eq(r->url, "/big");
	cr_assert_str_eq(r->host, "h");
	cr_assert_eq(r->reqcontentlength, 2, "framing read past the cut");
	cr_assert_eq(r->statuscode, 200);
	cr_assert_str_eq(rec(1)->url, "/next");
	cr_assert_eq(rec(1)->statuscode, 201);
	cr_assert_not(rec(1)->truncated);
	cr_assert_geq(ctx.stats.events[PROTO_HTTP][REASON_CAPPED], 1);
	end(T0);
}

Test(http, cut_request_head_alone_marks_the_record)
{
	/* Only the request's head is over the cap: the record is still
	 * Truncated, and counted (the response does not carry it). */
	settings.http_head_max = 256;
	start();
	char big[1200];
	int n = snprintf(big, sizeof big, "GET /big HTTP/1.1\r\nHost: h\r\nX-Pad: ");
	memset(big + n, 'p', 1000);
	strcpy(big + n + 1000, "\r\n\r\n");
	feed_split(0, big, 100, T0);
	feed(1, "HTTP/1.1 204 No Content\r\n\r\n", T0 + MS);
	cr_assert_eq(n_records(), 1);
	cr_assert(rec(0)->truncated, "the request head was cut");
	cr_assert_str_eq(rec(0)->url, "/big");
	cr_assert_eq(rec(0)->statuscode, 204);
	cr_assert_eq(ctx.stats.events[PROTO_HTTP][REASON_CAPPED], 1);
	end(T0);
}

Test(http, named_headers_found_past_the_map_cap)
{
	/* 70 distinct names fill the map's 64 entries first: Host and
	 * User-Agent after them still reach their fields (no hiding a
	 * request's host behind junk headers), the map is capped. */
	char req[4096];
	int n = snprintf(req, sizeof req, "GET /x HTTP/1.1\r\n");
	for (int i = 0; i < 70; i++)
		n += snprintf(req + n, sizeof req - (size_t)n, "X-Junk-%d: j\r\n", i);
	snprintf(req + n, sizeof req - (size_t)n, "Host: late.example\r\nUser-Agent: ua\r\nX-Junk-3: again\r\n\r\n");
	feed(0, req, T0);
	feed(1, "HTTP/1.1 204 No Content\r\n\r\n", T0 + MS);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	cr_assert_str_eq(r->host, "late.example");
	cr_assert_str_eq(r->useragent, "ua");
	cr_assert_eq(r->n_requestheader, 64);
	cr_assert_str_eq(r->requestheader[3]->value, "j, again", "a repeated name's values joined");
	cr_assert(r->truncated);
	end(T0);
}

Test(http, spaces_in_the_request_target)
{
	/* Nikto's RCE probes send raw spaces; servers and tshark take the
	 * version after the last space. */
	feed(0, "GET /cgi-bin/x;cat /etc/passwd|?d=1 HTTP/1.1\r\nHost: h\r\n\r\n", T0);
	feed(1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", T0 + MS);
	cr_assert_eq(n_records(), 1);
	cr_assert_str_eq(rec(0)->url, "/cgi-bin/x;cat /etc/passwd|?d=1");
	cr_assert_str_eq(rec(0)->proto, "HTTP/1.1");
	cr_assert_eq(rec(0)->statuscode, 404);
	end(T0);
}

Test(http, long_request_target_over_calls)
{
	char req[3000];
	int n = snprintf(req, sizeof req, "GET /");
	memset(req + n, 'u', 2000);
	strcpy(req + n + 2000, "?k=v HTTP/1.1\r\nHost: h\r\n\r\n");
	feed_split(0, req, 7, T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", T0);
	cr_assert_eq(n_records(), 1);
	cr_assert_eq(strlen(rec(0)->url), 2005);
	cr_assert_str_eq(param(rec(0), "k"), "v");
	cr_assert_eq(events(REASON_BAD_VALUE), 0);
	end(T0);
}

Test(http, head_response_has_no_body)
{
	feed(0, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", T0 + MS);
	cr_assert_eq(n_records(), 2);
	cr_assert_str_eq(rec(0)->method, "HEAD");
	cr_assert_eq(rec(0)->rescontentlength, 1000);
	cr_assert_str_eq(rec(0)->rescontenttypedetected, "");
	cr_assert_str_eq(rec(1)->url, "/g");
	cr_assert_eq(rec(1)->rescontentlength, 2);
	end(T0);
}

Test(http, not_modified_and_continue)
{
	feed(0, "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", T0);
	feed(1, "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", T0 + MS);
	cr_assert_eq(n_records(), 2);
	cr_assert_eq(rec(0)->statuscode, 304);
	cr_assert_str_eq(rec(1)->url, "/b");
	cr_assert_eq(rec(1)->statuscode, 201);
	cr_assert_eq(rec(1)->reqcontentlength, 2);
	end(T0);
}

Test(http, switching_protocols_ends_http)
{
	feed(0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", T0);
	feed(1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", T0);
	cr_assert_eq(n_records(), 1);
	cr_assert_eq(rec(0)->statuscode, 101);
	cr_assert(conn.ignore[0] && conn.ignore[1]);
	feed(0, "\x81\x85garbage", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 0);
	end(T0);
	cr_assert_eq(n_records(), 1);
}

Test(http, connect_tunnel_ends_http)
{
	feed(0, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x00", T0);
	feed(1, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03", T0);
	cr_assert_eq(n_records(), 1);
	cr_assert_str_eq(rec(0)->method, "CONNECT");
	cr_assert(conn.ignore[0] && conn.ignore[1]);
	cr_assert_eq(events(REASON_BAD_VALUE), 0);
	end(T0);
}

Test(http, response_read_to_fin)
{
	feed(0, "GET / HTTP/1.0\r\n\r\n", T0);
	feed(1, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", T0 + MS);
	feed(1, "<body>hi</body></html>", T0 + 2 * MS);
	cr_assert_eq(n_records(), 0);
	http_fin(&env, &conn, st, 1, T0 + 3 * MS);
	cr_assert_eq(n_records(), 1);
	cr_assert_eq(rec(0)->rescontentlength, 28);
	cr_assert_eq(rec(0)->doneafter, 3 * MS);
	cr_assert_eq(rec(0)->firstbyteafter, MS);
	cr_assert_str_eq(rec(0)->rescontenttypedetected, "text/html; charset=utf-8");
	end(T0);
	cr_assert_eq(n_records(), 1);
}

/* ---- fields --------------------------------------------------------------- */

Test(http, set_cookie_attributes)
{
	feed(0, "GET / HTTP/1.1\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\n"
		"Set-Cookie: id=a3fWa; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=2592000; Secure; "
		"HttpOnly; SameSite=Lax; Path=/docs; Domain=example.com\r\n"
		"Set-Cookie: x=\"y\"; SameSite; Expires=Sunday, 06-Nov-94 08:49:37 GMT\r\n"
		"set-cookie: z=1; samesite=STRICT; expires=Sun Nov  6 08:49:37 1994; max-age=0\r\n"
		"Set-Cookie: w=2; SameSite=None; Expires=yesterday; Max-Age=012\r\n"
		"Set-Cookie: novalue\r\n"
		"Set-Cookie: v=3; SameSite=bogus; Expires=Wed, 21-Oct-2015 07:28:00 GMT\r\n"
		"Content-Length: 0\r\n\r\n", T0);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	cr_assert_eq(r->n_rescookies, 5, "a Set-Cookie without name=value is left out");
	Types__HTTPCookie *c = r->rescookies[0];
	cr_assert_str_eq(c->name, "id");
	cr_assert_str_eq(c->value, "a3fWa");
	cr_assert_eq(c->expires, 1445412480);
	cr_assert_eq(c->maxage, 2592000);
	cr_assert(c->secure);
	cr_assert(c->httponly);
	cr_assert_eq(c->samesite, 2);
	cr_assert_str_eq(c->path, "/docs");
	cr_assert_str_eq(c->domain, "example.com");
	c = r->rescookies[1];
	cr_assert_str_eq(c->value, "y");
	cr_assert_eq(c->samesite, 1);
	cr_assert_eq(c->expires, 784111777);
	cr_assert_not(c->secure);
	c = r->rescookies[2];
	cr_assert_eq(c->samesite, 3);
	cr_assert_eq(c->expires, 784111777);
	cr_assert_eq(c->maxage, -1);
	c = r->rescookies[3];
	cr_assert_eq(c->samesite, 4);
	cr_assert_eq(c->expires, 0);
	cr_assert_eq(c->maxage, 0, "Max-Age with a leading zero is ignored, as Go does");
	c = r->rescookies[4];
	cr_assert_str_eq(c->name, "v");
	cr_assert_eq(c->samesite, 1);
	cr_assert_eq(c->expires, 1445412480);
	cr_assert_eq(c->maxage, 0);
	end(T0);
}

Test(http, query_and_form_parameters)
{
	feed(0, "GET /s?q=hello+world&x=%41%42&x=2&empty=&bad=%zz&&flag#frag HTTP/1.1\r\n\r\n", T0);
	feed(0, "POST /f?p=1 HTTP/1.1\r\n"
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
		"Content-Length: 15\r\n\r\n"
		"a=1&b=%7E&p=two", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", T0);
	cr_assert_eq(n_records(), 2);
	Types__HTTP *r = rec(0);
	cr_assert_str_eq(param(r, "q"), "hello world");
	cr_assert_str_eq(param(r, "x"), "AB, 2");
	cr_assert_str_eq(param(r, "empty"), "");
	cr_assert_str_eq(param(r, "flag"), "");
	cr_assert_null(param(r, "bad"));
	cr_assert_eq(r->n_parameters, 4);
	r = rec(1);
	cr_assert_str_eq(param(r, "a"), "1");
	cr_assert_str_eq(param(r, "b"), "~");
	cr_assert_str_eq(param(r, "p"), "1, two");
	cr_assert_eq(r->n_parameters, 3);
	cr_assert_eq(r->requestbody.len, 0, "bodies off: the form is read, not kept");
	end(T0);
}

Test(http, bodies_kept_and_dechunked)
{
	settings.http_body_max = 8;
	start();
	feed(0, "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", T0);
	cr_assert_eq(n_records(), 1);
	Types__HTTP *r = rec(0);
	expect_bytes(r->requestbody, "abcdefgh");
	cr_assert_eq(r->reqcontentlength, 10);
	expect_bytes(r->responsebody, "01234567");
	cr_assert_eq(r->rescontentlength, 10);
	cr_assert_str_eq(r->contenttypedetected, "text/plain; charset=utf-8");
	end(T0);
}

Test(http, content_sniffing)
{
	static const uint8_t png[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n\x89PNG\r\n\x1a\n\0\0\0\x0d";
	feed(0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"
		"POST /4 HTTP/1.1\r\nContent-Length: 4\r\n\r\n\x01\x02\x03\x04"
		"GET /5 HTTP/1.1\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n \n\t<!DOCTYPE html><h", T0);
	feed_bytes(1, png, sizeof png - 1, T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nGIF8", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nPK\x03\x04zz", T0);
	cr_assert_eq(n_records(), 5);
	cr_assert_str_eq(rec(0)->rescontenttypedetected, "text/html; charset=utf-8");
	cr_assert_str_eq(rec(1)->rescontenttypedetected, "image/png");
	cr_assert_str_eq(rec(2)->rescontenttypedetected, "text/plain; charset=utf-8");
	cr_assert_str_eq(rec(3)->contenttypedetected, "application/octet-stream");
	cr_assert_str_eq(rec(3)->rescontenttypedetected, "");
	cr_assert_str_eq(rec(4)->rescontenttypedetected, "application/zip");
	end(T0);
}

/* ---- robustness ------------------------------------------------------------ */

Test(http, gap_inside_a_content_length_body)
{
	settings.http_body_max = 100;
	start();
	feed(0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", T0);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", T0);
	http_gap(&env, &conn, st, 1, 4, T0);
	feed(1, "hij", T0);
	feed(1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", T0);
	cr_assert_eq(n_records(), 2);
	expect_bytes(rec(0)->responsebody, "abc");
	cr_assert_eq(rec(0)->rescontentlength, 10);
	cr_assert_eq(rec(1)->statuscode, 404);
	cr_assert_str_eq(rec(1)->url, "/b");
	cr_assert_not(conn.ignore[1]);
	end(T0);
}

Test(http, gap_in_a_head_stops_the_direction)
{
	feed(0, "GET /a HTTP/1.1\r\nHo", T0);
	http_gap(&env, &conn, st, 0, 10, T0);
	cr_assert(conn.ignore[0]);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", T0);
	cr_assert_eq(n_records(), 1, "the waiting request still pairs");
	cr_assert_str_eq(rec(0)->url, "/a");
	/* A gap past the end of a body: the next head is lost. */
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", T0);
	http_gap(&env, &conn, st, 1, 50, T0);
	cr_assert(conn.ignore[1]);
	cr_assert_eq(n_records(), 2);
	end(T0);
}

Test(http, garbage_start_stops_the_direction)
{
	feed(0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 1);
	cr_assert(conn.ignore[0]);
	feed(1, "SSH-2.0-OpenSSH\r\n", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 2);
	cr_assert(conn.ignore[1]);
	end(T0);
	cr_assert_eq(n_records(), 0);
}

Test(http, garbage_after_a_good_request)
{
	feed(0, "GET / HTTP/1.1\r\n\r\n", T0);
	feed_split(0, "GET / HTTP/9\r\n\r\n", 2, T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 1);
	cr_assert(conn.ignore[0]);
	end(T0);
	cr_assert_eq(n_records(), 1, "the good request is written, the garbage is not");
}

Test(http, smuggling_signals_counted)
{
	/* Two differing Content-Length: bad, the direction stops. */
	feed(0, "POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 1);
	cr_assert(conn.ignore[0]);
	end(T0);
	cr_assert_eq(n_records(), 1);

	/* Both Transfer-Encoding and Content-Length: counted, chunked wins. */
	conn.ignore[0] = conn.ignore[1] = false;
	start();
	feed(0, "POST /b HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n0\r\n\r\nGET /c HTTP/1.1\r\n\r\n", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 2);
	cr_assert_not(conn.ignore[0]);
	feed(1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", T0);
	cr_assert_eq(n_records(), 3);
	cr_assert_str_eq(rec(1)->url, "/b");
	cr_assert_eq(rec(1)->reqcontentlength, 3);
	cr_assert_str_eq(rec(2)->url, "/c");
	end(T0);

	/* Content-Length that is not digits, or past 2^53. */
	conn.ignore[0] = conn.ignore[1] = false;
	start();
	feed(0, "POST /d HTTP/1.1\r\nContent-Length: +5\r\n\r\n", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 3);
	end(T0);
	conn.ignore[0] = conn.ignore[1] = false;
	start();
	feed(0, "POST /e HTTP/1.1\r\nContent-Length: 9007199254740993\r\n\r\n", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 4);
	end(T0);
	conn.ignore[0] = conn.ignore[1] = false;
	start();
	feed(0, "POST /f HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\nabcdGET /g HTTP/1.1\r\n\r\n", T0);
	cr_assert_eq(events(REASON_BAD_VALUE), 4, "a list of equal values is allowed");
	end(T0);
	cr_assert_eq(n_records(), 7);
	cr_assert_str_eq(rec(6)->url, "/g");
}

Test(http, pool_exhaustion)
{
	/* All blocks but two taken: the parser runs out on the way. */
	struct block *taken[4096];
	uint32_t n_taken = 0;
	while (pool.carved < pool.total || pool.free_list)
		taken[n_taken++] = block_get(&pool);
	for (int i = 0; i < 2; i++)
		block_put(&pool, taken[--n_taken]);
	settings.http_body_max = 4096;
	start();
	char big[6000];
	int n = snprintf(big, sizeof big, "POST /x HTTP/1.1\r\nX: ");
	memset(big + n, 'a', 3000);
	n += 3000;
	n += snprintf(big + n, sizeof big - (size_t)n, "\r\nContent-Length: 2000\r\n\r\n");
	memset(big + n, 'b', 2000);
	big[n + 2000] = '\0';
	for (int i = 0; i < 3; i++)
		feed_split(0, big, 500, T0);
	char res[3000];
	n = snprintf(res, sizeof res, "HTTP/1.1 200 OK\r\nContent-Length: 2500\r\n\r\n");
	memset(res + n, 'c', 2500);
	res[n + 2500] = '\0';
	feed_split(1, res, 700, T0);
	feed_split(1, res, 700, T0);
	cr_assert_geq(events(REASON_MEMORY), 1);
	cr_assert_eq(n_records(), 2);
	cr_assert(rec(0)->truncated || rec(1)->truncated);
	http_end(&env, &conn, st, T0);
	cr_assert_eq(pool.in_use, n_taken, "the parser kept blocks after http_end");
	cr_assert_eq(n_records(), 3);
	while (n_taken)
		block_put(&pool, taken[--n_taken]);
	cr_assert_eq(pool.in_use, 0);
}

Test(http, record_type_disabled)
{
	decoder_enable(&ctx, TYPES__TYPE__NC_HTTP, false);
	settings.http_body_max = 64;
	start();
	feed(0, get_req, T0);
	feed(0, "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", T0);
	feed(1, ok_res, T0);
	feed_split(1, chunked_res, 2, T0);
	feed(0, "GET /left HTTP/1.1\r\n\r\n", T0);
	cr_assert_eq(n_records(), 0);
	end(T0);
	cr_assert_eq(n_records(), 0);
	cr_assert_eq(events(REASON_BAD_VALUE), 0);
}

/* Outside a packet (a drain given): the record space is emptied when it
 * runs low, and records made after that must not hold what was there. */
static unsigned drained;
static void drain_check(void *arg)
{
	(void)arg;
	char want[32];
	for (unsigned i = 0; i < n_records(); i++, drained++) {
		snprintf(want, sizeof want, "/%u", drained);
		cr_assert_str_eq(((Types__HTTP *)pkt->rec[i].msg)->url, want);
		cr_assert_eq(((Types__HTTP *)pkt->rec[i].msg)->statuscode, 200);
		cr_assert_str_eq(((Types__HTTP *)pkt->rec[i].msg)->servername, "s");
	}
	memset(ctx.arena.base, 0xa5, ctx.arena.used);
	pkt->n_rec = 0;
	ctx.arena.used = 0;
}

Test(http, drain_outside_a_packet)
{
	env.drain = drain_check;
	drained = 0;
	char buf[64], res[2600];
	int n = snprintf(res, sizeof res, "HTTP/1.1 200 OK\r\nServer: s\r\nX-Pad: ");
	memset(res + n, 'p', 2100);
	strcpy(res + n + 2100, "\r\nContent-Length: 3\r\n\r\nabc");
	for (unsigned i = 0; i < 150; i++) {
		snprintf(buf, sizeof buf, "GET /%u HTTP/1.1\r\n\r\n", i);
		feed(0, buf, T0);
		/* The head over several calls and blocks: held, and copied to
		 * the arena when the record is made. */
		feed_split(1, res, 700, T0);
	}
	end(T0);
	drain_check(NULL);
	cr_assert_eq(drained, 150);
}
