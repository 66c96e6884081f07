/* defrag.h: IPv4 and IPv6 reassembly, one reassembler per worker.
 *
 * Why per worker: the dispatcher sends every fragment of a datagram to the
 * same worker (flowhash.c hashes fragments by their addresses only), so a
 * worker can reassemble alone, without locks, like its flow tables.
 *
 * Two layers:
 *   - the reassembler (struct defrag, defrag_add): a table of datagrams in
 *     progress keyed by (src, dst, protocol, id) for IPv4 (RFC 791) and
 *     (src, dst, id) for IPv6 (RFC 8200: the Next Header of non-first
 *     fragments may differ; the offset-0 fragment's counts), whose trackers
 *     and data pages come from pools carved once from a memory budget.
 *     Nothing is allocated per packet; a full pool evicts the oldest
 *     datagram. Time is the packets' own: a datagram expires `timeout` after
 *     its first fragment (as Linux's ipfrag_time: a sender cannot keep one
 *     alive by trickling fragments), so a replay gives the same result at
 *     any speed.
 *   - the decoder glue (defrag_ipv4, defrag_ipv6): what ipv4.c and ipv6.c
 *     call for a fragment. It counts the events as (Defrag, reason) decoder
 *     events and, when a datagram completes, decodes its payload once with
 *     the transport and application decoders, exposing the datagram in
 *     pkt->reassembled for the flow tables.
 *
 * Policy (docs/decoding.md, "Defragmentation"): on overlaps the bytes
 * already held win (Suricata's and Snort frag3's "first" policy): a later
 * fragment cannot rewrite what the monitor already holds. Every overlap is
 * counted, and an overlap whose bytes differ is counted apart: hosts of
 * different policies would see different datagrams, an evasion signal. */
#ifndef DEFRAG_DEFRAG_H
#define DEFRAG_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define DEFRAG_DEFAULT_MEMORY (32u << 20)
#define DEFRAG_MIN_MEMORY (256u << 10)
#define DEFRAG_DEFAULT_TIMEOUT_S 60        /* Linux: 30 for IPv4, 60 for IPv6; Suricata 60 */
#define DEFRAG_MAX_FRAGMENTS 64            /* per datagram, every fragment counted */
#define DEFRAG_MAX_PAYLOAD 65535u          /* largest reassembled IP payload */
#define DEFRAG_PAGE 1024u                  /* data is held in pages of this size */
#define DEFRAG_PAGES_PER_DATAGRAM ((DEFRAG_MAX_PAYLOAD + DEFRAG_PAGE - 1) / DEFRAG_PAGE)
#define DEFRAG_HEADER_MAX 60               /* an IPv4 header with options; IPv6: 40 */

struct defrag;

/* What happened to one fragment (defrag_add). */
enum defrag_verdict {
	DEFRAG_HELD,        /* kept; the datagram is not complete yet */
	DEFRAG_COMPLETE,    /* this fragment completed it: see the datagram */
	DEFRAG_DISCARDED,   /* not kept: a duplicate, or its datagram was dropped */
};

/* One fragment as the IP decoders see it. */
struct defrag_fragment {
	uint8_t version;            /* 4 or 6 */
	uint8_t proto;              /* IPv4 protocol (in the key); IPv6: the fragment
	                             * header's Next Header, taken from offset 0 only */
	const uint8_t *src, *dst;   /* 4 or 16 bytes */
	uint32_t id;                /* IPv4: 16 bits; IPv6: 32 */
	uint64_t tunnel;            /* the tunnels around it (packet.tunnel): two
	                             * tenants' equal keys stay apart */
	uint32_t offset;            /* in bytes (the field times 8) */
	bool more;                  /* more fragments follow */
	const uint8_t *data;        /* the fragment's payload, all of it captured */
	uint32_t len;
	/* The IP header the reassembled datagram is given (for the flow
	 * tables): IPv4 the whole header, IPv6 the 40-byte fixed header. Taken
	 * from the fragment at offset 0. */
	const uint8_t *header;
	uint32_t header_len;
	uint32_t frame_bytes;       /* the fragment's frame on the wire, summed for flows */
	int64_t ts;                 /* packet time, ns */
};

