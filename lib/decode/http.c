/* http.c: HTTP/1.x over reassembled TCP streams (HTTP records; the
 * specification is http.h's top comment).
 *
 * Each direction is a state machine fed the stream's bytes in order:
 *   IDLE        between messages (empty lines skipped, RFC 9112 2.2)
 *   HEAD        start line and header lines, up to an empty line (CRLF
 *               or bare LF line ends)
 *   BODY_LEN    a Content-Length body, skipped by count
 *   BODY_EOF    a response body delimited by the end of the connection
 *   CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER: the chunked coding
 *   OPAQUE      the client's bytes after a CONNECT request (a tunnel)
 *   DEAD        nothing more is parsed (c->ignore[dir] set)
 * Lines (head, chunk-size, trailer) are taken where they lie in the
 * caller's data when they lie whole in one call; a line that goes on in a
 * later call collects its first HTTP_LINE_MAX bytes in the state, so the
 * framing headers (Content-Length, Transfer-Encoding) are read as their
 * lines end and nothing held is ever scanned again.
 *
 * What outlives a call, in blocks of the stream pool (blocks.h):
 *   req_heads   the raw heads of the requests waiting for their response,
 *               back to back, each cut at http_head_max
 *   req_bodies  the first `keep` bytes of each waiting request's
 *               body (de-chunked): the record's RequestBody, the sniffed
 *               ContentTypeDetected and form parameters
 *   res_head    the response head being read, when its message does not
 *               end in the call it began in (else it is read in place)
 *   res_body    the first `keep` bytes of the response body
 * where keep is the larger of http_body_max and the HTTP_SNIFF bytes
 * content sniffing reads. A refused block is counted (HTTP/memory), marks
 * the record Truncated and only shortens what the record keeps. At most
 * HTTP_MAX_PENDING requests wait: the first byte of one more writes the
 * oldest without its response.
 *
 * The record is made when a response ends (its body read, or at FIN or
 * the end of the connection for a body read to the end), from the oldest
 * waiting request, whose stored head is parsed again then; all record
 * parsing (maps, cookies, parameters, dates) is done on that flat copy, in
 * one or two passes over it. Maps (headers by name, a repeated name's
 * values joined with ", "; parameters by decoded key, the same), cookie
 * lists and parameter lists keep at most HTTP_MAX_ENTRIES entries; a cut
 * there or a head cut at http_head_max is counted HTTP/capped and marks
 * the record Truncated. A response with no request waiting (the
 * capture began in the middle of the connection, or more than
 * HTTP_MAX_PENDING requests were pipelined) gives a record of its own
 * fields only, counted as HTTP/midstream. Requests left at the end give
 * records without response fields.
 *
 * Framing choices (RFC 9112 6): Transfer-Encoding whose last coding is
 * chunked wins over Content-Length (both present: counted HTTP/bad-value,
 * a request smuggling signal); Content-Length must be digits (a list of
 * equal values is allowed), at most 2^53, and several differing ones are
 * bad: counted HTTP/bad-value, the message ends at its head and the
 * direction stops, as a server would close it. A request with another
 * Transfer-Encoding is bad the same way; a response with one is read to
 * the end of the connection. No body: responses to HEAD, 1xx, 204, 304,
 * and requests with neither header. 100 Continue and other 1xx but 101
 * are skipped (the final response pairs). 101 Switching Protocols and a
 * 2xx to CONNECT end HTTP on the connection (both directions ignored).
 *
 * After a CONNECT request the client's bytes are a tunnel's, whatever the
 * answer: not parsed (OPAQUE).
 *
 * Gaps: inside a body of known length (Content-Length, a chunk's data) a
 * gap only shortens what is skipped (the kept body stops there); a gap
 * past it, while reading a head or in chunked framing, ends parsing of
 * that direction (counted HTTP/gap when a message was being read; a
 * response whose head was read is written with what was seen). Garbage
 * where a head should start (a start line that does not begin like a
 * request, or "HTTP/", or does not parse) is counted HTTP/bad-value and
 * stops that direction: no resynchronisation scan.
 *
 * Not done: obsolete line folding (a header line starting with a space or
 * tab is skipped in the record), HTTP/2 (a connection preface is garbage
 * here), Content-Encoding (bodies are kept as on the wire). */
#include <assert.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/http.h"
#include "stream/blocks.h"

#define HTTP_LINE_MAX 256           /* bytes of a line held across calls */
#define HTTP_CHUNK_LINE_MAX 4096    /* a chunk-size line with extensions */
#define HTTP_SNIFF 512              /* body bytes content sniffing reads */
#define HTTP_MAX_ENTRIES 64         /* headers, cookies, parameters per record */
#define HTTP_METHOD_MAX 32          /* a longer first token is not a method */
#define HTTP_MAX_NUMBER (UINT64_C(1) << 53)

enum http_phase {
	PH_IDLE, PH_HEAD, PH_BODY_LEN, PH_BODY_EOF, PH_CHUNK_SIZE, PH_CHUNK_DATA,
	PH_CHUNK_END, PH_TRAILER, PH_OPAQUE, PH_DEAD,
};

enum http_method_kind { M_OTHER, M_HEAD, M_CONNECT };

/* A request waiting for its response. */
struct http_req {
	int64_t ts;                 /* its first byte */
	uint32_t seq;               /* pairs a response with it */
	uint32_t head_len;          /* its bytes at the front of req_heads */
	uint32_t body_kept;         /* its bytes at the front of req_bodies */
	uint32_t body_len;          /* body bytes seen, de-chunked (saturating) */
	uint8_t method;             /* enum http_method_kind */
	bool complete;              /* its body has been read */
	bool head_cut;              /* head longer than http_head_max */
	bool lost;                  /* pool exhausted: head or body kept short */
	bool body_short;            /* the kept body is not the whole body */
	bool invalid;               /* its start line was garbage: no record */
	bool has_cl;                /* framed by Content-Length ... */
	uint32_t content_length;    /* ... of this value (saturating) */
};

/* One direction's reading. */
struct http_dir {
	uint8_t phase;              /* enum http_phase */
	bool first_line_done;       /* the message's start line was read */
	bool head_cut, lost;        /* as http_req's, for the message being read */
	bool body_short;
	bool chunked, te_seen, has_cl, bad_framing;
	bool paired;                /* response: pairs with request seq */
	bool no_body;               /* response: its request was HEAD */
	bool connect;               /* response: its request was CONNECT */
	uint8_t method;             /* request: enum http_method_kind */
	uint16_t status;            /* response */
	uint32_t seq;               /* request: its entry; response: its request's */
	uint32_t line_len;          /* bytes of the current line so far (saturating) */
	uint32_t head_len;          /* bytes of the head so far (saturating) */
	uint32_t held;              /* head bytes stored (res_head or the request's) */
	uint32_t trailer_len;
	uint64_t content_length;
	uint64_t remaining;         /* body or chunk bytes left */
	uint64_t body_len;          /* body bytes seen, de-chunked */
	uint32_t body_kept;
	int64_t ts_first, ts_last;
	uint8_t line[HTTP_LINE_MAX];
};

struct http_state {
	const struct app_settings *settings;
	uint32_t head_max, body_max, keep;
	uint32_t next_seq;
	struct bytebuf req_heads, req_bodies, res_head, res_body;
	struct http_req pend[HTTP_MAX_PENDING];
	uint8_t pend_first, pend_count;
	struct http_dir dir[2];
};

/* app.c keeps the state in a block after a 16-byte head of its own. */
static_assert(sizeof(struct http_state) <= BLOCK_DATA - 16, "http_state must fit in a pool block");
const uint32_t http_state_size = sizeof(struct http_state);

/* What one http_data call knows of a response head read in place: a head
 * that begins in the call is not stored unless its message outlives it. */
struct http_call {
	const uint8_t *d;
	bool head_here;             /* dir 1's head began in this call, unstored */
	uint32_t head_at;           /* its offset in d */
	uint32_t head_end;          /* its end (once read) */
};

/* ---- small text helpers --------------------------------------------- */

struct span {
	const uint8_t *p;
	uint32_t n;
};

static inline uint8_t lower(uint8_t b) { return b >= 'A' && b <= 'Z' ? b + 32 : b; }

