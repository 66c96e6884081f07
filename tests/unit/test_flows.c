/* test_flows.c: the flow and connection records of lib/flow (Connection,
 * Flow, LinkFlow, NetworkFlow, TransportFlow), driven directly.
 *
 * Packets are real Ethernet/IPv4/IPv6 frames built here (flows_packet()
 * re-parses them for its key) with the struct packet fields a decoder
 * would set filled in by hand, so these tests do not depend on lib/decode.
 * Records come back through the emit callback and are kept both as the
 * fields the tests check and as canonical JSON (tests/support/canon.h) for
 * whole-record comparisons.
 *
 * Covered: every packet counted (the first included), sizes, Duration, UID;
 * idle timeouts on both sides of the edge, expiry by the clock alone; TCP
 * teardown orders (FIN/FIN, FIN then RST, RST only, a single FIN) and the
 * grace period; a flow outliving the active timeout; table-full eviction
 * (the entry due soonest goes, counted); IPv6 keys and extension headers;
 * LinkFlow/NetworkFlow/TransportFlow windows and the aggregator summing two
 * workers' shares; identical records for 1 and 2 workers (one worker
 * hashes itself, several take the dispatcher's hash, as in the engine);
 * tunnels: two tenants' identical inner connections (VXLAN) are two
 * Connections, also when a datagram is reassembled inside the tunnel.
 *
 * Hash flooding (docs/flows.md, "Hashing"): the index's probe bound, its
 * invariant under random operations, and 20,000 flows solved to collide
 * under the CRC32-C hashes netcap used before keying: they must probe like
 * random flows and spread over workers like them (tests flood_*, which
 * fail on the old hashes: the tuples are checked to collide there). */
#include <criterion/criterion.h>
#include <rte_hash_crc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/flowhash.h"
#include "flow/flows.h"
#include "../support/canon.h"

#define S 1000000000LL                  /* ns per second */
#define T0 (1700000000LL * S)           /* an aligned start time */
#define HBH 0x100                       /* struct pk.ext: hop-by-hop options (type 0) */

enum {
	T_CONN = TYPES__TYPE__NC_Connection,
	T_FLOW = TYPES__TYPE__NC_Flow,
	T_LINK = TYPES__TYPE__NC_LinkFlow,
	T_NET = TYPES__TYPE__NC_NetworkFlow,
	T_TRANS = TYPES__TYPE__NC_TransportFlow,
};

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

/* ---- collecting records --------------------------------------------- */

struct rec {
	int type;
	int64_t first, last, duration;
	int64_t size, packets, app;
	int64_t c2s, s2c;
	int fin, syn, rst, ack;
	char uid[24];
	char src[48], dst[48], sport[8], dport[8], proto[16];
	char *json;
};

struct sink {
	struct rec *r;
	size_t n, cap;
};

static void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->r[i].json);
	free(s->r);
	memset(s, 0, sizeof *s);
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void collect(void *ctx, int type, const ProtobufCMessage *msg)
{
	struct sink *s = ctx;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->r = realloc(s->r, s->cap * sizeof *s->r);
		cr_assert_not_null(s->r);
	}
	struct rec *r = &s->r[s->n++];
	memset(r, 0, sizeof *r);
	r->type = type;
	size_t len;
	FILE *f = open_memstream(&r->json, &len);
	canon_json(f, msg);
	fclose(f);
	switch (type) {
	case T_CONN: {
		const Types__Connection *c = (const Types__Connection *)msg;
		r->first = c->timestampfirst, r->last = c->timestamplast, r->duration = c->duration;
		r->size = c->totalsize, r->packets = c->numpackets, r->app = c->apppayloadsize;
		r->c2s = c->bytesclienttoserver, r->s2c = c->bytesservertoclient;
		r->fin = c->numfinflags, r->syn = c->numsynflags, r->rst = c->numrstflags, r->ack = c->numackflags;
		copy(r->uid, sizeof r->uid, c->uid);
		copy(r->src, sizeof r->src, c->srcip), copy(r->dst, sizeof r->dst, c->dstip);
		copy(r->sport, sizeof r->sport, c->srcport), copy(r->dport, sizeof r->dport, c->dstport);
		copy(r->proto, sizeof r->proto, c->transportproto);
		break;
	}
	case T_FLOW: {
		const Types__Flow *c = (const Types__Flow *)msg;
		r->first = c->timestampfirst, r->last = c->timestamplast, r->duration = c->duration;
		r->size = c->size, r->packets = c->numpackets, r->app = c->apppayloadsize;
		copy(r->uid, sizeof r->uid, c->uid);
		copy(r->src, sizeof r->src, c->srcip), copy(r->dst, sizeof r->dst, c->dstip);
		copy(r->sport, sizeof r->sport, c->srcport), copy(r->dport, sizeof r->dport, c->dstport);
		copy(r->proto, sizeof r->proto, c->transportproto);
		break;
	}
	case T_LINK: {
		const Types__LinkFlow *c = (const Types__LinkFlow *)msg;
		r->first = c->timestampfirst, r->last = c->timestamplast, r->duration = c->duration;
		r->size = c->size, r->packets = c->numpackets;
		snprintf(r->uid, sizeof r->uid, "%016llx", (unsigned long long)c->uid);
		copy(r->src, sizeof r->src, c->srcmac), copy(r->dst, sizeof r->dst, c->dstmac);
		copy(r->proto, sizeof r->proto, c->proto);
		break;
	}
	case T_NET: {
		const Types__NetworkFlow *c = (const Types__NetworkFlow *)msg;
		r->first = c->timestampfirst, r->last = c->timestamplast, r->duration = c->duration;
		r->size = c->size, r->packets = c->numpackets;
		snprintf(r->uid, sizeof r->uid, "%016llx", (unsigned long long)c->uid);
		copy(r->src, sizeof r->src, c->srcip), copy(r->dst, sizeof r->dst, c->dstip);
		copy(r->proto, sizeof r->proto, c->proto);
		break;
	}
	case T_TRANS: {
		const Types__TransportFlow *c = (const Types__TransportFlow *)msg;
		r->first = c->timestampfirst, r->last = c->timestamplast, r->duration = c->duration;
		r->size = c->size, r->packets = c->numpackets;
		snprintf(r->uid, sizeof r->uid, "%016llx", (unsigned long long)c->uid);
		snprintf(r->sport, sizeof r->sport, "%d", c->srcport);
		snprintf(r->dport, sizeof r->dport, "%d", c->dstport);
		copy(r->proto, sizeof r->proto, c->proto);
		break;
	}
	default:
		cr_assert_fail("unexpected record type %d", type);
	}
}

static size_t count_type(const struct sink *s, int type)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->r[i].type == type;
	return n;
}

/* The i-th record of type (in emission order). */
static const struct rec *nth(const struct sink *s, int type, size_t i)
{
	for (size_t k = 0; k < s->n; k++)
		if (s->r[k].type == type && i-- == 0)
			return &s->r[k];
	cr_assert_fail("no record %zu of type %d (%zu records)", i, type, s->n);
	return NULL;
}

static int64_t sum_packets(const struct sink *s, int type)
{
	int64_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].type == type)
			n += s->r[i].packets;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record as canonical JSON prefixed by its type, sorted: one string. */
static char *sorted_dump(const struct sink *s)
{
	char **lines = calloc(s->n + 1, sizeof *lines);
	size_t total = 1;
	for (size_t i = 0; i < s->n; i++) {
		cr_assert(asprintf(&lines[i], "%d %s", s->r[i].type, s->r[i].json) > 0);
		total += strlen(lines[i]) + 1;
	}
	qsort(lines, s->n, sizeof *lines, cmp_str);
	char *out = malloc(total), *p = out;
	for (size_t i = 0; i < s->n; i++) {
		p += sprintf(p, "%s\n", lines[i]);
		free(lines[i]);
	}
	*p = 0;
	free(lines);
	return out;
}

/* ---- building packets ------------------------------------------------ */

struct tp {
	struct packet p;
	uint8_t frame[2048];
};

struct pk {                       /* what one test packet looks like */
	int64_t ts;
	uint8_t proto;                /* 6, 17, 1, 58; 0: ARP (no IP) */
	uint32_t src, dst;            /* IPv4, host order; with v6 the last 32 bits */
	uint16_t sport, dport;
	uint8_t flags;                /* TCP */
	uint16_t payload;
	bool v6;
	int ext;                      /* IPv6: an extension header before the transport: 0 none, else
				       * its type (HBH for hop-by-hop, whose type is 0) */
	uint32_t wire_extra;          /* wire_len beyond the captured frame (snaplen cut) */
	uint32_t vni;                 /* non-zero: the frame in VXLAN of this VNI, between the
				       * VTEPs vtep_src and vtep_dst (IPv4), from UDP port vxlan_sport */
	uint32_t vtep_src, vtep_dst;
	uint16_t vxlan_sport;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

static void mac_of(uint8_t mac[6], uint32_t ip)
{
	mac[0] = 0x02, mac[1] = 0x00;
	put32(mac + 2, ip);
}

static void v6_of(uint8_t a[16], uint32_t low)
{
	static const uint8_t prefix[12] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(a, prefix, 12);
	put32(a + 12, low);
}

/* Puts the frame built in VXLAN (Ethernet, IPv4, UDP, VXLAN: 50 bytes
 * before it). The packet's fields stay the inner ones, as the decoders
 * leave them (packet_enter_tunnel: innermost IP, inner MACs). */
static void wrap_vxlan(struct tp *t, const struct pk *k)
{
	enum { OUTER = 50 };
	uint8_t *f = t->frame;
	cr_assert_leq(t->p.cap_len + OUTER, sizeof t->frame);
	memmove(f + OUTER, f, t->p.cap_len);
	memset(f, 0, OUTER);
	mac_of(f, k->vtep_dst);
	mac_of(f + 6, k->vtep_src);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(t->p.cap_len + OUTER - 14));
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, k->vtep_src);
	put32(ip + 16, k->vtep_dst);
	put16(udp, k->vxlan_sport);
	put16(udp + 2, 4789);
	put16(udp + 4, (uint16_t)(t->p.cap_len + 16));
	udp[8] = 0x08;                /* the I flag */
	put32(udp + 12, k->vni << 8);
	t->p.cap_len += OUTER;
	t->p.wire_len += OUTER;
}

