/* nats.c: publishing accepted batches to NATS JetStream, and the durable
 * consumer that writes a stream back into record files (nats.h,
 * docs/collector-nats.md). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/nats.h"
#include "collect/wire.h"
#include "ncap/recordcheck.h"
#include "ncap/schema.h"
#include "ncap/varint.h"
#include "ncap/writer.h"

/* Room left in a message for its headers (four short ones) and the
 * protocol line under the server's max_payload. */
#define HEADER_ROOM 1024
/* How long JetStream has to acknowledge one publish before it counts as
 * failed (a lost answer must not hold a pending slot for ever). */
#define PUBLISH_ACK_WAIT_MS 10000
/* A message handed back (Nak) returns after this long: long enough not to
 * spin on a full disk or a file limit. */
#define NAK_DELAY_MS 5000
/* Fetch errors in a row (no message in between) before the consumer gives
 * up: a deleted consumer or stream never comes back by itself. */
#define FETCH_ERRORS_FATAL 100
/* OUTDIR/<sensor-id>, at most. */
#define PATH_MAX_OUT 4096

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* cnats's own words for s, with the thread's last error when it says more. */
static const char *nats_why(natsStatus s)
{
	const char *last = nats_GetLastError(NULL);
	return last && *last ? last : natsStatus_GetText(s);
}

/* ---- checks shared by both sides ---------------------------------------------- */

bool collect_nats_id_ok(const char *id, size_t len)
{
	if (!collect_id_safe(id, len) || id[len - 1] == '.')
		return false;
	for (size_t i = 1; i < len; i++)
		if (id[i] == '.' && id[i - 1] == '.')
			return false;
	return true;
}

bool collect_nats_parse_subject(const char *subject, const char **id, size_t *id_len,
				const char **type, size_t *type_len)
{
	size_t plen = strlen(COLLECT_NATS_PREFIX);
	if (!subject || strncmp(subject, COLLECT_NATS_PREFIX, plen) != 0)
		return false;
	const char *rest = subject + plen;
	const char *dot = strrchr(rest, '.');
	if (!dot || dot == rest || dot[1] == '\0')
		return false;
	size_t il = (size_t)(dot - rest), tl = strlen(dot + 1);
	if (!collect_nats_id_ok(rest, il) || tl > 64)
		return false;
	for (size_t i = 0; i < tl; i++) /* a type name's letters, nothing else */
		if (!isalnum((unsigned char)dot[1 + i]) && dot[1 + i] != '_')
			return false;
	*id = rest;
	*id_len = il;
	*type = dot + 1;
	*type_len = tl;
	return true;
}

int collect_nats_check_body(int type, const uint8_t *body, size_t len, uint32_t *records)
{
	*records = 0;
	const struct ncap_type *t = ncap_type_by_id(type);
	if (!t || !t->desc || type == TYPES__TYPE__NC_Header)
		return COLLECT_NATS_BAD_TYPE;
	if (len == 0 || len > COLLECT_BATCH_MAX)
		return COLLECT_NATS_BAD_SIZE;
	/* As a sensor's batch: what the files get is what any reader can
	 * read. */
	if (collect_check_records(type, body, len, records))
		return COLLECT_NATS_BAD_RECORDS;
	return -1;
}

const char *collect_nats_bad_name(enum collect_nats_bad b)
{
	static const char *const names[COLLECT_NATS_BADS] = {
		[COLLECT_NATS_BAD_SUBJECT] = "subject",
		[COLLECT_NATS_BAD_TYPE] = "type",
		[COLLECT_NATS_BAD_HEADER] = "header",
		[COLLECT_NATS_BAD_SIZE] = "size",
		[COLLECT_NATS_BAD_RECORDS] = "records",
	};
	return (unsigned)b < COLLECT_NATS_BADS ? names[b] : "?";
}

void collect_nats_shutdown(int timeout_ms)
{
	nats_CloseAndWait(timeout_ms > 0 ? timeout_ms : 0);
}

/* ---- connection and stream ------------------------------------------------------ */

