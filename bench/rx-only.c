/* rx-only.c: the ceiling of an offline NETCAP run, "pure RX".
 *
 *   rx-only [-q] [--mapped] FILE [-- EAL arguments]
 *
 * Reads FILE through DPDK's pcap PMD exactly as netcap's input does, and
 * does nothing with the packets: libpcap counts the packets first (the PMD
 * never signals end of file), then one lcore calls rte_eth_rx_burst for at
 * most the packets still due, sums their lengths as netcap's RX counters do,
 * and frees them with rte_pktmbuf_free_bulk until every packet has arrived.
 * Same mempool (RTE_MBUF_DEFAULT_BUF_SIZE buffers), same 4096 RX
 * descriptors, same scatter offload, same default EAL arguments
 * (--no-huge -m 512 --no-pci --no-shconf --no-telemetry -l 0).
 *
 * --mapped reads FILE as netcap does by default instead (a classic pcap
 * file from a memory map, lib/pipeline/pcapmap.h: the count walks the
 * record headers, each packet an mbuf pointing into the map), with the
 * same pool size, for the ceiling of that input.
 *
 * Prints one line like netcap's summary, timed the same way (from the first
 * rx_burst to the last packet freed, EAL start-up and the pre-count left
 * out):
 *   rx-only: packets N (B bytes) in S s: M Mpps, R MB/s
 * Exit status 0, or 1 when the PMD stalls (5 s without a packet) or fails. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "pipeline/pipeline.h"

#define BURST 32
/* netcap's pool for one worker: ring 2048 + bursts + caches + 4096. */
#define POOL_MBUFS (2048 + 3 * BURST * 4 + 512 + 4096)
#define STALL_SECONDS 5

static uint64_t count_packets(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "rx-only: %s: %s\n", path, err);
		exit(2);
	}
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t n = 0;
	while (pcap_next_ex(p, &hdr, &data) == 1)
		n++;
	pcap_close(p);
	return n;
}

static void report(int quiet, uint64_t received, uint64_t bytes, double secs)
{
	if (!quiet)
		printf("rx-only: packets %llu (%llu bytes) in %.3f s: %.3f Mpps, %.1f MB/s\n",
		       (unsigned long long)received, (unsigned long long)bytes, secs,
		       secs > 0 ? received / secs / 1e6 : 0, secs > 0 ? bytes / secs / 1e6 : 0);
}

/* --mapped: the same loop over netcap's mapped reader. */
static int rx_mapped(struct input_file *f, uint64_t expected, int quiet)
{
	if (pcapmap_setup(POOL_MBUFS) < 0)
		return 1;
	struct rte_mbuf *bufs[BURST];
	uint64_t received = 0, bytes = 0, hz = rte_get_tsc_hz();
	uint64_t t0 = rte_get_tsc_cycles();
	while (received < expected && !pcapmap_done(f->map)) {
		uint16_t want = expected - received < BURST ? (uint16_t)(expected - received) : BURST;
		uint16_t got = pcapmap_rx_burst(f->map, 0, bufs, want);
		received += got;
		for (unsigned k = 0; k < got; k++)
			bytes += bufs[k]->pkt_len;
		rte_pktmbuf_free_bulk(bufs, got);
	}
	report(quiet, received, bytes, (double)(rte_get_tsc_cycles() - t0) / (double)hz);
	pcapmap_teardown(f, 1);
	rte_eal_cleanup();
	return received == expected ? 0 : 1;
}

