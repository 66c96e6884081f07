/* flows.c: the five flow record families (see flows.h and docs/flows.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "flow/flowhash.h"
#include "flow/flows.h"

#define NS 1000000000LL

void flow_settings_default(struct flow_settings *s)
{
	/* Zeek: tcp_inactivity_timeout 5 min, udp/icmp 1 min, tcp_close_delay
	 * 5 s; Suricata: established TCP 300 s (its "new" states are shorter). */
	*s = (struct flow_settings){
		.capacity = FLOW_DEFAULT_CAPACITY,
		.tcp_idle = 300 * NS,
		.udp_idle = 60 * NS,
		.other_idle = 60 * NS,
		.active = 3600 * NS,
		.tcp_close = 5 * NS,
		.window = 3600 * NS,
	};
}

/* ---- keys ----------------------------------------------------------- */

struct endpoint_key {           /* Connection (ordered) and Flow (directed) */
	uint8_t version;            /* 4, 6, or 0: no IP, keyed by MACs */
	uint8_t proto;
	uint16_t port_a, port_b;
	uint8_t addr_a[16], addr_b[16];
} __attribute__((packed));

static const char *transport_name(uint8_t version, uint8_t proto)
{
	switch (proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 132: return "SCTP";
	case 1: return "ICMPv4";
	case 58: return "ICMPv6";
	case 2: return "IGMP";
	default: return version ? "" : "";
	}
}

static const char *network_name(uint8_t version)
{
	return version == 4 ? "IPv4" : version == 6 ? "IPv6" : "";
}

/* Record UIDs: identifiers, not table hashes, so deliberately unkeyed
 * (CRC32-C, no secret): the same input must give the same UIDs on every
 * run, machine and worker count (tests compare 1, 2 and 4 workers record
 * for record, and users join records across runs by UID). Nothing is
 * looked up by UID, so a sender who makes UIDs collide (CRC is linear)
 * slows nothing down; it can make two records share a UID, which is why
 * records are also told apart by their keys and times (docs/flows.md). */
static uint64_t uid_of(const void *key, size_t len, int64_t first)
{
	uint64_t lo = rte_hash_crc(key, (uint32_t)len, (uint32_t)first);
	uint64_t hi = rte_hash_crc(&first, sizeof first, (uint32_t)lo ^ 0x9e3779b9u);
	return hi << 32 | lo;
}

/* ---- Connection and Flow state ------------------------------------- */

struct conn {
	struct flow_node node;
	int64_t first, last;
	uint64_t uid;
	uint64_t bytes_ab, bytes_ba;   /* frame bytes, a->b and b->a */
	uint64_t app_bytes;
	uint64_t window_sum;
	uint32_t packets, window_n;
	uint32_t flags[9];             /* FIN SYN RST PSH ACK URG ECE CWR NS */
	uint8_t mac_a[6], mac_b[6];
	bool has_mac;
	bool client_is_a;
	uint8_t fin_dirs;              /* bit 0: a sent FIN, bit 1: b sent FIN */
	bool rst;
	const char *app_proto;
};

struct flow {                      /* one direction */
	struct flow_node node;
	int64_t first, last;
	uint64_t uid, bytes, app_bytes;
	uint32_t packets;
	uint8_t mac_src[6], mac_dst[6];
	bool has_mac;
	const char *app_proto;
};

struct aggregate {                 /* a worker's share of one key and window */
	struct flow_node node;
	struct flow_partial sum;
};

struct flows {
	struct flow_settings s;
	flow_emit_fn emit;
	flow_partial_fn partial;
	void *ctx;
	struct flow_table *conns, *flows, *agg[FAMILY_COUNT];
	int64_t now;
	bool flushing;
};

static int64_t idle_timeout(const struct flow_settings *s, uint8_t proto)
{
	return proto == 6 ? s->tcp_idle : proto == 17 ? s->udp_idle : s->other_idle;
}

static const struct endpoint_key *ekey(const struct flow_node *n)
{
	return (const struct endpoint_key *)n->key;
}

static void format_addr(char *out, size_t n, int version, const uint8_t *addr)
{
	struct arena a = { .base = (uint8_t *)out, .cap = n };
	char *s = format_ip(&a, version, addr);
	if (s != out)
		snprintf(out, n, "%s", s);
}

