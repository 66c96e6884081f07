/* keys.c: key files and allow lists of sensors and collectors (keys.h).
 * Keys come from libsodium (crypto_box_keypair, crypto_scalarmult_base);
 * this file only reads and writes their text form, strictly: a key file
 * is one line of 64 hex digits, anything else is an error naming the
 * file and line. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/keys.h"

_Static_assert(COLLECT_KEY_BYTES == crypto_box_PUBLICKEYBYTES, "public key size");
_Static_assert(COLLECT_KEY_BYTES == crypto_box_SECRETKEYBYTES, "secret key size");

/* Longest line read from a key or allow file: a key, a name, slack. */
#define KEY_LINE_MAX 1024

void collect_key_hex(const uint8_t key[COLLECT_KEY_BYTES], char out[2 * COLLECT_KEY_BYTES + 1])
{
	sodium_bin2hex(out, 2 * COLLECT_KEY_BYTES + 1, key, COLLECT_KEY_BYTES);
}

/* 64 hex digits at s (exactly; the caller checks what follows). */
static bool parse_hex_key(const char *s, size_t len, uint8_t key[COLLECT_KEY_BYTES])
{
	if (len != 2 * COLLECT_KEY_BYTES)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	size_t got = 0;
	return sodium_hex2bin(key, COLLECT_KEY_BYTES, s, len, NULL, &got, NULL) == 0 &&
	       got == COLLECT_KEY_BYTES;
}

/* Writes text to a new file (O_EXCL) with mode. Returns 0 or -1 (err). */
static int write_new(const char *path, const char *text, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	if (!e && fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (e) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		unlink(path);
		return -1;
	}
	return 0;
}

int collect_keypair_generate(const char *prefix, char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return -1;
	}
	char pub_path[4096], key_path[4096];
	if ((size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", prefix) >= sizeof pub_path ||
	    (size_t)snprintf(key_path, sizeof key_path, "%s.key", prefix) >= sizeof key_path) {
		snprintf(err, errlen, "%s: name too long", prefix);
		return -1;
	}
	struct collect_keypair kp;
	crypto_box_keypair(kp.pk, kp.sk);
	char hex[2 * COLLECT_KEY_BYTES + 2];
	/* The secret first: a .pub without its .key is useless, the reverse
	 * can be made again. */
	collect_key_hex(kp.sk, hex);
	strcat(hex, "\n");
	int rc = write_new(key_path, hex, 0600, err, errlen);
	sodium_memzero(hex, sizeof hex);
	if (rc == 0) {
		collect_key_hex(kp.pk, hex);
		strcat(hex, "\n");
		rc = write_new(pub_path, hex, 0644, err, errlen);
		if (rc)
			unlink(key_path);
	}
	sodium_memzero(&kp, sizeof kp);
	return rc;
}

/* Reads the one line of a key file into line (without its newline).
 * Returns its length, or -1 with err. */
static ssize_t read_key_line(FILE *f, const char *path, char *line, size_t cap, char *err,
			     size_t errlen)
{
	if (!fgets(line, (int)cap, f)) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? strerror(errno) : "empty");
		return -1;
	}
	size_t len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	int c = fgetc(f);
	if (c != EOF) {
		snprintf(err, errlen, "%s: more than one line; a key file holds 64 hex digits", path);
		return -1;
	}
	return (ssize_t)len;
}

int collect_read_public(const char *path, uint8_t pk[COLLECT_KEY_BYTES], char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[KEY_LINE_MAX];
	ssize_t len = read_key_line(f, path, line, sizeof line, err, errlen);
	fclose(f);
	if (len < 0)
		return -1;
	if (!parse_hex_key(line, (size_t)len, pk)) {
		snprintf(err, errlen, "%s:1: not a public key: 64 hex digits expected", path);
		return -1;
	}
	return 0;
}

int collect_read_secret(const char *path, struct collect_keypair *kp, char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: a secret key readable by others (mode %04o); chmod 600 it",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	char line[KEY_LINE_MAX];
	ssize_t len = read_key_line(f, path, line, sizeof line, err, errlen);
	fclose(f);
	int rc = 0;
	if (len < 0) {
		rc = -1;
	} else if (!parse_hex_key(line, (size_t)len, kp->sk)) {
		snprintf(err, errlen, "%s:1: not a secret key: 64 hex digits expected", path);
		rc = -1;
	} else if (crypto_scalarmult_base(kp->pk, kp->sk)) {
		snprintf(err, errlen, "%s: not a usable Curve25519 secret key", path);
		rc = -1;
	}
	sodium_memzero(line, sizeof line);
	return rc;
}

void collect_allow_free(struct collect_allow *allow)
{
	for (size_t i = 0; i < allow->n; i++)
		free(allow->names[i]);
	free(allow->names);
	free(allow->keys);
	memset(allow, 0, sizeof *allow);
}

int collect_read_allow(const char *path, struct collect_allow *allow, char *err, size_t errlen)
{
	memset(allow, 0, sizeof *allow);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 0;
	char *line = NULL;
	size_t line_cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int rc = 0;
	while ((len = getline(&line, &line_cap, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		size_t i = 0;
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (!line[i] || line[i] == '#')
			continue;
		if (len > KEY_LINE_MAX) {
			snprintf(err, errlen, "%s:%lu: line longer than %d bytes", path, lineno,
				 KEY_LINE_MAX);
			rc = -1;
			break;
		}
		size_t end = i;
		while (line[end] && line[end] != ' ' && line[end] != '\t')
			end++;
		uint8_t key[COLLECT_KEY_BYTES];
		if (!parse_hex_key(line + i, end - i, key)) {
			snprintf(err, errlen, "%s:%lu: not a public key: 64 hex digits expected", path,
				 lineno);
			rc = -1;
			break;
		}
		for (size_t k = 0; k < allow->n; k++)
			if (!memcmp(allow->keys[k], key, COLLECT_KEY_BYTES)) {
				snprintf(err, errlen, "%s:%lu: this key is listed twice", path, lineno);
				rc = -1;
			}
		if (rc)
			break;
		while (line[end] == ' ' || line[end] == '\t')
			end++;
		if (allow->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *k = realloc(allow->keys, ncap * sizeof *allow->keys);
			if (k)
				allow->keys = k;
			void *nm = k ? realloc(allow->names, ncap * sizeof *allow->names) : NULL;
			if (nm)
				allow->names = nm;
			if (!k || !nm) {
				snprintf(err, errlen, "%s: out of memory", path);
				rc = -1;
				break;
			}
			cap = ncap;
		}
		char *name = strdup(line + end);
		if (!name) {
			snprintf(err, errlen, "%s: out of memory", path);
			rc = -1;
			break;
		}
		memcpy(allow->keys[allow->n], key, COLLECT_KEY_BYTES);
		allow->names[allow->n++] = name;
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (!rc && allow->n == 0) {
		snprintf(err, errlen, "%s: no key in it: no sensor could be accepted", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	if (rc)
		collect_allow_free(allow);
	return rc;
}
