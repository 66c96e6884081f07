/* stream.c: the TCP reassembler of stream.h: a per-worker table of
 * connections (lib/flow/table.h), each direction's out-of-order bytes held
 * in pool blocks (blocks.h), delivery in sequence order to the consumer.
 *
 * Policies (the why of each is in stream.h's top comment or below):
 * - Key: canonical (IP version, tunnel, the lower (address, port) end,
 *   then the higher), so both directions find one entry; hashed with
 *   SipHash-1-3 under a key of its own derived from the run's secret, as
 *   lib/defrag: attackers choose the tuples.
 * - An entry is made for a SYN (without ACK: its sender is the client;
 *   SYN-ACK: its receiver) or for a segment with payload (midstream pickup,
 *   counted; the client is the end whose port is >= 1024 when the other's
 *   is < 1024, else the sender). A pure ACK, FIN or RST of no entry makes
 *   nothing: it would only cost a slot.
 * - Held data: per direction, a list of blocks sorted by sequence number,
 *   disjoint; a block's tag is the sequence number of its data[0]. A
 *   segment is stored as its new bytes only (those no held block covers),
 *   a piece longer than BLOCK_DATA spanning several blocks. Blocks are
 *   charged whole against the depth, so a flood of 1-byte segments costs a
 *   block each and stops at depth / BLOCK_SIZE of them.
 * - Overlaps: what was delivered or held first wins. Delivered bytes are
 *   not kept (that would double the memory of every stream), so an old
 *   part of a segment is only counted (retransmission), never compared;
 *   bytes over held data are compared (overlap, overlap-different-data).
 * - No room (depth reached, or the pool empty: counted depth / memory):
 *   the holes are skipped. The direction is flushed in order, held data
 *   and the new segment merged, each remaining hole reported as a gap.
 *   Nothing captured is lost to a full buffer, only the order waited for.
 * - Snaplen: bytes past a segment's captured length are a gap when the
 *   stream reaches them in order (next_seq advances by the full length).
 *   Held out of order, only the captured bytes are kept: the rest stays a
 *   hole until a retransmission fills it or a flush skips it.
 * - Sequence numbers compare mod 2^32 (RFC 9293). A segment starting more
 *   than STREAM_AHEAD_MAX past the next expected byte is not held (counted
 *   bad-value): it keeps every held byte within 2^31 of next_seq, where
 *   that arithmetic is exact.
 * - FIN: its sequence number is kept; fin() comes when the stream reaches
 *   it. A FIN that arrives while the direction holds data past a hole
 *   flushes it (gaps, held data, a gap to the FIN) and then fin(): the
 *   sender is done, and the capture has missed those bytes. A FIN that
 *   only overtook the last segment (nothing held) waits for it. After its
 *   FIN a direction takes no more data (counted retransmission).
 * - End: both FINs delivered, or a RST (both directions flushed first):
 *   end(CLOSED) at once, then a tombstone for STREAM_CLOSE_LINGER_NS that
 *   swallows late segments (counted retransmission) instead of starting a
 *   midstream connection from them. Idle expiry, eviction (table full) and
 *   shutdown flush both directions with gaps, then end().
 * - ignore[dir] (the consumer's): that direction's held blocks are freed
 *   and nothing of it is held or delivered again; only next_seq and its
 *   FIN are tracked, so the entry still ends as it should.
 *
 * Cost per segment: one lookup; walks of the direction's held list (at
 * most depth / BLOCK_SIZE blocks; none when the segment comes after all
 * held data, the usual case); the bytes delivered. Memory: the table and
 * the pool, both fixed at creation. */
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flowhash.h"
#include "flow/siphash.h"
#include "flow/table.h"
#include "stream/stream.h"

#define NS_PER_S INT64_C(1000000000)
#define STREAM_TICK_NS NS_PER_S
/* The farthest ahead of next_seq a segment may start and still be held
 * (1 GiB: beyond any real window, scaled ones included). */
