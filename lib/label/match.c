/* match.c: the matching rules of match.h: a record type's family from its
 * descriptor, a record's alerts from the index, and the Label column. */
#include "label/match.h"

#include <stdlib.h>
#include <string.h>

#include "label/alerts.h"

#define NS_PER_S 1000000000LL

/* A singular field of the given name and one of the given types, or NULL:
 * a field of the right name but another type is not used (a schema change
 * must not make us read an int as a pointer). */
static const ProtobufCFieldDescriptor *field(const ProtobufCMessageDescriptor *d, const char *name,
					     ProtobufCType t1, ProtobufCType t2)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
	if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return NULL;
	return f->type == t1 || f->type == t2 ? f : NULL;
}

static const ProtobufCFieldDescriptor *int64_field(const ProtobufCMessageDescriptor *d,
						   const char *name)
{
	return field(d, name, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64);
}

static const ProtobufCFieldDescriptor *string_field(const ProtobufCMessageDescriptor *d,
						    const char *name)
{
	return field(d, name, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_STRING);
}

static const ProtobufCFieldDescriptor *port_field(const ProtobufCMessageDescriptor *d,
						  const char *name)
{
	return field(d, name, PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_STRING);
}

static bool name_is(const ProtobufCMessageDescriptor *d, const char *name)
{
	return d->short_name && strcmp(d->short_name, name) == 0;
}

/* The IP protocol a type's name implies for its tuple; LABEL_ANY_PROTO
 * for application protocols that run over several (DNS over UDP or TCP). */
static int type_proto(const ProtobufCMessageDescriptor *d)
{
	if (name_is(d, "TCP") || name_is(d, "TLSClientHello") || name_is(d, "TLSServerHello") ||
	    name_is(d, "HTTP"))
		return 6;
	if (name_is(d, "UDP"))
		return 17;
	if (name_is(d, "SCTP"))
		return 132;
	return LABEL_ANY_PROTO;
}

void label_matcher_init(struct label_matcher *m, const ProtobufCMessageDescriptor *desc,
			int64_t app_slack_ns)
{
	memset(m, 0, sizeof *m);
	m->desc = desc;
	m->app_slack_ns = app_slack_ns < 0 ? LABEL_APP_SLACK_DEFAULT_NS : app_slack_ns;
	m->family = LABEL_FAMILY_NONE;
	m->proto = LABEL_ANY_PROTO;
	if (!desc) {
		m->why_none = "no message type";
		return;
	}
	m->ts = int64_field(desc, "Timestamp");
	m->ts_first = int64_field(desc, "TimestampFirst");
	m->ts_last = int64_field(desc, "TimestampLast");
	m->src_ip = string_field(desc, "SrcIP");
	m->dst_ip = string_field(desc, "DstIP");
	m->src_port = port_field(desc, "SrcPort");
	m->dst_port = port_field(desc, "DstPort");
	m->transport = string_field(desc, "TransportProto");
	m->done_after = int64_field(desc, "DoneAfter");
	m->proto = type_proto(desc);
	bool addrs = m->src_ip && m->dst_ip;
	bool ports = m->src_port && m->dst_port;
	if (!addrs)
		m->src_ip = m->dst_ip = NULL;
	if (!ports)
		m->src_port = m->dst_port = NULL;

	if (m->ts_first && m->ts_last) {
		if (addrs) {
			m->family = LABEL_FAMILY_FLOW;
		} else {
			/* LinkFlow (MACs) and TransportFlow (ports of any hosts):
			 * alerts carry no MAC, and ports alone would join
			 * unrelated hosts over a span that may be the whole
			 * capture. */
			m->why_none = "a flow without IP addresses";
		}
		return;
	}
	if (!m->ts) {
		m->why_none = "no Timestamp";
		return;
	}
	if (name_is(desc, "HTTP") || name_is(desc, "TLSClientHello") ||
	    name_is(desc, "TLSServerHello")) {
		if (addrs) {
			m->family = LABEL_FAMILY_APP;
			if (!name_is(desc, "HTTP") && !ports)
				m->family = LABEL_FAMILY_NONE, m->why_none = "TLS without ports";
		} else {
			m->why_none = "no IP addresses";
		}
		return;
	}
	/* The network layer's own records: the packet's addresses are what
	 * they describe; their ports (where the schema has them) repeat the
	 * transport's and are 0 in fragments. */
	bool network = name_is(desc, "IPv4") || name_is(desc, "IPv6") || name_is(desc, "IPv6Fragment");
	if (addrs && ports && !network)
		m->family = LABEL_FAMILY_PACKET_TUPLE;
	else if (addrs)
		m->family = LABEL_FAMILY_PACKET_ADDRS;
	else
		m->family = LABEL_FAMILY_PACKET_TIME;
}

