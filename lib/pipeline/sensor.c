/* sensor.c: sensor mode of the engine (docs/sensor.md): the records of
 * every chunk go to a collector (netcap-collect) as sealed UDP datagrams
 * instead of, or besides (--also-local), the record files.
 *
 * Everything that can fail is done before DPDK starts (sensor_prepare):
 * the collector's address is resolved once, both key files are read, the
 * sensor id is chosen and checked, and a first sealer is made to check
 * the rest (datagram size, device type, the collector's key). Then each
 * compressor lcore gets a sealer and a sender of its own
 * (sensor_setup_compressors), so a chunk is sealed and sent on the lcore
 * that took it, without locks; the only shared state is the sensor's
 * sequence counter, one atomic add per datagram. The epoch, the start
 * time in ns, is the same for every lcore of the run. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include <sodium.h>

#include "collect/keys.h"
#include "collect/sender.h"
#include "collect/wire.h"
#include "pipeline/pipeline.h"
#include "pipeline/roles.h"

static struct {
	struct collect_keypair kp;
	uint8_t collector_pk[COLLECT_KEY_BYTES];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char id[COLLECT_ID_MAX + 1];
	uint64_t epoch;
	int sndbuf;             /* what the kernel granted the first sender */
} sensor;

/* The host name as a sensor id: characters outside [A-Za-z0-9._-] become
 * '_', a leading '.' too, cut at 64. */
static void default_sensor_id(char out[COLLECT_ID_MAX + 1])
{
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) < 0 || !host[0])
		snprintf(host, sizeof host, "netcap");
	size_t n = 0;
	for (; host[n] && n < COLLECT_ID_MAX; n++) {
		char c = host[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '-' || (c == '.' && n > 0);
		out[n] = ok ? c : '_';
	}
	out[n] = '\0';
}

int sensor_prepare(const struct netcap_config *cfg)
{
	char err[4096 + 256];
	eng.sensor = cfg->collector != NULL;
	eng.write_local = !eng.sensor || cfg->also_local;
	if (!eng.sensor)
		return 0;
	if (collect_resolve(cfg->collector, &sensor.addr, &sensor.addrlen, err, sizeof err) < 0) {
		fprintf(stderr, "netcap: --collector %s\n", err);
		return -1;
	}
	if (collect_read_public(cfg->collector_pubkey, sensor.collector_pk, err, sizeof err) < 0) {
		fprintf(stderr, "netcap: --collector-pubkey %s\n", err);
		return -1;
	}
	if (collect_read_secret(cfg->sensor_key, &sensor.kp, err, sizeof err) < 0) {
		fprintf(stderr, "netcap: --sensor-key %s\n", err);
		return -1;
	}
	if (cfg->sensor_id)
		snprintf(sensor.id, sizeof sensor.id, "%s", cfg->sensor_id);
	else
		default_sensor_id(sensor.id);
	if (cfg->sensor_id && strlen(cfg->sensor_id) > COLLECT_ID_MAX) {
		fprintf(stderr, "netcap: --sensor-id \"%s\": at most %d characters\n", cfg->sensor_id, COLLECT_ID_MAX);
		return -1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sensor.epoch = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	atomic_store(&eng.sensor_seq, 0);
	/* A first sealer checks what the compressors' sealers will be given:
	 * the id, the device type, the datagram size, the collector's key. */
	struct collect_sealer *probe = collect_sealer_new(&sensor.kp, sensor.collector_pk, sensor.id,
							  cfg->device_type, sensor.epoch, cfg->datagram_size,
							  err, sizeof err);
	if (!probe) {
		const char *flag = strstr(err, "sensor id") ? (cfg->sensor_id ? "--sensor-id" : "the host name as sensor id (give --sensor-id)")
				   : strstr(err, "device type") ? "--device-type"
				   : strstr(err, "datagram size") ? "--datagram-size"
				   : strstr(err, "public key") ? "--collector-pubkey" : "sensor mode";
		fprintf(stderr, "netcap: %s: %s\n", flag, err);
		return -1;
	}
	collect_sealer_free(probe);
	return 0;
}

int sensor_setup_compressors(const struct netcap_config *cfg)
{
	unsigned flush_s = LIVE_FLUSH_SECONDS;
	if (eng.sensor && cfg->batch_time < flush_s)
		flush_s = cfg->batch_time;
	eng.live_flush_tsc = flush_s * rte_get_tsc_hz();
	if (!eng.sensor)
		return 0;
	char err[512];
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
		cs->sealer = collect_sealer_new(&sensor.kp, sensor.collector_pk, sensor.id, cfg->device_type,
						sensor.epoch, cfg->datagram_size, err, sizeof err);
		if (!cs->sealer) {
			fprintf(stderr, "netcap: sensor mode: compressor %u: %s\n", c, err);
			return -1;
		}
		cs->sender = collect_sender_new((const struct sockaddr *)&sensor.addr, sensor.addrlen,
						cfg->datagram_size, 0, err, sizeof err);
		if (!cs->sender) {
			fprintf(stderr, "netcap: --collector %s: %s\n", cfg->collector, err);
			return -1;
		}
		if (c == 0)
			sensor.sndbuf = collect_sender_sndbuf(cs->sender);
	}
	return 0;
}

