/* options.h: walking option lists, once for every decoder that has them.
 *
 * IPv4 and TCP options (kind-length), IPv6 hop-by-hop and destination
 * options (type-length-value), ICMPv6 neighbor discovery options (length
 * in 8-byte units), DHCPv4 and DHCPv6 options: each protocol reads one
 * option with its own walker (an option_next_fn), and they all hand back
 * the same struct option and the same step results, so that counting the
 * options of an area, within a cap or not, and netcap's Fingerprint of
 * option codes are written once, here (options.c). A walker never moves
 * past its area and always advances, so every walk ends. */
#ifndef DECODE_OPTIONS_H
#define DECODE_OPTIONS_H

#include "decode/decode.h"

/* What one step of a walk gives. A walker may tell kinds of malformed
 * options apart with further negative values. */
enum { OPTION_DONE = 0, OPTION_READ = 1, OPTION_MALFORMED = -1 };

struct option {
	uint16_t type;
	uint16_t length;          /* the length field as written (its unit is the protocol's) */
	const uint8_t *data;      /* the value, `size` bytes; NULL for an option without one */
	uint32_t size;
};

/* Reads the option at the start of area into *opt: OPTION_READ, or
 * OPTION_DONE when the list ends (area consumed, or an end option that
 * the protocol does not list), or a malformed result (< 0). */
typedef int (*option_next_fn)(struct cursor *area, struct option *opt);

/* Walks every option of area, so that each is checked: *count (when not
 * NULL) gets how many of the first ones cap lets through (`size` bytes of
 * each; cap->hit tells a cut), or all of them when cap is NULL. Returns
 * OPTION_DONE, or the walker's malformed result; the count then stops
 * before the bad option. */
int options_count(struct cursor area, option_next_fn next, struct cap *cap, size_t *count);

/* netcap's Fingerprint: the types of the first n options of area, in
 * decimal, joined with commas ("53,61,12,55"), in bulk space; NULL when
 * n is 0 or there is no space. */
char *options_fingerprint(struct arena *a, struct cursor area, option_next_fn next, size_t n);

/* Options of the kind-length form that IPv4 (RFC 791) and TCP (RFC 9293)
 * share: kind 0 ends the list (the rest of the area is padding), kind 1 is
 * a one-byte no-op, any other kind has a length byte counting kind and
 * length bytes, so at least 2. As gopacket, the length of kinds 0 and 1 is
 * 1 (they have no data); `size` is length - 2 for the others. */
enum { KL_END_OF_LIST = 0, KL_NO_OPERATION = 1 };
/* The walker (a length below 2 or past the area is malformed). After an
 * end-of-list option the area holds only the padding. */
int kl_option_next(struct cursor *area, struct option *opt);
/* Walks a whole option area: *count gets the number of options (an
 * end-of-list included), *padding the bytes after an end-of-list. False
 * when an option is malformed. */
bool kl_options_scan(struct cursor area, size_t *count, ProtobufCBinaryData *padding);
/* The n options of area as records of the given descriptor (IPv4Option
 * or TCPOption: OptionType, OptionLength, OptionData, the same layout);
 * NULL when the arena is full. */
void **kl_options_records(struct decoder_ctx *ctx, struct packet *pkt,
			  const ProtobufCMessageDescriptor *descriptor, struct cursor area, size_t n);

#endif
