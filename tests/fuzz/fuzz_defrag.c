/* fuzz_defrag.c: libFuzzer target for the reassembler (lib/defrag) and
 * its decoder glue (ipv4.c, ipv6.c): a sequence of fragments from the
 * input into one reassembler with the smallest budget (DEFRAG_MIN_MEMORY), so that
 * eviction, expiry, overlaps and drops all happen within a few inputs.
 *
 * Input: byte 0 picks the mode (bit 0: fragments as raw IPv4 and IPv6
 * packets through decode_packet, with every record type on; else straight
 * into defrag_add). Then fragments of 8 header bytes each:
 *   byte 0: bit 0 IPv6, bit 1 More Fragments, bits 2-3 the id (one of 4),
 *           bits 4-5 the protocol (UDP, TCP, ICMP, 255)
 *   bytes 1-2: the offset in 8-byte units (big-endian; past 65,535 bytes too)
 *   bytes 3-4: the length (big-endian, taken modulo 4,096)
 *   byte 5: seconds to move the clock (forwards, or back when bit 7 is set)
 *   bytes 6-7: the first two bytes of the data, the rest repeating them
 * and each fragment's data in a heap block of exactly its length, so
 * AddressSanitizer sees a read past it. The budget is checked after every
 * fragment (trackers, pages, bytes in use within what was created), and
 * every reassembled datagram is read whole and checked: its length within
 * 65,535, its packet = header + payload, no more than DEFRAG_MAX_FRAGMENTS
 * fragments. A new reassembler per input: inputs replay alone.
 *
 * Build: make fuzz (build/fuzz/fuzz_defrag). Seeds: seed_defrag.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "defrag/defrag.h"

#define SEC INT64_C(1000000000)

static struct decoder_ctx ctx;
static struct packet *pkt;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_defrag: %s\n", what);
	abort();
}

static void check_budget(const struct defrag *d)
{
	struct defrag_usage u;
	defrag_get_usage(d, &u);
	if (u.trackers > u.trackers_max || u.pages > u.pages_max)
		fail("more trackers or pages in use than the pools hold");
	if (u.in_use > u.budget || u.peak > u.budget || u.in_use > u.peak)
		fail("bytes in use beyond the budget or the peak");
	if (u.budget != DEFRAG_MIN_MEMORY)
		fail("the budget changed");
}

static void check_datagram(const struct defrag_datagram *dg)
{
	if (dg->payload_len > DEFRAG_MAX_PAYLOAD || dg->fragments > DEFRAG_MAX_FRAGMENTS)
		fail("a datagram past the limits");
	if (dg->payload < dg->packet || dg->payload + dg->payload_len != dg->packet + dg->packet_len)
		fail("the payload is not the end of the packet");
	volatile uint8_t sum = 0;
	for (uint32_t i = 0; i < dg->packet_len; i++)
		sum ^= dg->packet[i];
	(void)sum;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (decoder_init(&ctx, 1 << 20) < 0)
		abort();
	for (size_t i = 0; i < decode_record_types_count; i++)
		decoder_enable(&ctx, decode_record_types[i], true);
	ctx.payload = true;
	pkt = malloc(sizeof *pkt);
	if (!pkt)
		abort();
	return 0;
}

static const uint8_t protos[4] = { 17, 6, 1, 255 };
static const uint8_t src[16] = { 10, 0, 0, 1 }, dst[16] = { 10, 0, 0, 2 };

/* A raw IP packet of the fragment, decoded: the hooks in ipv4.c and
 * ipv6.c (an IPv6 fixed header and a fragment header). */
static void decode_fragment(const uint8_t *h, const uint8_t *data, uint32_t len, int64_t ts)
{
	uint32_t offset_units = ((uint32_t)h[1] << 8 | h[2]) & 0x1fff;
	bool v6 = h[0] & 1;
	uint32_t head = v6 ? 48 : 20;
	uint32_t total = head + len;
	uint8_t *frame = malloc(total);
	if (!frame)
		return;
	uint8_t ip[20] = {
		0x45, 0, (uint8_t)(total >> 8), (uint8_t)total, 0, (uint8_t)(h[0] >> 2 & 3),
		(uint8_t)((h[0] & 2 ? 0x20 : 0) | offset_units >> 8), (uint8_t)offset_units,
		64, protos[h[0] >> 4 & 3], 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	};
	uint16_t offset_flags = (uint16_t)(offset_units << 3 | (h[0] & 2 ? 1 : 0));
	uint8_t ip6[48] = {
		0x60, 0, 0, 0, (uint8_t)((8 + len) >> 8), (uint8_t)(8 + len), 44, 64,
		0x20, 0x01, 0x0d, 0xb8, [23] = 1, [24] = 0x20, 0x01, 0x0d, 0xb8, [39] = 2,
		protos[h[0] >> 4 & 3], 0, (uint8_t)(offset_flags >> 8), (uint8_t)offset_flags,
		0, 0, 0, (uint8_t)(h[0] >> 2 & 3),
	};
	memcpy(frame, v6 ? ip6 : ip, head);
	memcpy(frame + head, data, len);
	decode_packet(&ctx, pkt, LINK_RAW, frame, total, total, ts);
	if (pkt->reassembled && (pkt->reassembled_len < 20 || pkt->reassembled_len > 40 + DEFRAG_MAX_PAYLOAD))
		fail("a reassembled packet of an impossible length");
	if (pkt->n_rec > PACKET_MAX_RECORDS || ctx.arena.used > ctx.arena.cap)
		fail("records past the packet's limits");
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 1)
		return 0;
	bool through_decoder = in[0] & 1;
	struct defrag *d = defrag_create(DEFRAG_MIN_MEMORY, 30 * SEC);
	if (!d)
		return 0;
	ctx.defrag = through_decoder ? d : NULL;
	memset(ctx.stats.events, 0, sizeof ctx.stats.events);
	uint64_t *events = ctx.stats.events[PROTO_DEFRAG];
	int64_t ts = INT64_C(1700000000) * SEC;
	for (size_t at = 1; at + 8 <= size; at += 8) {
		const uint8_t *h = in + at;
		uint32_t len = ((uint32_t)h[3] << 8 | h[4]) % 4096;
		int64_t step = (int64_t)(h[5] & 0x7f) * SEC;
		ts += h[5] & 0x80 ? -step : step;
		uint8_t *data = malloc(len ? len : 1);
		if (!data)
			break;
		for (uint32_t i = 0; i < len; i++)
			data[i] = h[6 + (i & 1)] + (uint8_t)(i >> 1);
		if (through_decoder) {
			decode_fragment(h, data, len, ts);
		} else {
			bool v6 = h[0] & 1;
			uint8_t header[40] = { v6 ? 0x60 : 0x45 };
			struct defrag_fragment f = {
				.version = v6 ? 6 : 4, .proto = protos[h[0] >> 4 & 3], .src = src, .dst = dst,
				.id = h[0] >> 2 & 3, .offset = ((uint32_t)h[1] << 8 | h[2]) * 8u,
				.more = h[0] & 2, .data = data, .len = len,
				.header = header, .header_len = v6 ? 40 : 20, .frame_bytes = len + 34, .ts = ts,
			};
			struct defrag_datagram dg;
			if (defrag_add(d, &f, events, &dg) == DEFRAG_COMPLETE)
				check_datagram(&dg);
		}
		free(data);
		check_budget(d);
	}
	if (events[REASON_REASSEMBLED] > events[REASON_FRAGMENT])
		fail("more datagrams than fragments");
	ctx.defrag = NULL;
	defrag_free(d);
	return 0;
}
