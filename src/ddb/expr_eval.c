/* expr_eval.c - evaluates parsed DynamoDB expressions against items:
 * conditions, updates, projections and key-condition extraction.
 *
 * Works on the AST and on items in DynamoDB JSON form only; never reads
 * expression text and never modifies its inputs (new trees are built in the
 * arena and may share untouched subtrees with the input item). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ddb/ddb_int.h"
#include "ddb/expr_int.h"
#include "ddb/num.h"

static const char MSG_BAD_TYPE[] = "An operand in the update expression has an incorrect data type";
static const char MSG_NO_ATTR[] = "The provided expression refers to an attribute that does not exist in the item";
static const char MSG_BAD_PATH[] = "The document path provided in the update expression is invalid for update";

/* --------------------------------------------------------------- values */

static bool type_is(const char *t, const char *want) { return strcmp(t, want) == 0; }

static json_t *av_new(arena_t *a, const char *type, json_t *payload) {
    json_t *o = json_new_obj(a);
    json_obj_set(a, o, type, payload);
    return o;
}

/* Shallow copy of an object (members array copied, values shared). */
static json_t *obj_copy(arena_t *a, const json_t *src) {
    json_t *o = json_new_obj(a);
    if (src && src->len) {
        o->u.members = arena_alloc(a, src->len * sizeof *o->u.members);
        memcpy(o->u.members, src->u.members, src->len * sizeof *o->u.members);
        o->len = o->cap = src->len;
    }
    return o;
}

/* The AV at `path` in `item`, or NULL when missing. Borrowed from item. */
static const json_t *path_get(const json_t *item, const ddb__path_t *path) {
    if (!item || path->n == 0)
        return NULL;
    const json_t *v = json_obj_getn(item, path->el[0].name, path->el[0].len);
    for (size_t i = 1; v && i < path->n; i++) {
        const char *t;
        const json_t *pl = ddb__av_single(v, &t);
        if (path->el[i].name) {
            v = type_is(t, "M") ? json_obj_getn(pl, path->el[i].name, path->el[i].len) : NULL;
        } else {
            v = type_is(t, "L") ? json_arr_at(pl, path->el[i].index) : NULL;
        }
    }
    return v;
}

