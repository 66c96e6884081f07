/* collector.c: one datagram from the wire to the sink, and the counters
 * (collector.h). The order of the checks is the point: cheap ones on
 * untrusted bytes first, the box next, and the sensor's state (id,
 * replay window, reassembly) changed only by datagrams that opened; the
 * sink sees nothing the replay window has not accepted. */
#include <errno.h>
#include <jansson.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/collector.h"

/* A counter only its owner thread writes: no locked instruction. */
static inline void bump(_Atomic uint64_t *c, uint64_t by)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
			      memory_order_relaxed);
}

int64_t collect_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int collector_init(struct collector *c, const struct collect_keypair *kp,
		   const struct collect_allow *allow, size_t max_datagram,
		   const struct collect_sink *sink, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (max_datagram < COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1 ||
	    max_datagram > COLLECT_DGRAM_MAX) {
		snprintf(err, errlen, "datagram bound %zu: between %d and %d", max_datagram,
			 COLLECT_OVERHEAD + COLLECT_PLAIN_HEADER + 1, COLLECT_DGRAM_MAX);
		return -1;
	}
	if (collect_sensors_init(&c->sensors, kp, allow, err, errlen))
		return -1;
	c->max_datagram = max_datagram;
	if (sink)
		c->sink = *sink;
	c->started_ns = collect_now_ns();
	return 0;
}

void collector_free(struct collector *c)
{
	collect_sensors_free(&c->sensors);
}

struct collect_worker *collect_worker_new(struct collector *c)
{
	struct collect_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->c = c;
	w->plain = malloc(c->max_datagram);
	w->assembled = malloc(COLLECT_BATCH_MAX);
	w->records = malloc(COLLECT_BATCH_MAX);
	w->dec = libdeflate_alloc_decompressor();
	if (!w->plain || !w->assembled || !w->records || !w->dec) {
		collect_worker_free(w);
		return NULL;
	}
	return w;
}

void collect_worker_free(struct collect_worker *w)
{
	if (!w)
		return;
	free(w->plain);
	free(w->assembled);
	free(w->records);
	if (w->dec)
		libdeflate_free_decompressor(w->dec);
	free(w);
}

/* The part under the sensor's lock: id, window, reassembly, unpacking,
 * the sink. */
static enum collect_verdict handle_locked(struct collect_worker *w, struct collect_sensor *s,
					  const struct collect_opened *o, size_t len, int64_t now_ns)
{
	struct collector *c = w->c;
	enum collect_verdict v = collect_sensor_bind(&c->sensors, s, o->id, o->id_len);
	if (v != COLLECT_ACCEPT)
		return v;
	v = collect_replay_check(&s->replay, o->epoch, o->seq);
	if (v != COLLECT_ACCEPT)
		return v;
	/* From here the sequence number is used, whatever follows. */
	uint64_t top = s->replay.top;
	uint64_t low = top >= COLLECT_WINDOW ? top - COLLECT_WINDOW + 1 : 1;
	collect_reasm_expire(&s->reasm, s->replay.epoch, low);
	if (!s->first_seen_ns)
		s->first_seen_ns = now_ns;
	s->last_seen_ns = now_ns;
	memcpy(s->device, o->device, o->device_len);
	s->device[o->device_len] = 0;

	const uint8_t *payload = o->payload;
	size_t plen = o->payload_len;
	if (o->flags & COLLECT_FLAG_FRAGMENT) {
		size_t got;
		switch (collect_reasm_add(&s->reasm, o, low, w->assembled, COLLECT_BATCH_MAX, &got)) {
		case COLLECT_REASM_PENDING:
			s->datagrams++;
			s->bytes += len;
			return COLLECT_ACCEPT;
		case COLLECT_REASM_COMPLETE:
			payload = w->assembled;
			plen = got;
			break;
		default:
			return COLLECT_DROP_FRAGMENT;
		}
	}
	uint32_t n = 0;
	v = collect_unpack_batch(w->dec, o->type, o->flags, payload, plen, o->inflated_len,
				 w->records, COLLECT_BATCH_MAX, &n);
	if (v != COLLECT_ACCEPT)
		return v;
	s->datagrams++;
	s->bytes += len;
	s->batches++;
	s->records += n;
	if (c->sink.batch)
		c->sink.batch(c->sink.arg, s, s->device, o->type, o->epoch, o->seq - o->frag_index,
			      w->records, o->inflated_len, n);
	return COLLECT_ACCEPT;
}

