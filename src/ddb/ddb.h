/* ddb.h - the DynamoDB engine: its only door is ddb_call.
 *
 * ddb_call runs one DynamoDB API operation exactly as the DynamoDB API
 * reference documents it. `req` is the request body as parsed JSON; on
 * success *resp is the response body (allocated in `a`), on failure `err`
 * holds the AWS error type ("ValidationException", ...) and AWS's message.
 * A failed request changes nothing. Never includes anything from sfn/. */
#ifndef SW_DDB_H
#define SW_DDB_H

#include "base/arena.h"
#include "base/json.h"
#include "base/error.h"
#include "store/store.h"

typedef struct ddb ddb_t;

/* A database over an open store (borrowed; must outlive the ddb). No
 * ddb_call may be running or start once ddb_close has begun. */
int ddb_open(store_t *store, ddb_t **out, sw_error_t *err);
void ddb_close(ddb_t *db);

/* The region and account an engine names in its ARNs (the DynamoDB one in
 * TableArn and ResourceArn, the Step Functions one in its ARNs too). */
#define DDB_DEFAULT_REGION "us-east-1"
#define DDB_DEFAULT_ACCOUNT "123456789012"
#define DDB_REGION_MAX_LEN 32
#define DDB_ACCOUNT_LEN 12

/* True if `region` has the shape of an AWS region name as ARNs carry it:
 * 1..DDB_REGION_MAX_LEN lowercase letters, digits and dashes, starting
 * with a letter, not ending with a dash, no two dashes in a row
 * ("eu-west-1", "us-gov-west-1"). Whether AWS has such a region is not
 * checked. */
bool ddb_region_is_valid(const char *region);
/* True if `account` is an AWS account id: exactly DDB_ACCOUNT_LEN digits. */
bool ddb_account_is_valid(const char *account);
/* Both checks, failing with ValidationException naming the one that did
 * not pass (the error the set_location calls of both engines give). */
int ddb_location_check(const char *region, const char *account, sw_error_t *err);

/* Makes `db` name `region` and `account` in its ARNs
 * (arn:aws:dynamodb:<region>:<account>:table/<name>) from now on: the
 * TableArn of every table description it returns, and the only ARNs
 * TagResource, UntagResource and ListTagsOfResource accept. ddb_open starts
 * with DDB_DEFAULT_REGION and DDB_DEFAULT_ACCOUNT. Fails with
 * ValidationException, changing nothing, when either does not pass
 * ddb_region_is_valid / ddb_account_is_valid. Both strings are copied. Not
 * thread-safe: call it before any ddb_call. */
int ddb_set_location(ddb_t *db, const char *region, const char *account, sw_error_t *err);

/* Runs `op` in its own transaction. Reads run on the calling thread in a
 * read transaction. Writes are handed to the store's writer thread
 * (store_write), which commits every write queued meanwhile in one store
 * transaction (group commit, one fsync), each in its own nested
 * transaction; ddb_call returns once that commit is done, never before (if
 * it fails: InternalServerError and nothing of the request is applied).
 * Thread-safe. A thread that holds a top-level store write transaction must
 * not call it for a write (use ddb_call_txn).
 * Unknown ops: "UnknownOperationException".
 * On failure *resp is NULL or an object of extra members that belong in the
 * error body next to "__type" and "message" (AWS sends e.g. "Item" with
 * ConditionalCheckFailedException when ReturnValuesOnConditionCheckFailure
 * is ALL_OLD, "CancellationReasons" with TransactionCanceledException). */
int ddb_call(ddb_t *db, const char *op, const json_t *req, arena_t *a,
             json_t **resp, sw_error_t *err);

/* Same, inside the caller's write transaction `txn`, which is neither
 * committed nor aborted here (a read transaction serves read ops only; a
 * write op gets InternalServerError): the Step Functions engine commits a Task's
 * write together with the state transition that follows it. On failure the
 * request has changed nothing in `txn` and the caller may go on using it. */
int ddb_call_txn(ddb_t *db, store_txn_t *txn, const char *op, const json_t *req,
                 arena_t *a, json_t **resp, sw_error_t *err);

/* The error body AWS sends for `err`: {"__type": "<namespace>#<type>",
 * "message": ...} plus the members of `extras` (what a failed ddb_call left
 * in *resp), allocated in `a`. */
json_t *ddb_error_body(arena_t *a, const sw_error_t *err, const json_t *extras);

/* True if `op` is an operation this engine implements ("PutItem", ...). */
bool ddb_has_op(const char *op);
/* True if `op` is a known operation that writes (ddb_call hands it to the
 * group-commit writer and returns only once it is durable). */
bool ddb_op_is_write(const char *op);

/* HTTP status AWS sends with error `type` (400 for client errors, 500 for
 * InternalServerError, ...), from the error catalogue. */
int ddb_error_status(const char *type);

#endif