static int b64v(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 text (already validated) into `a`. */
static uint8_t *b64_bytes(arena_t *a, const json_t *s, size_t *len) {
    uint8_t *out = arena_alloc(a, s->len / 4 * 3 + 3);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < s->len; i++) {
        int v = b64v((unsigned char)s->u.str[i]);
        if (v < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    *len = n;
    return out;
}

static size_t b64_len(const json_t *s) {
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++)
        if (b64v((unsigned char)s->u.str[i]) >= 0)
            n++;
    return n * 6 / 8;
}

/* Streams the decoded bytes of two base64 strings and compares them. */
static int b64_cmp(const json_t *x, const json_t *y) {
    size_t ix = 0, iy = 0;
    uint32_t ax = 0, ay = 0;
    int bx = 0, by = 0;
    for (;;) {
        int cx = -1, cy = -1;
        while (bx < 8 && ix < x->len) {
            int v = b64v((unsigned char)x->u.str[ix++]);
            if (v >= 0) { ax = (ax << 6) | (uint32_t)v; bx += 6; }
        }
        if (bx >= 8) { bx -= 8; cx = (int)((ax >> bx) & 0xFF); }
        while (by < 8 && iy < y->len) {
            int v = b64v((unsigned char)y->u.str[iy++]);
            if (v >= 0) { ay = (ay << 6) | (uint32_t)v; by += 6; }
        }
        if (by >= 8) { by -= 8; cy = (int)((ay >> by) & 0xFF); }
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (cx < 0)
            return 0;
    }
}

static int bytes_cmp(const char *x, size_t xl, const char *y, size_t yl) {
    int c = memcmp(x, y, xl < yl ? xl : yl);
    if (c)
        return c < 0 ? -1 : 1;
    return (xl > yl) - (xl < yl);
}

static bool num_of(const json_t *s, ddb_num_t *n) {
    return json_is_str(s) && ddb_num_parse(s->u.str, s->len, n, NULL) == 0;
}

int ddb__av_order(const json_t *x, const json_t *y, int *out) {
    const char *tx, *ty;
    const json_t *px = ddb__av_single(x, &tx), *py = ddb__av_single(y, &ty);
    if (!px || !py || strcmp(tx, ty) != 0 || !json_is_str(px) || !json_is_str(py))
        return -1;
    if (type_is(tx, "N")) {
        ddb_num_t a, b;
        if (!num_of(px, &a) || !num_of(py, &b))
            return -1;
        *out = ddb_num_cmp(&a, &b);
        return 0;
    }
    if (type_is(tx, "S")) {
        *out = bytes_cmp(px->u.str, px->len, py->u.str, py->len);
        return 0;
    }
    if (type_is(tx, "B")) {
        *out = b64_cmp(px, py);
        return 0;
    }
    return -1;
}

/* Set elements: SS / BS by text, NS numerically. */
static bool elem_eq(bool is_num, const json_t *x, const json_t *y) {
    if (!json_is_str(x) || !json_is_str(y))
        return false;
    if (is_num) {
        ddb_num_t a, b;
        if (num_of(x, &a) && num_of(y, &b))
            return ddb_num_cmp(&a, &b) == 0;
    }
    return x->len == y->len && memcmp(x->u.str, y->u.str, x->len) == 0;
}

static bool set_has(bool is_num, const json_t *arr, const json_t *e) {
    for (size_t i = 0; i < arr->len; i++)
        if (elem_eq(is_num, arr->u.items[i], e))
            return true;
    return false;
}

/* ----------------------------------------------------------- conditions */

static const json_t *size_of(arena_t *a, const json_t *av) {
    const char *t;
    const json_t *p = ddb__av_single(av, &t);
    size_t n;
    if (!p)
        return NULL;
    if (type_is(t, "S") && json_is_str(p))
        n = p->len;
    else if (type_is(t, "B") && json_is_str(p))
        n = b64_len(p);
    else if ((type_is(t, "SS") || type_is(t, "NS") || type_is(t, "BS") || type_is(t, "L")) &&
             json_is_arr(p))
        n = p->len;
    else if (type_is(t, "M") && json_is_obj(p))
        n = p->len;
    else
        return NULL;
    char buf[32];
    int l = snprintf(buf, sizeof buf, "%zu", n);
    return av_new(a, "N", json_new_str(a, buf, (size_t)l));
}

static const json_t *cond_opnd(arena_t *a, const ddb__opnd_t *o, const json_t *item) {
    switch (o->kind) {
    case DDB__O_PATH:
        return path_get(item, &o->path);
    case DDB__O_VALUE:
        return o->value;
    case DDB__O_SIZE: {
        const json_t *v = o->a ? cond_opnd(a, o->a, item) : NULL;
        return v ? size_of(a, v) : NULL;
    }
    default:
        return NULL;  /* update-only operands never reach a condition */
    }
}

static bool av_eq(const json_t *x, const json_t *y) {
    return x && y && ddb__av_equal(x, y);
}

static bool begins_with(arena_t *a, const json_t *x, const json_t *y) {
    const char *tx, *ty;
    const json_t *px = ddb__av_single(x, &tx), *py = ddb__av_single(y, &ty);
    if (!px || !py || strcmp(tx, ty) != 0 || !json_is_str(px) || !json_is_str(py))
        return false;
    if (type_is(tx, "S"))
        return py->len <= px->len && memcmp(px->u.str, py->u.str, py->len) == 0;
    if (type_is(tx, "B")) {
        size_t lx, ly;
        uint8_t *bx = b64_bytes(a, px, &lx), *by = b64_bytes(a, py, &ly);
        return ly <= lx && memcmp(bx, by, ly) == 0;
    }
    return false;
}

static bool contains(arena_t *a, const json_t *x, const json_t *y) {
    const char *tx, *ty;
    const json_t *px = ddb__av_single(x, &tx), *py = ddb__av_single(y, &ty);
    if (!px || !py)
        return false;
    if (type_is(tx, "S") && type_is(ty, "S") && json_is_str(px) && json_is_str(py))
        return py->len == 0 || memmem(px->u.str, px->len, py->u.str, py->len) != NULL;
    if (type_is(tx, "B") && type_is(ty, "B") && json_is_str(px) && json_is_str(py)) {
        size_t lx, ly;
        uint8_t *bx = b64_bytes(a, px, &lx), *by = b64_bytes(a, py, &ly);
        return ly == 0 || memmem(bx, lx, by, ly) != NULL;
    }
    if (json_is_arr(px) && ((type_is(tx, "SS") && type_is(ty, "S")) ||
                            (type_is(tx, "NS") && type_is(ty, "N")) ||
                            (type_is(tx, "BS") && type_is(ty, "B"))))
        return set_has(type_is(tx, "NS"), px, py);
    if (type_is(tx, "L") && json_is_arr(px)) {
        for (size_t i = 0; i < px->len; i++)
            if (av_eq(px->u.items[i], y))
                return true;
    }
    return false;
}

static bool cmp_holds(ddb__cmp_t op, int c) {
    switch (op) {
    case DDB__LT: return c < 0;
    case DDB__LE: return c <= 0;
    case DDB__GT: return c > 0;
    case DDB__GE: return c >= 0;
    case DDB__EQ: return c == 0;
    case DDB__NE: return c != 0;
    }
    return false;
}

static bool eval(const ddb_cond_t *c, arena_t *a, const json_t *item) {
    switch (c->kind) {
    case DDB__C_AND:
        return eval(c->l, a, item) && eval(c->r, a, item);
    case DDB__C_OR:
        return eval(c->l, a, item) || eval(c->r, a, item);
    case DDB__C_NOT:
        return !eval(c->l, a, item);
    case DDB__C_CMP: {
        const json_t *x = cond_opnd(a, c->o[0], item), *y = cond_opnd(a, c->o[1], item);
        if (c->cmp == DDB__EQ)
            return av_eq(x, y);
        if (c->cmp == DDB__NE)
            return !av_eq(x, y);
        int o;
        return x && y && ddb__av_order(x, y, &o) == 0 && cmp_holds(c->cmp, o);
    }
    case DDB__C_BETWEEN: {
        const json_t *x = cond_opnd(a, c->o[0], item);
        const json_t *lo = cond_opnd(a, c->o[1], item), *hi = cond_opnd(a, c->o[2], item);
        int o1, o2;
        return x && lo && hi && ddb__av_order(x, lo, &o1) == 0 && o1 >= 0 &&
               ddb__av_order(x, hi, &o2) == 0 && o2 <= 0;
    }
    case DDB__C_IN: {
        const json_t *x = cond_opnd(a, c->o[0], item);
        for (size_t i = 0; x && i < c->n_list; i++)
            if (av_eq(x, cond_opnd(a, c->list[i], item)))
                return true;
        return false;
    }
    case DDB__C_EXISTS:
        return path_get(item, &c->o[0]->path) != NULL;
    case DDB__C_NOT_EXISTS:
        return path_get(item, &c->o[0]->path) == NULL;
    case DDB__C_TYPE: {
        const json_t *x = path_get(item, &c->o[0]->path);
        const json_t *want = cond_opnd(a, c->o[1], item);
        const char *tx, *tw;
        const json_t *pw = want ? ddb__av_single(want, &tw) : NULL;
        if (!x || !pw || !type_is(tw, "S") || !json_is_str(pw))
            return false;
        ddb__av_single(x, &tx);
        return strlen(tx) == pw->len && memcmp(tx, pw->u.str, pw->len) == 0;
    }
    case DDB__C_BEGINS_WITH: {
        const json_t *x = cond_opnd(a, c->o[0], item), *y = cond_opnd(a, c->o[1], item);
        return x && y && begins_with(a, x, y);
    }
    case DDB__C_CONTAINS: {
        const json_t *x = cond_opnd(a, c->o[0], item), *y = cond_opnd(a, c->o[1], item);
        return x && y && contains(a, x, y);
    }
    }
    return false;
}

int ddb_cond_eval(const ddb_cond_t *c, arena_t *a, const json_t *item,
                  bool *is_true, sw_error_t *err) {
    (void)err;
    *is_true = eval(c, a, item);
    return 0;
}

/* --------------------------------------------------------------- update */

static int upd_value(arena_t *a, const ddb__opnd_t *o, const json_t *item,
                     const json_t **out, sw_error_t *err) {
    switch (o->kind) {
    case DDB__O_VALUE:
        *out = o->value;
        return 0;
    case DDB__O_PATH:
        *out = path_get(item, &o->path);
        if (!*out)
            return sw_error_set(err, "ValidationException", "%s", MSG_NO_ATTR);
        return 0;
    case DDB__O_IF_NOT_EXISTS:
        *out = path_get(item, &o->path);
        if (*out)
            return 0;
        return upd_value(a, o->b, item, out, err);
    case DDB__O_LIST_APPEND: {
        const json_t *x, *y;
        if (upd_value(a, o->a, item, &x, err) < 0 || upd_value(a, o->b, item, &y, err) < 0)
            return -1;
        const char *tx, *ty;
        const json_t *px = ddb__av_single(x, &tx), *py = ddb__av_single(y, &ty);
        if (!type_is(tx, "L") || !type_is(ty, "L") || !json_is_arr(px) || !json_is_arr(py))
            return sw_error_set(err, "ValidationException", "%s", MSG_BAD_TYPE);
        json_t *l = json_new_arr(a);
        for (size_t i = 0; i < px->len; i++)
            json_arr_push(a, l, px->u.items[i]);
        for (size_t i = 0; i < py->len; i++)
            json_arr_push(a, l, py->u.items[i]);
        *out = av_new(a, "L", l);
        return 0;
    }
    case DDB__O_PLUS:
    case DDB__O_MINUS: {
        const json_t *x, *y;
        if (upd_value(a, o->a, item, &x, err) < 0 || upd_value(a, o->b, item, &y, err) < 0)
            return -1;
        const char *tx, *ty;
        const json_t *px = ddb__av_single(x, &tx), *py = ddb__av_single(y, &ty);
        ddb_num_t nx, ny, r;
        if (!type_is(tx, "N") || !type_is(ty, "N") || !num_of(px, &nx) || !num_of(py, &ny))
            return sw_error_set(err, "ValidationException", "%s", MSG_BAD_TYPE);
        int rc = o->kind == DDB__O_PLUS ? ddb_num_add(&nx, &ny, &r, err)
                                        : ddb_num_sub(&nx, &ny, &r, err);
        if (rc < 0)
            return -1;
        size_t len;
        char *s = ddb_num_to_str(a, &r, &len);
        *out = av_new(a, "N", json_new_str(a, s, len));
        return 0;
    }
    case DDB__O_SIZE:
        break;
    }
    return sw_error_set(err, "ValidationException", "%s", MSG_BAD_TYPE);
}

typedef struct upd_run {
    arena_t *a;
    const ddb_update_t *u;
    const json_t **vals;   /* SET values, by action index */
    sw_error_t *err;
} upd_run_t;

/* ADD: number addition or set union; creates when missing. */
static int do_add(upd_run_t *r, const json_t *old, const json_t *val, const json_t **out) {
    if (!old) {
        *out = val;
        return 0;
    }
    const char *to, *tv;
    const json_t *po = ddb__av_single(old, &to), *pv = ddb__av_single(val, &tv);
    if (strcmp(to, tv) != 0 || !po || !pv)
        return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_TYPE);
    if (type_is(to, "N")) {
        ddb_num_t x, y, s;
        if (!num_of(po, &x) || !num_of(pv, &y))
            return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_TYPE);
        if (ddb_num_add(&x, &y, &s, r->err) < 0)
            return -1;
        size_t len;
        char *str = ddb_num_to_str(r->a, &s, &len);
        *out = av_new(r->a, "N", json_new_str(r->a, str, len));
        return 0;
    }
    if (type_is(to, "SS") || type_is(to, "NS") || type_is(to, "BS")) {
        bool is_num = type_is(to, "NS");
        json_t *l = json_new_arr(r->a);
        for (size_t i = 0; i < po->len; i++)
            json_arr_push(r->a, l, po->u.items[i]);
        for (size_t i = 0; i < pv->len; i++)
            if (!set_has(is_num, po, pv->u.items[i]))
                json_arr_push(r->a, l, pv->u.items[i]);
        *out = av_new(r->a, to, l);
        return 0;
    }
    return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_TYPE);
}

