/* test_bpf.c: the capture filter (lib/pipeline/capfilter.c, --bpf).
 *
 * Without EAL: compiling (libpcap) and its errors, the work-arounds for
 * DPDK's converter and JIT on hand-written instructions, the chain that
 * shows a frame over 64 KiB to a program. With EAL (started in the one
 * test that needs it: rte_bpf_convert allocates with rte_malloc; Criterion
 * runs every test in a process of its own): every packet of
 * tests/data/sample.pcap through DPDK's JIT and its interpreter, as one
 * segment, as a chain of 7-byte segments (loads across segment ends) and
 * through capfilter_frame, must get libpcap's own verdict (bpf_filter). */
#define ALLOW_EXPERIMENTAL_API
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bpf.h>
#include <rte_eal.h>

#include "pipeline/capfilter.h"
#include "pipeline/mbufchain.h"

#ifndef NETCAP_SOURCE_DIR
#define NETCAP_SOURCE_DIR "."
#endif

static const int ethernet = DLT_EN10MB;

Test(bpf, valid_expressions_compile_once_per_link_type)
{
	struct capfilter f;
	char err[512];
	const int links[] = { DLT_EN10MB, DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW };
	cr_assert_eq(capfilter_compile(&f, "tcp port 443 or icmp", links, 5, err, sizeof err), 0, "%s", err);
	cr_assert_eq(f.n, 3);
	cr_assert_eq(f.prog[0].link, DLT_EN10MB);
	cr_assert_eq(f.prog[1].link, DLT_RAW);
	cr_assert_eq(f.prog[2].link, DLT_LINUX_SLL);
	cr_assert_not_null(capfilter_for(&f, DLT_RAW));
	cr_assert_null(capfilter_for(&f, DLT_PPP));
	for (unsigned i = 0; i < f.n; i++) {
		cr_assert_not_null(f.prog[i].cbpf);
		cr_assert_gt(f.prog[i].cbpf_insns, 1);
		cr_assert_null(f.prog[i].bpf);
	}
	capfilter_free(&f);
	cr_assert_eq(f.n, 0);
}

