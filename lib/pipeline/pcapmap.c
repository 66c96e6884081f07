/* pcapmap.c: see pcapmap.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/dlt.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "pipeline/pcapmap.h"
#include "pipeline/pipeline.h"

#define PCAP_FILE_HEADER 24
#define PCAP_RECORD_HEADER 16
/* libpcap refuses a record whose capture length is over this (for every
 * link type this reader takes: max_snaplen_for_dlt). */
#define PCAP_MAX_CAPLEN 262144u
/* An mbuf's data_len and buf_len are 16-bit. */
#define SEGMENT_MAX 65535u
/* The file is read through a window: the RX role maps the next WINDOW
 * bytes' pages in one call ahead of itself (page faults on the worker's
 * lcore, 64 KiB each, cost it 6% on the benchmark input), and pages more
 * than two windows behind the reader (the count's walk, then the RX role)
 * are given back, so that a file's pages do not pile up in the resident
 * set (12 MiB at most stay: test_flows_stress.sh bounds the growth of the
 * peak RSS with the input): they stay in the page cache, and a worker
 * still reading a packet there faults it in again. */
#define WINDOW (4u << 20)
/* Every cache line of the file is prefetched this far ahead of the reader:
 * each record header is otherwise a cache miss the next one waits on, and
 * decoding misses again on the packet's bytes (the pcap PMD's copies
 * streamed them in). */
#define PREFETCH_AHEAD (32u << 10)

struct pcap_map {
	const char *path;
	int fd;                     /* kept open: the SIGBUS handler asks for the size */
	const uint8_t *base;
	uint64_t size;
	bool swapped, nano;
	uint32_t snapshot;          /* libpcap's, after its own corrections */
	uint64_t pos;               /* the RX role's next record header */
	/* The RX role's window: pages mapped to ahead, given back before
	 * behind; cache lines prefetched to prefetched. */
	uint64_t ahead, behind, prefetched;
	uint64_t delivered, expected;
	bool done;
	/* Set by the SIGBUS handler: the file lost its bytes from here on. */
	_Atomic uint64_t lost_from;
	bool lost_reported;
	/* cut_before: the page whose zero record headers were last checked
	 * against the file's size (+ 1; 0: none), per reader (the count's
	 * walk, then the RX role: one at a time). */
	uint64_t size_checked_page;
};

static struct pcap_map *maps[CONFIG_MAX_INPUTS];
static unsigned n_maps;
static struct rte_mempool *pool;
static int ts_offset = -1;
static uint64_t ts_flag;
static struct sigaction previous_sigbus;
static bool handler_installed;
static uintptr_t page_size;         /* read before the handler is installed */

/* ---- a file shortened under the map -------------------------------- */

static void lower_lost_from(struct pcap_map *m, uint64_t from)
{
	uint64_t was = atomic_load(&m->lost_from);
	while (from < was && !atomic_compare_exchange_weak(&m->lost_from, &was, from))
		;
}

/* Reading a page past the end of a file that shrank raises SIGBUS. If it
 * lies in one of our maps, zero pages replace the rest of that map (mmap is
 * not on POSIX's async-signal-safe list, but it is a plain system call on
 * Linux, as the JVM relies on), lost_from tells the reader, and the read
 * is retried on the zeros. Any other SIGBUS goes where it went before. */
static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t at = (uintptr_t)si->si_addr;
	for (unsigned i = 0; i < n_maps; i++) {
		struct pcap_map *m = maps[i];
		if (!m)
			continue;
		uintptr_t base = (uintptr_t)m->base;
		if (at < base || at >= base + m->size)
			continue;
		uintptr_t page = at & ~(page_size - 1);
		if (mmap((void *)page, base + m->size - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			break;
		/* The file's new end, if it can be had (fstat is
		 * async-signal-safe): the rest of its last page reads as zeros
		 * without a fault. */
		uint64_t from = page - base;
		struct stat st;
		if (fstat(m->fd, &st) == 0 && (uint64_t)st.st_size < from)
			from = (uint64_t)st.st_size;
		lower_lost_from(m, from);
		return;
	}
	if (previous_sigbus.sa_flags & SA_SIGINFO && previous_sigbus.sa_sigaction) {
		previous_sigbus.sa_sigaction(sig, si, uctx);
		return;
	}
	if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN) {
		previous_sigbus.sa_handler(sig);
		return;
	}
	/* Default action: returning re-runs the faulting read, which now dies. */
	signal(SIGBUS, SIG_DFL);
}

