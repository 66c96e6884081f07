/* dot11.c: IEEE 802.11 MAC frames (Dot11 record), IEEE 802.11-2020 9.2-9.3,
 * for the DLT_IEEE802_11 link and, through dot11_decode_frame(), under
 * radiotap (radiotap.c).
 *
 * Fields follow gopacket's Dot11, as netcap fills its record from it:
 *   Type            gopacket's Dot11Type: subtype << 2 | type, the frame
 *                   control's first byte shifted right by 2 (0x20 beacon,
 *                   0x35 ACK, 0x22 QoS data, ...)
 *   Proto           the protocol version bits (a version 1 frame, 802.11ah
 *                   PV1, is read with the version 0 layout, as gopacket
 *                   does); Flags the second byte (ToDS 0x01, FromDS 0x02,
 *                   MF 0x04, Retry, PowerManagement, MoreData, Protected
 *                   0x40, Order 0x80)
 *   DurationID      little-endian, as it stands
 *   Address1..4     receiver, transmitter, ... in header order, as
 *                   lowercase colon MAC strings; "" where gopacket reads
 *                   none: Address2 only for management and data frames and
 *                   the RTS, PS-Poll, CF-End and CF-End+Ack control frames
 *                   (not for block ack and block ack request, whose
 *                   transmitter address gopacket skips), Address3 for
 *                   management and data frames, Address4 for data frames
 *                   with both ToDS and FromDS
 *   SequenceNumber, FragmentNumber  the sequence control of management and
 *                   data frames (0 otherwise)
 *   QOS             for QoS data subtypes: TID, EOSP, AckPolicy, TXOP (the
 *                   second byte)
 *   HTControl       when the Order flag is set on a QoS data or management
 *                   frame: the 4-byte HT Control field, VHT variant when B0
 *                   is set, else HT, decoded bit for bit as gopacket does
 *                   (values gopacket leaves unset, nil pointers, are 0; SNR
 *                   is the 6-bit signed value + 22 dB) except the HT
 *                   variant's MFSI, B6-B8, where gopacket misplaces B8. The
 *                   802.11ax HE variant (B0 and B1 set) reads as VHT, as
 *                   gopacket knows no HE.
 *   Checksum        the FCS (little-endian) when the frame ends in one
 *                   (radiotap's "FCS at end" flag); otherwise the CRC-32 of
 *                   the frame computed here, as gopacket's radiotap decoder
 *                   appends one to frames without FCS (so netcap's Checksum
 *                   always matches the frame). DLT_IEEE802_11 frames are
 *                   taken to have no FCS, as tshark assumes by default
 *                   (gopacket takes their last 4 bytes for it). A frame
 *                   with FCS cut short by the snaplen has lost its FCS:
 *                   Checksum 0, the frame is all captured bytes.
 *
 * Data frames carrying data (not the Null/CF/QoS Null subtypes, not
 * protected) go on into 802.2 LLC (llc.c), after any radiotap data padding
 * (to 4 bytes after the MAC header; gopacket's own removal assumes a 26-byte
 * header for 4-address frames). An A-MSDU (QoS control bit 7) has no
 * decoder: an unknown layer. Management frame bodies, control frames and
 * protected (encrypted) bodies are not decoded further: no record type
 * exists for them, and that is not counted as unknown.
 *
 * Faults: fewer bytes than the header needs for its type, flags and
 * subtype, FCS included when present (TRUNCATED), as gopacket. */
#include <libdeflate.h>

#include "decode/decoders.h"
#include "decode/dot11.h"

#define MAC_BYTES 6
#define FCS_BYTES 4

enum {
	DOT11_MGMT = 0,
	DOT11_CTRL = 1,
	DOT11_DATA = 2,
};

enum {
	FLAG_TO_DS = 0x01,
	FLAG_FROM_DS = 0x02,
	FLAG_PROTECTED = 0x40,
	FLAG_ORDER = 0x80,
};

