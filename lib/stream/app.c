/* app.c: the application layer over reassembled TCP streams (app.h): the
 * decoder's entry for TCP segments (app_tcp_segment), protocol detection
 * by content, the routing of each connection's bytes to its parser, and
 * DNS over TCP's two-byte framing.
 *
 * Detection looks at the first bytes a connection delivers, in whichever
 * direction comes first: TCP port 53 is DNS; a TLS handshake record (0x16,
 * version 3.x) is TLS; a request line's method token from the client, or
 * "HTTP/1." from the server, is HTTP, on any port. Anything else, or a
 * protocol whose records are not asked for, is ignored from then on: the
 * reassembler stops holding the connection, and a connection whose first
 * bytes we missed (picked up inside a body) stays unparsed. The detected
 * name becomes the connection's ApplicationProto (Connection and Flow
 * records), even when no record of that protocol is wanted.
 *
 * A detected connection's parser state lives in one block of the worker's
 * stream pool (a 16-byte head, then the parser's struct), allocated at
 * detection and returned when the connection ends. */
#include "stream/app.h"

#include <netinet/tcp.h>
#include <string.h>

#include "decode/decoders.h"
#include "decode/http.h"
#include "decode/tls.h"

enum app_kind { APP_HTTP = 1, APP_TLS, APP_DNS };

#define APP_HEAD 16u              /* the block's head: its kind, padded */
#define APP_STATE_MAX (BLOCK_DATA - APP_HEAD)
#define DNS_PORT 53
#define DNS_TCP_MESSAGE_MAX 65535u
/* Record space one segment's application records may use in the packet's
 * arena beyond the packet's own share: a segment can complete a hello or
 * a transaction of up to http_head_max twice (request and response) plus
 * bodies, far more than a small segment's bytes would earn. */
#define APP_RECORD_SPACE (256u << 10)

struct app_block_head {
	uint8_t kind;
};

static inline uint8_t *state_of(struct stream_conn *c)
{
	return ((struct block *)c->app)->data + APP_HEAD;
}

static inline uint8_t kind_of(const struct stream_conn *c)
{
	return ((const struct app_block_head *)((const struct block *)c->app)->data)->kind;
}

void app_make_room(struct app_env *env, unsigned records)
{
	if (!env->drain)
		return;
	struct packet *pkt = env->pkt;
	struct arena *a = &env->ctx->arena;
	if (pkt->n_rec + records > PACKET_MAX_RECORDS || a->used > a->cap - a->cap / 4)
		env->drain(env->drain_arg);
}

void app_endpoints(struct app_env *env, const struct stream_conn *c, int dir,
		   char **src_ip, char **dst_ip, int32_t *src_port, int32_t *dst_port)
{
	const struct stream_endpoints *ep = &c->ep;
	const uint8_t *src = dir ? ep->server : ep->client;
	const uint8_t *dst = dir ? ep->client : ep->server;
	*src_ip = format_ip(&env->ctx->arena, ep->version, src);
	*dst_ip = format_ip(&env->ctx->arena, ep->version, dst);
	*src_port = dir ? ep->server_port : ep->client_port;
	*dst_port = dir ? ep->client_port : ep->server_port;
}

/* ---- DNS over TCP (RFC 1035 4.2.2, RFC 7766) ---------------------------- */

/* Per direction: the two-byte length being read, then the message; a
 * message that is not whole in one delivery is gathered in `partial`. */
struct dns_direction {
	struct bytebuf partial;
	uint32_t need;               /* bytes of the current message still to come */
	uint8_t len_bytes;           /* length bytes read (0, 1) */
	uint8_t len_hi;
	bool in_message;
};
struct dns_stream {
	struct dns_direction dir[2];
};

/* One whole message, from `flat` (len bytes) or else gathered in
 * `partial`: decoded as the UDP decoder does, its record's endpoints set
 * from the connection (the packet that completes a message is not always
 * of its direction: an RST flushes both). The message is copied into the
 * record space once, after room is made there (outside a packet that may
 * empty it), since the record may point into it and the bytes it came
 * from (a held block, the partial buffer) are reused. */
static void dns_message(struct app_env *env, struct stream_conn *c, int dir,
			const uint8_t *flat, const struct bytebuf *partial, uint32_t len)
{
	struct decoder_ctx *ctx = env->ctx;
	struct packet *pkt = env->pkt;
	app_make_room(env, 1);
	uint8_t *copy = arena_alloc(&ctx->arena, len ? len : 1);
	if (!copy) {
		decode_note(ctx, PROTO_DNS, REASON_ARENA_FULL);
		return;
	}
	if (flat)
		memcpy(copy, flat, len);
	else
		bytebuf_copy(partial, 0, copy, len);
	unsigned first = pkt->n_rec;
	struct cursor cur = cur_make(copy, len);
	decode_dns(ctx, pkt, &cur);
	for (unsigned i = first; i < pkt->n_rec; i++) {
		if (pkt->rec[i].type != TYPES__TYPE__NC_DNS)
			continue;
		Types__DNS *r = (Types__DNS *)pkt->rec[i].msg;
		app_endpoints(env, c, dir, &r->srcip, &r->dstip, &r->srcport, &r->dstport);
	}
}

