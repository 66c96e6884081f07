/* bigframe.c: see bigframe.h. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "pipeline/bigframe.h"
#include "pipeline/pipeline.h"

struct bigframe_reader {
	const char *path;
	pcap_t *pcap;
	uint64_t position;        /* index of the packet pcap_next_ex returns next */
	const uint64_t *wanted;   /* prescan.c's list, ascending */
	uint64_t n_wanted, done;
};

int bigframe_field = -1;
uint64_t bigframe_flag;

static struct bigframe_reader readers[CONFIG_MAX_INPUTS];
static bool has_reader[CONFIG_MAX_INPUTS];
static struct rte_ring *free_buffers;
static struct big_frame *buffers[BIGFRAME_BUFFERS];

int bigframe_setup(struct input_file *files, unsigned n_files)
{
	bool any = false;
	for (unsigned i = 0; i < n_files; i++)
		any |= files[i].n_oversize > 0;
	if (!any)
		return 0;

	static const struct rte_mbuf_dynfield field = {
		.name = "netcap_big_frame", .size = sizeof(struct big_frame *),
		.align = __alignof__(struct big_frame *),
	};
	static const struct rte_mbuf_dynflag flag = { .name = "netcap_big_frame_valid" };
	bigframe_field = rte_mbuf_dynfield_register(&field);
	int bit = rte_mbuf_dynflag_register(&flag);
	free_buffers = rte_ring_create("netcap_bigframes", rte_align32pow2(BIGFRAME_BUFFERS + 1),
				       (int)rte_socket_id(), 0);
	if (bigframe_field < 0 || bit < 0 || !free_buffers) {
		fprintf(stderr, "netcap: cannot set up the replay of frames over 64 KiB: %s\n",
			rte_strerror(rte_errno));
		bigframe_field = -1;
		return -1;
	}
	bigframe_flag = 1ull << bit;
	for (unsigned i = 0; i < BIGFRAME_BUFFERS; i++) {
		if (!(buffers[i] = malloc(sizeof *buffers[i]))) {
			fprintf(stderr, "netcap: out of memory for frames over 64 KiB\n");
			return -1;
		}
		rte_ring_enqueue(free_buffers, buffers[i]);
	}
	for (unsigned i = 0; i < n_files; i++) {
		if (!files[i].n_oversize)
			continue;
		char err[PCAP_ERRBUF_SIZE];
		struct bigframe_reader *r = &readers[i];
		*r = (struct bigframe_reader){ .path = files[i].path, .wanted = files[i].oversize,
					       .n_wanted = files[i].n_oversize };
		if (!(r->pcap = pcap_open_offline(files[i].path, err))) {
			fprintf(stderr, "netcap: %s: %s\n", files[i].path, err);
			return -1;
		}
		has_reader[i] = true;
	}
	return 0;
}

struct bigframe_reader *bigframe_reader_of(unsigned file)
{
	return file < CONFIG_MAX_INPUTS && has_reader[file] ? &readers[file] : NULL;
}

void bigframe_teardown(void)
{
	for (unsigned i = 0; i < CONFIG_MAX_INPUTS; i++) {
		if (has_reader[i])
			pcap_close(readers[i].pcap);
		has_reader[i] = false;
	}
	for (unsigned i = 0; i < BIGFRAME_BUFFERS; i++) {
		free(buffers[i]);
		buffers[i] = NULL;
	}
	rte_ring_free(free_buffers);
	free_buffers = NULL;
}

uint64_t bigframe_next(const struct bigframe_reader *r)
{
	return r->done < r->n_wanted ? r->wanted[r->done] : UINT64_MAX;
}

enum bigframe_result bigframe_take(struct bigframe_reader *r, struct big_frame **out)
{
	void *obj;
	if (rte_ring_dequeue(free_buffers, &obj) != 0)
		return BIGFRAME_BUSY;
	struct big_frame *b = obj;
	uint64_t want = bigframe_next(r);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	r->done++;
	while (r->position <= want) {
		if (pcap_next_ex(r->pcap, &hdr, &data) != 1)
			break;
		if (r->position++ < want)
			continue;
		if (hdr->caplen <= BIGFRAME_PMD_MAX)
			break; /* not the frame the scan saw: the file changed */
		/* libpcap allows more for a few link types (D-Bus): cut there,
		 * as a snaplen would. */
		b->len = hdr->caplen < BIGFRAME_MAX ? hdr->caplen : BIGFRAME_MAX;
		memcpy(b->data, data, b->len);
		*out = b;
		return BIGFRAME_READY;
	}
	fprintf(stderr, "netcap: warning: %s: packet %llu is no longer the frame over 64 KiB the scan found; it is counted as malformed\n",
		r->path, (unsigned long long)want + 1);
	rte_ring_enqueue(free_buffers, b);
	return BIGFRAME_LOST;
}

void bigframe_attach(struct rte_mbuf *m, struct big_frame *b)
{
	*RTE_MBUF_DYNFIELD(m, bigframe_field, struct big_frame **) = b;
	m->ol_flags |= bigframe_flag;
}

void bigframe_release(struct big_frame *b)
{
	rte_ring_enqueue(free_buffers, b);
}
