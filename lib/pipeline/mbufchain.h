/* mbufchain.h: a received packet's bytes, from an mbuf chain that is
 * checked before a byte of it is read.
 *
 * A frame larger than one mbuf arrives as a chain of segments. PMDs are
 * input too: DPDK 22.11's pcap PMD, for one, builds the chain of a frame
 * over 64 KiB with 16-bit lengths, so pkt_len says 80,116 while the
 * segments hold 14,580 bytes, and rte_pktmbuf_read() then walks off the end
 * of the chain. So the worker never trusts a chain: the segments must hold
 * exactly pkt_len bytes, in exactly nb_segs segments, each inside its
 * buffer. A chain that disagrees with itself is counted and not decoded.
 *
 * No EAL call: the fuzz target tests/fuzz/fuzz_mbufchain.c builds chains of
 * plain structs. */
#ifndef PIPELINE_MBUFCHAIN_H
#define PIPELINE_MBUFCHAIN_H

#include <stdint.h>

#include <rte_mbuf_core.h>

enum mbuf_chain_fault {
	MBUF_CHAIN_OK,
	MBUF_CHAIN_SHORT,        /* the segments hold fewer bytes than pkt_len */
	MBUF_CHAIN_LONG,         /* more bytes than pkt_len, or segments past nb_segs */
	MBUF_CHAIN_SEGMENTS,     /* fewer segments than nb_segs */
	MBUF_CHAIN_OUTSIDE,      /* a segment's data runs outside its buffer */
	MBUF_CHAIN_FAULTS
};

extern const char *const mbuf_chain_fault_names[MBUF_CHAIN_FAULTS];

/* Checks m's chain; MBUF_CHAIN_OK when its lengths agree. */
enum mbuf_chain_fault mbuf_chain_check(const struct rte_mbuf *m);

/* The packet's bytes: *data points into m itself when the frame is one
 * segment, else the chain is copied into buf (at most cap bytes: a frame
 * past cap is cut there, as a snaplen would). Returns the bytes at *data,
 * 0 for a chain that fails mbuf_chain_check() (*fault says why; nothing
 * was read beyond the mbuf headers). */
uint32_t mbuf_chain_bytes(const struct rte_mbuf *m, uint8_t *buf, uint32_t cap,
			  const uint8_t **data, enum mbuf_chain_fault *fault);

#endif
