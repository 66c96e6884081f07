/* test_decode_tunnel.c: the tunnel decoders, gre.c (versions 0 and 1,
 * routing entries, ERSPAN types I, II and III in erspan.c), vxlan.c,
 * geneve.c, teredo.c and gtp.c: every field of the GRE, VXLAN and Geneve
 * records, the inner packet's usual records (the inner IP record gets the
 * inner ports, the packet's addresses and ports are the innermost), every
 * cut, lying lengths, the SRE, Geneve option and GTP extension caps, and
 * nesting beyond PACKET_MAX_DEPTH.
 *
 * Frames are built byte by byte (tests/support/frames.h) and decoded from
 * a heap block of exactly the captured size, so AddressSanitizer sees any
 * read past it. */
#include <criterion/criterion.h>
#include <string.h>

#include "decode/ethertype.h"
#include "decode/ipproto.h"
#include "../support/frames.h"

enum {
	T_GRE = TYPES__TYPE__NC_GRE,
	T_VXLAN = TYPES__TYPE__NC_VXLAN,
	T_GENEVE = TYPES__TYPE__NC_Geneve,
};

static const int types[] = { T_ETHERNET, T_IPV4, T_IPV6, T_TCP, T_UDP, T_ICMPV4, T_ARP,
			     T_GRE, T_VXLAN, T_GENEVE };

static void setup(void) { setup_decoder(1 << 20, types, COUNT_OF(types)); }

TestSuite(decode_tunnel, .init = setup, .fini = teardown_decoder);

static const uint8_t inner_dst[4] = { 10, 9, 9, 9 };
#define INNER_TCP_LEN (IPV4_HEADER + 20 + HELLO_LEN)
#define INNER_ETH_TCP_LEN (ETH_HEADER + INNER_TCP_LEN)

/* IPv4 192.168.1.10 > 10.9.9.9, TCP 1234 > 80 (PSH ACK), "hello". */
static void put_inner_tcp(struct frame *f)
{
	put_ipv4_with(f, IPPROTO_TCP, 20 + HELLO_LEN, &(struct ipv4_fields){ .dst = inner_dst });
	put_tcp(f, 1234, 80, 0x18, false, NULL, 0);
	put(f, hello, HELLO_LEN);
}

static void put_inner_eth_tcp(struct frame *f)
{
	put_ethernet(f, ETHERTYPE_IPV4);
	put_inner_tcp(f);
}

/* Ethernet, IPv4 and UDP 40000 > dport around payload_len bytes. */
static void put_outer_udp(struct frame *f, uint16_t dport, uint32_t payload_len)
{
	put_ethernet(f, ETHERTYPE_IPV4);
	put_ipv4(f, IPPROTO_UDP, UDP_HEADER + payload_len);
	put_udp(f, 40000, dport, UDP_HEADER + payload_len);
}

static void expect_inner_tcp(int nth_ipv4)
{
	Types__IPv4 *outer = record(T_IPV4, 0);
	Types__IPv4 *inner = record(T_IPV4, nth_ipv4);
	cr_assert(inner && outer);
	cr_assert_str_eq(inner->dstip, "10.9.9.9");
	cr_assert_eq(inner->srcport, 1234);
	cr_assert_eq(inner->dstport, 80);
	Types__TCP *tcp = record(T_TCP, 0);
	cr_assert(tcp);
	cr_assert_eq(tcp->srcport, 1234);
	cr_assert_eq(tcp->dstport, 80);
	cr_assert_str_eq(tcp->dstip, "10.9.9.9");
	cr_assert_eq(tcp->payloadsize, HELLO_LEN);
	cr_assert_eq(pkt.ip_version, 4);
	cr_assert_str_eq(pkt.dst_ip_str, "10.9.9.9");
	cr_assert_eq(pkt.ip_proto, IPPROTO_TCP);
	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.src_port, 1234);
	cr_assert_eq(pkt.dst_port, 80);
}

/* Every cut of f: no read past the data (ASan), the records in range, and
 * a fault whenever a cut leaves a layer short (never for the whole). */
