/* test_collect_wire.c: the sensor datagram format (lib/collect/wire.h)
 * and the key files (lib/collect/keys.h).
 *
 * Records are sealed with one key pair and opened with the other side's
 * shared key; what comes out must be the records that went in, in order,
 * whatever their sizes (a record larger than a datagram travels in
 * fragments). Every byte of a sealed datagram is flipped in turn and must
 * be refused; the replay window is driven through its edges. */
#include <criterion/criterion.h>
#include <errno.h>
#include <libdeflate.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/keys.h"
#include "collect/wire.h"
#include "ncap/varint.h"
#include "netcap.pb-c.h"

static struct collect_keypair cw_sensor, cw_collector, cw_stranger;
static uint8_t cw_shared[COLLECT_SHARED_BYTES];

static void cw_setup(void)
{
	cr_assert(sodium_init() >= 0);
	crypto_box_keypair(cw_sensor.pk, cw_sensor.sk);
	crypto_box_keypair(cw_collector.pk, cw_collector.sk);
	crypto_box_keypair(cw_stranger.pk, cw_stranger.sk);
	cr_assert_eq(collect_shared_key(cw_shared, cw_sensor.pk, &cw_collector), 0);
}

TestSuite(collect_wire, .init = cw_setup, .timeout = 60);

/* Datagrams the emit function collected, in order. */
struct cw_sent {
	uint8_t *d[4096];
	size_t len[4096];
	uint32_t records[4096];
	size_t n;
};

static void cw_emit(void *arg, const uint8_t *d, size_t len, uint32_t records)
{
	struct cw_sent *s = arg;
	cr_assert_lt(s->n, 4096);
	s->d[s->n] = malloc(len);
	memcpy(s->d[s->n], d, len);
	s->len[s->n] = len;
	s->records[s->n++] = records;
}

static void cw_sent_free(struct cw_sent *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->d[i]);
	s->n = 0;
}

/* A UDP record with srcip text of text_len bytes (incompressible when
 * random: a record that needs fragments), framed, appended to buf. */
static size_t cw_add_udp(uint8_t *buf, size_t at, int port, size_t text_len, bool random)
{
	Types__UDP u = TYPES__UDP__INIT;
	u.timestamp = 1700000000000000000LL + port;
	u.srcport = port;
	u.dstport = 53;
	char *text = malloc(text_len + 1);
	for (size_t i = 0; i < text_len; i++)
		text[i] = random ? (char)('a' + randombytes_uniform(26)) : (char)('a' + i % 3);
	text[text_len] = '\0';
	u.srcip = text;
	size_t len = types__udp__get_packed_size(&u);
	at += ncap_varint_put(buf + at, len);
	types__udp__pack(&u, buf + at);
	free(text);
	return at + len;
}

/* Opens every datagram of s (reassembling fragments, which arrive in
 * order here) and appends the batches to out; returns its length. */
static size_t cw_open_all(const struct cw_sent *s, uint8_t *out, size_t cap, uint64_t *records)
{
	struct libdeflate_decompressor *dec = libdeflate_alloc_decompressor();
	uint8_t *plain = malloc(COLLECT_DGRAM_MAX);
	uint8_t *batch = malloc(COLLECT_BATCH_MAX);
	uint8_t *pieces = malloc(COLLECT_BATCH_MAX * 2);
	size_t pieces_len = 0, total = 0;
	*records = 0;
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *pk;
		cr_assert_eq(collect_peek(s->d[i], s->len[i], COLLECT_DGRAM_MAX, &pk), COLLECT_ACCEPT);
		cr_assert_eq(memcmp(pk, cw_sensor.pk, COLLECT_KEY_BYTES), 0);
		struct collect_opened o;
		cr_assert_eq(collect_open(s->d[i], s->len[i], cw_shared, plain, COLLECT_DGRAM_MAX, &o),
			     COLLECT_ACCEPT, "datagram %zu", i);
		cr_assert_eq(o.type, TYPES__TYPE__NC_UDP);
		cr_assert_eq(o.epoch, 77);
		cr_assert_eq(o.id_len, 2);
		cr_assert_eq(memcmp(o.id, "s1", 2), 0);
		const uint8_t *payload = o.payload;
		size_t plen = o.payload_len;
		if (o.flags & COLLECT_FLAG_FRAGMENT) {
			memcpy(pieces + pieces_len, o.payload, o.payload_len);
			pieces_len += o.payload_len;
			if (o.frag_index + 1 < o.frag_count)
				continue;
			payload = pieces;
			plen = pieces_len;
		}
		uint32_t n;
		cr_assert_eq(collect_unpack_batch(dec, o.type, o.flags, payload, plen, o.inflated_len,
						  batch, COLLECT_BATCH_MAX, &n),
			     COLLECT_ACCEPT, "datagram %zu", i);
		pieces_len = 0;
		cr_assert_leq(total + o.inflated_len, cap);
		memcpy(out + total, batch, o.inflated_len);
		total += o.inflated_len;
		*records += n;
	}
	libdeflate_free_decompressor(dec);
	free(plain);
	free(batch);
	free(pieces);
	return total;
}

