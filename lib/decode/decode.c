/* decode.c: the decoding framework: dispatch tables, record allocation,
 * event counting, and the helpers every decoder shares (option lists are
 * options.c's, PayloadEntropy entropy.c's). */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/decoders.h"
#include "decode/ethertype.h"
#include "decode/ipproto.h"

#define X_NAME(id, name) name,
const char *const decode_protocol_names[PROTO_COUNT] = { DECODE_PROTOCOLS(X_NAME) };
const char *const decode_reason_names[REASON_COUNT] = { DECODE_REASONS(X_NAME) };
#undef X_NAME

static void arena_check(struct decoder_ctx *ctx, struct packet *pkt);

/* ---- dispatch tables ------------------------------------------------ */

struct link_entry { int link; decode_fn fn; };
static const struct link_entry link_table[] = {
	{ LINK_ETHERNET, decode_ethernet },
	{ LINK_RAW, decode_raw_ip },
	{ LINK_RAW_ALT, decode_raw_ip },
	{ LINK_IPV4, decode_ipv4 },
	{ LINK_IPV6, decode_ipv6 },
	{ LINK_NULL, decode_null },
	{ LINK_LOOP, decode_loop },
	{ LINK_LINUX_SLL, decode_sll },
	{ LINK_LINUX_SLL2, decode_sll2 },
	{ LINK_PPP, decode_ppp },
	{ LINK_PPP_SERIAL, decode_ppp },
	{ LINK_C_HDLC, decode_chdlc },
	{ LINK_NFLOG, decode_nflog },
	{ LINK_IEEE802_11, decode_dot11 },
	{ LINK_IEEE802_11_RADIO, decode_radiotap },
};

struct ethertype_entry { uint16_t ethertype; decode_fn fn; };
/* Most frequent first: the scan is a handful of compares. */
static const struct ethertype_entry ethertype_table[] = {
	{ ETHERTYPE_IPV4, decode_ipv4 },
	{ ETHERTYPE_IPV6, decode_ipv6 },
	{ ETHERTYPE_VLAN, decode_dot1q },
	{ ETHERTYPE_QINQ, decode_dot1q },
	{ ETHERTYPE_QINQ_OLD, decode_dot1q },
	{ ETHERTYPE_ARP, decode_arp },
	{ ETHERTYPE_LLDP, decode_lldp },
	{ ETHERTYPE_LOOPBACK, decode_ctp },
	{ ETHERTYPE_MPLS, decode_mpls },
	{ ETHERTYPE_MPLS_MULTI, decode_mpls },
	{ ETHERTYPE_PPPOE_SESS, decode_pppoe_session },
	{ ETHERTYPE_PPPOE_DISC, decode_pppoe_discovery },
	{ ETHERTYPE_VNTAG, decode_vntag },
	{ ETHERTYPE_ETAG, decode_etag },
	{ ETHERTYPE_PBB, decode_pbb },
};

/* Indexed by IP protocol number. */
static const decode_fn ip_protocol_table[256] = {
	[IPPROTO_TCP] = decode_tcp,
	[IPPROTO_UDP] = decode_udp,
	[IPPROTO_IPIP] = decode_ipv4,   /* IP in IP */
	[IPPROTO_IPV6] = decode_ipv6,   /* IPv6 in IP */
	[IPPROTO_ICMP] = decode_icmpv4,
	[IPPROTO_IGMP] = decode_igmp,
	[IPPROTO_ICMPV6] = decode_icmpv6,
	[IPPROTO_SCTP] = decode_sctp,
	[IPPROTO_MPLS] = decode_mpls,   /* MPLS in IP, RFC 4023 */
	[IPPROTO_AH] = decode_ipsec_ah,     /* after IPv4; IPv6 walks it in its chain */
	[IPPROTO_ESP] = decode_ipsec_esp,
	[IPPROTO_ETHERNET] = decode_ethernet, /* after an SRv6 segment routing header */
	[IPPROTO_GRE] = decode_gre,
};

static int unknown_layer(struct decoder_ctx *ctx, struct packet *pkt,
			 enum decode_protocol from)
{
	if (!pkt->unknown) {
		pkt->unknown = true;
		pkt->unknown_proto = (uint8_t)from;
	}
	ctx->stats.events[from][REASON_UNKNOWN_PROTOCOL]++;
	return DECODE_OK;
}