enum collect_verdict collect_handle(struct collect_worker *w, const uint8_t *d, size_t len,
				    int64_t now_ns)
{
	struct collector *c = w->c;
	bump(&w->datagrams, 1);
	const uint8_t *pk = NULL;
	enum collect_verdict v = collect_peek(d, len, c->max_datagram, &pk);
	struct collect_sensor *s = NULL;
	if (v == COLLECT_ACCEPT) {
		s = collect_sensors_find(&c->sensors, pk);
		if (!s)
			v = COLLECT_DROP_UNKNOWN_KEY;
	}
	struct collect_opened o;
	if (v == COLLECT_ACCEPT)
		v = collect_open(d, len, s->shared, w->plain, c->max_datagram, &o);
	if (v == COLLECT_ACCEPT) {
		pthread_mutex_lock(&s->lock);
		v = handle_locked(w, s, &o, len, now_ns);
		pthread_mutex_unlock(&s->lock);
	}
	if (v == COLLECT_ACCEPT) {
		bump(&w->accepted, 1);
	} else {
		bump(&w->drops[v], 1);
		if (s)
			atomic_fetch_add_explicit(&s->drops[v], 1, memory_order_relaxed);
	}
	return v;
}

/* ---- counters ------------------------------------------------------------------ */

void collect_totals(struct collect_worker *const *w, size_t n, struct collect_totals *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		t->datagrams += atomic_load_explicit(&w[i]->datagrams, memory_order_relaxed);
		t->accepted += atomic_load_explicit(&w[i]->accepted, memory_order_relaxed);
		t->receive_errors += atomic_load_explicit(&w[i]->receive_errors, memory_order_relaxed);
		for (int v = 0; v < COLLECT_VERDICTS; v++)
			t->drops[v] += atomic_load_explicit(&w[i]->drops[v], memory_order_relaxed);
	}
}

void collect_sensor_view(struct collect_sensor *s, struct collect_sensor_view *v)
{
	memset(v, 0, sizeof *v);
	collect_key_hex(s->pk, v->key);
	v->name = s->name;
	for (int i = 0; i < COLLECT_VERDICTS; i++) {
		v->drops[i] = atomic_load_explicit(&s->drops[i], memory_order_relaxed);
		v->drops_total += v->drops[i];
	}
	pthread_mutex_lock(&s->lock);
	v->seen = s->bound;
	memcpy(v->id, s->id, sizeof v->id);
	memcpy(v->device, s->device, sizeof v->device);
	v->datagrams = s->datagrams;
	v->bytes = s->bytes;
	v->batches = s->batches;
	v->records = s->records;
	v->records_lost = s->records_lost;
	v->write_errors = s->write_errors;
	v->gaps = collect_sensor_gaps(s);
	v->epochs = s->replay.epochs;
	v->frag_completed = s->reasm.completed;
	v->frag_gave_up = s->reasm.gave_up;
	v->frag_pending = collect_reasm_pending(&s->reasm);
	v->first_seen_ns = s->first_seen_ns;
	v->last_seen_ns = s->last_seen_ns;
	pthread_mutex_unlock(&s->lock);
}

