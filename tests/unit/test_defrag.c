/* test_defrag.c: IPv4 and IPv6 reassembly (lib/defrag): the reassembler
 * alone (defrag_add: orders, duplicates, the first-wins overlap policy and
 * its counts, tiny first fragments, the fragment cap, the 65,535-byte
 * limit, packet-time expiry, eviction within the memory budget, keys that
 * keep datagrams apart), then through the decoders (ipv4.c, and the
 * defrag_ipv6 hook ipv6.c calls): one transport and application record
 * for a reassembled datagram, one IP record per fragment, the datagram
 * exposed for the flow tables with its real 5-tuple.
 *
 * Payloads are a known pattern, so every reassembled byte is checked. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../support/frames.h"
#include "defrag/defrag.h"
#include "flow/flowhash.h"
#include "flow/flows.h"

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

static struct defrag *d;
static uint64_t ev[REASON_COUNT];
static const uint8_t src4[4] = { 192, 0, 2, 1 }, dst4[4] = { 192, 0, 2, 2 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static uint8_t pattern[70000];     /* pattern[i]: the datagram's byte i */
static uint8_t header4[20], header6[40];

static const int types[] = { T_ETHERNET, T_IPV4, T_IPV6, T_UDP, T_TCP, T_DNS };

static void setup(void)
{
	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (uint8_t)(i * 7 + i / 251 + 3);
	memset(ev, 0, sizeof ev);
	/* A bare IPv4 header, as a fragment at offset 0 would carry. */
	memset(header4, 0, sizeof header4);
	header4[0] = 0x45;
	header4[8] = 64;
	header4[9] = 17;
	memcpy(header4 + 12, src4, 4);
	memcpy(header4 + 16, dst4, 4);
	memset(header6, 0, sizeof header6);
	header6[0] = 0x60;
	header6[6] = 44;
	header6[7] = 64;
	memcpy(header6 + 8, src6, 16);
	memcpy(header6 + 24, dst6, 16);
	setup_decoder(1 << 20, types, COUNT_OF(types));
	d = defrag_create(DEFRAG_DEFAULT_MEMORY, 60 * SEC);
	cr_assert(d);
}

static void teardown(void)
{
	defrag_free(d);
	defrag_free(ctx.defrag);
	ctx.defrag = NULL;
	teardown_decoder();
}

TestSuite(defrag, .init = setup, .fini = teardown);

static struct defrag_datagram dg;

/* An IPv4 fragment of datagram `id` (protocol proto) holding data[off, off+len). */
static enum defrag_verdict frag4_data(uint16_t id, uint8_t proto, uint32_t off, uint32_t len, bool more,
				      const uint8_t *data, int64_t ts)
{
	header4[9] = proto;
	struct defrag_fragment f = {
		.version = 4, .proto = proto, .src = src4, .dst = dst4, .id = id,
		.offset = off, .more = more, .data = data + off, .len = len,
		.header = header4, .header_len = 20, .frame_bytes = len + 34, .ts = ts,
	};
	return defrag_add(d, &f, ev, &dg);
}

static enum defrag_verdict frag4(uint16_t id, uint32_t off, uint32_t len, bool more)
{
	return frag4_data(id, 17, off, len, more, pattern, T0);
}

static enum defrag_verdict frag6(uint32_t id, uint8_t next, uint32_t off, uint32_t len, bool more)
{
	struct defrag_fragment f = {
		.version = 6, .proto = next, .src = src6, .dst = dst6, .id = id,
		.offset = off, .more = more, .data = pattern + off, .len = len,
		.header = header6, .header_len = 40, .frame_bytes = len + 62, .ts = T0,
	};
	return defrag_add(d, &f, ev, &dg);
}

static void expect_datagram(uint32_t payload_len, const uint8_t *want)
{
	cr_assert_eq(dg.payload_len, payload_len);
	cr_assert(memcmp(dg.payload, want, payload_len) == 0, "reassembled bytes differ");
}

