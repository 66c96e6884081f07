/* nats.h: NATS JetStream beyond one collector (docs/collector-nats.md).
 *
 * A collector publishes every batch it accepted to a JetStream stream, on
 * subject netcap.<sensor-id>.<Type>; any number of collectors behind one
 * address publish into the same stream, and JetStream drops a batch that
 * two of them both received (the Nats-Msg-Id header names the batch by
 * sensor, epoch and sequence number). A consumer (netcap-collect
 * --from-nats) reads the stream through a durable pull consumer into
 * record files OUTDIR/<sensor-id>/<Type>.ncap.gz, so records survive a
 * collector restart and the files can be written anywhere.
 *
 * The message body is the batch as the sensor sent it once inflated:
 * whole records of the subject's type, each a varint length and the
 * protobuf message (docs/file-format.md), uncompressed (JetStream's file
 * store compresses nothing, but the messages stay readable by any NATS
 * tool, and the consumer checks them with no inflater to bound). A batch
 * larger than the server's max_payload allows is split at record
 * boundaries into several messages.
 *
 * Everything on the stream is hostile: anyone with publish rights on
 * netcap.> can put anything there. The consumer checks every message as
 * the collector checks a datagram's batch (a safe sensor id, a known
 * record type, whole framed records each passing ncap_record_check, a
 * bounded size) and counts and terminates what fails, writing nothing of
 * it. */
#ifndef COLLECT_NATS_H
#define COLLECT_NATS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECT_NATS_STREAM_DEFAULT "NETCAP"
#define COLLECT_NATS_DURABLE_DEFAULT "netcap-collect"
#define COLLECT_NATS_SUBJECTS "netcap.>"
#define COLLECT_NATS_PREFIX "netcap."

/* ---- publishing (a collector) ---------------------------------------------- */

struct collect_nats_opts {
	/* Publishes without an acknowledgement yet: bounds the memory
	 * cnats holds for a slow or absent server. 0: 4096. */
	int max_pending;
	/* How long a publish waits for room when max_pending are in flight
	 * before it gives up and counts the batch as failed, ms: a receive
	 * thread that waits drops datagrams instead. 0: 50. */
	int stall_ms;
	/* Stream limits, used only when the stream is created: 0 keeps
	 * JetStream's default (unlimited). max_age in seconds. */
	int64_t max_bytes;
	int64_t max_age_s;
	/* JetStream's de-duplication window, s. 0: 120. */
	int64_t dedup_window_s;
};

struct collect_nats;

/* Connects to url ("nats://host:4222", or several separated by commas),
 * reconnecting for ever after a lost connection, gets a JetStream context
 * and makes sure stream exists (NULL: COLLECT_NATS_STREAM_DEFAULT) with
 * subjects "netcap.>" and file storage: creates it when it is missing,
 * else checks that its subjects include "netcap.>". opts may be NULL.
 * Returns NULL with err naming the URL or the stream.
 *
 * One handle serves every receive thread of a collector: cnats
 * connections and JetStream contexts are thread-safe (a publish takes the
 * context's lock for the time it takes to queue the message), the
 * counters are atomic, and one connection keeps the batches of a sensor
 * in the order they were accepted. */
struct collect_nats *collect_nats_open(const char *url, const char *stream,
				       const struct collect_nats_opts *opts, char *err,
				       size_t errlen);

/* Publishes one accepted batch asynchronously: records[0..len) are whole
 * framed records of type type_name ("TCP"), from sensor_id (a safe id,
 * collect_id_safe, whose dots leave no empty subject token) of
 * device_type (may be "" or NULL), batch number seq of the sensor's epoch
 * (for a batch that came in fragments, the sequence number of its first
 * piece). Subject netcap.<sensor_id>.<type_name>; headers Netcap-Sensor,
 * Netcap-Device (when not empty), Netcap-Type and Nats-Msg-Id
 * "<sensor_id>.<epoch>.<seq>" (".<part>" appended when the batch is
 * split). Never blocks longer than stall_ms. Returns 0 when every message
 * was queued, -1 when not (the reason counted; err set when err is not
 * NULL). Acknowledgements are counted as they arrive. */
int collect_nats_publish(struct collect_nats *n, const char *sensor_id, const char *device_type,
			 const char *type_name, uint64_t epoch, uint64_t seq,
			 const uint8_t *records, size_t len, char *err, size_t errlen);

struct collect_nats_pub_stats {
	uint64_t batches;         /* handed to collect_nats_publish and queued */
	uint64_t messages;        /* published messages (a split batch is several) */
	uint64_t records, bytes;  /* in the queued messages */
	uint64_t acked;           /* stored by JetStream */
	uint64_t duplicates;      /* of those, dropped by the de-duplication window
				   * (another collector, or a retry, had it) */
	uint64_t pending;         /* queued, not yet acknowledged */
	/* Batches or messages lost to NATS, by cause: */
	uint64_t fail_input;      /* not whole framed records, a bad id or type */
	uint64_t fail_too_large;  /* one record over the server's max_payload */
	uint64_t fail_stalled;    /* max_pending in flight for stall_ms */
	uint64_t fail_publish;    /* the connection refused it (closed, ...) */
	uint64_t fail_ack;        /* JetStream answered an error, or no answer
				   * came in time (messages) */
};

