/* flows.c: a worker's flow tables (flows.h, docs/flows.md). Connection
 * and Flow records live here from their first packet to their end; for
 * LinkFlow, NetworkFlow and TransportFlow the worker sums its share per key
 * and window and hands it to the aggregator (aggregator.c), which writes
 * those records. One entry point per packet, flows_packet_hashed(), on the
 * worker's hot path: it computes every table's key and hash first, so that
 * the tables' index slots are fetched from memory together. */
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decode/ipproto.h"
#include "flow/communityid.h"
#include "flow/flowhash.h"
#include "flow/flows.h"
#include "flow/internal.h"

void flow_settings_default(struct flow_settings *s)
{
	/* Zeek: tcp_inactivity_timeout 5 min, udp/icmp 1 min, tcp_close_delay
	 * 5 s; Suricata: established TCP 300 s (its "new" states are shorter). */
	*s = (struct flow_settings){
		.capacity = FLOW_DEFAULT_CAPACITY,
		.tcp_idle = 300 * NS_PER_S,
		.udp_idle = 60 * NS_PER_S,
		.other_idle = 60 * NS_PER_S,
		.active = 3600 * NS_PER_S,
		.tcp_close = 5 * NS_PER_S,
		.window = 3600 * NS_PER_S,
		.community_id = true,
		.community_id_seed = COMMUNITY_ID_DEFAULT_SEED,
	};
}

/* ---- state ---------------------------------------------------------- */

struct endpoint_key {           /* Connection (ordered) and Flow (directed) */
	uint8_t version;            /* 4, 6, or 0: no IP, keyed by MACs */
	uint8_t proto;
	uint16_t port_a, port_b;
	uint8_t addr_a[16], addr_b[16];
	uint64_t tunnel_id;         /* flowhash.h; 0: not in a tunnel. Last: see key_uid */
} __attribute__((packed));

struct conn {
	struct flow_node node;
	int64_t first, last;
	uint64_t uid;
	uint64_t bytes_ab, bytes_ba;   /* frame bytes, a->b and b->a */
	uint64_t app_bytes;
	uint64_t window_sum;
	uint32_t packets, window_n;
	uint32_t flags[9];             /* FIN SYN RST PSH ACK URG ECE CWR (the
					* bits of tcp_flags, lowest first), NS */
	uint8_t mac_a[6], mac_b[6];
	bool has_mac;
	bool client_is_a;
	uint8_t fin_dirs;              /* bit 0: a sent FIN, bit 1: b sent FIN */
	bool rst;
	/* ICMP, ICMPv6: the first message whose header was read, for the
	 * Community ID (in the padding before app_proto: no bigger entry) */
	bool has_icmp, icmp_from_a;
	uint8_t icmp_type, icmp_code;
	const char *app_proto;
};

struct flow {                      /* one direction */
	struct flow_node node;
	int64_t first, last;
	uint64_t uid, bytes, app_bytes;
	uint32_t packets;
	uint8_t mac_src[6], mac_dst[6];
	bool has_mac;
	bool has_icmp;                 /* as struct conn's */
	uint8_t icmp_type, icmp_code;
	const char *app_proto;
};

/* A worker's tables, one per selected family (NULL when off), in the order
 * they are advanced and flushed. */
enum { TABLE_CONN, TABLE_FLOW, TABLE_AGG, TABLE_COUNT = TABLE_AGG + FAMILY_COUNT };

struct flows {
	struct flow_settings s;
	flow_emit_fn emit;
	flow_partial_fn partial;
	void *ctx;
	struct flow_table *table[TABLE_COUNT]; /* TABLE_AGG + enum flow_family */
	int64_t now;
};

static int64_t idle_timeout(const struct flow_settings *s, uint8_t proto)
{
	return proto == IPPROTO_TCP ? s->tcp_idle : proto == IPPROTO_UDP ? s->udp_idle : s->other_idle;
}

static const struct endpoint_key *ekey(const struct flow_node *n)
{
	return (const struct endpoint_key *)n->key;
}