static void expect_usage_empty(void)
{
	struct defrag_usage u;
	defrag_get_usage(d, &u);
	cr_assert_eq(u.trackers, 0);
	cr_assert_eq(u.pages, 0);
	cr_assert_eq(u.in_use, 0);
}

/* ---- orders ------------------------------------------------------------- */

Test(defrag, in_order)
{
	cr_assert_eq(frag4(1, 0, 1480, true), DEFRAG_HELD);
	cr_assert_eq(frag4(1, 1480, 1480, true), DEFRAG_HELD);
	cr_assert_eq(frag4(1, 2960, 100, false), DEFRAG_COMPLETE);
	expect_datagram(3060, pattern);
	cr_assert_eq(dg.packet_len, 20 + 3060);
	cr_assert_eq(dg.proto, 17);
	cr_assert_eq(dg.fragments, 3);
	cr_assert_eq(dg.frame_bytes, 3060 + 3 * 34);
	/* The header made whole: total length, MF and offset cleared. */
	cr_assert_eq(dg.packet[2] << 8 | dg.packet[3], 3080);
	cr_assert_eq(dg.packet[6], 0);
	cr_assert_eq(dg.packet[7], 0);
	cr_assert_eq(ev[REASON_FRAGMENT], 3);
	cr_assert_eq(ev[REASON_REASSEMBLED], 1);
	cr_assert_eq(ev[REASON_OVERLAP] + ev[REASON_DUPLICATE] + ev[REASON_EVICTED], 0);
	expect_usage_empty();
}

Test(defrag, out_of_order)
{
	cr_assert_eq(frag4(2, 2960, 100, false), DEFRAG_HELD);
	cr_assert_eq(frag4(2, 1480, 1480, true), DEFRAG_HELD);
	cr_assert_eq(frag4(2, 0, 1480, true), DEFRAG_COMPLETE);
	expect_datagram(3060, pattern);
	cr_assert_eq(ev[REASON_REASSEMBLED], 1);
}

Test(defrag, interleaved_datagrams)
{
	static uint8_t other[4096];
	for (size_t i = 0; i < sizeof other; i++)
		other[i] = (uint8_t)(255 - i);
	cr_assert_eq(frag4_data(10, 17, 0, 1000, true, pattern, T0), DEFRAG_HELD);
	cr_assert_eq(frag4_data(11, 17, 1000, 500, false, other, T0), DEFRAG_HELD);
	cr_assert_eq(frag4_data(11, 17, 0, 1000, true, other, T0), DEFRAG_COMPLETE);
	expect_datagram(1500, other);
	cr_assert_eq(frag4_data(10, 17, 1000, 24, false, pattern, T0), DEFRAG_COMPLETE);
	expect_datagram(1024, pattern);
	cr_assert_eq(ev[REASON_REASSEMBLED], 2);
	expect_usage_empty();
}

Test(defrag, same_id_different_protocols_kept_apart)
{
	static uint8_t tcp_data[64];
	memset(tcp_data, 0xaa, sizeof tcp_data);
	cr_assert_eq(frag4_data(7, 17, 0, 16, true, pattern, T0), DEFRAG_HELD);
	cr_assert_eq(frag4_data(7, 6, 0, 24, true, tcp_data, T0), DEFRAG_HELD);
	cr_assert_eq(frag4_data(7, 6, 24, 8, false, tcp_data, T0), DEFRAG_COMPLETE);
	cr_assert_eq(dg.proto, 6);
	expect_datagram(32, tcp_data);
	cr_assert_eq(frag4_data(7, 17, 16, 4, false, pattern, T0), DEFRAG_COMPLETE);
	cr_assert_eq(dg.proto, 17);
	expect_datagram(20, pattern);
	cr_assert_eq(ev[REASON_OVERLAP], 0);
}

/* Two tenants' fragments (the same addresses and id inside two VXLAN
 * networks, say) stay apart: the packet's tunnel identity is in the key. */
