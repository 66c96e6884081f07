/* pipeline.c: runs Suricata and netcap on one capture for netcap-label
 * --pcap (pipeline.h). Each tool runs as a child with its output in a log
 * file of the work directory, so a failure can be shown, and the two run
 * one after the other: each takes every core it is given, and the records
 * do not depend on the alerts. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "label/pipeline.h"

extern char **environ;

static __attribute__((format(printf, 2, 3))) void say(const struct label_pipeline *p,
						       const char *fmt, ...)
{
	FILE *log = p->log ? p->log : stderr;
	va_list ap;
	va_start(ap, fmt);
	fprintf(log, "%s: ", p->prog ? p->prog : "netcap-label");
	vfprintf(log, fmt, ap);
	fputc('\n', log);
	fflush(log);
	va_end(ap);
}

static char *join(const char *a, const char *b)
{
	char *s;
	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

/* The last lines of a tool's log, after a failure. */
static void show_tail(const struct label_pipeline *p, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	/* Enough for Suricata's last errors; lines are read in a ring. */
	enum { KEEP = 15 };
	char *lines[KEEP] = {0};
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		free(lines[n % KEEP]);
		lines[n % KEEP] = strndup(line, len > 400 ? 400 : (size_t)len);
		n++;
	}
	free(line);
	fclose(f);
	FILE *log = p->log ? p->log : stderr;
	for (size_t i = n > KEEP ? n - KEEP : 0; i < n; i++) {
		const char *l = lines[i % KEEP];
		if (l)
			fprintf(log, "  | %s%s", l, l[0] && l[strlen(l) - 1] == '\n' ? "" : "\n");
	}
	for (size_t i = 0; i < KEEP; i++)
		free(lines[i]);
}

/* Runs argv with stdout and stderr into log_path; returns the exit status,
 * or -1 when it could not start or was killed (reported). */
static int run_tool(const struct label_pipeline *p, const char *name, char *const argv[],
		    const char *log_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path,
					 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		say(p, "cannot run %s (%s): %s", name, argv[0], strerror(err));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			say(p, "waiting for %s: %s", name, strerror(errno));
			return -1;
		}
	if (WIFSIGNALED(status)) {
		say(p, "%s was killed by signal %d; its output (%s) ends:", name, WTERMSIG(status),
		    log_path);
		show_tail(p, log_path);
		return -1;
	}
	return WEXITSTATUS(status);
}

/* netcap beside this program (build/netcap-label -> build/netcap, or
 * /usr/bin), so a build tree labels with its own engine; else PATH. */
static char *find_netcap(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *path = join(self, "netcap");
			if (path && !access(path, X_OK))
				return path;
			free(path);
		}
	}
	return strdup("netcap");
}

static int make_dir(const struct label_pipeline *p, const char *path)
{
	if (mkdir(path, 0777) && errno != EEXIST) {
		say(p, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int label_pipeline_run(struct label_pipeline *p)
{
	if (p->work_dir) {
		p->dir = strdup(p->work_dir);
		if (!p->dir || make_dir(p, p->dir))
			return -1;
	} else {
		const char *tmp = getenv("TMPDIR");
		if (asprintf(&p->dir, "%s/netcap-label.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
			p->dir = NULL;
			return -1;
		}
		if (!mkdtemp(p->dir)) {
			say(p, "%s: %s", p->dir, strerror(errno));
			free(p->dir);
			p->dir = NULL;
			return -1;
		}
		p->temporary = true;
	}
	char *suricata_dir = join(p->dir, "suricata");
	char *suricata_log = join(p->dir, "suricata.log");
	char *netcap_log = join(p->dir, "netcap.log");
	char *netcap = p->netcap ? strdup(p->netcap) : find_netcap();
	p->records = join(p->dir, "records");
	p->eve = suricata_dir ? join(suricata_dir, "eve.json") : NULL;
	int rc = -1;
	char **argv = NULL;
	if (!suricata_dir || !suricata_log || !netcap_log || !netcap || !p->records || !p->eve) {
		say(p, "out of memory");
		goto out;
	}
	if (make_dir(p, suricata_dir) || make_dir(p, p->records))
		goto out;

	/* Suricata: checksums not verified (-k none): captures of offloading
	 * NICs have wrong ones, and netcap reads those packets too. Room for
	 * every argument below. */
	argv = calloc(16 + p->n_netcap_args, sizeof *argv);
	if (!argv)
		goto out;
	size_t k = 0;
	argv[k++] = (char *)(p->suricata ? p->suricata : "suricata");
	argv[k++] = "-r", argv[k++] = (char *)p->pcap;
	argv[k++] = "-S", argv[k++] = (char *)p->rules;
	argv[k++] = "-k", argv[k++] = "none";
	/* One packet thread: in the default (autofp) mode, the alerts Suricata
	 * raises when it flushes flows at the end of a capture are stamped
	 * with the capture's first packet's time, not its last, and then
	 * land on records they have nothing to do with. */
	argv[k++] = "--runmode", argv[k++] = "single";
	argv[k++] = "-l", argv[k++] = suricata_dir;
	if (p->suricata_config)
		argv[k++] = "-c", argv[k++] = (char *)p->suricata_config;
	argv[k] = NULL;
	say(p, "running %s on %s (log: %s)", argv[0], p->pcap, suricata_log);
	int status = run_tool(p, "Suricata", argv, suricata_log);
	if (status != 0) {
		if (status > 0) {
			say(p, "Suricata failed (exit status %d); its output ends:", status);
			show_tail(p, suricata_log);
		}
		goto out;
	}
	if (access(p->eve, R_OK)) {
		say(p, "Suricata wrote no %s: is eve-log enabled with alerts in its "
		       "configuration?", p->eve);
		goto out;
	}

	k = 0;
	argv[k++] = netcap;
	argv[k++] = "-r", argv[k++] = (char *)p->pcap;
	argv[k++] = "-o", argv[k++] = p->records;
	for (size_t i = 0; i < p->n_netcap_args; i++)
		argv[k++] = (char *)p->netcap_args[i];
	argv[k] = NULL;
	say(p, "running %s on %s (log: %s)", netcap, p->pcap, netcap_log);
	status = run_tool(p, "netcap", argv, netcap_log);
	if (status != 0) {
		if (status > 0) {
			say(p, "netcap failed (exit status %d); its output ends:", status);
			show_tail(p, netcap_log);
		}
		goto out;
	}
	rc = 0;
out:
	free(argv);
	free(suricata_dir);
	free(suricata_log);
	free(netcap_log);
	free(netcap);
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void label_pipeline_cleanup(struct label_pipeline *p)
{
	if (p->temporary && p->dir)
		nftw(p->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(p->dir);
	free(p->eve);
	free(p->records);
	p->dir = p->eve = p->records = NULL;
	p->temporary = false;
}