int decode_unknown(struct decoder_ctx *ctx, struct packet *pkt, enum decode_protocol from)
{
	return unknown_layer(ctx, pkt, from);
}

static int descend(struct decoder_ctx *ctx, struct packet *pkt, decode_fn fn,
		   struct cursor *cur, enum decode_protocol from)
{
	if (++pkt->depth > PACKET_MAX_DEPTH)
		return decode_fail(ctx, pkt, from, REASON_TOO_DEEP);
	return fn(ctx, pkt, cur);
}

int decode_link(struct decoder_ctx *ctx, struct packet *pkt, int link, struct cursor *cur)
{
	for (size_t i = 0; i < sizeof link_table / sizeof *link_table; i++)
		if (link_table[i].link == link)
			return descend(ctx, pkt, link_table[i].fn, cur, PROTO_LINK);
	return unknown_layer(ctx, pkt, PROTO_LINK);
}

int decode_ethertype(struct decoder_ctx *ctx, struct packet *pkt, uint16_t ethertype,
		     struct cursor *cur)
{
	return decode_ethertype_from(ctx, pkt, ethertype, cur, PROTO_ETHERNET);
}

int decode_ethertype_from(struct decoder_ctx *ctx, struct packet *pkt, uint16_t ethertype,
			  struct cursor *cur, enum decode_protocol from)
{
	for (size_t i = 0; i < sizeof ethertype_table / sizeof *ethertype_table; i++)
		if (ethertype_table[i].ethertype == ethertype)
			return descend(ctx, pkt, ethertype_table[i].fn, cur, from);
	return unknown_layer(ctx, pkt, from);
}

int decode_next(struct decoder_ctx *ctx, struct packet *pkt, decode_fn fn, struct cursor *cur,
		enum decode_protocol from)
{
	return descend(ctx, pkt, fn, cur, from);
}

int decode_ip_protocol(struct decoder_ctx *ctx, struct packet *pkt, uint8_t proto,
		       struct cursor *cur)
{
	decode_fn fn = ip_protocol_table[proto];
	if (!fn)
		return unknown_layer(ctx, pkt, pkt->ip_version == 6 ? PROTO_IPV6 : PROTO_IPV4);
	return descend(ctx, pkt, fn, cur, pkt->ip_version == 6 ? PROTO_IPV6 : PROTO_IPV4);
}

/* Application protocols by port and transport. The destination port is
 * tried first, then the source port, as gopacket's UDP and TCP layers do. */
enum { APP_UDP = 1, APP_TCP = 2 };
struct app_entry { uint16_t port; uint8_t transports; decode_fn fn; };
static const struct app_entry app_table[] = {
	{ 53, APP_UDP, decode_dns },
	{ 53, APP_TCP, decode_dns_tcp },
	{ 5353, APP_UDP, decode_dns },     /* mDNS */
	{ 5355, APP_UDP, decode_dns },     /* LLMNR */
	{ 67, APP_UDP, decode_dhcpv4 },
	{ 68, APP_UDP, decode_dhcpv4 },
	{ 546, APP_UDP, decode_dhcpv6 },
	{ 547, APP_UDP, decode_dhcpv6 },
	{ 123, APP_UDP, decode_ntp },
	{ 5060, APP_UDP | APP_TCP, decode_sip },
	/* Tunnels: their inner packet's layers follow (docs/decoding.md,
	 * "Tunnels"); no application decoder shares these ports. */
	{ PORT_VXLAN, APP_UDP, decode_vxlan },
	{ PORT_GENEVE, APP_UDP, decode_geneve },
	{ PORT_TEREDO, APP_UDP, decode_teredo },
	{ PORT_GTP_U, APP_UDP, decode_gtp },
	{ PORT_MPLS_UDP, APP_UDP, decode_mpls },  /* RFC 7510 */
	{ PORT_IPSEC_NAT_T, APP_UDP, decode_ipsec_esp_udp },
};

