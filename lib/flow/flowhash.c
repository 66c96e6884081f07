/* flowhash.c: see flowhash.h. The tuple parse, the run's key, the keyed
 * symmetric tuple hash and the NIC's RSS key. */
#include <netinet/ip.h>
#include <string.h>

#include <rte_thash.h>
#include <sodium.h>

#include "decode/cursor.h"
#include "decode/decode.h"
#include "decode/ethertype.h"
#include "decode/ipproto.h"
#include "flow/flowhash.h"

/* The transport ports of TCP, UDP and SCTP; c is left after them. For
 * ICMP and ICMPv6, the type and code instead (not keyed; for the
 * Community ID). */
static void read_ports(struct cursor *c, struct flow_tuple *t)
{
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP && t->proto != IPPROTO_SCTP) {
		if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
			uint8_t type = cur_u8(c), code = cur_u8(c);
			if (cur_ok(c)) {
				t->has_icmp = true;
				t->icmp_type = type;
				t->icmp_code = code;
			}
		}
		return;
	}
	uint16_t sp = cur_be16(c), dp = cur_be16(c);
	if (cur_ok(c)) {
		t->src_port = sp;
		t->dst_port = dp;
	}
}

/* 802.1Q, 802.1ad and the pre-standard QinQ tag: 4 bytes, the key
 * leaves them out (one conversation seen on two VLANs is one record). */