static void every_cut(const struct frame *f)
{
	for (uint32_t cut = 0; cut <= f->len; cut++) {
		decode_cut(f, LINK_ETHERNET, cut);
		cr_assert_leq(pkt.n_rec, PACKET_MAX_RECORDS);
		if (pkt.error)
			cr_assert(pkt.error_proto < PROTO_COUNT && pkt.error_reason < REASON_COUNT);
	}
	decode(f);
	expect_ok();
	corrupt_and_decode(f, LINK_ETHERNET, 0x5eed1234u, NULL);
}

/* ---- GRE ------------------------------------------------------------ */

static struct frame f, g;

static void build_gre_ipv4(struct frame *fr)
{
	memset(fr, 0, sizeof *fr);
	put_ethernet(fr, ETHERTYPE_IPV4);
	put_ipv4(fr, IPPROTO_GRE, 4 + INNER_TCP_LEN);
	PUT(fr, 0x00, 0x00);
	put16(fr, ETHERTYPE_IPV4);
	put_inner_tcp(fr);
}

Test(decode_tunnel, gre_ipv4_in_gre_gives_the_inner_records)
{
	build_gre_ipv4(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_IPV4, T_TCP);
	Types__GRE *gre = record(T_GRE, 0);
	cr_assert_eq(gre->timestamp, TS);
	cr_assert(!gre->checksumpresent && !gre->routingpresent && !gre->keypresent);
	cr_assert(!gre->seqpresent && !gre->strictsourceroute && !gre->ackpresent);
	cr_assert_eq(gre->version, 0);
	cr_assert_eq(gre->protocol, ETHERTYPE_IPV4);
	cr_assert_null(gre->routing);
	cr_assert_str_eq(gre->srcip, "192.168.1.10");
	cr_assert_str_eq(gre->dstip, "10.0.0.1");
	Types__IPv4 *outer = record(T_IPV4, 0);
	cr_assert_eq(outer->protocol, IPPROTO_GRE);
	cr_assert_eq(outer->srcport, 0);
	cr_assert_eq(outer->dstport, 0);
	expect_inner_tcp(1);
	every_cut(&f);
}

Test(decode_tunnel, gre_every_field_routing_and_ethernet)
{
	memset(&f, 0, sizeof f);
	/* C R K S s, recursion 5; flags 0x08 in the second byte; TEB. */
	uint32_t sres = (4 + 4) + (4 + 2) + 4;
	put_ethernet(&f, ETHERTYPE_IPV4);
	put_ipv4(&f, IPPROTO_GRE, 16 + sres + INNER_ETH_TCP_LEN);
	PUT(&f, 0xfd, 0x40);
	put16(&f, ETHERTYPE_TEB);
	put16(&f, 0xc5c5);      /* checksum */
	put16(&f, 0x0102);      /* offset */
	put32(&f, 0xdeadbeef);  /* key */
	put32(&f, 0x01020304);  /* seq */
	put16(&f, 0x0800); PUT(&f, 0, 4, 10, 1, 2, 3);      /* IPv4 SRE, one address */
	put16(&f, 0xfffe); PUT(&f, 1, 2, 0xaa, 0xbb);       /* another */
	put16(&f, 0); PUT(&f, 0, 0);                        /* the end */
	put_inner_eth_tcp(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_ETHERNET, T_IPV4, T_TCP);
	Types__GRE *gre = record(T_GRE, 0);
	cr_assert(gre->checksumpresent && gre->routingpresent && gre->keypresent);
	cr_assert(gre->seqpresent && gre->strictsourceroute && !gre->ackpresent);
	cr_assert_eq(gre->recursioncontrol, 5);
	cr_assert_eq(gre->flags, 0x08);
	cr_assert_eq(gre->version, 0);
	cr_assert_eq(gre->protocol, ETHERTYPE_TEB);
	cr_assert_eq(gre->checksum, 0xc5c5);
	cr_assert_eq(gre->offset, 0x0102);
	cr_assert_eq(gre->key, 0xdeadbeefu);
	cr_assert_eq(gre->seq, 0x01020304u);
	Types__GRERouting *sre = gre->routing;
	cr_assert(sre);
	cr_assert_eq(sre->addressfamily, 0x0800);
	cr_assert_eq(sre->sreoffset, 0);
	cr_assert_eq(sre->srelength, 4);
	expect_bytes(sre->routinginformation, "\x0a\x01\x02\x03", 4);
	sre = sre->next;
	cr_assert(sre);
	cr_assert_eq(sre->addressfamily, 0xfffe);
	cr_assert_eq(sre->sreoffset, 1);
	expect_bytes(sre->routinginformation, "\xaa\xbb", 2);
	cr_assert_null(sre->next);
	expect_inner_tcp(1);
	every_cut(&f);
}

