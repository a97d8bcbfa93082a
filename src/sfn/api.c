/* api.c - sfn_call: the Step Functions API door. The op table, the error
 * catalogue (wire names and HTTP statuses), request-field helpers shared by
 * the op files, and the execution operations (StartExecution,
 * StartSyncExecution, DescribeExecution, ListExecutions, StopExecution,
 * GetExecutionHistory, DescribeStateMachineForExecution). State machine
 * operations live in machines.c; running executions in exec.c/sched.c.
 *
 * Must not hold ASL semantics nor reach DynamoDB. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/hash.h"
#include "sfn/sfn_int.h"

/* ---- Error catalogue -------------------------------------------------- */

/* Every error sfn_call produces, with the HTTP status AWS sends with it. */
#define SFN_ERRORS(X)                          \
    X(ActivityDoesNotExist, 400)               \
    X(ActivityLimitExceeded, 400)              \
    X(ConflictException, 400)                  \
    X(ExecutionAlreadyExists, 400)             \
    X(ExecutionDoesNotExist, 400)              \
    X(ExecutionLimitExceeded, 400)             \
    X(InvalidArn, 400)                         \
    X(InvalidDefinition, 400)                  \
    X(InvalidExecutionInput, 400)              \
    X(InvalidLoggingConfiguration, 400)        \
    X(InvalidName, 400)                        \
    X(InvalidOutput, 400)                      \
    X(InvalidToken, 400)                       \
    X(InvalidTracingConfiguration, 400)        \
    X(MissingRequiredParameter, 400)           \
    X(ResourceNotFound, 400)                   \
    X(StateMachineAlreadyExists, 400)          \
    X(StateMachineDeleting, 400)               \
    X(StateMachineDoesNotExist, 400)           \
    X(StateMachineLimitExceeded, 400)          \
    X(StateMachineTypeNotSupported, 400)       \
    X(TaskDoesNotExist, 400)                   \
    X(TaskTimedOut, 400)                       \
    X(TooManyTags, 400)                        \
    X(ValidationException, 400)                \
    X(SerializationException, 400)             \
    X(UnknownOperationException, 400)          \
    X(InternalServerError, 500)

typedef enum sfn_error_code {
#define X(name, status) SFN_ERR_##name,
    SFN_ERRORS(X)
#undef X
    SFN_N_ERRORS
} sfn_error_code_t;

static const struct {
    const char *name;
    int status;
} sfn_errors[SFN_N_ERRORS] = {
#define X(name, status) [SFN_ERR_##name] = {#name, status},
    SFN_ERRORS(X)
#undef X
};

int sfn_error_status(const char *type) {
    if (!type)
        return 500;
    for (int i = 0; i < SFN_N_ERRORS; i++)
        if (strcmp(sfn_errors[i].name, type) == 0)
            return sfn_errors[i].status;
    return 400;
}

/* ---- Shared helpers --------------------------------------------------- */

json_t *sfn__epoch_json(arena_t *a, int64_t ms) {
    char text[40];
    snprintf(text, sizeof text, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    return json_new_num_text(a, text, strlen(text));
}

bool sfn__name_is_valid(const char *s, size_t len) {
    size_t n_chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            n_chars++;
        if (c <= 0x20 || c == 0x7f || strchr("<>{}[]?*\"#%\\^|~`$&,;:/", c))
            return false;
        /* U+0080..U+009F (C1 controls) are C2 80..C2 9F in UTF-8. */
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9F)
            return false;
    }
    return n_chars >= 1 && n_chars <= 80;
}

