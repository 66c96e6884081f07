/* prom.c: the Prometheus text exposition writer (prom.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/prom.h"

void prom_init(struct prom_buf *b, size_t max)
{
	*b = (struct prom_buf){ .max = max };
}

void prom_free(struct prom_buf *b)
{
	free(b->data);
	*b = (struct prom_buf){ .max = b->max };
}

void prom_reset(struct prom_buf *b)
{
	b->len = 0;
	b->failed = false;
	b->refused = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Room for n more bytes and a NUL. */
static bool reserve(struct prom_buf *b, size_t n)
{
	if (b->failed)
		return false;
	if (n > b->max || b->len + n + 1 > b->max) {
		b->failed = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	char *d = realloc(b->data, cap);
	if (!d) {
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

static void put(struct prom_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void prom_printf(struct prom_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof small) {
		put(b, small, (size_t)n);
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
	       (!first && c >= '0' && c <= '9');
}

bool prom_metric_name_ok(const char *name)
{
	if (!name || !*name)
		return false;
	for (size_t i = 0; name[i]; i++)
		if (!name_char(name[i], i == 0, true))
			return false;
	return true;
}

bool prom_label_name_ok(const char *name)
{
	if (!name || !*name || (name[0] == '_' && name[1] == '_'))
		return false;
	for (size_t i = 0; name[i]; i++)
		if (!name_char(name[i], i == 0, false))
			return false;
	return true;
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, at most U+10FFFF), 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	unsigned cp = c & (0x3f >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Escapes for a label value (quote true) or HELP text. */
static size_t escape(char *out, size_t cap, const char *v, bool quote)
{
	size_t n = 0;
#define OUT(ch)                                  \
	do {                                     \
		if (n + 1 < cap)                 \
			out[n] = (ch);           \
		n++;                             \
	} while (0)
	const unsigned char *s = (const unsigned char *)(v ? v : "");
	while (*s) {
		unsigned char c = *s;
		if (c == '\\') {
			OUT('\\'); OUT('\\');
		} else if (c == '\n') {
			OUT('\\'); OUT('n');
		} else if (c == '"' && quote) {
			OUT('\\'); OUT('"');
		} else if (c < 0x20 || c == 0x7f) {
			OUT('?');
		} else {
			size_t k = utf8_len(s);
			if (!k) {
				OUT('?');
				s++;
				continue;
			}
			for (size_t i = 0; i < k; i++)
				OUT((char)s[i]);
			s += k;
			continue;
		}
		s++;
	}
#undef OUT
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

size_t prom_escape_label(char *out, size_t cap, const char *v) { return escape(out, cap, v, true); }
size_t prom_escape_help(char *out, size_t cap, const char *v) { return escape(out, cap, v, false); }

/* Appends the escaped text (either kind). */
static void put_escaped(struct prom_buf *b, const char *v, bool quote)
{
	size_t n = escape(NULL, 0, v, quote);
	if (!reserve(b, n))
		return;
	escape(b->data + b->len, n + 1, v, quote);
	b->len += n;
}

int prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help)
{
	if (!prom_metric_name_ok(name)) {
		b->refused++;
		return -1;
	}
	static const char *const types[] = { [PROM_COUNTER] = "counter", [PROM_GAUGE] = "gauge",
					     [PROM_UNTYPED] = "untyped" };
	prom_printf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	prom_printf(b, "\n# TYPE %s %s\n", name, types[type]);
	return 0;
}

static int sample_start(struct prom_buf *b, const char *name, const char *const *labels)
{
	if (!prom_metric_name_ok(name))
		goto refused;
	for (size_t i = 0; labels && labels[i]; i += 2)
		if (!prom_label_name_ok(labels[i]) || !labels[i + 1])
			goto refused;
	put(b, name, strlen(name));
	if (labels && labels[0]) {
		put(b, "{", 1);
		for (size_t i = 0; labels[i]; i += 2) {
			if (i)
				put(b, ",", 1);
			put(b, labels[i], strlen(labels[i]));
			put(b, "=\"", 2);
			put_escaped(b, labels[i + 1], true);
			put(b, "\"", 1);
		}
		put(b, "}", 1);
	}
	return 0;
refused:
	b->refused++;
	return -1;
}

int prom_sample_u64(struct prom_buf *b, const char *name, const char *const *labels, uint64_t v)
{
	if (sample_start(b, name, labels))
		return -1;
	prom_printf(b, " %llu\n", (unsigned long long)v);
	return 0;
}

int prom_sample_f64(struct prom_buf *b, const char *name, const char *const *labels, double v)
{
	if (sample_start(b, name, labels))
		return -1;
	if (isnan(v))
		prom_printf(b, " NaN\n");
	else if (isinf(v))
		prom_printf(b, " %cInf\n", v > 0 ? '+' : '-');
	else
		prom_printf(b, " %.17g\n", v);
	return 0;
}
