/* stream.h: TCP stream reassembly, one reassembler per worker.
 *
 * Why per worker: the dispatcher's symmetric hash puts both directions of
 * a connection on one worker, so a worker reassembles its connections
 * alone, without locks, like its flow tables and its defragmenter.
 *
 * What it does: each TCP segment with data (or SYN, FIN, RST) of a
 * connection is placed by sequence number; the bytes that continue a
 * direction's stream in order are handed to the consumer at once (from
 * the packet, no copy), segments ahead of the next expected byte are held
 * in blocks (blocks.h) until the hole before them fills. Overlaps: the
 * bytes delivered or held first win (the "first" policy, as lib/defrag);
 * every overlap is counted, one whose bytes differ apart (an evasion
 * signal). Sequence numbers wrap (RFC 9293 arithmetic). A connection seen
 * without its SYN is picked up at its first segment (counted midstream).
 * Holes that never fill become gaps, reported to the consumer with their
 * length, when a direction's held bytes reach the depth, when memory runs
 * out, at FIN or RST, and when the connection ends (idle expiry, shutdown).
 *
 * Cost bounded per packet: one table lookup, at most the held segments a
 * new one overlaps, deliveries of bytes never delivered before. Memory
 * bounded per worker: the table's capacity (the connection due soonest is
 * ended when full) and the block pool (--stream-memory; refusal counted).
 * A consumer that needs no more of a direction (a TLS hello parsed, a
 * protocol nobody asked for) says so, and nothing of it is held again.
 *
 * Time is the packets' own (offline) or the wall clock (live), as flows. */
#ifndef STREAM_STREAM_H
#define STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "stream/blocks.h"

#define STREAM_DEFAULT_MEMORY (64u << 20)     /* per worker */
#define STREAM_DEFAULT_CAPACITY (1u << 16)    /* connections per worker */
#define STREAM_DEFAULT_DEPTH (256u << 10)     /* out-of-order bytes per direction */
#define STREAM_DEFAULT_IDLE_S 300
#define STREAM_CLOSE_LINGER_NS (5ll * 1000000000) /* after RST / both FINs */

struct stream_settings {
	size_t memory;              /* the block pool's bytes */
	uint32_t capacity;          /* connections tracked */
	uint32_t depth;             /* most bytes held out of order per direction */
	int64_t idle_ns;            /* no segment for this long: the connection ends */
};

/* One TCP segment, as decode_tcp sees it. */
struct stream_segment {
	uint8_t version;            /* 4 or 6 */
	const uint8_t *src, *dst;   /* 4 or 16 bytes */
	uint16_t src_port, dst_port;
	uint64_t tunnel;            /* pkt->tunnel: tenants stay apart */
	uint32_t seq, ack;
	uint8_t flags;              /* FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10 */
	const uint8_t *data;        /* the payload as captured */
	uint32_t len;
	uint32_t full_len;          /* the payload's length by the IP header (>=
	                             * len): bytes past `len` were not captured
	                             * (snaplen) and become a gap */
	int64_t ts;
};

/* The two ends, oriented: dir 0 is client to server. The client is the
 * sender of a SYN without ACK (or the receiver of a SYN-ACK); for a
 * connection picked up midstream, the end whose port is not below 1024
 * when the other's is, else the sender of the first segment seen. */
struct stream_endpoints {
	uint8_t version;
	uint8_t client[16], server[16];
	uint16_t client_port, server_port;
};

enum stream_end_reason {
	STREAM_END_CLOSED,          /* FIN both ways, or RST */
	STREAM_END_IDLE,            /* idle timeout */
	STREAM_END_EVICTED,         /* table full: ended early */
	STREAM_END_SHUTDOWN,        /* end of input */
};

/* A connection, as the consumer sees it. The fields below are the
 * consumer's to read (ep) and write (app, app_proto, ignore); the rest of
 * the struct is the reassembler's. */
struct stream_conn {
	struct stream_endpoints ep;
	void *app;                  /* the consumer's state, NULL: none yet */
	const char *app_proto;      /* what the consumer detected, NULL: nothing */
	bool ignore[2];             /* deliver nothing more in that direction:
	                             * its segments are only tracked, never held */
};

/* The consumer (lib/stream/app.c). `env` is the argument given to the
 * call that led to the callback. Within one direction, data and gaps come
 * in stream order; `end` comes once, last. */
struct stream_callbacks {
	void (*data)(void *env, struct stream_conn *c, int dir, const uint8_t *d, uint32_t n, int64_t ts);
	void (*gap)(void *env, struct stream_conn *c, int dir, uint32_t n, int64_t ts);
	/* A direction's FIN reached in order (all its bytes delivered). */
	void (*fin)(void *env, struct stream_conn *c, int dir, int64_t ts);
	void (*end)(void *env, struct stream_conn *c, enum stream_end_reason why, int64_t ts);
};

struct stream_usage {
	size_t budget;              /* the block pool's bytes */
	size_t in_use, peak;        /* bytes of blocks holding data (any owner) */
	uint32_t connections, connections_max;
	uint64_t refused;           /* block allocations refused */
	uint64_t evicted;           /* connections ended early: table full */
};

struct stream_table;

/* NULL on no memory. */
struct stream_table *stream_create(const struct stream_settings *s, const struct stream_callbacks *cb);
void stream_free(struct stream_table *st);
/* The pool the consumer's buffers come from too. */
struct block_pool *stream_blocks(struct stream_table *st);

/* Takes one segment; the callbacks run before it returns. events: the
 * TCPStream row of decode_stats.events (enum decode_reason). Returns the
 * segment's connection (NULL when none is tracked for it: a segment
 * without data, SYN, FIN or RST, of no known connection) so the caller
 * can read its app_proto; valid until the next call. */
struct stream_conn *stream_segment(struct stream_table *st, const struct stream_segment *seg,
				   void *env, uint64_t events[REASON_COUNT]);
/* Ends connections idle at `now`. */
void stream_advance(struct stream_table *st, int64_t now, void *env, uint64_t events[REASON_COUNT]);
/* Ends every connection (end of input). */
void stream_flush(struct stream_table *st, void *env, uint64_t events[REASON_COUNT]);
void stream_get_usage(const struct stream_table *st, struct stream_usage *u);

#endif
