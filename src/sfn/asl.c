/* asl.c - Amazon States Language (JSONPath mode) parser and validator.
 *
 * Turns a definition (parsed JSON) into an immutable sfn_program_t (see
 * sfn_int.h) and reports every problem with AWS's codes and wording:
 *   Invalid State Machine Definition: 'CODE: message at /States/A, ...'
 * Path, template and Choice-rule syntax is delegated to path.h. Must not run
 * anything, read the clock or touch the store. */
#include <stdarg.h>
#include <string.h>
#include "base/hash.h"
#include "sfn/sfn_int.h"

#define ASL_MAX_DIAGS 64

typedef struct asl_name {
    const char *s;
    size_t len;
} asl_name_t;

typedef struct asl {
    arena_t *a;
    /* Every state name seen in the whole machine, branches included, for
     * DUPLICATE_STATE_NAME: an open-addressing hash set of cap_names
     * slots (a power of two, kept at most half full). */
    asl_name_t *names;
    size_t n_names, cap_names;
    sw_buf_t diags;       /* "CODE: msg at /loc" joined by ", " */
    int n_diags;
} asl_t;

/* State names are short, and only the index's spread matters. */
static uint64_t name_hash(const char *s, size_t len) {
    return sw_fnv1a(s, len, SW_FNV1A_BASIS);
}

static void diag(asl_t *c, const char *code, const char *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void diag(asl_t *c, const char *code, const char *loc, const char *fmt, ...) {
    char msg[SW_ERROR_MSG_MAX];
    va_list ap;
    if (c->n_diags >= ASL_MAX_DIAGS)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->n_diags++)
        buf_puts(&c->diags, ", ");
    buf_printf(&c->diags, "%s: %s", code, msg);
    if (loc)
        buf_printf(&c->diags, " at %s", loc[0] ? loc : "/");
}

#define SCHEMA "SCHEMA_VALIDATION_FAILED"

/* ---- Field tables ------------------------------------------------------ */

enum {
    F_PASS = 1 << SFN_STATE_PASS,
    F_TASK = 1 << SFN_STATE_TASK,
    F_CHOICE = 1 << SFN_STATE_CHOICE,
    F_WAIT = 1 << SFN_STATE_WAIT,
    F_SUCCEED = 1 << SFN_STATE_SUCCEED,
    F_FAIL = 1 << SFN_STATE_FAIL,
    F_PARALLEL = 1 << SFN_STATE_PARALLEL,
    F_MAP = 1 << SFN_STATE_MAP,
    F_ALL = 0xff
};

typedef struct field_rule {
    const char *name;
    unsigned types;
} field_rule_t;

static const field_rule_t state_fields[] = {
    {"Type", F_ALL},
    {"Comment", F_ALL},
    {"QueryLanguage", F_ALL},
    {"Next", F_PASS | F_TASK | F_WAIT | F_PARALLEL | F_MAP},
    {"End", F_PASS | F_TASK | F_WAIT | F_PARALLEL | F_MAP},
    {"InputPath", F_ALL & ~F_FAIL},
    {"OutputPath", F_ALL & ~F_FAIL},
    {"ResultPath", F_PASS | F_TASK | F_PARALLEL | F_MAP},
    {"Parameters", F_PASS | F_TASK | F_PARALLEL | F_MAP},
    {"ResultSelector", F_TASK | F_PARALLEL | F_MAP},
    {"Result", F_PASS},
    {"Assign", F_PASS | F_TASK | F_CHOICE | F_WAIT | F_PARALLEL | F_MAP},
    {"Resource", F_TASK},
    {"TimeoutSeconds", F_TASK},
    {"TimeoutSecondsPath", F_TASK},
    {"HeartbeatSeconds", F_TASK},
    {"HeartbeatSecondsPath", F_TASK},
    {"Credentials", F_TASK},
    {"Retry", F_TASK | F_PARALLEL | F_MAP},
    {"Catch", F_TASK | F_PARALLEL | F_MAP},
    {"Choices", F_CHOICE},
    {"Default", F_CHOICE},
    {"Seconds", F_WAIT},
    {"SecondsPath", F_WAIT},
    {"Timestamp", F_WAIT},
    {"TimestampPath", F_WAIT},
    {"Error", F_FAIL},
    {"ErrorPath", F_FAIL},
    {"Cause", F_FAIL},
    {"CausePath", F_FAIL},
    {"Branches", F_PARALLEL},
    {"Iterator", F_MAP},
    {"ItemProcessor", F_MAP},
    {"ItemsPath", F_MAP},
    {"ItemSelector", F_MAP},
    {"MaxConcurrency", F_MAP},
    {"MaxConcurrencyPath", F_MAP},
    {"ItemReader", F_MAP},
    {"ItemBatcher", F_MAP},
    {"ResultWriter", F_MAP},
    {"ToleratedFailurePercentage", F_MAP},
    {"ToleratedFailurePercentagePath", F_MAP},
    {"ToleratedFailureCount", F_MAP},
    {"ToleratedFailureCountPath", F_MAP},
    {"Label", F_MAP},
};