static bool is_vlan_tag(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

/* ---- tunnels ------------------------------------------------------------ */

/* Where a tunnel leads: the next header's type (an ethertype; ETHERTYPE_TEB
 * for an Ethernet frame), and the tunnel's kind and identifier for the id.
 * kind 0: a shim that adds no identity (MPLS, PPPoE; see flows.md). */
struct tunnel {
	uint16_t type;
	uint8_t kind;
	uint64_t ident;
};

/* A fixed public key: see flow_tunnel_fold in flowhash.h for why not the
 * run's. The digits of pi, as any nothing-up-my-sleeve constant. */
static const struct sip_key tunnel_key = { 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL };

uint64_t flow_tunnel_fold(uint64_t outer, enum flow_tunnel_kind kind, uint64_t ident, uint8_t version,
			  const uint8_t *addr_a, const uint8_t *addr_b)
{
	unsigned n = version == 4 ? 4 : 16;
	if (memcmp(addr_a, addr_b, n) > 0) {
		const uint8_t *x = addr_a;
		addr_a = addr_b;
		addr_b = x;
	}
	/* outer(8) ident(8) kind version a b: 20 or 44 bytes */
	uint8_t m[8 + 8 + 2 + 32];
	for (int i = 0; i < 8; i++) {
		m[i] = (uint8_t)(outer >> 8 * i);
		m[8 + i] = (uint8_t)(ident >> 8 * i);
	}
	m[16] = (uint8_t)kind;
	m[17] = version;
	memcpy(m + 18, addr_a, n);
	memcpy(m + 18 + n, addr_b, n);
	uint64_t id = flow_siphash13(&tunnel_key, m, 18 + 2 * n);
	return id ? id : 1;
}

#define GRE_FLAG_CHECKSUM 0x80
#define GRE_FLAG_ROUTING 0x40
#define GRE_FLAG_KEY 0x20
#define GRE_FLAG_SEQ 0x10
#define GRE_MAX_SRES 8            /* source routes followed (RFC 1701, long deprecated) */
#define ERSPAN_II 1
#define ERSPAN_III 2
#define ERSPAN_III_FLAG_O 0x0001
#define GTP_FLAG_PT 0x10
#define GTP_FLAGS_OPTIONAL 0x07   /* E, S, PN */
#define GTP_FLAG_E 0x04
#define GTP_MSG_GPDU 255
#define GTP_MAX_EXTENSIONS 16
#define TEREDO_AUTH 0x0001
#define TEREDO_ORIGIN 0x0000
#define MPLS_MAX_STACK 16
#define PPPOE_VERTYPE 0x11
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

/* The ethertype of an IP packet by its version nibble (MPLS, GTP-U say
 * nothing else about their payload); 0 for neither. */
static uint16_t ip_by_nibble(const struct cursor *c)
{
	uint8_t v = cur_peek_u8(c, 0) >> 4;
	return v == 4 ? ETHERTYPE_IPV4 : v == 6 ? ETHERTYPE_IPV6 : 0;
}

/* GRE version 0 (RFC 2784, 2890; the routing of 1701): c is left on the
 * payload. Version 1 (PPTP) carries PPP, no IP header of its own, and is
 * not followed, as are the others (false). */
static bool gre_tunnel(struct cursor *c, struct tunnel *tn)
{
	uint8_t b0 = cur_u8(c), b1 = cur_u8(c);
	uint16_t protocol = cur_be16(c);
	if (!cur_ok(c) || (b1 & 7) != 0)
		return false;
	if (b0 & (GRE_FLAG_CHECKSUM | GRE_FLAG_ROUTING))
		cur_skip(c, 4);
	uint32_t key = (b0 & GRE_FLAG_KEY) ? cur_be32(c) : 0;
	if (b0 & GRE_FLAG_SEQ)
		cur_skip(c, 4);
	if (b0 & GRE_FLAG_ROUTING) {
		for (int n = 0;; n++) {
			uint16_t family = cur_be16(c);
			cur_u8(c);
			uint8_t length = cur_u8(c);
			if (!cur_ok(c))
				return false;
			if (family == 0 && length == 0)
				break;
			if (n == GRE_MAX_SRES)
				return false;
			cur_skip(c, length);
		}
	}
	if (!cur_ok(c))
		return false;
	tn->kind = FLOW_TUNNEL_GRE;
	/* With the key bit, the key names the tunnel (RFC 2890); NVGRE (RFC
	 * 7637, Ethernet payload) puts the tenant in its top 24 bits and
	 * per-flow entropy, which may differ by direction, in the low 8. */
	if (b0 & GRE_FLAG_KEY)
		tn->ident = 1ULL << 32 | (protocol == ETHERTYPE_TEB ? key >> 8 : key);
	tn->type = protocol;
	if (protocol == ETHERTYPE_ERSPAN_II && !(b0 & GRE_FLAG_SEQ)) {
		tn->type = ETHERTYPE_TEB; /* type I: the bare frame (as gre.c) */
	} else if (protocol == ETHERTYPE_ERSPAN_II || protocol == ETHERTYPE_ERSPAN_III) {
		/* The header's own version tells its length (as erspan.c). */
		uint8_t version = cur_peek_u8(c, 0) >> 4;
		if (version == ERSPAN_II) {
			cur_skip(c, 8);
		} else if (version == ERSPAN_III) {
			cur_skip(c, 10);
			uint16_t flags = cur_be16(c);
			if ((flags >> 10) & 0x1f) /* frame type: 0 is Ethernet */
				return false;
			if (flags & ERSPAN_III_FLAG_O)
				cur_skip(c, 8);
		} else {
			return false;
		}
		tn->type = ETHERTYPE_TEB;
	}
	return cur_ok(c);
}

/* GTP-U (TS 29.281): a G-PDU's IP packet, past the optional fields and
 * extension headers (as gtp.c). The TEID is not part of the identity: each
 * end chooses the TEID it receives on, so the two directions of one
 * conversation carry different TEIDs. */
static bool gtp_tunnel(struct cursor *c, struct tunnel *tn)
{
	uint8_t flags = cur_u8(c), type = cur_u8(c);
	uint16_t length = cur_be16(c);
	cur_skip(c, 4); /* TEID */
	if (!cur_ok(c) || flags >> 5 != 1 || !(flags & GTP_FLAG_PT) || type != GTP_MSG_GPDU)
		return false;
	cur_limit(c, length);
	if (flags & GTP_FLAGS_OPTIONAL) {
		cur_skip(c, 3);
		uint8_t next = cur_u8(c);
		for (int n = 0; (flags & GTP_FLAG_E) && next != 0; n++) {
			uint8_t units = cur_u8(c);
			if (!cur_ok(c) || units == 0 || n == GTP_MAX_EXTENSIONS)
				return false;
			cur_skip(c, units * 4u - 2);
			next = cur_u8(c);
		}
	}
	tn->kind = FLOW_TUNNEL_GTP;
	tn->type = ip_by_nibble(c);
	return cur_ok(c) && tn->type;
}

/* Whether the IPv6 address at offset off is a Teredo one or link-local. */
static bool teredo_address(const struct cursor *c, uint32_t off)
{
	uint16_t w = cur_peek_be16(c, off);
	return (w == 0x2001 && cur_peek_be16(c, off + 2) == 0) || (w & 0xffc0) == 0xfe80;
}

/* Teredo (RFC 4380 5.1.1): IPv6 after an optional authentication header
 * and an optional origin indication (as teredo.c). */
static bool teredo_tunnel(struct cursor *c, struct tunnel *tn)
{
	if (cur_peek_be16(c, 0) == TEREDO_AUTH && cur_left(c) >= 2) {
		cur_skip(c, 2);
		uint8_t id_length = cur_u8(c), auth_length = cur_u8(c);
		cur_skip(c, (uint32_t)id_length + auth_length + 9);
	}
	if (cur_peek_be16(c, 0) == TEREDO_ORIGIN && cur_left(c) >= 2)
		cur_skip(c, 8);
	tn->kind = FLOW_TUNNEL_TEREDO;
	tn->type = ETHERTYPE_IPV6;
	/* Any UDP payload on port 3544 starting with a byte 0x6? would pass
	 * for IPv6; a Teredo packet has a Teredo address (2001::/32) or, for
	 * bubbles and router solicitations, a link-local one on one side
	 * (RFC 4380 2.6, 5.2.1). Other traffic keeps its own tuple. */
	return cur_ok(c) && cur_peek_u8(c, 0) >> 4 == 6 && (teredo_address(c, 8) || teredo_address(c, 24));
}

/* The UDP tunnels, by port; c is on the UDP length field. Either port
 * (the decoders look at the destination, then the source), tested in a
 * fixed order, so that a reply, its ports swapped, is read as its request.
 * Untunnelled traffic pays one range compare per port: the four ports lie
 * in 2152..6081. */
static bool udp_tunnel(struct cursor *c, uint16_t sp, uint16_t dp, struct tunnel *tn)
{
	if ((uint16_t)(sp - PORT_GTP_U) > PORT_GENEVE - PORT_GTP_U &&
	    (uint16_t)(dp - PORT_GTP_U) > PORT_GENEVE - PORT_GTP_U)
		return false;
	if (!cur_skip(c, 4)) /* UDP length, checksum */
		return false;
	if (sp == PORT_VXLAN || dp == PORT_VXLAN) {
		/* RFC 7348: flags, 24 reserved (or group policy) bits, the VNI,
		 * 8 reserved bits; an Ethernet frame. The outer source port is
		 * entropy chosen per inner flow and direction: not identity. */
		cur_skip(c, 4);
		uint32_t vni = cur_be24(c);
		cur_skip(c, 1);
		tn->kind = FLOW_TUNNEL_VXLAN;
		tn->ident = vni;
		tn->type = ETHERTYPE_TEB;
		return cur_ok(c);
	}
	if (sp == PORT_GENEVE || dp == PORT_GENEVE) {
		/* RFC 8926: version, options length, flags, protocol, VNI. */
		uint8_t version_length = cur_u8(c);
		cur_skip(c, 1);
		uint16_t protocol = cur_be16(c);
		uint32_t vni = cur_be24(c);
		cur_skip(c, 1);
		if (version_length >> 6 != 0)
			return false;
		cur_skip(c, (version_length & 0x3f) * 4u);
		tn->kind = FLOW_TUNNEL_GENEVE;
		tn->ident = vni;
		tn->type = protocol;
		return cur_ok(c);
	}
	if (sp == PORT_GTP_U || dp == PORT_GTP_U)
		return gtp_tunnel(c, tn);
	if (sp == PORT_TEREDO || dp == PORT_TEREDO)
		return teredo_tunnel(c, tn);
	return false;
}

/* The tunnel an IP payload starts, if any: c is on the payload (past the
 * UDP ports for UDP). One compare for TCP, the common case. */
static bool ip_tunnel(struct cursor *c, const struct flow_tuple *t, struct tunnel *tn)
{
	switch (t->proto) {
	case IPPROTO_TCP:
		return false;
	case IPPROTO_UDP:
		return udp_tunnel(c, t->src_port, t->dst_port, tn);
	case IPPROTO_IPIP:
		tn->kind = FLOW_TUNNEL_IPIP;
		tn->type = ETHERTYPE_IPV4;
		return true;
	case IPPROTO_IPV6:
		tn->kind = FLOW_TUNNEL_IPIP;
		tn->type = ETHERTYPE_IPV6;
		return true;
	case IPPROTO_GRE:
		return gre_tunnel(c, tn);
	default:
		return false;
	}
}

/* ---- IP headers ------------------------------------------------------------ */

/* The IPv4 header at c into t, replacing what t held of IP (the MACs
 * stay): false, t untouched, when it is not a whole IPv4 header. On true, c
 * is on the transport header, and *payload tells whether there is one:
 * fragments, first included, go by addresses only. */
static bool read_ipv4(struct cursor *c, struct flow_tuple *t, bool *payload)
{
	struct cursor ip = *c;
	uint8_t vihl = cur_u8(&ip);
	cur_skip(&ip, 5);
	uint16_t frag = cur_be16(&ip);
	cur_skip(&ip, 1);
	uint8_t proto = cur_u8(&ip);
	cur_skip(&ip, 2);
	uint8_t src[4], dst[4];
	cur_copy(&ip, src, 4);
	cur_copy(&ip, dst, 4);
	if (!cur_ok(&ip) || (vihl >> 4) != 4)
		return false;
	t->version = 4;
	t->proto = proto;
	t->src_port = t->dst_port = 0;
	t->has_icmp = false;
	memset(t->src, 0, sizeof t->src);
	memset(t->dst, 0, sizeof t->dst);
	memcpy(t->src, src, 4);
	memcpy(t->dst, dst, 4);
	*payload = !(frag & (IP_MF | IP_OFFMASK)) && (vihl & 15) >= 5 &&
		   cur_skip(&ip, (uint32_t)((vihl & 15) * 4) - 20);
	*c = ip;
	return true;
}

/* The IPv6 header at c and its extension headers, as read_ipv4. */
static bool read_ipv6(struct cursor *c, struct flow_tuple *t, bool *payload)
{
	struct cursor ip = *c;
	uint8_t v = cur_u8(&ip);
	cur_skip(&ip, 5);
	uint8_t next = cur_u8(&ip);
	cur_skip(&ip, 1);
	uint8_t src[16], dst[16];
	cur_copy(&ip, src, 16);
	cur_copy(&ip, dst, 16);
	if (!cur_ok(&ip) || (v >> 4) != 6)
		return false;
	t->version = 6;
	t->proto = next;
	t->src_port = t->dst_port = 0;
	t->has_icmp = false;
	memcpy(t->src, src, 16);
	memcpy(t->dst, dst, 16);
	*payload = false;
	*c = ip;
	/* Hop-by-hop, routing, destination options and AH headers lead
	 * to the transport; behind a fragment header, as for IPv4
	 * fragments, addresses only. */
	for (int ext = 0; ext < 8; ext++) {
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
		    next != IPPROTO_AH && next != IPPROTO_FRAGMENT)
			break;
		struct cursor h = *c;
		uint8_t after = cur_u8(&h), hlen = cur_u8(&h);
		if (!cur_ok(&h))
			return true;
		t->proto = after;
		if (next == IPPROTO_FRAGMENT)
			return true;
		/* AH counts its length in 4-byte words less 2 (RFC 4302),
		 * the others in 8-byte units less 1 (RFC 8200). */
		if (!cur_skip(c, next == IPPROTO_AH ? (uint32_t)(hlen + 2) * 4 : (uint32_t)(hlen + 1) * 8))
			return true;
		next = after;
	}
	*payload = true;
	return true;
}