Test(bpf, invalid_expressions_name_the_expression_and_libpcaps_reason)
{
	static const struct {
		const char *expr, *reason;
	} cases[] = {
		{ "tcp port", "syntax error" },
		{ "nonsense", "syntax error" },
		{ "host 999.1.1.1", "999.1.1.1" },
		{ "port 99999", "99999" },
		{ "(tcp", "syntax error" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct capfilter f;
		char err[512] = "", want[128];
		cr_assert_eq(capfilter_compile(&f, cases[i].expr, &ethernet, 1, err, sizeof err), -1, "%s", cases[i].expr);
		snprintf(want, sizeof want, "--bpf '%s'", cases[i].expr);
		cr_assert_not_null(strstr(err, want), "%s", err);
		cr_assert_not_null(strstr(err, cases[i].reason), "%s", err);
		cr_assert_eq(f.n, 0);
	}
}

Test(bpf, an_expression_wrong_for_one_link_type_names_it)
{
	struct capfilter f;
	char err[512];
	const int links[] = { DLT_EN10MB, DLT_RAW };
	cr_assert_eq(capfilter_compile(&f, "ether host 00:11:22:33:44:55", links, 2, err, sizeof err), -1);
	cr_assert_not_null(strstr(err, "link type RAW"), "%s", err);
	cr_assert_not_null(strstr(err, "--bpf 'ether host 00:11:22:33:44:55'"), "%s", err);
}

#define INS(c, d, s, o, i) ((struct ebpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* The shape rte_bpf_convert gives "tcp[tcpflags] & tcp-syn != 0" after
 * the IPv4 checks: an indexed load, a jset of 2, jumps over it. */
Test(bpf, jset_of_a_small_immediate_is_rewritten_and_jumps_follow)
{
	const struct ebpf_insn in[] = {
		/* 0 */ INS(BPF_JMP | EBPF_JNE | BPF_K, 0, 0, 4, 0x800),          /* -> 5 */
		/* 1 */ INS(BPF_LD | BPF_IND | BPF_B, 0, 0, 0, 27),               /* converter: src r0 */
		/* 2 */ INS(BPF_JMP | BPF_JSET | BPF_K, 0, 0, 1, 0x2),            /* -> 4 */
		/* 3 */ INS(BPF_JMP | BPF_JA, 0, 0, 1, 0),                        /* -> 5 */
		/* 4 */ INS(BPF_ALU | EBPF_MOV | BPF_K, 0, 0, 0, 262144),
		/* 5 */ INS(BPF_JMP | BPF_JSET | BPF_K, 0, 0, -6, 0x1fff),        /* -> 0, left alone */
		/* 6 */ INS(BPF_JMP | EBPF_EXIT, 0, 0, 0, 0),
	};
	uint32_t n = 7;
	struct ebpf_insn *out = capfilter_fix_converted(in, &n);
	cr_assert_not_null(out);
	cr_assert_eq(n, 8);
	/* new indices: 0 1 (2: mov r9) 3 4 5 6 7 */
	cr_assert_eq(out[0].off, 5, "jne over the insertion: %d", out[0].off);
	cr_assert_eq(out[1].code, BPF_LD | BPF_IND | BPF_B);
	cr_assert_eq(out[1].src_reg, EBPF_REG_7, "indexed loads use X");
	cr_assert_eq(out[2].code, EBPF_ALU64 | EBPF_MOV | BPF_K);
	cr_assert_eq(out[2].dst_reg, EBPF_REG_9);
	cr_assert_eq(out[2].imm, 2);
	cr_assert_eq(out[3].code, BPF_JMP | BPF_JSET | BPF_X);
	cr_assert_eq(out[3].src_reg, EBPF_REG_9);
	cr_assert_eq(out[3].off, 1);
	cr_assert_eq(out[4].off, 1, "ja keeps its target");
	cr_assert_eq(out[6].code, BPF_JMP | BPF_JSET | BPF_K, "a wide immediate is encoded right");
	cr_assert_eq(out[6].off, -7, "backward jump over the insertion: %d", out[6].off);
	free(out);
}

Test(bpf, a_frame_over_64k_becomes_a_consistent_chain)
{
	static uint8_t frame[CAPFILTER_SNAPLEN];
	static struct rte_mbuf segs[CAPFILTER_FRAME_SEGS];
	const uint32_t lengths[] = { 60, 65535, 65536, 200000, CAPFILTER_SNAPLEN };
	for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
		struct rte_mbuf *m = capfilter_frame(segs, frame, lengths[i]);
		cr_assert_eq(m->pkt_len, lengths[i]);
		cr_assert_eq(m->nb_segs, (lengths[i] + 65534) / 65535);
		cr_assert_eq(mbuf_chain_check(m), MBUF_CHAIN_OK, "%u bytes", lengths[i]);
		const uint8_t *at = frame;
		for (const struct rte_mbuf *s = m; s; s = s->next) {
			cr_assert_eq((const uint8_t *)s->buf_addr + s->data_off, at);
			at += s->data_len;
		}
		cr_assert_eq(at, frame + lengths[i]);
	}
}

/* ---- with EAL --------------------------------------------------------- */

#define SEG 7
#define MAX_SEGS (65536 / SEG + 2)

static struct rte_mbuf chain_seg[MAX_SEGS];

/* The packet as a chain of SEG-byte segments (the last shorter). */
static struct rte_mbuf *chain_of(const uint8_t *data, uint32_t len)
{
	unsigned k = 0;
	uint32_t off = 0;
	do {
		uint32_t take = len - off < SEG ? len - off : SEG;
		chain_seg[k] = (struct rte_mbuf){ .buf_addr = (void *)(uintptr_t)(data + off), .buf_len = SEG,
						  .data_len = (uint16_t)take, .nb_segs = 1 };
		if (k)
			chain_seg[k - 1].next = &chain_seg[k];
		off += take;
		k++;
	} while (off < len);
	chain_seg[0].nb_segs = (uint16_t)k;
	chain_seg[0].pkt_len = len;
	return &chain_seg[0];
}

static bool start_eal(void)
{
	char *argv[] = { "unit-tests", "--no-huge", "-m", "64", "--no-pci", "--no-shconf", "--no-telemetry",
			 "-l", "0", "--log-level=lib.eal:error", NULL };
	return rte_eal_init(10, argv) >= 0;
}