/* A connection that reconnects for ever once it has been up: a collector
 * or consumer outlives a NATS restart; cnats buffers what is published
 * meanwhile (bounded by its reconnect buffer, then publish fails). */
static natsConnection *connect_to(const char *url, const char *name, char *err, size_t errlen)
{
	natsOptions *o = NULL;
	natsConnection *nc = NULL;
	natsStatus s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetURL(o, url);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, name);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 1000);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, o);
	if (s != NATS_OK) {
		fail(err, errlen, "NATS %s: cannot connect: %s", url, nats_why(s));
		nc = NULL;
	}
	natsOptions_Destroy(o);
	return nc;
}

static bool has_subject(const jsStreamConfig *c, const char *subject)
{
	for (int i = 0; c && i < c->SubjectsLen; i++)
		if (c->Subjects[i] && strcmp(c->Subjects[i], subject) == 0)
			return true;
	return false;
}

/* Makes sure stream exists with subjects netcap.>: found, or created. Two
 * collectors starting at once may both try to create it; JetStream accepts
 * the same configuration twice, and otherwise the second looks again. */
static int ensure_stream(jsCtx *js, const char *url, const char *stream,
			 const struct collect_nats_opts *o, char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		jsStreamInfo *si = NULL;
		jsErrCode jerr = 0;
		natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
		if (s == NATS_OK) {
			bool ok = has_subject(si->Config, COLLECT_NATS_SUBJECTS);
			jsStreamInfo_Destroy(si);
			if (!ok)
				return fail(err, errlen, "NATS %s: stream %s exists without subject %s", url,
					    stream, COLLECT_NATS_SUBJECTS);
			return 0;
		}
		if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr)
			return fail(err, errlen, "NATS %s: stream %s: %s (JetStream enabled?)", url, stream,
				    nats_why(s));
		const char *subjects[] = {COLLECT_NATS_SUBJECTS};
		jsStreamConfig c;
		jsStreamConfig_Init(&c);
		c.Name = stream;
		c.Subjects = subjects;
		c.SubjectsLen = 1;
		c.Storage = js_FileStorage;
		c.Retention = js_LimitsPolicy;
		c.MaxBytes = o->max_bytes > 0 ? o->max_bytes : -1;
		c.MaxAge = o->max_age_s > 0 ? o->max_age_s * 1000000000LL : 0;
		c.Duplicates = (o->dedup_window_s > 0 ? o->dedup_window_s : 120) * 1000000000LL;
		jerr = 0;
		s = js_AddStream(NULL, js, &c, NULL, &jerr);
		if (s == NATS_OK)
			return 0;
		if (attempt == 1)
			return fail(err, errlen, "NATS %s: cannot create stream %s: %s", url, stream,
				    nats_why(s));
	}
	return fail(err, errlen, "NATS %s: stream %s: not found", url, stream);
}

/* ---- publishing ------------------------------------------------------------------- */

struct collect_nats {
	natsConnection *nc;
	jsCtx *js;
	char *url, *stream;
	size_t part_max; /* body bytes per message */
	_Atomic uint64_t batches, messages, records, bytes, acked, duplicates;
	_Atomic uint64_t fail_input, fail_too_large, fail_stalled, fail_publish, fail_ack;
	_Atomic int in_callback; /* on_pub_ack running: n must outlive it */
};

/* cnats's thread, for every answer (or timeout) of an async publish. */
static void on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	(void)js;
	struct collect_nats *n = closure;
	atomic_fetch_add(&n->in_callback, 1);
	if (pa) {
		atomic_fetch_add(&n->acked, 1);
		if (pa->Duplicate)
			atomic_fetch_add(&n->duplicates, 1);
	} else {
		(void)pae;
		atomic_fetch_add(&n->fail_ack, 1);
	}
	natsMsg_Destroy(msg);
	atomic_fetch_sub(&n->in_callback, 1);
}

