/* fuzz_config.c: libFuzzer target for netcap's settings: the INI file
 * (DPDK's rte_cfgfile and lib/pipeline/config.c's option table) and the
 * command line (getopt and the single-dash rewrite).
 *
 * Input: the config file's text up to the first NUL byte; after it,
 * NUL-separated command-line arguments. netcap runs as
 *   netcap -c FILE ARGS...
 * Arguments that would name another config file (-c, --config, -config)
 * are dropped, so the target never reads a file the input did not give.
 * Every outcome (settings, an error message, --help) is fine; crashes,
 * sanitizer reports, leaks and hangs are not. config_free() releases
 * what parsing copied, so LeakSanitizer watches it too.
 *
 * Build: make fuzz (build/fuzz/fuzz_config). Seeds: seed_config.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pipeline/config.h"

#define MAX_ARGS 48

static int is_config_flag(const char *a)
{
	while (*a == '-')
		a++;
	return !strcmp(a, "c") || !strncmp(a, "config", 6) || (a[0] == 'c' && a[1] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("netcap.conf", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	const uint8_t *nul = memchr(in, 0, size);
	size_t ini_len = nul ? (size_t)(nul - in) : size;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, in, ini_len, 0) != (ssize_t)ini_len)
		abort();

	/* Arguments: copies, since config_parse may rewrite argv. */
	char *args = malloc(size - ini_len + 1);
	char *argv[MAX_ARGS + 4];
	int argc = 0;
	argv[argc++] = (char *)"netcap";
	argv[argc++] = (char *)"-c";
	argv[argc++] = path;
	if (nul) {
		memcpy(args, nul + 1, size - ini_len - 1);
		args[size - ini_len - 1] = '\0';
		for (char *a = args; a < args + (size - ini_len - 1) && argc < MAX_ARGS + 3; a += strlen(a) + 1)
			if (!is_config_flag(a))
				argv[argc++] = a;
	}
	argv[argc] = NULL;

	struct netcap_config cfg;
	config_parse(&cfg, argc, argv);
	config_free(&cfg);
	free(args);
	return 0;
}
