/* lldp.c: the Link Layer Discovery Protocol, IEEE 802.1AB (ethertype
 * 0x88cc): LinkLayerDiscovery and LinkLayerDiscoveryInfo records.
 *
 * An LLDPDU is a list of TLVs: a 7-bit type and a 9-bit length (one 16-bit
 * big-endian word), then that many value bytes; type 0 (End) closes it and
 * what follows is padding. As gopacket does:
 *
 * LinkLayerDiscovery: ChassisID and PortID (Subtype the first value byte,
 * ID the rest), TTL (the first two value bytes) and Values: every other TLV
 * (End excluded) in order, with Type, Length and Value as on the wire. A
 * mandatory TLV given twice: the last one counts.
 *
 * LinkLayerDiscoveryInfo, decoded from Values: PortDescription (type 4),
 * SysName (5), SysDescription (6) as the value text; SysCapabilities (7):
 * the system and enabled capability words, bit 0 Other .. bit 10 TMPR;
 * MgmtAddress (8): Subtype the address family, Address, InterfaceSubtype,
 * InterfaceNumber, OID; OrgTLVs (127): OUI, SubType, Info; for types 4 to 8
 * the last TLV of a type counts. SysCapabilities and MgmtAddress are always
 * present (all false / zero without their TLV), as netcap writes them.
 * Where this departs from gopacket (see docs/decoding.md):
 *   - Unknown holds the TLVs that Info does not decode (types 9 to 126):
 *     gopacket declares the field "undecoded TLVs" but never fills it;
 *   - OID is the object identifier as dotted decimal text, as tshark shows
 *     it ("" when its encoding is malformed): gopacket keeps the raw BER
 *     bytes in a string and netcap leaves OID empty;
 *   - text fields end at a NUL byte (protobuf-c writes strings as C
 *     strings; tshark shows the text up to it too).
 *
 * Faults: a TLV header or value past the data, or data that ends before the
 * End TLV (TRUNCATED when the frame was cut by the snaplen; else BAD_LENGTH
 * for a TLV past the data and BAD_VALUE for a missing End); fewer than four
 * TLVs (End included), a ChassisID or PortID absent or of subtype 0, a
 * ChassisID, PortID or TTL value under 2 bytes (BAD_VALUE): no record, as
 * gopacket makes no layer. A SysCapabilities value under 4 bytes, a
 * MgmtAddress under 9 bytes or whose address or OID length runs past it,
 * an organisation-specific TLV under 4 bytes (BAD_LENGTH), a management
 * address length of 0 (BAD_VALUE): the LinkLayerDiscovery record is made,
 * the LinkLayerDiscoveryInfo record is not (gopacket makes both layers, the
 * Info one filled up to the bad TLV, and reports the error). A TLV length
 * of 0 is valid (an empty value). LLDP is the last layer.
 *
 * Bounded work: each record keeps at most LLDP_MAX_TLVS TLVs (Values; Info's
 * OrgTLVs and Unknown together) holding at most LLDP_MAX_BYTES value bytes,
 * in order; an LLDPDU of empty TLVs would otherwise give two elements per
 * two bytes. What is left out is counted as LLDP/capped, once per record
 * cut, and marks the record Truncated. Info's text fields and management
 * address are read from the last TLV of their type only. */
#include <stdio.h>

#include "decode/decoders.h"
#include "decode/options.h"

enum {
	TLV_END = 0,
	TLV_CHASSIS_ID = 1,
	TLV_PORT_ID = 2,
	TLV_TTL = 3,
	TLV_PORT_DESCRIPTION = 4,
	TLV_SYS_NAME = 5,
	TLV_SYS_DESCRIPTION = 6,
	TLV_SYS_CAPABILITIES = 7,
	TLV_MGMT_ADDRESS = 8,
	TLV_ORG_SPECIFIC = 127,
};

#define LLDP_MAX_TLVS 128
#define LLDP_MAX_BYTES 8192

struct tlv {
	uint8_t type;
	uint16_t length;
	const uint8_t *value;     /* length bytes */
};

/* Reads the next TLV, as options.h's walkers step: OPTION_READ, or
 * OPTION_DONE when the data is consumed, or OPTION_MALFORMED when a header
 * or value runs past the data. */
static int tlv_next(struct cursor *c, struct tlv *t)
{
	if (cur_left(c) == 0)
		return OPTION_DONE;
	uint16_t word = cur_be16(c);
	if (!cur_ok(c))
		return OPTION_MALFORMED;
	t->type = (uint8_t)(word >> 9);
	t->length = word & 0x1ff;
	t->value = cur_bytes(c, t->length);
	return t->value ? OPTION_READ : OPTION_MALFORMED;
}