#define STREAM_AHEAD_MAX (1u << 30)
/* The longest segment taken (an IPv4 or IPv6 payload is at most 65,535
 * bytes; jumbograms more): longer ones are cut, counted bad-length. */
#define STREAM_SEGMENT_MAX (1u << 24)


/* One direction of a connection. */
struct half {
	struct block *held, *held_tail;  /* sorted by seq, disjoint */
	uint32_t held_blocks, held_bytes;
	uint32_t next_seq;          /* the next byte to deliver (when started) */
	uint32_t fin_seq;           /* the FIN's sequence number (when fin_seen) */
	bool started;               /* next_seq known */
	bool fin_seen, fin_done;
};

/* A table entry: the table's header, then the consumer's view, then ours. */
struct conn_entry {
	struct flow_node node;
	struct stream_conn c;
	struct half half[2];        /* by dir: 0 client to server */
	int64_t last_ts;
	bool client_is_lower;       /* the client is the key's lower end */
	bool closed;                /* a tombstone: end() was called */
};

/* The canonical key, as bytes (no padding to hash). */
#define KEY_LEN 45
struct key {
	uint8_t b[KEY_LEN];         /* version, tunnel (8), lower addr (16) and
	                             * port (2), higher addr (16) and port (2) */
};

struct stream_table {
	struct flow_table *table;
	struct block_pool pool;
	struct stream_settings s;
	struct stream_callbacks cb;
	struct sip_key key;
	uint64_t evicted;
	/* The current call's, for the table's expire callback (which gets
	 * only the stream_table). */
	void *env;
	uint64_t *events;
	bool silent;                /* stream_free: release, no callbacks */
	bool started;               /* the table's clock set by a segment */
	uint64_t scratch_events[REASON_COUNT]; /* when the caller gives none */
};

/* ---- sequence numbers (RFC 9293) ------------------------------------- */

static inline bool seq_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
/* a in [lo, hi) */
static inline bool seq_within(uint32_t a, uint32_t lo, uint32_t hi) { return a - lo < hi - lo; }

/* ---- callbacks ------------------------------------------------------- */

static void count(struct stream_table *st, enum decode_reason r)
{
	st->events[r]++;
}

static void emit_data(struct stream_table *st, struct conn_entry *e, int dir, const uint8_t *d, uint32_t n)
{
	if (n && st->cb.data && !st->silent)
		st->cb.data(st->env, &e->c, dir, d, n, e->last_ts);
}

static void emit_gap(struct stream_table *st, struct conn_entry *e, int dir, uint32_t n)
{
	if (!n || st->silent)
		return;
	count(st, REASON_GAP);
	if (st->cb.gap)
		st->cb.gap(st->env, &e->c, dir, n, e->last_ts);
}

/* ---- held blocks ------------------------------------------------------ */

static void drop_held(struct stream_table *st, struct half *h)
{
	block_put_chain(&st->pool, h->held);
	h->held = h->held_tail = NULL;
	h->held_blocks = h->held_bytes = 0;
}

static struct block *pop_held(struct half *h)
{
	struct block *b = h->held;
	h->held = b->next;
	if (!h->held)
		h->held_tail = NULL;
	h->held_blocks--;
	h->held_bytes -= b->len;
	b->next = NULL;
	return b;
}

/* Where a walk of the held list for bytes from s may start: after the
 * tail when s is past all held data (the usual out-of-order arrival),
 * else at the head. */
static struct block **walk_start(struct half *h, uint32_t s)
{
	struct block *t = h->held_tail;
	if (t && !seq_before(s, t->tag + t->len))
		return &t->next;
	return &h->held;
}

/* Counts the overlap of [s, s + len) with held bytes (first wins: only
 * compared). Returns the bytes covered. */
