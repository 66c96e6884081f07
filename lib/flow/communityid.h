/* communityid.h: the Community ID flow hash, version 1
 * (https://github.com/corelight/community-id-spec), as Zeek, Suricata and
 * Arkime write it beside their flow records, so that a Connection or Flow
 * record joins with their logs by one string (docs/flows.md,
 * "Community ID").
 *
 * SHA-1 (nettle) of, in network byte order: the 16-bit seed, the two
 * addresses, the IP protocol, one zero byte, and, for TCP, UDP, SCTP, ICMP
 * and ICMPv6, two 16-bit "ports"; the endpoints ordered so that the lower
 * (address, port) comes first, making the hash the same for both
 * directions. ICMP and ICMPv6 map (type, code) to ports as Zeek does: a
 * request or reply type to (type, its counterpart type), ordered like
 * ports; any other type to (type, code) in the packet's direction (one-way:
 * not ordered). Rendered "1:" and the base64 of the 20-byte digest.
 *
 * No allocation, no state: called once per record, when it is written. */
#ifndef FLOW_COMMUNITYID_H
#define FLOW_COMMUNITYID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "1:" + base64 of 20 bytes (28 characters, one '=') + NUL. */
#define COMMUNITY_ID_SIZE 31
#define COMMUNITY_ID_DIGEST_LEN 20

/* The spec's default; Suricata's community-id-seed and Zeek's
 * CommunityID::seed default to it too. */
#define COMMUNITY_ID_DEFAULT_SEED 0

struct community_tuple {
	uint8_t version;          /* 4 or 6; anything else has no Community ID */
	uint8_t proto;            /* IP protocol number */
	const uint8_t *src, *dst; /* 4 or 16 bytes, network byte order */
	/* TCP, UDP, SCTP: the ports (0 for a fragment keyed without them).
	 * ICMP (1), ICMPv6 (58): the message's type and code, mapped here.
	 * Other protocols: ignored (the hash has no ports). */
	uint16_t src_port, dst_port;
};

/* The ports a message of ICMP (proto 1) or ICMPv6 (58) stands for, and
 * whether it is one-way (no counterpart type: the endpoints are then not
 * ordered). */
bool community_id_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *src_port,
			     uint16_t *dst_port);

/* The SHA-1 digest of t under seed. False (digest untouched) when t has no
 * Community ID (version neither 4 nor 6). */
bool community_id_digest(const struct community_tuple *t, uint16_t seed,
			 uint8_t digest[COMMUNITY_ID_DIGEST_LEN]);

/* The Community ID of t under seed into out, NUL-terminated; its length
 * (30), or 0 with out "" when t has none. */
size_t community_id_v1(const struct community_tuple *t, uint16_t seed, char out[COMMUNITY_ID_SIZE]);

#endif
