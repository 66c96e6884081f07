/* config.c: the option table, the INI reader (DPDK's rte_cfgfile) and the
 * command-line parser. See config.h. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>

#include "collect/wire.h"
#include "flow/flows.h"
#include "ncap/writer.h"
#include "pipeline/config.h"

enum opt_kind { OPT_STRING, OPT_LIST, OPT_UINT, OPT_SIZE, OPT_INT, OPT_BOOL, OPT_FLAG, OPT_TRISTATE };

struct option_spec {
	const char *flag;         /* long flag, also the INI key */
	char short_flag;          /* 0: none */
	const char *section;      /* INI section, NULL: command line only */
	enum opt_kind kind;
	size_t offset;            /* into struct netcap_config */
	size_t count_offset;      /* OPT_LIST: the unsigned count */
	int64_t min, max;
	const char *arg;          /* argument name in --help */
	const char *help;
};

#define FIELD(f) offsetof(struct netcap_config, f)

static const struct option_spec options[] = {
	{ "read", 'r', "input", OPT_LIST, FIELD(pcaps), FIELD(n_pcaps), 0, 0, "FILE",
	  "replay a pcap or pcapng file (classic pcap from a memory map, pcapng through DPDK's pcap PMD); "
	  "repeat for several files (one RX queue each)" },
	{ "files-as-queues", 0, "input", OPT_BOOL, FIELD(files_as_queues), 0, 0, 1, NULL,
	  "each -r file is an RX queue read by its own worker, with no dispatcher: the files must hold whole flows, "
	  "e.g. made by scripts/split-by-flow.sh" },
	{ "mmap", 0, "input", OPT_BOOL, FIELD(mmap_input), 0, 0, 1, NULL,
	  "read classic pcap files from a memory map, without copying a packet (default on; "
	  "--no-mmap reads them through the pcap PMD, as pcapng files always are)" },
	{ "interface", 'i', "input", OPT_STRING, FIELD(iface), 0, 0, 0, "IFACE",
	  "capture live from a kernel interface through net_af_packet (one queue pair per worker)" },
	{ "pci", 0, "ports", OPT_LIST, FIELD(pci), FIELD(n_pci), 0, 0, "ADDR",
	  "capture from a NIC bound to DPDK (vfio-pci), by PCI address; repeatable; symmetric RSS spreads it over the workers" },
	{ "bpf", 0, "input", OPT_STRING, FIELD(bpf), 0, 0, 0, "EXPR",
	  "capture filter in tcpdump syntax (pcap-filter(7)), e.g. 'tcp port 443 or udp port 53': only matching packets are "
	  "decoded, the others counted as filtered; compiled by libpcap for the input's link type, run by DPDK's BPF JIT" },
	{ "out", 'o', "output", OPT_STRING, FIELD(out_dir), 0, 0, 0, "DIR",
	  "directory for the <Type>.ncap.gz files (created if missing; default: current directory)" },
	{ "level", 0, "output", OPT_INT, FIELD(level), 0, 0, 12, "N",
	  "gzip compression level, 0 (store) to 12 (libdeflate's best); default 1" },
	{ "chunk-size", 0, "output", OPT_SIZE, FIELD(chunk_size), 0, 4096, 16 << 20, "BYTES",
	  "records per chunk handed to the compressors (K/M suffixes); default 64K" },
	{ "member-size", 0, "output", OPT_SIZE, FIELD(member_size), 0, 4096, 64 << 20, "BYTES",
	  "largest gzip member, uncompressed; default 1M" },
	{ "plain", 0, "output", OPT_BOOL, FIELD(plain), 0, 0, 1, NULL,
	  "write uncompressed <Type>.ncap files" },
	{ "include", 0, "output", OPT_STRING, FIELD(include), 0, 0, 0, "TYPES",
	  "comma-separated record types to write, instead of every type with a decoder" },
	{ "exclude", 0, "output", OPT_STRING, FIELD(exclude), 0, 0, 0, "TYPES",
	  "comma-separated record types not to write (excluded types cost nothing)" },
	{ "entropy", 0, "output", OPT_BOOL, FIELD(entropy), 0, 0, 1, NULL,
	  "compute PayloadEntropy fields (default on; --no-entropy for speed)" },
	{ "payload", 0, "output", OPT_BOOL, FIELD(payload), 0, 0, 1, NULL,
	  "keep TCP and UDP payload bytes in the records (default off)" },
	{ "errors-pcap", 0, "output", OPT_BOOL, FIELD(errors_pcap), 0, 0, 1, NULL,
	  "write packets with a malformed layer to errors.pcap, with the reason in errors.log" },
	{ "unknown-pcap", 0, "output", OPT_BOOL, FIELD(unknown_pcap), 0, 0, 1, NULL,
	  "write packets with a layer no decoder knows to unknown.pcap" },
	{ "rotate-interval", 0, "output", OPT_STRING, FIELD(rotate_interval), 0, 0, 0, "DURATION",
	  "start new files every DURATION (30s, 15m, 1h, 1d), at multiples of it since the epoch: 1h rotates at every "
	  "full hour UTC; files go to DIR/<YYYY-MM-DD>/<Type>.<start>.ncap.gz; SIGHUP rotates too (docs/deployment.md)" },
	{ "rotate-size", 0, "output", OPT_SIZE, FIELD(rotate_size), 0, 0, UINT64_C(1) << 50, "BYTES",
	  "start a new file of a type once its file passes BYTES on disk (K/M/G suffixes), as --rotate-interval names it" },
	{ "keep", 0, "output", OPT_STRING, FIELD(keep_age), 0, 0, 0, "AGE",
	  "with rotation: remove closed files last written more than AGE ago (12h, 7d, 4w)" },
	{ "keep-size", 0, "output", OPT_SIZE, FIELD(keep_size), 0, 0, UINT64_C(1) << 50, "BYTES",
	  "with rotation: remove the oldest closed files while the rotated files take more than BYTES" },
	{ "flow-capacity", 0, "flows", OPT_UINT, FIELD(flow_capacity), 0, 1024, CONFIG_MAX_FLOW_CAPACITY, "N",
	  "flows tracked per record family per worker; when full the oldest are written early (default 524288)" },
	{ "tcp-idle-timeout", 0, "flows", OPT_UINT, FIELD(tcp_idle), 0, 1, 86400, "SECONDS",
	  "a TCP connection without packets for this long is written (default 300, as Zeek)" },
	{ "udp-idle-timeout", 0, "flows", OPT_UINT, FIELD(udp_idle), 0, 1, 86400, "SECONDS",
	  "idle timeout of UDP flows (default 60, as Zeek)" },
	{ "idle-timeout", 0, "flows", OPT_UINT, FIELD(other_idle), 0, 1, 86400, "SECONDS",
	  "idle timeout of other flows: ICMP, non-IP (default 60)" },
	{ "active-timeout", 0, "flows", OPT_UINT, FIELD(active_timeout), 0, 1, 604800, "SECONDS",
	  "a flow older than this is written and starts a new record (default 3600)" },
	{ "tcp-close-timeout", 0, "flows", OPT_UINT, FIELD(tcp_close), 0, 0, 3600, "SECONDS",
	  "grace after FIN both ways or RST before a TCP connection is written (default 5, as Zeek)" },
	{ "community-id", 0, "flows", OPT_BOOL, FIELD(community_id), 0, 0, 1, NULL,
	  "the Community ID v1 flow hash in Connection and Flow records (default on; about 25 bytes a record once compressed)" },
	{ "community-id-seed", 0, "flows", OPT_UINT, FIELD(community_id_seed), 0, 0, 65535, "N",
	  "the Community ID seed, as Zeek's and Suricata's community-id-seed (default 0)" },
	{ "aggregate-window", 0, "flows", OPT_UINT, FIELD(aggregate_window), 0, 1, 604800, "SECONDS",
	  "LinkFlow, NetworkFlow and TransportFlow sum traffic over aligned windows this long (default 3600)" },
	{ "defrag-memory", 0, "decoding", OPT_SIZE, FIELD(defrag_memory), 0, 0, UINT64_C(1) << 36, "BYTES",
	  "memory per worker for IPv4/IPv6 datagrams in reassembly, at least 256K; 0: no reassembly (default 32M)" },
	{ "defrag-timeout", 0, "decoding", OPT_UINT, FIELD(defrag_timeout), 0, 1, 3600, "SECONDS",
	  "an incomplete datagram is dropped this long after its first fragment, in packet time (default 60)" },
	{ "stream-memory", 0, "streams", OPT_SIZE, FIELD(stream_memory), 0, 0, UINT64_C(1) << 36, "BYTES",
	  "memory per worker for TCP stream reassembly (out-of-order segments, HTTP heads, TLS hellos), at least 64K; 0: no reassembly, no HTTP or TLS records (default 64M)" },
	{ "stream-depth", 0, "streams", OPT_SIZE, FIELD(stream_depth), 0, 4096, UINT64_C(1) << 30, "BYTES",
	  "out-of-order bytes held per connection and direction before the hole is skipped as a gap (default 256K)" },
	{ "stream-capacity", 0, "streams", OPT_UINT, FIELD(stream_capacity), 0, 64, CONFIG_MAX_FLOW_CAPACITY, "N",
	  "TCP connections reassembled per worker; when full the one due soonest ends early (default 65536)" },
	{ "http-body", 0, "streams", OPT_SIZE, FIELD(http_body), 0, 0, 16384, "BYTES",
	  "keep the first BYTES of each HTTP request and response body in the HTTP records, at most 16K (default 0: none)" },
	{ "vxlan-port", 0, "decoding", OPT_LIST, FIELD(vxlan_ports), FIELD(n_vxlan_ports), 0, 0, "PORT",
	  "a UDP port that carries VXLAN besides 4789 (Linux's old 8472, ...); repeatable" },
	{ "workers", 'w', "lcores", OPT_UINT, FIELD(workers), 0, 1, 128, "N",
	  "decoding lcores (default: chosen from the lcores EAL gives)" },
	{ "compressors", 0, "lcores", OPT_UINT, FIELD(compressors), 0, 0, 64, "N",
	  "compression lcores; 0 makes the workers compress inline (default: chosen)" },
	{ "mbufs", 0, "memory", OPT_UINT, FIELD(mbufs), 0, 1024, 1u << 24, "N",
	  "packet buffers in the mempool (default: sized to the run)" },
	{ "ring-size", 0, "memory", OPT_UINT, FIELD(ring_size), 0, 64, 1u << 20, "N",
	  "packets queued per worker between dispatcher and worker (power of two; default 2048)" },
	{ "chunks", 0, "memory", OPT_UINT, FIELD(chunks), 0, 16, 1u << 20, "N",
	  "record chunks in flight (default: sized to the run)" },
	{ "collector", 0, "sensor", OPT_STRING, FIELD(collector), 0, 0, 0, "HOST:PORT",
	  "sensor mode: send the records to this collector (netcap-collect) in encrypted UDP datagrams instead of "
	  "writing files; IPv6 as [ADDR]:PORT (docs/sensor.md)" },
	{ "collector-pubkey", 0, "sensor", OPT_STRING, FIELD(collector_pubkey), 0, 0, 0, "FILE",
	  "sensor mode: the collector's public key (its .pub file from netcap-collect --gen-keypair)" },
	{ "sensor-key", 0, "sensor", OPT_STRING, FIELD(sensor_key), 0, 0, 0, "FILE",
	  "sensor mode: this sensor's secret key (a .key file of mode 0600 from netcap-collect --gen-keypair; "
	  "its .pub goes into the collector's allow file)" },
	{ "sensor-id", 0, "sensor", OPT_STRING, FIELD(sensor_id), 0, 0, 0, "NAME",
	  "sensor mode: the name the collector files this sensor's records under, 1-64 of A-Z a-z 0-9 . _ - "
	  "(default: the host name, other characters as _)" },
	{ "device-type", 0, "sensor", OPT_STRING, FIELD(device_type), 0, 0, 0, "TYPE",
	  "sensor mode: the device type sent with every batch, up to 64 printable characters (default netcap)" },
	{ "also-local", 0, "sensor", OPT_BOOL, FIELD(also_local), 0, 0, 1, NULL,
	  "sensor mode: write the <Type>.ncap.gz files too" },
	{ "datagram-size", 0, "sensor", OPT_UINT, FIELD(datagram_size), 0, COLLECT_DGRAM_MIN, COLLECT_DGRAM_MAX, "BYTES",
	  "sensor mode: largest UDP payload sent (default 1452: a 1500-byte MTU without IP fragments, IPv4 or IPv6)" },
	{ "batch-time", 0, "sensor", OPT_UINT, FIELD(batch_time), 0, 1, 3600, "SECONDS",
	  "sensor mode, live capture: records wait at most about this long for their batch (default 1)" },
	{ "progress", 0, NULL, OPT_TRISTATE, FIELD(progress), 0, 0, 1, NULL,
	  "progress line on stderr (default: when stderr is a terminal)" },
	{ "quiet", 'q', NULL, OPT_FLAG, FIELD(quiet), 0, 0, 1, NULL,
	  "no summary at the end" },
	{ "stats-interval", 0, "output", OPT_UINT, FIELD(stats_interval), 0, 0, 86400, "SECONDS",
	  "live capture: print counters every SECONDS (default 0: only at the end)" },
	{ "metrics", 0, "output", OPT_STRING, FIELD(metrics), 0, 0, 0, "ADDR:PORT",
	  "serve counters for Prometheus at http://ADDR:PORT/metrics, e.g. 127.0.0.1:9100, [::1]:9100, *:9100 "
	  "(every IPv4 address); off by default (docs/deployment.md, \"Monitoring\")" },
	{ "config", 'c', NULL, OPT_STRING, FIELD(config_path), 0, 0, 0, "FILE",
	  "read settings from an INI file (see config/netcap.conf); flags override it" },
};
#define N_OPTIONS (sizeof options / sizeof *options)

