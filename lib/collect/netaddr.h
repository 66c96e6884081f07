/* netaddr.h: "HOST:PORT" text to socket addresses (netaddr.c): the
 * collector's --listen (numeric: an address it owns) and a sensor's
 * --collector (a name is looked up once, at start). One splitter serves
 * both, so they take the same forms: "1.2.3.4:5", "[2001:db8::1]:5",
 * "name:5"; a bare IPv6 address without brackets is refused (its last
 * colon could be a port or a group). */
#ifndef COLLECT_NETADDR_H
#define COLLECT_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "1.2.3.4:5", "[::1]:5", "*:5" or ":5" (every IPv4 address) into a
 * socket address. Returns 0, or -1 with err naming the text. */
int collect_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
			 char *err, size_t errlen);

/* "HOST:PORT", "[IPV6]:PORT" or "IPV4:PORT", resolved now (getaddrinfo:
 * the first address). Returns 0, or -1 with err naming the text. */
int collect_resolve(const char *text, struct sockaddr_storage *addr, socklen_t *addrlen,
		    char *err, size_t errlen);

#endif
