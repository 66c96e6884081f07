/* defrag.c: the reassembler of defrag.h: trackers, pages, the keyed table,
 * the age list, and the first-wins overlap policy.
 *
 * Memory: one block of the configured budget, carved at creation into the
 * table, the trackers, the data pages and the output buffer; nothing is
 * allocated afterwards. A tracker keeps a datagram's received byte ranges
 * (sorted, merged: at most one per fragment, so DEFRAG_MAX_FRAGMENTS of
 * them) and a page per DEFRAG_PAGE bytes of the datagram that holds data,
 * so a datagram costs what it carries, not 64 KiB. When trackers or pages
 * run out the oldest datagram is evicted (counted); a datagram that cannot
 * fit even alone is given up (counted the same way).
 *
 * Work per fragment: a keyed hash of its key (SipHash-1-3 under a key
 * derived from the run's secret: attackers choose the keys, so an unkeyed
 * hash would let them chain every tracker into one bucket), a walk of at
 * most DEFRAG_MAX_FRAGMENTS ranges, and a copy and compare of its bytes. */
#include <stdlib.h>
#include <string.h>

#include "defrag/defrag.h"
#include "flow/flowhash.h"
#include "flow/siphash.h"

#define NIL UINT32_MAX
#define IPV4_MAX_DATAGRAM 65535u

struct range {
	uint32_t start, end;
};

struct tracker {
	uint32_t chain;           /* next in its bucket, or in the free list; NIL */
	uint32_t older, newer;    /* the age list, in creation order */
	uint32_t bucket;
	int64_t expires;
	uint32_t id;
	uint64_t tunnel;
	uint8_t version, key_proto;
	uint8_t proto;            /* the transport: the offset-0 fragment's (IPv6) */
	uint8_t header_len;
	bool dropped;             /* given up: later fragments are discarded until it expires */
	bool has_first, has_last;
	uint8_t src[16], dst[16];
	uint32_t total;           /* payload bytes, known once the last fragment came */
	uint32_t fragments;       /* every fragment taken, duplicates too */
	uint32_t frame_bytes;
	uint16_t n_ranges, n_pages;
	struct range ranges[DEFRAG_MAX_FRAGMENTS];
	uint32_t page[DEFRAG_PAGES_PER_DATAGRAM];  /* NIL: none yet */
	uint8_t header[DEFRAG_HEADER_MAX];
};

struct defrag {
	struct sip_key key;
	int64_t timeout;
	int64_t now;              /* the latest packet time seen */
	size_t budget;
	uint32_t n_trackers, n_buckets, n_pages;
	uint32_t free_tracker;    /* free list through chain */
	uint32_t oldest, newest;  /* the age list */
	uint32_t trackers_used, pages_free;
	size_t peak;
	struct tracker *trackers;
	uint32_t *buckets;
	uint32_t *free_pages;     /* a stack of free page numbers */
	uint8_t *pages;
	uint8_t *out;             /* DEFRAG_HEADER_MAX + DEFRAG_MAX_PAYLOAD */
};

/* ---- creation ----------------------------------------------------------- */

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

