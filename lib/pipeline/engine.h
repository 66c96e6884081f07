/* engine.h: the capture engine: ports, lcores, rings, and the run.
 *
 * Layout (see docs/architecture.md):
 *
 *   port queues --rx--> [dispatcher] --mbuf rings--> workers --chunk rings--> compressors --> <Type>.ncap.gz
 *
 * Each lcore plays one or more roles. A worker owns RX queues when the port
 * spreads load itself (RSS on a NIC, kernel fanout on af_packet); for the
 * pcap PMD one lcore reads every queue and dispatches packets to the workers
 * by a symmetric flow hash. Workers run to completion per packet (decode,
 * records, per-type chunks) and pass full chunks to the compressor that owns
 * the record type, so every file has exactly one writer. When lcores are
 * scarce the compressor role shares a worker's lcore ("inline" layout). */
#ifndef PIPELINE_ENGINE_H
#define PIPELINE_ENGINE_H

#include "pipeline/config.h"

/* Runs the engine to completion (end of input or SIGINT/SIGTERM). argv0 is
 * the program name for EAL. Returns the process exit code. */
int engine_run(struct netcap_config *cfg, const char *argv0);

#endif