/* Past an Ethernet header's addresses: its VLAN tags (at most 4) and type. */
static uint16_t ether_type(struct cursor *c)
{
	uint16_t type = cur_be16(c);
	for (int vlans = 0; vlans < 4 && is_vlan_tag(type); vlans++) {
		cur_skip(c, 2);
		type = cur_be16(c);
	}
	return type;
}

/* ---- the walk --------------------------------------------------------------- */

/* From the header of ethertype `type` at c, inward. t holds the latest
 * complete layer with addresses (the outer Ethernet's MACs at the start):
 * an IP header replaces it only when it is whole, so a tunnel whose
 * payload is cut short, not IP, or of a kind not followed leaves the packet
 * keyed on its carrier, as it was before tunnels were followed. The MACs
 * of an inner Ethernet frame (VXLAN, Geneve, GRE's 0x6558, ERSPAN) are
 * taken with the IP header they lead to; the shims (VLAN tags, MPLS,
 * PPPoE) add nothing to the key. At most FLOW_TUNNEL_MAX_DEPTH
 * encapsulations, each loop otherwise bounded: the work per packet is. */
static void walk(struct cursor c, uint16_t type, uint64_t tunnel_id, struct flow_tuple *t)
{
	uint8_t mac[12];
	bool inner_mac = false;
	/* Encapsulations entered. Every step but an inner Ethernet header
	 * enters one or ends the walk, and an Ethernet header follows an
	 * encapsulation and leads to no other Ethernet header: at most
	 * 3 * FLOW_TUNNEL_MAX_DEPTH + 1 steps. */
	int depth = 0;
	for (;;) {
		struct tunnel tn = { 0, 0, 0 };
		if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6) {
			/* t is only written once the header is whole. */
			bool payload;
			if (!(type == ETHERTYPE_IPV4 ? read_ipv4(&c, t, &payload) : read_ipv6(&c, t, &payload)))
				return;
			if (payload)
				read_ports(&c, t);
			t->tunnel_id = tunnel_id;
			if (inner_mac) {
				memcpy(t->dst_mac, mac, 6);
				memcpy(t->src_mac, mac + 6, 6);
				t->has_mac = true;
				inner_mac = false;
			}
			if (!payload || depth == FLOW_TUNNEL_MAX_DEPTH || !ip_tunnel(&c, t, &tn))
				return;
			depth++;
			tunnel_id = flow_tunnel_fold(tunnel_id, tn.kind, tn.ident, t->version, t->src, t->dst);
		} else if (type == ETHERTYPE_TEB) {
			/* An Ethernet frame in a tunnel; its MACs count with the
			 * IP header it leads to. */
			cur_copy(&c, mac, 12);
			tn.type = ether_type(&c);
			inner_mac = true;
			if (tn.type == ETHERTYPE_TEB)
				return;
		} else if (depth == FLOW_TUNNEL_MAX_DEPTH) {
			return;
		} else if (type == ETHERTYPE_MPLS || type == ETHERTYPE_MPLS_MULTI) {
			/* RFC 3032: to the bottom of the stack; the payload by its
			 * first nibble, 0 a pseudowire control word and Ethernet
			 * (RFC 4385, 4448), as mpls.c and Wireshark. Labels are
			 * chosen per hop and per direction: not identity. */
			int n = 0;
			while (n < MPLS_MAX_STACK && !((cur_be32(&c) >> 8) & 1) && cur_ok(&c))
				n++;
			if (n == MPLS_MAX_STACK || !cur_ok(&c))
				return;
			tn.type = ip_by_nibble(&c);
			if (!tn.type && cur_peek_u8(&c, 0) >> 4 == 0 && cur_skip(&c, 4))
				tn.type = ETHERTYPE_TEB;
			depth++;
		} else if (type == ETHERTYPE_PPPOE_SESS) {
			/* RFC 2516: version/type, code, session id, length, then
			 * the PPP protocol. The session id names a link, as a
			 * VLAN tag does: not identity. */
			uint8_t vertype = cur_u8(&c);
			cur_skip(&c, 5);
			uint16_t protocol = cur_be16(&c);
			if (vertype != PPPOE_VERTYPE)
				return;
			tn.type = protocol == PPP_IPV4 ? ETHERTYPE_IPV4 : protocol == PPP_IPV6 ? ETHERTYPE_IPV6 : 0;
			depth++;
		} else {
			return;
		}
		if (!cur_ok(&c))
			return;
		type = tn.type;
	}
}

