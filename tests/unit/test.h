/* test.h - the unit-test registry: TEST(name) defines a test that registers
 * itself; CHECK* macros report file:line and keep going. The runner
 * (tests/unit/main.c) prints failures and ends with "N passed, N failed".
 * Optional argument: a substring; only tests whose name contains it run. */
#ifndef SW_TEST_H
#define SW_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn_t)(void);
void test_register(const char *name, test_fn_t fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                        \
    static void test_##name(void);                                        \
    __attribute__((constructor)) static void test_reg_##name(void) {      \
        test_register(#name, test_##name);                                \
    }                                                                     \
    static void test_##name(void)

#define CHECK(cond)                                                       \
    do { if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECK_EQ_INT(a, b)                                                \
    do { long long a_ = (long long)(a), b_ = (long long)(b);              \
         if (a_ != b_) test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); } while (0)
#define CHECK_EQ_STR(a, b)                                                \
    do { const char *a_ = (a), *b_ = (b);                                 \
         if (!a_ || !b_ || strcmp(a_, b_) != 0)                           \
             test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

#endif
