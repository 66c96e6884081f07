/* frames.h: building test frames byte by byte and decoding them, for the
 * decoder unit tests (tests/unit/test_decode*.c).
 *
 * A struct frame is a byte buffer that put*() appends to (big-endian
 * put16/put32/put64, little-endian putle16/putle32, PUT() for literal
 * bytes) and put_ethernet/put_ipv4/put_ipv6/put_udp/put_tcp append whole
 * headers with fixed, documented field values, so that every value a test
 * expects is known independently of the decoders; build_tcp() and
 * build_ipv6_fragment() are whole frames several test files share.
 *
 * One decoder context `ctx` and one `pkt` are shared: a test file calls
 * setup_decoder() from its suite's .init with the record types it wants
 * enabled and uses teardown_decoder() as .fini. decode(), decode_as() and
 * decode_cut() copy the first cap_len bytes of a frame to a heap block of
 * exactly that size (so AddressSanitizer sees any read past them; records
 * point into it until the next decode) and decode it into pkt; record(),
 * expect_ok(), expect_error(), EXPECT_RECORDS() and the other expect_*()
 * check the result with Criterion assertions (inline in this header, so
 * that frames.c links without Criterion: the test tools link it too). */
#ifndef NCAP_TEST_FRAMES_H
#define NCAP_TEST_FRAMES_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/decoders.h"

#define TS 1700000000123456789LL    /* the timestamp every frame is decoded with */
#define ETH_HEADER 14
#define IPV4_HEADER 20
#define IPV6_HEADER 40
#define UDP_HEADER 8

#define COUNT_OF(a) (sizeof (a) / sizeof *(a))

/* Short names of the record types the decoder tests look at. */
enum {
	T_ETHERNET = TYPES__TYPE__NC_Ethernet,
	T_DOT1Q = TYPES__TYPE__NC_Dot1Q,
	T_IPV4 = TYPES__TYPE__NC_IPv4,
	T_IPV6 = TYPES__TYPE__NC_IPv6,
	T_TCP = TYPES__TYPE__NC_TCP,
	T_UDP = TYPES__TYPE__NC_UDP,
	T_ARP = TYPES__TYPE__NC_ARP,
	T_LLC = TYPES__TYPE__NC_LLC,
	T_SNAP = TYPES__TYPE__NC_SNAP,
	T_CTP = TYPES__TYPE__NC_EthernetCTP,
	T_CTP_REPLY = TYPES__TYPE__NC_EthernetCTPReply,
	T_LLDP = TYPES__TYPE__NC_LinkLayerDiscovery,
	T_LLDP_INFO = TYPES__TYPE__NC_LinkLayerDiscoveryInfo,
	T_ICMPV4 = TYPES__TYPE__NC_ICMPv4,
	T_ICMPV6 = TYPES__TYPE__NC_ICMPv6,
	T_ECHO6 = TYPES__TYPE__NC_ICMPv6Echo,
	T_NS = TYPES__TYPE__NC_ICMPv6NeighborSolicitation,
	T_NA = TYPES__TYPE__NC_ICMPv6NeighborAdvertisement,
	T_RS = TYPES__TYPE__NC_ICMPv6RouterSolicitation,
	T_RA = TYPES__TYPE__NC_ICMPv6RouterAdvertisement,
	T_IGMP = TYPES__TYPE__NC_IGMP,
	T_SCTP = TYPES__TYPE__NC_SCTP,
	T_HBH = TYPES__TYPE__NC_IPv6HopByHop,
	T_DOT11 = TYPES__TYPE__NC_Dot11,
	T_DNS = TYPES__TYPE__NC_DNS,
	T_DHCPV4 = TYPES__TYPE__NC_DHCPv4,
	T_DHCPV6 = TYPES__TYPE__NC_DHCPv6,
	T_NTP = TYPES__TYPE__NC_NTP,
	T_SIP = TYPES__TYPE__NC_SIP,
};

/* ---- building frames ------------------------------------------------- */

/* Large enough for the largest frame a pcap file holds (262,144 bytes):
 * jumbograms and TSO segments carry application messages past 64 KiB. */
#define FRAME_MAX 262144
struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
};

extern const uint8_t hello[6];      /* "hello", a payload */
#define HELLO_LEN 5

void put(struct frame *f, const void *p, size_t n);
#define PUT(f, ...) do { const uint8_t bytes_[] = { __VA_ARGS__ }; put((f), bytes_, sizeof bytes_); } while (0)
void put8(struct frame *f, uint32_t v);
void put16(struct frame *f, uint32_t v);
void put32(struct frame *f, uint32_t v);
void put64(struct frame *f, uint64_t v);
void putle16(struct frame *f, uint32_t v);
void putle32(struct frame *f, uint32_t v);
void puts_(struct frame *f, const char *s);         /* without the NUL */
void pad_to(struct frame *f, uint32_t len);         /* zero bytes up to len */

