/* run.c - `stepwise run` and `stepwise validate`: one execution on the
 * embedded database, printed as a debugger's trace (table) or as one JSON
 * object with the AWS-format history (json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct run_opts {
    const char *definition_path;
    const char *input_text;
    const char *input_path;
    const char *setup_path;
    const char *data_dir;
    const char *name;
    bool is_virtual_clock;
    bool is_json;
} run_opts_t;

static int usage_error(const char *msg, const char *arg) {
    fprintf(stderr, "stepwise run: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    fprintf(stderr, "usage: stepwise run DEFINITION.json [--input JSON | --input-file FILE] "
                    "[--setup FILE] [--data DIR] [--clock real|virtual] [--format table|json] "
                    "[--name NAME]\n");
    return CLI_EXIT_USAGE;
}

/* Execution names as StartExecution accepts them: 1 to 80 characters, none
 * of them whitespace, brackets, wildcards, the listed punctuation or a
 * control character. */
static bool is_valid_execution_name(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 80)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>{}[]?*\"#%\\^|~`$&,;:/", *p))
            return false;
    return true;
}

static int parse_opts(int argc, char **argv, run_opts_t *o) {
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (o->definition_path)
                return usage_error("more than one definition given:", arg);
            o->definition_path = arg;
            continue;
        }
        if (!val)
            return usage_error("missing value after", arg);
        i++;
        if (strcmp(arg, "--input") == 0)
            o->input_text = val;
        else if (strcmp(arg, "--input-file") == 0)
            o->input_path = val;
        else if (strcmp(arg, "--setup") == 0)
            o->setup_path = val;
        else if (strcmp(arg, "--data") == 0)
            o->data_dir = val;
        else if (strcmp(arg, "--name") == 0)
            o->name = val;
        else if (strcmp(arg, "--clock") == 0) {
            if (strcmp(val, "virtual") == 0)
                o->is_virtual_clock = true;
            else if (strcmp(val, "real") != 0)
                return usage_error("--clock must be real or virtual, not", val);
        } else if (strcmp(arg, "--format") == 0) {
            if (strcmp(val, "json") == 0)
                o->is_json = true;
            else if (strcmp(val, "table") != 0)
                return usage_error("--format must be table or json, not", val);
        } else
            return usage_error("unknown option", arg);
    }
    if (!o->definition_path)
        return usage_error("no definition file given", NULL);
    if (o->name && !is_valid_execution_name(o->name))
        return usage_error("--name: Invalid Name:", o->name);
    if (o->input_text && o->input_path)
        return usage_error("give --input or --input-file, not both", NULL);
    return 0;
}

/* ---- the trace table --------------------------------------------------- */

/* Width a cell takes, in terminal columns, capped; cells are cut with
 * "..." past the cap. */
#define CELL_MAX 80

/* Decodes the UTF-8 sequence at s[0..n) into *cp; returns its length (an
 * invalid byte counts as one character of its own). */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp) {
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                          : (c & 0xF8) == 0xF0                         ? 4
                                                                       : 1;
    if (len > n)
        len = 1;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            len = 1;
    if (len == 1) {
        *cp = c;
        return 1;
    }
    *cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++)
        *cp = (*cp << 6) | (s[i] & 0x3F);
    return len;
}

/* Columns a code point takes in a terminal: 0 for combining marks and
 * zero-width characters, 2 for East Asian Wide and Fullwidth ones (the
 * ranges of Unicode's EastAsianWidth W/F, as wcwidth rounds them), else 1. */