void sensor_send_chunk(struct compressor_state *cs, const struct ncap_chunk *c)
{
	collect_seal_records(cs->sealer, c->type, c->data, c->len, &eng.sensor_seq, collect_sender_emit,
			     cs->sender, &cs->seal);
	/* A chunk's datagrams leave together: the queue never holds records
	 * longer than the chunk that brought them. */
	collect_sender_flush(cs->sender);
}

void sensor_flush(struct compressor_state *cs)
{
	if (cs->sender && collect_sender_queued(cs->sender))
		collect_sender_flush(cs->sender);
}

void sensor_totals(struct sensor_totals *t)
{
	memset(t, 0, sizeof *t);
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		const struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
		if (!cs || !cs->sender)
			continue;
		const struct collect_sender_stats *st = collect_sender_stats(cs->sender);
		t->sealed_datagrams += cs->seal.datagrams;
		t->sealed_records += cs->seal.records;
		t->too_large += cs->seal.records_too_large;
		t->malformed += cs->seal.malformed;
		t->datagrams += st->datagrams;
		t->records += st->records;
		t->bytes += st->bytes;
		t->full_datagrams += st->full_datagrams;
		t->full_records += st->full_records;
		t->error_datagrams += st->error_datagrams;
		t->error_records += st->error_records;
		t->syscalls += st->sendmmsg_calls;
		if (st->last_errno)
			t->last_errno = st->last_errno;
	}
}

void sensor_summary(FILE *out)
{
	if (!eng.sensor)
		return;
	struct sensor_totals t;
	sensor_totals(&t);
	char addr[64 + COLLECT_ID_MAX];
	snprintf(addr, sizeof addr, "%s", eng.cfg->collector);
	fprintf(out, "  sensor      %s -> %s: %" PRIu64 " datagrams (%" PRIu64 " bytes, %" PRIu64
		" sendmmsg calls) with %" PRIu64 " records sent; lost at the sensor %" PRIu64 " datagrams, %" PRIu64
		" records (socket full %" PRIu64 ", send errors %" PRIu64 "%s%s)",
		sensor.id, addr, t.datagrams, t.bytes, t.syscalls, t.records, t.full_datagrams + t.error_datagrams,
		t.full_records + t.error_records, t.full_datagrams, t.error_datagrams, t.last_errno ? ": " : "",
		t.last_errno ? strerror(t.last_errno) : "");
	if (t.too_large)
		fprintf(out, "; %" PRIu64 " records too large to send", t.too_large);
	if (t.malformed)
		fprintf(out, "; %" PRIu64 " chunks cut short by broken framing", t.malformed);
	fprintf(out, "; send buffer %d bytes\n", sensor.sndbuf);
}

void sensor_close(void)
{
	for (unsigned c = 0; c < eng.n_compressors; c++) {
		struct compressor_state *cs = eng.lc[eng.compressor_lcore[c]].cs;
		if (!cs)
			continue;
		collect_sender_free(cs->sender);
		collect_sealer_free(cs->sealer);
		cs->sender = NULL;
		cs->sealer = NULL;
	}
	sodium_memzero(&sensor.kp, sizeof sensor.kp);
}
