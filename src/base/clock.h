/* clock.h - the only source of time.
 *
 * Real: the system clock. Virtual (--clock virtual): starts at the real time
 * and advances only when the engine sleeps, instantly, so Waits and retry
 * back-offs cost nothing but are recorded as if they had passed. */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct sw_clock {
    bool is_virtual;
    int64_t virtual_now_ms;  /* epoch ms; used when is_virtual */
} sw_clock_t;

void clock_init(sw_clock_t *c, bool is_virtual);
/* Milliseconds since the Unix epoch. Thread-safe. */
int64_t clock_now_ms(const sw_clock_t *c);
/* Waits `ms` (real) or advances the virtual time by `ms`. Thread-safe. */
void clock_sleep_ms(sw_clock_t *c, int64_t ms);
/* Virtual clock only: moves the time forward to `to_ms` (never back).
 * Thread-safe. */
void clock_advance_to(sw_clock_t *c, int64_t to_ms);
/* Formats epoch ms as AWS does in the context object and history,
 * "2026-12-03T19:37:41.123Z". `out` needs 32 bytes. */
void clock_format_iso(int64_t epoch_ms, char *out, size_t out_len);
/* Parses an RFC 3339 timestamp ("2016-03-14T01:59:00Z", offsets and
 * fractions allowed) to epoch ms. Returns false if invalid. */
bool clock_parse_iso(const char *s, size_t len, int64_t *epoch_ms);

#endif
