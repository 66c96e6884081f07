/* alerts.c: the eve.json and fast.log parsers of alerts.h, the interned
 * text, and the TZif reader that turns fast.log's local times into UTC
 * without the C library's process-wide TZ. See docs/labeling.md. */
#include "label/alerts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/siphash.h"

#define NS_PER_SEC 1000000000LL
/* Years a timestamp may name: the range int64 nanoseconds hold with room,
 * and far wider than any capture. */
#define YEAR_MIN 1970
#define YEAR_MAX 2200

/* ---- interned text ---------------------------------------------------- */

/* Strings live in chunks that never move (struct alert points into them);
 * a keyed open-addressing table finds an existing copy. Keyed, because the
 * texts come from the input: fixed hashing would let a crafted log put
 * every signature in one probe chain. */
#define INTERN_CHUNK (64u << 10)

struct intern_chunk {
	struct intern_chunk *next;
	size_t used, size;
	char data[];
};

struct alert_intern {
	struct sip_key key;
	const char **slots;
	uint32_t mask, count;
	struct intern_chunk *chunks;
};

static struct alert_intern *intern_new(void)
{
	struct alert_intern *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->mask = 255;
	in->slots = calloc(in->mask + 1u, sizeof *in->slots);
	if (!in->slots) {
		free(in);
		return NULL;
	}
	if (getrandom(&in->key, sizeof in->key, GRND_NONBLOCK) != (ssize_t)sizeof in->key) {
		/* No entropy yet: still correct, only predictable. */
		in->key.k0 = 0x6e65746361706c61ULL;
		in->key.k1 = (uint64_t)(uintptr_t)in;
	}
	return in;
}

static void intern_free(struct alert_intern *in)
{
	if (!in)
		return;
	for (struct intern_chunk *c = in->chunks, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(in->slots);
	free(in);
}

static bool intern_grow(struct alert_intern *in)
{
	uint32_t mask = in->mask * 2 + 1;
	const char **slots = calloc(mask + 1u, sizeof *slots);
	if (!slots)
		return false;
	for (uint32_t i = 0; i <= in->mask; i++) {
		const char *s = in->slots[i];
		if (!s)
			continue;
		uint32_t h = (uint32_t)flow_siphash13(&in->key, s, strlen(s)) & mask;
		while (slots[h])
			h = (h + 1) & mask;
		slots[h] = s;
	}
	free(in->slots);
	in->slots = slots;
	in->mask = mask;
	return true;
}

/* The one copy of s[0..len) (no NUL inside), or NULL when out of memory. */
static const char *intern(struct alert_intern *in, const char *s, size_t len)
{
	uint32_t h = (uint32_t)flow_siphash13(&in->key, s, len) & in->mask;
	for (const char *t; (t = in->slots[h]); h = (h + 1) & in->mask)
		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			return t;
	if ((in->count + 1) * 4 > (in->mask + 1) * 3) {
		if (!intern_grow(in))
			return NULL;
		return intern(in, s, len);
	}
	struct intern_chunk *c = in->chunks;
	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > INTERN_CHUNK ? len + 1 : INTERN_CHUNK;
		c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		/* A big string gets its own chunk behind the current one, so the
		 * current one's free space is not lost. */
		if (in->chunks && size > INTERN_CHUNK) {
			c->next = in->chunks->next;
			in->chunks->next = c;
		} else {
			c->next = in->chunks;
			in->chunks = c;
		}
	}
	char *copy = c->data + c->used;
	memcpy(copy, s, len);
	copy[len] = '\0';
	c->used += len + 1;
	in->slots[h] = copy;
	in->count++;
	return copy;
}

/* ---- the set ----------------------------------------------------------- */

int alert_set_init(struct alert_set *set)
{
	memset(set, 0, sizeof *set);
	set->max_alerts = ALERT_MAX_DEFAULT;
	set->report_max = ALERT_REPORT_MAX;
	set->intern = intern_new();
	return set->intern ? 0 : -1;
}

void alert_set_free(struct alert_set *set)
{
	free(set->alerts);
	for (uint32_t i = 0; i < set->n_sources; i++)
		free((char *)set->sources[i]);
	free(set->sources);
	intern_free(set->intern);
	memset(set, 0, sizeof *set);
}

int alert_set_add_source(struct alert_set *set, const char *name)
{
	if (set->n_sources >= UINT32_MAX / 2)
		return -1;
	const char **v = realloc(set->sources, (set->n_sources + 1u) * sizeof *v);
	if (!v)
		return -1;
	set->sources = v;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	v[set->n_sources] = copy;
	return (int)set->n_sources++;
}

static const char *source_name(const struct alert_set *set, uint32_t source)
{
	return source < set->n_sources ? set->sources[source] : "?";
}

/* Reports a problem when under the report limit; always counts it as
 * reported (so the limit is noted once). */
