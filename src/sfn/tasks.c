/* tasks.c - Task state integrations: Resource ARN -> how to run it.
 *
 * DynamoDB optimized integration (arn:aws:states:::dynamodb:getItem|putItem|
 * updateItem|deleteItem): the result is the API response plus the Java SDK
 * v1 metadata AWS adds (SdkHttpMetadata, SdkResponseMetadata); errors are
 * "DynamoDB.<Exception>", validation errors "DynamoDB.AmazonDynamoDBException".
 *
 * AWS SDK integration (arn:aws:states:::aws-sdk:dynamodb:<action>, camelCase
 * action of any operation the engine implements): the plain response; errors
 * "DynamoDb.<Exception>", validation errors "DynamoDb.DynamoDbException".
 *
 * Reaches the database only through ddb_call / ddb_call_txn; reads no clock
 * (the caller passes the time used in the Date header). */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "sfn/sfn_int.h"

static const char *const optimized_ops[][2] = {
    {"getItem", "GetItem"},
    {"putItem", "PutItem"},
    {"updateItem", "UpdateItem"},
    {"deleteItem", "DeleteItem"},
};

int sfn__task_resolve(arena_t *a, const char *resource, sfn_task_kind_t *kind,
                      const char **op, const char **action, sw_error_t *err) {
    /* arn:aws:states:<region>:<account>:<service>:<action...> */
    const char *p = resource;
    const char *parts[8];
    size_t lens[8];
    int n = 0;
    while (n < 8) {
        const char *colon = strchr(p, ':');
        parts[n] = p;
        lens[n] = colon ? (size_t)(colon - p) : strlen(p);
        n++;
        if (!colon)
            break;
        p = colon + 1;
    }
    if (n >= 7 && lens[0] == 3 && memcmp(parts[0], "arn", 3) == 0 && lens[1] == 3 &&
        memcmp(parts[1], "aws", 3) == 0 && lens[2] == 6 && memcmp(parts[2], "states", 6) == 0) {
        if (n == 7 && lens[3] > 0 && lens[4] > 0 && lens[5] == 8 &&
            memcmp(parts[5], "activity", 8) == 0 && lens[6] > 0) {
            /* An activity: workers take its tasks (GetActivityTask). */
            *kind = SFN_TASK_ACTIVITY;
            *action = arena_strdup(a, resource);
            *op = "Activity";
            return 0;
        }
        if (n == 7 && lens[3] == 0 && lens[4] == 0) {
            /* .waitForTaskToken on a service stepwise does not host: no call
             * is made; the execution waits for SendTask* ($$.Task.Token). */
            static const char *const callbacks[] = {
                "lambda:invoke",     "sqs:sendMessage", "sns:publish",
                "events:putEvents",  "states:startExecution", "ecs:runTask",
                "apigateway:invoke",
            };
            static const char suffix[] = ".waitForTaskToken";
            size_t slen = sizeof suffix - 1;
            for (size_t i = 0; i < sizeof callbacks / sizeof callbacks[0]; i++) {
                size_t svc = strcspn(callbacks[i], ":");
                const char *act = callbacks[i] + svc + 1;
                if (lens[5] == svc && memcmp(parts[5], callbacks[i], svc) == 0 &&
                    lens[6] == strlen(act) + slen && memcmp(parts[6], act, strlen(act)) == 0 &&
                    memcmp(parts[6] + strlen(act), suffix, slen) == 0) {
                    *kind = SFN_TASK_CALLBACK;
                    *op = arena_strndup(a, parts[5], lens[5]);
                    *action = arena_strndup(a, parts[6], lens[6]);
                    return 0;
                }
            }
        }
        if (n == 7 && lens[5] == 8 && memcmp(parts[5], "dynamodb", 8) == 0) {
            for (size_t i = 0; i < sizeof optimized_ops / sizeof optimized_ops[0]; i++) {
                if (strlen(optimized_ops[i][0]) == lens[6] &&
                    memcmp(parts[6], optimized_ops[i][0], lens[6]) == 0) {
                    *kind = SFN_TASK_DDB_OPTIMIZED;
                    *action = optimized_ops[i][0];
                    *op = optimized_ops[i][1];
                    return 0;
                }
            }
        } else if (n == 8 && lens[5] == 7 && memcmp(parts[5], "aws-sdk", 7) == 0 &&
                   lens[6] == 8 && memcmp(parts[6], "dynamodb", 8) == 0 && lens[7] > 0 &&
                   islower((unsigned char)parts[7][0])) {
            static const char suffix[] = ".waitForTaskToken";
            size_t slen = sizeof suffix - 1;
            bool is_callback = lens[7] > slen &&
                               memcmp(parts[7] + lens[7] - slen, suffix, slen) == 0;
            char *pascal = arena_strndup(a, parts[7], lens[7] - (is_callback ? slen : 0));
            pascal[0] = (char)toupper((unsigned char)pascal[0]);
            if (ddb_has_op(pascal)) {
                /* With .waitForTaskToken the call is made, then the
                 * execution waits for SendTask* (sfn__task_callback_op). */
                *kind = is_callback ? SFN_TASK_CALLBACK : SFN_TASK_DDB_SDK;
                *action = arena_strndup(a, parts[7], lens[7]);
                *op = is_callback ? "aws-sdk:dynamodb" : pascal;
                return 0;
            }
        }
    }
    return sw_error_set(err, "SCHEMA_VALIDATION_FAILED",
                        "The resource provided %s is not recognized. The value is not a "
                        "valid resource ARN, or the resource is not available in this "
                        "region.",
                        resource);
}

