/* tls.c: TLS hellos over reassembled TCP streams (TLSClientHello and
 * TLSServerHello records) and their fingerprints: JA3, JA3S, JA4, JA4S
 * (tls.h).
 *
 * Per direction, a small state machine reads the TLS record layer (the
 * 5-byte header: content type, version, length at most 2^14 + 2048; a
 * header split across calls is collected byte by byte) and, inside
 * handshake records (type 22), the handshake messages (4-byte header:
 * type, 24-bit length), which may span records and calls. Only the
 * message the direction is watched for is kept: the client's first
 * ClientHello (type 1), the server's first ServerHello (type 2, a
 * HelloRetryRequest included: it is a ServerHello); other messages before
 * it are skipped without being held. A message whose body arrives whole
 * in one piece of one call is parsed where it lies; one that is split is
 * joined in a bytebuf of pool blocks (at most tls_handshake_max bytes,
 * and never more than TLS_HANDSHAKE_LIMIT: the joined copy is parsed in a
 * per-thread buffer of that size, no allocation) and parsed when whole.
 *
 * A direction is done, and the reassembler told to hold none of it
 * (c->ignore[dir]), after its hello (parsed or not), at its first
 * ChangeCipherSpec or application data record (a resumed or already
 * encrypted session; alerts are skipped: a warning may precede the
 * ServerHello), at a gap, and at a fault:
 *   - a record header that is not TLS (content type outside 20..24,
 *     major version not 3, length past 2^14 + 2048): TLS/bad-value;
 *   - an SSLv2-compatible ClientHello (first byte with the high bit, then
 *     message type 1): not parsed, TLS/bad-version (the connection is
 *     still TLS: the server's ServerHello is read);
 *   - a hello longer than the cap: TLS/capped, no record;
 *   - the pool refusing a block for the joined message: TLS/memory-exhausted.
 *
 * Records: app_make_room(env, 1) then the record, with the Timestamp of
 * the call that completed the message. A hello whose inner lengths
 * contradict the message (a list longer than its extension, an extension
 * past the message, an odd cipher-suite length) still gives a record of
 * what parsed before the fault, marked Truncated, with TLS/bad-length
 * counted; its fingerprints are left empty: they are only computed from a
 * hello that parses entirely. Bytes after the last extension are ignored.
 * Every bytes and string field is copied into the arena (the data handed
 * in may be a pool block that is recycled after the call). Lists are
 * capped (TLS_MAX_*; each string at TLS_MAX_TEXT bytes): a cut counts
 * TLS/capped and marks the record Truncated. SrcMAC/DstMAC are the
 * packet's only when the packet was sent by the hello's sender.
 *
 * Fingerprints (GREASE: (v & 0x0f0f) == 0x0a0a with equal bytes):
 *   JA3  "Version,Ciphers,Extensions,Groups,PointFormats": legacy
 *        client_version, decimal values joined by '-', GREASE left out of
 *        ciphers, extensions and groups; MD5 in lowercase hex. Groups and
 *        point formats from the first extension 10 and 11.
 *   JA3S "Version,Cipher,Extensions" of the ServerHello (GREASE left
 *        out of the extensions), MD5.
 *   JA4  FoxIO's (technical_details/JA4.md): 't', the version (highest
 *        non-GREASE of supported_versions, else the legacy version:
 *        0x0304 13, 0x0303 12, 0x0302 11, 0x0301 10, 0x0300 s3, 0x0200 and
 *        0x0002 s2, 0xfeff d1, 0xfefd d2, 0xfefc d3, else 00), 'd' with an
 *        SNI extension else 'i', the non-GREASE cipher and extension
 *        counts (two digits, at most 99), the first and last characters of
 *        the first ALPN value ("00" if none or empty; when either end is
 *        not ASCII alphanumeric, the first and last hex digits of the
 *        value instead), '_', SHA-256 (12 hex) of the sorted non-GREASE
 *        ciphers in 4-digit hex joined by ',', '_', SHA-256 of the sorted
 *        non-GREASE extensions less SNI and ALPN, then '_' and the
 *        signature algorithms in wire order when there are any. An empty
 *        string hashes to "000000000000", as FoxIO's tools write it.
 *   JA4S 't', the version (supported_versions' selected, else legacy),
 *        the extension count, the ALPN's first and last characters, '_',
 *        the cipher in 4 hex digits, '_', SHA-256 (12 hex) of the
 *        extensions in wire order. As FoxIO's implementation, the server's
 *        extensions and the client's signature algorithms are taken as
 *        on the wire (a server sends no GREASE).
 *
 * Cost: every byte is looked at a bounded number of times (the record
 * layer once, a hello parsed once for its record and once per
 * fingerprint; JA4 sorts at most 32,767 ciphers and 16,383 extensions in
 * a per-thread array). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>
#include <nettle/sha2.h>

#include "decode/tls.h"
#include "stream/blocks.h"

#define TLS_RECORD_MAX (16384u + 2048u)
#define TLS_HANDSHAKE_LIMIT (64u << 10)

#define TLS_MAX_CIPHERS 512
#define TLS_MAX_EXTENSIONS 128
#define TLS_MAX_COMPRESS 32
#define TLS_MAX_SIGALGS 128
#define TLS_MAX_GROUPS 128
#define TLS_MAX_POINTS 32
#define TLS_MAX_ALPNS 64
#define TLS_MAX_SCTS 64
#define TLS_MAX_SCT_BYTES (16u << 10)
#define TLS_MAX_TEXT 255u
#define TLS_MAX_COOKIE 1024u

enum {
	CT_CHANGE_CIPHER_SPEC = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
};

enum {
	EXT_SERVER_NAME = 0,
	EXT_STATUS_REQUEST = 5,
	EXT_SUPPORTED_GROUPS = 10,
	EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13,
	EXT_ALPN = 16,
	EXT_SCT = 18,
	EXT_EXTENDED_MASTER_SECRET = 23,
	EXT_SESSION_TICKET = 35,
	EXT_PRE_SHARED_KEY = 41,
	EXT_SUPPORTED_VERSIONS = 43,
	EXT_COOKIE = 44,
	EXT_KEY_SHARE = 51,
	EXT_NEXT_PROTOCOL_NEGOTIATION = 13172,
	EXT_RENEGOTIATION_INFO = 65281,
};

/* One direction's reading state. */
struct tls_dir {
	uint8_t hdr[5];             /* the record header being collected */
	uint8_t hdr_have;
	bool seen_record;           /* a whole record header was read */
	bool done;                  /* nothing more wanted */
	uint16_t first_version;     /* of the first record */
	uint16_t first_len;
	uint32_t rec_left;          /* body bytes of the current record to come */
	bool skipping;              /* the current record is an alert, skipped */
	uint8_t hs_hdr[4];          /* the handshake header being collected */
	uint8_t hs_hdr_have;
	bool hs_wanted;             /* the current message is the hello */
	uint32_t hs_len, hs_have;   /* its body length, bytes of it seen */
	struct bytebuf msg;         /* the hello's body, when joined */
};