Test(decode_tunnel, gre_routing_entries_are_capped)
{
	memset(&f, 0, sizeof f);
	put_ethernet(&f, ETHERTYPE_IPV4);
	put_ipv4(&f, IPPROTO_GRE, 8 + 40 * 4 + 4 + INNER_TCP_LEN);
	PUT(&f, 0x40, 0x00);
	put16(&f, ETHERTYPE_IPV4);
	put32(&f, 0);
	for (int i = 0; i < 40; i++) {
		put16(&f, (uint32_t)i + 1);
		PUT(&f, 0, 0);
	}
	put32(&f, 0);
	put_inner_tcp(&f);
	decode(&f);
	expect_error(PROTO_GRE, REASON_CAPPED);
	cr_assert_eq(ctx.stats.events[PROTO_GRE][REASON_CAPPED], 1);
	Types__GRE *gre = record(T_GRE, 0);
	cr_assert(gre->truncated);
	int n = 0;
	for (Types__GRERouting *s = gre->routing; s; s = s->next)
		cr_assert_eq(s->addressfamily, ++n);
	cr_assert_eq(n, 32);
	/* The walk went on to the payload. */
	expect_inner_tcp(1);
}

Test(decode_tunnel, gre_faults)
{
	/* Version 2: no record. */
	build_gre_ipv4(&f);
	f.b[ETH_HEADER + IPV4_HEADER + 1] = 0x02;
	decode(&f);
	expect_error(PROTO_GRE, REASON_BAD_VERSION);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4);
	/* A key flag with only the fixed header: truncated. */
	memset(&f, 0, sizeof f);
	put_ethernet(&f, ETHERTYPE_IPV4);
	put_ipv4(&f, IPPROTO_GRE, 6);
	PUT(&f, 0x20, 0x00, 0x08, 0x00, 0, 0);
	decode(&f);
	expect_error(PROTO_GRE, REASON_TRUNCATED);
	/* An SRE longer than the data. */
	memset(&f, 0, sizeof f);
	put_ethernet(&f, ETHERTYPE_IPV4);
	put_ipv4(&f, IPPROTO_GRE, 12);
	PUT(&f, 0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0x08, 0x00, 0, 200);
	decode(&f);
	expect_error(PROTO_GRE, REASON_TRUNCATED);
	/* An unknown protocol: the GRE record, an unknown layer. */
	build_gre_ipv4(&f);
	f.b[ETH_HEADER + IPV4_HEADER + 2] = 0x12;
	decode(&f);
	expect_unknown(PROTO_GRE);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE);
}

/* PPTP: version 1, K S A, PPP with address and control, IPv4 UDP. */
static void build_pptp(struct frame *fr, uint16_t payload_length)
{
	memset(fr, 0, sizeof *fr);
	uint32_t ppp = 4 + IPV4_HEADER + UDP_HEADER + HELLO_LEN;
	put_ethernet(fr, ETHERTYPE_IPV4);
	put_ipv4(fr, IPPROTO_GRE, 16 + ppp);
	PUT(fr, 0x30, 0x81);
	put16(fr, ETHERTYPE_PPP);
	put16(fr, payload_length);
	put16(fr, 0x4242);      /* call id */
	put32(fr, 7);           /* seq */
	put32(fr, 6);           /* ack */
	PUT(fr, 0xff, 0x03, 0x00, 0x21);
	put_ipv4_with(fr, IPPROTO_UDP, UDP_HEADER + HELLO_LEN, &(struct ipv4_fields){ .dst = inner_dst });
	put_udp(fr, 5000, 6000, UDP_HEADER + HELLO_LEN);
	put(fr, hello, HELLO_LEN);
}

