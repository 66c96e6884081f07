/* scale-pcap.c: the benchmark input's second step in C, for machines
 * without Python (the many-core machine of scripts/device-kit.sh).
 *
 *   scale-pcap IN OUT MB
 *
 * IN is a classic pcap file (the merged Ethernet captures of the nDPI
 * corpus, as scripts/make-bench-input.sh merges them); OUT gets IN's
 * header, then IN's packets again and again, copy k with every IPv4
 * address's second and third octets XORed with k's two low bytes and the
 * 14th byte of every IPv6 address with k's low byte (or 1), 0.0.0.0,
 * 255.255.255.255, :: and ff00::/8 kept, until OUT reaches MB * 10^6 bytes
 * (the last copy cut at a packet boundary). Byte for byte what
 * make-bench-input.sh's Python writes for the same merged file and size.
 * Exit status 0, 1 with a message, 2 for bad arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p, int big)
{
	return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void ipv4_addr(uint8_t *a, unsigned k2, unsigned k3)
{
	static const uint8_t zero[4], ones[4] = { 0xff, 0xff, 0xff, 0xff };
	if (!memcmp(a, zero, 4) || !memcmp(a, ones, 4))
		return;
	a[1] ^= (uint8_t)k2;
	a[2] ^= (uint8_t)k3;
}

static void ipv6_addr(uint8_t *a, unsigned k)
{
	static const uint8_t zero[16];
	if (a[0] == 0xff || !memcmp(a, zero, 16))
		return;
	a[13] ^= (uint8_t)k;
}

/* The frame's addresses shifted for copy k (after up to any number of
 * VLAN tags), as make-bench-input.sh's shift(). */
static void shift(uint8_t *b, uint32_t len, unsigned k)
{
	uint32_t o = 12;
	unsigned t = 0;
	int have = 0;
	while (o + 2 <= len) {
		t = (unsigned)b[o] << 8 | b[o + 1];
		have = 1;
		if ((t == 0x8100 || t == 0x88a8 || t == 0x9100) && o + 6 <= len) {
			o += 4;
			continue;
		}
		break;
	}
	o += 2;
	if (!have)
		return;
	if (t == 0x0800 && o + 20 <= len && b[o] >> 4 == 4) {
		ipv4_addr(b + o + 12, (k >> 8) & 0xff, k & 0xff);
		ipv4_addr(b + o + 16, (k >> 8) & 0xff, k & 0xff);
	} else if (t == 0x86dd && o + 40 <= len && b[o] >> 4 == 6) {
		unsigned k6 = (k & 0xff) ? (k & 0xff) : 1;
		ipv6_addr(b + o + 8, k6);
		ipv6_addr(b + o + 24, k6);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4 || atol(argv[3]) <= 0) {
		fprintf(stderr, "usage: scale-pcap IN OUT MB\n");
		return 2;
	}
	uint64_t target = (uint64_t)atol(argv[3]) * 1000000u;
	FILE *in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	fseek(in, 0, SEEK_END);
	long size = ftell(in);
	rewind(in);
	uint8_t *data = size > 0 ? malloc((size_t)size) : NULL;
	if (!data || fread(data, 1, (size_t)size, in) != (size_t)size || size < 24) {
		fprintf(stderr, "scale-pcap: %s: cannot read it whole\n", argv[1]);
		return 1;
	}
	fclose(in);
	int big;
	if (!memcmp(data, "\xd4\xc3\xb2\xa1", 4) || !memcmp(data, "\x4d\x3c\xb2\xa1", 4))
		big = 0;
	else if (!memcmp(data, "\xa1\xb2\xc3\xd4", 4) || !memcmp(data, "\xa1\xb2\x3c\x4d", 4))
		big = 1;
	else {
		fprintf(stderr, "scale-pcap: %s: not a pcap file\n", argv[1]);
		return 1;
	}
	/* The packets: offsets of their record headers. */
	size_t n = 0, room = 1024;
	uint64_t *at = malloc(room * sizeof *at);
	for (uint64_t off = 24; at && off + 16 <= (uint64_t)size;) {
		uint32_t cap = rd32(data + off + 8, big);
		if (off + 16 + cap > (uint64_t)size)
			break;
		if (n == room)
			at = realloc(at, (room *= 2) * sizeof *at);
		if (at)
			at[n++] = off;
		off += 16 + (uint64_t)cap;
	}
	if (!at || !n) {
		fprintf(stderr, "scale-pcap: %s: no packets\n", argv[1]);
		return 1;
	}
	FILE *out = fopen(argv[2], "wb");
	static uint8_t frame[16 + 262144 + 65536];
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 22);
	fwrite(data, 1, 24, out);
	uint64_t written = 24, packets = 0;
	unsigned copies = 0;
	for (unsigned k = 0; written < target; k++, copies++) {
		for (size_t i = 0; i < n; i++) {
			uint32_t cap = rd32(data + at[i] + 8, big);
			if (written + 16 + cap > target && packets) {
				written = target;
				break;
			}
			if (16 + (size_t)cap > sizeof frame) {
				fprintf(stderr, "scale-pcap: %s: a record of %u bytes\n", argv[1], cap);
				return 1;
			}
			memcpy(frame, data + at[i], 16 + (size_t)cap);
			if (k)
				shift(frame + 16, cap, k);
			fwrite(frame, 1, 16 + (size_t)cap, out);
			written += 16 + cap;
			packets++;
		}
	}
	if (fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	fprintf(stderr, "scale-pcap: %zu corpus packets; %u copies (the last one possibly cut); %llu packets\n", n,
		copies, (unsigned long long)packets);
	return 0;
}
