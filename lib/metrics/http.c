/* http.c: the metrics endpoint's HTTP/1.1 server and its request parser
 * (http.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "collect/netaddr.h"
#include "metrics/http.h"

/* ---- the parser ------------------------------------------------------------ */

/* RFC 9110 token characters (methods, header names). */
static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A byte a header value may hold: visible, space, tab, obs-text. */
static bool value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static enum metrics_parse_status done(struct metrics_request *r, int status, size_t length)
{
	r->status = status;
	r->length = length;
	return METRICS_PARSE_DONE;
}

/* The line at buf[from..len): its end (the '\n'), or NULL when not there
 * yet. *body_len gets its length without the "\r\n" or "\n". */
static const char *line_end(const char *buf, size_t from, size_t len, size_t *body_len)
{
	const char *nl = memchr(buf + from, '\n', len - from);
	if (!nl)
		return NULL;
	size_t n = (size_t)(nl - (buf + from));
	if (n && buf[from + n - 1] == '\r')
		n--;
	*body_len = n;
	return nl;
}

/* The request line buf[0..n): 0 and its parts, or -1 when malformed. */
static int request_line(const char *buf, size_t n, struct metrics_request *r, bool *http11,
			bool *get_or_head, bool *path_ok)
{
	const char *sp1 = memchr(buf, ' ', n);
	if (!sp1 || sp1 == buf)
		return -1;
	size_t mlen = (size_t)(sp1 - buf);
	for (size_t i = 0; i < mlen; i++)
		if (!tchar((unsigned char)buf[i]))
			return -1;
	const char *target = sp1 + 1, *end = buf + n;
	const char *sp2 = memchr(target, ' ', (size_t)(end - target));
	if (!sp2 || sp2 == target)
		return -1;
	for (const char *p = target; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return -1;
	const char *version = sp2 + 1;
	size_t vlen = (size_t)(end - version);
	if (vlen == 8 && !memcmp(version, "HTTP/1.1", 8))
		*http11 = true;
	else if (vlen == 8 && !memcmp(version, "HTTP/1.0", 8))
		*http11 = false;
	else
		return -1;
	r->head = mlen == 4 && !memcmp(buf, "HEAD", 4);
	*get_or_head = r->head || (mlen == 3 && !memcmp(buf, "GET", 3));
	size_t tlen = (size_t)(sp2 - target);
	const char *q = memchr(target, '?', tlen);
	size_t plen = q ? (size_t)(q - target) : tlen;
	*path_ok = plen == 8 && !memcmp(target, "/metrics", 8);
	return 0;
}

/* One header line buf[0..n) (not empty). 0, or -1 when malformed. */
static int header_line(const char *buf, size_t n, bool *host, bool *body)
{
	if (buf[0] == ' ' || buf[0] == '\t') /* obs-fold: refused (RFC 9112, 5.2) */
		return -1;
	const char *colon = memchr(buf, ':', n);
	if (!colon || colon == buf)
		return -1;
	size_t nlen = (size_t)(colon - buf);
	for (size_t i = 0; i < nlen; i++)
		if (!tchar((unsigned char)buf[i]))
			return -1;
	const char *v = colon + 1, *end = buf + n;
	for (const char *p = v; p < end; p++)
		if (!value_char((unsigned char)*p))
			return -1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t vlen = (size_t)(end - v);
	if (nlen == 4 && !strncasecmp(buf, "host", 4)) {
		if (*host) /* two Host fields: 400 (RFC 9112, 3.2) */
			return -1;
		*host = true;
	} else if (nlen == 14 && !strncasecmp(buf, "content-length", 14)) {
		/* No body is read: only an explicit 0 is taken. */
		if (vlen == 0 || strspn(v, "0") < vlen)
			*body = true;
	} else if (nlen == 17 && !strncasecmp(buf, "transfer-encoding", 17)) {
		*body = true;
	}
	return 0;
}

/* The position + 1 of the first NUL or bare control byte (TAB, CR and LF
 * allowed) in buf[from..to), or 0. */
static size_t control_byte(const char *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == 0 || (c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
			return i + 1;
	}
	return 0;
}

enum metrics_parse_status metrics_parse_request(const char *buf, size_t len, bool eof,
						struct metrics_request *r)
{
	*r = (struct metrics_request){ .status = 0 };
	size_t max = len < METRICS_REQUEST_MAX ? len : METRICS_REQUEST_MAX;
	size_t n, bad;
	const char *nl = line_end(buf, 0, max, &n);
	/* A NUL or a bare control byte in the request: garbage, answered at
	 * once. Only the request's own bytes are looked at (line by line, the
	 * unfinished one included), so what follows its blank line, however
	 * the reads cut it, cannot change the verdict. */
	if ((bad = control_byte(buf, 0, nl ? (size_t)(nl - buf) + 1 : max)))
		return done(r, 400, bad);
	if (!nl) {
		/* What there is must still be able to become a request line;
		 * judged before the length, so that a garbage line is 400 at any
		 * length it is cut at. */
		size_t i = 0;
		while (i < max && tchar((unsigned char)buf[i]))
			i++;
		if (i < max && buf[i] != ' ')
			return done(r, 400, max);
		if (max >= METRICS_REQUEST_MAX)
			return done(r, 414, max);
		if (eof)
			return done(r, 400, max);
		return METRICS_PARSE_MORE;
	}
	bool http11 = false, get_or_head = false, path_ok = false, host = false, body = false;
	if (memchr(buf, '\r', n) || request_line(buf, n, r, &http11, &get_or_head, &path_ok) < 0)
		return done(r, 400, (size_t)(nl - buf) + 1);
	size_t pos = (size_t)(nl - buf) + 1;
	unsigned fields = 0;
	for (;;) {
		nl = line_end(buf, pos, max, &n);
		if ((bad = control_byte(buf, pos, nl ? (size_t)(nl - buf) + 1 : max)))
			return done(r, 400, bad);
		if (!nl) {
			if (max >= METRICS_REQUEST_MAX)
				return done(r, 431, max);
			return eof ? done(r, 400, max) : METRICS_PARSE_MORE;
		}
		if (n == 0)
			break;
		if (++fields > METRICS_HEADERS_MAX)
			return done(r, 431, (size_t)(nl - buf) + 1);
		if (memchr(buf + pos, '\r', n) || header_line(buf + pos, n, &host, &body) < 0)
			return done(r, 400, (size_t)(nl - buf) + 1);
		pos = (size_t)(nl - buf) + 1;
	}
	size_t length = (size_t)(nl - buf) + 1;
	if (body || (http11 && !host))
		return done(r, 400, length);
	if (!get_or_head)
		return done(r, 405, length);
	if (!path_ok)
		return done(r, 404, length);
	return done(r, 200, length);
}

const char *metrics_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	default: return "Internal Server Error";
	}
}