/* "2026-12-05T04:36:16Z", or "never". */
static void utc_text(int64_t ns, char out[32])
{
	if (!ns) {
		snprintf(out, 32, "never");
		return;
	}
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void collect_summary(struct collector *c, struct collect_worker *const *w, size_t n, FILE *f,
		     const char *label)
{
	struct collect_totals t;
	collect_totals(w, n, &t);
	uint64_t dropped = 0;
	for (int v = 1; v < COLLECT_VERDICTS; v++)
		dropped += t.drops[v];
	fprintf(f, "netcap-collect: %s: %llu datagrams, %llu accepted, %llu dropped", label,
		(unsigned long long)t.datagrams, (unsigned long long)t.accepted,
		(unsigned long long)dropped);
	const char *sep = " (";
	for (int v = 1; v < COLLECT_VERDICTS; v++)
		if (t.drops[v]) {
			fprintf(f, "%s%s %llu", sep, collect_verdict_name((enum collect_verdict)v),
				(unsigned long long)t.drops[v]);
			sep = ", ";
		}
	fprintf(f, "%s, %llu receive errors\n", *sep == ',' ? ")" : "",
		(unsigned long long)t.receive_errors);
	for (size_t i = 0; i < c->sensors.n; i++) {
		struct collect_sensor_view v;
		collect_sensor_view(&c->sensors.s[i], &v);
		if (!v.seen && !v.drops_total)
			continue;
		char last[32];
		utc_text(v.last_seen_ns, last);
		fprintf(f, "  sensor %s (%s, key %.16s...): %llu datagrams, %llu records, %llu bytes, "
			   "%llu gaps, %llu epochs, %llu dropped, %llu records lost, last seen %s\n",
			v.seen ? v.id : "-", *v.device ? v.device : "-", v.key,
			(unsigned long long)v.datagrams, (unsigned long long)v.records,
			(unsigned long long)v.bytes, (unsigned long long)v.gaps,
			(unsigned long long)v.epochs, (unsigned long long)v.drops_total,
			(unsigned long long)v.records_lost, last);
	}
	fflush(f);
}

static json_t *drops_json(const uint64_t *drops)
{
	json_t *o = json_object();
	for (int v = 1; v < COLLECT_VERDICTS; v++)
		json_object_set_new(o, collect_verdict_name((enum collect_verdict)v),
				    json_integer((json_int_t)drops[v]));
	return o;
}

static json_t *time_json(int64_t ns)
{
	if (!ns)
		return json_null();
	char text[32];
	utc_text(ns, text);
	return json_string(text);
}

int collect_stats_write(struct collector *c, struct collect_worker *const *w, size_t n,
			const char *path, char *err, size_t errlen)
{
	struct collect_totals t;
	collect_totals(w, n, &t);
	int64_t now = collect_now_ns();
	json_t *root = json_object();
	json_object_set_new(root, "time", time_json(now));
	json_object_set_new(root, "time_ns", json_integer(now));
	json_object_set_new(root, "started", time_json(c->started_ns));
	json_object_set_new(root, "threads", json_integer((json_int_t)n));
	json_object_set_new(root, "datagrams", json_integer((json_int_t)t.datagrams));
	json_object_set_new(root, "accepted", json_integer((json_int_t)t.accepted));
	uint64_t dropped = 0;
	for (int v = 1; v < COLLECT_VERDICTS; v++)
		dropped += t.drops[v];
	json_object_set_new(root, "dropped", json_integer((json_int_t)dropped));
	json_object_set_new(root, "drops", drops_json(t.drops));
	json_object_set_new(root, "receive_errors", json_integer((json_int_t)t.receive_errors));
	json_t *sensors = json_array();
	for (size_t i = 0; i < c->sensors.n; i++) {
		struct collect_sensor_view v;
		collect_sensor_view(&c->sensors.s[i], &v);
		json_t *o = json_object();
		json_object_set_new(o, "key", json_string(v.key));
		json_object_set_new(o, "name", json_string(v.name));
		json_object_set_new(o, "id", v.seen ? json_string(v.id) : json_null());
		json_object_set_new(o, "device", v.seen ? json_string(v.device) : json_null());
		json_object_set_new(o, "datagrams", json_integer((json_int_t)v.datagrams));
		json_object_set_new(o, "bytes", json_integer((json_int_t)v.bytes));
		json_object_set_new(o, "batches", json_integer((json_int_t)v.batches));
		json_object_set_new(o, "records", json_integer((json_int_t)v.records));
		json_object_set_new(o, "records_lost", json_integer((json_int_t)v.records_lost));
		json_object_set_new(o, "write_errors", json_integer((json_int_t)v.write_errors));
		json_object_set_new(o, "gaps", json_integer((json_int_t)v.gaps));
		json_object_set_new(o, "epochs", json_integer((json_int_t)v.epochs));
		json_object_set_new(o, "fragments_completed", json_integer((json_int_t)v.frag_completed));
		json_object_set_new(o, "fragments_gave_up", json_integer((json_int_t)v.frag_gave_up));
		json_object_set_new(o, "fragments_pending", json_integer((json_int_t)v.frag_pending));
		json_object_set_new(o, "first_seen", time_json(v.first_seen_ns));
		json_object_set_new(o, "last_seen", time_json(v.last_seen_ns));
		json_object_set_new(o, "last_seen_ns", json_integer(v.last_seen_ns));
		json_object_set_new(o, "dropped", json_integer((json_int_t)v.drops_total));
		json_object_set_new(o, "drops", drops_json(v.drops));
		json_array_append_new(sensors, o);
	}
	json_object_set_new(root, "sensors", sensors);

	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%.200s...: stats file path too long", path);
		json_decref(root);
		return -1;
	}
	int rc = json_dump_file(root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (rc || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", rc ? tmp : path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
