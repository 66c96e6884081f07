/* nflog.c: Linux netfilter NFLOG captures, LINKTYPE_NFLOG (DLT 239), see
 * https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html.
 *
 *   header: address family (1), version (1, 0), resource id (2, big endian)
 *   then TLVs: length (2), type (2), value; the length counts the 4-byte
 *   TLV header and not the padding that aligns the next TLV to 4 bytes.
 *
 * The TLV length and type are in the byte order of the capturing host;
 * they are read little endian (x86, ARM), as the links of tcpdump's test
 * captures are: a big-endian host's capture gives BAD_LENGTH or walks
 * without finding the payload. The type's two top bits are netlink flags
 * (NLA_F_NESTED, NLA_F_NET_BYTEORDER), masked off.
 *
 * NFULA_PAYLOAD (type 9) holds the logged packet, from its network
 * header: IPv4 for family AF_INET (2), IPv6 for AF_INET6 (10), as tshark
 * does; other families (bridge 7, ...) are an unknown layer of NFLOG. The
 * walk stops at the payload: the TLVs after it (conntrack attributes) are
 * not looked at. At most NFLOG_MAX_TLVS
 * TLVs are walked (netfilter defines about 20 types): beyond that the
 * cap is counted (CAPPED) and the payload, if any, is not decoded.
 *
 * Record: none (netcap's schema has no NFLOG type). A frame without a
 * payload TLV (it is optional) ends at NFLOG, without fault.
 *
 * Faults: a header of fewer than 4 bytes, a TLV header or value past the
 * data of a frame cut by the snaplen (TRUNCATED); a version other than 0
 * (BAD_VERSION); a TLV length below 4, or a value past the data of a frame
 * that was not cut (BAD_LENGTH). */
#include "decode/decoders.h"

#define NFLOG_VERSION 0
#define NFLOG_TLV_HEADER 4
#define NFLOG_ALIGN 4
#define NFLOG_TYPE_MASK 0x3fff      /* NLA_TYPE_MASK: flags off */
#define NFULA_PAYLOAD 9
#define NFLOG_MAX_TLVS 64
/* Linux address families. */
#define LINUX_AF_INET 2
#define LINUX_AF_INET6 10

int decode_nflog(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t family = cur_u8(cur);
	uint8_t version = cur_u8(cur);
	cur_skip(cur, 2);                 /* resource id: the nflog group */
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_NFLOG, REASON_TRUNCATED);
	if (version != NFLOG_VERSION)
		return decode_fail(ctx, pkt, PROTO_NFLOG, REASON_BAD_VERSION);

	bool cut = pkt->cap_len < pkt->wire_len;
	for (uint32_t n = 0; cur_left(cur) > 0; n++) {
		if (n == NFLOG_MAX_TLVS) {
			decode_capped(ctx, pkt, PROTO_NFLOG, NULL);
			return DECODE_OK;
		}
		uint16_t length = cur_le16(cur);
		uint16_t type = cur_le16(cur) & NFLOG_TYPE_MASK;
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_NFLOG,
					   cut ? REASON_TRUNCATED : REASON_BAD_LENGTH);
		if (length < NFLOG_TLV_HEADER)
			return decode_fail(ctx, pkt, PROTO_NFLOG, REASON_BAD_LENGTH);
		uint32_t value_len = length - NFLOG_TLV_HEADER;
		if (value_len > cur_left(cur)) {
			/* A cut frame still has the start of its payload. */
			if (!cut)
				return decode_fail(ctx, pkt, PROTO_NFLOG, REASON_BAD_LENGTH);
			if (type != NFULA_PAYLOAD)
				return decode_fail(ctx, pkt, PROTO_NFLOG, REASON_TRUNCATED);
			value_len = cur_left(cur);
		}
		struct cursor value = cur_sub(cur, value_len);
		if (type == NFULA_PAYLOAD) {
			switch (family) {
			case LINUX_AF_INET:
				return decode_next(ctx, pkt, decode_ipv4, &value, PROTO_NFLOG);
			case LINUX_AF_INET6:
				return decode_next(ctx, pkt, decode_ipv6, &value, PROTO_NFLOG);
			default:
				return decode_unknown(ctx, pkt, PROTO_NFLOG);
			}
		}
		/* The padding after the last TLV may be missing. */
		uint32_t pad = (NFLOG_ALIGN - length % NFLOG_ALIGN) % NFLOG_ALIGN;
		cur_skip(cur, pad <= cur_left(cur) ? pad : cur_left(cur));
	}
	return DECODE_OK;
}
