/* sidecar.h: the packets NETCAP could not fully decode, kept for analysis.
 *
 * errors.pcap gets every packet with a malformed layer, and errors.log one
 * line per such packet (its number in errors.pcap, time, protocol, reason);
 * unknown.pcap gets packets with a layer no decoder knows. Both are off by
 * default (--errors-pcap, --unknown-pcap). They sit off the hot path: a
 * mutex serialises the workers, taken only for packets that go there. */
#ifndef PIPELINE_SIDECAR_H
#define PIPELINE_SIDECAR_H

#include <stdbool.h>

#include "decode/decode.h"

int sidecar_open(const char *dir, bool errors, bool unknown);
/* Records pkt (captured with link type `link`) where it belongs. */
void sidecar_packet(const struct packet *pkt, int link);
/* Flushes and closes; returns the packets written to each file. */
void sidecar_close(unsigned long long *errors, unsigned long long *unknown);

#endif