static uint32_t note_overlaps(struct stream_table *st, struct half *h, uint32_t s, const uint8_t *data,
			      uint32_t len)
{
	uint32_t covered = 0, end = s + len;
	bool different = false;
	for (struct block *b = *walk_start(h, s); b && seq_before(b->tag, end); b = b->next) {
		uint32_t bend = b->tag + b->len;
		if (!seq_after(bend, s))
			continue;
		uint32_t from = seq_after(b->tag, s) ? b->tag : s;
		uint32_t to = seq_before(bend, end) ? bend : end;
		covered += to - from;
		if (!different && memcmp(b->data + (from - b->tag), data + (from - s), to - from) != 0)
			different = true;
	}
	if (covered) {
		count(st, REASON_OVERLAP);
		if (different)
			count(st, REASON_OVERLAP_DIFFERENT);
	}
	return covered;
}

/* The new bytes of [s, s + len) (those no held block covers), in blocks:
 * counts the blocks they need (spare NULL), or stores them, taking blocks
 * from the chain *spare (as many as the count said). */
static uint32_t place_pieces(struct half *h, uint32_t s, const uint8_t *data, uint32_t len, struct block **spare)
{
	uint32_t need = 0, p = s, end = s + len;
	struct block **link = walk_start(h, s);
	while (seq_before(p, end)) {
		struct block *b = *link;
		if (b && !seq_after(b->tag + b->len, p)) {       /* b ends at or before p */
			link = &b->next;
			continue;
		}
		if (b && !seq_after(b->tag, p)) {                /* b covers p */
			p = b->tag + b->len;
			link = &b->next;
			continue;
		}
		uint32_t stop = b && seq_before(b->tag, end) ? b->tag : end;
		while (p != stop) {
			uint32_t n = stop - p < BLOCK_DATA ? stop - p : BLOCK_DATA;
			need++;
			if (spare) {
				struct block *nb = *spare;
				*spare = nb->next;
				nb->tag = p;
				nb->len = n;
				memcpy(nb->data, data + (p - s), n);
				nb->next = b;
				*link = nb;
				link = &nb->next;
				if (!b)
					h->held_tail = nb;
				h->held_blocks++;
				h->held_bytes += n;
			}
			p += n;
		}
	}
	return need;
}

/* ---- delivery --------------------------------------------------------- */

/* A segment's bytes: [s, s + len) captured at data, [s + len, s + full)
 * not captured (snaplen). */
struct piece {
	uint32_t s;
	const uint8_t *data;
	uint32_t len, full;
};

/* The consumer gave up on a direction: free what it holds, move next_seq
 * past everything known of it. */
static void release_ignored(struct stream_table *st, struct conn_entry *e)
{
	for (int dir = 0; dir < 2; dir++) {
		struct half *h = &e->half[dir];
		if (!e->c.ignore[dir] || !h->held)
			continue;
		uint32_t end = h->held_tail->tag + h->held_tail->len;
		if (seq_after(end, h->next_seq))
			h->next_seq = end;
		drop_held(st, h);
	}
}

/* Delivers direction dir from next_seq on, in order: held blocks and the
 * segment p (NULL: none) merged, held bytes winning where both have them
 * (the overlap was counted when p arrived), bytes past p's capture as a
 * gap. Stops at the first hole, or (flush) reports it as a gap and goes
 * on until neither held data nor p is left. */
static void deliver(struct stream_table *st, struct conn_entry *e, int dir, const struct piece *p, bool flush)
{
	struct half *h = &e->half[dir];
	uint32_t cur = h->next_seq;
	while (!e->c.ignore[dir]) {
		struct block *b = h->held;
		if (b && b->tag == cur) {
			emit_data(st, e, dir, b->data, b->len);
			cur += b->len;
			block_put(&st->pool, pop_held(h));
			continue;
		}
		/* Held blocks all start after cur: the room before the next. */
		uint32_t room = b ? b->tag - cur : UINT32_MAX;
		if (p && seq_within(cur, p->s, p->s + p->len)) {
			uint32_t n = p->s + p->len - cur;
			n = n < room ? n : room;
			emit_data(st, e, dir, p->data + (cur - p->s), n);
			cur += n;
			continue;
		}
		if (p && seq_within(cur, p->s + p->len, p->s + p->full)) {
			uint32_t n = p->s + p->full - cur;
			n = n < room ? n : room;
			emit_gap(st, e, dir, n);
			cur += n;
			continue;
		}
		if (!flush)
			break;
		/* A hole: to the next held block or the segment's start. */
		bool seg_ahead = p && p->full && seq_after(p->s, cur);
		if (!b && !seg_ahead)
			break;
		uint32_t next = b ? b->tag : p->s;
		if (seg_ahead && seq_before(p->s, next))
			next = p->s;
		emit_gap(st, e, dir, next - cur);
		cur = next;
	}
	if (seq_after(cur, h->next_seq))
		h->next_seq = cur;
	if (e->c.ignore[dir] && p && seq_after(p->s + p->full, h->next_seq))
		h->next_seq = p->s + p->full;
	release_ignored(st, e);
}