/* 66:77:88:99:aa:bb > 00:11:22:33:44:55 (or dst), EtherType (or 802.3
 * length) type. */
extern const uint8_t dst_mac[6];
void put_ethernet_to(struct frame *f, const uint8_t dst[6], uint16_t type);
void put_ethernet(struct frame *f, uint16_t type);

/* The IPv4 fields a test may choose; all zero: TOS 0, no flags, offset 0,
 * no options, destination 10.0.0.1. Options must be a multiple of 4 bytes. */
struct ipv4_fields {
	uint8_t tos;
	uint16_t flags_fragment;
	const uint8_t *options;
	uint32_t options_len;
	const uint8_t *dst;             /* 4 bytes, NULL for 10.0.0.1 */
};

/* 192.168.1.10 > h->dst, Id 0x1234, TTL 64, checksum 0xbeef, total length
 * header + payload_len; h NULL for the defaults. */
void put_ipv4_with(struct frame *f, uint8_t proto, uint32_t payload_len,
		   const struct ipv4_fields *h);
void put_ipv4(struct frame *f, uint8_t proto, uint32_t payload_len);

/* The IPv6 fields a test may choose. */
struct ipv6_fields {
	uint32_t vtcfl;                 /* version, traffic class, flow label */
	uint8_t hop_limit;
	uint8_t src[16], dst[16];
};
/* 0x60000000, hop limit 255, fe80::1 > ff02::1: what put_ipv6() writes. */
extern const struct ipv6_fields ipv6_link_local;

void put_ipv6_with(struct frame *f, uint8_t next, uint32_t payload_len,
		   const struct ipv6_fields *h);
void put_ipv6(struct frame *f, uint8_t next, uint32_t payload_len);
/* An IPv6 jumbogram (RFC 2675): put_ipv6()'s header with payload length
 * 0, then a hop-by-hop header (8 bytes) holding a jumbo payload option of
 * 8 + payload_len, then `next`: payload_len may pass 65,535. */
void put_ipv6_jumbo(struct frame *f, uint8_t next, uint32_t payload_len);

/* n bytes of `byte`. */
void put_fill(struct frame *f, uint8_t byte, uint32_t n);

/* Checksum 0xabcd; length is the UDP length field (header included), so
 * that a test can make it lie. */
void put_udp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t length);

/* Seq 0x01020304, Ack 0xa0b0c0d0, Window 0xfaf0, checksum 0x1111, Urgent 7;
 * options must be a multiple of 4 bytes. */
void put_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags, bool ns,
	     const uint8_t *options, uint32_t options_len);

/* ---- the IP and TCP headers the IP, transport and framework tests share */

#define IPV4_AT ETH_HEADER          /* where the IP header starts in an Ethernet frame */

/* IPv4 headers with TOS 0x10, plus the given fields (options,
 * flags_fragment). */
#define IPV4(...) (&(struct ipv4_fields){ .tos = 0x10, __VA_ARGS__ })

/* Traffic class 0xab, flow label 0x12345, hop limit 64, 2001:db8::1 >
 * 2001:db8::2. */
extern const struct ipv6_fields ipv6_doc;

/* NOP, record route (one empty slot), timestamp with one address/time
 * pair, end of list, 3 bytes of padding: IHL 11. */
extern const uint8_t ipv4_options[24];
/* MSS 1460, NOP, window scale 7, SACK permitted, timestamps 1/2, end of
 * list, 3 bytes of padding: data offset 11. */
extern const uint8_t tcp_options[24];

/* Ethernet, IPv4 (DF) and TCP 50000 > 80 with tcp_options, flags and NS
 * as given, then "hello". */
void build_tcp(struct frame *f, uint8_t flags, bool ns);
/* Ethernet, IPv6 (ipv6_doc), hop-by-hop (router alert, PadN of length 0),
 * fragment header with the offset and M flag given, UDP 1234 > 5678 of
 * length 1000 with a 4-byte payload. */
void build_ipv6_fragment(struct frame *f, uint16_t offset, bool more);

/* ---- decoding and looking at the result ------------------------------ */

extern struct decoder_ctx ctx;
extern struct packet pkt;

/* For a suite's .init: ctx with an arena of arena_bytes and the n types
 * enabled. teardown_decoder() frees it and the last captured frame. */
void setup_decoder(size_t arena_bytes, const int *types, size_t n);
void enable_types(const int *types, size_t n);
void teardown_decoder(void);