struct collect_nats *collect_nats_open(const char *url, const char *stream,
				       const struct collect_nats_opts *opts, char *err,
				       size_t errlen)
{
	struct collect_nats_opts o = opts ? *opts : (struct collect_nats_opts){0};
	if (!stream || !*stream)
		stream = COLLECT_NATS_STREAM_DEFAULT;
	if (!url || !*url) {
		fail(err, errlen, "NATS: no URL");
		return NULL;
	}
	struct collect_nats *n = calloc(1, sizeof *n);
	if (!n || !(n->url = strdup(url)) || !(n->stream = strdup(stream))) {
		fail(err, errlen, "NATS %s: out of memory", url);
		goto fail;
	}
	if (!(n->nc = connect_to(url, "netcap-collect", err, errlen)))
		goto fail;
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = o.max_pending > 0 ? o.max_pending : 4096;
	jo.PublishAsync.StallWait = o.stall_ms > 0 ? o.stall_ms : 50;
	jo.PublishAsync.AckHandler = on_pub_ack;
	jo.PublishAsync.AckHandlerClosure = n;
	natsStatus s = natsConnection_JetStream(&n->js, n->nc, &jo);
	if (s != NATS_OK) {
		fail(err, errlen, "NATS %s: no JetStream context: %s", url, nats_why(s));
		goto fail;
	}
	if (ensure_stream(n->js, url, stream, &o, err, errlen) != 0)
		goto fail;
	int64_t maxp = natsConnection_GetMaxPayload(n->nc);
	if (maxp <= HEADER_ROOM + 1024) {
		fail(err, errlen, "NATS %s: the server's max_payload (%lld bytes) is too small", url,
		     (long long)maxp);
		goto fail;
	}
	n->part_max = (size_t)maxp - HEADER_ROOM;
	return n;
fail:
	if (n) {
		if (n->js)
			jsCtx_Destroy(n->js);
		if (n->nc) {
			natsConnection_Close(n->nc);
			natsConnection_Destroy(n->nc);
		}
		free(n->url);
		free(n->stream);
		free(n);
	}
	return NULL;
}