/* A FIN the stream has reached: fin(). */
static void check_fin(struct stream_table *st, struct conn_entry *e, int dir)
{
	struct half *h = &e->half[dir];
	if (!h->fin_seen || h->fin_done || seq_before(h->next_seq, h->fin_seq))
		return;
	h->fin_done = true;
	drop_held(st, h);           /* past the FIN: not the stream's */
	if (!e->c.ignore[dir] && st->cb.fin && !st->silent)
		st->cb.fin(st->env, &e->c, dir, e->last_ts);
}

/* Everything left of a direction: held data with gaps, then (FIN seen) a
 * gap to the FIN and fin(). */
static void flush_half(struct stream_table *st, struct conn_entry *e, int dir)
{
	struct half *h = &e->half[dir];
	if (e->c.ignore[dir] || st->silent) {
		drop_held(st, h);
	} else if (h->held) {
		deliver(st, e, dir, NULL, true);
	}
	if (h->fin_seen && !h->fin_done && seq_before(h->next_seq, h->fin_seq)) {
		if (!e->c.ignore[dir])
			emit_gap(st, e, dir, h->fin_seq - h->next_seq);
		h->next_seq = h->fin_seq;
	}
	check_fin(st, e, dir);
}

static void end_conn(struct stream_table *st, struct conn_entry *e, enum stream_end_reason why)
{
	flush_half(st, e, 0);
	flush_half(st, e, 1);
	drop_held(st, &e->half[0]);   /* a consumer that set ignore in fin() */
	drop_held(st, &e->half[1]);
	e->closed = true;
	if (st->cb.end && !st->silent)
		st->cb.end(st->env, &e->c, why, e->last_ts);
}

/* end(CLOSED) now; the entry stays, as a tombstone, for the linger time. */
static void close_conn(struct stream_table *st, struct conn_entry *e)
{
	end_conn(st, e, STREAM_END_CLOSED);
	int64_t at = e->last_ts > INT64_MAX - STREAM_CLOSE_LINGER_NS ? INT64_MAX : e->last_ts + STREAM_CLOSE_LINGER_NS;
	flow_table_touch(st->table, &e->node, at);
}

/* The table's expire callback: idle, evicted, shut down. A tombstone
 * goes silently: its end() was called. */
static void expired(void *ctx, struct flow_node *n, enum flow_end why)
{
	struct stream_table *st = ctx;
	struct conn_entry *e = (struct conn_entry *)n;
	if (e->closed) {
		drop_held(st, &e->half[0]);
		drop_held(st, &e->half[1]);
		return;
	}
	enum stream_end_reason r = STREAM_END_IDLE;
	if (why == FLOW_END_EVICTED || why == FLOW_END_PROBE_LIMIT) {
		r = STREAM_END_EVICTED;
		st->evicted++;
	} else if (why == FLOW_END_SHUTDOWN) {
		r = STREAM_END_SHUTDOWN;
	}
	end_conn(st, e, r);
}

/* ---- one segment -------------------------------------------------------- */