Test(defrag, same_key_in_two_tunnels_kept_apart)
{
	static uint8_t other[64];
	memset(other, 0x55, sizeof other);
	struct defrag_fragment f = {
		.version = 4, .proto = 17, .src = src4, .dst = dst4, .id = 9, .tunnel = 0x1234,
		.offset = 0, .more = true, .data = pattern, .len = 16,
		.header = header4, .header_len = 20, .frame_bytes = 50, .ts = T0,
	};
	cr_assert_eq(defrag_add(d, &f, ev, &dg), DEFRAG_HELD);
	f.tunnel = 0x5678, f.data = other;
	cr_assert_eq(defrag_add(d, &f, ev, &dg), DEFRAG_HELD);
	f.offset = 16, f.more = false, f.data = other + 16, f.len = 8;
	cr_assert_eq(defrag_add(d, &f, ev, &dg), DEFRAG_COMPLETE);
	expect_datagram(24, other);
	f.tunnel = 0x1234, f.data = pattern + 16;
	cr_assert_eq(defrag_add(d, &f, ev, &dg), DEFRAG_COMPLETE);
	expect_datagram(24, pattern);
	cr_assert_eq(ev[REASON_OVERLAP], 0, "no fragment met the other tenant's");
}

/* ---- duplicates and overlaps ------------------------------------------- */

Test(defrag, duplicates_counted_and_ignored)
{
	cr_assert_eq(frag4(3, 0, 1480, true), DEFRAG_HELD);
	cr_assert_eq(frag4(3, 0, 1480, true), DEFRAG_DISCARDED);
	cr_assert_eq(frag4(3, 1480, 20, false), DEFRAG_COMPLETE);
	expect_datagram(1500, pattern);
	cr_assert_eq(ev[REASON_DUPLICATE], 1);
	cr_assert_eq(ev[REASON_OVERLAP], 0);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 0);
}

Test(defrag, overlap_first_wins_and_different_data_counted)
{
	static uint8_t evil[64];
	memcpy(evil, pattern, sizeof evil);
	memset(evil + 8, 'X', 16);                  /* bytes 8..23 rewritten */
	cr_assert_eq(frag4(4, 0, 16, true), DEFRAG_HELD);
	/* [8, 32): bytes 8..15 overlap the held ones and differ. */
	cr_assert_eq(frag4_data(4, 17, 8, 24, true, evil, T0), DEFRAG_HELD);
	cr_assert_eq(frag4(4, 32, 8, false), DEFRAG_COMPLETE);
	cr_assert_eq(ev[REASON_OVERLAP], 1);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 1);
	/* First wins: 0..15 the first fragment's, 16..23 the second's (new
	 * there), the rest the pattern. */
	cr_assert(memcmp(dg.payload, pattern, 16) == 0);
	cr_assert(memcmp(dg.payload + 16, evil + 16, 8) == 0);
	cr_assert(memcmp(dg.payload + 24, pattern + 24, 16) == 0);
}

Test(defrag, overlap_same_data_counted_once)
{
	cr_assert_eq(frag4(5, 0, 24, true), DEFRAG_HELD);
	cr_assert_eq(frag4(5, 16, 24, true), DEFRAG_HELD);
	cr_assert_eq(frag4(5, 40, 3, false), DEFRAG_COMPLETE);
	expect_datagram(43, pattern);
	cr_assert_eq(ev[REASON_OVERLAP], 1);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 0);
}

Test(defrag, overlap_all_covered_different_data)
{
	static uint8_t evil[64];
	memset(evil, 'Z', sizeof evil);
	cr_assert_eq(frag4(6, 0, 32, true), DEFRAG_HELD);
	cr_assert_eq(frag4_data(6, 17, 8, 16, true, evil, T0), DEFRAG_HELD);
	cr_assert_eq(frag4(6, 32, 1, false), DEFRAG_COMPLETE);
	expect_datagram(33, pattern);
	cr_assert_eq(ev[REASON_OVERLAP_DIFFERENT], 1);
	cr_assert_eq(ev[REASON_DUPLICATE], 0);
}