struct config_string {
	struct config_string *next;
	char text[];
};

/* n + 1 bytes that live until config_free; NULL (after saying so) when
 * out of memory. */
static char *keep_room(struct netcap_config *cfg, size_t n)
{
	struct config_string *c = malloc(sizeof *c + n + 1);
	if (!c) {
		fprintf(stderr, "netcap: out of memory reading the settings\n");
		return NULL;
	}
	c->text[n] = '\0';
	c->next = cfg->owned;
	cfg->owned = c;
	return c->text;
}

/* A copy of s that lives until config_free. */
static char *keep(struct netcap_config *cfg, const char *s)
{
	size_t n = strlen(s);
	char *copy = keep_room(cfg, n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}

void config_free(struct netcap_config *cfg)
{
	while (cfg->owned) {
		struct config_string *next = cfg->owned->next;
		free(cfg->owned);
		cfg->owned = next;
	}
}

enum { OPT_HELP = 1000, OPT_VERSION, OPT_HELP_MAN, OPT_NEGATED = 2000, OPT_INDEX = 3000 };

void config_usage(FILE *out)
{
	fprintf(out,
		"usage: netcap -r FILE [-r FILE...] [-o DIR] [options] [-- EAL arguments]\n"
		"       netcap -i IFACE [-o DIR] [options] [-- EAL arguments]\n"
		"       netcap -i IFACE --collector HOST:PORT --collector-pubkey FILE --sensor-key FILE [options]\n"
		"       netcap -c netcap.conf [options]\n\n"
		"Decodes packets into netcap audit records, one <Type>.ncap.gz file per record type.\n"
		"Long options also work with a single dash (-read, -out, -include), as netcap's.\n\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		char left[64];
		int n = 0;
		if (o->short_flag)
			n = snprintf(left, sizeof left, "-%c, ", o->short_flag);
		snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", o->flag, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s\n", left, o->help);
		if (o->kind == OPT_BOOL || o->kind == OPT_TRISTATE)
			fprintf(out, "  %-28s   (--no-%s turns it off)\n", "", o->flag);
		if (o->section)
			fprintf(out, "  %-28s   config file: [%s] %s\n", "", o->section, o->flag);
	}
	fprintf(out,
		"  %-28s %s\n  %-28s %s\n\n"
		"EAL arguments after -- (or [eal] args in the file) go to DPDK unchanged; without them\n"
		"NETCAP picks --no-huge, --no-pci, --no-shconf, all CPUs as lcores, and memory sized to the run.\n",
		"-h, --help", "this text", "--version", "print the version");
}