/* DELETE: set difference; NULL *out when the set became empty. */
static int do_delete(upd_run_t *r, const json_t *old, const json_t *val, const json_t **out) {
    if (!old) {
        *out = NULL;
        return 0;
    }
    const char *to, *tv;
    const json_t *po = ddb__av_single(old, &to), *pv = ddb__av_single(val, &tv);
    if (strcmp(to, tv) != 0 || !po || !pv ||
        !(type_is(to, "SS") || type_is(to, "NS") || type_is(to, "BS")))
        return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_TYPE);
    bool is_num = type_is(to, "NS");
    json_t *l = json_new_arr(r->a);
    for (size_t i = 0; i < po->len; i++)
        if (!set_has(is_num, pv, po->u.items[i]))
            json_arr_push(r->a, l, po->u.items[i]);
    *out = l->len ? av_new(r->a, to, l) : NULL;
    return 0;
}

static int apply_node(upd_run_t *r, const json_t *old, const ddb__pnode_t *node,
                      const json_t **out);

/* The new value of a child given its old value `oc` (NULL = missing);
 * NULL *out = the child is removed / stays missing. */
static int apply_child(upd_run_t *r, const json_t *oc, const ddb__pnode_t *kid,
                       const json_t **out) {
    if (kid->leaf < 0) {
        if (!oc)
            return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_PATH);
        return apply_node(r, oc, kid, out);
    }
    const ddb__action_t *act = &r->u->acts[kid->leaf];
    switch (act->kind) {
    case DDB__A_SET:
        *out = r->vals[kid->leaf];
        return 0;
    case DDB__A_REMOVE:
        *out = NULL;
        return 0;
    case DDB__A_ADD:
        return do_add(r, oc, act->val->value, out);
    case DDB__A_DELETE:
        return do_delete(r, oc, act->val->value, out);
    }
    return 0;
}

