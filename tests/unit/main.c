/* main.c - runs every registered unit test; see test.h. */
#include <stdarg.h>
#include <stdlib.h>
#include "test.h"

#define MAX_TESTS 4096

static struct { const char *name; test_fn_t fn; } tests[MAX_TESTS];
static int n_tests;
static int current_failed;
static const char *current_name;

void test_register(const char *name, test_fn_t fn) {
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[n_tests].name = name;
    tests[n_tests].fn = fn;
    n_tests++;
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stdout, "FAIL %s (%s:%d): ", current_name, file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    current_failed = 1;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (int i = 0; i < n_tests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]))
            continue;
        current_name = tests[i].name;
        current_failed = 0;
        tests[i].fn();
        if (current_failed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
