/* decode.h: the packet decoding framework shared by every protocol file.
 *
 * A worker decodes one packet at a time into a struct packet. Each protocol
 * lives in its own file (ethernet.c, ipv4.c, ...) as one function with the
 * uniform signature decode_fn: it parses its header through the cursor,
 * records what upper layers need in the packet, appends its audit record
 * when that record type is enabled, and hands the rest of the data to the
 * next decoder through a dispatch table (by link type, ethertype, IP
 * protocol). Malformed input never aborts: it becomes a counted event
 * (protocol, reason) and decoding stops below that layer. Every byte is
 * hostile: what a decoder does with a packet is bounded by the packet's
 * size, every list a record keeps has a cap (a cut is counted as CAPPED
 * and marks the record Truncated), and record space is split so that one
 * layer cannot leave the next without its record (docs/decoding.md,
 * "Limits").
 *
 * Records are the protoc-c message structs themselves, allocated from a
 * per-worker arena that is reset for every packet: no malloc per packet.
 * After decode_packet() returns, pkt->rec[] lists the records in layer
 * order; the worker serializes them into per-type chunks. */
#ifndef DECODE_DECODE_H
#define DECODE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/cursor.h"
#include "decode/recordset.h"
#include "netcap.pb-c.h"

/* Link types, numbered as libpcap's DLT_ values. */
enum {
	LINK_NULL = 0,            /* BSD loopback, host-order AF_ */
	LINK_ETHERNET = 1,
	LINK_PPP = 9,             /* PPP, maybe with HDLC-like address/control */
	LINK_RAW = 12,            /* raw IPv4/IPv6 (LINKTYPE_RAW 101) */
	LINK_RAW_ALT = 14,        /* DLT_RAW on some BSDs */
	LINK_PPP_SERIAL = 50,     /* PPP in HDLC-like framing (RFC 1662) */
	LINK_C_HDLC = 104,        /* Cisco HDLC */
	LINK_IEEE802_11 = 105,
	LINK_LOOP = 108,          /* OpenBSD loopback, network-order AF_ */
	LINK_LINUX_SLL = 113,
	LINK_IEEE802_11_RADIO = 127,
	LINK_IPV4 = 228,
	LINK_IPV6 = 229,
	LINK_NFLOG = 239,         /* Linux netfilter NFLOG */
	LINK_LINUX_SLL2 = 276,
};

/* Protocols, for counting events and naming layers. */
#define DECODE_PROTOCOLS(X) \
	X(LINK, "link")         \
	X(ETHERNET, "Ethernet") \
	X(DOT1Q, "Dot1Q")       \
	X(ARP, "ARP")           \
	X(LLC, "LLC")           \
	X(SNAP, "SNAP")         \
	X(DOT11, "Dot11")       \
	X(RADIOTAP, "Radiotap") \
	X(SLL, "LinuxSLL")      \
	X(LOOPBACK, "Loopback") \
	X(PPP, "PPP")           \
	X(CHDLC, "CiscoHDLC")   \
	X(NFLOG, "NFLOG")       \
	X(PPPOE, "PPPoE")       \
	X(MPLS, "MPLS")         \
	X(VNTAG, "VNTag")       \
	X(ETAG, "ETag")         \
	X(PBB, "PBB")           \
	X(IPV4, "IPv4")         \
	X(IPV6, "IPv6")         \
	X(IPV6_EXT, "IPv6Extension") \
	X(DEFRAG, "Defrag")     \
	X(IPSEC_AH, "IPSecAH")   \
	X(IPSEC_ESP, "IPSecESP") \
	X(ICMPV4, "ICMPv4")     \
	X(ICMPV6, "ICMPv6")     \
	X(IGMP, "IGMP")         \
	X(TCP, "TCP")           \
	X(UDP, "UDP")           \
	X(SCTP, "SCTP")         \
	X(GRE, "GRE")           \
	X(ERSPAN, "ERSPAN")     \
	X(VXLAN, "VXLAN")       \
	X(GENEVE, "Geneve")     \
	X(TEREDO, "Teredo")     \
	X(GTP, "GTP")           \
	X(DNS, "DNS")           \
	X(DHCPV4, "DHCPv4")     \
	X(DHCPV6, "DHCPv6")     \
	X(NTP, "NTP")           \
	X(SIP, "SIP")           \
	X(LLDP, "LLDP")         \
	X(CTP, "EthernetCTP")   \
	X(STREAM, "TCPStream")  \
	X(HTTP, "HTTP")         \
	X(TLS, "TLS")

