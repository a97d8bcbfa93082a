/* test_rand.c - random UUIDs have RFC 4122's version 4 shape. */
#include <string.h>

#include "../test.h"
#include "base/rand.h"

TEST(base_rand_uuid_v4_shape) {
    char u[SW_UUID_LEN + 1], v[SW_UUID_LEN + 1];
    sw_uuid_v4(u);
    sw_uuid_v4(v);
    CHECK_EQ_INT(strlen(u), SW_UUID_LEN);
    for (int i = 0; i < SW_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            CHECK(u[i] == '-');
        else
            CHECK(strchr("0123456789abcdef", u[i]) != NULL);
    }
    CHECK(u[14] == '4');                       /* version */
    CHECK(strchr("89ab", u[19]) != NULL);      /* variant 10xx */
    CHECK(strcmp(u, v) != 0);
}