/* Fields of the JSONata query language. */
static const char *const jsonata_fields[] = {"Output", "Arguments", "Items", "Condition",
                                             NULL};

static const char *const type_names[] = {"Pass",    "Task", "Choice",   "Wait",
                                         "Succeed", "Fail", "Parallel", "Map"};

static const field_rule_t *field_find(const char *name) {
    for (size_t i = 0; i < sizeof state_fields / sizeof state_fields[0]; i++)
        if (strcmp(state_fields[i].name, name) == 0)
            return &state_fields[i];
    return NULL;
}

static bool is_jsonata_field(const char *name) {
    for (int i = 0; jsonata_fields[i]; i++)
        if (strcmp(jsonata_fields[i], name) == 0)
            return true;
    return false;
}

/* ---- Helpers --------------------------------------------------------- */

static char *loc_join(asl_t *c, const char *base, const char *field) {
    return arena_sprintf(c->a, "%s/%s", base, field);
}

/* Compiles the optional path `field` of `obj` (a Reference Path when
 * `is_reference`, else any Path): absent leaves *out NULL, JSON null sets
 * *is_null. */
static void compile_path_field(asl_t *c, const json_t *obj, const char *field,
                               const char *loc, bool is_reference, sfn_path_t **out,
                               bool *is_null) {
    const json_t *v = json_obj_get(obj, field);
    sw_error_t err;
    *out = NULL;
    if (is_null)
        *is_null = false;
    if (!v)
        return;
    if (json_is_null(v) && is_null) {
        *is_null = true;
        return;
    }
    if (!json_is_str(v)) {
        diag(c, SCHEMA, loc_join(c, loc, field), "Expected value of type: String");
        return;
    }
    if (sfn_path_compile(c->a, v->u.str, v->len, is_reference, out, &err) < 0) {
        diag(c, SCHEMA, loc_join(c, loc, field), "%s", err.msg);
        *out = NULL;
    }
}

static void compile_ref_path(asl_t *c, const json_t *obj, const char *field,
                             const char *loc, sfn_path_t **out, bool *is_null) {
    compile_path_field(c, obj, field, loc, true, out, is_null);
}

/* ResultPath (a state's or a Catcher's): a Reference Path into the state
 * input; the context object is read-only, so "$$..." cannot be one. */
static void compile_result_path(asl_t *c, const json_t *obj, const char *loc,
                                sfn_path_t **out, bool *is_null) {
    compile_ref_path(c, obj, "ResultPath", loc, out, is_null);
    if (*out && sfn_path_is_context(*out)) {
        diag(c, SCHEMA, loc_join(c, loc, "ResultPath"),
             "The value '%s' is not a valid Reference Path: ResultPath cannot address the "
             "context object ('$$')",
             sfn_path_text(*out));
        *out = NULL;
    }
}

static sfn_template_t *compile_template(asl_t *c, const json_t *obj, const char *field,
                                        const char *loc) {
    const json_t *v = json_obj_get(obj, field);
    sfn_template_t *t = NULL;
    sw_error_t err;
    if (!v)
        return NULL;
    if (sfn_template_compile(c->a, v, &t, &err) < 0) {
        diag(c, SCHEMA, loc_join(c, loc, field), "%s", err.msg);
        return NULL;
    }
    return t;
}

/* ErrorPath / CausePath: a reference path or an intrinsic call, compiled
 * as the template {"v.$": text}. */
/* ErrorPath / CausePath: a reference path or an intrinsic call. */
static sfn_expr_t *compile_dynamic_string(asl_t *c, const json_t *obj, const char *field,
                                          const char *loc) {
    const json_t *v = json_obj_get(obj, field);
    sfn_expr_t *e = NULL;
    sw_error_t err;
    if (!v)
        return NULL;
    if (!json_is_str(v)) {
        diag(c, SCHEMA, loc_join(c, loc, field), "Expected value of type: String");
        return NULL;
    }
    if (sfn_expr_compile(c->a, v->u.str, v->len, true, &e, &err) < 0) {
        diag(c, SCHEMA, loc_join(c, loc, field), "%s", err.msg);
        return NULL;
    }
    return e;
}

static bool get_int(asl_t *c, const json_t *obj, const char *field, const char *loc,
                    int64_t min, int64_t max, int64_t *out) {
    const json_t *v = json_obj_get(obj, field);
    int64_t n;
    if (!v)
        return false;
    if (!json_is_num(v) || !json_num_i64(v, &n)) {
        diag(c, SCHEMA, loc_join(c, loc, field), "Expected value of type: Integer");
        return false;
    }
    if (n < min) {
        diag(c, SCHEMA, loc_join(c, loc, field), "Minimum value is %lld", (long long)min);
        return false;
    }
    if (n > max) {
        diag(c, SCHEMA, loc_join(c, loc, field), "Maximum value is %lld", (long long)max);
        return false;
    }
    *out = n;
    return true;
}

