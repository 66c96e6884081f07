/* schema.h: the record types NETCAP knows, by number, name and descriptor.
 *
 * Everything that handles records generically (the file reader, the CSV and
 * JSON emitter, the labeler) finds a type here instead of switching on it.
 * Names are the schema enum's without the "NC_" prefix, as in file names:
 * "TCP" for NC_TCP, stored in TCP.ncap.gz. */
#ifndef NCAP_SCHEMA_H
#define NCAP_SCHEMA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "netcap.pb-c.h"

struct ncap_type {
	int id;                                /* Types__Type value */
	const char *name;                      /* "TCP" */
	const ProtobufCMessageDescriptor *desc; /* NULL: enum value without message */
};

/* Every Types__Type value, in enum order; *count gets their number. */
const struct ncap_type *ncap_types_table(size_t *count);

const struct ncap_type *ncap_type_by_id(int id);
/* Accepts "TCP" and "NC_TCP"; exact case. */
const struct ncap_type *ncap_type_by_name(const char *name);
/* The type a file's name implies: basename "TCP.ncap.gz" or "TCP.ncap";
 * NULL when the name follows no record type. */
const struct ncap_type *ncap_type_from_path(const char *path);

/* Bytes one element of a repeated field of type t takes in the array
 * protobuf-c unpacks it into (its sizeof_elt_in_repeated_array()): what
 * code walking messages by descriptor steps by. */
size_t ncap_repeated_element_size(ProtobufCType t);

/* Every message descriptor of proto/netcap.proto, nested ones included. */
extern const ProtobufCMessageDescriptor *const ncap_all_descriptors[];
extern const size_t ncap_all_descriptors_count;

#endif