/* Queues one message: body[0..len), records of them, part of parts. */
static int publish_part(struct collect_nats *n, const char *subject, const char *id,
			const char *device, const char *type_name, const char *msg_id,
			const uint8_t *body, size_t len, uint32_t records, char *err, size_t errlen)
{
	natsMsg *m = NULL;
	natsStatus s = natsMsg_Create(&m, subject, NULL, (const char *)body, (int)len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Netcap-Sensor", id);
	if (s == NATS_OK && device && *device)
		s = natsMsgHeader_Set(m, "Netcap-Device", device);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Netcap-Type", type_name);
	if (s != NATS_OK) {
		natsMsg_Destroy(m);
		atomic_fetch_add(&n->fail_publish, 1);
		return fail(err, errlen, "NATS %s: message for %s: %s", n->url, subject, nats_why(s));
	}
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MsgId = msg_id;
	po.MaxWait = PUBLISH_ACK_WAIT_MS;
	s = js_PublishMsgAsync(n->js, &m, &po);
	natsMsg_Destroy(m); /* NULL once cnats took it */
	if (s != NATS_OK) {
		atomic_fetch_add(s == NATS_TIMEOUT ? &n->fail_stalled : &n->fail_publish, 1);
		return fail(err, errlen, "NATS %s: publish to %s: %s", n->url, subject,
			    s == NATS_TIMEOUT ? "too many publishes pending" : nats_why(s));
	}
	atomic_fetch_add(&n->messages, 1);
	atomic_fetch_add(&n->records, records);
	atomic_fetch_add(&n->bytes, len);
	return 0;
}

int collect_nats_publish(struct collect_nats *n, const char *sensor_id, const char *device_type,
			 const char *type_name, uint64_t epoch, uint64_t seq,
			 const uint8_t *records, size_t len, char *err, size_t errlen)
{
	const struct ncap_type *t = type_name ? ncap_type_by_name(type_name) : NULL;
	if (!sensor_id || !collect_nats_id_ok(sensor_id, strlen(sensor_id))) {
		atomic_fetch_add(&n->fail_input, 1);
		return fail(err, errlen, "NATS: sensor id \"%s\" cannot be a subject token",
			    sensor_id ? sensor_id : "");
	}
	if (!t || !t->desc || t->id == TYPES__TYPE__NC_Header || strcmp(t->name, type_name) != 0) {
		atomic_fetch_add(&n->fail_input, 1);
		return fail(err, errlen, "NATS: record type \"%s\" unknown", type_name ? type_name : "");
	}
	if (len == 0 || len > COLLECT_BATCH_MAX) {
		atomic_fetch_add(&n->fail_input, 1);
		return fail(err, errlen, "NATS: batch of %zu bytes from %s: not 1..%u", len, sensor_id,
			    COLLECT_BATCH_MAX);
	}
	char subject[sizeof COLLECT_NATS_PREFIX + COLLECT_ID_MAX + 80];
	snprintf(subject, sizeof subject, COLLECT_NATS_PREFIX "%s.%s", sensor_id, t->name);
	char base_id[COLLECT_ID_MAX + 48], msg_id[COLLECT_ID_MAX + 64];
	snprintf(base_id, sizeof base_id, "%s.%llu.%llu", sensor_id, (unsigned long long)epoch,
		 (unsigned long long)seq);

	/* Cut at record boundaries into parts of at most part_max bytes. The
	 * cut depends on nothing but the batch and max_payload, so two
	 * collectors that got the same batch make the same parts and ids. A
	 * walk first: nothing is published of a batch that is not whole. */
	size_t parts = 0, pos = 0, start = 0;
	while (pos < len) {
		uint64_t rec;
		int v = ncap_varint_get(records + pos, len - pos, &rec);
		if (v <= 0 || rec > len - pos - (size_t)v) {
			atomic_fetch_add(&n->fail_input, 1);
			return fail(err, errlen, "NATS: batch from %s: records not whole at byte %zu",
				    sensor_id, pos);
		}
		size_t end = pos + (size_t)v + (size_t)rec;
		if (end - pos > n->part_max) {
			atomic_fetch_add(&n->fail_too_large, 1);
			return fail(err, errlen, "NATS %s: a %s record of %zu bytes is over max_payload",
				    n->url, t->name, end - pos);
		}
		if (end - start > n->part_max) {
			parts++;
			start = pos;
		}
		pos = end;
	}
	parts++;

	int rc = 0;
	size_t part = 0;
	uint32_t in_part = 0;
	pos = start = 0;
	while (pos < len) {
		uint64_t rec = 0;
		int v = ncap_varint_get(records + pos, len - pos, &rec);
		size_t end = pos + (size_t)v + (size_t)rec;
		if (end - start > n->part_max) {
			snprintf(msg_id, sizeof msg_id, "%s.%zu", base_id, part++);
			if (publish_part(n, subject, sensor_id, device_type, t->name, msg_id,
					 records + start, pos - start, in_part, err, errlen) != 0)
				rc = -1;
			start = pos;
			in_part = 0;
		}
		in_part++;
		pos = end;
	}
	if (parts > 1)
		snprintf(msg_id, sizeof msg_id, "%s.%zu", base_id, part);
	else
		snprintf(msg_id, sizeof msg_id, "%s", base_id);
	if (publish_part(n, subject, sensor_id, device_type, t->name, msg_id, records + start,
			 len - start, in_part, err, errlen) != 0)
		rc = -1;
	if (rc == 0)
		atomic_fetch_add(&n->batches, 1);
	return rc;
}

void collect_nats_pub_stats(const struct collect_nats *n, struct collect_nats_pub_stats *st)
{
	struct collect_nats *m = (struct collect_nats *)n; /* atomics: loads only */
	memset(st, 0, sizeof *st);
	st->batches = atomic_load(&m->batches);
	st->messages = atomic_load(&m->messages);
	st->records = atomic_load(&m->records);
	st->bytes = atomic_load(&m->bytes);
	st->acked = atomic_load(&m->acked);
	st->duplicates = atomic_load(&m->duplicates);
	st->fail_input = atomic_load(&m->fail_input);
	st->fail_too_large = atomic_load(&m->fail_too_large);
	st->fail_stalled = atomic_load(&m->fail_stalled);
	st->fail_publish = atomic_load(&m->fail_publish);
	st->fail_ack = atomic_load(&m->fail_ack);
	uint64_t done = st->acked + st->fail_ack;
	st->pending = st->messages > done ? st->messages - done : 0;
}

void collect_nats_close(struct collect_nats *n, int timeout_ms, struct collect_nats_pub_stats *st)
{
	if (!n)
		return;
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MaxWait = timeout_ms > 0 ? timeout_ms : 1;
	js_PublishAsyncComplete(n->js, &po);
	/* What is still unanswered now is taken back (no callback comes for
	 * it any more) and counted as failed. */
	natsMsgList pending = {0};
	if (js_PublishAsyncGetPendingList(&pending, n->js) == NATS_OK) {
		atomic_fetch_add(&n->fail_ack, (uint64_t)pending.Count);
		natsMsgList_Destroy(&pending);
	}
	natsConnection_FlushTimeout(n->nc, 1000);
	natsConnection_Close(n->nc);
	/* An answer taken off the pending list just before it was emptied may
	 * still be in its callback, which counts into n. */
	for (int i = 0; i < 1000 && atomic_load(&n->in_callback); i++)
		usleep(1000);
	jsCtx_Destroy(n->js);
	natsConnection_Destroy(n->nc);
	if (st)
		collect_nats_pub_stats(n, st);
	free(n->url);
	free(n->stream);
	free(n);
}

/* ---- consuming ---------------------------------------------------------------------- */

/* One record file of the consumer: a sensor's type. */
struct out_file {
	char id[COLLECT_ID_MAX + 1];
	int type;
	struct ncap_writer *w;
	bool touched; /* written since the last flush */
};

struct consumer {
	const char *url, *stream, *outdir;
	const struct collect_nats_consume_opts *o;
	struct collect_nats_consume_stats *st;
	struct out_file *files; /* open addressing, cap a power of two */
	size_t cap, used;
	struct out_file **touched; /* this batch's */
	size_t ntouched;
};

static uint64_t file_hash(const char *id, size_t len, int type)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)type;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)id[i]) * 1099511628211ULL;
	return h ^ h >> 29;
}