static const char **compile_error_equals(asl_t *c, const json_t *obj, const char *loc,
                                         size_t *n_out, bool *has_all) {
    const json_t *ee = json_obj_get(obj, "ErrorEquals");
    const char **errs;
    char *eloc = loc_join(c, loc, "ErrorEquals");
    *n_out = 0;
    *has_all = false;
    if (!ee) {
        diag(c, SCHEMA, loc, "These fields are required: [ErrorEquals]");
        return NULL;
    }
    if (!json_is_arr(ee) || ee->len == 0) {
        diag(c, SCHEMA, eloc, "ErrorEquals must be a non-empty array of strings");
        return NULL;
    }
    errs = arena_alloc(c->a, ee->len * sizeof *errs);
    for (size_t i = 0; i < ee->len; i++) {
        const json_t *e = ee->u.items[i];
        if (!json_is_str(e)) {
            diag(c, SCHEMA, arena_sprintf(c->a, "%s[%zu]", eloc, i),
                 "Expected value of type: String");
            return NULL;
        }
        errs[i] = e->u.str;
        if (strcmp(e->u.str, "States.ALL") == 0)
            *has_all = true;
    }
    if (*has_all && ee->len > 1)
        diag(c, SCHEMA, eloc,
             "States.ALL must appear alone in ErrorEquals, without other error names");
    *n_out = ee->len;
    return errs;
}

static void compile_retry(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    const json_t *r = json_obj_get(obj, "Retry");
    char *rloc = loc_join(c, loc, "Retry");
    static const char *const fields[] = {"ErrorEquals",     "IntervalSeconds", "MaxAttempts",
                                         "BackoffRate",     "MaxDelaySeconds", "JitterStrategy",
                                         "Comment",         NULL};
    if (!r)
        return;
    if (!json_is_arr(r)) {
        diag(c, SCHEMA, rloc, "Expected value of type: Array");
        return;
    }
    st->retriers = arena_zalloc(c->a, (r->len + 1) * sizeof *st->retriers);
    st->n_retriers = r->len;
    for (size_t i = 0; i < r->len; i++) {
        const json_t *ro = r->u.items[i];
        sfn_retrier_t *rt = &st->retriers[i];
        char *iloc = arena_sprintf(c->a, "%s[%zu]", rloc, i);
        bool has_all;
        int64_t n;
        const json_t *v;
        rt->interval_ms = 1000;
        rt->max_attempts = 3;
        rt->backoff_rate = 2.0;
        if (!json_is_obj(ro)) {
            diag(c, SCHEMA, iloc, "Expected value of type: Object");
            continue;
        }
        for (size_t m = 0; m < ro->len; m++) {
            bool ok = false;
            for (int k = 0; fields[k]; k++)
                ok |= strcmp(fields[k], ro->u.members[m].key) == 0;
            if (!ok)
                diag(c, SCHEMA, iloc, "The field \"%s\" is not supported by Step Functions",
                     ro->u.members[m].key);
        }
        rt->errors = compile_error_equals(c, ro, iloc, &rt->n_errors, &has_all);
        if (has_all && i + 1 != r->len)
            diag(c, SCHEMA, iloc, "States.ALL must be the last retrier");
        if (get_int(c, ro, "IntervalSeconds", iloc, 1, 99999999, &n))
            rt->interval_ms = n * 1000;
        if (get_int(c, ro, "MaxAttempts", iloc, 0, 99999999, &n))
            rt->max_attempts = (int)n;
        if (get_int(c, ro, "MaxDelaySeconds", iloc, 1, 31622400, &n))
            rt->max_delay_ms = n * 1000;
        v = json_obj_get(ro, "BackoffRate");
        if (v) {
            if (!json_is_num(v))
                diag(c, SCHEMA, loc_join(c, iloc, "BackoffRate"),
                     "Expected value of type: Number");
            else if (json_num_double(v) < 1.0)
                diag(c, SCHEMA, loc_join(c, iloc, "BackoffRate"), "Minimum value is 1.0");
            else
                rt->backoff_rate = json_num_double(v);
        }
        v = json_obj_get(ro, "JitterStrategy");
        if (v) {
            if (json_is_str(v) && strcmp(v->u.str, "FULL") == 0)
                rt->is_jitter_full = true;
            else if (!json_is_str(v) || strcmp(v->u.str, "NONE") != 0)
                diag(c, SCHEMA, loc_join(c, iloc, "JitterStrategy"),
                     "Value must be one of [FULL, NONE]");
        }
    }
}

