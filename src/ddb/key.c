/* key.c - item keys of the `items` sub-db: encoding of the full key from an
 * item, the 511-byte long form for keys LMDB cannot hold, and ordered
 * iteration that hides the long form. Layout: the design note at the top of
 * ddb_int.h. Knows tables only through ddb_table_t; no JSON text here. */
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "ddb/num.h"

#define KEY_HDR DDB_KEY_PREFIX_LEN   /* tid 4 + idx 2 + hash 8 */
#define LONG_KEY_LEN STORE_MAX_KEY
#define LONG_GROUP_LEN (DDB_KEY_LONG_PREFIX + 8)   /* prefix + hash, before probe */

/* ------------------------------------------------------------------ hash */

static ddb_hash_fn_t hash_hook;

void ddb__key_set_hash_hook(ddb_hash_fn_t fn) {
    hash_hook = fn;
}

/* FNV-1a over the bytes, then splitmix64's finaliser for avalanche. */
static uint64_t default_hash(const void *p, size_t len) {
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

uint64_t ddb__key_hash(const void *p, size_t len) {
    return hash_hook ? hash_hook(p, len) : default_hash(p, len);
}

static void put_be(uint8_t *p, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* -------------------------------------------------------------- encoding */

#define KEY_MISMATCH "The provided key element does not match the schema"

/* The order bytes of a key value (S: UTF-8, B: decoded, N: num encoding),
 * after checking type, emptiness and size. A key given as a whole item
 * (PutItem) gets DynamoDB's item wording for a missing or mistyped key; a
 * Key parameter gets "does not match the schema". */
static int av_key_bytes(const json_t *av, const char *name, char type, bool is_range,
                        bool is_in_item, uint8_t *scratch, const uint8_t **out,
                        size_t *out_len, arena_t *a, sw_error_t *err) {
    const json_t *v = NULL;
    ddb_av_type_t t = ddb__av_type(av, &v);
    size_t len;

    if (!av && is_in_item)
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: Missing the key %s in "
                            "the item", name);
    if (!av || (type == 'S' && t != DDB_AV_S) || (type == 'N' && t != DDB_AV_N) ||
        (type == 'B' && t != DDB_AV_B)) {
        if (is_in_item && t != DDB_AV_INVALID)
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values were invalid: Type mismatch for "
                                "key %s expected: %c actual: %s", name, type,
                                ddb__av_type_name(t));
        return sw_error_set(err, "ValidationException", KEY_MISMATCH);
    }
    if (type == 'N') {
        ddb_num_t n;
        if (ddb_num_parse(v->u.str, v->len, &n, err) != 0)
            return -1;
        *out_len = ddb_num_encode_key(&n, scratch);
        *out = scratch;
        return 0;
    }
    if (type == 'S') {
        *out = (const uint8_t *)v->u.str;
        len = v->len;
        if (len == 0)
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values are not valid. The AttributeValue "
                                "for a key attribute cannot contain an empty string value. Key: %s",
                                name);
    } else {
        uint8_t *dec;
        if (!ddb__b64_decode(a, v->u.str, v->len, &dec, &len))
            return sw_error_set(err, "ValidationException", KEY_MISMATCH);
        *out = dec;
        if (len == 0)
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values are not valid. The AttributeValue "
                                "for a key attribute cannot contain an empty binary value. Key: %s",
                                name);
    }
    if (!is_range && len > DDB_PK_MAX_BYTES)
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: Size of hashkey has "
                            "exceeded the maximum size limit of2048 bytes");
    if (is_range && len > DDB_SK_MAX_BYTES)
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: Aggregated size of all "
                            "range keys has exceeded the size limit of 1024 bytes");
    *out_len = len;
    return 0;
}

/* Escaped, terminated sort-key bytes; returns the length (<= 2 * len + 2). */
static size_t sk_escape(const uint8_t *sk, size_t len, uint8_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        out[n++] = sk[i];
        if (sk[i] == 0)
            out[n++] = 0xff;
    }
    out[n++] = 0;
    out[n++] = 0;
    return n;
}

