/* dot11.h: the IEEE 802.11 frame decoder's entry for the link layers that
 * carry 802.11 frames (dot11.c for DLT_IEEE802_11, radiotap.c for
 * DLT_IEEE802_11_RADIO), which know whether the frame ends in its FCS and
 * whether the driver padded the MAC header. */
#ifndef DECODE_DOT11_H
#define DECODE_DOT11_H

#include "decode/decode.h"

enum {
	DOT11_HAS_FCS = 1 << 0,   /* the last 4 bytes are the frame check sequence */
	DOT11_DATAPAD = 1 << 1,   /* padding after the MAC header to 4 bytes */
};

/* Decodes the 802.11 frame at cur (Dot11 record) and what it carries. */
int dot11_decode_frame(struct decoder_ctx *ctx, struct packet *pkt, struct cursor *cur,
		       unsigned flags);

#endif
