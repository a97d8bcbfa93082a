/* machines.c - state machine records (STORE_CATALOG) and the API operations
 * on them: CreateStateMachine, DescribeStateMachine, UpdateStateMachine,
 * DeleteStateMachine, ListStateMachines, ValidateStateMachineDefinition.
 *
 * Catalog key "sfn:sm/<name>" (so machines list in name order and never
 * mix with DynamoDB's "ddb:table/" keys); the value is the record described
 * at sfn__machine_get. Definitions are validated by asl.c; nothing here runs
 * an execution. */
#include <string.h>
#include "sfn/sfn_int.h"

/* AWS's quota of tags per resource. */
#define SFN_MAX_TAGS 50

static int check_tags(const json_t *tags, sw_error_t *err);
static json_t *merge_tags(arena_t *a, const json_t *old, const json_t *add);

#define MACHINE_PREFIX "sfn:sm/"
#define MACHINE_PREFIX_LEN (sizeof MACHINE_PREFIX - 1)

static size_t machine_key(const char *name, char *key) {
    size_t n = strlen(name);
    memcpy(key, MACHINE_PREFIX, MACHINE_PREFIX_LEN);
    memcpy(key + MACHINE_PREFIX_LEN, name, n);
    return MACHINE_PREFIX_LEN + n;
}

static json_t *get_by_name(store_txn_t *txn, arena_t *a, const char *name) {
    char key[MACHINE_PREFIX_LEN + 512];
    const void *v;
    size_t len;
    sw_error_t err;
    if (strlen(name) > 400 || !store_get(txn, STORE_CATALOG, key, machine_key(name, key), &v, &len))
        return NULL;
    return json_parse(a, v, len, &err);
}

json_t *sfn__machine_get(store_txn_t *txn, arena_t *a, const char *arn) {
    const char *name;
    json_t *rec;
    if (sfn__arn_parse(a, arn, "stateMachine", &name, NULL) < 0)
        return NULL;
    rec = get_by_name(txn, a, name);
    if (rec && strcmp(json_obj_get_str(rec, "stateMachineArn"), arn) != 0)
        return NULL;
    return rec;
}

static int put_machine(store_txn_t *txn, arena_t *a, const json_t *rec, sw_error_t *err) {
    char key[MACHINE_PREFIX_LEN + 512];
    char *text = json_to_str(a, rec);
    return store_put(txn, STORE_CATALOG, key, machine_key(json_obj_get_str(rec, "name"), key),
                     text, strlen(text), err);
}

int sfn__check_length(const char *key, const char *text, size_t len, size_t min_chars,
                      size_t max_chars, size_t *n_chars, sw_error_t *err) {
    size_t n = 0;
    /* Characters, not bytes: every byte but UTF-8 continuation bytes
     * starts one. */
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)text[i] & 0xC0) != 0x80;
    if (n_chars)
        *n_chars = n;
    /* These members are sensitive in AWS's API model: the message does not
     * quote their value. */
    if (n < min_chars)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value at '%s' failed to satisfy "
                            "constraint: Member must have length greater than or equal to %zu",
                            key, min_chars);
    if (n > max_chars)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value at '%s' failed to satisfy "
                            "constraint: Member must have length less than or equal to %zu",
                            key, max_chars);
    return 0;
}

int sfn_definition_check_length(const char *text, size_t len, size_t *n_chars,
                                sw_error_t *err) {
    return sfn__check_length("definition", text, len, 1, SFN_MAX_DEFINITION_CHARS, n_chars, err);
}

/* Parses and validates a definition string. */
static int check_definition(arena_t *a, const char *text, sw_error_t *err) {
    sw_error_t perr;
    sfn_program_t *p;
    json_t *def = json_parse(a, text, strlen(text), &perr);
    if (!def)
        return sw_error_set(err, "InvalidDefinition",
                            "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %s'",
                            perr.msg);
    if (!json_is_obj(def))
        return sw_error_set(err, "InvalidDefinition",
                            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
                            "Expected value of type: Object at /'");
    return sfn__program_compile(a, def, &p, err);
}

static int check_role(const char *role, sw_error_t *err) {
    if (strncmp(role, "arn:", 4) != 0)
        return sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: %s'", role);
    return 0;
}

static json_t *default_logging(arena_t *a) {
    json_t *o = json_new_obj(a);
    json_obj_set(a, o, "level", json_new_strz(a, "OFF"));
    json_obj_set(a, o, "includeExecutionData", json_new_bool(a, false));
    return o;
}

static json_t *default_tracing(arena_t *a) {
    json_t *o = json_new_obj(a);
    json_obj_set(a, o, "enabled", json_new_bool(a, false));
    return o;
}