Test(bpf, jit_and_interpreter_agree_with_libpcap_on_every_packet)
{
	cr_assert(start_eal(), "EAL did not start");
	static const char *const exprs[] = {
		"tcp", "udp port 53", "not arp", "ip6", "arp", "icmp or icmp6", "portrange 1-1024",
		"tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-ack|tcp-push) = tcp-ack",
		"tcp[13] = 0x18", "ip[2:2] > 100", "greater 200", "less 80", "vlan", "ip6 and udp",
		"ether[0] & 1 = 1", "udp[8:2] > 0x8000", "ip and ip[8] < 64", "ether proto 0x9999",
		"(tcp or udp) and not (port 53 or port 443)",
	};
	char path[4096], perr[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/tests/data/sample.pcap", NETCAP_SOURCE_DIR);
	pcap_t *p = pcap_open_offline(path, perr);
	if (!p) {
		snprintf(path, sizeof path, "tests/data/sample.pcap");
		p = pcap_open_offline(path, perr);
	}
	cr_assert_not_null(p, "%s", perr);
	static uint8_t pkt[1024][2048];
	uint32_t len[1024];
	unsigned n = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	while (n < 1024 && pcap_next_ex(p, &h, &data) == 1) {
		len[n] = h->caplen < 2048 ? h->caplen : 2048;
		memcpy(pkt[n], data, len[n]);
		n++;
	}
	pcap_close(p);
	cr_assert_gt(n, 40);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, CAPFILTER_SNAPLEN);
	static struct rte_mbuf frame_segs[CAPFILTER_FRAME_SEGS];
	for (size_t e = 0; e < sizeof exprs / sizeof *exprs; e++) {
		struct capfilter f;
		char err[512];
		struct bpf_program ref;
		cr_assert_eq(capfilter_compile(&f, exprs[e], &ethernet, 1, err, sizeof err), 0, "%s", err);
		cr_assert_eq(capfilter_load(&f, err, sizeof err), 0, "%s", err);
		cr_assert_eq(pcap_compile(dead, &ref, exprs[e], 1, PCAP_NETMASK_UNKNOWN), 0);
		const struct capfilter_prog *prog = &f.prog[0];
		cr_assert_not_null(prog->bpf);
#if defined(RTE_ARCH_X86_64)
		cr_assert_not_null(prog->jit, "%s: no JIT on x86-64", exprs[e]);
#endif
		unsigned kept = 0;
		void *ctx[1024];
		uint64_t rc[1024];
		static struct rte_mbuf one[1024];
		for (unsigned i = 0; i < n; i++) {
			/* caplen = len: libpcap's "len" and "less"/"greater" read
			 * the wire length, the mbuf has only what was captured */
			bool want = bpf_filter(ref.bf_insns, pkt[i], len[i], len[i]) != 0;
			kept += want;
			one[i] = (struct rte_mbuf){ .buf_addr = pkt[i], .buf_len = 2048, .data_len = (uint16_t)len[i],
						    .pkt_len = len[i], .nb_segs = 1 };
			ctx[i] = &one[i];
			cr_assert_eq(rte_bpf_exec(prog->bpf, &one[i]) != 0, want, "%s: packet %u, interpreter", exprs[e], i);
			if (prog->jit)
				cr_assert_eq(prog->jit(&one[i]) != 0, want, "%s: packet %u, JIT", exprs[e], i);
			struct rte_mbuf *c = chain_of(pkt[i], len[i]);
			cr_assert_eq(mbuf_chain_check(c), MBUF_CHAIN_OK);
			cr_assert_eq(capfilter_exec(prog, c) != 0, want, "%s: packet %u as a chain", exprs[e], i);
			cr_assert_eq(rte_bpf_exec(prog->bpf, c) != 0, want, "%s: packet %u as a chain, interpreter", exprs[e], i);
			struct rte_mbuf *fr = capfilter_frame(frame_segs, pkt[i], len[i]);
			cr_assert_eq(capfilter_exec(prog, fr) != 0, want, "%s: packet %u as a frame", exprs[e], i);
		}
		capfilter_exec_burst(prog, ctx, rc, n);
		for (unsigned i = 0; i < n; i++)
			cr_assert_eq(rc[i] != 0, bpf_filter(ref.bf_insns, pkt[i], len[i], len[i]) != 0, "%s: burst, packet %u",
				     exprs[e], i);
		cr_log_info("%s: %u of %u kept, cBPF %u, eBPF %u, %s", exprs[e], kept, n, prog->cbpf_insns, prog->ebpf_insns,
			    prog->jit ? "JIT" : "interpreter");
		pcap_freecode(&ref);
		capfilter_free(&f);
	}
	pcap_close(dead);
	rte_eal_cleanup();
}
