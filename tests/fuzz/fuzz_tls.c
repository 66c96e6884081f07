/* fuzz_tls.c: libFuzzer target for the TLS hello parser (lib/decode/tls.c):
 * the input becomes a connection's two directions, cut into calls of
 * tls_data and tls_gap, then tls_end; and the whole input is also given
 * to the four fingerprint functions as a hello body.
 *
 * Input: byte 0 picks the settings: bits 0-1 the handshake cap (64 KiB,
 * 512, 16 or 0 bytes), bit 2 the records off (the parser must read the
 * same way without them). Then calls of a 2-byte header each:
 *   byte 0: bit 0 the direction (1: server to client), bit 1 a gap of
 *           `len` bytes instead of data, bit 2 len counted in 64-byte units
 *   byte 1: len
 * followed (for data) by len bytes of the input (fewer at its end), each
 * call's data in a heap block of exactly its length, so AddressSanitizer
 * sees a read past it. The block pool is the smallest (BLOCKS_MIN_MEMORY:
 * a joined 64 KiB hello does not fit, so refusal is reached too), and
 * after tls_end every block must be back. Records made are checked to be
 * at most two (one hello per direction) and their strings bounded.
 *
 * Build: make fuzz (build/fuzz/fuzz_tls). Seeds: seed_tls.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/tls.h"
#include "stream/app.h"
#include "stream/blocks.h"

static struct decoder_ctx ctx;
static struct packet *pkt;
static struct block_pool pool;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_tls: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (decoder_init(&ctx, 1 << 20) < 0)
		abort();
	pkt = calloc(1, sizeof *pkt);
	if (!pkt || block_pool_init(&pool, BLOCKS_MIN_MEMORY) < 0)
		abort();
	return 0;
}

static void check_records(void)
{
	if (pkt->n_rec > 2)
		fail("more than one hello per direction");
	for (unsigned i = 0; i < pkt->n_rec; i++) {
		if (pkt->rec[i].type == TYPES__TYPE__NC_TLSClientHello) {
			const Types__TLSClientHello *r = (const void *)pkt->rec[i].msg;
			if (strlen(r->sni) > 255 || r->n_ciphersuites > 512 || r->n_extensions > 128 ||
			    r->n_alpns > 64 || (r->ja3[0] && strlen(r->ja3) != 32))
				fail("a ClientHello record past its caps");
		} else if (pkt->rec[i].type == TYPES__TYPE__NC_TLSServerHello) {
			const Types__TLSServerHello *r = (const void *)pkt->rec[i].msg;
			if (strlen(r->alpnprotocol) > 255 || r->n_scts > 64 || r->n_extensions > 128 ||
			    r->n_nextprotos > 64 || r->cookie.len > 1024)
				fail("a ServerHello record past its caps");
		} else {
			fail("a record of another type");
		}
	}
}

static void fingerprints(const uint8_t *in, size_t size)
{
	uint32_t n = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	uint8_t *body = malloc(n ? n : 1);
	if (!body)
		return;
	memcpy(body, in, n);
	char md5[33], ja4[37], ja4s[26], raw[TLS_JA3_RAW_MAX];
	if (tls_ja3(body, n, md5, raw, sizeof raw) && strlen(md5) != 32)
		fail("JA3 not 32 hex digits");
	if (tls_ja3s(body, n, md5, raw, sizeof raw) && strlen(md5) != 32)
		fail("JA3S not 32 hex digits");
	if (tls_ja4(body, n, ja4) && strlen(ja4) != 36)
		fail("JA4 not 36 characters");
	if (tls_ja4s(body, n, ja4s) && strlen(ja4s) != 25)
		fail("JA4S not 25 characters");
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	fingerprints(in, size);
	if (size < 1)
		return 0;
	static const uint32_t caps[4] = { APP_DEFAULT_TLS_HANDSHAKE_MAX, 512, 16, 0 };
	struct app_settings settings = { .tls_handshake_max = caps[in[0] & 3] };
	decoder_enable(&ctx, TYPES__TYPE__NC_TLSClientHello, !(in[0] & 4));
	decoder_enable(&ctx, TYPES__TYPE__NC_TLSServerHello, !(in[0] & 4));
	int64_t ts = INT64_C(1700000000000000000);
	decode_records_begin(&ctx, pkt, ts);
	pkt->has_mac = true;
	pkt->has_ports = true;
	pkt->src_port = 50000;
	pkt->dst_port = 443;

	struct stream_conn conn = { .ep = { .version = 6, .client_port = 50000, .server_port = 443 } };
	conn.ep.client[15] = 1;
	conn.ep.server[15] = 2;
	struct app_env env = { .ctx = &ctx, .pkt = pkt, .blocks = &pool, .settings = &settings };
	struct block *b = block_get(&pool);
	if (!b || tls_state_size > BLOCK_DATA)
		fail("no block for the state");
	memset(b->data, 0, BLOCK_DATA);
	struct tls_state *st = (struct tls_state *)(void *)b->data;
	tls_init(st, &settings);

	for (size_t at = 1; at + 2 <= size;) {
		uint8_t flags = in[at];
		uint32_t len = in[at + 1] * (flags & 4 ? 64u : 1u);
		at += 2;
		int dir = flags & 1;
		if (flags & 2) {
			tls_gap(&env, &conn, st, dir, len, ++ts);
			continue;
		}
		if (len > size - at)
			len = (uint32_t)(size - at);
		uint8_t *data = malloc(len ? len : 1);
		if (!data)
			break;
		memcpy(data, in + at, len);
		tls_data(&env, &conn, st, dir, data, len, ++ts);
		free(data);
		at += len;
	}
	check_records();
	tls_end(&env, &conn, st, ++ts);
	block_put(&pool, b);
	if (pool.in_use != 0)
		fail("blocks left in use after tls_end");
	return 0;
}
