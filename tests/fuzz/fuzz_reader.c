/* fuzz_reader.c: libFuzzer target for the record file reader
 * (lib/ncap/reader.c) and the bounded record decoding every reader uses
 * (lib/ncap/recordcheck.c), on arbitrary file bytes.
 *
 * Input: byte 0 picks the file's name, the rest is the file.
 *   bits 0-1: 0 "records.ncap.gz", 1 "records.ncap" (names implying no
 *             type), 2 "<T>.ncap.gz", 3 "<T>.ncap" with T from bits 2-6
 *   bits 2-6: index into type_names[] below
 *   bit 7:    the path is about 3000 bytes long ("/./././..."), for the
 *             shortening of fault messages
 * seed_reader.sh writes real record files (byte 0 = 0) and broken ones.
 *
 * The file is written to a private directory (a tmpfs when there is one)
 * and read to its end the way netcap-dump reads it: every record through
 * ncap_record_unpack() with a budget of 16 MiB. Checked on every input, an
 * abort() when wrong:
 *   - messages: NUL-terminated within their buffers, non-empty on failure,
 *     naming the file (its path, or its tail after "...");
 *   - offsets: record positions move forward, no fault or record offset
 *     beyond the file's size, record numbers count from 1;
 *   - the cost check: a record it passes decodes through protobuf-c within
 *     its estimate (ncap_unpack_with_budget with the estimate as budget);
 *   - every allocation is freed (LeakSanitizer).
 *
 * Build: make fuzz (build/fuzz/fuzz_reader). Reproduce a crash:
 * build/fuzz/fuzz_reader CRASH_FILE. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncap/reader.h"
#include "ncap/recordcheck.h"
#include "ncap/schema.h"

static const char *const type_names[32] = {
	"TCP", "UDP", "DNS", "IPv4", "IPv6", "Ethernet", "ARP", "HTTP", "TLSClientHello", "DHCPv4",
	"DHCPv6", "LinkLayerDiscoveryInfo", "LinkLayerDiscovery", "ICMPv4", "ICMPv6", "SIP", "NTP",
	"IGMP", "Dot11", "Dot1Q", "Connection", "Flow", "IPv6HopByHop", "SNAP", "LLC", "SCTP",
	"TLSServerHello", "ICMPv6RouterAdvertisement", "CiscoDiscovery", "Header", "Nope", "IPSecAH",
};

static const struct ncap_limits limits = {
	.max_memory = 16u << 20,
	.max_elements = NCAP_DEFAULT_MAX_ELEMENTS,
	.max_depth = NCAP_DEFAULT_MAX_DEPTH,
};

static char dir[256];
static char long_dir[3200]; /* dir + "/./././..." */

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_reader: %s%s%.300s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void remove_dir(void)
{
	rmdir(dir); /* each input's file is gone already, unless it crashed */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/fuzz_reader.XXXXXX", base);
	if (!mkdtemp(dir))
		fail("mkdtemp", strerror(errno));
	atexit(remove_dir);
	size_t n = (size_t)snprintf(long_dir, sizeof long_dir, "%s", dir);
	while (n + 2 < 3000) {
		memcpy(long_dir + n, "/.", 2);
		n += 2;
	}
	long_dir[n] = '\0';
	return 0;
}

/* A message is a proper string of its buffer and names the file. */
static void check_message(const char *msg, size_t cap, const char *path)
{
	size_t n = strnlen(msg, cap);
	if (n == cap)
		fail("message not NUL-terminated", NULL);
	if (n == 0)
		fail("empty message", NULL);
	const char *name = strrchr(path, '/') + 1;
	if (strncmp(msg, path, strlen(path)) != 0 && !(strncmp(msg, "...", 3) == 0 && strstr(msg, name)))
		fail("message does not name the file", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned form = data[0] & 3, type = (data[0] >> 2) & 31;
	char name[64], path[3400];
	if (form < 2)
		snprintf(name, sizeof name, "records.ncap%s", form == 0 ? ".gz" : "");
	else
		snprintf(name, sizeof name, "%s.ncap%s", type_names[type], form == 2 ? ".gz" : "");
	snprintf(path, sizeof path, "%s/%s", data[0] & 0x80 ? long_dir : dir, name);

	char real[300];
	snprintf(real, sizeof real, "%s/%s", dir, name);
	int fd = open(real, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail("open", strerror(errno));
	for (size_t off = 1; off < size;) {
		ssize_t k = write(fd, data + off, size - off);
		if (k <= 0)
			fail("write", strerror(errno));
		off += (size_t)k;
	}
	close(fd);
	uint64_t file_size = size - 1;

	char err[700];
	memset(err, 0x5a, sizeof err);
	struct ncap_reader *r = ncap_reader_open(path, err, sizeof err);
	if (!r) {
		check_message(err, sizeof err, path);
		unlink(real);
		return 0;
	}
	const struct ncap_type *t = ncap_reader_type(r);
	if (!t || !t->desc || !ncap_reader_header(r))
		fail("opened without a record type", NULL);

	const uint8_t *rec;
	size_t len;
	int rc;
	uint64_t last_stream = 0, index = 0;
	while ((rc = ncap_reader_next(r, &rec, &len)) == 1) {
		struct ncap_record_pos pos;
		ncap_reader_record_pos(r, &pos);
		if (pos.index != ++index || (index > 1 && pos.stream_offset <= last_stream) ||
		    pos.file_offset > file_size || (!pos.gzip && pos.file_offset != pos.stream_offset))
			fail("bad record position", NULL);
		last_stream = pos.stream_offset;
		char where[3600];
		ncap_reader_record_where(r, where, sizeof where);
		check_message(where, sizeof where, path);

		struct ncap_check check;
		memset(&check, 0x5a, sizeof check);
		ProtobufCMessage *m = ncap_record_unpack(t->desc, rec, len, &limits, &check);
		if (strnlen(check.reason, sizeof check.reason) == sizeof check.reason)
			fail("check reason not NUL-terminated", NULL);
		if (m) {
			if (check.status != NCAP_CHECK_OK || check.memory > limits.max_memory)
				fail("decoded a record the check refused", check.reason);
			protobuf_c_message_free_unpacked(m, NULL);
			/* The estimate bounds what protobuf-c takes. */
			uint64_t used = 0;
			m = ncap_unpack_with_budget(t->desc, rec, len, check.memory, &used);
			if (!m || used > check.memory)
				fail("protobuf-c needs more than the estimate", t->name);
			protobuf_c_message_free_unpacked(m, NULL);
		} else if (check.status == NCAP_CHECK_OK || !check.reason[0]) {
			fail("a record refused without a reason", NULL);
		}
	}
	if (rc < 0) {
		check_message(ncap_reader_error(r), 640, path);
		if (ncap_reader_error_offset(r) > file_size)
			fail("fault offset beyond the file", ncap_reader_error(r));
	} else if (*ncap_reader_error(r)) {
		fail("clean end with an error message", ncap_reader_error(r));
	}
	/* After the end or a fault, the reader stays there. */
	if (ncap_reader_next(r, &rec, &len) != rc)
		fail("reader moved after its end", NULL);
	ncap_reader_close(r);
	unlink(real);
	return 0;
}
