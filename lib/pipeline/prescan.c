/* prescan.c: reading each pcap and pcapng file once before the replay.
 *
 * DPDK's pcap PMD never signals the end of a file: rx_burst just returns 0
 * forever. So each file is read once through libpcap first (the PMD reads
 * it with the same library, so both stop at the same packet, even in a
 * file cut short), which gives the exact number of packets the PMD will
 * deliver, the bytes for the progress line, and the link type the PMD does
 * not report, and the packets too large for the PMD (over 64 KiB:
 * bigframe.h). The scan also warms the page cache for the replay.
 *
 * Opening (a clear error for a file that is not a capture) happens before
 * EAL starts; counting reads the whole file and runs on a thread of its own
 * while EAL initialises (about as long: 0.1 s for 400 MB here). */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/bigframe.h"
#include "pipeline/pipeline.h"

int prescan_open(struct input_file *f, char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct stat st;
	if (stat(f->path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", f->path);
		return -1;
	}
	f->file_size = (uint64_t)st.st_size;
	pcap_t *p = pcap_open_offline(f->path, pcap_err);
	if (!p) {
		snprintf(err, errlen, "%s: not a readable pcap or pcapng file: %s", f->path, pcap_err);
		return -1;
	}
	f->link = pcap_datalink(p);
	f->cut_len = UINT32_MAX;
	f->snapshot = (uint32_t)pcap_snapshot(p);
	pcap_close(p);
	return 0;
}

/* Remembers packet `index` as one the pcap PMD cannot carry. False when
 * out of memory: the count then stops there, and so does the replay. */
static bool note_oversize(struct input_file *f, uint64_t index, uint64_t *room)
{
	if (f->n_oversize == *room) {
		uint64_t want = *room ? *room * 2 : 64;
		uint64_t *grown = realloc(f->oversize, want * sizeof *grown);
		if (!grown) {
			fprintf(stderr, "netcap: warning: %s: out of memory listing frames over 64 KiB; the input ends before packet %llu\n",
				f->path, (unsigned long long)index + 1);
			return false;
		}
		f->oversize = grown;
		*room = want;
	}
	f->oversize[f->n_oversize++] = index;
	return true;
}

void prescan_count(struct input_file *f)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(f->path, pcap_err);
	if (!p) { /* opened a moment ago: replaced or removed since */
		fprintf(stderr, "netcap: warning: %s: %s; its input is skipped\n", f->path, pcap_err);
		return;
	}
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc;
	uint64_t room = 0;
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		if (hdr->caplen > BIGFRAME_PMD_MAX && !note_oversize(f, f->packets, &room))
			break;
		f->packets++;
		f->bytes += hdr->caplen;
		if (hdr->caplen < hdr->len && hdr->caplen < f->cut_len)
			f->cut_len = hdr->caplen;
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "netcap: warning: %s: %s after %llu packets; the rest is skipped\n",
			f->path, pcap_geterr(p), (unsigned long long)f->packets);
	pcap_close(p);
}
