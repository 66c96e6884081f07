/* sll.c: Linux cooked capture links, the pseudo-header libpcap writes for
 * "any" device captures: LINKTYPE_LINUX_SLL (DLT 113, 16 bytes) and
 * LINKTYPE_LINUX_SLL2 (DLT 276, 20 bytes), see
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and _SLL2.html.
 *
 *   SLL:  packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2)
 *   SLL2: protocol(2) reserved(2) interface index(4) ARPHRD type(2)
 *         packet type(1) address length(1) address(8)
 *
 * netcap's schema has no record for either (gopacket's LinuxSLL layer is not
 * recorded), so, as for raw IP links, no record: decoding goes on with the
 * protocol. The protocol is an ethertype, except below 0x0600 where Linux
 * puts its own ETH_P_ numbers: 0x0004 (ETH_P_802_2) is an 802.2 LLC frame,
 * decoded as such; the others (0x0001 Novell raw 802.3, 0x000C CAN, PPP,
 * ...) have no decoder. Netlink captures (ARPHRD 824) carry a netlink
 * family where the protocol is, and 802.11 devices (ARPHRD 801-803) carry
 * 802.11 frames: no decoder here either. Those are unknown layers.
 *
 * Faults: a header shorter than its fixed size (TRUNCATED). */
#include "decode/decoders.h"
#include "decode/ethertype.h"

#define SLL_P_802_2 0x0004
#define ARPHRD_IEEE80211 801
#define ARPHRD_IEEE80211_PRISM 802
#define ARPHRD_IEEE80211_RADIOTAP 803
#define ARPHRD_NETLINK 824

static int sll_next(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		    uint16_t hatype, uint16_t protocol)
{
	switch (hatype) {
	case ARPHRD_NETLINK:
	case ARPHRD_IEEE80211:
	case ARPHRD_IEEE80211_PRISM:
	case ARPHRD_IEEE80211_RADIOTAP:
		return decode_unknown(ctx, pkt, PROTO_SLL);
	}
	if (protocol >= ETHERTYPE_MIN)
		return decode_ethertype(ctx, pkt, protocol, cur);
	if (protocol == SLL_P_802_2)
		return decode_llc(ctx, pkt, cur);
	return decode_unknown(ctx, pkt, PROTO_SLL);
}

int decode_sll(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	cur_skip(cur, 2);                 /* packet type */
	uint16_t hatype = cur_be16(cur);
	cur_skip(cur, 2 + 8);             /* address length, address */
	uint16_t protocol = cur_be16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_SLL, REASON_TRUNCATED);
	return sll_next(ctx, pkt, cur, hatype, protocol);
}

int decode_sll2(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t protocol = cur_be16(cur);
	cur_skip(cur, 2 + 4);             /* reserved, interface index */
	uint16_t hatype = cur_be16(cur);
	cur_skip(cur, 1 + 1 + 8);         /* packet type, address length, address */
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_SLL, REASON_TRUNCATED);
	return sll_next(ctx, pkt, cur, hatype, protocol);
}
