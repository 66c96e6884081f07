/* config.h: NETCAP's settings, from config/netcap.conf and the command line.
 *
 * One table (config.c) describes every option once: its command-line flag,
 * its section and key in the INI file, its type, limits and help text. The
 * file is read first, flags override it, and --help is printed from the
 * same table, so the three can never disagree. */
#ifndef PIPELINE_CONFIG_H
#define PIPELINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_INPUTS 16
#define CONFIG_MAX_EAL_ARGS 64
#define CONFIG_MAX_FLOW_CAPACITY (1u << 28)

struct netcap_config {
	/* inputs: exactly one kind */
	const char *pcaps[CONFIG_MAX_INPUTS];
	unsigned n_pcaps;
	bool files_as_queues;     /* each file read by its own worker, no dispatcher */
	bool mmap_input;          /* classic pcap files read from a memory map (pcapmap.h) */
	const char *iface;
	const char *pci[CONFIG_MAX_INPUTS];
	unsigned n_pci;
	const char *bpf;          /* capture filter (tcpdump syntax), NULL: none */

	/* output */
	const char *out_dir;
	int level;                /* libdeflate 0..12 */
	uint64_t chunk_size;      /* bytes of delimited records per chunk */
	uint64_t member_size;     /* gzip member cap */
	bool plain;               /* write .ncap instead of .ncap.gz */
	const char *include;      /* comma list of record types, NULL: default set */
	const char *exclude;
	bool entropy;
	bool payload;             /* keep TCP/UDP payload bytes in records */
	bool errors_pcap;         /* malformed packets to errors.pcap + errors.log */
	bool unknown_pcap;        /* packets with an unknown layer to unknown.pcap */
	/* rotation (lib/pipeline/rotate.h; docs/deployment.md, "Rotation") */
	const char *rotate_interval; /* DURATION, NULL: none */
	uint64_t rotate_size;     /* bytes of a type's file, 0: none */
	const char *keep_age;     /* --keep DURATION, NULL: keep all */
	uint64_t keep_size;       /* bytes of rotated files, 0: keep all */

	/* flows (seconds) */
	unsigned flow_capacity;   /* entries per family per worker */
	unsigned tcp_idle, udp_idle, other_idle, active_timeout, tcp_close, aggregate_window;
	bool community_id;        /* CommunityID in Connection and Flow */
	unsigned community_id_seed;

	/* defragmentation, per worker (lib/defrag) */
	uint64_t defrag_memory;   /* bytes; 0: fragments decoded one by one */
	unsigned defrag_timeout;  /* seconds from a datagram's first fragment */
	/* TCP stream reassembly and its parsers, per worker (lib/stream) */
	uint64_t stream_memory;   /* bytes; 0: no reassembly */
	uint64_t stream_depth;    /* out-of-order bytes per direction */
	unsigned stream_capacity; /* connections */
	uint64_t http_body;       /* body bytes kept per HTTP message */
	const char *vxlan_ports[CONFIG_MAX_INPUTS]; /* UDP ports carrying VXLAN besides 4789 */
	unsigned n_vxlan_ports;

	/* lcores */
	unsigned workers;         /* 0: chosen from the lcores given */
	unsigned compressors;

	/* memory */
	unsigned mbufs;           /* 0: sized to the run */
	unsigned ring_size;       /* per-worker mbuf ring (power of two) */
	unsigned chunks;          /* 0: sized to the run */

	/* sensor mode (docs/sensor.md): records go to a collector */
	const char *collector;      /* HOST:PORT, NULL: no sensor mode */
	const char *collector_pubkey; /* the collector's .pub file */
	const char *sensor_key;     /* this sensor's .key file */
	const char *sensor_id;      /* NULL: the host name, made safe */
	const char *device_type;
	bool also_local;            /* write the files too */
	unsigned datagram_size;     /* bytes per datagram at most */
	unsigned batch_time;        /* seconds a record may wait for its batch, live */

	/* user interface */
	int progress;             /* -1 auto (stderr is a terminal), 0, 1 */
	bool quiet;
	unsigned stats_interval;  /* seconds between live stats lines, 0: none */
	const char *metrics;      /* --metrics ADDR:PORT (Prometheus), NULL: off */

	/* EAL arguments (config file [eal] args, then those after --) */
	char *eal_args[CONFIG_MAX_EAL_ARGS];
	int n_eal_args;

	const char *config_path;

	/* Strings copied from the file and the flags, freed by config_free. */
	struct config_string *owned;
};

/* Defaults, then the file named by -c/--config (if any), then the flags.
 * Returns 0, 1 when the program should exit successfully (--help,
 * --version), or -1 after printing an error naming the option. argv may
 * be rewritten (netcap's single-dash spellings); its strings must outlive
 * cfg. */
int config_parse(struct netcap_config *cfg, int argc, char **argv);
/* Frees what config_parse copied (after a failure too). */
void config_free(struct netcap_config *cfg);

#include <stdio.h>
void config_usage(FILE *out);
/* The same options as roff for netcap(8): .TP entries (--help-man). */
void config_usage_man(FILE *out);

#endif
