/* http.h: a small HTTP/1.1 server for one page, GET /metrics in the
 * Prometheus text format (prom.h), run in a thread of its own: never on a
 * DPDK lcore, never on the packet path (docs/deployment.md, "Monitoring").
 *
 * Every byte from a client is hostile, so everything is bounded:
 *   - the request (request line and headers) is at most
 *     METRICS_REQUEST_MAX bytes: a longer request line is answered 414, a
 *     longer header section (or more than METRICS_HEADERS_MAX fields) 431,
 *     anything malformed 400 (a bare method or target, a version other
 *     than HTTP/1.0 or HTTP/1.1, control bytes, folded or nameless header
 *     lines, an HTTP/1.1 request without Host, a body: Content-Length
 *     other than 0 or any Transfer-Encoding); a method other than GET or
 *     HEAD 405, a target other than /metrics (a query is ignored) 404;
 *   - one request per connection: every answer says Connection: close;
 *   - each connection has METRICS_TIMEOUT_MS from its accept to the end of
 *     its answer (a client that sends slowly or reads slowly is cut off,
 *     with 408 if it had not finished its request);
 *   - at most METRICS_CONNECTIONS connections at once (poll over them):
 *     further ones wait in the listen backlog until one ends;
 *   - the page is built per scrape into a buffer of at most
 *     METRICS_PAGE_MAX bytes (a bigger one: 500).
 * The parser (metrics_parse_request) is separate from the sockets, for
 * the unit tests. */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/prom.h"

#define METRICS_REQUEST_MAX 8192
#define METRICS_HEADERS_MAX 64
#define METRICS_TIMEOUT_MS 5000
#define METRICS_CONNECTIONS 8
#define METRICS_PAGE_MAX (16u << 20)

/* What a request in buf[0..len) asks for. */
enum metrics_parse_status { METRICS_PARSE_MORE, METRICS_PARSE_DONE };
struct metrics_request {
	int status;     /* 200 for GET or HEAD /metrics, else the error's code */
	bool head;      /* HEAD: headers only */
	size_t length;  /* bytes of the request (through the empty line) */
};
/* METRICS_PARSE_MORE: no verdict yet, read more (len < METRICS_REQUEST_MAX
 * and nothing wrong so far). METRICS_PARSE_DONE: r says what to answer. At
 * the end of input (the client shut its side), call with eof true: an
 * unfinished request is then 400. */
enum metrics_parse_status metrics_parse_request(const char *buf, size_t len, bool eof,
						struct metrics_request *r);

/* "Bad Request", ... for a status code. */
const char *metrics_status_text(int status);

/* Builds the page: returns 0, or -1 (answered 500). Called in the
 * server's thread for every scrape. */
typedef int (*metrics_page_fn)(struct prom_buf *b, void *arg);

/* Counted by the server, read by the page (metrics_write_server). */
enum metrics_answer { METRICS_ANS_200, METRICS_ANS_400, METRICS_ANS_404, METRICS_ANS_405,
		      METRICS_ANS_408, METRICS_ANS_414, METRICS_ANS_431, METRICS_ANS_500,
		      METRICS_ANS_COUNT };
struct metrics_server_stats {
	_Atomic uint64_t connections;
	_Atomic uint64_t answers[METRICS_ANS_COUNT];
	_Atomic uint64_t timeouts;   /* connections cut at METRICS_TIMEOUT_MS */
};

struct metrics_server;

/* Binds ADDR:PORT ("127.0.0.1:9100", "[::1]:9100", "*:9100" or ":9100":
 * every IPv4 address) and listens; the thread starts with
 * metrics_server_start. Returns NULL with err naming the text. */
struct metrics_server *metrics_server_open(const char *addr, metrics_page_fn page, void *arg,
					   char *err, size_t errlen);
/* Changes the page's argument (before metrics_server_start). */
void metrics_server_set_arg(struct metrics_server *s, void *arg);
/* The port bound (the one asked for, or the kernel's choice for 0). */
unsigned metrics_server_port(const struct metrics_server *s);
/* Starts the thread (its CPUs: cpus, or the caller's when NULL; every
 * signal blocked in it). Returns 0, or -1 with err. */
int metrics_server_start(struct metrics_server *s, const cpu_set_t *cpus, char *err, size_t errlen);
/* Stops the thread (if started), closes every socket, frees s. */
void metrics_server_close(struct metrics_server *s);
const struct metrics_server_stats *metrics_server_stats(const struct metrics_server *s);

/* The server's own counters as PREFIX_metrics_connections_total,
 * PREFIX_metrics_requests_total{code="..."} and
 * PREFIX_metrics_timeouts_total. */
void metrics_write_server(struct prom_buf *b, const char *prefix, const struct metrics_server *s);

#endif
