/* netaddr.c: "ADDR:PORT" text to a socket address, for netcap-collect's
 * --listen and the tools that send to it (netaddr.h). Numeric only: a
 * collector binds an address it owns, and a name lookup at start would
 * only add a way to fail. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/netaddr.h"

int collect_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
			 char *err, size_t errlen)
{
	memset(ss, 0, sizeof *ss);
	const char *colon = strrchr(text, ':');
	if (!colon || !colon[1]) {
		snprintf(err, errlen, "--listen \"%s\": ADDR:PORT expected", text);
		return -1;
	}
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535 || colon[1] == '-' || colon[1] == '+') {
		snprintf(err, errlen, "--listen \"%s\": port \"%s\" is not 1..65535", text, colon + 1);
		return -1;
	}
	char host[256];
	size_t hl = (size_t)(colon - text);
	if (hl >= sizeof host) {
		snprintf(err, errlen, "--listen: address too long");
		return -1;
	}
	memcpy(host, text, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) {
			snprintf(err, errlen, "--listen \"%s\": \"%s\" is not an IPv6 address", text,
				 host + 1);
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
		snprintf(err, errlen, "--listen \"%s\": \"%s\" is not an IPv4 address (IPv6: [ADDR]:PORT)",
			 text, host);
		return -1;
	}
	*len = sizeof *a;
	return 0;
}