static int cmp_kid_index(const void *x, const void *y) {
    const ddb__pchild_t *a = *(const ddb__pchild_t *const *)x;
    const ddb__pchild_t *b = *(const ddb__pchild_t *const *)y;
    return (a->index > b->index) - (a->index < b->index);
}

/* `old` is the AV at an interior node (or, for the root, the item object). */
static int apply_node(upd_run_t *r, const json_t *old, const ddb__pnode_t *node,
                      const json_t **out) {
    bool is_root = node == r->u->root;
    const char *t = "";
    const json_t *pl = is_root ? old : ddb__av_single(old, &t);
    if (!node->is_index) {
        if (!is_root && (!type_is(t, "M") || !json_is_obj(pl)))
            return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_PATH);
        json_t *m = obj_copy(r->a, pl);
        for (size_t k = 0; k < node->n_kids; k++) {
            const ddb__pchild_t *ch = &node->kids[k];
            const json_t *oc = json_obj_getn(m, ch->name, ch->len);
            const json_t *nc;
            if (apply_child(r, oc, ch->node, &nc) < 0)
                return -1;
            if (nc)
                json_obj_setn(r->a, m, ch->name, ch->len, (json_t *)nc);
            else if (oc)
                json_obj_del(m, ch->name, ch->len);
        }
        *out = is_root ? m : av_new(r->a, "M", m);
        return 0;
    }
    if (!type_is(t, "L") || !json_is_arr(pl))
        return sw_error_set(r->err, "ValidationException", "%s", MSG_BAD_PATH);
    size_t n = pl->len;
    const json_t **items = arena_alloc(r->a, (n + 1) * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = pl->u.items[i];
    /* Children beyond the end, appended in index order (B03). */
    const ddb__pchild_t **beyond = arena_alloc(r->a, (node->n_kids + 1) * sizeof *beyond);
    size_t n_beyond = 0;
    for (size_t k = 0; k < node->n_kids; k++) {
        const ddb__pchild_t *ch = &node->kids[k];
        if (ch->index < n) {
            const json_t *nc;
            if (apply_child(r, pl->u.items[ch->index], ch->node, &nc) < 0)
                return -1;
            items[ch->index] = nc;   /* NULL: removed, compacted below */
        } else {
            beyond[n_beyond++] = ch;
        }
    }
    qsort(beyond, n_beyond, sizeof *beyond, cmp_kid_index);
    json_t *l = json_new_arr(r->a);
    for (size_t i = 0; i < n; i++)
        if (items[i])
            json_arr_push(r->a, l, (json_t *)items[i]);
    for (size_t k = 0; k < n_beyond; k++) {
        const json_t *nc;
        if (apply_child(r, NULL, beyond[k]->node, &nc) < 0)
            return -1;
        if (nc)
            json_arr_push(r->a, l, (json_t *)nc);
    }
    *out = av_new(r->a, "L", l);
    return 0;
}