/* Builds the frame and the fields a decoder would have set. */
static void build(struct tp *t, const struct pk *k)
{
	memset(&t->p, 0, offsetof(struct packet, rec));
	uint8_t *f = t->frame;
	memset(f, 0, sizeof t->frame);
	struct packet *p = &t->p;
	mac_of(f, k->dst);
	mac_of(f + 6, k->src);
	p->has_mac = true;
	memcpy(p->dst_mac, f, 6);
	memcpy(p->src_mac, f + 6, 6);
	uint32_t len = 14;
	if (k->proto == 0) {          /* ARP request */
		put16(f + 12, 0x0806);
		len += 28;
		p->ts = k->ts, p->data = f, p->cap_len = len, p->wire_len = len + k->wire_extra;
		return;
	}
	uint32_t l4 = k->proto == 6 ? 20 : 8;
	uint8_t *ip = f + 14, *tr;
	if (!k->v6) {
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4 + k->payload));
		ip[8] = 64;
		ip[9] = k->proto;
		put32(ip + 12, k->src);
		put32(ip + 16, k->dst);
		tr = ip + 20;
		p->ip_version = 4;
		memcpy(p->src_ip, ip + 12, 4);
		memcpy(p->dst_ip, ip + 16, 4);
		len += 20;
	} else {
		put16(f + 12, 0x86dd);
		ip[0] = 0x60;
		uint32_t ext_len = k->ext ? 8 : 0;
		put16(ip + 4, (uint16_t)(ext_len + l4 + k->payload));
		ip[6] = k->ext ? (uint8_t)k->ext : k->proto;
		ip[7] = 64;
		v6_of(ip + 8, k->src);
		v6_of(ip + 24, k->dst);
		tr = ip + 40;
		if (k->ext) {             /* 8 bytes: next header, length 0, padding */
			tr[0] = k->proto;
			tr += 8;
			len += 8;
		}
		p->ip_version = 6;
		memcpy(p->src_ip, ip + 8, 16);
		memcpy(p->dst_ip, ip + 24, 16);
		len += 40;
	}
	p->ip_proto = k->proto;
	if (k->proto == 6 || k->proto == 17) {
		put16(tr, k->sport);
		put16(tr + 2, k->dport);
		if (k->proto == 6) {
			tr[12] = 5 << 4;
			tr[13] = k->flags;
			put16(tr + 14, 1000);
			p->tcp_flags = k->flags;
			p->tcp_window = 1000;
		} else {
			put16(tr + 4, (uint16_t)(8 + k->payload));
		}
		p->has_ports = true;
		p->src_port = k->sport;
		p->dst_port = k->dport;
	} else {
		tr[0] = 8;                /* echo request */
	}
	len += l4 + k->payload;
	p->app_len = k->payload;
	p->ts = k->ts;
	p->data = f;
	p->cap_len = len;
	p->wire_len = len + k->wire_extra;
	if (k->vni)
		wrap_vxlan(t, k);
}

/* ---- a flows instance ------------------------------------------------- */

struct rig {
	struct flow_settings s;
	struct sink out;
	struct flow_aggregator *agg;
	struct flows *w[4];
	unsigned workers;
	unsigned burst;                   /* packets a worker takes between clock steps */
	unsigned taken[4];
	struct tp tp;
	uint64_t sent;
};

static void to_aggregator(void *ctx, const struct flow_partial *p)
{
	struct rig *r = ctx;
	flow_aggregator_add(r->agg, p);
}

/* flows_create() hands its ctx to both callbacks: emit gets the sink
 * through this trampoline. */
static void emit_to_rig(void *ctx, int type, const ProtobufCMessage *msg)
{
	collect(&((struct rig *)ctx)->out, type, msg);
}

static void settings(struct flow_settings *s, const int *types, size_t n)
{
	flow_settings_default(s);
	s->capacity = 1024;
	s->tcp_idle = 20 * S;
	s->udp_idle = 10 * S;
	s->other_idle = 15 * S;
	s->active = 100 * S;
	s->tcp_close = 2 * S;
	s->window = 60 * S;
	for (size_t i = 0; i < n; i++)
		s->want[types[i]] = true;
}

static const int ALL[] = { T_CONN, T_FLOW, T_LINK, T_NET, T_TRANS };
static const int CONN_ONLY[] = { T_CONN };

static void rig_start(struct rig *r, unsigned workers)
{
	r->workers = workers;
	if (!r->burst)
		r->burst = 1;
	r->agg = flow_aggregator_create(r->s.capacity * workers, &r->s, emit_to_rig, r);
	cr_assert_not_null(r->agg);
	for (unsigned i = 0; i < workers; i++) {
		r->w[i] = flows_create(&r->s, emit_to_rig, to_aggregator, r);
		cr_assert_not_null(r->w[i]);
	}
}

static struct rig *rig_new(const int *types, size_t n, unsigned workers)
{
	struct rig *r = calloc(1, sizeof *r);
	settings(&r->s, types, n);
	rig_start(r, workers);
	return r;
}

static void rig_free(struct rig *r)
{
	for (unsigned i = 0; i < r->workers; i++)
		flows_free(r->w[i]);
	flow_aggregator_free(r->agg);
	sink_free(&r->out);
	free(r);
}

/* One packet, to the worker the engine's dispatcher would pick, with the
 * dispatcher's hash (one worker: none, the worker hashes), then, every
 * burst packets of that worker, the clock step the engine makes offline
 * after each burst it dequeues. */
static void send_pk(struct rig *r, const struct pk *k)
{
	build(&r->tp, k);
	unsigned w = 0;
	uint64_t h = FLOW_HASH_NONE;
	if (r->workers > 1) {
		h = flow_hash_symmetric(r->tp.p.data, r->tp.p.cap_len, LINK_ETHERNET);
		w = flow_hash_worker(h, r->workers);
	}
	flows_packet_hashed(r->w[w], &r->tp.p, LINK_ETHERNET, h);
	if (++r->taken[w] % r->burst == 0)
		flows_advance(r->w[w], flows_now(r->w[w]));
	r->sent++;
}

static void advance_all(struct rig *r, int64_t now)
{
	for (unsigned i = 0; i < r->workers; i++)
		flows_advance(r->w[i], now);
}

static void finish(struct rig *r)
{
	for (unsigned i = 0; i < r->workers; i++)
		flows_flush(r->w[i]);
	flow_aggregator_flush(r->agg);
}

#define A 0x0a000001u   /* 10.0.0.1 */
#define B 0x0a000002u   /* 10.0.0.2 */
#define C 0x0a000003u

static struct pk udp(int64_t ts, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint16_t payload)
{
	return (struct pk){ .ts = ts, .proto = 17, .src = src, .dst = dst, .sport = sp, .dport = dp, .payload = payload };
}

static struct pk tcp(int64_t ts, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t flags, uint16_t payload)
{
	return (struct pk){ .ts = ts, .proto = 6, .src = src, .dst = dst, .sport = sp, .dport = dp,
			    .flags = flags, .payload = payload };
}

TestSuite(flows);

/* ---- counting ---------------------------------------------------------- */

Test(flows, every_packet_counts_first_included)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = udp(T0, A, 5000, B, 53, 30);
	send_pk(r, &k);                                   /* 14+20+8+30 = 72 bytes */
	k = udp(T0 + 250000000, B, 53, A, 5000, 100);     /* 142 bytes back */
	send_pk(r, &k);
	k = udp(T0 + 750000000, A, 5000, B, 53, 0);       /* 42 bytes */
	send_pk(r, &k);
	cr_assert_eq(r->out.n, 0, "nothing is written before the flow ends");
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 1);
	const struct rec *c = nth(&r->out, T_CONN, 0);
	cr_expect_eq(c->packets, 3);
	cr_expect_eq(c->size, 72 + 142 + 42);
	cr_expect_eq(c->c2s, 72 + 42, "client: the sender of the first packet");
	cr_expect_eq(c->s2c, 142);
	cr_expect_eq(c->app, 130);
	cr_expect_eq(c->first, T0);
	cr_expect_eq(c->last, T0 + 750000000);
	cr_expect_eq(c->duration, 750000000);
	cr_expect_str_eq(c->src, "10.0.0.1");
	cr_expect_str_eq(c->sport, "5000");
	cr_expect_str_eq(c->dst, "10.0.0.2");
	cr_expect_str_eq(c->dport, "53");
	cr_expect_str_eq(c->proto, "UDP");
	cr_expect_eq(strlen(c->uid), 16, "UID: 16 hex digits, got '%s'", c->uid);
	cr_expect_eq(strspn(c->uid, "0123456789abcdef"), 16);
	rig_free(r);
}