struct defrag *defrag_create(size_t memory, int64_t timeout_ns)
{
	if (memory < DEFRAG_MIN_MEMORY || timeout_ns <= 0)
		return NULL;
	/* Zeroed by the system as pages are first touched: like the flow
	 * tables' entries, data pages cost memory once fragments come. */
	uint8_t *block = calloc(1, memory);
	if (!block)
		return NULL;
	struct defrag *d = (struct defrag *)block;
	size_t used = align8(sizeof *d);
	d->out = block + used;
	used += align8(DEFRAG_HEADER_MAX + DEFRAG_MAX_PAYLOAD);
	/* The rest: trackers (with a bucket each) and pages, sized so that an
	 * average datagram of four pages fits per tracker. */
	size_t rest = memory - used;
	size_t per_tracker = sizeof(struct tracker) + sizeof(uint32_t);
	size_t per_page = DEFRAG_PAGE + sizeof(uint32_t);
	size_t n_trackers = rest / (per_tracker + 4 * per_page + 8);
	uint32_t n_buckets = 1;
	while (n_buckets < n_trackers && n_buckets < (1u << 30))
		n_buckets <<= 1;
	if (n_buckets > n_trackers)
		n_buckets >>= 1;  /* a bucket array no larger than the trackers' share */
	if (n_trackers == 0 || n_buckets == 0)
		return free(block), NULL;
	size_t table = align8(n_trackers * sizeof(struct tracker)) + align8(n_buckets * sizeof(uint32_t));
	if (table + per_page + 16 > rest)
		return free(block), NULL;
	size_t n_pages = (rest - table - 16) / per_page;
	d->trackers = (struct tracker *)(block + used);
	used += align8(n_trackers * sizeof(struct tracker));
	d->buckets = (uint32_t *)(block + used);
	used += align8(n_buckets * sizeof(uint32_t));
	d->free_pages = (uint32_t *)(block + used);
	used += align8(n_pages * sizeof(uint32_t));
	d->pages = block + used;
	used += n_pages * DEFRAG_PAGE;
	if (used > memory)
		return free(block), NULL;

	d->budget = memory;
	d->timeout = timeout_ns;
	d->n_trackers = (uint32_t)n_trackers;
	d->n_buckets = n_buckets;
	d->n_pages = (uint32_t)n_pages;
	for (uint32_t i = 0; i < n_buckets; i++)
		d->buckets[i] = NIL;
	for (uint32_t i = 0; i < d->n_trackers; i++)
		d->trackers[i].chain = i + 1 < d->n_trackers ? i + 1 : NIL;
	d->free_tracker = 0;
	for (uint32_t i = 0; i < d->n_pages; i++)
		d->free_pages[i] = d->n_pages - 1 - i;
	d->pages_free = d->n_pages;
	d->oldest = d->newest = NIL;
	/* A key of its own, derived from the run's secret (flowhash.h). */
	static const char label[] = "netcap defrag";
	d->key.k0 = flow_siphash24(&flow_hash_keys.sip[FLOW_HASH_TUPLE], label, sizeof label);
	d->key.k1 = flow_siphash24(&flow_hash_keys.sip[FLOW_HASH_NETWORK], label, sizeof label);
	return d;
}

void defrag_free(struct defrag *d)
{
	free(d);
}

/* ---- accounting --------------------------------------------------------- */

static size_t in_use(const struct defrag *d)
{
	return (size_t)d->trackers_used * sizeof(struct tracker) +
	       (size_t)(d->n_pages - d->pages_free) * DEFRAG_PAGE;
}

static void note_peak(struct defrag *d)
{
	size_t now = in_use(d);
	if (now > d->peak)
		d->peak = now;
}

void defrag_get_usage(const struct defrag *d, struct defrag_usage *u)
{
	*u = (struct defrag_usage){
		.budget = d->budget, .in_use = in_use(d), .peak = d->peak,
		.trackers = d->trackers_used, .trackers_max = d->n_trackers,
		.pages = d->n_pages - d->pages_free, .pages_max = d->n_pages,
	};
}

/* ---- trackers ----------------------------------------------------------- */

static void free_pages_of(struct defrag *d, struct tracker *t)
{
	for (uint32_t i = 0; i < DEFRAG_PAGES_PER_DATAGRAM && t->n_pages; i++)
		if (t->page[i] != NIL) {
			d->free_pages[d->pages_free++] = t->page[i];
			t->page[i] = NIL;
			t->n_pages--;
		}
	t->n_ranges = 0;
}

static void unlink_age(struct defrag *d, struct tracker *t)
{
	if (t->older != NIL)
		d->trackers[t->older].newer = t->newer;
	else
		d->oldest = t->newer;
	if (t->newer != NIL)
		d->trackers[t->newer].older = t->older;
	else
		d->newest = t->older;
}

