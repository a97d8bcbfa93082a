/* av.c - DynamoDB AttributeValues: validation with AWS's errors, the
 * canonical form items are stored in (numbers normalised), item size as
 * DynamoDB counts it, and value equality.
 *
 * Works on json_t trees only; never touches the store. Numbers go through
 * ddb/num (never double). */
#include <string.h>

#include "ddb/ddb_int.h"
#include "ddb/num.h"

static const char *const av_names[] = {
    [DDB_AV_S] = "S", [DDB_AV_N] = "N", [DDB_AV_B] = "B",
    [DDB_AV_BOOL] = "BOOL", [DDB_AV_NULL] = "NULL", [DDB_AV_M] = "M",
    [DDB_AV_L] = "L", [DDB_AV_SS] = "SS", [DDB_AV_NS] = "NS", [DDB_AV_BS] = "BS",
};

#define INVALID_PREFIX "One or more parameter values were invalid: "
#define EMPTY_AV_MSG \
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"

const char *ddb__av_type_name(ddb_av_type_t t) {
    return t < DDB_AV_INVALID ? av_names[t] : "?";
}

static ddb_av_type_t type_of_name(const char *s, size_t len) {
    for (int t = 0; t < DDB_AV_INVALID; t++)
        if (strlen(av_names[t]) == len && memcmp(av_names[t], s, len) == 0)
            return (ddb_av_type_t)t;
    return DDB_AV_INVALID;
}

ddb_av_type_t ddb__av_type(const json_t *av, const json_t **val) {
    if (!json_is_obj(av) || av->len != 1)
        return DDB_AV_INVALID;
    if (val)
        *val = av->u.members[0].val;
    return type_of_name(av->u.members[0].key, av->u.members[0].key_len);
}

/* ---------------------------------------------------------------- base64 */

static int b64_val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Checks base64 as DynamoDB's deserializer does (SerializationException). */
static int b64_check(const char *s, size_t len, sw_error_t *err) {
    if (len % 4)
        return sw_error_set(err, "SerializationException",
                            "'%.*s' can not be converted to a Blob: Base64 encoded length is "
                            "expected a multiple of 4 bytes but found: %zu",
                            (int)(len > 200 ? 200 : len), s, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool is_pad_ok = c == '=' && (i == len - 1 || (i == len - 2 && s[len - 1] == '='));
        if (b64_val(c) < 0 && !is_pad_ok)
            return sw_error_set(err, "SerializationException",
                                "'%.*s' can not be converted to a Blob: Invalid Base64 character: '%c'",
                                (int)(len > 200 ? 200 : len), s, c == '=' ? '=' : c);
    }
    /* The unused low bits of the last character before padding must be 0. */
    if (len >= 4 && s[len - 1] == '=') {
        int last = s[len - 2] == '=' ? b64_val((unsigned char)s[len - 3])
                                     : b64_val((unsigned char)s[len - 2]);
        int mask = s[len - 2] == '=' ? 0x0f : 0x03;
        if (last & mask)
            return sw_error_set(err, "SerializationException",
                                "'%.*s' can not be converted to a Blob: Invalid last non-pad "
                                "Base64 character dectected",
                                (int)(len > 200 ? 200 : len), s);
    }
    return 0;
}

static size_t b64_decoded_len(size_t len, const char *s) {
    size_t n = len / 4 * 3;
    if (len >= 1 && s[len - 1] == '=') n--;
    if (len >= 2 && s[len - 2] == '=') n--;
    return n;
}

bool ddb__b64_decode(arena_t *a, const char *s, size_t len, uint8_t **out, size_t *out_len) {
    uint8_t *p;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (b64_check(s, len, NULL) != 0)
        return false;
    p = arena_alloc(a, len / 4 * 3 + 1);
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        acc = (acc << 6) | (uint32_t)b64_val((unsigned char)s[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[n++] = (uint8_t)(acc >> bits);
        }
    }
    *out = p;
    *out_len = n;
    return true;
}

/* ------------------------------------------------------------ validation */

/* DynamoDB's (Coral's) wording when a member has the wrong JSON type.
 * `want`: "an String", "an Boolean", "a Blob", "List", "Map", "Structure". */
int ddb__ser_error(const json_t *v, const char *want, sw_error_t *err) {
    const char *msg;
    if (json_is_arr(v))
        msg = "Start of list found where not expected";
    else if (json_is_obj(v))
        msg = "Start of structure or map found where not expected.";
    else if (!strcmp(want, "List"))
        msg = "Expected list or null";
    else if (!strcmp(want, "Map"))
        msg = "Expected map or null";
    else if (!strcmp(want, "Structure"))
        msg = "Expected null";
    else if (json_is_bool(v))
        return sw_error_set(err, "SerializationException",
                            "class java.lang.Boolean can not be converted to %s", want);
    else if (json_is_num(v))
        return sw_error_set(err, "SerializationException",
                            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not "
                            "be converted to %s", want);
    else
        return sw_error_set(err, "SerializationException",
                            "class java.lang.String can not be converted to %s", want);
    return sw_error_set(err, "SerializationException", "%s", msg);
}