/* The data of a segment for direction dir, starting at sequence s. */
static void take_data(struct stream_table *st, struct conn_entry *e, int dir, struct piece p)
{
	struct half *h = &e->half[dir];
	uint32_t end = p.s + p.full;
	if (h->fin_done) {
		count(st, REASON_RETRANSMISSION);   /* after the FIN: no new byte */
		return;
	}
	if (!seq_after(end, h->next_seq)) {
		count(st, REASON_RETRANSMISSION);
		return;
	}
	if (seq_before(p.s, h->next_seq)) {
		/* Partly delivered already: that part is only counted (delivered
		 * bytes are not kept, so not compared), the rest goes on. */
		count(st, REASON_RETRANSMISSION);
		uint32_t old = h->next_seq - p.s;
		if (old < p.len) {
			p.data += old;
			p.len -= old;
		} else {
			p.len = 0;
		}
		p.full -= old;
		p.s = h->next_seq;
	} else if (p.s - h->next_seq > STREAM_AHEAD_MAX) {
		count(st, REASON_BAD_VALUE);
		return;
	}
	if (e->c.ignore[dir]) {
		h->next_seq = end;
		return;
	}
	uint32_t covered = h->held && p.len ? note_overlaps(st, h, p.s, p.data, p.len) : 0;
	if (p.s == h->next_seq) {
		deliver(st, e, dir, &p, false);
		return;
	}
	if (covered == p.len && p.full == p.len) {
		count(st, REASON_RETRANSMISSION);   /* held already, all of it */
		return;
	}
	if (!p.len) {
		count(st, REASON_OUT_OF_ORDER);     /* nothing captured to hold */
		return;
	}
	uint32_t need = place_pieces(h, p.s, p.data, p.len, NULL);
	enum decode_reason refusal = REASON_COUNT;
	struct block *spare = NULL;
	if ((uint64_t)(h->held_blocks + need) * BLOCK_SIZE > st->s.depth) {
		refusal = REASON_DEPTH;
	} else {
		for (uint32_t i = 0; i < need; i++) {
			struct block *nb = block_get(&st->pool);
			if (!nb) {
				refusal = REASON_MEMORY;
				break;
			}
			nb->next = spare;
			spare = nb;
		}
	}
	if (refusal != REASON_COUNT) {
		/* No room: skip the holes, in order, this segment merged in. */
		block_put_chain(&st->pool, spare);
		count(st, refusal);
		deliver(st, e, dir, &p, true);
		return;
	}
	count(st, REASON_OUT_OF_ORDER);
	place_pieces(h, p.s, p.data, p.len, &spare);
}

/* The canonical key; returns whether the segment's sender is its lower end. */
static bool make_key(const struct stream_segment *seg, struct key *k)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	size_t alen = seg->version == 6 ? 16 : 4;
	memcpy(src, seg->src, alen);
	memcpy(dst, seg->dst, alen);
	int order = memcmp(src, dst, 16);
	bool src_lower = order < 0 || (order == 0 && seg->src_port <= seg->dst_port);
	const uint8_t *lo = src_lower ? src : dst, *hi = src_lower ? dst : src;
	uint16_t lo_port = src_lower ? seg->src_port : seg->dst_port;
	uint16_t hi_port = src_lower ? seg->dst_port : seg->src_port;
	memset(k, 0, sizeof *k);
	k->b[0] = seg->version;
	for (int i = 0; i < 8; i++)
		k->b[1 + i] = (uint8_t)(seg->tunnel >> (8 * i));
	memcpy(k->b + 9, lo, 16);
	k->b[25] = (uint8_t)(lo_port >> 8);
	k->b[26] = (uint8_t)lo_port;
	memcpy(k->b + 27, hi, 16);
	k->b[43] = (uint8_t)(hi_port >> 8);
	k->b[44] = (uint8_t)hi_port;
	return src_lower;
}

static int64_t expiry(int64_t ts, int64_t after)
{
	return ts > INT64_MAX - after ? INT64_MAX : ts + after;
}

