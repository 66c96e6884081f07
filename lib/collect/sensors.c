/* sensors.c: the allowed sensors, sorted by public key, and their ids
 * (sensors.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/sensors.h"

static int compare_pk(const void *a, const void *b)
{
	return memcmp(((const struct collect_sensor *)a)->pk, ((const struct collect_sensor *)b)->pk,
		      COLLECT_KEY_BYTES);
}

int collect_sensors_init(struct collect_sensors *t, const struct collect_keypair *collector,
			 const struct collect_allow *allow, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->id_lock, NULL);
	if (allow->n == 0) {
		snprintf(err, errlen, "the allow file lists no sensor key");
		return -1;
	}
	t->s = calloc(allow->n, sizeof *t->s);
	if (!t->s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < allow->n; i++) {
		struct collect_sensor *s = &t->s[i];
		memcpy(s->pk, allow->keys[i], COLLECT_KEY_BYTES);
		s->name = strdup(allow->names && allow->names[i] ? allow->names[i] : "");
		collect_reasm_init(&s->reasm);
		t->n++;
		if (!s->name) {
			snprintf(err, errlen, "out of memory");
			collect_sensors_free(t);
			return -1;
		}
		if (collect_shared_key(s->shared, s->pk, collector)) {
			char hex[2 * COLLECT_KEY_BYTES + 1];
			collect_key_hex(s->pk, hex);
			snprintf(err, errlen, "allowed key %s%s%s%s is not a usable Curve25519 key", hex,
				 *s->name ? " (" : "", s->name, *s->name ? ")" : "");
			collect_sensors_free(t);
			return -1;
		}
	}
	/* Mutexes must not move: sort first, then initialise them. */
	qsort(t->s, t->n, sizeof *t->s, compare_pk);
	for (size_t i = 0; i < t->n; i++) {
		t->s[i].index = i;
		pthread_mutex_init(&t->s[i].lock, NULL);
	}
	return 0;
}

void collect_sensors_free(struct collect_sensors *t)
{
	for (size_t i = 0; i < t->n; i++) {
		sodium_memzero(t->s[i].shared, sizeof t->s[i].shared);
		free(t->s[i].name);
		collect_reasm_free(&t->s[i].reasm);
		pthread_mutex_destroy(&t->s[i].lock);
	}
	free(t->s);
	pthread_mutex_destroy(&t->id_lock);
	memset(t, 0, sizeof *t);
}

struct collect_sensor *collect_sensors_find(const struct collect_sensors *t,
					    const uint8_t pk[COLLECT_KEY_BYTES])
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(pk, t->s[mid].pk, COLLECT_KEY_BYTES);
		if (c == 0)
			return &t->s[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool same_id(const struct collect_sensor *s, const char *id, size_t len)
{
	return strlen(s->id) == len && !memcmp(s->id, id, len);
}

enum collect_verdict collect_sensor_bind(struct collect_sensors *t, struct collect_sensor *s,
					 const char *id, size_t id_len)
{
	if (id_len == 0 || id_len > COLLECT_ID_MAX)
		return COLLECT_DROP_SENSOR_ID;
	if (s->bound) /* the common case: no table-wide lock */
		return same_id(s, id, id_len) ? COLLECT_ACCEPT : COLLECT_DROP_SENSOR_ID;
	enum collect_verdict v = COLLECT_ACCEPT;
	pthread_mutex_lock(&t->id_lock);
	for (size_t i = 0; i < t->n && v == COLLECT_ACCEPT; i++)
		if (&t->s[i] != s && t->s[i].bound && same_id(&t->s[i], id, id_len))
			v = COLLECT_DROP_SENSOR_ID;
	if (v == COLLECT_ACCEPT) {
		memcpy(s->id, id, id_len);
		s->id[id_len] = 0;
		s->bound = true;
	}
	pthread_mutex_unlock(&t->id_lock);
	return v;
}

uint64_t collect_sensor_gaps(const struct collect_sensor *s)
{
	return s->replay.lost + collect_replay_missing(&s->replay);
}
