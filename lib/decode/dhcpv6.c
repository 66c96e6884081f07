/* dhcpv6.c: DHCPv6 messages (DHCPv6 record), RFC 8415, on UDP 546 and 547.
 *
 * Fields follow gopacket's DHCPv6 layer. MsgType is the first byte. Relay
 * messages (Relay-forward 12, Relay-reply 13) have HopCount, LinkAddr and
 * PeerAddr (IPv6 text) and no TransactionID; the others have the 3-byte
 * TransactionID and leave HopCount 0 and the addresses empty (gopacket's
 * nil net.IP, which netcap would print as "<nil>"). Options are every
 * code/length/data option after the header, in order; an option's Data is
 * its bytes in lowercase hex without separators (DHCPv6 options are binary:
 * DUIDs, addresses, nested options; netcap stores them in a string field).
 * The Relay Message option of a relay message is one option; its inner
 * message is not decoded further (gopacket does not either).
 *
 * Fingerprint is netcap's: the option codes in order, joined with commas.
 *
 * Faults (no record): fewer than 4 bytes, or than the 34 a relay message
 * needs (TRUNCATED); an option header or data past the datagram (BAD_OPTION,
 * or TRUNCATED when the capture cut the datagram).
 *
 * Bounded work: every option is checked; the record keeps the first
 * DHCPV6_MAX_OPTIONS options holding at most DHCPV6_MAX_DATA bytes of data
 * (two characters of hex each), and the Fingerprint lists those. A cut is
 * counted as DHCPv6/capped and marks the record Truncated. */
#include "decode/decoders.h"
#include "decode/options.h"

#define DHCPV6_RELAY_FORWARD 12
#define DHCPV6_RELAY_REPLY 13
#define DHCPV6_MAX_OPTIONS 128
#define DHCPV6_MAX_DATA 8192

/* The options (an option_next_fn): code, length, data. */
static int next_option(struct cursor *c, struct option *o)
{
	if (cur_left(c) == 0)
		return OPTION_DONE;
	*o = (struct option){ .type = cur_be16(c) };
	o->length = cur_be16(c);
	o->size = o->length;
	o->data = cur_bytes(c, o->size);
	return cur_ok(c) ? OPTION_READ : OPTION_MALFORMED;
}

static void fill_options(struct decoder_ctx *ctx, struct packet *pkt, Types__DHCPv6 *r,
			 struct cursor opts, size_t n)
{
	Types__DHCPv6Option **out = (Types__DHCPv6Option **)record_array(
		ctx, pkt, &types__dhcpv6_option__descriptor, n);
	char *fingerprint = options_fingerprint(&ctx->arena, opts, next_option, n);
	if (fingerprint)
		r->fingerprint = fingerprint;
	if (!out)
		return;
	struct option o;
	for (size_t i = 0; i < n && next_option(&opts, &o) == OPTION_READ; i++) {
		out[i]->code = o.type;
		out[i]->length = o.length;
		out[i]->data = format_hex(&ctx->arena, o.data, o.size, 0);
	}
	r->options = out;
	r->n_options = n;
}

int decode_dhcpv6(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint8_t msg_type = cur_u8(cur);
	bool relay = msg_type == DHCPV6_RELAY_FORWARD || msg_type == DHCPV6_RELAY_REPLY;
	uint8_t hop_count = 0;
	const uint8_t *link = NULL, *peer = NULL, *xid = NULL;
	if (relay) {
		hop_count = cur_u8(cur);
		link = cur_bytes(cur, 16);
		peer = cur_bytes(cur, 16);
	} else {
		xid = cur_bytes(cur, 3);
	}
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_DHCPV6, REASON_TRUNCATED);
	pkt->app_proto = "DHCPv6";

	struct cursor opts = cur_rest(cur);
	size_t n;
	struct cap cap = CAP(DHCPV6_MAX_OPTIONS, DHCPV6_MAX_DATA);
	if (options_count(opts, next_option, &cap, &n) != OPTION_DONE)
		return decode_fail(ctx, pkt, PROTO_DHCPV6,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_OPTION);

	Types__DHCPv6 *r = RECORD_NEW(ctx, pkt, DHCPv6, dhcpv6);
	if (!r)
		return DECODE_OK;
	r->timestamp = pkt->ts;
	r->msgtype = msg_type;
	r->hopcount = hop_count;
	if (relay) {
		r->linkaddr = format_ip(&ctx->arena, 6, link);
		r->peeraddr = format_ip(&ctx->arena, 6, peer);
	} else {
		r->transactionid = pb_bytes(xid, 3);
	}
	fill_options(ctx, pkt, r, opts, n);
	RECORD_FILL_ENDPOINTS(r, pkt);
	if (cap.hit)
		decode_capped(ctx, pkt, PROTO_DHCPV6, r);
	return DECODE_OK;
}