enum {
	CTRL_PS_POLL = 0x29,
	CTRL_RTS = 0x2d,
	CTRL_CF_END = 0x39,
	CTRL_CF_END_ACK = 0x3d,
};

#define SUBTYPE_NO_DATA 0x10      /* Null, CF-Ack/Poll without data, QoS Null */
#define QOS_MASK 0x23             /* gopacket's Dot11Type.QOS(): d & 0x23 == 0x22 */
#define QOS_DATA 0x22
#define QOS_AMSDU 0x80

struct dot11_header {
	uint8_t type, proto, flags, main_type;
	uint16_t duration;
	const uint8_t *addr[4];
	uint16_t seq_ctl;
	bool has_qos, has_htc;
	uint8_t qos[2], htc[4];
	uint32_t bytes;           /* header length */
};

static int parse_header(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
			struct dot11_header *h)
{
	uint32_t start = cur_pos(cur);
	uint8_t fc = cur_u8(cur);
	h->flags = cur_u8(cur);
	h->duration = cur_le16(cur);
	h->addr[0] = cur_bytes(cur, MAC_BYTES);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_DOT11, REASON_TRUNCATED);
	h->type = fc >> 2;
	h->proto = fc & 0x03;
	h->main_type = h->type & 0x03;

	if (h->main_type == DOT11_CTRL) {
		if (h->type == CTRL_RTS || h->type == CTRL_PS_POLL ||
		    h->type == CTRL_CF_END || h->type == CTRL_CF_END_ACK)
			h->addr[1] = cur_bytes(cur, MAC_BYTES);
	} else if (h->main_type == DOT11_MGMT || h->main_type == DOT11_DATA) {
		h->addr[1] = cur_bytes(cur, MAC_BYTES);
		h->addr[2] = cur_bytes(cur, MAC_BYTES);
		h->seq_ctl = cur_le16(cur);
	}
	if (h->main_type == DOT11_DATA &&
	    (h->flags & (FLAG_TO_DS | FLAG_FROM_DS)) == (FLAG_TO_DS | FLAG_FROM_DS))
		h->addr[3] = cur_bytes(cur, MAC_BYTES);
	h->has_qos = (h->type & QOS_MASK) == QOS_DATA;
	if (h->has_qos)
		cur_copy(cur, h->qos, 2);
	h->has_htc = (h->flags & FLAG_ORDER) && (h->has_qos || h->main_type == DOT11_MGMT);
	if (h->has_htc)
		cur_copy(cur, h->htc, 4);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_DOT11, REASON_TRUNCATED);
	h->bytes = cur_pos(cur) - start;
	return DECODE_OK;
}

static Types__Dot11QOS *qos_message(struct decoder_ctx *ctx, struct packet *pkt,
				    const uint8_t qos[2])
{
	Types__Dot11QOS *m = record_message(ctx, pkt, &types__dot11_qos__descriptor);
	if (m) {
		m->tid = qos[0] & 0x0f;
		m->eosp = (qos[0] & 0x10) != 0;
		m->ackpolicy = (qos[0] & 0x60) >> 5;
		m->txop = qos[1];
	}
	return m;
}

