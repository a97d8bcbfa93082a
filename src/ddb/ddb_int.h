/* ddb_int.h - internals shared by the files of the ddb module (SQLite's
 * btreeInt.h). Nothing outside src/ddb/ includes this.
 *
 * DESIGN NOTE: the `items` sub-db key layout
 * ------------------------------------------
 * Full key of an item (the "logical" key, built by ddb__key_encode):
 *
 *   table id (u32 BE) . index id (u16 BE, 0 = base table)
 *   . H = 64-bit hash of (type byte . bytes) of the partition key (u64 BE)
 *   [. escaped order-preserving encoding of the sort key]   (tables with RANGE)
 *   . type byte of the partition key ('S' 'N' 'B') . its bytes (S: UTF-8,
 *     B: decoded, N: ddb_num_encode_key, so 1E3 and 1000 are one key)
 *
 * - The hash comes first so partitions spread over the key space as on
 *   DynamoDB: Scan walks hash order and Segment/TotalSegments are ranges of H.
 * - Inside one H, entries sort by the sort key, so a Query is a range scan
 *   over the prefix tid.idx.H. The sort key encoding is self-delimiting (see
 *   below), which is why bytes may follow it.
 * - The partition key itself closes the key: two partition keys whose hashes
 *   collide still get distinct keys. Such "foreign" items interleave with a
 *   partition's own in a Query scan; readers compare the partition key
 *   (ddb__key_split gives it) and skip them.
 * - Sort-key encoding: the order bytes of the value (S: UTF-8 bytes, B: raw
 *   bytes, N: ddb_num_encode_key) with every 0x00 written as 00 FF and a
 *   terminator 00 00. memcmp order of encodings = DynamoDB's order of values
 *   (unsigned bytes for S and B, numeric for N) and no encoding is a proper
 *   prefix of another.
 *
 * LMDB keys are at most 511 bytes (STORE_MAX_KEY). A full key of up to 510
 * bytes is the LMDB key itself and the value is the item's canonical
 * DynamoDB JSON text. A longer full key (long partition or sort keys) is
 * stored under the 511-byte "long form":
 *
 *   full[0..500] (501 bytes) . hash64(full key) (u64 BE) . probe (u16 BE)
 *
 * and its value is  u16 BE full-key length . full key . item JSON. A 511-byte
 * LMDB key is therefore always long form. Lookups seek to prefix.hash and
 * compare full keys over every probe slot, so hash collisions and prefix ties
 * are resolved exactly; inserts take the first probe number after the
 * highest in use. Ordered readers must treat entries sharing the first 501
 * bytes as one group and order it by full key (ddb__items_* do this).
 */
#ifndef SW_DDB_INT_H
#define SW_DDB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "ddb/ddb.h"
#include "store/store.h"

/* ---------------------------------------------------------------- limits */

#define DDB_ITEM_MAX_BYTES (400 * 1024)   /* item size as AWS counts it */
#define DDB_PK_MAX_BYTES 2048
#define DDB_SK_MAX_BYTES 1024
#define DDB_TABLE_NAME_MIN 3
#define DDB_TABLE_NAME_MAX 255
#define DDB_AV_NEST_MAX 32                /* M/L nesting levels, attribute = 1 */

/* ------------------------------------------------------------ the handle */

struct ddb {
    store_t *store;
    /* ddb_set_location's; read without a lock, so set before any ddb_call. */
    char region[DDB_REGION_MAX_LEN + 1];
    char account[DDB_ACCOUNT_LEN + 1];
    char table_arn_prefix[64 + DDB_REGION_MAX_LEN];  /* "arn:aws:dynamodb:R:A:table/" */
};

/* ------------------------------------------------------------ AttributeValue
 * av.c. An AttributeValue is a JSON object with exactly one type member:
 * {"S": "x"}, {"N": "1"}, {"B": "base64"}, {"BOOL": true}, {"NULL": true},
 * {"M": {...}}, {"L": [...]}, {"SS": [...]}, {"NS": [...]}, {"BS": [...]}.
 * An item is a JSON object of attribute name -> AttributeValue. */

typedef enum ddb_av_type {
    DDB_AV_S, DDB_AV_N, DDB_AV_B, DDB_AV_BOOL, DDB_AV_NULL,
    DDB_AV_M, DDB_AV_L, DDB_AV_SS, DDB_AV_NS, DDB_AV_BS,
    DDB_AV_INVALID
} ddb_av_type_t;

/* Type of an AV already validated (its single member's name); DDB_AV_INVALID
 * for anything else. *val (may be NULL) gets the member's value. */
ddb_av_type_t ddb__av_type(const json_t *av, const json_t **val);
/* "S", "N", ... for a type. */
const char *ddb__av_type_name(ddb_av_type_t t);

/* Validates one AttributeValue as DynamoDB does (recursively): exactly one
 * type, JSON types of the members (SerializationException otherwise), valid
 * numbers (ddb_num_parse's errors), base64 binaries, non-empty sets without
 * duplicates, NULL true. Errors: ValidationException / SerializationException
 * with AWS's wording. Does not modify `av`. */