static void release(struct defrag *d, struct tracker *t)
{
	uint32_t index = (uint32_t)(t - d->trackers);
	free_pages_of(d, t);
	uint32_t *link = &d->buckets[t->bucket];
	while (*link != index && *link != NIL)
		link = &d->trackers[*link].chain;
	if (*link == index)
		*link = t->chain;
	unlink_age(d, t);
	t->chain = d->free_tracker;
	d->free_tracker = index;
	d->trackers_used--;
}

/* A datagram given up (too many fragments, too large, contradicting
 * lengths): its data goes, its key stays until it expires, so that the
 * fragments still to come are discarded rather than start a datagram with
 * a hole that a crafted retransmission could fill. */
static void drop(struct defrag *d, struct tracker *t)
{
	free_pages_of(d, t);
	t->dropped = true;
}

/* Evicts the oldest datagram other than `keep`; false when there is none. */
static bool evict_oldest(struct defrag *d, const struct tracker *keep, uint64_t *events)
{
	uint32_t i = d->oldest;
	if (i != NIL && &d->trackers[i] == keep)
		i = d->trackers[i].newer;
	if (i == NIL)
		return false;
	struct tracker *t = &d->trackers[i];
	if (!t->dropped)
		events[REASON_EVICTED]++;
	release(d, t);
	return true;
}

void defrag_expire(struct defrag *d, int64_t now, uint64_t events[REASON_COUNT])
{
	if (now > d->now)
		d->now = now;
	while (d->oldest != NIL && d->trackers[d->oldest].expires <= d->now) {
		struct tracker *t = &d->trackers[d->oldest];
		if (!t->dropped)
			events[REASON_TIMEOUT]++;
		release(d, t);
	}
}

struct key {
	uint64_t tunnel;
	uint8_t version, proto;
	uint8_t src[16], dst[16];
	uint8_t id[4];
	uint8_t pad[2];             /* hashed as bytes: no indeterminate padding */
};

static struct tracker *lookup(struct defrag *d, const struct key *k, uint32_t bucket)
{
	for (uint32_t i = d->buckets[bucket]; i != NIL; i = d->trackers[i].chain) {
		struct tracker *t = &d->trackers[i];
		uint32_t id = (uint32_t)k->id[0] << 24 | (uint32_t)k->id[1] << 16 | (uint32_t)k->id[2] << 8 | k->id[3];
		if (t->id == id && t->tunnel == k->tunnel && t->version == k->version && t->key_proto == k->proto &&
		    memcmp(t->src, k->src, 16) == 0 && memcmp(t->dst, k->dst, 16) == 0)
			return t;
	}
	return NULL;
}

static struct tracker *create(struct defrag *d, const struct key *k, uint32_t bucket, uint64_t *events)
{
	if (d->free_tracker == NIL && !evict_oldest(d, NULL, events))
		return NULL;
	uint32_t index = d->free_tracker;
	struct tracker *t = &d->trackers[index];
	d->free_tracker = t->chain;
	memset(t, 0, offsetof(struct tracker, ranges));
	for (uint32_t i = 0; i < DEFRAG_PAGES_PER_DATAGRAM; i++)
		t->page[i] = NIL;
	t->version = k->version;
	t->key_proto = k->proto;
	t->tunnel = k->tunnel;
	memcpy(t->src, k->src, 16);
	memcpy(t->dst, k->dst, 16);
	t->id = (uint32_t)k->id[0] << 24 | (uint32_t)k->id[1] << 16 | (uint32_t)k->id[2] << 8 | k->id[3];
	/* From the first fragment, as Linux: trickling cannot extend it. The
	 * latest packet time, so that an old timestamp cannot make a tracker
	 * that outlives the age list's order. */
	t->expires = d->now > INT64_MAX - d->timeout ? INT64_MAX : d->now + d->timeout;
	t->bucket = bucket;
	t->chain = d->buckets[bucket];
	d->buckets[bucket] = index;
	t->older = d->newest;
	t->newer = NIL;
	if (d->newest != NIL)
		d->trackers[d->newest].newer = index;
	else
		d->oldest = index;
	d->newest = index;
	d->trackers_used++;
	note_peak(d);
	return t;
}

