/* flowhash.c: see flowhash.h. */
#include <string.h>

#include <rte_hash_crc.h>

#include "decode/cursor.h"
#include "decode/decode.h"
#include "flow/flowhash.h"

static void read_ports(struct cursor *c, struct flow_tuple *t)
{
	if (t->proto != 6 && t->proto != 17 && t->proto != 132)
		return;
	uint16_t sp = cur_be16(c), dp = cur_be16(c);
	if (cur_ok(c)) {
		t->src_port = sp;
		t->dst_port = dp;
	}
}

bool flow_tuple_extract(const uint8_t *data, uint32_t len, int link, struct flow_tuple *t)
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
		for (int vlans = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && vlans < 4; vlans++) {
			cur_skip(&c, 2);
			type = cur_be16(&c);
		}
	} else if (link == LINK_RAW || link == LINK_RAW_ALT) {
		type = (cur_peek_u8(&c, 0) >> 4) == 6 ? 0x86dd : 0x0800;
	} else if (link == LINK_IPV4) {
		type = 0x0800;
	} else if (link == LINK_IPV6) {
		type = 0x86dd;
	} else {
		return false;
	}
	if (!cur_ok(&c))
		return t->has_mac;
	if (type == 0x0800) {
		struct cursor ip = c;
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
			return t->has_mac;
		t->version = 4;
		t->proto = proto;
		memcpy(t->src, src, 4);
		memcpy(t->dst, dst, 4);
		/* Fragments, first included, go by addresses only. */
		if (!(frag & 0x3fff) && (vihl & 15) >= 5 && cur_skip(&ip, (uint32_t)((vihl & 15) * 4) - 20))
			read_ports(&ip, t);
		return true;
	}
	if (type == 0x86dd) {
		struct cursor ip = c;
		uint8_t v = cur_u8(&ip);
		cur_skip(&ip, 5);
		uint8_t next = cur_u8(&ip);
		cur_skip(&ip, 1);
		uint8_t src[16], dst[16];
		cur_copy(&ip, src, 16);
		cur_copy(&ip, dst, 16);
		if (!cur_ok(&ip) || (v >> 4) != 6)
			return t->has_mac;
		t->version = 6;
		t->proto = next;
		memcpy(t->src, src, 16);
		memcpy(t->dst, dst, 16);
		/* Hop-by-hop, routing, destination options and AH headers lead
		 * to the transport; behind a fragment header, as for IPv4
		 * fragments, addresses only. */
		for (int ext = 0; ext < 8; ext++) {
			if (next != 0 && next != 43 && next != 60 && next != 51 && next != 44)
				break;
			struct cursor h = ip;
			uint8_t after = cur_u8(&h), hlen = cur_u8(&h);
			if (!cur_ok(&h))
				return true;
			t->proto = after;
			if (next == 44)
				return true;
			if (!cur_skip(&ip, next == 51 ? (uint32_t)(hlen + 2) * 4 : (uint32_t)(hlen + 1) * 8))
				return true;
			next = after;
		}
		read_ports(&ip, t);
		return true;
	}
	return t->has_mac;
}

uint32_t flow_tuple_hash(const struct flow_tuple *t)
{
	const uint8_t *a, *b;
	unsigned len;
	uint16_t pa = t->src_port, pb = t->dst_port;
	if (t->version) {
		a = t->src, b = t->dst, len = t->version == 4 ? 4 : 16;
	} else if (t->has_mac) {
		a = t->src_mac, b = t->dst_mac, len = 6;
	} else {
		return 0;
	}
	int order = memcmp(a, b, len);
	if (order > 0 || (order == 0 && pa > pb)) {
		const uint8_t *x = a;
		a = b, b = x;
		uint16_t y = pa;
		pa = pb, pb = y;
	}
	/* rte_hash_crc reads 8 and 4 bytes at a time: hash an aligned copy
	 * (MACs sit at odd offsets; UBSan rightly objects otherwise). */
	uint64_t key[5] = { 0 };
	uint8_t *k = (uint8_t *)key;
	memcpy(k, a, len);
	memcpy(k + 16, b, len);
	key[4] = (uint64_t)pa << 16 | pb;
	return rte_hash_crc(key, sizeof key, t->proto);
}

uint32_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link)
{
	struct flow_tuple t;
	if (!flow_tuple_extract(data, len, link, &t))
		return 0;
	return flow_tuple_hash(&t);
}

const uint8_t flow_symmetric_rss_key[52] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};
