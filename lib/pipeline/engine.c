/* engine.c: setting up and running the capture engine (see engine.h).
 *
 * Order of a run: choose the record types, scan the input files, build the
 * EAL arguments (sensible defaults unless the user gave their own), start
 * EAL, decide which lcore plays which role, create the mempools and rings,
 * start the ports, launch the loop on every lcore, and when all have
 * finished close every file and print the summary. Sensor mode (sensor.c)
 * is prepared with the files, before EAL, and given to the compressors
 * once they exist. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_version.h>

#include "defrag/defrag.h"
#include "stream/app.h"
#include "flow/flowhash.h"
#include "ncap/schema.h"
#include "ncap/truncate.h"
#include "ncap/varint.h"
#include "pipeline/bigframe.h"
#include "pipeline/engine.h"
#include "pipeline/pipeline.h"
#include "pipeline/roles.h"
#include "pipeline/metrics.h"
#include "pipeline/sidecar.h"

struct engine eng;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_store(&eng.rot.hup, true); /* the control thread rotates (rotate.h) */
	else
		atomic_store(&eng.stop, true);
}

/* ---- record types --------------------------------------------------- */

static bool has_decoder(int type)
{
	for (size_t i = 0; i < decode_record_types_count; i++)
		if (decode_record_types[i] == type)
			return true;
	return false;
}

static void list_types(FILE *out)
{
	for (size_t i = 0; i < decode_record_types_count; i++)
		fprintf(out, "%s%s", i ? ", " : "", ncap_type_by_id(decode_record_types[i])->name);
	fprintf(out, "\n");
}

static int apply_type_list(const char *list, bool on, const char *flag)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;
	if (!copy) {
		fprintf(stderr, "netcap: %s: out of memory\n", flag);
		return -1;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		const struct ncap_type *t = ncap_type_by_name(tok);
		if (!t || !has_decoder(t->id)) {
			fprintf(stderr, "netcap: %s: %s '%s'; record types NETCAP writes: ", flag,
				t ? "no decoder produces record type" : "unknown record type", tok);
			list_types(stderr);
			rc = -1;
			break;
		}
		record_set_put(&eng.enabled, t->id, on);
	}
	free(copy);
	return rc;
}

static int choose_record_types(const struct netcap_config *cfg)
{
	eng.enabled = (struct record_set){ 0 };
	if (cfg->include) {
		if (apply_type_list(cfg->include, true, "--include") < 0)
			return -1;
	} else {
		for (size_t i = 0; i < decode_record_types_count; i++)
			record_set_put(&eng.enabled, decode_record_types[i], true);
	}
	if (cfg->exclude && apply_type_list(cfg->exclude, false, "--exclude") < 0)
		return -1;
	eng.n_enabled = record_set_count(&eng.enabled);
	if (eng.n_enabled == 0) {
		fprintf(stderr, "netcap: --include/--exclude leave no record type to write\n");
		return -1;
	}
	return 0;
}

/* ---- EAL ------------------------------------------------------------ */

static bool user_gave(const struct netcap_config *cfg, const char *const *flags)
{
	for (int i = 0; i < cfg->n_eal_args; i++)
		for (const char *const *f = flags; *f; f++) {
			size_t n = strlen(*f);
			if (strncmp(cfg->eal_args[i], *f, n) == 0 &&
			    (cfg->eal_args[i][n] == '\0' || cfg->eal_args[i][n] == '='))
				return true;
		}
	return false;
}

static int build_eal_args(const struct netcap_config *cfg, const char *argv0,
			  char **argv, int max, uint64_t mem_mb)
{
	static char storage[16][4096];
	int argc = 0, s = 0;
	argv[argc++] = (char *)argv0;
	static const char *const lcore_flags[] = { "-l", "-c", "--lcores", NULL };
	static const char *const mem_flags[] = { "-m", "--socket-mem", "--no-huge", "--huge-dir", "--in-memory", NULL };
	static const char *const pci_flags[] = { "--no-pci", "-a", "--allow", "-b", "--block", NULL };
	static const char *const shconf_flags[] = { "--no-shconf", "--file-prefix", "--in-memory", NULL };
	static const char *const tele_flags[] = { "--no-telemetry", "--telemetry", NULL };
	static const char *const log_flags[] = { "--log-level", NULL };

	if (!user_gave(cfg, lcore_flags)) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		snprintf(storage[s], sizeof storage[s], "0-%ld", cpus > 1 ? cpus - 1 : 0);
		argv[argc++] = "-l";
		argv[argc++] = storage[s++];
	}
	if (!user_gave(cfg, mem_flags)) {
		argv[argc++] = "--no-huge";
		snprintf(storage[s], sizeof storage[s], "%llu", (unsigned long long)mem_mb);
		argv[argc++] = "-m";
		argv[argc++] = storage[s++];
	}
	if (cfg->n_pci == 0 && !user_gave(cfg, pci_flags))
		argv[argc++] = "--no-pci";
	for (unsigned i = 0; i < cfg->n_pci; i++) {
		argv[argc++] = "-a";
		argv[argc++] = (char *)cfg->pci[i];
	}
	if (!user_gave(cfg, shconf_flags))
		argv[argc++] = "--no-shconf";
	/* Telemetry serves /netcap/stats in live mode; a replay has no use for
	 * its socket. */
	if (cfg->n_pcaps && !user_gave(cfg, tele_flags))
		argv[argc++] = "--no-telemetry";
	if (!user_gave(cfg, log_flags))
		argv[argc++] = "--log-level=lib.eal:error";

	if (cfg->n_pcaps) {
		/* Up to CONFIG_MAX_INPUTS paths of up to PATH_MAX each: sized
		 * to what they hold, not to a fixed buffer. */
		size_t need = sizeof "--vdev=net_pcap_netcap0";
		for (unsigned i = 0; i < cfg->n_pcaps; i++)
			need += sizeof ",rx_pcap=" + strlen(cfg->pcaps[i]);
		static char *vdev;
		free(vdev);
		if (!(vdev = malloc(need)))
			return -1;
		size_t n = (size_t)snprintf(vdev, need, "--vdev=net_pcap_netcap0");
		for (unsigned i = 0; i < cfg->n_pcaps; i++)
			n += (size_t)snprintf(vdev + n, need - n, ",rx_pcap=%s", cfg->pcaps[i]);
		argv[argc++] = vdev;
	} else if (cfg->iface) {
		snprintf(storage[s], sizeof storage[s],
			 "--vdev=net_af_packet_netcap0,iface=%s,qpairs=%u,qdisc_bypass=0,framecnt=16384",
			 cfg->iface, eng.n_workers ? eng.n_workers : 1);
		argv[argc++] = storage[s++];
	}
	for (int i = 0; i < cfg->n_eal_args && argc < max - 1; i++)
		argv[argc++] = cfg->eal_args[i];
	argv[argc] = NULL;
	return argc;
}