int ddb_update_apply(const ddb_update_t *u, arena_t *a, const json_t *item,
                     json_t **out, sw_error_t *err) {
    upd_run_t r = {a, u, NULL, err};
    r.vals = arena_zalloc(a, (u->n_acts + 1) * sizeof *r.vals);
    /* Every value is computed from the item as it was before the update. */
    for (size_t i = 0; i < u->n_acts; i++)
        if (u->acts[i].kind == DDB__A_SET &&
            upd_value(a, u->acts[i].val, item, &r.vals[i], err) < 0)
            return -1;
    static const json_t empty = {.type = JSON_OBJECT};
    const json_t *res;
    if (apply_node(&r, item ? item : &empty, u->root, &res) < 0)
        return -1;
    *out = (json_t *)res;
    return 0;
}

/* ----------------------------------------------------------- projection */

static json_t *project(arena_t *a, const json_t *av, const ddb__pnode_t *node, bool is_root) {
    if (node->leaf >= 0)
        return (json_t *)av;
    const char *t = "";
    const json_t *pl = is_root ? av : ddb__av_single(av, &t);
    if (!node->is_index) {
        if (!is_root && (!type_is(t, "M") || !json_is_obj(pl)))
            return NULL;
        json_t *m = json_new_obj(a);
        for (size_t k = 0; k < node->n_kids; k++) {
            const ddb__pchild_t *ch = &node->kids[k];
            const json_t *c = json_obj_getn(pl, ch->name, ch->len);
            json_t *pc = c ? project(a, c, ch->node, false) : NULL;
            if (pc)
                json_obj_setn(a, m, ch->name, ch->len, pc);
        }
        if (is_root)
            return m;
        return m->len ? av_new(a, "M", m) : NULL;
    }
    if (!type_is(t, "L") || !json_is_arr(pl))
        return NULL;
    const ddb__pchild_t **kids = arena_alloc(a, (node->n_kids + 1) * sizeof *kids);
    for (size_t k = 0; k < node->n_kids; k++)
        kids[k] = &node->kids[k];
    qsort(kids, node->n_kids, sizeof *kids, cmp_kid_index);
    json_t *l = json_new_arr(a);
    for (size_t k = 0; k < node->n_kids; k++) {
        const json_t *c = json_arr_at(pl, kids[k]->index);
        json_t *pc = c ? project(a, c, kids[k]->node, false) : NULL;
        if (pc)
            json_arr_push(a, l, pc);
    }
    return l->len ? av_new(a, "L", l) : NULL;
}