static void compile_catch(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    const json_t *r = json_obj_get(obj, "Catch");
    char *cloc = loc_join(c, loc, "Catch");
    static const char *const fields[] = {"ErrorEquals", "Next", "ResultPath", "Comment",
                                         NULL};
    if (!r)
        return;
    if (!json_is_arr(r)) {
        diag(c, SCHEMA, cloc, "Expected value of type: Array");
        return;
    }
    st->catchers = arena_zalloc(c->a, (r->len + 1) * sizeof *st->catchers);
    st->n_catchers = r->len;
    for (size_t i = 0; i < r->len; i++) {
        const json_t *co = r->u.items[i];
        sfn_catcher_t *ct = &st->catchers[i];
        char *iloc = arena_sprintf(c->a, "%s[%zu]", cloc, i);
        bool has_all;
        const char *next;
        ct->next = -1;
        if (!json_is_obj(co)) {
            diag(c, SCHEMA, iloc, "Expected value of type: Object");
            continue;
        }
        for (size_t m = 0; m < co->len; m++) {
            bool ok = false;
            for (int k = 0; fields[k]; k++)
                ok |= strcmp(fields[k], co->u.members[m].key) == 0;
            if (!ok)
                diag(c, SCHEMA, iloc, "The field \"%s\" is not supported by Step Functions",
                     co->u.members[m].key);
        }
        ct->errors = compile_error_equals(c, co, iloc, &ct->n_errors, &has_all);
        if (has_all && i + 1 != r->len)
            diag(c, SCHEMA, iloc, "States.ALL must be the last catcher");
        next = json_obj_get_str(co, "Next");
        if (!next)
            diag(c, SCHEMA, iloc, "These fields are required: [Next]");
        ct->next_name = next;
        compile_result_path(c, co, iloc, &ct->result_path, &ct->is_result_path_null);
    }
}

/* A literal field and its ...Path variant exclude each other. */
static void one_of(asl_t *c, const json_t *obj, const char *field, const char *loc) {
    char *path_field = arena_sprintf(c->a, "%sPath", field);
    if (json_obj_get(obj, field) && json_obj_get(obj, path_field))
        diag(c, SCHEMA, loc, "There should only be one of the following fields: [%s, %s]",
             field, path_field);
}

static void compile_task(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    const json_t *res = json_obj_get(obj, "Resource");
    sw_error_t err;
    int64_t n, hb;
    sfn_path_t *unused;
    one_of(c, obj, "TimeoutSeconds", loc);
    one_of(c, obj, "HeartbeatSeconds", loc);
    /* Accepted and checked; tasks run synchronously, so no timer uses them. */
    compile_ref_path(c, obj, "TimeoutSecondsPath", loc, &unused, NULL);
    compile_ref_path(c, obj, "HeartbeatSecondsPath", loc, &unused, NULL);
    if (!res) {
        diag(c, SCHEMA, loc, "These fields are required: [Resource]");
        return;
    }
    if (!json_is_str(res)) {
        diag(c, SCHEMA, loc_join(c, loc, "Resource"), "Expected value of type: String");
        return;
    }
    st->resource = res->u.str;
    if (sfn__task_resolve(c->a, res->u.str, &st->task_kind, &st->task_op, &st->task_action,
                          &err) < 0)
        diag(c, SCHEMA, loc_join(c, loc, "Resource"), "%s", err.msg);
    if (get_int(c, obj, "TimeoutSeconds", loc, 1, 99999999, &n))
        st->timeout_s = n;
    if (get_int(c, obj, "HeartbeatSeconds", loc, 1, 99999999, &hb))
        st->heartbeat_s = hb;
    if (st->heartbeat_s && st->timeout_s && st->heartbeat_s >= st->timeout_s)
        diag(c, SCHEMA, loc_join(c, loc, "HeartbeatSeconds"),
             "HeartbeatSeconds must be smaller than TimeoutSeconds");
}

static void compile_wait(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    int count = 0;
    const json_t *ts = json_obj_get(obj, "Timestamp");
    if (json_obj_get(obj, "Seconds")) {
        count++;
        st->has_seconds = get_int(c, obj, "Seconds", loc, 0, 99999999, &st->seconds);
    }
    if (ts) {
        count++;
        if (!json_is_str(ts) || !clock_parse_iso(ts->u.str, ts->len, &st->timestamp_ms))
            diag(c, SCHEMA, loc_join(c, loc, "Timestamp"),
                 "String does not match RFC3339 timestamp");
        else
            st->has_timestamp = true;
    }
    if (json_obj_get(obj, "SecondsPath")) {
        count++;
        compile_ref_path(c, obj, "SecondsPath", loc, &st->seconds_path, NULL);
    }
    if (json_obj_get(obj, "TimestampPath")) {
        count++;
        compile_ref_path(c, obj, "TimestampPath", loc, &st->timestamp_path, NULL);
    }
    if (count != 1)
        diag(c, SCHEMA, loc,
             "Exactly one of these fields must be provided: [Seconds, SecondsPath, "
             "Timestamp, TimestampPath]");
}