void collect_nats_pub_stats(const struct collect_nats *n, struct collect_nats_pub_stats *st);

/* Waits up to timeout_ms for the acknowledgements still pending, counts
 * those that did not come as fail_ack, closes the connection and frees n.
 * The final counters go to *st when st is not NULL. */
void collect_nats_close(struct collect_nats *n, int timeout_ms, struct collect_nats_pub_stats *st);

/* ---- consuming (netcap-collect --from-nats) ---------------------------------- */

/* Why a message was not written: each counted, the message terminated
 * (JetStream never delivers it again). */
enum collect_nats_bad {
	COLLECT_NATS_BAD_SUBJECT = 0, /* not netcap.<sensor-id>.<Type>, or an
				       * unsafe sensor id */
	COLLECT_NATS_BAD_TYPE,        /* a type name this build does not know,
				       * or one without records (Header) */
	COLLECT_NATS_BAD_HEADER,      /* a Netcap-Sensor or Netcap-Type header
				       * that contradicts the subject */
	COLLECT_NATS_BAD_SIZE,        /* empty, or over COLLECT_BATCH_MAX */
	COLLECT_NATS_BAD_RECORDS,     /* not whole framed records, or a record
				       * malformed for its type */
	COLLECT_NATS_BADS
};

/* "subject", "type", ...: the names in summaries. */
const char *collect_nats_bad_name(enum collect_nats_bad b);

struct collect_nats_consume_opts {
	int batch;           /* messages per fetch; 0: 256 */
	int fetch_wait_ms;   /* a fetch's longest wait, so the stop flag is
			      * seen that often; 0: 500 */
	size_t max_files;    /* open record files at most (sensors x types);
			      * a message that needs one more is handed back
			      * for later (Nak with delay). 0: 4096 */
	uint64_t max_msgs;   /* stop after this many messages; 0: no limit */
	int idle_exit_ms;    /* stop when nothing came for this long; 0: never */
	int level;           /* record files' libdeflate level; 0: default */
};

struct collect_nats_consume_stats {
	uint64_t messages;    /* received (each counted once, written or not) */
	uint64_t written;     /* messages whose records are on disk and acked */
	uint64_t records, bytes;
	uint64_t redelivered; /* delivered more than once (an ack lost, or a
			       * consumer that died before its ack): their
			       * records may be in the files twice */
	uint64_t bad[COLLECT_NATS_BADS];
	uint64_t handed_back; /* Nak'ed: no file could take them (max_files,
			       * a file that could not be opened or written) */
	uint64_t write_errors;
	uint64_t files;       /* record files opened */
	uint64_t fetch_errors;
};

/* Reads stream (NULL: the default) at url through the durable pull
 * consumer durable (NULL: COLLECT_NATS_DURABLE_DEFAULT; no '.'), created
 * when missing (deliver all, ack explicit), so that a restart resumes
 * after the last acknowledged message. Writes every good message's
 * records to OUTDIR/<sensor-id>/<Type>.ncap.gz (directories made; a file
 * of an earlier run is first renamed <Type>.<YYYYmmddTHHMMSSZ>.ncap.gz,
 * as the collector does). Per fetched batch: records handed to the
 * writers, every touched file flushed to disk, then the messages acked:
 * an acked record is on disk; a crash before the ack has its messages
 * delivered again (at least once). Runs until *stop is set (a signal
 * handler sets it; seen within fetch_wait_ms), max_msgs or idle_exit_ms;
 * then closes every file validly. Several consumers may share one
 * durable (they share the messages) when each writes its own OUTDIR.
 * Returns 0, or -1 with err (connection, stream, consumer, outdir, or a
 * file that could not be closed whole). st may be NULL. */
int collect_nats_consume(const char *url, const char *stream, const char *outdir,
			 const char *durable, volatile sig_atomic_t *stop,
			 const struct collect_nats_consume_opts *opts,
			 struct collect_nats_consume_stats *st, char *err, size_t errlen);

/* Parses a subject netcap.<sensor-id>.<Type> (the type is the last token:
 * type names have no dot; a sensor id may): id and type point into
 * subject. false when it has another form, the id is unsafe or the type
 * is not a name of letters, digits and '_' (whether it names a record
 * type is the caller's check). */
bool collect_nats_parse_subject(const char *subject, const char **id, size_t *id_len,
				const char **type, size_t *type_len);

/* Checks a message body as the collector checks a batch: 1..COLLECT_BATCH_MAX
 * bytes of whole framed records, each well-formed for type (a type id).
 * *records gets their count. Returns -1 (all good) or the cause. */
int collect_nats_check_body(int type, const uint8_t *body, size_t len, uint32_t *records);

/* Whether sensor_id can be a subject's token(s): a safe id whose dots
 * leave no empty token ("a.b" yes; "a..b", "a." no). */
bool collect_nats_id_ok(const char *id, size_t len);

/* Frees cnats's global state and waits for its threads (up to
 * timeout_ms): once, at the end of a program that used this API. */
void collect_nats_shutdown(int timeout_ms);

#endif