static void install_handler(void)
{
	if (handler_installed)
		return;
	page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &previous_sigbus);
	handler_installed = true;
}

/* ---- records -------------------------------------------------------- */

struct pcap_record {
	uint64_t raw_time;          /* as DPDK 22.11's pcap PMD: tv_sec * 10^6 + tv_usec */
	uint32_t caplen, len;       /* caplen after the snapshot cut */
	const uint8_t *data;
	uint64_t next;              /* offset of the following record */
};

enum record_step { RECORD_OK, RECORD_END, RECORD_BAD };

static uint32_t field32(const struct pcap_map *m, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return m->swapped ? rte_bswap32(v) : v;
}

/* A record header of zeros (rare in a real file: asked only for an empty
 * record) may be the tail of the file's last page after it was cut short,
 * which reads as zeros without a fault: a stat says. True when the file
 * now ends before pos. Only the file's last page can hold such a tail, so
 * one stat per page is enough: a file of nothing but zero headers costs a
 * system call per 256 records, not per record. */
static bool cut_before(struct pcap_map *m, uint64_t pos)
{
	static const uint8_t zeros[PCAP_RECORD_HEADER];
	uint64_t page = pos / page_size + 1;
	if (page == m->size_checked_page || memcmp(m->base + pos, zeros, sizeof zeros) != 0)
		return false;
	m->size_checked_page = page;
	struct stat st;
	if (fstat(m->fd, &st) != 0 || (uint64_t)st.st_size > pos)
		return false;
	lower_lost_from(m, (uint64_t)st.st_size);
	return true;
}

/* The record at pos, by libpcap's rules (sf-pcap.c, pcap_next_packet): a
 * header cut short or data cut short ends the file as an error, as does a
 * capture length over 262,144; one over the snapshot length is cut to it.
 * *why says what was wrong for RECORD_BAD. */
static enum record_step record_at(struct pcap_map *m, uint64_t pos, uint64_t end, struct pcap_record *r,
				  char *why, size_t whylen)
{
	if (pos >= end)
		return RECORD_END;
	if (end - pos < PCAP_RECORD_HEADER) {
		snprintf(why, whylen, "truncated dump file; tried to read %u header bytes, only got %llu at offset %llu",
			 PCAP_RECORD_HEADER, (unsigned long long)(end - pos), (unsigned long long)pos);
		return RECORD_BAD;
	}
	const uint8_t *h = m->base + pos;
	uint32_t caplen = field32(m, h + 8);
	if (caplen == 0 && cut_before(m, pos))
		return RECORD_END;
	if (caplen > PCAP_MAX_CAPLEN) {
		if (caplen > m->snapshot)
			snprintf(why, whylen, "invalid packet capture length %u, bigger than snaplen of %u at offset %llu",
				 caplen, m->snapshot, (unsigned long long)pos);
		else
			snprintf(why, whylen, "invalid packet capture length %u, bigger than maximum of %u at offset %llu",
				 caplen, PCAP_MAX_CAPLEN, (unsigned long long)pos);
		return RECORD_BAD;
	}
	uint64_t data = pos + PCAP_RECORD_HEADER;
	if (end - data < caplen) {
		snprintf(why, whylen, "truncated dump file; tried to read %u captured bytes, only got %llu at offset %llu",
			 caplen, (unsigned long long)(end - data), (unsigned long long)data);
		return RECORD_BAD;
	}
	/* libpcap widens the two 32-bit time fields into struct timeval
	 * signed (struct pcap_timeval's bpf_int32) when the file is in the
	 * host's byte order, but unsigned when it swaps them (SWAPLONG): so
	 * does the PMD, and so must we. A nanosecond file read at microsecond
	 * precision (as the PMD opens it) is divided. */
	uint32_t sec32 = field32(m, h), frac32 = field32(m, h + 4);
	int64_t sec = m->swapped ? (int64_t)sec32 : (int32_t)sec32;
	int64_t frac = m->swapped ? (int64_t)frac32 : (int32_t)frac32;
	if (m->nano)
		frac /= 1000;
	r->raw_time = (uint64_t)sec * 1000000u + (uint64_t)frac;
	r->caplen = caplen < m->snapshot ? caplen : m->snapshot;
	r->len = field32(m, h + 12);
	r->data = m->base + data;
	r->next = data + caplen;
	return RECORD_OK;
}