static void compile_fail(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    const json_t *e = json_obj_get(obj, "Error"), *ca = json_obj_get(obj, "Cause");
    if (e && json_obj_get(obj, "ErrorPath"))
        diag(c, SCHEMA, loc,
             "There should only be one of the following fields: [Error, ErrorPath]");
    if (ca && json_obj_get(obj, "CausePath"))
        diag(c, SCHEMA, loc,
             "There should only be one of the following fields: [Cause, CausePath]");
    if (e) {
        if (json_is_str(e))
            st->error = e->u.str;
        else
            diag(c, SCHEMA, loc_join(c, loc, "Error"), "Expected value of type: String");
    }
    if (ca) {
        if (json_is_str(ca))
            st->cause = ca->u.str;
        else
            diag(c, SCHEMA, loc_join(c, loc, "Cause"), "Expected value of type: String");
    }
    st->error_expr = compile_dynamic_string(c, obj, "ErrorPath", loc);
    st->cause_expr = compile_dynamic_string(c, obj, "CausePath", loc);
}

static void compile_choice(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    const json_t *ch = json_obj_get(obj, "Choices");
    const json_t *def = json_obj_get(obj, "Default");
    char *cloc = loc_join(c, loc, "Choices");
    st->default_next = -1;
    if (def) {
        if (json_is_str(def))
            st->default_name = def->u.str;
        else
            diag(c, SCHEMA, loc_join(c, loc, "Default"), "Expected value of type: String");
    }
    if (!ch) {
        diag(c, SCHEMA, loc, "These fields are required: [Choices]");
        return;
    }
    if (!json_is_arr(ch) || ch->len == 0) {
        diag(c, SCHEMA, cloc, "Choices must be a non-empty array");
        return;
    }
    st->choices = arena_zalloc(c->a, ch->len * sizeof *st->choices);
    st->n_choices = ch->len;
    for (size_t i = 0; i < ch->len; i++) {
        sw_error_t err;
        sfn_choice_t *cr = &st->choices[i];
        cr->next = -1;
        if (sfn_rule_compile(c->a, ch->u.items[i], true, &cr->rule, &cr->next_name, &err) <
            0) {
            diag(c, err.type ? err.type : SCHEMA, arena_sprintf(c->a, "%s[%zu]", cloc, i),
                 "%s", err.msg);
            cr->rule = NULL;
        }
    }
}

static sfn_program_t *compile_program(asl_t *c, const json_t *def, const char *loc,
                                      bool is_top, const char *container);

static void compile_parallel(asl_t *c, sfn_state_t *st, const json_t *obj,
                             const char *loc) {
    const json_t *br = json_obj_get(obj, "Branches");
    char *bloc = loc_join(c, loc, "Branches");
    if (!br) {
        diag(c, SCHEMA, loc, "These fields are required: [Branches]");
        return;
    }
    if (!json_is_arr(br) || br->len == 0) {
        diag(c, SCHEMA, bloc, "Branches must be a non-empty array");
        return;
    }
    st->branches = arena_zalloc(c->a, br->len * sizeof *st->branches);
    st->n_branches = br->len;
    for (size_t i = 0; i < br->len; i++)
        st->branches[i] = compile_program(c, br->u.items[i],
                                          arena_sprintf(c->a, "%s[%zu]", bloc, i), false,
                                          "Branches");
}

static void compile_map(asl_t *c, sfn_state_t *st, const json_t *obj, const char *loc) {
    const json_t *ip = json_obj_get(obj, "ItemProcessor");
    const char *field = "ItemProcessor";
    int64_t n;
    if (!ip) {
        ip = json_obj_get(obj, "Iterator");
        field = "Iterator";
    } else if (json_obj_get(obj, "Iterator")) {
        diag(c, SCHEMA, loc,
             "There should only be one of the following fields: [Iterator, ItemProcessor]");
    }
    if (!ip) {
        diag(c, SCHEMA, loc, "These fields are required: [ItemProcessor]");
    } else {
        st->iterator = compile_program(c, ip, loc_join(c, loc, field), false, field);
    }
    if (json_obj_get(obj, "ItemSelector") && json_obj_get(obj, "Parameters"))
        diag(c, SCHEMA, loc,
             "There should only be one of the following fields: [Parameters, ItemSelector]");
    if (json_obj_get(obj, "ItemSelector"))
        st->parameters = compile_template(c, obj, "ItemSelector", loc);
    if (json_obj_get(obj, "ItemReader"))
        diag(c, SCHEMA, loc_join(c, loc, "ItemReader"),
             "ItemReader (distributed Map) is not supported by stepwise yet");
    compile_ref_path(c, obj, "ItemsPath", loc, &st->items_path, NULL);
    {
        sfn_path_t *unused;
        compile_ref_path(c, obj, "MaxConcurrencyPath", loc, &unused, NULL);
    }
    one_of(c, obj, "MaxConcurrency", loc);
    one_of(c, obj, "ToleratedFailurePercentage", loc);
    one_of(c, obj, "ToleratedFailureCount", loc);
    if (get_int(c, obj, "MaxConcurrency", loc, 0, 99999999, &n))
        st->max_concurrency = (int)n;
}