Test(flows, single_packet_flow)
{
	struct rig *r = rig_new(ALL, 5, 1);
	struct pk k = udp(T0 + 5 * S, A, 5000, B, 53, 10);
	send_pk(r, &k);
	finish(r);
	for (size_t i = 0; i < sizeof ALL / sizeof *ALL; i++) {
		cr_assert_eq(count_type(&r->out, ALL[i]), 1, "type %d", ALL[i]);
		const struct rec *c = nth(&r->out, ALL[i], 0);
		cr_expect_eq(c->packets, 1, "type %d", ALL[i]);
		cr_expect_eq(c->size, 52, "type %d", ALL[i]);
		cr_expect_eq(c->duration, 0, "type %d", ALL[i]);
		cr_expect_eq(c->first, T0 + 5 * S, "type %d", ALL[i]);
	}
	rig_free(r);
}

/* The engine passes the captured length as wire_len too (DPDK's pcap PMD
 * knows no other); the library counts the frame's length when it is told. */
Test(flows, sizes_are_frame_bytes)
{
	struct rig *r = rig_new(ALL, 5, 1);
	struct pk k = udp(T0, A, 5000, B, 53, 1000);
	k.wire_extra = 200;
	send_pk(r, &k);
	finish(r);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->size, 1042 + 200);
	cr_expect_eq(nth(&r->out, T_FLOW, 0)->size, 1042 + 200);
	cr_expect_eq(nth(&r->out, T_NET, 0)->size, 1042 + 200);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->app, 1000, "payload bytes captured");
	rig_free(r);
}

Test(flows, uid_is_stable_and_distinct)
{
	char first[24], again[24], later[24];
	for (int run = 0; run < 3; run++) {
		struct rig *r = rig_new(CONN_ONLY, 1, 1);
		struct pk k = udp(run == 2 ? T0 + 1 : T0, A, 5000, B, 53, 10);
		send_pk(r, &k);
		finish(r);
		copy(run == 0 ? first : run == 1 ? again : later, 24, nth(&r->out, T_CONN, 0)->uid);
		rig_free(r);
	}
	cr_expect_str_eq(first, again, "same key and first packet time: same UID");
	cr_expect_str_neq(first, later, "another first packet time: another UID");
}

Test(flows, syn_ack_first_makes_its_receiver_the_client)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = tcp(T0, B, 80, A, 40000, SYN | ACK, 0);   /* SYN not captured */
	send_pk(r, &k);
	k = tcp(T0 + 1000, A, 40000, B, 80, ACK, 100);
	send_pk(r, &k);
	finish(r);
	const struct rec *c = nth(&r->out, T_CONN, 0);
	cr_expect_str_eq(c->src, "10.0.0.1");
	cr_expect_str_eq(c->sport, "40000");
	cr_expect_eq(c->c2s, 154);
	cr_expect_eq(c->s2c, 54);
	cr_expect_eq(c->syn, 1);
	cr_expect_eq(c->ack, 2);
	rig_free(r);
}

/* ---- idle timeouts ------------------------------------------------------ */

Test(flows, udp_idle_timeout_edge)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	int64_t t = T0;
	struct pk k = udp(t, A, 5000, B, 53, 0);
	send_pk(r, &k);
	t += r->s.udp_idle - 1;                 /* 1 ns before the timeout: same flow */
	k.ts = t;
	send_pk(r, &k);
	t += r->s.udp_idle;                     /* exactly the timeout: a new flow */
	k.ts = t;
	send_pk(r, &k);
	cr_assert_eq(count_type(&r->out, T_CONN), 1, "the first flow is written when the next packet shows it ended");
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 2);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 2);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->duration, r->s.udp_idle - 1);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->packets, 1);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->first, t);
	cr_expect_str_neq(nth(&r->out, T_CONN, 0)->uid, nth(&r->out, T_CONN, 1)->uid);
	rig_free(r);
}

Test(flows, idle_timeout_per_family)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	/* One gap of 12 s: over UDP's 10 s, under TCP's 20 s and ICMP's 15 s. */
	struct pk u = udp(T0, A, 1, B, 2, 0), t = tcp(T0, A, 3, B, 4, ACK, 0);
	struct pk i = { .ts = T0, .proto = 1, .src = A, .dst = B };
	send_pk(r, &u), send_pk(r, &t), send_pk(r, &i);
	u.ts = t.ts = i.ts = T0 + 12 * S;
	send_pk(r, &u), send_pk(r, &t), send_pk(r, &i);
	finish(r);
	size_t udp_records = 0, tcp_records = 0, icmp_records = 0;
	for (size_t n = 0; n < r->out.n; n++) {
		udp_records += !strcmp(r->out.r[n].proto, "UDP");
		tcp_records += !strcmp(r->out.r[n].proto, "TCP");
		icmp_records += !strcmp(r->out.r[n].proto, "ICMPv4");
	}
	cr_expect_eq(udp_records, 2);
	cr_expect_eq(tcp_records, 1);
	cr_expect_eq(icmp_records, 1);
	cr_expect_eq(sum_packets(&r->out, T_CONN), 6);
	rig_free(r);
}

/* Without packets, the clock alone (packet time offline, the wall clock
 * live) writes an idle flow: not before it is due, and within the wheel's
 * one-second tick after. */
Test(flows, clock_expires_idle_flows)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = udp(T0 + S / 2, A, 5000, B, 53, 0);
	send_pk(r, &k);
	int64_t due = k.ts + r->s.udp_idle;
	advance_all(r, due - 1);
	cr_expect_eq(r->out.n, 0, "not due yet");
	advance_all(r, due + S);
	cr_assert_eq(r->out.n, 1, "written within a tick of being due");
	cr_expect_eq(nth(&r->out, T_CONN, 0)->last, k.ts);
	k.ts = due + S;
	send_pk(r, &k);
	finish(r);
	cr_expect_eq(count_type(&r->out, T_CONN), 2);
	rig_free(r);
}

/* A capture with a gap longer than the wheel's span (4096 ticks). */
Test(flows, long_gap_in_time)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = udp(T0, A, 5000, B, 53, 0), other = udp(T0, A, 5001, B, 53, 0);
	send_pk(r, &k);
	send_pk(r, &other);
	k.ts = T0 + 86400 * S;
	send_pk(r, &k);
	cr_expect_eq(r->out.n, 2, "both flows of the day before are written");
	finish(r);
	cr_expect_eq(r->out.n, 3);
	cr_expect_eq(sum_packets(&r->out, T_CONN), 3);
	rig_free(r);
}

/* After a jump longer than the wheel's span, entries due less than a
 * tick after the new time land in the slot of that time, which the jump
 * runs: they must be visited once, not in turn forever. */
Test(flows, long_gap_entry_due_within_the_tick, .timeout = 10)
{
	struct rig *r = calloc(1, sizeof *r);
	settings(&r->s, CONN_ONLY, 1);
	r->burst = 100;                           /* one clock step, at the end */
	rig_start(r, 1);
	struct pk a = udp(T0, A, 1, B, 1, 0);
	struct pk x = udp(T0 + 8999 * S + 7 * S / 10, A, 2, B, 2, 0);   /* due at 9009.7 s */
	struct pk x2 = udp(T0 + 8999 * S + 8 * S / 10, A, 4, B, 4, 0);  /* due at 9009.8 s */
	struct pk y = udp(T0 + 9009 * S + 5 * S / 10, A, 3, B, 3, 0);   /* the clock: 9009.5 s */
	send_pk(r, &a);
	send_pk(r, &x);
	send_pk(r, &x2);
	send_pk(r, &y);
	advance_all(r, y.ts);
	cr_expect_eq(r->out.n, 1, "only the first flow is due");
	advance_all(r, y.ts + S);
	cr_expect_eq(r->out.n, 3, "the next two a tick later");
	finish(r);
	cr_expect_eq(r->out.n, 4);
	rig_free(r);
}

/* ---- TCP teardown ------------------------------------------------------- */

/* A handshake and some data, client A:40000, server B:80, from t. */
static int64_t open_tcp(struct rig *r, int64_t t)
{
	struct pk k = tcp(t, A, 40000, B, 80, SYN, 0);
	send_pk(r, &k);
	k = tcp(t += 1000000, B, 80, A, 40000, SYN | ACK, 0);
	send_pk(r, &k);
	k = tcp(t += 1000000, A, 40000, B, 80, ACK, 0);
	send_pk(r, &k);
	k = tcp(t += 1000000, A, 40000, B, 80, ACK | PSH, 100);
	send_pk(r, &k);
	return t;
}