Test(decode_tunnel, gre_version_1_pptp)
{
	uint16_t ppp = 4 + IPV4_HEADER + UDP_HEADER + HELLO_LEN;
	build_pptp(&f, ppp);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_IPV4, T_UDP);
	Types__GRE *gre = record(T_GRE, 0);
	cr_assert_eq(gre->version, 1);
	cr_assert(gre->keypresent && gre->seqpresent && gre->ackpresent);
	cr_assert_eq(gre->flags, 0x10);
	cr_assert_eq(gre->key, (uint32_t)ppp << 16 | 0x4242);
	cr_assert_eq(gre->seq, 7);
	cr_assert_eq(gre->ack, 6);
	cr_assert_eq(gre->protocol, ETHERTYPE_PPP);
	Types__UDP *udp = record(T_UDP, 0);
	cr_assert_eq(udp->srcport, 5000);
	cr_assert_eq(udp->payloadsize, HELLO_LEN);
	cr_assert_eq(pkt.dst_port, 6000);
	every_cut(&f);

	/* A payload length beyond the data lies: counted, decoding goes on. */
	uint64_t before = ctx.stats.events[PROTO_GRE][REASON_BAD_LENGTH];
	build_pptp(&f, ppp + 100);
	decode(&f);
	expect_clean();
	cr_assert_eq(ctx.stats.events[PROTO_GRE][REASON_BAD_LENGTH], before + 1);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_IPV4, T_UDP);
	/* One shorter cuts the PPP frame: the inner IPv4 holds less than its
	 * length, so UDP's longer length is expected. */
	build_pptp(&f, ppp - 2);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_IPV4, T_UDP);
	cr_assert_eq(((Types__UDP *)record(T_UDP, 0))->payloadsize, HELLO_LEN - 2);
	/* An acknowledgement alone: no payload, no inner layer. */
	memset(&f, 0, sizeof f);
	put_ethernet(&f, ETHERTYPE_IPV4);
	put_ipv4(&f, IPPROTO_GRE, 12);
	PUT(&f, 0x20, 0x81);
	put16(&f, ETHERTYPE_PPP);
	put32(&f, 0x00004242);
	put32(&f, 9);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE);
	cr_assert_eq(((Types__GRE *)record(T_GRE, 0))->ack, 9);
}

/* ---- ERSPAN --------------------------------------------------------- */

/* GRE with a sequence number (or none), protocol proto, the header bytes
 * given, then the mirrored Ethernet frame. */
static void build_erspan(struct frame *fr, bool seq, uint16_t proto, const uint8_t *hdr, uint32_t n)
{
	memset(fr, 0, sizeof *fr);
	put_ethernet(fr, ETHERTYPE_IPV4);
	put_ipv4(fr, IPPROTO_GRE, 4 + (seq ? 4 : 0) + n + INNER_ETH_TCP_LEN);
	PUT(fr, seq ? 0x10 : 0x00, 0x00);
	put16(fr, proto);
	if (seq)
		put32(fr, 99);
	if (n)
		put(fr, hdr, n);
	put_inner_eth_tcp(fr);
}

