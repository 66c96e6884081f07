/* entropy.c: the PayloadEntropy fields (Shannon entropy of a layer's
 * payload, in bits per byte) that Ethernet, IPv4, IPv6, TCP and UDP
 * records carry.
 *
 * With entropy on (netcap's default) this is the costliest part of
 * decoding, about half of decode_packet()'s time on the benchmark input,
 * hence the shape: decoders only note what to compute
 * (entropy_request), and once the packet is decoded entropy_resolve()
 * fills every field from one histogram, built over the innermost payload
 * and grown by the bytes around it for each outer layer (payloads nest),
 * with c log2 c read from tables rather than computed. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "decode/decode.h"

/* Entropy from a histogram of n bytes: H = log2(n) - sum(c log2 c) / n.
 * c log2 c comes from a table for the counts packets have; n log2 n terms
 * are what make per-layer entropy affordable. */
#define XLOGX_TABLE 2048
static double xlogx_table[XLOGX_TABLE];
static double log2_table[XLOGX_TABLE];    /* log2 c */
static double xlogx_step[XLOGX_TABLE];    /* xlogx(c + 1) - xlogx(c) */
static pthread_once_t xlogx_once = PTHREAD_ONCE_INIT;
static void xlogx_init(void)
{
	for (int c = 1; c < XLOGX_TABLE; c++) {
		xlogx_table[c] = c * log2(c);
		log2_table[c] = log2(c);
	}
	for (int c = 0; c + 1 < XLOGX_TABLE; c++)
		xlogx_step[c] = xlogx_table[c + 1] - xlogx_table[c];
}

void entropy_init(void)
{
	pthread_once(&xlogx_once, xlogx_init);
}

static inline double xlogx(uint32_t c)
{
	return c < XLOGX_TABLE ? xlogx_table[c] : c * log2(c);
}

struct histogram {
	uint32_t count[256];       /* a frame may hold 262,144 bytes of one value */
	double sum_xlogx;          /* sum over byte values of c log2 c */
	uint32_t n;
};

/* Ranges shorter than this (headers, small payloads: a third of the TCP and
 * UDP packets in the benchmark input) sum over their bytes, not the 256 bins. */
#define HISTOGRAM_SHORT 64

static void histogram_fill(struct histogram *h, const uint8_t *data, uint32_t len)
{
	/* One 32-bit table, a byte at a time: on the benchmark machine (AMD
	 * Zen 4) this takes a cycle a byte, its one store a cycle, runs of one
	 * value included (32-bit increments of one address do not wait on each
	 * other there). Two or four sub-histograms, 16-bit counters (6 cycles
	 * a byte on runs) and 64-bit loads all measured slower, by 5% on
	 * 1,400-byte payloads to 20-50% on 64-255-byte ones
	 * (bench/entropy-bench.c). */
	memset(h->count, 0, sizeof h->count);
	for (uint32_t i = 0; i < len; i++)
		h->count[data[i]]++;
	double sum = 0;
	if (len < HISTOGRAM_SHORT) {
		/* sum over values b of c_b log2 c_b = sum over bytes i of
		 * log2 c_(data[i]): each value's c_b bytes add log2 c_b. */
		double s0 = 0, s1 = 0;
		uint32_t i = 0;
		for (; i + 2 <= len; i += 2) {
			s0 += log2_table[h->count[data[i]]];
			s1 += log2_table[h->count[data[i + 1]]];
		}
		if (i < len)
			s0 += log2_table[h->count[data[i]]];
		sum = s0 + s1;
	} else if (len < XLOGX_TABLE) {
		/* Every count is in the table: four independent sums, whose
		 * order tests/unit/test_decode_entropy.c pins bit for bit. Their
		 * 64 dependent adds bound this loop; skipping bins of count 0 or
		 * 1 (which add exactly 0) and AVX2 gathers were both slower. */
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
		for (int b = 0; b < 256; b += 4) {
			s0 += xlogx_table[h->count[b]];
			s1 += xlogx_table[h->count[b + 1]];
			s2 += xlogx_table[h->count[b + 2]];
			s3 += xlogx_table[h->count[b + 3]];
		}
		sum = (s0 + s1) + (s2 + s3);
	} else {
		for (int b = 0; b < 256; b++)
			sum += xlogx(h->count[b]);
	}
	h->sum_xlogx = sum;
	h->n = len;
}

/* Adds a few bytes (an outer layer's header) keeping the sum current. */
static void histogram_add(struct histogram *h, const uint8_t *data, uint32_t len)
{
	if (h->n + len >= XLOGX_TABLE) {
		for (uint32_t i = 0; i < len; i++) {
			uint32_t c = h->count[data[i]]++;
			h->sum_xlogx += xlogx(c + 1) - xlogx(c);
		}
	} else {
		/* every count stays in the tables: two sums, not one long chain */
		double s0 = 0, s1 = 0;
		uint32_t i = 0;
		for (; i + 2 <= len; i += 2) {
			s0 += xlogx_step[h->count[data[i]]++];
			s1 += xlogx_step[h->count[data[i + 1]]++];
		}
		if (i < len)
			s0 += xlogx_step[h->count[data[i]]++];
		h->sum_xlogx += s0 + s1;
	}
	h->n += len;
}

static double histogram_entropy(const struct histogram *h)
{
	if (h->n == 0)
		return 0.0;
	double log2_n = h->n < XLOGX_TABLE ? log2_table[h->n] : log2(h->n);
	double e = log2_n - h->sum_xlogx / h->n;
	return e > 0 ? e : 0.0; /* rounding can leave -0.000... for one value */
}

double shannon_entropy(const uint8_t *data, uint32_t len)
{
	entropy_init();
	struct histogram h;
	histogram_fill(&h, data, len);
	return histogram_entropy(&h);
}

void entropy_request(struct decoder_ctx *ctx, struct packet *pkt, double *field,
		     const uint8_t *data, uint32_t len)
{
	if (!ctx->entropy || !field || !len)
		return;
	/* A reassembled datagram (lib/defrag) lies outside the frame: its
	 * layers' entropy is computed at once, the frame's offsets not
	 * applying to it. */
	uintptr_t at = (uintptr_t)data, frame = (uintptr_t)pkt->data;
	if (at < frame || at - frame > pkt->cap_len || len > pkt->cap_len - (at - frame)) {
		*field = shannon_entropy(data, len);
		return;
	}
	if (pkt->n_entropy >= PACKET_MAX_ENTROPY)
		return;
	uint32_t start = (uint32_t)(data - pkt->data);
	pkt->entropy[pkt->n_entropy++] = (struct entropy_request){ field, start, start + len };
}

/* Innermost payload first; each outer one adds only the bytes around it. */
void entropy_resolve(struct packet *pkt)
{
	unsigned n = pkt->n_entropy;
	struct entropy_request *r = pkt->entropy;
	for (unsigned i = 1; i < n; i++) /* insertion sort: by size, smallest first */
		for (unsigned j = i; j > 0 && r[j].end - r[j].start < r[j - 1].end - r[j - 1].start; j--) {
			struct entropy_request t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	struct histogram h;
	uint32_t s = 0, e = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i > 0 && r[i].start <= s && r[i].end >= e) {
			histogram_add(&h, pkt->data + r[i].start, s - r[i].start);
			histogram_add(&h, pkt->data + e, r[i].end - e);
		} else {
			histogram_fill(&h, pkt->data + r[i].start, r[i].end - r[i].start);
		}
		s = r[i].start;
		e = r[i].end;
		*r[i].field = histogram_entropy(&h);
	}
}