const char *label_family_name(enum label_family f)
{
	switch (f) {
	case LABEL_FAMILY_PACKET_TUPLE: return "packet-tuple";
	case LABEL_FAMILY_PACKET_ADDRS: return "packet-addresses";
	case LABEL_FAMILY_PACKET_TIME: return "packet-time";
	case LABEL_FAMILY_FLOW: return "flow";
	case LABEL_FAMILY_APP: return "application";
	case LABEL_FAMILY_NONE: break;
	}
	return "none";
}

/* Field access: the offsets come from the descriptor the record was
 * checked against. */
static const void *at(const ProtobufCMessage *r, const ProtobufCFieldDescriptor *f)
{
	return (const char *)r + f->offset;
}

static int64_t get_int64(const ProtobufCMessage *r, const ProtobufCFieldDescriptor *f)
{
	int64_t v;
	memcpy(&v, at(r, f), sizeof v);
	return v;
}

static const char *get_string(const ProtobufCMessage *r, const ProtobufCFieldDescriptor *f)
{
	const char *s;
	memcpy(&s, at(r, f), sizeof s);
	return s ? s : "";
}

/* 1: *port set; 0: absent (empty text); -1: not a port. */
static int get_port(const ProtobufCMessage *r, const ProtobufCFieldDescriptor *f, uint16_t *port)
{
	if (f->type == PROTOBUF_C_TYPE_INT32) {
		int32_t v;
		memcpy(&v, at(r, f), sizeof v);
		if (v < 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
		return 1;
	}
	const char *s = get_string(r, f);
	if (!*s)
		return 0;
	uint32_t v = 0;
	size_t i = 0;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 1;
}

/* A TransportProto name as netcap writes it (lib/flow/internal.h), else
 * as Suricata names protocols; "" or unknown: any. */
static int transport_number(const char *s)
{
	if (!*s)
		return LABEL_ANY_PROTO;
	if (strcmp(s, "ICMPv4") == 0)
		return 1;
	if (strcmp(s, "ICMPv6") == 0)
		return 58;
	int p = alert_proto_number(s, strlen(s));
	return p < 0 ? LABEL_ANY_PROTO : p;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	return b > 0 && a < INT64_MIN + b ? INT64_MIN : a - b;
}

struct collector {
	struct label_index *idx;
	uint32_t *out;
	size_t cap, n, total;
	/* Ports to check on alerts found by address (either direction). */
	bool filter_ports;
	const uint8_t *a, *b;
	uint16_t ap, bp;
	/* Only alerts stamped after this (those found by flow start that
	 * the query by time did not find already). */
	bool only_after;
	int64_t after;
};

static bool collect(void *arg, uint32_t alert_no, const struct alert *al)
{
	struct collector *c = arg;
	if (c->only_after && al->ts <= c->after)
		return true;
	if (c->filter_ports) {
		bool fwd = !memcmp(al->src, c->a, 16) && !memcmp(al->dst, c->b, 16) &&
			   al->src_port == c->ap && al->dst_port == c->bp;
		bool rev = !memcmp(al->src, c->b, 16) && !memcmp(al->dst, c->a, 16) &&
			   al->src_port == c->bp && al->dst_port == c->ap;
		if (!fwd && !rev)
			return true;
	}
	label_index_mark(c->idx, alert_no);
	if (c->n < c->cap)
		c->out[c->n++] = alert_no;
	c->total++;
	return true;
}

size_t label_match(const struct label_matcher *m, const ProtobufCMessage *record,
		   struct label_index *idx, uint32_t *out, size_t cap,
		   struct label_match_result *res)
{
	struct collector c = { .idx = idx, .out = out, .cap = out ? cap : 0 };
	bool bad = false;
	if (!record || !m->desc || record->descriptor != m->desc) {
		bad = record != NULL || m->family != LABEL_FAMILY_NONE;
		goto done;
	}
	if (m->family == LABEL_FAMILY_NONE)
		goto done;

	struct label_query q = { .proto = m->proto };
	if (m->family == LABEL_FAMILY_FLOW) {
		q.t_from = get_int64(record, m->ts_first);
		q.t_to = get_int64(record, m->ts_last);
	} else {
		q.t_from = q.t_to = get_int64(record, m->ts);
	}
	if (m->family == LABEL_FAMILY_PACKET_TIME) {
		label_index_find_time(idx, q.t_from, q.t_to, collect, &c, NULL);
		goto done;
	}

	uint8_t a[16], b[16];
	const char *sa = get_string(record, m->src_ip), *sb = get_string(record, m->dst_ip);
	if (!*sa && !*sb)
		goto done; /* no IP (a non-IP Connection): no IP alert can be its */
	int va = alert_parse_addr(sa, strlen(sa), a), vb = alert_parse_addr(sb, strlen(sb), b);
	if (!va || va != vb) {
		bad = true;
		goto done;
	}
	q.version = (uint8_t)va;
	q.a_addr = a, q.b_addr = b;

	int have_ports = 0;
	if (m->src_port) {
		int pa = get_port(record, m->src_port, &q.a_port);
		int pb = get_port(record, m->dst_port, &q.b_port);
		if (pa < 0 || pb < 0 || pa != pb) {
			bad = true;
			goto done;
		}
		have_ports = pa;
	}

	switch (m->family) {
	case LABEL_FAMILY_PACKET_TUPLE:
		/* By address at the packet's time (a window of 2 tolerances
		 * holds that packet's alerts and hardly another), the ports
		 * checked on each: also for types over several protocols. */
		c.filter_ports = true, c.a = a, c.b = b, c.ap = q.a_port, c.bp = q.b_port;
		label_index_find_addrs(idx, &q, collect, &c, NULL);
		break;
	case LABEL_FAMILY_PACKET_ADDRS:
		q.proto = LABEL_ANY_PROTO;
		label_index_find_addrs(idx, &q, collect, &c, NULL);
		break;
	case LABEL_FAMILY_FLOW:
		if (m->transport)
			q.proto = transport_number(get_string(record, m->transport));
		else
			q.proto = LABEL_ANY_PROTO;
		if (have_ports && q.proto != LABEL_ANY_PROTO) {
			label_index_find(idx, &q, collect, &c, NULL);
			/* Alerts Suricata raised when it flushed the flow (at its
			 * timeout or the capture's end), stamped after its last
			 * packet: eve.json gives their flow's start. Those of this
			 * tuple whose flow started within the span (or the slack
			 * before it: the reverse Flow starts a round trip after
			 * the SYN) and that came after it are the record's too. */
			struct label_query late = q;
			late.t_from = sat_sub(q.t_from, m->app_slack_ns);
			c.only_after = true;
			c.after = sat_add(q.t_to, idx->tolerance_ns);
			label_index_find_flow_start(idx, &late, collect, &c, NULL);
		} else {
			if (have_ports)
				c.filter_ports = true, c.a = a, c.b = b, c.ap = q.a_port,
				c.bp = q.b_port;
			label_index_find_addrs(idx, &q, collect, &c, NULL);
		}
		break;
	case LABEL_FAMILY_APP: {
		int64_t done = m->done_after ? get_int64(record, m->done_after) : 0;
		q.t_to = sat_add(sat_add(q.t_from, done > 0 ? done : 0), m->app_slack_ns);
		if (have_ports)
			label_index_find(idx, &q, collect, &c, NULL);
		else
			label_index_find_addrs(idx, &q, collect, &c, NULL);
		break;
	}
	default:
		break;
	}
done:
	if (res) {
		res->total = c.total;
		res->bad_record = bad;
	}
	return c.n;
}

/* Label text. */

static const char *alert_label(const struct alert *a, bool description)
{
	if (description || !a->classification || !*a->classification)
		return a->signature ? a->signature : "";
	return a->classification;
}

static bool same_text(const char *x, const char *y)
{
	return x == y || strcmp(x ? x : "", y ? y : "") == 0;
}

static bool excluded(const struct label_text_options *o, const struct alert *a)
{
	for (size_t i = 0; i < o->n_exclude; i++)
		if (o->exclude_class[i] && same_text(o->exclude_class[i], a->classification))
			return true;
	return false;
}

static int cmp_time_sid(const void *pa, const void *pb, void *arg)
{
	const struct alert *alerts = arg;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	const struct alert *x = &alerts[ia], *y = &alerts[ib];
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* Appends to out like snprintf, counting the full length in *len. */
static void put(char *out, size_t outlen, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + 1 < outlen) {
		size_t room = outlen - 1 - *len;
		memcpy(out + *len, s, n < room ? n : room);
	}
	*len += n;
	if (outlen)
		out[*len < outlen ? *len : outlen - 1] = '\0';
}

int label_text(const struct label_index *idx, uint32_t *matches, size_t n,
	       const struct label_text_options *o, char *out, size_t outlen)
{
	static const struct label_text_options none;
	if (!o)
		o = &none;
	if (outlen)
		out[0] = '\0';
	if (n > 1)
		qsort_r(matches, n, sizeof *matches, cmp_time_sid, (void *)idx->alerts);

	/* Drop excluded alerts and numbers outside the index, in place. */
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (matches[i] >= idx->n || excluded(o, &idx->alerts[matches[i]]))
			continue;
		matches[kept++] = matches[i];
	}
	size_t len = 0;
	if (!kept) {
		put(out, outlen, &len, "normal");
		return (int)len;
	}

	if (o->strict) {
		const char *first = idx->alerts[matches[0]].classification;
		bool conflict = false;
		for (size_t i = 1; i < kept && !conflict; i++)
			conflict = !same_text(first, idx->alerts[matches[i]].classification);
		if (conflict) {
			/* Name the distinct classes, in time order. */
			for (size_t i = 0; i < kept; i++) {
				const char *cls = idx->alerts[matches[i]].classification;
				bool seen = false;
				for (size_t j = 0; j < i && !seen; j++)
					seen = same_text(cls, idx->alerts[matches[j]].classification);
				if (seen)
					continue;
				if (len)
					put(out, outlen, &len, " | ");
				put(out, outlen, &len, cls ? cls : "");
			}
			return LABEL_TEXT_CONFLICT;
		}
	}

	if (o->collect) {
		for (size_t i = 0; i < kept; i++) {
			const char *l = alert_label(&idx->alerts[matches[i]], o->description);
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = same_text(l, alert_label(&idx->alerts[matches[j]], o->description));
			if (seen)
				continue;
			if (len)
				put(out, outlen, &len, " | ");
			put(out, outlen, &len, l);
		}
	} else {
		/* The most severe (lowest priority number), then the earliest,
		 * then the lowest sid: matches are in (time, sid, file) order,
		 * so the first of the lowest priority wins. */
		size_t best = 0;
		for (size_t i = 1; i < kept; i++)
			if (idx->alerts[matches[i]].priority < idx->alerts[matches[best]].priority)
				best = i;
		put(out, outlen, &len, alert_label(&idx->alerts[matches[best]], o->description));
	}
	return len > INT32_MAX ? INT32_MAX : (int)len;
}