#define DECODE_REASONS(X)                                        \
	X(TRUNCATED, "truncated")             /* header past the captured data */ \
	X(BAD_LENGTH, "bad-length")           /* a length field contradicts the data */ \
	X(BAD_VERSION, "bad-version")                              \
	X(BAD_HEADER_LENGTH, "bad-header-length")                  \
	X(BAD_OPTION, "bad-option")                                \
	X(BAD_VALUE, "bad-value")             /* a field outside its allowed range */ \
	X(TOO_DEEP, "too-deep")               /* encapsulation nested beyond the limit */ \
	X(ARENA_FULL, "record-space-exhausted") /* the packet's record space ran out */ \
	X(UNKNOWN_PROTOCOL, "unknown-protocol") /* no decoder for the next layer */ \
	X(CAPPED, "capped")                   /* a limit cut the record short */ \
	/* Defragmentation (lib/defrag, protocol Defrag): what happened to    \
	 * fragments and datagrams, counted as events so the summary lists them. */ \
	X(FRAGMENT, "fragment")               /* a fragment given to the reassembler */ \
	X(REASSEMBLED, "reassembled")         /* a datagram completed and decoded */ \
	X(DUPLICATE, "duplicate")             /* a fragment adding no byte, same data */ \
	X(OVERLAP, "overlap")                 /* a fragment over bytes already held */ \
	X(OVERLAP_DIFFERENT, "overlap-different-data") /* ... with other bytes: evasion */ \
	X(TINY_FIRST_FRAGMENT, "tiny-first-fragment") /* offset 0, transport header split */ \
	X(TOO_MANY_FRAGMENTS, "too-many-fragments") /* datagram dropped */ \
	X(OVERSIZE, "oversize")               /* beyond 65,535 bytes: datagram dropped */ \
	X(TIMEOUT, "timeout")                 /* incomplete when its time ran out */ \
	X(EVICTED, "evicted")                 /* incomplete, memory needed elsewhere */ \
	X(ATOMIC_FRAGMENT, "atomic-fragment") /* IPv6 offset 0, M clear: decoded as is */ \
	/* TCP stream reassembly (lib/stream, protocol TCPStream), besides     \
	 * OVERLAP and OVERLAP_DIFFERENT above. */                              \
	X(MIDSTREAM, "midstream")             /* data before any SYN: picked up */ \
	X(OUT_OF_ORDER, "out-of-order")       /* a segment ahead of the next byte */ \
	X(RETRANSMISSION, "retransmission")   /* a segment adding no new byte */ \
	X(GAP, "gap")                         /* bytes never seen, skipped */ \
	X(MEMORY, "memory-exhausted")         /* stream memory ran out: data dropped */ \
	X(DEPTH, "depth")                     /* a stream's buffered bytes at their cap */

#define X_ENUM(id, name) PROTO_##id,
enum decode_protocol { DECODE_PROTOCOLS(X_ENUM) PROTO_COUNT };
#undef X_ENUM
#define X_ENUM(id, name) REASON_##id,
enum decode_reason { DECODE_REASONS(X_ENUM) REASON_COUNT };
#undef X_ENUM

extern const char *const decode_protocol_names[PROTO_COUNT];
extern const char *const decode_reason_names[REASON_COUNT];