bool flow_tuple_extract_in(const uint8_t *data, uint32_t len, int link, uint64_t tunnel_id,
			   struct flow_tuple *t)
{
	memset(t, 0, sizeof *t);
	struct cursor c = cur_make(data, len);
	uint16_t type;
	if (link == LINK_ETHERNET) {
		cur_copy(&c, t->dst_mac, 6);
		cur_copy(&c, t->src_mac, 6);
		type = cur_be16(&c);
		if (!cur_ok(&c))
			return false;
		t->has_mac = true;
		for (int vlans = 0; vlans < 4 && is_vlan_tag(type); vlans++) {
			cur_skip(&c, 2);
			type = cur_be16(&c);
		}
	} else if (link == LINK_RAW || link == LINK_RAW_ALT) {
		type = (cur_peek_u8(&c, 0) >> 4) == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
	} else if (link == LINK_IPV4) {
		type = ETHERTYPE_IPV4;
	} else if (link == LINK_IPV6) {
		type = ETHERTYPE_IPV6;
	} else {
		return false;
	}
	if (!cur_ok(&c))
		return t->has_mac;
	/* A frame without IP keeps the tunnel it came in, if any. */
	t->tunnel_id = tunnel_id;
	walk(c, type, tunnel_id, t);
	return t->version || t->has_mac;
}

