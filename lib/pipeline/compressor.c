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
 * With rotation (rotate.h) a type's file belongs to a generation: once per
 * chunk and idle step the compressor compares the engine's rotation
 * counter, and when it moved closes its writers of past files; the next
 * chunk of the type opens the new one.
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

/* ---- rotation (rotate.h) ---------------------------------------------- */

/* Flushes and closes this compressor's writer of type; the file closes
 * with its last writer. What it wrote and lost goes to the summary. */
static void close_writer(struct compressor_state *cs, int type)
{
	struct ncap_writer *w = cs->writer[type];
	if (eng.type_shards[type] > 1) {
		/* no other compressor may join this file from now on */
		rte_spinlock_lock(&eng.shared_open_lock);
		if (eng.shared_writer[type] == w)
			eng.shared_writer[type] = NULL;
		rte_spinlock_unlock(&eng.shared_open_lock);
	}
	char err[4096 + 512];
	ncap_writer_flush(w);
	cs->closed_lost[type] += ncap_writer_lost_records(w);
	cs->closed_bytes[type] += ncap_writer_bytes_out(w);
	if (ncap_writer_close(w, err, sizeof err) < 0) {
		fprintf(stderr, "netcap: %s\n", err);
		atomic_store(&eng.write_failed, true);
	}
	cs->writer[type] = NULL;
	cs->failing[type] = false;
	rotate_file_unref(&eng.rot, cs->wfile[type]);
	cs->wfile[type] = NULL;
}

/* Once per chunk and idle step: one atomic load, unless a generation or
 * a type's sequence moved; then the writers of old files are closed. */
static void rotate_check(struct compressor_state *cs)
{
	uint32_t changes = atomic_load_explicit(&eng.rot.changes, memory_order_acquire);
	if (changes == cs->rot_seen)
		return;
	cs->rot_seen = changes;
	uint32_t gen = atomic_load_explicit(&eng.rot.gen, memory_order_acquire);
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++)
		if (cs->writer[t] &&
		    (cs->wgen[t] != gen || cs->wseq[t] != atomic_load_explicit(&eng.rot.seq[t], memory_order_acquire)))
			close_writer(cs, t);
}

void compressor_close_writers(struct compressor_state *cs)
{
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++)
		if (cs->writer[t])
			close_writer(cs, t);
}

/* The type's file of the current generation and sequence: shared with
 * the type's other compressors when it is spread (the first to come
 * opens it). The key is read under the lock, so that files are opened in
 * the order of their keys. */
static struct ncap_writer *open_rotated(struct compressor_state *cs, int type, char *err, size_t errlen)
{
	bool spread = eng.type_shards[type] > 1;
	if (spread)
		rte_spinlock_lock(&eng.shared_open_lock);
	uint32_t gen = atomic_load_explicit(&eng.rot.gen, memory_order_acquire);
	uint32_t seq = atomic_load_explicit(&eng.rot.seq[type], memory_order_acquire);
	uint64_t key = rotate_key(gen, seq);
	struct ncap_writer *w = NULL;
	struct rotate_file *f = NULL;
	if (spread && eng.shared_writer[type] && eng.rot.shared_key[type] == key) {
		if ((w = ncap_writer_open_shared(eng.shared_writer[type], err, errlen))) {
			f = eng.rot.shared_file[type];
			rotate_file_ref(&eng.rot, f);
		}
	} else {
		char path[4096];
		int64_t start;
		f = rotate_file_new(&eng.rot, type, gen, seq, eng.cfg->plain, path, sizeof path, &start, err, errlen);
		if (f) {
			struct ncap_writer_opts o = eng.wopts;
			o.created_ns = start;
			if (!(w = ncap_writer_open(path, type, &o, err, errlen))) {
				rotate_file_unref(&eng.rot, f);
				f = NULL;
			}
		}
		if (w && spread) {
			eng.shared_writer[type] = w;
			eng.rot.shared_key[type] = key;
			eng.rot.shared_file[type] = f;
		}
	}
	if (spread)
		rte_spinlock_unlock(&eng.shared_open_lock);
	cs->wgen[type] = gen;
	cs->wseq[type] = seq;
	cs->wfile[type] = f;
	return w;
}

/* The type's file, opened on its first chunk. An open that fails (a full
 * disk cannot take the header either) is tried again with the next chunk
 * (a chunk is 64 KiB of records: the cost of trying is nothing beside
 * them); the chunk's records are counted as lost. */
static struct ncap_writer *writer_for(struct compressor_state *cs, int type)
{
	if (cs->writer[type])
		return cs->writer[type];
	if (eng.rot.on) {
		char err[4096 + 512];
		cs->writer[type] = open_rotated(cs, type, err, sizeof err);
		note_write_state(cs, type, !cs->writer[type], err);
		return cs->writer[type];
	}
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
	if (eng.rot.on && eng.write_local)
		rotate_check(cs);
	struct ncap_writer *w = eng.write_local ? writer_for(cs, c->type) : NULL;
	if (w) {
		uint64_t lost = ncap_writer_lost_records(w);
		ncap_writer_write(w, c->data, c->len);
		cs->lost_records += ncap_writer_lost_records(w) - lost;
		note_write_state(cs, c->type, ncap_writer_failing(w), ncap_writer_error(w));
		/* --rotate-size: the file, all of its writers together */
		if (eng.rot.size && ncap_writer_file_size(w) >= eng.rot.size) {
			rotate_type(&eng.rot, c->type, cs->wseq[c->type]);
			rotate_check(cs);
		}
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
	if (!n && eng.rot.on && eng.write_local)
		rotate_check(lc->cs); /* idle: close the files of a past generation */
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