static void __attribute__((format(printf, 4, 5)))
report(struct alert_set *set, uint32_t source, uint32_t lineno, const char *fmt, ...)
{
	uint64_t n = set->reported++;
	if (n > set->report_max)
		return;
	char msg[512];
	if (n == set->report_max) {
		snprintf(msg, sizeof msg, "%s: more problems: only counted from here on",
			 source_name(set, source));
	} else {
		int k = lineno ? snprintf(msg, sizeof msg, "%s:%u: ", source_name(set, source), lineno)
			       : snprintf(msg, sizeof msg, "%s: ", source_name(set, source));
		if (k < 0 || (size_t)k >= sizeof msg)
			k = 0;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
		va_end(ap);
	}
	if (set->report)
		set->report(set->report_arg, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* A malformed line: reported, counted; returns -1 for the parsers. */
#define MALFORMED(set, source, lineno, ...)                     \
	(report((set), (source), (lineno), __VA_ARGS__),        \
	 (set)->stats.malformed++, -1)

/* Appends a parsed alert; 1, 0 (past max_alerts) or -2. */
static int add_alert(struct alert_set *set, struct alert *a, uint32_t source, uint32_t lineno)
{
	if (set->max_alerts && set->n >= set->max_alerts) {
		if (set->stats.dropped++ == 0)
			report(set, source, lineno, "alerts: more than %zu: the rest are dropped (counted)",
			       set->max_alerts);
		return 0;
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		struct alert *v = realloc(set->alerts, cap * sizeof *v);
		if (!v)
			return -2;
		set->alerts = v;
		set->cap = cap;
	}
	a->source = source;
	a->line = lineno;
	set->alerts[set->n++] = *a;
	set->stats.alerts++;
	return 1;
}

/* ---- small parsers ----------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Exactly n decimal digits at *p (advanced); -1 when not. */
static int64_t digits(const char **p, const char *end, int n)
{
	int64_t v = 0;
	for (int i = 0; i < n; i++) {
		if (*p >= end || (unsigned)(**p - '0') > 9)
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* Checks a calendar date and time and returns its seconds as if UTC, or
 * false with *why set. */
static bool civil_seconds(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s,
			  int64_t *out, const char **why)
{
	if (y < YEAR_MIN || y > YEAR_MAX) {
		*why = "year out of range (1970 to 2200)";
		return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo)) {
		*why = "no such date";
		return false;
	}
	/* Suricata prints times from a timeval: never a leap second 60. */
	if (h > 23 || mi > 59 || s > 59) {
		*why = "no such time of day";
		return false;
	}
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

/* ".d{1,9}" at *p when there: the nanoseconds; 0 when absent; -1 bad. */
static int64_t fraction(const char **p, const char *end)
{
	if (*p >= end || **p != '.')
		return 0;
	(*p)++;
	int64_t ns = 0;
	int n = 0;
	while (*p < end && (unsigned)(**p - '0') <= 9) {
		if (++n > 9)
			return -1;
		ns = ns * 10 + (*(*p)++ - '0');
	}
	if (n == 0)
		return -1;
	while (n++ < 9)
		ns *= 10;
	return ns;
}

/* Suricata's eve timestamp, "2016-08-02T02:20:59.123456+0200" (also "Z",
 * "+02:00", "+02"), as Unix ns. */
static bool parse_eve_time(const char *s, size_t len, int64_t *ts, const char **why)
{
	const char *p = s, *end = s + len;
	int64_t y = digits(&p, end, 4);
	bool ok = y >= 0 && expect(&p, end, '-');
	int64_t mo = ok ? digits(&p, end, 2) : -1;
	ok = ok && mo >= 0 && expect(&p, end, '-');
	int64_t d = ok ? digits(&p, end, 2) : -1;
	ok = ok && d >= 0 && (expect(&p, end, 'T') || expect(&p, end, ' '));
	int64_t h = ok ? digits(&p, end, 2) : -1;
	ok = ok && h >= 0 && expect(&p, end, ':');
	int64_t mi = ok ? digits(&p, end, 2) : -1;
	ok = ok && mi >= 0 && expect(&p, end, ':');
	int64_t sec = ok ? digits(&p, end, 2) : -1;
	if (!ok || sec < 0) {
		*why = "not YYYY-MM-DDTHH:MM:SS";
		return false;
	}
	int64_t ns = fraction(&p, end);
	if (ns < 0) {
		*why = "bad fraction of a second (1 to 9 digits)";
		return false;
	}
	int64_t offset;
	if (expect(&p, end, 'Z')) {
		offset = 0;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;
		int64_t oh = digits(&p, end, 2), om = 0;
		if (oh >= 0 && p < end) {
			bool colon = expect(&p, end, ':');
			om = digits(&p, end, 2);
			(void)colon;
		}
		if (oh < 0 || om < 0 || oh > 23 || om > 59) {
			*why = "bad UTC offset";
			return false;
		}
		offset = sign * (oh * 3600 + om * 60);
	} else {
		*why = "no UTC offset (Z or +HHMM)";
		return false;
	}
	if (p != end) {
		*why = "text after the UTC offset";
		return false;
	}
	int64_t local;
	if (!civil_seconds(y, mo, d, h, mi, sec, &local, why))
		return false;
	*ts = (local - offset) * NS_PER_SEC + ns;
	return true;
}

int alert_parse_addr(const char *s, size_t len, uint8_t out[16])
{
	char buf[64];
	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 6;
	return 0;
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static bool proto_is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

int alert_proto_number(const char *name, size_t len)
{
	/* The names Suricata prints (its table from /etc/protocols' aliases);
	 * the common ones are known here so that no system file decides. */
	static const struct { const char *name; uint8_t number; } names[] = {
		{ "TCP", 6 }, { "UDP", 17 }, { "ICMP", 1 }, { "IPv6-ICMP", 58 },
		{ "ICMPv6", 58 }, { "SCTP", 132 }, { "GRE", 47 }, { "ESP", 50 },
		{ "AH", 51 }, { "IGMP", 2 }, { "IPv6", 41 }, { "IPIP", 94 },
		{ "IP-in-IP", 4 }, { "IPv4", 4 }, { "UDPLite", 136 }, { "DCCP", 33 },
		{ "PIM", 103 }, { "VRRP", 112 }, { "OSPFIGP", 89 }, { "OSPF", 89 },
		{ "L2TP", 115 }, { "IPv6-NoNxt", 59 }, { "IPv6-Frag", 44 },
		{ "IPv6-Route", 43 }, { "IPv6-Opts", 60 }, { "HOPOPT", 0 },
	};
	if (len >= 6 && strncmp(name, "PROTO:", 6) == 0) {
		name += 6;
		len -= 6;
	}
	if (len >= 1 && len <= 3) {
		unsigned v = 0;
		size_t i = 0;
		while (i < len && (unsigned)(name[i] - '0') <= 9)
			v = v * 10 + (unsigned)(name[i++] - '0');
		if (i == len)
			return v <= 255 ? (int)v : -1;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0)
			return names[i].number;
	/* Any other name Suricata took from /etc/protocols. */
	char buf[64], work[1024];
	if (len == 0 || len >= sizeof buf || memchr(name, '\0', len))
		return -1;
	memcpy(buf, name, len);
	buf[len] = '\0';
	struct protoent pe, *res = NULL;
	if (getprotobyname_r(buf, &pe, work, sizeof work, &res) == 0 && res)
		return res->p_proto >= 0 && res->p_proto <= 255 ? res->p_proto : -1;
	return -1;
}

/* ---- eve.json ---------------------------------------------------------- */

/* The integer member key of obj in [lo, hi]; false with *why. */
static bool json_int_field(json_t *obj, const char *key, long long lo, long long hi,
			   long long *out, const char **why)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		*why = "missing";
		return false;
	}
	if (!json_is_integer(v)) {
		*why = "not an integer";
		return false;
	}
	long long x = json_integer_value(v);
	if (x < lo || x > hi) {
		*why = "out of range";
		return false;
	}
	*out = x;
	return true;
}

static const char *json_str_field(json_t *obj, const char *key, size_t *len, const char **why)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		*why = "missing";
		return NULL;
	}
	if (!json_is_string(v)) {
		*why = "not a string";
		return NULL;
	}
	*len = json_string_length(v);
	return json_string_value(v);
}

/* Whether an eve.json object line may be an alert event. Suricata writes
 * `"event_type":"dns"` just so: a line whose first such pair names another
 * type in plain letters is not an alert. Where the pair is absent or
 * spelled otherwise (spaces, \u escapes), a line holding neither the text
 * "alert" in quotes (an alert event holds it twice) nor a \u escape cannot
 * be one either; anything else is parsed. Skipped lines are not checked
 * as JSON: their events are not ours to judge (Suricata's own dns events
 * hold \u0000, which jansson refuses). */
static bool could_be_alert(const char *line, size_t len)
{
	static const char pair[] = "\"event_type\":\"";
	const char *p = memmem(line, len, pair, sizeof pair - 1);
	if (p) {
		const char *v = p + sizeof pair - 1, *end = line + len;
		const char *q = v;
		while (q < end && ((*q >= 'a' && *q <= 'z') || *q == '_'))
			q++;
		if (q < end && *q == '"')
			return q - v == 5 && !memcmp(v, "alert", 5);
	}
	return memmem(line, len, "\"alert\"", 7) || memmem(line, len, "\\u", 2);
}

/* Trailing \n and \r are not part of a line. */
static size_t trim_eol(const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

int alert_parse_eve_line(struct alert_set *set, const char *line, size_t len,
			 uint32_t source, uint32_t lineno)
{
	len = trim_eol(line, len);
	if (blank(line, len)) {
		set->stats.skipped++;
		return 0;
	}
	if (len > ALERT_LINE_MAX)
		return MALFORMED(set, source, lineno, "line: longer than %u bytes", ALERT_LINE_MAX);
	/* Most of a real eve.json is other events (flow, dns, http, tls,
	 * stats), and building a JSON tree costs microseconds a line: an
	 * object that cannot be an alert is skipped unparsed. An alert event
	 * holds the text "alert" in quotes (its event_type and its alert
	 * object), unless spelled with \u escapes, which Suricata never
	 * writes but a crafted file may: such lines are parsed. */
	if (line[0] == '{' && line[len - 1] == '}' && !could_be_alert(line, len)) {
		set->stats.skipped++;
		return 0;
	}
	json_error_t jerr;
	/* Duplicate keys would make "which src_ip" a guess. Jansson caps the
	 * nesting depth (2048) and rejects \u0000 in strings by default. */
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return MALFORMED(set, source, lineno, "json: %s (column %d)", jerr.text, jerr.column);
	int rc = -1;
	const char *field = NULL, *why = NULL;
	struct alert a = { .icmp_type = ALERT_NO_ICMP, .icmp_code = ALERT_NO_ICMP };
	size_t n;
	const char *s;
	long long v;

	if (!json_is_object(root)) {
		field = "line";
		why = "not a JSON object";
		goto bad;
	}
	field = "event_type";
	if (!(s = json_str_field(root, field, &n, &why)))
		goto bad;
	if (n != 5 || memcmp(s, "alert", 5) != 0) {
		set->stats.skipped++;
		rc = 0;
		goto out;
	}
	/* An alert on a packet without IP (a decoder event) has no addresses
	 * and nothing to match: skipped, as in fast.log's "[Raw pkt:" lines. */
	if (!json_object_get(root, "src_ip") && !json_object_get(root, "dest_ip")) {
		set->stats.skipped++;
		rc = 0;
		goto out;
	}
	field = "timestamp";
	if (!(s = json_str_field(root, field, &n, &why)) || !parse_eve_time(s, n, &a.ts, &why))
		goto bad;
	field = "src_ip";
	if (!(s = json_str_field(root, field, &n, &why)))
		goto bad;
	int v_src = alert_parse_addr(s, n, a.src);
	if (!v_src) {
		why = "not an IP address";
		goto bad;
	}
	field = "dest_ip";
	if (!(s = json_str_field(root, field, &n, &why)))
		goto bad;
	int v_dst = alert_parse_addr(s, n, a.dst);
	if (!v_dst) {
		why = "not an IP address";
		goto bad;
	}
	if (v_src != v_dst) {
		why = "IPv4 and IPv6 addresses mixed";
		goto bad;
	}
	a.version = (uint8_t)v_src;
	field = "proto";
	if (!(s = json_str_field(root, field, &n, &why)))
		goto bad;
	int proto = alert_proto_number(s, n);
	if (proto < 0) {
		why = "unknown protocol";
		goto bad;
	}
	a.proto = (uint8_t)proto;
	if (proto_has_ports(a.proto)) {
		field = "src_port";
		if (!json_int_field(root, field, 0, 65535, &v, &why))
			goto bad;
		a.src_port = (uint16_t)v;
		field = "dest_port";
		if (!json_int_field(root, field, 0, 65535, &v, &why))
			goto bad;
		a.dst_port = (uint16_t)v;
	} else if (proto_is_icmp(a.proto)) {
		/* Optional: older Suricata versions leave them out. */
		field = "icmp_type";
		if (json_object_get(root, field)) {
			if (!json_int_field(root, field, 0, 255, &v, &why))
				goto bad;
			a.icmp_type = (int16_t)v;
		}
		field = "icmp_code";
		if (json_object_get(root, field)) {
			if (!json_int_field(root, field, 0, 255, &v, &why))
				goto bad;
			a.icmp_code = (int16_t)v;
		}
	}
	/* The flow's start: ties an alert Suricata raised when it flushed
	 * the flow (stamped after its last packet) to the flow's records. */
	json_t *flow = json_object_get(root, "flow");
	if (flow) {
		field = "flow";
		if (!json_is_object(flow)) {
			why = "not an object";
			goto bad;
		}
		field = "flow.start";
		if (json_object_get(flow, "start") &&
		    (!(s = json_str_field(flow, "start", &n, &why)) ||
		     !parse_eve_time(s, n, &a.flow_start, &why)))
			goto bad;
	}
	field = "alert";
	json_t *al = json_object_get(root, field);
	if (!al || !json_is_object(al)) {
		why = al ? "not an object" : "missing";
		goto bad;
	}
	field = "alert.signature_id";
	if (!json_int_field(al, "signature_id", 0, UINT32_MAX, &v, &why))
		goto bad;
	a.sid = (uint32_t)v;
	field = "alert.gid";
	if (!json_int_field(al, "gid", 0, UINT32_MAX, &v, &why))
		goto bad;
	a.gid = (uint32_t)v;
	field = "alert.rev";
	if (!json_int_field(al, "rev", 0, UINT32_MAX, &v, &why))
		goto bad;
	a.rev = (uint32_t)v;
	field = "alert.severity";
	if (!json_int_field(al, "severity", 0, UINT32_MAX, &v, &why))
		goto bad;
	a.priority = (uint32_t)v;
	field = "alert.signature";
	if (!(s = json_str_field(al, "signature", &n, &why)))
		goto bad;
	if (!(a.signature = intern(set->intern, s, n))) {
		rc = -2;
		goto out;
	}
	/* A rule without classtype: Suricata 7 writes "", older ones nothing. */
	field = "alert.category";
	if (json_object_get(al, "category")) {
		if (!(s = json_str_field(al, "category", &n, &why)))
			goto bad;
	} else {
		s = "";
		n = 0;
	}
	if (!(a.classification = intern(set->intern, s, n))) {
		rc = -2;
		goto out;
	}
	rc = add_alert(set, &a, source, lineno);
	goto out;
bad:
	rc = MALFORMED(set, source, lineno, "%s: %s", field, why);
out:
	json_decref(root);
	return rc;
}

/* ---- fast.log ---------------------------------------------------------- */

/* The last occurrence of needle in [s, end), or NULL. */
static const char *find_last(const char *s, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	if ((size_t)(end - s) < n)
		return NULL;
	for (const char *p = end - n;; p--) {
		if (memcmp(p, needle, n) == 0)
			return p;
		if (p == s)
			return NULL;
	}
}

static const char *find_first(const char *s, const char *end, const char *needle)
{
	return memmem(s, (size_t)(end - s), needle, strlen(needle));
}

/* A decimal number of 1 to 10 digits in [s, end) exactly, at most max. */
static bool number(const char *s, const char *end, uint64_t max, uint64_t *out)
{
	if (s >= end || end - s > 10)
		return false;
	uint64_t v = 0;
	for (; s < end; s++) {
		if ((unsigned)(*s - '0') > 9)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* "ADDR:PORT" or "[ADDR]:PORT" (IPv6 as Suricata prints it: the port
 * after the last colon). */
static bool endpoint(const char *s, const char *end, uint8_t addr[16], int *version,
		     uint64_t *port)
{
	const char *colon = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == ':')
			colon = p;
	if (!colon || !number(colon + 1, end, 65535, port))
		return false;
	const char *a = s, *ae = colon;
	if (ae - a >= 2 && *a == '[' && ae[-1] == ']') {
		a++;
		ae--;
	}
	*version = alert_parse_addr(a, (size_t)(ae - a), addr);
	return *version != 0;
}

int alert_parse_fast_line(struct alert_set *set, const struct alert_tz *tz,
			  const char *line, size_t len, uint32_t source, uint32_t lineno)
{
	len = trim_eol(line, len);
	if (blank(line, len)) {
		set->stats.skipped++;
		return 0;
	}
	if (len > ALERT_LINE_MAX)
		return MALFORMED(set, source, lineno, "line: longer than %u bytes", ALERT_LINE_MAX);
	if (memchr(line, '\0', len))
		return MALFORMED(set, source, lineno, "line: NUL byte");
	const char *p = line, *end = line + len;
	struct alert a = { .icmp_type = ALERT_NO_ICMP, .icmp_code = ALERT_NO_ICMP };

	/* MM/DD/YYYY-HH:MM:SS.uuuuuu (older Suricata: a two-digit year). */
	int64_t mo = digits(&p, end, 2);
	bool ok = mo >= 0 && expect(&p, end, '/');
	int64_t d = ok ? digits(&p, end, 2) : -1;
	ok = ok && d >= 0 && expect(&p, end, '/');
	const char *ys = p;
	while (ok && p < end && (unsigned)(*p - '0') <= 9 && p - ys < 5)
		p++;
	const char *ye = p;
	int64_t y = -1;
	if (ok && (ye - ys == 4 || ye - ys == 2)) {
		const char *q = ys;
		y = digits(&q, ye, (int)(ye - ys));
		if (ye - ys == 2)
			y += 2000;
	}
	ok = ok && y >= 0 && expect(&p, end, '-');
	int64_t h = ok ? digits(&p, end, 2) : -1;
	ok = ok && h >= 0 && expect(&p, end, ':');
	int64_t mi = ok ? digits(&p, end, 2) : -1;
	ok = ok && mi >= 0 && expect(&p, end, ':');
	int64_t sec = ok ? digits(&p, end, 2) : -1;
	if (!ok || sec < 0)
		return MALFORMED(set, source, lineno, "time: not MM/DD/YYYY-HH:MM:SS");
	int64_t ns = fraction(&p, end);
	if (ns < 0)
		return MALFORMED(set, source, lineno, "time: bad fraction of a second");
	int64_t local;
	const char *why;
	if (!civil_seconds(y, mo, d, h, mi, sec, &local, &why))
		return MALFORMED(set, source, lineno, "time: %s", why);
	if (p >= end || *p != ' ')
		return MALFORMED(set, source, lineno, "time: not followed by a space");
	while (p < end && *p == ' ')
		p++;
	/* IPS mode: the action before the alert. */
	if (end - p >= 7 && memcmp(p, "[Drop] ", 7) == 0)
		p += 7;
	else if (end - p >= 8 && memcmp(p, "[wDrop] ", 8) == 0)
		p += 8;
	if (end - p < 6 || memcmp(p, "[**] [", 6) != 0)
		return MALFORMED(set, source, lineno, "rule: no \"[**] [\" after the time");
	p += 6;
	const char *close = memchr(p, ']', (size_t)(end - p));
	const char *c1 = close ? memchr(p, ':', (size_t)(close - p)) : NULL;
	const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(close - c1 - 1)) : NULL;
	uint64_t gid, sid, rev;
	if (!c2 || !number(p, c1, UINT32_MAX, &gid) || !number(c1 + 1, c2, UINT32_MAX, &sid) ||
	    !number(c2 + 1, close, UINT32_MAX, &rev))
		return MALFORMED(set, source, lineno, "rule: not [gid:sid:rev]");
	a.gid = (uint32_t)gid;
	a.sid = (uint32_t)sid;
	a.rev = (uint32_t)rev;
	p = close + 1;
	if (p >= end || *p != ' ')
		return MALFORMED(set, source, lineno, "signature: missing");
	p++;
	/* The signature is free text: it ends at the last classification
	 * marker, whatever brackets it holds itself. */
	const char *cls = find_last(p, end, " [**] [Classification: ");
	if (!cls)
		return MALFORMED(set, source, lineno, "classification: missing");
	const char *sig = p, *sig_end = cls;
	p = cls + strlen(" [**] [Classification: ");
	const char *prio = find_first(p, end, "] [Priority: ");
	if (!prio)
		return MALFORMED(set, source, lineno, "priority: missing");
	const char *cl = p, *cl_end = prio;
	p = prio + strlen("] [Priority: ");
	const char *prio_end = memchr(p, ']', (size_t)(end - p));
	uint64_t priority;
	if (!prio_end || !number(p, prio_end, UINT32_MAX, &priority))
		return MALFORMED(set, source, lineno, "priority: not a number");
	a.priority = (uint32_t)priority;
	p = prio_end + 1;
	if (end - p >= 15 && memcmp(p, " [**] [Raw pkt:", 15) == 0) {
		/* An alert on a packet without IP: nothing to match. */
		set->stats.skipped++;
		return 0;
	}
	if (end - p < 2 || memcmp(p, " {", 2) != 0)
		return MALFORMED(set, source, lineno, "proto: no {PROTO}");
	p += 2;
	const char *pe = memchr(p, '}', (size_t)(end - p));
	int proto = pe ? alert_proto_number(p, (size_t)(pe - p)) : -1;
	if (proto < 0)
		return MALFORMED(set, source, lineno, "proto: unknown protocol");
	a.proto = (uint8_t)proto;
	p = pe + 1;
	if (p >= end || *p != ' ')
		return MALFORMED(set, source, lineno, "src: missing");
	p++;
	const char *arrow = find_first(p, end, " -> ");
	if (!arrow)
		return MALFORMED(set, source, lineno, "dst: no \" -> \"");
	int v_src, v_dst;
	uint64_t sp, dp;
	if (!endpoint(p, arrow, a.src, &v_src, &sp))
		return MALFORMED(set, source, lineno, "src: not ADDRESS:PORT");
	if (!endpoint(arrow + 4, end, a.dst, &v_dst, &dp))
		return MALFORMED(set, source, lineno, "dst: not ADDRESS:PORT");
	if (v_src != v_dst)
		return MALFORMED(set, source, lineno, "dst: IPv4 and IPv6 addresses mixed");
	a.version = (uint8_t)v_src;
	/* Suricata prints ICMP's type and code where ports go, and 0 for
	 * protocols without ports; struct alert holds what eve.json holds. */
	if (proto_has_ports(a.proto)) {
		a.src_port = (uint16_t)sp;
		a.dst_port = (uint16_t)dp;
	} else if (proto_is_icmp(a.proto)) {
		if (sp > 255 || dp > 255)
			return MALFORMED(set, source, lineno, "src: ICMP type or code over 255");
		a.icmp_type = (int16_t)sp;
		a.icmp_code = (int16_t)dp;
	}

	/* The zone last: only a line otherwise good counts as ambiguous. */
	int64_t early, late;
	enum alert_local_kind kind = alert_tz_to_utc(tz, local, &early, &late);
	int64_t t = early;
	if (kind == ALERT_LOCAL_AMBIGUOUS) {
		set->stats.ambiguous++;
		/* The file runs in time order: once it has passed the first
		 * reading (by more than a minute of reordering), it is the
		 * second. */
		if (set->fast_have_prev && set->fast_prev_ts > (early + 60) * NS_PER_SEC)
			t = late;
	} else if (kind == ALERT_LOCAL_NONEXISTENT) {
		set->stats.nonexistent++;
		report(set, source, lineno,
		       "time: no such local time (clocks moved forward); read with the offset before the change, UTC%+d s",
		       (int)(local - early));
	}
	a.ts = t * NS_PER_SEC + ns;
	a.signature = intern(set->intern, sig, (size_t)(sig_end - sig));
	/* Suricata prints a rule without classtype as "(null)". */
	if (cl_end - cl == 6 && memcmp(cl, "(null)", 6) == 0)
		cl_end = cl;
	a.classification = intern(set->intern, cl, (size_t)(cl_end - cl));
	if (!a.signature || !a.classification)
		return -2;
	set->fast_prev_ts = a.ts;
	set->fast_have_prev = true;
	return add_alert(set, &a, source, lineno);
}

/* ---- files ------------------------------------------------------------- */

typedef int (*line_fn)(struct alert_set *set, const struct alert_tz *tz, const char *line,
		       size_t len, uint32_t source, uint32_t lineno);

static int eve_line(struct alert_set *set, const struct alert_tz *tz, const char *line,
		    size_t len, uint32_t source, uint32_t lineno)
{
	(void)tz;
	return alert_parse_eve_line(set, line, len, source, lineno);
}

/* Reads path line by line into fn. Lines are cut at ALERT_LINE_MAX: the
 * rest of a longer one is skipped unread into memory. */
static int read_lines(struct alert_set *set, const char *path, const struct alert_tz *tz,
		      line_fn fn)
{
	int source = alert_set_add_source(set, path);
	if (source < 0)
		return -1;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		report(set, (uint32_t)source, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	char *buf = malloc(ALERT_LINE_MAX + 1);
	char *chunk = malloc(64u << 10);
	int rc = 0;
	if (!buf || !chunk) {
		report(set, (uint32_t)source, 0, "out of memory");
		rc = -1;
		goto out;
	}
	size_t used = 0;
	bool overlong = false;
	uint32_t lineno = 0;
	set->fast_have_prev = false;
	for (;;) {
		size_t got = fread(chunk, 1, 64u << 10, f);
		if (got == 0) {
			if (ferror(f)) {
				report(set, (uint32_t)source, 0, "read error: %s", strerror(errno));
				rc = -1;
				goto out;
			}
			break;
		}
		const char *p = chunk, *end = chunk + got;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *stop = nl ? nl : end;
			size_t n = (size_t)(stop - p);
			if (!overlong) {
				if (used + n > ALERT_LINE_MAX) {
					overlong = true;
				} else {
					memcpy(buf + used, p, n);
					used += n;
				}
			}
			p = stop;
			if (!nl)
				break;
			p++;
			if (lineno < UINT32_MAX)
				lineno++;
			set->stats.lines++;
			int r;
			if (overlong)
				r = MALFORMED(set, (uint32_t)source, lineno,
					      "line: longer than %u bytes", ALERT_LINE_MAX);
			else
				r = fn(set, tz, buf, used, (uint32_t)source, lineno);
			used = 0;
			overlong = false;
			if (r == -2) {
				report(set, (uint32_t)source, lineno, "out of memory");
				rc = -1;
				goto out;
			}
		}
	}
	if (used || overlong) {
		/* A last line without its newline. */
		if (lineno < UINT32_MAX)
			lineno++;
		set->stats.lines++;
		int r = overlong ? MALFORMED(set, (uint32_t)source, lineno,
					     "line: longer than %u bytes", ALERT_LINE_MAX)
				 : fn(set, tz, buf, used, (uint32_t)source, lineno);
		if (r == -2) {
			report(set, (uint32_t)source, lineno, "out of memory");
			rc = -1;
		}
	}
out:
	free(buf);
	free(chunk);
	if (!is_stdin)
		fclose(f);
	return rc;
}

int alert_read_eve(struct alert_set *set, const char *path)
{
	return read_lines(set, path, NULL, eve_line);
}

/* ---- eve.json on several threads ----------------------------------------- */

/* Files smaller than this are read by one thread: starting threads would
 * cost more than it saves. */
#define PARALLEL_MIN_BYTES (4u << 20)

struct eve_range {
	struct alert_set set;     /* this range's alerts, texts interned here */
	const char *from, *to;    /* whole lines of the mapped file */
	uint32_t first_line;      /* number of the range's first line */
	int rc;
	pthread_t thread;
};

/* Pages of the mapping behind this many bytes are given back as a range is
 * read: nothing points into them (alerts copy what they keep), and a
 * gigabyte of eve.json would otherwise count in the process's memory. */
#define RELEASE_BYTES (8u << 20)

static void release_pages(const char **released, const char *upto)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)*released + page - 1) & ~(page - 1);
	uintptr_t to = (uintptr_t)upto & ~(page - 1);
	if (to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
	*released = upto;
}

