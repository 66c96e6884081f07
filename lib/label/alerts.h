/* alerts.h: Suricata alerts read from eve.json and fast.log, for
 * netcap-label (docs/labeling.md, "Alert input" and "Time handling").
 *
 * Both parsers fill one alert_set: an array of struct alert whose texts
 * (classification, signature) are interned, so 100,000 alerts of 20
 * signatures hold 20 copies of the text. Every input byte is hostile: a
 * line longer than ALERT_LINE_MAX, a missing or wrong-typed field, a time
 * out of range is a malformed line, reported as `FILE:LINE: field: reason`
 * (the first ALERT_REPORT_MAX by default, then only counted), skipped and
 * counted; parsing goes on. Memory is bounded by max_alerts and the input.
 *
 * fast.log times carry no zone: they are read in an IANA zone loaded here
 * from its TZif file (alert_tz_load), without touching the process's TZ,
 * so parsing is safe beside threads and leaves netcap-dump's local time
 * alone. */
#ifndef LABEL_ALERTS_H
#define LABEL_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A longer line (without its newline) is malformed: no Suricata event
 * comes near it, and it bounds what one line may cost. */
#define ALERT_LINE_MAX (1u << 20)
/* Malformed lines reported one by one before only the count goes on. */
#define ALERT_REPORT_MAX 100
/* Alerts kept by default (alert_set_init): about 1 GiB (96 bytes each,
 * 13 more in the index); more are counted as dropped. */
#define ALERT_MAX_DEFAULT 10000000u
/* Sentinel for icmp_type/icmp_code: not ICMP, or not given. */
#define ALERT_NO_ICMP (-1)

struct alert {
	int64_t ts;                 /* the packet's time, Unix ns, UTC */
	int64_t flow_start;         /* eve.json flow.start: the first packet of
	                             * the alert's flow, Unix ns; 0 unknown
	                             * (fast.log, or no flow object) */
	uint8_t src[16], dst[16];   /* IPv4 in the first 4 bytes, the rest 0 */
	uint16_t src_port, dst_port; /* 0 when the protocol has none */
	uint8_t version;            /* 4 or 6 */
	uint8_t proto;              /* IP protocol: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
	int16_t icmp_type, icmp_code; /* ALERT_NO_ICMP unless ICMP/ICMPv6 */
	uint32_t gid, sid, rev, priority;
	const char *classification; /* interned; "" when the rule has none */
	const char *signature;      /* interned */
	uint32_t source;            /* index into alert_set.sources */
	uint32_t line;              /* 1-based line number in that source */
};

struct alert_tz;

/* Called for each reported problem (malformed line, DST warning) with the
 * whole message, e.g. "eve.json:12: src_ip: not an IP address". */
typedef void (*alert_report_fn)(void *arg, const char *message);

struct alert_stats {
	uint64_t lines;        /* lines read (empty ones included) */
	uint64_t alerts;       /* alerts kept */
	uint64_t skipped;      /* not alerts: other eve events, empty lines,
	                        * alerts on packets without IP (decoder events) */
	uint64_t malformed;    /* reported, skipped */
	uint64_t dropped;      /* good alerts past max_alerts */
	uint64_t ambiguous;    /* fast.log times in a fall-back hour */
	uint64_t nonexistent;  /* fast.log times in a spring-forward gap */
};

struct alert_intern;

struct alert_set {
	struct alert *alerts;
	size_t n, cap;
	size_t max_alerts;        /* ALERT_MAX_DEFAULT after init; 0: no limit */
	const char **sources;     /* file names, by struct alert.source */
	uint32_t n_sources;
	struct alert_stats stats;
	alert_report_fn report;   /* NULL: stderr */
	void *report_arg;
	uint64_t report_max;      /* problems reported before only counting */
	uint64_t reported;
	struct alert_intern *intern;
	/* fast.log: the last alert's time in UTC, to tell the two readings of
	 * an ambiguous local time apart (docs/labeling.md). */
	int64_t fast_prev_ts;
	bool fast_have_prev;
};