/* ---- lcore roles ---------------------------------------------------- */

/* What each record type costs its compressor, in % of all record bytes,
 * on the benchmark input (the nDPI corpus, every type on; netcap's summary
 * of `make bench`). Types not named were under 1% each: they weigh 0 in
 * the shares (so adding decoders does not shift them) and 1 when placed.
 * Only the ratios matter: they decide which types get several
 * compressors. */
static const struct {
	int type;
	unsigned weight;
} type_weights[] = {
	{ TYPES__TYPE__NC_IPv4, 31 }, { TYPES__TYPE__NC_Ethernet, 25 }, { TYPES__TYPE__NC_TCP, 24 },
	{ TYPES__TYPE__NC_UDP, 8 },   { TYPES__TYPE__NC_Flow, 4 },      { TYPES__TYPE__NC_Connection, 3 },
	{ TYPES__TYPE__NC_DNS, 2 },
};

static unsigned type_weight(int t)
{
	for (size_t i = 0; i < sizeof type_weights / sizeof *type_weights; i++)
		if (type_weights[i].type == t)
			return type_weights[i].weight;
	return 0;
}

/* Spreads the enabled types over C compressors so that each gets about
 * the same bytes: a type worth k compressors' share (rounded) is spread
 * over k of them, at most one per worker (worker w feeds shard w % k) and
 * only when compressors have lcores of their own; then each shard goes to
 * the compressor with the least weight so far, heaviest first. */
static void spread_types(unsigned C, unsigned W, bool may_shard)
{
	unsigned total = 0, load[MAX_COMPRESSORS] = { 0 };
	int order[NCAP_TYPE_LIMIT], n = 0;
	for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
		eng.type_shards[t] = 0;
		if (record_set_has(&eng.enabled, t)) {
			total += type_weight(t);
			order[n++] = t;
		}
	}
	/* heaviest first (insertion sort: a few dozen types) */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && type_weight(order[j]) > type_weight(order[j - 1]); j--) {
			int x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	for (int i = 0; i < n; i++) {
		int t = order[i];
		unsigned w = type_weight(t), k = 1;
		if (may_shard && total) {
			k = (2 * w * C + total) / (2 * total); /* w*C/total, rounded */
			k = RTE_MAX(k, 1u);
			k = RTE_MIN(k, RTE_MIN(W, RTE_MIN(C, (unsigned)MAX_TYPE_SHARDS)));
		}
		eng.type_shards[t] = (uint8_t)k;
		bool used[MAX_COMPRESSORS] = { false }; /* one shard of a type per compressor */
		for (unsigned sh = 0; sh < k; sh++) {
			int best = -1;
			for (unsigned c = 0; c < C; c++)
				if (!used[c] && (best < 0 || load[c] < load[best]))
					best = (int)c;
			used[best] = true;
			eng.type_compressor[t][sh] = (uint8_t)best;
			load[best] += RTE_MAX(w / k, 1u);
		}
	}
}

/* Default layout for L lcores (docs/architecture.md, "Layout"): half of
 * what is left after the reader compresses, because compressing a
 * packet's records (gzip level 1) costs about as much as decoding it
 * (about 0.74 against 0.85 us per packet, derived from make bench's inline
 * and default rows: docs/architecture.md). The reader gets an lcore
 * of its own from 4 lcores on, when it dispatches to the workers (a
 * pcap replay without --files-as-queues): on worker 0's lcore it would take
 * a share of one worker's time that no number of workers can make up. */