static struct conn_entry *create(struct stream_table *st, const struct stream_segment *seg, const struct key *k,
				 uint32_t hash, bool src_lower)
{
	struct conn_entry *e = (struct conn_entry *)flow_table_insert(st->table, k->b, KEY_LEN, hash,
								      expiry(seg->ts, st->s.idle_ns));
	if (!e)
		return NULL;
	bool syn = seg->flags & TH_SYN, ack = seg->flags & TH_ACK;
	bool sender_is_client;
	if (syn) {
		sender_is_client = !ack;
	} else {
		count(st, REASON_MIDSTREAM);
		if (seg->src_port >= 1024 && seg->dst_port < 1024)
			sender_is_client = true;
		else if (seg->dst_port >= 1024 && seg->src_port < 1024)
			sender_is_client = false;
		else
			sender_is_client = true;
	}
	e->client_is_lower = sender_is_client == src_lower;
	size_t alen = seg->version == 6 ? 16 : 4;
	struct stream_endpoints *ep = &e->c.ep;
	ep->version = seg->version;
	memcpy(sender_is_client ? ep->client : ep->server, seg->src, alen);
	memcpy(sender_is_client ? ep->server : ep->client, seg->dst, alen);
	ep->client_port = sender_is_client ? seg->src_port : seg->dst_port;
	ep->server_port = sender_is_client ? seg->dst_port : seg->src_port;
	return e;
}

struct stream_conn *stream_segment(struct stream_table *st, const struct stream_segment *seg, void *env,
				   uint64_t events[REASON_COUNT])
{
	if (!st || !seg || (seg->version != 4 && seg->version != 6) || !seg->src || !seg->dst)
		return NULL;
	st->env = env;
	st->events = events ? events : st->scratch_events;
	if (!st->started) {
		/* Starts the table's wheel at the first segment's time, as the
		 * flow tables do, not at the first expiry (ts + idle): a
		 * tombstone's earlier expiry would wait for that. */
		flow_table_advance(st->table, seg->ts);
		st->started = true;
	}
	bool syn = seg->flags & TH_SYN, fin = seg->flags & TH_FIN, rst = seg->flags & TH_RST;
	bool ack = seg->flags & TH_ACK;
	uint32_t len = seg->data ? seg->len : 0, full = seg->full_len > len ? seg->full_len : len;
	if (full > STREAM_SEGMENT_MAX) {
		count(st, REASON_BAD_LENGTH);
		full = STREAM_SEGMENT_MAX;
		len = len < full ? len : full;
	}

	struct key k;
	bool src_lower = make_key(seg, &k);
	uint32_t hash = (uint32_t)flow_siphash13(&st->key, k.b, KEY_LEN);
	struct conn_entry *e = (struct conn_entry *)flow_table_find(st->table, k.b, KEY_LEN, hash);
	if (e && seg->ts >= e->node.expire_at) {
		/* Due already (idle, or a tombstone's linger over), though this
		 * worker's clock has not reached it yet: it ends first, so that
		 * when a connection ends does not depend on what else the
		 * worker carries (the flow tables do the same). */
		flow_table_expire(st->table, &e->node, FLOW_END_DUE);
		e = NULL;
	}
	if (!e) {
		if (rst || (!syn && !full))
			return NULL;
		e = create(st, seg, &k, hash, src_lower);
		if (!e)
			return NULL;
	}
	if (e->closed) {
		/* Late data of a closed connection; the last ACK of a close is
		 * no retransmission. */
		if (full || syn)
			count(st, REASON_RETRANSMISSION);
		return &e->c;
	}
	e->last_ts = seg->ts;
	flow_table_touch(st->table, &e->node, expiry(seg->ts, st->s.idle_ns));
	int dir = src_lower == e->client_is_lower ? 0 : 1;
	struct half *h = &e->half[dir];
	release_ignored(st, e);     /* ignore set since the last call */

	if (rst) {
		/* Its payload, if any, is a diagnostic, not stream data. */
		close_conn(st, e);
		return &e->c;
	}
	uint32_t s = syn ? seg->seq + 1 : seg->seq;  /* the SYN takes one number */
	if (!h->started && (syn || full || fin)) {
		h->started = true;
		h->next_seq = s;
	}
	/* A SYN-ACK tells where the client's stream starts (its ISN + 1). */
	if (syn && ack) {
		struct half *other = &e->half[!dir];
		if (!other->started) {
			other->started = true;
			other->next_seq = seg->ack;
		}
	}
	if (full)
		take_data(st, e, dir, (struct piece){ .s = s, .data = seg->data, .len = len, .full = full });
	if (fin && !h->fin_seen && !h->fin_done) {
		h->fin_seen = true;
		h->fin_seq = s + full;
		uint32_t ahead = h->fin_seq - h->next_seq;
		if (ahead > STREAM_AHEAD_MAX && (int32_t)ahead >= 0) {
			count(st, REASON_BAD_VALUE);
			h->fin_seen = false;
		} else if (e->c.ignore[dir]) {
			h->next_seq = h->fin_seq;   /* nothing to wait for */
		} else if (h->held) {
			flush_half(st, e, dir);     /* holes the capture missed */
		}
	}
	check_fin(st, e, dir);
	release_ignored(st, e);
	if (e->half[0].fin_done && e->half[1].fin_done)
		close_conn(st, e);
	return &e->c;
}

