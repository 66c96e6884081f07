/* collect-forge: sends crafted datagrams to a netcap-collect, valid and
 * hostile, for tests/e2e/test_collect_adversarial.sh.
 *
 *   collect-forge --to ADDR:PORT --collector-pub FILE --sensor-key FILE
 *                 [--id ID] [--device D] [--records FILE] [--dgram N]
 *                 [--epoch N] CLASS
 *
 * Every class prints what the collector should count, one line each:
 * "expect CAUSE N" (CAUSE a collect_verdict_name, "accepted" for the
 * datagrams it should take), then "sent N". The classes:
 *   valid         every record of --records sealed with collect_seal_records
 *   fragments     the records of --records as one batch cut into pieces,
 *                 sent last piece first (accepted, reassembled)
 *   replay        one valid datagram, then it again 5 times (replay)
 *   old           seq 5000 (accepted), then seq 1 and an older epoch (too_old)
 *   forged-key    valid boxes from --sensor-key (a key the collector does
 *                 not allow): unknown_key
 *   wrong-box     --sensor-key's public key in the header, sealed with a
 *                 random key: auth_failed
 *   flip          a valid datagram with one bit flipped in each region:
 *                 magic, version, zero bytes, key, nonce, tag, ciphertext
 *   truncate      a valid datagram cut to every length class
 *   oversized     a valid datagram padded past --dgram, and a 65507-byte one
 *   garbage       random bytes of random lengths (fixed seed)
 *   version       a valid datagram of version 2
 *   bad-id        ids "../x", "" and 65 characters, sealed properly
 *   bad-header    a nonzero reserved byte; fragment fields on a whole batch
 *   unknown-type  record type 9999
 *   bad-batch     a DEFLATE flag on bytes that do not inflate; records cut
 *                 short
 *   frag-disagree two pieces of one batch with different lengths
 *   id-claim      a valid datagram with --id (for a key that has another
 *                 id, or an id another key has): bad_sensor_id
 * Sequence numbers start at 1 in a new epoch (--epoch, default now in ns)
 * for each run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collect/keys.h"
#include "collect/netaddr.h"
#include "collect/wire.h"
#include "ncap/reader.h"
#include "ncap/schema.h"
#include "ncap/varint.h"

static int sock = -1;
static struct sockaddr_storage to;
static socklen_t to_len;
static uint64_t sent;
static uint64_t expect[COLLECT_VERDICTS];

static struct collect_keypair sensor;
static uint8_t collector_pk[COLLECT_KEY_BYTES];
static uint8_t shared[COLLECT_SHARED_BYTES];
static const char *id = "alpha", *device = "forge";
static uint64_t epoch, seq;
static size_t dgram_max = COLLECT_DGRAM_DEFAULT;
static int rec_type;
static uint8_t *records; /* framed records of --records */
static size_t records_len;