static int plan_layout(const struct netcap_config *cfg)
{
	unsigned lcores[RTE_MAX_LCORE], L = 0, id;
	RTE_LCORE_FOREACH(id)
		lcores[L++] = id;

	bool dispatcher = cfg->n_pcaps > 0 && !cfg->files_as_queues;
	unsigned W = cfg->workers, C = cfg->compressors;
	bool c_given = C != UINT_MAX;
	unsigned R = 0; /* 1: the reader has an lcore of its own */
	if (!W && !c_given) {
		R = dispatcher && L >= 4;
		C = L >= 2 ? (L - R) / 2 : 0;
		W = L - R - C;
		if (cfg->files_as_queues && W > cfg->n_pcaps) {
			/* a worker per file; the lcores left over compress */
			W = cfg->n_pcaps;
			C = L - W;
		}
	} else if (!c_given) {
		/* workers given: the lcores left compress (one at least,
		 * sharing the workers' lcores if none is left) */
		R = dispatcher && L >= W + 2;
		C = L > W + R ? L - W - R : L >= 2;
	} else {
		if (!W)
			W = L > C + 1 ? L - C - (dispatcher && L >= C + 3) : 1;
		R = dispatcher && W + C < L;
	}
	if (W > L) {
		fprintf(stderr, "netcap: --workers %u needs at least %u lcores, EAL gave %u "
			"(more lcores than CPUs work too: -- --lcores='(0-%u)@(0-%u)')\n",
			W, W, L, W - 1, L - 1);
		return -1;
	}
	if (W > MAX_WORKERS || C > MAX_COMPRESSORS) {
		fprintf(stderr, "netcap: at most %d workers and %d compressors\n", MAX_WORKERS, MAX_COMPRESSORS);
		return -1;
	}
	/* Compressors get lcores of their own when there are enough; else
	 * they share the workers' lcores (the inline layout). C == 0 means
	 * every worker compresses the types it is given. */
	bool inline_layout = R + W + C > L || C == 0;
	if (C == 0)
		C = W;
	if (C > eng.n_enabled)
		C = eng.n_enabled;
	eng.n_workers = W;
	eng.n_compressors = C;
	eng.rx_lcore = lcores[0];
	if (R) {
		eng.lc[lcores[0]].active = true;
	}
	for (unsigned w = 0; w < W; w++) {
		eng.worker_lcore[w] = lcores[R + w];
		eng.lc[lcores[R + w]].active = true;
		eng.lc[lcores[R + w]].worker = (int)w;
	}
	for (unsigned c = 0; c < C; c++) {
		/* Inline, compressors start from the last worker: worker 0's
		 * lcore also reads the ports and dispatches. */
		unsigned lcore = inline_layout ? lcores[R + W - 1 - c % W] : lcores[R + W + c];
		if (eng.lc[lcore].compressor >= 0) {
			/* an lcore compresses for one shard; fold extra shards */
			eng.n_compressors = C = c;
			break;
		}
		eng.compressor_lcore[c] = lcore;
		eng.lc[lcore].active = true;
		eng.lc[lcore].compressor = (int)c;
	}
	spread_types(C, W, !inline_layout);
	return 0;
}

/* ---- memory --------------------------------------------------------- */

static void chunk_init(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp, (void)idx;
	size_t cap = *(size_t *)arg;
	struct ncap_chunk *c = obj;
	*c = (struct ncap_chunk){ .data = (uint8_t *)(c + 1), .cap = cap };
}

/* Chunks hold chunk_size bytes plus room for one record of the largest size
 * allowed beyond it, so a chunk is sent once it passes chunk_size and a
 * record never has to be split or refused for want of room (a larger
 * record is cut to NCAP_RECORD_LIMIT: worker.c, emit_record). */
#define CHUNK_SLACK (NCAP_RECORD_LIMIT + NCAP_VARINT_MAX)

static unsigned mbufs_needed(const struct netcap_config *cfg)
{
	if (cfg->mbufs)
		return cfg->mbufs;
	/* Offline replay must never let the pcap PMD run out (it drops the
	 * packet): every ring full, every burst in hand, every cache. */
	unsigned n = eng.n_workers * cfg->ring_size + (eng.n_workers + 2) * BURST * 4 + 512 * RTE_MAX(1u, rte_lcore_count()) + 4096;
	if (cfg->iface || cfg->n_pci)
		n += 8192 * eng.n_workers; /* descriptors of every RX queue */
	return n;
}

static unsigned chunks_needed(const struct netcap_config *cfg)
{
	if (cfg->chunks)
		return cfg->chunks;
	return eng.n_workers * eng.n_enabled + 64 * eng.n_compressors + 64;
}

static int create_pools(const struct netcap_config *cfg)
{
	unsigned n_mbufs = mbufs_needed(cfg);
	eng.mbuf_pool = rte_pktmbuf_pool_create("netcap_mbufs", n_mbufs, 256, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!eng.mbuf_pool) {
		fprintf(stderr, "netcap: cannot allocate %u packet buffers: %s (raise -m or lower --mbufs)\n",
			n_mbufs, rte_strerror(rte_errno));
		return -1;
	}
	static size_t chunk_cap;
	chunk_cap = cfg->chunk_size + CHUNK_SLACK;
	unsigned n_chunks = chunks_needed(cfg);
	eng.chunk_pool = rte_mempool_create("netcap_chunks", n_chunks, sizeof(struct ncap_chunk) + chunk_cap,
					    0, 0, NULL, NULL, chunk_init, &chunk_cap, (int)rte_socket_id(), 0);
	if (!eng.chunk_pool) {
		fprintf(stderr, "netcap: cannot allocate %u record chunks: %s\n", n_chunks, rte_strerror(rte_errno));
		return -1;
	}
	char name[32];
	for (unsigned w = 0; w < eng.n_workers; w++) {
		snprintf(name, sizeof name, "netcap_in%u", w);
		eng.worker_ring[w] = rte_ring_create(name, cfg->ring_size, (int)rte_socket_id(),
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!eng.worker_ring[w])
			goto ring_error;
	}
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		snprintf(name, sizeof name, "netcap_chunks%u", c);
		/* Never full: it can hold every chunk there is. */
		struct rte_ring *r = rte_ring_create(name, rte_align32pow2(n_chunks + 1), (int)rte_socket_id(),
						     RING_F_SC_DEQ);
		if (!r)
			goto ring_error;
		eng.lc[eng.compressor_lcore[c]].chunk_ring = r;
	}
	return 0;
ring_error:
	fprintf(stderr, "netcap: cannot create ring %s: %s\n", name, rte_strerror(rte_errno));
	return -1;
}

/* Estimated DPDK memory in MB for -m, when the user leaves it to us. */
static uint64_t memory_estimate(const struct netcap_config *cfg)
{
	uint64_t bytes = (uint64_t)mbufs_needed(cfg) * (RTE_MBUF_DEFAULT_BUF_SIZE + 256);
	if (cfg->n_pcaps && cfg->mmap_input)
		bytes += (uint64_t)mbufs_needed(cfg) * 256; /* pcapmap.c's descriptors */
	bytes += (uint64_t)chunks_needed(cfg) * (cfg->chunk_size + CHUNK_SLACK + 256);
	bytes += 2 * (uint64_t)(rte_align32pow2(chunks_needed(cfg) + 1)) * 8 * eng.n_compressors;
	return bytes / (1 << 20) + 128;
}

