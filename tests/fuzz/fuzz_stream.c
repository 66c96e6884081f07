/* fuzz_stream.c: libFuzzer target for the TCP stream reassembler
 * (lib/stream/stream.c): segments of three connections from the input
 * into one reassembler with the smallest pool (BLOCKS_MIN_MEMORY, 32
 * blocks) and a small depth, so that holes, overlaps, the depth, the pool
 * running out, eviction, FIN, RST, expiry and the consumer's ignore flag
 * all happen within a few inputs.
 *
 * Input: byte 0 configures the run:
 *   bit 0: consistent data (every byte at sequence number x is x & 0xff)
 *   bits 1-2: the depth (2, 4, 8 or 64 blocks: 64 is more than the pool)
 *   bit 3: table capacity 2 (else 16): three connections evict
 *   bit 4: sequence bases near 2^32 (wraparound)
 *   bit 5: idle timeout 2 s (else 60 s)
 * then segments of 6 bytes each:
 *   byte 0: bit 0 direction (1: server to client), bits 1-2 the connection
 *           (modulo 3), bit 3 FIN, bit 4 SYN, bit 5 RST, bit 6 ACK,
 *           bit 7 snaplen cut (100 bytes past the captured ones)
 *   bytes 1-2: the sequence offset from the direction's base (big-endian;
 *           bit 15 set: the low 15 bits times 65,536, far jumps)
 *   byte 3: the length (0-239; 240-255: (n - 239) KiB)
 *   byte 4: the fill byte (when the data is not consistent)
 *   byte 5: bits 0-5 seconds to move the clock, bit 6 stream_advance
 *           after the segment, bit 7 the consumer ignores that direction
 * Each segment's data is a heap block of exactly its length, so
 * AddressSanitizer sees a read past it.
 *
 * The consumer checks: data and gaps non-empty, the data read whole; with
 * consistent data every delivered byte sits where its sequence number
 * says (byte - stream offset is the same modulo 256 for a whole direction,
 * gaps counted in the offset); no callback for a connection after its end,
 * one end each; no data for a direction after its fin. After every segment
 * the pool is within its budget and holds at most the depth per direction;
 * after stream_flush nothing is held and every connection has ended.
 *
 * Build: make fuzz (build/fuzz/fuzz_stream). Seeds: seed_stream.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define SEC INT64_C(1000000000)
#define MAX_TRACKERS 4096

struct tracker {
	bool ended, fin[2], have_phase[2];
	uint8_t phase[2];           /* (byte - offset) mod 256 of the direction */
	uint64_t offset[2];         /* bytes and gaps delivered */
};

static struct tracker trackers[MAX_TRACKERS];
static unsigned n_trackers, live;
static bool consistent;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_stream: %s\n", what);
	abort();
}

static struct tracker *tracker_of(struct stream_conn *c, int dir)
{
	if (dir != 0 && dir != 1)
		fail("a direction other than 0 and 1");
	if (!c->app) {
		if (n_trackers == MAX_TRACKERS)
			fail("more connections than segments");
		struct tracker *t = &trackers[n_trackers++];
		memset(t, 0, sizeof *t);
		c->app = t;
		live++;
	}
	struct tracker *t = c->app;
	if (t->ended)
		fail("a callback after the connection's end");
	return t;
}

static void on_data(void *env, struct stream_conn *c, int dir, const uint8_t *d, uint32_t n, int64_t ts)
{
	(void)env, (void)ts;
	struct tracker *t = tracker_of(c, dir);
	if (!n || !d)
		fail("empty data");
	if (t->fin[dir])
		fail("data after the direction's fin");
	if (c->ignore[dir])
		fail("data for an ignored direction");
	volatile uint8_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		sum ^= d[i];
		if (consistent) {
			uint8_t phase = (uint8_t)(d[i] - (uint8_t)(t->offset[dir] + i));
			if (!t->have_phase[dir]) {
				t->phase[dir] = phase;
				t->have_phase[dir] = true;
			} else if (phase != t->phase[dir]) {
				fail("a byte delivered out of its place");
			}
		}
	}
	(void)sum;
	t->offset[dir] += n;
}

static void on_gap(void *env, struct stream_conn *c, int dir, uint32_t n, int64_t ts)
{
	(void)env, (void)ts;
	struct tracker *t = tracker_of(c, dir);
	if (!n)
		fail("an empty gap");
	if (t->fin[dir])
		fail("a gap after the direction's fin");
	t->offset[dir] += n;
}

