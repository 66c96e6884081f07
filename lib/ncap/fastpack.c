/* fastpack.c: hand-written serializers for the per-packet record types and
 * the flow records.
 * See fastpack.h; field numbers are proto/netcap.proto's. Each serializer
 * first bounds the record's size from its variable-length parts, so it
 * never writes past `room`. */
#include <string.h>

#include "ncap/fastpack.h"
#include "ncap/pbwire.h"
#include "netcap.pb-c.h"

#define FIELD_MAX 11          /* tag (1) + 10-byte varint */
#define LEN_FIELD_OVERHEAD 8  /* tag + length varint */

static size_t str_bound(const char *s)
{
	return s ? strlen(s) + LEN_FIELD_OVERHEAD : 0;
}

/* Writes the length prefix before a body written at out + 1. */
static long finish(uint8_t *out, uint8_t *end)
{
	size_t len = (size_t)(end - out - 1);
	size_t k = ncap_varint_size(len);
	if (k > 1)
		memmove(out + k, out + 1, len);
	ncap_varint_put(out, len);
	return (long)(k + len);
}

static long pack_ethernet(const Types__Ethernet *m, uint8_t *out, size_t room)
{
	if (6 * FIELD_MAX + str_bound(m->srcmac) + str_bound(m->dstmac) + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestamp);
	p = pb_string(p, 2, m->srcmac);
	p = pb_string(p, 3, m->dstmac);
	p = pb_int32(p, 4, m->ethernettype);
	p = pb_double(p, 5, m->payloadentropy);
	p = pb_int32(p, 6, m->payloadsize);
	return finish(out, p);
}

static long pack_dot1q(const Types__Dot1Q *m, uint8_t *out, size_t room)
{
	if (5 * FIELD_MAX + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestamp);
	p = pb_int32(p, 2, m->priority);
	p = pb_bool(p, 3, m->dropeligible);
	p = pb_int32(p, 4, m->vlanidentifier);
	p = pb_int32(p, 5, m->type);
	return finish(out, p);
}

/* IPv4Option and TCPOption have the same shape: type, length, data. */
#define OPTION_BOUND(o) (3 * FIELD_MAX + LEN_FIELD_OVERHEAD + (o)->optiondata.len)

static uint8_t *put_option(uint8_t *p, unsigned field, int32_t type, int32_t length,
			   const ProtobufCBinaryData *data)
{
	uint8_t *len_at;
	p = pb_begin_nested(p, field, &len_at);
	p = pb_int32(p, 1, type);
	p = pb_int32(p, 2, length);
	p = pb_bytes_field(p, 3, data->data, data->len);
	return pb_end_nested(len_at, p);
}

static long pack_ipv4(const Types__IPv4 *m, uint8_t *out, size_t room)
{
	size_t bound = 19 * FIELD_MAX + str_bound(m->srcip) + str_bound(m->dstip) +
		       m->padding.len + LEN_FIELD_OVERHEAD + 3;
	for (size_t i = 0; i < m->n_options; i++)
		bound += OPTION_BOUND(m->options[i]);
	if (bound > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestamp);
	p = pb_int32(p, 2, m->version);
	p = pb_int32(p, 3, m->ihl);
	p = pb_int32(p, 4, m->tos);
	p = pb_int32(p, 5, m->length);
	p = pb_int32(p, 6, m->id);
	p = pb_int32(p, 7, m->flags);
	p = pb_int32(p, 8, m->fragoffset);
	p = pb_int32(p, 9, m->ttl);
	p = pb_int32(p, 10, m->protocol);
	p = pb_int32(p, 11, m->checksum);
	p = pb_string(p, 12, m->srcip);
	p = pb_string(p, 13, m->dstip);
	p = pb_bytes_field(p, 14, m->padding.data, m->padding.len);
	for (size_t i = 0; i < m->n_options; i++) {
		const Types__IPv4Option *o = m->options[i];
		p = put_option(p, 15, o->optiontype, o->optionlength, &o->optiondata);
	}
	p = pb_double(p, 16, m->payloadentropy);
	p = pb_int32(p, 17, m->payloadsize);
	p = pb_int32(p, 18, m->srcport);
	p = pb_int32(p, 19, m->dstport);
	return finish(out, p);
}