static void compile_state(asl_t *c, sfn_state_t *st, const char *name, const json_t *obj,
                          const char *loc) {
    const json_t *type = json_obj_get(obj, "Type");
    const json_t *next, *end;
    unsigned bit;
    int t = -1;
    st->name = name;
    st->next = -1;
    st->default_next = -1;
    if (!json_is_obj(obj)) {
        diag(c, SCHEMA, loc, "Expected value of type: Object");
        return;
    }
    if (!type) {
        diag(c, SCHEMA, loc, "These fields are required: [Type]");
        return;
    }
    for (int i = 0; json_is_str(type) && i < 8; i++)
        if (strcmp(type->u.str, type_names[i]) == 0)
            t = i;
    if (t < 0) {
        diag(c, SCHEMA, loc_join(c, loc, "Type"),
             "Value is not one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]");
        return;
    }
    st->type = (sfn_state_type_t)t;
    st->type_name = type_names[t];
    bit = 1u << t;

    /* Every member must be a field this state type supports. */
    for (size_t m = 0; m < obj->len; m++) {
        const char *key = obj->u.members[m].key;
        const field_rule_t *f = field_find(key);
        if (is_jsonata_field(key))
            diag(c, SCHEMA, loc,
                 "The QueryLanguage is set to 'JSONPath', but field '%s' is only supported "
                 "for the 'JSONata' QueryLanguage",
                 key);
        else if (!f)
            diag(c, SCHEMA, loc, "The field \"%s\" is not supported by Step Functions", key);
        else if (!(f->types & bit))
            diag(c, SCHEMA, loc, "Field '%s' is not supported", key);
    }
    if (json_obj_get(obj, "Assign"))
        diag(c, SCHEMA, loc_join(c, loc, "Assign"),
             "Variables (Assign) are not supported by stepwise yet");
    {
        const json_t *ql = json_obj_get(obj, "QueryLanguage");
        if (ql && (!json_is_str(ql) || strcmp(ql->u.str, "JSONPath") != 0))
            diag(c, SCHEMA, loc_join(c, loc, "QueryLanguage"),
                 "QueryLanguage 'JSONata' is not supported by stepwise yet");
    }

    /* Transitions. */
    next = json_obj_get(obj, "Next");
    end = json_obj_get(obj, "End");
    if (bit & (F_PASS | F_TASK | F_WAIT | F_PARALLEL | F_MAP)) {
        if (next && !json_is_str(next))
            diag(c, SCHEMA, loc_join(c, loc, "Next"), "Expected value of type: String");
        if (end && !json_is_bool(end))
            diag(c, SCHEMA, loc_join(c, loc, "End"), "Expected value of type: Boolean");
        if (next && end && json_is_str(next) && end->type == JSON_TRUE)
            diag(c, SCHEMA, loc, "Only one of Next or End can be provided");
        else if ((!next || !json_is_str(next)) && (!end || end->type != JSON_TRUE))
            diag(c, SCHEMA, loc, "Exactly one of these fields must be provided: [Next, End]");
        if (json_is_str(next))
            st->next_name = next->u.str;
        else
            st->is_end = end && end->type == JSON_TRUE;
    } else if (t == SFN_STATE_SUCCEED || t == SFN_STATE_FAIL) {
        st->is_end = true;
    }

    /* InputPath and OutputPath are Paths (filters, wildcards allowed: the
     * ASL spec and AWS's paths page); ResultPath is a Reference Path. */
    compile_path_field(c, obj, "InputPath", loc, false, &st->input_path,
                       &st->is_input_path_null);
    compile_path_field(c, obj, "OutputPath", loc, false, &st->output_path,
                       &st->is_output_path_null);
    compile_result_path(c, obj, loc, &st->result_path, &st->is_result_path_null);
    if (t != SFN_STATE_MAP || !json_obj_get(obj, "ItemSelector"))
        st->parameters = compile_template(c, obj, "Parameters", loc);
    st->result_selector = compile_template(c, obj, "ResultSelector", loc);
    st->result = json_obj_get(obj, "Result");

    switch (st->type) {
    case SFN_STATE_TASK:
        compile_task(c, st, obj, loc);
        break;
    case SFN_STATE_CHOICE:
        compile_choice(c, st, obj, loc);
        break;
    case SFN_STATE_WAIT:
        compile_wait(c, st, obj, loc);
        break;
    case SFN_STATE_FAIL:
        compile_fail(c, st, obj, loc);
        break;
    case SFN_STATE_PARALLEL:
        compile_parallel(c, st, obj, loc);
        break;
    case SFN_STATE_MAP:
        compile_map(c, st, obj, loc);
        break;
    case SFN_STATE_PASS:
    case SFN_STATE_SUCCEED:
        break;
    }
    compile_retry(c, st, obj, loc);
    compile_catch(c, st, obj, loc);
}

/* Builds p->name_slots over p->states (names are unique in a program:
 * the JSON parser keeps one member per key). */