/* ---- attacks and limits ------------------------------------------------ */

Test(defrag, tiny_first_fragment_counted_still_reassembled)
{
	/* 8 bytes of TCP: the flags and window lie in the next fragment. */
	cr_assert_eq(frag4_data(8, 6, 0, 8, true, pattern, T0), DEFRAG_HELD);
	cr_assert_eq(frag4_data(8, 6, 8, 32, false, pattern, T0), DEFRAG_COMPLETE);
	expect_datagram(40, pattern);
	cr_assert_eq(ev[REASON_TINY_FIRST_FRAGMENT], 1);
	/* A UDP header fits in 8 bytes: not tiny. */
	cr_assert_eq(frag4_data(9, 17, 0, 8, true, pattern, T0), DEFRAG_HELD);
	cr_assert_eq(ev[REASON_TINY_FIRST_FRAGMENT], 1);
}

Test(defrag, too_many_fragments_drop_the_datagram)
{
	for (uint32_t i = 0; i < DEFRAG_MAX_FRAGMENTS; i++)
		cr_assert_eq(frag4(12, i * 8, 8, true), DEFRAG_HELD);
	cr_assert_eq(frag4(12, DEFRAG_MAX_FRAGMENTS * 8, 8, true), DEFRAG_DISCARDED);
	cr_assert_eq(ev[REASON_TOO_MANY_FRAGMENTS], 1);
	/* The rest of it is discarded, never completed. */
	cr_assert_eq(frag4(12, (DEFRAG_MAX_FRAGMENTS + 1) * 8, 8, false), DEFRAG_DISCARDED);
	cr_assert_eq(ev[REASON_REASSEMBLED], 0);
	struct defrag_usage u;
	defrag_get_usage(d, &u);
	cr_assert_eq(u.pages, 0, "a dropped datagram holds no data");
	cr_assert_eq(u.trackers, 1, "its key stays until it expires");
}

Test(defrag, beyond_65535_dropped)
{
	/* IPv4: offset*8 + length + header > 65,535 (the ping of death). */
	cr_assert_eq(frag4(13, 0, 1480, true), DEFRAG_HELD);
	cr_assert_eq(frag4(13, 8189 * 8, 8, false), DEFRAG_DISCARDED);
	cr_assert_eq(ev[REASON_OVERSIZE], 1);
	cr_assert_eq(frag4(13, 1480, 8, false), DEFRAG_DISCARDED, "the datagram is dropped");
	/* The largest that fits: 65,535 - 20 payload bytes. */
	cr_assert_eq(frag4(14, 65512, 3, false), DEFRAG_HELD);
	for (uint32_t off = 0; off < 65512; off += 8192)
		frag4(14, off, off + 8192 <= 65512 ? 8192 : 65512 - off, true);
	cr_assert_eq(ev[REASON_REASSEMBLED], 1);
	expect_datagram(65515, pattern);
	/* IPv6: the fragmentable part within 65,535. */
	cr_assert_eq(frag6(15, 17, 65528, 16, false), DEFRAG_DISCARDED);
	cr_assert_eq(ev[REASON_OVERSIZE], 2);
}

Test(defrag, bad_lengths_and_contradicting_ends)
{
	cr_assert_eq(frag4(16, 0, 12, true), DEFRAG_DISCARDED, "not a multiple of 8");
	cr_assert_eq(ev[REASON_BAD_LENGTH], 1);
	cr_assert_eq(frag4(17, 0, 16, true), DEFRAG_HELD);
	cr_assert_eq(frag4(17, 16, 8, false), DEFRAG_COMPLETE);
	cr_assert_eq(frag4(18, 16, 8, false), DEFRAG_HELD);
	cr_assert_eq(frag4(18, 16, 16, false), DEFRAG_DISCARDED, "a second, other end");
	cr_assert_eq(ev[REASON_BAD_LENGTH], 2);
	cr_assert_eq(frag4(18, 0, 16, true), DEFRAG_DISCARDED, "dropped");
	cr_assert_eq(frag4(19, 8, 8, false), DEFRAG_HELD);
	cr_assert_eq(frag4(19, 16, 8, true), DEFRAG_DISCARDED, "data past the end");
	cr_assert_eq(ev[REASON_BAD_LENGTH], 3);
}