static void format_mac_into(char out[18], const uint8_t mac[6])
{
	struct arena a = { .base = (uint8_t *)out, .cap = 18 };
	format_mac(&a, mac); /* 18 bytes always fit */
}

/* Records are written by the thousand per second: no snprintf for ports
 * and UIDs (it was 7% of the packet loop's instructions). */
static void format_port(char out[6], uint16_t port)
{
	*put_decimal(out, port) = '\0';
}

static void format_uid(char out[17], uint64_t uid)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, uid >>= 4)
		out[i] = hex[uid & 15];
	out[16] = '\0';
}

static void conn_write(struct flows *f, struct conn *c)
{
	const struct endpoint_key *k = ekey(&c->node);
	bool a_client = c->client_is_a;
	char src_ip[64] = "", dst_ip[64] = "", src_port[8], dst_port[8], src_mac[18] = "", dst_mac[18] = "", uid[20];
	if (k->version) {
		format_addr(src_ip, sizeof src_ip, k->version, a_client ? k->addr_a : k->addr_b);
		format_addr(dst_ip, sizeof dst_ip, k->version, a_client ? k->addr_b : k->addr_a);
	}
	format_port(src_port, a_client ? k->port_a : k->port_b);
	format_port(dst_port, a_client ? k->port_b : k->port_a);
	if (c->has_mac) {
		format_mac_into(src_mac, a_client ? c->mac_a : c->mac_b);
		format_mac_into(dst_mac, a_client ? c->mac_b : c->mac_a);
	}
	format_uid(uid, c->uid);

	Types__Connection r = TYPES__CONNECTION__INIT;
	r.timestampfirst = c->first;
	r.timestamplast = c->last;
	r.duration = c->last - c->first;
	r.linkproto = (char *)(c->has_mac ? "Ethernet" : "");
	r.networkproto = (char *)network_name(k->version);
	r.transportproto = (char *)transport_name(k->version, k->proto);
	r.applicationproto = (char *)(c->app_proto ? c->app_proto : "");
	r.srcmac = src_mac;
	r.dstmac = dst_mac;
	r.srcip = src_ip;
	r.dstip = dst_ip;
	r.srcport = k->version ? src_port : (char *)"";
	r.dstport = k->version ? dst_port : (char *)"";
	uint64_t c2s = a_client ? c->bytes_ab : c->bytes_ba, s2c = a_client ? c->bytes_ba : c->bytes_ab;
	r.totalsize = (int32_t)(c2s + s2c);
	r.apppayloadsize = (int32_t)c->app_bytes;
	r.numpackets = (int32_t)c->packets;
	r.uid = uid;
	r.bytesclienttoserver = (int64_t)c2s;
	r.bytesservertoclient = (int64_t)s2c;
	r.numfinflags = (int32_t)c->flags[0];
	r.numsynflags = (int32_t)c->flags[1];
	r.numrstflags = (int32_t)c->flags[2];
	r.numpshflags = (int32_t)c->flags[3];
	r.numackflags = (int32_t)c->flags[4];
	r.numurgflags = (int32_t)c->flags[5];
	r.numeceflags = (int32_t)c->flags[6];
	r.numcwrflags = (int32_t)c->flags[7];
	r.numnsflags = (int32_t)c->flags[8];
	r.meanwindowsize = c->window_n ? (int32_t)(c->window_sum / c->window_n) : 0;
	f->emit(f->ctx, TYPES__TYPE__NC_Connection, &r.base);
}