static decode_fn app_decoder(uint16_t port, uint8_t transport)
{
	for (size_t i = 0; i < sizeof app_table / sizeof *app_table; i++)
		if (app_table[i].port == port && (app_table[i].transports & transport))
			return app_table[i].fn;
	return NULL;
}

/* VXLAN on a port the user named (--vxlan-port: deployments that predate
 * 4789, e.g. Linux's 8472), tried before the table. */
static decode_fn extra_vxlan(const struct decoder_ctx *ctx, const struct packet *pkt)
{
	for (unsigned i = 0; i < ctx->n_vxlan_ports; i++)
		if (ctx->vxlan_ports[i] == pkt->dst_port || ctx->vxlan_ports[i] == pkt->src_port)
			return decode_vxlan;
	return NULL;
}

int decode_app(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	/* An empty payload (a bare ACK) carries no application message. */
	if (cur_left(cur) == 0 || !pkt->has_ports)
		return DECODE_OK;
	enum decode_protocol from = pkt->ip_proto == IPPROTO_TCP ? PROTO_TCP : PROTO_UDP;
	uint8_t transport = pkt->ip_proto == IPPROTO_TCP ? APP_TCP
			  : pkt->ip_proto == IPPROTO_UDP ? APP_UDP : 0;
	decode_fn fn = transport == APP_UDP ? extra_vxlan(ctx, pkt) : NULL;
	if (!fn)
		fn = app_decoder(pkt->dst_port, transport);
	if (!fn)
		fn = app_decoder(pkt->src_port, transport);
	/* With a stream reassembler, DNS over TCP comes whole from the stream
	 * (lib/stream/app.c), not segment by segment. */
	if (fn == decode_dns_tcp && ctx->streams)
		return DECODE_OK;
	return fn ? descend(ctx, pkt, fn, cur, from) : DECODE_OK;
}

/* ---- packets, records, events -------------------------------------- */

int decoder_init(struct decoder_ctx *ctx, size_t arena_bytes)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->entropy = true;
	ctx->cut_len = UINT32_MAX;
	entropy_init();
	ctx->arena.cap = arena_bytes;
	ctx->arena.reserve = arena_bytes / 4 < ARENA_RESERVE ? arena_bytes / 4 : ARENA_RESERVE;
	ctx->arena.base = malloc(arena_bytes);
	return ctx->arena.base ? 0 : -1;
}

void decoder_free(struct decoder_ctx *ctx)
{
	free(ctx->arena.base);
	ctx->arena.base = NULL;
}

void decoder_enable(struct decoder_ctx *ctx, int type, bool on)
{
	record_set_put(&ctx->enabled, type, on);
}

/* Resets pkt's header (rec[] is overwritten as used) and the arena, with
 * a bulk bound of `bulk` bytes. */
static void begin_packet(struct decoder_ctx *ctx, struct packet *pkt, int64_t ts, size_t bulk)
{
	memset(pkt, 0, offsetof(struct packet, rec));
	pkt->ts = ts;
	struct arena *a = &ctx->arena;
	a->bulk_end = bulk < a->cap - a->reserve ? bulk : a->cap - a->reserve;
	a->used = 0;
	a->full = false;
}

void decode_records_begin(struct decoder_ctx *ctx, struct packet *pkt, int64_t ts)
{
	begin_packet(ctx, pkt, ts, SIZE_MAX);
}

void decode_packet(struct decoder_ctx *ctx, struct packet *pkt, int link,
		   const uint8_t *data, uint32_t cap_len, uint32_t wire_len, int64_t ts)
{
	begin_packet(ctx, pkt, ts, ARENA_BULK_BASE + (size_t)ARENA_BULK_PER_BYTE * cap_len);
	pkt->data = data;
	pkt->cap_len = cap_len;
	pkt->wire_len = wire_len;
	ctx->stats.packets++;
	struct cursor cur = cur_make(data, cap_len);
	decode_link(ctx, pkt, link, &cur);
	arena_check(ctx, pkt);
	if (pkt->n_entropy)
		entropy_resolve(pkt);
}

