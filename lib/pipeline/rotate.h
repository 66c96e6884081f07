/* rotate.h: file rotation for long runs (--rotate-interval, --rotate-size,
 * SIGHUP, --keep, --keep-size; docs/deployment.md, "Rotation").
 *
 * With rotation on, a type's records go to
 * OUT/<YYYY-MM-DD>/<Type>.<YYYYmmddTHHMMSSZ>.ncap.gz, the time being the
 * start of the file's generation (UTC) and the date that of the start.
 *
 * Generations: a number and its start time, here, bumped by the control
 * thread (engine.c) on an interval boundary (aligned to the epoch, so a 1h
 * interval rotates at every full hour UTC) or on SIGHUP. --rotate-size
 * bumps a type's own sequence number instead, by whichever compressor sees
 * the type's file (all its writers together) pass the size. Every bump
 * also moves `changes`: each compressor compares it once per chunk and
 * once per idle step (one atomic load), and only when it moved looks at
 * its writers, closes those of an old generation or sequence (a shared
 * file closes with its last writer) and opens new files lazily, on the
 * type's next chunk. Nothing is done per packet.
 *
 * The files open now are registered here (a mutex, taken once per file
 * opened or closed): --keep and --keep-size never remove one of them. Not
 * a public API. */
#ifndef PIPELINE_ROTATE_H
#define PIPELINE_ROTATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/recordset.h"

#define ROTATE_STARTS 8 /* start times kept, by generation % ROTATE_STARTS */

struct netcap_config;
struct rotate_file;

struct rotation {
	bool on;                      /* --rotate-interval or --rotate-size */
	int64_t interval_ns;          /* 0: none */
	uint64_t size;                /* 0: none */
	int64_t keep_ns;              /* 0: keep all */
	uint64_t keep_size;           /* 0: keep all */
	const char *out_dir;

	_Atomic uint32_t gen;
	_Atomic int64_t gen_start_ns[ROTATE_STARTS];
	_Atomic uint32_t seq[NCAP_TYPE_LIMIT];        /* size rotations of each type */
	_Atomic int64_t seq_start_ns[NCAP_TYPE_LIMIT];
	_Atomic uint32_t changes;     /* any bump: what compressors compare */
	atomic_bool hup;              /* SIGHUP, for the control thread */
	_Atomic uint64_t closed;      /* files closed: the pruner runs when it moves */

	/* spread types: the key (gen << 32 | seq) and file of shared_writer[],
	 * under eng.shared_open_lock */
	uint64_t shared_key[NCAP_TYPE_LIMIT];
	struct rotate_file *shared_file[NCAP_TYPE_LIMIT];

	/* the control thread's */
	int64_t next_boundary_ns;
	uint64_t pruned_at;           /* `closed` at the last prune */
	bool hup_told;

	pthread_mutex_t lock;         /* the files open now */
	struct rotate_file *open_files;
	_Atomic uint64_t files_opened, files_removed;
};

static inline uint64_t rotate_key(uint32_t gen, uint32_t seq)
{
	return (uint64_t)gen << 32 | seq;
}

/* "90", "90s", "15m", "1h", "7d": nanoseconds in *ns; -1 if not a duration. */
int rotate_parse_duration(const char *s, int64_t *ns);

/* Reads the settings (before EAL): -1 after an error naming the option. */
int rotate_prepare(struct rotation *r, const struct netcap_config *cfg);
/* Generation 0 starts now; called before the lcores are launched. */
void rotate_start(struct rotation *r);
/* The control thread, every few tens of ms: SIGHUP and interval boundaries
 * start a new generation; a closed file lets the pruner run. */
void rotate_tick(struct rotation *r);
/* --rotate-size: a compressor saw type's file (key seq) pass the size. */
void rotate_type(struct rotation *r, int type, uint32_t seq);

/* A new file for type in generation gen, sequence seq: its path (date
 * directory created) in path, registered as open with one writer. NULL
 * (err set) when the directory cannot be made. */
struct rotate_file *rotate_file_new(struct rotation *r, int type, uint32_t gen, uint32_t seq, bool plain,
				    char *path, size_t pathlen, int64_t *start_ns, char *err, size_t errlen);
void rotate_file_ref(struct rotation *r, struct rotate_file *f);
/* A writer of f closed; the last one closes the file (it may be pruned
 * from now on). */
void rotate_file_unref(struct rotation *r, struct rotate_file *f);
/* Removes what --keep and --keep-size ask for (closed files only). */
void rotate_prune(struct rotation *r);

#endif