int sfn__req_str(const json_t *req, const char *key, bool is_required, const char **out,
                 sw_error_t *err) {
    const json_t *v = json_obj_get(req, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!is_required)
            return 0;
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value null at '%s' failed to satisfy "
                            "constraint: Member must not be null",
                            key);
    }
    switch (v->type) {
    case JSON_STRING:
        if (strlen(v->u.str) != v->len)
            return sw_error_set(err, "ValidationException",
                                "1 validation error detected: Value at '%s' failed to satisfy "
                                "constraint: Member must not contain NUL characters",
                                key);
        *out = v->u.str;
        return 0;
    case JSON_NUMBER:
        return sw_error_set(err, "SerializationException",
                            "NUMBER_VALUE can not be converted to a String");
    case JSON_TRUE:
    case JSON_FALSE:
        return sw_error_set(err, "SerializationException",
                            "%s can not be converted to a String",
                            v->type == JSON_TRUE ? "TRUE_VALUE" : "FALSE_VALUE");
    case JSON_ARRAY:
        return sw_error_set(err, "SerializationException",
                            "Start of list found where not expected");
    default:
        return sw_error_set(err, "SerializationException",
                            "Start of structure or map found where not expected.");
    }
}

int sfn__req_int(const json_t *req, const char *key, int64_t lo, int64_t hi, int64_t *out,
                 sw_error_t *err) {
    const json_t *v = json_obj_get(req, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_num(v) || !json_num_i64(v, out))
        return sw_error_set(err, "SerializationException",
                            "Unexpected value for %s: expected an integer", key);
    if (*out < lo)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value '%lld' at '%s' failed to "
                            "satisfy constraint: Member must have value greater than or equal "
                            "to %lld",
                            (long long)*out, key, (long long)lo);
    if (*out > hi)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value '%lld' at '%s' failed to "
                            "satisfy constraint: Member must have value less than or equal to "
                            "%lld",
                            (long long)*out, key, (long long)hi);
    return 0;
}

static int req_bool(const json_t *req, const char *key, bool dflt, bool *out, sw_error_t *err) {
    const json_t *v = json_obj_get(req, key);
    *out = dflt;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_bool(v))
        return sw_error_set(err, "SerializationException",
                            "Unexpected value for %s: expected a boolean", key);
    *out = v->type == JSON_TRUE;
    return 0;
}

int sfn__arn_parse(arena_t *a, const char *arn, const char *kind, const char **name,
                   sw_error_t *err) {
    const char *f[7];
    const char *p = arn;
    int n = 0;
    if (strncmp(arn, "arn:", 4) != 0)
        return sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: %s'", arn);
    /* arn:partition:service:region:account:type:rest */
    f[n++] = p;
    while (n < 7 && (p = strchr(p, ':'))) {
        p++;
        f[n++] = p;
    }
    if (n < 7 || strncmp(f[2], "states:", 7) != 0)
        return sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN: %s'", arn);
    if ((size_t)(f[6] - f[5] - 1) != strlen(kind) || strncmp(f[5], kind, strlen(kind)) != 0)
        return sw_error_set(err, "InvalidArn",
                            "Invalid Arn: 'Resource type not valid in this context: %.*s'",
                            (int)(f[6] - f[5] - 1), f[5]);
    {
        const char *rest = f[6], *colon = strchr(rest, ':');
        bool is_exec = strcmp(kind, "execution") == 0;
        size_t max = is_exec ? 80 * 4 * 2 + 1 : 80 * 4;
        if (!*rest || strlen(rest) > max || (is_exec ? !colon || strchr(colon + 1, ':') : !!colon))
            return sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN: %s'", arn);
        *name = arena_strdup(a, rest);
    }
    return 0;
}

/* ---- Executions ------------------------------------------------------- */

static const char *gen_name(sfn_t *sf, arena_t *a) {
    uint64_t x = (uint64_t)sfn__now_ms(sf) * 0x9E3779B97F4A7C15ull ^
                 __atomic_add_fetch(&sf->n_runs, 1, __ATOMIC_RELAXED) * 0xBF58476D1CE4E5B9ull;
    uint64_t y;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    y = x ^ (x >> 29);
    y *= 0xBF58476D1CE4E5B9ull;
    return arena_sprintf(a, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(x >> 32),
                         (unsigned)(x >> 16) & 0xffff, (unsigned)x & 0xfff,
                         (unsigned)(0x8000 | ((y >> 48) & 0x3fff)),
                         (unsigned long long)(y & 0xffffffffffffull));
}