/* ---- the table ----------------------------------------------------------- */

struct stream_table *stream_create(const struct stream_settings *s, const struct stream_callbacks *cb)
{
	if (!s || !cb)
		return NULL;
	struct stream_table *st = flow_alloc_lines(sizeof *st);
	if (!st)
		return NULL;
	st->s = *s;
	if (st->s.memory < BLOCKS_MIN_MEMORY)
		st->s.memory = BLOCKS_MIN_MEMORY;
	if (st->s.capacity == 0)
		st->s.capacity = 1;
	if (st->s.idle_ns <= 0)
		st->s.idle_ns = 1;
	st->cb = *cb;
	st->events = st->scratch_events;
	if (block_pool_init(&st->pool, st->s.memory) < 0) {
		free(st);
		return NULL;
	}
	st->table = flow_table_create(st->s.capacity, sizeof(struct conn_entry), STREAM_TICK_NS, expired, st);
	if (!st->table) {
		block_pool_free(&st->pool);
		free(st);
		return NULL;
	}
	/* A key of its own, derived from the run's secret (flowhash.h). */
	static const char label[] = "netcap stream";
	st->key.k0 = flow_siphash24(&flow_hash_keys.sip[FLOW_HASH_TUPLE], label, sizeof label);
	st->key.k1 = flow_siphash24(&flow_hash_keys.sip[FLOW_HASH_TRANSPORT], label, sizeof label);
	return st;
}

void stream_free(struct stream_table *st)
{
	if (!st)
		return;
	st->silent = true;          /* no env to call back with: blocks back only */
	flow_table_flush(st->table);
	flow_table_free(st->table);
	block_pool_free(&st->pool);
	free(st);
}

struct block_pool *stream_blocks(struct stream_table *st)
{
	return &st->pool;
}

void stream_advance(struct stream_table *st, int64_t now, void *env, uint64_t events[REASON_COUNT])
{
	st->env = env;
	st->events = events ? events : st->scratch_events;
	flow_table_advance(st->table, now);
}

void stream_flush(struct stream_table *st, void *env, uint64_t events[REASON_COUNT])
{
	st->env = env;
	st->events = events ? events : st->scratch_events;
	flow_table_flush(st->table);
}

void stream_get_usage(const struct stream_table *st, struct stream_usage *u)
{
	*u = (struct stream_usage){
		.budget = (size_t)st->pool.total * BLOCK_SIZE,
		.in_use = (size_t)st->pool.in_use * BLOCK_SIZE,
		.peak = (size_t)st->pool.peak * BLOCK_SIZE,
		.connections = flow_table_count(st->table),
		.connections_max = st->s.capacity,
		.refused = st->pool.refused,
		.evicted = st->evicted,
	};
}