/* ---- writing Connection and Flow records ----------------------------- */

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

/* A record's Community ID (communityid.h), computed once, as it is
 * written, from its key; for ICMP from the type and code of its first
 * message whose header was read, sent by endpoint a when icmp_from_a.
 * Empty without IP, and for ICMP whose header no packet of the record
 * reached (fragments only, or a link type the tuple parse does not
 * read). */
static void format_community_id(char out[COMMUNITY_ID_SIZE], const struct endpoint_key *k, bool has_icmp,
				bool icmp_from_a, uint8_t icmp_type, uint8_t icmp_code, uint16_t seed)
{
	out[0] = '\0';
	if (!k->version)
		return;
	struct community_tuple t = { .version = k->version, .proto = k->proto, .src = k->addr_a,
				     .dst = k->addr_b, .src_port = k->port_a, .dst_port = k->port_b };
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		if (!has_icmp)
			return;
		if (!icmp_from_a) {
			t.src = k->addr_b;
			t.dst = k->addr_a;
		}
		t.src_port = icmp_type;
		t.dst_port = icmp_code;
	}
	community_id_v1(&t, seed, out);
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
	char cid[COMMUNITY_ID_SIZE];
	cid[0] = '\0';
	if (f->s.community_id)
		format_community_id(cid, k, c->has_icmp, c->icmp_from_a, c->icmp_type, c->icmp_code,
				    f->s.community_id_seed);

	Types__Connection r = TYPES__CONNECTION__INIT;
	r.timestampfirst = c->first;
	r.timestamplast = c->last;
	r.duration = c->last - c->first;
	r.linkproto = (char *)(c->has_mac ? "Ethernet" : "");
	r.networkproto = (char *)network_name(k->version);
	r.transportproto = (char *)transport_name(k->proto);
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
	r.communityid = cid;
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
	char cid[COMMUNITY_ID_SIZE];
	cid[0] = '\0';
	if (f->s.community_id)
		format_community_id(cid, k, fl->has_icmp, true, fl->icmp_type, fl->icmp_code,
				    f->s.community_id_seed);
	Types__Flow r = TYPES__FLOW__INIT;
	r.timestampfirst = fl->first;
	r.timestamplast = fl->last;
	r.duration = fl->last - fl->first;
	r.linkproto = (char *)(fl->has_mac ? "Ethernet" : "");
	r.networkproto = (char *)network_name(k->version);
	r.transportproto = (char *)transport_name(k->proto);
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
	r.communityid = cid;
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

/* A worker's share of one key and window, due at the window's end (or
 * written early): to the aggregator, which adds up the workers' shares. */
static void aggregate_expired(void *ctx, struct flow_node *n, enum flow_end why)
{
	(void)why;
	struct flows *f = ctx;
	f->partial(f->ctx, &((struct aggregate *)n)->sum);
}

struct flows *flows_create(const struct flow_settings *s, flow_emit_fn emit,
			   flow_partial_fn partial, void *ctx)
{
	static const struct {
		int type;
		size_t entry_size;
		flow_expire_fn expired;
	} tables[TABLE_COUNT] = {
		[TABLE_CONN] = { TYPES__TYPE__NC_Connection, sizeof(struct conn), conn_expired },
		[TABLE_FLOW] = { TYPES__TYPE__NC_Flow, sizeof(struct flow), flow_expired },
		[TABLE_AGG + FAMILY_LINK] = { TYPES__TYPE__NC_LinkFlow, sizeof(struct aggregate), aggregate_expired },
		[TABLE_AGG + FAMILY_NETWORK] = { TYPES__TYPE__NC_NetworkFlow, sizeof(struct aggregate),
						 aggregate_expired },
		[TABLE_AGG + FAMILY_TRANSPORT] = { TYPES__TYPE__NC_TransportFlow, sizeof(struct aggregate),
						   aggregate_expired },
	};
	struct flows *f = flow_alloc_lines(sizeof *f);
	if (!f)
		return NULL;
	f->s = *s;
	f->emit = emit;
	f->partial = partial;
	f->ctx = ctx;
	for (int i = 0; i < TABLE_COUNT; i++) {
		if (!s->want[tables[i].type])
			continue;
		f->table[i] = flow_table_create(s->capacity, tables[i].entry_size, FLOW_TICK_NS, tables[i].expired, f);
		if (!f->table[i]) {
			flows_free(f);
			return NULL;
		}
	}
	return f;
}