json_t *ddb_proj_apply(const ddb_proj_t *p, arena_t *a, const json_t *item) {
    return project(a, item, p->root, true);
}

json_t *ddb_update_changed(const ddb_update_t *u, arena_t *a, const json_t *item) {
    if (!item)
        return json_new_obj(a);
    return project(a, item, u->root, true);
}

static bool opnd_uses(const ddb__opnd_t *o, const char *name, size_t len) {
    if (!o)
        return false;
    switch (o->kind) {
    case DDB__O_PATH:
    case DDB__O_IF_NOT_EXISTS:
        if (o->path.n && o->path.el[0].len == len && memcmp(o->path.el[0].name, name, len) == 0)
            return true;
        return o->kind == DDB__O_IF_NOT_EXISTS && opnd_uses(o->b, name, len);
    case DDB__O_VALUE:
        return false;
    default:
        return opnd_uses(o->a, name, len) || opnd_uses(o->b, name, len);
    }
}

bool ddb_cond_uses_attr(const ddb_cond_t *c, const char *name, size_t len) {
    if (!c)
        return false;
    if (ddb_cond_uses_attr(c->l, name, len) || ddb_cond_uses_attr(c->r, name, len))
        return true;
    for (int i = 0; i < 3; i++)
        if (opnd_uses(c->o[i], name, len))
            return true;
    for (size_t i = 0; i < c->n_list; i++)
        if (opnd_uses(c->list[i], name, len))
            return true;
    return false;
}

