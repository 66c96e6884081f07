/* netaddr.c: "HOST:PORT" text to socket addresses (netaddr.h): one
 * splitter, then a numeric parse for the collector's --listen (a name
 * lookup where it binds would only add a way to fail) or a lookup for a
 * sensor's --collector. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/netaddr.h"

/* Splits text into host (brackets removed; bracketed says they were
 * there) and a port of 1..65535. Returns 0, or -1 with err. */
static int split(const char *text, char *host, size_t cap, unsigned *port, bool *bracketed,
		 char *err, size_t errlen)
{
	const char *colon;
	size_t hl;
	*bracketed = text[0] == '[';
	if (*bracketed) {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':') {
			snprintf(err, errlen, "\"%s\": [IPV6]:PORT expected", text);
			return -1;
		}
		colon = close + 1;
		text++;
		hl = (size_t)(close - text);
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon) {
			snprintf(err, errlen, "\"%s\": HOST:PORT expected (an IPv6 address in "
					      "brackets: [::1]:PORT)", text);
			return -1;
		}
		hl = (size_t)(colon - text);
	}
	if (hl >= cap) {
		snprintf(err, errlen, "\"%s\": address too long", text);
		return -1;
	}
	memcpy(host, text, hl);
	host[hl] = '\0';
	const char *p = colon + 1;
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);
	if (!*p || *end || errno || v == 0 || v > 65535 || p[0] == '-' || p[0] == '+') {
		snprintf(err, errlen, "\"%s\": port \"%s\" is not 1..65535", *bracketed ? text - 1 : text,
			 p);
		return -1;
	}
	*port = (unsigned)v;
	return 0;
}

int collect_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
			 char *err, size_t errlen)
{
	memset(ss, 0, sizeof *ss);
	char host[256];
	unsigned port;
	bool v6;
	if (split(text, host, sizeof host, &port, &v6, err, errlen))
		return -1;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv6 address", text, host);
			return -1;
		}
		*len = sizeof *a;
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "") || !strcmp(host, "*")) {
		a->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv4 address (IPv6: [ADDR]:PORT)",
			 text, host);
		return -1;
	}
	*len = sizeof *a;
	return 0;
}

int collect_resolve(const char *text, struct sockaddr_storage *addr, socklen_t *addrlen,
		    char *err, size_t errlen)
{
	char host[1024], port[8];
	unsigned p;
	bool v6;
	if (split(text, host, sizeof host, &p, &v6, err, errlen))
		return -1;
	if (!*host) {
		snprintf(err, errlen, "\"%s\": HOST:PORT expected", text);
		return -1;
	}
	snprintf(port, sizeof port, "%u", p);
	struct addrinfo hints = { .ai_family = v6 ? AF_INET6 : AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_protocol = IPPROTO_UDP, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "\"%s\": cannot resolve %s: %s", text, host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	if (res->ai_addrlen > sizeof *addr) {
		freeaddrinfo(res);
		snprintf(err, errlen, "\"%s\": address too long", text);
		return -1;
	}
	memset(addr, 0, sizeof *addr);
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
