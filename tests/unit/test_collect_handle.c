/* test_collect_handle.c: the collector's sensor table and its handling of
 * one datagram (lib/collect/sensors.c, collector.c) with a sink that
 * keeps what it gets: the key lookup, id binding, the order of the
 * checks (nothing reaches the sink before the replay window accepts),
 * the drop counters by cause, overall and per sensor, and large records
 * reassembled from sealed fragments. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "ncap/varint.h"

#define HC_SENSORS 3

static struct collect_keypair hc_coll, hc_sens[HC_SENSORS + 1]; /* the last not allowed */
static struct collector hc_c;
static struct collect_worker *hc_w;
static struct { uint64_t batches, records, bytes; int type; uint8_t last[1 << 21]; size_t last_len; }
	hc_sink;

static void hc_batch(void *arg, struct collect_sensor *s, const char *device, int type,
		     uint64_t epoch, uint64_t seq, const uint8_t *records, size_t len, uint32_t n)
{
	(void)arg, (void)s, (void)device, (void)epoch, (void)seq;
	hc_sink.batches++;
	hc_sink.records += n;
	hc_sink.bytes += len;
	hc_sink.type = type;
	memcpy(hc_sink.last, records, len);
	hc_sink.last_len = len;
}

static void hc_setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	crypto_box_keypair(hc_coll.pk, hc_coll.sk);
	static uint8_t keys[HC_SENSORS][COLLECT_KEY_BYTES];
	static char *names[HC_SENSORS] = {"a", "b", "c"};
	for (int i = 0; i <= HC_SENSORS; i++) {
		crypto_box_keypair(hc_sens[i].pk, hc_sens[i].sk);
		if (i < HC_SENSORS)
			memcpy(keys[i], hc_sens[i].pk, COLLECT_KEY_BYTES);
	}
	struct collect_allow allow = {.keys = keys, .names = names, .n = HC_SENSORS};
	struct collect_sink sink = {.batch = hc_batch};
	char err[512];
	cr_assert_eq(collector_init(&hc_c, &hc_coll, &allow, COLLECT_DGRAM_MAX, &sink, err, sizeof err),
		     0, "%s", err);
	hc_w = collect_worker_new(&hc_c);
	cr_assert_not_null(hc_w);
	memset(&hc_sink, 0, sizeof hc_sink);
}

static void hc_teardown(void)
{
	collect_worker_free(hc_w);
	collector_free(&hc_c);
}

TestSuite(collect_handle, .init = hc_setup, .fini = hc_teardown, .timeout = 60);

/* A UDP record: Timestamp, then a Payload of n bytes (pseudo-random:
 * they hardly deflate). */
static size_t hc_udp(uint8_t *out, uint64_t ts, size_t n)
{
	static uint8_t body[8 + 16 + (1 << 20)];
	uint32_t x = (uint32_t)ts * 2654435761u | 1;
	size_t b = 0;
	body[b++] = 0x08;
	b += (size_t)ncap_varint_put(body + b, ts);
	body[b++] = 0x42;
	b += (size_t)ncap_varint_put(body + b, n);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		body[b++] = (uint8_t)x;
	}
	size_t o = (size_t)ncap_varint_put(out, b);
	memcpy(out + o, body, b);
	return o + b;
}

/* Datagrams made by a sealer, kept for sending (and sending again). */
static struct { uint8_t d[2048][1500]; size_t len[2048]; size_t n; } hc_out;

static void hc_emit(void *arg, const uint8_t *d, size_t len, uint32_t records)
{
	(void)arg, (void)records;
	cr_assert_lt(hc_out.n, 2048);
	cr_assert_leq(len, 1500);
	memcpy(hc_out.d[hc_out.n], d, len);
	hc_out.len[hc_out.n++] = len;
}

static _Atomic uint64_t hc_seq;

