/* keys.h: the Curve25519 keys of sensors and collectors, and the allow
 * list of a collector (docs/collector.md, "Keys").
 *
 * Files (both written by `netcap-collect --gen-keypair PREFIX`):
 *   PREFIX.pub  the public key: 64 lowercase hex digits and a newline;
 *   PREFIX.key  the secret key, the same form, mode 0600; refused when it
 *               is readable by group or others (as ssh does).
 * An allow file lists the public keys of the sensors a collector accepts:
 * one .pub line each; blank lines and lines starting with # are skipped;
 * anything after the 64 digits and a space or tab is a comment (a name).
 * Every problem is an error naming FILE:LINE. */
#ifndef COLLECT_KEYS_H
#define COLLECT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECT_KEY_BYTES 32 /* crypto_box_PUBLICKEYBYTES = SECRETKEYBYTES */

struct collect_keypair {
	uint8_t pk[COLLECT_KEY_BYTES];
	uint8_t sk[COLLECT_KEY_BYTES];
};

/* Makes a key pair and writes PREFIX.pub and PREFIX.key (0600, refused
 * when either exists). Returns 0, or -1 with the reason in err. */
int collect_keypair_generate(const char *prefix, char *err, size_t errlen);

/* Reads a public key file. Returns 0, or -1 with err. */
int collect_read_public(const char *path, uint8_t pk[COLLECT_KEY_BYTES], char *err,
			size_t errlen);

/* Reads a secret key file (mode checked) and derives its public key.
 * Returns 0, or -1 with err. */
int collect_read_secret(const char *path, struct collect_keypair *kp, char *err, size_t errlen);

struct collect_allow {
	uint8_t (*keys)[COLLECT_KEY_BYTES];
	char **names; /* the comment after each key, or "" */
	size_t n;
};

/* Reads an allow file; a key listed twice is an error. Returns 0, or -1
 * with err ("FILE:LINE: reason"). */
int collect_read_allow(const char *path, struct collect_allow *allow, char *err, size_t errlen);
void collect_allow_free(struct collect_allow *allow);

/* 64 hex digits (and a NUL) of a key, for messages and file names. */
void collect_key_hex(const uint8_t key[COLLECT_KEY_BYTES], char out[2 * COLLECT_KEY_BYTES + 1]);

#endif
