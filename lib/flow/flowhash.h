/* flowhash.h: a symmetric flow hash, for spreading packets over workers.
 *
 * Both directions of a connection must reach the same worker (its flow
 * table has no locks), so the hash is taken over the direction-normalised
 * 5-tuple: the smaller (address, port) endpoint first. CRC32 (SSE4.2, via
 * rte_hash_crc) costs a few ns where software Toeplitz costs ~60 ns.
 * Packets without IP hash by MAC pair; the parse is shallow (Ethernet,
 * VLANs, IPv4/IPv6 fixed header, ports) and bounds-checked. */
#ifndef FLOW_FLOWHASH_H
#define FLOW_FLOWHASH_H

#include <stdint.h>

uint32_t flow_hash_symmetric(const uint8_t *data, uint32_t len, int link);

#endif
