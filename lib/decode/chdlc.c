/* chdlc.c: Cisco HDLC, LINKTYPE_C_HDLC (DLT 104), also reached from the
 * PPP link types when a frame starts with a Cisco HDLC address (ppp.c).
 *
 * Header (no RFC; tcpdump's print-chdlc.c and Wireshark's packet-chdlc.c
 * are the references): address (1: 0x0f unicast, 0x8f broadcast), control
 * (1: 0x00), protocol (2, big endian). The protocol is an ethertype
 * (0x0800 IPv4, 0x86dd IPv6, 0x8847 MPLS, ...): decoding goes on through
 * the ethertype table. Cisco's own values, SLARP (0x8035), CDP (0x2000)
 * and OSI (0xfefe: CLNP, IS-IS), have no decoder: an unknown layer of
 * CiscoHDLC, like any ethertype without a decoder. The address and
 * control values are not checked (neither tool does).
 *
 * Record: none (netcap's schema has no HDLC type).
 *
 * Faults: fewer than 4 header bytes (TRUNCATED). */
#include "decode/decoders.h"

int decode_chdlc(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	cur_skip(cur, 2);                 /* address, control */
	uint16_t protocol = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_CHDLC, REASON_TRUNCATED);
	return decode_ethertype_from(ctx, pkt, protocol, cur, PROTO_CHDLC);
}
