/* serve.c - `stepwise serve`: the DynamoDB (and, later, Step Functions) wire
 * protocols on one HTTP port.
 *
 *   stepwise serve [--host 127.0.0.1] [--port 8000] [--data DIR]
 *                  [--region us-east-1] [--account 123456789012]
 *                  [--credentials FILE] [--clock real|virtual]
 *
 * The data directory defaults to $XDG_DATA_HOME/stepwise, else
 * ~/.local/share/stepwise, created on first start. SIGINT/SIGTERM stop
 * accepting, let requests in progress finish, then close the engines
 * (sfn_close stops the workflow workers; RUNNING executions resume at the
 * next start). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "net/net.h"

#define SERVE_GRACE_MS 10000

/* Declared in cli.h once main.c dispatches to it. */

static void serve_usage(FILE *f) {
    fputs("usage: stepwise serve [--host 127.0.0.1] [--port 8000] [--data DIR]\n"
          "                      [--region us-east-1] [--account 123456789012]\n"
          "                      [--credentials FILE] [--clock real|virtual]\n"
          "\n"
          "Serves the DynamoDB and Step Functions APIs over HTTP on one port;\n"
          "point any AWS SDK or the AWS CLI at it with --endpoint-url.\n"
          "  --data DIR          data directory (default $XDG_DATA_HOME/stepwise,\n"
          "                      else ~/.local/share/stepwise)\n"
          "  --port 0            picks a free port (the URL printed says which)\n"
          "  --region, --account named in every table, state machine and execution ARN\n"
          "                      and, with --credentials, the SigV4 scope (an AWS region\n"
          "                      name such as eu-west-1; a 12-digit account id)\n"
          "  --credentials FILE  \"ACCESS_KEY_ID SECRET_ACCESS_KEY\" per line, or an AWS\n"
          "                      CLI credentials file: every request must then carry\n"
          "                      a valid SigV4 signature by one of these keys\n",
          f);
}

