/* wire.c: sealing records into sensor datagrams and opening them at the
 * collector (the format is in wire.h), and the replay window.
 *
 * Sealing packs as many whole records into one datagram as its deflated
 * batch lets fit: it guesses the raw size from the ratio the last batch
 * reached, compresses into an output buffer the size of the room left
 * (libdeflate refuses when it does not fit), and takes half the records
 * when they did not fit, so a chunk costs about one compression of its
 * bytes. Opening trusts nothing before the box has opened, and after it
 * only what the checks of the header, the inflation and the record
 * framing let through. */
#include <libdeflate.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/wire.h"
#include "ncap/recordcheck.h"
#include "ncap/schema.h"
#include "ncap/varint.h"
#include "netcap.pb-c.h"

_Static_assert(COLLECT_SHARED_BYTES == crypto_box_BEFORENMBYTES, "shared key size");
_Static_assert(COLLECT_TAG_BYTES == crypto_box_MACBYTES, "tag size");
_Static_assert(24 == crypto_box_NONCEBYTES, "nonce size");

/* libdeflate level of the batches: level 1 reaches 3.4x on records at
 * 300 MB/s, level 6 3.6x at a third of the speed (platform notes); the
 * sensor's compressor lcores must keep up with its workers. */
#define SEAL_LEVEL 1
/* Records considered for one datagram at most (their ends are kept). */
#define SEAL_MAX_RECORDS 4096

static const char *const verdict_names[COLLECT_VERDICTS] = {
	[COLLECT_ACCEPT] = "accepted",
	[COLLECT_DROP_SHORT] = "short",
	[COLLECT_DROP_OVERSIZED] = "oversized",
	[COLLECT_DROP_MAGIC] = "bad_magic",
	[COLLECT_DROP_VERSION] = "bad_version",
	[COLLECT_DROP_UNKNOWN_KEY] = "unknown_key",
	[COLLECT_DROP_AUTH] = "auth_failed",
	[COLLECT_DROP_HEADER] = "bad_header",
	[COLLECT_DROP_SENSOR_ID] = "bad_sensor_id",
	[COLLECT_DROP_REPLAY] = "replay",
	[COLLECT_DROP_TOO_OLD] = "too_old",
	[COLLECT_DROP_FRAGMENT] = "bad_fragment",
	[COLLECT_DROP_BATCH] = "bad_batch",
	[COLLECT_DROP_TYPE] = "unknown_type",
};