static void *parse_range(void *arg)
{
	struct eve_range *r = arg;
	uint32_t lineno = r->first_line;
	const char *released = r->from;
	for (const char *p = r->from; p < r->to;) {
		if ((size_t)(p - released) >= RELEASE_BYTES)
			release_pages(&released, p);
		const char *nl = memchr(p, '\n', (size_t)(r->to - p));
		const char *end = nl ? nl : r->to;
		r->set.stats.lines++;
		if (alert_parse_eve_line(&r->set, p, (size_t)(end - p), 0, lineno) == -2) {
			report(&r->set, 0, lineno, "out of memory");
			r->rc = -1;
			break;
		}
		if (lineno < UINT32_MAX)
			lineno++;
		p = nl ? nl + 1 : r->to;
	}
	return NULL;
}

/* Appends a range's alerts to set, their texts interned again in set's
 * table and their source set's; counts those past set->max_alerts. */
static int merge_range(struct alert_set *set, struct eve_range *r, uint32_t source)
{
	struct alert_stats *to = &set->stats, *from = &r->set.stats;
	to->lines += from->lines;
	to->skipped += from->skipped;
	to->malformed += from->malformed;
	to->dropped += from->dropped;
	set->reported += r->set.reported;
	for (size_t i = 0; i < r->set.n; i++) {
		struct alert a = r->set.alerts[i];
		a.classification = intern(set->intern, a.classification, strlen(a.classification));
		a.signature = intern(set->intern, a.signature, strlen(a.signature));
		if (!a.classification || !a.signature || add_alert(set, &a, source, a.line) == -2)
			return -1;
	}
	return 0;
}

