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

/* A database over an open store (borrowed; must outlive the ddb). ddb_close
 * waits for the writes queued and stops the writer thread; no ddb_call may
 * be running or start once it has begun. */
int ddb_open(store_t *store, ddb_t **out, sw_error_t *err);
void ddb_close(ddb_t *db);

/* Runs `op` in its own transaction. Reads run on the calling thread in a
 * read transaction. Writes are handed to the database's writer thread,
 * which commits every write queued meanwhile in one store transaction (group
 * commit, one fsync), each in its own nested transaction; ddb_call returns
 * once that commit is done, never before (if it fails: InternalServerError
 * and nothing of the request is applied). Thread-safe. A thread that holds a
 * store write transaction must not call it for a write (use ddb_call_txn).
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