/* ---- the window ------------------------------------------------------ */

static void give_back(const struct pcap_map *m, uint64_t from, uint64_t to)
{
	if (to > m->size)
		to = m->size;
	if (from < to)
		madvise((void *)(uintptr_t)(m->base + from), to - from, MADV_DONTNEED);
}

static void slide_window(struct pcap_map *m, uint64_t pos)
{
	while (m->ahead < m->size && m->ahead < pos + WINDOW) {
		uint64_t end = m->ahead + WINDOW < m->size ? m->ahead + WINDOW : m->size;
		/* An older kernel without MADV_POPULATE_READ faults them in. */
		madvise((void *)(uintptr_t)(m->base + m->ahead), end - m->ahead, MADV_POPULATE_READ);
		m->ahead = end;
	}
	uint64_t to = pos + PREFETCH_AHEAD < m->size ? pos + PREFETCH_AHEAD : m->size;
	for (uint64_t at = m->prefetched > pos ? m->prefetched : pos & ~(uint64_t)63; at < to; at += 64)
		rte_prefetch0(m->base + at);
	if (to > m->prefetched)
		m->prefetched = to;
	while (m->behind + 2 * WINDOW < pos) {
		give_back(m, m->behind, m->behind + WINDOW);
		m->behind += WINDOW;
	}
}

/* ---- opening and counting ------------------------------------------- */

/* Link types whose pseudo-header libpcap byte-swaps in the packet itself
 * when the file's byte order is not the host's, or whose records may be
 * longer than 262,144 bytes: the PMD reads these. */
static bool link_needs_libpcap(int link, bool swapped)
{
	switch (link) {
	case DLT_DBUS:
	case DLT_EBHSCR:
	case DLT_USBPCAP:
		return true;
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return false;
	default:
		return swapped;
	}
}

int pcapmap_open(struct input_file *f, char *err, size_t errlen)
{
	uint8_t head[PCAP_FILE_HEADER];
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		return -1;
	}
	struct stat st;
	ssize_t got = pread(fd, head, sizeof head, 0);
	if (fstat(fd, &st) < 0 || got != (ssize_t)sizeof head || n_maps == CONFIG_MAX_INPUTS) {
		close(fd);
		return 0; /* libpcap opened it: let the PMD read it */
	}
	uint32_t magic;
	memcpy(&magic, head, sizeof magic);
	bool swapped, nano;
	switch (magic) {
	case 0xa1b2c3d4: swapped = false; nano = false; break;
	case 0xa1b23c4d: swapped = false; nano = true; break;
	case 0xd4c3b2a1: swapped = true; nano = false; break;
	case 0x4d3cb2a1: swapped = true; nano = true; break;
	default: close(fd); return 0; /* pcapng, or a variant libpcap knows */
	}
	uint16_t major, minor;
	memcpy(&major, head + 4, 2);
	memcpy(&minor, head + 6, 2);
	if (swapped) {
		major = rte_bswap16(major);
		minor = rte_bswap16(minor);
	}
	if (major != 2 || minor != 4 || link_needs_libpcap(f->link, swapped) || f->snapshot == 0) {
		close(fd);
		return 0;
	}
	void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED) {
		close(fd);
		return 0; /* a file system that cannot map it: the PMD reads it */
	}
	madvise(base, (size_t)st.st_size, MADV_SEQUENTIAL);
	struct pcap_map *m = calloc(1, sizeof *m);
	if (!m) {
		munmap(base, (size_t)st.st_size);
		close(fd);
		snprintf(err, errlen, "%s: out of memory", f->path);
		return -1;
	}
	*m = (struct pcap_map){ .path = f->path, .fd = fd, .base = base, .size = (uint64_t)st.st_size, .swapped = swapped,
				.nano = nano, .snapshot = f->snapshot, .pos = PCAP_FILE_HEADER };
	atomic_init(&m->lost_from, UINT64_MAX);
	install_handler();
	maps[n_maps++] = m;
	f->map = m;
	return 0;
}

