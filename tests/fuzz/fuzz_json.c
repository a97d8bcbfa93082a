/* fuzz_json.c - libFuzzer target for the JSON parser and writer: whatever
 * the input, parsing never crashes, and an accepted document printed and
 * parsed again is equal to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *v = json_parse(&a, (const char *)data, size, &err);
    if (v) {
        sw_buf_t b;
        buf_init(&b, &a, (size_t)1 << 30);
        json_print(&b, v);
        json_t *again = json_parse(&a, b.ptr, b.len, &err);
        if (!again || !json_equal(v, again))
            abort();
    }
    arena_release(&a);
    return 0;
}
