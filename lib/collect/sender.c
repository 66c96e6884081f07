/* sender.c: the sensor's batched, non-blocking UDP sender (sender.h).
 *
 * The queue is COLLECT_SENDER_QUEUE slots of dgram_max bytes, allocated
 * once; a datagram is copied into its slot (the sealer reuses its buffer
 * for the next one) and the slots go out with sendmmsg, one system call
 * per queue. Errors are losses, by cause, never retries: a sensor that
 * waited for its collector would stall the pipeline and drop packets at
 * the NIC instead, where nobody could tell what was lost. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collect/sender.h"

struct collect_sender {
	int fd;
	size_t dgram_max;
	unsigned n;                       /* datagrams queued */
	uint8_t *slots;                   /* COLLECT_SENDER_QUEUE * dgram_max */
	uint32_t records[COLLECT_SENDER_QUEUE];
	struct iovec iov[COLLECT_SENDER_QUEUE];
	struct mmsghdr msgs[COLLECT_SENDER_QUEUE];
	struct collect_sender_stats st;
};

/* The largest send buffer we may have: root may exceed wmem_max. */
static void grow_sndbuf(int fd, int want)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) == 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
}

struct collect_sender *collect_sender_new(const struct sockaddr *addr, socklen_t addrlen,
					  size_t dgram_max, int sndbuf, char *err, size_t errlen)
{
	struct collect_sender *s = calloc(1, sizeof *s);
	if (!s || !(s->slots = malloc(COLLECT_SENDER_QUEUE * dgram_max))) {
		snprintf(err, errlen, "out of memory for a sender");
		free(s);
		return NULL;
	}
	s->dgram_max = dgram_max;
	s->fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	grow_sndbuf(s->fd, sndbuf > 0 ? sndbuf : COLLECT_SENDER_SNDBUF);
	/* Connected: the address is resolved once, the kernel routes once,
	 * and an ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(s->fd, addr, addrlen) < 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < COLLECT_SENDER_QUEUE; i++) {
		s->iov[i].iov_base = s->slots + i * dgram_max;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s->slots);
	free(s);
	return NULL;
}

void collect_sender_free(struct collect_sender *s)
{
	if (!s)
		return;
	collect_sender_flush(s);
	close(s->fd);
	free(s->slots);
	free(s);
}

/* Datagrams [from, to) of the queue are lost for err. */
static void count_lost(struct collect_sender *s, unsigned from, unsigned to, int err)
{
	bool full = err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
	for (unsigned i = from; i < to; i++) {
		if (full) {
			s->st.full_datagrams++;
			s->st.full_records += s->records[i];
		} else {
			s->st.error_datagrams++;
			s->st.error_records += s->records[i];
		}
	}
	s->st.last_errno = err;
}

void collect_sender_flush(struct collect_sender *s)
{
	unsigned i = 0;
	while (i < s->n) {
		s->st.sendmmsg_calls++;
		int r = sendmmsg(s->fd, s->msgs + i, s->n - i, MSG_DONTWAIT);
		if (r > 0) {
			for (unsigned k = i; k < i + (unsigned)r; k++) {
				s->st.datagrams++;
				s->st.records += s->records[k];
				s->st.bytes += s->iov[k].iov_len;
			}
			i += (unsigned)r;
			continue;
		}
		int e = r < 0 ? errno : EIO;
		if (e == EINTR)
			continue;
		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
			/* The buffer is full now: the rest would find it full
			 * too. */
			count_lost(s, i, s->n, e);
			break;
		}
		/* An error of this datagram, or one pending on the socket
		 * (an ICMP error of an earlier datagram: ECONNREFUSED) that
		 * the kernel reports instead of sending it: the others may
		 * still go. */
		count_lost(s, i, i + 1, e);
		i++;
	}
	s->n = 0;
}

void collect_sender_emit(void *arg, const uint8_t *dgram, size_t len, uint32_t records)
{
	struct collect_sender *s = arg;
	if (len > s->dgram_max) {
		/* Never from a sealer of the same datagram size. */
		s->st.error_datagrams++;
		s->st.error_records += records;
		s->st.last_errno = EMSGSIZE;
		return;
	}
	if (s->n == COLLECT_SENDER_QUEUE)
		collect_sender_flush(s);
	unsigned i = s->n++;
	memcpy(s->iov[i].iov_base, dgram, len);
	s->iov[i].iov_len = len;
	s->records[i] = records;
}

unsigned collect_sender_queued(const struct collect_sender *s)
{
	return s->n;
}

const struct collect_sender_stats *collect_sender_stats(const struct collect_sender *s)
{
	return &s->st;
}

int collect_sender_sndbuf(const struct collect_sender *s)
{
	int v = 0;
	socklen_t l = sizeof v;
	if (getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &v, &l) < 0)
		return -1;
	return v;
}
