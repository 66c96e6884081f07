/* pcapmap.h: replaying classic pcap files from a memory map, without
 * copying a packet.
 *
 * DPDK's pcap PMD reads a file through libpcap (read(2) into libpcap's
 * buffer, then a copy into each mbuf): about a sixth of a worker's cycles
 * on the benchmark input, and a second pass over the file before the run
 * to count its packets (the PMD never signals the end). A classic pcap
 * file (magic a1b2c3d4 or a1b23c4d, either byte order, version 2.4) is
 * instead mapped read-only; each packet becomes an mbuf of a private pool
 * whose buffer address points at the packet's bytes in the map (chained in
 * 65,535-byte pieces past that, as mbuf lengths are 16-bit), carrying the
 * same capture time the PMD gives. The count before the run walks the
 * record headers only. Files this reader does not take (pcapng, other
 * versions, link types allowed frames over 256 KiB) still go through the
 * PMD, as does every file with --no-mmap.
 *
 * What is delivered equals what the PMD delivers, packet for packet:
 * libpcap's rules for a record's lengths are followed (a capture length
 * over the file's snapshot length is cut to it; over 262,144 bytes, or a
 * record cut short by the end of the file, ends the file with a warning),
 * and times are microseconds as DPDK 22.11's PMD stores them
 * (tests/e2e/test_engine_mmap.sh compares every record of every corpus
 * capture both ways).
 *
 * A file shortened while mapped would raise SIGBUS when its lost pages
 * are read: a handler maps zero pages over the rest of the map, and the
 * reader ends that file with a warning naming the offset. Nothing writes
 * through an mbuf of this pool, nothing else allocates from it, and the
 * maps stay until every worker has finished. */
#ifndef PIPELINE_PCAPMAP_H
#define PIPELINE_PCAPMAP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

struct input_file;
struct pcap_map;

/* Maps f->path when it is a classic pcap file this reader takes; f->map
 * stays NULL otherwise (the PMD reads it: also when the file system
 * cannot map it). f->link and f->snapshot are libpcap's (prescan_open).
 * -1 when opening the file fails or memory runs out. */
int pcapmap_open(struct input_file *f, char *err, size_t errlen);

/* Walks the record headers: sets f->packets, f->bytes and f->cut_len as
 * prescan_count does for the PMD's files. */
void pcapmap_count(struct input_file *f);

/* The pool mapped packets are drawn from: after EAL, before the run. */
int pcapmap_setup(unsigned n_mbufs);

/* Up to want packets of the file as mbufs of the pool (port as given;
 * capture time in the timestamp dynamic field, raw microseconds, flag
 * set). Returns how many; 0 also when the pool is exhausted for the
 * moment (packets in flight). */
uint16_t pcapmap_rx_burst(struct pcap_map *m, uint16_t port, struct rte_mbuf **bufs, uint16_t want);

/* True once every packet of the file has been delivered, or the file
 * ended early (a warning said why). */
bool pcapmap_done(const struct pcap_map *m);

/* The file's records in order, as the RX role reads them, for tests
 * (tests/tools/pcapmap-check.c compares them with libpcap's): *pos starts
 * at 0. Returns 1 with *p set, 0 at the end of the file, -1 at a record
 * that ends it early (why says which, and the offset). */
struct pcapmap_packet {
	uint64_t raw_time;          /* tv_sec * 10^6 + tv_usec, as DPDK 22.11's PMD */
	uint32_t caplen, len;
	const uint8_t *data;
};
int pcapmap_walk(struct pcap_map *m, uint64_t *pos, struct pcapmap_packet *p, char *why, size_t whylen);

/* Unmaps every file and frees the pool: after the workers finished. */
void pcapmap_teardown(struct input_file *files, unsigned n_files);

#endif
