/* http.h: HTTP/1.x over reassembled TCP streams (HTTP records).
 *
 * The stream layer (lib/stream/app.c) hands http.c each direction's bytes
 * in order. Requests and responses are read head by head (request or
 * status line, then headers, up to a blank line); a body is followed by
 * its framing (Content-Length, chunked transfer coding, or up to the end
 * of the connection for a response without either) without being held,
 * except the first http_body_max bytes when bodies are asked for. Request
 * heads wait in the connection's state (raw bytes, bounded) for their
 * response; pipelined requests pair with responses in order. One HTTP
 * record per transaction: written when its response is complete, or at
 * the end of the connection for a request without a response (and a
 * response without a request, whose request fields stay empty).
 *
 * Bounded: a head longer than http_head_max is cut (HTTP/capped, record
 * Truncated) and the parser resynchronises at the next message it can
 * find; at most HTTP_MAX_PENDING requests wait (older ones are written
 * without a response when more arrive); every map, cookie list and
 * parameter list is capped. A gap ends what the direction was reading. */
#ifndef DECODE_HTTP_H
#define DECODE_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "stream/app.h"

#define HTTP_MAX_PENDING 8

/* The connection's HTTP state: lives in one block of the stream pool
 * (app.c allocates it zeroed, BLOCK_DATA bytes at most). */
struct http_state;
extern const uint32_t http_state_size;

/* True when d (n bytes, the first of a client's stream) starts like an
 * HTTP/1.x request: a known method token then a space (GET HEAD POST PUT
 * DELETE CONNECT OPTIONS TRACE PATCH). n may be short: a d that is a
 * prefix of one ("GE") is taken, so that a first segment of one byte is
 * not lost to detection; http.c stops at the first byte that disagrees. */
bool http_is_request(const uint8_t *d, uint32_t n);
/* True when d starts like a status line ("HTTP/1."; a prefix of it too). */
bool http_is_response(const uint8_t *d, uint32_t n);

/* Sets up s (zeroed memory of http_state_size bytes). */
void http_init(struct http_state *s, const struct app_settings *settings);
/* In-order bytes of direction dir (0: client to server), at time ts. */
void http_data(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
	       const uint8_t *d, uint32_t n, int64_t ts);
/* n bytes of direction dir were never seen. */
void http_gap(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir,
	      uint32_t n, int64_t ts);
/* Direction dir ended in order (FIN): a response read to the end of the
 * connection is complete. */
void http_fin(struct app_env *env, struct stream_conn *c, struct http_state *s, int dir, int64_t ts);
/* The connection ended: writes what is pending, frees the buffers. */
void http_end(struct app_env *env, struct stream_conn *c, struct http_state *s, int64_t ts);

#endif