/* A completed datagram, valid until the next defrag_add. */
struct defrag_datagram {
	const uint8_t *packet;      /* header + payload, lengths and flags fixed */
	uint32_t packet_len;
	const uint8_t *payload;
	uint32_t payload_len;
	uint8_t proto;
	uint32_t fragments;
	uint32_t frame_bytes;       /* the fragments' frames summed */
};

struct defrag_usage {
	size_t budget;              /* bytes allocated at creation, all of it */
	size_t in_use, peak;        /* bytes of trackers and pages holding data */
	uint32_t trackers, trackers_max;
	uint32_t pages, pages_max;
};

/* The reassembler for one worker: `memory` bytes in all (at least
 * DEFRAG_MIN_MEMORY), allocated here once; timeout in ns. NULL on no
 * memory or a budget below the minimum. */
struct defrag *defrag_create(size_t memory, int64_t timeout_ns);
void defrag_free(struct defrag *d);

/* Takes one fragment at packet time f->ts, counting into events (a row of
 * decode_stats.events indexed by enum decode_reason: the Defrag row). On
 * DEFRAG_COMPLETE, *out holds the datagram. Expires what is due first. */
enum defrag_verdict defrag_add(struct defrag *d, const struct defrag_fragment *f,
			       uint64_t events[REASON_COUNT], struct defrag_datagram *out);

/* Expires datagrams older than the timeout at time now (packet time). */
void defrag_expire(struct defrag *d, int64_t now, uint64_t events[REASON_COUNT]);

void defrag_get_usage(const struct defrag *d, struct defrag_usage *u);

/* ---- decoder glue ------------------------------------------------------ */

/* What the IP decoder does next. */
enum defrag_result {
	DEFRAG_PASS,        /* no reassembler or not a fragment to reassemble:
	                     * decode as without defragmentation */
	DEFRAG_TAKEN,       /* the reassembler took it (held or discarded): the
	                     * IP layer stops here, its record made */
	DEFRAG_DECODED,     /* completed: the datagram's transport and
	                     * application layers are decoded, into this pkt */
};

/* An IPv4 fragment (MF set or offset > 0). `header` is the fragment's IP
 * header (ihl*4 bytes, inside the packet), `payload` its payload cut to
 * the total length. A fragment not all captured cannot be reassembled:
 * counted as (Defrag, truncated) and passed. */
struct ipv4_frag_info {
	const uint8_t *header;
	uint32_t header_len;
	uint8_t proto;
	uint16_t id;
	uint32_t offset;            /* bytes */
	bool more;
	bool cut;                   /* the payload is not all captured (snaplen) */
};
int defrag_ipv4(struct decoder_ctx *ctx, struct packet *pkt, const struct ipv4_frag_info *f,
		const struct cursor *payload);

/* An IPv6 fragment header. `header` is the fixed 40-byte header of the
 * packet (the reassembled datagram's header is built from it), or NULL: a
 * header of the packet's addresses (pkt->src_ip, dst_ip) is made, traffic
 * class, flow label and hop limit 0. `payload` is what follows the
 * fragment header, cut to the payload length. The reassembled payload is
 * handed to decode_ip_protocol() by the Next Header of the offset-0
 * fragment: an extension header there (destination options after the
 * fragment header) is an unknown layer (a limitation for now).
 * An atomic fragment (offset 0, M clear: RFC 6946) is counted and passed:
 * it is decoded as is, never reassembled. */
struct ipv6_frag_info {
	const uint8_t *header;
	uint8_t next_header;        /* the fragment header's Next Header */
	uint32_t id;
	uint32_t offset;            /* bytes */
	bool more;
	bool cut;                   /* the payload is not all captured (snaplen) */
};
int defrag_ipv6(struct decoder_ctx *ctx, struct packet *pkt, const struct ipv6_frag_info *f,
		const struct cursor *payload);

#endif