int main(int argc, char **argv)
{
	int quiet = 0, mapped = 0, i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "--mapped") == 0)
			mapped = 1;
		else
			break;
	}
	if (i >= argc || argv[i][0] == '-') {
		fprintf(stderr, "usage: rx-only [-q] [--mapped] FILE [-- EAL arguments]\n");
		return 2;
	}
	const char *path = argv[i++];
	if (strpbrk(path, ",=")) {
		fprintf(stderr, "rx-only: %s: DPDK device arguments cannot carry ',' or '='\n", path);
		return 2;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	static struct input_file file;
	uint64_t expected = 0;
	if (mapped) {
		char err[1024];
		file.path = path;
		if (prescan_open(&file, err, sizeof err) < 0 || pcapmap_open(&file, err, sizeof err) < 0) {
			fprintf(stderr, "rx-only: %s\n", err);
			return 2;
		}
		if (!file.map) {
			fprintf(stderr, "rx-only: %s: not a classic pcap file netcap maps\n", path);
			return 2;
		}
		pcapmap_count(&file);
		expected = file.packets;
	} else {
		expected = count_packets(path);
	}

	static char vdev[4200];
	snprintf(vdev, sizeof vdev, "--vdev=net_pcap_rxonly0,rx_pcap=%s", path);
	char *eal[64];
	int n = 0;
	eal[n++] = argv[0];
	int user_l = 0, user_m = 0;
	for (int k = i; k < argc; k++) {
		if (!strcmp(argv[k], "-l") || !strcmp(argv[k], "-c") || !strncmp(argv[k], "--lcores", 8))
			user_l = 1;
		if (!strcmp(argv[k], "-m") || !strcmp(argv[k], "--no-huge"))
			user_m = 1;
	}
	if (!user_l) {
		eal[n++] = "-l";
		eal[n++] = "0";
	}
	if (!user_m) {
		eal[n++] = "--no-huge";
		eal[n++] = "-m";
		eal[n++] = "512";
	}
	eal[n++] = "--no-pci";
	eal[n++] = "--no-shconf";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--log-level=lib.eal:error";
	eal[n++] = vdev;
	for (; i < argc && n < 63; i++)
		eal[n++] = argv[i];
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "rx-only: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	if (mapped)
		return rx_mapped(&file, expected, quiet);
	uint16_t port;
	if (rte_eth_dev_get_port_by_name("net_pcap_rxonly0", &port) != 0) {
		fprintf(stderr, "rx-only: the pcap PMD did not create its port\n");
		return 1;
	}
	struct rte_mempool *pool = rte_pktmbuf_pool_create("rxonly_mbufs", POOL_MBUFS, 256, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "rx-only: mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = { 0 };
	int rc = rte_eth_dev_info_get(port, &info);
	if (rc == 0 && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	uint16_t rxd = 4096, txd = 512;
	if (rc == 0)
		rc = rte_eth_dev_configure(port, 1, info.max_tx_queues ? 1 : 0, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, rxd, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc == 0 && info.max_tx_queues)
		rc = rte_eth_tx_queue_setup(port, 0, txd, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc < 0) {
		fprintf(stderr, "rx-only: port set-up: %s\n", rte_strerror(-rc));
		return 1;
	}

	struct rte_mbuf *bufs[BURST];
	uint64_t received = 0, bytes = 0, idle_since = 0, hz = rte_get_tsc_hz();
	int stalled = 0;
	uint64_t t0 = rte_get_tsc_cycles();
	while (received < expected) {
		uint16_t want = expected - received < BURST ? (uint16_t)(expected - received) : BURST;
		uint16_t got = rte_eth_rx_burst(port, 0, bufs, want);
		if (got == 0) {
			uint64_t now = rte_get_tsc_cycles();
			if (!idle_since)
				idle_since = now;
			else if (now - idle_since > STALL_SECONDS * hz) {
				stalled = 1;
				break;
			}
			continue;
		}
		idle_since = 0;
		received += got;
		for (unsigned k = 0; k < got; k++)
			bytes += bufs[k]->pkt_len;
		rte_pktmbuf_free_bulk(bufs, got);
	}
	double secs = (double)(rte_get_tsc_cycles() - t0) / (double)hz;
	if (stalled)
		fprintf(stderr, "rx-only: %llu of %llu packets, then nothing for %d s\n", (unsigned long long)received,
			(unsigned long long)expected, STALL_SECONDS);
	report(quiet, received, bytes, secs);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	return stalled ? 1 : 0;
}
