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
 * Bounded work (docs/decoding.md, "Limits"): the message is walked once
 * to check it and count its entries, and only then, when the DNS record is
 * wanted, again to fill it, so a count of 65535 with no data behind it
 * allocates nothing. The check walk follows at most DNS_STEPS_BASE +
 * DNS_STEPS_PER_BYTE labels and pointers per payload byte (a packet's
 * messages share them): two bytes of pointer re-expand a 255-byte name, so
 * without it a 1.5 KB query costs two hundred names' work; where it runs
 * out, the entries checked so far are kept and the walk stops. The filled
 * record keeps at most DNS_MAX_ENTRIES entries per section, DNS_MAX_TXTS
 * strings of TXT and HINFO records per message, DNS_TEXT_BASE +
 * DNS_TEXT_PER_BYTE bytes of name text per payload byte (names expand: a
 * 2-byte pointer to 255 bytes of control characters is 1 KB of escaped
 * text), and entries worth DNS_MAX_RECORD_BYTES serialized; the first
 * entry past a limit and all after it are left out. Every cut is counted
 * once per message as DNS/capped and marks the record Truncated; the
 * counts keep the header's values. */
#include "decode/decoders.h"

#define DNS_HEADER 12
#define DNS_MAX_NAME_WIRE 255     /* RFC 1035 3.1 */
#define DNS_MAX_POINTERS 64
#define DNS_MAX_ENTRIES 256        /* per section */
#define DNS_MAX_TXTS 256           /* character-strings per message */
#define DNS_MAX_RECORD_BYTES (48u << 10)
#define DNS_STEPS_BASE 1024        /* labels and pointers followed, per packet */
#define DNS_STEPS_PER_BYTE 1
#define DNS_TEXT_BASE 4096         /* name text bytes kept, per packet */
#define DNS_TEXT_PER_BYTE 2
#define DNS_NAME_TEXT (DNS_MAX_NAME_WIRE * 4 + 1) /* every byte as \ooo */
#define DNS_TCP_MAX_MESSAGES 16
#define DNS_POINTER 0xc0
#define DNS_SECTIONS 4

enum {
	DNS_A = 1, DNS_NS = 2, DNS_CNAME = 5, DNS_SOA = 6, DNS_PTR = 12,
	DNS_HINFO = 13, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_SRV = 33,
};

/* Outcome of reading a name; the caller picks the fault reason, since
 * running out of data means a cut message in a section and a lying RDLENGTH
 * inside RDATA. NAME_CAPPED: the packet's budget of steps ran out (not a
 * fault: the walk stops there). */
enum name_status { NAME_OK, NAME_SHORT, NAME_BAD_POINTER, NAME_BAD_LABEL, NAME_TOO_LONG,
		   NAME_CAPPED };

struct dns_name {
	uint32_t len;
	char text[DNS_NAME_TEXT];
};

/* What a packet's messages may cost, shared by the messages of a TCP
 * segment. */
struct dns_budget {
	uint32_t steps;           /* labels and pointers the check walks may follow */
	uint32_t text;            /* name text bytes the records may keep */
};

/* A walk over one message: the check (rec NULL), or filling rec. */
struct dns_walk {
	struct decoder_ctx *ctx;
	struct packet *pkt;
	struct cursor msg;        /* the whole message at position 0: pointer targets */
	Types__DNS *rec;
	struct dns_budget *budget;
	/* From the check: where each section starts, and how many of its
	 * entries the record may keep (checked, and within DNS_MAX_ENTRIES). */
	uint32_t start[DNS_SECTIONS];
	uint32_t keep[DNS_SECTIONS];
	bool capped;              /* a limit left something out */
	bool stop;                /* ... and nothing more is kept */
	struct cap txts;          /* TXT strings kept (filling) */
	uint32_t bytes;           /* the record's size so far, bounded above (filling) */
	uint32_t entry_bytes;     /* the current entry's text and data */
	int reason;               /* the fault, when the walk failed */
	struct dns_name name;     /* scratch */
};

static bool walk_fail(struct dns_walk *w, enum decode_reason reason)
{
	w->reason = (int)reason;
	return false;
}

/* A limit was reached: the walk ends, and the record keeps what it has. */
static bool walk_stop(struct dns_walk *w)
{
	w->capped = true;
	w->stop = true;
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
 * is compressed); pointers jump within the message. Checking (w->rec NULL)
 * costs a step of the budget per label and pointer and builds no text;
 * filling builds the text in w->name (the same bytes passed the check). */
