/* flowhash.h: the flow tuple of a packet, its keyed symmetric hash, the
 * keyed hashes of the flow tables, and the NIC's RSS key.
 *
 * Both directions of a connection must reach the same worker (its flow
 * table has no locks), so the dispatcher hashes the direction-normalised
 * 5-tuple: the smaller (address, port) endpoint first.
 *
 * Workers key their Connection and Flow records on the very same tuple,
 * taken by the same shallow parse (Ethernet, VLANs, IPv4/IPv6 fixed
 * header, ports), so the worker a packet reaches and the record it counts
 * in can never disagree, whatever the full decoders make of a malformed
 * packet. Non-first and first fragments carry no ports here, so all
 * fragments of a datagram stay together. Packets without IP use the MAC
 * pair; packets with neither hash to 0 (worker 0).
 *
 * Tunnels (IP in IP, GRE, ERSPAN, VXLAN, Geneve, GTP-U, Teredo; MPLS and
 * PPPoE shims) are followed to the innermost IP header, at most
 * FLOW_TUNNEL_MAX_DEPTH deep: the tuple is the inner conversation's, plus
 * tunnel_id, which tells two tenants' equal inner tuples apart and is the
 * same in both directions (it leaves out what differs by direction: outer
 * source ports, GTP-U TEIDs, MPLS labels). docs/flows.md, "Tunnels".
 *
 * Keyed, because the monitor will be attacked: the tuple comes from the
 * network, and the unkeyed CRC32-C this used to be is linear over GF(2),
 * so 20,000 spoofed flows could be solved to share one table slot (89 us
 * per packet instead of 1.5) and one worker. Every table hash is now
 * SipHash-1-3 (siphash.h) under a secret 128-bit key drawn once per run
 * (libsodium's randombytes_buf). One hash per distinct key per packet: the
 * dispatcher's symmetric tuple hash is handed to the worker, whose
 * Connection table uses it as is and whose Flow table derives the directed
 * hash from it (flow_hash_reply); the three aggregate families hash their
 * key once each, and the aggregator reuses that hash. See docs/flows.md,
 * "Hashing". Record UIDs are not table hashes and stay unkeyed (internal.h,
 * uid_of). */
#ifndef FLOW_FLOWHASH_H
#define FLOW_FLOWHASH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "flow/siphash.h"

struct flow_tuple {
	uint8_t version;          /* 4 or 6; 0: no IP */
	uint8_t proto;
	bool has_mac;
	/* ICMP (1) and ICMPv6 (58), when the header was reached: the message's
	 * type and code, for the records' Community ID (communityid.h). Not
	 * part of the key or the hash: ICMP is keyed on the addresses. */
	bool has_icmp;
	uint8_t icmp_type, icmp_code;
	uint16_t src_port, dst_port;
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes, rest zero */
	uint8_t src_mac[6], dst_mac[6];
	/* The tunnels the addresses above were found in, folded into one
	 * word (flow_tunnel_fold); 0: none, and then the hash and the record
	 * keys are exactly what they were before tunnels were followed. Two
	 * tenants' equal inner tuples differ here. */
	uint64_t tunnel_id;
};

/* Encapsulations flow_tuple_extract follows at most (IP in IP, GRE,
 * VXLAN, Geneve, GTP-U, Teredo, MPLS, PPPoE each count one): real traffic
 * nests two or three (PPPoE, then GRE, then IP); a frame that nests more is
 * keyed on the IP layer reached at the cap. Bounds the parse per packet. */
#define FLOW_TUNNEL_MAX_DEPTH 4

/* The kinds of tunnel folded into tunnel_id (docs/flows.md, "Tunnels"). */
enum flow_tunnel_kind { FLOW_TUNNEL_IPIP = 1, FLOW_TUNNEL_GRE, FLOW_TUNNEL_VXLAN, FLOW_TUNNEL_GENEVE,
			FLOW_TUNNEL_GTP, FLOW_TUNNEL_TEREDO };