/* ---- data --------------------------------------------------------------- */

/* The smallest transport header a first fragment should hold whole: a
 * shorter one splits the header (RFC 1858's tiny fragment attack, which
 * hides TCP flags or ports from filters that look at fragments alone). */
static uint32_t transport_minimum(uint8_t proto)
{
	switch (proto) {
	case 6: return 20;     /* TCP */
	case 17: return 8;     /* UDP */
	case 1: case 58: return 8;  /* ICMP, ICMPv6 */
	case 2: return 8;      /* IGMP */
	case 132: return 12;   /* SCTP */
	}
	return 0;
}

/* Compares [start, end) of the datagram with data (which begins at
 * `base`); true when they differ. Every page of a held range exists. */
static bool differs(const struct defrag *d, const struct tracker *t, uint32_t start, uint32_t end,
		    const uint8_t *data, uint32_t base)
{
	while (start < end) {
		uint32_t p = start / DEFRAG_PAGE, in = start % DEFRAG_PAGE;
		uint32_t n = DEFRAG_PAGE - in < end - start ? DEFRAG_PAGE - in : end - start;
		if (memcmp(d->pages + (size_t)t->page[p] * DEFRAG_PAGE + in, data + (start - base), n) != 0)
			return true;
		start += n;
	}
	return false;
}

static void write_bytes(struct defrag *d, struct tracker *t, uint32_t start, uint32_t end,
			const uint8_t *data, uint32_t base)
{
	while (start < end) {
		uint32_t p = start / DEFRAG_PAGE, in = start % DEFRAG_PAGE;
		uint32_t n = DEFRAG_PAGE - in < end - start ? DEFRAG_PAGE - in : end - start;
		memcpy(d->pages + (size_t)t->page[p] * DEFRAG_PAGE + in, data + (start - base), n);
		start += n;
	}
}

/* Pages for [start, end), evicting older datagrams for them; false when
 * even all the others would not make room. */
static bool reserve_pages(struct defrag *d, struct tracker *t, uint32_t start, uint32_t end,
			  uint64_t *events)
{
	if (start >= end)
		return true;
	uint32_t first = start / DEFRAG_PAGE, last = (end - 1) / DEFRAG_PAGE;
	uint32_t need = 0;
	for (uint32_t p = first; p <= last; p++)
		need += t->page[p] == NIL;
	while (d->pages_free < need)
		if (!evict_oldest(d, t, events))
			return false;
	for (uint32_t p = first; p <= last; p++)
		if (t->page[p] == NIL) {
			t->page[p] = d->free_pages[--d->pages_free];
			t->n_pages++;
		}
	note_peak(d);
	return true;
}

/* Adds [start, end) to the sorted, merged ranges. */
static void add_range(struct tracker *t, uint32_t start, uint32_t end)
{
	struct range merged = { start, end };
	struct range out[DEFRAG_MAX_FRAGMENTS];
	uint16_t n = 0;
	bool placed = false;
	for (uint16_t i = 0; i < t->n_ranges; i++) {
		struct range r = t->ranges[i];
		if (r.end < merged.start) {
			out[n++] = r;
		} else if (r.start > merged.end) {
			if (!placed) {
				out[n++] = merged;
				placed = true;
			}
			out[n++] = r;
		} else {
			merged.start = r.start < merged.start ? r.start : merged.start;
			merged.end = r.end > merged.end ? r.end : merged.end;
		}
	}
	if (!placed)
		out[n++] = merged;
	memcpy(t->ranges, out, n * sizeof *out);
	t->n_ranges = n;
}

