/* make-flow-stress.c: writes a pcap of N distinct flows for the flow-table
 * stress test (tests/e2e/test_flows_stress.sh) and benchmark
 * (scripts/bench-flows.sh).
 *
 *   cc -O2 -o make-flow-stress scripts/make-flow-stress.c
 *   make-flow-stress FLOWS OUT.pcap
 *
 * Flow i is 10.x.y.z:port -> 192.168.a.b:12345 (TCP, even i) or :12346 (UDP, odd
 * i), distinct for every i below 2^24 * 40000; it has 1 to 3 packets (a
 * hash of i picks; 2 on average): the first from the client, the second a
 * reply, the third from the client again (TCP: SYN, SYN-ACK, ACK). Every
 * frame is 64 bytes (Ethernet, IPv4 with a valid checksum, TCP or UDP,
 * zero payload padding). Flows start 1 us apart and their packets are
 * 1 ms apart, interleaved with other flows' (in time order), so about
 * 2000 flows are open at any time and 10 million flows span 10 s.
 *
 * Prints "flows N packets P bytes B" on stdout. 10 million flows: 20
 * million packets, 1.6 GB, a few seconds. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME 64
#define GAP 1000                    /* slots (us) between a flow's packets */
#define T0 1700000000ULL            /* seconds */

static uint32_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

static unsigned packets_of(uint64_t i) { return 1 + mix(i) % 3; }

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

/* Packet k (0, 1, 2) of flow i into rec: a pcap record header and the frame. */
static void make(uint8_t *rec, uint64_t i, unsigned k, uint64_t slot)
{
	uint64_t us = T0 * 1000000ULL + slot;
	uint32_t h[4] = { (uint32_t)(us / 1000000), (uint32_t)(us % 1000000), FRAME, FRAME };
	memcpy(rec, h, sizeof h);               /* host order, as the magic says */
	uint8_t *f = rec + 16;
	memset(f, 0, FRAME);
	uint32_t client = 0x0a000000u | (uint32_t)(i & 0xffffff);
	uint16_t cport = (uint16_t)(1024 + (i >> 24));
	uint32_t server = 0xc0a80000u | (mix(i * 7 + 1) & 0xffff);
	bool tcp = (i & 1) == 0;
	uint16_t sport = tcp ? 12345 : 12346; /* no application decoder */
	bool reply = k == 1;
	uint32_t src = reply ? server : client, dst = reply ? client : server;
	uint16_t sp = reply ? sport : cport, dp = reply ? cport : sport;
	/* MACs from the addresses */
	f[0] = 0x02, put32(f + 2, dst);
	f[6] = 0x02, put32(f + 8, src);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, FRAME - 14);
	put16(ip + 4, (uint16_t)(i + k));
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	uint32_t sum = 0;
	for (int j = 0; j < 20; j += 2)
		sum += (uint32_t)(ip[j] << 8 | ip[j + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	uint8_t *l4 = ip + 20;
	put16(l4, sp);
	put16(l4 + 2, dp);
	if (tcp) {
		static const uint8_t flags[3] = { 0x02, 0x12, 0x10 };
		put32(l4 + 4, (uint32_t)mix(i) + (k == 2));
		put32(l4 + 8, k ? (uint32_t)mix(i) + 1 : 0);
		l4[12] = 5 << 4;
		l4[13] = flags[k];
		put16(l4 + 14, 65535);
	} else {
		put16(l4 + 4, FRAME - 14 - 20);     /* UDP length; checksum 0: none */
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FLOWS OUT.pcap\n", argv[0]);
		return 2;
	}
	char *end;
	uint64_t n = strtoull(argv[1], &end, 10);
	if (*end || n == 0) {
		fprintf(stderr, "make-flow-stress: bad flow count '%s'\n", argv[1]);
		return 2;
	}
	FILE *out = fopen(argv[2], "wb");
	if (!out) {
		fprintf(stderr, "make-flow-stress: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	static char obuf[1 << 22];
	setvbuf(out, obuf, _IOFBF, sizeof obuf);
	const uint32_t ghdr[6] = { 0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1 };
	fwrite(ghdr, sizeof ghdr, 1, out);
	uint64_t packets = 0;
	uint8_t rec[16 + FRAME];
	/* Slot s carries the first packet of flow s, the second of flow
	 * s - GAP, the third of flow s - 2 GAP: time order. */
	for (uint64_t s = 0; s < n + 2 * GAP; s++) {
		for (unsigned k = 0; k < 3; k++) {
			if (s < (uint64_t)k * GAP)
				break;
			uint64_t i = s - (uint64_t)k * GAP;
			if (i >= n || packets_of(i) <= k)
				continue;
			make(rec, i, k, s);
			fwrite(rec, sizeof rec, 1, out);
			packets++;
		}
	}
	if (fclose(out) != 0) {
		fprintf(stderr, "make-flow-stress: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("flows %llu packets %llu bytes %llu\n", (unsigned long long)n, (unsigned long long)packets,
	       (unsigned long long)(packets * FRAME));
	return 0;
}
