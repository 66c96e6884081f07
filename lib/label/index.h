/* index.h: the alerts of an alert_set, found by a record's tuple and time
 * in O(log n + matches), never by a scan of all alerts (docs/labeling.md,
 * "The index").
 *
 * Sorted arrays of alert numbers (4 bytes an alert each):
 *   by tuple:   (IP version, protocol, the lower (address, port) end, the
 *                higher end, time): a connection's alerts in both
 *                directions share one run, in time order;
 *   by address: (IP version, the lower address, the higher, time), for
 *                alerts without ports (ICMP) and records without ports
 *                (IPv4/IPv6 records): any protocol or one, any ports;
 *   by time:    (time), for records without addresses (Ethernet, ARP,
 *                ...), which only their packet's time ties to an alert;
 *   by flow:    (the tuple, the flow's start), the alerts of eve.json
 *                whose flow start is known, for flow records.
 * A query is a binary search to the first alert of its key at or after the
 * window's start, then a walk while the key holds and the time is inside.
 * Sorted arrays rather than a hash table: no hash to flood, no resizing,
 * and the memory is exactly O(alerts).
 *
 * The index is read-only after label_index_build, so any number of threads
 * may query it at once. The per-alert "matched" flags are atomic bytes
 * (relaxed; set once, never cleared): labeling threads mark the alerts they
 * used, and the tool lists the alerts no record matched. */
#ifndef LABEL_INDEX_H
#define LABEL_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "label/alerts.h"

/* Default time tolerance: 1 microsecond. Suricata stamps an alert with
 * the time of its packet at microsecond precision; a record carries the
 * same packet time, at most truncated differently (a nanosecond pcapng),
 * so 0 would do for a packet's own records and 1 us absorbs the rounding
 * without reaching the neighbouring packets of the same flow. See
 * docs/labeling.md for why not a second. */
#define LABEL_TOLERANCE_DEFAULT_NS 1000
/* label_query.proto for label_index_find_addrs: every protocol. */
#define LABEL_ANY_PROTO (-1)

struct label_index {
	const struct alert *alerts;
	uint32_t n;
	uint32_t *by_tuple, *by_addr, *by_time;
	uint32_t *by_flow; /* alerts with a flow start, by tuple and that start */
	uint32_t n_flow;
	_Atomic uint8_t *matched;
	int64_t tolerance_ns;
};

struct label_query {
	uint8_t version;              /* 4 or 6 */
	int proto;                    /* IP protocol; LABEL_ANY_PROTO (find_addrs) */
	const uint8_t *a_addr, *b_addr; /* 16 bytes each, IPv4 in the first 4, rest 0 */
	uint16_t a_port, b_port;      /* label_index_find only: 0 for no ports */
	int64_t t_from, t_to;         /* Unix ns, inclusive; the tolerance widens it */
};

/* Called for each matching alert, in time order; return false to stop. */
typedef bool (*label_match_fn)(void *arg, uint32_t alert_no, const struct alert *a);

/* Builds the index over alerts[0..n) (the array must outlive it).
 * tolerance_ns < 0 takes LABEL_TOLERANCE_DEFAULT_NS. Returns 0, or -1 when
 * out of memory or n over UINT32_MAX. */
int label_index_build(struct label_index *idx, const struct alert *alerts, size_t n,
		      int64_t tolerance_ns);
void label_index_free(struct label_index *idx);

/* The alerts of the query's tuple in either direction (a->b or b->a, the
 * protocol and ports exact) with time in [t_from - tol, t_to + tol].
 * Alerts without ports have ports 0, so an ICMP query passes 0, 0. fn may
 * be NULL (only counting). Returns the number of matches; *probes (when
 * not NULL) gets the alerts compared, for tests of the cost. */
size_t label_index_find(const struct label_index *idx, const struct label_query *q,
			label_match_fn fn, void *arg, uint64_t *probes);

/* The alerts between the two addresses in either direction, whatever
 * their ports, of q->proto or (LABEL_ANY_PROTO) any protocol, in the same
 * window: for alerts without ports and records without ports. Costs
 * O(log n + the alerts between these addresses in the window). */
size_t label_index_find_addrs(const struct label_index *idx, const struct label_query *q,
			      label_match_fn fn, void *arg, uint64_t *probes);

/* The alerts of the query's tuple (exact, either direction, as
 * label_index_find) whose flow started (alert.flow_start, eve.json only)
 * in [t_from - tol, t_to + tol], in the order of those starts: for the
 * alerts Suricata raises when it flushes a flow, stamped after its last
 * packet. O(log n + the matches). */
size_t label_index_find_flow_start(const struct label_index *idx, const struct label_query *q,
				   label_match_fn fn, void *arg, uint64_t *probes);

/* Every alert in [t_from - tol, t_to + tol], whatever its addresses, in
 * time order: for records that carry no address (link layer), matched by
 * their packet's time alone. Costs O(log n + the alerts in the window). */
size_t label_index_find_time(const struct label_index *idx, int64_t t_from, int64_t t_to,
			     label_match_fn fn, void *arg, uint64_t *probes);

/* The "matched" flags, safe from any thread. */
static inline void label_index_mark(struct label_index *idx, uint32_t alert_no)
{
	/* Load first: a flag already set costs no write, so threads marking
	 * the same alert do not bounce its cache line. */
	if (!atomic_load_explicit(&idx->matched[alert_no], memory_order_relaxed))
		atomic_store_explicit(&idx->matched[alert_no], 1, memory_order_relaxed);
}

static inline bool label_index_matched(const struct label_index *idx, uint32_t alert_no)
{
	return atomic_load_explicit(&idx->matched[alert_no], memory_order_relaxed) != 0;
}

/* How many alerts are marked (after the labeling threads have joined). */
size_t label_index_count_matched(const struct label_index *idx);

#endif