static bool span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

static bool span_ieq_span(struct span a, struct span b)
{
	if (a.n != b.n)
		return false;
	for (uint32_t i = 0; i < a.n; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return false;
	return true;
}

static bool is_ows(uint8_t b) { return b == ' ' || b == '\t'; }
static bool is_digit(uint8_t b) { return b >= '0' && b <= '9'; }
static bool is_alnum(uint8_t b) { return is_digit(b) || (lower(b) >= 'a' && lower(b) <= 'z'); }

static struct span trim(struct span s)
{
	while (s.n && is_ows(s.p[0]))
		s.p++, s.n--;
	while (s.n && is_ows(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Splits s at the first sep: head before it (s itself when none), s after. */
static struct span cut(struct span *s, uint8_t sep, bool *found)
{
	const uint8_t *at = s->n ? memchr(s->p, sep, s->n) : NULL;
	struct span head = { s->p, at ? (uint32_t)(at - s->p) : s->n };
	if (found)
		*found = at != NULL;
	if (at) {
		s->n -= head.n + 1;
		s->p = at + 1;
	} else if (s->n) {
		s->p += s->n;
		s->n = 0;
	}
	return head;
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(uint8_t b)
{
	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'))
		return true;
	return b && strchr("!#$%&'*+-.^_`|~", b);
}

static const char *const known_methods[] = {
	"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ", "OPTIONS ", "TRACE ", "PATCH ",
};

bool http_is_request(const uint8_t *d, uint32_t n)
{
	if (!d || !n)
		return false;
	for (size_t m = 0; m < sizeof known_methods / sizeof *known_methods; m++) {
		size_t len = strlen(known_methods[m]);
		if (memcmp(d, known_methods[m], n < len ? n : len) == 0)
			return true;
	}
	return false;
}

bool http_is_response(const uint8_t *d, uint32_t n)
{
	static const char prefix[] = "HTTP/1.";
	if (!d || !n)
		return false;
	return memcmp(d, prefix, n < sizeof prefix - 1 ? n : sizeof prefix - 1) == 0;
}

/* ---- start lines ------------------------------------------------------ */

/* Can line (its first n bytes so far) begin a message of direction dir?
 * Checked while a start line arrives, so garbage stops the direction
 * before a whole head's worth of it is scanned. */
static bool start_prefix_ok(const uint8_t *p, uint32_t n, int dir)
{
	if (dir == 1) {
		static const char http[] = "HTTP/";
		return memcmp(p, http, n < 5 ? n : 5) == 0;
	}
	for (uint32_t i = 0; i < n && i <= HTTP_METHOD_MAX; i++) {
		if (p[i] == ' ')
			return i > 0;
		if (!is_tchar(p[i]))
			return false;
	}
	return n <= HTTP_METHOD_MAX;
}

static bool version_ok(struct span v)
{
	return v.n == 8 && memcmp(v.p, "HTTP/", 5) == 0 && v.p[5] >= '0' && v.p[5] <= '9' &&
	       v.p[6] == '.' && v.p[7] >= '0' && v.p[7] <= '9';
}

struct start_line {
	struct span a, b, c;        /* method, target, version / version, code, reason */
	uint16_t status;
};

/* A request line: method SP request-target SP HTTP-version. The version
 * is taken after the last space, so a target with raw spaces in it (an
 * attack tool's "GET /cgi-bin/x;cat /etc/passwd HTTP/1.1", which servers
 * and tshark accept) still makes a record, its target as sent. */
static bool parse_request_line(struct span line, struct start_line *sl)
{
	bool f1;
	sl->a = cut(&line, ' ', &f1);
	uint32_t last = line.n;
	while (last > 0 && line.p[last - 1] != ' ')
		last--;
	if (!f1 || last == 0)
		return false;
	sl->b = (struct span){ .p = line.p, .n = last - 1 };
	sl->c = (struct span){ .p = line.p + last, .n = line.n - last };
	if (!sl->a.n || sl->a.n > HTTP_METHOD_MAX || !sl->b.n || !version_ok(sl->c))
		return false;
	for (uint32_t i = 0; i < sl->a.n; i++)
		if (!is_tchar(sl->a.p[i]))
			return false;
	return true;
}

/* A status line: HTTP-version SP 3DIGIT SP reason (the reason may be
 * missing with its space, as some servers send). */
static bool parse_status_line(struct span line, struct start_line *sl)
{
	sl->a = cut(&line, ' ', NULL);
	sl->b = cut(&line, ' ', NULL);
	sl->c = line;
	if (!version_ok(sl->a) || sl->b.n != 3)
		return false;
	uint16_t code = 0;
	for (int i = 0; i < 3; i++) {
		if (sl->b.p[i] < '0' || sl->b.p[i] > '9')
			return false;
		code = (uint16_t)(code * 10 + (sl->b.p[i] - '0'));
	}
	if (code < 100)
		return false;
	sl->status = code;
	return true;
}

/* ---- numbers and framing headers -------------------------------------- */

/* Decimal digits only, at most 2^53. */
static bool parse_decimal(struct span s, uint64_t *v)
{
	if (!s.n || s.n > 16)
		return false;
	uint64_t x = 0;
	for (uint32_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (x > HTTP_MAX_NUMBER)
		return false;
	*v = x;
	return true;
}

static int hex_digit(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	b = lower(b);
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	return -1;
}

/* A chunk-size line: hex digits, then optional whitespace and extensions
 * (";name=value"), which are not kept. */
static bool parse_chunk_size(struct span s, uint64_t *v)
{
	uint64_t x = 0;
	uint32_t i = 0;
	for (; i < s.n && hex_digit(s.p[i]) >= 0; i++) {
		if (i == 14)
			return false;  /* more than 2^53 */
		x = x << 4 | (uint64_t)hex_digit(s.p[i]);
	}
	if (i == 0)
		return false;
	struct span rest = trim((struct span){ s.p + i, s.n - i });
	if (rest.n && rest.p[0] != ';')
		return false;
	*v = x;
	return true;
}

static void bad(struct app_env *env) { decode_note(env->ctx, PROTO_HTTP, REASON_BAD_VALUE); }

/* A header line of the head being read: notes the framing headers.
 * cut_line: the line was longer than what is held of it. */
static void framing_header(struct app_env *env, struct http_dir *h, struct span line, bool cut_line)
{
	bool colon;
	struct span value = line;
	struct span name = cut(&value, ':', &colon);
	if (!colon)
		return;
	bool is_cl = span_ieq(name, "content-length"), is_te = span_ieq(name, "transfer-encoding");
	if (!is_cl && !is_te)
		return;
	if (cut_line) {
		bad(env);
		h->bad_framing = true;
		return;
	}
	if (is_te) {
		/* The last coding of the last Transfer-Encoding decides. */
		struct span last = { 0 };
		while (value.n)
			last = trim(cut(&value, ',', NULL));
		h->te_seen = true;
		h->chunked = span_ieq(last, "chunked");
		return;
	}
	/* Content-Length: "5" or a list of equal values "5, 5" (RFC 9110
	 * 8.6); anything else, or a value differing from an earlier one, is
	 * the ambiguity request smuggling lives on. */
	bool any = false;
	while (value.n || !any) {
		struct span item = trim(cut(&value, ',', NULL));
		uint64_t v;
		if (!parse_decimal(item, &v) || (h->has_cl && v != h->content_length)) {
			bad(env);
			h->bad_framing = true;
			return;
		}
		h->has_cl = true;
		h->content_length = v;
		any = true;
	}
}

/* ---- the queue of waiting requests ------------------------------------ */

static struct http_req *pend_at(struct http_state *s, unsigned i)
{
	return &s->pend[(s->pend_first + i) % HTTP_MAX_PENDING];
}

/* The request dir 0 is reading, when still queued. */
static struct http_req *current_request(struct http_state *s)
{
	if (!s->pend_count)
		return NULL;
	struct http_req *r = pend_at(s, s->pend_count - 1u);
	return r->seq == s->dir[0].seq ? r : NULL;
}

static void pend_pop(struct app_env *env, struct http_state *s)
{
	struct http_req *r = pend_at(s, 0);
	bytebuf_consume(env->blocks, &s->req_heads, r->head_len);
	bytebuf_consume(env->blocks, &s->req_bodies, r->body_kept);
	s->pend_first = (uint8_t)((s->pend_first + 1u) % HTTP_MAX_PENDING);
	s->pend_count--;
}

/* ---- content sniffing (WHATWG MIME Sniffing, as Go's DetectContentType) */

static bool has_prefix(const uint8_t *d, uint32_t n, const char *sig, uint32_t len)
{
	return n >= len && memcmp(d, sig, len) == 0;
}

static bool is_ws(uint8_t b) { return b == '\t' || b == '\n' || b == '\x0c' || b == '\r' || b == ' '; }

static const char *sniff(const uint8_t *d, uint32_t n)
{
	static const char *const html_tags[] = {
		"<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT",
		"<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--",
	};
	if (!n)
		return "";
	if (n > HTTP_SNIFF)
		n = HTTP_SNIFF;
	uint32_t ws = 0;
	while (ws < n && is_ws(d[ws]))
		ws++;
	const uint8_t *t = d + ws;
	uint32_t tn = n - ws;
	for (size_t i = 0; i < sizeof html_tags / sizeof *html_tags; i++) {
		uint32_t len = (uint32_t)strlen(html_tags[i]);
		if (tn <= len)
			continue;
		uint32_t k = 0;
		while (k < len && (uint8_t)html_tags[i][k] ==
			(html_tags[i][k] >= 'A' && html_tags[i][k] <= 'Z' ? (uint8_t)(t[k] & 0xdf) : t[k]))
			k++;
		if (k == len && (t[len] == ' ' || t[len] == '>'))
			return "text/html; charset=utf-8";
	}
	if (has_prefix(t, tn, "<?xml", 5))
		return "text/xml; charset=utf-8";
	if (has_prefix(d, n, "%PDF-", 5))
		return "application/pdf";
	if (has_prefix(d, n, "%!PS-Adobe-", 11))
		return "application/postscript";
	if (has_prefix(d, n, "\xfe\xff", 2))
		return "text/plain; charset=utf-16be";
	if (has_prefix(d, n, "\xff\xfe", 2))
		return "text/plain; charset=utf-16le";
	if (has_prefix(d, n, "\xef\xbb\xbf", 3))
		return "text/plain; charset=utf-8";
	if (has_prefix(d, n, "\x00\x00\x01\x00", 4) || has_prefix(d, n, "\x00\x00\x02\x00", 4))
		return "image/x-icon";
	if (has_prefix(d, n, "BM", 2))
		return "image/bmp";
	if (has_prefix(d, n, "GIF87a", 6) || has_prefix(d, n, "GIF89a", 6))
		return "image/gif";
	if (n >= 14 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBPVP", 6) == 0)
		return "image/webp";
	if (has_prefix(d, n, "\x89PNG\x0d\x0a\x1a\x0a", 8))
		return "image/png";
	if (has_prefix(d, n, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WAVE", 4) == 0)
		return "audio/wave";
	if (has_prefix(d, n, "OggS\x00", 5))
		return "application/ogg";
	if (has_prefix(d, n, "ID3", 3))
		return "audio/mpeg";
	if (has_prefix(d, n, "\x1a\x45\xdf\xa3", 4))
		return "video/webm";
	if (n >= 12) {
		/* ISO base media: a first box "ftyp" whose brands include mp4. */
		uint32_t box = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
		if (box <= n && box % 4 == 0 && memcmp(d + 4, "ftyp", 4) == 0)
			for (uint32_t st = 8; st + 3 <= box; st += 4)
				if (st != 12 && memcmp(d + st, "mp4", 3) == 0)
					return "video/mp4";
	}
	if (has_prefix(d, n, "\x1f\x8b\x08", 3))
		return "application/x-gzip";
	if (has_prefix(d, n, "PK\x03\x04", 4))
		return "application/zip";
	if (has_prefix(d, n, "Rar!\x1a\x07\x00", 7) || has_prefix(d, n, "Rar!\x1a\x07\x01\x00", 8))
		return "application/x-rar-compressed";
	if (has_prefix(d, n, "\x00\x61\x73\x6d", 4))
		return "application/wasm";
	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = d[i];
		if (b <= 0x08 || b == 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f))
			return "application/octet-stream";
	}
	return "text/plain; charset=utf-8";
}

/* ---- dates (Set-Cookie Expires) --------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned mp = m > 2 ? m - 3 : m + 9;
	unsigned doy = (153 * mp + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* An HTTP date as Unix seconds, 0 when it does not parse. The RFC 6265
 * 5.1.1 cookie-date algorithm, which reads IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 ...") and asctime ("Sun Nov
 * 6 08:49:37 1994") alike: tokens split at delimiters, the first of each
 * kind (time, day, month, year) taken. */
static uint64_t parse_http_date(struct span s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int hh = -1, mi = 0, ss = 0, day = -1, mon = -1, year = -1;
	uint32_t i = 0;
	while (i < s.n) {
		while (i < s.n && !(is_alnum(s.p[i]) || s.p[i] == ':'))
			i++;
		uint32_t start = i;
		while (i < s.n && (is_alnum(s.p[i]) || s.p[i] == ':'))
			i++;
		struct span tok = { s.p + start, i - start };
		if (!tok.n)
			continue;
		uint32_t digits = 0;
		while (digits < tok.n && digits < 5 && is_digit(tok.p[digits]))
			digits++;
		if (hh < 0 && digits >= 1 && digits <= 2 && memchr(tok.p, ':', tok.n)) {
			int part[3] = { 0 }, k = 0, len = 0;
			bool ok = true;
			for (uint32_t j = 0; j < tok.n && ok; j++) {
				if (tok.p[j] == ':') {
					ok = len >= 1 && ++k < 3;
					len = 0;
				} else if (is_digit(tok.p[j]) && len < 2) {
					part[k] = part[k] * 10 + (tok.p[j] - '0');
					len++;
				} else {
					ok = false;
				}
			}
			if (ok && k == 2 && len >= 1) {
				hh = part[0], mi = part[1], ss = part[2];
				continue;
			}
		}
		if (day < 0 && digits >= 1 && digits <= 2 && digits == tok.n) {
			day = tok.n == 1 ? tok.p[0] - '0' : (tok.p[0] - '0') * 10 + tok.p[1] - '0';
			continue;
		}
		if (mon < 0 && tok.n >= 3) {
			bool found = false;
			for (int m = 0; m < 12 && !found; m++)
				if (lower(tok.p[0]) == months[3 * m] && lower(tok.p[1]) == months[3 * m + 1] &&
				    lower(tok.p[2]) == months[3 * m + 2]) {
					mon = m + 1;
					found = true;
				}
			if (found)
				continue;
		}
		if (year < 0 && digits >= 2 && digits <= 4 && digits == tok.n) {
			year = 0;
			for (uint32_t j = 0; j < digits; j++)
				year = year * 10 + (tok.p[j] - '0');
			if (year >= 70 && year <= 99)
				year += 1900;
			else if (year <= 69 && digits <= 2)
				year += 2000;
		}
	}
	if (hh < 0 || day < 1 || day > 31 || mon < 0 || year < 1970 || hh > 23 || mi > 59 || ss > 59)
		return 0;
	int64_t t = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hh * 3600 + mi * 60 + ss;
	return t > 0 ? (uint64_t)t : 0;
}

/* ---- record text ------------------------------------------------------ */

static char *text(struct app_env *env, struct span s)
{
	if (!s.n)
		return (char *)protobuf_c_empty_string;
	return arena_strndup(&env->ctx->arena, (const char *)s.p, s.n);
}

/* A head's lines: the start line first, then header lines, up to an empty
 * line or the end of what is held (a cut head ends mid-line). */
struct lines {
	struct span rest;
};

static bool next_line(struct lines *l, struct span *line)
{
	if (!l->rest.n)
		return false;
	bool lf;
	*line = cut(&l->rest, '\n', &lf);
	if (line->n && line->p[line->n - 1] == '\r')
		line->n--;
	if (!line->n) {
		l->rest.n = 0;
		return false;
	}
	return true;
}

/* Percent-decoding of a query component ("+" is a space), as Go's
 * url.QueryUnescape; false on a bad escape. out: s.n bytes at least. */
static bool unescape(struct span s, uint8_t *out, uint32_t *n)
{
	uint32_t o = 0;
	for (uint32_t i = 0; i < s.n; i++) {
		uint8_t b = s.p[i];
		if (b == '%') {
			if (i + 2 >= s.n)
				return false;
			int hi = hex_digit(s.p[i + 1]), lo = hex_digit(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			b = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else if (b == '+') {
			b = ' ';
		}
		out[o++] = b;
	}
	*n = o;
	return true;
}

/* Key/value entries of a map field before they are placed in the record:
 * a repeated key's values joined with ", " (headers by name regardless of
 * case, parameters by their decoded key). */
struct kv {
	struct span key;
	char *value;                /* once built */
	uint32_t count, total;      /* values, their joined length */
	struct span first;          /* the first value */
};

/* The entries, and an open-addressing index over them (entry + 1; 0:
 * empty), so that a head of thousands of header lines costs one probe per
 * line, not a walk of the entries (the worst-case benchmark's 149-header
 * request spent most of its time there). The hash is not keyed: colliding
 * names cost at most HTTP_MAX_ENTRIES probes, the walk they replace. */
#define KV_SLOTS (4 * HTTP_MAX_ENTRIES)
struct kvset {
	struct kv e[HTTP_MAX_ENTRIES];
	uint32_t n;
	bool capped;
	uint8_t slot[KV_SLOTS];
};

static void kv_reset(struct kvset *k)
{
	k->n = 0;
	k->capped = false;
	memset(k->slot, 0, sizeof k->slot);
}

static uint32_t kv_hash(struct span key, bool fold_case)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (uint32_t i = 0; i < key.n; i++)
		h = (h ^ (fold_case ? lower(key.p[i]) : key.p[i])) * 16777619u;
	return h;
}

static bool kv_same(struct span a, struct span b, bool fold_case)
{
	return fold_case ? span_ieq_span(a, b) : (a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
}

/* The entry of key, or NULL with *free_slot the index slot to take. */
static struct kv *kv_lookup(struct kvset *k, struct span key, bool fold_case, uint32_t *free_slot)
{
	uint32_t i = kv_hash(key, fold_case) % KV_SLOTS;
	for (;; i = (i + 1) % KV_SLOTS) {
		if (!k->slot[i]) {
			*free_slot = i;
			return NULL;
		}
		struct kv *e = &k->e[k->slot[i] - 1];
		if (kv_same(e->key, key, fold_case))
			return e;
	}
}

static struct kv *kv_find(struct kvset *k, struct span key, bool fold_case)
{
	uint32_t unused;
	return kv_lookup(k, key, fold_case, &unused);
}

/* Counts one value of key (first pass); false when the set is full. */
static bool kv_add(struct kvset *k, struct span key, struct span value, bool fold_case)
{
	uint32_t free_slot;
	struct kv *e = kv_lookup(k, key, fold_case, &free_slot);
	if (!e) {
		if (k->n == HTTP_MAX_ENTRIES) {
			k->capped = true;
			return false;
		}
		k->slot[free_slot] = (uint8_t)(k->n + 1);
		e = &k->e[k->n++];
		*e = (struct kv){ .key = key, .first = value };
	}
	e->total += (e->count ? 2 : 0) + value.n;
	e->count++;
	return true;
}

/* Allocates the joined values: single ones copied now, repeated ones sized
 * for kv_join, which appends them in a second pass. */
static void kv_alloc(struct app_env *env, struct kvset *k)
{
	for (uint32_t i = 0; i < k->n; i++) {
		struct kv *e = &k->e[i];
		if (e->count == 1) {
			e->value = text(env, e->first);
		} else {
			e->value = arena_alloc(&env->ctx->arena, e->total + 1u);
			if (e->value)
				e->value[0] = '\0';
			e->total = 0;   /* now: bytes written */
		}
	}
}

static void kv_join(struct kvset *k, struct span key, struct span value, bool fold_case)
{
	struct kv *e = kv_find(k, key, fold_case);
	if (!e || e->count == 1 || !e->value)
		return;
	if (e->total) {
		memcpy(e->value + e->total, ", ", 2);
		e->total += 2;
	}
	memcpy(e->value + e->total, value.p, value.n);
	e->total += value.n;
	e->value[e->total] = '\0';
}

static void kv_finish(struct kvset *k)
{
	for (uint32_t i = 0; i < k->n; i++)
		if (!k->e[i].value)
			k->e[i].value = (char *)protobuf_c_empty_string;
}

/* The header lines of a head (after its start line): name and trimmed
 * value; folded continuation lines and lines without a colon skipped. */
static bool next_header(struct lines *l, struct span *name, struct span *value)
{
	struct span line;
	while (next_line(l, &line)) {
		if (is_ows(line.p[0]))
			continue;
		bool colon;
		*value = line;
		*name = cut(value, ':', &colon);
		if (!colon || !name->n)
			continue;
		*value = trim(*value);
		return true;
	}
	return false;
}

/* The map of a head's headers, built in two passes. */
static void header_map(struct app_env *env, struct span head, struct kvset *k)
{
	struct lines l = { head };
	struct span line, name, value;
	kv_reset(k);
	if (!next_line(&l, &line))
		return;
	struct lines start = l;
	uint32_t lines = 0;
	while (next_header(&l, &name, &value)) {
		kv_add(k, name, value, true);
		lines++;
	}
	kv_alloc(env, k);
	if (lines > k->n) {   /* a name came more than once: join its values */
		l = start;
		while (next_header(&l, &name, &value))
			kv_join(k, name, value, true);
	}
	kv_finish(k);
}

/* The first header of each name in names (lower case, n of them) into
 * out[], empty spans for those absent: one pass over the head, whatever
 * its length (a header past the map's cap is still found). */
static void header_values(struct span head, const char *const *names, struct span *out, unsigned n)
{
	struct lines l = { head };
	struct span line, name, value;
	unsigned found = 0;
	for (unsigned i = 0; i < n; i++)
		out[i] = (struct span){ 0 };
	if (!next_line(&l, &line))
		return;
	while (found < n && next_header(&l, &name, &value))
		for (unsigned i = 0; i < n; i++)
			if (!out[i].p && span_ieq(name, names[i])) {
				out[i] = value;
				found++;
				break;
			}
}

static void fill_header_entries(struct app_env *env, Types__HTTP *r, struct kvset *k, bool response)
{
	if (!k->n)
		return;
	if (response) {
		Types__HTTP__ResponseHeaderEntry **e = (Types__HTTP__ResponseHeaderEntry **)record_array(
			env->ctx, env->pkt, &types__http__response_header_entry__descriptor, k->n);
		if (!e)
			return;
		for (uint32_t i = 0; i < k->n; i++)
			e[i]->key = text(env, k->e[i].key), e[i]->value = k->e[i].value;
		r->responseheader = e;
		r->n_responseheader = k->n;
	} else {
		Types__HTTP__RequestHeaderEntry **e = (Types__HTTP__RequestHeaderEntry **)record_array(
			env->ctx, env->pkt, &types__http__request_header_entry__descriptor, k->n);
		if (!e)
			return;
		for (uint32_t i = 0; i < k->n; i++)
			e[i]->key = text(env, k->e[i].key), e[i]->value = k->e[i].value;
		r->requestheader = e;
		r->n_requestheader = k->n;
	}
}

/* ---- cookies ------------------------------------------------------------ */

/* A cookie value without its surrounding double quotes (as Go keeps it). */
static struct span unquote(struct span v)
{
	if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"')
		v.p++, v.n -= 2;
	return v;
}

/* Cookie headers: "a=b; c=d" pairs, at most HTTP_MAX_ENTRIES. */
static bool request_cookies(struct app_env *env, Types__HTTP *r, struct span head)
{
	struct span names[HTTP_MAX_ENTRIES], values[HTTP_MAX_ENTRIES];
	uint32_t n = 0;
	bool capped = false;
	struct lines l = { head };
	struct span line, name, value;
	if (!next_line(&l, &line))
		return false;
	while (next_header(&l, &name, &value)) {
		if (!span_ieq(name, "cookie"))
			continue;
		while (value.n) {
			struct span pair = trim(cut(&value, ';', NULL));
			if (!pair.n)
				continue;
			bool eq;
			struct span v = pair, k = trim(cut(&v, '=', &eq));
			if (!k.n)
				continue;
			if (n == HTTP_MAX_ENTRIES) {
				capped = true;
				break;
			}
			names[n] = k;
			values[n++] = unquote(trim(v));
		}
	}
	Types__HTTPCookie **c = (Types__HTTPCookie **)record_array(env->ctx, env->pkt,
								    &types__httpcookie__descriptor, n);
	if (c) {
		for (uint32_t i = 0; i < n; i++)
			c[i]->name = text(env, names[i]), c[i]->value = text(env, values[i]);
		r->reqcookies = c;
		r->n_reqcookies = n;
	}
	return capped;
}

/* One Set-Cookie value into c, as Go's readSetCookies. False when it has
 * no name=value. */
static bool parse_set_cookie(struct app_env *env, Types__HTTPCookie *c, struct span v)
{
	struct span pair = trim(cut(&v, ';', NULL));
	bool eq;
	struct span value = pair, name = trim(cut(&value, '=', &eq));
	if (!eq || !name.n)
		return false;
	c->name = text(env, name);
	c->value = text(env, unquote(trim(value)));
	while (v.n) {
		struct span attr = trim(cut(&v, ';', NULL));
		struct span val = attr, key = trim(cut(&val, '=', NULL));
		val = trim(val);
		if (span_ieq(key, "path")) {
			c->path = text(env, val);
		} else if (span_ieq(key, "domain")) {
			c->domain = text(env, val);
		} else if (span_ieq(key, "expires")) {
			c->expires = parse_http_date(val);
		} else if (span_ieq(key, "max-age")) {
			/* Go: digits with an optional sign; a leading zero
			 * before other digits is ignored; <= 0 means now (-1). */
			bool neg = val.n && val.p[0] == '-';
			struct span digits = neg ? (struct span){ val.p + 1, val.n - 1 } : val;
			uint64_t secs;
			if (!parse_decimal(digits, &secs) || (secs != 0 && digits.p[0] == '0'))
				continue;
			c->maxage = neg || secs == 0 ? -1 : secs > INT32_MAX ? INT32_MAX : (int32_t)secs;
		} else if (span_ieq(key, "secure")) {
			c->secure = true;
		} else if (span_ieq(key, "httponly")) {
			c->httponly = true;
		} else if (span_ieq(key, "samesite")) {
			/* Go's http.SameSite: Default 1, Lax 2, Strict 3, None 4. */
			c->samesite = span_ieq(val, "lax") ? 2 : span_ieq(val, "strict") ? 3
				    : span_ieq(val, "none") ? 4 : 1;
		}
	}
	return true;
}

static bool response_cookies(struct app_env *env, Types__HTTP *r, struct span head)
{
	struct span values[HTTP_MAX_ENTRIES];
	uint32_t n = 0;
	bool capped = false;
	struct lines l = { head };
	struct span line, name, value;
	if (!next_line(&l, &line))
		return false;
	while (next_header(&l, &name, &value)) {
		if (!span_ieq(name, "set-cookie"))
			continue;
		if (n == HTTP_MAX_ENTRIES) {
			capped = true;
			break;
		}
		values[n++] = value;
	}
	Types__HTTPCookie **c = (Types__HTTPCookie **)record_array(env->ctx, env->pkt,
								    &types__httpcookie__descriptor, n);
	if (!c)
		return capped;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++)
		if (parse_set_cookie(env, c[kept], values[i]))
			kept++;
	r->rescookies = c;
	r->n_rescookies = kept;
	return capped;
}

/* ---- parameters ------------------------------------------------------- */

struct params {
	struct span key[HTTP_MAX_ENTRIES], value[HTTP_MAX_ENTRIES];
	uint32_t n;
	bool capped;
};

/* Decoded key=value pairs of a query or form body ("&"-separated, as Go's
 * url.ParseQuery: a pair with a bad escape is skipped). */
static void add_params(struct app_env *env, struct params *p, struct span q)
{
	while (q.n && !p->capped) {
		struct span pair = cut(&q, '&', NULL);
		if (!pair.n)
			continue;
		if (p->n == HTTP_MAX_ENTRIES) {
			p->capped = true;
			return;
		}
		struct span v = pair, k = cut(&v, '=', NULL);
		uint8_t *kb = arena_alloc(&env->ctx->arena, k.n + 1u + v.n + 1u);
		if (!kb)
			return;
		uint8_t *vb = kb + k.n + 1;
		uint32_t kn, vn;
		if (!unescape(k, kb, &kn) || !unescape(v, vb, &vn))
			continue;
		kb[kn] = vb[vn] = '\0';
		p->key[p->n] = (struct span){ kb, kn };
		p->value[p->n++] = (struct span){ vb, vn };
	}
}

static void fill_params(struct app_env *env, Types__HTTP *r, struct params *p)
{
	if (!p->n)
		return;
	struct kvset *k = arena_alloc(&env->ctx->arena, sizeof *k);
	if (!k)
		return;
	kv_reset(k);
	for (uint32_t i = 0; i < p->n; i++)
		kv_add(k, p->key[i], p->value[i], false);
	kv_alloc(env, k);
	for (uint32_t i = 0; i < p->n; i++)
		kv_join(k, p->key[i], p->value[i], false);
	kv_finish(k);
	Types__HTTP__ParametersEntry **e = (Types__HTTP__ParametersEntry **)record_array(
		env->ctx, env->pkt, &types__http__parameters_entry__descriptor, k->n);
	if (!e)
		return;
	for (uint32_t i = 0; i < k->n; i++)
		e[i]->key = text(env, k->e[i].key), e[i]->value = k->e[i].value;
	r->parameters = e;
	r->n_parameters = k->n;
}

/* ---- making records ----------------------------------------------------- */

/* The first len bytes of b as one run: in place when they lie in its first
 * block, else copied into the arena (NULL when there is no room). */
static const uint8_t *flat(struct app_env *env, const struct bytebuf *b, uint32_t len)
{
	static const uint8_t none[1];
	if (!len)
		return none;
	if (b->len < len)
		return NULL;
	if (b->head && b->head_off + len <= b->head->len)
		return b->head->data + b->head_off;
	uint8_t *p = arena_alloc(&env->ctx->arena, len);
	return p && bytebuf_copy(b, 0, p, len) ? p : NULL;
}

/* The first n bytes of b copied into the arena: a record's bytes field
 * outlives the buffer. */
static ProtobufCBinaryData body_bytes(struct app_env *env, const struct bytebuf *b, uint32_t n)
{
	if (!n)
		return pb_bytes(NULL, 0);
	uint8_t *p = arena_alloc(&env->ctx->arena, n);
	if (!p || !bytebuf_copy(b, 0, p, n))
		return pb_bytes(NULL, 0);
	return pb_bytes(p, n);
}

static int32_t clamp32(uint64_t v) { return v > INT32_MAX ? INT32_MAX : (int32_t)v; }

static bool is_form(struct span content_type)
{
	struct span t = trim(cut(&content_type, ';', NULL));
	return span_ieq(t, "application/x-www-form-urlencoded");
}

static void fill_request(struct app_env *env, Types__HTTP *r, struct http_state *s,
			 const struct http_req *q, bool *capped)
{
	struct decoder_ctx *ctx = env->ctx;
	const uint8_t *hp = flat(env, &s->req_heads, q->head_len);
	if (!hp)
		return;
	struct span head = { hp, q->head_len };
	struct lines l = { head };
	struct span line;
	struct start_line sl;
	if (!next_line(&l, &line) || !parse_request_line(line, &sl))
		return;
	r->method = text(env, sl.a);
	r->url = text(env, sl.b);
	r->proto = text(env, sl.c);
	static const char *const names[] = { "host", "user-agent", "referer", "content-type", "content-encoding" };
	struct span v[5];
	header_values(head, names, v, 5);
	r->host = text(env, v[0]);
	r->useragent = text(env, v[1]);
	r->referer = text(env, v[2]);
	struct span ctype = v[3];
	r->contenttype = text(env, ctype);
	r->reqcontentencoding = text(env, v[4]);
	r->reqcontentlength = clamp32(q->has_cl ? q->content_length : q->body_len);
	struct kvset *k = arena_alloc(&ctx->arena, sizeof *k);
	if (k) {
		header_map(env, head, k);
		fill_header_entries(env, r, k, false);
		*capped |= k->capped;
	}
	*capped |= request_cookies(env, r, head);

	uint32_t kept = q->body_kept;
	const uint8_t *body = kept ? flat(env, &s->req_bodies, kept < HTTP_SNIFF ? kept : HTTP_SNIFF) : NULL;
	r->contenttypedetected = (char *)(body ? sniff(body, kept) : "");
	uint32_t keep = kept < s->body_max ? kept : s->body_max;
	r->requestbody = body_bytes(env, &s->req_bodies, keep);

	struct params *p = arena_alloc(&ctx->arena, sizeof *p);
	if (!p)
		return;
	p->n = 0;
	p->capped = false;
	struct span query = sl.b;
	cut(&query, '?', NULL);
	query = cut(&query, '#', NULL);
	add_params(env, p, query);
	/* Form parameters only from a whole body: a cut one's last pair
	 * would be wrong. */
	if (is_form(ctype) && !q->body_short && kept == q->body_len && kept) {
		const uint8_t *form = flat(env, &s->req_bodies, kept);
		if (form)
			add_params(env, p, (struct span){ form, kept });
	}
	*capped |= p->capped;
	fill_params(env, r, p);
}

static void fill_response(struct app_env *env, Types__HTTP *r, struct http_state *s,
			  struct span head, bool *capped)
{
	struct http_dir *h = &s->dir[1];
	struct lines l = { head };
	struct span line;
	struct start_line sl;
	if (!next_line(&l, &line) || !parse_status_line(line, &sl))
		return;
	r->statuscode = sl.status;
	static const char *const names[] = { "server", "content-type", "content-encoding" };
	struct span v[3];
	header_values(head, names, v, 3);
	r->servername = text(env, v[0]);
	r->rescontenttype = text(env, v[1]);
	r->rescontentencoding = text(env, v[2]);
	r->rescontentlength = clamp32(h->chunked || !h->has_cl ? h->body_len : h->content_length);
	struct kvset *k = arena_alloc(&env->ctx->arena, sizeof *k);
	if (k) {
		header_map(env, head, k);
		fill_header_entries(env, r, k, true);
		*capped |= k->capped;
	}
	*capped |= response_cookies(env, r, head);
	uint32_t kept = s->res_body.len;
	const uint8_t *body = kept ? flat(env, &s->res_body, kept < HTTP_SNIFF ? kept : HTTP_SNIFF) : NULL;
	r->rescontenttypedetected = (char *)(body ? sniff(body, kept) : "");
	r->responsebody = body_bytes(env, &s->res_body, kept < s->body_max ? kept : s->body_max);
}

/* One HTTP record: request q (NULL: none) and the response of dir 1
 * (with_response; its head at res). The request's stored bytes are not
 * released here. The caller has made room (app_make_room) before it
 * copied anything into the arena: a drain empties the arena. */
static void make_record(struct app_env *env, struct stream_conn *c, struct http_state *s,
			const struct http_req *q, bool with_response, struct span res)
{
	Types__HTTP *r = RECORD_NEW(env->ctx, env->pkt, HTTP, http);
	if (!r)
		return;
	struct http_dir *h = &s->dir[1];
	bool capped = false, lost = false;
	int32_t sport, dport;
	app_endpoints(env, c, 0, &r->srcip, &r->dstip, &sport, &dport);
	/* DNSDoneAfter and TLSDoneAfter stay 0: a passive observer of one TCP
	 * connection sees neither the client's DNS lookup nor (here, in
	 * plain HTTP) a TLS handshake. */
	if (q) {
		r->timestamp = q->ts;
		fill_request(env, r, s, q, &capped);
		capped |= q->head_cut;
		lost |= q->lost;
	}
	if (with_response) {
		if (!q) {
			r->timestamp = h->ts_first;
			r->doneafter = h->ts_last - h->ts_first;
		} else {
			r->doneafter = h->ts_last - q->ts;
			r->firstbyteafter = h->ts_first - q->ts;
		}
		fill_response(env, r, s, res, &capped);
		if (!q) {
			struct lines l = { res };
			struct span line;
			struct start_line sl;
			if (next_line(&l, &line) && parse_status_line(line, &sl))
				r->proto = text(env, sl.a);
		}
		capped |= h->head_cut;
		lost |= h->lost;
	}
	if (lost)
		record_set_truncated(&r->base);
	if (capped)
		decode_capped(env->ctx, env->pkt, PROTO_HTTP, r);
}

/* Writes the oldest waiting request without a response. */
static void write_oldest(struct app_env *env, struct stream_conn *c, struct http_state *s)
{
	app_make_room(env, 2);
	if (!pend_at(s, 0)->invalid)
		make_record(env, c, s, pend_at(s, 0), false, (struct span){ 0 });
	pend_pop(env, s);
}

/* ---- per direction ------------------------------------------------------ */

static void stop_direction(struct stream_conn *c, struct http_state *s, int dir)
{
	s->dir[dir].phase = PH_DEAD;
	c->ignore[dir] = true;
}

static void lose(struct app_env *env, bool *flag)
{
	if (!*flag)
		decode_note(env->ctx, PROTO_HTTP, REASON_MEMORY);
	*flag = true;
}

static void add_body_len(struct http_dir *h, struct http_req *q, uint64_t n)
{
	h->body_len += n;
	if (q)
		q->body_len = h->body_len > UINT32_MAX ? UINT32_MAX : (uint32_t)h->body_len;
}

/* Keeps body bytes (the first s->keep of the message's body). */
static void keep_body(struct app_env *env, struct http_state *s, int dir, const uint8_t *p, uint32_t n)
{
	struct http_dir *h = &s->dir[dir];
	struct http_req *q = dir ? NULL : current_request(s);
	add_body_len(h, q, n);
	if (!dir && !q)
		return;     /* already written (answered early): nothing to keep */
	uint32_t room = h->body_short ? 0 : s->keep - h->body_kept;
	if (n > room)
		n = room;
	if (!n)
		return;
	struct bytebuf *b = dir ? &s->res_body : &s->req_bodies;
	uint32_t kept = bytebuf_append(env->blocks, b, p, n);
	h->body_kept += kept;
	if (q)
		q->body_kept += kept;
	if (kept < n) {
		h->body_short = true;
		lose(env, &h->lost);
		if (q)
			q->body_short = q->lost = true;
	}
}

/* The response of dir 1 is whole: its record, then the next message. */
static void response_done(struct app_env *env, struct stream_conn *c, struct http_state *s,
			  struct http_call *call, int64_t ts)
{
	struct http_dir *h = &s->dir[1];
	h->ts_last = ts;
	app_make_room(env, 2);
	struct span head = { 0 };
	if (call && call->head_here) {
		uint32_t len = call->head_end - call->head_at;
		head = (struct span){ call->d + call->head_at, len < s->head_max ? len : s->head_max };
		call->head_here = false;
	} else {
		const uint8_t *p = flat(env, &s->res_head, s->res_head.len);
		if (p)
			head = (struct span){ p, s->res_head.len };
	}
	struct http_req *q = NULL;
	if (h->paired && s->pend_count && pend_at(s, 0)->seq == h->seq)
		q = pend_at(s, 0);
	else
		decode_note(env->ctx, PROTO_HTTP, REASON_MIDSTREAM);
	make_record(env, c, s, q && !q->invalid ? q : NULL, true, head);
	if (q)
		pend_pop(env, s);
	bytebuf_clear(env->blocks, &s->res_head);
	bytebuf_clear(env->blocks, &s->res_body);
	if (h->phase != PH_DEAD)
		h->phase = PH_IDLE;
}

/* The request of dir 0 is whole. */
static void request_done(struct http_state *s)
{
	struct http_req *q = current_request(s);
	if (q)
		q->complete = true;
	if (s->dir[0].phase != PH_DEAD)
		s->dir[0].phase = s->dir[0].method == M_CONNECT ? PH_OPAQUE : PH_IDLE;
}

static void message_done(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
			 struct http_call *call, int64_t ts)
{
	if (dir)
		response_done(env, c, s, call, ts);
	else
		request_done(s);
}

/* A new message's first byte. */
static void begin_head(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
		       int64_t ts)
{
	struct http_dir *h = &s->dir[dir];
	*h = (struct http_dir){ .phase = PH_HEAD, .ts_first = ts, .ts_last = ts };
	if (dir == 1) {
		bytebuf_clear(env->blocks, &s->res_head);
		bytebuf_clear(env->blocks, &s->res_body);
		/* Pairs with the oldest request still waiting, if any. */
		if (s->pend_count) {
			struct http_req *q = pend_at(s, 0);
			h->paired = true;
			h->seq = q->seq;
			h->no_body = q->method == M_HEAD;
			h->connect = q->method == M_CONNECT;
		}
		return;
	}
	if (s->pend_count == HTTP_MAX_PENDING)
		write_oldest(env, c, s);
	struct http_req *q = pend_at(s, s->pend_count++);
	*q = (struct http_req){ .ts = ts, .seq = ++s->next_seq };
	h->seq = q->seq;
}

/* The head of dir is whole: its framing decides what follows. */
static void head_done(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
		      struct http_call *call, int64_t ts)
{
	struct http_dir *h = &s->dir[dir];
	if (h->te_seen && h->chunked && h->has_cl)
		bad(env);   /* both: chunked wins (RFC 9112 6.3), a smuggling signal */
	if (dir == 0) {
		struct http_req *q = current_request(s);
		if (q) {
			q->method = h->method;
			q->has_cl = h->has_cl && !h->te_seen;
			q->content_length = h->content_length > UINT32_MAX ? UINT32_MAX
					    : (uint32_t)h->content_length;
		}
		if (h->bad_framing || (h->te_seen && !h->chunked)) {
			if (!h->bad_framing)
				bad(env);
			request_done(s);
			stop_direction(c, s, 0);
		} else if (h->te_seen) {
			h->phase = PH_CHUNK_SIZE;
		} else if (h->has_cl && h->content_length) {
			h->phase = PH_BODY_LEN;
			h->remaining = h->content_length;
		} else {
			request_done(s);
		}
		return;
	}
	uint16_t st = h->status;
	if (st >= 100 && st < 200 && st != 101) {
		/* 100 Continue, 102, 103: interim, no record. */
		bytebuf_clear(env->blocks, &s->res_head);
		if (call)
			call->head_here = false;
		h->phase = PH_IDLE;
		return;
	}
	bool upgrade = st == 101 || (h->connect && st >= 200 && st < 300);
	if (upgrade || h->bad_framing) {
		response_done(env, c, s, call, ts);
		if (upgrade) {
			stop_direction(c, s, 0);
			stop_direction(c, s, 1);
		} else {
			stop_direction(c, s, 1);
		}
		return;
	}
	if (h->no_body || st == 204 || st == 304) {
		response_done(env, c, s, call, ts);
	} else if (h->te_seen && h->chunked) {
		h->phase = PH_CHUNK_SIZE;
	} else if (h->te_seen) {
		h->phase = PH_BODY_EOF;
	} else if (h->has_cl) {
		h->remaining = h->content_length;
		h->phase = PH_BODY_LEN;
		if (!h->remaining)
			response_done(env, c, s, call, ts);
	} else {
		h->phase = PH_BODY_EOF;
	}
}

/* Takes bytes of a line from d[*pos..n): true when the line ended, with
 * its content (no CR LF) in *line; cut: longer than what is held of it
 * (then only its first HTTP_LINE_MAX bytes are in *line). */
static bool take_line(struct http_dir *h, const uint8_t *d, uint32_t n, uint32_t *pos,
		      struct span *line, bool *cut_line)
{
	const uint8_t *at = memchr(d + *pos, '\n', n - *pos);
	uint32_t end = at ? (uint32_t)(at - d) : n;
	uint32_t len = end - *pos;
	*cut_line = false;
	if (at && !h->line_len) {
		*line = (struct span){ d + *pos, len };   /* whole in this call */
	} else {
		uint32_t room = h->line_len < HTTP_LINE_MAX ? HTTP_LINE_MAX - h->line_len : 0;
		if (room && len)
			memcpy(h->line + h->line_len, d + *pos, len < room ? len : room);
		h->line_len = len > UINT32_MAX - h->line_len ? UINT32_MAX : h->line_len + len;
		if (at) {
			*cut_line = h->line_len > HTTP_LINE_MAX;
			*line = (struct span){ h->line, *cut_line ? HTTP_LINE_MAX : h->line_len };
		}
	}
	*pos = at ? end + 1 : n;
	if (!at)
		return false;
	h->line_len = 0;
	if (line->n && line->p[line->n - 1] == '\r' && !*cut_line)
		line->n--;
	return true;
}

/* Head bytes d[*pos..n) of dir: stored, and read line by line. */
static void read_head(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
		      const uint8_t *d, uint32_t n, uint32_t *pos, struct http_call *call, int64_t ts)
{
	struct http_dir *h = &s->dir[dir];
	while (*pos < n && h->phase == PH_HEAD) {
		uint32_t from = *pos;
		struct span line;
		bool cut_line;
		bool ended = take_line(h, d, n, pos, &line, &cut_line);
		uint32_t seg = *pos - from;
		h->head_len = seg > UINT32_MAX - h->head_len ? UINT32_MAX : h->head_len + seg;
		/* Store what fits under http_head_max, unless it is read in
		 * place (a response head that began in this call). */
		uint32_t room = s->head_max - h->held;
		uint32_t store = seg < room ? seg : room;
		if (seg > room)
			h->head_cut = true;
		bool in_place = dir == 1 && call->head_here;
		struct http_req *q = dir ? NULL : current_request(s);
		if (q && h->head_cut)
			q->head_cut = true;
		if (!dir && !q)
			store = 0;  /* answered and written already */
		if (store && !in_place) {
			struct bytebuf *b = dir ? &s->res_head : &s->req_heads;
			uint32_t kept = bytebuf_append(env->blocks, b, d + from, store);
			h->held += kept;
			if (q)
				q->head_len += kept;
			if (kept < store) {
				lose(env, &h->lost);
				if (q)
					q->lost = true;
				/* Nothing more is stored of this head: the
				 * record must not read a later head's bytes as
				 * this one's. */
				h->held = s->head_max;
			}
		} else if (in_place) {
			h->held += store;
		}
		if (!h->first_line_done) {
			/* Garbage stops the direction as soon as it shows. */
			const uint8_t *p = ended ? line.p : h->line;
			uint32_t len = ended ? line.n : (h->line_len < HTTP_LINE_MAX ? h->line_len : HTTP_LINE_MAX);
			struct start_line sl = { 0 };
			bool ok;
			if (!ended)
				ok = start_prefix_ok(p, len, dir);
			else if (dir)
				ok = parse_status_line(line, &sl);  /* code within the held prefix */
			else if (!cut_line)
				ok = parse_request_line(line, &sl);
			else {  /* a long request-target: the method is in the prefix */
				struct span prefix = { p, len };
				ok = start_prefix_ok(p, len, dir) && memchr(p, ' ', len);
				sl.a = cut(&prefix, ' ', NULL);
			}
			if (!ok) {
				bad(env);
				if (dir == 0) {
					/* The request entry stays, empty of a
					 * valid head: its record shows nothing. */
					struct http_req *q = current_request(s);
					if (q)
						q->complete = q->invalid = true;
				}
				stop_direction(c, s, dir);
				return;
			}
			if (!ended)
				continue;
			h->first_line_done = true;
			if (dir)
				h->status = sl.status;
			else
				h->method = span_ieq(sl.a, "head") ? M_HEAD
					  : span_ieq(sl.a, "connect") ? M_CONNECT : M_OTHER;
			continue;
		}
		if (!ended)
			continue;
		if (line.n == 0 && !cut_line) {
			if (dir == 1 && call->head_here)
				call->head_end = *pos;
			head_done(env, c, s, dir, call, ts);
			return;
		}
		framing_header(env, h, line, cut_line);
	}
}

/* Chunked framing bytes (size lines, the CRLF after data, trailers). */
static void read_chunked(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
			 const uint8_t *d, uint32_t n, uint32_t *pos, struct http_call *call, int64_t ts)
{
	struct http_dir *h = &s->dir[dir];
	struct span line;
	bool cut_line;
	uint32_t from = *pos;
	bool ended = take_line(h, d, n, pos, &line, &cut_line);
	if (h->phase == PH_TRAILER) {
		uint32_t seg = *pos - from;
		h->trailer_len = seg > UINT32_MAX - h->trailer_len ? UINT32_MAX : h->trailer_len + seg;
		if (h->trailer_len > s->head_max) {
			bad(env);
			message_done(env, c, s, dir, call, ts);
			stop_direction(c, s, dir);
			return;
		}
	} else if (h->line_len > HTTP_CHUNK_LINE_MAX) {
		bad(env);
		message_done(env, c, s, dir, call, ts);
		stop_direction(c, s, dir);
		return;
	}
	if (!ended)
		return;
	switch (h->phase) {
	case PH_CHUNK_SIZE: {
		uint64_t size;
		if (!parse_chunk_size(line, &size)) {
			bad(env);
			message_done(env, c, s, dir, call, ts);
			stop_direction(c, s, dir);
			return;
		}
		if (size) {
			h->remaining = size;
			h->phase = PH_CHUNK_DATA;
		} else {
			h->phase = PH_TRAILER;
		}
		break;
	}
	case PH_CHUNK_END:
		if (line.n) {
			bad(env);
			message_done(env, c, s, dir, call, ts);
			stop_direction(c, s, dir);
			return;
		}
		h->phase = PH_CHUNK_SIZE;
		break;
	case PH_TRAILER:
		if (!line.n && !cut_line)
			message_done(env, c, s, dir, call, ts);
		break;
	default:
		break;
	}
}

void http_init(struct http_state *s, const struct app_settings *settings)
{
	memset(s, 0, sizeof *s);
	s->settings = settings;
	s->head_max = settings->http_head_max ? settings->http_head_max : 1;
	s->body_max = settings->http_body_max;
	s->keep = s->body_max > HTTP_SNIFF ? s->body_max : HTTP_SNIFF;
	uint64_t heads = (uint64_t)s->head_max * HTTP_MAX_PENDING;
	uint64_t bodies = (uint64_t)s->keep * HTTP_MAX_PENDING;
	bytebuf_init(&s->req_heads, heads > UINT32_MAX ? UINT32_MAX : (uint32_t)heads);
	bytebuf_init(&s->req_bodies, bodies > UINT32_MAX ? UINT32_MAX : (uint32_t)bodies);
	bytebuf_init(&s->res_head, s->head_max);
	bytebuf_init(&s->res_body, s->keep);
	s->dir[0].phase = s->dir[1].phase = PH_IDLE;
}

void http_data(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
	       const uint8_t *d, uint32_t n, int64_t ts)
{
	if (dir < 0 || dir > 1 || !d)
		return;
	struct http_dir *h = &s->dir[dir];
	struct http_call call = { .d = d };
	uint32_t pos = 0;
	while (pos < n && h->phase != PH_DEAD) {
		switch (h->phase) {
		case PH_IDLE:
			while (pos < n && (d[pos] == '\r' || d[pos] == '\n'))
				pos++;
			if (pos == n)
				break;
			begin_head(env, c, s, dir, ts);
			if (dir == 1)
				call = (struct http_call){ .d = d, .head_here = true, .head_at = pos };
			/* fall through */
		case PH_HEAD:
			read_head(env, c, s, dir, d, n, &pos, &call, ts);
			break;
		case PH_BODY_LEN:
		case PH_CHUNK_DATA: {
			uint32_t take = h->remaining < n - pos ? (uint32_t)h->remaining : n - pos;
			keep_body(env, s, dir, d + pos, take);
			pos += take;
			h->remaining -= take;
			if (!h->remaining) {
				if (h->phase == PH_CHUNK_DATA)
					h->phase = PH_CHUNK_END;
				else
					message_done(env, c, s, dir, &call, ts);
			}
			break;
		}
		case PH_BODY_EOF:
			keep_body(env, s, dir, d + pos, n - pos);
			pos = n;
			break;
		case PH_CHUNK_SIZE:
		case PH_CHUNK_END:
		case PH_TRAILER:
			read_chunked(env, c, s, dir, d, n, &pos, &call, ts);
			break;
		case PH_OPAQUE:
			pos = n;
			break;
		default:
			pos = n;
			break;
		}
	}
	if (dir == 1 && h->phase != PH_DEAD)
		h->ts_last = ts;
	/* A response head read in place whose message goes on: stored now. */
	if (call.head_here && h->phase != PH_IDLE && h->phase != PH_DEAD) {
		uint32_t end = h->phase == PH_HEAD ? n : call.head_end;
		uint32_t len = end - call.head_at;
		if (len > s->head_max)
			len = s->head_max;
		uint32_t kept = bytebuf_append(env->blocks, &s->res_head, d + call.head_at, len);
		if (kept < len)
			lose(env, &h->lost);
		h->held = kept;
		if (kept < len && h->phase == PH_HEAD)
			h->held = s->head_max;  /* store no more of it */
	}
}

/* A response whose head was read ends here (gap, FIN, end): written with
 * what was seen. A request being read stays queued. */
static void cut_short(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir, int64_t ts)
{
	struct http_dir *h = &s->dir[dir];
	if (dir == 1 && h->phase != PH_IDLE && h->phase != PH_HEAD && h->phase != PH_DEAD &&
	    h->phase != PH_OPAQUE)
		response_done(env, c, s, NULL, ts);
	else if (dir == 0 && h->phase != PH_IDLE && h->phase != PH_DEAD)
		request_done(s);
}

void http_gap(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
	      uint32_t n, int64_t ts)
{
	if (dir < 0 || dir > 1 || !n)
		return;
	struct http_dir *h = &s->dir[dir];
	switch (h->phase) {
	case PH_BODY_LEN:
	case PH_CHUNK_DATA:
		if (n <= h->remaining) {
			/* Inside a body of known length: only shortens it. */
			/* Nothing is kept after the hole: the kept prefix
			 * stays what was seen in order. */
			struct http_req *q = dir ? NULL : current_request(s);
			add_body_len(h, q, n);
			h->remaining -= n;
			h->body_short = true;
			if (q)
				q->body_short = true;
			if (!h->remaining) {
				if (h->phase == PH_CHUNK_DATA)
					h->phase = PH_CHUNK_END;
				else
					message_done(env, c, s, dir, NULL, ts);
			}
			return;
		}
		break;
	case PH_BODY_EOF:
		add_body_len(h, NULL, n);
		h->body_short = true;
		return;
	case PH_OPAQUE:
	case PH_DEAD:
		return;
	default:
		break;
	}
	/* In a head, in chunked framing, or past a body's end: where the
	 * next message starts is lost. */
	if (h->phase != PH_IDLE)
		decode_note(env->ctx, PROTO_HTTP, REASON_GAP);
	cut_short(env, c, s, dir, ts);
	stop_direction(c, s, dir);
}

void http_fin(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir, int64_t ts)
{
	if (dir < 0 || dir > 1)
		return;
	cut_short(env, c, s, dir, ts);
	if (s->dir[dir].phase != PH_DEAD)
		s->dir[dir].phase = PH_DEAD;
}

void http_end(struct app_env *env, struct stream_conn *c, struct http_state *s, int64_t ts)
{
	cut_short(env, c, s, 1, ts);
	s->dir[1].phase = PH_DEAD;
	while (s->pend_count)
		write_oldest(env, c, s);
	bytebuf_clear(env->blocks, &s->req_heads);
	bytebuf_clear(env->blocks, &s->req_bodies);
	bytebuf_clear(env->blocks, &s->res_head);
	bytebuf_clear(env->blocks, &s->res_body);
	s->dir[0].phase = PH_DEAD;
}