/* The VHT variant (B0 set), IEEE 802.11-2020 9.2.4.6.3, read as gopacket. */
static Types__Dot11HTControlVHT *htc_vht(struct decoder_ctx *ctx, struct packet *pkt,
					 const uint8_t b[4])
{
	Types__Dot11HTControlVHT *v = record_message(ctx, pkt, &types__dot11_htcontrol_vht__descriptor);
	Types__Dot11HTControlMFB *mfb = record_message(ctx, pkt, &types__dot11_htcontrol_mfb__descriptor);
	if (!v || !mfb)
		return v;
	v->mrq = (b[0] & 0x04) != 0;
	v->unsolicitedmfb = (b[3] & 0x20) != 0;
	mfb->numsts = (b[1] >> 1) & 0x07;
	mfb->vhtmcs = (b[1] >> 4) & 0x0f;
	mfb->bw = b[2] & 0x03;
	/* A 6-bit two's complement SNR offset, plus 22 dB. */
	int snr = (b[2] >> 2) & 0x3f;
	mfb->snr = (snr & 0x20 ? snr - 64 : snr) + 22;
	v->mfb = mfb;
	bool no_feedback = mfb->vhtmcs == 15 && mfb->numsts == 7;
	if (v->unsolicitedmfb) {
		if (!no_feedback) {
			v->compressedmsi = (b[0] >> 3) & 0x03;
			v->stbcindication = (b[0] & 0x20) != 0;
			v->codingtype = (b[3] >> 3) & 0x01;
			v->fbtxbeamformed = (b[3] & 0x10) != 0;
			v->gid = (b[0] >> 6) + ((b[1] & 0x01) << 2) + ((b[3] & 0x07) << 3);
		}
	} else {
		if (v->mrq)
			v->msi = (b[0] >> 3) & 0x07;
		v->mfsi = (b[0] >> 6) + ((b[1] & 0x01) << 2);
	}
	return v;
}

/* The HT variant (B0 clear), IEEE 802.11-2020 9.2.4.6.2, read as gopacket. */
static Types__Dot11HTControlHT *htc_ht(struct decoder_ctx *ctx, struct packet *pkt,
				       const uint8_t b[4], bool management)
{
	Types__Dot11HTControlHT *ht = record_message(ctx, pkt, &types__dot11_htcontrol_ht__descriptor);
	Types__Dot11LinkAdapationControl *lac =
		record_message(ctx, pkt, &types__dot11_link_adapation_control__descriptor);
	if (!ht || !lac)
		return ht;
	lac->trq = (b[0] & 0x02) != 0;
	/* MFSI is B6-B8; gopacket shifts B8 by 3 instead of 2 (8-11 for
	 * a 3-bit field): not copied. */
	lac->mfsi = ((b[0] >> 6) & 0x03) | ((b[1] & 0x01) << 2);
	if ((b[0] & 0x3c) == 0x38) {      /* MAI 14: antenna selection */
		Types__Dot11ASEL *asel = record_message(ctx, pkt, &types__dot11_asel__descriptor);
		if (asel) {
			asel->command = (b[1] >> 1) & 0x07;
			asel->data = (b[1] >> 4) & 0x0f;
		}
		lac->asel = asel;
	} else {
		lac->mrq = (b[0] & 0x04) != 0;
		if (lac->mrq)
			lac->msi = (b[0] >> 3) & 0x07;
		lac->mfb = b[1] >> 1;
	}
	ht->linkadapationcontrol = lac;
	ht->calibrationposition = b[2] & 0x03;
	ht->calibrationsequence = (b[2] >> 2) & 0x03;
	ht->csisteering = (b[2] >> 6) & 0x03;
	ht->ndpannouncement = (b[3] & 0x01) != 0;
	if (!management)
		ht->dei = (b[3] & 0x20) != 0;
	return ht;
}

static Types__Dot11HTControl *htc_message(struct decoder_ctx *ctx, struct packet *pkt,
					  const struct dot11_header *h)
{
	Types__Dot11HTControl *m = record_message(ctx, pkt, &types__dot11_htcontrol__descriptor);
	if (!m)
		return NULL;
	m->acconstraint = (h->htc[3] & 0x40) != 0;
	m->rdgmoreppdu = (h->htc[3] & 0x80) != 0;
	if (h->htc[0] & 0x01)
		m->vht = htc_vht(ctx, pkt, h->htc);
	else
		m->ht = htc_ht(ctx, pkt, h->htc, h->main_type == DOT11_MGMT);
	return m;
}

static char *address(struct decoder_ctx *ctx, const uint8_t *mac)
{
	return mac ? format_mac(&ctx->arena, mac) : (char *)protobuf_c_empty_string;
}

