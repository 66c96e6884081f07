/* dns.c: DNS messages (DNS record), RFC 1035.
 *
 * One decoder for DNS on UDP 53, mDNS (UDP 5353, RFC 6762) and LLMNR (UDP
 * 5355, RFC 4795), which share the message format, and for DNS on TCP 53,
 * where each message has a 2-byte length prefix (RFC 1035 4.2.2): every whole
 * message in the segment gives a record; a message that goes on in a later
 * segment is counted (DNS/truncated, without stopping: no reassembly) and not
 * decoded.
 *
 * Fields follow gopacket's DNS layer, whose records netcap's are: the header
 * bits as they stand (Z the 3 bits between RA and RCODE), the four counts as
 * written, Questions/Answers/Authorities/Additionals as decoded. Names are
 * the labels joined with dots, no trailing dot, "" for the root; label bytes
 * are copied, except that control bytes are escaped as tshark prints them
 * (\t, \n, ..., else \ooo octal), so that a name is always a C string. For
 * every resource record: Name, Type, Class, TTL, DataLength (RDLENGTH) and
 * Data (the raw RDATA); then by type, as gopacket: A and AAAA the address
 * text in IP; NS, CNAME and PTR the name in NS/CNAME/PTR; SOA, SRV and MX in
 * their nested messages (set only for their type); TXT and HINFO the
 * <character-string>s in TXTs. Other types (OPT, DNSSEC, ...) have Data only.
 * Names in RDATA are decompressed against the whole message.
 *
 * Compression pointers (RFC 1035 4.1.4) must point strictly before the
 * lowest offset the name has been read from so far: that guard rejects
 * pointer loops (a self-pointer, A to B to A) and forward pointers, so every
 * name ends; no more than DNS_MAX_POINTERS are followed, and a name longer
 * than 255 bytes in wire form, or a label type other than a length (0..63)
 * or a pointer (the 0x40/0x80 extended label types), is a fault.
 *
 * Faults (no DNS record, as gopacket makes no layer): fewer than 12 header
 * bytes, a question or record past the data (TRUNCATED); a bad pointer or
 * label type (BAD_VALUE); a name over 255 bytes, RDATA whose names, fields
 * or character-strings do not fit its RDLENGTH (BAD_LENGTH). An A or AAAA
 * record whose RDATA is not 4 or 16 bytes keeps its record with IP empty,
 * counted as DNS/bad-length without stopping (gopacket keeps it too).
 *
 * Bounded work: the message is walked once to check it and count its
 * entries, and only then, when the DNS record is wanted, again to fill it,
 * so a count of 65535 with no data behind it allocates nothing. At most
 * DNS_MAX_ENTRIES entries per section and DNS_MAX_TXTS strings per record
 * are kept (the rest are checked but not stored, counted as
 * DNS/record-space-exhausted without stopping); the counts keep the header's
 * values. */
#include "decode/decoders.h"

#define DNS_HEADER 12
#define DNS_MAX_NAME_WIRE 255     /* RFC 1035 3.1 */
#define DNS_MAX_POINTERS 64
#define DNS_MAX_ENTRIES 256
#define DNS_MAX_TXTS 256
#define DNS_NAME_TEXT (DNS_MAX_NAME_WIRE * 4 + 1) /* every byte as \ooo */
#define DNS_TCP_MAX_MESSAGES 16
#define DNS_POINTER 0xc0

enum {
	DNS_A = 1, DNS_NS = 2, DNS_CNAME = 5, DNS_SOA = 6, DNS_PTR = 12,
	DNS_HINFO = 13, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_SRV = 33,
};

/* Outcome of reading a name; the caller picks the fault reason, since
 * running out of data means a cut message in a section and a lying RDLENGTH
 * inside RDATA. */
enum name_status { NAME_OK, NAME_SHORT, NAME_BAD_POINTER, NAME_BAD_LABEL, NAME_TOO_LONG };

struct dns_name {
	uint32_t len;
	char text[DNS_NAME_TEXT];
};

/* A walk over one message: check only (rec NULL), or fill rec. */
struct dns_walk {
	struct decoder_ctx *ctx;
	struct packet *pkt;
	struct cursor msg;        /* the whole message at position 0: pointer targets */
	Types__DNS *rec;
	bool capped;              /* entries or strings beyond the caps */
	int reason;               /* the fault, when the walk failed */
	struct dns_name name;     /* scratch */
};

static bool walk_fail(struct dns_walk *w, enum decode_reason reason)
{
	w->reason = (int)reason;
	return false;
}