struct tls_state {
	struct tls_dir dir[2];
	uint32_t handshake_max;
};

/* app.c keeps the state in a pool block after a 16-byte head. */
static_assert(sizeof(struct tls_state) <= BLOCK_DATA - 16, "tls_state fits a pool block");
const uint32_t tls_state_size = sizeof(struct tls_state);

/* A joined hello is parsed here: one per thread (a worker parses one
 * message at a time), so no allocation per message. */
static _Thread_local uint8_t joined[TLS_HANDSHAKE_LIMIT];
/* JA4 sorts its lists here: at most 32,767 cipher suites (a 16-bit byte
 * length) or 16,383 extensions. */
static _Thread_local uint16_t sort_space[32768];
static _Thread_local uint16_t sort_tmp[32768];

static bool is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* An SSLv2-format ClientHello (RFC 6101 E.2: a 2-byte header with the
 * high bit set, message type 1, version 2 or 3.x), which old clients send
 * to servers that answer in TLS: the connection is TLS, and the server's
 * hello is read (the client's is not parsed, tls_data counts it). */
static bool sslv2_client_hello(const uint8_t *d, uint32_t n)
{
	return (d[0] & 0x80) && (n < 3 || d[2] == HS_CLIENT_HELLO) && (n < 4 || d[3] == 0 || d[3] == 3);
}

bool tls_is_handshake(const uint8_t *d, uint32_t n)
{
	if (n >= 1 && sslv2_client_hello(d, n))
		return true;
	if (n >= 1 && d[0] != CT_HANDSHAKE)
		return false;
	if (n >= 2 && d[1] != 3)
		return false;
	if (n >= 5 && (uint32_t)(d[3] << 8 | d[4]) > TLS_RECORD_MAX)
		return false;
	return true;
}

/* ---- text sinks: what a fingerprint hashes, as it is written ---------- */

struct sink {
	struct md5_ctx md5;
	struct sha256_ctx sha;
	bool use_md5;
	char *raw;                  /* optional copy of the text (cut to fit) */
	size_t raw_size, raw_len;
	size_t total;               /* bytes hashed */
};

static void sink_start(struct sink *s, bool md5, char *raw, size_t raw_size)
{
	s->use_md5 = md5;
	if (md5)
		md5_init(&s->md5);
	else
		sha256_init(&s->sha);
	s->raw = raw;
	s->raw_size = raw ? raw_size : 0;
	s->raw_len = 0;
	s->total = 0;
	if (s->raw_size)
		s->raw[0] = 0;
}

static void sink_put(struct sink *s, const char *p, size_t n)
{
	if (s->use_md5)
		md5_update(&s->md5, n, (const uint8_t *)p);
	else
		sha256_update(&s->sha, n, (const uint8_t *)p);
	s->total += n;
	if (s->raw_size > s->raw_len + 1) {
		size_t room = s->raw_size - 1 - s->raw_len;
		size_t k = n < room ? n : room;
		memcpy(s->raw + s->raw_len, p, k);
		s->raw_len += k;
		s->raw[s->raw_len] = 0;
	}
}

static void sink_char(struct sink *s, char ch) { sink_put(s, &ch, 1); }

static void sink_dec(struct sink *s, uint32_t v)
{
	char buf[12];
	char *end = put_decimal(buf, v);
	sink_put(s, buf, (size_t)(end - buf));
}

static const char hexdigits[] = "0123456789abcdef";

static void sink_hex4(struct sink *s, uint16_t v)
{
	char buf[4] = { hexdigits[v >> 12], hexdigits[(v >> 8) & 15], hexdigits[(v >> 4) & 15],
			hexdigits[v & 15] };
	sink_put(s, buf, 4);
}

/* The digest in lowercase hex: all 32 digits of MD5, or SHA-256's first
 * 12 ("000000000000" when nothing was hashed). */
static void sink_finish(struct sink *s, char *out)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	unsigned digits;
	if (s->use_md5) {
		md5_digest(&s->md5, MD5_DIGEST_SIZE, digest);
		digits = 32;
	} else {
		sha256_digest(&s->sha, SHA256_DIGEST_SIZE, digest);
		digits = 12;
		if (!s->total) {
			memset(out, '0', digits);
			out[digits] = 0;
			return;
		}
	}
	for (unsigned i = 0; i < digits; i++)
		out[i] = hexdigits[(digest[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[digits] = 0;
}

/* ---- hello layout -------------------------------------------------------- */

/* A hello body cut into its parts (views, no copies). */
struct hello {
	uint16_t version;
	struct cursor ciphers;      /* client: the cipher suite list */
	uint16_t cipher;            /* server: the chosen suite */
	struct cursor exts;         /* the extension block (empty if none) */
};

static bool inner_ok(uint16_t type, struct cursor body, bool client);

/* Cuts a hello body strictly: false when any length contradicts it. */
static bool hello_split(const uint8_t *body, uint32_t len, bool client, struct hello *h)
{
	struct cursor c = cur_make(body, len);
	*h = (struct hello){ 0 };
	h->version = cur_be16(&c);
	cur_skip(&c, 32);
	cur_skip(&c, cur_u8(&c));
	if (client) {
		uint16_t n = cur_be16(&c);
		if (n % 2)
			return false;
		h->ciphers = cur_sub(&c, n);
		cur_skip(&c, cur_u8(&c));
	} else {
		h->cipher = cur_be16(&c);
		cur_skip(&c, 1);
	}
	if (!cur_ok(&c))
		return false;
	if (cur_left(&c)) {
		uint16_t n = cur_be16(&c);
		h->exts = cur_sub(&c, n);
	}
	if (!cur_ok(&c))
		return false;
	/* Every extension within the block, and what is read inside them. */
	struct cursor e = h->exts;
	while (cur_left(&e)) {
		uint16_t type = cur_be16(&e);
		struct cursor body = cur_sub(&e, cur_be16(&e));
		if (!cur_ok(&e) || !inner_ok(type, body, client))
			return false;
	}
	return true;
}

/* The next extension of a block; false at its end or on a bad length. */
static bool next_ext(struct cursor *exts, uint16_t *type, struct cursor *body)
{
	if (!cur_left(exts))
		return false;
	*type = cur_be16(exts);
	uint16_t n = cur_be16(exts);
	*body = cur_sub(exts, n);
	return cur_ok(exts);
}

/* Extensions in a block, up to a bad length. */
static size_t count_exts(struct cursor exts)
{
	uint16_t type;
	struct cursor body;
	size_t n = 0;
	while (next_ext(&exts, &type, &body))
		n++;
	return n;
}

/* The lists inside the extensions the fingerprints read fit their
 * extension: a length prefix past the extension's end is a bad hello. */
static bool inner_ok(uint16_t type, struct cursor body, bool client)
{
	switch (type) {
	case EXT_SERVER_NAME:
		return !client || !cur_left(&body) || cur_be16(&body) <= cur_left(&body);
	case EXT_SUPPORTED_GROUPS:
	case EXT_SIGNATURE_ALGORITHMS:
		return !client || cur_be16(&body) <= cur_left(&body);
	case EXT_EC_POINT_FORMATS:
		return !client || cur_u8(&body) <= cur_left(&body);
	case EXT_SUPPORTED_VERSIONS:
		return client ? cur_u8(&body) <= cur_left(&body) : cur_left(&body) >= 2;
	case EXT_ALPN: {
		struct cursor list = cur_sub(&body, cur_be16(&body));
		while (cur_left(&list))
			cur_skip(&list, cur_u8(&list));
		return cur_ok(&body) && cur_ok(&list);
	}
	default:
		return true;
	}
}

/* The body of the first extension of `type`, if any. */
static bool find_ext(struct cursor exts, uint16_t type, struct cursor *body)
{
	uint16_t t;
	while (next_ext(&exts, &t, body))
		if (t == type)
			return true;
	return false;
}

/* ---- JA3, JA3S ----------------------------------------------------------- */

/* 16-bit values of a list, non-GREASE, decimal, joined by '-'. */
static void sink_list16_dec(struct sink *s, struct cursor list)
{
	bool first = true;
	while (cur_left(&list) >= 2) {
		uint16_t v = cur_be16(&list);
		if (is_grease(v))
			continue;
		if (!first)
			sink_char(s, '-');
		sink_dec(s, v);
		first = false;
	}
}

static void sink_ext_types_dec(struct sink *s, struct cursor exts)
{
	uint16_t t;
	struct cursor body;
	bool first = true;
	while (next_ext(&exts, &t, &body)) {
		if (is_grease(t))
			continue;
		if (!first)
			sink_char(s, '-');
		sink_dec(s, t);
		first = false;
	}
}

/* The fingerprint of a hello split already (hello_split). */
static bool ja3_of(const struct hello *h, char out[33], char *raw, size_t raw_size)
{
	struct sink s;
	sink_start(&s, true, raw, raw_size);
	sink_dec(&s, h->version);
	sink_char(&s, ',');
	sink_list16_dec(&s, h->ciphers);
	sink_char(&s, ',');
	sink_ext_types_dec(&s, h->exts);
	sink_char(&s, ',');
	struct cursor ext;
	if (find_ext(h->exts, EXT_SUPPORTED_GROUPS, &ext))
		sink_list16_dec(&s, cur_sub(&ext, cur_be16(&ext)));
	sink_char(&s, ',');
	if (find_ext(h->exts, EXT_EC_POINT_FORMATS, &ext)) {
		struct cursor points = cur_sub(&ext, cur_u8(&ext));
		for (bool first = true; cur_left(&points); first = false) {
			if (!first)
				sink_char(&s, '-');
			sink_dec(&s, cur_u8(&points));
		}
	}
	sink_finish(&s, out);
	return true;
}

bool tls_ja3(const uint8_t *body, uint32_t len, char out[33], char *raw, size_t raw_size)
{
	struct hello h;
	out[0] = 0;
	if (raw && raw_size)
		raw[0] = 0;
	return hello_split(body, len, true, &h) && ja3_of(&h, out, raw, raw_size);
}

/* The fingerprint of a hello split already (hello_split). */
static bool ja3s_of(const struct hello *h, char out[33], char *raw, size_t raw_size)
{
	struct sink s;
	sink_start(&s, true, raw, raw_size);
	sink_dec(&s, h->version);
	sink_char(&s, ',');
	sink_dec(&s, h->cipher);
	sink_char(&s, ',');
	sink_ext_types_dec(&s, h->exts);
	sink_finish(&s, out);
	return true;
}

bool tls_ja3s(const uint8_t *body, uint32_t len, char out[33], char *raw, size_t raw_size)
{
	struct hello h;
	out[0] = 0;
	if (raw && raw_size)
		raw[0] = 0;
	return hello_split(body, len, false, &h) && ja3s_of(&h, out, raw, raw_size);
}

/* ---- JA4, JA4S ----------------------------------------------------------- */

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0200:
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool is_alnum(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* The first and last characters of an ALPN value (JA4.md). */
static void ja4_alpn(const uint8_t *p, uint32_t n, char out[2])
{
	if (!p || !n) {
		out[0] = out[1] = '0';
	} else if (is_alnum(p[0]) && is_alnum(p[n - 1])) {
		out[0] = (char)p[0];
		out[1] = (char)p[n - 1];
	} else {
		out[0] = hexdigits[p[0] >> 4];
		out[1] = hexdigits[p[n - 1] & 15];
	}
}

/* The first protocol of an ALPN extension body; false when none. */
static bool first_alpn(struct cursor ext, const uint8_t **p, uint32_t *n)
{
	struct cursor list = cur_sub(&ext, cur_be16(&ext));
	*n = cur_u8(&list);
	*p = cur_bytes(&list, *n);
	return *p != NULL;
}

static void put_two_digits(char *o, uint32_t v)
{
	if (v > 99)
		v = 99;
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

/* Sorts n (at most 32,768) values of sort_space-sized v: two byte-wise
 * counting passes through sort_tmp, linear in n. Not qsort: glibc's
 * allocates its merge buffer with malloc beyond 1 KiB, per hello. */
static void sort_u16(uint16_t *v, uint32_t n)
{
	uint16_t *from = v, *to = sort_tmp;
	for (int shift = 0; shift < 16; shift += 8) {
		uint32_t count[257] = { 0 };
		for (uint32_t i = 0; i < n; i++)
			count[((from[i] >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (uint32_t i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xff]++] = from[i];
		uint16_t *swap = from;
		from = to;
		to = swap;
	}
	/* Two passes: the sorted values are back in v. */
}

static void sink_sorted_hex(struct sink *s, uint16_t *v, uint32_t n)
{
	sort_u16(v, n);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			sink_char(s, ',');
		sink_hex4(s, v[i]);
	}
}

/* The fingerprint of a hello split already (hello_split). */
static bool ja4_of(const struct hello *h, char out[37])
{

	/* The a part. */
	uint16_t version = h->version;
	bool sni = false;
	uint32_t n_exts = 0;
	char alpn[2] = { '0', '0' };
	bool have_alpn = false;
	struct cursor exts = h->exts, ext;
	uint16_t t;
	while (next_ext(&exts, &t, &ext)) {
		if (is_grease(t))
			continue;
		n_exts++;
		if (t == EXT_SERVER_NAME)
			sni = true;
		if (t == EXT_ALPN && !have_alpn) {
			const uint8_t *p;
			uint32_t n;
			have_alpn = true;
			if (first_alpn(ext, &p, &n))
				ja4_alpn(p, n, alpn);
		}
	}
	if (find_ext(h->exts, EXT_SUPPORTED_VERSIONS, &ext)) {
		struct cursor list = cur_sub(&ext, cur_u8(&ext));
		uint16_t best = 0;
		while (cur_left(&list) >= 2) {
			uint16_t v = cur_be16(&list);
			if (!is_grease(v) && v > best)
				best = v;
		}
		if (best)
			version = best;
	}
	uint32_t n_ciphers = 0;
	struct cursor ciphers = h->ciphers;
	while (cur_left(&ciphers) >= 2) {
		uint16_t v = cur_be16(&ciphers);
		if (!is_grease(v))
			sort_space[n_ciphers++] = v;
	}
	char *o = out;
	*o++ = 't';
	memcpy(o, ja4_version(version), 2);
	o += 2;
	*o++ = sni ? 'd' : 'i';
	put_two_digits(o, n_ciphers);
	o += 2;
	put_two_digits(o, n_exts);
	o += 2;
	*o++ = alpn[0];
	*o++ = alpn[1];
	*o++ = '_';

	/* The b part: sorted ciphers. */
	struct sink s;
	sink_start(&s, false, NULL, 0);
	sink_sorted_hex(&s, sort_space, n_ciphers);
	sink_finish(&s, o);
	o += 12;
	*o++ = '_';

	/* The c part: sorted extensions less SNI and ALPN, signature algorithms. */
	uint32_t n = 0;
	exts = h->exts;
	while (next_ext(&exts, &t, &ext))
		if (!is_grease(t) && t != EXT_SERVER_NAME && t != EXT_ALPN)
			sort_space[n++] = t;
	sink_start(&s, false, NULL, 0);
	sink_sorted_hex(&s, sort_space, n);
	if (find_ext(h->exts, EXT_SIGNATURE_ALGORITHMS, &ext)) {
		struct cursor algs = cur_sub(&ext, cur_be16(&ext));
		for (bool first = true; cur_left(&algs) >= 2; first = false) {
			sink_char(&s, first ? '_' : ',');
			sink_hex4(&s, cur_be16(&algs));
		}
	}
	sink_finish(&s, o);
	return true;
}

bool tls_ja4(const uint8_t *body, uint32_t len, char out[37])
{
	struct hello h;
	out[0] = 0;
	return hello_split(body, len, true, &h) && ja4_of(&h, out);
}

/* The fingerprint of a hello split already (hello_split). */
static bool ja4s_of(const struct hello *h, char out[26])
{
	uint16_t version = h->version;
	uint32_t n_exts = 0;
	char alpn[2] = { '0', '0' };
	bool have_alpn = false;
	struct cursor exts = h->exts, ext;
	uint16_t t;
	while (next_ext(&exts, &t, &ext)) {
		n_exts++;
		if (t == EXT_SUPPORTED_VERSIONS && cur_left(&ext) >= 2)
			version = cur_peek_be16(&ext, 0);
		if (t == EXT_ALPN && !have_alpn) {
			const uint8_t *p;
			uint32_t n;
			have_alpn = true;
			if (first_alpn(ext, &p, &n))
				ja4_alpn(p, n, alpn);
		}
	}
	char *o = out;
	*o++ = 't';
	memcpy(o, ja4_version(version), 2);
	o += 2;
	put_two_digits(o, n_exts);
	o += 2;
	*o++ = alpn[0];
	*o++ = alpn[1];
	*o++ = '_';
	for (int shift = 12; shift >= 0; shift -= 4)
		*o++ = hexdigits[(h->cipher >> shift) & 15];
	*o++ = '_';
	struct sink s;
	sink_start(&s, false, NULL, 0);
	exts = h->exts;
	for (bool first = true; next_ext(&exts, &t, &ext); first = false) {
		if (!first)
			sink_char(&s, ',');
		sink_hex4(&s, t);
	}
	sink_finish(&s, o);
	return true;
}

bool tls_ja4s(const uint8_t *body, uint32_t len, char out[26])
{
	struct hello h;
	out[0] = 0;
	return hello_split(body, len, false, &h) && ja4s_of(&h, out);
}

/* ---- records -------------------------------------------------------------- */

/* What filling a record needs. */
struct fill {
	struct app_env *env;
	ProtobufCMessage *rec;
	bool bad;                   /* a length contradicted the message */
};

static void fill_bad(struct fill *f)
{
	if (!f->bad)
		decode_note(f->env->ctx, PROTO_TLS, REASON_BAD_LENGTH);
	f->bad = true;
}

static void fill_capped(struct fill *f)
{
	decode_capped(f->env->ctx, f->env->pkt, PROTO_TLS, f->rec);
}

/* n bytes copied into the arena (at most max: more is a cut). */
static ProtobufCBinaryData fill_bytes(struct fill *f, const uint8_t *p, uint32_t n, uint32_t max)
{
	if (!p || !n)
		return pb_bytes(NULL, 0);
	if (n > max) {
		n = max;
		fill_capped(f);
	}
	uint8_t *copy = arena_alloc(&f->env->ctx->arena, n);
	if (!copy)
		return pb_bytes(NULL, 0);
	memcpy(copy, p, n);
	return pb_bytes(copy, n);
}

static char *fill_text(struct fill *f, const uint8_t *p, uint32_t n)
{
	if (!p)
		return (char *)protobuf_c_empty_string;
	if (n > TLS_MAX_TEXT) {
		n = TLS_MAX_TEXT;
		fill_capped(f);
	}
	return arena_strndup(&f->env->ctx->arena, (const char *)p, n);
}

/* An array of up to `max` int32 for a list of `n` items. */
static int32_t *fill_ints(struct fill *f, size_t n, size_t max, size_t *keep)
{
	*keep = n < max ? n : max;
	if (n > max)
		fill_capped(f);
	if (!*keep)
		return NULL;
	int32_t *a = arena_alloc(&f->env->ctx->arena, *keep * sizeof *a);
	if (!a)
		*keep = 0;
	return a;
}

/* A list of 16-bit values after its 2-byte length (extensions 10, 13). */
static void fill_list16(struct fill *f, struct cursor ext, size_t max, size_t *n_out, int32_t **out)
{
	uint32_t n = cur_be16(&ext);
	struct cursor list = cur_sub(&ext, n);
	if (!cur_ok(&ext) || n % 2)
		fill_bad(f);
	size_t keep;
	int32_t *a = fill_ints(f, cur_left(&list) / 2, max, &keep);
	for (size_t i = 0; i < keep; i++)
		a[i] = cur_be16(&list);
	*n_out = keep;
	*out = a;
}

/* Protocol names, each with a one-byte length (ALPN, NPN). */
static void fill_names(struct fill *f, struct cursor list, size_t *n_out, char ***out)
{
	struct cursor count = list;
	size_t n = 0;
	while (cur_left(&count)) {
		cur_skip(&count, cur_u8(&count));
		n++;
	}
	if (!cur_ok(&count))
		fill_bad(f);
	size_t keep = n < TLS_MAX_ALPNS ? n : TLS_MAX_ALPNS;
	if (n > TLS_MAX_ALPNS)
		fill_capped(f);
	char **a = keep ? arena_alloc(&f->env->ctx->arena, keep * sizeof *a) : NULL;
	if (!a)
		keep = 0;
	size_t i = 0;
	while (i < keep) {
		uint8_t len = cur_u8(&list);
		const uint8_t *p = cur_bytes(&list, len);
		if (!p)
			break;
		a[i++] = fill_text(f, p, len);
	}
	*n_out = i;
	*out = a;
}

static void fill_endpoints(struct app_env *env, struct stream_conn *c, int dir, char **srcip,
			   char **dstip, int32_t *srcport, int32_t *dstport, char **srcmac, char **dstmac)
{
	app_endpoints(env, c, dir, srcip, dstip, srcport, dstport);
	const struct packet *pkt = env->pkt;
	if (pkt->has_mac && pkt->has_ports && pkt->src_port == (uint16_t)*srcport) {
		*srcmac = format_mac(&env->ctx->arena, pkt->src_mac);
		*dstmac = format_mac(&env->ctx->arena, pkt->dst_mac);
	}
}

static void client_hello_record(struct app_env *env, struct stream_conn *c, const struct tls_dir *t,
				const uint8_t *body, uint32_t len, int64_t ts)
{
	app_make_room(env, 1);
	Types__TLSClientHello *r = RECORD_NEW(env->ctx, env->pkt, TLSClientHello, tlsclient_hello);
	if (!r)
		return;
	struct fill f = { .env = env, .rec = &r->base };
	r->timestamp = ts;
	r->type = CT_HANDSHAKE;
	r->version = t->first_version;
	r->messagelen = t->first_len;
	r->handshaketype = HS_CLIENT_HELLO;
	r->handshakelen = len;
	fill_endpoints(env, c, 0, &r->srcip, &r->dstip, &r->srcport, &r->dstport, &r->srcmac,
		       &r->dstmac);

	struct cursor cur = cur_make(body, len);
	r->handshakeversion = cur_be16(&cur);
	r->random = fill_bytes(&f, cur_bytes(&cur, 32), 32, 32);
	r->sessionidlen = cur_u8(&cur);
	r->sessionid = fill_bytes(&f, cur_bytes(&cur, r->sessionidlen), r->sessionidlen, TLS_MAX_TEXT);
	uint16_t cs_len = cur_be16(&cur);
	struct cursor cs = cur_sub(&cur, cs_len);
	r->ciphersuitelen = cs_len;
	if (cs_len % 2)
		fill_bad(&f);
	size_t keep;
	r->ciphersuites = fill_ints(&f, cur_left(&cs) / 2, TLS_MAX_CIPHERS, &keep);
	for (size_t i = 0; i < keep; i++)
		r->ciphersuites[i] = cur_be16(&cs);
	r->n_ciphersuites = keep;
	struct cursor comp = cur_sub(&cur, cur_u8(&cur));
	r->compressmethods = fill_ints(&f, cur_left(&comp), TLS_MAX_COMPRESS, &keep);
	for (size_t i = 0; i < keep; i++)
		r->compressmethods[i] = cur_u8(&comp);
	r->n_compressmethods = keep;
	if (!cur_ok(&cur))
		fill_bad(&f);

	struct cursor exts = cur_make(NULL, 0);
	if (cur_ok(&cur) && cur_left(&cur)) {
		r->extensionlen = cur_be16(&cur);
		exts = cur_sub(&cur, (uint32_t)r->extensionlen);
		if (!cur_ok(&cur))
			fill_bad(&f);
	}
	size_t ext_keep;
	r->extensions = fill_ints(&f, count_exts(exts), TLS_MAX_EXTENSIONS, &ext_keep);
	size_t n_ext = 0;
	uint16_t type;
	struct cursor ext;
	bool have_groups = false, have_points = false, have_algs = false, have_alpn = false;
	while (cur_left(&exts)) {
		if (!next_ext(&exts, &type, &ext)) {
			fill_bad(&f);
			break;
		}
		if (n_ext < ext_keep)
			r->extensions[n_ext++] = type;
		switch (type) {
		case EXT_SERVER_NAME: {
			struct cursor list = cur_sub(&ext, cur_be16(&ext));
			while (cur_left(&list)) {
				uint8_t name_type = cur_u8(&list);
				uint16_t n = cur_be16(&list);
				const uint8_t *p = cur_bytes(&list, n);
				if (p && name_type == 0 && r->sni == protobuf_c_empty_string) {
					r->sni = fill_text(&f, p, n);
					break;
				}
			}
			if (!cur_ok(&ext) || !cur_ok(&list))
				fill_bad(&f);
			break;
		}
		case EXT_STATUS_REQUEST:
			r->oscp = true;
			break;
		case EXT_SUPPORTED_GROUPS:
			if (!have_groups)
				fill_list16(&f, ext, TLS_MAX_GROUPS, &r->n_supportedgroups, &r->supportedgroups);
			have_groups = true;
			break;
		case EXT_EC_POINT_FORMATS:
			if (!have_points) {
				uint8_t n = cur_u8(&ext);
				struct cursor list = cur_sub(&ext, n);
				if (!cur_ok(&ext))
					fill_bad(&f);
				r->supportedpoints = fill_ints(&f, cur_left(&list), TLS_MAX_POINTS, &keep);
				for (size_t i = 0; i < keep; i++)
					r->supportedpoints[i] = cur_u8(&list);
				r->n_supportedpoints = keep;
			}
			have_points = true;
			break;
		case EXT_SIGNATURE_ALGORITHMS:
			if (!have_algs)
				fill_list16(&f, ext, TLS_MAX_SIGALGS, &r->n_signaturealgs, &r->signaturealgs);
			have_algs = true;
			break;
		case EXT_ALPN:
			if (!have_alpn) {
				struct cursor list = cur_sub(&ext, cur_be16(&ext));
				if (!cur_ok(&ext))
					fill_bad(&f);
				fill_names(&f, list, &r->n_alpns, &r->alpns);
			}
			have_alpn = true;
			break;
		}
	}
	r->n_extensions = n_ext;

	if (f.bad) {
		record_set_truncated(&r->base);
		return;
	}
	/* Split once for both fingerprints. */
	struct hello h;
	char ja3[33], ja4[37];
	if (!hello_split(body, len, true, &h))
		return;
	if (ja3_of(&h, ja3, NULL, 0))
		r->ja3 = arena_strndup(&env->ctx->arena, ja3, 32);
	if (ja4_of(&h, ja4))
		r->ja4 = arena_strndup(&env->ctx->arena, ja4, strlen(ja4));
}

static void server_hello_record(struct app_env *env, struct stream_conn *c, const uint8_t *body,
				uint32_t len, int64_t ts)
{
	app_make_room(env, 1);
	Types__TLSServerHello *r = RECORD_NEW(env->ctx, env->pkt, TLSServerHello, tlsserver_hello);
	if (!r)
		return;
	struct fill f = { .env = env, .rec = &r->base };
	r->timestamp = ts;
	fill_endpoints(env, c, 1, &r->srcip, &r->dstip, &r->srcport, &r->dstport, &r->srcmac,
		       &r->dstmac);

	struct cursor cur = cur_make(body, len);
	r->version = cur_be16(&cur);
	r->random = fill_bytes(&f, cur_bytes(&cur, 32), 32, 32);
	uint8_t sid_len = cur_u8(&cur);
	r->sessionid = fill_bytes(&f, cur_bytes(&cur, sid_len), sid_len, TLS_MAX_TEXT);
	r->ciphersuite = cur_be16(&cur);
	r->compressionmethod = cur_u8(&cur);
	if (!cur_ok(&cur))
		fill_bad(&f);
	struct cursor exts = cur_make(NULL, 0);
	if (cur_ok(&cur) && cur_left(&cur)) {
		uint16_t n = cur_be16(&cur);
		exts = cur_sub(&cur, n);
		if (!cur_ok(&cur))
			fill_bad(&f);
	}
	size_t keep;
	r->extensions = fill_ints(&f, count_exts(exts), TLS_MAX_EXTENSIONS, &keep);
	size_t n_ext = 0;
	uint16_t type;
	struct cursor ext;
	while (cur_left(&exts)) {
		if (!next_ext(&exts, &type, &ext)) {
			fill_bad(&f);
			break;
		}
		if (n_ext < keep)
			r->extensions[n_ext++] = type;
		switch (type) {
		case EXT_NEXT_PROTOCOL_NEGOTIATION:
			r->nextprotoneg = true;
			if (!r->n_nextprotos)
				fill_names(&f, ext, &r->n_nextprotos, &r->nextprotos);
			break;
		case EXT_STATUS_REQUEST:
			r->ocspstapling = true;
			break;
		case EXT_SESSION_TICKET:
			r->ticketsupported = true;
			break;
		case EXT_RENEGOTIATION_INFO: {
			/* As Go's crypto/tls: the renegotiated_connection bytes. */
			r->securerenegotiationsupported = true;
			uint8_t n = cur_u8(&ext);
			const uint8_t *p = cur_bytes(&ext, n);
			if (!p)
				fill_bad(&f);
			r->securerenegotiation = fill_bytes(&f, p, n, TLS_MAX_TEXT);
			break;
		}
		case EXT_ALPN: {
			struct cursor list = cur_sub(&ext, cur_be16(&ext));
			uint8_t n = cur_u8(&list);
			const uint8_t *p = cur_bytes(&list, n);
			if (!p)
				fill_bad(&f);
			else if (r->alpnprotocol == protobuf_c_empty_string)
				r->alpnprotocol = fill_text(&f, p, n);
			break;
		}
		case EXT_EXTENDED_MASTER_SECRET:
			r->ems = true;
			break;
		case EXT_SCT: {
			if (r->n_scts)
				break;
			struct cursor list = cur_sub(&ext, cur_be16(&ext));
			struct cursor count = list;
			size_t n = 0;
			while (cur_left(&count)) {
				cur_skip(&count, cur_be16(&count));
				n++;
			}
			if (!cur_ok(&ext) || !cur_ok(&count))
				fill_bad(&f);
			struct cap cap = CAP(TLS_MAX_SCTS, TLS_MAX_SCT_BYTES);
			r->scts = n ? arena_alloc(&env->ctx->arena,
						  (n < TLS_MAX_SCTS ? n : TLS_MAX_SCTS) * sizeof *r->scts)
				    : NULL;
			while (r->scts && cur_left(&list)) {
				uint16_t sn = cur_be16(&list);
				const uint8_t *p = cur_bytes(&list, sn);
				if (!p)
					break;
				if (!cap_take(&cap, sn)) {
					fill_capped(&f);
					break;
				}
				r->scts[r->n_scts++] = fill_bytes(&f, p, sn, sn);
			}
			break;
		}
		case EXT_SUPPORTED_VERSIONS:
			r->supportedversion = cur_be16(&ext);
			if (!cur_ok(&ext))
				fill_bad(&f);
			break;
		case EXT_PRE_SHARED_KEY:
			r->selectedidentitypresent = true;
			r->selectedidentity = cur_be16(&ext);
			if (!cur_ok(&ext))
				fill_bad(&f);
			break;
		case EXT_COOKIE: {
			uint16_t n = cur_be16(&ext);
			const uint8_t *p = cur_bytes(&ext, n);
			if (!p)
				fill_bad(&f);
			r->cookie = fill_bytes(&f, p, n, TLS_MAX_COOKIE);
			break;
		}
		case EXT_KEY_SHARE:
			/* ServerHello: group, key; HelloRetryRequest: the group alone. */
			r->selectedgroup = cur_be16(&ext);
			if (!cur_ok(&ext))
				fill_bad(&f);
			break;
		}
	}
	r->n_extensions = n_ext;

	if (f.bad) {
		record_set_truncated(&r->base);
		return;
	}
	struct hello h;
	char ja3s[33], ja4s[26];
	if (!hello_split(body, len, false, &h))
		return;
	if (ja3s_of(&h, ja3s, NULL, 0))
		r->ja3s = arena_strndup(&env->ctx->arena, ja3s, 32);
	if (ja4s_of(&h, ja4s))
		r->ja4s = arena_strndup(&env->ctx->arena, ja4s, strlen(ja4s));
}

/* ---- the stream ------------------------------------------------------------ */

void tls_init(struct tls_state *s, const struct app_settings *settings)
{
	uint32_t max = settings ? settings->tls_handshake_max : APP_DEFAULT_TLS_HANDSHAKE_MAX;
	if (max > TLS_HANDSHAKE_LIMIT)
		max = TLS_HANDSHAKE_LIMIT;
	memset(s, 0, sizeof *s);
	s->handshake_max = max;
	for (int d = 0; d < 2; d++)
		bytebuf_init(&s->dir[d].msg, max);
}

/* The direction needs nothing more. */
static void tls_stop(struct app_env *env, struct stream_conn *c, struct tls_dir *t, int dir)
{
	t->done = true;
	bytebuf_clear(env->blocks, &t->msg);
	c->ignore[dir] = true;
}

static void tls_fault(struct app_env *env, struct stream_conn *c, struct tls_dir *t, int dir,
		      enum decode_reason why)
{
	decode_note(env->ctx, PROTO_TLS, why);
	tls_stop(env, c, t, dir);
}

static void hello_done(struct app_env *env, struct stream_conn *c, struct tls_dir *t, int dir,
		       const uint8_t *body, uint32_t len, int64_t ts)
{
	if (dir == 0)
		client_hello_record(env, c, t, body, len, ts);
	else
		server_hello_record(env, c, body, len, ts);
	tls_stop(env, c, t, dir);
}

/* Handshake bytes of a record, in order. */
static void handshake_bytes(struct app_env *env, struct stream_conn *c, struct tls_state *s,
			    struct tls_dir *t, int dir, const uint8_t *p, uint32_t n, int64_t ts)
{
	while (!t->done && (n || (t->hs_hdr_have == 4 && t->hs_have == t->hs_len))) {
		if (t->hs_hdr_have < 4) {
			t->hs_hdr[t->hs_hdr_have++] = *p++;
			n--;
			if (t->hs_hdr_have < 4)
				continue;
			t->hs_len = (uint32_t)t->hs_hdr[1] << 16 | (uint32_t)t->hs_hdr[2] << 8 | t->hs_hdr[3];
			t->hs_have = 0;
			t->hs_wanted = t->hs_hdr[0] == (dir == 0 ? HS_CLIENT_HELLO : HS_SERVER_HELLO);
			if (t->hs_wanted && t->hs_len > s->handshake_max) {
				tls_fault(env, c, t, dir, REASON_CAPPED);
				return;
			}
		}
		uint32_t take = t->hs_len - t->hs_have;
		if (take > n)
			take = n;
		if (t->hs_wanted) {
			if (t->hs_have == 0 && take == t->hs_len) {
				/* Whole here: parsed in place. */
				hello_done(env, c, t, dir, p, take, ts);
				return;
			}
			if (bytebuf_append(env->blocks, &t->msg, p, take) < take) {
				tls_fault(env, c, t, dir, REASON_MEMORY);
				return;
			}
		}
		t->hs_have += take;
		p += take;
		n -= take;
		if (t->hs_have == t->hs_len) {
			if (t->hs_wanted) {
				uint32_t len = t->msg.len;
				if (!bytebuf_copy(&t->msg, 0, joined, len)) {
					tls_fault(env, c, t, dir, REASON_MEMORY);
					return;
				}
				hello_done(env, c, t, dir, joined, len, ts);
				return;
			}
			t->hs_hdr_have = 0;   /* the next message */
		}
	}
}

void tls_data(struct app_env *env, struct stream_conn *c, struct tls_state *s, int dir,
	      const uint8_t *d, uint32_t n, int64_t ts)
{
	dir = dir ? 1 : 0;
	struct tls_dir *t = &s->dir[dir];
	while (!t->done && n) {
		if (t->rec_left == 0) {
			/* A record header. */
			t->hdr[t->hdr_have++] = *d++;
			n--;
			/* An SSLv2 header has the high bit set and, in a
			 * ClientHello, message type 1 in its third byte. */
			if (t->hdr_have == 3 && !t->seen_record && dir == 0 && (t->hdr[0] & 0x80)) {
				tls_fault(env, c, t, dir,
					  t->hdr[2] == HS_CLIENT_HELLO ? REASON_BAD_VERSION : REASON_BAD_VALUE);
				return;
			}
			if (t->hdr_have < 5)
				continue;
			t->hdr_have = 0;
			uint8_t type = t->hdr[0];
			uint16_t len = (uint16_t)(t->hdr[3] << 8 | t->hdr[4]);
			if (type < CT_CHANGE_CIPHER_SPEC || type > 24 || t->hdr[1] != 3 || len > TLS_RECORD_MAX) {
				tls_fault(env, c, t, dir, REASON_BAD_VALUE);
				return;
			}
			if (!t->seen_record) {
				t->seen_record = true;
				t->first_version = (uint16_t)(t->hdr[1] << 8 | t->hdr[2]);
				t->first_len = len;
			}
			if (type != CT_HANDSHAKE && type != CT_ALERT) {
				/* Encrypted from here on: nothing more to read. */
				tls_stop(env, c, t, dir);
				return;
			}
			/* An alert (a warning such as unrecognized_name may come
			 * before the ServerHello) is skipped; the hello may follow. */
			t->skipping = type == CT_ALERT;
			t->rec_left = len;
			continue;
		}
		uint32_t take = t->rec_left < n ? t->rec_left : n;
		if (!t->skipping)
			handshake_bytes(env, c, s, t, dir, d, take, ts);
		t->rec_left -= take;
		d += take;
		n -= take;
	}
}

void tls_gap(struct app_env *env, struct stream_conn *c, struct tls_state *s, int dir, uint32_t n,
	     int64_t ts)
{
	(void)n;
	(void)ts;
	dir = dir ? 1 : 0;
	if (!s->dir[dir].done)
		tls_stop(env, c, &s->dir[dir], dir);
}

void tls_end(struct app_env *env, struct stream_conn *c, struct tls_state *s, int64_t ts)
{
	(void)c;
	(void)ts;
	for (int d = 0; d < 2; d++)
		bytebuf_clear(env->blocks, &s->dir[d].msg);
}