static bool complete(const struct tracker *t)
{
	if (!t->has_first || !t->has_last)
		return false;
	if (t->total == 0)
		return t->n_ranges == 0;
	return t->n_ranges == 1 && t->ranges[0].start == 0 && t->ranges[0].end == t->total;
}

static uint16_t ipv4_checksum(const uint8_t *h, uint32_t len)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The datagram as one IP packet in d->out: the offset-0 fragment's header
 * with its lengths, fragment fields (and checksum) made whole. */
static void assemble(struct defrag *d, const struct tracker *t, struct defrag_datagram *out)
{
	uint8_t *o = d->out;
	memcpy(o, t->header, t->header_len);
	uint32_t h = t->header_len;
	if (t->version == 4 && h >= 20) {
		uint32_t total = h + t->total;
		o[2] = (uint8_t)(total >> 8);
		o[3] = (uint8_t)total;
		o[6] &= 0x40;          /* DF kept; MF and the offset cleared */
		o[7] = 0;
		o[10] = o[11] = 0;
		uint16_t sum = ipv4_checksum(o, h);
		o[10] = (uint8_t)(sum >> 8);
		o[11] = (uint8_t)sum;
	} else if (t->version == 6 && h >= 40) {
		o[4] = (uint8_t)(t->total >> 8);
		o[5] = (uint8_t)t->total;
		o[6] = t->proto;
	}
	for (uint32_t start = 0; start < t->total;) {
		uint32_t p = start / DEFRAG_PAGE;
		uint32_t n = DEFRAG_PAGE < t->total - start ? DEFRAG_PAGE : t->total - start;
		memcpy(o + h + start, d->pages + (size_t)t->page[p] * DEFRAG_PAGE, n);
		start += n;
	}
	*out = (struct defrag_datagram){
		.packet = o, .packet_len = h + t->total,
		.payload = o + h, .payload_len = t->total,
		.proto = t->proto, .fragments = t->fragments, .frame_bytes = t->frame_bytes,
	};
}

/* ---- one fragment --------------------------------------------------------- */

static bool oversize(const struct defrag_fragment *f, uint32_t end)
{
	/* IPv4: the whole datagram, header included, within 65,535 bytes
	 * (the ping of death went past it); IPv6: the fragmentable part. */
	if (f->version == 4)
		return (uint64_t)end + f->header_len > IPV4_MAX_DATAGRAM;
	return end > DEFRAG_MAX_PAYLOAD;
}

