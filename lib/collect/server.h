/* server.h: netcap-collect's run: receive threads, signals, summaries
 * (docs/collector.md). app/netcap-collect/main.c parses the command line
 * into struct collect_serve_opts and calls collect_serve().
 *
 * N receive threads, each with its own UDP socket bound to the same
 * address with SO_REUSEPORT (the kernel spreads sensors over them by
 * their address and port), a receive buffer of 32 MiB (SO_RCVBUFFORCE
 * when allowed, else SO_RCVBUF up to the system's maximum), reading
 * batches of up to COLLECT_RECV_BATCH datagrams with recvmmsg and a
 * timeout of 100 ms so that a stop is seen within that. The main thread
 * waits for signals: SIGHUP rotates the files, SIGINT and SIGTERM stop
 * receiving, close every file and print the final summary. */
#ifndef COLLECT_SERVER_H
#define COLLECT_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "collect/collector.h"
#include "collect/netaddr.h"

#define COLLECT_RECV_BATCH 64
#define COLLECT_MAX_THREADS 16
#define COLLECT_RCVBUF (32u << 20)
/* Files are flushed this often, so a file on disk lags at most this. */
#define COLLECT_FLUSH_SECONDS 5

struct collect_serve_opts {
	const char *listen;     /* "ADDR:PORT", "[ADDR6]:PORT" */
	const char *key_path, *allow_path, *out_dir;
	unsigned threads;       /* 0: CPUs available, at most 16 */
	size_t max_datagram;    /* 0: COLLECT_DGRAM_MAX */
	const char *stats_file; /* NULL: none */
	unsigned stats_interval; /* seconds; 0: only the final summary */
	bool quiet;             /* no periodic summary on stderr */
	/* NATS JetStream (docs/collector-nats.md): every accepted batch is
	 * also published to netcap.<sensor-id>.<Type> of this stream. */
	const char *nats_url;   /* NULL: none */
	const char *nats_stream; /* NULL: "NETCAP" */
	bool nats_only;         /* publish, write no files (out_dir unused) */
	/* Join collectors already bound to the address (SO_REUSEPORT: the
	 * kernel then spreads sensors over every process). Off: a port in
	 * use is an error, so a forgotten collector cannot silently take a
	 * share of the sensors. */
	bool share_port;
	/* Prometheus endpoint, "ADDR:PORT" (docs/deployment.md,
	 * "Monitoring"); NULL: none. */
	const char *metrics;
};

/* Runs until SIGINT or SIGTERM. Returns the exit status: 0, or 1 when it
 * could not start (the reason on stderr). */
int collect_serve(const struct collect_serve_opts *o);

#endif