Test(defrag, timeout_by_packet_time)
{
	cr_assert_eq(frag4_data(20, 17, 0, 16, true, pattern, T0), DEFRAG_HELD);
	/* 59 s later: still there. */
	cr_assert_eq(frag4_data(21, 17, 0, 16, true, pattern, T0 + 59 * SEC), DEFRAG_HELD);
	cr_assert_eq(ev[REASON_TIMEOUT], 0);
	/* 60 s after its first fragment (not its last): gone. */
	cr_assert_eq(frag4_data(20, 17, 16, 8, false, pattern, T0 + 60 * SEC), DEFRAG_HELD);
	cr_assert_eq(ev[REASON_TIMEOUT], 1);
	cr_assert_eq(ev[REASON_REASSEMBLED], 0);
	/* Explicit expiry, far later: both remaining go. */
	defrag_expire(d, T0 + 1000 * SEC, ev);
	cr_assert_eq(ev[REASON_TIMEOUT], 3);
	expect_usage_empty();
	/* A timestamp going backwards expires nothing it should not. */
	cr_assert_eq(frag4_data(22, 17, 0, 16, true, pattern, T0), DEFRAG_HELD);
	cr_assert_eq(frag4_data(22, 17, 16, 4, false, pattern, T0), DEFRAG_COMPLETE);
}

Test(defrag, memory_exhaustion_evicts_within_budget)
{
	defrag_free(d);
	d = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	cr_assert(d);
	struct defrag_usage u;
	defrag_get_usage(d, &u);
	cr_assert_eq(u.budget, DEFRAG_MIN_MEMORY);
	cr_assert_geq(u.pages_max, DEFRAG_PAGES_PER_DATAGRAM, "the smallest budget holds a whole datagram");
	/* 20,000 datagrams that never complete, of 1,480 bytes each. */
	for (uint32_t id = 0; id < 20000; id++) {
		cr_assert_eq(frag4((uint16_t)id, 0, 1480, true), DEFRAG_HELD);
		defrag_get_usage(d, &u);
		cr_assert_leq(u.trackers, u.trackers_max);
		cr_assert_leq(u.pages, u.pages_max);
	}
	cr_assert_gt(ev[REASON_EVICTED], 19000);
	cr_assert_leq(u.peak, u.budget);
	/* A whole datagram still gets through, the oldest making room. */
	for (uint32_t off = 0; off < 60000; off += 1480)
		frag4(40000 & 0xffff, off, 1480, true);
	cr_assert_eq(frag4(40000 & 0xffff, 60680, 20, false), DEFRAG_COMPLETE);
	expect_datagram(60700, pattern);
	/* Below the minimum budget: refused. */
	cr_assert_null(defrag_create(DEFRAG_MIN_MEMORY - 1, SEC));
}

/* ---- IPv6 --------------------------------------------------------------- */

Test(defrag, ipv6_key_ignores_next_header_of_later_fragments)
{
	/* RFC 8200: only the offset-0 fragment's Next Header counts. */
	cr_assert_eq(frag6(0xdeadbeef, 59, 1232, 100, false), DEFRAG_HELD);
	cr_assert_eq(frag6(0xdeadbeef, 17, 0, 1232, true), DEFRAG_COMPLETE);
	cr_assert_eq(dg.proto, 17);
	expect_datagram(1332, pattern);
	cr_assert_eq(dg.packet_len, 40 + 1332);
	cr_assert_eq(dg.packet[4] << 8 | dg.packet[5], 1332);
	cr_assert_eq(dg.packet[6], 17);
}

