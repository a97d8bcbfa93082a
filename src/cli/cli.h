/* cli.h - shared pieces of the command-line front: one file per command
 * (run.c, test.c), this header for what they share (files, temporary data
 * directories, opening the engines). The CLI reaches the engines only
 * through their doors: ddb_call and sfn_run. */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <stdbool.h>
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "ddb/ddb.h"
#include "sfn/sfn.h"
#include "store/store.h"

/* Exit statuses of `stepwise run` (and the other commands). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,   /* execution failed or timed out; cases failed */
    CLI_EXIT_USAGE = 2     /* invalid usage, input or definition */
};

/* The engines over one data directory. */
typedef struct cli_engines {
    char *dir;          /* the data directory (malloc'd) */
    bool is_temporary;  /* removed by cli_engines_close */
    sw_clock_t clock;
    store_t *store;
    ddb_t *ddb;
    sfn_t *sfn;
} cli_engines_t;

/* Opens the engines over `dir`, or over a new temporary directory when
 * `dir` is NULL. */
int cli_engines_open(cli_engines_t *e, const char *dir, bool is_virtual_clock,
                     sw_error_t *err);
void cli_engines_close(cli_engines_t *e);

/* Reads a whole file into `a` (NUL-terminated). */
int cli_read_file(arena_t *a, const char *path, char **out, size_t *out_len,
                  sw_error_t *err);
/* Reads and parses a JSON file; errors name the file. */
json_t *cli_read_json(arena_t *a, const char *path, sw_error_t *err);

/* Runs an array of {"op": ..., "body": ...} DynamoDB requests through
 * ddb_call. With `tolerate_existing`, CreateTable of a table that exists is
 * reported on `log` (if not NULL) and skipped. */
int cli_run_setup(cli_engines_t *e, arena_t *a, const json_t *setup,
                  bool tolerate_existing, FILE *log, sw_error_t *err);

int cli_cmd_run(int argc, char **argv);
int cli_cmd_test(int argc, char **argv);
int cli_cmd_validate(int argc, char **argv);
int cli_cmd_serve(int argc, char **argv);

#endif
