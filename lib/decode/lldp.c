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
 * of 0 is valid (an empty value). LLDP is the last layer. */
#include <stdio.h>

#include "decode/decoders.h"

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

struct tlv {
	uint8_t type;
	uint16_t length;
	const uint8_t *value;     /* length bytes */
};

/* Reads the next TLV: 1, or 0 when the data is consumed, or -1 when a
 * header or value runs past the data. */
static int tlv_next(struct cursor *c, struct tlv *t)
{
	if (cur_left(c) == 0)
		return 0;
	uint16_t word = cur_be16(c);
	if (!cur_ok(c))
		return -1;
	t->type = (uint8_t)(word >> 9);
	t->length = word & 0x1ff;
	t->value = cur_bytes(c, t->length);
	return t->value ? 1 : -1;
}

/* What one pass over the TLVs found. */
struct lldp_scan {
	struct cursor tlvs;       /* from the first TLV through End */
	size_t n_tlvs;            /* End included */
	size_t n_values;          /* TLVs other than End, ChassisID, PortID, TTL */
	size_t n_org, n_unknown;  /* of the values: Info's OrgTLVs and Unknown */
	struct tlv chassis, port, ttl;
	bool has_chassis, has_port, has_ttl;
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

static int scan(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		struct lldp_scan *s)
{
	bool cut = pkt->cap_len < pkt->wire_len;
	*s = (struct lldp_scan){ .tlvs = *cur };
	struct tlv t;
	int rc = 0;
	bool end = false;
	while (!end && (rc = tlv_next(cur, &t)) == 1) {
		s->n_tlvs++;
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
			s->n_values++;
			if (t.type == TLV_ORG_SPECIFIC)
				s->n_org++;
			else if (!is_info_type(t.type))
				s->n_unknown++;
		}
		if (!is_mandatory(t.type) || t.type == TLV_END)
			continue;
		if (t.length < 2)
			return decode_fail(ctx, pkt, PROTO_LLDP, REASON_BAD_VALUE);
	}
	if (!end) {
		if (cut)
			return decode_fail(ctx, pkt, PROTO_LLDP, REASON_TRUNCATED);
		return decode_fail(ctx, pkt, PROTO_LLDP, rc < 0 ? REASON_BAD_LENGTH : REASON_BAD_VALUE);
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
	Types__LLDPChassisID **chassis = (Types__LLDPChassisID **)record_array(
		ctx, pkt, &types__lldpchassis_id__descriptor, 1);
	if (chassis) {
		chassis[0]->subtype = s->chassis.value[0];
		chassis[0]->id = pb_bytes(s->chassis.value + 1, s->chassis.length - 1u);
		r->chassisid = chassis[0];
	}
	Types__LLDPPortID **port = (Types__LLDPPortID **)record_array(
		ctx, pkt, &types__lldpport_id__descriptor, 1);
	if (port) {
		port[0]->subtype = s->port.value[0];
		port[0]->id = pb_bytes(s->port.value + 1, s->port.length - 1u);
		r->portid = port[0];
	}
	if (s->has_ttl)
		r->ttl = s->ttl.value[0] << 8 | s->ttl.value[1];

	Types__LinkLayerDiscoveryValue **values = (Types__LinkLayerDiscoveryValue **)record_array(
		ctx, pkt, &types__link_layer_discovery_value__descriptor, s->n_values);
	if (!values)
		return;
	struct cursor c = s->tlvs;
	struct tlv t;
	size_t i = 0;
	while (i < s->n_values && tlv_next(&c, &t) == 1) {
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
	Types__LLDPSysCapabilities **caps = (Types__LLDPSysCapabilities **)record_array(
		ctx, pkt, &types__lldpsys_capabilities__descriptor, 1);
	Types__LLDPCapabilities **cap = (Types__LLDPCapabilities **)record_array(
		ctx, pkt, &types__lldpcapabilities__descriptor, 2);
	Types__LLDPMgmtAddress **mgmt = (Types__LLDPMgmtAddress **)record_array(
		ctx, pkt, &types__lldpmgmt_address__descriptor, 1);
	if (caps && cap) {
		caps[0]->systemcap = cap[0];
		caps[0]->enabledcap = cap[1];
		r->syscapabilities = caps[0];
	}
	if (mgmt)
		r->mgmtaddress = mgmt[0];
	Types__LLDPOrgSpecificTLV **org = (Types__LLDPOrgSpecificTLV **)record_array(
		ctx, pkt, &types__lldporg_specific_tlv__descriptor, s->n_org);
	Types__LinkLayerDiscoveryValue **unknown = (Types__LinkLayerDiscoveryValue **)record_array(
		ctx, pkt, &types__link_layer_discovery_value__descriptor, s->n_unknown);

	struct cursor c = s->tlvs;
	struct tlv t;
	struct mgmt_address m;
	while (tlv_next(&c, &t) == 1) {
		switch (t.type) {
		case TLV_PORT_DESCRIPTION:
			r->portdescription = value_text(&ctx->arena, &t);
			break;
		case TLV_SYS_NAME:
			r->sysname = value_text(&ctx->arena, &t);
			break;
		case TLV_SYS_DESCRIPTION:
			r->sysdescription = value_text(&ctx->arena, &t);
			break;
		case TLV_SYS_CAPABILITIES:
			if (caps && cap) {
				fill_capabilities(cap[0], (uint16_t)(t.value[0] << 8 | t.value[1]));
				fill_capabilities(cap[1], (uint16_t)(t.value[2] << 8 | t.value[3]));
			}
			break;
		case TLV_MGMT_ADDRESS:
			if (mgmt && parse_mgmt_address(&t, &m) == REASON_COUNT) {
				mgmt[0]->subtype = m.subtype;
				mgmt[0]->address = pb_bytes(m.address, m.address_len);
				mgmt[0]->interfacesubtype = m.interface_subtype;
				mgmt[0]->interfacenumber = m.interface_number;
				mgmt[0]->oid = format_oid(&ctx->arena, m.oid, m.oid_len);
			}
			break;
		case TLV_ORG_SPECIFIC:
			if (org && r->n_orgtlvs < s->n_org) {
				Types__LLDPOrgSpecificTLV *o = org[r->n_orgtlvs++];
				o->oui = (uint32_t)t.value[0] << 16 | (uint32_t)t.value[1] << 8 | t.value[2];
				o->subtype = t.value[3];
				o->info = pb_bytes(t.value + 4, t.length - 4u);
			}
			break;
		default:
			if (unknown && !is_mandatory(t.type) && r->n_unknown < s->n_unknown) {
				Types__LinkLayerDiscoveryValue *u = unknown[r->n_unknown++];
				u->type = t.type;
				u->length = t.length;
				u->value = pb_bytes(t.value, t.length);
			}
		}
	}
	r->orgtlvs = r->n_orgtlvs ? org : NULL;
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
	struct cursor c = s.tlvs;
	struct tlv t;
	while (tlv_next(&c, &t) == 1) {
		enum decode_reason reason = check_info_tlv(&t);
		if (reason != REASON_COUNT)
			return decode_fail(ctx, pkt, PROTO_LLDP, reason);
	}
	Types__LinkLayerDiscoveryInfo *info = RECORD_NEW(ctx, pkt, LinkLayerDiscoveryInfo,
							 link_layer_discovery_info);
	if (info)
		fill_info(ctx, pkt, info, &s);
	return DECODE_OK;
}