int ddb__key_partition_prefix(const ddb_table_t *t, uint16_t index_id, const json_t *pk_av,
                              uint8_t out[DDB_KEY_PREFIX_LEN], sw_error_t *err) {
    uint8_t num[DDB_NUM_KEY_MAX], hash_in[1 + DDB_PK_MAX_BYTES];
    const uint8_t *pk;
    size_t pk_len;
    arena_t scratch;
    int rc = -1;

    arena_init(&scratch);
    if (av_key_bytes(pk_av, t->hash_name, t->hash_type, false, false, num, &pk, &pk_len, &scratch,
                     err) == 0) {
        hash_in[0] = (uint8_t)t->hash_type;
        memcpy(hash_in + 1, pk, pk_len);
        put_be(out, t->id, 4);
        put_be(out + 4, index_id, 2);
        put_be(out + 6, ddb__key_hash(hash_in, pk_len + 1), 8);
        rc = 0;
    }
    arena_release(&scratch);
    return rc;
}

int ddb__key_sk_bytes(const ddb_table_t *t, const json_t *sk_av, uint8_t *out, size_t *out_len,
                      sw_error_t *err) {
    uint8_t num[DDB_NUM_KEY_MAX];
    const uint8_t *sk;
    size_t sk_len;
    arena_t scratch;
    int rc = -1;

    arena_init(&scratch);
    if (av_key_bytes(sk_av, t->range_name, t->range_type, true, false, num, &sk, &sk_len, &scratch,
                     err) == 0) {
        *out_len = sk_escape(sk, sk_len, out);
        rc = 0;
    }
    arena_release(&scratch);
    return rc;
}

int ddb__key_encode(const ddb_table_t *t, const json_t *item, bool is_key_only,
                    uint8_t *out, size_t *out_len, sw_error_t *err) {
    uint8_t pk_num[DDB_NUM_KEY_MAX], sk_num[DDB_NUM_KEY_MAX];
    const uint8_t *pk, *sk = NULL;
    size_t pk_len, sk_len = 0, n = KEY_HDR;
    arena_t scratch;
    int rc = -1;
    uint8_t hash_in[1 + DDB_PK_MAX_BYTES];

    if (!json_is_obj(item))
        return sw_error_set(err, "ValidationException", KEY_MISMATCH);
    if (is_key_only && item->len != (t->range_name ? 2u : 1u))
        return sw_error_set(err, "ValidationException", KEY_MISMATCH);
    arena_init(&scratch);
    if (av_key_bytes(json_obj_get(item, t->hash_name), t->hash_name, t->hash_type, false,
                     !is_key_only, pk_num, &pk, &pk_len,
                        &scratch, err) != 0)
        goto out;
    if (t->range_name &&
        av_key_bytes(json_obj_get(item, t->range_name), t->range_name, t->range_type, true,
                     !is_key_only, sk_num, &sk, &sk_len,
                        &scratch, err) != 0)
        goto out;

    /* The partition key as hashed and stored: type byte . canonical bytes
     * (pk_len is within DDB_PK_MAX_BYTES here). */
    hash_in[0] = (uint8_t)t->hash_type;
    memcpy(hash_in + 1, pk, pk_len);

    put_be(out, t->id, 4);
    put_be(out + 4, 0, 2);
    put_be(out + 6, ddb__key_hash(hash_in, pk_len + 1), 8);
    if (t->range_name)
        n += sk_escape(sk, sk_len, out + n);
    memcpy(out + n, hash_in, pk_len + 1);
    n += pk_len + 1;
    SW_ASSERT(n <= DDB_KEY_FULL_MAX);
    *out_len = n;
    rc = 0;
out:
    arena_release(&scratch);
    return rc;
}

