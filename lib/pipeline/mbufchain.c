/* mbufchain.c: see mbufchain.h. */
#include <string.h>

#include "pipeline/mbufchain.h"

const char *const mbuf_chain_fault_names[MBUF_CHAIN_FAULTS] = {
	[MBUF_CHAIN_OK] = "ok",
	[MBUF_CHAIN_SHORT] = "segments-shorter-than-pkt-len",
	[MBUF_CHAIN_LONG] = "segments-longer-than-pkt-len",
	[MBUF_CHAIN_SEGMENTS] = "fewer-segments-than-nb-segs",
	[MBUF_CHAIN_OUTSIDE] = "segment-outside-its-buffer",
};

static const uint8_t *segment_data(const struct rte_mbuf *s)
{
	return (const uint8_t *)s->buf_addr + s->data_off;
}

enum mbuf_chain_fault mbuf_chain_check(const struct rte_mbuf *m)
{
	uint64_t total = 0;
	const struct rte_mbuf *s = m;
	/* At most nb_segs steps, so a chain that loops back cannot hold us. */
	for (unsigned i = 0; i < m->nb_segs; i++, s = s->next) {
		if (!s)
			return MBUF_CHAIN_SEGMENTS;
		if ((uint32_t)s->data_off + s->data_len > s->buf_len)
			return MBUF_CHAIN_OUTSIDE;
		total += s->data_len;
	}
	if (s)
		return MBUF_CHAIN_LONG;
	if (total < m->pkt_len)
		return MBUF_CHAIN_SHORT;
	if (total > m->pkt_len)
		return MBUF_CHAIN_LONG;
	return MBUF_CHAIN_OK;
}

uint32_t mbuf_chain_bytes(const struct rte_mbuf *m, uint8_t *buf, uint32_t cap,
			  const uint8_t **data, enum mbuf_chain_fault *fault)
{
	*fault = mbuf_chain_check(m);
	if (*fault != MBUF_CHAIN_OK)
		return 0;
	if (m->nb_segs == 1) {
		*data = segment_data(m);
		return m->data_len;
	}
	uint32_t len = 0;
	for (const struct rte_mbuf *s = m; s && len < cap; s = s->next) {
		uint32_t take = s->data_len < cap - len ? s->data_len : cap - len;
		memcpy(buf + len, segment_data(s), take);
		len += take;
	}
	*data = buf;
	return len;
}