/* loggingConfiguration / tracingConfiguration as given, with defaults. */
static int get_configs(arena_t *a, const json_t *req, json_t **logging, json_t **tracing,
                       sw_error_t *err) {
    json_t *l = json_obj_get(req, "loggingConfiguration");
    json_t *t = json_obj_get(req, "tracingConfiguration");
    if (l && !json_is_obj(l))
        return sw_error_set(err, "SerializationException",
                            "Unexpected value type for loggingConfiguration");
    if (t && !json_is_obj(t))
        return sw_error_set(err, "SerializationException",
                            "Unexpected value type for tracingConfiguration");
    if (l) {
        const char *level = json_obj_get_str(l, "level");
        json_t *c = json_clone(a, l);
        if (level && strcmp(level, "OFF") && strcmp(level, "ALL") && strcmp(level, "ERROR") &&
            strcmp(level, "FATAL"))
            return sw_error_set(err, "ValidationException",
                                "1 validation error detected: Value '%s' at "
                                "'loggingConfiguration.level' failed to satisfy constraint: "
                                "Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]",
                                level);
        if (level && strcmp(level, "OFF") != 0 && !json_obj_get(l, "destinations"))
            return sw_error_set(err, "InvalidLoggingConfiguration",
                                "Invalid Logging Configuration: Must specify exactly one Log "
                                "Destination.");
        if (!level)
            json_obj_set(a, c, "level", json_new_strz(a, "OFF"));
        if (!json_obj_get(c, "includeExecutionData"))
            json_obj_set(a, c, "includeExecutionData", json_new_bool(a, false));
        *logging = c;
    } else {
        *logging = default_logging(a);
    }
    if (t) {
        json_t *c = json_clone(a, t);
        if (!json_obj_get(c, "enabled"))
            json_obj_set(a, c, "enabled", json_new_bool(a, false));
        *tracing = c;
    } else {
        *tracing = default_tracing(a);
    }
    return 0;
}

