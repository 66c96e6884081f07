/* match.h: which alerts a record matches, by its record family, and the
 * Label column made from them (docs/labeling.md, "Matching rules").
 *
 * Use: one label_matcher per record TYPE, built from its protobuf-c
 * descriptor (label_matcher_init finds the fields by name once); then per
 * record label_match() fills a caller's bounded array with the numbers of
 * the alerts it matches (and marks them matched in the index), and
 * label_text() turns them into the Label column. Nothing is allocated per
 * record: a record costs O(log alerts + matches).
 *
 * Families (label_matcher.family), decided from the fields a type has:
 *   LABEL_FAMILY_PACKET_TUPLE  Timestamp, SrcIP/DstIP, SrcPort/DstPort
 *       (TCP, UDP, SCTP, DNS, DHCP, NTP, SIP): alerts of the same
 *       addresses and ports, in either direction, at Timestamp;
 *   LABEL_FAMILY_PACKET_ADDRS  Timestamp, SrcIP/DstIP, no ports, or a
 *       network-layer type (IPv4, IPv6, IPv6Fragment, whose ports are
 *       informative): alerts between the addresses, any protocol;
 *   LABEL_FAMILY_PACKET_TIME   Timestamp only (Ethernet, ARP, Dot1Q, LLC,
 *       VXLAN, MPLS, ...): every alert at exactly that time;
 *   LABEL_FAMILY_FLOW          TimestampFirst/TimestampLast with addresses
 *       (Connection, Flow: TransportProto and ports; NetworkFlow: addresses):
 *       alerts of the tuple in either direction within the span;
 *   LABEL_FAMILY_APP           HTTP, TLSClientHello, TLSServerHello: their
 *       connection's tuple (HTTP: its addresses over TCP), from Timestamp to
 *       Timestamp + max(DoneAfter, 0) + the application slack;
 *   LABEL_FAMILY_NONE          anything else (LinkFlow, TransportFlow, types
 *       without a timestamp): never labeled; not an error.
 * "At a time" means within the index's tolerance (index.h). */
#ifndef LABEL_MATCH_H
#define LABEL_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "label/index.h"

/* Default application slack: how long after an HTTP or TLS record's last
 * byte Suricata may still stamp an alert of it on a packet of the
 * connection (docs/labeling.md: 56 ms in 1kxun.pcap; 5 s covers delayed
 * ACKs and stream reassembly depth without reaching the next minute). */
#define LABEL_APP_SLACK_DEFAULT_NS (5LL * 1000000000LL)

enum label_family {
	LABEL_FAMILY_NONE,
	LABEL_FAMILY_PACKET_TUPLE,
	LABEL_FAMILY_PACKET_ADDRS,
	LABEL_FAMILY_PACKET_TIME,
	LABEL_FAMILY_FLOW,
	LABEL_FAMILY_APP,
};

struct label_matcher {
	const ProtobufCMessageDescriptor *desc;
	enum label_family family;
	/* The fields used (NULL when absent); ports are int32 or string. */
	const ProtobufCFieldDescriptor *ts, *ts_first, *ts_last, *src_ip, *dst_ip, *src_port,
		*dst_port, *transport, *done_after;
	int proto;             /* the type's IP protocol, or LABEL_ANY_PROTO */
	int64_t app_slack_ns;
	const char *why_none;  /* LABEL_FAMILY_NONE: the reason, for messages */
};

/* Decides desc's family. app_slack_ns < 0 takes the default. */
void label_matcher_init(struct label_matcher *m, const ProtobufCMessageDescriptor *desc,
			int64_t app_slack_ns);

/* The family's name ("packet-tuple", ...), for messages and docs. */
const char *label_family_name(enum label_family f);

/* Per-record outcome besides the matches. */
struct label_match_result {
	size_t total;     /* alerts matched; those past cap are counted here only */
	bool bad_record;  /* a field unreadable (address or port not parseable,
	                   * another message type): no match, counted by caller */
};

/* The alerts record matches: their numbers (indices into idx->alerts) go
 * into out[0..cap), in time order within one query; every match is marked
 * in idx, those past cap too. Returns how many were stored (min(total,
 * cap)); res (may be NULL) gets the total and whether the record was bad. */
size_t label_match(const struct label_matcher *m, const ProtobufCMessage *record,
		   struct label_index *idx, uint32_t *out, size_t cap,
		   struct label_match_result *res);

struct label_text_options {
	bool description;              /* the signature instead of the classification */
	bool collect;                  /* every distinct label, joined with " | " */
	bool strict;                   /* different classifications: LABEL_TEXT_CONFLICT */
	const char *const *exclude_class; /* classifications ignored entirely */
	size_t n_exclude;
};

#define LABEL_TEXT_CONFLICT (-1)

/* The Label column of matches[0..n) (alert numbers from label_match; the
 * array is reordered by time, sid) into out (NUL-terminated, truncated to
 * outlen). Returns the full text's length (like snprintf: >= outlen means
 * truncated), or LABEL_TEXT_CONFLICT under strict when the alerts left
 * after exclude_class have different classifications (out then names
 * them: "A | B"). The text is raw: the CSV emitter quotes it.
 *
 * The label of an alert is its classification, or its signature with
 * description; an alert whose rule has no classtype ("") is labeled by its
 * signature. No match left: "normal". Without collect one alert wins: the
 * lowest priority number (Suricata's most severe), then the earliest,
 * then the lowest sid, then the first in the alert files. */
int label_text(const struct label_index *idx, uint32_t *matches, size_t n,
	       const struct label_text_options *o, char *out, size_t outlen);

#endif