/* ------------------------------------------------------- key conditions
 * The checks and their order follow DynamoDB's answers (recorded by
 * dynalite's Query tests): operators first, then each condition in turn
 * (key attribute first, no nested operations, one attribute name, one
 * condition per key), then the number of conditions, then the schema. */

static int key_verr(sw_error_t *err, const char *msg) {
    return sw_error_set(err, "ValidationException", "%s", msg);
}

/* Rejects OR, NOT, IN, <> and functions other than begins_with, in text
 * order. */
static int key_ops(const ddb_cond_t *c, sw_error_t *err) {
    static const char *const cmp_names[] = {"=", "<>", "<", "<=", ">", ">="};
    const char *bad = NULL;
    switch (c->kind) {
    case DDB__C_AND:
        return key_ops(c->l, err) < 0 || key_ops(c->r, err) < 0 ? -1 : 0;
    case DDB__C_OR: bad = "OR"; break;
    case DDB__C_NOT: bad = "NOT"; break;
    case DDB__C_IN: bad = "IN"; break;
    case DDB__C_EXISTS: bad = "attribute_exists"; break;
    case DDB__C_NOT_EXISTS: bad = "attribute_not_exists"; break;
    case DDB__C_TYPE: bad = "attribute_type"; break;
    case DDB__C_CONTAINS: bad = "contains"; break;
    case DDB__C_CMP:
        if (c->cmp == DDB__NE)
            bad = cmp_names[c->cmp];
        break;
    case DDB__C_BETWEEN:
    case DDB__C_BEGINS_WITH:
        break;
    }
    if (bad)
        return sw_error_set(err, "ValidationException",
                            "Invalid operator used in KeyConditionExpression: %s", bad);
    return 0;
}

typedef struct key_leaf {
    const ddb__pelem_t *name;
    ddb_key_op_t op;
    const json_t *v1, *v2;
} key_leaf_t;