void decode_cut(const struct frame *f, int link, uint32_t cap_len);
void decode_as(const struct frame *f, int link);    /* whole frame */
void decode(const struct frame *f);                 /* whole Ethernet frame */

/* The nth (from 0) record of that type in pkt, NULL if none. */
void *record(int type, int nth);

/* The assertions are inline here, not in frames.c, because tests/support
 * objects are also linked into the test tools (tests/tools), which do not
 * link Criterion. */

static inline void expect_records(const int *types, int n)
{
	cr_assert_eq(pkt.n_rec, n, "%d records, want %d", pkt.n_rec, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(pkt.rec[i].type, types[i], "record %d is type %d, want %d",
			     i, pkt.rec[i].type, types[i]);
}
#define EXPECT_RECORDS(...) do { const int t_[] = { __VA_ARGS__ }; \
	expect_records(t_, sizeof t_ / sizeof *t_); } while (0)
#define EXPECT_NO_RECORDS() expect_records(NULL, 0)

/* No fault. */
static inline void expect_ok(void)
{
	cr_assert(!pkt.error, "unexpected fault %s/%s",
		  decode_protocol_names[pkt.error_proto], decode_reason_names[pkt.error_reason]);
}

/* A fault of that protocol, for that reason. */
static inline void expect_error(enum decode_protocol proto, enum decode_reason reason)
{
	cr_assert(pkt.error, "no fault, want %s/%s", decode_protocol_names[proto],
		  decode_reason_names[reason]);
	cr_assert(pkt.error_proto == proto && pkt.error_reason == reason,
		  "fault %s/%s, want %s/%s",
		  decode_protocol_names[pkt.error_proto], decode_reason_names[pkt.error_reason],
		  decode_protocol_names[proto], decode_reason_names[reason]);
}

/* No unknown layer. */
static inline void expect_known(void)
{
	cr_assert(!pkt.unknown, "unexpected unknown layer after %s",
		  decode_protocol_names[pkt.unknown_proto]);
}

static inline void expect_clean(void)
{
	expect_ok();
	expect_known();
}

/* The next layer has no decoder: no fault, an unknown layer after proto. */
static inline void expect_unknown(enum decode_protocol proto)
{
	expect_ok();
	cr_assert(pkt.unknown, "no unknown layer, want one after %s", decode_protocol_names[proto]);
	cr_assert_eq(pkt.unknown_proto, proto, "unknown layer after %s, want after %s",
		     decode_protocol_names[pkt.unknown_proto], decode_protocol_names[proto]);
}

static inline void expect_bytes(ProtobufCBinaryData got, const void *want, size_t n)
{
	cr_assert_eq(got.len, n, "%zu bytes, want %zu", got.len, n);
	if (n)
		cr_assert_arr_eq(got.data, want, n);
}

static inline void expect_text(ProtobufCBinaryData got, const char *want)
{
	expect_bytes(got, want, strlen(want));
}

/* Checks one IPv4 or TCP option (same field layout). */
#define EXPECT_OPTION(o, type, length, ...) do { const uint8_t d_[] = { 0, __VA_ARGS__ }; \
	cr_assert_eq((o)->optiontype, (type)); cr_assert_eq((o)->optionlength, (length)); \
	expect_bytes((o)->optiondata, d_ + 1, sizeof d_ - 1); } while (0)

/* xorshift32: the same sequence on every run */
static inline uint32_t next_random(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Decodes 4000 corrupted (1 to 4 random bytes changed) and, every other
 * time, randomly cut copies of f as link type `link`, the same sequence for
 * the same seed: nothing may be read outside the captured bytes
 * (AddressSanitizer), the record count and any fault must stay in range,
 * and check(cut), if not NULL, checks the rest of pkt. */
static inline void corrupt_and_decode(const struct frame *f, int link, uint32_t seed,
				      void (*check)(uint32_t cut))
{
	static struct frame g;   /* 70 kB: not on the stack; copied only to f->len */
	uint32_t state = seed;
	for (int round = 0; round < 4000; round++) {
		g.len = f->len;
		memcpy(g.b, f->b, f->len);
		int flips = 1 + next_random(&state) % 4;
		for (int i = 0; i < flips; i++)
			g.b[next_random(&state) % g.len] = (uint8_t)next_random(&state);
		uint32_t cut = round % 2 ? g.len : next_random(&state) % (g.len + 1);
		decode_cut(&g, link, cut);
		cr_assert_leq(pkt.n_rec, PACKET_MAX_RECORDS);
		if (pkt.error)
			cr_assert(pkt.error_proto < PROTO_COUNT && pkt.error_reason < REASON_COUNT);
		if (check)
			check(cut);
	}
}

#endif
