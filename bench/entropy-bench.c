/* entropy-bench.c: the PayloadEntropy histogram (lib/decode/entropy.c) on
 * payload-like bytes from a capture, without the rest of decoding.
 *
 *   build/bench/entropy-bench [PCAP] [REPS]
 *
 * PCAP defaults to bench-data/bench-100MB.pcap, REPS (repetitions, the
 * minimum of which is printed) to 15. Every frame longer than 54 bytes is
 * loaded into memory first, then timed in batches of 16 that are read
 * into the cache untimed beforehand (decoding has just read a frame when
 * it asks for entropy). Two passes:
 *
 *   fill      histogram_fill + histogram_entropy over the bytes after the
 *             first 54 (Ethernet + IPv4 + TCP without options), the
 *             innermost payload's histogram;
 *   resolve   entropy_resolve over three nested requests per frame, the
 *             bytes after 54, 34 and 14 (TCP, IPv4 and Ethernet payload
 *             for the commonest frame), as decoding asks for them.
 *
 * Each prints ns/packet and ns/byte (bytes of the innermost range) and a
 * hash of the entropies' bits, to check that another version of
 * entropy.c gives bit-identical values. ENTROPY_BENCH_LEN=MIN-MAX times
 * only the packets whose innermost range has MIN <= bytes < MAX. Compile with
 * -DENTROPY_C='"/path/to/entropy.c"' to time another version. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef ENTROPY_C
#define ENTROPY_C "../lib/decode/entropy.c"
#endif
#include ENTROPY_C

struct frame {
	const uint8_t *data;
	uint32_t len;
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t hash_double(uint64_t h, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	for (int i = 0; i < 8; i++)
		h = (h ^ ((bits >> (8 * i)) & 0xff)) * 0x100000001b3ull;
	return h;
}

#define SKIP 54
/* Packets timed together, after being brought into the cache. */
#define BATCH 16
static volatile uint8_t sink;

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "bench-data/bench-100MB.pcap";
	int reps = argc > 2 ? atoi(argv[2]) : 15;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "entropy-bench: %s\n", err);
		return 1;
	}
	size_t n = 0, cap = 1 << 16;
	struct frame *f = malloc(cap * sizeof *f);
	uint64_t inner_bytes = 0;
	struct pcap_pkthdr *ph;
	const u_char *pd;
	/* ENTROPY_BENCH_LEN=MIN-MAX keeps the packets with MIN <= innermost
	 * range < MAX bytes (to time one size class). */
	unsigned long min_len = 1, max_len = ~0ul;
	const char *range = getenv("ENTROPY_BENCH_LEN");
	if (range && sscanf(range, "%lu-%lu", &min_len, &max_len) != 2) {
		fprintf(stderr, "entropy-bench: ENTROPY_BENCH_LEN=MIN-MAX\n");
		return 2;
	}
	if (!f || reps < 1)
		return 2;
	while (pcap_next_ex(p, &ph, &pd) == 1) {
		if (ph->caplen < SKIP + (min_len ? min_len : 1) || ph->caplen - SKIP >= max_len)
			continue;
		if (n == cap && !(f = realloc(f, (cap *= 2) * sizeof *f)))
			return 1;
		uint8_t *copy = malloc(ph->caplen);
		if (!copy)
			return 1;
		memcpy(copy, pd, ph->caplen);
		f[n++] = (struct frame){ copy, ph->caplen };
		inner_bytes += ph->caplen - SKIP;
	}
	pcap_close(p);
	if (!n) {
		fprintf(stderr, "entropy-bench: no frame of more than %d bytes in %s\n", SKIP, path);
		return 1;
	}
	entropy_init();

	static const char *names[] = { "fill", "resolve" };
	for (int mode = 0; mode < 2; mode++) {
		double best = 1e300;
		uint64_t hash = 0;
		for (int rep = 0; rep < reps; rep++) {
			uint64_t h = 0xcbf29ce484222325ull;
			double t = 0;
			for (size_t first = 0; first < n; first += BATCH) {
				size_t last = first + BATCH < n ? first + BATCH : n;
				/* Decoding has just read the frames (headers, and
				 * the payload when copying it in): bring the batch
				 * into the cache, untimed. */
				uint8_t touch = 0;
				for (size_t i = first; i < last; i++)
					for (uint32_t j = 0; j < f[i].len; j += 64)
						touch ^= f[i].data[j];
				sink ^= touch;
				double t0 = now_ns();
				for (size_t i = first; i < last; i++) {
					if (mode == 0) {
						struct histogram hist;
						histogram_fill(&hist, f[i].data + SKIP, f[i].len - SKIP);
						h = hash_double(h, histogram_entropy(&hist));
					} else {
						static struct packet pkt;
						double e[3];
						pkt.data = f[i].data;
						pkt.cap_len = f[i].len;
						pkt.n_entropy = 3;
						pkt.entropy[0] = (struct entropy_request){ &e[0], 14, f[i].len };
						pkt.entropy[1] = (struct entropy_request){ &e[1], 34, f[i].len };
						pkt.entropy[2] = (struct entropy_request){ &e[2], SKIP, f[i].len };
						entropy_resolve(&pkt);
						h = hash_double(hash_double(hash_double(h, e[0]), e[1]), e[2]);
					}
				}
				t += now_ns() - t0;
			}
			if (t < best)
				best = t;
			hash = h;
		}
		printf("%-8s %zu packets, %.1f bytes/packet: min of %d %.2f ns/packet %.4f ns/byte  hash %016llx\n",
		       names[mode], n, (double)inner_bytes / n, reps, best / n, best / inner_bytes,
		       (unsigned long long)hash);
	}
	return 0;
}