void flows_free(struct flows *f)
{
	if (!f)
		return;
	for (int i = 0; i < TABLE_COUNT; i++)
		flow_table_free(f->table[i]);
	free(f);
}

/* ---- per packet ----------------------------------------------------- */

static uint32_t frame_bytes(const struct packet *pkt)
{
	if (pkt->reassembled)
		return pkt->reassembled_wire; /* its fragments' frames */
	return pkt->wire_len > pkt->cap_len ? pkt->wire_len : pkt->cap_len;
}

/* The tuple of a frame the dispatcher's shallow parse cannot read (a link
 * type it does not know; every such frame goes to worker 0): what the
 * decoders found, its IP header, else its MACs. */
static void tuple_from_decoded(const struct packet *pkt, struct flow_tuple *t)
{
	memset(t, 0, sizeof *t);
	t->has_mac = pkt->has_mac;
	memcpy(t->src_mac, pkt->src_mac, 6);
	memcpy(t->dst_mac, pkt->dst_mac, 6);
	t->version = pkt->ip_version;
	t->proto = pkt->ip_proto;
	memcpy(t->src, pkt->src_ip, 16);
	memcpy(t->dst, pkt->dst_ip, 16);
	if (pkt->has_ports) {
		t->src_port = pkt->src_port;
		t->dst_port = pkt->dst_port;
	}
}

/* The packet's key in the Connection table (src_is_a: whether the source
 * is the lower endpoint, so that endpoint a is always the lower one) or in
 * the Flow table (src_is_a true: a is the sender). Taken from the
 * dispatcher's own tuple (flowhash.h), so a record never mixes workers.
 * For a tuple with IP or MACs. */
static void endpoint_key(const struct flow_tuple *t, bool src_is_a, struct endpoint_key *k)
{
	memset(k, 0, sizeof *k);
	const uint8_t *src, *dst;
	size_t len;
	if (t->version) {
		k->version = t->version;
		k->proto = t->proto;
		src = t->src;
		dst = t->dst;
		len = t->version == 4 ? 4 : 16;
	} else {
		src = t->src_mac;
		dst = t->dst_mac;
		len = 6;
	}
	memcpy(k->addr_a, src_is_a ? src : dst, len);
	memcpy(k->addr_b, src_is_a ? dst : src, len);
	k->port_a = src_is_a ? t->src_port : t->dst_port;
	k->port_b = src_is_a ? t->dst_port : t->src_port;
	k->tunnel_id = t->tunnel_id;
}

/* A record's UID: of the key without its tunnel id when that is 0, so
 * that untunnelled records keep the UIDs they had before tunnels were
 * keyed (users join records of several runs by UID). */
static uint64_t key_uid(const struct endpoint_key *k, int64_t first)
{
	return uid_of(k, k->tunnel_id ? sizeof *k : offsetof(struct endpoint_key, tunnel_id), first);
}

/* The open record of key in the Connection or Flow table, or NULL. A
 * record this packet comes too late for is written first: a record ends by
 * its own packets' times alone, so its boundaries do not depend on other
 * flows (or on the worker count). */
static struct flow_node *find_open(struct flow_table *t, const struct endpoint_key *k, uint32_t hash,
				   int64_t ts)
{
	struct flow_node *n = flow_table_find(t, k, sizeof *k, hash);
	if (n && ts >= n->expire_at) {
		flow_table_expire(t, n, FLOW_END_DUE);
		return NULL;
	}
	return n;
}

/* When a Connection or Flow record is due. Idle time counts from the
 * worker's clock, the latest packet time it has seen: the record's last
 * packet when time runs forward, and no instant expiry when a capture's
 * time runs backwards (concatenated files). The active cut counts from
 * the record's first packet. */