Test(decode_tunnel, erspan_types_i_ii_iii)
{
	build_erspan(&f, false, ETHERTYPE_ERSPAN_II, NULL, 0);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_ETHERNET, T_IPV4, T_TCP);
	expect_inner_tcp(1);
	every_cut(&f);

	static const uint8_t type2[8] = { 0x10, 0x05, 0x00, 0x2a, 0, 0, 0, 1 };
	build_erspan(&f, true, ETHERTYPE_ERSPAN_II, type2, sizeof type2);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_ETHERNET, T_IPV4, T_TCP);
	expect_inner_tcp(1);
	every_cut(&f);

	/* Type III with the platform subheader (O bit). */
	static const uint8_t type3[20] = { 0x20, 0x05, 0x00, 0x2a, 1, 2, 3, 4, 0, 0, 0x00, 0x01,
					   9, 9, 9, 9, 9, 9, 9, 9 };
	build_erspan(&f, true, ETHERTYPE_ERSPAN_III, type3, sizeof type3);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE, T_ETHERNET, T_IPV4, T_TCP);
	expect_inner_tcp(1);
	every_cut(&f);

	/* Type III without it, a frame type other than Ethernet: unknown. */
	static const uint8_t type3_ip[12] = { 0x20, 0x05, 0x00, 0x2a, 1, 2, 3, 4, 0, 0, 0x08, 0x00 };
	build_erspan(&f, false, ETHERTYPE_ERSPAN_III, type3_ip, sizeof type3_ip);
	decode(&f);
	expect_unknown(PROTO_ERSPAN);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE);

	/* Version 3: a fault. */
	static const uint8_t bad[8] = { 0x30, 0x05, 0x00, 0x2a, 0, 0, 0, 1 };
	build_erspan(&f, true, ETHERTYPE_ERSPAN_II, bad, sizeof bad);
	decode(&f);
	expect_error(PROTO_ERSPAN, REASON_BAD_VERSION);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_GRE);
}

/* ---- VXLAN ---------------------------------------------------------- */

Test(decode_tunnel, vxlan_every_field_and_the_inner_frame)
{
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_VXLAN, 8 + INNER_ETH_TCP_LEN);
	PUT(&f, 0x88, 0x48);
	put16(&f, 0x1234);
	PUT(&f, 0xab, 0xcd, 0xef, 0x00);
	put_inner_eth_tcp(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_VXLAN, T_ETHERNET, T_IPV4, T_TCP);
	Types__VXLAN *v = record(T_VXLAN, 0);
	cr_assert_eq(v->timestamp, TS);
	cr_assert(v->valididflag);
	cr_assert_eq(v->vni, 0xabcdef);
	cr_assert(v->gbpextension && v->gbpdontlearn && v->gbpapplied);
	cr_assert_eq(v->gbpgrouppolicyid, 0x1234);
	Types__UDP *udp = record(T_UDP, 0);
	cr_assert_eq(udp->dstport, PORT_VXLAN);
	Types__IPv4 *outer = record(T_IPV4, 0);
	cr_assert_eq(outer->srcport, 40000);
	cr_assert_eq(outer->dstport, PORT_VXLAN);
	expect_inner_tcp(1);
	every_cut(&f);

	/* The plain flags: I only. */
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER] = 0x08;
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER + 1] = 0;
	decode(&f);
	v = record(T_VXLAN, 0);
	cr_assert(v->valididflag && !v->gbpextension && !v->gbpdontlearn && !v->gbpapplied);
}

/* --vxlan-port: VXLAN on another port (Linux's old 8472) only when named. */
Test(decode_tunnel, vxlan_on_a_port_named_by_the_user)
{
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, 8472, 8 + INNER_ETH_TCP_LEN);
	PUT(&f, 0x08, 0, 0, 0, 0x00, 0x01, 0x2c, 0x00);
	put_inner_eth_tcp(&f);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
	ctx.vxlan_ports[0] = 8472;
	ctx.n_vxlan_ports = 1;
	decode(&f);
	ctx.n_vxlan_ports = 0;
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_VXLAN, T_ETHERNET, T_IPV4, T_TCP);
	cr_assert_eq(((Types__VXLAN *)record(T_VXLAN, 0))->vni, 300);
	expect_inner_tcp(1);
}

Test(decode_tunnel, vxlan_inner_frame_without_ports_leaves_no_ports)
{
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_VXLAN, 8 + ETH_HEADER + 28);
	PUT(&f, 0x08, 0, 0, 0, 0, 0, 1, 0);
	put_ethernet(&f, ETHERTYPE_ARP);
	PUT(&f, 0, 1, 8, 0, 6, 4, 0, 1);
	put_fill(&f, 0x11, 20);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_VXLAN, T_ETHERNET, T_ARP);
	cr_assert(!pkt.has_ports);
	cr_assert_eq(pkt.src_port, 0);
}

