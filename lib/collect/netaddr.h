/* netaddr.h: numeric "ADDR:PORT" addresses (netaddr.c). */
#ifndef COLLECT_NETADDR_H
#define COLLECT_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "1.2.3.4:5", "[::1]:5", "*:5" or ":5" (every IPv4 address) into a
 * socket address. Returns 0, or -1 with err naming the text. */
int collect_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
			 char *err, size_t errlen);

#endif
