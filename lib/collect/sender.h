/* sender.h: a sensor's UDP sender, one per sending thread (a compressor
 * lcore of netcap in sensor mode; docs/sensor.md).
 *
 * A non-blocking UDP socket connected to the collector, with a queue of up
 * to COLLECT_SENDER_QUEUE sealed datagrams that go out with one
 * sendmmsg(2) when the queue is full or flushed. Sending never waits: a
 * datagram the kernel does not take at once (socket buffer full, no
 * collector listening, no route) is counted as lost at the sensor with its
 * records, and never tried again. collect_sender_emit is the
 * collect_emit_fn that collect_seal_records (wire.h) hands its datagrams
 * to. Nothing is allocated after collect_sender_new. */
#ifndef COLLECT_SENDER_H
#define COLLECT_SENDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "collect/netaddr.h"

/* Datagrams queued before one sendmmsg: a chunk of 64 KiB of records
 * seals into about 15 datagrams of 1452 bytes, so a chunk costs about
 * one system call. */
#define COLLECT_SENDER_QUEUE 32
/* The send buffer asked for (SO_SNDBUFFORCE as root, else SO_SNDBUF up to
 * net.core.wmem_max): a burst of chunks from the compressors must not
 * overflow it while the kernel passes datagrams on. */
#define COLLECT_SENDER_SNDBUF (8 << 20)

/* Counters of one sender, written only by its thread (others read them
 * without locks: each a word, a moment's view). */
struct collect_sender_stats {
	uint64_t datagrams, records, bytes; /* taken by the kernel */
	/* Lost at the sensor, never retried: */
	uint64_t full_datagrams, full_records;   /* EAGAIN, ENOBUFS: the socket
						  * buffer or a device queue full */
	uint64_t error_datagrams, error_records; /* any other error: ECONNREFUSED
						  * (nobody listens), EHOSTUNREACH, ... */
	int last_errno;                          /* of the last error, 0: none */
	uint64_t sendmmsg_calls;
};

struct collect_sender;


/* A socket connected to addr and a queue of datagrams of up to dgram_max
 * bytes. sndbuf: bytes asked for (0: COLLECT_SENDER_SNDBUF). Returns NULL
 * with err. */
struct collect_sender *collect_sender_new(const struct sockaddr *addr, socklen_t addrlen,
					  size_t dgram_max, int sndbuf, char *err, size_t errlen);
/* Flushes what is queued, closes the socket. */
void collect_sender_free(struct collect_sender *s);

/* collect_emit_fn (wire.h): queues a copy of the datagram (records: how
 * many records it carries, counted if it is lost); a full queue is sent
 * first. arg is the sender. */
void collect_sender_emit(void *arg, const uint8_t *dgram, size_t len, uint32_t records);

/* Sends what is queued (nothing when the queue is empty: no system call). */
void collect_sender_flush(struct collect_sender *s);

/* Datagrams queued and not yet sent. */
unsigned collect_sender_queued(const struct collect_sender *s);

const struct collect_sender_stats *collect_sender_stats(const struct collect_sender *s);

/* The send buffer the kernel granted, in bytes (as getsockopt says). */
int collect_sender_sndbuf(const struct collect_sender *s);

#endif