static int key_collect(const ddb_cond_t *c, key_leaf_t *leaves, size_t *n, sw_error_t *err) {
    if (c->kind == DDB__C_AND)
        return key_collect(c->l, leaves, n, err) < 0 || key_collect(c->r, leaves, n, err) < 0
                   ? -1 : 0;
    const ddb__opnd_t *first = c->o[0], *rest[2] = {c->o[1], c->kind == DDB__C_BETWEEN ? c->o[2] : NULL};
    ddb_key_op_t op = DDB_KEY_BEGINS_WITH;
    if (c->kind == DDB__C_CMP) {
        static const ddb_key_op_t ops[] = {DDB_KEY_EQ, DDB_KEY_NONE, DDB_KEY_LT, DDB_KEY_LE,
                                           DDB_KEY_GT, DDB_KEY_GE};
        static const ddb_key_op_t flipped[] = {DDB_KEY_EQ, DDB_KEY_NONE, DDB_KEY_GT, DDB_KEY_GE,
                                               DDB_KEY_LT, DDB_KEY_LE};
        op = ops[c->cmp];
        if (first->kind != DDB__O_PATH && rest[0]->kind == DDB__O_PATH) {
            /* ":v < sk" reads as "sk > :v" */
            const ddb__opnd_t *t = first;
            first = rest[0];
            rest[0] = t;
            op = flipped[c->cmp];
        }
        if (first->kind == DDB__O_VALUE && rest[0]->kind == DDB__O_VALUE)
            return key_verr(err, "Invalid condition in KeyConditionExpression: No key attribute specified");
    } else if (c->kind == DDB__C_BETWEEN) {
        op = DDB_KEY_BETWEEN;
    }
    if (first->kind == DDB__O_SIZE)
        return key_verr(err, "KeyConditionExpressions cannot contain nested operations");
    if (first->kind != DDB__O_PATH)
        return key_verr(err, c->kind == DDB__C_BETWEEN
                                 ? "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"
                                 : "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand");
    if (first->path.n > 1)
        return key_verr(err, "KeyConditionExpressions cannot have conditions on nested attributes");
    for (int i = 0; i < 2 && rest[i]; i++) {
        if (rest[i]->kind == DDB__O_SIZE)
            return key_verr(err, "KeyConditionExpressions cannot contain nested operations");
        if (rest[i]->kind == DDB__O_PATH)
            return key_verr(err, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
    }
    const ddb__pelem_t *name = &first->path.el[0];
    for (size_t i = 0; i < *n; i++)
        if (leaves[i].name->len == name->len && memcmp(leaves[i].name->name, name->name, name->len) == 0)
            return key_verr(err, "KeyConditionExpressions must only contain one condition per key");
    if (*n < 8) {
        leaves[*n].name = name;
        leaves[*n].op = op;
        leaves[*n].v1 = rest[0]->value;
        leaves[*n].v2 = rest[1] ? rest[1]->value : NULL;
    }
    (*n)++;
    return 0;
}

static bool name_is(const ddb__pelem_t *e, const char *s) {
    return s && strlen(s) == e->len && memcmp(s, e->name, e->len) == 0;
}

int ddb_cond_key_parts(const ddb_cond_t *c, const char *hash_name,
                       const char *range_name, ddb_key_cond_t *out,
                       sw_error_t *err) {
    memset(out, 0, sizeof *out);
    key_leaf_t leaves[8];
    size_t n = 0;
    if (key_ops(c, err) < 0 || key_collect(c, leaves, &n, err) < 0)
        return -1;
    if (n > 2)
        return key_verr(err, "Conditions can be of length 1 or 2 only");
    const key_leaf_t *hash = NULL, *range = NULL, *other = NULL;
    for (size_t i = 0; i < n; i++) {
        if (name_is(leaves[i].name, hash_name))
            hash = &leaves[i];
        else if (name_is(leaves[i].name, range_name))
            range = &leaves[i];
        else if (!other)
            other = &leaves[i];
    }
    if (!hash)
        return sw_error_set(err, "ValidationException",
                            "Query condition missed key schema element: %s", hash_name);
    if (other)
        return sw_error_set(err, "ValidationException",
                            "Query condition missed key schema element: %s",
                            range_name ? range_name : hash_name);
    if (hash->op != DDB_KEY_EQ)
        return key_verr(err, "Query key condition not supported");
    out->pk_value = hash->v1;
    if (range) {
        out->sk_op = range->op;
        out->sk_v1 = range->v1;
        out->sk_v2 = range->v2;
    }
    return 0;
}
