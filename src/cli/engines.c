/* engines.c - opening the engines over a data directory, reading input
 * files and running setup requests: what every command shares. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Creates the directories above `path` (the store creates `path` itself). */
static int make_parents(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* A temporary data directory must go even when the user stops the command
 * with Ctrl-C or SIGTERM. The handler may only use async-signal-safe calls,
 * so the paths are prepared in advance: LMDB keeps exactly two files in its
 * directory. One temporary directory exists at a time. */
static char temp_dir[4096], temp_data[4200], temp_lock[4200];
static volatile sig_atomic_t has_temp_dir;
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction saved_actions[3];

static void remove_temp_dir_and_reraise(int sig) {
    if (has_temp_dir) {
        unlink(temp_data);
        unlink(temp_lock);
        rmdir(temp_dir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_temp_dir(const char *dir) {
    snprintf(temp_dir, sizeof(temp_dir), "%s", dir);
    snprintf(temp_data, sizeof(temp_data), "%s/data.mdb", dir);
    snprintf(temp_lock, sizeof(temp_lock), "%s/lock.mdb", dir);
    has_temp_dir = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = remove_temp_dir_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
        sigaction(cleanup_signals[i], &sa, &saved_actions[i]);
}

static void unguard_temp_dir(void) {
    if (!has_temp_dir)
        return;
    for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
        sigaction(cleanup_signals[i], &saved_actions[i], NULL);
    has_temp_dir = 0;
}

int cli_engines_open(cli_engines_t *e, const char *dir, bool is_virtual_clock,
                     sw_error_t *err) {
    memset(e, 0, sizeof(*e));
    clock_init(&e->clock, is_virtual_clock);
    if (dir) {
        e->dir = strdup(dir);
        if (e->dir && make_parents(e->dir) < 0)
            return sw_error_set(err, "InvalidInput", "cannot create %s: %s", dir,
                                strerror(errno));
    } else {
        const char *tmp = getenv("TMPDIR");
        char tmpl[4096];
        snprintf(tmpl, sizeof(tmpl), "%s/stepwise-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmpl))
            return sw_error_set(err, "InternalServerError",
                                "cannot create a temporary data directory: %s",
                                strerror(errno));
        e->dir = strdup(tmpl);
        e->is_temporary = true;
        guard_temp_dir(tmpl);
    }
    if (!e->dir)
        abort();
    if (store_open(e->dir, &e->store, err) < 0)
        goto out_fail;
    if (ddb_open(e->store, &e->ddb, err) < 0)
        goto out_fail;
    if (sfn_open(e->store, e->ddb, &e->clock, &e->sfn, err) < 0)
        goto out_fail;
    return 0;
out_fail:
    cli_engines_close(e);
    return -1;
}

void cli_engines_close(cli_engines_t *e) {
    if (e->sfn)
        sfn_close(e->sfn);
    if (e->ddb)
        ddb_close(e->ddb);
    if (e->store)
        store_close(e->store);
    if (e->is_temporary && e->dir) {
        nftw(e->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        unguard_temp_dir();
    }
    free(e->dir);
    memset(e, 0, sizeof(*e));
}

int cli_read_file(arena_t *a, const char *path, char **out, size_t *out_len,
                  sw_error_t *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return sw_error_set(err, "InvalidInput", "cannot read %s: %s", path, strerror(errno));
    sw_buf_t b;
    buf_init(&b, a, (size_t)1 << 30);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed || b.overflow)
        return sw_error_set(err, "InvalidInput", "cannot read %s", path);
    *out = b.ptr ? b.ptr : arena_strdup(a, "");
    *out_len = b.len;
    return 0;
}

json_t *cli_read_json(arena_t *a, const char *path, sw_error_t *err) {
    char *text;
    size_t len;
    if (cli_read_file(a, path, &text, &len, err) < 0)
        return NULL;
    json_t *v = json_parse(a, text, len, err);
    if (!v) {
        char msg[SW_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        sw_error_set(err, "InvalidInput", "%s: %s", path, msg);
    }
    return v;
}

int cli_run_setup(cli_engines_t *e, arena_t *a, const json_t *setup,
                  bool tolerate_existing, FILE *log, sw_error_t *err) {
    if (!json_is_arr(setup))
        return sw_error_set(err, "InvalidInput",
                            "setup must be a JSON array of {\"op\": ..., \"body\": ...}");
    for (size_t i = 0; i < setup->len; i++) {
        const json_t *step = setup->u.items[i];
        const char *op = json_obj_get_str(step, "op");
        const json_t *body = json_obj_get(step, "body");
        if (!op || !json_is_obj(body))
            return sw_error_set(err, "InvalidInput",
                                "setup[%zu] needs \"op\" (a string) and \"body\" (an object)", i);
        json_t *resp;
        sw_error_t call_err;
        if (ddb_call(e->ddb, op, body, a, &resp, &call_err) == 0)
            continue;
        if (tolerate_existing && strcmp(op, "CreateTable") == 0 &&
            strcmp(call_err.type, "ResourceInUseException") == 0) {
            if (log)
                fprintf(log, "setup: table %s already exists in %s; kept as it is\n",
                        json_obj_get_str(body, "TableName"), e->dir);
            continue;
        }
        if (!ddb_has_op(op))   /* DynamoDB answers this one with no message */
            return sw_error_set(err, "InvalidInput",
                                "setup[%zu]: %s is not a DynamoDB operation "
                                "(UnknownOperationException)",
                                i, op);
        return sw_error_set(err, "InvalidInput", "setup[%zu] %s failed: %s: %s", i, op,
                            call_err.type, call_err.msg);
    }
    return 0;
}