static long pack_ipv6(const Types__IPv6 *m, uint8_t *out, size_t room)
{
	if (m->hopbyhop)
		return -1; /* rare: protobuf-c handles the nested options */
	if (14 * FIELD_MAX + str_bound(m->srcip) + str_bound(m->dstip) + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestamp);
	p = pb_int32(p, 2, m->version);
	p = pb_int32(p, 3, m->trafficclass);
	p = pb_uint32(p, 4, m->flowlabel);
	p = pb_int32(p, 5, m->length);
	p = pb_int32(p, 6, m->nextheader);
	p = pb_int32(p, 7, m->hoplimit);
	p = pb_string(p, 8, m->srcip);
	p = pb_string(p, 9, m->dstip);
	p = pb_double(p, 10, m->payloadentropy);
	p = pb_int32(p, 11, m->payloadsize);
	p = pb_int32(p, 13, m->srcport);
	p = pb_int32(p, 14, m->dstport);
	return finish(out, p);
}

static long pack_tcp(const Types__TCP *m, uint8_t *out, size_t room)
{
	size_t bound = 25 * FIELD_MAX + str_bound(m->srcip) + str_bound(m->dstip) +
		       m->padding.len + m->payload.len + 2 * LEN_FIELD_OVERHEAD + 3;
	for (size_t i = 0; i < m->n_options; i++)
		bound += OPTION_BOUND(m->options[i]);
	if (bound > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestamp);
	p = pb_int32(p, 2, m->srcport);
	p = pb_int32(p, 3, m->dstport);
	p = pb_uint32(p, 4, m->seqnum);
	p = pb_uint32(p, 5, m->acknum);
	p = pb_int32(p, 6, m->dataoffset);
	p = pb_bool(p, 7, m->fin);
	p = pb_bool(p, 8, m->syn);
	p = pb_bool(p, 9, m->rst);
	p = pb_bool(p, 10, m->psh);
	p = pb_bool(p, 11, m->ack);
	p = pb_bool(p, 12, m->urg);
	p = pb_bool(p, 13, m->ece);
	p = pb_bool(p, 14, m->cwr);
	p = pb_bool(p, 15, m->ns);
	p = pb_int32(p, 16, m->window);
	p = pb_int32(p, 17, m->checksum);
	p = pb_int32(p, 18, m->urgent);
	p = pb_bytes_field(p, 19, m->padding.data, m->padding.len);
	for (size_t i = 0; i < m->n_options; i++) {
		const Types__TCPOption *o = m->options[i];
		p = put_option(p, 20, o->optiontype, o->optionlength, &o->optiondata);
	}
	p = pb_double(p, 21, m->payloadentropy);
	p = pb_int32(p, 22, m->payloadsize);
	p = pb_bytes_field(p, 23, m->payload.data, m->payload.len);
	p = pb_string(p, 24, m->srcip);
	p = pb_string(p, 25, m->dstip);
	return finish(out, p);
}

static long pack_udp(const Types__UDP *m, uint8_t *out, size_t room)
{
	if (10 * FIELD_MAX + str_bound(m->srcip) + str_bound(m->dstip) + m->payload.len +
	    LEN_FIELD_OVERHEAD + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestamp);
	p = pb_int32(p, 2, m->srcport);
	p = pb_int32(p, 3, m->dstport);
	p = pb_int32(p, 4, m->length);
	p = pb_int32(p, 5, m->checksum);
	p = pb_double(p, 6, m->payloadentropy);
	p = pb_int32(p, 7, m->payloadsize);
	p = pb_bytes_field(p, 8, m->payload.data, m->payload.len);
	p = pb_string(p, 9, m->srcip);
	p = pb_string(p, 10, m->dstip);
	return finish(out, p);
}

/* ---- flow records ---------------------------------------------------- */

/* Connection and Flow share fields 2-11: the protocols and the endpoints,
 * all text. */