static void flow_write(struct flows *f, struct flow *fl)
{
	const struct endpoint_key *k = ekey(&fl->node);
	char src_ip[64] = "", dst_ip[64] = "", src_port[8] = "", dst_port[8] = "", src_mac[18] = "", dst_mac[18] = "", uid[20];
	if (k->version) {
		format_addr(src_ip, sizeof src_ip, k->version, k->addr_a);
		format_addr(dst_ip, sizeof dst_ip, k->version, k->addr_b);
		format_port(src_port, k->port_a);
		format_port(dst_port, k->port_b);
	}
	if (fl->has_mac) {
		format_mac_into(src_mac, fl->mac_src);
		format_mac_into(dst_mac, fl->mac_dst);
	}
	format_uid(uid, fl->uid);
	Types__Flow r = TYPES__FLOW__INIT;
	r.timestampfirst = fl->first;
	r.timestamplast = fl->last;
	r.duration = fl->last - fl->first;
	r.linkproto = (char *)(fl->has_mac ? "Ethernet" : "");
	r.networkproto = (char *)network_name(k->version);
	r.transportproto = (char *)transport_name(k->version, k->proto);
	r.applicationproto = (char *)(fl->app_proto ? fl->app_proto : "");
	r.srcmac = src_mac;
	r.dstmac = dst_mac;
	r.srcip = src_ip;
	r.dstip = dst_ip;
	r.srcport = src_port;
	r.dstport = dst_port;
	r.size = (int32_t)fl->bytes;
	r.apppayloadsize = (int32_t)fl->app_bytes;
	r.numpackets = (int32_t)fl->packets;
	r.uid = uid;
	f->emit(f->ctx, TYPES__TYPE__NC_Flow, &r.base);
}

static void conn_expired(void *ctx, struct flow_node *n, enum flow_end why)
{
	(void)why;
	conn_write(ctx, (struct conn *)n);
}

static void flow_expired(void *ctx, struct flow_node *n, enum flow_end why)
{
	(void)why;
	flow_write(ctx, (struct flow *)n);
}

static void aggregate_expired(void *ctx, struct flow_node *n, enum flow_end why)
{
	(void)why;
	struct flows *f = ctx;
	f->partial(f->ctx, &((struct aggregate *)n)->sum);
}

struct flows *flows_create(const struct flow_settings *s, flow_emit_fn emit,
			   flow_partial_fn partial, void *ctx)
{
	struct flows *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->s = *s;
	f->emit = emit;
	f->partial = partial;
	f->ctx = ctx;
	bool ok = true;
	if (s->want[TYPES__TYPE__NC_Connection])
		ok &= (f->conns = flow_table_create(s->capacity, sizeof(struct conn), NS, conn_expired, f)) != NULL;
	if (s->want[TYPES__TYPE__NC_Flow])
		ok &= (f->flows = flow_table_create(s->capacity, sizeof(struct flow), NS, flow_expired, f)) != NULL;
	static const int family_type[FAMILY_COUNT] = {
		TYPES__TYPE__NC_LinkFlow, TYPES__TYPE__NC_NetworkFlow, TYPES__TYPE__NC_TransportFlow,
	};
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		if (s->want[family_type[fam]])
			ok &= (f->agg[fam] = flow_table_create(s->capacity, sizeof(struct aggregate), NS,
							       aggregate_expired, f)) != NULL;
	if (!ok) {
		flows_free(f);
		return NULL;
	}
	return f;
}

void flows_free(struct flows *f)
{
	if (!f)
		return;
	flow_table_free(f->conns);
	flow_table_free(f->flows);
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		flow_table_free(f->agg[fam]);
	free(f);
}

/* ---- per packet ----------------------------------------------------- */

static uint32_t frame_bytes(const struct packet *pkt)
{
	return pkt->wire_len > pkt->cap_len ? pkt->wire_len : pkt->cap_len;
}

/* Key for the packet's endpoints: the dispatcher's own tuple (flowhash.h),
 * so a record never mixes workers. Endpoint a is the lower endpoint when
 * ordered (Connection), the source otherwise (Flow). *src_is_lower says
 * whether the packet's source is the lower endpoint (the order
 * flow_tuple_hash normalises by). False when the packet has no endpoints. */
static bool endpoint_key(const struct flow_tuple *t, bool ordered, struct endpoint_key *k, bool *src_is_lower)
{
	memset(k, 0, sizeof *k);
	const uint8_t *src, *dst;
	size_t len;
	uint16_t sp = t->src_port, dp = t->dst_port;
	if (t->version) {
		k->version = t->version;
		k->proto = t->proto;
		src = t->src;
		dst = t->dst;
		len = t->version == 4 ? 4 : 16;
	} else if (t->has_mac) {
		src = t->src_mac;
		dst = t->dst_mac;
		len = 6;
	} else {
		return false;
	}
	int order = memcmp(src, dst, len);
	*src_is_lower = order < 0 || (order == 0 && sp <= dp);
	bool src_is_a = !ordered || *src_is_lower;
	memcpy(k->addr_a, src_is_a ? src : dst, len);
	memcpy(k->addr_b, src_is_a ? dst : src, len);
	k->port_a = src_is_a ? sp : dp;
	k->port_b = src_is_a ? dp : sp;
	return true;
}