/* ---- ports ---------------------------------------------------------- */

static int setup_port(uint16_t port, uint16_t n_rxq, bool rss)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = { 0 };
	int rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0)
		return rc;
	if (n_rxq > info.max_rx_queues) {
		fprintf(stderr, "netcap: port %u has %u RX queues, %u needed\n", port, info.max_rx_queues, n_rxq);
		return -EINVAL;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (rss && n_rxq > 1) {
		/* One random symmetric key per run, the same for every port (a
		 * tap may bring each direction on a port of its own). */
		static uint8_t rss_key[FLOW_RSS_KEY_LEN] __attribute__((aligned(4)));
		static bool rss_key_drawn;
		if (!rss_key_drawn) {
			if (flow_rss_key_random(rss_key) == 0) {
				fprintf(stderr, "netcap: libsodium failed to start: no random RSS key\n");
				return -EIO;
			}
			rss_key_drawn = true;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size && info.hash_key_size <= FLOW_RSS_KEY_LEN ?
								info.hash_key_size : 40;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
						   info.flow_type_rss_offloads;
	}
	uint16_t n_txq = info.max_tx_queues ? 1 : 0;
	if ((rc = rte_eth_dev_configure(port, n_rxq, n_txq, &conf)) < 0)
		return rc;
	uint16_t rxd = 4096, txd = 512;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	for (uint16_t q = 0; q < n_rxq; q++)
		if ((rc = rte_eth_rx_queue_setup(port, q, rxd, rte_eth_dev_socket_id(port), NULL, eng.mbuf_pool)) < 0)
			return rc;
	for (uint16_t q = 0; q < n_txq; q++)
		if ((rc = rte_eth_tx_queue_setup(port, q, txd, rte_eth_dev_socket_id(port), NULL)) < 0)
			return rc;
	if ((rc = rte_eth_dev_start(port)) < 0)
		return rc;
	rte_eth_promiscuous_enable(port); /* not every PMD can; harmless */
	return 0;
}

/* The pcap PMD stamps every mbuf with the packet's capture time, in a
 * dynamic field it registers without advertising the offload. DPDK 22.11
 * stores microseconds there (later releases nanoseconds). Live ports use
 * the wall clock instead: NIC clocks are not Unix time. */
static void use_pcap_timestamps(void)
{
	int offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	if (offset < 0 || bit < 0) {
		fprintf(stderr, "netcap: warning: the pcap PMD gives no capture times; using the wall clock\n");
		return;
	}
	eng.ts_offset = offset;
	eng.ts_flag = 1ull << bit;
	eng.ts_scale = RTE_VERSION < RTE_VERSION_NUM(23, 11, 0, 0) ? 1000 : 1;
}

static int port_failed(uint16_t port, int rc)
{
	fprintf(stderr, "netcap: cannot set up port %u: %s\n", port, rte_strerror(-rc));
	return -1;
}

/* The pcap PMD cannot spread load: one lcore reads every file and, with
 * several workers, dispatches by flow hash. With --files-as-queues the
 * files have spread it already, each holding whole flows (as
 * scripts/split-by-flow.sh writes them): file i is a queue of worker
 * i % workers, read and decoded there like a NIC queue under symmetric
 * RSS, and no packet crosses lcores before it is decoded. */
static int setup_pcap_input(const struct netcap_config *cfg)
{
	uint16_t port;
	int rc;
	if (rte_eth_dev_get_port_by_name("net_pcap_netcap0", &port) != 0) {
		fprintf(stderr, "netcap: the pcap PMD did not create its port\n");
		return -1;
	}
	if ((rc = setup_port(port, (uint16_t)cfg->n_pcaps, false)) < 0)
		return port_failed(port, rc);
	eng.ports[eng.n_ports++] = port;
	if (pcapmap_setup(mbufs_needed(cfg)) < 0)
		return -1;
	use_pcap_timestamps();
	if (bigframe_setup(eng.files, eng.n_files) < 0)
		return -1;
	for (unsigned i = 0; i < cfg->n_pcaps; i++) {
		unsigned reader = cfg->files_as_queues ? eng.worker_lcore[i % eng.n_workers] : eng.rx_lcore;
		struct lcore_conf *lc = &eng.lc[reader];
		lc->rxq[lc->n_rxq++] = (struct rx_queue){
			.port = port, .queue = (uint16_t)i, .link = eng.files[i].link,
			.expected = eng.files[i].packets, .done = eng.files[i].packets == 0,
			.oversize = bigframe_reader_of(i), .map = eng.files[i].map,
		};
	}
	if (cfg->files_as_queues) {
		/* Each RX role counts itself out of rx_active. Workers left
		 * without a file (config.c refuses that for -w, but a layout
		 * chosen from the lcores may have more workers than files) have
		 * no input at all: their RX side is over before it starts. */
		unsigned rx_lcores = 0, big_readers = 0;
		for (unsigned w = 0; w < eng.n_workers; w++) {
			struct lcore_conf *lc = &eng.lc[eng.worker_lcore[w]];
			if (lc->n_rxq)
				rx_lcores++;
			else
				lc->rx_finished = true;
			bool big = false;
			for (unsigned q = 0; q < lc->n_rxq; q++)
				big |= lc->rxq[q].oversize != NULL;
			big_readers += big;
		}
		/* An RX role keeps the buffers of its burst's frames over 64 KiB
		 * (bigframe.h) until it has decoded the whole burst: RX roles
		 * that each hold up to BURST - 1 of them while waiting for one
		 * more could, together, hold them all and wait forever. */
		if (big_readers * (BURST - 1) >= BIGFRAME_BUFFERS) {
			fprintf(stderr, "netcap: --files-as-queues: %u workers read files with frames over 64 KiB, "
				"which at most %u may do at once; give -w %u, or replay without --files-as-queues\n",
				big_readers, (BIGFRAME_BUFFERS - 1) / (BURST - 1), (BIGFRAME_BUFFERS - 1) / (BURST - 1));
			return -1;
		}
		atomic_store(&eng.rx_active, rx_lcores);
		return 0;
	}
	/* One reader for every file: it dispatches, unless it is the one
	 * worker's own lcore. */
	struct lcore_conf *lc = &eng.lc[eng.rx_lcore];
	if (eng.n_workers > 1 || lc->worker < 0) {
		lc->dispatch = true;
		for (unsigned w = 0; w < eng.n_workers; w++)
			eng.lc[eng.worker_lcore[w]].in_ring = eng.worker_ring[w];
	}
	atomic_store(&eng.rx_active, 1);
	return 0;
}

/* The port of the af_packet interface, or of each PCI device. */
static int find_live_ports(const struct netcap_config *cfg)
{
	uint16_t port;
	if (cfg->iface) {
		if (rte_eth_dev_get_port_by_name("net_af_packet_netcap0", &port) != 0) {
			fprintf(stderr, "netcap: cannot open interface %s through net_af_packet (see the EAL messages above)\n",
				cfg->iface);
			return -1;
		}
		eng.ports[eng.n_ports++] = port;
		return 0;
	}
	for (unsigned i = 0; i < cfg->n_pci; i++) {
		if (rte_eth_dev_get_port_by_name(cfg->pci[i], &port) != 0) {
			fprintf(stderr, "netcap: no DPDK port for PCI device %s (is it bound to vfio-pci?)\n",
				cfg->pci[i]);
			return -1;
		}
		eng.ports[eng.n_ports++] = port;
	}
	return 0;
}

/* af_packet (kernel fanout) and NICs (symmetric RSS) spread load: worker w
 * reads queue w of every port, and processes what it reads itself. */
static int setup_live_inputs(const struct netcap_config *cfg)
{
	if (find_live_ports(cfg) < 0)
		return -1;
	for (unsigned p = 0; p < eng.n_ports; p++) {
		int rc = setup_port(eng.ports[p], (uint16_t)eng.n_workers, cfg->n_pci > 0);
		if (rc < 0)
			return port_failed(eng.ports[p], rc);
		for (unsigned w = 0; w < eng.n_workers; w++) {
			struct lcore_conf *lc = &eng.lc[eng.worker_lcore[w]];
			lc->rxq[lc->n_rxq++] = (struct rx_queue){ .port = eng.ports[p], .queue = (uint16_t)w,
								  .link = LINK_ETHERNET };
		}
	}
	atomic_store(&eng.rx_active, eng.n_workers);
	return 0;
}

static int setup_inputs(const struct netcap_config *cfg)
{
	return cfg->n_pcaps ? setup_pcap_input(cfg) : setup_live_inputs(cfg);
}

static void choose_flow_settings(const struct netcap_config *cfg)
{
	const int64_t s = 1000000000LL;
	struct flow_settings *fs = &eng.flow_settings;
	flow_settings_default(fs);
	fs->capacity = cfg->flow_capacity;
	fs->tcp_idle = cfg->tcp_idle * s;
	fs->udp_idle = cfg->udp_idle * s;
	fs->other_idle = cfg->other_idle * s;
	fs->active = cfg->active_timeout * s;
	fs->tcp_close = cfg->tcp_close * s;
	fs->window = cfg->aggregate_window * s;
	fs->community_id = cfg->community_id;
	fs->community_id_seed = (uint16_t)cfg->community_id_seed;
	static const int flow_types[] = { TYPES__TYPE__NC_Connection, TYPES__TYPE__NC_Flow, TYPES__TYPE__NC_LinkFlow,
					  TYPES__TYPE__NC_NetworkFlow, TYPES__TYPE__NC_TransportFlow };
	for (size_t i = 0; i < sizeof flow_types / sizeof *flow_types; i++)
		if (record_set_has(&eng.enabled, flow_types[i]))
			fs->want[flow_types[i]] = eng.flows_wanted = true;
}

/* LinkFlow, NetworkFlow and TransportFlow shares are summed by one
 * aggregator: on the single worker itself, or as a role of worker 0's
 * lcore fed by a ring. */
static int setup_aggregator(void)
{
	const struct flow_settings *fs = &eng.flow_settings;
	if (!fs->want[TYPES__TYPE__NC_LinkFlow] && !fs->want[TYPES__TYPE__NC_NetworkFlow] &&
	    !fs->want[TYPES__TYPE__NC_TransportFlow])
		return 0;
	struct lcore_conf *lc0 = &eng.lc[eng.worker_lcore[0]];
	/* Room for every worker's shares, in 64 bits (capacity 2^28 times 128
	 * workers wrapped in 32), and no more than one table may hold. */
	uint64_t capacity = (uint64_t)fs->capacity * eng.n_workers;
	if (capacity > CONFIG_MAX_FLOW_CAPACITY)
		capacity = CONFIG_MAX_FLOW_CAPACITY;
	eng.aggregator = flow_aggregator_create((uint32_t)capacity, fs, worker_flow_emit, lc0->ws);
	if (!eng.aggregator)
		return -1;
	if (eng.n_workers == 1)
		return 0;
	eng.partial_pool = rte_mempool_create("netcap_partials", 16383, sizeof(struct flow_partial), 64, 0,
					      NULL, NULL, NULL, NULL, (int)rte_socket_id(), 0);
	eng.partial_ring = rte_ring_create("netcap_partials", 16384, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (!eng.partial_pool || !eng.partial_ring)
		return -1;
	lc0->aggregator = true;
	atomic_fetch_add(&eng.workers_active, 1);
	return 0;
}

/* Stream reassembly runs when a record needs it: HTTP, TLS hellos, DNS
 * (over TCP), or the flows' ApplicationProto, which comes from it. */
static bool streams_wanted(const struct netcap_config *cfg)
{
	static const int types[] = { TYPES__TYPE__NC_HTTP, TYPES__TYPE__NC_TLSClientHello,
				     TYPES__TYPE__NC_TLSServerHello, TYPES__TYPE__NC_DNS,
				     TYPES__TYPE__NC_Connection, TYPES__TYPE__NC_Flow };
	if (!cfg->stream_memory)
		return false;
	for (size_t i = 0; i < RTE_DIM(types); i++)
		if (record_set_has(&eng.enabled, types[i]))
			return true;
	return false;
}

static int setup_streams(const struct netcap_config *cfg, struct worker_state *ws)
{
	if (!app_settings_check()) {
		fprintf(stderr, "netcap: internal error: a stream parser's state exceeds its block\n");
		return -1;
	}
	eng.app_settings = (struct app_settings){
		.http_head_max = APP_DEFAULT_HTTP_HEAD_MAX,
		.http_body_max = (uint32_t)cfg->http_body,
		.tls_handshake_max = APP_DEFAULT_TLS_HANDSHAKE_MAX,
	};
	struct stream_settings s = {
		.memory = cfg->stream_memory,
		.capacity = cfg->stream_capacity,
		.depth = (uint32_t)cfg->stream_depth,
		.idle_ns = (int64_t)cfg->tcp_idle * 1000000000,
	};
	if (!(ws->dctx.streams = stream_create(&s, &app_stream_callbacks))) {
		fprintf(stderr, "netcap: cannot allocate TCP stream reassembly: %" PRIu64
			" bytes (at least %u) and %u connections\n",
			cfg->stream_memory, BLOCKS_MIN_MEMORY, cfg->stream_capacity);
		return -1;
	}
	ws->dctx.app = &eng.app_settings;
	return 0;
}

static int setup_workers(const struct netcap_config *cfg)
{
	choose_flow_settings(cfg);
	bool streams = streams_wanted(cfg);
	for (unsigned w = 0; w < eng.n_workers; w++) {
		struct lcore_conf *lc = &eng.lc[eng.worker_lcore[w]];
		lc->ws = rte_zmalloc("netcap_worker", sizeof *lc->ws, RTE_CACHE_LINE_SIZE);
		if (!lc->ws || decoder_init(&lc->ws->dctx, 1 << 20) < 0 ||
		    !(lc->ws->linear = malloc(BIGFRAME_MAX)) || !(lc->ws->scratch = malloc(NCAP_RECORD_LIMIT))) {
			fprintf(stderr, "netcap: out of memory for worker %u\n", w);
			return -1;
		}
		lc->ws->lc = lc;
		lc->ws->dctx.enabled = eng.enabled;
		lc->ws->dctx.entropy = cfg->entropy;
		lc->ws->dctx.payload = cfg->payload;
		for (unsigned i = 0; i < eng.n_files; i++)
			if (eng.files[i].cut_len < lc->ws->dctx.cut_len)
				lc->ws->dctx.cut_len = eng.files[i].cut_len;
		for (unsigned i = 0; i < cfg->n_vxlan_ports && i < DECODE_MAX_VXLAN_PORTS; i++)
			lc->ws->dctx.vxlan_ports[lc->ws->dctx.n_vxlan_ports++] =
				(uint16_t)strtoul(cfg->vxlan_ports[i], NULL, 10); /* checked by config.c */
		/* A reassembler per worker: the dispatcher sends every fragment
		 * of a datagram to one worker (flowhash.c). */
		if (cfg->defrag_memory &&
		    !(lc->ws->dctx.defrag = defrag_create(cfg->defrag_memory,
							  (int64_t)cfg->defrag_timeout * 1000000000))) {
			fprintf(stderr, "netcap: cannot allocate %" PRIu64 " bytes for defragmentation (at least %u)\n",
				cfg->defrag_memory, DEFRAG_MIN_MEMORY);
			return -1;
		}
		if (streams && setup_streams(cfg, lc->ws) < 0)
			return -1;
		if (eng.flows_wanted &&
		    !(lc->ws->flows = flows_create(&eng.flow_settings, worker_flow_emit, worker_flow_partial, lc->ws))) {
			fprintf(stderr, "netcap: cannot allocate flow tables of %u entries\n", cfg->flow_capacity);
			return -1;
		}
	}
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		struct lcore_conf *lc = &eng.lc[eng.compressor_lcore[c]];
		lc->cs = rte_zmalloc("netcap_compressor", sizeof *lc->cs, RTE_CACHE_LINE_SIZE);
		if (!lc->cs)
			return -1;
	}
	atomic_store(&eng.workers_active, eng.n_workers);
	atomic_store(&eng.flow_workers_active, eng.n_workers);
	return setup_aggregator();
}

/* ---- control thread --------------------------------------------------- */

static atomic_bool control_done;

static void *control_main(void *arg)
{
	const struct netcap_config *cfg = arg;
	bool progress = cfg->progress == 1 || (cfg->progress == -1 && isatty(STDERR_FILENO) && !eng.live);
	uint64_t last_stats = rte_get_tsc_cycles();
	/* Short naps, so that a run's end is not held up; the progress line
	 * changes every 10 of them. */
	for (unsigned tick = 1; !atomic_load(&control_done); tick++) {
		usleep(20 * 1000);
		if (progress && tick % 10 == 0)
			report_progress(false);
		rotate_tick(&eng.rot);
		if (eng.live && cfg->stats_interval &&
		    rte_get_tsc_cycles() - last_stats > cfg->stats_interval * rte_get_tsc_hz()) {
			last_stats = rte_get_tsc_cycles();
			report_summary(stderr);
		}
	}
	if (progress)
		report_progress(true);
	return NULL;
}

/* ---- the run -------------------------------------------------------- */

/* Appends ",name" (or "name" first) to the files' Header.InputSource at
 * offset n; the text is cut at the buffer's end. Returns the new offset. */
static size_t append_source(size_t n, unsigned i, const char *name)
{
	if (n >= sizeof eng.input_source - 1)
		return n;
	int k = snprintf(eng.input_source + n, sizeof eng.input_source - n, "%s%s", i ? "," : "", name);
	return k < 0 ? n : n + (size_t)k;
}

static int scan_inputs(const struct netcap_config *cfg)
{
	char err[1024];
	size_t n = 0;
	for (unsigned i = 0; i < cfg->n_pcaps; i++) {
		struct input_file *f = &eng.files[eng.n_files++];
		f->path = cfg->pcaps[i];
		if (strpbrk(f->path, ",=")) {
			fprintf(stderr, "netcap: %s: DPDK's device arguments cannot carry ',' or '=' in a file name; rename or link it\n",
				f->path);
			return -1;
		}
		if (prescan_open(f, err, sizeof err) < 0 || (cfg->mmap_input && pcapmap_open(f, err, sizeof err) < 0)) {
			fprintf(stderr, "netcap: %s\n", err);
			return -1;
		}
		n = append_source(n, i, f->path);
	}
	if (cfg->iface)
		snprintf(eng.input_source, sizeof eng.input_source, "%s", cfg->iface);
	for (unsigned i = 0; i < cfg->n_pci; i++)
		n = append_source(n, i, cfg->pci[i]);
	return 0;
}

/* Counting the packets of every file (prescan.c, or pcapmap.c walking a
 * mapped file's record headers) overlaps EAL's start. */
static void *count_inputs(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < eng.n_files; i++) {
		if (eng.files[i].map)
			pcapmap_count(&eng.files[i]);
		else
			prescan_count(&eng.files[i]);
	}
	return NULL;
}

