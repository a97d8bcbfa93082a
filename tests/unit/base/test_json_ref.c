/* test_json_ref.c - jansson as a strict reference: on a fixed set of tricky
 * texts and on deterministic random mutations of valid documents, our parser
 * and jansson must agree on accept/reject, and on what accepted texts mean.
 * (Our parser keeps "\u0000" in strings, which jansson refuses without
 * JSON_ALLOW_NUL, so that flag is set.) */
#include <stdint.h>
#include <stdlib.h>

#include "../test.h"
#include "base/json.h"
#include "jansson_ref.h"

/* Returns false when the two parsers disagree on `text`: one accepts what
 * the other rejects, or our writer's output of our parse means something
 * else to jansson than the original text. */
static bool agree(const char *text, size_t len) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *ours = json_parse(&a, text, len, &err);
    char *out = ours ? json_to_str(&a, ours) : NULL;
    ref_result_t r = ref_compare(text, len, out, out ? strlen(out) : 0);
    bool ok;
    if (r == REF_REJECTED)
        ok = !ours;
    else if (r == REF_REJECTED_OVERFLOW)
        ok = true; /* we keep the text of numbers beyond a double: deliberate */
    else
        ok = ours && r == REF_SAME;
    arena_release(&a);
    return ok;
}

static const char *const tricky[] = {
    "{}", "[]", "0", "-0", "1.5e-7", "1E+2", "\"\"", "\"\\u00e9\"", "\"\\uD83D\\uDE00\"",
    "[1,2,[3,{\"a\":null}]]", " \t\n[true , false]\r\n", "{\"a\":1,\"a\":2}",
    "\"\\u0000\"", "1e400",
    /* rejected */
    "", " ", "[", "]", "{\"a\"}", "{\"a\":}", "[1,]", "[,1]", "01", "-", "1.", ".5", "+1",
    "1e", "NaN", "Infinity", "nul", "truee", "\"\\a\"", "\"\\uD800\"", "\"\\uDC00x\"",
    "\"a\nb\"", "\"\xff\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xc1\x81\"",
    "[1]x", "{'a':1}", "// c\n1", "[1 2]", "{\"a\" 1}", "\"\\u12G4\"",
};

TEST(base_json_agrees_with_jansson_on_tricky_texts) {
    for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
        if (!agree(tricky[i], strlen(tricky[i])))
            test_fail(__FILE__, __LINE__, "parsers disagree on %s", tricky[i]);
}

TEST(base_json_agrees_with_jansson_on_mutations) {
    static const char seed[] =
        "{\"Item\":{\"pk\":{\"S\":\"k\\u00e9\\n\"},\"n\":{\"N\":\"-1.5e3\"},"
        "\"l\":{\"L\":[{\"BOOL\":true},{\"NULL\":true},[1,2.25,-0]]}}}";
    static const char alphabet[] = "{}[]\",:\\ -+.eE0123456789untrfals\x01\x7f\xc3\xa9\xff";
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    char text[sizeof(seed) + 8];
    int disagreements = 0;
    for (int round = 0; round < 20000 && disagreements < 5; round++) {
        memcpy(text, seed, sizeof(seed));
        size_t len = sizeof(seed) - 1;
        int edits = 1 + (int)(round % 3);
        for (int e = 0; e < edits; e++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            size_t pos = (size_t)(rng % len);
            char c = alphabet[(rng >> 32) % (sizeof(alphabet) - 1)];
            if ((rng >> 40) % 4 == 0 && len > 1) {
                memmove(text + pos, text + pos + 1, len - pos - 1);
                len--;
            } else {
                text[pos] = c;
            }
        }
        if (!agree(text, len)) {
            disagreements++;
            test_fail(__FILE__, __LINE__, "parsers disagree on %.*s", (int)len, text);
        }
    }
}