int decode_fail(struct decoder_ctx *ctx, struct packet *pkt,
		enum decode_protocol proto, enum decode_reason reason)
{
	ctx->stats.events[proto][reason]++;
	if (!pkt->error) {
		pkt->error = true;
		pkt->error_proto = (uint8_t)proto;
		pkt->error_reason = (uint8_t)reason;
	}
	return DECODE_STOP;
}

void decode_note(struct decoder_ctx *ctx, enum decode_protocol proto,
		 enum decode_reason reason)
{
	ctx->stats.events[proto][reason]++;
}

static inline void *arena_take(struct arena *a, size_t size, size_t end)
{
	size_t start = (a->used + 7) & ~(size_t)7;
	if (start > end || size > end - start) {
		a->full = true;
		return NULL;
	}
	a->used = start + size;
	return a->base + start;
}

void *arena_alloc(struct arena *a, size_t size)
{
	return arena_take(a, size, a->bulk_end ? a->bulk_end : a->cap - a->reserve);
}

void *arena_alloc_fixed(struct arena *a, size_t size)
{
	return arena_take(a, size, a->cap);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return (char *)protobuf_c_empty_string;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* An allocation refused since the last check cut the record being filled,
 * the last one appended: counted once, and that record marked. */
static void arena_check(struct decoder_ctx *ctx, struct packet *pkt)
{
	if (!ctx->arena.full)
		return;
	ctx->arena.full = false;
	decode_fail(ctx, pkt, PROTO_LINK, REASON_ARENA_FULL);
	if (pkt->n_rec)
		record_set_truncated(pkt->rec[pkt->n_rec - 1].msg);
}

void *record_new(struct decoder_ctx *ctx, struct packet *pkt, int type,
		 const ProtobufCMessageDescriptor *desc)
{
	if (!decoder_wants(ctx, type))
		return NULL;
	arena_check(ctx, pkt);
	if (pkt->n_rec >= PACKET_MAX_RECORDS) {
		decode_capped(ctx, pkt, PROTO_LINK, NULL);
		return NULL;
	}
	void *msg = arena_alloc_fixed(&ctx->arena, desc->sizeof_message);
	if (!msg) {
		/* The record itself is lost, not cut: counted here. */
		ctx->arena.full = false;
		decode_fail(ctx, pkt, PROTO_LINK, REASON_ARENA_FULL);
		return NULL;
	}
	protobuf_c_message_init(desc, msg);
	pkt->rec[pkt->n_rec++] = (struct pkt_record){ .type = (uint16_t)type, .msg = msg };
	ctx->stats.records[type]++;
	return msg;
}

void **record_array(struct decoder_ctx *ctx, struct packet *pkt,
		    const ProtobufCMessageDescriptor *desc, size_t n)
{
	(void)pkt;
	if (n == 0)
		return NULL;
	size_t msg_size = (desc->sizeof_message + 7) & ~(size_t)7;
	size_t ptrs_size = (n * sizeof(void *) + 7) & ~(size_t)7;
	uint8_t *block = NULL;
	if (n <= (SIZE_MAX - ptrs_size) / msg_size)
		block = arena_alloc(&ctx->arena, ptrs_size + n * msg_size);
	else
		ctx->arena.full = true;
	if (!block)
		return NULL;
	void **array = (void **)block;
	for (size_t i = 0; i < n; i++) {
		array[i] = block + ptrs_size + i * msg_size;
		protobuf_c_message_init(desc, array[i]);
	}
	return array;
}

void *record_message(struct decoder_ctx *ctx, struct packet *pkt,
		     const ProtobufCMessageDescriptor *desc)
{
	(void)pkt;
	void *msg = arena_alloc_fixed(&ctx->arena, desc->sizeof_message);
	if (msg)
		protobuf_c_message_init(desc, msg);
	return msg;
}

/* NETCAP's Truncated field, on every record type (proto/netcap.proto). */
#define FIELD_TRUNCATED 100

void record_set_truncated(ProtobufCMessage *record)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(record->descriptor, FIELD_TRUNCATED);
	if (f && f->type == PROTOBUF_C_TYPE_BOOL && f->label != PROTOBUF_C_LABEL_REPEATED)
		*(protobuf_c_boolean *)((uint8_t *)record + f->offset) = 1;
}

