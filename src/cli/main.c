/* main.c - `stepwise <command>`: dispatches to one file per command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fputs("usage: stepwise <command> [options]\n"
          "\n"
          "commands:\n"
          "  run DEFINITION.json [--input JSON | --input-file FILE] [--setup FILE]\n"
          "      [--data DIR] [--clock real|virtual] [--format table|json] [--name NAME]\n"
          "                      run one execution and print its step-by-step trace\n"
          "  test CASE.json|DIR ... [--clock real|virtual] [--pending FILE] [--verbose]\n"
          "                      run conformance case files; prints N passed, N failed\n"
          "  serve [--host 127.0.0.1] [--port 8000] [--data DIR] [--region R] [--account A]\n"
          "      [--credentials FILE] [--clock real|virtual]\n"
          "                      serve the DynamoDB and Step Functions APIs over HTTP\n"
          "  validate DEFINITION.json\n"
          "                      check a state machine definition\n"
          "  help                this text\n",
          f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cli_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0)
        return cli_cmd_test(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cli_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "validate") == 0)
        return cli_cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "stepwise: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