/* Text for roff: backslashes as \e, every '-' as \- (a minus that
 * neither breaks a line nor becomes a hyphen), a leading '.' or '\''
 * made literal. */
static void roff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/* The OPTIONS section of netcap(8), from the table config_usage() prints
 * (the hidden --help-man; scripts/make-man.sh puts it into
 * man/netcap.8.in), so the page lists what --help lists. */
void config_usage_man(FILE *out)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		fputs(".TP\n", out);
		if (o->short_flag)
			fprintf(out, "\\fB\\-%c\\fR, ", o->short_flag);
		fputs("\\fB\\-\\-", out);
		roff_text(out, o->flag);
		fputs("\\fR", out);
		if (o->arg) {
			fputs(" \\fI", out);
			roff_text(out, o->arg);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff_text(out, o->help);
		fputc('\n', out);
		if (o->kind == OPT_BOOL || o->kind == OPT_TRISTATE) {
			fputs(".br\n(\\fB\\-\\-no\\-", out);
			roff_text(out, o->flag);
			fputs("\\fR turns it off)\n", out);
		}
		if (o->section) {
			fputs(".br\nConfig file: \\fB[", out);
			roff_text(out, o->section);
			fputs("] ", out);
			roff_text(out, o->flag);
			fputs("\\fR\n", out);
		}
	}
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nthis text\n"
	      ".TP\n\\fB\\-\\-version\\fR\nprint the version\n", out);
}

