/* fuzz_http.c: libFuzzer target for the HTTP/1.x parser over streams
 * (lib/decode/http.c): one connection's two directions from the input,
 * with gaps, FINs and the end, on the smallest block pool
 * (BLOCKS_MIN_MEMORY, 32 blocks) so that heads, bodies and waiting
 * requests run the pool out within a few inputs.
 *
 * Input: byte 0 configures the run:
 *   bits 0-2: http_head_max, 32 << n bytes (32 .. 4096)
 *   bits 3-4: http_body_max: 0, 16, 600 or 4096
 *   bit 5: the HTTP record type disabled (the parser must run the same)
 *   bit 6: all but 2 blocks of the pool taken before the run
 *   bit 7: a drain: records are packed and the record space emptied
 *          whenever app_make_room asks (as outside a packet)
 * then operations, each a control byte and a length byte:
 *   control bits 0-1: 0 data, 1 data, 2 gap, 3 fin; bit 2 the direction
 *           (1: server to client); for data, bit 3 splits the bytes into
 *           calls of (control >> 4) + 1 bytes
 *   length: data: that many bytes follow (fewer at the end of the input);
 *           gap: that many bytes times (control >> 4) + 1 never seen
 * Every data call gets a heap block of exactly its length, so
 * AddressSanitizer sees a read past it. After each operation the records
 * made are packed (protobuf-c walks every field) and the record space is
 * emptied, as for a new packet; the pool must stay within its blocks. After
 * http_end the parser holds no block.
 *
 * Build: make fuzz (build/fuzz/fuzz_http). Seeds: seed_http.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/http.h"
#include "stream/app.h"
#include "stream/blocks.h"

static struct decoder_ctx ctx;
static struct packet *pkt;
static _Alignas(16) uint8_t state_mem[BLOCK_DATA];
static uint8_t pack_buf[1u << 20];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

/* Packs every record made so far and empties the record space. */
static void flush_records(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < pkt->n_rec; i++) {
		if (pkt->rec[i].type != TYPES__TYPE__NC_HTTP)
			fail("a record other than HTTP");
		size_t size = protobuf_c_message_get_packed_size(pkt->rec[i].msg);
		if (size > sizeof pack_buf)
			fail("a record over 1 MiB");
		if (protobuf_c_message_pack(pkt->rec[i].msg, pack_buf) != size)
			fail("packed size differs");
	}
	/* What the records held is gone: a parser still pointing into it
	 * reads garbage the checks above would trip on. */
	memset(ctx.arena.base, 0xa5, ctx.arena.used);
	pkt->n_rec = 0;
	ctx.arena.used = 0;
	ctx.arena.full = false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (decoder_init(&ctx, 4u << 20) < 0)
		abort();
	pkt = calloc(1, sizeof *pkt);
	if (!pkt)
		abort();
	if (http_state_size > BLOCK_DATA)
		fail("http_state larger than a block");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = data[0];
	static const uint32_t body_max[] = { 0, 16, 600, 4096 };
	struct app_settings settings = {
		.http_head_max = 32u << (cfg & 7),
		.http_body_max = body_max[(cfg >> 3) & 3],
		.tls_handshake_max = APP_DEFAULT_TLS_HANDSHAKE_MAX,
	};
	decoder_enable(&ctx, TYPES__TYPE__NC_HTTP, !(cfg & 0x20));
	struct block_pool pool;
	if (block_pool_init(&pool, BLOCKS_MIN_MEMORY) < 0)
		abort();
	struct block *taken[BLOCKS_MIN_MEMORY / BLOCK_SIZE];
	uint32_t n_taken = 0;
	if (cfg & 0x40)
		while (n_taken + 2 < pool.total)
			taken[n_taken++] = block_get(&pool);
	pkt->n_rec = 0;
	pkt->ts = 1;
	ctx.arena.used = 0;
	struct app_env env = {
		.ctx = &ctx, .pkt = pkt, .blocks = &pool,
		.drain = (cfg & 0x80) ? flush_records : NULL, .settings = &settings,
	};
	struct stream_conn conn = { 0 };
	conn.ep.version = 4;
	memcpy(conn.ep.client, "\x0a\x00\x00\x01", 4);
	memcpy(conn.ep.server, "\x0a\x00\x00\x02", 4);
	conn.ep.client_port = 40000;
	conn.ep.server_port = 80;
	memset(state_mem, 0, sizeof state_mem);
	struct http_state *st = (struct http_state *)state_mem;
	http_init(st, &settings);

	int64_t ts = 1000;
	size_t pos = 1;
	while (pos + 2 <= size) {
		uint8_t control = data[pos], len = data[pos + 1];
		pos += 2;
		int dir = (control >> 2) & 1;
		uint32_t piece = (control >> 4) + 1u;
		ts += 1000;
		switch (control & 3) {
		case 0:
		case 1: {
			size_t n = len < size - pos ? len : size - pos;
			size_t step = (control & 8) ? piece : (n ? n : 1);
			for (size_t at = 0; at < n; at += step) {
				size_t k = n - at < step ? n - at : step;
				uint8_t *copy = malloc(k);
				if (!copy)
					abort();
				memcpy(copy, data + pos + at, k);
				/* As the reassembler: nothing for an ignored direction. */
				if (!conn.ignore[dir])
					http_data(&env, &conn, st, dir, copy, (uint32_t)k, ts);
				free(copy);
			}
			pos += n;
			break;
		}
		case 2:
			if (!conn.ignore[dir] && len)
				http_gap(&env, &conn, st, dir, (uint32_t)len * piece, ts);
			break;
		case 3:
			if (!conn.ignore[dir])
				http_fin(&env, &conn, st, dir, ts);
			break;
		}
		if (pool.in_use > pool.total)
			fail("more blocks in use than the pool has");
		flush_records(NULL);
	}
	http_end(&env, &conn, st, ts + 1);
	flush_records(NULL);
	if (pool.in_use != n_taken)
		fail("the parser kept blocks after http_end");
	while (n_taken)
		block_put(&pool, taken[--n_taken]);
	block_pool_free(&pool);
	return 0;
}