int alert_read_eve_threads(struct alert_set *set, const char *path, unsigned threads)
{
	if (threads <= 1 || !strcmp(path, "-"))
		return alert_read_eve(set, path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < PARALLEL_MIN_BYTES || (uint64_t)st.st_size > SIZE_MAX) {
		/* Not a plain file, or a small one: line by line (which also
		 * reports why it cannot be opened). */
		if (fd >= 0)
			close(fd);
		return alert_read_eve(set, path);
	}
	size_t size = (size_t)st.st_size;
	const char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return alert_read_eve(set, path);
	madvise((void *)map, size, MADV_SEQUENTIAL);

	int source = alert_set_add_source(set, path);
	struct eve_range *ranges = calloc(threads, sizeof *ranges);
	if (source < 0 || !ranges) {
		munmap((void *)map, size);
		free(ranges);
		return -1;
	}
	/* Ranges of whole lines, and the number of each one's first line
	 * (counting newlines is a memchr pass, far cheaper than parsing). */
	const char *start = map, *end = map + size;
	uint32_t line = 1;
	unsigned n = 0;
	int rc = 0;
	for (unsigned i = 0; i < threads && start < end; i++) {
		const char *stop = i + 1 == threads ? end : map + size / threads * (i + 1);
		if (stop < start)
			stop = start;
		const char *nl = stop < end ? memchr(stop, '\n', (size_t)(end - stop)) : NULL;
		stop = nl ? nl + 1 : end;
		struct eve_range *r = &ranges[n++];
		if (alert_set_init(&r->set) || alert_set_add_source(&r->set, path) < 0) {
			rc = -1;
			break;
		}
		r->set.report = set->report;
		r->set.report_arg = set->report_arg;
		r->set.report_max = (set->report_max + threads - 1) / threads;
		r->set.max_alerts = set->max_alerts;
		r->from = start;
		r->to = stop;
		r->first_line = line;
		const char *released = start;
		for (const char *p = start; (p = memchr(p, '\n', (size_t)(stop - p))); p++) {
			line = line < UINT32_MAX ? line + 1 : line;
			if ((size_t)(p - released) >= RELEASE_BYTES)
				release_pages(&released, p);
		}
		start = stop;
	}
	bool *joined = calloc(n ? n : 1, sizeof *joined);
	for (unsigned i = 0; rc == 0 && joined && i < n; i++) {
		if (pthread_create(&ranges[i].thread, NULL, parse_range, &ranges[i]))
			parse_range(&ranges[i]); /* no thread: this one does it */
		else
			joined[i] = true;
	}
	for (unsigned i = 0; joined && i < n; i++)
		if (joined[i])
			pthread_join(ranges[i].thread, NULL);
	if (!joined)
		rc = -1;
	free(joined);
	for (unsigned i = 0; i < n; i++) {
		if (rc == 0 && ranges[i].rc)
			rc = -1;
		if (rc == 0 && merge_range(set, &ranges[i], (uint32_t)source)) {
			report(set, (uint32_t)source, 0, "out of memory");
			rc = -1;
		}
		alert_set_free(&ranges[i].set);
	}
	free(ranges);
	munmap((void *)map, size);
	return rc;
}