static void index_names(arena_t *a, sfn_program_t *p) {
    size_t n = 16;
    while (n < 2 * p->n_states)
        n *= 2;
    p->name_slots = arena_alloc(a, n * sizeof *p->name_slots);
    p->n_slots = n;
    for (size_t i = 0; i < n; i++)
        p->name_slots[i] = -1;
    for (size_t i = 0; i < p->n_states; i++) {
        const char *name = p->states[i].name;
        size_t k;
        if (!name)
            continue;
        k = name_hash(name, strlen(name)) & (n - 1);
        while (p->name_slots[k] >= 0) {
            if (strcmp(p->states[p->name_slots[k]].name, name) == 0)
                break;
            k = (k + 1) & (n - 1);
        }
        if (p->name_slots[k] < 0)
            p->name_slots[k] = (int)i;
    }
}

int sfn__program_find(const sfn_program_t *p, const char *name) {
    size_t k;
    if (!name || !p->name_slots)
        return -1;
    k = name_hash(name, strlen(name)) & (p->n_slots - 1);
    for (int i; (i = p->name_slots[k]) >= 0; k = (k + 1) & (p->n_slots - 1))
        if (strcmp(p->states[i].name, name) == 0)
            return i;
    return -1;
}

/* Resolves one transition target; reports it when missing. */
static int resolve(asl_t *c, const sfn_program_t *p, const char *name, const char *loc) {
    int i;
    if (!name)
        return -1;
    i = sfn__program_find(p, name);
    if (i < 0)
        diag(c, "MISSING_TRANSITION_TARGET", loc, "Missing 'Next' target: %s", name);
    return i;
}

/* Marks every state reachable from `start`. Iterative (a chain of
 * thousands of states must not recurse that deep): each state is pushed
 * at most once, so the stack never holds more than n_states entries. */
static void mark(arena_t *a, const sfn_program_t *p, int start, bool *seen) {
    int *stack = arena_alloc(a, (p->n_states + 1) * sizeof *stack);
    size_t n = 0;
#define MARK_PUSH(j)                                   \
    do {                                               \
        int j_ = (j);                                  \
        if (j_ >= 0 && !seen[j_]) {                    \
            seen[j_] = true;                           \
            stack[n++] = j_;                           \
        }                                              \
    } while (0)
    MARK_PUSH(start);
    while (n > 0) {
        const sfn_state_t *st = &p->states[stack[--n]];
        MARK_PUSH(st->next);
        MARK_PUSH(st->default_next);
        for (size_t k = 0; k < st->n_choices; k++)
            MARK_PUSH(st->choices[k].next);
        for (size_t k = 0; k < st->n_catchers; k++)
            MARK_PUSH(st->catchers[k].next);
    }
#undef MARK_PUSH
}

/* State names are unique across the whole machine, branches included. */
static void note_name(asl_t *c, const json_member_t *m, const char *loc) {
    size_t k;
    if (2 * (c->n_names + 1) > c->cap_names) {
        size_t cap = c->cap_names ? c->cap_names * 2 : 64;
        asl_name_t *n = arena_zalloc(c->a, cap * sizeof *n);
        for (size_t i = 0; i < c->cap_names; i++) {
            const asl_name_t *old = &c->names[i];
            if (!old->s)
                continue;
            k = name_hash(old->s, old->len) & (cap - 1);
            while (n[k].s)
                k = (k + 1) & (cap - 1);
            n[k] = *old;
        }
        c->names = n;
        c->cap_names = cap;
    }
    k = name_hash(m->key, m->key_len) & (c->cap_names - 1);
    for (; c->names[k].s; k = (k + 1) & (c->cap_names - 1)) {
        if (c->names[k].len == m->key_len && memcmp(c->names[k].s, m->key, m->key_len) == 0) {
            diag(c, "DUPLICATE_STATE_NAME", loc, "Duplicate State name: %s", m->key);
            return;
        }
    }
    c->names[k].s = m->key;
    c->names[k].len = m->key_len;
    c->n_names++;
}