static int parse_u64(const char *s, bool size_suffix, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '\0')
		return -1;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (size_suffix && *end) {
		unsigned shift = 0;
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return -1;
		}
		end++;
		if (*end == 'i' || *end == 'B' || *end == 'b')
			end += (*end == 'i') ? 1 : 0;
		if (*end == 'B' || *end == 'b')
			end++;
		if (v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* Stores value for option o; where says where it came from, for errors. */
static int set_option(struct netcap_config *cfg, const struct option_spec *o,
		      const char *value, const char *where)
{
	void *field = (char *)cfg + o->offset;
	uint64_t u;
	bool b;
	switch (o->kind) {
	case OPT_STRING:
		*(const char **)field = value;
		return 0;
	case OPT_LIST: {
		unsigned *count = (unsigned *)((char *)cfg + o->count_offset);
		/* In the file a list is comma-separated; on the command line the
		 * flag repeats. Both forms work in both places. */
		char *copy = keep(cfg, value), *save = NULL;
		if (!copy)
			return -1;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (*count >= CONFIG_MAX_INPUTS) {
				fprintf(stderr, "netcap: %s: more than %d values for %s\n", where,
					CONFIG_MAX_INPUTS, o->flag);
				return -1;
			}
			((const char **)field)[(*count)++] = tok;
		}
		return 0; /* copy stays until config_free: the list points into it */
	}
	case OPT_UINT:
	case OPT_SIZE:
	case OPT_INT:
		if (parse_u64(value, o->kind == OPT_SIZE, &u) < 0 || (int64_t)u < o->min || (int64_t)u > o->max) {
			fprintf(stderr, "netcap: %s: invalid value '%s' for %s (expected %s from %" PRId64 " to %" PRId64 ")\n",
				where, value, o->flag, o->kind == OPT_SIZE ? "a size" : "an integer", o->min, o->max);
			return -1;
		}
		if (o->kind == OPT_SIZE)
			*(uint64_t *)field = u;
		else if (o->kind == OPT_INT)
			*(int *)field = (int)u;
		else
			*(unsigned *)field = (unsigned)u;
		return 0;
	case OPT_BOOL:
	case OPT_FLAG:
	case OPT_TRISTATE:
		if (parse_bool(value, &b) < 0) {
			fprintf(stderr, "netcap: %s: invalid value '%s' for %s (expected yes or no)\n",
				where, value, o->flag);
			return -1;
		}
		if (o->kind == OPT_TRISTATE)
			*(int *)field = b;
		else
			*(bool *)field = b;
		return 0;
	}
	return -1;
}

