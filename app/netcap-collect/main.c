/* netcap-collect: receives record batches from NETCAP sensors over UDP
 * and writes them to record files, DIR/<sensor-id>/<Type>.ncap.gz
 * (docs/collector.md). Also makes the key pairs of collectors and
 * sensors (--gen-keypair). This file only parses the command line; the
 * run is lib/collect/server.c, one datagram lib/collect/collector.c.
 * Exit status: 0, 1 it could not start (or a key pair could not be
 * written), 2 bad usage. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/keys.h"
#include "collect/nats.h"
#include "collect/server.h"
#include "collect/wire.h"
#include "ncap/writer.h"

static const char usage[] =
	"usage: netcap-collect --listen ADDR:PORT --key FILE --allow FILE -o DIR [options]\n"
	"       netcap-collect --gen-keypair PREFIX\n"
	"       netcap-collect --listen ADDR:PORT --key FILE --allow FILE --nats URL [--nats-only] ...\n"
	"       netcap-collect --from-nats URL -o DIR [--stream NAME] [--durable NAME]\n"
	"Receives record batches from NETCAP sensors (netcap --collector) over UDP,\n"
	"accepts only those sealed by a sensor whose public key is in the allow file,\n"
	"and writes DIR/<sensor-id>/<Type>.ncap.gz. Anything else is dropped and\n"
	"counted by cause. SIGHUP closes every file (renamed to\n"
	"<Type>.<UTC time>.ncap.gz unless moved already); SIGINT and SIGTERM close\n"
	"every file and stop. docs/collector.md describes keys, limits and counters.\n"
	"\n"
	"  --gen-keypair PREFIX\n"
	"                  write a new key pair, PREFIX.pub and PREFIX.key (0600),\n"
	"                  print the public key; for a collector or a sensor\n"
	"  --listen ADDR:PORT\n"
	"                  the UDP address: 192.0.2.1:7000, [2001:db8::1]:7000,\n"
	"                  *:7000 (every IPv4 address)\n"
	"  --key FILE      the collector's secret key (a .key file, mode 0600)\n"
	"  --allow FILE    the sensors' public keys, one .pub line each\n"
	"  -o, --out DIR   where the record files go (made if missing)\n"
	"  --threads N     receive threads (default: CPUs available, at most 16)\n"
	"  --max-datagram N\n"
	"                  longer datagrams are dropped (default and most 65507)\n"
	"  --stats-file PATH\n"
	"                  the counters as JSON, rewritten every interval and at exit\n"
	"  --stats-interval SECONDS\n"
	"                  summary and stats file period (default 60, 0 off)\n"
	"  --quiet         no periodic summaries on stderr (the final one stays)\n"
	"  --metrics ADDR:PORT\n"
	"                  serve the counters, per sensor too, for Prometheus at\n"
	"                  http://ADDR:PORT/metrics (127.0.0.1:9101, [::1]:9101,\n"
	"                  *:9101); off by default (docs/deployment.md)\n"
	"  --from-nats URL read a NATS JetStream stream of batches (nats://HOST:4222)\n"
	"                  into DIR/<sensor-id>/<Type>.ncap.gz through a durable\n"
	"                  consumer, until SIGINT or SIGTERM (docs/collector-nats.md)\n"
	"  --nats URL      also publish every accepted batch to NATS JetStream,\n"
	"                  subject netcap.<sensor-id>.<Type>, so several collectors\n"
	"                  share a stream (docs/collector-nats.md)\n"
	"  --nats-only     with --nats: publish only, write no files (no -o)\n"
	"  --share-port    join collectors bound to the same address already (with\n"
	"                  --nats: they share the sensors); without it a port in use\n"
	"                  is an error\n"
	"  --stream NAME   the stream (default NETCAP)\n"
	"  --durable NAME  the durable consumer (default netcap-collect): a restart\n"
	"                  resumes after the last message it acknowledged\n"
	"  --help, --version\n"
	"Options may be written with one dash, and values as --name=value.\n";

static _Noreturn __attribute__((format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("netcap-collect: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(netcap-collect --help lists the options)\n", stderr);
	exit(2);
}

static uint64_t parse_number(const char *flag, const char *value, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || value[0] == '+' || v < min || v > max)
		usage_error("%s takes a number from %llu to %llu, got \"%s\"", flag,
			    (unsigned long long)min, (unsigned long long)max, value);
	return v;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --from-nats: the stream into record files (lib/collect/nats.c), then one
 * summary line. */
