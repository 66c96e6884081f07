/* split-by-flow: splits a capture into N pcap files that each hold whole
 * flows, for netcap --files-as-queues (each file one worker's RX queue,
 * with no dispatcher: docs/architecture.md, "Roles and lcores").
 *
 *   split-by-flow IN N OUTPREFIX
 *       reads IN (pcap or pcapng, through libpcap) and writes
 *       OUTPREFIX.0.pcap ... OUTPREFIX.<N-1>.pcap, with IN's link type and
 *       snaplen, each packet unchanged (time to the nanosecond) into file
 *       flow_hash_worker(flow_hash_symmetric(packet), N): the hash the
 *       dispatcher uses (lib/flow/flowhash.h), so both directions of a
 *       connection and every fragment of a datagram land in one file.
 *       Packets the hash cannot parse (a link type without a tuple, or
 *       neither IP nor MACs) hash to 0: file 0. Prints "FILE: P packets"
 *       for each file written.
 *
 * The hash is keyed with a fixed key, so the same capture always splits
 * the same way (netcap draws its own key per run; it does not need this
 * one). A file cut short mid-packet is split up to the cut, with a
 * warning, as netcap replays it. Exit status 0, 1 with a message naming
 * the file, or 2 for bad arguments. scripts/split-by-flow.sh runs it. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flowhash.h"

#define MAX_FILES 256

static void usage(void)
{
	fprintf(stderr, "usage: split-by-flow IN N OUTPREFIX   (writes OUTPREFIX.0.pcap ... OUTPREFIX.<N-1>.pcap; N from 1 to %d)\n",
		MAX_FILES);
	exit(2);
}

struct output {
	char path[4096];
	pcap_dumper_t *dumper;
	unsigned long long packets;
};

/* Opens prefix.0.pcap ... prefix.<n-1>.pcap; the number opened (n unless
 * one could not be, after saying why). */
static unsigned open_outputs(pcap_t *dead, const char *prefix, struct output *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		snprintf(out[i].path, sizeof out[i].path, "%s.%u.pcap", prefix, i);
		if (!(out[i].dumper = pcap_dump_open(dead, out[i].path))) {
			fprintf(stderr, "split-by-flow: %s: %s\n", out[i].path, pcap_geterr(dead));
			return i;
		}
	}
	return n;
}

/* Flushes and closes out; -1 after saying why when its bytes did not all
 * reach the file. */
static int close_output(struct output *out)
{
	int rc = 0;
	if (pcap_dump_flush(out->dumper) < 0 || ferror(pcap_dump_file(out->dumper))) {
		fprintf(stderr, "split-by-flow: %s: cannot write: %s\n", out->path, strerror(errno));
		rc = -1;
	}
	pcap_dump_close(out->dumper);
	return rc;
}

/* Writes every packet of in to its flow's file. */
static void split(pcap_t *in, const char *in_path, struct output *out, unsigned n)
{
	int link = pcap_datalink(in), got;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned long long packets = 0;
	while ((got = pcap_next_ex(in, &hdr, &data)) == 1) {
		struct output *o = &out[flow_hash_worker(flow_hash_symmetric(data, hdr->caplen, link), n)];
		pcap_dump((u_char *)o->dumper, hdr, data);
		o->packets++;
		packets++;
	}
	if (got == PCAP_ERROR)
		fprintf(stderr, "split-by-flow: warning: %s: %s after %llu packets; the rest is not split\n", in_path,
			pcap_geterr(in), packets);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		usage();
	const char *in_path = argv[1], *prefix = argv[3];
	char *end;
	unsigned long n = strtoul(argv[2], &end, 10);
	if (*end || end == argv[2] || n < 1 || n > MAX_FILES)
		usage();

	static const uint8_t key[FLOW_HASH_KEY_LEN] = "split-by-flow!!";
	if (flow_hash_init(key) != 0) {
		fprintf(stderr, "split-by-flow: cannot set the flow hash key\n");
		return 1;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline_with_tstamp_precision(in_path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!in) {
		fprintf(stderr, "split-by-flow: %s: %s\n", in_path, err);
		return 1;
	}
	/* Nanosecond pcap files: no capture time loses a digit, whatever
	 * precision IN has. */
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(pcap_datalink(in), pcap_snapshot(in),
							    PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		fprintf(stderr, "split-by-flow: out of memory\n");
		pcap_close(in);
		return 1;
	}
	static struct output out[MAX_FILES];
	unsigned opened = open_outputs(dead, prefix, out, (unsigned)n);
	int rc = opened == n ? 0 : 1;
	if (rc == 0)
		split(in, in_path, out, (unsigned)n);
	for (unsigned i = 0; i < opened; i++) {
		if (close_output(&out[i]) < 0)
			rc = 1;
		else if (rc == 0)
			printf("%s: %llu packets\n", out[i].path, out[i].packets);
	}
	pcap_close(dead);
	pcap_close(in);
	return rc;
}