/* mkdir -p. */
static int make_dirs(const char *path, sw_error_t *err) {
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return sw_error_set(err, "InvalidInput", "data directory path too long");
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
            return sw_error_set(err, "InvalidInput", "cannot create %s: %s", tmp,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
        return sw_error_set(err, "InvalidInput", "cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

/* The documented per-user default data directory, malloc'd. */
static char *default_data_dir(void) {
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char buf[4096];
    if (xdg && xdg[0] == '/')
        snprintf(buf, sizeof(buf), "%s/stepwise", xdg);
    else if (home && *home)
        snprintf(buf, sizeof(buf), "%s/.local/share/stepwise", home);
    else
        return NULL;
    return strdup(buf);
}

static bool parse_port(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > 65535)
        return false;
    *out = (int)v;
    return true;
}

int cli_cmd_serve(int argc, char **argv) {
    const char *host = "127.0.0.1";
    const char *data = NULL;
    const char *region = "us-east-1";
    const char *account = "123456789012";
    const char *creds_path = NULL;
    bool is_virtual = false;
    int port = 8000;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            serve_usage(stdout);
            return CLI_EXIT_OK;
        }
        static const char *const known[] = {"--host", "--port", "--data", "--region",
                                            "--account", "--credentials", "--clock", NULL};
        bool is_known = false;
        for (int k = 0; known[k]; k++)
            is_known = is_known || strcmp(arg, known[k]) == 0;
        if (!is_known) {
            fprintf(stderr, "stepwise serve: unknown option '%s'\n\n", arg);
            serve_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (!val) {
            fprintf(stderr, "stepwise serve: %s needs a value\n\n", arg);
            serve_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (strcmp(arg, "--host") == 0) {
            host = val;
        } else if (strcmp(arg, "--port") == 0) {
            if (!parse_port(val, &port)) {
                fprintf(stderr, "stepwise serve: --port must be 0..65535, got '%s'\n", val);
                return CLI_EXIT_USAGE;
            }
        } else if (strcmp(arg, "--data") == 0) {
            data = val;
        } else if (strcmp(arg, "--region") == 0) {
            /* It goes into every ARN and the SigV4 scope: refuse what
             * could not be an AWS region rather than make odd ARNs. */
            if (!ddb_region_is_valid(val)) {
                fprintf(stderr, "stepwise serve: --region must be an AWS region name: lowercase "
                                "letters, digits and dashes, such as eu-west-1; got '%s'\n",
                        val);
                return CLI_EXIT_USAGE;
            }
            region = val;
        } else if (strcmp(arg, "--account") == 0) {
            if (!ddb_account_is_valid(val)) {
                fprintf(stderr, "stepwise serve: --account must be an AWS account id of exactly "
                                "12 digits, such as 123456789012; got '%s'\n", val);
                return CLI_EXIT_USAGE;
            }
            account = val;
        } else if (strcmp(arg, "--credentials") == 0) {
            creds_path = val;
        } else if (strcmp(arg, "--clock") == 0) {
            if (strcmp(val, "real") != 0 && strcmp(val, "virtual") != 0) {
                fprintf(stderr, "stepwise serve: --clock must be real or virtual\n");
                return CLI_EXIT_USAGE;
            }
            is_virtual = strcmp(val, "virtual") == 0;
        }
        i++;
    }

    /* SIGINT/SIGTERM are taken by sigwait below: block them before any
     * thread starts (the engines' and the server's), so that every thread
     * inherits the mask and none is killed by them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    sw_error_t err;
    char *dir = data ? strdup(data) : default_data_dir();
    if (!dir) {
        fprintf(stderr, "stepwise serve: no --data given and neither XDG_DATA_HOME nor HOME "
                        "is set\n");
        return CLI_EXIT_USAGE;
    }
    int status = CLI_EXIT_FAILED;
    net_creds_t *creds = NULL;
    cli_engines_t engines;
    bool engines_open = false;
    net_server_t *srv = NULL;

    if (creds_path && net_creds_load(creds_path, &creds, &err) < 0) {
        fprintf(stderr, "stepwise serve: %s\n", err.msg);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    if (make_dirs(dir, &err) < 0 || cli_engines_open(&engines, dir, is_virtual, &err) < 0) {
        fprintf(stderr, "stepwise serve: %s: %s\n", dir, err.msg);
        goto out;
    }
    engines_open = true;
    /* Before any request or worker: the engines read these unlocked. */
    if (ddb_set_location(engines.ddb, region, account, &err) < 0 ||
        sfn_set_location(engines.sfn, region, account, &err) < 0) {
        fprintf(stderr, "stepwise serve: %s\n", err.msg);
        status = CLI_EXIT_USAGE;
        goto out;
    }
    /* Standard executions run in the background on one worker per core;
     * RUNNING executions found in the store resume. */
    long n_cpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (sfn_start(engines.sfn, n_cpu > 0 ? (int)n_cpu : 1, &err) < 0) {
        fprintf(stderr, "stepwise serve: cannot start the workflow workers: %s\n", err.msg);
        goto out;
    }

    net_t net = {
        .ddb = engines.ddb,
        .sfn = engines.sfn,
        .region = region,
        .account = account,
        .creds = creds,
    };
    int bound_port = 0;
    if (net_server_start(&net, host, port, &srv, &bound_port, &err) < 0) {
        fprintf(stderr, "stepwise serve: %s\n", err.msg);
        goto out;
    }
    bool is_v6 = strchr(host, ':') != NULL;
    printf("stepwise serve: listening on http://%s%s%s:%d\n", is_v6 ? "[" : "", host,
           is_v6 ? "]" : "", bound_port);
    printf("  data: %s  region: %s  account: %s  clock: %s\n", dir, region, account,
           is_virtual ? "virtual" : "real");
    if (creds)
        printf("  authentication: AWS Signature V4 checked against %zu key(s) from %s\n",
               net_creds_count(creds), creds_path);
    else
        printf("  authentication: off (no --credentials): any well-formed SigV4 signature "
               "is accepted, as DynamoDB Local does\n");
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    printf("stepwise serve: %s received, finishing requests in progress\n",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    net_server_stop(srv, SERVE_GRACE_MS);
    srv = NULL;
    status = CLI_EXIT_OK;
out:
    if (srv)
        net_server_stop(srv, 0);
    if (engines_open)
        cli_engines_close(&engines);
    net_creds_free(creds);
    free(dir);
    return status;
}