static void finish_counting(pthread_t *counter, bool started)
{
	if (started)
		pthread_join(*counter, NULL);
	else
		count_inputs(NULL);
	for (unsigned i = 0; i < eng.n_files; i++) {
		eng.expected_packets += eng.files[i].packets;
		eng.expected_bytes += eng.files[i].bytes;
	}
}

static int make_out_dir(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto fail;
	if (access(dir, W_OK) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "netcap: output directory %s: %s\n", dir, strerror(errno));
	return -1;
}

static void init_lcores(void)
{
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++) {
		eng.lc[i].worker = -1;
		eng.lc[i].compressor = -1;
	}
}

/* Closes every file; their sizes on disk and the records that could not be
 * written go to the summary. */
static void close_writers(void)
{
	if (eng.rot.on) {
		/* rotated files: the sizes of every generation's, summed */
		for (unsigned c = 0; c < eng.n_compressors; c++) {
			struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
			if (!cs)
				continue;
			compressor_close_writers(cs);
			for (int t = 0; t < NCAP_TYPE_LIMIT; t++) {
				eng.lost_records[t] += cs->unopened_records[t] + cs->closed_lost[t];
				eng.file_bytes[t] += cs->closed_bytes[t];
			}
		}
		/* no prune here: the files of the last generation stay, as
		 * the budget applies after a rotation (the next run's start
		 * prunes again) */
		return;
	}
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
		for (int t = 0; cs && t < NCAP_TYPE_LIMIT; t++) {
			eng.lost_records[t] += cs->unopened_records[t];
			if (!cs->writer[t])
				continue;
			char err[4096 + 512];
			ncap_writer_flush(cs->writer[t]);
			eng.lost_records[t] += ncap_writer_lost_records(cs->writer[t]);
			if (ncap_writer_close(cs->writer[t], err, sizeof err) < 0) {
				fprintf(stderr, "netcap: %s\n", err);
				atomic_store(&eng.write_failed, true);
			}
			cs->writer[t] = NULL;
			char path[4096];
			struct stat st;
			snprintf(path, sizeof path, "%s/%s.ncap%s", eng.cfg->out_dir, ncap_type_by_id(t)->name,
				 eng.cfg->plain ? "" : ".gz");
			if (stat(path, &st) == 0)
				eng.file_bytes[t] = (uint64_t)st.st_size;
		}
	}
}