/* One more tunnel layer on the id `outer` (0 at the outermost): kind, its
 * identifier (VNI, GRE key; 0 for none) and the carrier IP header's two
 * addresses in order (version 4 or 6), so that both directions get the
 * same id. SipHash-1-3 under a fixed, public key, not the run's: the id is
 * part of the record key, hence of the record UIDs, which must be the same
 * on every run (internal.h, uid_of); a sender would still need 2^64 work to
 * make its tunnel's id equal a given other tunnel's. Never 0. */
uint64_t flow_tunnel_fold(uint64_t outer, enum flow_tunnel_kind kind, uint64_t ident, uint8_t version,
			  const uint8_t *addr_a, const uint8_t *addr_b);

/* ---- the key ------------------------------------------------------------ */

#define FLOW_HASH_KEY_LEN 16

/* Sets the run's key: key NULL draws a random one (libsodium's
 * randombytes_buf; sodium_init() is called here), else the 16 bytes given
 * (tests, reproducing a run). Call once at start, before any lcore hashes:
 * changing the key while tables hold entries loses them. A random key is
 * also set before main() (a constructor), so no caller can ever hash with
 * a known key by forgetting this; calling it is still the way to fail
 * cleanly. 0, or -1 when libsodium cannot start (nothing changed then). */
int flow_hash_init(const uint8_t *key);

/* The keys derived from the run's key (SipHash-2-4 of a label under it):
 * read-only once set. */
enum flow_hash_domain { FLOW_HASH_TUPLE, FLOW_HASH_LINK, FLOW_HASH_NETWORK, FLOW_HASH_TRANSPORT,
			FLOW_HASH_DOMAINS };
struct flow_hash_keys {
	struct sip_key sip[FLOW_HASH_DOMAINS];
	uint64_t reply;           /* flow_hash_reply() */
};
extern struct flow_hash_keys flow_hash_keys;

/* ---- the tuple and its hash ------------------------------------------------ */

/* "No hash" for a hash handed from the dispatcher to a worker: the worker
 * computes it. A real hash may be 0 too: the worker then recomputes the
 * same value, so 0 is never wrong, only slower. */
#define FLOW_HASH_NONE 0

/* Fills t from the frame; false when it has neither IP nor MACs. Follows
 * tunnels to the innermost IP header (docs/flows.md, "Tunnels"): t then
 * holds that header's addresses and ports, the tunnels' identity in
 * tunnel_id, and the MACs of the innermost Ethernet header. */
bool flow_tuple_extract(const uint8_t *data, uint32_t len, int link, struct flow_tuple *t);
/* The same for a packet that was carried in the tunnel `tunnel_id` (the
 * tuple's id of a fragment of it): a datagram the defragmenter rebuilt
 * from fragments that arrived in a tunnel. */
bool flow_tuple_extract_in(const uint8_t *data, uint32_t len, int link, uint64_t tunnel_id,
			   struct flow_tuple *t);
/* Whether the packet's source is the lower endpoint: its address is the
 * lower (compared as big-endian bytes), or the addresses are equal and its
 * port is not the higher. The one order both the symmetric hash and the
 * Connection key (flows.c) normalise by, decided here once so that they
 * cannot disagree. For a tuple with IP or MACs. */
static inline bool flow_tuple_src_is_lower(const struct flow_tuple *t)
{
	if (t->version == 4) {
		/* The addresses as numbers, whose order is their bytes':
		 * one comparison instead of a memcmp call. */
		uint32_t s = (uint32_t)t->src[0] << 24 | (uint32_t)t->src[1] << 16 | (uint32_t)t->src[2] << 8 | t->src[3];
		uint32_t d = (uint32_t)t->dst[0] << 24 | (uint32_t)t->dst[1] << 16 | (uint32_t)t->dst[2] << 8 | t->dst[3];
		return s < d || (s == d && t->src_port <= t->dst_port);
	}
	int order = t->version ? memcmp(t->src, t->dst, 16) : memcmp(t->src_mac, t->dst_mac, 6);
	return order < 0 || (order == 0 && t->src_port <= t->dst_port);
}