/* The end of what may be read: the file, or where it lost its pages. */
static uint64_t readable_end(const struct pcap_map *m)
{
	uint64_t lost = atomic_load_explicit(&m->lost_from, memory_order_relaxed);
	return lost < m->size ? lost : m->size;
}

static void report_lost(struct pcap_map *m, uint64_t packets)
{
	if (m->lost_reported)
		return;
	m->lost_reported = true;
	fprintf(stderr, "netcap: warning: %s: the file shrank while being read (its bytes from offset %llu are gone); "
		"its input ends after %llu packets\n",
		m->path, (unsigned long long)atomic_load(&m->lost_from), (unsigned long long)packets);
}

void pcapmap_count(struct input_file *f)
{
	struct pcap_map *m = f->map;
	struct pcap_record r;
	char why[256];
	enum record_step step;
	uint64_t end_seen = readable_end(m);
again:
	f->packets = f->bytes = 0;
	f->cut_len = UINT32_MAX;
	uint64_t given_back = 0;
	for (uint64_t pos = PCAP_FILE_HEADER; (step = record_at(m, pos, readable_end(m), &r, why, sizeof why)) == RECORD_OK;
	     pos = r.next) {
		if (pos >= given_back + 2 * WINDOW) {
			give_back(m, given_back, given_back + WINDOW);
			given_back += WINDOW;
		}
		f->packets++;
		f->bytes += r.caplen;
		if (r.caplen < r.len && r.caplen < f->cut_len)
			f->cut_len = r.caplen;
	}
	if (readable_end(m) < end_seen) {
		/* It shrank under the walk, which may have read the zeros past
		 * the new end in its last page as records: again, to the end. */
		end_seen = readable_end(m);
		goto again;
	}
	if (readable_end(m) < m->size)
		report_lost(m, f->packets);
	else if (step == RECORD_BAD)
		fprintf(stderr, "netcap: warning: %s: %s after %llu packets; the rest is skipped\n", f->path, why,
			(unsigned long long)f->packets);
	give_back(m, given_back, m->size);
	m->size_checked_page = 0; /* the RX role checks again */
	m->expected = f->packets;
	m->done = f->packets == 0;
}

/* ---- replay ---------------------------------------------------------- */