#define PACKET_MAX_RECORDS 64 /* records per packet (a cap: CAPPED beyond) */
#define PACKET_MAX_DEPTH 16   /* encapsulated layers before TOO_DEEP */
#define PACKET_MAX_ENTROPY 16
/* Every record a decoder makes from one packet serializes to at most this
 * many bytes, whatever the input: the caps of docs/decoding.md ("Limits")
 * keep the largest (TCP and UDP with --payload) under 61 KiB, DNS under
 * 49 KiB. tests/fuzz/fuzz_decode.c checks it. An HTTP record made from a
 * stream holds two heads of up to 16 KiB, what is parsed from them (maps,
 * cookies, parameters) and up to 2 x 16 KiB of body: it may pass this
 * bound, and the engine's 128 KiB cut (lib/ncap/truncate.c) then applies. */
#define DECODE_RECORD_BOUND (64u << 10)

/* Bump allocator for one packet's records, reset per packet.
 *
 * Two kinds of allocation share it, so that no layer can take the space
 * the records of the layers after it need (docs/decoding.md, "Limits"):
 *   - fixed (arena_alloc_fixed): a record's own struct, the nested
 *     messages it has one of, its addresses as text: a bounded amount per
 *     record, and at most PACKET_MAX_RECORDS records. They may use the
 *     whole block.
 *   - bulk (arena_alloc, and everything built on it: repeated fields,
 *     text, hex): what the packet's content decides. It stops at
 *     bulk_end, which keeps ARENA_RESERVE bytes back for the fixed kind
 *     and allows a packet ARENA_BULK_BASE + ARENA_BULK_PER_BYTE bytes per
 *     captured byte, so what a packet's records hold grows at most
 *     linearly with its size.
 * A refused allocation returns NULL and sets `full`; the decoder keeps
 * what fit, and record_new()/decode_packet() count the loss once per
 * record (ARENA_FULL) and mark that record Truncated. An arena set up by
 * hand ({ .base, .cap }: lib/flow formats addresses into stack buffers)
 * has no bulk bound of its own. */
#define ARENA_RESERVE (64u << 10)     /* at most a quarter of the arena */
#define ARENA_BULK_BASE (32u << 10)
#define ARENA_BULK_PER_BYTE 16u
struct arena {
	uint8_t *base;
	size_t cap;
	size_t used;
	size_t reserve;           /* bytes bulk allocations leave free */
	size_t bulk_end;          /* this packet's bound; 0: cap - reserve */
	bool full;                /* an allocation was refused since the last check */
};

/* Bulk allocation (see above); NULL and `full` when refused. */
void *arena_alloc(struct arena *a, size_t size);
/* Fixed allocation: may use the reserve. */
void *arena_alloc_fixed(struct arena *a, size_t size);
/* Copies s (n bytes) as a NUL-terminated string (bulk); "" when refused. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

struct pkt_record {
	uint16_t type;            /* Types__Type */
	ProtobufCMessage *msg;
};

/* One decoded packet: what the decoders found, for records, flows and the
 * error/unknown pcaps. Addresses are binary; the *_str fields are the text
 * form (allocated in the arena) for records that carry SrcIP/DstIP. */
struct packet {
	int64_t ts;               /* Unix nanoseconds */
	uint32_t wire_len;        /* length on the wire */
	uint32_t cap_len;         /* bytes captured: data[0..cap_len) */
	const uint8_t *data;

	uint8_t depth;            /* layers decoded so far */
	bool has_mac;
	uint8_t src_mac[6], dst_mac[6];
	uint16_t vlan_id;         /* innermost VLAN, 0 if none */

	uint8_t ip_version;       /* 0, 4 or 6: the innermost IP layer */
	uint64_t tunnel;          /* the tunnels around the innermost IP layer:
	                           * their IP addresses and VNIs/keys folded
	                           * (packet_fold_tunnel); 0 for none. Keeps two
	                           * tenants' fragments apart in lib/defrag. */
	uint8_t ip_proto;         /* transport protocol number */
	uint8_t src_ip[16], dst_ip[16];
	const char *src_ip_str, *dst_ip_str;
	uint32_t ip_len;          /* IP header + payload bytes (from the header) */
	uint32_t ip_missing;      /* payload bytes the innermost IP header declares
	                           * beyond those captured (a snaplen cut): the
	                           * stream reassembler skips them as a gap */
	bool fragment;            /* a non-first fragment: no transport header */
	bool ip_partial;          /* the IP payload holds less than the whole
	                           * transport segment (snaplen cut, a first
	                           * fragment, or a frame shorter than the IP
	                           * length): a transport length field beyond the
	                           * data is expected, not a lie */

