/* dhcpv4.c: DHCP and BOOTP messages (DHCPv4 record), RFC 2131/2132, on UDP
 * 67 and 68.
 *
 * Fields follow gopacket's DHCPv4 layer: Operation, HardwareType,
 * HardwareLen, HardwareOpts (the hops byte), Xid, Secs, Flags as they stand;
 * the four addresses as dotted text; ClientHWAddr the first HardwareLen bytes
 * of chaddr as colon-separated hex (at most the 16 bytes chaddr has: gopacket
 * would read on into sname); ServerName and File the whole 64- and 128-byte
 * fields, NUL padding included, as gopacket keeps them.
 *
 * Options are listed in order up to the End option (255), which is not
 * listed, as in gopacket; a Pad option (0) is listed with Length 0. Data is
 * a string (netcap stores the bytes in a string field): the text itself for
 * the options RFC 2132 and later define as text (host name, domain name,
 * vendor class, TFTP server, bootfile name, ... see text_option()) when every
 * byte is printable ASCII, otherwise the bytes in lowercase hex without
 * separators ("0103060f" for a parameter request list 1,3,6,15). Option
 * overload (option 52: more options in sname/file) is not followed.
 *
 * Fingerprint is netcap's: the listed options' types in order, joined with
 * commas ("53,61,12,55"), as netcap's DHCPv4 decoder builds it from
 * gopacket's Options (so Pad options count too, and the End option not).
 *
 * Faults (no record): fewer than the 240 bytes up to and including the magic
 * cookie (TRUNCATED); a cookie other than 99.130.83.99 (BAD_VALUE); an option
 * whose length byte or data runs past the datagram (BAD_OPTION, or TRUNCATED
 * when the capture cut the datagram).
 *
 * Bounded work: every option is checked; the record keeps the first
 * DHCP_MAX_OPTIONS options holding at most DHCP_MAX_DATA bytes of data
 * (each byte of a binary option is two characters of hex), and the
 * Fingerprint lists those. A cut is counted as DHCPv4/capped and marks the
 * record Truncated. */
#include "decode/decoders.h"
#include "decode/options.h"

#define DHCP_FIXED 236            /* op .. file */
#define DHCP_MAGIC 0x63825363u
#define DHCP_MAX_OPTIONS 128
#define DHCP_MAX_DATA 8192
#define DHCP_CHADDR 16
#define DHCP_SNAME 64
#define DHCP_FILE 128
#define OPT_PAD 0
#define OPT_END 255

/* Options whose data RFC 2132 and later define as text. */
static bool text_option(uint8_t type)
{
	switch (type) {
	case 12:  /* Host Name */
	case 14:  /* Merit Dump File */
	case 15:  /* Domain Name */
	case 17:  /* Root Path */
	case 18:  /* Extensions Path */
	case 40:  /* NIS Domain */
	case 47:  /* NetBIOS Scope */
	case 56:  /* Message */
	case 60:  /* Vendor Class Identifier */
	case 64:  /* NIS+ Domain */
	case 66:  /* TFTP Server Name */
	case 67:  /* Bootfile Name */
	case 100: /* PCode, RFC 4833 */
	case 101: /* TCode, RFC 4833 */
	case 114: /* Captive Portal URI, RFC 8910 */
		return true;
	default:
		return false;
	}
}

static bool printable(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

static char *option_text(struct arena *a, const uint8_t *p, uint32_t n, bool text)
{
	if (text && printable(p, n))
		return arena_strndup(a, (const char *)p, n);
	return format_hex(a, p, n, 0);
}

/* The options (an option_next_fn): Pad is listed, with Length 0 and no
 * data; End ends the list and is not listed, as in gopacket. */
static int next_option(struct cursor *c, struct option *o)
{
	if (cur_left(c) == 0)
		return OPTION_DONE;
	*o = (struct option){ .type = cur_u8(c) };
	if (o->type == OPT_END)
		return OPTION_DONE;
	if (o->type == OPT_PAD)
		return OPTION_READ;
	o->length = cur_u8(c);
	o->size = o->length;
	o->data = cur_bytes(c, o->size);
	return cur_ok(c) ? OPTION_READ : OPTION_MALFORMED;
}

static void fill_options(struct decoder_ctx *ctx, struct packet *pkt, Types__DHCPv4 *r,
			 struct cursor opts, size_t n)
{
	Types__DHCPOption **out = (Types__DHCPOption **)record_array(
		ctx, pkt, &types__dhcpoption__descriptor, n);
	char *fingerprint = options_fingerprint(&ctx->arena, opts, next_option, n);
	if (fingerprint)
		r->fingerprint = fingerprint;
	if (!out)
		return;
	struct option o;
	for (size_t i = 0; i < n && next_option(&opts, &o) == OPTION_READ; i++) {
		out[i]->type = o.type;
		out[i]->length = o.length;
		out[i]->data = o.data ? option_text(&ctx->arena, o.data, o.size, text_option(o.type))
				      : (char *)protobuf_c_empty_string;
	}
	r->options = out;
	r->n_options = n;
}

int decode_dhcpv4(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	const uint8_t *fixed = cur_bytes(cur, DHCP_FIXED);
	uint32_t magic = cur_be32(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_DHCPV4, REASON_TRUNCATED);
	if (magic != DHCP_MAGIC)
		return decode_fail(ctx, pkt, PROTO_DHCPV4, REASON_BAD_VALUE);
	pkt->app_proto = "DHCPv4";

	struct cursor opts = cur_rest(cur);
	size_t n;
	struct cap cap = CAP(DHCP_MAX_OPTIONS, DHCP_MAX_DATA);
	if (options_count(opts, next_option, &cap, &n) != OPTION_DONE)
		return decode_fail(ctx, pkt, PROTO_DHCPV4,
				   pkt->ip_partial ? REASON_TRUNCATED : REASON_BAD_OPTION);

	Types__DHCPv4 *r = RECORD_NEW(ctx, pkt, DHCPv4, dhcpv4);
	if (!r)
		return DECODE_OK;
	struct cursor h = cur_make(fixed, DHCP_FIXED);
	struct arena *a = &ctx->arena;
	r->timestamp = pkt->ts;
	r->operation = cur_u8(&h);
	r->hardwaretype = cur_u8(&h);
	r->hardwarelen = cur_u8(&h);
	r->hardwareopts = cur_u8(&h);
	r->xid = cur_be32(&h);
	r->secs = cur_be16(&h);
	r->flags = cur_be16(&h);
	r->clientip = format_ip(a, 4, cur_bytes(&h, 4));
	r->yourclientip = format_ip(a, 4, cur_bytes(&h, 4));
	r->nextserverip = format_ip(a, 4, cur_bytes(&h, 4));
	r->relayagentip = format_ip(a, 4, cur_bytes(&h, 4));
	const uint8_t *chaddr = cur_bytes(&h, DHCP_CHADDR);
	uint32_t hlen = (uint32_t)r->hardwarelen < DHCP_CHADDR ? (uint32_t)r->hardwarelen : DHCP_CHADDR;
	r->clienthwaddr = format_hex(a, chaddr, hlen, ':');
	r->servername = pb_bytes(cur_bytes(&h, DHCP_SNAME), DHCP_SNAME);
	r->file = pb_bytes(cur_bytes(&h, DHCP_FILE), DHCP_FILE);
	fill_options(ctx, pkt, r, opts, n);
	RECORD_FILL_ENDPOINTS(r, pkt);
	if (cap.hit)
		decode_capped(ctx, pkt, PROTO_DHCPV4, r);
	return DECODE_OK;
}