bool ddb__key_split(const uint8_t *key, size_t len, bool has_range,
                    const uint8_t **sk, size_t *sk_len,
                    const uint8_t **pk, size_t *pk_len) {
    size_t i = KEY_HDR;

    if (len <= KEY_HDR)
        return false;
    if (has_range) {
        for (;;) {
            if (i + 1 >= len)
                return false;
            if (key[i] == 0) {
                if (key[i + 1] == 0) {
                    i += 2;
                    break;
                }
                if (key[i + 1] != 0xff)
                    return false;
                i += 2;
            } else {
                i++;
            }
        }
    }
    *sk = key + KEY_HDR;
    *sk_len = i - KEY_HDR;
    if (i >= len)
        return false;
    *pk = key + i;
    *pk_len = len - i;
    return true;
}

/* ------------------------------------------------------------- long form */

static bool is_long(size_t full_len) {
    return full_len >= LONG_KEY_LEN;
}

static void long_group(const uint8_t *full, size_t full_len, uint8_t *lkey) {
    memcpy(lkey, full, DDB_KEY_LONG_PREFIX);
    put_be(lkey + DDB_KEY_LONG_PREFIX, ddb__key_hash(full, full_len), 8);
}

/* Splits a long-form value into full key and JSON. */
static bool long_value(const void *v, size_t v_len, const uint8_t **full, size_t *full_len,
                       const char **json, size_t *json_len) {
    const uint8_t *p = v;
    size_t n;
    if (v_len < 2)
        return false;
    n = ((size_t)p[0] << 8) | p[1];
    if (2 + n > v_len)
        return false;
    *full = p + 2;
    *full_len = n;
    *json = (const char *)p + 2 + n;
    *json_len = v_len - 2 - n;
    return true;
}

/* Finds the long-form slot of `full`. Returns 1 when found (lkey filled with
 * its LMDB key, *json set), 0 when absent (lkey filled with a free slot),
 * -1 on a store error. */
static int long_find(store_txn_t *txn, const uint8_t *full, size_t full_len, uint8_t *lkey,
                     const char **json, size_t *json_len, sw_error_t *err) {
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len;
    unsigned next_probe = 0;
    bool ok;

    long_group(full, full_len, lkey);
    put_be(lkey + LONG_GROUP_LEN, 0, 2);
    if (store_cursor_open(txn, STORE_ITEMS, &c, err) != 0)
        return -1;
    for (ok = store_cursor_seek(c, lkey, LONG_KEY_LEN, &k, &k_len, &v, &v_len); ok;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        const uint8_t *f, *kb = k;
        size_t f_len;
        const char *j;
        size_t j_len;
        if (k_len != LONG_KEY_LEN || memcmp(k, lkey, LONG_GROUP_LEN) != 0)
            break;
        next_probe = (((unsigned)kb[LONG_GROUP_LEN] << 8) | kb[LONG_GROUP_LEN + 1]) + 1;
        if (long_value(v, v_len, &f, &f_len, &j, &j_len) && f_len == full_len &&
            memcmp(f, full, full_len) == 0) {
            memcpy(lkey, k, LONG_KEY_LEN);
            if (json) {
                *json = j;
                *json_len = j_len;
            }
            store_cursor_close(c);
            return 1;
        }
    }
    store_cursor_close(c);
    if (next_probe > 0xffff)
        return sw_error_set(err, "InternalServerError", "key probe space exhausted");
    put_be(lkey + LONG_GROUP_LEN, next_probe, 2);
    return 0;
}

/* ----------------------------------------------------------- item access */

bool ddb__items_get(store_txn_t *txn, const uint8_t *key, size_t key_len,
                    const char **json, size_t *json_len) {
    uint8_t lkey[LONG_KEY_LEN];
    const void *v;

    if (!is_long(key_len)) {
        if (!store_get(txn, STORE_ITEMS, key, key_len, &v, json_len))
            return false;
        *json = v;
        return true;
    }
    return long_find(txn, key, key_len, lkey, json, json_len, NULL) == 1;
}