static enum metrics_answer answer_index(int status)
{
	switch (status) {
	case 200: return METRICS_ANS_200;
	case 400: return METRICS_ANS_400;
	case 404: return METRICS_ANS_404;
	case 405: return METRICS_ANS_405;
	case 408: return METRICS_ANS_408;
	case 414: return METRICS_ANS_414;
	case 431: return METRICS_ANS_431;
	default: return METRICS_ANS_500;
	}
}

/* ---- the server ------------------------------------------------------------ */

enum conn_state { CONN_FREE, CONN_READING, CONN_WRITING, CONN_DRAINING };

struct conn {
	int fd;
	enum conn_state state;
	int64_t deadline;   /* ms, CLOCK_MONOTONIC */
	size_t req_len;
	char req[METRICS_REQUEST_MAX];
	char head[512];
	size_t head_len;
	struct prom_buf body; /* this scrape's page, or the error text */
	size_t sent;        /* of head and body together */
};

struct metrics_server {
	int listen_fd;
	int stop_pipe[2];
	unsigned port;
	metrics_page_fn page;
	void *arg;
	pthread_t thread;
	bool started;
	struct metrics_server_stats stats;
	struct conn conns[METRICS_CONNECTIONS];
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->state = CONN_FREE;
	prom_free(&c->body);
}

