/* options.c: the option-list helpers of options.h: counting an area's
 * options (within a cap), netcap's Fingerprint of their types, and the
 * kind-length options IPv4 and TCP share. */
#include <stddef.h>

#include "decode/options.h"

int options_count(struct cursor area, option_next_fn next, struct cap *cap, size_t *count)
{
	struct option opt;
	size_t n = 0;
	int rc;
	while ((rc = next(&area, &opt)) == OPTION_READ)
		if (!cap || cap_take(cap, opt.size))
			n++;
	if (count)
		*count = n;
	return rc;
}

/* The widest type is 16 bits: "65535," per option. */
#define FINGERPRINT_PER_OPTION 6

char *options_fingerprint(struct arena *a, struct cursor area, option_next_fn next, size_t n)
{
	char *text = n ? arena_alloc(a, n * FINGERPRINT_PER_OPTION) : NULL;
	if (!text)
		return NULL;
	char *o = text;
	struct option opt;
	for (size_t i = 0; i < n && next(&area, &opt) == OPTION_READ; i++) {
		if (i)
			*o++ = ',';
		o = put_decimal(o, opt.type);
	}
	*o = '\0';
	return text;
}

int kl_option_next(struct cursor *area, struct option *opt)
{
	if (cur_left(area) == 0)
		return OPTION_DONE;
	*opt = (struct option){ .type = cur_u8(area), .length = 1 };
	if (opt->type == KL_END_OF_LIST || opt->type == KL_NO_OPERATION)
		return OPTION_READ;
	opt->length = cur_u8(area);
	/* A length of 0 or 1 would not advance: the loop a crafted header
	 * would otherwise spin in. */
	if (!cur_ok(area) || opt->length < 2)
		return OPTION_MALFORMED;
	opt->size = opt->length - 2u;
	opt->data = cur_bytes(area, opt->size);
	return opt->data ? OPTION_READ : OPTION_MALFORMED;
}

bool kl_options_scan(struct cursor area, size_t *count, ProtobufCBinaryData *padding)
{
	struct option opt;
	int rc;
	*count = 0;
	*padding = pb_bytes(NULL, 0);
	while ((rc = kl_option_next(&area, &opt)) == OPTION_READ) {
		++*count;
		if (opt.type == KL_END_OF_LIST) {
			uint32_t n = cur_left(&area);
			*padding = pb_bytes(cur_bytes(&area, n), n);
			break;
		}
	}
	return rc != OPTION_MALFORMED;
}

/* IPv4Option and TCPOption are one shape: fill either through it. */
struct kl_option_record {
	ProtobufCMessage base;
	int32_t optiontype;
	int32_t optionlength;
	ProtobufCBinaryData optiondata;
};
#define SAME_LAYOUT(T, f) \
	_Static_assert(offsetof(T, f) == offsetof(struct kl_option_record, f), #T "." #f)
SAME_LAYOUT(Types__IPv4Option, optiontype);
SAME_LAYOUT(Types__IPv4Option, optionlength);
SAME_LAYOUT(Types__IPv4Option, optiondata);
SAME_LAYOUT(Types__TCPOption, optiontype);
SAME_LAYOUT(Types__TCPOption, optionlength);
SAME_LAYOUT(Types__TCPOption, optiondata);

void **kl_options_records(struct decoder_ctx *ctx, struct packet *pkt,
			  const ProtobufCMessageDescriptor *descriptor, struct cursor area, size_t n)
{
	struct kl_option_record **options = (struct kl_option_record **)record_array(ctx, pkt, descriptor, n);
	if (!options)
		return NULL;
	struct option opt;
	for (size_t i = 0; i < n && kl_option_next(&area, &opt) == OPTION_READ; i++) {
		options[i]->optiontype = opt.type;
		options[i]->optionlength = opt.length;
		options[i]->optiondata = pb_bytes(opt.data, opt.size);
	}
	return (void **)options;
}
