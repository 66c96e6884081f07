/* loopback.c: BSD loopback links, a 4-byte address family before the
 * packet: LINKTYPE_NULL (DLT 0), the family in the byte order of the host
 * that captured, and LINKTYPE_LOOP (DLT 108, OpenBSD), in network order.
 *
 * The family values are the capturing OS's: AF_INET is 2 everywhere;
 * AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly),
 * 30 (macOS, iOS) or 10 (Linux), so all four mean IPv6, as in gopacket's
 * ProtocolFamily and tshark's null dissector. Other families (ISO 7, IPX 23,
 * AppleTalk 16, ...) have no decoder: an unknown layer.
 *
 * For LINKTYPE_NULL the byte order is unknown, so, as gopacket does, the
 * word is read big endian and, when that is not below 256, little endian;
 * a word that is below 256 in neither order is not a family (BAD_VALUE).
 * As for raw IP links, the link is no layer of its own: no record (netcap's
 * schema has no loopback type). Faults: fewer than 4 bytes (TRUNCATED). */
#include "decode/decoders.h"

enum {
	BSD_AF_INET = 2,
	LINUX_AF_INET6 = 10,
	BSD_AF_INET6_BSD = 24,
	BSD_AF_INET6_FREEBSD = 28,
	BSD_AF_INET6_DARWIN = 30,
};

static int loopback_next(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			 uint32_t family)
{
	switch (family) {
	case BSD_AF_INET:
		return decode_ipv4(ctx, pkt, cur);
	case LINUX_AF_INET6:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return decode_ipv6(ctx, pkt, cur);
	default:
		return decode_unknown(ctx, pkt, PROTO_LOOPBACK);
	}
}

int decode_null(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct cursor word = *cur;
	uint32_t family = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_LOOPBACK, REASON_TRUNCATED);
	if (family & 0xffffff00)
		family = cur_le32(&word);
	if (family & 0xffffff00)
		return decode_fail(ctx, pkt, PROTO_LOOPBACK, REASON_BAD_VALUE);
	return loopback_next(ctx, pkt, cur, family);
}

int decode_loop(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint32_t family = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_LOOPBACK, REASON_TRUNCATED);
	return loopback_next(ctx, pkt, cur, family);
}