/* What one pass over the TLVs found. */
struct lldp_scan {
	struct cursor tlvs;       /* from the first TLV through End */
	size_t n_tlvs;            /* End included */
	struct tlv chassis, port, ttl;
	bool has_chassis, has_port, has_ttl;
	enum decode_reason info_fault; /* the first TLV Info cannot read; REASON_COUNT: none */
	/* The last TLV of each type Info reads one of (4 to 8), if any. */
	struct tlv last[TLV_MGMT_ADDRESS + 1];
	bool has_last[TLV_MGMT_ADDRESS + 1];
};

static bool is_info_type(uint8_t type)
{
	return (type >= TLV_PORT_DESCRIPTION && type <= TLV_MGMT_ADDRESS) ||
	       type == TLV_ORG_SPECIFIC;
}

static bool is_mandatory(uint8_t type)
{
	return type == TLV_END || type == TLV_CHASSIS_ID || type == TLV_PORT_ID || type == TLV_TTL;
}

static enum decode_reason check_info_tlv(const struct tlv *t);

/* One walk over the TLVs: checks them, finds what the records need. */
static int scan(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		struct lldp_scan *s)
{
	bool cut = pkt->cap_len < pkt->wire_len;
	*s = (struct lldp_scan){ .tlvs = *cur, .info_fault = REASON_COUNT };
	struct tlv t;
	int rc = OPTION_DONE;
	bool end = false;
	while (!end && (rc = tlv_next(cur, &t)) == OPTION_READ) {
		s->n_tlvs++;
		if (s->info_fault == REASON_COUNT)
			s->info_fault = check_info_tlv(&t);
		switch (t.type) {
		case TLV_END:
			end = true;
			break;
		case TLV_CHASSIS_ID:
			s->chassis = t, s->has_chassis = true;
			break;
		case TLV_PORT_ID:
			s->port = t, s->has_port = true;
			break;
		case TLV_TTL:
			s->ttl = t, s->has_ttl = true;
			break;
		default:
			if (t.type != TLV_ORG_SPECIFIC && is_info_type(t.type))
				s->last[t.type] = t, s->has_last[t.type] = true;
		}
		if (!is_mandatory(t.type) || t.type == TLV_END)
			continue;
		if (t.length < 2)
			return decode_fail(ctx, pkt, PROTO_LLDP, REASON_BAD_VALUE);
	}
	if (!end) {
		if (cut)
			return decode_fail(ctx, pkt, PROTO_LLDP, REASON_TRUNCATED);
		return decode_fail(ctx, pkt, PROTO_LLDP, rc == OPTION_MALFORMED ? REASON_BAD_LENGTH : REASON_BAD_VALUE);
	}
	s->tlvs.len = cur_pos(cur); /* the window ends after End */
	if (s->n_tlvs < 4 || !s->has_chassis || !s->has_port ||
	    s->chassis.value[0] == 0 || s->port.value[0] == 0)
		return decode_fail(ctx, pkt, PROTO_LLDP, REASON_BAD_VALUE);
	return DECODE_OK;
}

static void fill_discovery(struct decoder_ctx *ctx, struct packet *pkt,
			   Types__LinkLayerDiscovery *r, const struct lldp_scan *s)
{
	r->timestamp = pkt->ts;
	Types__LLDPChassisID *chassis = record_message(ctx, pkt, &types__lldpchassis_id__descriptor);
	if (chassis) {
		chassis->subtype = s->chassis.value[0];
		chassis->id = pb_bytes(s->chassis.value + 1, s->chassis.length - 1u);
		r->chassisid = chassis;
	}
	Types__LLDPPortID *port = record_message(ctx, pkt, &types__lldpport_id__descriptor);
	if (port) {
		port->subtype = s->port.value[0];
		port->id = pb_bytes(s->port.value + 1, s->port.length - 1u);
		r->portid = port;
	}
	if (s->has_ttl)
		r->ttl = s->ttl.value[0] << 8 | s->ttl.value[1];

	struct cap cap = CAP(LLDP_MAX_TLVS, LLDP_MAX_BYTES);
	size_t n = 0;
	struct cursor c = s->tlvs;
	struct tlv t;
	while (!cap.hit && tlv_next(&c, &t) == OPTION_READ)
		if (!is_mandatory(t.type) && cap_take(&cap, t.length))
			n++;
	if (cap.hit)
		decode_capped(ctx, pkt, PROTO_LLDP, r);
	Types__LinkLayerDiscoveryValue **values = (Types__LinkLayerDiscoveryValue **)record_array(
		ctx, pkt, &types__link_layer_discovery_value__descriptor, n);
	if (!values)
		return;
	c = s->tlvs;
	size_t i = 0;
	while (i < n && tlv_next(&c, &t) == OPTION_READ) {
		if (is_mandatory(t.type))
			continue;
		values[i]->type = t.type;
		values[i]->length = t.length;
		values[i]->value = pb_bytes(t.value, t.length);
		i++;
	}
	r->n_values = i;
	r->values = values;
}