/* The keyed symmetric hash (same value for both directions), a function of
 * exactly what the Connection key holds (flows.c: version, protocol when
 * there is IP, the two ordered endpoints, the tunnel id); 0 without IP or
 * MACs. Untunnelled (tunnel_id 0): the same message, hence the same value,
 * as before tunnels were keyed. */
uint64_t flow_tuple_hash(const struct flow_tuple *t);
/* flow_tuple_extract then flow_tuple_hash: the dispatcher's hash. */
uint64_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link);

/* The worker of n for a symmetric hash: its high 32 bits, scaled (no
 * division). The flow tables index by the low bits, so the choice of worker
 * and the slot within a worker's table stay independent. */
static inline unsigned flow_hash_worker(uint64_t h, unsigned n)
{
	return (unsigned)(((h >> 32) * n) >> 32);
}

/* The Flow (one direction) table's hash of a packet from the higher
 * endpoint (the lower one's is the symmetric hash itself): XOR with a
 * secret random word, so the two directions of a conversation get
 * independent slots and no pair of directed keys collides more often than
 * at random. The low 32 bits are what the tables use. */
static inline uint64_t flow_hash_reply(uint64_t symmetric)
{
	return symmetric ^ flow_hash_keys.reply;
}

/* The keyed hash of an aggregate key (LinkFlow, NetworkFlow,
 * TransportFlow: domain FLOW_HASH_LINK.. FLOW_HASH_TRANSPORT). The worker
 * builds the short keys' messages in registers instead (flows.c,
 * aggregate_hash), which must equal this (unit test
 * aggregate_hash_is_siphash13_of_the_key); IPv6 pairs go by the bytes. */
static inline uint64_t flow_hash_bytes(enum flow_hash_domain domain, const void *key, unsigned len)
{
	return flow_siphash13(&flow_hash_keys.sip[domain], key, len);
}

/* ---- NIC RSS ---------------------------------------------------------------- */

#define FLOW_RSS_KEY_LEN 52       /* the longest key NICs take */

/* A random symmetric Toeplitz key for this run: a random 16-bit pattern
 * repeated (both directions of a connection then land in one queue: the
 * swapped fields are 16-bit aligned, so the hash depends on them only
 * through their XOR), redrawn until flow_rss_pattern_ok(). Returns the
 * pattern. Only 16 bits of secret, and the hash is a linear function of the
 * tuple's 16-bit XOR fold whatever the key: this stops steering by the
 * public default key and precomputed tables, not an attacker who measures
 * or who simply keeps the fold constant (docs/flows.md, "RSS key"). The
 * flow tables do not depend on it: their flood resistance is the keyed
 * hash above. */
uint16_t flow_rss_key_random(uint8_t key[FLOW_RSS_KEY_LEN]);
/* The key of a pattern: its two bytes, big-endian, repeated. */
void flow_rss_key_from_pattern(uint16_t pattern, uint8_t key[FLOW_RSS_KEY_LEN]);
/* Weak patterns are refused: a zero or 0xff byte, a popcount outside 5..11,
 * an even popcount (then the map from the 16-bit fold to the hash loses
 * rank and some redirection-table entries are never used), or a bad spread
 * of a fixed set of IPv4 and IPv6 tuples over 2 to 16 queues. */
bool flow_rss_pattern_ok(uint16_t pattern);

/* The old fixed key (0x6d5a repeated, Woo and Park, "Scalable TCP Session
 * Monitoring with Symmetric Receive-side Scaling"): public, so anyone can
 * compute which queue a flow lands in. The engine draws flow_rss_key_random()
 * instead; this one stays as the known symmetric key tests/unit/test_rsskey.c
 * checks. Not for new code. */
extern const uint8_t flow_symmetric_rss_key[FLOW_RSS_KEY_LEN];

#endif