Test(flows, tcp_fin_fin_then_grace)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	int64_t t = open_tcp(r, T0);
	struct pk k = tcp(t += S, A, 40000, B, 80, FIN | ACK, 0);
	send_pk(r, &k);
	k = tcp(t += S, B, 80, A, 40000, FIN | ACK, 0);
	send_pk(r, &k);
	k = tcp(t += S / 10, A, 40000, B, 80, ACK, 0);   /* the last ACK, inside the grace */
	send_pk(r, &k);
	advance_all(r, t + r->s.tcp_close - 1);
	cr_expect_eq(r->out.n, 0, "the grace period is not over");
	advance_all(r, t + r->s.tcp_close + S);
	cr_assert_eq(r->out.n, 1, "closed: written after the grace, long before the idle timeout");
	const struct rec *c = nth(&r->out, T_CONN, 0);
	cr_expect_eq(c->packets, 7);
	cr_expect_eq(c->fin, 2);
	cr_expect_eq(c->syn, 2);
	cr_expect_eq(c->last, t);
	/* The same ports again: a new connection. */
	k = tcp(t + r->s.tcp_close + 2 * S, A, 40000, B, 80, SYN, 0);
	send_pk(r, &k);
	finish(r);
	cr_expect_eq(count_type(&r->out, T_CONN), 2);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->packets, 1);
	rig_free(r);
}

Test(flows, tcp_single_fin_waits_for_idle)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	int64_t t = open_tcp(r, T0);
	struct pk k = tcp(t += S, A, 40000, B, 80, FIN | ACK, 0);
	send_pk(r, &k);
	advance_all(r, t + r->s.tcp_close + 2 * S);
	cr_expect_eq(r->out.n, 0, "half closed is still open");
	advance_all(r, t + r->s.tcp_idle - 1);
	cr_expect_eq(r->out.n, 0);
	advance_all(r, t + r->s.tcp_idle + S);
	cr_expect_eq(r->out.n, 1, "written at the idle timeout");
	finish(r);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 5);
	rig_free(r);
}

Test(flows, tcp_fin_then_rst)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	int64_t t = open_tcp(r, T0);
	struct pk k = tcp(t += S, A, 40000, B, 80, FIN | ACK, 0);
	send_pk(r, &k);
	k = tcp(t += S, B, 80, A, 40000, RST, 0);
	send_pk(r, &k);
	advance_all(r, t + r->s.tcp_close + S);
	cr_assert_eq(r->out.n, 1);
	const struct rec *c = nth(&r->out, T_CONN, 0);
	cr_expect_eq(c->packets, 6);
	cr_expect_eq(c->fin, 1);
	cr_expect_eq(c->rst, 1);
	finish(r);
	rig_free(r);
}

Test(flows, tcp_rst_only)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = tcp(T0, A, 40000, B, 80, SYN, 0);
	send_pk(r, &k);
	k = tcp(T0 + 1000, B, 80, A, 40000, RST | ACK, 0);
	send_pk(r, &k);
	advance_all(r, T0 + 1000 + r->s.tcp_close + S);
	cr_assert_eq(r->out.n, 1, "refused connection: written after the grace");
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 2);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->rst, 1);
	finish(r);
	rig_free(r);
}

/* Packets within the grace period join the closed connection (and extend
 * the grace, counted from the latest packet); one after it starts a new
 * record. */
Test(flows, tcp_grace_period_edge)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	int64_t t = open_tcp(r, T0);
	struct pk k = tcp(t += S, A, 40000, B, 80, RST, 0);
	send_pk(r, &k);
	k = tcp(t += r->s.tcp_close - 1, B, 80, A, 40000, ACK, 10);   /* late, inside */
	send_pk(r, &k);
	cr_expect_eq(r->out.n, 0);
	k = tcp(t += r->s.tcp_close, A, 40000, B, 80, ACK, 10);       /* exactly the grace: outside */
	send_pk(r, &k);
	cr_assert_eq(r->out.n, 1);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 6);
	finish(r);
	cr_assert_eq(r->out.n, 2);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->packets, 1);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->first, t);
	rig_free(r);
}

/* ---- active timeout --------------------------------------------------- */

Test(flows, flow_outlives_active_timeout)
{
	struct rig *r = rig_new(ALL, 5, 1);
	/* A packet every 5 s for 250 s: never idle (10 s), active 100 s. */
	unsigned n = 0;
	for (int64_t t = 0; t <= 250 * S; t += 5 * S, n++) {
		struct pk k = udp(T0 + t, A, 5000, B, 53, 10);
		send_pk(r, &k);
	}
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 3, "cut at 100 s and 200 s");
	cr_expect_eq(nth(&r->out, T_CONN, 0)->first, T0);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->last, T0 + 95 * S);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 20);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->first, T0 + 100 * S);
	cr_expect_eq(nth(&r->out, T_CONN, 1)->packets, 20);
	cr_expect_eq(nth(&r->out, T_CONN, 2)->packets, 11);
	for (size_t i = 0; i < 3; i++)
		cr_expect_lt(nth(&r->out, T_CONN, i)->duration, r->s.active);
	cr_expect_eq(sum_packets(&r->out, T_CONN), n);
	cr_expect_eq(count_type(&r->out, T_FLOW), 3);
	cr_expect_eq(sum_packets(&r->out, T_FLOW), n);
	/* Aggregates go by aligned 60 s windows instead. */
	int64_t windows = 0;
	for (int64_t w = T0 - T0 % (60 * S); w <= T0 + 250 * S; w += 60 * S)
		windows++;
	cr_expect_eq((int64_t)count_type(&r->out, T_NET), windows);
	cr_expect_eq(sum_packets(&r->out, T_NET), n);
	cr_expect_eq(sum_packets(&r->out, T_LINK), n);
	cr_expect_eq(sum_packets(&r->out, T_TRANS), n);
	rig_free(r);
}

/* A busy flow that began long ago is not cut by the clock before its
 * active timeout. */
Test(flows, active_timeout_by_clock)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = tcp(T0, A, 40000, B, 80, ACK, 0);
	for (int64_t t = 0; t < 100 * S; t += 10 * S) {
		k.ts = T0 + t;
		send_pk(r, &k);
	}
	advance_all(r, T0 + 100 * S - 1);
	cr_expect_eq(r->out.n, 0);
	advance_all(r, T0 + 101 * S);
	cr_expect_eq(r->out.n, 1);
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 10);
	finish(r);
	rig_free(r);
}

/* ---- memory bound ------------------------------------------------------ */

Test(flows, table_full_evicts_the_flow_due_soonest)
{
	struct rig *r = calloc(1, sizeof *r);
	settings(&r->s, CONN_ONLY, 1);
	r->s.capacity = 4;
	rig_start(r, 1);
	struct pk a = udp(T0, A, 1000, B, 53, 0);
	send_pk(r, &a);
	for (uint16_t i = 1; i <= 3; i++) {       /* B:1001..1003 at 1..3 s */
		struct pk k = udp(T0 + i * S, A, (uint16_t)(1000 + i), B, 53, 0);
		send_pk(r, &k);
	}
	a.ts = T0 + 5 * S;                        /* the first flow is busy again */
	send_pk(r, &a);
	cr_assert_eq(r->out.n, 0);
	struct pk e = udp(T0 + 6 * S, A, 2000, B, 53, 0);
	send_pk(r, &e);                           /* a fifth flow: one must go */
	cr_assert_eq(r->out.n, 1, "one flow written early");
	const struct rec *v = nth(&r->out, T_CONN, 0);
	cr_expect_str_eq(v->sport, "1001", "the flow due soonest goes, not the busy one (got port %s)", v->sport);
	struct flow_counters fc;
	flows_counters(r->w[0], &fc);
	cr_expect_eq(fc.evicted, 1);
	cr_expect_eq(fc.tracked, 4);
	cr_expect_gt(fc.bytes_per_entry, 0);
	a.ts = T0 + 7 * S;
	send_pk(r, &a);
	finish(r);
	cr_expect_eq(count_type(&r->out, T_CONN), 5);
	cr_expect_eq(sum_packets(&r->out, T_CONN), (int64_t)r->sent, "every packet counted");
	for (size_t i = 0; i < r->out.n; i++)
		if (!strcmp(r->out.r[i].sport, "1000"))
			cr_expect_eq(r->out.r[i].packets, 3, "the busy flow stays whole");
	rig_free(r);
}

/* Many more flows than entries: memory stays at the capacity, every packet
 * is still counted, evictions are counted. */
Test(flows, table_full_many_flows)
{
	struct rig *r = calloc(1, sizeof *r);
	settings(&r->s, ALL, 5);
	r->s.capacity = 64;
	rig_start(r, 1);
	for (unsigned i = 0; i < 5000; i++) {
		struct pk k = udp(T0 + (int64_t)i * (S / 100), A + (i % 7), (uint16_t)(1024 + i), B, 53, 0);
		send_pk(r, &k);
		if (i % 3 == 0) {
			k.ts += 1000;
			send_pk(r, &k);
		}
	}
	struct flow_counters fc;
	flows_counters(r->w[0], &fc);
	cr_expect_leq(fc.tracked, 5 * 64);
	cr_expect_gt(fc.evicted, 5000 - 2 * 64);
	finish(r);
	cr_expect_eq(sum_packets(&r->out, T_CONN), (int64_t)r->sent);
	cr_expect_eq(sum_packets(&r->out, T_FLOW), (int64_t)r->sent);
	cr_expect_eq(sum_packets(&r->out, T_NET), (int64_t)r->sent);
	cr_expect_eq(count_type(&r->out, T_CONN), 5000);
	rig_free(r);
}