/* Members whose value is JSON null count as absent, as DynamoDB's
 * deserializer treats them. Returns the type and the value of the single
 * present member, DDB_AV_INVALID with an error otherwise. */
static ddb_av_type_t av_pick(const json_t *av, const json_t **val, sw_error_t *err) {
    ddb_av_type_t found = DDB_AV_INVALID;
    int n_set = 0;

    if (!json_is_obj(av)) {
        ddb__ser_error(av, "Structure", err);
        return DDB_AV_INVALID;
    }
    for (size_t i = 0; i < av->len; i++) {
        const json_member_t *m = &av->u.members[i];
        ddb_av_type_t t = type_of_name(m->key, m->key_len);
        if (t == DDB_AV_INVALID || json_is_null(m->val))
            continue;  /* unknown members are ignored, as AWS does */
        n_set++;
        found = t;
        *val = m->val;
    }
    if (n_set == 0) {
        sw_error_set(err, "ValidationException", EMPTY_AV_MSG);
        return DDB_AV_INVALID;
    }
    if (n_set > 1) {
        sw_error_set(err, "ValidationException",
                     "Supplied AttributeValue has more than one datatypes set, must contain "
                     "exactly one of the supported datatypes");
        return DDB_AV_INVALID;
    }
    return found;
}

/* "[a, b]" as Java prints a list, for duplicate messages (capped). */
static void list_text(sw_buf_t *b, const json_t *arr) {
    buf_putc(b, '[');
    for (size_t i = 0; i < arr->len; i++) {
        if (i) buf_puts(b, ", ");
        buf_append(b, arr->u.items[i]->u.str, arr->u.items[i]->len);
    }
    buf_putc(b, ']');
}

static json_t *canon(arena_t *a, const json_t *av, int depth, sw_error_t *err);

static json_t *canon_set(arena_t *a, ddb_av_type_t t, const json_t *v, sw_error_t *err) {
    json_t *out_arr, *out;

    if (!json_is_arr(v)) {
        ddb__ser_error(v, "List", err);
        return NULL;
    }
    for (size_t i = 0; i < v->len; i++) {
        if (!json_is_str(v->u.items[i])) {
            ddb__ser_error(v->u.items[i], t == DDB_AV_BS ? "Blob" : "an String", err);
            return NULL;
        }
    }
    if (v->len == 0) {
        sw_error_set(err, "ValidationException", INVALID_PREFIX "%s",
                     t == DDB_AV_SS   ? "An string set  may not be empty"
                     : t == DDB_AV_NS ? "An number set  may not be empty"
                                      : "Binary sets should not be empty");
        return NULL;
    }
    out_arr = json_new_arr(a);
    for (size_t i = 0; i < v->len; i++) {
        const json_t *e = v->u.items[i];
        json_t *ce;
        if (t == DDB_AV_NS) {
            size_t n_len;
            char *txt = ddb_num_normalize(a, e->u.str, e->len, &n_len, err);
            if (!txt)
                return NULL;
            ce = json_new_str(a, txt, n_len);
        } else {
            if (t == DDB_AV_BS && b64_check(e->u.str, e->len, err) != 0)
                return NULL;
            ce = json_new_str(a, e->u.str, e->len);
        }
        json_arr_push(a, out_arr, ce);
    }
    /* Duplicates (numbers compare after normalisation). */
    for (size_t i = 0; i < out_arr->len; i++) {
        for (size_t j = i + 1; j < out_arr->len; j++) {
            const json_t *x = out_arr->u.items[i], *y = out_arr->u.items[j];
            if (x->len == y->len && memcmp(x->u.str, y->u.str, x->len) == 0) {
                sw_buf_t b;
                if (t == DDB_AV_NS) {
                    sw_error_set(err, "ValidationException",
                                 INVALID_PREFIX "Input collection contains duplicates");
                    return NULL;
                }
                buf_init(&b, a, 600);
                list_text(&b, v);
                sw_error_set(err, "ValidationException",
                             INVALID_PREFIX "Input collection %s%s contains duplicates.", b.ptr,
                             t == DDB_AV_BS ? "of type BS" : "");
                return NULL;
            }
        }
    }
    out = json_new_obj(a);
    json_obj_set(a, out, ddb__av_type_name(t), out_arr);
    return out;
}

