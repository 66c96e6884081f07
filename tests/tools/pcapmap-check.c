/* pcapmap-check: reads capture files both through libpcap and through
 * netcap's mapped reader (lib/pipeline/pcapmap.h) and compares them packet
 * by packet: capture time as the pcap PMD stores it, captured and wire
 * lengths, every byte, and where (and whether) each ends early.
 *
 *   pcapmap-check FILE...
 *
 * Files the mapped reader does not take (pcapng, other versions, link
 * types libpcap rewrites) are counted and skipped: the PMD reads those.
 * Prints each difference and a summary line; exit status 0 when there was
 * none, 1 otherwise, 2 for no arguments. tests/e2e/test_engine_mmap.sh
 * runs it over the whole corpus. */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/pipeline.h"

struct totals {
	unsigned files, mapped, unmapped, unreadable, ended_early;
	uint64_t packets, differences;
};

static void differ(struct totals *t, const char *path, uint64_t index, const char *what, uint64_t libpcap, uint64_t mapped)
{
	if (t->differences++ < 50)
		printf("%s: packet %" PRIu64 ": %s: libpcap %" PRIu64 ", mapped %" PRIu64 "\n", path, index + 1, what,
		       libpcap, mapped);
}

static void check_file(struct totals *t, const char *path)
{
	char err[PCAP_ERRBUF_SIZE + 256];
	t->files++;
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		t->unreadable++;
		return;
	}
	struct input_file f = { .path = path, .link = pcap_datalink(p), .snapshot = (uint32_t)pcap_snapshot(p) };
	if (pcapmap_open(&f, err, sizeof err) < 0) {
		printf("%s: %s\n", path, err);
		t->differences++;
		pcap_close(p);
		return;
	}
	if (!f.map) {
		t->unmapped++;
		pcap_close(p);
		return;
	}
	t->mapped++;
	uint64_t pos = 0, index = 0;
	for (;; index++) {
		struct pcap_pkthdr *hdr;
		const u_char *data;
		struct pcapmap_packet mp;
		char why[256] = "";
		int lrc = pcap_next_ex(p, &hdr, &data);
		int mrc = pcapmap_walk(f.map, &pos, &mp, why, sizeof why);
		if (lrc == 1 && mrc == 1) {
			uint64_t raw = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
			if (raw != mp.raw_time)
				differ(t, path, index, "time", raw, mp.raw_time);
			if (hdr->caplen != mp.caplen)
				differ(t, path, index, "caplen", hdr->caplen, mp.caplen);
			else if (memcmp(data, mp.data, hdr->caplen) != 0)
				differ(t, path, index, "bytes", 0, 1);
			if (hdr->len != mp.len)
				differ(t, path, index, "len", hdr->len, mp.len);
			t->packets++;
			continue;
		}
		/* Both must end here, alike: at the end (libpcap -2, mapped 0)
		 * or at a bad record (-1 both). */
		bool libpcap_error = lrc == PCAP_ERROR, mapped_error = mrc < 0;
		if (lrc == 1 || mrc == 1 || libpcap_error != mapped_error)
			differ(t, path, index, "end (1 packet, 0 end, -1 error)", (uint64_t)(int64_t)(lrc == PCAP_ERROR_BREAK ? 0 : lrc),
			       (uint64_t)(int64_t)mrc);
		else if (libpcap_error)
			t->ended_early++;
		break;
	}
	pcapmap_teardown(&f, 1);
	pcap_close(p);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pcapmap-check FILE...\n");
		return 2;
	}
	struct totals t = { 0 };
	for (int i = 1; i < argc; i++)
		check_file(&t, argv[i]);
	printf("pcapmap-check: %u files: %u mapped (%" PRIu64 " packets, %u ending early at a bad record), "
	       "%u left to the PMD, %u not captures; %" PRIu64 " differences\n",
	       t.files, t.mapped, t.packets, t.ended_early, t.unmapped, t.unreadable, t.differences);
	return t.differences ? 1 : 0;
}