/* Idle time counts from the worker's clock, the latest packet time it has
 * seen: the same as the flow's last packet when time runs forward, and no
 * instant expiry when a capture's time runs backwards (concatenated files). */
static int64_t conn_expiry(const struct flows *f, const struct conn *c, uint8_t proto)
{
	int64_t idle = (c->fin_dirs == 3 || c->rst) ? f->s.tcp_close : idle_timeout(&f->s, proto);
	int64_t end = f->now + idle, cut = c->first + f->s.active;
	/* The clock is past the active cut only when time ran backwards (a
	 * flow of an earlier capture after a later one): no instant expiry
	 * then either, or the cut would fall wherever a batch ends. */
	if (cut <= f->now)
		return end;
	return end < cut ? end : cut;
}

static void count_tcp(struct conn *c, const struct packet *pkt, bool from_a)
{
	static const uint8_t bit[8] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80 };
	for (int i = 0; i < 8; i++)
		c->flags[i] += (pkt->tcp_flags & bit[i]) != 0;
	c->flags[8] += pkt->tcp_ns;
	c->window_sum += pkt->tcp_window;
	c->window_n++;
	if (pkt->tcp_flags & 0x01)
		c->fin_dirs |= from_a ? 1 : 2;
	if (pkt->tcp_flags & 0x04)
		c->rst = true;
}

/* A packet's key in one table, its hash, and (Connection, Flow) its
 * direction: computed for every table first, so that their index slots are
 * fetched from memory at once rather than one cache miss after another. */
struct lookup {
	bool ok;
	bool src_is_a;               /* the source is the lower endpoint */
	uint8_t key_len;
	uint32_t hash;
	union {
		struct endpoint_key endpoints;
		uint8_t bytes[FLOW_KEY_MAX];
	} key;
	struct flow_partial partial; /* aggregates */
};

static void conn_packet(struct flows *f, const struct packet *pkt, const struct flow_tuple *t,
			const struct lookup *l)
{
	const struct endpoint_key *k = &l->key.endpoints;
	bool src_is_a = l->src_is_a;
	uint32_t hash = l->hash;
	struct flow_node *n = flow_table_find(f->conns, k, sizeof *k, hash);
	/* A record ends by its own packets' times alone, so record
	 * boundaries do not depend on other flows (or on worker count). */
	if (n && pkt->ts >= n->expire_at)
		flow_table_expire(f->conns, n, FLOW_END_IDLE), n = NULL;
	struct conn *c = (struct conn *)n;
	if (!c) {
		c = (struct conn *)flow_table_insert(f->conns, k, sizeof *k, hash, pkt->ts + idle_timeout(&f->s, k->proto));
		if (!c)
			return;
		c->first = pkt->ts;
		c->uid = uid_of(k, sizeof *k, pkt->ts);
		/* The client sent the first packet, unless that was a SYN-ACK
		 * (the SYN was missed): then its receiver did. */
		bool syn_ack = k->proto == 6 && (pkt->tcp_flags & 0x12) == 0x12;
		c->client_is_a = syn_ack ? !src_is_a : src_is_a;
	}
	c->last = pkt->ts > c->last ? pkt->ts : c->last;
	c->packets++;
	if (src_is_a)
		c->bytes_ab += frame_bytes(pkt);
	else
		c->bytes_ba += frame_bytes(pkt);
	c->app_bytes += pkt->app_len;
	if (t->has_mac && !c->has_mac) {
		c->has_mac = true;
		memcpy(c->mac_a, src_is_a ? t->src_mac : t->dst_mac, 6);
		memcpy(c->mac_b, src_is_a ? t->dst_mac : t->src_mac, 6);
	}
	if (!c->app_proto && pkt->app_proto)
		c->app_proto = pkt->app_proto;
	if (k->proto == 6 && pkt->ip_proto == 6 && pkt->has_ports)
		count_tcp(c, pkt, src_is_a);
	flow_table_touch(f->conns, &c->node, conn_expiry(f, c, k->proto));
}

