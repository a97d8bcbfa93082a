/* step.c - the pure state-transition function of the States Language.
 *
 * (program, state, raw input, context, now, retry counters) -> effects.
 * All ASL semantics live here: input/output processing (InputPath ->
 * Parameters -> task -> ResultSelector -> ResultPath -> OutputPath), Pass,
 * Choice, Wait, Succeed and Fail, Retry and Catch decisions. No I/O, no
 * clock, no store, no randomness: "now" and the jitter draw come in as data,
 * so every rule is unit-testable in microseconds. */
#include <math.h>
#include <string.h>
#include "sfn/sfn_int.h"

#define RUNTIME "States.Runtime"

/* "$.a.b[0]" -> "$['a']['b'][0]", as AWS words path failures (Jayway's
 * form). Paths of any other shape are returned unchanged. */
static const char *bracket_path(arena_t *a, const char *text) {
    sw_buf_t b;
    const char *p = text;
    if (p[0] != '$')
        return text;
    buf_init(&b, a, 8192);
    buf_putc(&b, '$');
    p++;
    while (*p) {
        if (*p == '.') {
            const char *s = ++p;
            while (*p && *p != '.' && *p != '[')
                p++;
            if (p == s)
                return text;
            buf_puts(&b, "['");
            buf_append(&b, s, (size_t)(p - s));
            buf_puts(&b, "']");
        } else if (*p == '[') {
            const char *s = p;
            while (*p && *p != ']')
                p++;
            if (!*p)
                return text;
            p++;
            buf_append(&b, s, (size_t)(p - s));
        } else {
            return text;
        }
    }
    return b.overflow ? text : b.ptr;
}

static void set_fail(arena_t *a, sfn_effects_t *eff, const char *error, const char *cause) {
    eff->kind = SFN_EFF_FAIL;
    eff->error = error;
    eff->cause = cause ? arena_strdup(a, cause) : NULL;
    eff->result = error;
}

static void fail_err(arena_t *a, sfn_effects_t *eff, const sw_error_t *err) {
    set_fail(a, eff, err->type ? err->type : RUNTIME, err->msg);
}

static bool eval_ref(arena_t *a, const sfn_path_t *p, const json_t *input, const json_t *ctx,
                     json_t **out, sfn_effects_t *eff) {
    if (sfn_path_eval(a, p, input, ctx, out))
        return true;
    set_fail(a, eff, RUNTIME,
             arena_sprintf(a, "Invalid path '%s' : No results for path: %s", sfn_path_text(p),
                           bracket_path(a, sfn_path_text(p))));
    return false;
}

/* InputPath, then (unless `skip_params`) Parameters. */
static bool apply_input(arena_t *a, const sfn_state_t *st, const json_t *input,
                        const json_t *ctx, bool skip_params, json_t **out, sfn_effects_t *eff) {
    json_t *v = (json_t *)input;
    sw_error_t err;
    if (st->is_input_path_null)
        v = json_new_obj(a);
    else if (st->input_path && !eval_ref(a, st->input_path, input, ctx, &v, eff))
        return false;
    if (st->parameters && !skip_params) {
        json_t *p;
        if (sfn_template_eval(a, st->parameters, v, ctx, &p, &err) < 0) {
            fail_err(a, eff, &err);
            return false;
        }
        v = p;
    }
    *out = v;
    return true;
}

static bool apply_output_path(arena_t *a, const sfn_state_t *st, json_t *v, const json_t *ctx,
                              json_t **out, sfn_effects_t *eff) {
    if (st->is_output_path_null) {
        *out = json_new_obj(a);
        return true;
    }
    if (st->output_path)
        return eval_ref(a, st->output_path, v, ctx, out, eff);
    *out = v;
    return true;
}

/* ResultSelector -> ResultPath -> OutputPath. */
static bool apply_output(arena_t *a, const sfn_state_t *st, const json_t *raw_input,
                         const json_t *result, const json_t *ctx, json_t **out,
                         sfn_effects_t *eff) {
    json_t *r = (json_t *)result, *merged;
    sw_error_t err;
    if (st->result_selector) {
        if (sfn_template_eval(a, st->result_selector, r, ctx, &r, &err) < 0) {
            fail_err(a, eff, &err);
            return false;
        }
    }
    if (st->is_result_path_null) {
        merged = (json_t *)raw_input;
    } else if (st->result_path) {
        if (sfn_path_set(a, st->result_path, raw_input, r, &merged, &err) < 0) {
            fail_err(a, eff, &err);
            return false;
        }
    } else {
        merged = r;
    }
    return apply_output_path(a, st, merged, ctx, out, eff);
}

