/* capfilter.h: the capture filter (--bpf EXPR): a tcpdump expression,
 * compiled by libpcap into classic BPF for each input link type, converted
 * to eBPF by DPDK (rte_bpf_convert) and loaded with rte_bpf_load, native
 * code from DPDK's JIT where it gives some (x86-64, arm64), its
 * interpreter otherwise.
 *
 * Two steps because rte_bpf_convert allocates with rte_malloc: compiling
 * (where a bad expression fails) happens before EAL starts, converting and
 * loading after. A loaded program is read-only and its execution reentrant
 * (its registers and scratch memory are on the caller's stack), so every
 * worker runs the same one.
 *
 * The programs read the packet as BPF_LD_ABS/IND loads from an rte_mbuf,
 * through rte_pktmbuf_read(): a chain of segments is read across its
 * segments, and a load past pkt_len rejects the packet, as in the kernel.
 * Only chains that pass mbuf_chain_check() may be given to them
 * (rte_pktmbuf_read trusts the lengths). */
#ifndef PIPELINE_CAPFILTER_H
#define PIPELINE_CAPFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf_core.h>

#define CAPFILTER_MAX_LINKS 16
#define CAPFILTER_SNAPLEN 262144
/* Fake segments to show a frame of up to CAPFILTER_SNAPLEN bytes from one
 * buffer (a frame over 64 KiB, bigframe.h) as a chain of 16-bit lengths. */
#define CAPFILTER_FRAME_SEGS (CAPFILTER_SNAPLEN / 65535 + 1)

struct rte_bpf;

/* The filter compiled for one link type. */
struct capfilter_prog {
	int link;                      /* DLT_ */
	void *cbpf;                    /* struct bpf_program from pcap_compile, until loaded */
	struct rte_bpf *bpf;           /* after capfilter_load */
	uint64_t (*jit)(void *);       /* native code, NULL: interpreter */
	unsigned cbpf_insns, ebpf_insns;
};

struct capfilter {
	const char *expr;              /* NULL: no filter */
	unsigned n;
	struct capfilter_prog prog[CAPFILTER_MAX_LINKS];
};

/* Compiles expr (libpcap, optimised, netmask unknown) for each of the n
 * link types (duplicates once). No EAL needed. 0, or -1 with a message
 * naming the expression (and the link type, when not Ethernet) in err. */
int capfilter_compile(struct capfilter *f, const char *expr, const int *links, unsigned n,
		      char *err, size_t errlen);

/* Converts and loads every compiled program; needs EAL (rte_malloc).
 * 0, or -1 with a message in err. */
int capfilter_load(struct capfilter *f, char *err, size_t errlen);

/* A malloc'd copy of the n eBPF instructions rte_bpf_convert made, with
 * the work-arounds for two DPDK bugs (capfilter.c: BPF_IND loads indexed
 * by A instead of X; the x86 JIT's BPF_JSET of an 8-bit immediate); *n is
 * the new length. NULL on failure. */
struct ebpf_insn;
struct ebpf_insn *capfilter_fix_converted(const struct ebpf_insn *ins, uint32_t *n);

/* Frees the programs (compiled or loaded). */
void capfilter_free(struct capfilter *f);

/* The program for a link type, NULL if none. */
static inline const struct capfilter_prog *capfilter_for(const struct capfilter *f, int link)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->prog[i].link == link)
			return &f->prog[i];
	return NULL;
}

/* Runs the program on one packet: nonzero to keep it. */
uint64_t capfilter_exec(const struct capfilter_prog *p, struct rte_mbuf *m);

/* Runs the program on n packets: rc[i] nonzero to keep ctx[i]. */
void capfilter_exec_burst(const struct capfilter_prog *p, void **ctx, uint64_t *rc, unsigned n);

/* Describes len bytes at data as a chain of segs (CAPFILTER_FRAME_SEGS
 * of them) for the programs to read: a frame longer than one mbuf's
 * 16-bit data_len. Returns the head; nothing is copied. */
struct rte_mbuf *capfilter_frame(struct rte_mbuf *segs, const uint8_t *data, uint32_t len);

#endif
