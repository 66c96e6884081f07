/* flows.h: flow and connection records (Flow, Connection, LinkFlow,
 * NetworkFlow, TransportFlow), built per worker from decoded packets.
 *
 * Connection (bidirectional) and Flow (one direction) live in the worker's
 * tables: the engine's symmetric hashing puts both directions of a
 * connection on one worker, so they need no locks, and a record's
 * boundaries depend only on its own packets (idle timeout, active timeout,
 * TCP teardown), which makes the records the same whatever the number of
 * workers. Every packet counts, the first one included.
 *
 * LinkFlow, NetworkFlow and TransportFlow aggregate over MAC, IP and port
 * pairs, which span workers. Each worker sums its share per key and aligned
 * time window (--aggregate-window) and hands the partial sums to one
 * aggregator (struct flow_aggregator), which adds them up and writes a
 * window's records once every worker's clock has passed its end. Sums
 * commute, so these records too are the same for any number of workers.
 * See docs/flows.md. */
#ifndef FLOW_FLOWS_H
#define FLOW_FLOWS_H

#include <stdbool.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "decode/decode.h"
#include "flow/flowhash.h"
#include "flow/table.h"

/* Entries per family per worker unless --flow-capacity says otherwise. */
#define FLOW_DEFAULT_CAPACITY (1u << 19)

struct flow_settings {
	uint32_t capacity;          /* entries per family per worker */
	int64_t tcp_idle, udp_idle, other_idle; /* ns */
	int64_t active;             /* ns: a longer connection is cut */
	int64_t tcp_close;          /* ns after FIN both ways or RST */
	int64_t window;             /* ns: LinkFlow/NetworkFlow/TransportFlow windows */
	bool community_id;          /* Connection/Flow CommunityID (communityid.h); on */
	uint16_t community_id_seed; /* its seed; 0 */
	bool want[NCAP_TYPE_LIMIT]; /* which families to build */
};

void flow_settings_default(struct flow_settings *s);

enum flow_family { FAMILY_LINK, FAMILY_NETWORK, FAMILY_TRANSPORT, FAMILY_COUNT };

/* A worker's partial sums for one aggregate key and window. */
struct flow_partial {
	uint8_t family;
	uint8_t key_len;
	uint8_t key[FLOW_KEY_MAX - 8];
	uint32_t hash;              /* the worker's keyed hash of (key, window):
				     * the aggregator's table reuses it */
	int64_t window_start;
	int64_t first, last;
	uint64_t bytes, packets;
};

typedef void (*flow_emit_fn)(void *ctx, int type, const ProtobufCMessage *msg);
typedef void (*flow_partial_fn)(void *ctx, const struct flow_partial *p);

struct flows;
struct flows *flows_create(const struct flow_settings *s, flow_emit_fn emit,
			   flow_partial_fn partial, void *ctx);
void flows_free(struct flows *f);
/* Accounts one decoded packet. tuple_hash: the dispatcher's
 * flow_hash_symmetric() of the same frame bytes with the same link type,
 * or FLOW_HASH_NONE (flowhash.h) when there is none (NIC RSS, one worker,
 * a frame the worker reads from other bytes than the dispatcher hashed):
 * then it is computed here. Only its low 32 bits are used, so a carrier of
 * 32 bits is enough. It must be that hash: a different value for the same
 * tuple would split its records. */
void flows_packet_hashed(struct flows *f, const struct packet *pkt, int link, uint64_t tuple_hash);
/* flows_packet_hashed(f, pkt, link, FLOW_HASH_NONE). */
void flows_packet(struct flows *f, const struct packet *pkt, int link);
/* Expires what is due at `now` (packet time offline, wall clock live). */
void flows_advance(struct flows *f, int64_t now);
/* Writes everything still open (end of input). */
void flows_flush(struct flows *f);
/* Latest time seen or advanced to. */
int64_t flows_now(const struct flows *f);

struct flow_counters {
	uint64_t tracked;           /* entries now */
	uint64_t evicted;           /* written early because a table was full */
	uint64_t probe_evicted;     /* written early because the FLOW_PROBE_LIMIT
				     * slots from a new key's home were taken
				     * (table.h): ~never with the keyed hash */
	uint32_t max_probe;         /* the most index slots one lookup read */
	size_t bytes_per_entry;     /* Connection table */
};
void flows_counters(const struct flows *f, struct flow_counters *out);
/* One table's statistics: type TYPES__TYPE__NC_Connection, _Flow,
 * _LinkFlow, _NetworkFlow or _TransportFlow; false when that family is
 * off. */
bool flows_table_stats(const struct flows *f, int type, struct flow_table_stats *out);

/* ---- the aggregator (aggregator.c) -------------------------------------
 * One per engine: adds up the workers' partial sums of LinkFlow,
 * NetworkFlow and TransportFlow and writes their records. Not thread-safe:
 * one lcore owns it. */
struct flow_aggregator;
struct flow_aggregator *flow_aggregator_create(uint32_t capacity, const struct flow_settings *s,
					       flow_emit_fn emit, void *ctx);
void flow_aggregator_free(struct flow_aggregator *a);
/* Adds a worker's share; its table slot comes from p->hash. */
void flow_aggregator_add(struct flow_aggregator *a, const struct flow_partial *p);
void flow_aggregator_stats(const struct flow_aggregator *a, struct flow_table_stats *out);
/* Writes the windows that ended at or before watermark (every worker's
 * clock has passed it). Live capture only: a replay writes its windows at
 * the end (flush), so captures whose time runs backwards (concatenated
 * files) still give one record per key and window, for any worker count;
 * the aggregator's capacity bounds the memory (when full, the window due
 * first is written early). */
void flow_aggregator_advance(struct flow_aggregator *a, int64_t watermark);
void flow_aggregator_flush(struct flow_aggregator *a);

#endif
