/* args.h: command-line values the record tools share (netcap-dump,
 * netcap-label), parsed one way so that --sep, --jobs or a size mean the
 * same in both. Each returns 0, or -1 when the text is not such a value;
 * the caller says so, naming its option. */
#ifndef EXPORT_ARGS_H
#define EXPORT_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* A positive count; with size, a K, M or G suffix (powers of 1024). */
int export_parse_count(const char *value, bool size, uint64_t *out);

/* A CSV separator: one ASCII character other than a quote or a line
 * break, or "\t" (the two characters) or a tab. */
int export_parse_sep(const char *value, char *sep);

#endif
