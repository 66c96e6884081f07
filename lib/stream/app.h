/* app.h: the application layer over reassembled TCP streams: what the
 * stream reassembler (stream.h) hands its bytes to.
 *
 * app.c detects each connection's protocol by content (HTTP by its method
 * or status line on any port, TLS by its handshake record, DNS by port 53
 * with its two-byte framing), keeps the connection's parser state in one
 * block of the worker's pool, and routes in-order bytes, gaps and the end
 * to the protocol's parser (lib/decode/http.c, tls.c, dns.c). A connection
 * whose records nobody asked for, or whose protocol is none of these, is
 * ignored from its first bytes: the reassembler then holds nothing of it.
 *
 * Records are made as the decoders make them, in the packet's record space
 * (ctx, pkt): the one whose segment completed a message. Outside a packet
 * (idle expiry, shutdown) the worker gives a packet of its own, and a
 * drain callback that writes its records out when its space fills. */
#ifndef STREAM_APP_H
#define STREAM_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "stream/stream.h"

struct app_settings {
	uint32_t http_head_max;     /* bytes of an HTTP head kept (request line or
	                             * status line plus headers); longer heads are
	                             * cut (counted HTTP/capped, record Truncated) */
	uint32_t http_body_max;     /* body bytes kept in RequestBody/ResponseBody
	                             * (--http-body; 0: none) */
	uint32_t tls_handshake_max; /* bytes of one handshake message kept */
};
#define APP_DEFAULT_HTTP_HEAD_MAX (16u << 10)
#define APP_MAX_HTTP_BODY (16u << 10)
#define APP_DEFAULT_TLS_HANDSHAKE_MAX (64u << 10)

/* Where the parsers' records go and what they may use. */
struct app_env {
	struct decoder_ctx *ctx;    /* record space (arena), counters, enabled types */
	struct packet *pkt;         /* records are appended to pkt->rec */
	struct block_pool *blocks;  /* the worker's stream memory */
	/* Outside a packet: writes pkt's records out and empties the record
	 * space; NULL inside a packet (whose space was sized for it). */
	void (*drain)(void *arg);
	void *drain_arg;
	const struct app_settings *settings;
};


/* The callbacks stream_create() takes. */
extern const struct stream_callbacks app_stream_callbacks;

/* Before a parser makes a record outside a packet: drains the packet's
 * records when fewer than `records` slots or a quarter of the arena are
 * left. Does nothing inside a packet. */
void app_make_room(struct app_env *env, unsigned records);

/* Whether the parsers' states fit their block (checked once at start). */
bool app_settings_check(void);

/* decode_tcp's call for a segment of a connection when ctx->streams is
 * set: reassembly, then the parsers; the packet's app_proto becomes the
 * connection's. */
void app_tcp_segment(struct decoder_ctx *ctx, struct packet *pkt, uint32_t seq, uint32_t ack,
		     uint8_t flags, const struct cursor *payload);

/* A record's endpoints for data sent in direction dir (0: client to
 * server): src is the sender. Addresses formatted into the arena. */
void app_endpoints(struct app_env *env, const struct stream_conn *c, int dir,
		   char **src_ip, char **dst_ip, int32_t *src_port, int32_t *dst_port);

#endif
