/* sidecar.c: errors.pcap, errors.log and unknown.pcap (see sidecar.h).
 * libpcap writes one link type per file: packets of a link type other than
 * the first go to errors-<linktype>.pcap (or unknown-<linktype>.pcap). */
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/sidecar.h"

#define MAX_LINKS 8

struct dump_set {
	const char *name;           /* "errors" or "unknown" */
	bool enabled;
	int links[MAX_LINKS];
	pcap_t *dead[MAX_LINKS];
	pcap_dumper_t *dumper[MAX_LINKS];
	unsigned n;
	unsigned long long packets;
};

static struct dump_set errors = { .name = "errors" }, unknown = { .name = "unknown" };
static FILE *errors_log;
static char out_dir[4096];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int sidecar_open(const char *dir, bool want_errors, bool want_unknown)
{
	snprintf(out_dir, sizeof out_dir, "%s", dir);
	errors.enabled = want_errors;
	unknown.enabled = want_unknown;
	if (want_errors) {
		char path[4200];
		snprintf(path, sizeof path, "%s/errors.log", dir);
		errors_log = fopen(path, "w");
		if (!errors_log) {
			perror(path);
			return -1;
		}
		fprintf(errors_log, "# packet\ttime_ns\tprotocol\treason\n");
	}
	return 0;
}

static pcap_dumper_t *dumper_for(struct dump_set *set, int link)
{
	for (unsigned i = 0; i < set->n; i++)
		if (set->links[i] == link)
			return set->dumper[i];
	if (set->n == MAX_LINKS)
		return NULL;
	char path[4200];
	if (set->n == 0)
		snprintf(path, sizeof path, "%s/%s.pcap", out_dir, set->name);
	else
		snprintf(path, sizeof path, "%s/%s-%d.pcap", out_dir, set->name, link);
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(link, 262144, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
	if (!d) {
		fprintf(stderr, "netcap: %s: %s\n", path, dead ? pcap_geterr(dead) : "cannot create");
		if (dead)
			pcap_close(dead);
		set->enabled = false;
		return NULL;
	}
	set->links[set->n] = link;
	set->dead[set->n] = dead;
	set->dumper[set->n++] = d;
	return d;
}

static bool write_packet(struct dump_set *set, const struct packet *pkt, int link)
{
	pcap_dumper_t *d = dumper_for(set, link);
	if (!d)
		return false;
	struct pcap_pkthdr h = {
		/* nanosecond precision: tv_usec carries nanoseconds */
		.ts = { .tv_sec = pkt->ts / 1000000000, .tv_usec = pkt->ts % 1000000000 },
		.caplen = pkt->cap_len,
		.len = pkt->wire_len > pkt->cap_len ? pkt->wire_len : pkt->cap_len,
	};
	pcap_dump((u_char *)d, &h, pkt->data);
	set->packets++;
	return true;
}

void sidecar_packet(const struct packet *pkt, int link)
{
	bool to_errors = pkt->error && errors.enabled;
	bool to_unknown = pkt->unknown && !pkt->error && unknown.enabled;
	if (!to_errors && !to_unknown)
		return;
	pthread_mutex_lock(&lock);
	if (to_errors && write_packet(&errors, pkt, link))
		fprintf(errors_log, "%llu\t%lld\t%s\t%s\n", errors.packets, (long long)pkt->ts,
			decode_protocol_names[pkt->error_proto], decode_reason_names[pkt->error_reason]);
	if (to_unknown)
		write_packet(&unknown, pkt, link);
	pthread_mutex_unlock(&lock);
}

static void close_set(struct dump_set *set)
{
	for (unsigned i = 0; i < set->n; i++) {
		pcap_dump_close(set->dumper[i]);
		pcap_close(set->dead[i]);
	}
	set->n = 0;
}

void sidecar_close(unsigned long long *n_errors, unsigned long long *n_unknown)
{
	close_set(&errors);
	close_set(&unknown);
	if (errors_log)
		fclose(errors_log);
	errors_log = NULL;
	*n_errors = errors.packets;
	*n_unknown = unknown.packets;
}