const char *collect_verdict_name(enum collect_verdict v)
{
	return (unsigned)v < COLLECT_VERDICTS ? verdict_names[v] : "unknown";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

bool collect_id_safe(const char *id, size_t len)
{
	if (len < 1 || len > COLLECT_ID_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool device_ok(const char *s, size_t len)
{
	if (len > COLLECT_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* ---- sealing ---------------------------------------------------------------- */

struct collect_sealer {
	uint8_t pk[COLLECT_KEY_BYTES];
	uint8_t shared[COLLECT_SHARED_BYTES];
	/* The nonce: 8 random bytes chosen per sealer, then the epoch and the
	 * sequence number: unique per datagram without a random draw (a
	 * system call) each time, and unique even if a restarted sensor's
	 * clock gave an epoch again. */
	uint8_t nonce_salt[8];
	char id[COLLECT_ID_MAX], device[COLLECT_ID_MAX];
	size_t id_len, device_len;
	uint64_t epoch;
	size_t dgram_max;
	size_t room;       /* payload bytes one datagram holds */
	double ratio;      /* raw / deflated of the last batch */
	struct libdeflate_compressor *comp;
	uint8_t *plain, *dgram;
	uint8_t *zbuf;     /* a deflated whole record, for fragments */
	size_t zbuf_cap;
	uint32_t ends[SEAL_MAX_RECORDS];
};

struct collect_sealer *collect_sealer_new(const struct collect_keypair *sensor,
					  const uint8_t collector_pk[COLLECT_KEY_BYTES],
					  const char *id, const char *device, uint64_t epoch,
					  size_t dgram_max, char *err, size_t errlen)
{
	size_t id_len = strlen(id), device_len = strlen(device);
	if (!collect_id_safe(id, id_len)) {
		snprintf(err, errlen, "sensor id \"%s\": 1 to %d of A-Z a-z 0-9 . _ -, not starting "
				      "with a dot", id, COLLECT_ID_MAX);
		return NULL;
	}
	if (!device_ok(device, device_len)) {
		snprintf(err, errlen, "device type \"%s\": at most %d printable ASCII characters",
			 device, COLLECT_ID_MAX);
		return NULL;
	}
	if (dgram_max < COLLECT_DGRAM_MIN || dgram_max > COLLECT_DGRAM_MAX) {
		snprintf(err, errlen, "datagram size %zu: between %d and %d", dgram_max,
			 COLLECT_DGRAM_MIN, COLLECT_DGRAM_MAX);
		return NULL;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return NULL;
	}
	struct collect_sealer *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(s->pk, sensor->pk, COLLECT_KEY_BYTES);
	if (crypto_box_beforenm(s->shared, collector_pk, sensor->sk)) {
		snprintf(err, errlen, "the collector's public key is not a usable Curve25519 key");
		free(s);
		return NULL;
	}
	randombytes_buf(s->nonce_salt, sizeof s->nonce_salt);
	memcpy(s->id, id, id_len);
	memcpy(s->device, device, device_len);
	s->id_len = id_len;
	s->device_len = device_len;
	s->epoch = epoch;
	s->dgram_max = dgram_max;
	s->room = dgram_max - COLLECT_OVERHEAD - COLLECT_PLAIN_HEADER - id_len - device_len;
	s->ratio = 3.0;
	s->comp = libdeflate_alloc_compressor(SEAL_LEVEL);
	s->plain = malloc(dgram_max);
	s->dgram = malloc(dgram_max);
	s->zbuf_cap = s->comp ? libdeflate_deflate_compress_bound(s->comp, COLLECT_BATCH_MAX) : 0;
	s->zbuf = s->zbuf_cap ? malloc(s->zbuf_cap) : NULL;
	if (!s->comp || !s->plain || !s->dgram || !s->zbuf) {
		snprintf(err, errlen, "out of memory");
		collect_sealer_free(s);
		return NULL;
	}
	return s;
}

void collect_sealer_free(struct collect_sealer *s)
{
	if (!s)
		return;
	sodium_memzero(s->shared, sizeof s->shared);
	if (s->comp)
		libdeflate_free_compressor(s->comp);
	free(s->plain);
	free(s->dgram);
	free(s->zbuf);
	free(s);
}

/* Seals one datagram of payload[0..len) and hands it to emit. */
static void seal_one(struct collect_sealer *s, int type, uint8_t flags, uint64_t seq,
		     uint16_t frag_index, uint16_t frag_count, uint32_t inflated_len,
		     const uint8_t *payload, size_t len, uint32_t records, collect_emit_fn emit,
		     void *arg)
{
	uint8_t *p = s->plain;
	put64(p, s->epoch);
	put64(p + 8, seq);
	put16(p + 16, (uint16_t)type);
	p[18] = flags;
	p[19] = (uint8_t)s->id_len;
	p[20] = (uint8_t)s->device_len;
	p[21] = 0;
	put16(p + 22, frag_index);
	put16(p + 24, frag_count);
	put16(p + 26, 0);
	put32(p + 28, inflated_len);
	memcpy(p + COLLECT_PLAIN_HEADER, s->id, s->id_len);
	memcpy(p + COLLECT_PLAIN_HEADER + s->id_len, s->device, s->device_len);
	size_t head = COLLECT_PLAIN_HEADER + s->id_len + s->device_len;
	memcpy(p + head, payload, len);
	size_t plain_len = head + len;

	uint8_t *d = s->dgram;
	memcpy(d, COLLECT_MAGIC, 4);
	d[4] = COLLECT_VERSION;
	d[5] = d[6] = d[7] = 0;
	memcpy(d + 8, s->pk, COLLECT_KEY_BYTES);
	uint8_t *nonce = d + 40;
	memcpy(nonce, s->nonce_salt, 8);
	put64(nonce + 8, s->epoch);
	put64(nonce + 16, seq);
	crypto_box_easy_afternm(d + COLLECT_OUTER_BYTES, p, plain_len, nonce, s->shared);
	emit(arg, d, COLLECT_OUTER_BYTES + COLLECT_TAG_BYTES + plain_len, records);
}

/* One record too large for a datagram: deflated when that makes it
 * smaller, then cut into pieces of consecutive sequence numbers. */
static void seal_fragments(struct collect_sealer *s, int type, const uint8_t *rec, size_t len,
			   _Atomic uint64_t *seq, collect_emit_fn emit, void *arg,
			   struct collect_seal_stats *st)
{
	const uint8_t *payload = rec;
	size_t plen = len;
	uint8_t flags = COLLECT_FLAG_FRAGMENT;
	size_t z = libdeflate_deflate_compress(s->comp, rec, len, s->zbuf, s->zbuf_cap);
	if (z && z < len) {
		payload = s->zbuf;
		plen = z;
		flags |= COLLECT_FLAG_DEFLATE;
	}
	size_t pieces = (plen + s->room - 1) / s->room;
	if (pieces == 1) {
		/* libdeflate refuses an output buffer with no slack, so a
		 * record that deflates to just under the room arrives here:
		 * one whole datagram, not a fragment of one. */
		uint64_t seqno = atomic_fetch_add_explicit(seq, 1, memory_order_relaxed) + 1;
		seal_one(s, type, flags & ~COLLECT_FLAG_FRAGMENT, seqno, 0, 1, (uint32_t)len, payload,
			 plen, 1, emit, arg);
		st->datagrams++;
		st->records++;
		return;
	}
	if (pieces > COLLECT_MAX_FRAGMENTS) {
		st->records_too_large++;
		return;
	}
	uint64_t first = atomic_fetch_add_explicit(seq, pieces, memory_order_relaxed) + 1;
	for (size_t i = 0; i < pieces; i++) {
		size_t off = i * s->room;
		size_t n = plen - off < s->room ? plen - off : s->room;
		seal_one(s, type, flags, first + i, (uint16_t)i, (uint16_t)pieces, (uint32_t)len,
			 payload + off, n, i == 0, emit, arg);
		st->datagrams++;
	}
	st->records++;
}

void collect_seal_records(struct collect_sealer *s, int type, const uint8_t *records, size_t len,
			  _Atomic uint64_t *seq, collect_emit_fn emit, void *arg,
			  struct collect_seal_stats *st)
{
	size_t pos = 0;
	while (pos < len) {
		/* Gather whole records up to the guessed raw size. */
		size_t target = (size_t)((double)s->room * s->ratio);
		size_t end = pos;
		uint32_t n = 0;
		while (end < len && n < SEAL_MAX_RECORDS) {
			uint64_t body;
			int v = ncap_varint_get(records + end, len - end, &body);
			if (v <= 0 || body > len - end - (size_t)v) {
				st->malformed++;
				len = end; /* nothing after it can be framed */
				break;
			}
			size_t rec_len = (size_t)v + (size_t)body;
			if (n > 0 && end + rec_len - pos > target)
				break;
			end += rec_len;
			s->ends[n++] = (uint32_t)(end - pos);
		}
		if (n == 0)
			break;
		if (n == 1 && end - pos > COLLECT_BATCH_MAX) {
			st->records_too_large++;
			pos = end;
			continue;
		}
		/* Fit: fewer records each time it does not. */
		for (;;) {
			size_t raw = s->ends[n - 1];
			size_t z = libdeflate_deflate_compress(s->comp, records + pos, raw, s->zbuf,
							       s->room);
			uint64_t seqno;
			if (z && z < raw) {
				seqno = atomic_fetch_add_explicit(seq, 1, memory_order_relaxed) + 1;
				seal_one(s, type, COLLECT_FLAG_DEFLATE, seqno, 0, 1, (uint32_t)raw,
					 s->zbuf, z, n, emit, arg);
				/* The next guess: this ratio, a little under. */
				double r = (double)raw / (double)z * 0.95;
				s->ratio = r < 1.0 ? 1.0 : r > 16.0 ? 16.0 : r;
			} else if (raw <= s->room) {
				seqno = atomic_fetch_add_explicit(seq, 1, memory_order_relaxed) + 1;
				seal_one(s, type, 0, seqno, 0, 1, (uint32_t)raw, records + pos, raw, n,
					 emit, arg);
			} else if (n == 1) {
				seal_fragments(s, type, records + pos, raw, seq, emit, arg, st);
				pos += raw;
				break;
			} else {
				n /= 2;
				s->ratio = s->ratio * 0.75 < 1.0 ? 1.0 : s->ratio * 0.75;
				continue;
			}
			st->datagrams++;
			st->records += n;
			pos += raw;
			break;
		}
	}
}

/* ---- opening ------------------------------------------------------------------ */

/* A record type a sensor may send: one with a message, and not the Header,
 * which the collector writes itself at the top of each file (a file with
 * Header records after it is one no reader accepts). */
static bool record_type_ok(int type)
{
	const struct ncap_type *t = ncap_type_by_id(type);
	return t && t->desc && type != TYPES__TYPE__NC_Header;
}

enum collect_verdict collect_peek(const uint8_t *d, size_t len, size_t dgram_max,
				  const uint8_t **pk)
{
	if (len > dgram_max)
		return COLLECT_DROP_OVERSIZED;
	if (len < COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1)
		return COLLECT_DROP_SHORT;
	if (memcmp(d, COLLECT_MAGIC, 4))
		return COLLECT_DROP_MAGIC;
	if (d[4] != COLLECT_VERSION || d[5] || d[6] || d[7])
		return COLLECT_DROP_VERSION;
	*pk = d + 8;
	return COLLECT_ACCEPT;
}

int collect_shared_key(uint8_t shared[COLLECT_SHARED_BYTES],
		       const uint8_t sensor_pk[COLLECT_KEY_BYTES],
		       const struct collect_keypair *collector)
{
	if (sodium_init() < 0)
		return -1;
	return crypto_box_beforenm(shared, sensor_pk, collector->sk);
}

enum collect_verdict collect_open(const uint8_t *d, size_t len,
				  const uint8_t shared[COLLECT_SHARED_BYTES], uint8_t *plain,
				  size_t cap, struct collect_opened *o)
{
	if (len < COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1)
		return COLLECT_DROP_SHORT;
	size_t plain_len = len - COLLECT_OVERHEAD;
	if (cap < plain_len)
		return COLLECT_DROP_OVERSIZED;
	if (crypto_box_open_easy_afternm(plain, d + COLLECT_OUTER_BYTES, len - COLLECT_OUTER_BYTES,
					 d + 40, shared))
		return COLLECT_DROP_AUTH;
	memset(o, 0, sizeof *o);
	const uint8_t *p = plain;
	o->epoch = get64(p);
	o->seq = get64(p + 8);
	o->type = get16(p + 16);
	o->flags = p[18];
	o->id_len = p[19];
	o->device_len = p[20];
	o->frag_index = get16(p + 22);
	o->frag_count = get16(p + 24);
	o->inflated_len = get32(p + 28);
	if (o->epoch == 0 || o->seq == 0 || (o->flags & ~(COLLECT_FLAG_DEFLATE | COLLECT_FLAG_FRAGMENT)) ||
	    p[21] || get16(p + 26) || o->id_len == 0 || o->id_len > COLLECT_ID_MAX ||
	    o->device_len > COLLECT_ID_MAX || o->inflated_len == 0 ||
	    o->inflated_len > COLLECT_BATCH_MAX)
		return COLLECT_DROP_HEADER;
	if (o->flags & COLLECT_FLAG_FRAGMENT) {
		if (o->frag_count < 2 || o->frag_count > COLLECT_MAX_FRAGMENTS ||
		    o->frag_index >= o->frag_count || o->seq <= o->frag_index)
			return COLLECT_DROP_HEADER;
	} else if (o->frag_index != 0 || o->frag_count != 1) {
		return COLLECT_DROP_HEADER;
	}
	size_t head = COLLECT_PLAIN_HEADER + o->id_len + o->device_len;
	if (head >= plain_len)
		return COLLECT_DROP_HEADER;
	o->id = (const char *)p + COLLECT_PLAIN_HEADER;
	o->device = o->id + o->id_len;
	if (!collect_id_safe(o->id, o->id_len))
		return COLLECT_DROP_SENSOR_ID;
	if (!device_ok(o->device, o->device_len))
		return COLLECT_DROP_HEADER;
	o->payload = p + head;
	o->payload_len = plain_len - head;
	/* A stored whole batch is exactly its length. */
	if (!(o->flags & (COLLECT_FLAG_DEFLATE | COLLECT_FLAG_FRAGMENT)) &&
	    o->payload_len != o->inflated_len)
		return COLLECT_DROP_HEADER;
	if (!record_type_ok(o->type))
		return COLLECT_DROP_TYPE;
	return COLLECT_ACCEPT;
}

enum collect_verdict collect_unpack_batch(struct libdeflate_decompressor *dec, int type,
					  uint8_t flags, const uint8_t *payload, size_t len,
					  uint32_t inflated_len, uint8_t *out, size_t cap,
					  uint32_t *records)
{
	*records = 0;
	if (!record_type_ok(type))
		return COLLECT_DROP_TYPE;
	if (inflated_len == 0 || inflated_len > COLLECT_BATCH_MAX || cap < inflated_len)
		return COLLECT_DROP_BATCH;
	if (flags & COLLECT_FLAG_DEFLATE) {
		size_t in_used = 0, out_got = 0;
		if (libdeflate_deflate_decompress_ex(dec, payload, len, out, inflated_len, &in_used,
						     &out_got) != LIBDEFLATE_SUCCESS ||
		    out_got != inflated_len || in_used != len)
			return COLLECT_DROP_BATCH;
	} else {
		if (len != inflated_len)
			return COLLECT_DROP_BATCH;
		memcpy(out, payload, len);
	}
	return collect_check_records(type, out, inflated_len, records) ? COLLECT_DROP_BATCH
									: COLLECT_ACCEPT;
}

int collect_check_records(int type, const uint8_t *data, size_t len, uint32_t *records)
{
	*records = 0;
	if (!record_type_ok(type))
		return -1;
	const ProtobufCMessageDescriptor *desc = ncap_type_by_id(type)->desc;
	/* Whole records, each well-formed for the type: what the files get
	 * is what any reader can read. */
	size_t pos = 0;
	uint32_t n = 0;
	while (pos < len) {
		uint64_t body;
		int v = ncap_varint_get(data + pos, len - pos, &body);
		if (v <= 0 || body > len - pos - (size_t)v)
			return -1;
		pos += (size_t)v;
		struct ncap_check check;
		if (ncap_record_check(desc, data + pos, (size_t)body, NULL, &check) != NCAP_CHECK_OK)
			return -1;
		pos += (size_t)body;
		n++;
	}
	*records = n;
	return 0;
}

/* ---- replay window ------------------------------------------------------------- */

static bool window_has(const struct collect_replay *r, uint64_t seq)
{
	uint64_t i = seq % COLLECT_WINDOW;
	return r->bits[i / 64] >> (i % 64) & 1;
}

static void window_set(struct collect_replay *r, uint64_t seq)
{
	uint64_t i = seq % COLLECT_WINDOW;
	r->bits[i / 64] |= 1ULL << (i % 64);
}

static void window_clear(struct collect_replay *r, uint64_t seq)
{
	uint64_t i = seq % COLLECT_WINDOW;
	r->bits[i / 64] &= ~(1ULL << (i % 64));
}

uint64_t collect_replay_missing(const struct collect_replay *r)
{
	if (r->top == 0)
		return 0;
	uint64_t from = r->top >= COLLECT_WINDOW ? r->top - COLLECT_WINDOW + 1 : 1;
	uint64_t missing = 0;
	for (uint64_t s = from; s <= r->top; s++)
		missing += !window_has(r, s);
	return missing;
}

enum collect_verdict collect_replay_check(struct collect_replay *r, uint64_t epoch, uint64_t seq)
{
	if (seq == 0 || epoch == 0)
		return COLLECT_DROP_HEADER;
	if (epoch < r->epoch)
		return COLLECT_DROP_TOO_OLD;
	if (epoch > r->epoch) {
		/* The sensor restarted: what the old epoch still missed is lost. */
		r->lost += collect_replay_missing(r);
		r->epoch = epoch;
		r->top = 0;
		memset(r->bits, 0, sizeof r->bits);
		r->epochs++;
	}
	if (seq > r->top) {
		uint64_t shift = seq - r->top;
		if (shift >= COLLECT_WINDOW) {
			/* Everything in the window leaves it; so do the numbers
			 * between the old top and the new window, never seen. */
			r->lost += collect_replay_missing(r);
			uint64_t new_from = seq - COLLECT_WINDOW + 1;
			r->lost += new_from > r->top + 1 ? new_from - (r->top + 1) : 0;
			memset(r->bits, 0, sizeof r->bits);
		} else {
			for (uint64_t s = r->top + 1; s <= seq; s++) {
				/* s takes the slot of s - WINDOW, which leaves. */
				if (s > COLLECT_WINDOW && !window_has(r, s - COLLECT_WINDOW))
					r->lost++;
				window_clear(r, s);
			}
		}
		window_set(r, seq);
		r->top = seq;
		return COLLECT_ACCEPT;
	}
	if (r->top - seq >= COLLECT_WINDOW)
		return COLLECT_DROP_TOO_OLD;
	if (window_has(r, seq))
		return COLLECT_DROP_REPLAY;
	window_set(r, seq);
	return COLLECT_ACCEPT;
}
