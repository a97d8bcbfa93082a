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

PKGS := lmdb libcrypto libmicrohttpd zlib libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lcrypto -lmicrohttpd -lz -lcurl)

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

.SECONDARY:
.PHONY: all test unit cases test-plain test-san run-example setup clean fuzz fuzz-replay

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
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libstepwise.a $(LDLIBS_ALL) -ljansson

# Fuzz targets: tests/fuzz/fuzz_<name>.c, corpus in tests/fuzz/corpus/<name>/.
# `make test` replays the corpora with a plain driver; `make fuzz` builds the
# libFuzzer binaries with clang (FUZZ_SECONDS each).
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz_replay_%)
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz_replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libstepwise.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

fuzz-replay: $(FUZZ_REPLAY)
	@for n in $(FUZZ_NAMES); do $(BUILD)/fuzz_replay_$$n tests/fuzz/corpus/$$n || exit 1; done

fuzz:
	@mkdir -p $(BUILD)/fuzz
	@for n in $(FUZZ_NAMES); do \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	    tests/fuzz/fuzz_$$n.c $(LIB_SRC) -o $(BUILD)/fuzz/$$n $(LDLIBS_ALL) || exit 1; \
	  $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/$$n || exit 1; \
	done

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

cases: $(BUILD)/stepwise
	$(BUILD)/stepwise test --pending tests/cases/pending.txt tests/cases $(SHARED_CASES)

# The shared conformance cases sit beside the checkout (CI lays shared/
# there); a clone elsewhere runs without them, and says so.
SHARED_CASES := $(wildcard ../shared/cases)
ifeq ($(SHARED_CASES),)
$(info note: ../shared/cases not found: the shared conformance cases are not run)
endif

# The suite: plain build first, then the same under ASan/UBSan.
test: setup
	$(MAKE) test-plain
	$(MAKE) test-san

# Debian's pytest belongs to /usr/bin/python3, whatever python3 is first on PATH.
PYTEST := /usr/bin/python3 -m pytest -q -p no:cacheprovider

test-plain: $(BUILD)/stepwise $(BUILD)/unit_tests fuzz-replay
	$(BUILD)/unit_tests
	$(BUILD)/stepwise test --pending tests/cases/pending.txt tests/cases $(SHARED_CASES)
	$(BUILD)/stepwise test --serve $(BUILD)/stepwise --pending tests/cases/pending.txt tests/cases $(SHARED_CASES)
	STEPWISE=$(abspath $(BUILD)/stepwise) $(PYTEST) tests/cli
	STEPWISE_BIN=$(abspath $(BUILD)/stepwise) tests/e2e/run.sh
	STEPWISE_BIN=$(abspath $(BUILD)/stepwise) tests/e2e/js/run.sh
	STEPWISE_BIN=$(abspath $(BUILD)/stepwise) tests/crash/run.sh

test-san:
	$(MAKE) BUILD=$(BUILD)/san SAN=1 test-plain

# Runs the sample workflow twice on one data directory: the first run places
# the order, the second finds it there and takes the Catch branch.
run-example: setup
	$(MAKE) $(BUILD)/stepwise
	rm -rf $(BUILD)/example-data
	$(BUILD)/stepwise run examples/order.asl.json --input-file examples/order-input.json --setup examples/setup.json --data $(BUILD)/example-data
	$(BUILD)/stepwise run examples/order.asl.json --input-file examples/order-input.json --setup examples/setup.json --data $(BUILD)/example-data

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