static const struct option_spec *find_option(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].flag, name) == 0)
			return &options[i];
	return NULL;
}

static int split_eal_args(struct netcap_config *cfg, const char *line)
{
	char *copy = keep(cfg, line), *save = NULL;
	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (cfg->n_eal_args >= CONFIG_MAX_EAL_ARGS - 1) {
			fprintf(stderr, "netcap: too many EAL arguments (at most %d)\n", CONFIG_MAX_EAL_ARGS - 1);
			return -1;
		}
		cfg->eal_args[cfg->n_eal_args++] = tok;
	}
	return 0;
}

static int load_file(struct netcap_config *cfg, const char *path)
{
	struct rte_cfgfile *file = rte_cfgfile_load(path, 0);
	if (!file) {
		fprintf(stderr, "netcap: %s: cannot read or parse the config file\n", path);
		return -1;
	}
	int rc = 0;
	int n_sections = rte_cfgfile_num_sections(file, NULL, 0);
	char (*names)[CFG_NAME_LEN] = n_sections >= 0 ? calloc((size_t)n_sections + 1, CFG_NAME_LEN) : NULL;
	char **section_names = n_sections >= 0 ? calloc((size_t)n_sections + 1, sizeof *section_names) : NULL;
	if (!names || !section_names) {
		fprintf(stderr, "netcap: %s: out of memory reading the config file\n", path);
		rc = -1;
		n_sections = 0;
	}
	for (int i = 0; i < n_sections; i++)
		section_names[i] = names[i];
	rte_cfgfile_sections(file, section_names, n_sections);
	for (int s = 0; s < n_sections && rc == 0; s++) {
		const char *sec = section_names[s];
		int n = rte_cfgfile_section_num_entries(file, sec);
		struct rte_cfgfile_entry *entries = n >= 0 ? calloc((size_t)n + 1, sizeof *entries) : NULL;
		if (!entries) {
			fprintf(stderr, "netcap: %s: [%s]: out of memory reading the config file\n", path, sec);
			rc = -1;
			break;
		}
		rte_cfgfile_section_entries(file, sec, entries, n);
		for (int e = 0; e < n && rc == 0; e++) {
			char where[512];
			snprintf(where, sizeof where, "%s: [%s] %s", path, sec, entries[e].name);
			if (strcmp(sec, "eal") == 0 && strcmp(entries[e].name, "args") == 0) {
				rc = split_eal_args(cfg, entries[e].value);
				continue;
			}
			const struct option_spec *o = find_option(entries[e].name);
			if (!o || !o->section || strcmp(o->section, sec) != 0) {
				fprintf(stderr, "netcap: %s: unknown setting%s%s%s\n", where,
					o && o->section ? " (it belongs in [" : "",
					o && o->section ? o->section : "", o && o->section ? "])" : "");
				rc = -1;
				break;
			}
			const char *value = keep(cfg, entries[e].value);
			rc = value ? set_option(cfg, o, value, where) : -1;
		}
		free(entries);
	}
	free(section_names);
	free(names);
	rte_cfgfile_close(file);
	return rc;
}

