/* jansson_ref.h - jansson behind a neutral API (its names clash with ours). */
#ifndef SW_JANSSON_REF_H
#define SW_JANSSON_REF_H
#include <stdbool.h>
#include <stddef.h>

typedef enum { REF_REJECTED, REF_REJECTED_OVERFLOW, REF_SAME, REF_DIFFERENT } ref_result_t;

/* Parses `orig` with jansson; if accepted, also parses `ours` (our writer's
 * rendering of our parse of `orig`) and says whether jansson sees the same
 * value in both. */
ref_result_t ref_compare(const char *orig, size_t orig_len, const char *ours, size_t ours_len);
#endif