static json_t *canon(arena_t *a, const json_t *av, int depth, sw_error_t *err) {
    const json_t *v = NULL;
    ddb_av_type_t t;
    json_t *out;

    /* The attribute itself is level 1; AWS accepts 32 levels. */
    if (depth >= DDB_AV_NEST_MAX) {
        sw_error_set(err, "ValidationException", DDB_NEST_MSG);
        return NULL;
    }
    t = av_pick(av, &v, err);
    if (t == DDB_AV_INVALID)
        return NULL;
    out = json_new_obj(a);
    switch (t) {
    case DDB_AV_S:
        if (!json_is_str(v))
            return ddb__ser_error(v, "an String", err), NULL;
        json_obj_set(a, out, "S", (json_t *)v);
        return out;
    case DDB_AV_B:
        if (!json_is_str(v))
            return ddb__ser_error(v, "a Blob", err), NULL;
        if (b64_check(v->u.str, v->len, err) != 0)
            return NULL;
        json_obj_set(a, out, "B", (json_t *)v);
        return out;
    case DDB_AV_N: {
        size_t n_len;
        char *txt;
        if (!json_is_str(v))
            return ddb__ser_error(v, "an String", err), NULL;
        txt = ddb_num_normalize(a, v->u.str, v->len, &n_len, err);
        if (!txt)
            return NULL;
        json_obj_set(a, out, "N", json_new_str(a, txt, n_len));
        return out;
    }
    case DDB_AV_BOOL:
        if (!json_is_bool(v)) {
            if (json_is_str(v)) {
                /* Coral accepts "true"/"false" strings; anything else fails. */
                if (v->len == 4 && !memcmp(v->u.str, "true", 4)) {
                    json_obj_set(a, out, "BOOL", json_new_bool(a, true));
                    return out;
                }
                if (v->len == 5 && !memcmp(v->u.str, "false", 5)) {
                    json_obj_set(a, out, "BOOL", json_new_bool(a, false));
                    return out;
                }
            }
            return ddb__ser_error(v, "an Boolean", err), NULL;
        }
        json_obj_set(a, out, "BOOL", (json_t *)v);
        return out;
    case DDB_AV_NULL:
        if (!json_is_bool(v))
            return ddb__ser_error(v, "an Boolean", err), NULL;
        if (v->type != JSON_TRUE) {
            sw_error_set(err, "ValidationException",
                         INVALID_PREFIX "Null attribute value types must have the value of true");
            return NULL;
        }
        json_obj_set(a, out, "NULL", (json_t *)v);
        return out;
    case DDB_AV_M: {
        json_t *m;
        if (!json_is_obj(v))
            return ddb__ser_error(v, "Map", err), NULL;
        m = json_new_obj(a);
        for (size_t i = 0; i < v->len; i++) {
            const json_member_t *mm = &v->u.members[i];
            json_t *c;
            if (json_is_null(mm->val))
                continue;
            c = canon(a, mm->val, depth + 1, err);
            if (!c)
                return NULL;
            json_obj_setn(a, m, mm->key, mm->key_len, c);
        }
        json_obj_set(a, out, "M", m);
        return out;
    }
    case DDB_AV_L: {
        json_t *l;
        if (!json_is_arr(v))
            return ddb__ser_error(v, "List", err), NULL;
        l = json_new_arr(a);
        for (size_t i = 0; i < v->len; i++) {
            json_t *c = canon(a, v->u.items[i], depth + 1, err);
            if (!c)
                return NULL;
            json_arr_push(a, l, c);
        }
        json_obj_set(a, out, "L", l);
        return out;
    }
    case DDB_AV_SS:
    case DDB_AV_NS:
    case DDB_AV_BS:
        return canon_set(a, t, v, err);
    case DDB_AV_INVALID:
        break;
    }
    SW_BUG("unreachable AV type");
}

json_t *ddb__av_canon(arena_t *a, const json_t *av, sw_error_t *err) {
    return canon(a, av, 0, err);
}

int ddb__av_validate(const json_t *av, sw_error_t *err) {
    arena_t scratch;
    int rc;
    arena_init(&scratch);
    rc = canon(&scratch, av, 0, err) ? 0 : -1;
    arena_release(&scratch);
    return rc;
}

json_t *ddb__item_canon(arena_t *a, const json_t *item, sw_error_t *err) {
    json_t *out;

    if (!json_is_obj(item)) {
        ddb__ser_error(item, "Map", err);
        return NULL;
    }
    out = json_new_obj(a);
    for (size_t i = 0; i < item->len; i++) {
        const json_member_t *m = &item->u.members[i];
        json_t *c;
        if (json_is_null(m->val))
            continue;
        c = canon(a, m->val, 0, err);
        if (!c)
            return NULL;
        json_obj_setn(a, out, m->key, m->key_len, c);
    }
    return out;
}

/* ------------------------------------------------------------------ size */