Test(defrag, ipv6_atomic_fragment_decoded_as_is)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	struct ipv6_frag_info info = { .header = header6, .next_header = 17, .id = 1, .offset = 0, .more = false };
	struct cursor payload = cur_make(pattern, 16);
	cr_assert_eq(defrag_ipv6(&ctx, &pkt, &info, &payload), DEFRAG_PASS);
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_ATOMIC_FRAGMENT], 1);
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_FRAGMENT], 0);
}

/* A UDP datagram 1234 > 53 (n payload bytes: a DNS query for
 * www.example.com, then padding) in d6, ready to be cut in fragments. */
static uint32_t dns_datagram(uint8_t *out, uint32_t pad)
{
	static const uint8_t query[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
		/* an OPT record padding the message (RFC 7830) */
		0, 0, 41, 0x10, 0, 0, 0, 0, 0,
	};
	uint32_t n = 8 + sizeof query + 2 + 4 + pad;
	uint8_t *p = out;
	*p++ = 0x04, *p++ = 0xd2, *p++ = 0, *p++ = 53;
	*p++ = (uint8_t)(n >> 8), *p++ = (uint8_t)n, *p++ = 0, *p++ = 0;
	memcpy(p, query, sizeof query);
	p += sizeof query;
	uint32_t rdlen = 4 + pad;
	*p++ = (uint8_t)(rdlen >> 8), *p++ = (uint8_t)rdlen;
	*p++ = 0, *p++ = 12, *p++ = (uint8_t)(pad >> 8), *p++ = (uint8_t)pad;  /* option 12: padding */
	memset(p, 0, pad);
	return n;
}

Test(defrag, ipv6_fragments_through_the_hook)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	static uint8_t udp[4096];
	uint32_t n = dns_datagram(udp, 1500);
	header6[6] = 44;
	uint32_t first = 1232;
	struct ipv6_frag_info info = { .header = header6, .next_header = 17, .id = 77, .offset = 0, .more = true };
	struct cursor payload = cur_make(udp, first);
	memset(&pkt, 0, offsetof(struct packet, rec));
	pkt.ip_version = 6;
	cr_assert_eq(defrag_ipv6(&ctx, &pkt, &info, &payload), DEFRAG_TAKEN);
	cr_assert(pkt.defrag_held);
	cr_assert_null(pkt.reassembled);
	cr_assert_eq(pkt.n_rec, 0);

	memset(&pkt, 0, offsetof(struct packet, rec));
	pkt.ip_version = 6;
	info = (struct ipv6_frag_info){ .header = header6, .next_header = 17, .id = 77, .offset = first, .more = false };
	payload = cur_make(udp + first, n - first);
	cr_assert_eq(defrag_ipv6(&ctx, &pkt, &info, &payload), DEFRAG_DECODED);
	cr_assert_not_null(pkt.reassembled);
	cr_assert_eq(pkt.reassembled_len, 40 + n);
	Types__UDP *u = record(T_UDP, 0);
	cr_assert_not_null(u);
	cr_assert_eq(u->length, (int32_t)n);
	cr_assert_eq(u->payloadsize, (int32_t)(n - 8));
	Types__DNS *dns = record(T_DNS, 0);
	cr_assert_not_null(dns);
	cr_assert_eq(dns->n_questions, 1);
	cr_assert_str_eq(dns->questions[0]->name, "www.example.com");
	struct flow_tuple t;
	cr_assert(flow_tuple_extract(pkt.reassembled, pkt.reassembled_len, LINK_RAW, &t));
	cr_assert_eq(t.version, 6);
	cr_assert_eq(t.proto, 17);
	cr_assert_eq(t.src_port, 1234);
	cr_assert_eq(t.dst_port, 53);
}

/* ---- through the IPv4 decoder ------------------------------------------- */

/* Ethernet, IPv4 fragment (id 0x1234, offset off bytes, MF as given) of
 * `len` bytes of data. */
