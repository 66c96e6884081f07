/* flowhash.c: see flowhash.h. */
#include <string.h>

#include <rte_hash_crc.h>

#include "decode/cursor.h"
#include "decode/decode.h"
#include "flow/flowhash.h"

static uint32_t hash_endpoints(const uint8_t *a, const uint8_t *b, unsigned addr_len,
			       uint16_t pa, uint16_t pb, uint8_t proto)
{
	int order = memcmp(a, b, addr_len);
	if (order > 0 || (order == 0 && pa > pb)) {
		const uint8_t *t = a;
		a = b;
		b = t;
		uint16_t tp = pa;
		pa = pb;
		pb = tp;
	}
	uint32_t h = rte_hash_crc(a, addr_len, proto);
	h = rte_hash_crc(b, addr_len, h);
	return rte_hash_crc_4byte((uint32_t)pa << 16 | pb, h);
}

static uint32_t hash_ports(struct cursor *c, const uint8_t *src, const uint8_t *dst,
			   unsigned addr_len, uint8_t proto)
{
	uint16_t sp = 0, dp = 0;
	if (proto == 6 || proto == 17 || proto == 132) {
		sp = cur_be16(c);
		dp = cur_be16(c);
		if (!cur_ok(c))
			sp = dp = 0;
	}
	return hash_endpoints(src, dst, addr_len, sp, dp, proto);
}

uint32_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link)
{
	struct cursor c = cur_make(data, len);
	uint16_t type;
	const uint8_t *macs = NULL;
	if (link == LINK_ETHERNET) {
		macs = cur_bytes(&c, 12);
		type = cur_be16(&c);
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
		/* Other links: all of a capture's packets hash by their first
		 * bytes, stable per direction-less pair is not knowable cheaply. */
		return 0;
	}
	if (!cur_ok(&c))
		return 0;
	if (type == 0x0800) {
		uint8_t vihl = cur_u8(&c);
		cur_skip(&c, 5);
		uint16_t frag = cur_be16(&c);
		cur_skip(&c, 1);
		uint8_t proto = cur_u8(&c);
		cur_skip(&c, 2);
		const uint8_t *src = cur_bytes(&c, 4), *dst = cur_bytes(&c, 4);
		if (!cur_ok(&c))
			return 0;
		/* Fragments other than the first have no ports: hash them, and
		 * the first, by addresses only so they stay together. */
		if (frag & 0x3fff)
			return hash_endpoints(src, dst, 4, 0, 0, proto);
		cur_skip(&c, (uint32_t)((vihl & 15) * 4) - 20);
		return hash_ports(&c, src, dst, 4, proto);
	}
	if (type == 0x86dd) {
		cur_skip(&c, 6);
		uint8_t next = cur_u8(&c);
		cur_skip(&c, 1);
		const uint8_t *src = cur_bytes(&c, 16), *dst = cur_bytes(&c, 16);
		if (!cur_ok(&c))
			return 0;
		return hash_ports(&c, src, dst, 16, next);
	}
	if (macs) {
		const uint8_t *dst = macs, *src = macs + 6;
		return hash_endpoints(src, dst, 6, 0, 0, 0);
	}
	return 0;
}