static int64_t record_expiry(const struct flows *f, int64_t first, int64_t idle)
{
	int64_t end = f->now + idle, cut = first + f->s.active;
	/* The clock is past the active cut only when time ran backwards (a
	 * flow of an earlier capture after a later one): no instant expiry
	 * then either, or the cut would fall wherever a batch ends. */
	if (cut <= f->now)
		return end;
	return end < cut ? end : cut;
}

static void count_tcp(struct conn *c, const struct packet *pkt, bool from_a)
{
	for (int i = 0; i < 8; i++)
		c->flags[i] += (pkt->tcp_flags >> i) & 1;
	c->flags[8] += pkt->tcp_ns;
	c->window_sum += pkt->tcp_window;
	c->window_n++;
	if (pkt->tcp_flags & TH_FIN)
		c->fin_dirs |= from_a ? 1 : 2;
	if (pkt->tcp_flags & TH_RST)
		c->rst = true;
}

/* A packet's key in one table and its hash: computed for every table
 * first, so that their index slots are fetched from memory at once rather
 * than one cache miss after another. */
struct lookup {
	bool ok;                     /* the table is on and the packet has a key in it */
	uint8_t key_len;             /* aggregates; an endpoint key is its size */
	uint32_t hash;
	union {
		struct endpoint_key endpoints;
		uint8_t bytes[FLOW_KEY_MAX];
	} key;
	struct flow_partial partial; /* aggregates */
};

