/* fuzz_mbufchain.c: libFuzzer target for the worker's mbuf chain check and
 * copy (lib/pipeline/mbufchain.c), the only code that reads a packet out
 * of a PMD's mbufs.
 *
 * The input describes a chain: byte 0 the nb_segs the first mbuf claims,
 * bytes 1-4 its pkt_len (little endian, the top bits masked to 20 bits:
 * frames up to 1 MiB), then per segment (up to MAX_SEGS) 7 bytes: buf_len,
 * data_off, data_len (16 bits each) and the index of the next segment
 * (>= the count: none; any other index, loops included). Every buffer is a
 * heap block of exactly buf_len bytes, so AddressSanitizer reports any read
 * outside it. When the check accepts a chain, the copy must equal the
 * segments' bytes in order, cut at the cap; when it refuses one, nothing
 * may have been read (the data pointer stays NULL).
 *
 * Build: make fuzz (build/fuzz/fuzz_mbufchain). Seeds: seed_mbufchain.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/mbufchain.h"

#define MAX_SEGS 64
#define CAP (256u << 10)

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 5)
		return 0;
	static struct rte_mbuf seg[MAX_SEGS];
	static uint8_t *buffers[MAX_SEGS];
	static uint8_t copy[CAP], expect[CAP];
	unsigned n = (unsigned)((size - 5) / 7);
	if (n == 0)
		return 0;
	if (n > MAX_SEGS)
		n = MAX_SEGS;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = in + 5 + 7 * i;
		uint16_t buf_len = le16(d);
		buffers[i] = malloc(buf_len ? buf_len : 1);
		for (unsigned k = 0; k < buf_len; k++)
			buffers[i][k] = (uint8_t)(i + k * 31);
		seg[i] = (struct rte_mbuf){ .buf_addr = buffers[i], .buf_len = buf_len,
					   .data_off = le16(d + 2), .data_len = le16(d + 4),
					   .next = d[6] < n ? &seg[d[6]] : NULL };
	}
	seg[0].nb_segs = in[0];
	seg[0].pkt_len = (uint32_t)(in[1] | in[2] << 8 | in[3] << 16 | (in[4] & 0x0f) << 24) & 0xfffff;

	const uint8_t *data = NULL;
	enum mbuf_chain_fault fault;
	uint32_t len = mbuf_chain_bytes(&seg[0], copy, CAP, &data, &fault);
	if (fault != MBUF_CHAIN_OK) {
		if (len != 0 || data != NULL)
			abort();
	} else {
		/* What the chain holds, walked here independently. */
		uint32_t want = 0;
		const struct rte_mbuf *s = &seg[0];
		for (unsigned i = 0; i < seg[0].nb_segs && want < CAP; i++, s = s->next) {
			uint32_t take = s->data_len < CAP - want ? s->data_len : CAP - want;
			memcpy(expect + want, (const uint8_t *)s->buf_addr + s->data_off, take);
			want += take;
		}
		if (want != (seg[0].pkt_len < CAP ? seg[0].pkt_len : CAP) || len != want || !data ||
		    memcmp(data, expect, len) != 0)
			abort();
	}
	for (unsigned i = 0; i < n; i++)
		free(buffers[i]);
	return 0;
}
