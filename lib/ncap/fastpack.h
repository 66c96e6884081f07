/* fastpack.h: hand-written serializers for the record types that every
 * packet produces (Ethernet, Dot1Q, IPv4, IPv6, TCP, UDP) and the flow
 * records (Connection, Flow, LinkFlow, NetworkFlow, TransportFlow). They write the
 * same bytes as protobuf_c_message_pack (tests/unit/test_fastpack.c checks
 * it on every field), several times faster; other types go through
 * protobuf-c. */
#ifndef NCAP_FASTPACK_H
#define NCAP_FASTPACK_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* Appends msg (of record type `type`) with its varint length prefix at out,
 * which has room for `room` bytes. Returns the bytes written, 0 when the
 * record does not fit, or -1 when no fast serializer exists for the type
 * (or this message uses a part it does not handle); the caller then packs
 * with protobuf-c. */
long ncap_fastpack(int type, const ProtobufCMessage *msg, uint8_t *out, size_t room);

/* The same through protobuf-c, for every type. */
long ncap_pack_delimited(const ProtobufCMessage *msg, uint8_t *out, size_t room);

#endif