static void transition(sfn_effects_t *eff, const sfn_state_t *st, json_t *output) {
    eff->kind = SFN_EFF_TRANSITION;
    eff->next = st->next;
    eff->output = output;
}

/* True when `s` is an RFC 3339 date-time with a zone offset (Z or +hh:mm). */
static bool has_zone(const char *s, size_t len) {
    const char *t = memchr(s, 'T', len);
    if (!t)
        t = memchr(s, 't', len);
    if (!t)
        return false;
    for (const char *p = t; p < s + len; p++)
        if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-')
            return true;
    return false;
}

static void step_wait(arena_t *a, const sfn_state_t *st, const json_t *eff_in,
                      const json_t *ctx, int64_t now_ms, sfn_effects_t *eff) {
    int64_t delay_ms = 0;
    if (st->has_seconds) {
        delay_ms = st->seconds * 1000;
        eff->action = arena_sprintf(a, "Wait %llds", (long long)st->seconds);
    } else if (st->has_timestamp) {
        delay_ms = st->timestamp_ms - now_ms;
        eff->action = "Wait until timestamp";
    } else if (st->seconds_path) {
        json_t *v;
        int64_t n;
        if (!eval_ref(a, st->seconds_path, eff_in, ctx, &v, eff))
            return;
        if (!json_is_num(v) || !json_num_i64(v, &n) || n < 0) {
            set_fail(a, eff, RUNTIME,
                     arena_sprintf(a,
                                   "The SecondsPath parameter does not reference a valid "
                                   "non-negative integer value: %s == %s",
                                   sfn_path_text(st->seconds_path), json_to_str(a, v)));
            return;
        }
        /* Checked before scaling to ms: n * 1000 must not overflow. */
        if (n > INT32_MAX) {
            set_fail(a, eff, RUNTIME, "Wait state delay is too long.");
            return;
        }
        delay_ms = n * 1000;
        eff->action = arena_sprintf(a, "Wait %llds", (long long)n);
    } else if (st->timestamp_path) {
        json_t *v;
        int64_t ts;
        if (!eval_ref(a, st->timestamp_path, eff_in, ctx, &v, eff))
            return;
        if (!json_is_str(v) || !has_zone(v->u.str, v->len) ||
            !clock_parse_iso(v->u.str, v->len, &ts)) {
            set_fail(a, eff, RUNTIME,
                     arena_sprintf(a,
                                   "The TimestampPath parameter does not reference a valid "
                                   "ISO-8601 extended offset date-time format string: %s == %s",
                                   sfn_path_text(st->timestamp_path),
                                   json_is_str(v) ? v->u.str : json_to_str(a, v)));
            return;
        }
        delay_ms = ts - now_ms;
        eff->action = arena_sprintf(a, "Wait until %s", v->u.str);
    }
    if (delay_ms < 0)
        delay_ms = 0;
    if (delay_ms / 1000 > INT32_MAX) {
        set_fail(a, eff, RUNTIME, "Wait state delay is too long.");
        return;
    }
    {
        json_t *out;
        if (!apply_output_path(a, st, (json_t *)eff_in, ctx, &out, eff))
            return;
        eff->kind = SFN_EFF_WAIT;
        eff->delay_ms = delay_ms;
        eff->next = st->next;
        eff->output = out;
        eff->result = "Waited";
    }
}

static void step_choice(arena_t *a, const sfn_state_t *st, const json_t *eff_in,
                        const json_t *ctx, sfn_effects_t *eff) {
    sw_error_t err;
    json_t *out;
    int next = -1;
    for (size_t i = 0; i < st->n_choices; i++) {
        bool is_match = false;
        if (sfn_rule_eval(a, st->choices[i].rule, eff_in, ctx, &is_match, &err) < 0) {
            fail_err(a, eff, &err);
            return;
        }
        if (is_match) {
            next = st->choices[i].next;
            eff->action = sfn_rule_describe(a, st->choices[i].rule);
            eff->result = "matched";
            break;
        }
    }
    if (next < 0) {
        if (st->default_next < 0) {
            set_fail(a, eff, "States.NoChoiceMatched", "No Matches!");
            eff->action = "no rule matched";
            return;
        }
        next = st->default_next;
        eff->action = "Default";
        eff->result = "default";
    }
    if (!apply_output_path(a, st, (json_t *)eff_in, ctx, &out, eff))
        return;
    eff->kind = SFN_EFF_TRANSITION;
    eff->next = next;
    eff->output = out;
}