static void flow_packet(struct flows *f, const struct packet *pkt, const struct flow_tuple *t,
			const struct lookup *l)
{
	const struct endpoint_key *k = &l->key.endpoints;
	uint32_t hash = l->hash;
	struct flow_node *n = flow_table_find(f->flows, k, sizeof *k, hash);
	if (n && pkt->ts >= n->expire_at)
		flow_table_expire(f->flows, n, FLOW_END_IDLE), n = NULL;
	struct flow *fl = (struct flow *)n;
	if (!fl) {
		fl = (struct flow *)flow_table_insert(f->flows, k, sizeof *k, hash, pkt->ts);
		if (!fl)
			return;
		fl->first = pkt->ts;
		fl->uid = uid_of(k, sizeof *k, pkt->ts);
	}
	fl->last = pkt->ts > fl->last ? pkt->ts : fl->last;
	fl->packets++;
	fl->bytes += frame_bytes(pkt);
	fl->app_bytes += pkt->app_len;
	if (t->has_mac && !fl->has_mac) {
		fl->has_mac = true;
		memcpy(fl->mac_src, t->src_mac, 6);
		memcpy(fl->mac_dst, t->dst_mac, 6);
	}
	if (!fl->app_proto && pkt->app_proto)
		fl->app_proto = pkt->app_proto;
	int64_t end = f->now + idle_timeout(&f->s, k->proto), cut = fl->first + f->s.active;
	flow_table_touch(f->flows, &fl->node, end < cut || cut <= f->now ? end : cut); /* as conn_expiry() */
}