static _Noreturn void die(const char *fmt, const char *a)
{
	fprintf(stderr, "collect-forge: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(1);
}

static void send_raw(const uint8_t *d, size_t len, enum collect_verdict v)
{
	if (sendto(sock, d, len, 0, (const struct sockaddr *)&to, to_len) < 0 && errno != EMSGSIZE)
		die("sendto: %s", strerror(errno));
	sent++;
	expect[v]++;
	if (sent % 32 == 0) /* leave the collector's socket buffer room */
		usleep(2000);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

struct hdr {
	uint64_t epoch, seq;
	int type;
	uint8_t flags;
	const char *id;
	size_t id_len; /* may lie: bytes of id written are min(id_len, strlen) */
	uint16_t frag_index, frag_count;
	uint32_t inflated_len;
	uint8_t reserved21;
};

/* A datagram sealed with key (shared) by hand, so that any field may be
 * wrong; returns its length in out. */
static size_t seal_raw(uint8_t *out, const struct hdr *h, const uint8_t *payload, size_t plen,
		       const uint8_t *key, const uint8_t *pk)
{
	static uint8_t plain[COLLECT_DGRAM_MAX + 1000];
	uint8_t *p = plain;
	memset(p, 0, COLLECT_PLAIN_HEADER);
	put64(p, h->epoch);
	put64(p + 8, h->seq);
	put16(p + 16, (uint16_t)h->type);
	p[18] = h->flags;
	p[19] = (uint8_t)h->id_len;
	p[20] = (uint8_t)strlen(device);
	p[21] = h->reserved21;
	put16(p + 22, h->frag_index);
	put16(p + 24, h->frag_count);
	put32(p + 28, h->inflated_len);
	size_t n = COLLECT_PLAIN_HEADER;
	memcpy(p + n, h->id, strlen(h->id));
	n += strlen(h->id);
	memcpy(p + n, device, strlen(device));
	n += strlen(device);
	memcpy(p + n, payload, plen);
	n += plen;
	memcpy(out, COLLECT_MAGIC, 4);
	out[4] = COLLECT_VERSION;
	out[5] = out[6] = out[7] = 0;
	memcpy(out + 8, pk, COLLECT_KEY_BYTES);
	randombytes_buf(out + 40, 24);
	crypto_box_easy_afternm(out + COLLECT_OUTER_BYTES, plain, n, out + 40, key);
	return COLLECT_OVERHEAD + n;
}

/* A whole stored batch of the first records of --records that fit in
 * room bytes (at least one). */
static size_t first_records(size_t room)
{
	size_t pos = 0;
	while (pos < records_len) {
		uint64_t body;
		int v = ncap_varint_get(records + pos, records_len - pos, &body);
		if (v <= 0)
			break;
		size_t next = pos + (size_t)v + (size_t)body;
		if (next > room && pos)
			break;
		pos = next;
	}
	if (!pos || pos > room)
		die("%s", "--records: no record small enough for one datagram");
	return pos;
}

static struct hdr valid_hdr(size_t len)
{
	return (struct hdr){.epoch = epoch, .seq = ++seq, .type = rec_type, .id = id,
			    .id_len = strlen(id), .frag_count = 1, .inflated_len = (uint32_t)len};
}

/* A valid datagram of the first records into out. */
static size_t valid_dgram(uint8_t *out)
{
	size_t len = first_records(300);
	struct hdr h = valid_hdr(len);
	return seal_raw(out, &h, records, len, shared, sensor.pk);
}

static void emit(void *arg, const uint8_t *d, size_t len, uint32_t n)
{
	(void)arg, (void)n;
	send_raw(d, len, COLLECT_ACCEPT);
}

static void need_records(void)
{
	if (!records)
		die("%s", "this class needs --records FILE");
}

static void load_records(const char *path)
{
	char err[1024];
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	if (!r)
		die("%s", err);
	rec_type = ncap_reader_type(r)->id;
	size_t cap = 1 << 16;
	records = malloc(cap);
	const uint8_t *rec;
	size_t len;
	int rc;
	while ((rc = ncap_reader_next(r, &rec, &len)) > 0) {
		while (records_len + len + 10 > cap)
			records = realloc(records, cap *= 2);
		records_len += (size_t)ncap_varint_put(records + records_len, len);
		memcpy(records + records_len, rec, len);
		records_len += len;
	}
	if (rc < 0)
		die("%s", ncap_reader_error(r));
	ncap_reader_close(r);
	if (!records_len)
		die("%s: no records", path);
}

static uint8_t d[COLLECT_DGRAM_MAX + 2000];

int main(int argc, char **argv)
{
	const char *to_text = NULL, *cpub = NULL, *skey = NULL, *recs = NULL, *cls = NULL;
	epoch = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--to") && v) to_text = v, i++;
		else if (!strcmp(a, "--collector-pub") && v) cpub = v, i++;
		else if (!strcmp(a, "--sensor-key") && v) skey = v, i++;
		else if (!strcmp(a, "--records") && v) recs = v, i++;
		else if (!strcmp(a, "--id") && v) id = v, i++;
		else if (!strcmp(a, "--device") && v) device = v, i++;
		else if (!strcmp(a, "--dgram") && v) dgram_max = strtoul(v, NULL, 10), i++;
		else if (!strcmp(a, "--epoch") && v) epoch = strtoull(v, NULL, 10), i++;
		else if (a[0] != '-' && !cls) cls = a;
		else die("bad argument %s (see the comment at the top of collect-forge.c)", a);
	}
	if (!to_text || !cpub || !skey || !cls)
		die("%s", "--to, --collector-pub, --sensor-key and a CLASS are needed");
	if (sodium_init() < 0)
		die("%s", "libsodium");
	char err[4400];
	if (collect_parse_listen(to_text, &to, &to_len, err, sizeof err) ||
	    collect_read_public(cpub, collector_pk, err, sizeof err) ||
	    collect_read_secret(skey, &sensor, err, sizeof err))
		die("%s", err);
	if (crypto_box_beforenm(shared, collector_pk, sensor.sk))
		die("%s", "bad collector key");
	if (!epoch) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		epoch = (uint64_t)t.tv_sec * 1000000000 + (uint64_t)t.tv_nsec;
	}
	if (recs)
		load_records(recs);
	sock = socket(to.ss_family, SOCK_DGRAM, 0);
	if (sock < 0)
		die("socket: %s", strerror(errno));
	int big = 4 << 20;
	setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);

	if (!strcmp(cls, "valid")) {
		need_records();
		char e[512];
		struct collect_sealer *s = collect_sealer_new(&sensor, collector_pk, id, device, epoch,
							      dgram_max, e, sizeof e);
		if (!s)
			die("%s", e);
		_Atomic uint64_t sq = 0;
		struct collect_seal_stats st = {0};
		collect_seal_records(s, rec_type, records, records_len, &sq, emit, NULL, &st);
		collect_sealer_free(s);
		printf("records %llu\n", (unsigned long long)st.records);
	} else if (!strcmp(cls, "fragments")) {
		need_records();
		size_t room = dgram_max - COLLECT_OVERHEAD - COLLECT_PLAIN_HEADER - strlen(id) -
			      strlen(device);
		size_t len = records_len > COLLECT_BATCH_MAX ? first_records(COLLECT_BATCH_MAX)
							     : records_len;
		/* At least two pieces: pieces no longer than room, and at most half. */
		size_t piece = len / 2 + 1 < room ? len / 2 + 1 : room;
		uint16_t count = (uint16_t)((len + piece - 1) / piece);
		if (count < 2)
			die("%s", "--records too small to fragment");
		uint64_t first = seq + 1;
		seq += count;
		for (int i = count - 1; i >= 0; i--) {
			size_t off = (size_t)i * piece;
			size_t n = len - off < piece ? len - off : piece;
			struct hdr h = {.epoch = epoch, .seq = first + (uint64_t)i, .type = rec_type,
					.flags = COLLECT_FLAG_FRAGMENT, .id = id, .id_len = strlen(id),
					.frag_index = (uint16_t)i, .frag_count = count,
					.inflated_len = (uint32_t)len};
			send_raw(d, seal_raw(d, &h, records + off, n, shared, sensor.pk), COLLECT_ACCEPT);
		}
		uint64_t body = 0, nrec = 0;
		for (size_t pos = 0; pos < len; nrec++) {
			int v = ncap_varint_get(records + pos, len - pos, &body);
			pos += (size_t)v + body;
		}
		printf("records %llu\n", (unsigned long long)nrec);
	} else if (!strcmp(cls, "replay")) {
		need_records();
		size_t n = valid_dgram(d);
		send_raw(d, n, COLLECT_ACCEPT);
		for (int i = 0; i < 5; i++)
			send_raw(d, n, COLLECT_DROP_REPLAY);
	} else if (!strcmp(cls, "old")) {
		need_records();
		seq = 4999;
		send_raw(d, valid_dgram(d), COLLECT_ACCEPT);
		seq = 0;
		send_raw(d, valid_dgram(d), COLLECT_DROP_TOO_OLD);
		epoch -= 1000;
		seq = 9000;
		send_raw(d, valid_dgram(d), COLLECT_DROP_TOO_OLD);
	} else if (!strcmp(cls, "forged-key")) {
		need_records();
		for (int i = 0; i < 3; i++)
			send_raw(d, valid_dgram(d), COLLECT_DROP_UNKNOWN_KEY);
	} else if (!strcmp(cls, "wrong-box")) {
		need_records();
		for (int i = 0; i < 3; i++) {
			uint8_t key[COLLECT_SHARED_BYTES];
			randombytes_buf(key, sizeof key);
			size_t len = first_records(300);
			struct hdr h = valid_hdr(len);
			send_raw(d, seal_raw(d, &h, records, len, key, sensor.pk), COLLECT_DROP_AUTH);
		}
	} else if (!strcmp(cls, "flip")) {
		need_records();
		struct { size_t from, to; enum collect_verdict v; } regions[] = {
			{0, 4, COLLECT_DROP_MAGIC},       {4, 5, COLLECT_DROP_VERSION},
			{5, 8, COLLECT_DROP_VERSION},     {8, 40, COLLECT_DROP_UNKNOWN_KEY},
			{40, 64, COLLECT_DROP_AUTH},      {64, 80, COLLECT_DROP_AUTH},
			{80, 0, COLLECT_DROP_AUTH},
		};
		uint32_t rnd = 12345;
		for (size_t r = 0; r < sizeof regions / sizeof *regions; r++)
			for (int k = 0; k < 8; k++) {
				size_t n = valid_dgram(d);
				size_t end = regions[r].to ? regions[r].to : n;
				rnd = rnd * 1103515245 + 12345;
				size_t at = regions[r].from + (rnd >> 8) % (end - regions[r].from);
				d[at] ^= (uint8_t)(1u << ((rnd >> 4) % 8));
				send_raw(d, n, regions[r].v);
			}
	} else if (!strcmp(cls, "truncate")) {
		need_records();
		size_t n = valid_dgram(d);
		size_t cuts[] = {0, 1, 3, 4, 5, 8, 39, 40, 63, 64, 79, 80, 81, 111, 112, 113, 120,
				 n / 2, n - 16, n - 1};
		for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
			/* An empty datagram: the kernel delivers it, length 0. */
			enum collect_verdict v = cuts[i] < COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1
							 ? COLLECT_DROP_SHORT : COLLECT_DROP_AUTH;
			send_raw(d, cuts[i], v);
		}
	} else if (!strcmp(cls, "oversized")) {
		need_records();
		size_t n = valid_dgram(d);
		memset(d + n, 0, dgram_max + 1 - n);
		send_raw(d, dgram_max + 1, COLLECT_DROP_OVERSIZED);
		memset(d + n, 0, COLLECT_DGRAM_MAX - n);
		send_raw(d, COLLECT_DGRAM_MAX, COLLECT_DROP_OVERSIZED);
	} else if (!strcmp(cls, "garbage")) {
		uint32_t rnd = 777;
		for (int i = 0; i < 200; i++) {
			rnd = rnd * 1103515245 + 12345;
			size_t n = (rnd >> 8) % 1400;
			for (size_t k = 0; k < n; k++) {
				rnd = rnd * 1103515245 + 12345;
				d[k] = (uint8_t)(rnd >> 16);
			}
			if (n)
				d[0] = 'X'; /* never the magic */
			send_raw(d, n, n < COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1 ? COLLECT_DROP_SHORT
										  : COLLECT_DROP_MAGIC);
		}
	} else if (!strcmp(cls, "version")) {
		need_records();
		size_t n = valid_dgram(d);
		d[4] = 2;
		send_raw(d, n, COLLECT_DROP_VERSION);
	} else if (!strcmp(cls, "bad-id")) {
		need_records();
		size_t len = first_records(300);
		const char *ids[] = {"../x", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				     ".hidden", "a/b"};
		enum collect_verdict v[] = {COLLECT_DROP_SENSOR_ID, COLLECT_DROP_HEADER,
					    COLLECT_DROP_HEADER, COLLECT_DROP_SENSOR_ID,
					    COLLECT_DROP_SENSOR_ID};
		for (int i = 0; i < 5; i++) {
			struct hdr h = valid_hdr(len);
			h.id = ids[i];
			h.id_len = strlen(ids[i]);
			send_raw(d, seal_raw(d, &h, records, len, shared, sensor.pk), v[i]);
		}
	} else if (!strcmp(cls, "bad-header")) {
		need_records();
		size_t len = first_records(300);
		struct hdr h = valid_hdr(len);
		h.reserved21 = 1;
		send_raw(d, seal_raw(d, &h, records, len, shared, sensor.pk), COLLECT_DROP_HEADER);
		h = valid_hdr(len);
		h.frag_count = 3;
		send_raw(d, seal_raw(d, &h, records, len, shared, sensor.pk), COLLECT_DROP_HEADER);
		h = valid_hdr(len);
		h.id_len = 60; /* longer than the id and device written: runs past */
		h.id = "x";
		send_raw(d, seal_raw(d, &h, records, 0, shared, sensor.pk), COLLECT_DROP_HEADER);
	} else if (!strcmp(cls, "unknown-type")) {
		need_records();
		size_t len = first_records(300);
		struct hdr h = valid_hdr(len);
		h.type = 9999;
		send_raw(d, seal_raw(d, &h, records, len, shared, sensor.pk), COLLECT_DROP_TYPE);
	} else if (!strcmp(cls, "bad-batch")) {
		need_records();
		size_t len = first_records(300);
		struct hdr h = valid_hdr(len * 3);
		h.flags = COLLECT_FLAG_DEFLATE;
		send_raw(d, seal_raw(d, &h, records, len, shared, sensor.pk), COLLECT_DROP_BATCH);
		/* Stored, the last record cut short (its length says more). */
		h = valid_hdr(len);
		uint8_t cut[400];
		memcpy(cut, records, len);
		cut[len - 1] = 0x82; /* ends inside a varint or field: malformed */
		h.inflated_len = (uint32_t)len + 1;
		cut[len] = 0x05;
		send_raw(d, seal_raw(d, &h, cut, len + 1, shared, sensor.pk), COLLECT_DROP_BATCH);
	} else if (!strcmp(cls, "frag-disagree")) {
		need_records();
		size_t len = first_records(300);
		struct hdr h = valid_hdr(len);
		h.flags = COLLECT_FLAG_FRAGMENT;
		h.frag_count = 2;
		h.frag_index = 0;
		send_raw(d, seal_raw(d, &h, records, len / 2, shared, sensor.pk), COLLECT_ACCEPT);
		h.seq = ++seq;
		h.frag_index = 1;
		h.inflated_len = (uint32_t)len + 7; /* disagrees */
		send_raw(d, seal_raw(d, &h, records + len / 2, len - len / 2, shared, sensor.pk),
			 COLLECT_DROP_FRAGMENT);
	} else if (!strcmp(cls, "id-claim")) {
		need_records();
		send_raw(d, valid_dgram(d), COLLECT_DROP_SENSOR_ID);
	} else {
		die("unknown class %s", cls);
	}
	for (int v = 0; v < COLLECT_VERDICTS; v++)
		if (expect[v])
			printf("expect %s %llu\n", collect_verdict_name((enum collect_verdict)v),
			       (unsigned long long)expect[v]);
	printf("sent %llu\n", (unsigned long long)sent);
	return 0;
}
