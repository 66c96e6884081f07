/* ipv6_ext.h: the IPv6 routing and fragment headers (ipv6_ext.c), for the
 * extension chain that ipv6.c walks, and the type-length-value option
 * walker (ipv6.c) that hop-by-hop, destination options and the segment
 * routing header's TLVs share. */
#ifndef DECODE_IPV6_EXT_H
#define DECODE_IPV6_EXT_H

#include "decode/decode.h"
#include "decode/options.h"

/* An option_next_fn: Pad1 (type 0) is one byte, every other option has a
 * length byte and that many bytes of data (RFC 8200 4.2, RFC 8754 2.1). */
int ipv6_tlv_option_next(struct cursor *area, struct option *opt);

/* Checks a routing header (hdr: the whole header, its length already
 * checked against the data) by its routing type; what contradicts the
 * type's layout is counted (IPv6Extension/bad-header-length, bad-value,
 * bad-option, unknown-protocol) without stopping: the chain goes on by
 * the generic length, as tshark's and tcpdump's. */
void ipv6_routing(struct decoder_ctx *ctx, struct cursor hdr);

/* A fragment header (hdr: its 8 bytes): the IPv6Fragment record, and
 * pkt->fragment / pkt->ip_partial set as IPv4 sets them. True for a
 * non-first fragment: no transport header follows. */
bool ipv6_fragment(struct decoder_ctx *ctx, struct packet *pkt, struct cursor hdr);

#endif
