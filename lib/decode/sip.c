/* sip.c: SIP messages (SIP record), RFC 3261, on UDP and TCP 5060.
 *
 * Fields follow gopacket's SIP layer. The message is read line by line (a
 * line ends with LF; CR and LF are trimmed from both ends of each line, as
 * gopacket does), up to the first empty line, where the body starts; a last
 * line without a line break (cut by the capture) is left out, as gopacket
 * leaves it.
 *
 * The first line is split at its first two spaces. A status line starts with
 * "SIP": IsResponse, Version from "SIP/2.0" (2) or "SIP/1.0" (1, any case),
 * ResponseCode the decimal code, ResponseStatus the rest of the line. A
 * request line is method, URI, version: Method is gopacket's SIPMethod number
 * (INVITE 1, ACK 2, BYE 3, CANCEL 4, OPTIONS 5, REGISTER 6, PRACK 7,
 * SUBSCRIBE 8, NOTIFY 9, PUBLISH 10, INFO 11, REFER 12, MESSAGE 13, UPDATE
 * 14, PING 15; any case). A response's Method is that of its CSeq header
 * ("CSeq: 1 INVITE"), as in gopacket. A method gopacket does not know is 0
 * here, where gopacket rejects the message.
 *
 * Headers holds one "Name: value" string per header, in the order of the
 * message, name and value as written with the spaces around them trimmed
 * (gopacket keeps a map by lower-cased name, which netcap prints as
 * "name:v1,v2" in map order: no stable order to follow). A folded line
 * (starting with a space or tab) continues the previous header, joined by
 * one space; a line without a colon is skipped, as in gopacket.
 *
 * Bounded work: at most SIP_MAX_LINES header lines are read, and the
 * record keeps at most SIP_MAX_HEADERS headers holding SIP_MAX_TEXT bytes
 * of text (the header that passes it is cut there); then reading stops.
 * ResponseStatus keeps at most SIP_MAX_STATUS bytes.
 * A cut is counted as SIP/capped and marks the record Truncated. A
 * response's Method comes from a CSeq header among the lines read.
 *
 * Not SIP, no record: a payload of only white space (RFC 5626 keep-alives,
 * CRLFs or spaces). Faults (no record): a first line without a line break
 * (TRUNCATED), with fewer than three parts or a code that is not a number
 * (BAD_VALUE), a version other than SIP/1.0 or SIP/2.0 (BAD_VERSION). On TCP
 * a segment that does not start with a SIP first line is usually the rest of
 * a message (no reassembly): it is counted as SIP/bad-value without
 * stopping, and gives no record. */
#include <ctype.h>

#include "decode/decoders.h"
#include "decode/ipproto.h"

#define SIP_MAX_HEADERS 64
#define SIP_MAX_TEXT 16384
#define SIP_MAX_LINES 512
#define SIP_MAX_STATUS 1024

static const char *const sip_methods[] = {
	NULL, "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK",
	"SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE", "PING",
};

/* Offset of the first ch at or after the position, cur_left() if none. */
static uint32_t find(const struct cursor *c, uint8_t ch)
{
	uint32_t left = cur_left(c);
	const uint8_t *p = left ? memchr(cur_here(c), ch, left) : NULL;
	return p ? (uint32_t)(p - cur_here(c)) : left;
}

static bool in_set(uint8_t b, const char *set)
{
	return b && strchr(set, b);
}

/* Drops bytes of set from both ends of the window. */
static void trim(struct cursor *c, const char *set)
{
	while (cur_left(c) && in_set(cur_peek_u8(c, 0), set))
		cur_skip(c, 1);
	while (cur_left(c) && in_set(cur_peek_u8(c, cur_left(c) - 1), set))
		cur_limit(c, cur_left(c) - 1);
}

/* The next line (without its line break, CR and LF trimmed); false at the
 * end, or when the rest has no line break. */
static bool next_line(struct cursor *c, struct cursor *line)
{
	uint32_t n = find(c, '\n');
	if (n == cur_left(c))
		return false;
	*line = cur_sub(c, n + 1);
	trim(line, "\r\n");
	return true;
}