int alert_read_fast(struct alert_set *set, const char *path, const struct alert_tz *tz)
{
	return read_lines(set, path, tz, alert_parse_fast_line);
}

/* ---- time zones -------------------------------------------------------- */

/* A POSIX TZ rule date: Jn (1-365, no Feb 29), n (0-365), Mm.w.d. */
struct tz_date {
	char kind;          /* 'J', 'N' or 'M' */
	int n, m, w, d;
	int32_t time;       /* seconds after local midnight (may exceed a day) */
};

struct alert_tz {
	int64_t *trans;     /* transition times, UTC seconds, ascending */
	uint8_t *idx;       /* type after each transition */
	int32_t *offs;      /* UTC offset of each type, seconds east */
	uint32_t n_trans, n_types;
	/* The footer's rule for times after the last transition. */
	bool has_rule, rule_dst;
	int32_t std_off, dst_off;
	struct tz_date start, end;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* POSIX TZ pieces over [*p, end). A zone name: letters, or <...>. */
static bool tz_name(const char **p, const char *end)
{
	const char *s = *p;
	if (s < end && *s == '<') {
		const char *c = memchr(s, '>', (size_t)(end - s));
		if (!c || c - s < 4)
			return false;
		*p = c + 1;
		return true;
	}
	while (*p < end && ((**p | 32) >= 'a' && (**p | 32) <= 'z'))
		(*p)++;
	return *p - s >= 3;
}

/* [+-]hh[:mm[:ss]], hh up to 167 (RFC 8536's extension). */
static bool tz_hms(const char **p, const char *end, int32_t *out)
{
	int sign = 1;
	if (*p < end && (**p == '+' || **p == '-'))
		sign = *(*p)++ == '-' ? -1 : 1;
	int32_t parts[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		if (i && !expect(p, end, ':'))
			break;
		int n = 0, v = 0;
		while (*p < end && (unsigned)(**p - '0') <= 9 && n < 3) {
			v = v * 10 + (*(*p)++ - '0');
			n++;
		}
		if (n == 0 || (i == 0 ? v > 167 : v > 59))
			return false;
		parts[i] = v;
	}
	*out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
	return true;
}

static bool tz_int(const char **p, const char *end, int lo, int hi, int *out)
{
	int v = 0, n = 0;
	while (*p < end && (unsigned)(**p - '0') <= 9 && n < 4) {
		v = v * 10 + (*(*p)++ - '0');
		n++;
	}
	*out = v;
	return n > 0 && v >= lo && v <= hi;
}

static bool tz_rule_date(const char **p, const char *end, struct tz_date *d)
{
	d->time = 7200;
	if (expect(p, end, 'J')) {
		d->kind = 'J';
		if (!tz_int(p, end, 1, 365, &d->n))
			return false;
	} else if (expect(p, end, 'M')) {
		d->kind = 'M';
		if (!tz_int(p, end, 1, 12, &d->m) || !expect(p, end, '.') ||
		    !tz_int(p, end, 1, 5, &d->w) || !expect(p, end, '.') ||
		    !tz_int(p, end, 0, 6, &d->d))
			return false;
	} else {
		d->kind = 'N';
		if (!tz_int(p, end, 0, 365, &d->n))
			return false;
	}
	if (expect(p, end, '/'))
		return tz_hms(p, end, &d->time);
	return true;
}

/* The footer, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"; an empty one means no
 * rule (the last transition's type goes on). */
static bool tz_parse_rule(struct alert_tz *tz, const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	if (len == 0)
		return true;
	int32_t west;
	if (!tz_name(&p, end) || !tz_hms(&p, end, &west))
		return false;
	tz->has_rule = true;
	tz->std_off = -west;
	if (p == end)
		return true;
	if (!tz_name(&p, end))
		return false;
	tz->rule_dst = true;
	tz->dst_off = tz->std_off + 3600;
	if (p < end && *p != ',') {
		if (!tz_hms(&p, end, &west))
			return false;
		tz->dst_off = -west;
	}
	if (p == end) {
		/* POSIX's default rule (the US one) */
		tz->start = (struct tz_date){ .kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200 };
		tz->end = (struct tz_date){ .kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200 };
		return true;
	}
	return expect(&p, end, ',') && tz_rule_date(&p, end, &tz->start) &&
	       expect(&p, end, ',') && tz_rule_date(&p, end, &tz->end) && p == end;
}

/* Local midnight (as seconds since the epoch read as UTC) of a rule date
 * in year y. */
static int64_t tz_date_day(const struct tz_date *d, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1);
	switch (d->kind) {
	case 'J':
		return (jan1 + d->n - 1 + (is_leap(y) && d->n >= 60)) * 86400;
	case 'N':
		return (jan1 + d->n) * 86400;
	default: {
		int64_t first = days_from_civil(y, (unsigned)d->m, 1);
		/* 1970-01-01 was a Thursday (4). */
		int wd = (int)(((first % 7) + 7 + 4) % 7);
		int64_t day = first + (d->d - wd + 7) % 7 + (int64_t)(d->w - 1) * 7;
		int64_t last = first + days_in_month(y, (unsigned)d->m) - 1;
		while (day > last)
			day -= 7;
		return day * 86400;
	}
	}
}