static void build_fragment(struct frame *f, const uint8_t *data, uint32_t off, uint32_t len, bool more)
{
	f->len = 0;
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 17, len, IPV4(.flags_fragment = (uint16_t)((more ? 0x2000 : 0) | off / 8)));
	put(f, data + off, len);
}

Test(defrag, ipv4_dns_reassembled_once)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	static uint8_t udp[4096];
	static struct frame f;
	uint32_t n = dns_datagram(udp, 2000);
	uint32_t cut = 1480;
	build_fragment(&f, udp, 0, cut, true);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	cr_assert(pkt.defrag_held);
	cr_assert_null(pkt.reassembled);

	build_fragment(&f, udp, cut, n - cut, false);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_DNS);
	Types__IPv4 *ip = record(T_IPV4, 0);
	cr_assert_eq(ip->fragoffset, cut / 8, "the fragment's own IPv4 record");
	cr_assert_eq(ip->srcport, 0, "no ports back-filled into a non-first fragment");
	Types__UDP *u = record(T_UDP, 0);
	cr_assert_eq(u->length, (int32_t)n);
	cr_assert_eq(u->payloadsize, (int32_t)(n - 8));
	cr_assert_gt(u->payloadentropy, 0.0);
	Types__DNS *dns = record(T_DNS, 0);
	cr_assert_str_eq(dns->questions[0]->name, "www.example.com");
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_REASSEMBLED], 1);
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_FRAGMENT], 2);
	cr_assert(!pkt.error);
	struct flow_tuple t;
	cr_assert(flow_tuple_extract(pkt.reassembled, pkt.reassembled_len, LINK_RAW, &t));
	cr_assert_eq(t.version, 4);
	cr_assert_eq(t.src_port, 1234);
	cr_assert_eq(t.dst_port, 53);
	cr_assert_eq(pkt.reassembled_wire, 2 * 34 + n);
}

Test(defrag, ipv4_without_reassembler_unchanged)
{
	static uint8_t udp[4096];
	static struct frame f;
	uint32_t n = dns_datagram(udp, 2000);
	build_fragment(&f, udp, 0, 1480, true);
	decode(&f);
	cr_assert_not_null(record(T_UDP, 0), "the first fragment's transport, as before");
	cr_assert(!pkt.defrag_held);
	build_fragment(&f, udp, 1480, n - 1480, false);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	cr_assert(pkt.fragment);
}

Test(defrag, ipv4_cut_fragment_passed)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	static uint8_t udp[4096];
	static struct frame f;
	dns_datagram(udp, 2000);
	build_fragment(&f, udp, 0, 1480, true);
	decode_cut(&f, LINK_ETHERNET, 200);
	cr_assert(!pkt.defrag_held);
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_TRUNCATED], 1);
}

/* ---- through the IPv6 decoder ------------------------------------------- */

/* Ethernet, IPv6 (fe80::1 > ff02::1), fragment header (UDP, id 0x01020304,
 * offset off bytes, M as given), then `len` bytes of data. */
static void build_fragment6(struct frame *f, const uint8_t *data, uint32_t off, uint32_t len, bool more)
{
	f->len = 0;
	put_ethernet(f, 0x86dd);
	put_ipv6(f, 44, 8 + len);
	PUT(f, 17, 0);
	put16(f, off | (more ? 1 : 0));
	put32(f, 0x01020304);
	put(f, data + off, len);
}