/* netcap users type long flags with one dash (-out, -include). Rewrite
 * those that name an option exactly into the -- form, before getopt. */
static int normalize_single_dash(struct netcap_config *cfg, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '-' || a[1] == '\0' || a[2] == '\0')
			continue;
		char name[64];
		snprintf(name, sizeof name, "%s", a + 1);
		char *eq = strchr(name, '=');
		if (eq)
			*eq = '\0';
		const char *bare = strncmp(name, "no-", 3) == 0 ? name + 3 : name;
		if (find_option(bare) || strcmp(name, "help") == 0 || strcmp(name, "version") == 0 ||
		    strcmp(name, "iface") == 0) {
			size_t len = strlen(a);
			char *b = keep_room(cfg, len + 1);
			if (!b)
				return -1;
			b[0] = '-';
			memcpy(b + 1, a, len);
			argv[i] = b;
		}
	}
	return 0;
}

static void set_defaults(struct netcap_config *cfg)
{
	*cfg = (struct netcap_config){
		.out_dir = ".",
		.level = 1,
		.chunk_size = 64 << 10,
		.member_size = 1 << 20,
		.entropy = true,
		.mmap_input = true,
		.ring_size = 2048,
		.progress = -1,
		.compressors = UINT_MAX, /* "not given": chosen from the lcores */
		.flow_capacity = FLOW_DEFAULT_CAPACITY,
		.tcp_idle = 300,
		.udp_idle = 60,
		.other_idle = 60,
		.active_timeout = 3600,
		.tcp_close = 5,
		.aggregate_window = 3600,
		.community_id = true,
		.defrag_memory = 32u << 20,
		.defrag_timeout = 60,
		.stream_memory = 64u << 20,
		.stream_depth = 256u << 10,
		.stream_capacity = 1u << 16,
		.device_type = "netcap",
		.datagram_size = COLLECT_DGRAM_DEFAULT,
		.batch_time = 1,
	};
}

/* getopt's tables, built from the option table. */
struct getopt_tables {
	struct option longopts[2 * N_OPTIONS + 5];
	char shortopts[3 * N_OPTIONS + 4];
	char negated[N_OPTIONS][64]; /* "no-NAME" of the on/off options */
};

static void build_getopt_tables(struct getopt_tables *t)
{
	size_t nl = 0, ns = 0;
	t->shortopts[ns++] = '+'; /* stop at "--" and at the first non-option */
	t->shortopts[ns++] = 'h';
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		bool takes_arg = o->kind != OPT_BOOL && o->kind != OPT_FLAG && o->kind != OPT_TRISTATE;
		t->longopts[nl++] = (struct option){ o->flag, takes_arg ? required_argument : no_argument, NULL, OPT_INDEX + (int)i };
		if (!takes_arg && o->kind != OPT_FLAG) {
			snprintf(t->negated[i], sizeof t->negated[i], "no-%s", o->flag);
			t->longopts[nl++] = (struct option){ t->negated[i], no_argument, NULL, OPT_NEGATED + (int)i };
		}
		if (o->short_flag) {
			t->shortopts[ns++] = o->short_flag;
			if (takes_arg)
				t->shortopts[ns++] = ':';
		}
	}
	t->longopts[nl++] = (struct option){ "iface", required_argument, NULL, 'i' }; /* netcap's name */
	t->longopts[nl++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	t->longopts[nl++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	t->longopts[nl++] = (struct option){ "help-man", no_argument, NULL, OPT_HELP_MAN }; /* not in --help */
	t->longopts[nl] = (struct option){ 0 };
	t->shortopts[ns] = '\0';
}

/* The config files named by -c/--config come first whatever the flag
 * order: flags override them. */
static int load_config_files(struct netcap_config *cfg, int argc, char **argv)
{
	for (int i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			cfg->config_path = argv[i + 1];
			if (load_file(cfg, cfg->config_path) < 0)
				return -1;
		}
	}
	return 0;
}

