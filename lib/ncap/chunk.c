/* chunk.c: appending delimited records to a preallocated buffer. */
#include <stdlib.h>
#include <string.h>

#include "ncap/chunk.h"
#include "ncap/varint.h"

int ncap_chunk_init(struct ncap_chunk *c, int type, size_t cap)
{
	*c = (struct ncap_chunk){ .type = type, .cap = cap };
	c->data = malloc(cap);
	return c->data ? 0 : -1;
}

void ncap_chunk_free(struct ncap_chunk *c)
{
	free(c->data);
	*c = (struct ncap_chunk){ 0 };
}

bool ncap_chunk_append(struct ncap_chunk *c, const ProtobufCMessage *msg)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	if (c->cap - c->len < ncap_varint_size(size) + size)
		return false;
	c->len += ncap_varint_put(c->data + c->len, size);
	c->len += protobuf_c_message_pack(msg, c->data + c->len);
	c->records++;
	return true;
}

bool ncap_chunk_append_raw(struct ncap_chunk *c, const uint8_t *rec, size_t len)
{
	if (c->cap - c->len < ncap_varint_size(len) + len)
		return false;
	c->len += ncap_varint_put(c->data + c->len, len);
	memcpy(c->data + c->len, rec, len);
	c->len += len;
	c->records++;
	return true;
}