static sfn_program_t *compile_program(asl_t *c, const json_t *def, const char *loc,
                                      bool is_top, const char *container) {
    sfn_program_t *p = arena_zalloc(c->a, sizeof *p);
    const json_t *states, *start;
    bool has_terminal = false, *seen;
    p->start = -1;
    if (!json_is_obj(def)) {
        diag(c, SCHEMA, loc, "Expected value of type: Object");
        return p;
    }
    for (size_t m = 0; m < def->len; m++) {
        const char *key = def->u.members[m].key;
        bool ok = strcmp(key, "StartAt") == 0 || strcmp(key, "States") == 0 ||
                  strcmp(key, "Comment") == 0;
        if (is_top)
            ok |= strcmp(key, "Version") == 0 || strcmp(key, "TimeoutSeconds") == 0 ||
                  strcmp(key, "QueryLanguage") == 0;
        if (strcmp(container, "ItemProcessor") == 0)
            ok |= strcmp(key, "ProcessorConfig") == 0;
        if (!ok)
            diag(c, SCHEMA, loc, "The field \"%s\" is not supported by Step Functions", key);
    }
    if (is_top) {
        const json_t *ql = json_obj_get(def, "QueryLanguage");
        int64_t n;
        if (ql && (!json_is_str(ql) || strcmp(ql->u.str, "JSONPath") != 0))
            diag(c, SCHEMA, loc_join(c, loc, "QueryLanguage"),
                 "QueryLanguage 'JSONata' is not supported by stepwise yet");
        if (get_int(c, def, "TimeoutSeconds", loc, 1, 99999999, &n))
            p->timeout_s = n;
    }
    start = json_obj_get(def, "StartAt");
    states = json_obj_get(def, "States");
    if (!start || !states) {
        diag(c, SCHEMA, loc, "These fields are required: [%s]",
             !start && !states ? "StartAt, States" : !start ? "StartAt" : "States");
        return p;
    }
    if (!json_is_str(start)) {
        diag(c, SCHEMA, loc_join(c, loc, "StartAt"), "Expected value of type: String");
        return p;
    }
    if (!json_is_obj(states) || states->len == 0) {
        diag(c, SCHEMA, loc_join(c, loc, "States"), "States must be a non-empty object");
        return p;
    }
    p->n_states = states->len;
    p->states = arena_zalloc(c->a, states->len * sizeof *p->states);
    for (size_t i = 0; i < states->len; i++) {
        const json_member_t *m = &states->u.members[i];
        char *sloc = arena_sprintf(c->a, "%s/States/%s", loc, m->key);
        if (m->key_len == 0 || m->key_len > 80)
            diag(c, "INVALID_STATE_NAME", sloc, "State names must be 1 to 80 characters long");
        note_name(c, m, sloc);
        compile_state(c, &p->states[i], m->key, m->val, sloc);
    }
    index_names(c->a, p);

    /* Resolve transitions (AWS reports them all as 'Next' targets). */
    p->start = resolve(c, p, start->u.str, loc_join(c, loc, "StartAt"));
    for (size_t i = 0; i < p->n_states; i++) {
        sfn_state_t *st = &p->states[i];
        char *sloc = arena_sprintf(c->a, "%s/States/%s", loc, st->name);
        st->next = resolve(c, p, st->next_name, loc_join(c, sloc, "Next"));
        st->default_next = resolve(c, p, st->default_name, loc_join(c, sloc, "Default"));
        for (size_t k = 0; k < st->n_choices; k++)
            st->choices[k].next =
                resolve(c, p, st->choices[k].next_name,
                        arena_sprintf(c->a, "%s/Choices[%zu]/Next", sloc, k));
        for (size_t k = 0; k < st->n_catchers; k++)
            st->catchers[k].next =
                resolve(c, p, st->catchers[k].next_name,
                        arena_sprintf(c->a, "%s/Catch[%zu]/Next", sloc, k));
        if (st->is_end || st->type == SFN_STATE_SUCCEED || st->type == SFN_STATE_FAIL)
            has_terminal = true;
    }
    if (!has_terminal) {
        /* AWS reports this alone, without a location, and skips the
         * reachability walk. */
        diag(c, "MISSING_END_STATE", NULL, "Workflow has no terminal state");
        return p;
    }
    seen = arena_zalloc(c->a, p->n_states * sizeof *seen);
    mark(c->a, p, p->start, seen);
    for (size_t i = 0; i < p->n_states; i++)
        if (!seen[i] && p->start >= 0)
            diag(c, "MISSING_TRANSITION_TARGET",
                 arena_sprintf(c->a, "%s/States/%s", loc, p->states[i].name),
                 "State \"%s\" is not reachable.", p->states[i].name);
    return p;
}

int sfn__program_compile(arena_t *a, const json_t *def, sfn_program_t **out,
                         sw_error_t *err) {
    asl_t c;
    sfn_program_t *p;
    memset(&c, 0, sizeof c);
    c.a = a;
    buf_init(&c.diags, a, 16 * 1024);
    {
        /* JSONata machines need the JSONata evaluator (ROADMAP 3): say so
         * once instead of listing every JSONata field as a problem. */
        const json_t *ql = json_obj_get(def, "QueryLanguage");
        if (json_is_str(ql) && strcmp(ql->u.str, "JSONata") == 0)
            return sw_error_set(err, "InvalidDefinition",
                                "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
                                "QueryLanguage 'JSONata' is not supported by stepwise yet at "
                                "/QueryLanguage'");
    }
    p = compile_program(&c, def, "", true, "");
    if (c.n_diags) {
        return sw_error_set(err, "InvalidDefinition", "Invalid State Machine Definition: '%s'",
                            c.diags.ptr);
    }
    *out = p;
    return 0;
}

int sfn_validate(arena_t *a, const json_t *definition, sw_error_t *err) {
    sfn_program_t *p;
    return sfn__program_compile(a, definition, &p, err);
}