static int op_create(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                     sw_error_t *err) {
    const char *name, *definition, *role, *type;
    json_t *logging, *tracing, *rec, *old, *out;
    const char *arn;
    store_txn_t *txn;
    int64_t now = sfn__now_ms(sf);
    if (sfn__req_str(req, "name", true, &name, err) < 0 ||
        sfn__req_str(req, "definition", true, &definition, err) < 0 ||
        sfn__req_str(req, "roleArn", true, &role, err) < 0 ||
        sfn__req_str(req, "type", false, &type, err) < 0 ||
        sfn_definition_check_length(definition, strlen(definition), NULL, err) < 0)
        return -1;
    if (!type)
        type = "STANDARD";
    if (strcmp(type, "STANDARD") != 0 && strcmp(type, "EXPRESS") != 0)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value '%s' at 'type' failed to "
                            "satisfy constraint: Member must satisfy enum value set: "
                            "[STANDARD, EXPRESS]",
                            type);
    if (!sfn__name_is_valid(name, strlen(name)))
        return sw_error_set(err, "InvalidName", "Invalid Name: '%s'", name);
    if (check_tags(json_obj_get(req, "tags"), err) < 0)
        return -1;
    if (json_obj_get(req, "tags") && json_obj_get(req, "tags")->len > SFN_MAX_TAGS)
        return sw_error_set(err, "TooManyTags", "Too many tags: %zu (the limit is %d)",
                            json_obj_get(req, "tags")->len, SFN_MAX_TAGS);
    if (check_role(role, err) < 0 || get_configs(a, req, &logging, &tracing, err) < 0 ||
        check_definition(a, definition, err) < 0)
        return -1;
    arn = arena_sprintf(a, "%sstateMachine:%s", sf->arn_prefix, name);

    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    old = get_by_name(txn, a, name);
    if (old) {
        /* AWS: a re-create with the same name, definition, type, logging
         * and tracing configuration is idempotent and returns the
         * original; a different roleArn or tags are ignored (and not
         * applied). Anything else is a conflict. */
        int64_t created = 0;
        bool is_same = strcmp(json_obj_get_str(old, "definition"), definition) == 0 &&
                       strcmp(json_obj_get_str(old, "type"), type) == 0 &&
                       json_equal(json_obj_get(old, "loggingConfiguration"), logging) &&
                       json_equal(json_obj_get(old, "tracingConfiguration"), tracing);
        store_txn_abort(txn);
        if (!is_same)
            return sw_error_set(err, "StateMachineAlreadyExists",
                                "State Machine Already Exists: '%s'", arn);
        json_num_i64(json_obj_get(old, "creationMs"), &created);
        out = json_new_obj(a);
        json_obj_set(a, out, "stateMachineArn", json_new_strz(a, arn));
        json_obj_set(a, out, "creationDate", sfn__epoch_json(a, created));
        *resp = out;
        return 0;
    }
    rec = json_new_obj(a);
    json_obj_set(a, rec, "stateMachineArn", json_new_strz(a, arn));
    json_obj_set(a, rec, "name", json_new_strz(a, name));
    json_obj_set(a, rec, "status", json_new_strz(a, "ACTIVE"));
    json_obj_set(a, rec, "definition", json_new_strz(a, definition));
    json_obj_set(a, rec, "roleArn", json_new_strz(a, role));
    json_obj_set(a, rec, "type", json_new_strz(a, type));
    json_obj_set(a, rec, "creationMs", json_new_num_i64(a, now));
    json_obj_set(a, rec, "loggingConfiguration", logging);
    json_obj_set(a, rec, "tracingConfiguration", tracing);
    json_obj_set(a, rec, "tags", merge_tags(a, NULL, json_obj_get(req, "tags")));
    if (put_machine(txn, a, rec, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    if (store_txn_commit(txn, err) < 0)
        return -1;
    out = json_new_obj(a);
    json_obj_set(a, out, "stateMachineArn", json_new_strz(a, arn));
    json_obj_set(a, out, "creationDate", sfn__epoch_json(a, now));
    *resp = out;
    return 0;
}

/* Looks up the machine named by request member stateMachineArn. */
static json_t *load_req_machine(sfn_t *sf, arena_t *a, const json_t *req, const char **arn,
                                sw_error_t *err) {
    const char *name;
    store_txn_t *txn;
    json_t *rec;
    if (sfn__req_str(req, "stateMachineArn", true, arn, err) < 0 ||
        sfn__arn_parse(a, *arn, "stateMachine", &name, err) < 0)
        return NULL;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return NULL;
    rec = sfn__machine_get(txn, a, *arn);
    store_txn_abort(txn);
    if (!rec)
        sw_error_set(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", *arn);
    return rec;
}

static int op_describe(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                       sw_error_t *err) {
    const char *arn;
    json_t *rec = load_req_machine(sf, a, req, &arn, err), *out;
    int64_t ms = 0;
    if (!rec)
        return -1;
    out = json_new_obj(a);
    json_obj_set(a, out, "stateMachineArn", json_obj_get(rec, "stateMachineArn"));
    json_obj_set(a, out, "name", json_obj_get(rec, "name"));
    json_obj_set(a, out, "status", json_obj_get(rec, "status"));
    json_obj_set(a, out, "definition", json_obj_get(rec, "definition"));
    json_obj_set(a, out, "roleArn", json_obj_get(rec, "roleArn"));
    json_obj_set(a, out, "type", json_obj_get(rec, "type"));
    json_num_i64(json_obj_get(rec, "creationMs"), &ms);
    json_obj_set(a, out, "creationDate", sfn__epoch_json(a, ms));
    json_obj_set(a, out, "loggingConfiguration", json_obj_get(rec, "loggingConfiguration"));
    json_obj_set(a, out, "tracingConfiguration", json_obj_get(rec, "tracingConfiguration"));
    if (json_obj_get(rec, "revisionId"))
        json_obj_set(a, out, "revisionId", json_obj_get(rec, "revisionId"));
    *resp = out;
    return 0;
}

static int op_update(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                     sw_error_t *err) {
    const char *arn, *name, *definition, *role;
    json_t *rec, *logging = NULL, *tracing = NULL, *out;
    store_txn_t *txn;
    int64_t now = sfn__now_ms(sf);
    const char *revision;
    if (sfn__req_str(req, "stateMachineArn", true, &arn, err) < 0 ||
        sfn__req_str(req, "definition", false, &definition, err) < 0 ||
        sfn__req_str(req, "roleArn", false, &role, err) < 0 ||
        sfn__arn_parse(a, arn, "stateMachine", &name, err) < 0 ||
        (definition &&
         sfn_definition_check_length(definition, strlen(definition), NULL, err) < 0))
        return -1;
    if (!definition && !role && !json_obj_get(req, "loggingConfiguration") &&
        !json_obj_get(req, "tracingConfiguration"))
        return sw_error_set(err, "MissingRequiredParameter",
                            "Either the definition, the role ARN, the LoggingConfiguration, or "
                            "the TracingConfiguration must be specified");
    if (role && check_role(role, err) < 0)
        return -1;
    if (definition && check_definition(a, definition, err) < 0)
        return -1;
    if ((json_obj_get(req, "loggingConfiguration") || json_obj_get(req, "tracingConfiguration")) &&
        get_configs(a, req, &logging, &tracing, err) < 0)
        return -1;
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    rec = sfn__machine_get(txn, a, arn);
    if (!rec) {
        store_txn_abort(txn);
        return sw_error_set(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'",
                            arn);
    }
    if (definition)
        json_obj_set(a, rec, "definition", json_new_strz(a, definition));
    if (role)
        json_obj_set(a, rec, "roleArn", json_new_strz(a, role));
    if (json_obj_get(req, "loggingConfiguration"))
        json_obj_set(a, rec, "loggingConfiguration", logging);
    if (json_obj_get(req, "tracingConfiguration"))
        json_obj_set(a, rec, "tracingConfiguration", tracing);
    {
        /* revisionId: a UUID-shaped value, new with every update. */
        uint64_t x = (uint64_t)now * 0x9E3779B97F4A7C15ull ^
                     __atomic_add_fetch(&sf->n_runs, 1, __ATOMIC_RELAXED) * 0xBF58476D1CE4E5B9ull;
        uint64_t y = x * 0x94D049BB133111EBull + 0x2545F4914F6CDD1Dull;
        revision = arena_sprintf(a, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(x >> 32),
                                 (unsigned)(x >> 16) & 0xffff, (unsigned)x & 0xfff,
                                 (unsigned)(0x8000 | ((y >> 48) & 0x3fff)),
                                 (unsigned long long)(y & 0xffffffffffffull));
    }
    json_obj_set(a, rec, "revisionId", json_new_strz(a, revision));
    json_obj_set(a, rec, "updateMs", json_new_num_i64(a, now));
    if (put_machine(txn, a, rec, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    if (store_txn_commit(txn, err) < 0)
        return -1;
    out = json_new_obj(a);
    json_obj_set(a, out, "updateDate", sfn__epoch_json(a, now));
    json_obj_set(a, out, "revisionId", json_new_strz(a, revision));
    *resp = out;
    return 0;
}

static int op_delete(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                     sw_error_t *err) {
    const char *arn, *name;
    store_txn_t *txn;
    char key[MACHINE_PREFIX_LEN + 512];
    if (sfn__req_str(req, "stateMachineArn", true, &arn, err) < 0 ||
        sfn__arn_parse(a, arn, "stateMachine", &name, err) < 0)
        return -1;
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    /* AWS: deleting a machine that does not exist succeeds. Executions
     * already started keep running on their definition snapshot. */
    if (sfn__machine_get(txn, a, arn) && strlen(name) <= 400 &&
        store_del(txn, STORE_CATALOG, key, machine_key(name, key), err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    if (store_txn_commit(txn, err) < 0)
        return -1;
    *resp = json_new_obj(a);
    return 0;
}

static int op_list(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp, sw_error_t *err) {
    const char *token, *resume_at;
    int64_t max;
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len;
    char seek[MACHINE_PREFIX_LEN + 512];
    size_t seek_len;
    json_t *list = json_new_arr(a), *out = json_new_obj(a);
    bool ok;
    if (sfn__req_str(req, "nextToken", false, &token, err) < 0 ||
        sfn__req_int(req, "maxResults", 0, 1000, &max, err) < 0 ||
        sfn__page_token_parse(a, "ListStateMachines", token, &resume_at, err) < 0)
        return -1;
    if (max == 0)
        max = 100;
    seek_len = machine_key(resume_at, seek);
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    if (store_cursor_open(txn, STORE_CATALOG, &c, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    for (ok = store_cursor_seek(c, seek, seek_len, &k, &k_len, &v, &v_len); ok;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        json_t *rec, *m;
        sw_error_t perr;
        int64_t ms = 0;
        if (k_len < MACHINE_PREFIX_LEN || memcmp(k, MACHINE_PREFIX, MACHINE_PREFIX_LEN) != 0)
            break;
        if ((int64_t)list->len == max) {
            json_obj_set(a, out, "nextToken",
                         sfn__page_token(a, "ListStateMachines",
                                         (const char *)k + MACHINE_PREFIX_LEN,
                                         k_len - MACHINE_PREFIX_LEN));
            break;
        }
        rec = json_parse(a, v, v_len, &perr);
        if (!rec)
            continue;
        m = json_new_obj(a);
        json_obj_set(a, m, "stateMachineArn", json_obj_get(rec, "stateMachineArn"));
        json_obj_set(a, m, "name", json_obj_get(rec, "name"));
        json_obj_set(a, m, "type", json_obj_get(rec, "type"));
        json_num_i64(json_obj_get(rec, "creationMs"), &ms);
        json_obj_set(a, m, "creationDate", sfn__epoch_json(a, ms));
        json_arr_push(a, list, m);
    }
    store_cursor_close(c);
    store_txn_abort(txn);
    {
        json_t *ordered = json_new_obj(a);
        json_obj_set(a, ordered, "stateMachines", list);
        if (json_obj_get(out, "nextToken"))
            json_obj_set(a, ordered, "nextToken", json_obj_get(out, "nextToken"));
        *resp = ordered;
    }
    return 0;
}

/* Splits asl.c's "CODE: message at /loc, CODE: ..." into diagnostics. */
json_t *sfn_definition_diagnostics(arena_t *a, const char *msg) {
    json_t *list = json_new_arr(a);
    const char *p = msg, *end;
    static const char prefix[] = "Invalid State Machine Definition: '";
    if (strncmp(p, prefix, sizeof prefix - 1) == 0)
        p += sizeof prefix - 1;
    end = p + strlen(p);
    if (end > p && end[-1] == '\'')
        end--;
    while (p < end) {
        /* The next diagnostic starts at ", " followed by an upper-case code
         * and ": ". */
        const char *q = p, *next = end, *colon, *at;
        json_t *d = json_new_obj(a);
        const char *body;
        while ((q = strstr(q, ", ")) && q < end) {
            const char *r = q + 2;
            while (r < end && ((*r >= 'A' && *r <= 'Z') || *r == '_'))
                r++;
            if (r > q + 2 && r + 1 < end && r[0] == ':' && r[1] == ' ') {
                next = q;
                break;
            }
            q += 2;
        }
        colon = strstr(p, ": ");
        if (!colon || colon > next)
            colon = p;
        body = colon == p ? p : colon + 2;
        json_obj_set(a, d, "severity", json_new_strz(a, "ERROR"));
        json_obj_set(a, d, "code",
                     json_new_str(a, p, colon == p ? 0 : (size_t)(colon - p)));
        at = NULL;
        for (const char *s = body; (s = strstr(s, " at /")) && s < next; s++)
            at = s;
        json_obj_set(a, d, "message",
                     json_new_str(a, body, (size_t)((at ? at : next) - body)));
        if (at)
            json_obj_set(a, d, "location", json_new_str(a, at + 4, (size_t)(next - at - 4)));
        json_arr_push(a, list, d);
        p = next == end ? end : next + 2;
    }
    return list;
}

static int op_validate(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                       sw_error_t *err) {
    const char *definition, *type;
    sw_error_t verr;
    json_t *out = json_new_obj(a);
    (void)sf;
    if (sfn__req_str(req, "definition", true, &definition, err) < 0 ||
        sfn__req_str(req, "type", false, &type, err) < 0 ||
        sfn_definition_check_length(definition, strlen(definition), NULL, err) < 0)
        return -1;
    if (type && strcmp(type, "STANDARD") != 0 && strcmp(type, "EXPRESS") != 0)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value '%s' at 'type' failed to "
                            "satisfy constraint: Member must satisfy enum value set: "
                            "[STANDARD, EXPRESS]",
                            type);
    if (check_definition(a, definition, &verr) < 0) {
        json_obj_set(a, out, "result", json_new_strz(a, "FAIL"));
        json_obj_set(a, out, "diagnostics", sfn_definition_diagnostics(a, verr.msg));
    } else {
        json_obj_set(a, out, "result", json_new_strz(a, "OK"));
        json_obj_set(a, out, "diagnostics", json_new_arr(a));
    }
    json_obj_set(a, out, "truncated", json_new_bool(a, false));
    *resp = out;
    return 0;
}

/* ---- Activities ------------------------------------------------------- */

#define ACTIVITY_PREFIX "sfn:act/"
#define ACTIVITY_PREFIX_LEN (sizeof ACTIVITY_PREFIX - 1)

static size_t activity_key(const char *name, char *key) {
    size_t n = strlen(name);
    memcpy(key, ACTIVITY_PREFIX, ACTIVITY_PREFIX_LEN);
    memcpy(key + ACTIVITY_PREFIX_LEN, name, n);
    return ACTIVITY_PREFIX_LEN + n;
}

json_t *sfn__activity_get(store_txn_t *txn, arena_t *a, const char *arn) {
    const char *name;
    char key[ACTIVITY_PREFIX_LEN + 512];
    const void *v;
    size_t len;
    sw_error_t err;
    json_t *rec;
    if (sfn__arn_parse(a, arn, "activity", &name, NULL) < 0 || strlen(name) > 400 ||
        !store_get(txn, STORE_CATALOG, key, activity_key(name, key), &v, &len))
        return NULL;
    rec = json_parse(a, v, len, &err);
    if (rec && strcmp(json_obj_get_str(rec, "activityArn"), arn) != 0)
        return NULL;
    return rec;
}

static int put_activity(store_txn_t *txn, arena_t *a, const json_t *rec, sw_error_t *err) {
    char key[ACTIVITY_PREFIX_LEN + 512];
    char *text = json_to_str(a, rec);
    return store_put(txn, STORE_CATALOG, key, activity_key(json_obj_get_str(rec, "name"), key),
                     text, strlen(text), err);
}

static json_t *activity_resp(arena_t *a, const json_t *rec, bool with_name) {
    json_t *out = json_new_obj(a);
    int64_t ms = 0;
    json_obj_set(a, out, "activityArn", json_obj_get(rec, "activityArn"));
    if (with_name)
        json_obj_set(a, out, "name", json_obj_get(rec, "name"));
    json_num_i64(json_obj_get(rec, "creationMs"), &ms);
    json_obj_set(a, out, "creationDate", sfn__epoch_json(a, ms));
    return out;
}

static int check_tags(const json_t *tags, sw_error_t *err) {
    if (!tags)
        return 0;
    if (!json_is_arr(tags))
        return sw_error_set(err, "SerializationException", "Unexpected value type for tags");
    for (size_t i = 0; i < tags->len; i++) {
        const json_t *t = tags->u.items[i];
        const char *k = json_obj_get_str(t, "key"), *v = json_obj_get_str(t, "value");
        if (!json_is_obj(t) || !k)
            return sw_error_set(err, "ValidationException",
                                "1 validation error detected: Value null at 'tags.%zu.member.key' "
                                "failed to satisfy constraint: Member must not be null",
                                i + 1);
        if (strlen(k) < 1 || strlen(k) > 128 || (v && strlen(v) > 256))
            return sw_error_set(err, "ValidationException",
                                "1 validation error detected: Value at 'tags.%zu.member' failed "
                                "to satisfy constraint: Member must have length less than or "
                                "equal to %d",
                                i + 1, strlen(k) > 128 ? 128 : 256);
    }
    return 0;
}

/* `old` tags with `add` merged in (same key: the new value). */
static json_t *merge_tags(arena_t *a, const json_t *old, const json_t *add) {
    json_t *out = json_new_arr(a);
    for (size_t i = 0; old && i < old->len; i++) {
        const char *k = json_obj_get_str(old->u.items[i], "key");
        bool is_replaced = false;
        for (size_t j = 0; add && j < add->len; j++)
            is_replaced |= strcmp(k, json_obj_get_str(add->u.items[j], "key")) == 0;
        if (!is_replaced)
            json_arr_push(a, out, old->u.items[i]);
    }
    for (size_t j = 0; add && j < add->len; j++) {
        json_t *t = json_new_obj(a);
        const char *k = json_obj_get_str(add->u.items[j], "key");
        const char *v = json_obj_get_str(add->u.items[j], "value");
        bool is_given_later = false;
        /* A key given twice in one call is kept once, with its last value. */
        for (size_t l = j + 1; add && l < add->len; l++)
            is_given_later |= strcmp(k, json_obj_get_str(add->u.items[l], "key")) == 0;
        if (is_given_later)
            continue;
        json_obj_set(a, t, "key", json_obj_get(add->u.items[j], "key"));
        json_obj_set(a, t, "value", json_new_strz(a, v ? v : ""));
        json_arr_push(a, out, t);
    }
    return out;
}

static int op_create_activity(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                              sw_error_t *err) {
    const char *name, *arn;
    const json_t *tags = json_obj_get(req, "tags");
    store_txn_t *txn;
    json_t *rec;
    if (sfn__req_str(req, "name", true, &name, err) < 0 || check_tags(tags, err) < 0)
        return -1;
    if (!sfn__name_is_valid(name, strlen(name)))
        return sw_error_set(err, "InvalidName", "Invalid Name: '%s'", name);
    if (tags && tags->len > SFN_MAX_TAGS)
        return sw_error_set(err, "TooManyTags", "Too many tags: %zu (the limit is %d)", tags->len,
                            SFN_MAX_TAGS);
    arn = arena_sprintf(a, "%sactivity:%s", sf->arn_prefix, name);
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    rec = sfn__activity_get(txn, a, arn);
    if (rec) {
        /* AWS: idempotent by name; different tags are ignored. */
        store_txn_abort(txn);
        *resp = activity_resp(a, rec, false);
        return 0;
    }
    rec = json_new_obj(a);
    json_obj_set(a, rec, "activityArn", json_new_strz(a, arn));
    json_obj_set(a, rec, "name", json_new_strz(a, name));
    json_obj_set(a, rec, "creationMs", json_new_num_i64(a, sfn__now_ms(sf)));
    json_obj_set(a, rec, "tags", merge_tags(a, NULL, tags));
    if (put_activity(txn, a, rec, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    if (store_txn_commit(txn, err) < 0)
        return -1;
    *resp = activity_resp(a, rec, false);
    return 0;
}

static int op_describe_activity(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                                sw_error_t *err) {
    const char *arn, *name;
    store_txn_t *txn;
    json_t *rec;
    if (sfn__req_str(req, "activityArn", true, &arn, err) < 0 ||
        sfn__arn_parse(a, arn, "activity", &name, err) < 0)
        return -1;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    rec = sfn__activity_get(txn, a, arn);
    store_txn_abort(txn);
    if (!rec)
        return sw_error_set(err, "ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn);
    *resp = activity_resp(a, rec, true);
    return 0;
}

static int op_delete_activity(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                              sw_error_t *err) {
    const char *arn, *name;
    store_txn_t *txn;
    char key[ACTIVITY_PREFIX_LEN + 512];
    if (sfn__req_str(req, "activityArn", true, &arn, err) < 0 ||
        sfn__arn_parse(a, arn, "activity", &name, err) < 0)
        return -1;
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    if (sfn__activity_get(txn, a, arn) &&
        store_del(txn, STORE_CATALOG, key, activity_key(name, key), err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    if (store_txn_commit(txn, err) < 0)
        return -1;
    *resp = json_new_obj(a);
    return 0;
}

static int op_list_activities(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                              sw_error_t *err) {
    const char *token, *resume_at;
    int64_t max;
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len, seek_len;
    char seek[ACTIVITY_PREFIX_LEN + 512];
    json_t *list = json_new_arr(a), *out = json_new_obj(a);
    bool ok;
    if (sfn__req_str(req, "nextToken", false, &token, err) < 0 ||
        sfn__req_int(req, "maxResults", 0, 1000, &max, err) < 0 ||
        sfn__page_token_parse(a, "ListActivities", token, &resume_at, err) < 0)
        return -1;
    if (max == 0)
        max = 100;
    seek_len = activity_key(resume_at, seek);
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    if (store_cursor_open(txn, STORE_CATALOG, &c, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    json_obj_set(a, out, "activities", list);
    for (ok = store_cursor_seek(c, seek, seek_len, &k, &k_len, &v, &v_len); ok;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        json_t *rec;
        sw_error_t perr;
        if (k_len < ACTIVITY_PREFIX_LEN || memcmp(k, ACTIVITY_PREFIX, ACTIVITY_PREFIX_LEN) != 0)
            break;
        if ((int64_t)list->len == max) {
            json_obj_set(a, out, "nextToken",
                         sfn__page_token(a, "ListActivities",
                                         (const char *)k + ACTIVITY_PREFIX_LEN,
                                         k_len - ACTIVITY_PREFIX_LEN));
            break;
        }
        if ((rec = json_parse(a, v, v_len, &perr)))
            json_arr_push(a, list, activity_resp(a, rec, true));
    }
    store_cursor_close(c);
    store_txn_abort(txn);
    *resp = out;
    return 0;
}

/* ---- Tags ------------------------------------------------------------- */

/* The record a resourceArn names (state machine or activity), in a write
 * transaction when `txn` is one; ResourceNotFound / InvalidArn otherwise. */
static json_t *tagged_get(store_txn_t *txn, arena_t *a, const char *arn, bool *is_machine,
                          sw_error_t *err) {
    const char *name;
    json_t *rec = NULL;
    if (sfn__arn_parse(a, arn, "stateMachine", &name, NULL) == 0) {
        *is_machine = true;
        rec = sfn__machine_get(txn, a, arn);
    } else if (sfn__arn_parse(a, arn, "activity", &name, NULL) == 0) {
        *is_machine = false;
        rec = sfn__activity_get(txn, a, arn);
    } else {
        /* A version or alias ("stateMachine:NAME:1") is an ARN AWS knows
         * and this server has none of; anything else is InvalidArn. */
        const char *sm = strstr(arn, ":stateMachine:");
        if (strncmp(arn, "arn:", 4) == 0 && sm && strchr(sm + 14, ':') &&
            !strchr(strchr(sm + 14, ':') + 1, ':'))
            sw_error_set(err, "ResourceNotFound", "Resource not found: '%s'", arn);
        else
            sfn__arn_parse(a, arn, "stateMachine", &name, err);  /* InvalidArn */
        return NULL;
    }
    if (!rec)
        sw_error_set(err, "ResourceNotFound", "Resource not found: '%s'", arn);
    return rec;
}

static int change_tags(sfn_t *sf, arena_t *a, const json_t *req, bool is_tag, json_t **resp,
                       sw_error_t *err) {
    const char *arn;
    const json_t *list = json_obj_get(req, is_tag ? "tags" : "tagKeys");
    store_txn_t *txn;
    json_t *rec, *tags;
    bool is_machine = false;
    int rc;
    if (sfn__req_str(req, "resourceArn", true, &arn, err) < 0)
        return -1;
    if (!list)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value null at '%s' failed to satisfy "
                            "constraint: Member must not be null",
                            is_tag ? "tags" : "tagKeys");
    if (!json_is_arr(list) || (is_tag && check_tags(list, err) < 0))
        return is_tag ? -1
                      : sw_error_set(err, "SerializationException",
                                     "Unexpected value type for tagKeys");
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    if (!(rec = tagged_get(txn, a, arn, &is_machine, err)))
        goto out_abort_txn;
    if (is_tag) {
        tags = merge_tags(a, json_obj_get(rec, "tags"), list);
    } else {
        const json_t *old = json_obj_get(rec, "tags");
        tags = json_new_arr(a);
        for (size_t i = 0; old && i < old->len; i++) {
            const char *k = json_obj_get_str(old->u.items[i], "key");
            bool is_dropped = false;
            for (size_t j = 0; j < list->len; j++)
                is_dropped |= json_is_str(list->u.items[j]) &&
                              strcmp(list->u.items[j]->u.str, k) == 0;
            if (!is_dropped)
                json_arr_push(a, tags, old->u.items[i]);
        }
    }
    if (tags->len > SFN_MAX_TAGS) {
        sw_error_set(err, "TooManyTags", "Too many tags: %zu (the limit is %d)", tags->len,
                     SFN_MAX_TAGS);
        goto out_abort_txn;
    }
    json_obj_set(a, rec, "tags", tags);
    rc = is_machine ? put_machine(txn, a, rec, err) : put_activity(txn, a, rec, err);
    if (rc < 0)
        goto out_abort_txn;
    if (store_txn_commit(txn, err) < 0)
        return -1;
    *resp = json_new_obj(a);
    return 0;

out_abort_txn:
    store_txn_abort(txn);
    return -1;
}

static int op_tag(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp, sw_error_t *err) {
    return change_tags(sf, a, req, true, resp, err);
}

static int op_untag(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp, sw_error_t *err) {
    return change_tags(sf, a, req, false, resp, err);
}

static int op_list_tags(sfn_t *sf, arena_t *a, const json_t *req, json_t **resp,
                        sw_error_t *err) {
    const char *arn;
    store_txn_t *txn;
    json_t *rec, *out;
    bool is_machine;
    if (sfn__req_str(req, "resourceArn", true, &arn, err) < 0)
        return -1;
    if (store_txn_begin(sf->store, false, &txn, err) < 0)
        return -1;
    rec = tagged_get(txn, a, arn, &is_machine, err);
    store_txn_abort(txn);
    if (!rec)
        return -1;
    out = json_new_obj(a);
    json_obj_set(a, out, "tags",
                 json_obj_get(rec, "tags") ? json_obj_get(rec, "tags") : json_new_arr(a));
    *resp = out;
    return 0;
}

typedef int (*machine_op_fn)(sfn_t *, arena_t *, const json_t *, json_t **, sw_error_t *);

static const struct {
    const char *name;
    machine_op_fn fn;
    bool is_write;   /* run as a group-commit request (store_write) */
} machine_ops[] = {
    {"CreateStateMachine", op_create, true},
    {"DescribeStateMachine", op_describe, false},
    {"UpdateStateMachine", op_update, true},
    {"DeleteStateMachine", op_delete, true},
    {"ListStateMachines", op_list, false},
    {"ValidateStateMachineDefinition", op_validate, false},
    {"CreateActivity", op_create_activity, true},
    {"DescribeActivity", op_describe_activity, false},
    {"DeleteActivity", op_delete_activity, true},
    {"ListActivities", op_list_activities, false},
    {"TagResource", op_tag, true},
    {"UntagResource", op_untag, true},
    {"ListTagsForResource", op_list_tags, false},
};

typedef struct machine_req {
    machine_op_fn fn;
    sfn_t *sf;
    arena_t *a;
    const json_t *req;
    json_t **resp;
} machine_req_t;

static int run_machine_op(void *ctx, sw_error_t *err) {
    machine_req_t *q = ctx;
    return q->fn(q->sf, q->a, q->req, q->resp, err);
}

bool sfn__machine_op_is_write(const char *op) {
    for (size_t i = 0; i < sizeof machine_ops / sizeof machine_ops[0]; i++)
        if (strcmp(machine_ops[i].name, op) == 0)
            return machine_ops[i].is_write;
    return false;
}

bool sfn__machine_has_op(const char *op) {
    for (size_t i = 0; i < sizeof machine_ops / sizeof machine_ops[0]; i++)
        if (strcmp(machine_ops[i].name, op) == 0)
            return true;
    return false;
}

int sfn__machine_op(sfn_t *sf, const char *op, const json_t *req, arena_t *a, json_t **resp,
                    sw_error_t *err) {
    for (size_t i = 0; i < sizeof machine_ops / sizeof machine_ops[0]; i++) {
        machine_req_t q = {machine_ops[i].fn, sf, a, req, resp};
        if (strcmp(machine_ops[i].name, op) != 0)
            continue;
        if (!machine_ops[i].is_write)
            return q.fn(sf, a, req, resp, err);
        return store_write(sf->store, run_machine_op, &q, err);
    }
    return sw_error_set(err, "UnknownOperationException", "Unknown operation %s", op);
}