bool flow_tuple_extract(const uint8_t *data, uint32_t len, int link, struct flow_tuple *t)
{
	return flow_tuple_extract_in(data, len, link, 0, t);
}

/* ---- the key ------------------------------------------------------------ */

struct flow_hash_keys flow_hash_keys;

/* One derived word: SipHash-2-4, under the run's key, of a label, the use
 * and the half. Uses get independent keys, so no two hashes (the tuple's,
 * an aggregate family's) can be made to collide together. */
static uint64_t derive(const struct sip_key *run, uint8_t use, uint8_t half)
{
	uint8_t label[17] = "netcap-flow-key";
	label[15] = use;
	label[16] = half;
	return flow_siphash24(run, label, sizeof label);
}

int flow_hash_init(const uint8_t *key)
{
	uint8_t drawn[FLOW_HASH_KEY_LEN];
	if (!key) {
		if (sodium_init() < 0)
			return -1;
		randombytes_buf(drawn, sizeof drawn);
		key = drawn;
	}
	struct sip_key run = { sip_le64(key), sip_le64(key + 8) };
	struct flow_hash_keys k;
	for (unsigned d = 0; d < FLOW_HASH_DOMAINS; d++) {
		k.sip[d].k0 = derive(&run, (uint8_t)d, 0);
		k.sip[d].k1 = derive(&run, (uint8_t)d, 1);
	}
	k.reply = derive(&run, 0xff, 0);
	flow_hash_keys = k;
	sodium_memzero(drawn, sizeof drawn);
	sodium_memzero(&run, sizeof run);
	return 0;
}

