/* pipeline.h: state shared by the engine's files. engine.c sets up and
 * tears down; prescan.c reads the input files before the run; lcore.c runs
 * the per-lcore loop over the roles (roles.h: rx.c, worker.c,
 * worker_flows.c, compressor.c); report.c prints and serves counters. Not a
 * public API. */
#ifndef PIPELINE_PIPELINE_H
#define PIPELINE_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "collect/sender.h"
#include "collect/wire.h"
#include "decode/decode.h"
#include "flow/flows.h"
#include "ncap/chunk.h"
#include "ncap/writer.h"
#include "pipeline/capfilter.h"
#include "pipeline/config.h"
#include "pipeline/mbufchain.h"
#include "pipeline/pcapmap.h"
#include "pipeline/rotate.h"
#include "stream/app.h"

#define BURST 32
#define MAX_WORKERS 128
#define MAX_COMPRESSORS 64
#define MAX_RX_QUEUES 64
/* Compressors one record type's file may be spread over. */
#define MAX_TYPE_SHARDS 16

/* One input file as libpcap sees it, scanned before the run. */
struct input_file {
	const char *path;
	int link;                 /* DLT_ */
	uint64_t packets;         /* what the pcap PMD will deliver */
	uint64_t bytes;           /* captured bytes */
	uint64_t file_size;
	/* Packets (0-based, in file order) over 64 KiB, which the pcap PMD
	 * cannot carry: bigframe.c reads them again itself. */
	uint64_t *oversize;
	uint64_t n_oversize;
	/* The shortest capture length of a frame the file says was cut by
	 * the snaplen (caplen < len), UINT32_MAX if none: the pcap PMD does
	 * not pass on the length on the wire (decoder_ctx.cut_len). */
	uint32_t cut_len;
	uint32_t snapshot;        /* libpcap's snapshot length for the file */
	struct pcap_map *map;     /* read from a memory map (pcapmap.h), or NULL: the PMD */
};

struct rx_queue {
	uint16_t port, queue;
	int link;
	uint64_t expected;        /* offline: packets in the file; 0 live */
	uint64_t received;
	uint64_t idle_since;      /* TSC of the first empty poll in a row */
	bool done;
	struct bigframe_reader *oversize; /* offline, when the file has frames over 64 KiB */
	struct pcap_map *map;     /* offline: the file's map, read instead of the PMD's queue */
};

/* Where an lcore's time goes, for the summary's per-lcore table. The lcore
 * is always in exactly one stage; lcore_stage_enter (roles.h) charges the
 * TSC cycles since its last call to the stage the lcore was in and enters
 * the next. A role's step enters its stage and, when done, enters again
 * the stage it interrupted: work nested in a wait (a waiting worker running
 * its lcore's compressor) is charged to its own stage, only the spin to
 * STAGE_WAIT, so nothing counts twice and the stages sum to the lcore's
 * time. */
enum lcore_stage {
	STAGE_IDLE,         /* the loop found no work: polls, backoff */
	STAGE_RX,           /* rte_eth_rx_burst, byte counting, frames over 64 KiB */
	STAGE_DISPATCH,     /* flow hash, enqueue to the workers' rings */
	STAGE_DECODE,       /* chain checks, decode_packet, sidecars, freeing mbufs */
	STAGE_RECORDS,      /* packing records into chunks, handing chunks on */
	STAGE_FLOWS,        /* flow tables: per packet, expiry and its records
			     * (with one worker, the aggregate sums too) */
	STAGE_COMPRESS,     /* gzip and write(2) */
	STAGE_AGGREGATE,    /* summing flow shares, their records */
	STAGE_WAIT,         /* spinning for a ring, a chunk, a partial-sums
			     * slot or a big-frame buffer */
	STAGE_SHOWN,
	/* Timing decode, records and flows per packet would cost ~4% (three
	 * rdtsc of ~10 ns per ~750 ns packet on the 2-CPU EPYC VM), so a
	 * burst's packet loop is timed whole (STAGE_PACKETS), and every
	 * SAMPLE_BURSTS-th burst packet by packet (STAGE_SAMPLED_*): the
	 * report splits the first in the proportions of the others. */
	STAGE_PACKETS = STAGE_SHOWN,
	STAGE_SAMPLED_DECODE,
	STAGE_SAMPLED_RECORDS,
	STAGE_SAMPLED_FLOWS,
	STAGE_COUNT
};
#define SAMPLE_BURSTS 64

