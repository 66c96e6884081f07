/* test_metrics.c: the Prometheus exposition writer (lib/metrics/prom.c)
 * and the metrics endpoint's HTTP request parser and server
 * (lib/metrics/http.c). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics/http.h"
#include "metrics/prom.h"

/* ---- names and escaping ---------------------------------------------------- */

Test(metrics_prom, metric_names)
{
	static const char *const good[] = { "a", "_", ":", "netcap_packets_total", "a:b_c9", "A_1" };
	static const char *const bad[] = { "", "9a", "a-b", "a b", "a.b", "ä", "a{", "a\n" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		cr_expect(prom_metric_name_ok(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect(!prom_metric_name_ok(bad[i]), "%s", bad[i]);
	cr_expect(!prom_metric_name_ok(NULL));
}

Test(metrics_prom, label_names)
{
	cr_expect(prom_label_name_ok("type"));
	cr_expect(prom_label_name_ok("_x1"));
	cr_expect(!prom_label_name_ok("__name__")); /* reserved */
	cr_expect(!prom_label_name_ok("a:b"));      /* colons: metric names only */
	cr_expect(!prom_label_name_ok("1a"));
	cr_expect(!prom_label_name_ok(""));
}

static const char *esc_label(const char *v)
{
	static char out[256];
	prom_escape_label(out, sizeof out, v);
	return out;
}

Test(metrics_prom, label_escapes)
{
	cr_expect_str_eq(esc_label("TCP"), "TCP");
	cr_expect_str_eq(esc_label("a\\b"), "a\\\\b");
	cr_expect_str_eq(esc_label("say \"hi\""), "say \\\"hi\\\"");
	cr_expect_str_eq(esc_label("two\nlines"), "two\\nlines");
	cr_expect_str_eq(esc_label("tab\tcr\rdel\x7f"), "tab?cr?del?");
	cr_expect_str_eq(esc_label(""), "");
	/* UTF-8 kept when well formed, else one '?' per bad byte. */
	cr_expect_str_eq(esc_label("Stra\xc3\x9f" "e \xf0\x9f\x98\x80"), "Stra\xc3\x9f" "e \xf0\x9f\x98\x80");
	cr_expect_str_eq(esc_label("\xc0\x80"), "??");             /* overlong NUL */
	cr_expect_str_eq(esc_label("\xed\xa0\x80"), "???");        /* a surrogate */
	cr_expect_str_eq(esc_label("\xf4\x90\x80\x80"), "????");   /* past U+10FFFF */
	cr_expect_str_eq(esc_label("x\xe2\x82"), "x??");           /* cut short */
	cr_expect_str_eq(esc_label("\xff\xfe"), "??");
	/* Cut to fit like snprintf, and the length it needed. */
	char small[4];
	cr_expect_eq(prom_escape_label(small, sizeof small, "\"\"\""), 6);
	cr_expect_str_eq(small, "\\\"\\");
}

Test(metrics_prom, help_escapes)
{
	char out[64];
	prom_escape_help(out, sizeof out, "a \"quote\" \\ and\nnewline");
	cr_expect_str_eq(out, "a \"quote\" \\\\ and\\nnewline"); /* quotes stay in HELP */
}

Test(metrics_prom, family_and_samples)
{
	struct prom_buf b;
	prom_init(&b, 1 << 20);
	cr_assert_eq(prom_family(&b, "netcap_records_total", PROM_COUNTER, "Records, by \"type\".\nSecond line \\"), 0);
	const char *l[] = { "type", "TCP", NULL };
	cr_assert_eq(prom_sample_u64(&b, "netcap_records_total", l, 18446744073709551615ull), 0);
	const char *l2[] = { "input", "a\"b\\c\nd", "lcore", "3", NULL };
	cr_assert_eq(prom_sample_u64(&b, "netcap_records_total", l2, 0), 0);
	prom_family(&b, "g", PROM_GAUGE, "");
	prom_sample_f64(&b, "g", NULL, 1.5);
	prom_sample_f64(&b, "g", NULL, 1.0 / 0.0);
	prom_sample_f64(&b, "g", NULL, -1.0 / 0.0);
	prom_sample_f64(&b, "g", NULL, 0.0 / 0.0);
	prom_family(&b, "u", PROM_UNTYPED, "x");
	cr_expect_str_eq(b.data,
			 "# HELP netcap_records_total Records, by \"type\".\\nSecond line \\\\\n"
			 "# TYPE netcap_records_total counter\n"
			 "netcap_records_total{type=\"TCP\"} 18446744073709551615\n"
			 "netcap_records_total{input=\"a\\\"b\\\\c\\nd\",lcore=\"3\"} 0\n"
			 "# HELP g \n# TYPE g gauge\n"
			 "g 1.5\ng +Inf\ng -Inf\ng NaN\n"
			 "# HELP u x\n# TYPE u untyped\n");
	cr_expect_eq(b.refused, 0);
	cr_expect(!b.failed);
	prom_free(&b);
}

Test(metrics_prom, bad_names_refused)
{
	struct prom_buf b;
	prom_init(&b, 1 << 20);
	const char *bad_label[] = { "__name__", "x", NULL };
	const char *no_value[] = { "a", NULL, NULL };
	const char *ok[] = { "a", "1", NULL };
	cr_expect_eq(prom_family(&b, "bad-name", PROM_COUNTER, "x"), -1);
	cr_expect_eq(prom_sample_u64(&b, "bad name", ok, 1), -1);
	cr_expect_eq(prom_sample_u64(&b, "good", bad_label, 1), -1);
	cr_expect_eq(prom_sample_u64(&b, "good", no_value, 1), -1);
	cr_expect_eq(b.refused, 4);
	cr_expect_eq(b.len, 0, "nothing of a refused line is written");
	prom_free(&b);
}

Test(metrics_prom, bounded)
{
	struct prom_buf b;
	prom_init(&b, 100);
	for (int i = 0; i < 20; i++)
		prom_sample_u64(&b, "netcap_something_total", NULL, (uint64_t)i);
	cr_expect(b.failed, "over the bound: failed, for a 500");
	cr_expect_leq(b.len, 99);
	cr_expect_leq(b.cap, 100);
	prom_reset(&b);
	cr_expect(!b.failed);
	prom_sample_u64(&b, "x", NULL, 1);
	cr_expect_str_eq(b.data, "x 1\n");
	prom_free(&b);
}

/* ---- the request parser ------------------------------------------------------ */

static struct metrics_request req;

static enum metrics_parse_status parse(const char *s, bool eof)
{
	return metrics_parse_request(s, strlen(s), eof, &req);
}

static int status_of(const char *s)
{
	cr_assert_eq(parse(s, false), METRICS_PARSE_DONE, "no verdict for %s", s);
	return req.status;
}

Test(metrics_http, good_requests)
{
	const char *r = "GET /metrics HTTP/1.1\r\nHost: x:9100\r\nUser-Agent: Prometheus/2.42.0\r\n"
			"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
			"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
	cr_expect_eq(status_of(r), 200);
	cr_expect_eq(req.length, strlen(r));
	cr_expect(!req.head);
	cr_expect_eq(status_of("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
	cr_expect(req.head);
	cr_expect_eq(status_of("GET /metrics HTTP/1.0\r\n\r\n"), 200, "HTTP/1.0 needs no Host");
	cr_expect_eq(status_of("GET /metrics?name[]=x HTTP/1.1\r\nHost: x\r\n\r\n"), 200, "a query is ignored");
	cr_expect_eq(status_of("GET /metrics HTTP/1.1\nHost: x\n\n"), 200, "bare LF ends lines too");
	cr_expect_eq(status_of("GET /metrics HTTP/1.1\r\nHost:x\r\nContent-Length: 0\r\n\r\n"), 200);
	/* What follows the request (pipelined) is not this request's. */
	const char *two = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /";
	cr_expect_eq(status_of(two), 200);
	cr_expect_eq(req.length, strlen(two) - 5);
}

Test(metrics_http, other_targets_and_methods)
{
	cr_expect_eq(status_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	cr_expect_eq(status_of("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	cr_expect_eq(status_of("GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	cr_expect_eq(status_of("GET http://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	cr_expect_eq(status_of("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	cr_expect_eq(status_of("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	cr_expect_eq(status_of("get /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405, "methods are case-sensitive");
}

Test(metrics_http, malformed)
{
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\r\n\r\n",                        /* 1.1 without Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",   /* two Hosts */
		"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n",
		"GET /metrics http/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics\r\n\r\n",                                  /* HTTP/0.9 */
		"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n",             /* two spaces */
		"GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n",
		" GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /met\rrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",   /* obs-fold */
		"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n",               /* no colon */
		"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",             /* space before the colon */
		"GET /metrics HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n",       /* no name */
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -0\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",        /* a bare CR */
		"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",                 /* not visible ASCII */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_eq(status_of(bad[i]), 400, "case %zu: %s", i, bad[i]);
}

Test(metrics_http, garbage_answered_at_once)
{
	/* No need to wait for the end of a request that cannot be one. */
	cr_expect_eq(parse("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false), METRICS_PARSE_DONE); /* TLS */
	cr_expect_eq(req.status, 400);
	cr_expect_eq(metrics_parse_request("GET\0/", 5, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 400);
	cr_expect_eq(parse("GET/metrics", false), METRICS_PARSE_DONE, "no space after the method");
	cr_expect_eq(req.status, 400);
	cr_expect_eq(parse("{\"json\": 1}", false), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 400);
}

Test(metrics_http, incremental)
{
	const char *r = "GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\nAccept: */*\r\n\r\n";
	size_t n = strlen(r);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(metrics_parse_request(r, i, false, &req), METRICS_PARSE_MORE, "prefix of %zu bytes", i);
		/* The client gave up there: a partial request is 400. */
		if (i) {
			cr_expect_eq(metrics_parse_request(r, i, true, &req), METRICS_PARSE_DONE);
			cr_expect_eq(req.status, 400);
		}
	}
	cr_expect_eq(metrics_parse_request(r, n, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 200);
}

Test(metrics_http, bounded)
{
	char *big = malloc(3 * METRICS_REQUEST_MAX);
	/* A request line that never ends: 414 once the bound is reached. */
	memset(big, 'a', 3 * METRICS_REQUEST_MAX);
	memcpy(big, "GET /", 5);
	cr_expect_eq(metrics_parse_request(big, METRICS_REQUEST_MAX - 1, false, &req), METRICS_PARSE_MORE);
	cr_expect_eq(metrics_parse_request(big, METRICS_REQUEST_MAX, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 414);
	cr_expect_eq(metrics_parse_request(big, 3 * METRICS_REQUEST_MAX, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 414, "what lies past the bound is not read");
	/* A header section that never ends: 431. */
	int n = snprintf(big, 3 * METRICS_REQUEST_MAX, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	while (n < 2 * METRICS_REQUEST_MAX)
		n += snprintf(big + n, (size_t)(3 * METRICS_REQUEST_MAX - n), "X-Pad: %0100d\r\n", 0);
	cr_expect_eq(metrics_parse_request(big, METRICS_REQUEST_MAX, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 431);
	/* More header fields than allowed, though short: 431. */
	n = snprintf(big, 3 * METRICS_REQUEST_MAX, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < METRICS_HEADERS_MAX; i++)
		n += snprintf(big + n, (size_t)(3 * METRICS_REQUEST_MAX - n), "A%d: b\r\n", i);
	n += snprintf(big + n, (size_t)(3 * METRICS_REQUEST_MAX - n), "\r\n");
	cr_expect_eq(metrics_parse_request(big, (size_t)n, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 431);
	/* Exactly the most fields: fine. */
	n = snprintf(big, 3 * METRICS_REQUEST_MAX, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < METRICS_HEADERS_MAX - 1; i++)
		n += snprintf(big + n, (size_t)(3 * METRICS_REQUEST_MAX - n), "A%d: b\r\n", i);
	n += snprintf(big + n, (size_t)(3 * METRICS_REQUEST_MAX - n), "\r\n");
	cr_expect_eq(metrics_parse_request(big, (size_t)n, false, &req), METRICS_PARSE_DONE);
	cr_expect_eq(req.status, 200);
	free(big);
}

/* ---- the server, over loopback ----------------------------------------------- */

static int page_calls;

static int test_page(struct prom_buf *b, void *arg)
{
	(void)arg;
	page_calls++;
	prom_family(b, "test_up", PROM_GAUGE, "Always 1.");
	prom_sample_u64(b, "test_up", NULL, 1);
	return 0;
}

/* Sends req to 127.0.0.1:port, returns what came back until close. */
static char *exchange(unsigned port, const char *request, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(send(fd, request, len, MSG_NOSIGNAL), (ssize_t)len);
	static char out[65536];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof out - 1 && (k = recv(fd, out + n, sizeof out - 1 - n, 0)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(fd);
	return out;
}

Test(metrics_http, server_round_trip)
{
	char err[256];
	cr_expect_null(metrics_server_open("127.0.0.1", test_page, NULL, err, sizeof err), "no port");
	cr_expect_null(metrics_server_open("not an address:1", test_page, NULL, err, sizeof err));
	/* A free port: the kernel's choice for a socket closed again. */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof a;
	cr_assert_eq(bind(probe, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(probe, (struct sockaddr *)&a, &alen), 0);
	close(probe);
	char addr[32];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(a.sin_port));
	struct metrics_server *s = metrics_server_open(addr, test_page, NULL, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	unsigned port = metrics_server_port(s);
	cr_assert_eq(port, ntohs(a.sin_port));
	cr_assert_eq(metrics_server_start(s, NULL, err, sizeof err), 0, "%s", err);
	const char *get = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	char *out = exchange(port, get, strlen(get));
	cr_expect(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", out);
	cr_expect(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), "%s", out);
	cr_expect(strstr(out, "Content-Length: 56\r\n"), "%s", out);
	cr_expect(strstr(out, "Connection: close\r\n"), "%s", out);
	cr_expect(strstr(out, "\r\n\r\n# HELP test_up Always 1.\n# TYPE test_up gauge\ntest_up 1\n"), "%s", out);
	const char *head = "HEAD /metrics HTTP/1.0\r\n\r\n";
	out = exchange(port, head, strlen(head));
	cr_expect(strstr(out, "Content-Length: 56\r\n"), "%s", out);
	cr_expect(!strstr(out, "test_up"), "HEAD: no body: %s", out);
	const char *other = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
	out = exchange(port, other, strlen(other));
	cr_expect(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0, "%s", out);
	const char *post = "PUT /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	out = exchange(port, post, strlen(post));
	cr_expect(strncmp(out, "HTTP/1.1 405 ", 13) == 0 && strstr(out, "Allow: GET, HEAD\r\n"), "%s", out);
	char junk[64];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 37 + 1);
	out = exchange(port, junk, sizeof junk);
	cr_expect(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "%s", out);
	char *big = malloc(METRICS_REQUEST_MAX + 100);
	memset(big, 'a', METRICS_REQUEST_MAX + 100);
	memcpy(big, "GET /", 5);
	out = exchange(port, big, METRICS_REQUEST_MAX + 100);
	cr_expect(strncmp(out, "HTTP/1.1 414 ", 13) == 0, "%s", out);
	free(big);
	cr_expect_eq(page_calls, 2, "the page is built for GET and HEAD /metrics only");
	const struct metrics_server_stats *st = metrics_server_stats(s);
	cr_expect_eq(atomic_load(&st->answers[METRICS_ANS_200]), 2);
	cr_expect_eq(atomic_load(&st->answers[METRICS_ANS_400]), 1);
	cr_expect_eq(atomic_load(&st->answers[METRICS_ANS_414]), 1);
	cr_expect_eq(atomic_load(&st->connections), 6);
	metrics_server_close(s);
}

/* Found by fuzz_metrics: a request is judged on its own bytes (a NUL after
 * its blank line does not turn a 200 into a 400), and a line that cannot
 * become a request line is 400 at any length, not 414 once it is long. */
Test(metrics_http, verdict_does_not_depend_on_the_bytes_after_or_the_cut)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /me\0\0\x01";
	struct metrics_request r;
	size_t head = strlen("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	for (size_t len = head; len <= sizeof req - 1; len++) {
		cr_assert_eq(metrics_parse_request(req, len, false, &r), METRICS_PARSE_DONE);
		cr_assert_eq(r.status, 200, "cut at %zu: %d", len, r.status);
		cr_assert_eq(r.length, head);
	}
	static char junk[METRICS_REQUEST_MAX + 16];
	memset(junk, 'a', sizeof junk);
	memcpy(junk, "Gt:", 3);
	cr_assert_eq(metrics_parse_request(junk, 100, false, &r), METRICS_PARSE_DONE);
	cr_assert_eq(r.status, 400);
	cr_assert_eq(metrics_parse_request(junk, sizeof junk, false, &r), METRICS_PARSE_DONE);
	cr_assert_eq(r.status, 400);
	/* A long but well-formed start of a request line is 414. */
	memcpy(junk, "GET /", 5);
	cr_assert_eq(metrics_parse_request(junk, sizeof junk, false, &r), METRICS_PARSE_DONE);
	cr_assert_eq(r.status, 414);
}