static void dns_data(struct app_env *env, struct stream_conn *c, struct dns_stream *s, int dir,
		     const uint8_t *d, uint32_t n)
{
	struct dns_direction *st = &s->dir[dir];
	while (n) {
		if (!st->in_message) {
			if (st->len_bytes == 0 && n >= 2) {
				st->need = (uint32_t)d[0] << 8 | d[1];
				d += 2, n -= 2;
			} else if (st->len_bytes == 0) {
				st->len_hi = d[0];
				st->len_bytes = 1;
				return;
			} else {
				st->need = (uint32_t)st->len_hi << 8 | d[0];
				st->len_bytes = 0;
				d++, n--;
			}
			st->in_message = true;
			if (st->need == 0) {   /* an empty message: nothing to decode */
				st->in_message = false;
				continue;
			}
		}
		if (st->partial.len == 0 && n >= st->need) {
			/* Whole in this delivery: not gathered first. */
			uint32_t len = st->need;
			dns_message(env, c, dir, d, NULL, len);
			d += len, n -= len;
			st->in_message = false;
			continue;
		}
		uint32_t take = n < st->need ? n : st->need;
		if (bytebuf_append(env->blocks, &st->partial, d, take) != take) {
			decode_note(env->ctx, PROTO_STREAM, REASON_MEMORY);
			bytebuf_clear(env->blocks, &st->partial);
			c->ignore[dir] = true;
			return;
		}
		d += take, n -= take;
		st->need -= take;
		if (st->need)
			return;
		dns_message(env, c, dir, NULL, &st->partial, st->partial.len);
		bytebuf_clear(env->blocks, &st->partial);
		st->in_message = false;
	}
}

/* Bytes never seen: the framing is lost, the direction is not read further. */
static void dns_gap(struct app_env *env, struct stream_conn *c, struct dns_stream *s, int dir)
{
	bytebuf_clear(env->blocks, &s->dir[dir].partial);
	c->ignore[dir] = true;
}

static void dns_end(struct app_env *env, struct dns_stream *s)
{
	for (int dir = 0; dir < 2; dir++) {
		if (s->dir[dir].in_message)
			decode_note(env->ctx, PROTO_DNS, REASON_TRUNCATED);
		bytebuf_clear(env->blocks, &s->dir[dir].partial);
	}
}

static void dns_init(struct dns_stream *s)
{
	for (int dir = 0; dir < 2; dir++)
		bytebuf_init(&s->dir[dir].partial, DNS_TCP_MESSAGE_MAX);
}

/* ---- detection and routing ---------------------------------------------- */

/* The bytes of a parser's state, after the block's head. */
static uint32_t state_size(uint8_t kind)
{
	return kind == APP_HTTP ? http_state_size : kind == APP_TLS ? tls_state_size
							  : (uint32_t)sizeof(struct dns_stream);
}

static bool wants_tls(const struct decoder_ctx *ctx)
{
	return decoder_wants(ctx, TYPES__TYPE__NC_TLSClientHello) ||
	       decoder_wants(ctx, TYPES__TYPE__NC_TLSServerHello);
}

/* The connection's protocol from its first delivered bytes; sets up its
 * parser, or ignores the connection. False when nothing is to be parsed. */
static bool detect(struct app_env *env, struct stream_conn *c, int dir, const uint8_t *d, uint32_t n)
{
	struct decoder_ctx *ctx = env->ctx;
	uint8_t kind = 0;
	bool wanted = false;
	if (c->ep.client_port == DNS_PORT || c->ep.server_port == DNS_PORT) {
		kind = APP_DNS, c->app_proto = "DNS";
		wanted = decoder_wants(ctx, TYPES__TYPE__NC_DNS);
	} else if (tls_is_handshake(d, n)) {
		kind = APP_TLS, c->app_proto = "TLS";
		wanted = wants_tls(ctx);
	} else if (dir == 0 ? http_is_request(d, n) : http_is_response(d, n)) {
		kind = APP_HTTP, c->app_proto = "HTTP";
		wanted = decoder_wants(ctx, TYPES__TYPE__NC_HTTP);
	}
	struct block *b = wanted ? block_get(env->blocks) : NULL;
	if (!b) {
		if (wanted)
			decode_note(ctx, PROTO_STREAM, REASON_MEMORY);
		c->ignore[0] = c->ignore[1] = true;
		return false;
	}
	/* Zeroed as far as the parser's state goes, not the whole block. */
	memset(b->data, 0, APP_HEAD + state_size(kind));
	((struct app_block_head *)b->data)->kind = kind;
	c->app = b;
	void *state = state_of(c);
	switch (kind) {
	case APP_HTTP:
		http_init(state, env->settings);
		break;
	case APP_TLS:
		tls_init(state, env->settings);
		break;
	case APP_DNS:
		dns_init(state);
		break;
	}
	return true;
}