/* VXLAN in VXLAN ... `levels` deep around an Ethernet/IPv4/TCP frame. */
static void build_vxlan_nest(struct frame *fr, int levels)
{
	memset(fr, 0, sizeof *fr);
	put_inner_eth_tcp(fr);
	for (int i = 0; i < levels; i++) {
		memset(&g, 0, sizeof g);
		put_outer_udp(&g, PORT_VXLAN, 8 + fr->len);
		PUT(&g, 0x08, 0, 0, 0, 0, 0, (uint8_t)i, 0);
		put(&g, fr->b, fr->len);
		memcpy(fr, &g, sizeof g);
	}
}

Test(decode_tunnel, vxlan_nesting_is_bounded_by_the_depth)
{
	build_vxlan_nest(&f, 3);
	decode(&f);
	expect_clean();
	cr_assert_eq(pkt.n_rec, 3 * 4 + 3);
	expect_inner_tcp(3);

	build_vxlan_nest(&f, 40);
	decode(&f);
	expect_error(PROTO_VXLAN, REASON_TOO_DEEP);
	cr_assert_leq(pkt.depth, PACKET_MAX_DEPTH + 1);
	cr_assert_null(record(T_TCP, 0));
	cr_assert_eq(ctx.stats.events[PROTO_VXLAN][REASON_TOO_DEEP], 1);
}

/* ---- Geneve --------------------------------------------------------- */

Test(decode_tunnel, geneve_options_and_ip_payload)
{
	memset(&f, 0, sizeof f);
	uint32_t opts = 8 + 4;
	put_outer_udp(&f, PORT_GENEVE, 8 + opts + INNER_TCP_LEN);
	PUT(&f, (uint8_t)(opts / 4), 0xc0);
	put16(&f, ETHERTYPE_IPV4);
	PUT(&f, 0x12, 0x34, 0x56, 0x00);
	put16(&f, 0x0102); PUT(&f, 0x80, 0x21, 0xde, 0xad, 0xbe, 0xef);  /* critical, 4 bytes */
	put16(&f, 0xffff); PUT(&f, 0x07, 0xe0);                          /* reserved bits, empty */
	put_inner_tcp(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_GENEVE, T_IPV4, T_TCP);
	Types__Geneve *gn = record(T_GENEVE, 0);
	cr_assert_eq(gn->timestamp, TS);
	cr_assert_eq(gn->version, 0);
	cr_assert_eq(gn->optionslength, 12);
	cr_assert(gn->oampacket && gn->criticaloption);
	cr_assert_eq(gn->protocol, ETHERTYPE_IPV4);
	cr_assert_eq(gn->vni, 0x123456);
	cr_assert_eq(gn->n_options, 2);
	cr_assert_eq(gn->options[0]->class_, 0x0102);
	cr_assert_eq(gn->options[0]->type, 0x80);
	cr_assert_eq(gn->options[0]->flags, 1);
	cr_assert_eq(gn->options[0]->length, 8);
	expect_bytes(gn->options[0]->data, "\xde\xad\xbe\xef", 4);
	cr_assert_eq(gn->options[1]->class_, 0xffff);
	cr_assert_eq(gn->options[1]->flags, 7);
	cr_assert_eq(gn->options[1]->length, 4);
	cr_assert_eq(gn->options[1]->data.len, 0);
	expect_inner_tcp(1);
	every_cut(&f);
}

Test(decode_tunnel, geneve_ethernet_payload)
{
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_GENEVE, 8 + INNER_ETH_TCP_LEN);
	PUT(&f, 0, 0);
	put16(&f, ETHERTYPE_TEB);
	PUT(&f, 0, 0, 7, 0);
	put_inner_eth_tcp(&f);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_GENEVE, T_ETHERNET, T_IPV4, T_TCP);
	cr_assert_eq(((Types__Geneve *)record(T_GENEVE, 0))->vni, 7);
	expect_inner_tcp(1);
}