/* getopt_long returned c, '?' or ':': the argument it just read is unknown
 * or lacks its value. */
static void report_bad_flag(int c, char **argv)
{
	if (optopt && optopt < 256)
		fprintf(stderr, "netcap: option -%c %s (see netcap --help)\n", optopt,
			c == ':' ? "needs a value" : "is unknown");
	else
		fprintf(stderr, "netcap: option '%s' is unknown or needs a value (see netcap --help)\n",
			argv[optind - 1]);
}

/* Sets the option getopt_long returned as c, with optarg. list_from_flags
 * tells which list options the flags have already started. */
static int apply_flag(struct netcap_config *cfg, int c, bool *list_from_flags)
{
	const struct option_spec *o = NULL;
	char where[96];
	if (c >= OPT_INDEX) {
		o = &options[c - OPT_INDEX];
	} else if (c >= OPT_NEGATED) {
		o = &options[c - OPT_NEGATED];
		snprintf(where, sizeof where, "--no-%s", o->flag);
		return set_option(cfg, o, "no", where);
	} else {
		for (size_t i = 0; i < N_OPTIONS; i++)
			if (options[i].short_flag == c)
				o = &options[i];
	}
	if (!o)
		return -1;
	snprintf(where, sizeof where, "--%s", o->flag);
	/* Flags replace list values from the file rather than adding to them. */
	if (o->kind == OPT_LIST && !list_from_flags[o - options]) {
		list_from_flags[o - options] = true;
		*(unsigned *)((char *)cfg + o->count_offset) = 0;
	}
	if (o->kind == OPT_BOOL || o->kind == OPT_FLAG || o->kind == OPT_TRISTATE)
		optarg = "yes";
	if (strcmp(o->flag, "config") == 0)
		return 0; /* loaded before the flags */
	return set_option(cfg, o, optarg, where);
}

/* 1 after --help or --version, which need nothing more. Leaves optind at
 * the first argument that is not an option. */
static int read_flags(struct netcap_config *cfg, int argc, char **argv, const struct getopt_tables *t)
{
	bool list_from_flags[N_OPTIONS] = { false };
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then also resets its state between calls */
	int c, idx;
	while ((c = getopt_long(argc, argv, t->shortopts, t->longopts, &idx)) != -1) {
		if (c == OPT_HELP || c == 'h') {
			config_usage(stdout);
			return 1;
		}
		if (c == OPT_HELP_MAN) {
			config_usage_man(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("netcap %s\n", NCAP_VERSION);
			return 1;
		}
		if (c == '?' || c == ':') {
			report_bad_flag(c, argv);
			return -1;
		}
		if (apply_flag(cfg, c, list_from_flags) < 0)
			return -1;
	}
	return 0;
}

/* What follows the options: EAL arguments after "--", nothing else. */
static int take_eal_args(struct netcap_config *cfg, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	if (strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr, "netcap: unexpected argument '%s' (EAL arguments go after --; see netcap --help)\n",
			argv[optind]);
		return -1;
	}
	for (int i = optind; i < argc; i++) {
		if (cfg->n_eal_args >= CONFIG_MAX_EAL_ARGS - 1) {
			fprintf(stderr, "netcap: too many EAL arguments\n");
			return -1;
		}
		cfg->eal_args[cfg->n_eal_args++] = argv[i];
	}
	return 0;
}

/* Workers asked for by -w must each get a file: a worker without one
 * would only sit idle (the files' flows cannot spread over it). A layout
 * chosen from the lcores may still have more workers than files; those
 * finish at once (engine.c, setup_pcap_input). */
static int check_files_as_queues(const struct netcap_config *cfg)
{
	if (!cfg->files_as_queues)
		return 0;
	if (cfg->n_pcaps == 0) {
		fprintf(stderr, "netcap: --files-as-queues needs -r FILE (each file is the RX queue of a worker)\n");
		return -1;
	}
	if (cfg->workers > cfg->n_pcaps) {
		fprintf(stderr, "netcap: --files-as-queues: %u file%s for %u workers; give at least %u files or -w %u\n",
			cfg->n_pcaps, cfg->n_pcaps == 1 ? "" : "s", cfg->workers, cfg->workers, cfg->n_pcaps);
		return -1;
	}
	return 0;
}