int ddb__items_put(store_txn_t *txn, const uint8_t *key, size_t key_len,
                   const char *json, size_t json_len, sw_error_t *err) {
    uint8_t lkey[LONG_KEY_LEN];
    uint8_t *val;
    int rc;

    if (!is_long(key_len))
        return store_put(txn, STORE_ITEMS, key, key_len, json, json_len, err);
    if (long_find(txn, key, key_len, lkey, NULL, NULL, err) < 0)
        return -1;
    val = malloc(2 + key_len + json_len);
    if (!val)
        SW_BUG("out of memory");
    val[0] = (uint8_t)(key_len >> 8);
    val[1] = (uint8_t)key_len;
    memcpy(val + 2, key, key_len);
    memcpy(val + 2 + key_len, json, json_len);
    rc = store_put(txn, STORE_ITEMS, lkey, LONG_KEY_LEN, val, 2 + key_len + json_len, err);
    free(val);
    return rc;
}

int ddb__items_del(store_txn_t *txn, const uint8_t *key, size_t key_len, sw_error_t *err) {
    uint8_t lkey[LONG_KEY_LEN];
    int found;

    if (!is_long(key_len))
        return store_del(txn, STORE_ITEMS, key, key_len, err);
    found = long_find(txn, key, key_len, lkey, NULL, NULL, err);
    if (found < 0)
        return -1;
    return found ? store_del(txn, STORE_ITEMS, lkey, LONG_KEY_LEN, err) : 0;
}

int ddb__items_drop_table(store_txn_t *txn, uint32_t table_id, sw_error_t *err) {
    uint8_t prefix[4];
    store_cursor_t *c;
    const void *k;
    size_t k_len;
    uint8_t kcopy[STORE_MAX_KEY];

    put_be(prefix, table_id, 4);
    for (;;) {
        bool ok;
        if (store_cursor_open(txn, STORE_ITEMS, &c, err) != 0)
            return -1;
        ok = store_cursor_seek(c, prefix, 4, &k, &k_len, NULL, NULL);
        if (ok && k_len >= 4 && memcmp(k, prefix, 4) == 0) {
            memcpy(kcopy, k, k_len);
            store_cursor_close(c);
            if (store_del(txn, STORE_ITEMS, kcopy, k_len, err) != 0)
                return -1;
            continue;
        }
        store_cursor_close(c);
        return 0;
    }
}

/* -------------------------------------------------------------- iterator */

typedef struct iter_entry {
    const uint8_t *key;
    size_t key_len;
    const char *json;
    size_t json_len;
} iter_entry_t;

struct ddb_items_iter {
    arena_t *a;
    store_cursor_t *c;
    const uint8_t *lo, *hi;
    size_t lo_len, hi_len;
    bool has_cur;            /* the cursor holds an entry not yet consumed */
    const void *ck, *cv;
    size_t ck_len, cv_len;
    iter_entry_t *group;     /* a sorted long-form group being handed out */
    size_t n_group, i_group;
};

static int full_cmp(const uint8_t *x, size_t x_len, const uint8_t *y, size_t y_len) {
    size_t n = x_len < y_len ? x_len : y_len;
    int c = memcmp(x, y, n);
    if (c)
        return c;
    return x_len < y_len ? -1 : x_len > y_len;
}

static int entry_cmp(const void *x, const void *y) {
    const iter_entry_t *ex = x, *ey = y;
    return full_cmp(ex->key, ex->key_len, ey->key, ey->key_len);
}