static inline uint64_t le32_at(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* The keyed hash of an aggregate table key (proto, a, b, the window start
 * as 8 little-endian bytes, as aggregate_lookup lays it out): SipHash-1-3
 * under the family's key, i.e. flow_hash_bytes() of those bytes
 * (tests/unit/test_flows.c, aggregate_hash_is_siphash13_of_the_key).
 * Built in registers from the pair and the window, not loaded back from
 * the bytes just stored: a load spanning several fresh smaller stores
 * waits for them to reach the cache. IPv6 pairs (41 bytes) go by the
 * bytes. (On a big-endian host the window's bytes differ from these
 * words: still a function of the key, which is all a table needs.) */
static inline uint64_t aggregate_hash(int family, uint8_t proto, const uint8_t *a, const uint8_t *b, unsigned len,
				      int64_t window, const uint8_t *bytes)
{
	enum flow_hash_domain d = (enum flow_hash_domain)(FLOW_HASH_LINK + family);
	const struct sip_key *k = &flow_hash_keys.sip[d];
	uint64_t w = (uint64_t)window, m[2];
	switch (len) {
	case 2: /* TransportFlow: 13 bytes */
		m[0] = proto | (uint64_t)a[0] << 8 | (uint64_t)a[1] << 16 | (uint64_t)b[0] << 24 | (uint64_t)b[1] << 32 |
		       w << 40;
		return flow_siphash13_words(k, m, 13, w >> 24);
	case 4: /* NetworkFlow, IPv4: 17 bytes */
		m[0] = proto | le32_at(a) << 8 | (le32_at(b) & 0xffffff) << 40;
		m[1] = (uint64_t)b[3] | w << 8;
		return flow_siphash13_words(k, m, 17, w >> 56);
	case 6: /* LinkFlow: 21 bytes */
		m[0] = proto | le32_at(a) << 8 | (uint64_t)a[4] << 40 | (uint64_t)a[5] << 48 | (uint64_t)b[0] << 56;
		m[1] = le32_at(b + 1) | (uint64_t)b[5] << 32 | w << 40;
		return flow_siphash13_words(k, m, 21, w >> 24);
	default:
		return flow_hash_bytes(d, bytes, 1 + 2 * len + 8);
	}
}

/* A packet's key in an aggregate family's table: a MAC, IP or port pair,
 * lower side first, with the protocol (ethertype-less: "Ethernet"; IP
 * version; TCP/UDP), then the start of its window (one entry per key and
 * window), and its keyed hash. False when the packet has no such pair. */
static bool aggregate_lookup(const struct packet *pkt, int family, int64_t window, struct lookup *l)
{
	const uint8_t *a, *b;
	uint8_t len, proto;
	uint8_t pa[2], pb[2];
	switch (family) {
	case FAMILY_LINK:
		if (!pkt->has_mac)
			return false;
		a = pkt->src_mac, b = pkt->dst_mac, len = 6, proto = 0;
		break;
	case FAMILY_NETWORK:
		if (!pkt->ip_version)
			return false;
		a = pkt->src_ip, b = pkt->dst_ip, len = pkt->ip_version == 4 ? 4 : 16, proto = pkt->ip_version;
		break;
	default:
		if (!pkt->has_ports)
			return false;
		pa[0] = (uint8_t)(pkt->src_port >> 8), pa[1] = (uint8_t)pkt->src_port;
		pb[0] = (uint8_t)(pkt->dst_port >> 8), pb[1] = (uint8_t)pkt->dst_port;
		a = pa, b = pb, len = 2, proto = pkt->ip_proto;
		break;
	}
	if (memcmp(a, b, len) > 0) {
		const uint8_t *t = a;
		a = b;
		b = t;
	}
	struct flow_partial *p = &l->partial;
	memset(p, 0, sizeof *p);
	p->family = (uint8_t)family;
	p->key[0] = proto;
	memcpy(p->key + 1, a, len);
	memcpy(p->key + 1 + len, b, len);
	p->key_len = (uint8_t)(1 + 2 * len);
	p->window_start = window;
	memcpy(l->key.bytes, p->key, p->key_len);
	memcpy(l->key.bytes + p->key_len, &window, sizeof window);
	l->key_len = (uint8_t)(p->key_len + sizeof window);
	/* One keyed hash per family, carried to the aggregator in the
	 * partial sums (flow_aggregator_add hashes nothing). */
	l->hash = p->hash = (uint32_t)aggregate_hash(family, proto, a, b, len, window, l->key.bytes);
	return true;
}

static void aggregate_packet(struct flows *f, const struct packet *pkt, int family, const struct lookup *l)
{
	int64_t window = l->partial.window_start;
	struct aggregate *g = (struct aggregate *)flow_table_find(f->agg[family], l->key.bytes, l->key_len, l->hash);
	if (!g) {
		g = (struct aggregate *)flow_table_insert(f->agg[family], l->key.bytes, l->key_len, l->hash,
							  window + f->s.window);
		if (!g)
			return;
		g->sum = l->partial;
		g->sum.first = pkt->ts;
	}
	if (pkt->ts < g->sum.first)
		g->sum.first = pkt->ts;
	if (pkt->ts > g->sum.last)
		g->sum.last = pkt->ts;
	g->sum.bytes += frame_bytes(pkt);
	g->sum.packets++;
}

void flows_packet_hashed(struct flows *f, const struct packet *pkt, int link, uint64_t tuple_hash)
{
	if (f->now == 0)
		flows_advance(f, pkt->ts); /* starts the wheels at the first packet */
	if (pkt->ts > f->now)
		f->now = pkt->ts;
	struct flow_tuple t;
	uint64_t sym = 0;
	if (f->conns || f->flows) {
		if (!flow_tuple_extract(pkt->data, pkt->cap_len, link, &t)) {
			tuple_hash = FLOW_HASH_NONE; /* not the tuple the dispatcher hashed */
			/* Links the dispatcher cannot parse all go to worker 0:
			 * key them on what the decoders found. */
			memset(&t, 0, sizeof t);
			t.has_mac = pkt->has_mac;
			memcpy(t.src_mac, pkt->src_mac, 6);
			memcpy(t.dst_mac, pkt->dst_mac, 6);
			t.version = pkt->ip_version;
			t.proto = pkt->ip_proto;
			memcpy(t.src, pkt->src_ip, 16);
			memcpy(t.dst, pkt->dst_ip, 16);
			if (pkt->has_ports) {
				t.src_port = pkt->src_port;
				t.dst_port = pkt->dst_port;
			}
		}
		/* The one symmetric hash of the tuple: the dispatcher's, else
		 * computed once here for both tables. */
		sym = tuple_hash != FLOW_HASH_NONE ? tuple_hash : flow_tuple_hash(&t);
	}
	/* ok: the table is on and the packet has a key in it */
	enum { CONN, FLOW, AGG }; /* AGG + family */
	struct lookup l[AGG + FAMILY_COUNT];
	struct flow_table *table[AGG + FAMILY_COUNT] = { f->conns, f->flows };
	/* Connection: the symmetric hash as is (its key is the ordered
	 * tuple). Flow: a packet from the higher endpoint is the other
	 * directed key, so it gets the secret reply mask: still a function of
	 * the key alone, and the two directions land apart. */
	if ((l[CONN].ok = f->conns && endpoint_key(&t, true, &l[CONN].key.endpoints, &l[CONN].src_is_a)))
		l[CONN].hash = (uint32_t)sym;
	if ((l[FLOW].ok = f->flows && endpoint_key(&t, false, &l[FLOW].key.endpoints, &l[FLOW].src_is_a)))
		l[FLOW].hash = (uint32_t)(l[FLOW].src_is_a ? sym : flow_hash_reply(sym));
	/* The aggregates' window, once for the three (a division). */
	int64_t window = f->agg[0] || f->agg[1] || f->agg[2] ? pkt->ts - pkt->ts % f->s.window : 0;
	for (int fam = 0; fam < FAMILY_COUNT; fam++) {
		table[AGG + fam] = f->agg[fam];
		l[AGG + fam].ok = f->agg[fam] && aggregate_lookup(pkt, fam, window, &l[AGG + fam]);
	}
	for (int i = 0; i < AGG + FAMILY_COUNT; i++)
		if (l[i].ok)
			flow_table_prefetch(table[i], l[i].hash);
	if (l[CONN].ok)
		conn_packet(f, pkt, &t, &l[CONN]);
	if (l[FLOW].ok)
		flow_packet(f, pkt, &t, &l[FLOW]);
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		if (l[AGG + fam].ok)
			aggregate_packet(f, pkt, fam, &l[AGG + fam]);
}

void flows_packet(struct flows *f, const struct packet *pkt, int link)
{
	flows_packet_hashed(f, pkt, link, FLOW_HASH_NONE);
}

void flows_advance(struct flows *f, int64_t now)
{
	if (now > f->now)
		f->now = now;
	if (f->conns)
		flow_table_advance(f->conns, f->now);
	if (f->flows)
		flow_table_advance(f->flows, f->now);
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		if (f->agg[fam])
			flow_table_advance(f->agg[fam], f->now);
}

void flows_flush(struct flows *f)
{
	if (f->conns)
		flow_table_flush(f->conns);
	if (f->flows)
		flow_table_flush(f->flows);
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		if (f->agg[fam])
			flow_table_flush(f->agg[fam]);
}

int64_t flows_now(const struct flows *f)
{
	return f->now;
}

void flows_counters(const struct flows *f, struct flow_counters *out)
{
	memset(out, 0, sizeof *out);
	const struct flow_table *tables[] = { f->conns, f->flows, f->agg[0], f->agg[1], f->agg[2] };
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		if (!tables[i])
			continue;
		struct flow_table_stats st;
		flow_table_stats(tables[i], &st);
		out->tracked += flow_table_count(tables[i]);
		out->evicted += st.evictions;
		out->probe_evicted += st.probe_evictions;
		if (st.max_probe > out->max_probe)
			out->max_probe = st.max_probe;
	}
	if (f->conns)
		out->bytes_per_entry = flow_table_bytes_per_entry(f->conns);
}

