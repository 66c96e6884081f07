/* fuzz_metrics.c: libFuzzer target for the request parser of the metrics
 * endpoint (lib/metrics/http.c, metrics_parse_request): what any client
 * that reaches --metrics may send.
 *
 * The input is the bytes a client sends, fed as the server feeds them:
 * growing prefixes (the first byte picks the step, 1 to 256 bytes, as
 * reads of any size may end anywhere), then once more with eof. Checked:
 * no read outside the buffer (ASan); the verdict is a known status;
 * PARSE_MORE only while under METRICS_REQUEST_MAX and not at eof; a 200 only
 * for GET or HEAD, with a request length inside the bytes given and ending
 * in the blank line; once a verdict is given, more bytes do not change it
 * (a request is judged on its own bytes, whatever follows).
 *
 * Build: make fuzz (build/fuzz/fuzz_metrics). Seeds: seed_metrics.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/http.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_metrics: %s\n", what);
	abort();
}

static bool known(int status)
{
	switch (status) {
	case 200: case 400: case 404: case 405: case 408: case 414: case 431:
		return true;
	default:
		return false;
	}
}

static void check(const char *buf, size_t len, const struct metrics_request *r)
{
	if (!known(r->status))
		fail("an unknown status");
	if (r->status == 200) {
		if (r->length < 4 || r->length > len)
			fail("a request length outside the bytes given");
		if (memcmp(buf + r->length - 2, "\n", 1) && memcmp(buf + r->length - 1, "\n", 1))
			fail("a request that does not end in a line break");
		if (strncmp(buf, "GET ", 4) && strncmp(buf, "HEAD ", 5))
			fail("200 for a method other than GET or HEAD");
		if (r->head != !strncmp(buf, "HEAD ", 5))
			fail("head set wrongly");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] + 1;
	/* A copy of exactly the client's bytes: ASan sees any read past them. */
	size_t n = size - 1;
	char *buf = malloc(n ? n : 1);
	memcpy(buf, data + 1, n);
	struct metrics_request first = {0};
	bool decided = false;
	for (size_t len = step < n ? step : n;; len = len + step < n ? len + step : n) {
		struct metrics_request r = {0};
		enum metrics_parse_status st = metrics_parse_request(buf, len, false, &r);
		if (st == METRICS_PARSE_MORE) {
			if (decided)
				fail("a verdict taken back by more bytes");
			if (len >= METRICS_REQUEST_MAX)
				fail("more wanted past METRICS_REQUEST_MAX");
		} else {
			check(buf, len, &r);
			if (!decided) {
				first = r;
				decided = true;
			} else if (r.status != first.status ||
				   (r.status == 200 && r.length != first.length)) {
				fail("a different verdict on more bytes");
			}
		}
		if (len == n)
			break;
	}
	struct metrics_request r = {0};
	if (metrics_parse_request(buf, n, true, &r) != METRICS_PARSE_DONE)
		fail("more wanted at eof");
	check(buf, n, &r);
	if (decided && (r.status != first.status || (r.status == 200 && r.length != first.length)))
		fail("eof changed a verdict");
	free(buf);
	return 0;
}
