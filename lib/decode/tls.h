/* tls.h: TLS handshakes over reassembled TCP streams (TLSClientHello and
 * TLSServerHello records, JA3, JA3S, JA4, JA4S).
 *
 * The stream layer (lib/stream/app.c) hands tls.c each direction's bytes
 * in order. TLS records are read by their 5-byte headers; handshake
 * records' contents are joined into handshake messages (a message split
 * over several TLS records and several TCP segments is whole before it is
 * parsed), each kept up to tls_handshake_max bytes. The client's first
 * ClientHello and the server's first ServerHello become records; after
 * them (or the first non-handshake record) that direction needs nothing
 * more, and the reassembler is told to stop holding it.
 *
 * JA3 and JA3S follow Salesforce's definition (GREASE values, RFC 8701,
 * left out; MD5 of the text in lowercase hex, from nettle); JA4 and JA4S
 * follow FoxIO's (github.com/FoxIO-LLC/ja4, technical details: SHA-256
 * truncated to 12 hex characters, from nettle). Both raw strings are
 * available for tests. */
#ifndef DECODE_TLS_H
#define DECODE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream/app.h"

struct tls_state;
extern const uint32_t tls_state_size;

/* True when d starts like a TLS handshake record (content type 22,
 * version 3.x, a plausible length); n may be short (then: as far as seen). */
bool tls_is_handshake(const uint8_t *d, uint32_t n);

void tls_init(struct tls_state *s, const struct app_settings *settings);
void tls_data(struct app_env *env, struct stream_conn *c, struct tls_state *s, int dir,
	      const uint8_t *d, uint32_t n, int64_t ts);
void tls_gap(struct app_env *env, struct stream_conn *c, struct tls_state *s, int dir,
	     uint32_t n, int64_t ts);
void tls_end(struct app_env *env, struct stream_conn *c, struct tls_state *s, int64_t ts);

/* Fingerprints of a hello body (the handshake message's body: after the
 * 4-byte handshake header), for records and tests. out: NUL-terminated;
 * false when the body does not parse. JA3/JA3S: the 32 hex digits of the
 * MD5; *_raw the string hashed. JA4: "t13d1516h2_8daaf6152771_e5627efa2ab1"
 * form; JA4S: "t130200_1301_234ea6891581". `quic` false: TCP ('t'). */
#define TLS_JA3_RAW_MAX 4096
bool tls_ja3(const uint8_t *body, uint32_t len, char out[33], char *raw, size_t raw_size);
bool tls_ja3s(const uint8_t *body, uint32_t len, char out[33], char *raw, size_t raw_size);
bool tls_ja4(const uint8_t *body, uint32_t len, char out[37]);
bool tls_ja4s(const uint8_t *body, uint32_t len, char out[26]);

#endif