const char *sfn__task_callback_op(arena_t *a, const sfn_state_t *st) {
    static const char suffix[] = ".waitForTaskToken";
    size_t len = strlen(st->task_action), slen = sizeof suffix - 1;
    char *pascal;
    if (st->task_kind != SFN_TASK_CALLBACK || strcmp(st->task_op, "aws-sdk:dynamodb") != 0 ||
        len <= slen)
        return NULL;
    pascal = arena_strndup(a, st->task_action, len - slen);
    pascal[0] = (char)toupper((unsigned char)pascal[0]);
    return pascal;
}

static void header(arena_t *a, json_t *all, const char *name, const char *val) {
    json_t *arr = json_new_arr(a);
    json_arr_push(a, arr, json_new_strz(a, val));
    json_obj_set(a, all, name, arr);
}

/* The response as the Java SDK v1 hands it to Step Functions. */
static json_t *with_sdk_metadata(arena_t *a, const json_t *resp, const char *request_id,
                                 int64_t now_ms) {
    json_t *out = json_is_obj(resp) ? json_clone(a, resp) : json_new_obj(a);
    json_t *http = json_new_obj(a), *all = json_new_obj(a), *one = json_new_obj(a);
    json_t *rmeta = json_new_obj(a);
    char *body = json_to_str(a, resp ? resp : out);
    size_t body_len = strlen(body);
    char date[64], num[32];
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);

    /* AllHttpHeaders and HttpHeaders list the same headers, as AWS records
     * them (the first in arrival order, the second sorted). */
    header(a, all, "Server", "Server");
    header(a, all, "Connection", "keep-alive");
    header(a, all, "x-amzn-RequestId", request_id);
    snprintf(num, sizeof num, "%lu", crc32(0L, (const Bytef *)body, (uInt)body_len));
    header(a, all, "x-amz-crc32", num);
    snprintf(num, sizeof num, "%zu", body_len);
    header(a, all, "Content-Length", num);
    header(a, all, "Date", date);
    header(a, all, "Content-Type", "application/x-amz-json-1.0");
    {
        static const char *const sorted[] = {"Connection", "Content-Length", "Content-Type",
                                             "Date",       "Server",         "x-amz-crc32",
                                             "x-amzn-RequestId"};
        for (size_t i = 0; i < sizeof sorted / sizeof sorted[0]; i++)
            json_obj_set(a, one, sorted[i], json_arr_at(json_obj_get(all, sorted[i]), 0));
    }
    json_obj_set(a, http, "AllHttpHeaders", all);
    json_obj_set(a, http, "HttpHeaders", one);
    json_obj_set(a, http, "HttpStatusCode", json_new_num_i64(a, 200));
    json_obj_set(a, rmeta, "RequestId", json_new_strz(a, request_id));
    json_obj_set(a, out, "SdkHttpMetadata", http);
    json_obj_set(a, out, "SdkResponseMetadata", rmeta);
    return out;
}

void sfn__task_run(arena_t *a, ddb_t *db, store_txn_t *txn, const sfn_state_t *st,
                   const json_t *params, const char *request_id, int64_t now_ms,
                   sfn_task_outcome_t *out) {
    sw_error_t err;
    json_t *resp = NULL;
    int rc, status;
    memset(out, 0, sizeof *out);
    sw_error_clear(&err);
    if (!db) {
        out->error = "States.TaskFailed";
        out->cause = "No database is attached to this engine";
        return;
    }
    if (txn)
        rc = ddb_call_txn(db, txn, st->task_op, params, a, &resp, &err);
    else
        rc = ddb_call(db, st->task_op, params, a, &resp, &err);
    if (rc == 0) {
        out->is_ok = true;
        out->ddb_response = resp;
        out->result = st->task_kind == SFN_TASK_DDB_OPTIMIZED
                          ? with_sdk_metadata(a, resp, request_id, now_ms)
                          : (resp ? resp : json_new_obj(a));
        return;
    }
    {
        const char *type = err.type ? err.type : "InternalServerError";
        bool is_validation = strcmp(type, "ValidationException") == 0;
        status = ddb_error_status(type);
        if (st->task_kind == SFN_TASK_DDB_OPTIMIZED) {
            out->error = is_validation ? "DynamoDB.AmazonDynamoDBException"
                                       : arena_sprintf(a, "DynamoDB.%s", type);
            out->cause = arena_sprintf(a,
                                       "%s (Service: AmazonDynamoDBv2; Status Code: %d; Error "
                                       "Code: %s; Request ID: %s; Proxy: null)",
                                       err.msg, status, type, request_id);
        } else {
            out->error = is_validation ? "DynamoDb.DynamoDbException"
                                       : arena_sprintf(a, "DynamoDb.%s", type);
            out->cause = arena_sprintf(a, "%s (Service: DynamoDb, Status Code: %d, Request ID: %s)",
                                       err.msg, status, request_id);
        }
    }
}