int ddb__av_validate(const json_t *av, sw_error_t *err);

/* Validates `av` and returns its canonical form allocated in `a`: numbers
 * normalised ("1E3" -> "1000"), also inside NS, M and L. NULL + err on
 * invalid input. */
json_t *ddb__av_canon(arena_t *a, const json_t *av, sw_error_t *err);

/* Validates an item (an object of AttributeValues) and returns it canonical
 * in `a`. Attribute names must be non-empty. Errors as ddb__av_validate. */
json_t *ddb__item_canon(arena_t *a, const json_t *item, sw_error_t *err);

/* Size in bytes as DynamoDB bills it: name length + value size, S = UTF-8
 * bytes, N = 1 + ceil(significant digits / 2), B = raw bytes, BOOL/NULL 1,
 * M/L 3 + 1 per element + contents, sets the sum of their elements.
 * Values must be canonical. */
size_t ddb__av_size(const json_t *av);
size_t ddb__item_size(const json_t *item);

/* Items nest at most 32 levels, the attribute itself being level 1. */
#define DDB_NEST_MSG \
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels " \
    "beyond supported limit"
/* ValidationException DDB_NEST_MSG if a canonical item nests too deep (for
 * items built by UpdateItem; ddb__item_canon checks its input itself). */
int ddb__item_check_depth(const json_t *item, sw_error_t *err);

/* Equality of two canonical AttributeValues (sets compare as sets). */
bool ddb__av_equal(const json_t *x, const json_t *y);

/* Decodes standard base64 (with padding) into `a`; false if invalid. */
bool ddb__b64_decode(arena_t *a, const char *s, size_t len, uint8_t **out, size_t *out_len);

/* ---------------------------------------------------------------- tables
 * table.c. A table as the item code needs it, loaded from the catalog. */

typedef struct ddb_table {
    const char *name;
    uint32_t id;
    const char *hash_name;   /* partition key attribute */
    char hash_type;          /* 'S' 'N' 'B' */
    const char *range_name;  /* sort key attribute, NULL when none */
    char range_type;
    const char *desc_text;   /* TableDescription JSON text as stored (in the arena) */
    size_t desc_len;
    json_t *desc;            /* parsed by ddb__table_desc; NULL until then */
} ddb_table_t;

/* The stored TableDescription of `t`, parsed into `a` on first use (without
 * live ItemCount / TableSizeBytes). NULL + InternalServerError if corrupt. */
json_t *ddb__table_desc(arena_t *a, ddb_table_t *t, sw_error_t *err);

/* Loads table `name` (valid until `a` is dropped). Errors:
 * ResourceNotFoundException "Requested resource not found". */
int ddb__table_load(store_txn_t *txn, arena_t *a, const char *name,
                    ddb_table_t *out, sw_error_t *err);
/* Reads TableName from `req`, checks it (ValidationException as AWS) and
 * loads the table. */
int ddb__table_from_req(store_txn_t *txn, arena_t *a, const json_t *req,
                        ddb_table_t *out, sw_error_t *err);
/* Adds `d_items` and `d_bytes` to the table's ItemCount / TableSizeBytes. */
int ddb__table_count_add(store_txn_t *txn, uint32_t table_id, int64_t d_items,
                         int64_t d_bytes, sw_error_t *err);

/* ------------------------------------------------------------------ keys
 * key.c; layout in the design note above. */

#define DDB_KEY_FULL_MAX 4200
#define DDB_KEY_LONG_PREFIX 501

/* Hash of a partition key value; replaceable by tests to force collisions
 * (NULL restores the default). */
typedef uint64_t (*ddb_hash_fn_t)(const void *p, size_t len);
void ddb__key_set_hash_hook(ddb_hash_fn_t fn);
uint64_t ddb__key_hash(const void *p, size_t len);

/* Builds the full key of `item` (or of a Key object) for `t`, checking the
 * key attributes: present, of the declared type, non-empty, within size
 * limits. Errors (ValidationException): "The provided key element does not
 * match the schema", "One or more parameter values are not valid. The
 * AttributeValue for a key attribute cannot contain an empty string value.
 * Key: pk", ... With `is_key_only`, extra attributes are rejected (a Key
 * parameter). The key is written into `out` (DDB_KEY_FULL_MAX bytes). */
int ddb__key_encode(const ddb_table_t *t, const json_t *item, bool is_key_only,
                    uint8_t *out, size_t *out_len, sw_error_t *err);

/* Length of tid . idx . H, the prefix every key of one partition shares. */
#define DDB_KEY_PREFIX_LEN 14

/* For Query and Scan: the partition prefix for partition-key value `pk_av`
 * (a canonical AttributeValue; errors as ddb__key_encode), and the escaped,
 * terminated sort-key bytes of `sk_av` as they follow the prefix in keys
 * (at most 2 * 1024 + 2 bytes), so range bounds are prefix . sk bytes. */
int ddb__key_partition_prefix(const ddb_table_t *t, uint16_t index_id, const json_t *pk_av,
                              uint8_t out[DDB_KEY_PREFIX_LEN], sw_error_t *err);
