/* test_clock.c - RFC 3339 parsing and formatting, virtual time. */
#include "../test.h"
#include "base/clock.h"

TEST(base_clock_iso_roundtrip) {
    int64_t ms;
    CHECK(clock_parse_iso("2016-03-14T01:59:00Z", 20, &ms));
    CHECK_EQ_INT(ms, 1457920740000LL);
    char out[32];
    clock_format_iso(ms, out, sizeof(out));
    CHECK_EQ_STR(out, "2016-03-14T01:59:00.000Z");
    CHECK(clock_parse_iso("2016-03-14T03:59:00.5+02:00", 27, &ms));
    CHECK_EQ_INT(ms, 1457920740500LL);
    CHECK(!clock_parse_iso("2016-03-14T01:59:00", 19, &ms));
    CHECK(!clock_parse_iso("2016-02-30T01:59:00Z", 20, &ms));
    CHECK(!clock_parse_iso("2015-02-29T01:59:00Z", 20, &ms));
    CHECK(!clock_parse_iso("2016-03-14 01:59:00Z", 20, &ms));
}

TEST(base_clock_virtual_advances_instantly) {
    sw_clock_t c;
    clock_init(&c, true);
    int64_t t0 = clock_now_ms(&c);
    clock_sleep_ms(&c, 3600 * 1000);
    CHECK_EQ_INT(clock_now_ms(&c) - t0, 3600 * 1000);
}