static int start_common(sfn_t *sf, arena_t *a, const json_t *req, bool is_sync, json_t **resp,
                        sw_error_t *err) {
    const char *arn, *name, *input_text, *machine_name, *type;
    json_t *machine, *input;
    store_txn_t *txn;
    sw_error_t perr;
    if (sfn__req_str(req, "stateMachineArn", true, &arn, err) < 0 ||
        sfn__req_str(req, "name", false, &name, err) < 0 ||
        sfn__req_str(req, "input", false, &input_text, err) < 0 ||
        sfn__arn_parse(a, arn, "stateMachine", &machine_name, err) < 0)
        return -1;
    if (name && !sfn__name_is_valid(name, strlen(name)))
        return sw_error_set(err, "InvalidName", "Invalid Name: '%s'", name);
    if (!name)
        name = gen_name(sf, a);
    if (!input_text)
        input_text = "{}";
    if (strlen(input_text) > 262144)
        return sw_error_set(err, "InvalidExecutionInput",
                            "Invalid State Machine Execution Input: 'The input size exceeds "
                            "the maximum number of bytes service limit.'");
    input = json_parse(a, input_text, strlen(input_text), &perr);
    if (!input)
        return sw_error_set(err, "InvalidExecutionInput",
                            "Invalid State Machine Execution Input: '%s'", perr.msg);
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    machine = sfn__machine_get(txn, a, arn);
    store_txn_abort(txn);
    if (!machine)
        return sw_error_set(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'",
                            arn);
    type = json_obj_get_str(machine, "type");
    if (is_sync && strcmp(type, "EXPRESS") != 0)
        return sw_error_set(err, "StateMachineTypeNotSupported",
                            "This operation is not supported by this type of state machine");
    if (sfn__exec_start(sf, a, machine, name, input_text, input, is_sync, resp, err) < 0)
        return -1;
    if (!is_sync && strcmp(type, "STANDARD") == 0)
        sfn__sched_notify(sf, json_obj_get_str(*resp, "executionArn"));
    return 0;
}

static int op_start(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp, sw_error_t *err) {
    return start_common(sf, a, req, false, resp, err);
}

static int op_start_sync(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                         sw_error_t *err) {
    return start_common(sf, a, req, true, resp, err);
}

