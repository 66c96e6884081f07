/* internal.h: what the worker's flow tables (flows.c) and the aggregator
 * (aggregator.c) share, written once: the aggregate entry both keep, the
 * record UID, and the text forms of a record's fields. Internal to
 * lib/flow: callers outside it use flows.h. */
#ifndef FLOW_INTERNAL_H
#define FLOW_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <rte_hash_crc.h>

#include "decode/decode.h"
#include "decode/ipproto.h"
#include "flow/flows.h"
#include "flow/table.h"

#define NS_PER_S 1000000000LL

/* The timer wheels' tick: due records are written within a second of
 * their expiry (docs/flows.md, "When a record ends"). */
#define FLOW_TICK_NS NS_PER_S

/* An entry of an aggregate table, per worker (a worker's share of one key
 * and window) and in the aggregator (the sum of the workers' shares). */
struct aggregate {
	struct flow_node node;
	struct flow_partial sum;
};

static inline const char *network_name(uint8_t version)
{
	return version == 4 ? "IPv4" : version == 6 ? "IPv6" : "";
}

/* Empty for IP protocols NETCAP has no name for, and for no IP (0). */
static inline const char *transport_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_SCTP: return "SCTP";
	case IPPROTO_ICMP: return "ICMPv4";
	case IPPROTO_ICMPV6: return "ICMPv6";
	case IPPROTO_IGMP: return "IGMP";
	default: return "";
	}
}

/* Record UIDs: identifiers, not table hashes, so deliberately unkeyed
 * (CRC32-C, no secret): the same input must give the same UIDs on every
 * run, machine and worker count (tests compare 1, 2 and 4 workers record
 * for record, and users join records across runs by UID). Nothing is
 * looked up by UID, so a sender who makes UIDs collide (CRC is linear)
 * slows nothing down; it can make two records share a UID, which is why
 * records are also told apart by their keys and times (docs/flows.md). */
static inline uint64_t uid_of(const void *key, size_t len, int64_t first)
{
	uint64_t lo = rte_hash_crc(key, (uint32_t)len, (uint32_t)first);
	uint64_t hi = rte_hash_crc(&first, sizeof first, (uint32_t)lo ^ 0x9e3779b9u);
	return hi << 32 | lo;
}

/* The decoders' text forms, written into a caller's buffer instead of a
 * packet's arena: records are written when a flow ends, long after its
 * packets' arenas are gone. */
static inline void format_addr(char *out, size_t n, int version, const uint8_t *addr)
{
	struct arena a = { .base = (uint8_t *)out, .cap = n };
	char *s = format_ip(&a, version, addr);
	if (s != out) /* no space, or a constant "" */
		snprintf(out, n, "%s", s);
}

static inline void format_mac_into(char out[18], const uint8_t mac[6])
{
	struct arena a = { .base = (uint8_t *)out, .cap = 18 };
	format_mac(&a, mac); /* 18 bytes always fit */
}

#endif