/* Before main(): a program that never calls flow_hash_init() still hashes
 * under a secret key. (Should libsodium fail here, the key stays zero; the
 * engine's own flow_hash_init(NULL) then fails and says so.) */
__attribute__((constructor)) static void flow_hash_default_key(void)
{
	(void)flow_hash_init(NULL);
}

/* ---- the tuple hash ------------------------------------------------------- */

/* The message hashed is exactly what the Connection key holds (flows.c,
 * endpoint_key), so equal keys always hash alike: the lower endpoint's
 * address, the higher's, their ports (little-endian), the protocol (IP
 * only), the version, which also tells the layouts apart:
 *
 *   IPv4  a(4) b(4) pa pb proto 4        14 bytes, 2 SipHash blocks
 *   IPv6  a(16) b(16) pa pb proto 6      38 bytes, 5 blocks
 *   MACs  a(6) b(6) pa pb 0 0            18 bytes, 3 blocks
 *
 * built in registers (the words of that byte string), not in memory:
 * tests/unit/test_flowhash.c checks it against flow_siphash13 of the
 * bytes. A tuple found in a tunnel appends its tunnel id (below). */
/* A tuple found in a tunnel: the untunnelled message above, then the
 * tunnel id (8 bytes, little-endian): 22, 46 or 26 bytes, lengths no
 * untunnelled message has, so the two kinds never share a message. Built
 * in memory: only tunnelled packets pay for it. */