static void on_fin(void *env, struct stream_conn *c, int dir, int64_t ts)
{
	(void)env, (void)ts;
	struct tracker *t = tracker_of(c, dir);
	if (t->fin[dir])
		fail("a second fin");
	t->fin[dir] = true;
}

static void on_end(void *env, struct stream_conn *c, enum stream_end_reason why, int64_t ts)
{
	(void)env, (void)ts;
	if (why > STREAM_END_SHUTDOWN)
		fail("an unknown end reason");
	struct tracker *t = tracker_of(c, 0);
	t->ended = true;
	live--;
}

static const struct stream_callbacks callbacks = { on_data, on_gap, on_fin, on_end };

static const uint8_t client_ip[4] = { 10, 0, 0, 1 }, server_ip[4] = { 10, 0, 0, 2 };
static const uint32_t depths[4] = { 2 * BLOCK_SIZE, 4 * BLOCK_SIZE, 8 * BLOCK_SIZE, 64 * BLOCK_SIZE };

static void check_usage(struct stream_table *st, uint32_t depth)
{
	struct stream_usage u;
	stream_get_usage(st, &u);
	if (u.in_use > u.budget || u.peak > u.budget || u.in_use > u.peak)
		fail("blocks in use beyond the budget or the peak");
	if (u.budget != BLOCKS_MIN_MEMORY)
		fail("the budget changed");
	if (u.in_use > (size_t)6 * depth)
		fail("more held than the depth of six directions");
	if (u.connections > u.connections_max)
		fail("more connections than the capacity");
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = in[0];
	consistent = cfg & 1;
	uint32_t depth = depths[cfg >> 1 & 3];
	struct stream_settings s = {
		.memory = BLOCKS_MIN_MEMORY, .capacity = cfg & 8 ? 2 : 16, .depth = depth,
		.idle_ns = (cfg & 32 ? 2 : 60) * SEC,
	};
	struct stream_table *st = stream_create(&s, &callbacks);
	if (!st)
		fail("stream_create");
	n_trackers = live = 0;
	uint64_t events[REASON_COUNT] = { 0 };
	uint32_t base[3][2];
	for (int c = 0; c < 3; c++)
		for (int d = 0; d < 2; d++)
			base[c][d] = cfg & 16 ? 0xffffff00u + (uint32_t)(c * 64 + d * 32) : (uint32_t)(c * 100000 + d * 7);
	int64_t ts = INT64_C(1700000000) * SEC;
	for (size_t at = 1; at + 6 <= size; at += 6) {
		const uint8_t *h = in + at;
		int dir = h[0] & 1, conn = (h[0] >> 1 & 3) % 3;
		uint8_t flags = (h[0] & 8 ? 0x01 : 0) | (h[0] & 16 ? 0x02 : 0) | (h[0] & 32 ? 0x04 : 0) |
				(h[0] & 64 ? 0x10 : 0);
		uint32_t off = (uint32_t)h[1] << 8 | h[2];
		uint32_t seq = base[conn][dir] + (off & 0x8000 ? (off & 0x7fff) << 16 : off);
		uint32_t len = h[3] < 240 ? h[3] : (uint32_t)(h[3] - 239) << 10;
		ts += (int64_t)(h[5] & 63) * SEC;
		uint8_t *data = malloc(len ? len : 1);
		if (!data)
			break;
		/* Data starts one past a SYN's sequence number. */
		uint32_t first = seq + (flags & 0x02 ? 1 : 0);
		for (uint32_t i = 0; i < len; i++)
			data[i] = consistent ? (uint8_t)(first + i) : h[4];
		struct stream_segment seg = {
			.version = 4,
			.src = dir ? server_ip : client_ip, .dst = dir ? client_ip : server_ip,
			.src_port = (uint16_t)(dir ? 80 : 40000 + conn), .dst_port = (uint16_t)(dir ? 40000 + conn : 80),
			.seq = seq, .ack = base[conn][!dir] + 1, .flags = flags,
			.data = len ? data : NULL, .len = len, .full_len = len + (h[0] & 128 ? 100 : 0), .ts = ts,
		};
		struct stream_conn *c = stream_segment(st, &seg, NULL, events);
		if (c && (h[5] & 128))
			c->ignore[c->ep.client_port == seg.src_port ? 0 : 1] = true;
		free(data);
		if (h[5] & 64)
			stream_advance(st, ts, NULL, events);
		check_usage(st, depth);
	}
	stream_flush(st, NULL, events);
	struct stream_usage u;
	stream_get_usage(st, &u);
	if (u.in_use != 0 || u.connections != 0)
		fail("blocks or connections left after stream_flush");
	if (live != 0)
		fail("a connection never ended");
	stream_free(st);
	return 0;
}