/* ErrorPath / CausePath: errors name the field, as AWS does. */
static const char *dynamic_string(arena_t *a, const sfn_expr_t *e, const json_t *input,
                                  const json_t *ctx, const char *field, sfn_effects_t *eff) {
    json_t *v;
    sw_error_t err;
    if (sfn_expr_eval(a, e, input, ctx, field, &v, &err) < 0) {
        fail_err(a, eff, &err);
        return NULL;
    }
    if (!json_is_str(v)) {
        set_fail(a, eff, RUNTIME,
                 arena_sprintf(a, "The %s field must reference a string, got: %s", field,
                               json_to_str(a, v ? v : json_new_null(a))));
        return NULL;
    }
    return v->u.str;
}

void sfn__step_enter(arena_t *a, const sfn_program_t *p, int idx, const json_t *input,
                     const json_t *ctx, int64_t now_ms, sfn_effects_t *eff) {
    const sfn_state_t *st = &p->states[idx];
    json_t *eff_in, *out;
    memset(eff, 0, sizeof *eff);
    eff->next = -1;
    eff->catcher = -1;
    eff->retrier = -1;
    eff->action = st->type_name;
    eff->result = "Success";

    if (st->type == SFN_STATE_FAIL) {
        const char *error = st->error, *cause = st->cause;
        if (st->error_expr && !(error = dynamic_string(a, st->error_expr, input, ctx,
                                                       "ErrorPath", eff)))
            return;
        if (st->cause_expr && !(cause = dynamic_string(a, st->cause_expr, input, ctx,
                                                       "CausePath", eff)))
            return;
        set_fail(a, eff, error, cause);
        eff->is_fail_state = true;
        eff->action = "Fail";
        return;
    }
    if (!apply_input(a, st, input, ctx, st->type == SFN_STATE_MAP, &eff_in, eff))
        return;
    eff->effective_input = eff_in;

    switch (st->type) {
    case SFN_STATE_PASS:
        if (!apply_output(a, st, input, st->result ? st->result : eff_in, ctx, &out, eff))
            return;
        eff->action = st->result ? "Result" : st->parameters ? "Parameters" : "Pass";
        transition(eff, st, out);
        return;
    case SFN_STATE_SUCCEED:
        if (!apply_output_path(a, st, eff_in, ctx, &out, eff))
            return;
        eff->kind = SFN_EFF_TRANSITION;
        eff->next = -1;
        eff->output = out;
        eff->action = "Succeed";
        return;
    case SFN_STATE_CHOICE:
        step_choice(a, st, eff_in, ctx, eff);
        return;
    case SFN_STATE_WAIT:
        step_wait(a, st, eff_in, ctx, now_ms, eff);
        return;
    case SFN_STATE_TASK:
        eff->kind = SFN_EFF_TASK;
        eff->task_params = eff_in;
        {
            const char *table = json_obj_get_str(eff_in, "TableName");
            eff->action = table ? arena_sprintf(a, "%s %s", st->task_op, table) : st->task_op;
        }
        return;
    case SFN_STATE_PARALLEL:
        eff->kind = SFN_EFF_PARALLEL;
        eff->action = arena_sprintf(a, "%zu branches", st->n_branches);
        return;
    case SFN_STATE_MAP: {
        json_t *items = eff_in;
        if (st->items_path && !eval_ref(a, st->items_path, eff_in, ctx, &items, eff))
            return;
        if (!json_is_arr(items)) {
            set_fail(a, eff, RUNTIME,
                     arena_sprintf(a,
                                   "Invalid input: the ItemsPath '%s' must reference a JSON "
                                   "array, got: %s",
                                   st->items_path ? sfn_path_text(st->items_path) : "$",
                                   json_to_str(a, items)));
            return;
        }
        eff->kind = SFN_EFF_MAP;
        eff->items = items;
        eff->action = arena_sprintf(a, "%zu items", items->len);
        return;
    }
    case SFN_STATE_FAIL:
        break;
    }
    SW_BUG("unreachable state type");
}

void sfn__step_result(arena_t *a, const sfn_program_t *p, int idx, const json_t *input,
                      const json_t *result, const json_t *ctx, sfn_effects_t *eff) {
    const sfn_state_t *st = &p->states[idx];
    json_t *out;
    const char *action = eff->action;
    memset(eff, 0, sizeof *eff);
    eff->next = -1;
    eff->catcher = -1;
    eff->retrier = -1;
    eff->action = action;
    eff->result = "Success";
    if (!apply_output(a, st, input, result, ctx, &out, eff))
        return;
    transition(eff, st, out);
}