/* ---- keys ---------------------------------------------------------------- */

Test(flows, ipv6_keys)
{
	struct rig *r = rig_new(ALL, 5, 1);
	for (int i = 0; i < 4; i++) {
		struct pk k = udp(T0 + i * S, i % 2 ? B : A, i % 2 ? 53 : 5000, i % 2 ? A : B, i % 2 ? 5000 : 53, 20);
		k.v6 = true;
		send_pk(r, &k);
	}
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 1);
	cr_expect_str_eq(nth(&r->out, T_CONN, 0)->src, "2001:db8::a00:1");
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 4);
	cr_assert_eq(count_type(&r->out, T_NET), 1, "one NetworkFlow per IPv6 pair and window");
	const struct rec *n = nth(&r->out, T_NET, 0);
	cr_expect_eq(n->packets, 4);
	cr_expect_str_eq(n->proto, "IPv6");
	cr_expect_str_eq(n->src, "2001:db8::a00:1");
	cr_expect_str_eq(n->dst, "2001:db8::a00:2");
	cr_expect_eq(count_type(&r->out, T_TRANS), 1);
	cr_expect_eq(count_type(&r->out, T_LINK), 1);
	rig_free(r);
}

/* Extension headers lead to the transport header: the ports and the
 * protocol are those of the transport, as without them. */
Test(flows, ipv6_extension_headers)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = udp(T0, A, 5000, B, 53, 20);
	k.v6 = true;
	send_pk(r, &k);
	k.ext = 60;                                  /* destination options */
	k.ts += S;
	send_pk(r, &k);
	struct pk m = { .ts = T0, .proto = 58, .src = A, .dst = B, .v6 = true, .ext = HBH };
	send_pk(r, &m);
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 2);
	for (size_t i = 0; i < r->out.n; i++) {
		const struct rec *c = &r->out.r[i];
		if (!strcmp(c->proto, "UDP")) {
			cr_expect_eq(c->packets, 2, "with and without the header: one connection");
			cr_expect_str_eq(c->dport, "53");
		} else {
			cr_expect_str_eq(c->proto, "ICMPv6", "hop-by-hop then ICMPv6: got '%s'", c->proto);
		}
	}
	rig_free(r);
}

Test(flows, non_ip_frames)
{
	struct rig *r = rig_new(ALL, 5, 1);
	struct pk k = { .ts = T0, .proto = 0, .src = A, .dst = B };
	send_pk(r, &k);
	k.ts += S;
	send_pk(r, &k);
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 1, "keyed by the MAC pair");
	cr_expect_eq(nth(&r->out, T_CONN, 0)->packets, 2);
	cr_expect_str_eq(nth(&r->out, T_CONN, 0)->src, "");
	cr_expect_eq(count_type(&r->out, T_LINK), 1);
	cr_expect_eq(count_type(&r->out, T_NET), 0);
	rig_free(r);
}

/* ---- workers ------------------------------------------------------------- */

/* Two workers' shares of the same aggregate keys (one host pair, many port
 * pairs) summed by the aggregator give the records one worker gives. */
Test(flows, aggregator_sums_two_workers)
{
	struct rig *one = rig_new(ALL, 5, 1), *two = rig_new(ALL, 5, 2);
	unsigned seen[2] = { 0, 0 };
	for (unsigned i = 0; i < 400; i++) {
		struct pk k = udp(T0 + (int64_t)i * S / 2, i % 3 ? A : C, (uint16_t)(1024 + i % 37), B, 53, (uint16_t)i);
		send_pk(one, &k);
		send_pk(two, &k);
		build(&two->tp, &k);
		seen[flow_hash_worker(flow_hash_symmetric(two->tp.p.data, two->tp.p.cap_len, LINK_ETHERNET), 2)]++;
	}
	cr_assert(seen[0] > 0 && seen[1] > 0, "both workers get packets (%u, %u)", seen[0], seen[1]);
	finish(one);
	finish(two);
	cr_expect_eq(count_type(&one->out, T_NET), 2 * 4, "2 host pairs, 4 windows of 60 s");
	char *a = sorted_dump(&one->out), *b = sorted_dump(&two->out);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	rig_free(one);
	rig_free(two);
}

/* A mix of TCP (with FINs and RSTs), UDP, ICMP and IPv6 between 13 hosts
 * and 5 peers, n packets 0..1 s apart from start, to every rig; returns the
 * packets without ports (no TransportFlow). */
static int64_t mixed_traffic(struct rig **rigs, int nrigs, uint32_t seed, int64_t start, unsigned n,
			     uint32_t hosts)
{
	int64_t t = start, portless = 0;
	for (unsigned i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t x = seed >> 8;
		t += (int64_t)(x % 1000) * 1000000;
		uint32_t host = hosts + x % 13, peer = 0xc0a80001u + (x >> 4) % 5;
		uint16_t port = (uint16_t)(1024 + (x >> 8) % 40);
		struct pk k;
		switch ((x >> 17) % 8) {
		case 0: case 1: case 2: {
			static const uint8_t fl[] = { SYN, ACK, ACK | PSH, ACK, FIN | ACK, RST, ACK | PSH, SYN | ACK };
			k = tcp(t, host, port, peer, 443, fl[(x >> 20) % 8], (uint16_t)((x >> 3) % 1400));
			break;
		}
		case 3: case 4: case 5:
			k = udp(t, host, port, peer, 53, (uint16_t)((x >> 3) % 500));
			break;
		case 6:
			k = (struct pk){ .ts = t, .proto = 1, .src = host, .dst = peer };
			portless++;
			break;
		default:
			k = udp(t, host, port, peer, 5353, 40);
			k.v6 = true;
			break;
		}
		if ((x >> 16) & 1) {      /* a reply */
			uint32_t ip = k.src;
			uint16_t p = k.sport;
			k.src = k.dst, k.sport = k.dport;
			k.dst = ip, k.dport = p;
		}
		for (int w = 0; w < nrigs; w++)
			send_pk(rigs[w], &k);
	}
	return portless;
}

/* Rigs of 1, 2 and 4 workers. Large enough tables: evictions depend on
 * the per-worker capacity, so records are the same for any worker count
 * only while no table is full (and a replay's aggregator keeps every
 * window to the end). */
static void three_rigs(struct rig **rigs)
{
	for (int w = 0; w < 3; w++) {
		rigs[w] = calloc(1, sizeof *rigs[w]);
		settings(&rigs[w]->s, ALL, 5);
		rigs[w]->s.capacity = 1 << 15;
		rigs[w]->burst = 7;       /* clock steps fall elsewhere for each layout */
		rig_start(rigs[w], 1u << w);
	}
}

static void expect_same_records(struct rig **rigs)
{
	for (int w = 0; w < 3; w++)
		finish(rigs[w]);
	char *ref = sorted_dump(&rigs[0]->out);
	for (int w = 1; w < 3; w++) {
		char *got = sorted_dump(&rigs[w]->out);
		cr_expect(strcmp(ref, got) == 0, "%u workers differ from 1", rigs[w]->workers);
		free(got);
	}
	free(ref);
}

/* Chronological input (~2.8 h, idle gaps, closes, active cuts): 1, 2 and 4
 * workers give the same records, byte for byte. */
Test(flows, same_records_for_1_2_and_4_workers)
{
	struct rig *rigs[3];
	three_rigs(rigs);
	int64_t portless = mixed_traffic(rigs, 3, 12345, T0 + 123456789, 20000, 0x0a000010u);
	expect_same_records(rigs);
	cr_assert_gt(count_type(&rigs[0]->out, T_CONN), 500);
	for (size_t i = 0; i < sizeof ALL / sizeof *ALL; i++)
		cr_expect_eq(sum_packets(&rigs[0]->out, ALL[i]), ALL[i] == T_TRANS ? 20000 - portless : 20000,
			     "type %d: every packet counted", ALL[i]);
	for (int w = 0; w < 3; w++)
		rig_free(rigs[w]);
}

/* Concatenated captures, the second one earlier in time: the worker's
 * clock (the latest packet time it saw) stays ahead of the second one's
 * packets. They must not expire at once: neither by idle time (counted
 * from the clock) nor by the active timeout (their first packet is long
 * before the clock), else a flow would be cut wherever a clock step falls,
 * which differs with the number of workers. Here the clock step after 4
 * packets passes a tick while the earlier flow is open. */
Test(flows, time_running_backwards_no_instant_expiry)
{
	struct rig *r = calloc(1, sizeof *r);
	settings(&r->s, CONN_ONLY, 1);
	r->burst = 4;
	rig_start(r, 1);
	struct pk k = udp(T0 + 86400 * S, C, 7, B, 7, 0);   /* the later capture */
	send_pk(r, &k);
	k.ts += 3 * S;
	send_pk(r, &k);
	for (int i = 0; i < 7; i++) {                       /* the earlier one */
		k = udp(T0 + i * S, A, 5000, B, 53, 10);
		send_pk(r, &k);
	}
	cr_expect_eq(r->out.n, 0, "nothing expires while the clock stands still");
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 2);
	for (size_t i = 0; i < r->out.n; i++)
		if (!strcmp(r->out.r[i].sport, "5000"))
			cr_expect_eq(r->out.r[i].packets, 7);
	rig_free(r);
}