/* Management address TLV (802.1AB 8.5.9): address string length (subtype
 * byte included), subtype, address, interface numbering subtype, interface
 * number (4 bytes), OID string length, OID. */
struct mgmt_address {
	uint8_t subtype, interface_subtype;
	const uint8_t *address, *oid;
	uint8_t address_len, oid_len;
	uint32_t interface_number;
};

static enum decode_reason parse_mgmt_address(const struct tlv *t, struct mgmt_address *m)
{
	if (t->length < 9)
		return REASON_BAD_LENGTH;
	uint32_t string_len = t->value[0];
	if (string_len == 0)
		return REASON_BAD_VALUE;
	if (string_len + 7 > t->length)
		return REASON_BAD_LENGTH;
	const uint8_t *v = t->value;
	m->subtype = v[1];
	m->address = v + 2;
	m->address_len = (uint8_t)(string_len - 1);
	m->interface_subtype = v[string_len + 1];
	m->interface_number = (uint32_t)v[string_len + 2] << 24 | (uint32_t)v[string_len + 3] << 16 |
			      (uint32_t)v[string_len + 4] << 8 | v[string_len + 5];
	m->oid_len = v[string_len + 6];
	if (string_len + 7 + m->oid_len > t->length)
		return REASON_BAD_LENGTH;
	m->oid = v + string_len + 7;
	return REASON_COUNT; /* sound */
}

/* A TLV that Info decodes and finds malformed: the reason, else
 * REASON_COUNT. */
static enum decode_reason check_info_tlv(const struct tlv *t)
{
	struct mgmt_address m;
	switch (t->type) {
	case TLV_SYS_CAPABILITIES:
	case TLV_ORG_SPECIFIC:
		return t->length < 4 ? REASON_BAD_LENGTH : REASON_COUNT;
	case TLV_MGMT_ADDRESS:
		return parse_mgmt_address(t, &m);
	default:
		return REASON_COUNT;
	}
}

/* BER object identifier (X.690 8.19) as dotted decimal, "" when malformed:
 * an arc that does not end, or does not fit 64 bits. */
static char *format_oid(struct arena *a, const uint8_t *p, uint32_t n)
{
	if (n == 0)
		return (char *)protobuf_c_empty_string;
	/* At most 20 digits and a dot per byte, plus the first arc's two. */
	size_t cap = (size_t)n * 21 + 4;
	char *s = arena_alloc(a, cap), *o = s;
	if (!s)
		return (char *)protobuf_c_empty_string;
	uint64_t arc = 0;
	bool first = true;
	for (uint32_t i = 0; i < n; i++) {
		if (arc >> 57)
			return (char *)protobuf_c_empty_string;
		arc = arc << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80) {
			if (i + 1 == n)
				return (char *)protobuf_c_empty_string;
			continue;
		}
		if (first) {
			uint64_t x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			o += snprintf(o, cap - (size_t)(o - s), "%llu.%llu",
				      (unsigned long long)x, (unsigned long long)(arc - 40 * x));
			first = false;
		} else {
			o += snprintf(o, cap - (size_t)(o - s), ".%llu", (unsigned long long)arc);
		}
		arc = 0;
	}
	return s;
}

static void fill_capabilities(Types__LLDPCapabilities *c, uint16_t bits)
{
	c->other = bits & 0x001;
	c->repeater = (bits & 0x002) != 0;
	c->bridge = (bits & 0x004) != 0;
	c->wlanap = (bits & 0x008) != 0;
	c->router = (bits & 0x010) != 0;
	c->phone = (bits & 0x020) != 0;
	c->docsis = (bits & 0x040) != 0;
	c->stationonly = (bits & 0x080) != 0;
	c->cvlan = (bits & 0x100) != 0;
	c->svlan = (bits & 0x200) != 0;
	c->tmpr = (bits & 0x400) != 0;
}

static char *value_text(struct arena *a, const struct tlv *t)
{
	const uint8_t *nul = memchr(t->value, 0, t->length);
	size_t n = nul ? (size_t)(nul - t->value) : t->length;
	return arena_strndup(a, (const char *)t->value, n);
}

