/* capfilter.c: see capfilter.h. */
#define ALLOW_EXPERIMENTAL_API /* rte_bpf_convert */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <pcap/pcap.h>

#include "pipeline/capfilter.h"

static const char *link_name(int link)
{
	const char *name = pcap_datalink_val_to_name(link);
	return name ? name : "unknown";
}

/* "--bpf 'EXPR'", and the link type unless it is Ethernet's. */
static void what(char *buf, size_t len, const char *expr, int link)
{
	if (link == DLT_EN10MB)
		snprintf(buf, len, "--bpf '%s'", expr);
	else
		snprintf(buf, len, "--bpf '%s' (for link type %s, %d)", expr, link_name(link), link);
}

int capfilter_compile(struct capfilter *f, const char *expr, const int *links, unsigned n,
		      char *err, size_t errlen)
{
	char where[1024];
	*f = (struct capfilter){ .expr = expr };
	for (unsigned i = 0; i < n; i++) {
		if (capfilter_for(f, links[i]))
			continue;
		what(where, sizeof where, expr, links[i]);
		if (f->n == CAPFILTER_MAX_LINKS) {
			snprintf(err, errlen, "%s: more than %d link types among the inputs", where, CAPFILTER_MAX_LINKS);
			goto fail;
		}
		pcap_t *p = pcap_open_dead(links[i], CAPFILTER_SNAPLEN);
		struct bpf_program *bp = calloc(1, sizeof *bp);
		if (!p || !bp) {
			snprintf(err, errlen, "%s: %s", where, p ? "out of memory" : "libpcap cannot open a handle for this link type");
			if (p)
				pcap_close(p);
			free(bp);
			goto fail;
		}
		if (pcap_compile(p, bp, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "%s: invalid capture filter: %s", where, pcap_geterr(p));
			pcap_close(p);
			free(bp);
			goto fail;
		}
		pcap_close(p);
		struct capfilter_prog *prog = &f->prog[f->n++];
		*prog = (struct capfilter_prog){ .link = links[i], .cbpf = bp, .cbpf_insns = bp->bf_len };
	}
	return 0;
fail:
	capfilter_free(f);
	return -1;
}

/* Two bugs of DPDK 22.11 (still upstream as of this writing) that turn a
 * converted tcpdump expression into a wrong or crashing program, worked
 * around here on the converted instructions:
 *
 * - rte_bpf_convert maps cBPF's BPF_LD|BPF_IND (a load at X + k, as in
 *   "tcp[13]" or "tcp[tcpflags]", after `ldxb 4*([14]&0xf)`) with the
 *   index register of a BPF_K operand, r0 (cBPF's A), instead of r7 (X):
 *   the load reads at A + k. (It tests the BPF_X bit, which for a load is
 *   part of the size: 2-byte loads, the ports, come out right by chance;
 *   1- and 4-byte loads do not.) Every BPF_IND load of a converted program
 *   comes from cBPF, whose index is always X: its src_reg is set to r7.
 * - the x86-64 JIT encodes `test $imm, %reg` (opcode F7 /0, which takes a
 *   32-bit immediate) with a one-byte immediate when the value fits in 8
 *   bits: a BPF_JSET with such an immediate (`jset #0x2` for tcp-syn)
 *   becomes garbage code that crashes. Each is rewritten as
 *   `mov r9, imm; jset dst, r9` (the register form is encoded right, and
 *   converted programs never use r9), every jump offset moved to match.
 *
 * Returns a malloc'd copy of the n instructions, fixed (*n updated); NULL
 * when out of memory or a jump would not fit 16 bits. */
static bool jset_imm8(const struct ebpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_JSET | BPF_K) && in->imm == (int8_t)in->imm;
}

