/* frames.c: building test frames and decoding them; see frames.h. No
 * Criterion here: tests/support objects are linked into the test tools too. */
#include "frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t hello[6] = "hello";
const uint8_t dst_mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };

const struct ipv6_fields ipv6_link_local = {
	.vtcfl = 0x60000000,
	.hop_limit = 255,
	.src = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	.dst = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
};

struct decoder_ctx ctx;
struct packet pkt;
static uint8_t *captured;     /* the frame being decoded, see decode_cut() */

/* ---- building frames ------------------------------------------------- */

/* A broken test setup, not a failed expectation: the test crashes. */
static void require(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "frames: %s\n", what);
		abort();
	}
}

void put(struct frame *f, const void *p, size_t n)
{
	require(f->len + n <= sizeof f->b, "frame full");
	memcpy(f->b + f->len, p, n);
	f->len += (uint32_t)n;
}

void put8(struct frame *f, uint32_t v) { PUT(f, (uint8_t)v); }
void put16(struct frame *f, uint32_t v) { PUT(f, (uint8_t)(v >> 8), (uint8_t)v); }
void put32(struct frame *f, uint32_t v) { put16(f, v >> 16); put16(f, v & 0xffff); }
void put64(struct frame *f, uint64_t v) { put32(f, (uint32_t)(v >> 32)); put32(f, (uint32_t)v); }
void putle16(struct frame *f, uint32_t v) { PUT(f, (uint8_t)v, (uint8_t)(v >> 8)); }
void putle32(struct frame *f, uint32_t v) { putle16(f, v & 0xffff); putle16(f, v >> 16); }
void puts_(struct frame *f, const char *s) { put(f, s, strlen(s)); }

void pad_to(struct frame *f, uint32_t len)
{
	while (f->len < len)
		PUT(f, 0);
}

void put_ethernet_to(struct frame *f, const uint8_t dst[6], uint16_t type)
{
	put(f, dst, 6);
	PUT(f, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb);
	put16(f, type);
}

void put_ethernet(struct frame *f, uint16_t type) { put_ethernet_to(f, dst_mac, type); }

void put_ipv4_with(struct frame *f, uint8_t proto, uint32_t payload_len,
		   const struct ipv4_fields *h)
{
	static const struct ipv4_fields defaults = { 0 };
	static const uint8_t dst[4] = { 10, 0, 0, 1 };
	if (!h)
		h = &defaults;
	uint32_t header = IPV4_HEADER + h->options_len;
	PUT(f, (uint8_t)(0x40 | header / 4), h->tos);
	put16(f, header + payload_len);
	put16(f, 0x1234);
	put16(f, h->flags_fragment);
	PUT(f, 64, proto, 0xbe, 0xef, 192, 168, 1, 10);
	put(f, h->dst ? h->dst : dst, 4);
	if (h->options_len)
		put(f, h->options, h->options_len);
}

void put_ipv4(struct frame *f, uint8_t proto, uint32_t payload_len)
{
	put_ipv4_with(f, proto, payload_len, NULL);
}

void put_ipv6_with(struct frame *f, uint8_t next, uint32_t payload_len,
		   const struct ipv6_fields *h)
{
	put32(f, h->vtcfl);
	put16(f, payload_len);
	PUT(f, next, h->hop_limit);
	put(f, h->src, 16);
	put(f, h->dst, 16);
}

void put_ipv6(struct frame *f, uint8_t next, uint32_t payload_len)
{
	put_ipv6_with(f, next, payload_len, &ipv6_link_local);
}

void put_ipv6_jumbo(struct frame *f, uint8_t next, uint32_t payload_len)
{
	put_ipv6(f, 0, 0);
	PUT(f, next, 0, 0xc2, 4);
	put32(f, 8 + payload_len);
}

void put_fill(struct frame *f, uint8_t byte, uint32_t n)
{
	require(f->len + n <= sizeof f->b, "frame full");
	memset(f->b + f->len, byte, n);
	f->len += n;
}

void put_udp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t length)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, length);
	put16(f, 0xabcd);
}

void put_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags, bool ns,
	     const uint8_t *options, uint32_t options_len)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 0x01020304);
	put32(f, 0xa0b0c0d0);
	PUT(f, (uint8_t)((5 + options_len / 4) << 4 | ns), flags);
	put16(f, 0xfaf0);
	put16(f, 0x1111);
	put16(f, 7);
	if (options_len)
		put(f, options, options_len);
}

/* ---- the IP and TCP headers the IP, transport and framework tests share */

const struct ipv6_fields ipv6_doc = {
	.vtcfl = 0x6ab12345,
	.hop_limit = 64,
	.src = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	.dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
};

const uint8_t ipv4_options[24] = {
	0x01,
	0x07, 0x07, 0x04, 0, 0, 0, 0,
	0x44, 0x0c, 0x05, 0x01, 1, 2, 3, 4, 0, 0, 0x10, 0x20,
	0x00,
	0x00, 0x00, 0x00,
};

const uint8_t tcp_options[24] = {
	0x02, 0x04, 0x05, 0xb4,
	0x01,
	0x03, 0x03, 0x07,
	0x04, 0x02,
	0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,
	0x00,
	0x00, 0x00, 0x00,
};

void build_tcp(struct frame *f, uint8_t flags, bool ns)
{
	put_ethernet(f, 0x0800);
	put_ipv4_with(f, 6, 44 + HELLO_LEN, IPV4(.flags_fragment = 0x4000));
	put_tcp(f, 50000, 80, flags, ns, tcp_options, sizeof tcp_options);
	put(f, hello, HELLO_LEN);
}

void build_ipv6_fragment(struct frame *f, uint16_t offset, bool more)
{
	put_ethernet(f, 0x86dd);
	put_ipv6_with(f, 0, 8 + 8 + 8 + 4, &ipv6_doc);
	PUT(f, 44, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00);
	PUT(f, 17, 0);
	put16(f, (uint32_t)offset << 3 | more);
	put32(f, 0xdeadbeef);
	put_udp(f, 1234, 5678, 1000);
	PUT(f, 1, 2, 3, 4);
}

/* ---- decoding and looking at the result ------------------------------ */

void enable_types(const int *types, size_t n)
{
	for (size_t i = 0; i < n; i++)
		decoder_enable(&ctx, types[i], true);
}

void setup_decoder(size_t arena_bytes, const int *types, size_t n)
{
	require(decoder_init(&ctx, arena_bytes) == 0, "decoder_init failed");
	enable_types(types, n);
}

void teardown_decoder(void)
{
	decoder_free(&ctx);
	free(captured);
	captured = NULL;
}

/* The captured bytes go to a heap block of exactly cap_len bytes (in
 * `captured`), so that AddressSanitizer sees any read past them; it lives
 * until the next decode because records point into it. */
void decode_cut(const struct frame *f, int link, uint32_t cap_len)
{
	free(captured);
	captured = malloc(cap_len ? cap_len : 1);
	require(captured != NULL, "out of memory");
	memcpy(captured, f->b, cap_len);
	decode_packet(&ctx, &pkt, link, captured, cap_len, f->len, TS);
}

void decode_as(const struct frame *f, int link) { decode_cut(f, link, f->len); }
void decode(const struct frame *f) { decode_cut(f, LINK_ETHERNET, f->len); }

void *record(int type, int nth)
{
	for (int i = 0; i < pkt.n_rec; i++)
		if (pkt.rec[i].type == type && nth-- == 0)
			return pkt.rec[i].msg;
	return NULL;
}