/* Counters of one lcore, written only by it. */
struct lcore_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t dispatched;
	uint64_t ring_full_drops;   /* live: dispatcher ring full */
	uint64_t ring_full_waits;   /* offline: dispatcher waited */
	uint64_t packets, decode_errors, unknown;
	uint64_t filtered;          /* refused by the capture filter (--bpf): not decoded */
	uint64_t chunks_sent;
	uint64_t chunk_waits;       /* chunk pool empty or compressor ring full */
	uint64_t partial_waits;     /* flow partial-sums pool empty */
	uint64_t bad_chains[MBUF_CHAIN_FAULTS]; /* mbufs whose lengths disagree: not decoded */
	uint64_t truncated[NCAP_TYPE_LIMIT];   /* records cut to NCAP_RECORD_LIMIT */
	uint64_t unwritable_records; /* could not be cut that far (never expected) */
	uint64_t records[NCAP_TYPE_LIMIT];
	uint64_t record_bytes[NCAP_TYPE_LIMIT];
	uint64_t decode_cycles;     /* TSC in process_burst, waits included */
	uint64_t cycles[STAGE_COUNT]; /* TSC by stage (enum lcore_stage) */
	uint64_t stage_since;       /* TSC of the last lcore_stage_enter */
	enum lcore_stage stage;     /* the stage the lcore is in */
	uint64_t bursts;            /* process_burst calls: every SAMPLE_BURSTS-th is sampled */
} __rte_cache_aligned;

struct worker_state {
	struct lcore_conf *lc;
	struct decoder_ctx dctx;
	struct flows *flows;        /* NULL when no flow type is enabled */
	int64_t stream_now;         /* latest packet time seen (stream expiry) */
	uint64_t next_tick;         /* TSC: live flow expiry by the clock */
	uint64_t next_flush;        /* TSC: live, send partly filled chunks */
	uint32_t rot_gen;           /* live: the generation last seen (rotate.h) */
	struct packet pkt;
	struct ncap_chunk *chunk[NCAP_TYPE_LIMIT];
	uint8_t *linear;            /* multi-segment packets are copied here (BIGFRAME_MAX) */
	char *scratch;              /* strings of records cut to fit (NCAP_RECORD_LIMIT) */
	/* --bpf: a frame over 64 KiB shown to the filter as a chain (capfilter.h) */
	struct rte_mbuf filter_frame[CAPFILTER_FRAME_SEGS];
};

struct compressor_state {
	struct ncap_writer *writer[NCAP_TYPE_LIMIT];
	uint64_t next_flush;        /* TSC: live, flush pending members */
	uint64_t chunks, bytes_in;
	bool failing[NCAP_TYPE_LIMIT];     /* the type's file is not being written */
	uint64_t unopened_records[NCAP_TYPE_LIMIT]; /* lost: their file could not be opened */
	uint64_t lost_records;      /* all types, as it happens: for telemetry */
	/* sensor mode (sensor.c): this compressor's own sealer and sender */
	struct collect_sealer *sealer;
	struct collect_sender *sender;
	struct collect_seal_stats seal;
	/* rotation (rotate.h): the generation and sequence of each writer's
	 * file, and what closed files left for the summary */
	uint32_t rot_seen;          /* eng.rot.changes when last compared */
	uint32_t wgen[NCAP_TYPE_LIMIT], wseq[NCAP_TYPE_LIMIT];
	struct rotate_file *wfile[NCAP_TYPE_LIMIT];
	uint64_t closed_bytes[NCAP_TYPE_LIMIT], closed_lost[NCAP_TYPE_LIMIT];
};

struct lcore_conf {
	bool active;
	/* roles */
	unsigned n_rxq;
	struct rx_queue rxq[MAX_RX_QUEUES];
	bool dispatch;              /* RX'd packets go to workers by flow hash */
	int worker;                 /* index, or -1 */
	int compressor;             /* index, or -1 */
	/* progress through the roles */
	bool rx_finished, worker_finished, compressor_finished;
	bool aggregator;            /* sums LinkFlow/NetworkFlow/TransportFlow shares */
	bool aggregator_finished;
	int64_t last_watermark;     /* aggregator, live: the last one it advanced to */
	struct rte_ring *in_ring;   /* worker: mbufs from the dispatcher */
	struct rte_ring *chunk_ring;/* compressor: chunks from workers */
	struct worker_state *ws;
	struct compressor_state *cs;
	/* dispatcher: packets buffered per worker until a burst is full */
	struct rte_mbuf *pending[MAX_WORKERS][BURST];
	unsigned n_pending[MAX_WORKERS];
	struct lcore_stats stats;
	struct flow_counters flow_counters; /* at the worker's end */
} __rte_cache_aligned; /* eng.lc[]: no cache line holds two lcores' fields */

/* A worker's flow clock, on a cache line of its own: every worker writes
 * its own after every burst, and the aggregator reads them all. */
struct worker_time {
	_Atomic int64_t t;          /* INT64_MAX when the worker is done */
} __rte_cache_aligned;

struct engine {
	struct netcap_config *cfg;
	bool live;
	unsigned n_workers, n_compressors;
	unsigned worker_lcore[MAX_WORKERS];
	unsigned compressor_lcore[MAX_COMPRESSORS];
	unsigned rx_lcore;           /* reads the pcap files (worker 0's, or its own) */
	struct lcore_conf lc[RTE_MAX_LCORE];
	struct rte_ring *worker_ring[MAX_WORKERS];
	struct rte_mempool *mbuf_pool;
	struct rte_mempool *chunk_pool;
	/* The compressors of each type: worker w sends type t's chunks to
	 * type_compressor[t][w % type_shards[t]] (0 shards: type off). A type
	 * on several compressors has one file they share (writer.h). */
	uint8_t type_shards[NCAP_TYPE_LIMIT];
	uint8_t type_compressor[NCAP_TYPE_LIMIT][MAX_TYPE_SHARDS];
	struct ncap_writer *shared_writer[NCAP_TYPE_LIMIT]; /* the first writer of a spread type's file */
	rte_spinlock_t shared_open_lock;   /* opening those files: once per file */
	struct record_set enabled;
	unsigned n_enabled;
	struct capfilter filter;    /* --bpf, one program per input link type; expr NULL: none */

