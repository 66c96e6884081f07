/* schema.c: the table of record types, built from the generated descriptors.
 *
 * The Types__Type enum and the message descriptors come from protoc-c; this
 * file pairs them by name (enum NC_TCP <-> message TCP) once, so no table of
 * types is written by hand anywhere. */
#include <pthread.h>
#include <string.h>

#include "ncap/schema.h"

#define NCAP_MAX_TYPES 128

static struct ncap_type type_table[NCAP_MAX_TYPES];
static size_t type_table_count;
static pthread_once_t type_table_once = PTHREAD_ONCE_INIT;

static const ProtobufCMessageDescriptor *descriptor_named(const char *name)
{
	for (size_t i = 0; i < ncap_all_descriptors_count; i++)
		if (strcmp(ncap_all_descriptors[i]->short_name, name) == 0)
			return ncap_all_descriptors[i];
	return NULL;
}

static void build_type_table(void)
{
	const ProtobufCEnumDescriptor *e = &types__type__descriptor;
	for (unsigned i = 0; i < e->n_values && i < NCAP_MAX_TYPES; i++) {
		const ProtobufCEnumValue *v = &e->values[i];
		const char *name = strncmp(v->name, "NC_", 3) == 0 ? v->name + 3 : v->name;
		type_table[type_table_count++] = (struct ncap_type){
			.id = v->value, .name = name, .desc = descriptor_named(name),
		};
	}
}

static void ensure_table(void)
{
	pthread_once(&type_table_once, build_type_table);
}

const struct ncap_type *ncap_types_table(size_t *count)
{
	ensure_table();
	*count = type_table_count;
	return type_table;
}

const struct ncap_type *ncap_type_by_id(int id)
{
	ensure_table();
	for (size_t i = 0; i < type_table_count; i++)
		if (type_table[i].id == id)
			return &type_table[i];
	return NULL;
}

const struct ncap_type *ncap_type_by_name(const char *name)
{
	ensure_table();
	if (strncmp(name, "NC_", 3) == 0)
		name += 3;
	for (size_t i = 0; i < type_table_count; i++)
		if (strcmp(type_table[i].name, name) == 0)
			return &type_table[i];
	return NULL;
}

const struct ncap_type *ncap_type_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strstr(base, ".ncap");
	if (!dot || (strcmp(dot, ".ncap") != 0 && strcmp(dot, ".ncap.gz") != 0))
		return NULL;
	char name[64];
	size_t n = (size_t)(dot - base);
	if (n == 0 || n >= sizeof name)
		return NULL;
	memcpy(name, base, n);
	name[n] = '\0';
	return ncap_type_by_name(name);
}

size_t ncap_repeated_element_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default: /* 32-bit integers, float, enums */
		return 4;
	}
}