/* Returns 0, or -1 when out of memory. */
int alert_set_init(struct alert_set *set);
void alert_set_free(struct alert_set *set);

/* Registers a source name (copied) and returns its index, or -1. The
 * per-line parsers take that index. */
int alert_set_add_source(struct alert_set *set, const char *name);

/* Parses one line (len bytes, no newline needed; a trailing \r or \n is
 * ignored) of the given source. Returns 1 when an alert was added, 0 when
 * the line was skipped (not an alert, or past max_alerts), -1 when it was
 * malformed (reported and counted), -2 when out of memory. */
int alert_parse_eve_line(struct alert_set *set, const char *line, size_t len,
			 uint32_t source, uint32_t lineno);
int alert_parse_fast_line(struct alert_set *set, const struct alert_tz *tz,
			  const char *line, size_t len, uint32_t source, uint32_t lineno);

/* Reads a whole file ("-" is stdin) line by line. tz NULL reads fast.log
 * as UTC. Returns 0, or -1 when the file could not be opened or read or
 * memory ran out (message through the report callback). Malformed lines do
 * not fail the read: see set->stats. */
int alert_read_eve(struct alert_set *set, const char *path);
int alert_read_fast(struct alert_set *set, const char *path, const struct alert_tz *tz);

/* alert_read_eve on up to threads threads: a plain file of 4 MiB or more
 * is mapped and cut into ranges of whole lines, each parsed into a set of
 * its own, then appended in file order (texts interned again): the same
 * alerts, stats and line numbers as alert_read_eve, reported problems
 * possibly out of line order and at most report_max in all (each range
 * its share). A smaller file, stdin or a pipe is read by one thread. */
int alert_read_eve_threads(struct alert_set *set, const char *path, unsigned threads);

/* Removes the alerts that repeat one of an earlier file: eve.json and
 * fast.log of one Suricata run hold the same events, and given both, each
 * would count twice. An event is the same when its time, addresses,
 * ports, protocol, gid, sid and rev are; copies within one file stay.
 * The order of the alerts kept does not change. Returns how many were
 * removed, or -1 when out of memory (nothing removed). */
ssize_t alert_set_merge_duplicates(struct alert_set *set);

/* An IANA zone read from its TZif file: name like "Europe/Berlin", "UTC",
 * or an absolute path to a TZif file. The directory is $TZDIR, else
 * /usr/share/zoneinfo. NULL on error, with the reason in err. */
struct alert_tz *alert_tz_load(const char *name, char *err, size_t errlen);
void alert_tz_free(struct alert_tz *tz);

enum alert_local_kind {
	ALERT_LOCAL_UNIQUE,       /* one instant */
	ALERT_LOCAL_AMBIGUOUS,    /* two instants (fall back): *early, *late */
	ALERT_LOCAL_NONEXISTENT,  /* none (spring forward): both read with the
	                           * offset in force before the gap */
};

/* The UTC second(s) of local wall-clock second `local` (seconds since the
 * epoch as if local time were UTC). tz NULL is UTC. */
enum alert_local_kind alert_tz_to_utc(const struct alert_tz *tz, int64_t local,
				       int64_t *early, int64_t *late);

/* The UTC offset in seconds in force at UTC second t. */
int32_t alert_tz_offset(const struct alert_tz *tz, int64_t t);

/* An IPv4 or IPv6 address in text (at most 63 bytes) into out, IPv4 in
 * the first 4 bytes and the rest zero, as struct alert holds them; returns
 * the version, or 0 (out zeroed) when it is neither. */
int alert_parse_addr(const char *s, size_t len, uint8_t out[16]);

/* IP protocol number of a Suricata protocol name ("TCP", "IPv6-ICMP",
 * "047", "PROTO:047"), or -1. */
int alert_proto_number(const char *name, size_t len);

#endif
