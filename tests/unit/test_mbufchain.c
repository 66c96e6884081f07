/* test_mbufchain.c: the worker's check of an mbuf chain before it reads
 * one (lib/pipeline/mbufchain.c), on chains built by hand: no EAL, no
 * mempool, just the fields the check reads.
 *
 * The first case is the chain DPDK 22.11's pcap PMD builds for an
 * 80,116-byte frame: pkt_len 80,116, eight segments holding 14,580 bytes.
 * rte_pktmbuf_read() walked off its end; the check must refuse it. */
#include <criterion/criterion.h>
#include <string.h>

#include "pipeline/mbufchain.h"

#define SEGS 160
#define ROOM 2048
#define HEADROOM 128

static struct rte_mbuf seg[SEGS];
static uint8_t mem[SEGS][HEADROOM + ROOM];

/* n segments holding the bytes of `lengths`, chained, pkt_len = sum. */
static struct rte_mbuf *chain(unsigned n, const uint16_t *lengths)
{
	uint32_t total = 0;
	for (unsigned i = 0; i < n; i++) {
		seg[i] = (struct rte_mbuf){ .buf_addr = mem[i], .buf_len = HEADROOM + ROOM,
					   .data_off = HEADROOM, .data_len = lengths[i],
					   .next = i + 1 < n ? &seg[i + 1] : NULL };
		for (unsigned k = 0; k < lengths[i]; k++)
			mem[i][HEADROOM + k] = (uint8_t)(i * 7 + k);
		total += lengths[i];
	}
	seg[0].nb_segs = (uint16_t)n;
	seg[0].pkt_len = total;
	return &seg[0];
}

static const uint16_t full[8] = { ROOM, ROOM, ROOM, ROOM, ROOM, ROOM, ROOM, 244 };

Test(mbufchain, pcap_pmd_chain_of_an_80116_byte_frame_is_refused)
{
	struct rte_mbuf *m = chain(8, full);
	cr_assert_eq(m->pkt_len, 14580);
	m->pkt_len = 80116; /* what the PMD wrote: the caplen, not what it copied */
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_SHORT);
	static uint8_t buf[262144];
	const uint8_t *data = NULL;
	enum mbuf_chain_fault fault;
	cr_assert_eq(mbuf_chain_bytes(m, buf, sizeof buf, &data, &fault), 0);
	cr_assert_eq(fault, MBUF_CHAIN_SHORT);
	cr_assert_null(data);
}

Test(mbufchain, a_consistent_chain_is_copied_whole)
{
	struct rte_mbuf *m = chain(8, full);
	static uint8_t buf[262144];
	const uint8_t *data;
	enum mbuf_chain_fault fault;
	cr_assert_eq(mbuf_chain_bytes(m, buf, sizeof buf, &data, &fault), 14580);
	cr_assert_eq(fault, MBUF_CHAIN_OK);
	cr_assert_eq(data, buf);
	for (unsigned i = 0, at = 0; i < 8; at += full[i], i++)
		cr_assert_arr_eq(buf + at, mem[i] + HEADROOM, full[i]);
}

Test(mbufchain, one_segment_is_read_in_place)
{
	const uint16_t one[1] = { 60 };
	struct rte_mbuf *m = chain(1, one);
	const uint8_t *data;
	enum mbuf_chain_fault fault;
	cr_assert_eq(mbuf_chain_bytes(m, NULL, 0, &data, &fault), 60);
	cr_assert_eq(data, mem[0] + HEADROOM);
	m->pkt_len = 61;
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_SHORT);
	m->pkt_len = 59;
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_LONG);
}

Test(mbufchain, a_frame_past_the_cap_is_cut_there)
{
	uint16_t lengths[SEGS];
	for (unsigned i = 0; i < SEGS; i++)
		lengths[i] = ROOM;
	struct rte_mbuf *m = chain(SEGS, lengths); /* 327,680 bytes */
	static uint8_t buf[262144];
	const uint8_t *data;
	enum mbuf_chain_fault fault;
	cr_assert_eq(mbuf_chain_bytes(m, buf, sizeof buf, &data, &fault), sizeof buf);
	cr_assert_arr_eq(buf + 262144 - ROOM, mem[127] + HEADROOM, ROOM);
}

Test(mbufchain, segment_counts_and_buffers_that_lie)
{
	struct rte_mbuf *m = chain(8, full);
	m->nb_segs = 9;
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_SEGMENTS);
	m->nb_segs = 7;
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_LONG);
	m->nb_segs = 0;
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_LONG);
	m->nb_segs = 8;
	seg[3].data_off = HEADROOM + 1; /* one byte past its buffer */
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_OUTSIDE);
	seg[3].data_off = HEADROOM;
	seg[7].next = &seg[0];           /* a loop */
	cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_LONG);
}