bool flows_table_stats(const struct flows *f, int type, struct flow_table_stats *out)
{
	const struct flow_table *t = type == TYPES__TYPE__NC_Connection ? f->conns
				   : type == TYPES__TYPE__NC_Flow ? f->flows
				   : type == TYPES__TYPE__NC_LinkFlow ? f->agg[FAMILY_LINK]
				   : type == TYPES__TYPE__NC_NetworkFlow ? f->agg[FAMILY_NETWORK]
				   : type == TYPES__TYPE__NC_TransportFlow ? f->agg[FAMILY_TRANSPORT] : NULL;
	if (!t)
		return false;
	flow_table_stats(t, out);
	return true;
}

/* ---- the aggregator ------------------------------------------------- */

struct flow_aggregator {
	struct flow_settings s;
	flow_emit_fn emit;
	void *ctx;
	struct flow_table *sums;
};

static void aggregate_write(void *ctx, struct flow_node *n, enum flow_end why)
{
	(void)why;
	struct flow_aggregator *a = ctx;
	const struct flow_partial *p = &((struct aggregate *)n)->sum;
	uint8_t len = (uint8_t)((p->key_len - 1) / 2);
	const uint8_t *lo = p->key + 1, *hi = p->key + 1 + len;
	uint64_t uid = uid_of(n->key, n->key_len, p->window_start);
	char s1[64] = "", s2[64] = "";
	switch (p->family) {
	case FAMILY_LINK: {
		Types__LinkFlow r = TYPES__LINK_FLOW__INIT;
		format_mac_into(s1, lo);
		format_mac_into(s2, hi);
		r.timestampfirst = p->first, r.timestamplast = p->last, r.duration = p->last - p->first;
		r.proto = (char *)"Ethernet", r.srcmac = s1, r.dstmac = s2;
		r.size = (int64_t)p->bytes, r.numpackets = (int64_t)p->packets, r.uid = uid;
		a->emit(a->ctx, TYPES__TYPE__NC_LinkFlow, &r.base);
		break;
	}
	case FAMILY_NETWORK: {
		Types__NetworkFlow r = TYPES__NETWORK_FLOW__INIT;
		format_addr(s1, sizeof s1, p->key[0], lo);
		format_addr(s2, sizeof s2, p->key[0], hi);
		r.timestampfirst = p->first, r.timestamplast = p->last, r.duration = p->last - p->first;
		r.proto = (char *)network_name(p->key[0]), r.srcip = s1, r.dstip = s2;
		r.size = (int64_t)p->bytes, r.numpackets = (int64_t)p->packets, r.uid = uid;
		a->emit(a->ctx, TYPES__TYPE__NC_NetworkFlow, &r.base);
		break;
	}
	default: {
		Types__TransportFlow r = TYPES__TRANSPORT_FLOW__INIT;
		r.timestampfirst = p->first, r.timestamplast = p->last, r.duration = p->last - p->first;
		r.proto = (char *)transport_name(4, p->key[0]);
		r.srcport = lo[0] << 8 | lo[1], r.dstport = hi[0] << 8 | hi[1];
		r.size = (int64_t)p->bytes, r.numpackets = (int64_t)p->packets, r.uid = uid;
		a->emit(a->ctx, TYPES__TYPE__NC_TransportFlow, &r.base);
		break;
	}
	}
}