static size_t num_size(const char *s, size_t len) {
    size_t first = len, last = 0, n_digits = 0;
    /* Significant digits: from the first non-zero digit to the last one. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '1' && s[i] <= '9') {
            if (first == len) first = i;
            last = i;
        }
    }
    if (first == len)
        return 1;
    for (size_t i = first; i <= last; i++)
        if (s[i] >= '0' && s[i] <= '9')
            n_digits++;
    return 1 + (n_digits + 1) / 2;
}

size_t ddb__av_size(const json_t *av) {
    const json_t *v = NULL;
    size_t n = 0;

    switch (ddb__av_type(av, &v)) {
    case DDB_AV_S:
        return v->len;
    case DDB_AV_N:
        return num_size(v->u.str, v->len);
    case DDB_AV_B:
        return b64_decoded_len(v->len, v->u.str);
    case DDB_AV_BOOL:
    case DDB_AV_NULL:
        return 1;
    case DDB_AV_M:
        n = 3;
        for (size_t i = 0; i < v->len; i++)
            n += 1 + v->u.members[i].key_len + ddb__av_size(v->u.members[i].val);
        return n;
    case DDB_AV_L:
        n = 3;
        for (size_t i = 0; i < v->len; i++)
            n += 1 + ddb__av_size(v->u.items[i]);
        return n;
    case DDB_AV_SS:
        for (size_t i = 0; i < v->len; i++)
            n += v->u.items[i]->len;
        return n;
    case DDB_AV_NS:
        for (size_t i = 0; i < v->len; i++)
            n += num_size(v->u.items[i]->u.str, v->u.items[i]->len);
        return n;
    case DDB_AV_BS:
        for (size_t i = 0; i < v->len; i++)
            n += b64_decoded_len(v->u.items[i]->len, v->u.items[i]->u.str);
        return n;
    case DDB_AV_INVALID:
        break;
    }
    return 0;
}

size_t ddb__item_size(const json_t *item) {
    size_t n = 0;
    for (size_t i = 0; i < item->len; i++)
        n += item->u.members[i].key_len + ddb__av_size(item->u.members[i].val);
    return n;
}

/* -------------------------------------------------------------- equality */

static bool str_eq(const json_t *x, const json_t *y) {
    return x->len == y->len && memcmp(x->u.str, y->u.str, x->len) == 0;
}

static bool set_has(const json_t *arr, const json_t *e) {
    for (size_t i = 0; i < arr->len; i++)
        if (str_eq(arr->u.items[i], e))
            return true;
    return false;
}

bool ddb__av_equal(const json_t *x, const json_t *y) {
    const json_t *xv = NULL, *yv = NULL;
    ddb_av_type_t t = ddb__av_type(x, &xv);

    if (t == DDB_AV_INVALID || t != ddb__av_type(y, &yv))
        return false;
    switch (t) {
    case DDB_AV_S:
    case DDB_AV_N:
    case DDB_AV_B:
        return str_eq(xv, yv);
    case DDB_AV_BOOL:
    case DDB_AV_NULL:
        return xv->type == yv->type;
    case DDB_AV_M:
        if (xv->len != yv->len)
            return false;
        for (size_t i = 0; i < xv->len; i++) {
            const json_t *o = json_obj_getn(yv, xv->u.members[i].key, xv->u.members[i].key_len);
            if (!o || !ddb__av_equal(xv->u.members[i].val, o))
                return false;
        }
        return true;
    case DDB_AV_L:
        if (xv->len != yv->len)
            return false;
        for (size_t i = 0; i < xv->len; i++)
            if (!ddb__av_equal(xv->u.items[i], yv->u.items[i]))
                return false;
        return true;
    case DDB_AV_SS:
    case DDB_AV_NS:
    case DDB_AV_BS:
        if (xv->len != yv->len)
            return false;
        for (size_t i = 0; i < xv->len; i++)
            if (!set_has(yv, xv->u.items[i]))
                return false;
        return true;
    case DDB_AV_INVALID:
        break;
    }
    return false;
}

/* ------------------------------------------------------------ nesting */

static bool av_depth_ok(const json_t *av, int depth) {
    const json_t *v = NULL;
    ddb_av_type_t t = ddb__av_type(av, &v);
    if (depth >= DDB_AV_NEST_MAX)
        return false;
    if (t == DDB_AV_M) {
        for (size_t i = 0; i < v->len; i++)
            if (!av_depth_ok(v->u.members[i].val, depth + 1))
                return false;
    } else if (t == DDB_AV_L) {
        for (size_t i = 0; i < v->len; i++)
            if (!av_depth_ok(v->u.items[i], depth + 1))
                return false;
    }
    return true;
}

int ddb__item_check_depth(const json_t *item, sw_error_t *err) {
    for (size_t i = 0; i < item->len; i++)
        if (!av_depth_ok(item->u.members[i].val, 0))
            return sw_error_set(err, "ValidationException", DDB_NEST_MSG);
    return 0;
}