static void conn_packet(struct flows *f, const struct packet *pkt, const struct flow_tuple *t,
			const struct lookup *l, bool src_is_a)
{
	struct flow_table *table = f->table[TABLE_CONN];
	const struct endpoint_key *k = &l->key.endpoints;
	struct conn *c = (struct conn *)find_open(table, k, l->hash, pkt->ts);
	if (!c) {
		c = (struct conn *)flow_table_insert(table, k, sizeof *k, l->hash,
						     pkt->ts + idle_timeout(&f->s, k->proto));
		if (!c)
			return;
		c->first = pkt->ts;
		c->uid = key_uid(k, pkt->ts);
		/* The client sent the first packet, unless that was a SYN-ACK
		 * (the SYN was missed): then its receiver did. */
		bool syn_ack = k->proto == IPPROTO_TCP && (pkt->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
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
	if (t->has_icmp && !c->has_icmp) {
		c->has_icmp = true;
		c->icmp_from_a = src_is_a;
		c->icmp_type = t->icmp_type;
		c->icmp_code = t->icmp_code;
	}
	if (k->proto == IPPROTO_TCP && pkt->ip_proto == IPPROTO_TCP && pkt->has_ports)
		count_tcp(c, pkt, src_is_a);
	int64_t idle = (c->fin_dirs == 3 || c->rst) ? f->s.tcp_close : idle_timeout(&f->s, k->proto);
	flow_table_touch(table, &c->node, record_expiry(f, c->first, idle));
}

static void flow_packet(struct flows *f, const struct packet *pkt, const struct flow_tuple *t,
			const struct lookup *l)
{
	struct flow_table *table = f->table[TABLE_FLOW];
	const struct endpoint_key *k = &l->key.endpoints;
	struct flow *fl = (struct flow *)find_open(table, k, l->hash, pkt->ts);
	if (!fl) {
		fl = (struct flow *)flow_table_insert(table, k, sizeof *k, l->hash, pkt->ts);
		if (!fl)
			return;
		fl->first = pkt->ts;
		fl->uid = key_uid(k, pkt->ts);
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
	if (t->has_icmp && !fl->has_icmp) {
		fl->has_icmp = true;
		fl->icmp_type = t->icmp_type;
		fl->icmp_code = t->icmp_code;
	}
	flow_table_touch(table, &fl->node, record_expiry(f, fl->first, idle_timeout(&f->s, k->proto)));
}

/* ---- a worker's shares of LinkFlow, NetworkFlow, TransportFlow ------- */

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
		m[0] = proto | sip_le32(a) << 8 | (sip_le32(b) & 0xffffff) << 40;
		m[1] = (uint64_t)b[3] | w << 8;
		return flow_siphash13_words(k, m, 17, w >> 56);
	case 6: /* LinkFlow: 21 bytes */
		m[0] = proto | sip_le32(a) << 8 | (uint64_t)a[4] << 40 | (uint64_t)a[5] << 48 | (uint64_t)b[0] << 56;
		m[1] = sip_le32(b + 1) | (uint64_t)b[5] << 32 | w << 40;
		return flow_siphash13_words(k, m, 21, w >> 24);
	default:
		return flow_hash_bytes(d, bytes, 1 + 2 * len + 8);
	}
}

/* A packet's key in an aggregate family's table: the protocol (0 for a MAC
 * pair, the IP version for an address pair, the IP protocol for a port
 * pair), the pair, lower side first, then the start of its window (one
 * entry per key and window); and its keyed hash. False when the packet has
 * no such pair. */
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
	struct flow_table *table = f->table[TABLE_AGG + family];
	int64_t window = l->partial.window_start;
	struct aggregate *g = (struct aggregate *)flow_table_find(table, l->key.bytes, l->key_len, l->hash);
	if (!g) {
		g = (struct aggregate *)flow_table_insert(table, l->key.bytes, l->key_len, l->hash, window + f->s.window);
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
	/* Defragmentation (lib/defrag): a fragment the reassembler took is
	 * counted through its datagram, once, on the fragment completing it,
	 * keyed by the datagram's own 5-tuple (the fragments carry no ports);
	 * a datagram that never completes is not counted, as in Suricata. */
	if (pkt->defrag_held && !pkt->reassembled)
		return;
	const uint8_t *frame = pkt->data;
	uint32_t frame_len = pkt->cap_len;
	uint64_t tunnel_id = 0;
	if (pkt->reassembled) {
		/* A datagram reassembled inside a tunnel is keyed in it too:
		 * which tunnel, only the fragments' frames tell (rare: a second
		 * parse, of the completing fragment). */
		struct flow_tuple carrier;
		if ((f->table[TABLE_CONN] || f->table[TABLE_FLOW]) &&
		    flow_tuple_extract(pkt->data, pkt->cap_len, link, &carrier))
			tunnel_id = carrier.tunnel_id;
		frame = pkt->reassembled;
		frame_len = pkt->reassembled_len;
		link = LINK_RAW;
		tuple_hash = FLOW_HASH_NONE; /* the dispatcher hashed the addresses only */
	}
	struct flow_tuple t;
	bool has_endpoints = false, src_is_lower = false;
	uint64_t sym = 0;
	if (f->table[TABLE_CONN] || f->table[TABLE_FLOW]) {
		if (!flow_tuple_extract_in(frame, frame_len, link, tunnel_id, &t)) {
			tuple_hash = FLOW_HASH_NONE; /* not the tuple the dispatcher hashed */
			tuple_from_decoded(pkt, &t);
		} else if (!t.src_port && !t.dst_port && pkt->has_ports && pkt->ip_proto == t.proto &&
			   (pkt->src_port || pkt->dst_port)) {
			/* A first fragment decoded on its own (cut short, refused by
			 * the reassembler, or reassembly off): the shallow parse keys
			 * fragments on their addresses, but this one carries its
			 * ports, and tshark, nDPI and Zeek count it in its 5-tuple's
			 * flow. The other fragments keep the addresses alone. */
			t.src_port = pkt->src_port;
			t.dst_port = pkt->dst_port;
			tuple_hash = FLOW_HASH_NONE;
		}
		has_endpoints = t.version || t.has_mac;
		if (has_endpoints)
			src_is_lower = flow_tuple_src_is_lower(&t);
		/* The one symmetric hash of the tuple: the dispatcher's, else
		 * computed once here for both tables. */
		sym = tuple_hash != FLOW_HASH_NONE ? tuple_hash : flow_tuple_hash(&t);
	}
	struct lookup l[TABLE_COUNT];
	/* Connection: the symmetric hash as is (its key is the ordered
	 * tuple). Flow: a packet from the higher endpoint is the other
	 * directed key, so it gets the secret reply mask: still a function of
	 * the key alone, and the two directions land apart. */
	if ((l[TABLE_CONN].ok = f->table[TABLE_CONN] && has_endpoints)) {
		endpoint_key(&t, src_is_lower, &l[TABLE_CONN].key.endpoints);
		l[TABLE_CONN].hash = (uint32_t)sym;
	}
	if ((l[TABLE_FLOW].ok = f->table[TABLE_FLOW] && has_endpoints)) {
		endpoint_key(&t, true, &l[TABLE_FLOW].key.endpoints);
		l[TABLE_FLOW].hash = (uint32_t)(src_is_lower ? sym : flow_hash_reply(sym));
	}
	/* The aggregates' window, once for the three (a division). */
	struct flow_table *const *agg = f->table + TABLE_AGG;
	int64_t window = agg[FAMILY_LINK] || agg[FAMILY_NETWORK] || agg[FAMILY_TRANSPORT]
				 ? pkt->ts - pkt->ts % f->s.window : 0;
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		l[TABLE_AGG + fam].ok = agg[fam] && aggregate_lookup(pkt, fam, window, &l[TABLE_AGG + fam]);
	for (int i = 0; i < TABLE_COUNT; i++)
		if (l[i].ok)
			flow_table_prefetch(f->table[i], l[i].hash);
	if (l[TABLE_CONN].ok)
		conn_packet(f, pkt, &t, &l[TABLE_CONN], src_is_lower);
	if (l[TABLE_FLOW].ok)
		flow_packet(f, pkt, &t, &l[TABLE_FLOW]);
	for (int fam = 0; fam < FAMILY_COUNT; fam++)
		if (l[TABLE_AGG + fam].ok)
			aggregate_packet(f, pkt, fam, &l[TABLE_AGG + fam]);
}

void flows_packet(struct flows *f, const struct packet *pkt, int link)
{
	flows_packet_hashed(f, pkt, link, FLOW_HASH_NONE);
}

void flows_advance(struct flows *f, int64_t now)
{
	if (now > f->now)
		f->now = now;
	for (int i = 0; i < TABLE_COUNT; i++)
		if (f->table[i])
			flow_table_advance(f->table[i], f->now);
}

void flows_flush(struct flows *f)
{
	for (int i = 0; i < TABLE_COUNT; i++)
		if (f->table[i])
			flow_table_flush(f->table[i]);
}

int64_t flows_now(const struct flows *f)
{
	return f->now;
}

void flows_counters(const struct flows *f, struct flow_counters *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < TABLE_COUNT; i++) {
		if (!f->table[i])
			continue;
		struct flow_table_stats st;
		flow_table_stats(f->table[i], &st);
		out->tracked += flow_table_count(f->table[i]);
		out->evicted += st.evictions;
		out->probe_evicted += st.probe_evictions;
		if (st.max_probe > out->max_probe)
			out->max_probe = st.max_probe;
	}
	if (f->table[TABLE_CONN])
		out->bytes_per_entry = flow_table_bytes_per_entry(f->table[TABLE_CONN]);
}

bool flows_table_stats(const struct flows *f, int type, struct flow_table_stats *out)
{
	int i = type == TYPES__TYPE__NC_Connection ? TABLE_CONN
		: type == TYPES__TYPE__NC_Flow ? TABLE_FLOW
		: type == TYPES__TYPE__NC_LinkFlow ? TABLE_AGG + FAMILY_LINK
		: type == TYPES__TYPE__NC_NetworkFlow ? TABLE_AGG + FAMILY_NETWORK
		: type == TYPES__TYPE__NC_TransportFlow ? TABLE_AGG + FAMILY_TRANSPORT : -1;
	if (i < 0 || !f->table[i])
		return false;
	flow_table_stats(f->table[i], out);
	return true;
}
