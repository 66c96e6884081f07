/* pipeline.h: netcap-label --pcap F --rules R: the seed's whole pipeline
 * in one command. Suricata (`suricata -r F -S R -k none --runmode
 * single`) writes its eve.json and netcap (`netcap -r F`) its record
 * files into a work directory, one after the other; label_run then
 * labels those records with those alerts. The work directory is
 * temporary unless the user names one (kept, for a look at what each tool
 * made). */
#ifndef LABEL_PIPELINE_H
#define LABEL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct label_pipeline {
	/* Set by the caller. */
	const char *pcap, *rules;
	const char *suricata;        /* program; NULL: "suricata" on PATH */
	const char *suricata_config; /* -c FILE; NULL: Suricata's default */
	const char *netcap;          /* program; NULL: netcap beside this
				      * program, else on PATH */
	const char *const *netcap_args; /* more arguments for netcap */
	size_t n_netcap_args;
	const char *work_dir;        /* NULL: a temporary one, removed after */
	const char *prog;            /* message prefix */
	FILE *log;                   /* messages; NULL: stderr */

	/* Set by label_pipeline_run. */
	char *dir;          /* the work directory */
	char *eve;          /* dir/suricata/eve.json */
	char *records;      /* dir/records */
	bool temporary;     /* dir is removed by label_pipeline_cleanup */
};

/* Runs Suricata, then netcap. Returns 0, or -1 after saying which tool
 * failed and the end of what it printed (its log is in the work
 * directory). */
int label_pipeline_run(struct label_pipeline *p);

/* Removes a temporary work directory and frees the paths. */
void label_pipeline_cleanup(struct label_pipeline *p);

#endif
