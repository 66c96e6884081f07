/* fuzz_decode.c: libFuzzer target for the decoders (decode_packet) and the
 * record serializers (lib/ncap/fastpack.c, protobuf-c).
 *
 * Input: byte 0 picks the link type, the rest is the captured frame.
 *   bits 0-6: index into links[] below, modulo its size
 *   bit 7:    the frame was cut by the snaplen (wire length = captured
 *             length + 1000), else wire length = captured length
 * tests/fuzz/seed_decode.sh writes its seeds (packets of corpus pcaps)
 * in this form, with the same table.
 *
 * Every record type with a decoder is on and PayloadEntropy too, as netcap
 * runs by default, and --payload (TCP and UDP records keep their payload
 * bytes: the largest records). Each record the packet produced is then packed through
 * protobuf-c (ncap_pack_delimited) into a block of exactly its size, and
 * through ncap_fastpack when it has a fast serializer: the two must give the
 * same bytes (fastpack.h promises it), fastpack must refuse a block one byte
 * too small without writing past it, and protobuf-c must read the bytes
 * back. No record may be larger than DECODE_RECORD_BOUND (the decoders'
 * caps promise it), and the packet's arena use must stay within the
 * arena. Any difference aborts, so libFuzzer reports it as a crash.
 * Frames up to 262,144 bytes matter (pcap's largest): run with
 * -max_len=262145.
 *
 * Build: make fuzz (build/fuzz/fuzz_decode, clang -fsanitize=fuzzer,address,
 * undefined). Reproduce a crash: build/fuzz/fuzz_decode CRASH_FILE. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "ncap/fastpack.h"
#include "ncap/varint.h"


/* The link types decode_link() knows; keep in step with the seed writer in
 * tests/fuzz/seed_decode.sh. */
static const int links[] = {
	LINK_ETHERNET, LINK_RAW, LINK_IPV4, LINK_IPV6, LINK_LINUX_SLL, LINK_LINUX_SLL2,
	LINK_NULL, LINK_LOOP, LINK_IEEE802_11, LINK_IEEE802_11_RADIO, LINK_RAW_ALT,
	LINK_PPP, LINK_PPP_SERIAL, LINK_C_HDLC, LINK_NFLOG,
};
#define N_LINKS (sizeof links / sizeof *links)

static struct decoder_ctx ctx;
static struct packet *pkt;

static void fail(const char *what, int type, const ProtobufCMessage *msg)
{
	fprintf(stderr, "fuzz_decode: %s (record type %d, %s)\n", what, type,
		msg && msg->descriptor ? msg->descriptor->name : "?");
	abort();
}

static void check_record(int type, const ProtobufCMessage *msg)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	if (size > DECODE_RECORD_BOUND)
		fail("a record larger than DECODE_RECORD_BOUND", type, msg);
	size_t need = ncap_varint_size(size) + size;
	uint8_t *ref = malloc(need);
	if (!ref)
		return;
	long n = ncap_pack_delimited(msg, ref, need);
	if (n != (long)need)
		fail("ncap_pack_delimited did not fill the exact size", type, msg);

	/* protobuf-c reads it back, and packs the result to the same bytes. */
	size_t k = ncap_varint_size(size);
	ProtobufCMessage *back = protobuf_c_message_unpack(msg->descriptor, NULL, size, ref + k);
	if (!back)
		fail("protobuf-c cannot unpack a packed record", type, msg);
	if (protobuf_c_message_get_packed_size(back) != size)
		fail("record size changes after unpack", type, msg);
	uint8_t *again = malloc(size ? size : 1);
	if (again) {
		protobuf_c_message_pack(back, again);
		if (memcmp(again, ref + k, size) != 0)
			fail("record bytes change after unpack and pack", type, msg);
		free(again);
	}
	protobuf_c_message_free_unpacked(back, NULL);

	/* The fast serializer: the same bytes when it handles the record. Its
	 * size bound may exceed the exact size, so it gets room to spare. */
	size_t room = need + 4096;
	uint8_t *fast = malloc(room);
	if (fast) {
		long f = ncap_fastpack(type, msg, fast, room);
		if (f == 0)
			fail("ncap_fastpack found no room with 4096 bytes to spare", type, msg);
		if (f > 0 && (f != n || memcmp(fast, ref, need) != 0))
			fail("ncap_fastpack and protobuf-c give different bytes", type, msg);
		free(fast);
		/* One byte short: no record, and no write past the block. */
		if (f > 0) {
			uint8_t *tight = malloc(need - 1 ? need - 1 : 1);
			if (tight) {
				if (ncap_fastpack(type, msg, tight, need - 1) > 0)
					fail("ncap_fastpack wrote a record into too small a block", type, msg);
				free(tight);
			}
		}
	}
	if (need > 1) {
		uint8_t *tight = malloc(need - 1);
		if (tight) {
			if (ncap_pack_delimited(msg, tight, need - 1) != 0)
				fail("ncap_pack_delimited wrote a record into too small a block", type, msg);
			free(tight);
		}
	}
	free(ref);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (decoder_init(&ctx, 1 << 20) < 0)
		abort();
	for (size_t i = 0; i < decode_record_types_count; i++)
		decoder_enable(&ctx, decode_record_types[i], true);
	ctx.entropy = true;
	ctx.payload = true;
	pkt = malloc(sizeof *pkt);
	if (!pkt)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > UINT32_MAX - 2000)
		return 0;
	int link = links[(data[0] & 0x7f) % N_LINKS];
	uint32_t cap_len = (uint32_t)(size - 1);
	uint32_t wire_len = cap_len + ((data[0] & 0x80) ? 1000 : 0);
	/* A copy of exactly the frame's length, so ASan sees a read past it
	 * (and none can reach the link byte before it). */
	uint8_t *frame = malloc(cap_len);
	if (!frame && cap_len)
		return 0;
	if (cap_len)
		memcpy(frame, data + 1, cap_len);
	decode_packet(&ctx, pkt, link, frame, cap_len, wire_len, INT64_C(1480520108640523000));
	if (pkt->n_rec > PACKET_MAX_RECORDS || ctx.arena.used > ctx.arena.cap)
		abort();
	for (unsigned i = 0; i < pkt->n_rec; i++) {
		const struct pkt_record *r = &pkt->rec[i];
		if (!r->msg || r->type >= NCAP_TYPE_LIMIT || !decoder_wants(&ctx, r->type))
			fail("a record of a type that is not on", r->type, r->msg);
		check_record(r->type, r->msg);
	}
	free(frame);
	return 0;
}