Test(collect_wire, records_survive_sealing_in_order)
{
	size_t cap = 4 << 20;
	uint8_t *in = malloc(cap), *out = malloc(cap);
	size_t len = 0;
	int n = 0;
	/* Small compressible records, mid-sized random ones, and three larger
	 * than a datagram (one of 200 KB: a hundred and more fragments). */
	for (; n < 3000; n++)
		len = cw_add_udp(in, len, n, (size_t)(n % 40), false);
	for (; n < 3100; n++)
		len = cw_add_udp(in, len, n, 100 + (size_t)(n % 900), true);
	len = cw_add_udp(in, len, n++, 3000, true);
	len = cw_add_udp(in, len, n++, 200000, true);
	len = cw_add_udp(in, len, n++, 100000, false);
	len = cw_add_udp(in, len, n++, 5, false);

	char err[256];
	struct collect_sealer *s = collect_sealer_new(&cw_sensor, cw_collector.pk, "s1", "netcap",
						      77, COLLECT_DGRAM_DEFAULT, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	static struct cw_sent sent;
	_Atomic uint64_t seq = 0;
	struct collect_seal_stats st = {0};
	collect_seal_records(s, TYPES__TYPE__NC_UDP, in, len, &seq, cw_emit, &sent, &st);
	cr_expect_eq(st.records, (uint64_t)n);
	cr_expect_eq(st.malformed, 0);
	cr_expect_eq(st.records_too_large, 0);
	cr_expect_eq(st.datagrams, sent.n);
	cr_expect_eq(atomic_load(&seq), sent.n, "one sequence number per datagram");
	uint64_t records_emitted = 0;
	for (size_t i = 0; i < sent.n; i++) {
		cr_expect_leq(sent.len[i], COLLECT_DGRAM_DEFAULT, "datagram %zu: %zu bytes", i,
			      sent.len[i]);
		records_emitted += sent.records[i];
	}
	cr_expect_eq(records_emitted, (uint64_t)n);
	/* Batching works: 3000 records of under 60 bytes fill datagrams. */
	cr_expect_lt(sent.n, 600, "%zu datagrams", sent.n);

	uint64_t records;
	size_t got = cw_open_all(&sent, out, cap, &records);
	cr_expect_eq(records, (uint64_t)n);
	cr_assert_eq(got, len);
	cr_expect_eq(memcmp(in, out, len), 0);
	cw_sent_free(&sent);
	collect_sealer_free(s);
	free(in);
	free(out);
}

/* A record over the room that deflates to just under it: libdeflate wants
 * slack in its output buffer, so the batch path refuses it and the
 * fragment path gets one piece, which must go as a whole datagram. Every
 * size around the room is tried. */
Test(collect_wire, records_that_deflate_to_the_room_are_whole_datagrams)
{
	char err[256];
	struct collect_sealer *s = collect_sealer_new(&cw_sensor, cw_collector.pk, "s1", "netcap",
						      77, COLLECT_DGRAM_DEFAULT, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	uint8_t *in = malloc(1 << 16), *out = malloc(1 << 20);
	static struct cw_sent sent;
	/* Random letters deflate to about 0.6 of their length: 1,300 to
	 * 2,500 of them cross the room (1,332 bytes with this id). */
	for (size_t n = 1300; n < 2500; n += 2) {
		size_t len = cw_add_udp(in, 0, 1, n, true);
		_Atomic uint64_t seq = 0;
		struct collect_seal_stats st = {0};
		collect_seal_records(s, TYPES__TYPE__NC_UDP, in, len, &seq, cw_emit, &sent, &st);
		cr_assert_eq(st.records, 1);
		uint64_t records;
		size_t got = cw_open_all(&sent, out, 1 << 20, &records);
		cr_assert_eq(records, 1, "record of %zu bytes", len);
		cr_assert_eq(got, len);
		cr_assert_eq(memcmp(in, out, len), 0);
		cw_sent_free(&sent);
	}
	free(in);
	free(out);
	collect_sealer_free(s);
}

Test(collect_wire, sealer_refuses_bad_settings)
{
	char err[256];
	const char *bad_ids[] = {"", ".hidden", "../x", "a/b", "a b",
		"0123456789012345678901234567890123456789012345678901234567890123456789"};
	for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++)
		cr_expect_null(collect_sealer_new(&cw_sensor, cw_collector.pk, bad_ids[i], "", 1,
						  COLLECT_DGRAM_DEFAULT, err, sizeof err),
			       "id [%s] accepted", bad_ids[i]);
	cr_expect_null(collect_sealer_new(&cw_sensor, cw_collector.pk, "s", "tab\there", 1,
					  COLLECT_DGRAM_DEFAULT, err, sizeof err));
	cr_expect_null(collect_sealer_new(&cw_sensor, cw_collector.pk, "s", "", 1, 100, err,
					  sizeof err));
	cr_expect(strstr(err, "between"), "%s", err);
}

/* One sealed datagram of a few records. */
static void cw_one(struct cw_sent *sent, uint64_t epoch, _Atomic uint64_t *seq)
{
	uint8_t in[4096];
	size_t len = 0;
	for (int i = 0; i < 5; i++)
		len = cw_add_udp(in, len, i, 10, false);
	char err[256];
	struct collect_sealer *s = collect_sealer_new(&cw_sensor, cw_collector.pk, "s1", "netcap",
						      epoch, COLLECT_DGRAM_DEFAULT, err, sizeof err);
	cr_assert_not_null(s, "%s", err);
	struct collect_seal_stats st = {0};
	collect_seal_records(s, TYPES__TYPE__NC_UDP, in, len, seq, cw_emit, sent, &st);
	collect_sealer_free(s);
}

Test(collect_wire, every_flipped_bit_region_is_refused)
{
	static struct cw_sent sent;
	_Atomic uint64_t seq = 0;
	cw_one(&sent, 77, &seq);
	cr_assert_eq(sent.n, 1);
	uint8_t *d = sent.d[0];
	size_t len = sent.len[0];
	uint8_t plain[COLLECT_DGRAM_DEFAULT];
	struct collect_opened o;
	cr_assert_eq(collect_open(d, len, cw_shared, plain, sizeof plain, &o), COLLECT_ACCEPT);
	for (size_t i = 0; i < len; i++) {
		d[i] ^= 0x01;
		const uint8_t *pk;
		enum collect_verdict v = collect_peek(d, len, COLLECT_DGRAM_DEFAULT, &pk);
		if (i < 4) {
			cr_expect_eq(v, COLLECT_DROP_MAGIC);
		} else if (i < 8) {
			cr_expect_eq(v, COLLECT_DROP_VERSION);
		} else if (i < 40) {
			/* The key only chooses the shared key to try: a changed
			 * one names another sensor, unknown to the collector (or,
			 * if it were known, its key would not open the box). */
			cr_expect_eq(v, COLLECT_ACCEPT);
			cr_expect_neq(memcmp(pk, cw_sensor.pk, COLLECT_KEY_BYTES), 0);
		} else {
			cr_expect_eq(v, COLLECT_ACCEPT);
			v = collect_open(d, len, cw_shared, plain, sizeof plain, &o);
			cr_expect_eq(v, COLLECT_DROP_AUTH, "byte %zu: %s", i, collect_verdict_name(v));
		}
		d[i] ^= 0x01;
	}
	/* Truncations and an oversized datagram. */
	for (size_t cut = 0; cut < len; cut += 7) {
		const uint8_t *pk;
		enum collect_verdict v = collect_peek(d, cut, COLLECT_DGRAM_DEFAULT, &pk);
		if (v == COLLECT_ACCEPT)
			v = collect_open(d, cut, cw_shared, plain, sizeof plain, &o);
		cr_expect(v == COLLECT_DROP_SHORT || v == COLLECT_DROP_AUTH, "cut at %zu: %s", cut,
			  collect_verdict_name(v));
	}
	const uint8_t *pk;
	cr_expect_eq(collect_peek(d, len, len - 1, &pk), COLLECT_DROP_OVERSIZED);
	/* The same bytes with another collector's key: no. */
	uint8_t other[COLLECT_SHARED_BYTES];
	cr_assert_eq(collect_shared_key(other, cw_sensor.pk, &cw_stranger), 0);
	cr_expect_eq(collect_open(d, len, other, plain, sizeof plain, &o), COLLECT_DROP_AUTH);
	cw_sent_free(&sent);
}

Test(collect_wire, unpack_refuses_broken_batches)
{
	struct libdeflate_decompressor *dec = libdeflate_alloc_decompressor();
	uint8_t batch[4096], out[8192];
	size_t len = 0;
	for (int i = 0; i < 3; i++)
		len = cw_add_udp(batch, len, i, 20, false);
	uint32_t n;
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, 0, batch, len, (uint32_t)len, out,
					  sizeof out, &n),
		     COLLECT_ACCEPT);
	cr_expect_eq(n, 3);
	/* A record cut short, a length past the end, a wrong stated length. */
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, 0, batch, len - 1,
					  (uint32_t)len - 1, out, sizeof out, &n),
		     COLLECT_DROP_BATCH);
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, 0, batch, len, (uint32_t)len + 1,
					  out, sizeof out, &n),
		     COLLECT_DROP_BATCH);
	/* Framing fine, the message malformed for its type: a field of wire
	 * type 7 (invalid). */
	uint8_t bad[] = {2, 0x0f, 0x00};
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, 0, bad, sizeof bad, sizeof bad,
					  out, sizeof out, &n),
		     COLLECT_DROP_BATCH);
	/* Deflate: garbage, trailing bytes, a stated length that lies. */
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
	uint8_t z[8192];
	size_t zl = libdeflate_deflate_compress(c, batch, len, z, sizeof z);
	cr_assert_gt(zl, 0);
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, COLLECT_FLAG_DEFLATE, z, zl,
					  (uint32_t)len, out, sizeof out, &n),
		     COLLECT_ACCEPT);
	z[zl] = 0;
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, COLLECT_FLAG_DEFLATE, z, zl + 1,
					  (uint32_t)len, out, sizeof out, &n),
		     COLLECT_DROP_BATCH);
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, COLLECT_FLAG_DEFLATE, z, zl,
					  (uint32_t)len - 1, out, sizeof out, &n),
		     COLLECT_DROP_BATCH);
	memset(z, 0xff, 64);
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_UDP, COLLECT_FLAG_DEFLATE, z, 64,
					  (uint32_t)len, out, sizeof out, &n),
		     COLLECT_DROP_BATCH);
	cr_expect_eq(collect_unpack_batch(dec, 9999, 0, batch, len, (uint32_t)len, out, sizeof out,
					  &n),
		     COLLECT_DROP_TYPE);
	/* The Header is the collector's to write, never a sensor's. */
	cr_expect_eq(collect_unpack_batch(dec, TYPES__TYPE__NC_Header, 0, batch, len, (uint32_t)len,
					  out, sizeof out, &n),
		     COLLECT_DROP_TYPE);
	libdeflate_free_compressor(c);
	libdeflate_free_decompressor(dec);
}