	bool has_ports;
	uint16_t src_port, dst_port;
	uint8_t tcp_flags;        /* FIN 0x01 .. CWR 0x80 */
	bool tcp_ns;
	uint16_t tcp_window;
	uint32_t app_len;         /* transport payload bytes captured */
	const char *app_proto;    /* set by an application decoder, or NULL */

	/* Records of IP layers that carry the transport ports (back-filled). */
	Types__IPv4 *ipv4_rec;
	Types__IPv6 *ipv6_rec;

	/* First fault, for the error pcap; unknown layer, for the unknown pcap. */
	bool error;
	uint8_t error_proto, error_reason;
	bool unknown;
	uint8_t unknown_proto;    /* the decoder that met the unknown next layer */

	uint16_t hbh_options;     /* hop-by-hop options listed so far (a cap) */

	/* Defragmentation (lib/defrag/defrag.h). A fragment the reassembler
	 * took sets defrag_held: the flow tables skip it and see its datagram
	 * instead, once, on the fragment that completes it: `reassembled` is
	 * then that datagram as one raw IP packet (header, payload) in the
	 * worker's defrag buffer, valid until the next packet, whose transport
	 * layers this packet's records and fields describe; reassembled_wire
	 * is its fragments' frame bytes, summed. */
	bool defrag_held;
	const uint8_t *reassembled;
	uint32_t reassembled_len;
	uint32_t reassembled_wire;

	uint8_t n_entropy;        /* requests in entropy[] */
	uint8_t n_rec;
	/* Arrays last: decode_packet() clears only what comes before them. */
	struct pkt_record rec[PACKET_MAX_RECORDS];
	/* PayloadEntropy fields to fill once the packet is decoded. */
	struct entropy_request {
		double *field;
		uint32_t start, end;   /* offsets in data */
	} entropy[PACKET_MAX_ENTROPY];
};

struct decode_stats {
	uint64_t packets;
	uint64_t events[PROTO_COUNT][REASON_COUNT];
	uint64_t records[NCAP_TYPE_LIMIT];
};

/* Per-worker decoding state. */
#define DECODE_MAX_VXLAN_PORTS 16

struct decoder_ctx {
	struct record_set enabled; /* record types to produce */
	bool payload;             /* TCP and UDP records carry their payload bytes
	                           * (--payload; record_payload()) */
	bool entropy;             /* compute PayloadEntropy fields */
	struct arena arena;
	struct decode_stats stats;
	struct defrag *defrag;    /* this worker's reassembler (lib/defrag), NULL:
	                           * fragments are decoded one by one */
	uint16_t vxlan_ports[DECODE_MAX_VXLAN_PORTS]; /* besides 4789 (--vxlan-port) */
	unsigned n_vxlan_ports;
	struct stream_table *streams; /* this worker's TCP reassembler (lib/stream),
	                           * NULL: no application layer over streams; TCP
	                           * port 53 is then decoded segment by segment */
	const struct app_settings *app; /* its parsers' limits (lib/stream/app.h) */
	/* A frame of at least this many captured bytes may have been cut by a
	 * snaplen, whatever wire_len says (UINT32_MAX: only cap_len < wire_len
	 * tells). A replay learns it from the pcap file's headers: the pcap
	 * PMD passes on no length on the wire. An IP length beyond a frame
	 * that was not cut is a lie, not missing bytes (pkt->ip_missing). */
	uint32_t cut_len;
};

struct stream_table;
struct app_settings;

typedef int (*decode_fn)(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur);

enum { DECODE_OK = 0, DECODE_STOP = -1 };