static uint64_t tunnelled_hash(const struct sip_key *k, const struct flow_tuple *t)
{
	uint8_t m[46];
	bool src_lower = flow_tuple_src_is_lower(t);
	unsigned n = t->version == 4 ? 4 : t->version == 6 ? 16 : 6;
	const uint8_t *s = t->version ? t->src : t->src_mac, *d = t->version ? t->dst : t->dst_mac;
	memcpy(m, src_lower ? s : d, n);
	memcpy(m + n, src_lower ? d : s, n);
	uint16_t pa = src_lower ? t->src_port : t->dst_port, pb = src_lower ? t->dst_port : t->src_port;
	uint8_t *p = m + 2 * n;
	p[0] = (uint8_t)pa;
	p[1] = (uint8_t)(pa >> 8);
	p[2] = (uint8_t)pb;
	p[3] = (uint8_t)(pb >> 8);
	p[4] = t->version ? t->proto : 0;
	p[5] = t->version;
	for (int i = 0; i < 8; i++)
		p[6 + i] = (uint8_t)(t->tunnel_id >> 8 * i);
	return flow_siphash13(k, m, 2 * n + 14);
}

uint64_t flow_tuple_hash(const struct flow_tuple *t)
{
	const struct sip_key *k = &flow_hash_keys.sip[FLOW_HASH_TUPLE];
	if (__builtin_expect(t->tunnel_id != 0, 0))
		return t->version || t->has_mac ? tunnelled_hash(k, t) : 0;
	if (t->version == 4) { /* the common case first */
		/* Words chosen by value, not addresses by pointer: each address
		 * is then one load. */
		uint64_t s = sip_le32(t->src), d = sip_le32(t->dst);
		uint64_t sp = t->src_port, dp = t->dst_port;
		bool src_lower = flow_tuple_src_is_lower(t);
		uint64_t w = src_lower ? s | d << 32 : d | s << 32;
		uint64_t ports = src_lower ? sp | dp << 16 : dp | sp << 16;
		return flow_siphash13_words(k, &w, 14, ports | (uint64_t)t->proto << 32 | (uint64_t)4 << 40);
	}
	if (!t->version && !t->has_mac)
		return 0;
	bool src_lower = flow_tuple_src_is_lower(t);
	uint64_t pa = src_lower ? t->src_port : t->dst_port, pb = src_lower ? t->dst_port : t->src_port;
	uint64_t ports = pa | pb << 16;
	if (t->version) { /* 6 (flow_tuple_extract makes no other) */
		const uint8_t *a = src_lower ? t->src : t->dst, *b = src_lower ? t->dst : t->src;
		uint64_t w[4];
		memcpy(w, a, 16);
		memcpy(w + 2, b, 16);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		for (int i = 0; i < 4; i++)
			w[i] = __builtin_bswap64(w[i]);
#endif
		return flow_siphash13_words(k, w, 38, ports | (uint64_t)t->proto << 32 | (uint64_t)t->version << 40);
	}
	const uint8_t *a = src_lower ? t->src_mac : t->dst_mac, *b = src_lower ? t->dst_mac : t->src_mac;
	uint64_t w[2] = {
		sip_le32(a) | (uint64_t)a[4] << 32 | (uint64_t)a[5] << 40 | (uint64_t)b[0] << 48 | (uint64_t)b[1] << 56,
		sip_le32(b + 2) | ports << 32,
	};
	return flow_siphash13_words(k, w, 18, 0);
}