/* The full entry for the cursor's current LMDB entry, copied into `a`. */
static bool entry_from(ddb_items_iter_t *it, iter_entry_t *e) {
    const uint8_t *f = it->ck;
    size_t f_len = it->ck_len;
    const char *j = it->cv;
    size_t j_len = it->cv_len;
    if (it->ck_len == LONG_KEY_LEN && !long_value(it->cv, it->cv_len, &f, &f_len, &j, &j_len))
        return false;
    e->key = (const uint8_t *)arena_strndup(it->a, (const char *)f, f_len);
    e->key_len = f_len;
    e->json = arena_strndup(it->a, j, j_len);
    e->json_len = j_len;
    return true;
}

int ddb__items_iter_open(store_txn_t *txn, arena_t *a, const uint8_t *lo, size_t lo_len,
                         const uint8_t *hi, size_t hi_len, ddb_items_iter_t **out,
                         sw_error_t *err) {
    ddb_items_iter_t *it = arena_zalloc(a, sizeof *it);
    size_t seek_len = lo_len > DDB_KEY_LONG_PREFIX ? DDB_KEY_LONG_PREFIX : lo_len;

    it->a = a;
    it->lo = lo;
    it->lo_len = lo_len;
    it->hi = hi;
    it->hi_len = hi_len;
    if (store_cursor_open(txn, STORE_ITEMS, &it->c, err) != 0)
        return -1;
    it->has_cur = store_cursor_seek(it->c, lo, seek_len, &it->ck, &it->ck_len, &it->cv,
                                    &it->cv_len);
    *out = it;
    return 0;
}

static bool iter_advance(ddb_items_iter_t *it, iter_entry_t *e) {
    for (;;) {
        if (it->i_group < it->n_group) {
            *e = it->group[it->i_group++];
            return true;
        }
        if (!it->has_cur)
            return false;
        if (it->ck_len < DDB_KEY_LONG_PREFIX) {
            bool ok = entry_from(it, e);
            it->has_cur = store_cursor_next(it->c, &it->ck, &it->ck_len, &it->cv, &it->cv_len);
            if (ok)
                return true;
            continue;
        }
        /* Entries sharing the first 501 bytes form a group whose LMDB order
         * may differ from full-key order once a long-form key is in it. */
        {
            uint8_t prefix[DDB_KEY_LONG_PREFIX];
            size_t cap = 8;
            memcpy(prefix, it->ck, DDB_KEY_LONG_PREFIX);
            it->group = arena_alloc(it->a, cap * sizeof *it->group);
            it->n_group = it->i_group = 0;
            while (it->has_cur && it->ck_len >= DDB_KEY_LONG_PREFIX &&
                   memcmp(it->ck, prefix, DDB_KEY_LONG_PREFIX) == 0) {
                if (it->n_group == cap) {
                    iter_entry_t *g = arena_alloc(it->a, 2 * cap * sizeof *g);
                    memcpy(g, it->group, cap * sizeof *g);
                    it->group = g;
                    cap *= 2;
                }
                if (entry_from(it, &it->group[it->n_group]))
                    it->n_group++;
                it->has_cur =
                    store_cursor_next(it->c, &it->ck, &it->ck_len, &it->cv, &it->cv_len);
            }
            qsort(it->group, it->n_group, sizeof *it->group, entry_cmp);
        }
    }
}

bool ddb__items_iter_next(ddb_items_iter_t *it, const uint8_t **key, size_t *key_len,
                          const char **json, size_t *json_len) {
    iter_entry_t e;
    for (;;) {
        if (!iter_advance(it, &e))
            return false;
        if (full_cmp(e.key, e.key_len, it->lo, it->lo_len) < 0)
            continue;
        if (it->hi_len && full_cmp(e.key, e.key_len, it->hi, it->hi_len) >= 0) {
            it->has_cur = false;
            it->n_group = it->i_group = 0;
            return false;
        }
        *key = e.key;
        *key_len = e.key_len;
        *json = e.json;
        *json_len = e.json_len;
        return true;
    }
}

void ddb__items_iter_close(ddb_items_iter_t *it) {
    if (it)
        store_cursor_close(it->c);
}