int ddb__key_sk_bytes(const ddb_table_t *t, const json_t *sk_av, uint8_t *out, size_t *out_len,
                      sw_error_t *err);

/* Splits a full key: sort-key encoding (empty when none) and the partition
 * key's type byte + canonical bytes. False if malformed. */
bool ddb__key_split(const uint8_t *key, size_t len, bool has_range,
                    const uint8_t **sk, size_t *sk_len,
                    const uint8_t **pk, size_t *pk_len);

/* Reads the item stored under full key `key`; true and *json, *json_len
 * (borrowed from `txn`) when present. */
bool ddb__items_get(store_txn_t *txn, const uint8_t *key, size_t key_len,
                    const char **json, size_t *json_len);
/* Stores / replaces the item JSON under full key `key`. */
int ddb__items_put(store_txn_t *txn, const uint8_t *key, size_t key_len,
                   const char *json, size_t json_len, sw_error_t *err);
/* Deletes the item under `key` if present. */
int ddb__items_del(store_txn_t *txn, const uint8_t *key, size_t key_len,
                   sw_error_t *err);
/* Deletes every entry whose key starts with the table id (DeleteTable). */
int ddb__items_drop_table(store_txn_t *txn, uint32_t table_id, sw_error_t *err);

/* Ordered iteration over full keys within [lo, hi) in full-key order
 * (long-form groups sorted), for Query and Scan. Entries are copied into
 * the iterator's arena as they are read. */
typedef struct ddb_items_iter ddb_items_iter_t;
int ddb__items_iter_open(store_txn_t *txn, arena_t *a, const uint8_t *lo,
                         size_t lo_len, const uint8_t *hi, size_t hi_len,
                         ddb_items_iter_t **out, sw_error_t *err);
/* True and the next entry (full key and item JSON, allocated in the
 * iterator's arena) until the range is exhausted. */
bool ddb__items_iter_next(ddb_items_iter_t *it, const uint8_t **key, size_t *key_len,
                          const char **json, size_t *json_len);
void ddb__items_iter_close(ddb_items_iter_t *it);

/* ------------------------------------------------------------ operations
 * One handler per API action, run inside `txn` (a write transaction for
 * writing ops). *resp is allocated in `a`. On failure the handler may set
 * *resp to an object of extra error members (e.g. {"Item": ...} for
 * ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure). */
typedef int (*ddb_op_fn_t)(ddb_t *db, store_txn_t *txn, const json_t *req,
                           arena_t *a, json_t **resp, sw_error_t *err);

int ddb__op_create_table(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_describe_table(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_list_tables(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_delete_table(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_update_table(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_describe_time_to_live(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_update_time_to_live(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_tag_resource(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_untag_resource(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_list_tags_of_resource(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_describe_limits(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_put_item(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_get_item(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_update_item(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_delete_item(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_query(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_scan(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_batch_get_item(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_batch_write_item(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_transact_get_items(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);
int ddb__op_transact_write_items(ddb_t *, store_txn_t *, const json_t *, arena_t *, json_t **, sw_error_t *);

/* SerializationException as DynamoDB's deserializer words it when a member
 * `v` has the wrong JSON type; `want` is the expected shape as Java names
 * it: "an String", "an Boolean", "an Integer", "a Blob", "List", "Map",
 * "Structure". Returns -1. */
int ddb__ser_error(const json_t *v, const char *want, sw_error_t *err);

/* Parameter-constraint errors collected and reported together as AWS does:
 * "1 validation error detected: Value null at 'tableName' failed to satisfy
 * constraint: Member must not be null; ..." (at most 10). */
typedef struct ddb_verr {
    int n;
    size_t len;
    char text[SW_ERROR_MSG_MAX];
} ddb_verr_t;
void ddb__verr_add(ddb_verr_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns -1 and fills `err` when errors were added, else 0. */
int ddb__verr_finish(const ddb_verr_t *v, sw_error_t *err);
/* Checks a TableName value (NULL = absent) against AWS's constraints,
 * adding errors for parameter `param` ("tableName"). Where a table's ARN
 * stands for its name, pass ddb__table_name_of(value). */
void ddb__verr_table_name(ddb_verr_t *v, const char *param, const char *name);
/* The table name a TableName value gives: itself, or the NAME of a table
 * ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME), which DynamoDB accepts
 * wherever it takes a table name (but CreateTable). Borrowed from `name`. */
const char *ddb__table_name_of(const char *name);

/* ------------------------------------------------------ request helpers
 * ddb.c. Typed member access with DynamoDB's SerializationException for a
 * wrong JSON type. Absent members give NULL / the default and no error. */
int ddb__req_str(const json_t *req, const char *name, const char **out, sw_error_t *err);
int ddb__req_obj(const json_t *req, const char *name, const json_t **out, sw_error_t *err);
int ddb__req_arr(const json_t *req, const char *name, const json_t **out, sw_error_t *err);
int ddb__req_bool(const json_t *req, const char *name, bool *out, sw_error_t *err);
int ddb__req_int(const json_t *req, const char *name, bool *present, int64_t *out,
                 sw_error_t *err);

#endif