static bool token_is(struct cursor tok, const char *s)
{
	size_t n = strlen(s);
	if (cur_left(&tok) != n)
		return false;
	const uint8_t *p = cur_bytes(&tok, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		if (toupper(p[i]) != s[i])
			return false;
	return true;
}

static int sip_method(struct cursor tok)
{
	for (int m = 1; m < (int)(sizeof sip_methods / sizeof *sip_methods); m++)
		if (token_is(tok, sip_methods[m]))
			return m;
	return 0;
}

static int sip_version(struct cursor tok)
{
	return token_is(tok, "SIP/2.0") ? 2 : token_is(tok, "SIP/1.0") ? 1 : 0;
}

/* The part up to the next space (false: no space left). */
static bool split(struct cursor *line, struct cursor *part)
{
	uint32_t n = find(line, ' ');
	if (n == cur_left(line))
		return false;
	*part = cur_sub(line, n);
	cur_skip(line, 1);
	return true;
}

/* A decimal number as Go's strconv.Atoi takes it (sign, digits). */
static bool parse_code(struct cursor tok, int32_t *code)
{
	bool neg = false;
	uint8_t b = cur_peek_u8(&tok, 0);
	if (b == '+' || b == '-') {
		neg = b == '-';
		cur_skip(&tok, 1);
	}
	uint32_t n = cur_left(&tok);
	if (n == 0 || n > 9)
		return false;
	int32_t v = 0;
	for (uint32_t i = 0; i < n; i++) {
		b = cur_u8(&tok);
		if (b < '0' || b > '9')
			return false;
		v = v * 10 + (b - '0');
	}
	*code = neg ? -v : v;
	return true;
}

struct sip_start {
	bool response;
	int version, method;
	int32_t code;
	struct cursor status;
};

static int parse_start(struct cursor line, struct sip_start *s)
{
	struct cursor p0, p1;
	if (!split(&line, &p0) || !split(&line, &p1))
		return REASON_BAD_VALUE;
	struct cursor p2 = line;
	*s = (struct sip_start){ 0 };
	if (cur_left(&p0) >= 3 && cur_peek_u8(&p0, 0) == 'S' && cur_peek_u8(&p0, 1) == 'I' &&
	    cur_peek_u8(&p0, 2) == 'P') {
		s->response = true;
		if (!(s->version = sip_version(p0)))
			return REASON_BAD_VERSION;
		if (!parse_code(p1, &s->code))
			return REASON_BAD_VALUE;
		s->status = p2;
	} else {
		s->method = sip_method(p0);
		if (!(s->version = sip_version(p2)))
			return REASON_BAD_VERSION;
	}
	return -1;
}

/* Splits a header line at its first colon, trimming spaces. */
static bool header_parts(struct cursor line, struct cursor *name, struct cursor *value)
{
	uint32_t colon = find(&line, ':');
	if (colon == cur_left(&line))
		return false;
	*name = cur_sub(&line, colon);
	cur_skip(&line, 1);
	*value = line;
	trim(name, " ");
	trim(value, " ");
	return true;
}

/* What the header walk found (the first pass) and keeps (both passes stop
 * at the same line). */
struct sip_headers {
	size_t n;                         /* headers kept */
	uint32_t len[SIP_MAX_HEADERS];    /* the text of each, cut to the caps */
	uint32_t lines;                   /* header lines read */
	bool capped;
	int cseq_method;                  /* -1: no CSeq header read */
};

/* Copies c to *o, at most *room bytes of it. */
static void put(char **o, struct cursor c, uint32_t *room)
{
	uint32_t n = cur_left(&c) < *room ? cur_left(&c) : *room;
	cur_copy(&c, *o, n);
	*o += n;
	*room -= n;
}

static void put_char(char **o, char ch, uint32_t *room)
{
	if (*room) {
		*(*o)++ = ch;
		--*room;
	}
}

/* Walks the header lines. Counting (out NULL): fills h, cutting at the
 * caps. Filling: writes the h->n headers into out[i] (h->len[i] + 1
 * bytes each, NULL when there was no space), reading the same lines. */
static void walk_headers(struct cursor c, struct sip_headers *h, char **out)
{
	struct cursor line, name, value;
	size_t count = 0;
	uint32_t lines = 0, text = 0;
	bool current = false;   /* the last header line was kept */
	char *end = NULL;       /* filling: where the current header goes on */
	uint32_t room = 0;      /* filling: what the current header may still take */
	if (!out)
		*h = (struct sip_headers){ .cseq_method = -1 };
	while ((out ? lines < h->lines : true) && next_line(&c, &line) && cur_left(&line)) {
		if (!out && lines == SIP_MAX_LINES) {
			h->capped = true;
			break;
		}
		lines++;
		uint8_t first = cur_peek_u8(&line, 0);
		if (first == ' ' || first == '\t') {
			if (!current)
				continue;
			trim(&line, " \t");
			if (out) {
				if (end) {
					put_char(&end, ' ', &room);
					put(&end, line, &room);
				}
				continue;
			}
			uint32_t add = 1 + cur_left(&line);
			if (add > SIP_MAX_TEXT - text) {
				h->len[count - 1] += SIP_MAX_TEXT - text;
				h->capped = true;
				break;
			}
			h->len[count - 1] += add;
			text += add;
			continue;
		}
		current = false;
		if (!header_parts(line, &name, &value))
			continue;
		if (!out && h->cseq_method < 0 && token_is(name, "CSEQ")) {
			struct cursor v = value, num;   /* "CSeq: 1 INVITE" */
			if (split(&v, &num)) {
				cur_limit(&v, find(&v, ' '));
				h->cseq_method = sip_method(v);
			} else {
				h->cseq_method = 0;
			}
		}
		if (out) {
			if (count == h->n)
				break;
			if (end)
				*end = '\0';
			end = out[count];
			room = h->len[count];
			if (end) {
				put(&end, name, &room);
				put_char(&end, ':', &room);
				put_char(&end, ' ', &room);
				put(&end, value, &room);
			}
			count++;
			current = true;
			continue;
		}
		if (count == SIP_MAX_HEADERS) {
			h->capped = true;
			break;
		}
		uint32_t len = cur_left(&name) + 2 + cur_left(&value);
		bool cut = len > SIP_MAX_TEXT - text;
		if (cut)
			len = SIP_MAX_TEXT - text;
		h->len[count++] = len;
		text += len;
		current = true;
		if (cut) {
			h->capped = true;
			break;
		}
	}
	if (!out) {
		h->n = count;
		h->lines = lines;
	} else if (end) {
		*end = '\0';
	}
}

static bool only_white_space(const struct cursor *c)
{
	for (uint32_t i = 0; i < cur_left(c); i++)
		if (!in_set(cur_peek_u8(c, i), " \t\r\n") && cur_peek_u8(c, i) != 0)
			return false;
	return true;
}

int decode_sip(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct cursor msg = cur_rest(cur);
	if (only_white_space(&msg))
		return DECODE_OK;
	bool tcp = pkt->ip_proto == IPPROTO_TCP;

	struct cursor line;
	struct sip_start s;
	int reason = next_line(&msg, &line) ? parse_start(line, &s) : REASON_TRUNCATED;
	if (reason >= 0) {
		if (tcp) {
			decode_note(ctx, PROTO_SIP, REASON_BAD_VALUE);
			return DECODE_OK;
		}
		return decode_fail(ctx, pkt, PROTO_SIP, (enum decode_reason)reason);
	}
	pkt->app_proto = "SIP";

	struct sip_headers h;
	walk_headers(msg, &h, NULL);

	Types__SIP *r = RECORD_NEW(ctx, pkt, SIP, sip);
	if (!r)
		return DECODE_OK;
	r->timestamp = pkt->ts;
	r->version = s.version;
	r->isresponse = s.response;
	if (s.response) {
		r->method = h.cseq_method > 0 ? h.cseq_method : 0;
		r->responsecode = s.code;
		uint32_t n_status = cur_left(&s.status);
		if (n_status > SIP_MAX_STATUS) {
			n_status = SIP_MAX_STATUS;
			h.capped = true;
		}
		r->responsestatus = arena_strndup(&ctx->arena,
						  (const char *)cur_bytes(&s.status, n_status), n_status);
	} else {
		r->method = s.method;
	}
	char **headers = h.n ? arena_alloc(&ctx->arena, h.n * sizeof *headers) : NULL;
	if (headers) {
		for (size_t i = 0; i < h.n; i++) {
			headers[i] = arena_alloc(&ctx->arena, h.len[i] + 1u);
			if (headers[i])
				headers[i][0] = '\0';
		}
		walk_headers(msg, &h, headers);
		for (size_t i = 0; i < h.n; i++)
			if (!headers[i])
				headers[i] = (char *)protobuf_c_empty_string;
		r->headers = headers;
		r->n_headers = h.n;
	}
	RECORD_FILL_ENDPOINTS(r, pkt);
	if (h.capped)
		decode_capped(ctx, pkt, PROTO_SIP, r);
	return DECODE_OK;
}
