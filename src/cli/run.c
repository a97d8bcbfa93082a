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

/* Width a cell takes, capped; cells are cut with "..." past the cap. */
#define CELL_MAX 80

static int cell_width(const char *s) {
    int n = s ? (int)strlen(s) : 1;
    return n > CELL_MAX ? CELL_MAX : n;
}

static void print_cell(FILE *f, const char *s, int width, bool is_last) {
    if (!s)
        s = "-";
    int n = (int)strlen(s);
    if (n > CELL_MAX)
        fprintf(f, "%.*s...", CELL_MAX - 3, s);
    else
        fputs(s, f);
    if (!is_last)
        fprintf(f, "%*s", width - (n > CELL_MAX ? CELL_MAX : n) + 2, "");
}

static void print_json_line(FILE *f, arena_t *a, const char *label, const json_t *v) {
    fprintf(f, "      %-9s %s\n", label, json_to_str(a, v));
}

static void print_table(FILE *f, arena_t *a, const sfn_run_result_t *r) {
    static const char *heads[] = {"#", "State", "Type", "Action", "Result", "Next"};
    enum { N_COLS = 6 };
    int width[N_COLS];
    for (int c = 0; c < N_COLS; c++)
        width[c] = (int)strlen(heads[c]);
    char **nums = arena_alloc(a, (r->n_steps + 1) * sizeof(*nums));
    for (size_t i = 0; i < r->n_steps; i++) {
        const sfn_trace_step_t *s = &r->steps[i];
        nums[i] = arena_sprintf(a, "%d", s->number);
        const char *cells[N_COLS] = {nums[i], s->state, s->type, s->action, s->result,
                                     s->next ? s->next : "(end)"};
        for (int c = 0; c < N_COLS; c++)
            if (cell_width(cells[c]) > width[c])
                width[c] = cell_width(cells[c]);
    }
    fputc('\n', f);
    for (int c = 0; c < N_COLS; c++)
        print_cell(f, heads[c], width[c], c == N_COLS - 1);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_steps; i++) {
        const sfn_trace_step_t *s = &r->steps[i];
        const char *cells[N_COLS] = {nums[i], s->state, s->type, s->action, s->result,
                                     s->next ? s->next : "(end)"};
        for (int c = 0; c < N_COLS; c++)
            print_cell(f, cells[c], width[c], c == N_COLS - 1);
        fputc('\n', f);
    }

    fputs("\nVariables after each step\n", f);
    for (size_t i = 0; i < r->n_steps; i++) {
        const sfn_trace_step_t *s = &r->steps[i];
        fprintf(f, "  %d %s%s%s\n", s->number, s->state, s->entered_time ? "  at " : "",
                s->entered_time ? s->entered_time : "");
        if (s->input)
            print_json_line(f, a, "input", s->input);
        if (s->ddb_response)
            print_json_line(f, a, "dynamodb", s->ddb_response);
        if (s->output)
            print_json_line(f, a, "output", s->output);
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
    sw_error_t err;
    cli_engines_t e;
    bool engines_open = false;

    json_t *definition = cli_read_json(&a, o.definition_path, &err);
    if (!definition) {
        fprintf(stderr, "stepwise run: %s\n", err.msg);
        goto out;
    }
    json_t *input;
    if (o.input_path) {
        input = cli_read_json(&a, o.input_path, &err);
    } else {
        const char *text = o.input_text ? o.input_text : "{}";
        input = json_parse(&a, text, strlen(text), &err);
    }
    if (!input) {
        fprintf(stderr, "stepwise run: invalid input: %s\n", err.msg);
        goto out;
    }
    if (sfn_validate(&a, definition, &err) < 0) {
        print_definition_error(o.definition_path, &err);
        goto out;
    }
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
        if (strcmp(err.type, "InvalidDefinition") == 0)
            print_definition_error(o.definition_path, &err);
        else
            fprintf(stderr, "stepwise run: %s: %s\n", err.type, err.msg);
        goto out;
    }
    if (o.is_json)
        print_json_result(stdout, &a, &r);
    else
        print_table(stdout, &a, &r);
    status = strcmp(r.status, "SUCCEEDED") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
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
    json_t *definition = cli_read_json(&a, argv[1], &err);
    if (!definition)
        fprintf(stderr, "stepwise validate: %s\n", err.msg);
    else if (sfn_validate(&a, definition, &err) < 0)
        print_definition_error(argv[1], &err);
    else {
        printf("%s: valid\n", argv[1]);
        status = CLI_EXIT_OK;
    }
    arena_release(&a);
    return status;
}
