# stepwise - one non-recursive Makefile.
#
#   make            build/stepwise (debug build with asserts, -O1)
#   make test       unit tests + conformance cases, plain and under ASan/UBSan
#   make run-example  the sample workflow in examples/
#   make BUILD=dir  put every output under dir (parallel builds in one tree)
#   make SAN=1      build with -fsanitize=address,undefined
#
# Every .c under src/<module>/ is part of libstepwise except src/cli/, which
# makes the binary; every .c under tests/unit/ is part of the unit runner.

BUILD ?= build
CC ?= cc
ifeq ($(CC),cc)
CC := gcc
endif

PKGS := lmdb libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lcrypto)

WARN := -Wall -Wextra -Werror -Wpedantic -Wstrict-prototypes \
        -Wmissing-prototypes -Wshadow -Wvla -Wwrite-strings -Wformat=2 \
        -Wimplicit-fallthrough
OPT ?= -O1 -g
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lpthread -lm $(LDLIBS)

ifeq ($(SAN),1)
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(sort $(wildcard src/base/*.c src/store/*.c src/ddb/*.c src/sfn/*.c src/net/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all test unit cases test-plain test-san run-example setup clean

all: $(BUILD)/stepwise

setup:
	@scripts/setup.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libstepwise.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/stepwise: $(CLI_OBJ) $(BUILD)/libstepwise.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libstepwise.a $(LDLIBS_ALL)

$(BUILD)/unit_tests: $(UNIT_OBJ) $(BUILD)/libstepwise.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libstepwise.a $(LDLIBS_ALL)

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

cases: $(BUILD)/stepwise
	$(BUILD)/stepwise test tests/cases $(wildcard ../shared/cases)

# The suite: plain build first, then the same under ASan/UBSan.
test: setup
	$(MAKE) test-plain
	$(MAKE) test-san

test-plain: $(BUILD)/stepwise $(BUILD)/unit_tests
	$(BUILD)/unit_tests
	$(BUILD)/stepwise test tests/cases $(wildcard ../shared/cases)

test-san:
	$(MAKE) BUILD=$(BUILD)/san SAN=1 test-plain

run-example: setup
	$(MAKE) $(BUILD)/stepwise
	$(BUILD)/stepwise run examples/order.asl.json --input-file examples/order-input.json --setup examples/setup.json --data $(BUILD)/example-data

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
