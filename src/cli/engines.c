/* engines.c - opening the engines over a data directory, reading input
 * files and running setup requests: what every command shares. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
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

int cli_engines_open(cli_engines_t *e, const char *dir, bool is_virtual_clock,
                     sw_error_t *err) {
    memset(e, 0, sizeof(*e));
    clock_init(&e->clock, is_virtual_clock);
    if (dir) {
        e->dir = strdup(dir);
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
    if (e->is_temporary && e->dir)
        nftw(e->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
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
        return sw_error_set(err, "InvalidInput", "setup[%zu] %s failed: %s: %s", i, op,
                            call_err.type, call_err.msg);
    }
    return 0;
}