Test(collect_wire, replay_window)
{
	struct collect_replay r = {0};
	cr_expect_eq(collect_replay_check(&r, 5, 1), COLLECT_ACCEPT);
	cr_expect_eq(collect_replay_check(&r, 5, 1), COLLECT_DROP_REPLAY);
	cr_expect_eq(collect_replay_check(&r, 5, 3), COLLECT_ACCEPT);
	cr_expect_eq(collect_replay_missing(&r), 1); /* 2, late or lost */
	cr_expect_eq(collect_replay_check(&r, 5, 2), COLLECT_ACCEPT);
	cr_expect_eq(collect_replay_check(&r, 5, 2), COLLECT_DROP_REPLAY);
	cr_expect_eq(collect_replay_missing(&r), 0);
	/* 10 is skipped; the window moves past it: lost. */
	for (uint64_t s = 4; s <= COLLECT_WINDOW + 20; s++)
		if (s != 10)
			cr_assert_eq(collect_replay_check(&r, 5, s), COLLECT_ACCEPT, "%lu", (unsigned long)s);
	cr_expect_eq(r.lost, 1);
	cr_expect_eq(collect_replay_check(&r, 5, 10), COLLECT_DROP_TOO_OLD);
	cr_expect_eq(collect_replay_check(&r, 5, 20), COLLECT_DROP_TOO_OLD);
	cr_expect_eq(collect_replay_check(&r, 5, 21), COLLECT_DROP_REPLAY); /* still inside */
	/* A jump far ahead: what lies between is lost. */
	uint64_t top = r.top;
	cr_expect_eq(collect_replay_check(&r, 5, top + 3 * COLLECT_WINDOW), COLLECT_ACCEPT);
	/* 2 windows' worth left unseen; the new window's others are missing. */
	cr_expect_eq(r.lost, 1 + 2 * COLLECT_WINDOW);
	/* An older epoch is too old; a newer one starts over, counting what
	 * the old one still missed. */
	cr_expect_eq(collect_replay_check(&r, 4, top + 3 * COLLECT_WINDOW + 1), COLLECT_DROP_TOO_OLD);
	uint64_t lost = r.lost, missing = collect_replay_missing(&r);
	cr_expect_eq(missing, COLLECT_WINDOW - 1);
	cr_expect_eq(collect_replay_check(&r, 6, 1), COLLECT_ACCEPT);
	cr_expect_eq(r.lost, lost + missing);
	cr_expect_eq(r.epochs, 2);
	cr_expect_eq(collect_replay_check(&r, 6, 0), COLLECT_DROP_HEADER);
}