static int cp_width(unsigned cp) {
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x20D0 && cp <= 0x20FF))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
        (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
        (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
        (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
        (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

/* Display width of the `n` bytes at `s`; with `max_cols` >= 0, *cut is
 * set to the byte length of the longest prefix that fits in max_cols
 * columns. */
static int text_width(const char *s, size_t n, int max_cols, size_t *cut) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int w = 0;
    if (cut)
        *cut = n;
    while (i < n) {
        unsigned cp;
        size_t len = utf8_next(p + i, n - i, &cp);
        int cw = cp_width(cp);
        if (cut && max_cols >= 0 && w + cw > max_cols && *cut == n)
            *cut = i;
        w += cw;
        i += len;
    }
    return w;
}

static int cell_width(const char *s) {
    int n = s ? text_width(s, strlen(s), -1, NULL) : 1;
    return n > CELL_MAX ? CELL_MAX : n;
}

static void print_cell(FILE *f, const char *s, int width, bool is_last) {
    size_t cut;
    int n;
    if (!s)
        s = "-";
    n = text_width(s, strlen(s), CELL_MAX - 3, &cut);
    if (n > CELL_MAX) {
        /* Cut on a character boundary; a wide character that did not fit
         * leaves one column to pad. */
        fprintf(f, "%.*s...", (int)cut, s);
        n = text_width(s, cut, -1, NULL) + 3;
    } else {
        fputs(s, f);
    }
    if (!is_last)
        fprintf(f, "%*s", width - n + 2, "");
}

static void print_json_line(FILE *f, arena_t *a, const char *label, const json_t *v) {
    fprintf(f, "      %-9s %s\n", label, json_to_str(a, v));
}

/* Seconds from the start of the execution to `ms`, as the Time column
 * shows them ("+0s", "+2.5s"): retries' back-offs and Waits show here as
 * if they passed, under the virtual clock too. */
static char *elapsed(arena_t *a, int64_t start_ms, int64_t ms) {
    int64_t d = ms - start_ms;
    if (d < 0)
        d = 0;
    if (d % 1000 == 0)
        return arena_sprintf(a, "+%llds", (long long)(d / 1000));
    return arena_sprintf(a, "+%lld.%03llds", (long long)(d / 1000), (long long)(d % 1000));
}

static void print_table(FILE *f, arena_t *a, const sfn_run_result_t *r) {
    static const char *heads[] = {"#", "Time", "State", "Type", "Action", "Result", "Next"};
    enum { N_COLS = 7 };
    int width[N_COLS];
    for (int c = 0; c < N_COLS; c++)
        width[c] = (int)strlen(heads[c]);
    const char ***rows = arena_alloc(a, (r->n_steps + 1) * sizeof(*rows));
    for (size_t i = 0; i < r->n_steps; i++) {
        const sfn_trace_step_t *s = &r->steps[i];
        const char **cells = arena_alloc(a, N_COLS * sizeof(*cells));
        cells[0] = arena_sprintf(a, "%d", s->number);
        cells[1] = elapsed(a, r->start_ms, s->time_ms);
        /* Parallel branches and Map iterations sit under their state. */
        cells[2] = s->depth > 0 ? arena_sprintf(a, "%*s%s", 2 * s->depth, "", s->state)
                                : s->state;
        cells[3] = s->type;
        cells[4] = s->action;
        cells[5] = s->result;
        cells[6] = s->next ? s->next : "(end)";
        rows[i] = cells;
        for (int c = 0; c < N_COLS; c++)
            if (cell_width(cells[c]) > width[c])
                width[c] = cell_width(cells[c]);
    }
    fputc('\n', f);
    for (int c = 0; c < N_COLS; c++)
        print_cell(f, heads[c], width[c], c == N_COLS - 1);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_steps; i++) {
        for (int c = 0; c < N_COLS; c++)
            print_cell(f, rows[i][c], width[c], c == N_COLS - 1);
        fputc('\n', f);
    }

    fputs("\nVariables after each step\n", f);
    for (size_t i = 0; i < r->n_steps; i++) {
        const sfn_trace_step_t *s = &r->steps[i];
        const char *at = s->time ? s->time : s->entered_time;
        fprintf(f, "  %d %*s%s%s%s", s->number, 2 * s->depth, "", s->state, at ? "  at " : "",
                at ? at : "");
        if (s->attempt > 0)
            fprintf(f, "  (retry %d)", s->attempt);
        fputc('\n', f);
        if (s->input)
            print_json_line(f, a, "input", s->input);
        if (s->ddb_response)
            print_json_line(f, a, "dynamodb", s->ddb_response);
        if (s->output)
            print_json_line(f, a, "output", s->output);
        if (s->error)
            fprintf(f, "      %-9s %s\n", "error", s->error);
        if (s->cause)
            fprintf(f, "      %-9s %s\n", "cause", s->cause);
    }

    fprintf(f, "\nExecution %s\n", r->status);
    if (strcmp(r->status, "SUCCEEDED") == 0) {
        sw_buf_t b;
        buf_init(&b, a, (size_t)1 << 30);
        json_print_pretty(&b, r->output);
        fprintf(f, "Output:\n%s\n", b.ptr ? b.ptr : "null");
    } else {
        fprintf(f, "Error: %s\n", r->error ? r->error : "(none)");
        fprintf(f, "Cause: %s\n", r->cause ? r->cause : "(none)");
    }
}

static void print_json_result(FILE *f, arena_t *a, const sfn_run_result_t *r) {
    json_t *o = json_new_obj(a);
    json_obj_set(a, o, "status", json_new_strz(a, r->status));
    if (strcmp(r->status, "SUCCEEDED") == 0) {
        json_obj_set(a, o, "output", r->output ? r->output : json_new_null(a));
    } else {
        if (r->error)
            json_obj_set(a, o, "error", json_new_strz(a, r->error));
        if (r->cause)
            json_obj_set(a, o, "cause", json_new_strz(a, r->cause));
    }
    json_obj_set(a, o, "history", r->history ? r->history : json_new_arr(a));
    sw_buf_t b;
    buf_init(&b, a, (size_t)1 << 30);
    json_print_pretty(&b, o);
    fprintf(f, "%s\n", b.ptr);
}

/* True at the start of a problem inside AWS's list: ", CODE_NAME: ". */
static bool is_problem_start(const char *p) {
    if (p[0] != ',' || p[1] != ' ')
        return false;
    p += 2;
    const char *q = p;
    while ((*q >= 'A' && *q <= 'Z') || *q == '_')
        q++;
    return q - p >= 4 && q[0] == ':' && q[1] == ' ';
}

/* Prints an InvalidDefinition message one problem per line: AWS joins them
 * as "Invalid State Machine Definition: 'CODE: text at /path, CODE: ...'". */
static void print_definition_error(const char *path, const sw_error_t *err) {
    const char *msg = err->msg;
    const char *open = strstr(msg, ": '");
    size_t len = strlen(msg);
    if (!open || len < 2 || msg[len - 1] != '\'') {
        fprintf(stderr, "%s: %s\n", path, msg);
        return;
    }
    fprintf(stderr, "%s: %.*s:\n  - ", path, (int)(open - msg), msg);
    for (const char *p = open + 3; p < msg + len - 1; p++) {
        if (is_problem_start(p)) {
            fputs("\n  - ", stderr);
            p++;
            continue;
        }
        fputc(*p, stderr);
    }
    fputc('\n', stderr);
}

/* With --format json, a run that could not start is still exactly one
 * JSON object on stdout: {"status": "INVALID_DEFINITION" | "INVALID_INPUT"
 * | "ERROR", "error": <AWS error type>, "cause": <message>}, and for an
 * invalid definition "diagnostics" as ValidateStateMachineDefinition lists
 * them. */
static void print_json_problem(arena_t *a, const char *status, const sw_error_t *err) {
    json_t *o = json_new_obj(a);
    sw_buf_t b;
    json_obj_set(a, o, "status", json_new_strz(a, status));
    json_obj_set(a, o, "error", json_new_strz(a, err->type ? err->type : "Error"));
    json_obj_set(a, o, "cause", json_new_strz(a, err->msg));
    if (strcmp(status, "INVALID_DEFINITION") == 0)
        json_obj_set(a, o, "diagnostics",
                     err->type && strcmp(err->type, "InvalidDefinition") == 0
                         ? sfn_definition_diagnostics(a, err->msg)
                         : json_new_arr(a));
    buf_init(&b, a, (size_t)1 << 30);
    json_print_pretty(&b, o);
    printf("%s\n", b.ptr);
}

/* Reads and parses the definition file, held to the API's length
 * constraint first (a definition AWS would refuse is refused here too). */
static json_t *read_definition(arena_t *a, const char *path, const char *cmd,
                               sw_error_t *err) {
    char *text;
    size_t len, n_chars;
    json_t *def;
    if (cli_read_file(a, path, &text, &len, err) < 0) {
        fprintf(stderr, "stepwise %s: %s\n", cmd, err->msg);
        return NULL;
    }
    if (sfn_definition_check_length(text, len, &n_chars, err) < 0) {
        if (n_chars > 0)
            fprintf(stderr,
                    "stepwise %s: %s: the definition is %zu characters long; AWS accepts at "
                    "most %d (CreateStateMachine would answer ValidationException: %s)\n",
                    cmd, path, n_chars, SFN_MAX_DEFINITION_CHARS, err->msg);
        else
            fprintf(stderr, "stepwise %s: %s: the definition is empty\n", cmd, path);
        return NULL;
    }
    def = json_parse(a, text, len, err);
    if (!def) {
        char msg[SW_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        /* AWS's wording for a definition that is not JSON. */
        sw_error_set(err, "InvalidDefinition",
                     "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %s'", msg);
        fprintf(stderr, "stepwise %s: %s: %s\n", cmd, path, msg);
    }
    return def;
}

int cli_cmd_run(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: stepwise run DEFINITION.json [--input JSON | --input-file FILE] "
                   "[--setup FILE] [--data DIR] [--clock real|virtual] [--format table|json] "
                   "[--name NAME]\n(see README.md: \"Run a workflow\")\n");
            return CLI_EXIT_OK;
        }
    run_opts_t o;
    if (parse_opts(argc, argv, &o) != 0)
        return CLI_EXIT_USAGE;
    arena_t a;
    arena_init(&a);
    int status = CLI_EXIT_USAGE;
    const char *problem = "ERROR";  /* the JSON status of a run that did not start */
    sw_error_t err;
    cli_engines_t e;
    bool engines_open = false;
    memset(&err, 0, sizeof(err));

    problem = "INVALID_DEFINITION";
    json_t *definition = read_definition(&a, o.definition_path, "run", &err);
    if (!definition)
        goto out;
    json_t *input;
    if (o.input_path) {
        input = cli_read_json(&a, o.input_path, &err);
    } else {
        const char *text = o.input_text ? o.input_text : "{}";
        input = json_parse(&a, text, strlen(text), &err);
    }
    if (!input) {
        char msg[SW_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err.msg);
        fprintf(stderr, "stepwise run: invalid input: %s\n", msg);
        /* StartExecution's error for input that is not JSON. */
        sw_error_set(&err, "InvalidExecutionInput", "Invalid execution input: %s", msg);
        problem = "INVALID_INPUT";
        goto out;
    }
    if (sfn_validate(&a, definition, &err) < 0) {
        print_definition_error(o.definition_path, &err);
        goto out;
    }
    problem = "ERROR";
    if (cli_engines_open(&e, o.data_dir, o.is_virtual_clock, &err) < 0) {
        fprintf(stderr, "stepwise run: cannot open the data directory: %s\n", err.msg);
        goto out;
    }
    engines_open = true;
    if (o.setup_path) {
        json_t *setup = cli_read_json(&a, o.setup_path, &err);
        if (!setup || cli_run_setup(&e, &a, setup, true, o.is_json ? stderr : stdout, &err) < 0) {
            fprintf(stderr, "stepwise run: %s\n", err.msg);
            goto out;
        }
    }
    sfn_run_result_t r;
    const char *name = o.name;
    if (sfn_run(e.sfn, definition, input, name, &a, &r, &err) < 0) {
        if (strcmp(err.type, "InvalidDefinition") == 0) {
            problem = "INVALID_DEFINITION";
            print_definition_error(o.definition_path, &err);
        } else if (strcmp(err.type, "InvalidExecutionInput") == 0) {
            problem = "INVALID_INPUT";   /* e.g. over the 256 KiB quota */
            fprintf(stderr, "stepwise run: invalid input: %s\n", err.msg);
        } else {
            fprintf(stderr, "stepwise run: %s: %s\n", err.type, err.msg);
        }
        goto out;
    }
    if (o.is_json)
        print_json_result(stdout, &a, &r);
    else
        print_table(stdout, &a, &r);
    status = strcmp(r.status, "SUCCEEDED") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    if (status == CLI_EXIT_USAGE && o.is_json)
        print_json_problem(&a, problem, &err);
    if (engines_open)
        cli_engines_close(&e);
    arena_release(&a);
    return status;
}

int cli_cmd_validate(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: stepwise validate DEFINITION.json\n");
        return CLI_EXIT_USAGE;
    }
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    int status = CLI_EXIT_USAGE;
    json_t *definition = read_definition(&a, argv[1], "validate", &err);
    if (definition && sfn_validate(&a, definition, &err) < 0) {
        print_definition_error(argv[1], &err);
    } else if (definition) {
        printf("%s: valid\n", argv[1]);
        status = CLI_EXIT_OK;
    }
    arena_release(&a);
    return status;
}