static int from_nats_run(const char *url, const char *stream, const char *durable,
			 const char *out_dir)
{
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct collect_nats_consume_stats st;
	char err[4400];
	int rc = collect_nats_consume(url, stream, out_dir, durable, &stop_requested, NULL, &st, err,
				      sizeof err);
	if (rc)
		fprintf(stderr, "netcap-collect: %s\n", err);
	if (rc && !st.messages) { /* it did not start */
		collect_nats_shutdown(2000);
		return 1;
	}
	fprintf(stderr, "netcap-collect: from NATS: %llu messages, %llu written (%llu records, "
			"%llu files), %llu delivered again, %llu handed back, %llu write errors; bad:",
		(unsigned long long)st.messages, (unsigned long long)st.written,
		(unsigned long long)st.records, (unsigned long long)st.files,
		(unsigned long long)st.redelivered, (unsigned long long)st.handed_back,
		(unsigned long long)st.write_errors);
	for (int b = 0; b < COLLECT_NATS_BADS; b++)
		fprintf(stderr, " %s %llu", collect_nats_bad_name(b), (unsigned long long)st.bad[b]);
	fputc('\n', stderr);
	collect_nats_shutdown(2000);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct collect_serve_opts o = {.stats_interval = 60};
	const char *gen = NULL;
	const char *from_nats = NULL, *stream = NULL, *durable = NULL;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (arg[0] != '-' || !arg[1])
			usage_error("unexpected argument \"%s\"", arg);
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
		const char *value = eq ? eq + 1 : NULL;
#define IS(s) (name_len == strlen(s) && !strncmp(name, s, name_len))
		bool takes_value = IS("gen-keypair") || IS("listen") || IS("key") || IS("allow") ||
				   IS("o") || IS("out") || IS("threads") || IS("max-datagram") ||
				   IS("stats-file") || IS("stats-interval") || IS("from-nats") ||
				   IS("stream") || IS("durable") || IS("nats") ||
				   IS("metrics");
		if (value && !takes_value)
			usage_error("option %.*s takes no value", (int)(eq - arg), arg);
		if (takes_value && !value) {
			if (i + 1 == argc)
				usage_error("option %s needs a value", arg);
			value = argv[++i];
		}
		if (takes_value && !*value)
			usage_error("option %s needs a non-empty value", arg);
		if (IS("gen-keypair")) {
			gen = value;
		} else if (IS("listen")) {
			o.listen = value;
		} else if (IS("key")) {
			o.key_path = value;
		} else if (IS("allow")) {
			o.allow_path = value;
		} else if (IS("o") || IS("out")) {
			o.out_dir = value;
		} else if (IS("threads")) {
			o.threads = (unsigned)parse_number(arg, value, 1, COLLECT_MAX_THREADS);
		} else if (IS("max-datagram")) {
			o.max_datagram = parse_number(arg, value,
						      COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1,
						      COLLECT_DGRAM_MAX);
		} else if (IS("stats-file")) {
			o.stats_file = value;
		} else if (IS("stats-interval")) {
			o.stats_interval = (unsigned)parse_number(arg, value, 0, 86400);
		} else if (IS("metrics")) {
			o.metrics = value;
		} else if (IS("from-nats")) {
			from_nats = value;
		} else if (IS("nats")) {
			o.nats_url = value;
		} else if (IS("share-port")) {
			o.share_port = true;
		} else if (IS("nats-only")) {
			o.nats_only = true;
		} else if (IS("stream")) {
			stream = value;
		} else if (IS("durable")) {
			durable = value;
		} else if (IS("quiet") || IS("q")) {
			o.quiet = true;
		} else if (IS("help") || IS("h")) {
			fputs(usage, stdout);
			return 0;
		} else if (IS("version")) {
			printf("netcap-collect %s\n", NCAP_VERSION);
			return 0;
		} else {
			usage_error("unknown option %s", arg);
		}
#undef IS
	}
	if (gen) {
		if (o.listen || o.key_path || o.allow_path || o.out_dir)
			usage_error("--gen-keypair takes no other option");
		char err[4400];
		if (collect_keypair_generate(gen, err, sizeof err)) {
			fprintf(stderr, "netcap-collect: %s\n", err);
			return 1;
		}
		struct collect_keypair kp;
		char path[4200];
		snprintf(path, sizeof path, "%s.key", gen);
		if (collect_read_secret(path, &kp, err, sizeof err)) {
			fprintf(stderr, "netcap-collect: %s\n", err);
			return 1;
		}
		char hex[2 * COLLECT_KEY_BYTES + 1];
		collect_key_hex(kp.pk, hex);
		printf("%s\n", hex);
		return 0;
	}
	if (from_nats) {
		if (o.listen || o.key_path || o.allow_path || o.nats_url)
			usage_error("--from-nats takes no --listen, --key, --allow or --nats");
		if (!o.out_dir)
			usage_error("--from-nats needs -o DIR");
		return from_nats_run(from_nats, stream, durable, o.out_dir);
	}
	if (durable)
		usage_error("--durable goes with --from-nats");
	if (stream && !o.nats_url)
		usage_error("--stream goes with --nats or --from-nats");
	if (o.nats_only && !o.nats_url)
		usage_error("--nats-only goes with --nats URL");
	if (o.nats_only && o.out_dir)
		usage_error("--nats-only writes no files: no -o");
	o.nats_stream = stream;
	if (!o.listen || !o.key_path || !o.allow_path || (!o.out_dir && !o.nats_only))
		usage_error("--listen, --key, --allow and -o (or --nats-only) are needed (or "
			    "--gen-keypair)");
	return collect_serve(&o);
}