enum defrag_verdict defrag_add(struct defrag *d, const struct defrag_fragment *f,
			       uint64_t events[REASON_COUNT], struct defrag_datagram *out)
{
	defrag_expire(d, f->ts, events);
	events[REASON_FRAGMENT]++;
	uint64_t end64 = (uint64_t)f->offset + f->len;
	uint32_t end = end64 > UINT32_MAX ? UINT32_MAX : (uint32_t)end64;

	struct key k = { .tunnel = f->tunnel, .version = f->version, .proto = f->version == 4 ? f->proto : 0 };
	uint32_t addr = f->version == 4 ? 4 : 16;
	memcpy(k.src, f->src, addr);
	memcpy(k.dst, f->dst, addr);
	k.id[0] = (uint8_t)(f->id >> 24), k.id[1] = (uint8_t)(f->id >> 16);
	k.id[2] = (uint8_t)(f->id >> 8), k.id[3] = (uint8_t)f->id;
	uint32_t bucket = (uint32_t)flow_siphash13(&d->key, &k, sizeof k) & (d->n_buckets - 1);
	struct tracker *t = lookup(d, &k, bucket);

	if (end64 > DEFRAG_MAX_PAYLOAD || oversize(f, end)) {
		events[REASON_OVERSIZE]++;
		if (t && !t->dropped)
			drop(d, t);
		return DEFRAG_DISCARDED;
	}
	/* Every fragment but the last carries a multiple of 8 bytes (RFC 791,
	 * RFC 8200), and at least one. */
	if (f->more && (f->len == 0 || f->len % 8)) {
		events[REASON_BAD_LENGTH]++;
		return DEFRAG_DISCARDED;
	}
	if (!t && !(t = create(d, &k, bucket, events)))
		return DEFRAG_DISCARDED;   /* not reached: a pool has one tracker at least */
	if (t->dropped)
		return DEFRAG_DISCARDED;
	t->fragments++;
	if (t->fragments > DEFRAG_MAX_FRAGMENTS) {
		events[REASON_TOO_MANY_FRAGMENTS]++;
		drop(d, t);
		return DEFRAG_DISCARDED;
	}
	/* The last fragment fixes the length; a fragment contradicting it
	 * (another end, data past it) makes the datagram ambiguous: dropped,
	 * as Linux does. */
	uint32_t held_end = t->n_ranges ? t->ranges[t->n_ranges - 1].end : 0;
	if ((!f->more && ((t->has_last && end != t->total) || held_end > end)) ||
	    (f->more && t->has_last && end > t->total)) {
		events[REASON_BAD_LENGTH]++;
		drop(d, t);
		return DEFRAG_DISCARDED;
	}
	if (f->offset == 0 && f->more && f->len < transport_minimum(f->proto))
		events[REASON_TINY_FIRST_FRAGMENT]++;  /* still reassembled: the host would */

	/* Overlaps with what is held: compared, then only the new bytes kept. */
	uint32_t covered = 0;
	bool different = false;
	for (uint16_t i = 0; i < t->n_ranges; i++) {
		uint32_t s = t->ranges[i].start > f->offset ? t->ranges[i].start : f->offset;
		uint32_t e = t->ranges[i].end < end ? t->ranges[i].end : end;
		if (s >= e)
			continue;
		covered += e - s;
		different = different || differs(d, t, s, e, f->data, f->offset);
	}
	/* A duplicate changes nothing; a last fragment inside held data still
	 * tells the length. */
	if (covered && covered == f->len && !different && (f->more || t->has_last)) {
		events[REASON_DUPLICATE]++;
		t->frame_bytes += f->frame_bytes;
		return DEFRAG_DISCARDED;
	}
	if (covered) {
		events[REASON_OVERLAP]++;
		if (different)
			events[REASON_OVERLAP_DIFFERENT]++;
	}
	if (!reserve_pages(d, t, f->offset, end, events)) {
		events[REASON_EVICTED]++;  /* larger than the whole budget allows */
		release(d, t);
		return DEFRAG_DISCARDED;
	}
	uint32_t pos = f->offset;
	for (uint16_t i = 0; i < t->n_ranges && pos < end; i++) {
		const struct range *r = &t->ranges[i];
		if (r->end <= pos)
			continue;
		if (r->start >= end)
			break;
		if (r->start > pos)
			write_bytes(d, t, pos, r->start, f->data, f->offset);
		pos = r->end;
	}
	if (pos < end)
		write_bytes(d, t, pos, end, f->data, f->offset);
	if (f->len)
		add_range(t, f->offset, end);
	if (f->offset == 0 && !t->has_first) {
		t->has_first = true;
		t->proto = f->proto;
		t->header_len = (uint8_t)(f->header_len <= DEFRAG_HEADER_MAX ? f->header_len : 0);
		if (t->header_len)
			memcpy(t->header, f->header, t->header_len);
	}
	if (!f->more) {
		t->has_last = true;
		t->total = end;
	}
	t->frame_bytes += f->frame_bytes;
	if (!complete(t))
		return DEFRAG_HELD;
	events[REASON_REASSEMBLED]++;
	assemble(d, t, out);
	release(d, t);
	return DEFRAG_COMPLETE;
}
