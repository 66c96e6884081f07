/* files.h: the collector's record files, DIR/<sensor-id>/<Type>.ncap.gz
 * (docs/collector.md, "Output and rotation").
 *
 * A sink (collector.h) that writes each sensor's batches with ncap_writer,
 * one file per sensor and record type, opened on the type's first batch
 * (the sensor's directory made then, never for rejected traffic), with
 * Header.InputSource "sensor <id> (<device type>)". Data is never
 * overwritten: a file already at the name when one is opened (an earlier
 * run's) is first renamed to <Type>.<UTC YYYYmmddTHHMMSSZ>.ncap.gz, the
 * time of its last change (with -1, -2, ... when taken).
 *
 * collect_files_rotate (SIGHUP) closes every file (complete, valid) and,
 * when the file is still at its name (nobody moved it, as logrotate
 * would), renames it the same way; the next batch of a type opens a new
 * file. collect_files_flush writes what the writers hold, so a file on
 * disk lags its sensor by at most one flush interval. A failed write (a
 * full disk) loses that member's records: counted in the sensor's
 * records_lost, the run goes on. */
#ifndef COLLECT_FILES_H
#define COLLECT_FILES_H

#include "collect/collector.h"

struct collect_files;

/* dir is made if missing. NULL with err. */
struct collect_files *collect_files_new(const char *dir, const struct collect_sensors *t,
					char *err, size_t errlen);
/* The sink writing into f. */
struct collect_sink collect_files_sink(struct collect_files *f);

/* Each takes every sensor's lock in turn. */
void collect_files_flush(struct collect_files *f, struct collect_sensors *t);
void collect_files_rotate(struct collect_files *f, struct collect_sensors *t);
/* Closes every file; f is freed. */
void collect_files_close(struct collect_files *f, struct collect_sensors *t);

/* Files open now. */
size_t collect_files_open_count(struct collect_files *f, struct collect_sensors *t);

#endif
