/* compressor.c: the compressor role: gzip full chunks into the files of the
 * record types this lcore owns.
 *
 * A record type belongs to one compressor, or to several when it is busy
 * enough to keep more than one lcore compressing (plan_layout in engine.c):
 * they then share its file, each compressing its own members, and only
 * the append of a finished member takes the file's lock (writer.h). Chunks come over the compressor's MP/SC
 * ring, or straight from the worker on the same lcore (the inline layout).
 * A file is opened on its type's first chunk, so a type that never occurs
 * leaves no file. Write errors cost records, never the file: the writer
 * cuts a failed member back off, and they are counted here and told once
 * per streak. The role finishes when no worker is active and the ring is
 * empty.
 *
 * In sensor mode (sensor.c) a chunk's records are sealed into datagrams
 * and sent by this lcore's own sender instead of (--also-local: besides)
 * being written; its queue is flushed after every chunk and when the
 * ring is empty. */
#include <stdio.h>

#include <rte_cycles.h>

#include "ncap/schema.h"
#include "pipeline/pipeline.h"
#include "pipeline/roles.h"

/* Write errors are told once per streak: when a file starts failing and
 * when it writes again, not once per chunk of a disk that stays full. */
static void note_write_state(struct compressor_state *cs, int type, bool failing, const char *err)
{
	if (failing == cs->failing[type])
		return;
	cs->failing[type] = failing;
	if (failing) {
		fprintf(stderr, "netcap: %s\n", err);
		atomic_store(&eng.write_failed, true);
	} else {
		fprintf(stderr, "netcap: %s: writing again\n", ncap_type_by_id(type)->name);
	}
}

/* The type's file, opened on its first chunk. An open that fails (a full
 * disk cannot take the header either) is tried again with the next chunk
 * (a chunk is 64 KiB of records: the cost of trying is nothing beside
 * them); the chunk's records are counted as lost. */
static struct ncap_writer *writer_for(struct compressor_state *cs, int type)
{
	if (cs->writer[type])
		return cs->writer[type];
	const struct ncap_type *t = ncap_type_by_id(type);
	char path[4096], err[4096 + 512];
	snprintf(path, sizeof path, "%s/%s.ncap%s", eng.cfg->out_dir, t->name, eng.cfg->plain ? "" : ".gz");
	if (eng.type_shards[type] > 1) {
		/* Several compressors share the file: the first opens it,
		 * the others add their writers to it. */
		rte_spinlock_lock(&eng.shared_open_lock);
		struct ncap_writer *first = eng.shared_writer[type];
		cs->writer[type] = first ? ncap_writer_open_shared(first, err, sizeof err)
					 : ncap_writer_open(path, type, &eng.wopts, err, sizeof err);
		if (!first)
			eng.shared_writer[type] = cs->writer[type];
		rte_spinlock_unlock(&eng.shared_open_lock);
	} else {
		cs->writer[type] = ncap_writer_open(path, type, &eng.wopts, err, sizeof err);
	}
	note_write_state(cs, type, !cs->writer[type], err);
	return cs->writer[type];
}

void compress_chunk(struct lcore_conf *lc, struct ncap_chunk *c)
{
	/* Timed per chunk (64 KiB of records): here, not in compressor_step,
	 * as a worker on this lcore calls it directly (inline layout). */
	enum lcore_stage was = lc->stats.stage;
	lcore_stage_enter(lc, STAGE_COMPRESS);
	struct compressor_state *cs = lc->cs;
	/* Sensor mode: the records go to the collector (sensor.c), and to
	 * the file too with --also-local. */
	if (eng.sensor)
		sensor_send_chunk(cs, c);
	struct ncap_writer *w = eng.write_local ? writer_for(cs, c->type) : NULL;
	if (w) {
		uint64_t lost = ncap_writer_lost_records(w);
		ncap_writer_write(w, c->data, c->len);
		cs->lost_records += ncap_writer_lost_records(w) - lost;
		note_write_state(cs, c->type, ncap_writer_failing(w), ncap_writer_error(w));
	} else if (eng.write_local) {
		cs->unopened_records[c->type] += c->records;
		cs->lost_records += c->records;
	}
	cs->chunks++;
	cs->bytes_in += c->len;
	rte_mempool_put(eng.chunk_pool, c);
	lcore_stage_enter(lc, was);
}

unsigned compressor_step(struct lcore_conf *lc)
{
	void *chunks[8];
	unsigned n = rte_ring_sc_dequeue_burst(lc->chunk_ring, chunks, 8, NULL);
	for (unsigned i = 0; i < n; i++)
		compress_chunk(lc, chunks[i]);
	if (!n && eng.sensor)
		sensor_flush(lc->cs); /* idle: nothing may wait in the queue */
	return n;
}

void live_flush_writers(struct lcore_conf *lc)
{
	struct compressor_state *cs = lc->cs;
	uint64_t now = rte_get_tsc_cycles();
	if (now < cs->next_flush)
		return;
	cs->next_flush = now + LIVE_FLUSH_SECONDS * rte_get_tsc_hz();
	enum lcore_stage was = lc->stats.stage;
	lcore_stage_enter(lc, STAGE_COMPRESS);
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		struct ncap_writer *w = cs->writer[t];
		if (!w)
			continue;
		ncap_writer_flush(w);
		note_write_state(cs, t, ncap_writer_failing(w), ncap_writer_error(w));
	}
	lcore_stage_enter(lc, was);
}

void maybe_finish_compressor(struct lcore_conf *lc)
{
	if (atomic_load_explicit(&eng.workers_active, memory_order_acquire) != 0)
		return;
	/* Workers enqueue before they decrement: drain what is left. */
	while (compressor_step(lc))
		;
	if (eng.sensor)
		sensor_flush(lc->cs);
	lc->compressor_finished = true;
}
