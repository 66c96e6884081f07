/* bigframe.h: frames over 64 KiB in offline replay.
 *
 * pcap files carry frames of up to 262,144 bytes (GRO and BIG TCP captures
 * on Linux hosts hold 64-80 KiB TCP segments). DPDK 22.11's pcap PMD copies
 * a frame into an mbuf chain through a 16-bit length: the chain of an
 * 80,116-byte frame holds 14,580 bytes under a pkt_len of 80,116. Such a
 * chain is never read (mbufchain.h); the frame comes from here instead.
 *
 * The pre-scan (prescan.c) lists the packets over 64 KiB of every file.
 * For a file that has any, the RX role keeps a second libpcap handle on it
 * that only moves forward; when the PMD delivers one of the listed
 * packets, RX reads the whole frame from that handle into a buffer of its
 * own and hangs the buffer on the mbuf (a dynamic field and flag). The
 * worker decodes the buffer and hands it back. BIGFRAME_BUFFERS buffers exist, so
 * the memory is bounded whatever the file holds; when all are in flight
 * an offline RX waits, as it does for a full ring.
 *
 * Nothing here runs for files without such frames, nor for live input
 * (af_packet delivers at most its frame size, NICs deliver checked
 * chains). */
#ifndef PIPELINE_BIGFRAME_H
#define PIPELINE_BIGFRAME_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#define BIGFRAME_PMD_MAX 65535u       /* the largest frame the PMD carries */
#define BIGFRAME_MAX (256u << 10)     /* pcap's largest snaplen: 262,144 */
#define BIGFRAME_BUFFERS 64

struct big_frame {
	uint32_t len;
	uint8_t data[BIGFRAME_MAX];
};

struct input_file;
struct bigframe_reader;

/* Prepares a reader for every file with frames over 64 KiB, the buffers
 * and the mbuf field. Returns 0, or -1 after printing why. */
int bigframe_setup(struct input_file *files, unsigned n_files);
/* The reader of file i, or NULL when it has no such frames. */
struct bigframe_reader *bigframe_reader_of(unsigned file);
void bigframe_teardown(void);

/* Index (0-based, in the file) of the next frame the reader must supply;
 * UINT64_MAX when none is left. */
uint64_t bigframe_next(const struct bigframe_reader *r);

enum bigframe_result {
	BIGFRAME_READY,   /* *out holds the frame */
	BIGFRAME_BUSY,    /* every buffer is in flight: retry later */
	BIGFRAME_LOST,    /* the file no longer has that frame: skipped */
};
/* Reads the frame bigframe_next() names into a free buffer. */
enum bigframe_result bigframe_take(struct bigframe_reader *r, struct big_frame **out);

extern int bigframe_field;        /* mbuf dynamic field offset, -1: none */
extern uint64_t bigframe_flag;    /* ol_flags bit set when the field holds a frame */

void bigframe_attach(struct rte_mbuf *m, struct big_frame *b);

static inline struct big_frame *bigframe_of(const struct rte_mbuf *m)
{
	if (bigframe_field < 0 || !(m->ol_flags & bigframe_flag))
		return NULL;
	return *RTE_MBUF_DYNFIELD(m, bigframe_field, struct big_frame **);
}

/* Returns a buffer once its frame is decoded. */
void bigframe_release(struct big_frame *b);

#endif
