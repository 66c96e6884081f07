/* worker_streams.c: where the worker meets lib/stream outside a packet.
 *
 * Inside a packet, the stream reassembler and its parsers make their
 * records in the packet's own record space (decode_tcp calls them), and
 * worker.c packs them with the packet's other records. Connections that end
 * without a packet (idle expiry, end of input) still have records to write:
 * an HTTP request whose response never came, a response read to the end of
 * the connection. Here the worker gives them a packet of their own, and
 * packs its records whenever its space fills (the drain callback), so any
 * number of connections may end at once. */
#include "pipeline/pipeline.h"
#include "pipeline/roles.h"
#include "stream/stream.h"

static void pack_records(struct worker_state *ws)
{
	const struct packet *p = &ws->pkt;
	for (unsigned i = 0; i < p->n_rec; i++)
		emit_record(ws->lc, ws, p->rec[i].type, p->rec[i].msg);
}

/* app_env.drain: packs what the parsers made and empties the space. */
static void drain(void *arg)
{
	struct worker_state *ws = arg;
	pack_records(ws);
	decode_records_begin(&ws->dctx, &ws->pkt, ws->pkt.ts);
}

static void run(struct worker_state *ws, int64_t now, bool flush)
{
	struct decoder_ctx *ctx = &ws->dctx;
	decode_records_begin(ctx, &ws->pkt, now);
	struct app_env env = {
		.ctx = ctx,
		.pkt = &ws->pkt,
		.blocks = stream_blocks(ctx->streams),
		.drain = drain,
		.drain_arg = ws,
		.settings = ctx->app,
	};
	uint64_t *events = ctx->stats.events[PROTO_STREAM];
	if (flush)
		stream_flush(ctx->streams, &env, events);
	else
		stream_advance(ctx->streams, now, &env, events);
	pack_records(ws);
	ws->pkt.n_rec = 0;
}

void worker_streams_advance(struct worker_state *ws, int64_t now)
{
	if (ws->dctx.streams)
		run(ws, now, false);
}

void worker_streams_flush(struct worker_state *ws)
{
	if (ws->dctx.streams)
		run(ws, ws->stream_now, true);
}