/* Sets the answer up: the page for 200, else a line of text. */
static void conn_answer(struct metrics_server *s, struct conn *c, int status, bool head)
{
	prom_init(&c->body, METRICS_PAGE_MAX);
	if (status == 200 && (s->page(&c->body, s->arg) != 0 || c->body.failed)) {
		prom_free(&c->body);
		prom_init(&c->body, METRICS_PAGE_MAX);
		status = 500;
	}
	const char *type = "text/plain; version=0.0.4; charset=utf-8";
	if (status != 200) {
		prom_printf(&c->body, "%d %s\n", status, metrics_status_text(status));
		type = "text/plain; charset=utf-8";
	}
	bump(&s->stats.answers[answer_index(status)]);
	int n = snprintf(c->head, sizeof c->head,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			 status, metrics_status_text(status), type, c->body.len,
			 status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->head_len = (size_t)n;
	if (head)
		c->body.len = 0; /* HEAD: the length of the page, not the page */
	c->sent = 0;
	c->state = CONN_WRITING;
}

/* Writes what it can; true when all of it went. */
static bool conn_write(struct conn *c)
{
	size_t total = c->head_len + c->body.len;
	while (c->sent < total) {
		struct iovec iov[2];
		int n = 0;
		if (c->sent < c->head_len)
			iov[n++] = (struct iovec){ c->head + c->sent, c->head_len - c->sent };
		size_t boff = c->sent > c->head_len ? c->sent - c->head_len : 0;
		if (c->body.len > boff)
			iov[n++] = (struct iovec){ c->body.data + boff, c->body.len - boff };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return false;
			c->sent = total; /* the client went away: nothing more to do */
			return true;
		}
		c->sent += (size_t)w;
	}
	return true;
}

/* Answered: our side shut, what the client still sends is read and
 * dropped for a moment, so that closing does not reset the connection
 * before it read the answer. */
static void conn_finish(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	prom_free(&c->body);
	c->state = CONN_DRAINING;
	int64_t linger = now_ms() + 1000;
	if (linger < c->deadline)
		c->deadline = linger;
}

static void conn_readable(struct metrics_server *s, struct conn *c)
{
	if (c->state == CONN_DRAINING) {
		char sink[4096];
		ssize_t n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			conn_close(c);
		return;
	}
	size_t room = sizeof c->req - c->req_len;
	ssize_t n = room ? recv(c->fd, c->req + c->req_len, room, MSG_DONTWAIT) : 0;
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c);
		return;
	}
	bool eof = n == 0;
	if (eof && c->req_len == 0) { /* connected, sent nothing, left */
		conn_close(c);
		return;
	}
	c->req_len += (size_t)n;
	struct metrics_request r;
	if (metrics_parse_request(c->req, c->req_len, eof, &r) == METRICS_PARSE_MORE)
		return;
	conn_answer(s, c, r.status, r.head);
	if (conn_write(c))
		conn_finish(c);
}

static void conn_timeout(struct metrics_server *s, struct conn *c)
{
	if (c->state == CONN_READING) {
		bump(&s->stats.timeouts);
		if (c->req_len) { /* a request begun: 408, if it fits at once */
			conn_answer(s, c, 408, false);
			conn_write(c);
		}
	} else if (c->state == CONN_WRITING) {
		bump(&s->stats.timeouts);
	}
	conn_close(c);
}

static void accept_some(struct metrics_server *s)
{
	for (int i = 0; i < METRICS_CONNECTIONS; i++) {
		struct conn *c = &s->conns[i];
		if (c->state != CONN_FREE)
			continue;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		bump(&s->stats.connections);
		c->fd = fd;
		c->state = CONN_READING;
		c->req_len = 0;
		c->deadline = now_ms() + METRICS_TIMEOUT_MS;
	}
}

static void *server_main(void *arg)
{
	struct metrics_server *s = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd p[2 + METRICS_CONNECTIONS];
		int map[2 + METRICS_CONNECTIONS];
		nfds_t n = 0;
		p[n++] = (struct pollfd){ .fd = s->stop_pipe[0], .events = POLLIN };
		bool room = false;
		int64_t now = now_ms(), next = -1;
		for (int i = 0; i < METRICS_CONNECTIONS; i++) {
			struct conn *c = &s->conns[i];
			if (c->state == CONN_FREE) {
				room = true;
				continue;
			}
			if (c->deadline <= now) {
				conn_timeout(s, c);
				room = true;
				continue;
			}
			if (next < 0 || c->deadline < next)
				next = c->deadline;
			map[n] = i;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = c->state == CONN_WRITING ? POLLOUT : POLLIN };
		}
		/* Full: new connections wait in the backlog. */
		if (room) {
			map[n] = -1;
			p[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		}
		int timeout = next < 0 ? -1 : (int)(next - now);
		int k = poll(p, n, timeout);
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (p[0].revents)
			break;
		for (nfds_t i = 1; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (map[i] < 0) {
				accept_some(s);
				continue;
			}
			struct conn *c = &s->conns[map[i]];
			if (c->state == CONN_WRITING) {
				if (p[i].revents & (POLLERR | POLLHUP | POLLNVAL))
					conn_close(c);
				else if (conn_write(c))
					conn_finish(c);
			} else {
				conn_readable(s, c);
			}
		}
	}
	return NULL;
}