/* Sets up ctx with every record type disabled. Returns 0 or -1 (memory). */
int decoder_init(struct decoder_ctx *ctx, size_t arena_bytes);
void decoder_free(struct decoder_ctx *ctx);
void decoder_enable(struct decoder_ctx *ctx, int type, bool on);

/* The record types some decoder produces (record_types.c): what NETCAP
 * writes when no --include narrows it. */
extern const int decode_record_types[];
extern const size_t decode_record_types_count;

static inline bool decoder_wants(const struct decoder_ctx *ctx, int type)
{
	return record_set_has(&ctx->enabled, type);
}

/* Empties the record space and pkt for records made outside a packet (TCP
 * streams ending at expiry or shutdown: lib/stream/app.h), at time ts. */
void decode_records_begin(struct decoder_ctx *ctx, struct packet *pkt, int64_t ts);

/* Decodes a whole captured frame of link type `link`. Never reads outside
 * data[0..cap_len). */
void decode_packet(struct decoder_ctx *ctx, struct packet *pkt, int link,
		   const uint8_t *data, uint32_t cap_len, uint32_t wire_len, int64_t ts);

/* Dispatch to the next layer through the tables in decode.c. */
int decode_link(struct decoder_ctx *ctx, struct packet *pkt, int link, struct cursor *cur);
int decode_ethertype(struct decoder_ctx *ctx, struct packet *pkt, uint16_t ethertype, struct cursor *cur);
/* The same for a tunnel whose protocol field is an ethertype (GRE,
 * Geneve): an ethertype without a decoder is an unknown layer of `from`. */
int decode_ethertype_from(struct decoder_ctx *ctx, struct packet *pkt, uint16_t ethertype,
			  struct cursor *cur, enum decode_protocol from);
/* One more layer decoded by fn, counted against PACKET_MAX_DEPTH (too
 * deep: a fault of `from`), for a decoder that knows its next layer
 * without a table (a tunnel's inner Ethernet or IP). */
int decode_next(struct decoder_ctx *ctx, struct packet *pkt, decode_fn fn, struct cursor *cur,
		enum decode_protocol from);
int decode_ip_protocol(struct decoder_ctx *ctx, struct packet *pkt, uint8_t proto, struct cursor *cur);
/* Application layer over UDP/TCP by port (either side); quietly returns
 * DECODE_OK when no decoder claims the ports. */
int decode_app(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur);

/* The next layer has no decoder: counts UNKNOWN_PROTOCOL for `from`,
 * remembers the first such layer in pkt (for the unknown pcap) and returns
 * DECODE_OK: an unknown layer is not a fault. */
int decode_unknown(struct decoder_ctx *ctx, struct packet *pkt, enum decode_protocol from);

/* Counts a malformed layer, remembers the first one in pkt, and returns
 * DECODE_STOP so that decoders can write: return decode_fail(...). */
int decode_fail(struct decoder_ctx *ctx, struct packet *pkt,
		enum decode_protocol proto, enum decode_reason reason);

/* Counts an anomaly that does not stop decoding (no pkt->error), e.g. an
 * IP length beyond a frame that was not cut by the snaplen. */
void decode_note(struct decoder_ctx *ctx, enum decode_protocol proto,
		 enum decode_reason reason);

/* Allocates and initializes a record of `type` (desc its message) and
 * appends it to pkt->rec; NULL when the type is disabled (the decoder then
 * skips filling it) or no space is left (counted). A decoder's cursor
 * never depends on the result: it reads (or skips) the same bytes whether
 * or not a record is made. */
void *record_new(struct decoder_ctx *ctx, struct packet *pkt, int type,
		 const ProtobufCMessageDescriptor *desc);