/* Seals len bytes of UDP records as sensor k with id, epoch. */
static void hc_seal(int k, const char *id, uint64_t epoch, const uint8_t *recs, size_t len)
{
	char err[512];
	struct collect_sealer *s = collect_sealer_new(&hc_sens[k], hc_coll.pk, id, "test", epoch,
						      COLLECT_DGRAM_DEFAULT, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	struct collect_seal_stats st = {0};
	hc_out.n = 0;
	collect_seal_records(s, 37, recs, len, &hc_seq, hc_emit, NULL, &st);
	collect_sealer_free(s);
}

static enum collect_verdict hc_send(size_t i)
{
	return collect_handle(hc_w, hc_out.d[i], hc_out.len[i], 1);
}

Test(collect_handle, table_lookup)
{
	cr_assert_eq(hc_c.sensors.n, HC_SENSORS);
	for (size_t i = 1; i < hc_c.sensors.n; i++)
		cr_assert_lt(memcmp(hc_c.sensors.s[i - 1].pk, hc_c.sensors.s[i].pk, COLLECT_KEY_BYTES), 0);
	for (int i = 0; i < HC_SENSORS; i++) {
		struct collect_sensor *s = collect_sensors_find(&hc_c.sensors, hc_sens[i].pk);
		cr_assert_not_null(s);
		cr_assert_eq(memcmp(s->pk, hc_sens[i].pk, COLLECT_KEY_BYTES), 0);
	}
	cr_assert_null(collect_sensors_find(&hc_c.sensors, hc_sens[HC_SENSORS].pk));
}

Test(collect_handle, valid_then_replay)
{
	static uint8_t recs[4000];
	size_t len = 0;
	for (int i = 0; i < 10; i++)
		len += hc_udp(recs + len, 1000 + i, 100);
	hc_seal(0, "alpha", 5, recs, len);
	cr_assert_eq(hc_out.n, 1);
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	cr_assert_eq(hc_sink.records, 10);
	cr_assert_eq(hc_sink.type, 37);
	cr_assert_eq(hc_sink.last_len, len);
	cr_assert_eq(memcmp(hc_sink.last, recs, len), 0);
	cr_assert_eq(hc_send(0), COLLECT_DROP_REPLAY);
	cr_assert_eq(hc_sink.batches, 1);
	struct collect_sensor *s = collect_sensors_find(&hc_c.sensors, hc_sens[0].pk);
	cr_assert_str_eq(s->id, "alpha");
	cr_assert_str_eq(s->device, "test");
	cr_assert_eq(s->datagrams, 1);
	cr_assert_eq(s->records, 10);
	cr_assert_eq(s->drops[COLLECT_DROP_REPLAY], 1);
	struct collect_totals t;
	collect_totals(&hc_w, 1, &t);
	cr_assert_eq(t.datagrams, 2);
	cr_assert_eq(t.accepted, 1);
	cr_assert_eq(t.drops[COLLECT_DROP_REPLAY], 1);
}

Test(collect_handle, id_binding)
{
	uint8_t recs[200];
	size_t len = hc_udp(recs, 1, 10);
	hc_seal(0, "alpha", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	/* The same key, another id. */
	hc_seal(0, "beta", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_DROP_SENSOR_ID);
	/* Another key, the id taken. */
	hc_seal(1, "alpha", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_DROP_SENSOR_ID);
	/* That key may still bind a free id, and the first keeps its own. */
	hc_seal(1, "beta", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	hc_seal(0, "alpha", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	cr_assert_eq(hc_sink.batches, 3);
	struct collect_sensor *s1 = collect_sensors_find(&hc_c.sensors, hc_sens[1].pk);
	cr_assert_str_eq(s1->id, "beta");
	cr_assert_eq(s1->drops[COLLECT_DROP_SENSOR_ID], 1);
	/* The dropped datagram did not use its sequence number: the window
	 * saw only accepted ones. */
	cr_assert_eq(s1->replay.top, 4);
}

Test(collect_handle, unknown_key_and_forgery)
{
	uint8_t recs[200];
	size_t len = hc_udp(recs, 1, 10);
	hc_seal(HC_SENSORS, "mallory", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_DROP_UNKNOWN_KEY);
	/* An allowed key in the header, sealed by another key. */
	memcpy(hc_out.d[0] + 8, hc_sens[2].pk, COLLECT_KEY_BYTES);
	cr_assert_eq(hc_send(0), COLLECT_DROP_AUTH);
	struct collect_sensor *s2 = collect_sensors_find(&hc_c.sensors, hc_sens[2].pk);
	cr_assert_eq(s2->drops[COLLECT_DROP_AUTH], 1);
	cr_assert_eq(s2->bound, false);
	cr_assert_eq(hc_sink.batches, 0);
	/* Every bit flipped, one at a time: never accepted. */
	hc_seal(0, "alpha", 5, recs, len);
	for (size_t bit = 0; bit < hc_out.len[0] * 8; bit++) {
		hc_out.d[0][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_neq(hc_send(0), COLLECT_ACCEPT, "bit %zu", bit);
		hc_out.d[0][bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Every cut. */
	for (size_t n = 0; n < hc_out.len[0]; n++)
		cr_assert_neq(collect_handle(hc_w, hc_out.d[0], n, 1), COLLECT_ACCEPT, "cut %zu", n);
	cr_assert_eq(hc_sink.batches, 0);
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
}

Test(collect_handle, oversized_by_bound)
{
	struct collect_worker *w = hc_w;
	static uint8_t big[COLLECT_DGRAM_MAX + 1];
	cr_assert_eq(collect_handle(w, big, sizeof big, 1), COLLECT_DROP_OVERSIZED);
	cr_assert_eq(collect_handle(w, big, 10, 1), COLLECT_DROP_SHORT);
	memset(big, 'x', 200);
	cr_assert_eq(collect_handle(w, big, 200, 1), COLLECT_DROP_MAGIC);
}

Test(collect_handle, large_record_in_fragments_any_order)
{
	static uint8_t recs[(1 << 20) + 100];
	size_t len = hc_udp(recs, 7, 200000);
	hc_seal(0, "alpha", 9, recs, len);
	cr_assert_gt(hc_out.n, 2);
	/* Backwards. */
	for (size_t i = hc_out.n; i-- > 0;)
		cr_assert_eq(hc_send(i), COLLECT_ACCEPT, "piece %zu", i);
	cr_assert_eq(hc_sink.batches, 1);
	cr_assert_eq(hc_sink.records, 1);
	cr_assert_eq(hc_sink.last_len, len);
	cr_assert_eq(memcmp(hc_sink.last, recs, len), 0);
	/* A piece again: a replay, nothing new. */
	cr_assert_eq(hc_send(1), COLLECT_DROP_REPLAY);
	cr_assert_eq(hc_sink.batches, 1);
	struct collect_sensor *s = collect_sensors_find(&hc_c.sensors, hc_sens[0].pk);
	cr_assert_eq(s->reasm.completed, 1);
	cr_assert_eq(s->datagrams, hc_out.n);
}

Test(collect_handle, gaps_and_epochs)
{
	uint8_t recs[200];
	size_t len = hc_udp(recs, 1, 10);
	hc_seq = 0;
	hc_seal(0, "alpha", 5, recs, len); /* seq 1 */
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	hc_seq = 10;
	hc_seal(0, "alpha", 5, recs, len); /* seq 11: 2..10 missing */
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	struct collect_sensor *s = collect_sensors_find(&hc_c.sensors, hc_sens[0].pk);
	cr_assert_eq(collect_sensor_gaps(s), 9);
	/* A restart: a new epoch, numbers from 1 again; the old gaps stay. */
	hc_seq = 0;
	hc_seal(0, "alpha", 6, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_ACCEPT);
	cr_assert_eq(collect_sensor_gaps(s), 9);
	cr_assert_eq(s->replay.epochs, 2);
	/* The old epoch is too old now. */
	hc_seq = 20;
	hc_seal(0, "alpha", 5, recs, len);
	cr_assert_eq(hc_send(0), COLLECT_DROP_TOO_OLD);
	struct collect_sensor_view v;
	collect_sensor_view(s, &v);
	cr_assert_eq(v.gaps, 9);
	cr_assert_eq(v.epochs, 2);
	cr_assert_eq(v.datagrams, 3);
	cr_assert_eq(v.drops[COLLECT_DROP_TOO_OLD], 1);
	cr_assert_str_eq(v.id, "alpha");
}