struct flow_aggregator *flow_aggregator_create(uint32_t capacity, const struct flow_settings *s,
					       flow_emit_fn emit, void *ctx)
{
	struct flow_aggregator *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->s = *s;
	a->emit = emit;
	a->ctx = ctx;
	a->sums = flow_table_create(capacity, sizeof(struct aggregate), NS, aggregate_write, a);
	if (!a->sums) {
		free(a);
		return NULL;
	}
	return a;
}

void flow_aggregator_free(struct flow_aggregator *a)
{
	if (!a)
		return;
	flow_table_free(a->sums);
	free(a);
}

void flow_aggregator_add(struct flow_aggregator *a, const struct flow_partial *p)
{
	uint8_t key[FLOW_KEY_MAX];
	key[0] = p->family;
	memcpy(key + 1, p->key, p->key_len);
	memcpy(key + 1 + p->key_len, &p->window_start, sizeof p->window_start);
	uint8_t key_len = (uint8_t)(1 + p->key_len + sizeof p->window_start);
	/* The worker's keyed hash of (key, window) under its family's own
	 * key: the families cannot be made to collide with one another either. */
	uint32_t hash = p->hash;
	struct aggregate *g = (struct aggregate *)flow_table_find(a->sums, key, key_len, hash);
	if (!g) {
		/* Due when the window ends: advance() only passes a watermark
		 * every worker has reached, so all shares are in by then. */
		g = (struct aggregate *)flow_table_insert(a->sums, key, key_len, hash, p->window_start + a->s.window);
		if (!g)
			return;
		g->sum = *p;
		return;
	}
	if (p->first < g->sum.first)
		g->sum.first = p->first;
	if (p->last > g->sum.last)
		g->sum.last = p->last;
	g->sum.bytes += p->bytes;
	g->sum.packets += p->packets;
}

void flow_aggregator_stats(const struct flow_aggregator *a, struct flow_table_stats *out)
{
	flow_table_stats(a->sums, out);
}

void flow_aggregator_advance(struct flow_aggregator *a, int64_t watermark)
{
	flow_table_advance(a->sums, watermark);
}

void flow_aggregator_flush(struct flow_aggregator *a)
{
	flow_table_flush(a->sums);
}