/* Two captures concatenated, the second earlier than the first (not
 * overlapping it, other hosts): still the same records for 1, 2 and 4
 * workers. (A flow still open at the end of the first capture that comes
 * again in the second gets its packets or not depending on each worker's
 * clock: docs/flows.md.) */
Test(flows, concatenated_captures_same_records)
{
	struct rig *rigs[3];
	three_rigs(rigs);
	mixed_traffic(rigs, 3, 777, T0 + 86400 * S, 5000, 0x0a000010u);
	mixed_traffic(rigs, 3, 999, T0, 5000, 0x0b000010u);
	expect_same_records(rigs);
	cr_expect_eq(sum_packets(&rigs[0]->out, T_CONN), 10000);
	for (int w = 0; w < 3; w++)
		rig_free(rigs[w]);
}

/* ---- the index's probe bound -------------------------------------------- */

struct tnode {
	struct flow_node node;
	uint32_t id;
};

struct tlog {
	unsigned n[FLOW_END_SHUTDOWN + 1];
	uint32_t last_id;
	enum flow_end last_why;
	bool *live;                       /* by id, when tracked */
};

static void tnode_expired(void *ctx, struct flow_node *n, enum flow_end why)
{
	struct tlog *log = ctx;
	uint32_t id = ((struct tnode *)n)->id;
	log->n[why]++;
	log->last_id = id;
	log->last_why = why;
	if (log->live) {
		cr_assert(log->live[id], "id %u expired twice", id);
		log->live[id] = false;
	}
}

static struct tnode *tinsert(struct flow_table *t, uint32_t id, uint32_t hash, int64_t expire_at)
{
	struct tnode *n = (struct tnode *)flow_table_insert(t, &id, sizeof id, hash, expire_at);
	cr_assert_not_null(n);
	n->id = id;
	return n;
}

static bool tfound(struct flow_table *t, uint32_t id, uint32_t hash)
{
	struct tnode *n = (struct tnode *)flow_table_find(t, &id, sizeof id, hash);
	cr_assert(!n || n->id == id, "id %u found as %u", id, n->id);
	return n != NULL;
}

/* FLOW_PROBE_LIMIT keys of one home fill its window; the next one writes
 * the window's entry due soonest early (counted apart from table-full
 * evictions) and takes its slot; every other key stays found. */
Test(flows, probe_bound_window_full_writes_the_soonest_early)
{
	struct tlog log = { 0 };
	struct flow_table *t = flow_table_create(1024, sizeof(struct tnode), S, tnode_expired, &log);
	cr_assert_not_null(t);
	const uint32_t home = 5;
	for (uint32_t id = 0; id < FLOW_PROBE_LIMIT; id++)
		tinsert(t, id, home, T0 + (id == 17 ? 50 : 100 + id) * S);
	struct flow_table_stats st;
	flow_table_stats(t, &st);
	cr_expect_eq(st.probe_limit, FLOW_PROBE_LIMIT);
	cr_expect_eq(st.max_probe, FLOW_PROBE_LIMIT, "the last insert read the whole window");
	cr_expect_eq(st.probe_evictions, 0);
	cr_expect_eq(log.n[FLOW_END_PROBE_LIMIT], 0);
	tinsert(t, 1000, home, T0 + 200 * S);
	flow_table_stats(t, &st);
	cr_expect_eq(st.probe_evictions, 1);
	cr_expect_eq(st.evictions, 0, "not a table-full eviction");
	cr_expect_leq(st.max_probe, FLOW_PROBE_LIMIT);
	cr_expect_eq(log.n[FLOW_END_PROBE_LIMIT], 1);
	cr_expect_eq(log.last_id, 17, "the window's entry due soonest goes (got %u)", log.last_id);
	cr_expect_eq(flow_table_count(t), FLOW_PROBE_LIMIT);
	cr_expect(!tfound(t, 17, home));
	cr_expect(tfound(t, 1000, home));
	for (uint32_t id = 0; id < FLOW_PROBE_LIMIT; id++)
		if (id != 17)
			cr_expect(tfound(t, id, home), "id %u lost", id);
	/* The next home's window reaches one free slot: no eviction. */
	tinsert(t, 2000, home + 1, T0 + 300 * S);
	flow_table_stats(t, &st);
	cr_expect_eq(st.probe_evictions, 1);
	cr_expect(tfound(t, 2000, home + 1));
	/* Deletion shifts entries back, never beyond the limit. */
	for (uint32_t id = 0; id < 40; id += 3)
		if (id != 17) {
			struct flow_node *n = flow_table_find(t, &id, sizeof id, home);
			cr_assert_not_null(n);
			flow_table_expire(t, n, FLOW_END_DUE);
		}
	for (uint32_t id = 0; id < FLOW_PROBE_LIMIT; id++)
		cr_expect_eq(tfound(t, id, home), id != 17 && !(id < 40 && id % 3 == 0), "id %u", id);
	cr_expect(tfound(t, 1000, home) && tfound(t, 2000, home + 1));
	flow_table_free(t);
}

static uint32_t rnd32(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8 ^ *s << 13;
}

/* Random inserts, finds, expiries, clock steps and table-full evictions
 * over keys whose homes crowd into a few dozen slots (so windows fill and
 * probe-limit evictions happen all the time), twice: near the start of
 * the index and across its wrap. After every operation, every live key is
 * found (a lookup reads at most the limit, so each entry is within it of
 * its home) and no dead one is, and the count agrees. */
Test(flows, probe_bound_invariant_under_random_operations, .timeout = 60)
{
	enum { CAP = 256, KEYS = 1024, OPS = 20000 };
	for (int wrap = 0; wrap < 2; wrap++) {
		struct tlog log = { 0 };
		bool live[KEYS] = { false };
		log.live = live;
		struct flow_table *t = flow_table_create(CAP, sizeof(struct tnode), S, tnode_expired, &log);
		cr_assert_not_null(t);
		uint32_t seed = 42 + (uint32_t)wrap, home_base = wrap ? 2 * CAP - 20 : 3;
		uint32_t hashes[KEYS];
		for (uint32_t id = 0; id < KEYS; id++)  /* homes in 40 slots; high bits vary */
			hashes[id] = (home_base + rnd32(&seed) % 40) % (2 * CAP) + (rnd32(&seed) << 12);
		int64_t now = T0;
		for (unsigned op = 0; op < OPS; op++) {
			uint32_t id = rnd32(&seed) % KEYS, what = rnd32(&seed) % 10;
			if (what < 5) {
				if (!live[id]) {
					tinsert(t, id, hashes[id], now + (int64_t)(1 + rnd32(&seed) % 30) * S);
					live[id] = true;
				}
			} else if (what < 8) {
				struct flow_node *n = flow_table_find(t, &id, sizeof id, hashes[id]);
				cr_assert_eq(n != NULL, live[id], "op %u: id %u found %d, live %d", op, id, n != NULL,
					     live[id]);
				if (n && what == 7)
					flow_table_expire(t, n, FLOW_END_DUE);
			} else if (what == 8) {
				now += (int64_t)(rnd32(&seed) % 3) * S;
				flow_table_advance(t, now);
			} else if (live[id]) {
				struct flow_node *n = flow_table_find(t, &id, sizeof id, hashes[id]);
				flow_table_touch(t, n, now + (int64_t)(rnd32(&seed) % 30) * S);
			}
			if (op % 97 == 0 || op == OPS - 1) {
				unsigned n_live = 0;
				for (uint32_t k = 0; k < KEYS; k++) {
					cr_assert_eq(tfound(t, k, hashes[k]), live[k], "op %u: id %u", op, k);
					n_live += live[k];
				}
				cr_assert_eq(flow_table_count(t), n_live);
			}
		}
		struct flow_table_stats st;
		flow_table_stats(t, &st);
		cr_expect_gt(st.probe_evictions, 100, "windows never filled: the test tests nothing (%llu)",
			     (unsigned long long)st.probe_evictions);
		cr_expect_eq(log.n[FLOW_END_PROBE_LIMIT], st.probe_evictions);
		cr_expect_eq(log.n[FLOW_END_EVICTED], st.evictions);
		cr_expect_leq(st.max_probe, FLOW_PROBE_LIMIT);
		flow_table_flush(t);
		for (uint32_t k = 0; k < KEYS; k++)
			cr_expect(!live[k], "id %u never written", k);
		flow_table_free(t);
	}
}

/* ---- hash flooding --------------------------------------------------------- */

/* An IPv4 UDP flow: src is always the lower address (10/8 against 192/8). */
struct flood_tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
};

/* The two hashes netcap had before keying (flowhash.c and flows.c at
 * efaf0ab), bit for bit: the dispatcher's CRC32-C of the ordered tuple,
 * and the Connection table's of its key (the Flow table's is the same CRC
 * seeded 1: it collides whenever this one does). */