/* --bpf: the expression compiled by libpcap for each input's link type
 * (the files' own, from prescan_open; Ethernet for af_packet and NICs),
 * before EAL, so that a bad expression is an error of the command line.
 * Converted and loaded once EAL runs (load_filter). */
static int compile_filter(const struct netcap_config *cfg)
{
	if (!cfg->bpf)
		return 0;
	int links[CONFIG_MAX_INPUTS];
	unsigned n = 0;
	for (unsigned i = 0; i < eng.n_files; i++)
		links[n++] = eng.files[i].link;
	if (!eng.n_files)
		links[n++] = LINK_ETHERNET;
	char err[2048];
	if (capfilter_compile(&eng.filter, cfg->bpf, links, n, err, sizeof err) < 0) {
		fprintf(stderr, "netcap: %s\n", err);
		return -1;
	}
	return 0;
}

static int load_filter(void)
{
	char err[2048];
	if (!eng.filter.expr || capfilter_load(&eng.filter, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "netcap: %s\n", err);
	return -1;
}

/* Before EAL: the record types, the input files, the output directory and
 * the sidecar files, so that a bad setting fails before DPDK starts. */
static int prepare_run(struct netcap_config *cfg)
{
	init_lcores();
	eng.cfg = cfg;
	eng.ts_offset = -1;
	eng.live = cfg->n_pcaps == 0;
	eng.sidecar = cfg->errors_pcap || cfg->unknown_pcap;
	/* In sensor mode without --also-local, only the sidecar files need
	 * the output directory. */
	if (rotate_prepare(&eng.rot, cfg) < 0 || choose_record_types(cfg) < 0 || scan_inputs(cfg) < 0 || compile_filter(cfg) < 0 || sensor_prepare(cfg) < 0 ||
	    ((eng.write_local || eng.sidecar) && make_out_dir(cfg->out_dir) < 0))
		return -1;
	if (eng.sidecar && sidecar_open(cfg->out_dir, cfg->errors_pcap, cfg->unknown_pcap) < 0)
		return -1;
	return 0;
}

#define EAL_ARGV_MAX (CONFIG_MAX_EAL_ARGS + 32)

/* EAL needs the memory size before the layout is known: assume the
 * largest layout the CPUs allow. */
static int eal_arguments(const struct netcap_config *cfg, const char *argv0, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	eng.n_workers = cfg->workers ? cfg->workers : (unsigned)(cpus > 0 ? cpus : 1);
	eng.n_compressors = eng.n_workers;
	int argc = build_eal_args(cfg, argv0, argv, EAL_ARGV_MAX, memory_estimate(cfg));
	if (argc < 0)
		fprintf(stderr, "netcap: out of memory building DPDK's device arguments\n");
	return argc;
}

/* Starts EAL while a thread of its own counts the input files' packets. */
static int start_eal(int argc, char **argv)
{
	pthread_t counter;
	bool counting = eng.n_files && pthread_create(&counter, NULL, count_inputs, NULL) == 0;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "netcap: DPDK EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		if (counting)
			pthread_join(counter, NULL);
		return -1;
	}
	finish_counting(&counter, counting);
	return 0;
}

