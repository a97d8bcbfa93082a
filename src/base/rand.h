/* rand.h - random bytes and random (version 4) UUIDs, from the kernel.
 *
 * getrandom(2) rather than OpenSSL's RAND_bytes: it keeps no state, so the
 * engine's own threads (the group-commit writer, the execution workers, the
 * HTTP pool) draw from it without each growing a per-thread DRBG that
 * OpenSSL frees only if the thread ends before OpenSSL's exit handler. */
#ifndef SW_RAND_H
#define SW_RAND_H

#include <stddef.h>

/* Fills `buf` with `len` cryptographically secure random bytes. Aborts if
 * the kernel cannot give them (it always can once booted). Thread-safe. */
void sw_random_bytes(void *buf, size_t len);

/* Writes a random RFC 4122 version 4 UUID, lower-case hex with dashes
 * ("1b4e28ba-2fa1-41d2-883f-0016d3cca427"), and its NUL, to `out`. */
#define SW_UUID_LEN 36
void sw_uuid_v4(char out[SW_UUID_LEN + 1]);
/* The same from 16 given bytes (their version and variant bits are set). */
void sw_uuid_v4_from(const unsigned char bytes[16], char out[SW_UUID_LEN + 1]);

#endif
