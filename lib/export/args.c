/* args.c: command-line values the record tools share (args.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/args.h"

int export_parse_count(const char *value, bool size, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	unsigned shift = 0;
	if (size && end[0] && !end[1] && strchr("KkMmGg", end[0]))
		shift = strchr("Kk", end[0]) ? 10 : strchr("Mm", end[0]) ? 20 : 30, end++;
	if (errno || end == value || *end || value[0] == '-' || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int export_parse_sep(const char *value, char *sep)
{
	if (!strcmp(value, "\\t") || !strcmp(value, "\t")) {
		*sep = '\t';
		return 0;
	}
	if (strlen(value) != 1 || strchr("\"\r\n", value[0]) || (unsigned char)value[0] >= 0x80)
		return -1;
	*sep = value[0];
	return 0;
}