/* The flow hashes' secret key for this run, before any lcore hashes
 * (lib/flow/flowhash.h; docs/flows.md, "Hashing"). */
static int draw_flow_hash_key(void)
{
	if (flow_hash_init(NULL) != 0) {
		fprintf(stderr, "netcap: libsodium failed to start: no random key for the flow hashes\n");
		return -1;
	}
	return 0;
}

/* Roles, memory, ports and per-lcore state, once EAL runs. */
static int setup_engine(const struct netcap_config *cfg)
{
	if (plan_layout(cfg) < 0 || create_pools(cfg) < 0 || setup_inputs(cfg) < 0 || setup_workers(cfg) < 0 ||
	    sensor_setup_compressors(cfg) < 0)
		return -1;
	return 0;
}

static void set_writer_options(const struct netcap_config *cfg)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	eng.start_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	eng.wopts = (struct ncap_writer_opts){
		.level = cfg->level, .member_cap = cfg->member_size, .input_source = eng.input_source,
		.contains_payloads = cfg->payload, .created_ns = eng.start_ns, .plain = cfg->plain,
	};
	if (cfg->level == 0)
		eng.wopts.level = NCAP_LEVEL_STORE;
}

static void install_signal_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* rotates (--rotate-interval, --rotate-size) */
	/* A file size limit (ulimit -f) must fail the write with EFBIG, which
	 * the writer survives, not kill the process. */
	signal(SIGXFSZ, SIG_IGN);
}