static uint32_t old_dispatch_hash(const struct flood_tuple *t)
{
	uint64_t key[5] = { 0 };
	uint8_t *k = (uint8_t *)key;
	put32(k, t->src);
	put32(k + 16, t->dst);
	key[4] = (uint64_t)t->sport << 16 | t->dport;
	return rte_hash_crc(key, sizeof key, 17);
}

static uint32_t old_connection_hash(const struct flood_tuple *t)
{
	struct __attribute__((packed)) {
		uint8_t version, proto;
		uint16_t port_a, port_b;
		uint8_t addr_a[16], addr_b[16];
	} k;
	memset(&k, 0, sizeof k);
	k.version = 4, k.proto = 17, k.port_a = t->sport, k.port_b = t->dport;
	put32(k.addr_a, t->src);
	put32(k.addr_b, t->dst);
	/* rte_hash_crc reads 8 bytes at a time through uint64_t pointers:
	 * hand it words, not the struct, or the compiler may read the ports
	 * before it stored them (strict aliasing). */
	uint64_t words[5] = { 0 };
	memcpy(words, &k, sizeof k);
	return rte_hash_crc(words, sizeof k, 0);
}

/* 80 free bits: the low 24 bits of each address and both ports. */
typedef unsigned __int128 u128;

static struct flood_tuple tuple_of(u128 x)
{
	return (struct flood_tuple){
		.src = 0x0a000000u | (uint32_t)(x & 0xffffff),
		.dst = 0xc0000000u | (uint32_t)(x >> 24 & 0xffffff),
		.sport = (uint16_t)(x >> 48),
		.dport = (uint16_t)(x >> 64),
	};
}

static uint64_t old_hashes(u128 x)
{
	struct flood_tuple t = tuple_of(x);
	return (uint64_t)old_dispatch_hash(&t) << 32 | old_connection_hash(&t);
}

/* n distinct tuples on which both old hashes are constant. CRC32-C is
 * affine over GF(2) in its input (rte_hash_crc has no final XOR), so the
 * 64 hash bits are an affine map of the 80 free bits: its kernel (found
 * by elimination, at least 16 dimensions) added to one random tuple gives
 * 2^16 tuples with the same two hashes. What an attacker of the old code
 * would do, in a millisecond. */
static struct flood_tuple *crc_colliding_tuples(unsigned n)
{
	uint64_t f0 = old_hashes(0), pivot_val[64];
	u128 pivot_mask[64], kernel[80];
	bool have[64] = { false };
	unsigned dim = 0;
	for (int i = 0; i < 80; i++) {
		uint64_t v = old_hashes((u128)1 << i) ^ f0;
		u128 m = (u128)1 << i;
		while (v && have[63 - __builtin_clzll(v)]) {
			int top = 63 - __builtin_clzll(v);
			v ^= pivot_val[top];
			m ^= pivot_mask[top];
		}
		if (v) {
			int top = 63 - __builtin_clzll(v);
			have[top] = true, pivot_val[top] = v, pivot_mask[top] = m;
		} else {
			kernel[dim++] = m;
		}
	}
	cr_assert_geq(dim, 16);
	cr_assert_leq(n, 1u << 16);
	u128 base;
	randombytes_buf(&base, sizeof base);
	base &= ((u128)1 << 80) - 1;
	struct flood_tuple *t = calloc(n, sizeof *t);
	for (unsigned j = 0; j < n; j++) {
		u128 x = base;
		for (unsigned b = 0; b < 16; b++)
			if (j >> b & 1)
				x ^= kernel[b];
		t[j] = tuple_of(x);
	}
	return t;
}

static struct flood_tuple *random_tuples(unsigned n)
{
	struct flood_tuple *t = calloc(n, sizeof *t);
	for (unsigned j = 0; j < n; j++) {
		u128 x;
		randombytes_buf(&x, sizeof x);
		t[j] = tuple_of(x);
	}
	return t;
}

#define FLOOD 20000

/* The premise, so that the flood tests can fail: on the old hashes every
 * one of these tuples lands in one Connection slot, one Flow slot and on
 * one worker. */
static void expect_colliding_on_old_hashes(const struct flood_tuple *t, unsigned n)
{
	for (unsigned j = 1; j < n; j++) {
		cr_assert(t[j].src != t[0].src || t[j].dst != t[0].dst || t[j].sport != t[0].sport ||
			  t[j].dport != t[0].dport, "tuple %u repeats tuple 0", j);
		cr_assert_eq(old_dispatch_hash(&t[j]), old_dispatch_hash(&t[0]));
		cr_assert_eq(old_connection_hash(&t[j]), old_connection_hash(&t[0]));
	}
}

/* Two packets per flow (an insert, then a lookup that finds) into
 * Connection and Flow tables of 32768 entries (65536 slots); their
 * statistics. */
static void flood_tables(const struct flood_tuple *t, unsigned n, struct flow_table_stats *conn,
			 struct flow_table_stats *flow)
{
	struct rig *r = calloc(1, sizeof *r);
	static const int types[] = { T_CONN, T_FLOW };
	settings(&r->s, types, 2);
	r->s.capacity = 1 << 15;
	rig_start(r, 1);
	for (unsigned round = 0; round < 2; round++)
		for (unsigned j = 0; j < n; j++) {
			struct pk k = udp(T0 + (int64_t)(round * n + j) * 1000, t[j].src, t[j].sport, t[j].dst,
					  t[j].dport, 10);
			send_pk(r, &k);
		}
	cr_assert(flows_table_stats(r->w[0], T_CONN, conn));
	cr_assert(flows_table_stats(r->w[0], T_FLOW, flow));
	finish(r);
	cr_expect_eq(count_type(&r->out, T_CONN), n, "every flow one Connection, not %zu", count_type(&r->out, T_CONN));
	cr_expect_eq(sum_packets(&r->out, T_FLOW), 2 * n, "every packet counted");
	rig_free(r);
}

static void expect_like_random(const char *table, const struct flow_table_stats *flood,
			       const struct flow_table_stats *random)
{
	double per_flood = (double)flood->probes / flood->lookups;
	double per_random = (double)random->probes / random->lookups;
	cr_log_info("%s: %.2f slots per lookup, longest %u (random flows: %.2f, %u)", table, per_flood, flood->max_probe,
		    per_random, random->max_probe);
	cr_expect_eq(flood->probe_evictions, 0, "%s: %llu flows written early at the probe limit", table,
		     (unsigned long long)flood->probe_evictions);
	cr_expect_lt(flood->max_probe, 32, "%s: a lookup read %u slots", table, flood->max_probe);
	cr_expect_lt(per_flood, 1.5 * per_random, "%s: %.2f slots per lookup, random flows %.2f", table, per_flood,
		     per_random);
}

/* 20,000 flows that all collide under the old hashes probe the tables like
 * 20,000 random flows: no probe-limit eviction, short longest probe, about
 * the same slots per lookup (counted, not timed). On the old hashes every
 * insert walked the whole run of earlier ones: 10,000 slots per lookup on
 * average. */
Test(flows, flood_crc_colliding_flows_probe_like_random, .timeout = 60)
{
	struct flood_tuple *bad = crc_colliding_tuples(FLOOD), *good = random_tuples(FLOOD);
	expect_colliding_on_old_hashes(bad, FLOOD);
	struct flow_table_stats bad_conn, bad_flow, good_conn, good_flow;
	flood_tables(bad, FLOOD, &bad_conn, &bad_flow);
	flood_tables(good, FLOOD, &good_conn, &good_flow);
	expect_like_random("Connection", &bad_conn, &good_conn);
	expect_like_random("Flow", &bad_flow, &good_flow);
	free(bad);
	free(good);
}

/* The same flows spread over 4 workers like any: each worker gets 15% to
 * 35% (on the old hash, all of them went to one). */
Test(flows, flood_crc_colliding_flows_spread_over_workers)
{
	struct flood_tuple *bad = crc_colliding_tuples(FLOOD);
	expect_colliding_on_old_hashes(bad, FLOOD);
	unsigned load[4] = { 0 };
	struct tp tp;
	for (unsigned j = 0; j < FLOOD; j++) {
		struct pk k = udp(T0, bad[j].src, bad[j].sport, bad[j].dst, bad[j].dport, 10);
		build(&tp, &k);
		load[flow_hash_worker(flow_hash_symmetric(tp.p.data, tp.p.cap_len, LINK_ETHERNET), 4)]++;
	}
	for (unsigned w = 0; w < 4; w++)
		cr_expect(load[w] >= FLOOD * 15 / 100 && load[w] <= FLOOD * 35 / 100, "worker %u of 4: %u of %u flows",
			  w, load[w], FLOOD);
	free(bad);
}

/* ---- the aggregates' hash ----------------------------------------------------- */

static unsigned partials_checked[FAMILY_COUNT];

static void check_partial_hash(void *ctx, const struct flow_partial *p)
{
	(void)ctx;
	uint8_t bytes[FLOW_KEY_MAX];
	memcpy(bytes, p->key, p->key_len);
	memcpy(bytes + p->key_len, &p->window_start, 8);
	uint32_t want = (uint32_t)flow_hash_bytes((enum flow_hash_domain)(FLOW_HASH_LINK + p->family), bytes,
						  p->key_len + 8u);
	cr_assert_eq(p->hash, want, "family %u, key of %u bytes: hash %08x, SipHash-1-3 of the key %08x", p->family,
		     p->key_len, p->hash, want);
	partials_checked[p->family]++;
}