Test(decode_tunnel, geneve_option_cap_and_faults)
{
	/* 40 empty options: 32 kept, counted. */
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_GENEVE, 8 + 160 + INNER_TCP_LEN);
	PUT(&f, 40, 0);
	put16(&f, ETHERTYPE_IPV4);
	PUT(&f, 0, 0, 1, 0);
	for (int i = 0; i < 40; i++) {
		put16(&f, (uint32_t)i);
		PUT(&f, 1, 0);
	}
	put_inner_tcp(&f);
	decode(&f);
	expect_error(PROTO_GENEVE, REASON_CAPPED);
	Types__Geneve *gn = record(T_GENEVE, 0);
	cr_assert(gn->truncated);
	cr_assert_eq(gn->n_options, 32);
	cr_assert_eq(gn->options[31]->class_, 31);
	cr_assert_eq(gn->optionslength, 160);
	expect_inner_tcp(1);

	/* An option longer than the options area. */
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_GENEVE, 8 + 4 + INNER_TCP_LEN);
	PUT(&f, 1, 0);
	put16(&f, ETHERTYPE_IPV4);
	PUT(&f, 0, 0, 1, 0);
	put16(&f, 1); PUT(&f, 1, 2);
	put_inner_tcp(&f);
	decode(&f);
	expect_error(PROTO_GENEVE, REASON_BAD_OPTION);
	cr_assert_null(record(T_GENEVE, 0));

	/* Version 1. */
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER] = 0x40;
	decode(&f);
	expect_error(PROTO_GENEVE, REASON_BAD_VERSION);

	/* An options length past the data. */
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER] = 0x3f;
	decode(&f);
	expect_error(PROTO_GENEVE, REASON_TRUNCATED);
}

/* ---- Teredo --------------------------------------------------------- */

static void build_teredo(struct frame *fr, bool auth, bool origin, bool bubble)
{
	memset(fr, 0, sizeof *fr);
	uint32_t ind = (auth ? 4 + 3 + 2 + 9 : 0) + (origin ? 8 : 0);
	uint32_t inner = IPV6_HEADER + (bubble ? 0 : UDP_HEADER + HELLO_LEN);
	put_outer_udp(fr, PORT_TEREDO, ind + inner);
	if (auth) {
		PUT(fr, 0x00, 0x01, 3, 2, 'a', 'b', 'c', 0xaa, 0xbb);
		put64(fr, 0x0102030405060708ull);
		PUT(fr, 0);
	}
	if (origin) {
		PUT(fr, 0x00, 0x00, 0xf2, 0x27, 0x3f, 0xff, 0xfe, 0xfd);
	}
	if (bubble) {
		put_ipv6(fr, IPPROTO_NONE, 0);
		return;
	}
	put_ipv6(fr, IPPROTO_UDP, UDP_HEADER + HELLO_LEN);
	put_udp(fr, 5000, 6000, UDP_HEADER + HELLO_LEN);
	put(fr, hello, HELLO_LEN);
}

Test(decode_tunnel, teredo_indications_ipv6_and_bubbles)
{
	for (int variant = 0; variant < 4; variant++) {
		build_teredo(&f, variant & 1, variant & 2, false);
		decode(&f);
		expect_clean();
		EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_IPV6, T_UDP);
		Types__UDP *inner = record(T_UDP, 1);
		cr_assert_eq(inner->srcport, 5000);
		cr_assert_eq(inner->dstport, 6000);
		cr_assert_str_eq(inner->dstip, "ff02::1");
		Types__IPv6 *ip6 = record(T_IPV6, 0);
		cr_assert_eq(ip6->srcport, 5000);
		cr_assert_eq(pkt.ip_version, 6);
		cr_assert_eq(pkt.dst_port, 6000);
		every_cut(&f);
	}
	/* Something else on port 3544. */
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_TEREDO, 4);
	PUT(&f, 0x45, 0, 0, 0);
	decode(&f);
	expect_unknown(PROTO_TEREDO);

	/* An authentication header whose lengths run past the data. */
	memset(&f, 0, sizeof f);
	put_outer_udp(&f, PORT_TEREDO, 6);
	PUT(&f, 0x00, 0x01, 200, 0, 1, 2);
	decode(&f);
	expect_error(PROTO_TEREDO, REASON_TRUNCATED);
}