static int check_one_input_kind(const struct netcap_config *cfg)
{
	unsigned kinds = (cfg->n_pcaps > 0) + (cfg->iface != NULL) + (cfg->n_pci > 0);
	if (kinds == 0) {
		fprintf(stderr, "netcap: no input: give -r FILE, -i IFACE or --pci ADDR (see netcap --help)\n");
		return -1;
	}
	if (kinds > 1) {
		fprintf(stderr, "netcap: give one kind of input: -r, -i or --pci, not several\n");
		return -1;
	}
	return 0;
}

/* Names that go into DPDK's device arguments, where ',' and '=' separate
 * settings: "-i eth0,qpairs=999" must not set one. */
static int check_device_names(const struct netcap_config *cfg)
{
	if (cfg->iface && (strlen(cfg->iface) >= 16 || strpbrk(cfg->iface, ",= \t/") || !*cfg->iface)) {
		fprintf(stderr, "netcap: --interface '%s' is not an interface name (at most 15 characters, no ',', '=', '/' or spaces)\n",
			cfg->iface);
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_pci; i++) {
		unsigned domain, bus, dev, fn;
		char end;
		if (sscanf(cfg->pci[i], "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &end) != 4 &&
		    sscanf(cfg->pci[i], "%x:%x.%x%c", &bus, &dev, &fn, &end) != 3) {
			fprintf(stderr, "netcap: --pci '%s' is not a PCI address (DDDD:BB:DD.F, e.g. 0000:01:00.0)\n",
				cfg->pci[i]);
			return -1;
		}
	}
	return 0;
}

/* --vxlan-port values: port numbers, decoded into the workers' contexts. */
static int check_vxlan_ports(const struct netcap_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_vxlan_ports; i++) {
		char *end;
		unsigned long port = strtoul(cfg->vxlan_ports[i], &end, 10);
		if (end == cfg->vxlan_ports[i] || *end || port == 0 || port > 65535) {
			fprintf(stderr, "netcap: --vxlan-port '%s' is not a port number (1 to 65535)\n",
				cfg->vxlan_ports[i]);
			return -1;
		}
	}
	return 0;
}

/* Sensor mode needs its three settings together; the others only mean
 * something with them. The files are read and the address resolved by the
 * engine (sensor.c), before DPDK starts. */
static int check_sensor(const struct netcap_config *cfg)
{
	bool any = cfg->collector || cfg->collector_pubkey || cfg->sensor_key;
	if (!any) {
		if (cfg->also_local || cfg->sensor_id) {
			fprintf(stderr, "netcap: --%s needs sensor mode: --collector HOST:PORT --collector-pubkey FILE "
				"--sensor-key FILE\n", cfg->also_local ? "also-local" : "sensor-id");
			return -1;
		}
		return 0;
	}
	const char *missing = !cfg->collector ? "--collector HOST:PORT" :
			      !cfg->collector_pubkey ? "--collector-pubkey FILE" :
			      !cfg->sensor_key ? "--sensor-key FILE" : NULL;
	if (missing) {
		fprintf(stderr, "netcap: sensor mode needs %s (with --collector, --collector-pubkey and --sensor-key)\n",
			missing);
		return -1;
	}
	return 0;
}

static int check_sizes(const struct netcap_config *cfg)
{
	if (cfg->ring_size & (cfg->ring_size - 1)) {
		fprintf(stderr, "netcap: --ring-size %u is not a power of two\n", cfg->ring_size);
		return -1;
	}
	if (cfg->chunk_size > cfg->member_size) {
		fprintf(stderr, "netcap: --chunk-size (%" PRIu64 ") must not exceed --member-size (%" PRIu64 ")\n",
			cfg->chunk_size, cfg->member_size);
		return -1;
	}
	return 0;
}

int config_parse(struct netcap_config *cfg, int argc, char **argv)
{
	set_defaults(cfg);
	if (normalize_single_dash(cfg, argc, argv) < 0)
		return -1;
	struct getopt_tables tables;
	build_getopt_tables(&tables);
	if (load_config_files(cfg, argc, argv) < 0)
		return -1;
	int rc = read_flags(cfg, argc, argv, &tables);
	if (rc != 0)
		return rc;
	if (take_eal_args(cfg, argc, argv) < 0 || check_files_as_queues(cfg) < 0 || check_one_input_kind(cfg) < 0 ||
	    check_device_names(cfg) < 0 || check_sizes(cfg) < 0 || check_vxlan_ports(cfg) < 0 ||
	    check_sensor(cfg) < 0)
		return -1;
	return 0;
}