static void ignore_record(void *ctx, int type, const ProtobufCMessage *msg)
{
	(void)ctx, (void)type, (void)msg;
}

/* The hash a worker hands the aggregator with its partial sums (built in
 * registers for the common lengths) is SipHash-1-3, under the family's
 * key, of the table key bytes: MAC pairs, IPv4 and IPv6 pairs, port pairs,
 * over several windows. */
Test(flows, aggregate_hash_is_siphash13_of_the_key)
{
	struct flow_settings s;
	static const int aggs[] = { T_LINK, T_NET, T_TRANS };
	settings(&s, aggs, 3);
	struct flows *f = flows_create(&s, ignore_record, check_partial_hash, NULL);
	cr_assert_not_null(f);
	struct tp tp;
	for (unsigned i = 0; i < 300; i++) {
		struct pk k = udp(T0 + (int64_t)i * S, A + i % 5, (uint16_t)(1000 + i * 7), B + i % 3, 53, 10);
		k.v6 = i % 3 == 0;
		if (i % 10 == 9)
			k = (struct pk){ .ts = k.ts, .proto = 0, .src = A + i, .dst = B };
		build(&tp, &k);
		flows_packet(f, &tp.p, LINK_ETHERNET);
	}
	flows_flush(f);
	flows_free(f);
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		cr_expect_gt(partials_checked[fam], 5, "family %d: %u partials", fam, partials_checked[fam]);
}

/* ---- tunnels (docs/flows.md, "Tunnels") ---------------------------------- */

/* The same TCP connection (10.0.0.1:1234 -> 10.0.0.2:80, handshake, data,
 * teardown) in VXLAN 100 and VXLAN 200 between the same two VTEPs, and
 * bare: three Connection records, each of the inner endpoints, with every
 * packet of its tenant, for 1, 2 and 4 workers (the dispatcher's hash
 * keeps each tenant's two directions on one worker: replies come from the
 * other VTEP, from another VXLAN source port). */
Test(flows, two_tenants_same_inner_connection_two_records)
{
	for (unsigned workers = 1; workers <= 4; workers *= 2) {
		struct rig *r = rig_new(ALL, 5, workers);
		for (int tenant = 0; tenant < 3; tenant++) {
			int64_t t = T0 + tenant * S / 10;
			static const struct {
				bool reply;
				uint8_t flags;
				uint16_t payload;
			} seq[] = { { false, SYN, 0 }, { true, SYN | ACK, 0 }, { false, ACK, 0 }, { false, PSH | ACK, 100 },
				    { true, ACK, 0 }, { false, FIN | ACK, 0 }, { true, FIN | ACK, 0 }, { false, ACK, 0 } };
			for (size_t i = 0; i < sizeof seq / sizeof *seq; i++) {
				struct pk k = seq[i].reply ? tcp(t + (int64_t)i * 1000, B, 80, A, 1234, seq[i].flags, seq[i].payload)
							   : tcp(t + (int64_t)i * 1000, A, 1234, B, 80, seq[i].flags, seq[i].payload);
				if (tenant < 2) {
					k.vni = tenant ? 200 : 100;
					k.vtep_src = seq[i].reply ? 0xc0000202u : 0xc0000201u;
					k.vtep_dst = seq[i].reply ? 0xc0000201u : 0xc0000202u;
					k.vxlan_sport = (uint16_t)(seq[i].reply ? 61000 + (int)i : 49152 + tenant);
				}
				send_pk(r, &k);
			}
		}
		finish(r);
		cr_assert_eq(count_type(&r->out, T_CONN), 3, "%u workers: %zu Connections", workers,
			     count_type(&r->out, T_CONN));
		for (size_t i = 0; i < 3; i++) {
			const struct rec *c = nth(&r->out, T_CONN, i);
			cr_expect_str_eq(c->src, "10.0.0.1");
			cr_expect_str_eq(c->dst, "10.0.0.2");
			cr_expect_str_eq(c->sport, "1234");
			cr_expect_str_eq(c->dport, "80");
			cr_expect_eq(c->packets, 8, "%u workers: %lld packets", workers, (long long)c->packets);
			cr_expect_eq(c->syn, 2);
			cr_expect_eq(c->fin, 2);
			for (size_t j = 0; j < i; j++)
				cr_expect_str_neq(c->uid, nth(&r->out, T_CONN, j)->uid);
		}
		/* Flow: each tenant's two directions apart, 6 in all. */
		cr_expect_eq(count_type(&r->out, T_FLOW), 6);
		rig_free(r);
	}
}

/* A UDP datagram fragmented inside VXLAN, reassembled (lib/defrag hands
 * the flow tables the datagram, raw IP, on the fragment completing it):
 * keyed in the tunnel its fragments came in, with its ports. Two tenants'
 * equal datagrams: two Connections; with 1 and 2 workers. */
Test(flows, datagram_reassembled_inside_a_tunnel_keeps_its_tunnel)
{
	for (unsigned workers = 1; workers <= 2; workers++) {
		struct rig *r = rig_new(CONN_ONLY, 1, workers);
		for (int tenant = 0; tenant < 2; tenant++) {
			/* The datagram: IPv4, UDP 5000 -> 53, 1000 bytes of payload. */
			static uint8_t dgram[20 + 8 + 1000];
			memset(dgram, 0, sizeof dgram);
			dgram[0] = 0x45;
			put16(dgram + 2, sizeof dgram);
			dgram[8] = 64, dgram[9] = 17;
			put32(dgram + 12, A), put32(dgram + 16, B);
			put16(dgram + 20, 5000), put16(dgram + 22, 53), put16(dgram + 24, 8 + 1000);
			/* Its last fragment (offset 512, no more), in VXLAN. */
			struct pk k = udp(T0 + tenant * S, A, 5000, B, 53, 0);
			k.vni = tenant ? 200 : 100;
			k.vtep_src = 0xc0000201u, k.vtep_dst = 0xc0000202u, k.vxlan_sport = 49152;
			build(&r->tp, &k);
			uint8_t *inner_ip = r->tp.frame + 50 + 14;
			inner_ip[6] = 0x00, inner_ip[7] = 512 / 8;
			struct packet *p = &r->tp.p;
			p->defrag_held = true;
			p->reassembled = dgram;
			p->reassembled_len = sizeof dgram;
			p->reassembled_wire = 2 * p->cap_len;
			unsigned w = 0;
			uint64_t h = FLOW_HASH_NONE;
			if (workers > 1) {
				h = flow_hash_symmetric(p->data, p->cap_len, LINK_ETHERNET);
				w = flow_hash_worker(h, workers);
			}
			flows_packet_hashed(r->w[w], p, LINK_ETHERNET, h);
		}
		finish(r);
		cr_assert_eq(count_type(&r->out, T_CONN), 2, "%u workers: %zu Connections", workers,
			     count_type(&r->out, T_CONN));
		for (size_t i = 0; i < 2; i++) {
			const struct rec *c = nth(&r->out, T_CONN, i);
			cr_expect_str_eq(c->sport, "5000");
			cr_expect_str_eq(c->dport, "53");
			cr_expect_str_eq(c->src, "10.0.0.1");
		}
		rig_free(r);
	}
}

/* A first fragment decoded on its own (reassembly off, cut short, or
 * refused) carries its ports: it counts in its 5-tuple's Connection, as
 * tshark, nDPI and Zeek count it; a later fragment of the same datagram
 * has no ports and keys on the addresses alone. */
Test(flows, first_fragment_decoded_alone_keys_on_its_five_tuple)
{
	struct rig *r = rig_new(CONN_ONLY, 1, 1);
	struct pk k = udp(T0, A, 5000, B, 53, 100);
	send_pk(r, &k);                             /* a whole datagram */
	k.ts += S;
	build(&r->tp, &k);
	uint8_t *ip = r->tp.frame + 14;
	ip[6] = 0x20;                               /* more fragments, offset 0 */
	flows_packet_hashed(r->w[0], &r->tp.p, LINK_ETHERNET, FLOW_HASH_NONE);
	k.ts += S;
	build(&r->tp, &k);
	ip[6] = 0x00, ip[7] = 16;                   /* the next fragment: offset 128 */
	r->tp.p.has_ports = false, r->tp.p.fragment = true;
	r->tp.p.src_port = r->tp.p.dst_port = 0;
	flows_packet_hashed(r->w[0], &r->tp.p, LINK_ETHERNET, FLOW_HASH_NONE);
	finish(r);
	cr_assert_eq(count_type(&r->out, T_CONN), 2, "%zu Connections", count_type(&r->out, T_CONN));
	bool five_tuple = false, pair = false;
	for (size_t i = 0; i < 2; i++) {
		const struct rec *c = nth(&r->out, T_CONN, i);
		if (!strcmp(c->dport, "53")) {
			five_tuple = true;
			cr_expect_eq(c->packets, 2, "the datagram and the first fragment: %d", (int)c->packets);
		} else {
			pair = true;
			cr_expect_eq(c->packets, 1);
		}
	}
	cr_expect(five_tuple && pair);
	rig_free(r);
}