/* The parser's end: what it still holds is written or dropped, its
 * buffers and its block go back to the pool. */
static void finish(struct app_env *env, struct stream_conn *c, int64_t ts)
{
	void *state = state_of(c);
	switch (kind_of(c)) {
	case APP_HTTP:
		http_end(env, c, state, ts);
		break;
	case APP_TLS:
		tls_end(env, c, state, ts);
		break;
	case APP_DNS:
		dns_end(env, state);
		break;
	}
	block_put(env->blocks, c->app);
	c->app = NULL;
}

/* A parser that wants neither direction any more (TLS after both hellos,
 * HTTP after an upgrade) gives its block back at once rather than at the
 * connection's end: a TLS session lasts minutes, its hellos take
 * milliseconds. The connection keeps its ApplicationProto. */
static void release_if_done(struct app_env *env, struct stream_conn *c, int64_t ts)
{
	if (c->app && c->ignore[0] && c->ignore[1])
		finish(env, c, ts);
}

static void on_data(void *envp, struct stream_conn *c, int dir, const uint8_t *d, uint32_t n, int64_t ts)
{
	struct app_env *env = envp;
	if (!c->app && (c->app_proto || !detect(env, c, dir, d, n)))
		return;
	void *state = state_of(c);
	switch (kind_of(c)) {
	case APP_HTTP:
		http_data(env, c, state, dir, d, n, ts);
		break;
	case APP_TLS:
		tls_data(env, c, state, dir, d, n, ts);
		break;
	case APP_DNS:
		dns_data(env, c, state, dir, d, n);
		break;
	}
	release_if_done(env, c, ts);
}

static void on_gap(void *envp, struct stream_conn *c, int dir, uint32_t n, int64_t ts)
{
	struct app_env *env = envp;
	if (!c->app)
		return;
	void *state = state_of(c);
	switch (kind_of(c)) {
	case APP_HTTP:
		http_gap(env, c, state, dir, n, ts);
		break;
	case APP_TLS:
		tls_gap(env, c, state, dir, n, ts);
		break;
	case APP_DNS:
		dns_gap(env, c, state, dir);
		break;
	}
	release_if_done(env, c, ts);
}

static void on_fin(void *envp, struct stream_conn *c, int dir, int64_t ts)
{
	struct app_env *env = envp;
	if (c->app && kind_of(c) == APP_HTTP)
		http_fin(env, c, (struct http_state *)state_of(c), dir, ts);
}

static void on_end(void *envp, struct stream_conn *c, enum stream_end_reason why, int64_t ts)
{
	(void)why;
	if (c->app)
		finish(envp, c, ts);
}

const struct stream_callbacks app_stream_callbacks = {
	.data = on_data,
	.gap = on_gap,
	.fin = on_fin,
	.end = on_end,
};

bool app_settings_check(void)
{
	return state_size(APP_HTTP) <= APP_STATE_MAX && state_size(APP_TLS) <= APP_STATE_MAX &&
	       state_size(APP_DNS) <= APP_STATE_MAX;
}

/* ---- the decoder's entry ------------------------------------------------- */

void app_tcp_segment(struct decoder_ctx *ctx, struct packet *pkt, uint32_t seq, uint32_t ack,
		     uint8_t flags, const struct cursor *payload)
{
	/* A pure ACK (no byte, captured or cut, and no SYN, FIN or RST)
	 * changes nothing the reassembler keeps: not looked up at all. It is
	 * about a third of all TCP packets. (Its Flow record, one direction
	 * of ACKs only, then names no application, as before streams.) */
	if (!cur_left(payload) && !pkt->ip_missing && !(flags & (TH_FIN | TH_SYN | TH_RST)))
		return;
	/* A segment may complete messages much larger than itself: its
	 * records get the room they need (the arena's cap still bounds it). */
	struct arena *a = &ctx->arena;
	if (a->bulk_end && a->bulk_end < a->used + APP_RECORD_SPACE)
		a->bulk_end = a->used + APP_RECORD_SPACE < a->cap - a->reserve ?
			      a->used + APP_RECORD_SPACE : a->cap - a->reserve;
	struct stream_segment seg = {
		.version = pkt->ip_version,
		.src = pkt->src_ip,
		.dst = pkt->dst_ip,
		.src_port = pkt->src_port,
		.dst_port = pkt->dst_port,
		.tunnel = pkt->tunnel,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.data = cur_here(payload),
		.len = cur_left(payload),
		.ts = pkt->ts,
	};
	/* A snaplen cut: the bytes the IP header declares past the capture
	 * are a gap, not a reason to wait. */
	seg.full_len = seg.len + pkt->ip_missing;
	struct app_env env = {
		.ctx = ctx,
		.pkt = pkt,
		.blocks = stream_blocks(ctx->streams),
		.settings = ctx->app,
	};
	struct stream_conn *c = stream_segment(ctx->streams, &seg, &env, ctx->stats.events[PROTO_STREAM]);
	if (c && c->app_proto)
		pkt->app_proto = c->app_proto;
}