Test(defrag, ipv6_dns_reassembled_once)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	static uint8_t udp[4096];
	static struct frame f;
	uint32_t n = dns_datagram(udp, 2000);
	build_fragment6(&f, udp, 1232, n - 1232, false);
	decode(&f);
	cr_assert(pkt.defrag_held);
	cr_assert_null(record(T_UDP, 0));
	build_fragment6(&f, udp, 0, 1232, true);
	decode(&f);
	cr_assert_not_null(record(T_IPV6, 0), "the fragment's own IPv6 record");
	Types__UDP *u = record(T_UDP, 0);
	cr_assert_not_null(u, "the datagram's UDP record");
	cr_assert_null(record(T_UDP, 1));
	cr_assert_eq(u->length, (int32_t)n);
	Types__DNS *dns = record(T_DNS, 0);
	cr_assert_not_null(dns);
	cr_assert_str_eq(dns->questions[0]->name, "www.example.com");
	struct flow_tuple t;
	cr_assert(flow_tuple_extract(pkt.reassembled, pkt.reassembled_len, LINK_RAW, &t));
	cr_assert_eq(t.version, 6);
	cr_assert(memcmp(t.src, pkt.src_ip, 16) == 0);
	cr_assert_eq(t.dst_port, 53);
	/* An atomic fragment: decoded as is, never held. */
	build_fragment6(&f, udp, 0, n, false);
	decode(&f);
	cr_assert(!pkt.defrag_held);
	cr_assert_not_null(record(T_DNS, 0));
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_ATOMIC_FRAGMENT], 1);
}

/* ---- the flow tables see the datagram once ------------------------------ */

static int connections;
static char conn_ports[32];
static int32_t conn_packets, conn_bytes;

static void collect(void *arg, int type, const ProtobufCMessage *msg)
{
	(void)arg;
	if (type != TYPES__TYPE__NC_Connection)
		return;
	const Types__Connection *c = (const Types__Connection *)msg;
	connections++;
	snprintf(conn_ports, sizeof conn_ports, "%s>%s", c->srcport, c->dstport);
	conn_packets = c->numpackets;
	conn_bytes = c->totalsize;
}

Test(defrag, flows_count_the_datagram_by_its_5_tuple)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	struct flow_settings fs;
	flow_settings_default(&fs);
	fs.capacity = 1024;
	fs.want[TYPES__TYPE__NC_Connection] = true;
	struct flows *fl = flows_create(&fs, collect, NULL, NULL);
	cr_assert_not_null(fl);
	static uint8_t udp[4096];
	static struct frame f;
	uint32_t n = dns_datagram(udp, 2000);
	build_fragment(&f, udp, 0, 1480, true);
	decode(&f);
	flows_packet(fl, &pkt, LINK_ETHERNET);
	uint32_t first_frame = f.len;
	build_fragment(&f, udp, 1480, n - 1480, false);
	decode(&f);
	flows_packet(fl, &pkt, LINK_ETHERNET);
	flows_flush(fl);
	cr_assert_eq(connections, 1, "one Connection: the held fragment is not counted on its own");
	cr_assert_str_eq(conn_ports, "1234>53");
	cr_assert_eq(conn_packets, 1);
	cr_assert_eq(conn_bytes, (int32_t)(first_frame + f.len));
	flows_free(fl);
}

Test(defrag, fragment_inside_a_reassembled_datagram_decoded_alone)
{
	ctx.defrag = defrag_create(DEFRAG_MIN_MEMORY, 60 * SEC);
	/* The outer datagram: an inner IPv4 first fragment (MF) of UDP. */
	static struct frame inner, f;
	inner.len = 0;
	put_ipv4_with(&inner, 17, 24, IPV4(.flags_fragment = 0x2000));
	put_udp(&inner, 1234, 53, 100);
	put_fill(&inner, 0x55, 16);
	f.len = 0;
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 4, 24, IPV4(.flags_fragment = 0x2000));
	put(&f, inner.b, 24);
	decode(&f);
	cr_assert(pkt.defrag_held);
	f.len = 0;
	put_ethernet(&f, 0x0800);
	put_ipv4_with(&f, 4, inner.len - 24, IPV4(.flags_fragment = 3));
	put(&f, inner.b + 24, inner.len - 24);
	decode(&f);
	cr_assert_not_null(pkt.reassembled);
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_REASSEMBLED], 1);
	cr_assert_eq(ctx.stats.events[PROTO_DEFRAG][REASON_TOO_DEEP], 1);
	cr_assert_not_null(record(T_IPV4, 1), "the inner fragment's IPv4 record");
	cr_assert_not_null(record(T_UDP, 0), "decoded alone, as without reassembly");
}