/* ---- key files ---------------------------------------------------------------- */

static char ck_dir[256];

static void ck_setup(void)
{
	snprintf(ck_dir, sizeof ck_dir, "%s/collect-keys-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(ck_dir));
}

static void ck_teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", ck_dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(collect_keys, .init = ck_setup, .fini = ck_teardown);

static const char *ck_path(const char *name)
{
	static char p[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(p[k], sizeof p[k], "%s/%s", ck_dir, name);
	return p[k];
}

static void ck_write(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(ck_path(name), "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(ck_path(name), mode);
}

Test(collect_keys, generated_pair_reads_back)
{
	char err[512];
	cr_assert_eq(collect_keypair_generate(ck_path("s1"), err, sizeof err), 0, "%s", err);
	struct stat st;
	cr_assert_eq(stat(ck_path("s1.key"), &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	struct collect_keypair kp;
	uint8_t pk[COLLECT_KEY_BYTES];
	cr_assert_eq(collect_read_secret(ck_path("s1.key"), &kp, err, sizeof err), 0, "%s", err);
	cr_assert_eq(collect_read_public(ck_path("s1.pub"), pk, err, sizeof err), 0, "%s", err);
	cr_expect_eq(memcmp(pk, kp.pk, COLLECT_KEY_BYTES), 0, "the .pub is not the .key's");
	/* Never over existing keys. */
	cr_expect_eq(collect_keypair_generate(ck_path("s1"), err, sizeof err), -1);
	cr_expect(strstr(err, "exists"), "%s", err);
	/* A secret others may read is refused. */
	chmod(ck_path("s1.key"), 0640);
	cr_expect_eq(collect_read_secret(ck_path("s1.key"), &kp, err, sizeof err), -1);
	cr_expect(strstr(err, "chmod 600"), "%s", err);
}

Test(collect_keys, malformed_key_files)
{
	char err[512];
	uint8_t pk[COLLECT_KEY_BYTES];
	const char *bad[] = {"", "abc\n", "zz23456789012345678901234567890123456789012345678901234567890123\n",
		"0123456789012345678901234567890123456789012345678901234567890123\nextra\n",
		"0123456789012345678901234567890123456789012345678901234567890123 \n"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_write("bad.pub", bad[i], 0644);
		cr_expect_eq(collect_read_public(ck_path("bad.pub"), pk, err, sizeof err), -1,
			     "[%s] accepted", bad[i]);
		cr_expect(strstr(err, "bad.pub"), "%s", err);
	}
	ck_write("good.pub", "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef\n",
		 0644);
	cr_expect_eq(collect_read_public(ck_path("good.pub"), pk, err, sizeof err), 0, "%s", err);
	cr_expect_eq(collect_read_public(ck_path("missing.pub"), pk, err, sizeof err), -1);
}

Test(collect_keys, allow_file)
{
	char err[512];
	struct collect_allow a;
	ck_write("allow", "# sensors\n\n"
			  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  berlin-1\n"
			  "  1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		 0644);
	cr_assert_eq(collect_read_allow(ck_path("allow"), &a, err, sizeof err), 0, "%s", err);
	cr_expect_eq(a.n, 2);
	cr_expect_str_eq(a.names[0], "berlin-1");
	cr_expect_str_eq(a.names[1], "");
	cr_expect_eq(a.keys[1][0], 0x11);
	collect_allow_free(&a);

	ck_write("allow2", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
			   "nonsense\n",
		 0644);
	cr_expect_eq(collect_read_allow(ck_path("allow2"), &a, err, sizeof err), -1);
	cr_expect(strstr(err, "allow2:2:"), "%s", err);
	ck_write("allow3", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
			   "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef x\n",
		 0644);
	cr_expect_eq(collect_read_allow(ck_path("allow3"), &a, err, sizeof err), -1);
	cr_expect(strstr(err, "allow3:2: this key is listed twice"), "%s", err);
	ck_write("allow4", "# nobody\n", 0644);
	cr_expect_eq(collect_read_allow(ck_path("allow4"), &a, err, sizeof err), -1);
	cr_expect(strstr(err, "no key"), "%s", err);
}