static void name_append(struct dns_name *n, const uint8_t *label, uint32_t len)
{
	static const char special[] = { ['\a'] = 'a', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
					['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r' };
	if (n->len)
		n->text[n->len++] = '.';
	for (uint32_t i = 0; i < len; i++) {
		uint8_t b = label[i];
		if (b >= 0x20 && b != 0x7f) {
			n->text[n->len++] = (char)b;
		} else if (b < sizeof special && special[b]) {
			n->text[n->len++] = '\\';
			n->text[n->len++] = special[b];
		} else {
			n->text[n->len++] = '\\';
			n->text[n->len++] = (char)('0' + (b >> 6));
			n->text[n->len++] = (char)('0' + (b >> 3 & 7));
			n->text[n->len++] = (char)('0' + (b & 7));
		}
	}
	n->text[n->len] = '\0';
}

/* Reads the name at c, leaving c after it (after its first pointer when it
 * is compressed); pointers jump within msg. */
static enum name_status read_name(const struct cursor *msg, struct cursor *c, struct dns_name *out)
{
	struct cursor jump;
	struct cursor *rd = c;
	uint32_t lowest = cur_pos(c);   /* where this name has been read from, at least */
	uint32_t wire = 1;              /* the terminating zero length */
	unsigned pointers = 0;

	out->len = 0;
	out->text[0] = '\0';
	for (;;) {
		uint8_t len = cur_u8(rd);
		if (!cur_ok(rd))
			return NAME_SHORT;
		if (len == 0)
			return NAME_OK;
		switch (len & DNS_POINTER) {
		case DNS_POINTER: {
			uint8_t low = cur_u8(rd);
			if (!cur_ok(rd))
				return NAME_SHORT;
			uint32_t target = (uint32_t)(len & 0x3f) << 8 | low;
			if (target >= lowest || ++pointers > DNS_MAX_POINTERS)
				return NAME_BAD_POINTER;
			jump = *msg;
			if (!cur_skip(&jump, target))
				return NAME_BAD_POINTER;
			lowest = target;
			rd = &jump;
			break;
		}
		case 0x00: {
			wire += len + 1u;
			if (wire > DNS_MAX_NAME_WIRE)
				return NAME_TOO_LONG;
			const uint8_t *label = cur_bytes(rd, len);
			if (!label)
				return NAME_SHORT;
			name_append(out, label, len);
			break;
		}
		default:              /* 0x40, 0x80: extended label types */
			return NAME_BAD_LABEL;
		}
	}
}

static bool name_fail(struct dns_walk *w, enum name_status st, enum decode_reason short_reason)
{
	switch (st) {
	case NAME_SHORT:
		return walk_fail(w, short_reason);
	case NAME_TOO_LONG:
		return walk_fail(w, REASON_BAD_LENGTH);
	default:
		return walk_fail(w, REASON_BAD_VALUE);
	}
}

static char *name_text(struct dns_walk *w)
{
	return arena_strndup(&w->ctx->arena, w->name.text, w->name.len);
}

static ProtobufCBinaryData name_bytes(struct dns_walk *w)
{
	char *s = name_text(w);
	return (ProtobufCBinaryData){ .len = *s ? w->name.len : 0, .data = (uint8_t *)s };
}

/* A name inside RDATA (rd limited to the RDATA). */
static bool rdata_name(struct dns_walk *w, struct cursor *rd)
{
	enum name_status st = read_name(&w->msg, rd, &w->name);
	return st == NAME_OK || name_fail(w, st, REASON_BAD_LENGTH);
}

static bool rdata_txts(struct dns_walk *w, struct cursor rd, Types__DNSResourceRecord *r)
{
	size_t n = 0;
	for (struct cursor c = rd; cur_left(&c); n++)
		if (!cur_skip(&c, cur_u8(&c)) || !cur_ok(&c))
			return walk_fail(w, REASON_BAD_LENGTH);
	if (n > DNS_MAX_TXTS) {
		n = DNS_MAX_TXTS;
		w->capped = true;
	}
	if (!r || n == 0)
		return true;
	ProtobufCBinaryData *txts = arena_alloc(&w->ctx->arena, n * sizeof *txts);
	if (!txts) {
		decode_fail(w->ctx, w->pkt, PROTO_DNS, REASON_ARENA_FULL);
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t len = cur_u8(&rd);
		txts[i] = pb_bytes(cur_bytes(&rd, len), len);
	}
	r->txts = txts;
	r->n_txts = n;
	return true;
}

/* Decodes RDATA by type into r (NULL: check only). */
static bool rdata(struct dns_walk *w, uint16_t type, struct cursor rd, Types__DNSResourceRecord *r)
{
	struct arena *a = &w->ctx->arena;
	switch (type) {
	case DNS_A:
	case DNS_AAAA: {
		uint32_t want = type == DNS_A ? 4 : 16;
		if (cur_left(&rd) != want) {
			if (!r)
				decode_note(w->ctx, PROTO_DNS, REASON_BAD_LENGTH);
			return true;
		}
		if (r)
			r->ip = format_ip(a, type == DNS_A ? 4 : 6, cur_here(&rd));
		return true;
	}
	case DNS_NS:
	case DNS_CNAME:
	case DNS_PTR:
		if (!rdata_name(w, &rd))
			return false;
		if (r) {
			ProtobufCBinaryData name = name_bytes(w);
			if (type == DNS_NS)
				r->ns = name;
			else if (type == DNS_CNAME)
				r->cname = name;
			else
				r->ptr = name;
		}
		return true;
	case DNS_SOA: {
		Types__DNSSOA *soa = r ? arena_alloc(a, sizeof *soa) : NULL;
		if (soa) {
			types__dnssoa__init(soa);
			r->soa = soa;
		}
		if (!rdata_name(w, &rd))
			return false;
		if (soa)
			soa->mname = name_bytes(w);
		if (!rdata_name(w, &rd))
			return false;
		if (soa)
			soa->rname = name_bytes(w);
		uint32_t v[5];
		for (int i = 0; i < 5; i++)
			v[i] = cur_be32(&rd);
		if (!cur_ok(&rd))
			return walk_fail(w, REASON_BAD_LENGTH);
		if (soa) {
			soa->serial = v[0];
			soa->refresh = v[1];
			soa->retry = v[2];
			soa->expire = v[3];
			soa->minimum = v[4];
		}
		return true;
	}
	case DNS_MX: {
		uint16_t preference = cur_be16(&rd);
		if (!cur_ok(&rd))
			return walk_fail(w, REASON_BAD_LENGTH);
		if (!rdata_name(w, &rd))
			return false;
		Types__DNSMX *mx = r ? arena_alloc(a, sizeof *mx) : NULL;
		if (mx) {
			types__dnsmx__init(mx);
			mx->preference = preference;
			mx->name = name_text(w);
			r->mx = mx;
		}
		return true;
	}
	case DNS_SRV: {
		uint16_t priority = cur_be16(&rd);
		uint16_t weight = cur_be16(&rd);
		uint16_t port = cur_be16(&rd);
		if (!cur_ok(&rd))
			return walk_fail(w, REASON_BAD_LENGTH);
		if (!rdata_name(w, &rd))
			return false;
		Types__DNSSRV *srv = r ? arena_alloc(a, sizeof *srv) : NULL;
		if (srv) {
			types__dnssrv__init(srv);
			srv->priority = priority;
			srv->weight = weight;
			srv->port = port;
			srv->name = name_bytes(w);
			r->srv = srv;
		}
		return true;
	}
	case DNS_TXT:
	case DNS_HINFO:
		return rdata_txts(w, rd, r);
	default:
		return true;
	}
}

static bool resource_record(struct dns_walk *w, struct cursor *c, Types__DNSResourceRecord *r)
{
	enum name_status st = read_name(&w->msg, c, &w->name);
	if (st != NAME_OK)
		return name_fail(w, st, REASON_TRUNCATED);
	if (r)
		r->name = name_text(w);
	uint16_t type = cur_be16(c);
	uint16_t class = cur_be16(c);
	uint32_t ttl = cur_be32(c);
	uint16_t length = cur_be16(c);
	uint32_t start = cur_pos(c);
	const uint8_t *data = cur_bytes(c, length);
	if (!cur_ok(c))
		return walk_fail(w, REASON_TRUNCATED);
	if (r) {
		r->type = type;
		r->class_ = class;
		r->ttl = ttl;
		r->datalength = length;
		r->data = pb_bytes(data, length);
	}
	/* RDATA with message offsets, for names, limited to RDLENGTH. */
	struct cursor rd = w->msg;
	cur_skip(&rd, start);
	cur_limit(&rd, length);
	return rdata(w, type, rd, r);
}

static bool question(struct dns_walk *w, struct cursor *c, Types__DNSQuestion *q)
{
	enum name_status st = read_name(&w->msg, c, &w->name);
	if (st != NAME_OK)
		return name_fail(w, st, REASON_TRUNCATED);
	uint16_t type = cur_be16(c);
	uint16_t class = cur_be16(c);
	if (!cur_ok(c))
		return walk_fail(w, REASON_TRUNCATED);
	if (q) {
		q->name = name_text(w);
		q->type = type;
		q->class_ = class;
	}
	return true;
}

/* Walks `count` entries of one section; when filling, stores the first
 * DNS_MAX_ENTRIES into a new array (*out, *n_out). */
static bool section(struct dns_walk *w, struct cursor *c, uint16_t count, bool questions,
		    void ***out, size_t *n_out)
{
	size_t keep = count < DNS_MAX_ENTRIES ? count : DNS_MAX_ENTRIES;
	void **arr = NULL;
	if (w->rec && keep) {
		arr = record_array(w->ctx, w->pkt, questions ? &types__dnsquestion__descriptor
			: &types__dnsresource_record__descriptor, keep);
		if (arr) {
			*out = arr;
			*n_out = keep;
		}
	}
	if (count > DNS_MAX_ENTRIES)
		w->capped = true;
	for (size_t i = 0; i < count; i++) {
		void *entry = arr && i < keep ? arr[i] : NULL;
		bool ok = questions ? question(w, c, entry) : resource_record(w, c, entry);
		if (!ok)
			return false;
	}
	return true;
}

struct dns_header {
	uint16_t id, flags, qd, an, ns, ar;
};

static bool walk_message(struct dns_walk *w, const struct dns_header *h)
{
	struct cursor c = w->msg;
	cur_skip(&c, DNS_HEADER);
	Types__DNS *r = w->rec;
	void **q = NULL, **an = NULL, **ns = NULL, **ar = NULL;
	size_t nq = 0, nan = 0, nns = 0, nar = 0;
	bool ok = section(w, &c, h->qd, true, &q, &nq) &&
		  section(w, &c, h->an, false, &an, &nan) &&
		  section(w, &c, h->ns, false, &ns, &nns) &&
		  section(w, &c, h->ar, false, &ar, &nar);
	if (r) {
		r->questions = (Types__DNSQuestion **)q;
		r->n_questions = nq;
		r->answers = (Types__DNSResourceRecord **)an;
		r->n_answers = nan;
		r->authorities = (Types__DNSResourceRecord **)ns;
		r->n_authorities = nns;
		r->additionals = (Types__DNSResourceRecord **)ar;
		r->n_additionals = nar;
	}
	return ok;
}

static void fill_header(Types__DNS *r, const struct packet *pkt, const struct dns_header *h)
{
	r->timestamp = pkt->ts;
	r->id = h->id;
	r->qr = (h->flags & 0x8000) != 0;
	r->opcode = h->flags >> 11 & 0x0f;
	r->aa = (h->flags & 0x0400) != 0;
	r->tc = (h->flags & 0x0200) != 0;
	r->rd = (h->flags & 0x0100) != 0;
	r->ra = (h->flags & 0x0080) != 0;
	r->z = h->flags >> 4 & 0x07;
	r->responsecode = h->flags & 0x0f;
	r->qdcount = h->qd;
	r->ancount = h->an;
	r->nscount = h->ns;
	r->arcount = h->ar;
	r->srcip = (char *)(pkt->src_ip_str ? pkt->src_ip_str : "");
	r->dstip = (char *)(pkt->dst_ip_str ? pkt->dst_ip_str : "");
	r->srcport = pkt->src_port;
	r->dstport = pkt->dst_port;
}

/* One message: the cursor's whole window. */
static int decode_message(struct decoder_ctx *ctx, struct packet *pkt, struct cursor msg)
{
	struct dns_header h;
	struct cursor c = msg;
	h.id = cur_be16(&c);
	h.flags = cur_be16(&c);
	h.qd = cur_be16(&c);
	h.an = cur_be16(&c);
	h.ns = cur_be16(&c);
	h.ar = cur_be16(&c);
	if (!cur_ok(&c))
		return decode_fail(ctx, pkt, PROTO_DNS, REASON_TRUNCATED);
	pkt->app_proto = "DNS";

	struct dns_walk w = { .ctx = ctx, .pkt = pkt, .msg = msg };
	if (!walk_message(&w, &h))
		return decode_fail(ctx, pkt, PROTO_DNS, (enum decode_reason)w.reason);
	if (w.capped)
		decode_note(ctx, PROTO_DNS, REASON_ARENA_FULL);

	Types__DNS *r = RECORD_NEW(ctx, pkt, DNS, dns);
	if (!r)
		return DECODE_OK;
	fill_header(r, pkt, &h);
	w.rec = r;
	w.capped = false;
	walk_message(&w, &h);     /* cannot fail: the same bytes passed above */
	return DECODE_OK;
}

int decode_dns(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	return decode_message(ctx, pkt, cur_rest(cur));
}

int decode_dns_tcp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	for (int i = 0; cur_left(cur) && i < DNS_TCP_MAX_MESSAGES; i++) {
		uint16_t len = cur_be16(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_DNS, REASON_TRUNCATED);
		if (len > cur_left(cur)) {
			/* Goes on in a later segment: not reassembled. */
			decode_note(ctx, PROTO_DNS, REASON_TRUNCATED);
			return DECODE_OK;
		}
		if (decode_message(ctx, pkt, cur_sub(cur, len)) != DECODE_OK)
			return DECODE_STOP;
	}
	return DECODE_OK;
}
