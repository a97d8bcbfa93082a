/* jansson_ref.c - see jansson_ref.h. */
#include "jansson_ref.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

ref_result_t ref_compare(const char *orig, size_t orig_len, const char *ours, size_t ours_len) {
    json_error_t err;
    json_t *a = json_loadb(orig, orig_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!a)
        return strstr(err.text, "overflow") ? REF_REJECTED_OVERFLOW : REF_REJECTED;
    json_t *b = ours ? json_loadb(ours, ours_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err) : NULL;
    /* Compare canonical dumps: json_equal is also one of our own symbols,
     * which would win the link. */
    size_t flags = JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY;
    char *da = json_dumps(a, flags), *db = b ? json_dumps(b, flags) : NULL;
    ref_result_t r = da && db && strcmp(da, db) == 0 ? REF_SAME : REF_DIFFERENT;
    free(da);
    free(db);
    json_decref(a);
    if (b)
        json_decref(b);
    return r;
}