	struct input_file files[CONFIG_MAX_INPUTS];
	unsigned n_files;
	uint64_t expected_packets, expected_bytes;
	uint16_t ports[CONFIG_MAX_INPUTS];
	unsigned n_ports;

	int ts_offset;              /* mbuf timestamp dynfield, -1: none */
	uint64_t ts_flag;
	int64_t ts_scale;           /* to nanoseconds */
	struct ncap_writer_opts wopts;
	bool sidecar;               /* errors.pcap or unknown.pcap wanted */
	unsigned long long sidecar_errors, sidecar_unknown;
	char input_source[1024];

	uint64_t file_bytes[NCAP_TYPE_LIMIT]; /* output file sizes, at the end */
	uint64_t lost_records[NCAP_TYPE_LIMIT]; /* not on disk (write errors), at the end */

	atomic_bool stop;           /* SIGINT/SIGTERM */
	struct rotation rot;        /* --rotate-interval, --rotate-size, SIGHUP (rotate.h) */
	atomic_uint rx_active;      /* lcores still reading ports */
	atomic_uint workers_active;   /* workers, plus the aggregator */
	atomic_uint flow_workers_active; /* workers only */
	bool flows_wanted;
	struct flow_settings flow_settings;
	struct app_settings app_settings; /* the stream parsers' limits, read by every worker */
	struct flow_aggregator *aggregator;
	unsigned aggregator_lcore;
	struct rte_ring *partial_ring;   /* workers -> aggregator */
	struct rte_mempool *partial_pool;
	struct worker_time worker_time[MAX_WORKERS];
	atomic_bool write_failed;
	uint64_t start_tsc, end_tsc;
	int64_t start_ns;

	/* Sensor mode (sensor.c, docs/sensor.md): records go to a collector
	 * (and to the files too with --also-local). */
	bool sensor;
	bool write_local;           /* the files are written (not sensor, or --also-local) */
	uint64_t live_flush_tsc;    /* live: partly filled chunks go out this often */
	_Atomic uint64_t sensor_seq; /* the last sequence number of the sensor, all compressors */
};

extern struct engine eng;

/* lcore.c */
int lcore_main(void *arg);

/* worker_flows.c: a worker's callbacks for its flow tables and the
 * aggregator (flows.h's flow_emit_fn and flow_partial_fn); ctx is the
 * worker_state. */
void worker_flow_emit(void *ctx, int type, const ProtobufCMessage *msg);
void worker_flow_partial(void *ctx, const struct flow_partial *p);

/* prescan.c */
/* Checks that f->path is a capture libpcap reads; sets link and file_size. */
int prescan_open(struct input_file *f, char *err, size_t errlen);
/* Reads the whole file: sets packets and bytes (what the PMD will deliver). */
void prescan_count(struct input_file *f);

/* sensor.c (docs/sensor.md) */
struct sensor_totals {
	uint64_t sealed_datagrams, sealed_records;  /* made by the sealers */
	uint64_t too_large, malformed;              /* records not sent: over COLLECT_BATCH_MAX; broken framing */
	uint64_t datagrams, records, bytes;         /* taken by the kernel */
	uint64_t full_datagrams, full_records;      /* lost at the sensor: socket buffer full */
	uint64_t error_datagrams, error_records;    /* lost at the sensor: other send errors */
	uint64_t syscalls;
	int last_errno;
};
/* Before EAL: sets eng.sensor and eng.write_local; in sensor mode resolves
 * the collector, reads the keys, checks the id and the rest; -1 after an
 * error naming the option and file. */
int sensor_prepare(const struct netcap_config *cfg);
/* After the compressors' states exist: the live flush interval, and in
 * sensor mode a sealer and a sender per compressor. */
int sensor_setup_compressors(const struct netcap_config *cfg);
/* Seals a chunk's records and sends them (compressor.c). */
void sensor_send_chunk(struct compressor_state *cs, const struct ncap_chunk *c);
/* Sends what the compressor's sender holds (when idle, at the end). */
void sensor_flush(struct compressor_state *cs);
void sensor_totals(struct sensor_totals *t);
/* The summary's "sensor" line (nothing outside sensor mode). */
void sensor_summary(FILE *out);
/* Frees the sealers and senders (after the summary), forgets the key. */
void sensor_close(void);

/* report.c */
void report_progress(bool final);
void report_summary(FILE *out);
void report_register_telemetry(void);
void report_totals(struct lcore_stats *sum);
/* Decoder events of one layer and reason, summed over the workers (each
 * writes only its own; read with relaxed loads, so also while they run:
 * the summary, telemetry and --metrics). */
uint64_t report_events(int proto, int reason);

#endif
