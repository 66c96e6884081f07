/* flowhash.h: the flow tuple of a packet and its symmetric hash.
 *
 * Both directions of a connection must reach the same worker (its flow
 * table has no locks), so the dispatcher hashes the direction-normalised
 * 5-tuple: the smaller (address, port) endpoint first. CRC32 (SSE4.2, via
 * rte_hash_crc) costs a few ns where software Toeplitz costs ~60 ns.
 *
 * Workers key their Connection and Flow records on the very same tuple,
 * taken by the same shallow parse (Ethernet, VLANs, IPv4/IPv6 fixed
 * header, ports), so the worker a packet reaches and the record it counts
 * in can never disagree, whatever the full decoders make of a malformed
 * packet. Non-first and first fragments carry no ports here, so all
 * fragments of a datagram stay together. Packets without IP use the MAC
 * pair; packets with neither hash to 0 (worker 0). */
#ifndef FLOW_FLOWHASH_H
#define FLOW_FLOWHASH_H

#include <stdbool.h>
#include <stdint.h>

struct flow_tuple {
	uint8_t version;          /* 4 or 6; 0: no IP */
	uint8_t proto;
	bool has_mac;
	uint16_t src_port, dst_port;
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes, rest zero */
	uint8_t src_mac[6], dst_mac[6];
};

/* Fills t from the frame; false when it has neither IP nor MACs. */
bool flow_tuple_extract(const uint8_t *data, uint32_t len, int link, struct flow_tuple *t);
/* Same value for both directions. */
uint32_t flow_tuple_hash(const struct flow_tuple *t);

uint32_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link);

/* The Toeplitz key NICs get for RSS (lib/pipeline/engine.c): 0x6d5a
 * repeated, so both directions of a connection hash alike (Woo and Park,
 * "Scalable TCP Session Monitoring with Symmetric Receive-side Scaling").
 * 52 bytes, the longest key NICs take; tests/unit/test_rsskey.c checks the
 * symmetry with DPDK's software Toeplitz (rte_softrss). */
extern const uint8_t flow_symmetric_rss_key[52];

#endif