int pcapmap_setup(unsigned n_mbufs)
{
	if (!n_maps)
		return 0;
	/* The PMD registers the same field for its files; registering is
	 * idempotent, and engine.c looks it up after. */
	if (rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag) < 0) {
		fprintf(stderr, "netcap: cannot register the mbuf timestamp field: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* Mbufs without a data room of their own: each points into a map. */
	pool = rte_pktmbuf_pool_create("netcap_mapped", n_mbufs, 256, 0, 0, (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "netcap: cannot allocate %u packet descriptors: %s (raise -m or lower --mbufs)\n", n_mbufs,
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* m points at len bytes of the map; no data room of its own is touched. */
static void point_at(struct rte_mbuf *m, const uint8_t *data, uint32_t len)
{
	m->buf_addr = (void *)(uintptr_t)data;
	m->buf_len = (uint16_t)len;
	m->data_off = 0;
	m->data_len = (uint16_t)len;
}

/* A frame over 64 KiB: a chain of pieces of the map. False when the pool
 * has no mbufs for it now (the head is left as it was). */
static bool point_chain(struct rte_mbuf *head, const struct pcap_record *r)
{
	struct rte_mbuf *segs[PCAP_MAX_CAPLEN / SEGMENT_MAX + 1];
	unsigned n = (r->caplen + SEGMENT_MAX - 1) / SEGMENT_MAX;
	if (rte_pktmbuf_alloc_bulk(pool, segs + 1, n - 1) != 0)
		return false;
	segs[0] = head;
	for (unsigned i = 0; i < n; i++) {
		uint32_t at = i * SEGMENT_MAX, len = r->caplen - at < SEGMENT_MAX ? r->caplen - at : SEGMENT_MAX;
		point_at(segs[i], r->data + at, len);
		segs[i]->next = i + 1 < n ? segs[i + 1] : NULL;
	}
	head->nb_segs = (uint16_t)n;
	return true;
}

uint16_t pcapmap_rx_burst(struct pcap_map *m, uint16_t port, struct rte_mbuf **bufs, uint16_t want)
{
	if (m->done || want == 0)
		return 0;
	if (want > m->expected - m->delivered)
		want = (uint16_t)(m->expected - m->delivered);
	if (rte_pktmbuf_alloc_bulk(pool, bufs, want) != 0)
		return 0; /* every descriptor in flight: the workers free them */
	slide_window(m, m->pos);
	uint64_t end = readable_end(m);
	uint16_t n = 0;
	char why[256];
	while (n < want) {
		struct pcap_record r;
		if (record_at(m, m->pos, end, &r, why, sizeof why) != RECORD_OK) {
			/* The count found more: only a shrunk file ends here. */
			report_lost(m, m->delivered + n);
			m->done = true;
			break;
		}
		struct rte_mbuf *b = bufs[n];
		if (r.caplen <= SEGMENT_MAX)
			point_at(b, r.data, r.caplen);
		else if (!point_chain(b, &r))
			break; /* retried at the next poll */
		/* As the PMD: the length on the wire is not passed on. */
		b->pkt_len = r.caplen;
		b->port = port;
		*RTE_MBUF_DYNFIELD(b, ts_offset, rte_mbuf_timestamp_t *) = r.raw_time;
		b->ol_flags |= ts_flag;
		m->pos = r.next;
		n++;
	}
	if (n < want)
		rte_pktmbuf_free_bulk(bufs + n, want - n);
	m->delivered += n;
	if (m->delivered >= m->expected)
		m->done = true;
	return n;
}

int pcapmap_walk(struct pcap_map *m, uint64_t *pos, struct pcapmap_packet *p, char *why, size_t whylen)
{
	struct pcap_record r;
	if (*pos < PCAP_FILE_HEADER)
		*pos = PCAP_FILE_HEADER;
	switch (record_at(m, *pos, readable_end(m), &r, why, whylen)) {
	case RECORD_OK:
		*p = (struct pcapmap_packet){ .raw_time = r.raw_time, .caplen = r.caplen, .len = r.len, .data = r.data };
		*pos = r.next;
		return 1;
	case RECORD_END:
		return 0;
	default:
		return -1;
	}
}

bool pcapmap_done(const struct pcap_map *m)
{
	return m->done;
}

void pcapmap_teardown(struct input_file *files, unsigned n_files)
{
	/* The handler stays installed: it must find no map of ours first. */
	unsigned n = n_maps;
	n_maps = 0;
	for (unsigned i = 0; i < n; i++) {
		struct pcap_map *m = maps[i];
		maps[i] = NULL;
		munmap((void *)(uintptr_t)m->base, m->size);
		close(m->fd);
		free(m);
	}
	for (unsigned i = 0; i < n_files; i++)
		files[i].map = NULL;
	rte_mempool_free(pool);
	pool = NULL;
}