struct flow_text {
	const char *linkproto, *networkproto, *transportproto, *applicationproto;
	const char *srcmac, *dstmac, *srcip, *srcport, *dstip, *dstport;
};

static size_t flow_text_bound(const struct flow_text *t)
{
	return str_bound(t->linkproto) + str_bound(t->networkproto) + str_bound(t->transportproto) +
	       str_bound(t->applicationproto) + str_bound(t->srcmac) + str_bound(t->dstmac) + str_bound(t->srcip) +
	       str_bound(t->srcport) + str_bound(t->dstip) + str_bound(t->dstport);
}

static uint8_t *put_flow_text(uint8_t *p, const struct flow_text *t)
{
	p = pb_string(p, 2, t->linkproto);
	p = pb_string(p, 3, t->networkproto);
	p = pb_string(p, 4, t->transportproto);
	p = pb_string(p, 5, t->applicationproto);
	p = pb_string(p, 6, t->srcmac);
	p = pb_string(p, 7, t->dstmac);
	p = pb_string(p, 8, t->srcip);
	p = pb_string(p, 9, t->srcport);
	p = pb_string(p, 10, t->dstip);
	return pb_string(p, 11, t->dstport);
}

#define FLOW_TEXT(m)                                                                                        \
	{ (m)->linkproto, (m)->networkproto, (m)->transportproto, (m)->applicationproto, (m)->srcmac, (m)->dstmac, \
	  (m)->srcip, (m)->srcport, (m)->dstip, (m)->dstport }

static long pack_connection(const Types__Connection *m, uint8_t *out, size_t room)
{
	const struct flow_text t = FLOW_TEXT(m);
	if (19 * FIELD_MAX + flow_text_bound(&t) + str_bound(m->uid) + str_bound(m->communityid) + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestampfirst);
	p = put_flow_text(p, &t);
	p = pb_int32(p, 12, m->totalsize);
	p = pb_int32(p, 13, m->apppayloadsize);
	p = pb_int32(p, 14, m->numpackets);
	p = pb_string(p, 15, m->uid);
	p = pb_int64(p, 16, m->timestamplast);
	p = pb_int64(p, 17, m->duration);
	p = pb_int64(p, 18, m->bytesservertoclient);
	p = pb_int64(p, 19, m->bytesclienttoserver);
	p = pb_int32(p, 20, m->numfinflags);
	p = pb_int32(p, 21, m->numrstflags);
	p = pb_int32(p, 22, m->numackflags);
	p = pb_int32(p, 23, m->numsynflags);
	p = pb_int32(p, 24, m->numurgflags);
	p = pb_int32(p, 25, m->numeceflags);
	p = pb_int32(p, 26, m->numpshflags);
	p = pb_int32(p, 27, m->numcwrflags);
	p = pb_int32(p, 28, m->numnsflags);
	p = pb_int32(p, 29, m->meanwindowsize);
	p = pb_string(p, 101, m->communityid);
	return finish(out, p);
}

static long pack_flow(const Types__Flow *m, uint8_t *out, size_t room)
{
	const struct flow_text t = FLOW_TEXT(m);
	if (6 * FIELD_MAX + flow_text_bound(&t) + str_bound(m->uid) + str_bound(m->communityid) + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, m->timestampfirst);
	p = put_flow_text(p, &t);
	p = pb_int32(p, 12, m->size);
	p = pb_int32(p, 13, m->apppayloadsize);
	p = pb_int32(p, 14, m->numpackets);
	p = pb_string(p, 15, m->uid);
	p = pb_int64(p, 16, m->timestamplast);
	p = pb_int64(p, 17, m->duration);
	p = pb_string(p, 101, m->communityid);
	return finish(out, p);
}

/* LinkFlow, NetworkFlow and TransportFlow: the aggregates' sums, field for
 * field alike but for the pair (fields 4 and 5): text for a MAC or an
 * address pair, numbers for a port pair. */
struct aggregate_fields {
	int64_t first, last, size, packets, duration;
	uint64_t uid;
	const char *proto;
	bool text;                  /* the pair is a, b; else port_a, port_b */
	const char *a, *b;
	int32_t port_a, port_b;
};