/* mkdir that accepts a directory already there. */
static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST) {
		struct stat sb;
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	return -1;
}

/* A file of an earlier run keeps its records: moved to
 * <Type>.<YYYYmmddTHHMMSSZ>[-N].ncap.gz before a new one is made. */
static int move_aside(const char *dir, const char *type, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : fail(err, errlen, "%s: %s", path, strerror(errno));
	char stamp[32], to[PATH_MAX_OUT + 160];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 0; i < 1000; i++) {
		if (i == 0)
			snprintf(to, sizeof to, "%s/%s.%s.ncap.gz", dir, type, stamp);
		else
			snprintf(to, sizeof to, "%s/%s.%s-%d.ncap.gz", dir, type, stamp, i);
		if (lstat(to, &sb) == 0)
			continue;
		if (rename(path, to) != 0)
			return fail(err, errlen, "%s: cannot move aside to %s: %s", path, to,
				    strerror(errno));
		return 0;
	}
	return fail(err, errlen, "%s: no free name to move it aside", path);
}

/* The file for (id, type), opened on first use. NULL when there is no
 * room (max_files) or it cannot be made; err says why. */
static struct out_file *file_for(struct consumer *c, const char *id, size_t id_len,
				 const struct ncap_type *t, const char *device, char *err,
				 size_t errlen)
{
	size_t mask = c->cap - 1;
	size_t i = (size_t)file_hash(id, id_len, t->id) & mask;
	for (;; i = (i + 1) & mask) {
		struct out_file *f = &c->files[i];
		if (!f->w)
			break;
		if (f->type == t->id && strlen(f->id) == id_len && memcmp(f->id, id, id_len) == 0)
			return f;
	}
	size_t max_files = c->o->max_files ? c->o->max_files : 4096;
	if (c->used >= max_files) {
		fail(err, errlen, "more than %zu record files open", max_files);
		return NULL;
	}
	char dir[PATH_MAX_OUT], path[PATH_MAX_OUT + 96];
	int dl = snprintf(dir, sizeof dir, "%s/%.*s", c->outdir, (int)id_len, id);
	if (dl < 0 || (size_t)dl >= sizeof dir) {
		fail(err, errlen, "%s: output path too long", c->outdir);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s.ncap.gz", dir, t->name);
	if (make_dir(dir) != 0) {
		fail(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (move_aside(dir, t->name, path, err, errlen) != 0)
		return NULL;
	char source[256];
	snprintf(source, sizeof source, "sensor %.*s (%s) via NATS stream %s", (int)id_len, id,
		 device, c->stream);
	struct ncap_writer_opts wo = {.level = c->o->level, .input_source = source};
	struct ncap_writer *w = ncap_writer_open(path, t->id, &wo, err, errlen);
	if (!w)
		return NULL;
	struct out_file *f = &c->files[i];
	memcpy(f->id, id, id_len);
	f->id[id_len] = '\0';
	f->type = t->id;
	f->w = w;
	f->touched = false;
	c->used++;
	c->st->files++;
	return f;
}

/* A printable copy of an untrusted header value for a file's Header. */
static void printable(char *out, size_t cap, const char *in)
{
	size_t j = 0;
	for (size_t i = 0; in && in[i] && j + 1 < cap && i < COLLECT_ID_MAX; i++)
		out[j++] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[j] = '\0';
}

enum disposition { ACK, TERM, NAK };

/* Checks one message and hands its records to their file: ACK (after the
 * batch's flush), TERM (bad, counted) or NAK (good, but nowhere to go). */
static enum disposition take(struct consumer *c, natsMsg *m, bool *write_failed)
{
	struct collect_nats_consume_stats *st = c->st;
	const char *id, *tn;
	size_t id_len, tn_len;
	if (!collect_nats_parse_subject(natsMsg_GetSubject(m), &id, &id_len, &tn, &tn_len)) {
		st->bad[COLLECT_NATS_BAD_SUBJECT]++;
		return TERM;
	}
	char tname[72];
	memcpy(tname, tn, tn_len);
	tname[tn_len] = '\0';
	const struct ncap_type *t = ncap_type_by_name(tname);
	/* One spelling ("TCP", not "NC_TCP") and a type that has records. */
	if (!t || !t->desc || t->id == TYPES__TYPE__NC_Header || strcmp(t->name, tname) != 0) {
		st->bad[COLLECT_NATS_BAD_TYPE]++;
		return TERM;
	}
	const char *hv = NULL;
	if ((natsMsgHeader_Get(m, "Netcap-Sensor", &hv) == NATS_OK &&
	     (!hv || strlen(hv) != id_len || memcmp(hv, id, id_len) != 0)) ||
	    (natsMsgHeader_Get(m, "Netcap-Type", &hv) == NATS_OK && (!hv || strcmp(hv, t->name) != 0))) {
		st->bad[COLLECT_NATS_BAD_HEADER]++;
		return TERM;
	}
	const uint8_t *body = (const uint8_t *)natsMsg_GetData(m);
	int blen = natsMsg_GetDataLength(m);
	uint32_t records = 0;
	int bad = collect_nats_check_body(t->id, body, blen > 0 ? (size_t)blen : 0, &records);
	if (bad >= 0) {
		st->bad[bad]++;
		return TERM;
	}
	char device[COLLECT_ID_MAX + 1] = "";
	if (natsMsgHeader_Get(m, "Netcap-Device", &hv) == NATS_OK)
		printable(device, sizeof device, hv);
	char why[512];
	struct out_file *f = file_for(c, id, id_len, t, device, why, sizeof why);
	if (!f) {
		st->handed_back++;
		return NAK;
	}
	if (!f->touched) {
		f->touched = true;
		c->touched[c->ntouched++] = f;
	}
	if (ncap_writer_write(f->w, body, (size_t)blen) != 0) {
		st->write_errors++;
		*write_failed = true;
	}
	st->records += records;
	st->bytes += (size_t)blen;
	return ACK;
}

/* The batch's records on disk, then its answers: an ack promises the
 * records are in a file. Acks are fire-and-forget; one flush of the
 * connection (a round trip) makes sure the server has them all. */
static void settle(struct consumer *c, natsConnection *nc, natsMsgList *list,
		   enum disposition *disp, bool write_failed)
{
	for (size_t i = 0; i < c->ntouched; i++) {
		if (ncap_writer_flush(c->touched[i]->w) != 0) {
			c->st->write_errors++;
			write_failed = true;
		}
		c->touched[i]->touched = false;
	}
	c->ntouched = 0;
	for (int i = 0; i < list->Count; i++) {
		natsMsg *m = list->Msgs[i];
		switch (disp[i]) {
		case ACK:
			/* A member that did not reach the disk may hold any of
			 * the batch's records: all of them come again (at least
			 * once, some perhaps twice). */
			if (write_failed) {
				natsMsg_NakWithDelay(m, NAK_DELAY_MS, NULL);
				c->st->handed_back++;
			} else {
				natsMsg_Ack(m, NULL);
				c->st->written++;
			}
			break;
		case TERM:
			natsMsg_Term(m, NULL);
			break;
		case NAK:
			natsMsg_NakWithDelay(m, NAK_DELAY_MS, NULL);
			break;
		}
	}
	natsConnection_FlushTimeout(nc, 5000);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The durable consumer: found, or made (deliver everything, explicit
 * acks, every netcap subject). Made here rather than by js_PullSubscribe
 * so that the subscription only binds to it: cnats deletes consumers it
 * made itself when the subscription goes. */
static int ensure_consumer(jsCtx *js, const char *url, const char *stream, const char *durable,
			   int batch, char *err, size_t errlen)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetConsumerInfo(&ci, js, stream, durable, NULL, &jerr);
	if (s == NATS_OK) {
		bool ok = ci->Config && ci->Config->AckPolicy == js_AckExplicit &&
			  !ci->Config->DeliverSubject;
		jsConsumerInfo_Destroy(ci);
		return ok ? 0
			  : fail(err, errlen, "NATS %s: consumer %s of stream %s is not a pull "
					      "consumer with explicit acks", url, durable, stream);
	}
	if (s != NATS_NOT_FOUND && jerr != JSConsumerNotFoundErr)
		return fail(err, errlen, "NATS %s: consumer %s of stream %s: %s", url, durable, stream,
			    nats_why(s));
	jsConsumerConfig cc;
	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.AckPolicy = js_AckExplicit;
	cc.DeliverPolicy = js_DeliverAll;
	cc.FilterSubject = COLLECT_NATS_SUBJECTS;
	cc.MaxAckPending = batch * 4 > 1000 ? batch * 4 : 1000;
	s = js_AddConsumer(NULL, js, stream, &cc, NULL, &jerr);
	if (s != NATS_OK)
		return fail(err, errlen, "NATS %s: cannot create consumer %s of stream %s: %s", url,
			    durable, stream, nats_why(s));
	return 0;
}

int collect_nats_consume(const char *url, const char *stream, const char *outdir,
			 const char *durable, volatile sig_atomic_t *stop,
			 const struct collect_nats_consume_opts *opts,
			 struct collect_nats_consume_stats *st, char *err, size_t errlen)
{
	struct collect_nats_consume_opts o = opts ? *opts : (struct collect_nats_consume_opts){0};
	struct collect_nats_consume_stats local;
	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	if (!stream || !*stream)
		stream = COLLECT_NATS_STREAM_DEFAULT;
	if (!durable || !*durable)
		durable = COLLECT_NATS_DURABLE_DEFAULT;
	if (!url || !*url || !outdir || !*outdir)
		return fail(err, errlen, "NATS: a URL and an output directory are needed");
	if (strchr(durable, '.') || strchr(durable, '*') || strchr(durable, '>') ||
	    strlen(durable) > 64)
		return fail(err, errlen, "NATS: durable name \"%s\": no '.', '*' or '>', at most 64",
			    durable);
	int batch = o.batch > 0 ? (o.batch < 4096 ? o.batch : 4096) : 256;
	int wait = o.fetch_wait_ms > 0 ? o.fetch_wait_ms : 500;
	size_t max_files = o.max_files ? o.max_files : 4096;
	if (make_dir(outdir) != 0)
		return fail(err, errlen, "%s: %s", outdir, strerror(errno));

	struct consumer c = {.url = url, .stream = stream, .outdir = outdir, .o = &o, .st = st};
	c.cap = 16;
	while (c.cap < 2 * max_files)
		c.cap *= 2;
	c.files = calloc(c.cap, sizeof *c.files);
	c.touched = calloc((size_t)batch, sizeof *c.touched);
	enum disposition *disp = calloc((size_t)batch, sizeof *disp);
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsSubscription *sub = NULL;
	int rc = -1;
	if (!c.files || !c.touched || !disp) {
		fail(err, errlen, "NATS: out of memory");
		goto out;
	}
	if (!(nc = connect_to(url, "netcap-collect --from-nats", err, errlen)))
		goto out;
	natsStatus s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK) {
		fail(err, errlen, "NATS %s: no JetStream context: %s", url, nats_why(s));
		goto out;
	}
	jsStreamInfo *si = NULL;
	s = js_GetStreamInfo(&si, js, stream, NULL, NULL);
	if (s != NATS_OK) {
		fail(err, errlen, "NATS %s: stream %s: %s", url, stream,
		     s == NATS_NOT_FOUND ? "not found" : nats_why(s));
		goto out;
	}
	jsStreamInfo_Destroy(si);
	if (ensure_consumer(js, url, stream, durable, batch, err, errlen) != 0)
		goto out;
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Consumer = durable;
	jsErrCode jerr = 0;
	s = js_PullSubscribe(&sub, js, COLLECT_NATS_SUBJECTS, durable, NULL, &so, &jerr);
	if (s != NATS_OK) {
		fail(err, errlen, "NATS %s: cannot bind to consumer %s of stream %s: %s", url, durable,
		     stream, nats_why(s));
		goto out;
	}

	rc = 0;
	int64_t last = now_ms();
	int errors_in_row = 0;
	while (!(stop && *stop)) {
		if (o.max_msgs && st->messages >= o.max_msgs)
			break;
		if (o.idle_exit_ms > 0 && now_ms() - last >= o.idle_exit_ms)
			break;
		int want = batch;
		if (o.max_msgs && o.max_msgs - st->messages < (uint64_t)want)
			want = (int)(o.max_msgs - st->messages);
		natsMsgList list = {0};
		s = natsSubscription_Fetch(&list, sub, want, wait, &jerr);
		if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
			natsMsgList_Destroy(&list);
			continue;
		}
		if (s != NATS_OK) {
			natsMsgList_Destroy(&list);
			st->fetch_errors++;
			if (s == NATS_CONNECTION_CLOSED || ++errors_in_row >= FETCH_ERRORS_FATAL) {
				rc = fail(err, errlen, "NATS %s: fetching from %s/%s: %s", url, stream,
					  durable, nats_why(s));
				break;
			}
			usleep(200 * 1000);
			continue;
		}
		errors_in_row = 0;
		last = now_ms();
		bool write_failed = false;
		for (int i = 0; i < list.Count; i++) {
			natsMsg *m = list.Msgs[i];
			st->messages++;
			jsMsgMetaData *meta = NULL;
			if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
				if (meta->NumDelivered > 1)
					st->redelivered++;
				jsMsgMetaData_Destroy(meta);
			}
			disp[i] = take(&c, m, &write_failed);
		}
		settle(&c, nc, &list, disp, write_failed);
		natsMsgList_Destroy(&list);
	}

out:
	if (sub)
		natsSubscription_Destroy(sub); /* bound: the durable stays */
	for (size_t i = 0; c.files && i < c.cap; i++) {
		if (!c.files[i].w)
			continue;
		char why[512];
		if (ncap_writer_close(c.files[i].w, why, sizeof why) != 0 && rc == 0)
			rc = fail(err, errlen, "%s", why);
	}
	free(c.files);
	free(c.touched);
	free(disp);
	if (js)
		jsCtx_Destroy(js);
	if (nc) {
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
	}
	return rc;
}