static enum name_status read_name(struct dns_walk *w, struct cursor *c)
{
	struct cursor jump;
	struct cursor *rd = c;
	uint32_t lowest = cur_pos(c);   /* where this name has been read from, at least */
	uint32_t wire = 1;              /* the terminating zero length */
	unsigned pointers = 0;
	bool check = !w->rec;
	struct dns_name *out = &w->name;

	out->len = 0;
	out->text[0] = '\0';
	for (;;) {
		if (check) {
			if (w->budget->steps == 0)
				return NAME_CAPPED;
			w->budget->steps--;
		}
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
			jump = w->msg;
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
			if (!check)
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
	case NAME_CAPPED:
		return walk_stop(w);
	case NAME_SHORT:
		return walk_fail(w, short_reason);
	case NAME_TOO_LONG:
		return walk_fail(w, REASON_BAD_LENGTH);
	default:
		return walk_fail(w, REASON_BAD_VALUE);
	}
}

/* The name just read as text for the record, from the packet's text
 * budget; NULL (and the walk stops) when it is spent. */
static char *name_text(struct dns_walk *w)
{
	uint32_t n = w->name.len;
	if (n > w->budget->text) {
		walk_stop(w);
		return NULL;
	}
	w->budget->text -= n;
	w->entry_bytes += n;
	return arena_strndup(&w->ctx->arena, w->name.text, n);
}

static bool name_bytes(struct dns_walk *w, ProtobufCBinaryData *out)
{
	char *s = name_text(w);
	if (!s)
		return false;
	*out = (ProtobufCBinaryData){ .len = *s ? w->name.len : 0, .data = (uint8_t *)s };
	return true;
}

/* A name inside RDATA (rd limited to the RDATA). */
static bool rdata_name(struct dns_walk *w, struct cursor *rd)
{
	enum name_status st = read_name(w, rd);
	return st == NAME_OK || name_fail(w, st, REASON_BAD_LENGTH);
}

static bool rdata_txts(struct dns_walk *w, struct cursor rd, Types__DNSResourceRecord *r)
{
	size_t n = 0;
	for (struct cursor c = rd; cur_left(&c); n++)
		if (!cur_skip(&c, cur_u8(&c)) || !cur_ok(&c))
			return walk_fail(w, REASON_BAD_LENGTH);
	if (!r || n == 0)
		return true;
	size_t keep = cap_take_items(&w->txts, n);
	if (keep < n)
		w->capped = true;      /* this record keeps its first strings; then the walk stops */
	if (keep == 0)
		return true;
	ProtobufCBinaryData *txts = arena_alloc(&w->ctx->arena, keep * sizeof *txts);
	if (!txts)
		return true;           /* counted with the record (ARENA_FULL) */
	for (size_t i = 0; i < keep; i++) {
		uint8_t len = cur_u8(&rd);
		txts[i] = pb_bytes(cur_bytes(&rd, len), len);
	}
	r->txts = txts;
	r->n_txts = keep;
	w->entry_bytes += 2 * (uint32_t)keep;   /* their bytes are in RDATA, counted twice */
	return true;
}