void decode_capped(struct decoder_ctx *ctx, struct packet *pkt, enum decode_protocol proto,
		   void *record)
{
	decode_fail(ctx, pkt, proto, REASON_CAPPED);
	if (record)
		record_set_truncated(record);
}

/* ---- shared helpers ------------------------------------------------ */

void packet_set_ports(struct packet *pkt, uint16_t src_port, uint16_t dst_port)
{
	pkt->has_ports = true;
	pkt->src_port = src_port;
	pkt->dst_port = dst_port;
	if (pkt->ipv4_rec) {
		pkt->ipv4_rec->srcport = src_port;
		pkt->ipv4_rec->dstport = dst_port;
	}
	if (pkt->ipv6_rec) {
		pkt->ipv6_rec->srcport = src_port;
		pkt->ipv6_rec->dstport = dst_port;
	}
}

/* ---- text forms ---------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

char *format_mac(struct arena *a, const uint8_t mac[6])
{
	char *s = mac ? arena_alloc_fixed(a, 18) : NULL;
	if (!s)
		return (char *)protobuf_c_empty_string;
	for (int i = 0; i < 6; i++) {
		s[i * 3] = hex_digits[mac[i] >> 4];
		s[i * 3 + 1] = hex_digits[mac[i] & 15];
		s[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	return s;
}

/* Dotted quad into s (16 bytes). */
static void ipv4_text(char *s, const uint8_t *ip)
{
	char *p = s;
	for (int i = 0; i < 4; i++) {
		unsigned v = ip[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

/* RFC 5952 text, as glibc's inet_ntop writes it (an IPv4 address is
 * embedded for ::a.b.c.d and ::ffff:a.b.c.d), without its snprintf per
 * group: every IPv6 record formats two addresses. s holds 46 bytes. */
static void ipv6_text(char *s, const uint8_t *a)
{
	uint16_t w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	/* The longest run of zero groups, the first of equals, at least 2. */
	int best = -1, best_len = 0, run = -1, run_len = 0;
	for (int i = 0; i < 8; i++) {
		if (w[i]) {
			run = -1;
			continue;
		}
		if (run < 0)
			run = i, run_len = 0;
		if (++run_len > best_len)
			best = run, best_len = run_len;
	}
	if (best_len < 2)
		best = -1;
	char *p = s;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			ipv4_text(p, a + 12);
			return;
		}
		bool digits = false;
		for (int shift = 12; shift >= 0; shift -= 4) {
			unsigned nibble = w[i] >> shift & 15;
			if (nibble || digits || shift == 0) {
				*p++ = hex_digits[nibble];
				digits = true;
			}
		}
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	*p = '\0';
}

/* Written in place: 16 bytes for a dotted quad, 46 for IPv6 text. */
static char *format_ip_in(struct arena *a, int version, const uint8_t *addr, bool fixed)
{
	size_t size = version == 4 ? 16 : 46;
	char *s = !addr ? NULL : fixed ? arena_alloc_fixed(a, size) : arena_alloc(a, size);
	if (!s)
		return (char *)protobuf_c_empty_string;
	if (version == 4)
		ipv4_text(s, addr);
	else
		ipv6_text(s, addr);
	return s;
}

char *format_ip(struct arena *a, int version, const uint8_t *addr)
{
	return format_ip_in(a, version, addr, true);
}

char *format_ip_bulk(struct arena *a, int version, const uint8_t *addr)
{
	return format_ip_in(a, version, addr, false);
}

char *format_hex(struct arena *a, const uint8_t *p, uint32_t n, char sep)
{
	if (n == 0 || !p)
		return (char *)protobuf_c_empty_string;
	size_t per = sep ? 3 : 2;
	char *s = arena_alloc(a, (size_t)n * per + 1);
	if (!s)
		return (char *)protobuf_c_empty_string;
	char *o = s;
	for (uint32_t i = 0; i < n; i++) {
		if (sep && i)
			*o++ = sep;
		*o++ = hex_digits[p[i] >> 4];
		*o++ = hex_digits[p[i] & 15];
	}
	*o = '\0';
	return s;
}

char *put_decimal(char *o, uint32_t v)
{
	char digits[10];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = digits[--n];
	return o;
}
