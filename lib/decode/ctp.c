/* ctp.c: the Ethernet Configuration Testing Protocol (Ethernet loopback,
 * ethertype 0x9000; Xerox's Ethernet II specification, section 8):
 * EthernetCTP and EthernetCTPReply records.
 *
 * A frame holds a skip count and a list of messages, every number little
 * endian: forward-data messages (function 2 and the 6-byte address of the
 * next station) and a final reply (function 1, a receipt number and the
 * data, which runs to the end of the frame, Ethernet padding included).
 * As gopacket and tshark do, the messages are read from the first one on,
 * whatever the skip count says: the skip count (the offset of the message
 * the next station is to act on) is recorded as it stands, in EthernetCTP's
 * SkipCount. An odd skip count is a fault (BAD_VALUE), as in gopacket; one
 * that points past the frame is counted (BAD_VALUE, decode_note) without
 * stopping.
 *
 * EthernetCTPReply follows gopacket: Function 1, ReceiptNumber, Data.
 * Forward-data messages have no record type in netcap's schema; they are
 * stepped over. A function other than 1 or 2 has no decoder: an unknown
 * layer. A message cut short is TRUNCATED.
 *
 * The reply's Data keeps at most CTP_MAX_DATA bytes (a loopback test frame
 * is at most a jumbo frame; a pcap frame can be 262 KB): the rest is
 * counted as EthernetCTP/capped and marks the record Truncated. */
#include "decode/decoders.h"

enum { CTP_REPLY = 1, CTP_FORWARD_DATA = 2 };
#define CTP_FORWARD_ADDRESS 6
#define CTP_MAX_DATA 16384

int decode_ctp(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur)
{
	uint16_t skip = cur_le16(cur);
	if (!cur_ok(cur))
		return decode_fail(ctx, pkt, PROTO_CTP, REASON_TRUNCATED);
	if (skip % 2)
		return decode_fail(ctx, pkt, PROTO_CTP, REASON_BAD_VALUE);
	/* The message it points to needs at least its function word. */
	if ((uint32_t)skip + 2 > cur_left(cur))
		decode_note(ctx, PROTO_CTP, REASON_BAD_VALUE);

	Types__EthernetCTP *r = RECORD_NEW(ctx, pkt, EthernetCTP, ethernet_ctp);
	if (r) {
		r->timestamp = pkt->ts;
		r->skipcount = skip;
	}

	/* Each forward-data message consumes 8 bytes: the walk ends. */
	while (cur_left(cur) > 0) {
		uint16_t function = cur_le16(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_CTP, REASON_TRUNCATED);
		if (function == CTP_FORWARD_DATA) {
			if (!cur_skip(cur, CTP_FORWARD_ADDRESS))
				return decode_fail(ctx, pkt, PROTO_CTP, REASON_TRUNCATED);
			continue;
		}
		if (function != CTP_REPLY)
			return decode_unknown(ctx, pkt, PROTO_CTP);
		uint16_t receipt = cur_le16(cur);
		if (!cur_ok(cur))
			return decode_fail(ctx, pkt, PROTO_CTP, REASON_TRUNCATED);
		uint32_t n = cur_left(cur);
		const uint8_t *data = cur_bytes(cur, n);
		Types__EthernetCTPReply *reply = RECORD_NEW(ctx, pkt, EthernetCTPReply, ethernet_ctpreply);
		if (reply) {
			reply->timestamp = pkt->ts;
			reply->function = function;
			reply->receiptnumber = receipt;
			reply->data = pb_bytes(data, n < CTP_MAX_DATA ? n : CTP_MAX_DATA);
			if (n > CTP_MAX_DATA)
				decode_capped(ctx, pkt, PROTO_CTP, reply);
		}
		return DECODE_OK;
	}
	return DECODE_OK;
}