/* EAL pinned this thread to the main lcore's CPU, and a new thread inherits
 * that: the control thread may run on any CPU, so as not to compete with
 * the main lcore's loop. */
static bool start_control(struct netcap_config *cfg, pthread_t *control)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long c = 0; c < cpus; c++)
		CPU_SET(c, &all);
	pthread_attr_setaffinity_np(&attr, sizeof all, &all);
	bool started = pthread_create(control, &attr, control_main, cfg) == 0;
	pthread_attr_destroy(&attr);
	return started;
}

/* Every lcore runs its loop (lcore.c) until the input has ended and every
 * record is with its file's writer. */
static void run_lcores(struct netcap_config *cfg)
{
	pthread_t control;
	rotate_start(&eng.rot);
	bool control_running = start_control(cfg, &control);
	eng.start_tsc = rte_get_tsc_cycles();
	rte_eal_mp_remote_launch(lcore_main, NULL, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	eng.end_tsc = rte_get_tsc_cycles();
	atomic_store(&control_done, true);
	if (control_running)
		pthread_join(control, NULL);
}

/* Closes every file and prints the summary; the exit code. */
static int finish_run(const struct netcap_config *cfg)
{
	close_writers();
	if (eng.sidecar)
		sidecar_close(&eng.sidecar_errors, &eng.sidecar_unknown);
	if (!cfg->quiet)
		report_summary(stdout);
	return atomic_load(&eng.write_failed) ? 1 : 0;
}

static void stop_engine(void)
{
	for (unsigned p = 0; p < eng.n_ports; p++) {
		rte_eth_dev_stop(eng.ports[p]);
		rte_eth_dev_close(eng.ports[p]);
	}
	sensor_close();
	capfilter_free(&eng.filter);
	bigframe_teardown();
	pcapmap_teardown(eng.files, eng.n_files);
	rte_eal_cleanup();
}

int engine_run(struct netcap_config *cfg, const char *argv0)
{
	if (prepare_run(cfg) < 0)
		return 2;
	char *eal_argv[EAL_ARGV_MAX];
	int eal_argc = eal_arguments(cfg, argv0, eal_argv);
	if (eal_argc < 0)
		return 2;
	/* Bound before DPDK starts: a bad address or a port in use ends the run at once. */
	struct metrics_server *metrics = cfg->metrics ? engine_metrics_open(cfg) : NULL;
	if (cfg->metrics && !metrics)
		return 2;
	if (start_eal(eal_argc, eal_argv) < 0) {
		metrics_server_close(metrics);
		return 1;
	}
	int rc = 1;
	if (load_filter() < 0) {
		rc = 2; /* the expression, as a compile error would be */
	} else if (draw_flow_hash_key() == 0 && setup_engine(cfg) == 0) {
		set_writer_options(cfg);
		install_signal_handlers();
		if (eng.live)
			report_register_telemetry();
		engine_metrics_start(metrics); /* on failure (said), the run goes on without */
		run_lcores(cfg);
		rc = finish_run(cfg);
	}
	metrics_server_close(metrics); /* after the summary: the last scrape sees the final counts */
	stop_engine();
	return rc;
}