static void fill_info(struct decoder_ctx *ctx, struct packet *pkt,
		      Types__LinkLayerDiscoveryInfo *r, const struct lldp_scan *s)
{
	r->timestamp = pkt->ts;
	struct arena *a = &ctx->arena;
	if (s->has_last[TLV_PORT_DESCRIPTION])
		r->portdescription = value_text(a, &s->last[TLV_PORT_DESCRIPTION]);
	if (s->has_last[TLV_SYS_NAME])
		r->sysname = value_text(a, &s->last[TLV_SYS_NAME]);
	if (s->has_last[TLV_SYS_DESCRIPTION])
		r->sysdescription = value_text(a, &s->last[TLV_SYS_DESCRIPTION]);

	Types__LLDPSysCapabilities *caps = record_message(ctx, pkt, &types__lldpsys_capabilities__descriptor);
	Types__LLDPCapabilities *system = record_message(ctx, pkt, &types__lldpcapabilities__descriptor);
	Types__LLDPCapabilities *enabled = record_message(ctx, pkt, &types__lldpcapabilities__descriptor);
	if (caps && system && enabled) {
		caps->systemcap = system;
		caps->enabledcap = enabled;
		r->syscapabilities = caps;
		if (s->has_last[TLV_SYS_CAPABILITIES]) {
			const uint8_t *v = s->last[TLV_SYS_CAPABILITIES].value;
			fill_capabilities(system, (uint16_t)(v[0] << 8 | v[1]));
			fill_capabilities(enabled, (uint16_t)(v[2] << 8 | v[3]));
		}
	}
	Types__LLDPMgmtAddress *mgmt = record_message(ctx, pkt, &types__lldpmgmt_address__descriptor);
	struct mgmt_address m;
	if (mgmt) {
		r->mgmtaddress = mgmt;
		if (s->has_last[TLV_MGMT_ADDRESS] &&
		    parse_mgmt_address(&s->last[TLV_MGMT_ADDRESS], &m) == REASON_COUNT) {
			mgmt->subtype = m.subtype;
			mgmt->address = pb_bytes(m.address, m.address_len);
			mgmt->interfacesubtype = m.interface_subtype;
			mgmt->interfacenumber = m.interface_number;
			mgmt->oid = format_oid(a, m.oid, m.oid_len);
		}
	}

	/* OrgTLVs and Unknown: one cap for both, the TLVs in order. */
	struct cap cap = CAP(LLDP_MAX_TLVS, LLDP_MAX_BYTES);
	size_t n_org = 0, n_unknown = 0;
	struct cursor c = s->tlvs;
	struct tlv t;
	while (!cap.hit && tlv_next(&c, &t) == OPTION_READ) {
		bool org = t.type == TLV_ORG_SPECIFIC;
		if ((org || (!is_info_type(t.type) && !is_mandatory(t.type))) && cap_take(&cap, t.length))
			org ? n_org++ : n_unknown++;
	}
	if (cap.hit)
		decode_capped(ctx, pkt, PROTO_LLDP, r);
	Types__LLDPOrgSpecificTLV **orgs = (Types__LLDPOrgSpecificTLV **)record_array(
		ctx, pkt, &types__lldporg_specific_tlv__descriptor, n_org);
	Types__LinkLayerDiscoveryValue **unknown = (Types__LinkLayerDiscoveryValue **)record_array(
		ctx, pkt, &types__link_layer_discovery_value__descriptor, n_unknown);
	c = s->tlvs;
	while ((r->n_orgtlvs < n_org || r->n_unknown < n_unknown) && tlv_next(&c, &t) == OPTION_READ) {
		if (t.type == TLV_ORG_SPECIFIC) {
			if (!orgs || r->n_orgtlvs == n_org)
				continue;
			Types__LLDPOrgSpecificTLV *o = orgs[r->n_orgtlvs++];
			o->oui = (uint32_t)t.value[0] << 16 | (uint32_t)t.value[1] << 8 | t.value[2];
			o->subtype = t.value[3];
			o->info = pb_bytes(t.value + 4, t.length - 4u);
		} else if (!is_info_type(t.type) && !is_mandatory(t.type)) {
			if (!unknown || r->n_unknown == n_unknown)
				continue;
			Types__LinkLayerDiscoveryValue *u = unknown[r->n_unknown++];
			u->type = t.type;
			u->length = t.length;
			u->value = pb_bytes(t.value, t.length);
		}
	}
	r->orgtlvs = r->n_orgtlvs ? orgs : NULL;
	r->unknown = r->n_unknown ? unknown : NULL;
}

int decode_lldp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	struct lldp_scan s;
	if (scan(ctx, pkt, cur, &s) != DECODE_OK)
		return DECODE_STOP;

	Types__LinkLayerDiscovery *r = RECORD_NEW(ctx, pkt, LinkLayerDiscovery, link_layer_discovery);
	if (r)
		fill_discovery(ctx, pkt, r, &s);

	/* Info decodes the values; one it cannot read leaves no Info record. */
	if (s.info_fault != REASON_COUNT)
		return decode_fail(ctx, pkt, PROTO_LLDP, s.info_fault);
	Types__LinkLayerDiscoveryInfo *info = RECORD_NEW(ctx, pkt, LinkLayerDiscoveryInfo,
							 link_layer_discovery_info);
	if (info)
		fill_info(ctx, pkt, info, &s);
	return DECODE_OK;
}