struct metrics_server *metrics_server_open(const char *addr, metrics_page_fn page, void *arg,
					   char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char why[512];
	if (collect_parse_listen(addr, &ss, &sslen, why, sizeof why)) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	struct metrics_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", addr);
		return NULL;
	}
	s->page = page;
	s->arg = arg;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	for (int i = 0; i < METRICS_CONNECTIONS; i++)
		s->conns[i].fd = -1;
	s->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (s->listen_fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", addr, strerror(errno));
		goto fail;
	}
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(s->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(s->listen_fd, (struct sockaddr *)&ss, sslen) || listen(s->listen_fd, 16)) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		goto fail;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	if (getsockname(s->listen_fd, (struct sockaddr *)&bound, &blen) == 0)
		s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
							    : ((struct sockaddr_in *)&bound)->sin_port);
	if (pipe2(s->stop_pipe, O_CLOEXEC)) {
		snprintf(err, errlen, "%s: pipe: %s", addr, strerror(errno));
		goto fail;
	}
	return s;
fail:
	metrics_server_close(s);
	return NULL;
}

void metrics_server_set_arg(struct metrics_server *s, void *arg) { s->arg = arg; }

unsigned metrics_server_port(const struct metrics_server *s) { return s->port; }

int metrics_server_start(struct metrics_server *s, const cpu_set_t *cpus, char *err, size_t errlen)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (cpus)
		pthread_attr_setaffinity_np(&attr, sizeof *cpus, cpus);
	int rc = pthread_create(&s->thread, &attr, server_main, s);
	pthread_attr_destroy(&attr);
	if (rc) {
		snprintf(err, errlen, "cannot start the metrics thread: %s", strerror(rc));
		return -1;
	}
	pthread_setname_np(s->thread, "metrics");
	s->started = true;
	return 0;
}

void metrics_server_close(struct metrics_server *s)
{
	if (!s)
		return;
	if (s->started) {
		ssize_t w;
		do
			w = write(s->stop_pipe[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(s->thread, NULL);
	}
	for (int i = 0; i < METRICS_CONNECTIONS; i++)
		if (s->conns[i].state != CONN_FREE)
			conn_close(&s->conns[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]), close(s->stop_pipe[1]);
	free(s);
}

const struct metrics_server_stats *metrics_server_stats(const struct metrics_server *s)
{
	return &s->stats;
}

void metrics_write_server(struct prom_buf *b, const char *prefix, const struct metrics_server *s)
{
	static const char *const codes[METRICS_ANS_COUNT] = { "200", "400", "404", "405",
							      "408", "414", "431", "500" };
	char name[128];
	snprintf(name, sizeof name, "%s_metrics_connections_total", prefix);
	prom_family(b, name, PROM_COUNTER, "Connections the metrics endpoint accepted.");
	prom_sample_u64(b, name, NULL, atomic_load_explicit(&s->stats.connections, memory_order_relaxed));
	snprintf(name, sizeof name, "%s_metrics_requests_total", prefix);
	prom_family(b, name, PROM_COUNTER,
		    "Answers of the metrics endpoint by HTTP status code (this scrape not yet counted).");
	for (int i = 0; i < METRICS_ANS_COUNT; i++) {
		const char *labels[] = { "code", codes[i], NULL };
		prom_sample_u64(b, name, labels, atomic_load_explicit(&s->stats.answers[i], memory_order_relaxed));
	}
	snprintf(name, sizeof name, "%s_metrics_timeouts_total", prefix);
	prom_family(b, name, PROM_COUNTER,
		    "Connections of the metrics endpoint cut off after 5 s without a whole request or answer.");
	prom_sample_u64(b, name, NULL, atomic_load_explicit(&s->stats.timeouts, memory_order_relaxed));
}
