/* communityid.c: the Community ID flow hash, version 1 (communityid.h). */
#include <string.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include "flow/communityid.h"

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132 };

/* The counterpart of a request or reply type (Zeek's mapping, which the
 * spec adopts), or -1: ICMP echo, router solicitation/advertisement,
 * timestamp, information, address mask; ICMPv6 echo, MLD query/report,
 * router and neighbor solicitation/advertisement, who-are-you, home agent
 * address discovery. */
static int icmp_counterpart(uint8_t type)
{
	switch (type) {
	case 8: return 0;   /* echo request -> reply */
	case 0: return 8;
	case 10: return 9;  /* router solicitation -> advertisement */
	case 9: return 10;
	case 13: return 14; /* timestamp */
	case 14: return 13;
	case 15: return 16; /* information */
	case 16: return 15;
	case 17: return 18; /* address mask */
	case 18: return 17;
	default: return -1;
	}
}

static int icmp6_counterpart(uint8_t type)
{
	switch (type) {
	case 128: return 129; /* echo request -> reply */
	case 129: return 128;
	case 130: return 131; /* MLD listener query -> report */
	case 131: return 130;
	case 133: return 134; /* router solicitation -> advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbor solicitation -> advertisement */
	case 136: return 135;
	case 139: return 140; /* who-are-you request -> reply */
	case 140: return 139;
	case 144: return 145; /* home agent address discovery */
	case 145: return 144;
	default: return -1;
	}
}

bool community_id_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *src_port,
			     uint16_t *dst_port)
{
	int other = proto == PROTO_ICMPV6 ? icmp6_counterpart(type) : icmp_counterpart(type);
	*src_port = type;
	*dst_port = other < 0 ? code : (uint16_t)other;
	return other < 0;
}

bool community_id_digest(const struct community_tuple *t, uint16_t seed,
			 uint8_t digest[COMMUNITY_ID_DIGEST_LEN])
{
	if (t->version != 4 && t->version != 6)
		return false;
	size_t alen = t->version == 4 ? 4 : 16;
	const uint8_t *a = t->src, *b = t->dst;
	uint16_t pa = t->src_port, pb = t->dst_port;
	bool ports = true, one_way = false;
	switch (t->proto) {
	case PROTO_TCP:
	case PROTO_UDP:
	case PROTO_SCTP:
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		one_way = community_id_icmp_ports(t->proto, (uint8_t)t->src_port, (uint8_t)t->dst_port, &pa, &pb);
		break;
	default:
		ports = false;
		pa = pb = 0;
		break;
	}
	/* Lower (address, port) first, unless one-way. */
	if (!one_way) {
		int c = memcmp(a, b, alen);
		if (c > 0 || (c == 0 && pa > pb)) {
			const uint8_t *ta = a;
			a = b, b = ta;
			uint16_t tp = pa;
			pa = pb, pb = tp;
		}
	}
	/* seed, a, b, proto, 0, [pa, pb]: at most 2 + 32 + 2 + 4 bytes, a
	 * multiple of 4 whatever the protocol (the spec's alignment). */
	uint8_t msg[40];
	size_t n = 0;
	msg[n++] = (uint8_t)(seed >> 8);
	msg[n++] = (uint8_t)seed;
	memcpy(msg + n, a, alen);
	n += alen;
	memcpy(msg + n, b, alen);
	n += alen;
	msg[n++] = t->proto;
	msg[n++] = 0;
	if (ports) {
		msg[n++] = (uint8_t)(pa >> 8);
		msg[n++] = (uint8_t)pa;
		msg[n++] = (uint8_t)(pb >> 8);
		msg[n++] = (uint8_t)pb;
	}
	struct sha1_ctx ctx;
	sha1_init(&ctx);
	sha1_update(&ctx, n, msg);
	sha1_digest(&ctx, COMMUNITY_ID_DIGEST_LEN, digest);
	return true;
}

size_t community_id_v1(const struct community_tuple *t, uint16_t seed, char out[COMMUNITY_ID_SIZE])
{
	uint8_t digest[COMMUNITY_ID_DIGEST_LEN];
	if (!community_id_digest(t, seed, digest)) {
		out[0] = '\0';
		return 0;
	}
	_Static_assert(2 + BASE64_ENCODE_RAW_LENGTH(COMMUNITY_ID_DIGEST_LEN) + 1 == COMMUNITY_ID_SIZE,
		       "COMMUNITY_ID_SIZE");
	out[0] = '1';
	out[1] = ':';
	base64_encode_raw(out + 2, COMMUNITY_ID_DIGEST_LEN, digest);
	out[COMMUNITY_ID_SIZE - 1] = '\0';
	return COMMUNITY_ID_SIZE - 1;
}