static int32_t tz_rule_offset(const struct alert_tz *tz, int64_t t)
{
	if (!tz->rule_dst)
		return tz->std_off;
	/* The year of t in standard time; transitions are never near New Year
	 * in practice, so one year's pair decides. */
	int64_t days = (t + tz->std_off) / 86400 - ((t + tz->std_off) % 86400 < 0);
	int64_t y = 1970 + days / 366;
	while (days_from_civil(y + 1, 1, 1) <= days)
		y++;
	while (days_from_civil(y, 1, 1) > days)
		y--;
	int64_t start = tz_date_day(&tz->start, y) + tz->start.time - tz->std_off;
	int64_t end = tz_date_day(&tz->end, y) + tz->end.time - tz->dst_off;
	if (start < end)
		return t >= start && t < end ? tz->dst_off : tz->std_off;
	/* Southern hemisphere: summer time spans New Year. */
	return t >= end && t < start ? tz->std_off : tz->dst_off;
}

int32_t alert_tz_offset(const struct alert_tz *tz, int64_t t)
{
	if (!tz)
		return 0;
	if (tz->n_trans == 0 || t < tz->trans[0]) {
		if (tz->n_trans == 0 && tz->has_rule)
			return tz_rule_offset(tz, t);
		return tz->offs[0];
	}
	if (t >= tz->trans[tz->n_trans - 1] && tz->has_rule)
		return tz_rule_offset(tz, t);
	uint32_t lo = 0, hi = tz->n_trans; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

enum alert_local_kind alert_tz_to_utc(const struct alert_tz *tz, int64_t local,
				       int64_t *early, int64_t *late)
{
	if (!tz) {
		*early = *late = local;
		return ALERT_LOCAL_UNIQUE;
	}
	/* Every offset in force within a day and a half either side (more than
	 * any UTC offset): a local time can only mean local - offset for one of
	 * them, and is that instant when the offset is in force there. */
	int32_t offs[32];
	int n_offs = 0;
	for (int k = -12; k <= 12; k++) {
		int32_t o = alert_tz_offset(tz, local + (int64_t)k * 3 * 3600);
		bool seen = false;
		for (int i = 0; i < n_offs; i++)
			seen |= offs[i] == o;
		if (!seen)
			offs[n_offs++] = o;
	}
	int64_t found[32];
	int n_found = 0;
	int32_t o_max = offs[0];
	for (int i = 0; i < n_offs; i++) {
		if (offs[i] > o_max)
			o_max = offs[i];
		int64_t u = local - offs[i];
		if (alert_tz_offset(tz, u) == offs[i])
			found[n_found++] = u;
	}
	if (n_found == 0) {
		/* In a gap: the offset in force just before it, which is what
		 * the instant under the larger (later) offset still has. */
		*early = *late = local - alert_tz_offset(tz, local - o_max);
		return ALERT_LOCAL_NONEXISTENT;
	}
	int64_t lo = found[0], hi = found[0];
	for (int i = 1; i < n_found; i++) {
		if (found[i] < lo)
			lo = found[i];
		if (found[i] > hi)
			hi = found[i];
	}
	*early = lo;
	*late = hi;
	return lo == hi ? ALERT_LOCAL_UNIQUE : ALERT_LOCAL_AMBIGUOUS;
}

void alert_tz_free(struct alert_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

/* TZif (RFC 8536) from memory. Version 1 files use the 32-bit block; later
 * ones the 64-bit block and the footer rule. */
static bool tz_parse(struct alert_tz *tz, const uint8_t *d, size_t size, const char **why)
{
	*why = "not a TZif file";
	if (size < 44 || memcmp(d, "TZif", 4) != 0)
		return false;
	int version = d[4] ? d[4] - '0' : 1;
	const uint8_t *p = d;
	size_t left = size;
	int tsize = 4;
	for (int pass = 0; pass < 2; pass++) {
		if (left < 44 || memcmp(p, "TZif", 4) != 0)
			return false;
		uint32_t isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
		uint32_t timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
		if (timecnt > 100000 || typecnt == 0 || typecnt > 256 || charcnt > 100000 ||
		    leap > 100000 || isut > typecnt || isstd > typecnt) {
			*why = "TZif counts out of range";
			return false;
		}
		size_t block = (size_t)timecnt * tsize + timecnt + typecnt * 6u + charcnt +
			       (size_t)leap * (tsize + 4u) + isstd + isut;
		p += 44;
		left -= 44;
		if (block > left) {
			*why = "TZif file cut short";
			return false;
		}
		if (pass == 0 && version >= 2) {
			/* Skip the 32-bit block for the 64-bit one. */
			p += block;
			left -= block;
			tsize = 8;
			continue;
		}
		if (leap) {
			*why = "leap-second zones (right/...) are not supported";
			return false;
		}
		tz->n_trans = timecnt;
		tz->n_types = typecnt;
		tz->trans = malloc((timecnt ? timecnt : 1) * sizeof *tz->trans);
		tz->idx = malloc(timecnt ? timecnt : 1);
		tz->offs = malloc(typecnt * sizeof *tz->offs);
		if (!tz->trans || !tz->idx || !tz->offs) {
			*why = "out of memory";
			return false;
		}
		for (uint32_t i = 0; i < timecnt; i++) {
			tz->trans[i] = tsize == 8 ? (int64_t)be64(p + (size_t)i * 8)
						  : (int64_t)(int32_t)be32(p + (size_t)i * 4);
			if (i && tz->trans[i] <= tz->trans[i - 1]) {
				*why = "TZif transitions out of order";
				return false;
			}
		}
		const uint8_t *ix = p + (size_t)timecnt * tsize;
		for (uint32_t i = 0; i < timecnt; i++) {
			if (ix[i] >= typecnt) {
				*why = "TZif type index out of range";
				return false;
			}
			tz->idx[i] = ix[i];
		}
		const uint8_t *ty = ix + timecnt;
		for (uint32_t i = 0; i < typecnt; i++) {
			int32_t off = (int32_t)be32(ty + i * 6u);
			if (off < -89999 || off > 93599) {
				*why = "TZif offset out of range";
				return false;
			}
			tz->offs[i] = off;
		}
		p += block;
		left -= block;
		if (version >= 2) {
			if (left < 2 || p[0] != '\n') {
				*why = "TZif footer missing";
				return false;
			}
			const uint8_t *nl = memchr(p + 1, '\n', left - 1);
			if (!nl || !tz_parse_rule(tz, (const char *)p + 1, (size_t)(nl - p - 1))) {
				*why = "TZif footer rule not understood";
				return false;
			}
		}
		return true;
	}
	return false;
}

struct alert_tz *alert_tz_load(const char *name, char *err, size_t errlen)
{
	struct alert_tz *tz = calloc(1, sizeof *tz);
	if (!tz) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!name || !*name || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		/* No file needed: one type, offset 0. */
		tz->offs = calloc(1, sizeof *tz->offs);
		tz->n_types = 1;
		if (!tz->offs) {
			free(tz);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		return tz;
	}
	/* A zone name must not walk out of the zone directory. */
	if (name[0] != '/' && (strstr(name, "..") || strlen(name) > 255)) {
		snprintf(err, errlen, "%s: not a time zone name", name);
		free(tz);
		return NULL;
	}
	char path[4096];
	const char *dir = getenv("TZDIR");
	if (name[0] == '/')
		snprintf(path, sizeof path, "%s", name);
	else
		snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: unknown time zone (%s: %s)", name, path, strerror(errno));
		free(tz);
		return NULL;
	}
	/* TZif files are a few KiB; 1 MiB bounds a hostile one. */
	uint8_t *buf = malloc(1u << 20);
	size_t size = buf ? fread(buf, 1, 1u << 20, f) : 0;
	bool too_big = buf && size == (1u << 20) && fgetc(f) != EOF;
	fclose(f);
	const char *why = "out of memory";
	if (!buf || too_big || !tz_parse(tz, buf, size, &why)) {
		snprintf(err, errlen, "%s: %s", path, too_big ? "larger than 1 MiB" : why);
		free(buf);
		alert_tz_free(tz);
		return NULL;
	}
	free(buf);
	return tz;
}

/* ---- duplicates across files ---------------------------------------------- */

/* The fields that make an alert the same event in two outputs of one
 * Suricata run; source and line excluded. */
static int cmp_event(const void *x, const void *y, void *arg)
{
	const struct alert *alerts = arg;
	const struct alert *a = &alerts[*(const uint32_t *)x], *b = &alerts[*(const uint32_t *)y];
	int c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if ((c = memcmp(a->src, b->src, 16)) || (c = memcmp(a->dst, b->dst, 16)))
		return c;
#define CMP(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
	CMP(src_port);
	CMP(dst_port);
	CMP(version);
	CMP(proto);
	CMP(gid);
	CMP(sid);
	CMP(rev);
	CMP(source);
	CMP(line);
#undef CMP
	return 0;
}

static bool same_event(const struct alert *a, const struct alert *b)
{
	return a->ts == b->ts && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->version == b->version && a->proto == b->proto && a->gid == b->gid &&
	       a->sid == b->sid && a->rev == b->rev;
}

ssize_t alert_set_merge_duplicates(struct alert_set *set)
{
	if (set->n_sources < 2 || set->n < 2)
		return 0;
	if (set->n > UINT32_MAX)
		return -1;
	uint32_t *order = malloc(set->n * sizeof *order);
	uint8_t *drop = calloc(set->n, 1);
	if (!order || !drop) {
		free(order);
		free(drop);
		return -1;
	}
	for (size_t i = 0; i < set->n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, set->n, sizeof *order, cmp_event, set->alerts);
	/* Within a run of one event (sorted by source), the first source's
	 * alerts stay and those of later sources go. */
	for (size_t i = 0; i < set->n;) {
		size_t end = i + 1;
		while (end < set->n &&
		       same_event(&set->alerts[order[i]], &set->alerts[order[end]]))
			end++;
		uint32_t first_source = set->alerts[order[i]].source;
		for (size_t k = i + 1; k < end; k++)
			if (set->alerts[order[k]].source != first_source)
				drop[order[k]] = 1;
		i = end;
	}
	size_t kept = 0;
	for (size_t i = 0; i < set->n; i++)
		if (!drop[i])
			set->alerts[kept++] = set->alerts[i];
	size_t merged = set->n - kept;
	set->n = kept;
	free(order);
	free(drop);
	return (ssize_t)merged;
}