struct ebpf_insn *capfilter_fix_converted(const struct ebpf_insn *ins, uint32_t *n)
{
	uint32_t extra = 0;
	for (uint32_t i = 0; i < *n; i++)
		extra += jset_imm8(&ins[i]);
	uint32_t m = *n + extra;
	uint32_t *at = malloc((*n + 1) * sizeof *at); /* old index -> new index */
	struct ebpf_insn *out = malloc(m * sizeof *out);
	if (!at || !out)
		goto fail;
	for (uint32_t i = 0, k = 0; i <= *n; i++) {
		at[i] = k;
		k += i < *n ? 1 + jset_imm8(&ins[i]) : 0;
	}
	for (uint32_t i = 0; i < *n; i++) {
		struct ebpf_insn in = ins[i];
		uint32_t p = at[i];
		if (BPF_CLASS(in.code) == BPF_LD && BPF_MODE(in.code) == BPF_IND)
			in.src_reg = EBPF_REG_7;
		if (jset_imm8(&in)) {
			out[p++] = (struct ebpf_insn){ .code = EBPF_ALU64 | EBPF_MOV | BPF_K, .dst_reg = EBPF_REG_9,
						       .imm = in.imm };
			in.code = BPF_JMP | BPF_JSET | BPF_X;
			in.src_reg = EBPF_REG_9;
			in.imm = 0;
		}
		uint8_t op = BPF_OP(in.code);
		if (BPF_CLASS(in.code) == BPF_JMP && op != EBPF_CALL && op != EBPF_EXIT) {
			int64_t target = (int64_t)i + 1 + in.off;
			if (target < 0 || target > (int64_t)*n)
				goto fail; /* rte_bpf_load would refuse it anyway */
			int64_t off = (int64_t)at[target] - (int64_t)p - 1;
			if (off != (int16_t)off)
				goto fail;
			in.off = (int16_t)off;
		}
		out[p] = in;
	}
	free(at);
	*n = m;
	return out;
fail:
	free(at);
	free(out);
	return NULL;
}

int capfilter_load(struct capfilter *f, char *err, size_t errlen)
{
	char where[1024];
	for (unsigned i = 0; i < f->n; i++) {
		struct capfilter_prog *prog = &f->prog[i];
		if (prog->bpf)
			continue;
		what(where, sizeof where, f->expr, prog->link);
		struct rte_bpf_prm *prm = rte_bpf_convert(prog->cbpf);
		if (!prm) {
			snprintf(err, errlen, "%s: DPDK cannot convert its %u BPF instructions: %s", where, prog->cbpf_insns,
				 rte_strerror(rte_errno));
			return -1;
		}
		uint32_t n = prm->nb_ins;
		struct ebpf_insn *fixed = capfilter_fix_converted(prm->ins, &n);
		if (!fixed) {
			rte_free(prm);
			snprintf(err, errlen, "%s: out of memory", where);
			return -1;
		}
		struct rte_bpf_prm load = *prm;
		load.ins = fixed;
		load.nb_ins = n;
		prog->ebpf_insns = n;
		/* rte_bpf_load copies the instructions. */
		prog->bpf = rte_bpf_load(&load);
		int load_errno = rte_errno;
		free(fixed);
		rte_free(prm);
		if (!prog->bpf) {
			snprintf(err, errlen, "%s: DPDK refuses the converted program (%u instructions): %s", where,
				 prog->ebpf_insns, rte_strerror(load_errno));
			return -1;
		}
		struct rte_bpf_jit jit = { 0 };
		if (rte_bpf_get_jit(prog->bpf, &jit) == 0 && jit.func)
			prog->jit = jit.func;
		pcap_freecode(prog->cbpf);
		free(prog->cbpf);
		prog->cbpf = NULL;
	}
	return 0;
}

void capfilter_free(struct capfilter *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		struct capfilter_prog *prog = &f->prog[i];
		if (prog->cbpf) {
			pcap_freecode(prog->cbpf);
			free(prog->cbpf);
		}
		if (prog->bpf)
			rte_bpf_destroy(prog->bpf);
	}
	f->n = 0;
}

uint64_t capfilter_exec(const struct capfilter_prog *p, struct rte_mbuf *m)
{
	return p->jit ? p->jit(m) : rte_bpf_exec(p->bpf, m);
}

void capfilter_exec_burst(const struct capfilter_prog *p, void **ctx, uint64_t *rc, unsigned n)
{
	if (p->jit) {
		for (unsigned i = 0; i < n; i++)
			rc[i] = p->jit(ctx[i]);
	} else {
		rte_bpf_exec_burst(p->bpf, ctx, rc, n);
	}
}

struct rte_mbuf *capfilter_frame(struct rte_mbuf *segs, const uint8_t *data, uint32_t len)
{
	unsigned k = 0;
	uint32_t off = 0;
	if (len > CAPFILTER_SNAPLEN)
		len = CAPFILTER_SNAPLEN;
	do {
		uint32_t take = len - off < 65535 ? len - off : 65535;
		struct rte_mbuf *s = &segs[k];
		memset(s, 0, sizeof *s);
		s->buf_addr = (void *)(uintptr_t)(data + off);
		s->buf_len = (uint16_t)take;
		s->data_off = 0;
		s->data_len = (uint16_t)take;
		s->nb_segs = 1;
		if (k)
			segs[k - 1].next = s;
		off += take;
		k++;
	} while (off < len);
	segs[0].nb_segs = (uint16_t)k;
	segs[0].pkt_len = len;
	return &segs[0];
}