/* Loads the execution named by request member executionArn. */
static json_t *load_req_exec(sfn_t *sf, arena_t *a, const json_t *req, const char **arn,
                             sw_error_t *err) {
    const char *name;
    store_txn_t *txn;
    json_t *rec;
    if (sfn__req_str(req, "executionArn", true, arn, err) < 0 ||
        sfn__arn_parse(a, *arn, "execution", &name, err) < 0)
        return NULL;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return NULL;
    rec = sfn__exec_get(txn, a, *arn);
    store_txn_abort(txn);
    if (!rec)
        sw_error_set(err, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", *arn);
    return rec;
}

static json_t *included(arena_t *a) {
    json_t *d = json_new_obj(a);
    json_obj_set(a, d, "included", json_new_bool(a, true));
    return d;
}

static int op_describe_exec(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                            sw_error_t *err) {
    const char *arn, *status;
    json_t *rec = load_req_exec(sf, a, req, &arn, err), *out;
    int64_t ms = 0;
    if (!rec)
        return -1;
    status = json_obj_get_str(rec, "status");
    out = json_new_obj(a);
    json_obj_set(a, out, "executionArn", json_obj_get(rec, "executionArn"));
    json_obj_set(a, out, "stateMachineArn", json_obj_get(rec, "stateMachineArn"));
    json_obj_set(a, out, "name", json_obj_get(rec, "name"));
    json_obj_set(a, out, "status", json_obj_get(rec, "status"));
    json_num_i64(json_obj_get(rec, "startMs"), &ms);
    json_obj_set(a, out, "startDate", sfn__epoch_json(a, ms));
    if (json_num_i64(json_obj_get(rec, "stopMs"), &ms))
        json_obj_set(a, out, "stopDate", sfn__epoch_json(a, ms));
    json_obj_set(a, out, "input", json_obj_get(rec, "input"));
    json_obj_set(a, out, "inputDetails", included(a));
    if (strcmp(status, "SUCCEEDED") == 0 && json_obj_get(rec, "output")) {
        json_obj_set(a, out, "output", json_obj_get(rec, "output"));
        json_obj_set(a, out, "outputDetails", included(a));
    }
    if (json_obj_get(rec, "error"))
        json_obj_set(a, out, "error", json_obj_get(rec, "error"));
    if (json_obj_get(rec, "cause"))
        json_obj_set(a, out, "cause", json_obj_get(rec, "cause"));
    json_obj_set(a, out, "redriveCount", json_new_num_i64(a, 0));
    json_obj_set(a, out, "redriveStatus", json_new_strz(a, "NOT_REDRIVABLE"));
    if (strcmp(status, "RUNNING") == 0)
        json_obj_set(a, out, "redriveStatusReason",
                     json_new_strz(a, "Execution is RUNNING and cannot be redriven"));
    *resp = out;
    return 0;
}

static int op_describe_machine_for_exec(sfn_t *sf, arena_t *a, const json_t *req,
                                        json_t **resp, sw_error_t *err) {
    const char *arn;
    json_t *rec = load_req_exec(sf, a, req, &arn, err), *def, *out;
    store_txn_t *txn;
    int64_t ms = 0;
    if (!rec)
        return -1;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    def = sfn__exec_get_def(txn, a, arn);
    store_txn_abort(txn);
    if (!def)
        return sw_error_set(err, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn);
    out = json_new_obj(a);
    json_obj_set(a, out, "stateMachineArn", json_obj_get(rec, "stateMachineArn"));
    json_obj_set(a, out, "name", json_obj_get(def, "name"));
    json_obj_set(a, out, "definition", json_obj_get(def, "definition"));
    json_obj_set(a, out, "roleArn", json_obj_get(def, "roleArn"));
    json_num_i64(json_obj_get(def, "updateMs"), &ms);
    json_obj_set(a, out, "updateDate", sfn__epoch_json(a, ms));
    json_obj_set(a, out, "loggingConfiguration", json_obj_get(def, "loggingConfiguration"));
    json_obj_set(a, out, "tracingConfiguration", json_obj_get(def, "tracingConfiguration"));
    if (json_obj_get(def, "revisionId"))
        json_obj_set(a, out, "revisionId", json_obj_get(def, "revisionId"));
    *resp = out;
    return 0;
}

/* Seeded ("stepwis"), so that a token is ours, not any hash of POS; the
 * scope goes in, so a token serves only the request it came from. */
static uint64_t page_check(const char *scope, const char *s, size_t len) {
    uint64_t h = sw_fnv1a(scope, strlen(scope) + 1, 0x73746570776973ull);
    return sw_fnv1a(s, len, h);
}

json_t *sfn__page_token(arena_t *a, const char *scope, const char *pos, size_t len) {
    return json_new_strz(a, arena_sprintf(a, "%.*s:%016llx", (int)len, pos,
                                          (unsigned long long)page_check(scope, pos, len)));
}

int sfn__page_token_parse(arena_t *a, const char *scope, const char *token, const char **pos,
                          sw_error_t *err) {
    const char *colon = token ? strrchr(token, ':') : NULL;
    char check[17];
    size_t len;
    *pos = "";
    if (!token)
        return 0;
    len = colon ? (size_t)(colon - token) : 0;
    if (!colon || strlen(colon + 1) != 16 || len > 1024)
        return sw_error_set(err, "InvalidToken", "Invalid Token: '%s'", token);
    snprintf(check, sizeof check, "%016llx", (unsigned long long)page_check(scope, token, len));
    if (strcmp(check, colon + 1) != 0)
        return sw_error_set(err, "InvalidToken", "Invalid Token: '%s'", token);
    *pos = arena_strndup(a, token, len);
    return 0;
}

/* A GetExecutionHistory token: the index of the event to go on at (events
 * are only ever appended, so it stays put whichever way the pages go). */
static int parse_index_token(arena_t *a, const char *scope, const char *token, size_t *index,
                             sw_error_t *err) {
    const char *pos;
    char *end;
    unsigned long long v;
    *index = 0;
    if (sfn__page_token_parse(a, scope, token, &pos, err) < 0)
        return -1;
    if (!token)
        return 0;
    v = strtoull(pos, &end, 10);
    if (!*pos || *end || v > 100000000ull)
        return sw_error_set(err, "InvalidToken", "Invalid Token: '%s'", token);
    *index = (size_t)v;
    return 0;
}

static json_t *index_token(arena_t *a, const char *scope, size_t index) {
    char text[24];
    int n = snprintf(text, sizeof text, "%zu", index);
    return sfn__page_token(a, scope, text, (size_t)n);
}

typedef struct exec_row {
    int64_t start_ms;
    const char *arn;
    json_t *item;
} exec_row_t;

/* Newest first, as AWS lists executions; ties by ARN, so that the order is
 * total and a page token can name a place in it. */
static int cmp_row_at(const exec_row_t *r, int64_t start_ms, const char *arn) {
    if (r->start_ms != start_ms)
        return r->start_ms < start_ms ? 1 : -1;
    return strcmp(r->arn, arn);
}

static int cmp_rows(const void *x, const void *y) {
    const exec_row_t *b = y;
    return cmp_row_at(x, b->start_ms, b->arn);
}

static int op_list_exec(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                        sw_error_t *err) {
    const char *arn, *filter, *token, *machine_name, *scope, *pos;
    int64_t max, after_ms = 0;
    size_t off = 0, n_rows = 0, cap_rows = 16;
    char *after_arn = NULL;
    exec_row_t *rows = arena_alloc(a, cap_rows * sizeof *rows);
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len;
    const char *prefix;
    json_t *list = json_new_arr(a), *out = json_new_obj(a);
    bool ok;
    if (sfn__req_str(req, "stateMachineArn", true, &arn, err) < 0 ||
        sfn__req_str(req, "statusFilter", false, &filter, err) < 0 ||
        sfn__req_str(req, "nextToken", false, &token, err) < 0 ||
        sfn__req_int(req, "maxResults", 0, 1000, &max, err) < 0 ||
        sfn__arn_parse(a, arn, "stateMachine", &machine_name, err) < 0)
        return -1;
    /* The token names the last execution listed ("START_MS ARN"): the next
     * page starts after it wherever executions come and go meanwhile. */
    scope = arena_sprintf(a, "ListExecutions\n%s\n%s", arn, filter ? filter : "");
    if (sfn__page_token_parse(a, scope, token, &pos, err) < 0)
        return -1;
    if (token) {
        char *end;
        after_ms = strtoll(pos, &end, 10);
        if (*end != ' ')
            return sw_error_set(err, "InvalidToken", "Invalid Token: '%s'", token);
        after_arn = end + 1;
    }
    if (filter && strcmp(filter, "RUNNING") && strcmp(filter, "SUCCEEDED") &&
        strcmp(filter, "FAILED") && strcmp(filter, "TIMED_OUT") && strcmp(filter, "ABORTED") &&
        strcmp(filter, "PENDING_REDRIVE"))
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value '%s' at 'statusFilter' failed "
                            "to satisfy constraint: Member must satisfy enum value set: "
                            "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
                            filter);
    if (max == 0)
        max = 100;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    {
        const json_t *machine = sfn__machine_get(txn, a, arn);
        if (!machine) {
            store_txn_abort(txn);
            return sw_error_set(err, "StateMachineDoesNotExist",
                                "State Machine Does Not Exist: '%s'", arn);
        }
        /* Express executions are not recorded: AWS refuses to list them. */
        if (strcmp(json_obj_get_str(machine, "type"), "EXPRESS") == 0) {
            store_txn_abort(txn);
            return sw_error_set(err, "StateMachineTypeNotSupported",
                                "This operation is not supported by this type of state machine");
        }
    }
    prefix = arena_sprintf(a, "%sexecution:%s:", sf->arn_prefix, machine_name);
    if (store_cursor_open(txn, STORE_EXEC, &c, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    for (ok = store_cursor_seek(c, prefix, strlen(prefix), &k, &k_len, &v, &v_len); ok;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        json_t *rec, *item;
        sw_error_t perr;
        int64_t ms = 0;
        if (k_len < strlen(prefix) || memcmp(k, prefix, strlen(prefix)) != 0)
            break;
        if (memchr(k, 0, k_len))
            continue;  /* the definition snapshot */
        rec = json_parse(a, v, v_len, &perr);
        if (!rec || (filter && strcmp(json_obj_get_str(rec, "status"), filter) != 0))
            continue;
        item = json_new_obj(a);
        json_obj_set(a, item, "executionArn", json_obj_get(rec, "executionArn"));
        json_obj_set(a, item, "stateMachineArn", json_obj_get(rec, "stateMachineArn"));
        json_obj_set(a, item, "name", json_obj_get(rec, "name"));
        json_obj_set(a, item, "status", json_obj_get(rec, "status"));
        json_num_i64(json_obj_get(rec, "startMs"), &ms);
        json_obj_set(a, item, "startDate", sfn__epoch_json(a, ms));
        if (n_rows == cap_rows) {
            exec_row_t *nr = arena_alloc(a, cap_rows * 2 * sizeof *nr);
            memcpy(nr, rows, n_rows * sizeof *nr);
            rows = nr;
            cap_rows *= 2;
        }
        rows[n_rows].start_ms = ms;
        rows[n_rows].arn = json_obj_get_str(rec, "executionArn");
        if (json_num_i64(json_obj_get(rec, "stopMs"), &ms))
            json_obj_set(a, item, "stopDate", sfn__epoch_json(a, ms));
        rows[n_rows++].item = item;
    }
    store_cursor_close(c);
    store_txn_abort(txn);
    qsort(rows, n_rows, sizeof *rows, cmp_rows);
    while (after_arn && off < n_rows && cmp_row_at(&rows[off], after_ms, after_arn) <= 0)
        off++;
    for (size_t i = off; i < n_rows && (int64_t)list->len < max; i++)
        json_arr_push(a, list, rows[i].item);
    json_obj_set(a, out, "executions", list);
    if (off + list->len < n_rows) {
        const exec_row_t *last = &rows[off + list->len - 1];
        const char *at = arena_sprintf(a, "%lld %s", (long long)last->start_ms, last->arn);
        json_obj_set(a, out, "nextToken", sfn__page_token(a, scope, at, strlen(at)));
    }
    *resp = out;
    return 0;
}

/* The `error` (256 characters at most) and `cause` (32,768) of
 * StopExecution and SendTaskFailure. */
static int check_error_cause(const char *error, const char *cause, sw_error_t *err) {
    if (error && sfn__check_length("error", error, strlen(error), 0, 256, NULL, err) < 0)
        return -1;
    if (cause && sfn__check_length("cause", cause, strlen(cause), 0, 32768, NULL, err) < 0)
        return -1;
    return 0;
}

static int op_stop(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp, sw_error_t *err) {
    const char *arn, *error, *cause, *name;
    if (sfn__req_str(req, "executionArn", true, &arn, err) < 0 ||
        sfn__req_str(req, "error", false, &error, err) < 0 ||
        sfn__req_str(req, "cause", false, &cause, err) < 0 ||
        check_error_cause(error, cause, err) < 0 ||
        sfn__arn_parse(a, arn, "execution", &name, err) < 0)
        return -1;
    return sfn__exec_stop(sf, a, arn, error, cause, resp, err);
}

/* Drops input/output from an event's details (includeExecutionData false). */
static void strip_data(json_t *ev) {
    for (size_t i = 0; i < ev->len; i++) {
        json_t *d = ev->u.members[i].val;
        if (!json_is_obj(d))
            continue;
        json_obj_del(d, "input", 5);
        json_obj_del(d, "inputDetails", 12);
        json_obj_del(d, "output", 6);
        json_obj_del(d, "outputDetails", 13);
    }
}

static int op_history(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                      sw_error_t *err) {
    const char *arn, *token, *scope;
    int64_t max;
    bool is_reverse, is_data;
    size_t start, n = 0, cap = 64, alen, next;
    const char **texts = arena_alloc(a, cap * sizeof *texts);
    size_t *lens = arena_alloc(a, cap * sizeof *lens);
    unsigned char key[STORE_MAX_KEY];
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len;
    json_t *rec, *events = json_new_arr(a), *out = json_new_obj(a);
    bool ok;
    if (sfn__req_str(req, "nextToken", false, &token, err) < 0 ||
        sfn__req_int(req, "maxResults", 0, 1000, &max, err) < 0 ||
        req_bool(req, "reverseOrder", false, &is_reverse, err) < 0 ||
        req_bool(req, "includeExecutionData", true, &is_data, err) < 0)
        return -1;
    rec = load_req_exec(sf, a, req, &arn, err);
    if (!rec)
        return -1;
    scope = arena_sprintf(a, "GetExecutionHistory\n%s\n%s", arn, is_reverse ? "r" : "f");
    if (parse_index_token(a, scope, token, &start, err) < 0)
        return -1;
    if (max == 0)
        max = 100;
    alen = strlen(arn);
    if (alen + 5 > sizeof key)
        alen = sizeof key - 5;
    memcpy(key, arn, alen);
    key[alen] = 0;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    if (store_cursor_open(txn, STORE_HISTORY, &c, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    for (ok = store_cursor_seek(c, key, alen + 1, &k, &k_len, &v, &v_len); ok;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        if (k_len != alen + 5 || memcmp(k, key, alen + 1) != 0)
            break;
        if (n == cap) {
            const char **nt = arena_alloc(a, cap * 2 * sizeof *nt);
            size_t *nl = arena_alloc(a, cap * 2 * sizeof *nl);
            memcpy(nt, texts, n * sizeof *nt);
            memcpy(nl, lens, n * sizeof *nl);
            texts = nt;
            lens = nl;
            cap *= 2;
        }
        texts[n] = arena_strndup(a, v, v_len);
        lens[n++] = v_len;
    }
    store_cursor_close(c);
    store_txn_abort(txn);
    /* `next` counts down (reverseOrder) or up from the event to go on at,
     * the newest without a token; n means none is left. */
    if (!token)
        start = is_reverse ? (n ? n - 1 : n) : 0;
    if (start > n)
        start = n;
    for (next = start; next < n && (int64_t)events->len < max;
         next = is_reverse ? (next ? next - 1 : n) : next + 1) {
        sw_error_t perr;
        json_t *ev = json_parse(a, texts[next], lens[next], &perr);
        if (!ev)
            return sw_error_set(err, "InternalServerError", "corrupt history event: %s",
                                perr.msg);
        if (!is_data)
            strip_data(ev);
        json_arr_push(a, events, ev);
    }
    json_obj_set(a, out, "events", events);
    if (next < n)
        json_obj_set(a, out, "nextToken", index_token(a, scope, next));
    *resp = out;
    return 0;
}

/* ---- Activity workers and callbacks ---------------------------------- */

/* AWS holds GetActivityTask open up to 60 seconds. */
#define SFN_ACTIVITY_POLL_MS 60000

static int op_get_activity_task(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                                sw_error_t *err) {
    const char *arn, *worker, *name;
    store_txn_t *txn;
    json_t *act;
    int64_t until;
    struct timespec ts;
    if (sfn__req_str(req, "activityArn", true, &arn, err) < 0 ||
        sfn__req_str(req, "workerName", false, &worker, err) < 0 ||
        sfn__arn_parse(a, arn, "activity", &name, err) < 0)
        return -1;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    act = sfn__activity_get(txn, a, arn);
    store_txn_abort(txn);
    if (!act)
        return sw_error_set(err, "ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn);
    clock_gettime(CLOCK_REALTIME, &ts);
    until = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + SFN_ACTIVITY_POLL_MS;
    for (;;) {
        if (sfn__activity_poll(sf, a, arn, worker, resp, err) < 0)
            return -1;
        if (json_obj_get(*resp, "taskToken") || !sfn__sched_wait_activity(sf, until))
            return 0;
    }
}

static int op_send_task(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                        sw_error_t *err, const char *kind) {
    const char *token, *output = NULL, *error = NULL, *cause = NULL;
    if (sfn__req_str(req, "taskToken", true, &token, err) < 0)
        return -1;
    if (strcmp(kind, "success") == 0 &&
        (sfn__req_str(req, "output", true, &output, err) < 0 ||
         sfn__check_length("output", output, strlen(output), 0, 262144, NULL, err) < 0))
        return -1;
    if (strcmp(kind, "failure") == 0 && (sfn__req_str(req, "error", false, &error, err) < 0 ||
                                         sfn__req_str(req, "cause", false, &cause, err) < 0 ||
                                         check_error_cause(error, cause, err) < 0))
        return -1;
    return sfn__task_send(sf, a, token, strcmp(kind, "heartbeat") == 0, output, error, cause,
                          resp, err);
}

static int op_send_success(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                           sw_error_t *err) {
    return op_send_task(sf, a, req, resp, err, "success");
}

static int op_send_failure(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                           sw_error_t *err) {
    return op_send_task(sf, a, req, resp, err, "failure");
}

static int op_send_heartbeat(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                             sw_error_t *err) {
    return op_send_task(sf, a, req, resp, err, "heartbeat");
}

/* ---- The door --------------------------------------------------------- */

typedef int (*sfn_op_fn)(sfn_t *, arena_t *, const json_t *, json_t **, sw_error_t *);

static const struct {
    const char *name;
    sfn_op_fn fn;
    bool is_write;   /* its writes go through the group commit */
} exec_ops[] = {
    {"StartExecution", op_start, true},
    {"StartSyncExecution", op_start_sync, false},
    {"DescribeExecution", op_describe_exec, false},
    {"DescribeStateMachineForExecution", op_describe_machine_for_exec, false},
    {"ListExecutions", op_list_exec, false},
    {"StopExecution", op_stop, true},
    {"GetExecutionHistory", op_history, false},
    {"GetActivityTask", op_get_activity_task, false},
    {"SendTaskSuccess", op_send_success, true},
    {"SendTaskFailure", op_send_failure, true},
    {"SendTaskHeartbeat", op_send_heartbeat, true},
};

bool sfn_has_op(const char *op) {
    for (size_t i = 0; i < sizeof exec_ops / sizeof exec_ops[0]; i++)
        if (strcmp(exec_ops[i].name, op) == 0)
            return true;
    return sfn__machine_has_op(op);
}

bool sfn_op_is_write(const char *op) {
    for (size_t i = 0; i < sizeof exec_ops / sizeof exec_ops[0]; i++)
        if (strcmp(exec_ops[i].name, op) == 0)
            return exec_ops[i].is_write;
    return sfn__machine_op_is_write(op);
}

int sfn_call(sfn_t *sf, const char *op, const json_t *req, arena_t *a, json_t **resp,
             sw_error_t *err) {
    *resp = NULL;
    if (!json_is_obj(req))
        return sw_error_set(err, "SerializationException",
                            "Start of list found where not expected");
    if (!sf->store)
        return sw_error_set(err, "InternalServerError", "the engine has no store");
    for (size_t i = 0; i < sizeof exec_ops / sizeof exec_ops[0]; i++)
        if (strcmp(exec_ops[i].name, op) == 0)
            return exec_ops[i].fn(sf, a, req, resp, err);
    if (sfn__machine_has_op(op))
        return sfn__machine_op(sf, op, req, a, resp, err);
    return sw_error_set(err, "UnknownOperationException", "Unknown operation %s", op);
}