/* A bubble: an IPv6 header with payload length 0 and next header 59,
 * an IPv6 record and nothing above it (not a jumbogram: ipv6.c). */
Test(decode_tunnel, teredo_bubble_is_ipv6_without_transport)
{
	build_teredo(&f, true, true, true);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_IPV6);
	cr_assert(!pkt.has_ports);
}

/* ---- GTP-U ---------------------------------------------------------- */

/* A G-PDU with the E flag and `ext` extension headers of 4 bytes (the
 * last ending the chain), then IPv4/TCP; length as given, or right. */
static void build_gtp(struct frame *fr, uint8_t type, int ext, int length)
{
	memset(fr, 0, sizeof *fr);
	uint32_t rest = 4 + (uint32_t)ext * 4 + INNER_TCP_LEN;
	put_outer_udp(fr, PORT_GTP_U, 8 + rest);
	PUT(fr, ext ? 0x34 : 0x32, type);
	put16(fr, length >= 0 ? (uint32_t)length : rest);
	put32(fr, 0xcafef00d);
	put16(fr, 0x0101);      /* sequence number */
	PUT(fr, 0, ext ? 0x85 : 0);
	for (int i = 0; i < ext; i++)
		PUT(fr, 1, 0x00, 0x09, i + 1 < ext ? 0x85 : 0);
	put_inner_tcp(fr);
}

Test(decode_tunnel, gtp_gpdu_with_extensions)
{
	build_gtp(&f, 255, 2, -1);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_IPV4, T_TCP);
	expect_inner_tcp(1);
	every_cut(&f);

	build_gtp(&f, 255, 0, -1);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_IPV4, T_TCP);

	/* An echo request: no payload decoded. */
	build_gtp(&f, 1, 0, -1);
	decode(&f);
	expect_clean();
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);
}

Test(decode_tunnel, gtp_caps_and_lying_lengths)
{
	build_gtp(&f, 255, 20, -1);
	decode(&f);
	expect_error(PROTO_GTP, REASON_CAPPED);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP);

	/* An extension of length 0. */
	build_gtp(&f, 255, 1, -1);
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER + 12] = 0;
	decode(&f);
	expect_error(PROTO_GTP, REASON_BAD_LENGTH);

	/* A length shorter than the optional fields. */
	build_gtp(&f, 255, 0, 2);
	decode(&f);
	expect_error(PROTO_GTP, REASON_BAD_LENGTH);

	/* A length past the data: counted, decoded as captured. */
	uint64_t before = ctx.stats.events[PROTO_GTP][REASON_BAD_LENGTH];
	build_gtp(&f, 255, 0, 1000);
	decode(&f);
	expect_clean();
	cr_assert_eq(ctx.stats.events[PROTO_GTP][REASON_BAD_LENGTH], before + 1);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_IPV4, T_TCP);

	/* A length that cuts the inner packet: IPv4 holds less than it says. */
	build_gtp(&f, 255, 0, 4 + IPV4_HEADER + 10);
	decode(&f);
	EXPECT_RECORDS(T_ETHERNET, T_IPV4, T_UDP, T_IPV4);
	expect_error(PROTO_TCP, REASON_TRUNCATED);

	/* Version 2 on port 2152. */
	build_gtp(&f, 255, 0, -1);
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER] = 0x48;
	decode(&f);
	expect_error(PROTO_GTP, REASON_BAD_VERSION);

	/* A G-PDU that holds no IP packet. */
	build_gtp(&f, 255, 0, -1);
	f.b[ETH_HEADER + IPV4_HEADER + UDP_HEADER + 12] = 0x00;
	decode(&f);
	expect_unknown(PROTO_GTP);
}