static void fill_record(struct decoder_ctx *ctx, struct packet *pkt, Types__Dot11 *r,
			const struct dot11_header *h, uint32_t checksum)
{
	r->timestamp = pkt->ts;
	r->type = h->type;
	r->proto = h->proto;
	r->flags = h->flags;
	r->durationid = h->duration;
	r->address1 = address(ctx, h->addr[0]);
	r->address2 = address(ctx, h->addr[1]);
	r->address3 = address(ctx, h->addr[2]);
	r->address4 = address(ctx, h->addr[3]);
	r->sequencenumber = h->seq_ctl >> 4;
	r->fragmentnumber = h->seq_ctl & 0x0f;
	r->checksum = checksum;
	if (h->has_qos)
		r->qos = qos_message(ctx, pkt, h->qos);
	if (h->has_htc)
		r->htcontrol = htc_message(ctx, pkt, h);
}

/* Takes the FCS off the end of the frame into *fcs. The snaplen may have
 * cut it off: then the frame stays as captured and *fcs 0. */
static int take_fcs(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		    uint32_t *fcs)
{
	*fcs = 0;
	if (pkt->cap_len < pkt->wire_len)
		return DECODE_OK;
	if (cur_left(cur) < FCS_BYTES)
		return decode_fail(ctx, pkt, PROTO_DOT11, REASON_TRUNCATED);
	struct cursor tail = *cur;
	cur_skip(&tail, cur_left(cur) - FCS_BYTES);
	*fcs = cur_le32(&tail);
	cur_limit(cur, cur_left(cur) - FCS_BYTES);
	return DECODE_OK;
}

/* The CRC-32 that gopacket appends to a frame captured without FCS: over
 * the MAC header (at `header`) and the body after any padding. */
static uint32_t frame_crc(struct cursor header, uint32_t header_bytes, struct cursor body,
			  uint32_t pad)
{
	uint32_t crc = libdeflate_crc32(0, cur_bytes(&header, header_bytes), header_bytes);
	cur_skip(&body, pad < cur_left(&body) ? pad : cur_left(&body));
	uint32_t n = cur_left(&body);
	return libdeflate_crc32(crc, cur_bytes(&body, n), n);
}

int dot11_decode_frame(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		       unsigned flags)
{
	bool has_fcs = (flags & DOT11_HAS_FCS) != 0;
	uint32_t checksum = 0;
	if (has_fcs && take_fcs(ctx, pkt, cur, &checksum) != DECODE_OK)
		return DECODE_STOP;

	struct cursor header = *cur;
	struct dot11_header h = { 0 };
	if (parse_header(ctx, pkt, cur, &h) != DECODE_OK)
		return DECODE_STOP;
	uint32_t pad = 0;
	if ((flags & DOT11_DATAPAD) && h.main_type == DOT11_DATA)
		pad = (4 - h.bytes % 4) % 4;

	Types__Dot11 *r = RECORD_NEW(ctx, pkt, Dot11, dot11);
	if (r) {
		if (!has_fcs)
			checksum = frame_crc(header, h.bytes, *cur, pad);
		fill_record(ctx, pkt, r, &h, checksum);
	}

	if (h.main_type != DOT11_DATA || (h.type & SUBTYPE_NO_DATA) ||
	    (h.flags & FLAG_PROTECTED) || cur_left(cur) == 0)
		return DECODE_OK;
	if (!cur_skip(cur, pad))
		return decode_fail(ctx, pkt, PROTO_DOT11, REASON_TRUNCATED);
	if (h.has_qos && (h.qos[0] & QOS_AMSDU))
		return decode_unknown(ctx, pkt, PROTO_DOT11);
	return decode_llc(ctx, pkt, cur);
}

int decode_dot11(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	return dot11_decode_frame(ctx, pkt, cur, 0);
}