/* Decodes RDATA by type into r (NULL: check only). */
static bool rdata(struct dns_walk *w, uint16_t type, struct cursor rd, Types__DNSResourceRecord *r)
{
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
			r->ip = format_ip_bulk(&w->ctx->arena, type == DNS_A ? 4 : 6, cur_here(&rd));
		return true;
	}
	case DNS_NS:
	case DNS_CNAME:
	case DNS_PTR:
		if (!rdata_name(w, &rd))
			return false;
		if (r) {
			ProtobufCBinaryData name;
			if (!name_bytes(w, &name))
				return false;
			if (type == DNS_NS)
				r->ns = name;
			else if (type == DNS_CNAME)
				r->cname = name;
			else
				r->ptr = name;
		}
		return true;
	case DNS_SOA: {
		Types__DNSSOA **soa = r ? (Types__DNSSOA **)record_array(
			w->ctx, w->pkt, &types__dnssoa__descriptor, 1) : NULL;
		if (soa)
			r->soa = soa[0];
		if (!rdata_name(w, &rd) || (soa && !name_bytes(w, &soa[0]->mname)))
			return false;
		if (!rdata_name(w, &rd) || (soa && !name_bytes(w, &soa[0]->rname)))
			return false;
		uint32_t v[5];
		for (int i = 0; i < 5; i++)
			v[i] = cur_be32(&rd);
		if (!cur_ok(&rd))
			return walk_fail(w, REASON_BAD_LENGTH);
		if (soa) {
			soa[0]->serial = v[0];
			soa[0]->refresh = v[1];
			soa[0]->retry = v[2];
			soa[0]->expire = v[3];
			soa[0]->minimum = v[4];
		}
		return true;
	}
	case DNS_MX: {
		uint16_t preference = cur_be16(&rd);
		if (!cur_ok(&rd))
			return walk_fail(w, REASON_BAD_LENGTH);
		if (!rdata_name(w, &rd))
			return false;
		if (r) {
			char *name = name_text(w);
			if (!name)
				return false;
			Types__DNSMX **mx = (Types__DNSMX **)record_array(
				w->ctx, w->pkt, &types__dnsmx__descriptor, 1);
			if (mx) {
				mx[0]->preference = preference;
				mx[0]->name = name;
				r->mx = mx[0];
			}
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
		if (r) {
			ProtobufCBinaryData name;
			if (!name_bytes(w, &name))
				return false;
			Types__DNSSRV **srv = (Types__DNSSRV **)record_array(
				w->ctx, w->pkt, &types__dnssrv__descriptor, 1);
			if (srv) {
				srv[0]->priority = priority;
				srv[0]->weight = weight;
				srv[0]->port = port;
				srv[0]->name = name;
				r->srv = srv[0];
			}
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
	enum name_status st = read_name(w, c);
	if (st != NAME_OK)
		return name_fail(w, st, REASON_TRUNCATED);
	if (r && !(r->name = name_text(w)))
		return false;
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
		/* Data, and the fields decoded from it (an address text of at
		 * most 39 bytes, TXT strings) hold at most twice RDLENGTH. */
		w->entry_bytes += 2u * length + 40;
	}
	/* RDATA with message offsets, for names, limited to RDLENGTH. */
	struct cursor rd = w->msg;
	cur_skip(&rd, start);
	cur_limit(&rd, length);
	return rdata(w, type, rd, r);
}

static bool question(struct dns_walk *w, struct cursor *c, Types__DNSQuestion *q)
{
	enum name_status st = read_name(w, c);
	if (st != NAME_OK)
		return name_fail(w, st, REASON_TRUNCATED);
	uint16_t type = cur_be16(c);
	uint16_t class = cur_be16(c);
	if (!cur_ok(c))
		return walk_fail(w, REASON_TRUNCATED);
	if (q) {
		if (!(q->name = name_text(w)))
			return false;
		q->type = type;
		q->class_ = class;
	}
	return true;
}

/* Serialized bytes of an entry besides its text and data, at most: field
 * tags, lengths and numbers, the nested SOA/MX/SRV messages. */
#define DNS_ENTRY_OVERHEAD 100

/* Checks `count` entries of section s from c (w->rec NULL): w->keep[s]
 * gets how many the record may keep. False on a fault, or (w->stop) when
 * the budget of steps ran out: the entries checked so far are kept. */
static bool check_section(struct dns_walk *w, struct cursor *c, int s, uint16_t count)
{
	w->start[s] = cur_pos(c);
	for (uint32_t i = 0; i < count; i++) {
		bool ok = s == 0 ? question(w, c, NULL) : resource_record(w, c, NULL);
		if (!ok) {
			w->keep[s] = i < DNS_MAX_ENTRIES ? i : DNS_MAX_ENTRIES;
			return false;
		}
	}
	w->keep[s] = count < DNS_MAX_ENTRIES ? count : DNS_MAX_ENTRIES;
	if (count > DNS_MAX_ENTRIES)
		w->capped = true;
	return true;
}

/* Fills the kept entries of section s into a new array (*out, *n_out): as
 * many as the limits let through. False when a limit stopped the walk. */
static bool fill_section(struct dns_walk *w, int s, void ***out, size_t *n_out)
{
	uint32_t keep = w->keep[s];
	if (keep == 0)
		return true;
	void **arr = record_array(w->ctx, w->pkt, s == 0 ? &types__dnsquestion__descriptor
				  : &types__dnsresource_record__descriptor, keep);
	if (!arr)
		return true;            /* counted with the record (ARENA_FULL) */
	struct cursor c = w->msg;
	cur_skip(&c, w->start[s]);
	size_t n = 0;
	while (n < keep && !w->stop) {
		w->entry_bytes = 0;
		bool ok = s == 0 ? question(w, &c, arr[n]) : resource_record(w, &c, arr[n]);
		uint32_t bytes = w->entry_bytes + DNS_ENTRY_OVERHEAD;
		if (!ok || bytes > DNS_MAX_RECORD_BYTES - w->bytes) {
			walk_stop(w);
			break;
		}
		w->bytes += bytes;
		n++;
		if (w->txts.hit)
			w->stop = true;     /* TXT strings ran out inside this entry */
	}
	*out = arr;
	*n_out = n;
	return !w->stop;
}

struct dns_header {
	uint16_t id, flags, qd, an, ns, ar;
};

/* The check: every entry as far as the budget of steps goes. */
static bool check_message(struct dns_walk *w, const struct dns_header *h)
{
	const uint16_t counts[DNS_SECTIONS] = { h->qd, h->an, h->ns, h->ar };
	struct cursor c = w->msg;
	cur_skip(&c, DNS_HEADER);
	for (int s = 0; s < DNS_SECTIONS; s++) {
		if (!check_section(w, &c, s, counts[s])) {
			if (!w->stop)
				return false;
			for (int t = s + 1; t < DNS_SECTIONS; t++)
				w->keep[t] = 0;
			return true;
		}
	}
	return true;
}

static void fill_message(struct dns_walk *w)
{
	Types__DNS *r = w->rec;
	void **arr[DNS_SECTIONS] = { NULL };
	size_t n[DNS_SECTIONS] = { 0 };
	for (int s = 0; s < DNS_SECTIONS && fill_section(w, s, &arr[s], &n[s]); s++)
		;
	r->questions = (Types__DNSQuestion **)arr[0];
	r->n_questions = n[0];
	r->answers = (Types__DNSResourceRecord **)arr[1];
	r->n_answers = n[1];
	r->authorities = (Types__DNSResourceRecord **)arr[2];
	r->n_authorities = n[2];
	r->additionals = (Types__DNSResourceRecord **)arr[3];
	r->n_additionals = n[3];
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
	RECORD_FILL_ENDPOINTS(r, pkt);
}

/* One message: the cursor's whole window. */
static int decode_message(struct decoder_ctx *ctx, struct packet *pkt, struct cursor msg,
			  struct dns_budget *budget)
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

	struct dns_walk w = { .ctx = ctx, .pkt = pkt, .msg = msg, .budget = budget };
	if (!check_message(&w, &h))
		return decode_fail(ctx, pkt, PROTO_DNS, (enum decode_reason)w.reason);

	Types__DNS *r = RECORD_NEW(ctx, pkt, DNS, dns);
	if (r) {
		fill_header(r, pkt, &h);
		w.rec = r;
		w.stop = false;
		w.txts = CAP(DNS_MAX_TXTS, UINT32_MAX);
		fill_message(&w);     /* cannot fail: the same bytes passed the check */
	}
	if (w.capped)
		decode_capped(ctx, pkt, PROTO_DNS, r);
	return DECODE_OK;
}

static struct dns_budget budget_for(uint32_t payload)
{
	return (struct dns_budget){
		.steps = DNS_STEPS_BASE + DNS_STEPS_PER_BYTE * payload,
		.text = DNS_TEXT_BASE + DNS_TEXT_PER_BYTE * payload,
	};
}

int decode_dns(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct dns_budget budget = budget_for(cur_left(cur));
	return decode_message(ctx, pkt, cur_rest(cur), &budget);
}

int decode_dns_tcp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct dns_budget budget = budget_for(cur_left(cur));
	for (int i = 0; cur_left(cur) && i < DNS_TCP_MAX_MESSAGES; i++) {
		uint16_t len = cur_be16(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_DNS, REASON_TRUNCATED);
		if (len > cur_left(cur)) {
			/* Goes on in a later segment: not reassembled. */
			decode_note(ctx, PROTO_DNS, REASON_TRUNCATED);
			return DECODE_OK;
		}
		if (decode_message(ctx, pkt, cur_sub(cur, len), &budget) != DECODE_OK)
			return DECODE_STOP;
	}
	if (cur_left(cur))
		decode_capped(ctx, pkt, PROTO_DNS, NULL);   /* messages past the 16th */
	return DECODE_OK;
}
