/* rand.c - random bytes from getrandom(2), and UUIDs made of them. */
#include "base/rand.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/error.h"

void sw_random_bytes(void *buf, size_t len) {
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            SW_BUG("getrandom failed");
        }
        p += n;
        len -= (size_t)n;
    }
}

void sw_uuid_v4(char out[SW_UUID_LEN + 1]) {
    uint8_t b[16];
    sw_random_bytes(b, sizeof b);
    sw_uuid_v4_from(b, out);
}

void sw_uuid_v4_from(const unsigned char bytes[16], char out[SW_UUID_LEN + 1]) {
    uint8_t b[16];
    memcpy(b, bytes, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);  /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
    snprintf(out, SW_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}