bool sfn__error_matches(const char **errors, size_t n_errors, const char *error,
                        bool is_heartbeat_timeout) {
    /* Terminal errors: no Retry or Catch handles them, States.ALL included. */
    if (strcmp(error, "States.Runtime") == 0 || strcmp(error, "States.DataLimitExceeded") == 0)
        return false;
    bool is_timeout = strcmp(error, "States.Timeout") == 0;
    for (size_t i = 0; i < n_errors; i++) {
        if (strcmp(errors[i], "States.ALL") == 0 || strcmp(errors[i], error) == 0)
            return true;
        /* A lapsed heartbeat fails the Task with States.Timeout, which
         * Retry and Catch may also name by its cause (AWS: "only available
         * inside the Catch and Retry fields"). */
        if (strcmp(errors[i], "States.HeartbeatTimeout") == 0 && is_timeout &&
            is_heartbeat_timeout)
            return true;
        /* States.TaskFailed matches any error but States.Timeout. */
        if (strcmp(errors[i], "States.TaskFailed") == 0 && !is_timeout)
            return true;
    }
    return false;
}

void sfn__step_error(arena_t *a, const sfn_program_t *p, int idx, const json_t *input,
                     const char *error, const char *cause, const int *retry_counts,
                     double jitter01, sfn_effects_t *eff) {
    const sfn_state_t *st = &p->states[idx];
    const char *action = eff->action;
    bool is_heartbeat_timeout = eff->is_heartbeat_timeout;
    memset(eff, 0, sizeof *eff);
    eff->next = -1;
    eff->catcher = -1;
    eff->retrier = -1;
    eff->action = action;
    eff->error = error;
    eff->cause = cause;
    eff->result = error;

    for (size_t i = 0; i < st->n_retriers; i++) {
        const sfn_retrier_t *rt = &st->retriers[i];
        double delay;
        if (!sfn__error_matches(rt->errors, rt->n_errors, error, is_heartbeat_timeout))
            continue;
        /* The first matching retrier decides; once it is exhausted the
         * catchers are tried. */
        if (retry_counts[i] >= rt->max_attempts)
            break;
        delay = (double)rt->interval_ms * pow(rt->backoff_rate, retry_counts[i]);
        if (rt->max_delay_ms > 0 && delay > (double)rt->max_delay_ms)
            delay = (double)rt->max_delay_ms;
        if (delay > 1e15)
            delay = 1e15;
        if (rt->is_jitter_full)
            delay *= jitter01;
        eff->kind = SFN_EFF_RETRY;
        eff->retrier = (int)i;
        eff->attempt = retry_counts[i] + 1;
        eff->delay_ms = (int64_t)delay;
        eff->result = arena_sprintf(a, "%s, retry %d/%d after %.3gs", error, eff->attempt,
                                    rt->max_attempts, delay / 1000.0);
        return;
    }
    for (size_t i = 0; i < st->n_catchers; i++) {
        const sfn_catcher_t *ct = &st->catchers[i];
        json_t *eo, *out;
        sw_error_t err;
        if (!sfn__error_matches(ct->errors, ct->n_errors, error, is_heartbeat_timeout))
            continue;
        eo = json_new_obj(a);
        json_obj_set(a, eo, "Error", json_new_strz(a, error));
        if (cause)
            json_obj_set(a, eo, "Cause", json_new_strz(a, cause));
        if (ct->is_result_path_null) {
            out = (json_t *)input;
        } else if (ct->result_path) {
            if (sfn_path_set(a, ct->result_path, input, eo, &out, &err) < 0) {
                fail_err(a, eff, &err);
                return;
            }
        } else {
            out = eo;
        }
        eff->kind = SFN_EFF_TRANSITION;
        eff->next = ct->next;
        eff->output = out;
        eff->is_caught = true;
        eff->catcher = (int)i;
        eff->result = arena_sprintf(a, "%s, caught", error);
        return;
    }
    eff->kind = SFN_EFF_FAIL;
}

int sfn__step_map_item(arena_t *a, const sfn_program_t *p, int idx,
                       const json_t *effective_input, const json_t *item,
                       const json_t *ctx, json_t **out, sw_error_t *err) {
    const sfn_state_t *st = &p->states[idx];
    if (!st->parameters) {
        *out = (json_t *)item;
        return 0;
    }
    return sfn_template_eval(a, st->parameters, effective_input, ctx, out, err);
}