static long pack_aggregate(const struct aggregate_fields *g, uint8_t *out, size_t room)
{
	if (8 * FIELD_MAX + str_bound(g->proto) + str_bound(g->a) + str_bound(g->b) + 3 > room)
		return 0;
	uint8_t *p = out + 1;
	p = pb_int64(p, 1, g->first);
	p = pb_int64(p, 2, g->last);
	p = pb_string(p, 3, g->proto);
	if (g->text) {
		p = pb_string(p, 4, g->a);
		p = pb_string(p, 5, g->b);
	} else {
		p = pb_int32(p, 4, g->port_a);
		p = pb_int32(p, 5, g->port_b);
	}
	p = pb_int64(p, 6, g->size);
	p = pb_int64(p, 7, g->packets);
	p = pb_uint64(p, 8, g->uid);
	p = pb_int64(p, 9, g->duration);
	return finish(out, p);
}

#define AGGREGATE_SUMS(m)                                                                                   \
	.first = (m)->timestampfirst, .last = (m)->timestamplast, .size = (m)->size, .packets = (m)->numpackets, \
	.duration = (m)->duration, .uid = (m)->uid, .proto = (m)->proto

static long pack_link_flow(const Types__LinkFlow *m, uint8_t *out, size_t room)
{
	const struct aggregate_fields g = { AGGREGATE_SUMS(m), .text = true, .a = m->srcmac, .b = m->dstmac };
	return pack_aggregate(&g, out, room);
}

static long pack_network_flow(const Types__NetworkFlow *m, uint8_t *out, size_t room)
{
	const struct aggregate_fields g = { AGGREGATE_SUMS(m), .text = true, .a = m->srcip, .b = m->dstip };
	return pack_aggregate(&g, out, room);
}

static long pack_transport_flow(const Types__TransportFlow *m, uint8_t *out, size_t room)
{
	const struct aggregate_fields g = { AGGREGATE_SUMS(m), .port_a = m->srcport, .port_b = m->dstport };
	return pack_aggregate(&g, out, room);
}

/* A record cut to fit (truncate.h) carries Truncated, field 100, which the
 * packers here leave out: protobuf-c packs those few. */
#define FAST_OR_NOT(T, fn) ((const Types__##T *)msg)->truncated ? -1 : fn((const Types__##T *)msg, out, room)

long ncap_fastpack(int type, const ProtobufCMessage *msg, uint8_t *out, size_t room)
{
	switch (type) {
	case TYPES__TYPE__NC_Ethernet: return FAST_OR_NOT(Ethernet, pack_ethernet);
	case TYPES__TYPE__NC_Dot1Q: return FAST_OR_NOT(Dot1Q, pack_dot1q);
	case TYPES__TYPE__NC_IPv4: return FAST_OR_NOT(IPv4, pack_ipv4);
	case TYPES__TYPE__NC_IPv6: return FAST_OR_NOT(IPv6, pack_ipv6);
	case TYPES__TYPE__NC_TCP: return FAST_OR_NOT(TCP, pack_tcp);
	case TYPES__TYPE__NC_UDP: return FAST_OR_NOT(UDP, pack_udp);
	case TYPES__TYPE__NC_Connection: return FAST_OR_NOT(Connection, pack_connection);
	case TYPES__TYPE__NC_Flow: return FAST_OR_NOT(Flow, pack_flow);
	case TYPES__TYPE__NC_LinkFlow: return FAST_OR_NOT(LinkFlow, pack_link_flow);
	case TYPES__TYPE__NC_NetworkFlow: return FAST_OR_NOT(NetworkFlow, pack_network_flow);
	case TYPES__TYPE__NC_TransportFlow: return FAST_OR_NOT(TransportFlow, pack_transport_flow);
	default: return -1;
	}
}

long ncap_pack_delimited(const ProtobufCMessage *msg, uint8_t *out, size_t room)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	size_t k = ncap_varint_size(size);
	if (k + size > room)
		return 0;
	ncap_varint_put(out, size);
	return (long)(k + protobuf_c_message_pack(msg, out + k));
}