#define RECORD_NEW(ctx, pkt, TYPE, lower) \
	((Types__##TYPE *)record_new((ctx), (pkt), TYPES__TYPE__NC_##TYPE, &types__##lower##__descriptor))

/* n messages of desc for a repeated field: the pointer array and the
 * structs in one bulk block, each initialized. NULL when n is 0 or on no
 * space (counted as ARENA_FULL with the record). */
void **record_array(struct decoder_ctx *ctx, struct packet *pkt,
		    const ProtobufCMessageDescriptor *desc, size_t n);

/* One nested message that a record has at most one of (IPv6's HopByHop,
 * Dot11's QOS, LLDP's ChassisID, ...), initialized, from the fixed space;
 * NULL on no space. */
void *record_message(struct decoder_ctx *ctx, struct packet *pkt,
		     const ProtobufCMessageDescriptor *desc);

/* The record's Truncated field (100, on every record type) set: a cap or
 * the arena cut it short. */
void record_set_truncated(ProtobufCMessage *record);

/* A cap cut the layer of `proto` short (docs/decoding.md lists every
 * cap): counts (proto, CAPPED), remembers it as the packet's first fault
 * if it has none (so the packet goes to the error pcap with its reason),
 * and marks `record`, if any, Truncated. Decoding goes on. */
void decode_capped(struct decoder_ctx *ctx, struct packet *pkt, enum decode_protocol proto,
		   void *record);

/* A limit on what one record keeps of a repeated field (or several):
 * at most max_items elements and max_bytes bytes of their variable data.
 * cap_take() says whether one more element of `bytes` fits, and counts
 * it; after the first refusal it refuses everything, so a record keeps a
 * prefix of the elements, never a selection. */
struct cap {
	uint32_t items, max_items;
	uint32_t bytes, max_bytes;
	bool hit;
};
#define CAP(items_, bytes_) ((struct cap){ .max_items = (items_), .max_bytes = (bytes_) })
static inline bool cap_take(struct cap *c, uint32_t bytes)
{
	if (c->hit || c->items >= c->max_items || bytes > c->max_bytes - c->bytes) {
		c->hit = true;
		return false;
	}
	c->items++;
	c->bytes += bytes;
	return true;
}
/* How many of n more elements without variable data (addresses, strings
 * counted by number) the cap lets through. */
static inline size_t cap_take_items(struct cap *c, size_t n)
{
	size_t taken = 0;
	while (taken < n && cap_take(c, 0))
		taken++;
	return taken;
}

/* Records the transport ports in pkt and back-fills them into the record of
 * the innermost IP layer (pkt->ipv4_rec or pkt->ipv6_rec), if any. */
void packet_set_ports(struct packet *pkt, uint16_t src_port, uint16_t dst_port);

/* A tunnel's inner packet begins: the outer transport's ports and state
 * stay in the outer records but no longer describe the packet, so that an
 * inner layer without ports (ICMP, ARP) leaves none behind; the inner IP
 * layer then sets the addresses, as IP in IP does: records and flows see
 * the innermost IP layer and transport. */
/* Folds one word of a tunnel's identity into pkt->tunnel (a mix, not a
 * secret hash: lib/defrag hashes its keys under the run's key). */
static inline void packet_fold_tunnel(struct packet *pkt, uint64_t word)
{
	uint64_t x = (pkt->tunnel ^ word) * 0x9e3779b97f4a7c15ull;
	pkt->tunnel = (x ^ (x >> 31)) | 1; /* never 0 once inside a tunnel */
}

/* An IP layer inside another: the outer one's addresses become part of
 * the inner packet's tunnel identity. IPv4 and IPv6 call it before they
 * overwrite the packet's addresses. */
static inline void packet_fold_outer_ip(struct packet *pkt)
{
	if (!pkt->ip_version)
		return;
	uint64_t w[4];
	memcpy(w, pkt->src_ip, 16);
	memcpy(w + 2, pkt->dst_ip, 16);
	for (int i = 0; i < 4; i++)
		packet_fold_tunnel(pkt, w[i] + (uint64_t)i);
}

static inline void packet_enter_tunnel(struct packet *pkt)
{
	pkt->has_ports = false;
	pkt->src_port = pkt->dst_port = 0;
	pkt->tcp_flags = 0;
	pkt->tcp_ns = false;
	pkt->tcp_window = 0;
	pkt->app_len = 0;
	pkt->app_proto = NULL;
	pkt->ipv4_rec = NULL;
	pkt->ipv6_rec = NULL;
}

/* The text of the innermost IP layer's addresses (pkt->src_ip_str,
 * dst_ip_str, formatted once per IP layer) for the SrcIP and DstIP of
 * every record that has them, shared rather than copied; "" where no IP
 * layer was decoded. r: a record of any type with srcip and dstip. */
static inline char *packet_ip_text(const char *ip_str)
{
	return (char *)(ip_str ? ip_str : protobuf_c_empty_string);
}
#define RECORD_FILL_IPS(r, pkt) \
	((r)->srcip = packet_ip_text((pkt)->src_ip_str), (r)->dstip = packet_ip_text((pkt)->dst_ip_str))
/* The same and the transport ports: the endpoints of an application
 * record (DNS, DHCP, NTP, SIP). */
#define RECORD_FILL_ENDPOINTS(r, pkt) \
	(RECORD_FILL_IPS(r, pkt), (r)->srcport = (pkt)->src_port, (r)->dstport = (pkt)->dst_port)

/* Shannon entropy of data in bits per byte (0..8); 0 for no data
 * (entropy.c, as the three below). */
double shannon_entropy(const uint8_t *data, uint32_t len);

/* Sets *field to the entropy of the len bytes at data (inside the packet)
 * when the packet has been decoded, if entropy is enabled. Layers' payloads
 * nest (Ethernet's holds IPv4's, which holds TCP's), so the requests share
 * one histogram pass over the packet instead of one pass per layer. */
void entropy_request(struct decoder_ctx *ctx, struct packet *pkt, double *field,
		     const uint8_t *data, uint32_t len);
/* Fills the fields requested for pkt: decode_packet() calls it once the
 * packet is decoded. */
void entropy_resolve(struct packet *pkt);
/* Builds entropy's tables, once per process (decoder_init() calls it). */
void entropy_init(void);

/* Text forms. format_mac and format_ip are a record's own addresses
 * (fixed space, at most a few per record); format_ip_bulk is for an
 * address in a repeated field (IGMP sources, DNS answers). A NULL address
 * (a read past the data) gives "", as does no space. */
char *format_mac(struct arena *a, const uint8_t mac[6]);
char *format_ip(struct arena *a, int version, const uint8_t *addr);
char *format_ip_bulk(struct arena *a, int version, const uint8_t *addr);
/* Lowercase hex of n bytes (bulk), sep between bytes unless sep is 0;
 * "" for none. */
char *format_hex(struct arena *a, const uint8_t *p, uint32_t n, char sep);
/* Writes v in decimal at o (no NUL) and returns the end. */
char *put_decimal(char *o, uint32_t v);

/* A bytes field pointing into the packet (records are packed before the
 * packet buffer is released, so no copy is needed). */
static inline ProtobufCBinaryData pb_bytes(const uint8_t *data, uint32_t len)
{
	return (ProtobufCBinaryData){ .len = data ? len : 0, .data = (uint8_t *)(uintptr_t)data };
}

/* --payload: the payload bytes a TCP or UDP record keeps, in place (no
 * copy), at most PAYLOAD_MAX of them; a longer payload is cut there,
 * counted as (proto, CAPPED) and marks `record` Truncated. Empty when
 * ctx->payload is off. The rest of either record is under 1 KiB (at most
 * 40 option bytes, two addresses, numbers), so with the cap it stays
 * under DECODE_RECORD_BOUND; a jumbo frame's payload, or a TSO/GRO
 * segment's of up to 60 KiB, is kept whole. */
#define PAYLOAD_MAX (60u << 10)
static inline ProtobufCBinaryData record_payload(struct decoder_ctx *ctx, struct packet *pkt,
						 enum decode_protocol proto, void *record,
						 const struct cursor *payload)
{
	if (!ctx->payload)
		return pb_bytes(NULL, 0);
	uint32_t n = cur_left(payload);
	if (n > PAYLOAD_MAX) {
		n = PAYLOAD_MAX;
		decode_capped(ctx, pkt, proto, record);
	}
	return pb_bytes(cur_here(payload), n);
}

#endif