uint64_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link)
{
	struct flow_tuple t;
	if (!flow_tuple_extract(data, len, link, &t))
		return 0;
	return flow_tuple_hash(&t);
}

/* ---- NIC RSS -------------------------------------------------------------- */

const uint8_t flow_symmetric_rss_key[FLOW_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

void flow_rss_key_from_pattern(uint16_t pattern, uint8_t key[FLOW_RSS_KEY_LEN])
{
	for (unsigned i = 0; i < FLOW_RSS_KEY_LEN; i += 2) {
		key[i] = (uint8_t)(pattern >> 8);
		key[i + 1] = (uint8_t)pattern;
	}
}

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Toeplitz over a key of period 16 bits: the input bit at position p
 * meets the 32 key bits from p on, which depend on p mod 16 only. So the
 * hash is a linear map of the XOR of the input's 16-bit words (the fold),
 * and its low bits, which index the NIC's redirection table (RETA), take
 * every value equally often over uniform folds exactly when that map has
 * full rank: for 16 consecutive output bits, when the pattern's popcount is
 * odd (its polynomial is then prime to x^16 + 1 = (x + 1)^16 over GF(2)).
 * The spread check below measures it on tuples all the same. */
bool flow_rss_pattern_ok(uint16_t pattern)
{
	uint8_t hi = (uint8_t)(pattern >> 8), lo = (uint8_t)pattern;
	if (hi == 0 || lo == 0 || hi == 0xff || lo == 0xff)
		return false;
	int pop = __builtin_popcount(pattern);
	if (pop < 5 || pop > 11 || !(pop & 1))
		return false;
	/* rte_softrss reads the key as 32-bit words. */
	uint8_t key[FLOW_RSS_KEY_LEN] __attribute__((aligned(4)));
	flow_rss_key_from_pattern(pattern, key);
	/* 4096 fixed tuples, half IPv4, half IPv6, into a 128-entry RETA
	 * filled round robin (what DPDK's drivers set by default) for 2, 3,
	 * 4, 8 and 16 queues: every queue within 25% of its share (16 queues:
	 * 256 tuples each, 4 standard deviations). */
	enum { TUPLES = 4096, RETA = 128 };
	static const unsigned queues[] = { 2, 3, 4, 8, 16 };
	unsigned count[sizeof queues / sizeof *queues][16];
	memset(count, 0, sizeof count);
	uint32_t s = 0x6d5a56da;
	for (unsigned i = 0; i < TUPLES; i++) {
		uint32_t in[9];
		unsigned words = i & 1 ? 4 : 1;
		for (unsigned w = 0; w <= 2 * words; w++)
			in[w] = xorshift32(&s);
		unsigned entry = rte_softrss(in, 2 * words + 1, key) % RETA;
		for (unsigned q = 0; q < sizeof queues / sizeof *queues; q++)
			count[q][entry % queues[q]]++;
	}
	for (unsigned q = 0; q < sizeof queues / sizeof *queues; q++) {
		unsigned n = queues[q];
		for (unsigned k = 0; k < n; k++) {
			/* RETA entries of queue k: k, k + n, ... below RETA */
			double share = (double)((RETA - 1 - k) / n + 1) / RETA * TUPLES;
			if (count[q][k] < 0.75 * share || count[q][k] > 1.25 * share)
				return false;
		}
	}
	return true;
}

uint16_t flow_rss_key_random(uint8_t key[FLOW_RSS_KEY_LEN])
{
	if (sodium_init() < 0)
		return 0;
	uint16_t pattern;
	do
		randombytes_buf(&pattern, sizeof pattern);
	while (!flow_rss_pattern_ok(pattern));
	flow_rss_key_from_pattern(pattern, key);
	return pattern;
}
