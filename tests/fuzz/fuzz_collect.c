/* fuzz_collect.c: libFuzzer target for the collector's datagram handler
 * (lib/collect/collector.c: collect_handle, with the sensor table, id
 * binding, replay window, reassembly and batch unpacking behind it).
 *
 * The collector's key pair and three sensor key pairs are fixed (derived
 * from constant seeds); sensors 0 and 1 are allowed, 2 is not. So that
 * inputs get past authentication, most datagrams are sealed here from
 * bytes the fuzzer chooses. Input: a sequence of datagrams, each
 *   byte 0: bits 0-1 the form:
 *             0 raw: the bytes are the datagram as received
 *             1 sealed: the bytes are the plaintext (its header included),
 *               sealed with sensor (bits 2-3 mod 3)'s key for the collector
 *             2 sealed, then one bit of the datagram flipped at the
 *               position in bytes 3-4
 *             3 the previous datagram again (a replay)
 *   bytes 1-2: the length of the bytes that follow (little-endian; cut at
 *              the end of the input)
 * One collector per input (inputs replay alone), its sink checking each
 * batch: n whole records of a known type, each well-formed for it
 * (ncap_record_check), exactly len bytes. After every datagram: the
 * worker's datagrams = accepted + drops; each sensor's reassembly within
 * its slots; an unknown key's datagram never changed a sensor.
 *
 * Build: make fuzz (build/fuzz/fuzz_collect). Seeds: seed_collect.sh. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "ncap/recordcheck.h"
#include "ncap/schema.h"
#include "ncap/varint.h"

static struct collect_keypair coll, sens[3];
static uint8_t shared[3][COLLECT_SHARED_BYTES];
static struct collector c;
static struct collect_worker *w;
static uint8_t dgram[COLLECT_DGRAM_MAX + 1], prev[COLLECT_DGRAM_MAX + 1];
static size_t prev_len;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_collect: %s\n", what);
	abort();
}

static void check_batch(void *arg, struct collect_sensor *s, const char *device, int type,
			uint64_t epoch, uint64_t seq, const uint8_t *records, size_t len, uint32_t n)
{
	(void)arg, (void)epoch, (void)seq;
	const struct ncap_type *t = ncap_type_by_id(type);
	if (!t || !t->desc)
		fail("a batch of an unknown type reached the sink");
	if (!s->bound || !collect_id_safe(s->id, strlen(s->id)) || strlen(device) > COLLECT_ID_MAX)
		fail("a batch from a sensor without a safe id");
	if (len == 0 || len > COLLECT_BATCH_MAX)
		fail("a batch of a length out of bounds");
	size_t pos = 0;
	uint32_t k = 0;
	while (pos < len) {
		uint64_t body;
		int v = ncap_varint_get(records + pos, len - pos, &body);
		if (v <= 0 || body > len - pos - (size_t)v)
			fail("a batch of records cut short reached the sink");
		struct ncap_check chk;
		if (ncap_record_check(t->desc, records + pos + v, (size_t)body, NULL, &chk) != NCAP_CHECK_OK)
			fail("a malformed record reached the sink");
		pos += (size_t)v + (size_t)body;
		k++;
	}
	if (k != n)
		fail("the record count given to the sink is wrong");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (sodium_init() < 0)
		fail("sodium_init");
	uint8_t seed[crypto_box_SEEDBYTES];
	memset(seed, 0xc0, sizeof seed);
	crypto_box_seed_keypair(coll.pk, coll.sk, seed);
	for (int i = 0; i < 3; i++) {
		memset(seed, 0x10 + i, sizeof seed);
		crypto_box_seed_keypair(sens[i].pk, sens[i].sk, seed);
		if (crypto_box_beforenm(shared[i], coll.pk, sens[i].sk))
			fail("beforenm");
	}
	return 0;
}

static void check_counters(void)
{
	struct collect_totals t;
	collect_totals(&w, 1, &t);
	uint64_t sum = t.accepted;
	for (int v = 0; v < COLLECT_VERDICTS; v++)
		sum += t.drops[v];
	if (sum != t.datagrams || t.drops[COLLECT_ACCEPT])
		fail("datagrams != accepted + drops");
	for (size_t i = 0; i < c.sensors.n; i++) {
		const struct collect_sensor *s = &c.sensors.s[i];
		if (collect_reasm_pending(&s->reasm) > COLLECT_REASM_SLOTS)
			fail("more batches pending than slots");
		if (s->datagrams > t.accepted)
			fail("a sensor accepted more than the worker");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t keys[2][COLLECT_KEY_BYTES];
	memcpy(keys[0], sens[0].pk, COLLECT_KEY_BYTES);
	memcpy(keys[1], sens[1].pk, COLLECT_KEY_BYTES);
	char *names[2] = {"zero", "one"};
	struct collect_allow allow = {.keys = keys, .names = names, .n = 2};
	struct collect_sink sink = {.batch = check_batch};
	char err[512];
	/* A bound below the default, so oversized datagrams are reachable. */
	if (collector_init(&c, &coll, &allow, 4096, &sink, err, sizeof err))
		fail(err);
	if (!w) {
		w = collect_worker_new(&c);
		if (!w)
			fail("out of memory");
	}
	/* The worker's counters start again with each collector. */
	w->c = &c;
	atomic_store(&w->datagrams, 0);
	atomic_store(&w->accepted, 0);
	for (int v = 0; v < COLLECT_VERDICTS; v++)
		atomic_store(&w->drops[v], 0);
	prev_len = 0;

	size_t pos = 0;
	while (pos + 3 <= size) {
		uint8_t form = data[pos] & 3, who = (uint8_t)((data[pos] >> 2 & 3) % 3);
		size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		const uint8_t *b = data + pos;
		pos += len;
		size_t n;
		if (form == 0) {
			n = len > sizeof dgram ? sizeof dgram : len;
			memcpy(dgram, b, n);
		} else if (form == 3) {
			n = prev_len;
			memcpy(dgram, prev, n);
		} else {
			if (len > sizeof dgram - COLLECT_OVERHEAD)
				len = sizeof dgram - COLLECT_OVERHEAD;
			memcpy(dgram, COLLECT_MAGIC, 4);
			dgram[4] = COLLECT_VERSION;
			dgram[5] = dgram[6] = dgram[7] = 0;
			memcpy(dgram + 8, sens[who].pk, COLLECT_KEY_BYTES);
			memset(dgram + 40, 0, 24);
			memcpy(dgram + 40, &pos, sizeof pos); /* a nonce per datagram */
			crypto_box_easy_afternm(dgram + COLLECT_OUTER_BYTES, b, len, dgram + 40, shared[who]);
			n = COLLECT_OVERHEAD + len;
			if (form == 2 && len >= 2) {
				size_t at = ((size_t)b[0] | (size_t)b[1] << 8) % n;
				dgram[at] ^= (uint8_t)(1u << (b[0] % 8));
			}
		}
		/* In a block of exactly its size: ASan sees a read past it. */
		uint8_t *exact = malloc(n ? n : 1);
		memcpy(exact, dgram, n);
		uint8_t before[COLLECT_KEY_BYTES];
		memcpy(before, n >= 40 ? exact + 8 : sens[2].pk, COLLECT_KEY_BYTES);
		struct collect_sensor *s = n >= 40 ? collect_sensors_find(&c.sensors, before) : NULL;
		uint64_t accepted_before = s ? s->datagrams : 0;
		enum collect_verdict v = collect_handle(w, exact, n, 1);
		free(exact);
		if ((unsigned)v >= COLLECT_VERDICTS)
			fail("a verdict out of range");
		if (v == COLLECT_ACCEPT && !s)
			fail("a datagram without an allowed key was accepted");
		if (v != COLLECT_ACCEPT && s && s->datagrams != accepted_before)
			fail("a dropped datagram counted as accepted by its sensor");
		check_counters();
		memcpy(prev, dgram, n);
		prev_len = n;
	}
	collector_free(&c);
	return 0;
}
