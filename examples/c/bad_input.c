/*
 * The C ABI's bad-input paths: NULL for every pointer argument, out-of-range values,
 * invalid UTF-8, buffers of size 0 and 1, freeing NULL, and calling after a failed
 * constructor. Exits 0 when every call gives the documented result.
 *
 * Environment: LK_DATA_DIR (a scratch directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licensekit.h"

static int failures = 0;

#define EXPECT(call, want)                                                          \
    do {                                                                            \
        lk_result got_ = (call);                                                    \
        if (got_ != (lk_result)(want)) {                                            \
            fprintf(stderr, "line %d: %s gave %u, want %u\n", __LINE__, #call,      \
                    (unsigned)got_, (unsigned)(want));                              \
            failures++;                                                             \
        }                                                                           \
    } while (0)

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "line %d: %s is false\n", __LINE__, #cond);             \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static void message_contains(const char *part) {
    char msg[512];
    size_t needed = 0;
    lk_last_error_message(msg, sizeof msg, &needed);
    if (strstr(msg, part) == NULL) {
        fprintf(stderr, "last error %s lacks %s\n", msg, part);
        failures++;
    }
}

static void config_paths(void) {
    lk_config *c = (lk_config *)&failures; /* garbage, must be reset to NULL */
    EXPECT(lk_config_new("com", "Example", "BadInput", NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_new(NULL, "Example", "BadInput", &c), LK_ERR_NULL_ARGUMENT);
    CHECK(c == NULL);
    EXPECT(lk_config_new("com", NULL, "BadInput", &c), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_new("com", "Example", NULL, &c), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_new("com", "\xff\xfe", "BadInput", &c), LK_ERR_INVALID_UTF8);
    EXPECT(lk_config_new("com", "", "BadInput", &c), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_new("co.uk", "Example", "BadInput", &c), LK_ERR_INVALID_INPUT);
    CHECK(c == NULL);

    /* Every setter with a NULL config. */
    EXPECT(lk_config_set_environment(NULL, LK_ENVIRONMENT_TEST), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_base_url(NULL, "http://127.0.0.1:9"), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_data_dir(NULL, "/tmp"), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_key_storage(NULL, LK_KEY_STORAGE_FILE), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_vendor_secret(NULL, (const uint8_t *)"s", 1), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_add_product_id(NULL, "pdt_1"), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_allow_any_product(NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_grace_period(NULL, 60), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_revalidate_interval(NULL, 60), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_timeout_ms(NULL, 1000), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_ca_file(NULL, "/tmp/ca.pem"), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_trust_store(NULL, LK_TRUST_STORE_SYSTEM), LK_ERR_NULL_ARGUMENT);
    message_contains("config is NULL");

    EXPECT(lk_config_new("com", "Example", "BadInput", &c), LK_OK);
    /* NULL pointer arguments with a live config. */
    EXPECT(lk_config_set_base_url(c, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_add_product_id(c, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_ca_file(c, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_vendor_secret(c, NULL, 4), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_config_set_vendor_secret(c, NULL, 0), LK_OK); /* an empty secret */
    EXPECT(lk_config_set_data_dir(c, NULL), LK_OK);         /* the platform default */
    EXPECT(lk_config_add_product_id(c, "\xc3\x28"), LK_ERR_INVALID_UTF8);
    EXPECT(lk_config_add_product_id(c, "  "), LK_ERR_INVALID_INPUT);

    /* Out-of-range values are refused, never cast. */
    EXPECT(lk_config_set_environment(c, 2), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_environment(c, 0xFFFFFFFFu), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_key_storage(c, LK_KEY_STORAGE_NONE), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_key_storage(c, 1000), LK_ERR_INVALID_INPUT);
    message_contains("unknown key storage 1000");
    EXPECT(lk_config_set_trust_store(c, 2), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_revalidate_interval(c, 0), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_revalidate_interval(c, UINT64_MAX), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_grace_period(c, UINT64_MAX), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_grace_period(c, 0), LK_OK); /* no offline use: allowed */
    EXPECT(lk_config_set_timeout_ms(c, 0), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_timeout_ms(c, 600001), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_environment(c, LK_ENVIRONMENT_TEST), LK_OK);
    EXPECT(lk_config_set_key_storage(c, LK_KEY_STORAGE_MEMORY), LK_OK);
    EXPECT(lk_config_set_data_dir(c, getenv("LK_DATA_DIR")), LK_OK);

    /* lk_licensor_new: NULL arguments, no product binding, a bad URL, a missing CA. */
    lk_licensor *l = (lk_licensor *)&failures;
    EXPECT(lk_licensor_new(NULL, &l), LK_ERR_NULL_ARGUMENT);
    CHECK(l == NULL);
    EXPECT(lk_licensor_new(c, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_licensor_new(c, &l), LK_ERR_INVALID_INPUT);
    message_contains("product");
    CHECK(l == NULL);
    EXPECT(lk_config_add_product_id(c, "pdt_1"), LK_OK);
    EXPECT(lk_config_set_base_url(c, "http://example.com"), LK_OK);
    EXPECT(lk_licensor_new(c, &l), LK_ERR_INVALID_INPUT);
    EXPECT(lk_config_set_base_url(c, "http://127.0.0.1:9"), LK_OK);
    EXPECT(lk_config_set_ca_file(c, "/nonexistent/ca.pem"), LK_OK);
    EXPECT(lk_licensor_new(c, &l), LK_ERR_IO);
    lk_config_free(c);
}

static void licensor_paths(lk_licensor *l) {
    lk_status *s = (lk_status *)&failures;
    char buf[64];
    size_t needed = 0;

    /* NULL handles and out-pointers; *out is reset to NULL on failure. */
    EXPECT(lk_check(NULL, &s), LK_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    EXPECT(lk_check(l, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_check_offline(NULL, &s), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_check_offline(l, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_revalidate(NULL, &s), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_revalidate(l, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_activate(NULL, "KEY-1234567890", &s), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_activate(l, NULL, &s), LK_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    EXPECT(lk_activate(l, "KEY-1234567890", NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_activate(l, "\xc3\x28", &s), LK_ERR_INVALID_UTF8);
    EXPECT(lk_activate(l, "   ", &s), LK_ERR_INVALID_INPUT);
    EXPECT(lk_deactivate(NULL, true), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_fingerprint(NULL, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
    lk_watch *w = (lk_watch *)&failures;
    EXPECT(lk_watch_start(NULL, 1000, NULL, NULL, &w), LK_ERR_NULL_ARGUMENT);
    CHECK(w == NULL);
    EXPECT(lk_watch_start(l, 1000, NULL, NULL, &w), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_watch_start(l, 1000, NULL, NULL, NULL), LK_ERR_NULL_ARGUMENT);

    /* Buffers of size 0 and 1. */
    EXPECT(lk_fingerprint(l, buf, 0, &needed), LK_ERR_BUFFER_TOO_SMALL);
    CHECK(needed == 65);
    buf[0] = 'x';
    EXPECT(lk_fingerprint(l, buf, 1, &needed), LK_ERR_BUFFER_TOO_SMALL);
    CHECK(buf[0] == '\0');
    EXPECT(lk_fingerprint(l, NULL, 0, &needed), LK_ERR_BUFFER_TOO_SMALL);
    EXPECT(lk_fingerprint(l, NULL, 10, &needed), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_fingerprint(l, buf, sizeof buf, NULL), LK_ERR_BUFFER_TOO_SMALL);
    char big[80];
    EXPECT(lk_fingerprint(l, big, sizeof big, NULL), LK_OK);
    CHECK(strlen(big) == 64);

    /* Nothing activated: a status without values; the server is unreachable. */
    EXPECT(lk_check_offline(l, &s), LK_OK);
    CHECK(lk_status_state(s) == LK_STATE_NOT_ACTIVATED);
    CHECK(!lk_status_is_licensed(s));
    CHECK(lk_status_key_storage(s) == LK_KEY_STORAGE_NONE);
    int64_t t = 42;
    CHECK(!lk_status_activated_at(s, &t) && t == 42);
    CHECK(!lk_status_grace_deadline(s, &t) && t == 42);
    EXPECT(lk_status_instance_id(s, buf, sizeof buf, &needed), LK_ERR_NO_VALUE);
    EXPECT(lk_status_key_hint(s, buf, sizeof buf, &needed), LK_ERR_NO_VALUE);
    lk_status_free(s);
    EXPECT(lk_deactivate(l, false), LK_ERR_NOT_ACTIVATED);
    EXPECT(lk_activate(l, "SOME-KEY-0123456789", &s), LK_ERR_NETWORK);
    CHECK(s == NULL);

    /* The error message: size 0 reports the size, and it never holds the key. */
    EXPECT(lk_last_error_message(NULL, 0, &needed), LK_ERR_BUFFER_TOO_SMALL);
    char msg[512];
    EXPECT(lk_last_error_message(msg, sizeof msg, &needed), LK_OK);
    CHECK(strstr(msg, "SOME-KEY-0123456789") == NULL);
}

static void status_paths(void) {
    char buf[8];
    size_t needed = 0;
    int64_t t = 7;
    /* Every accessor with a NULL status. */
    CHECK(lk_status_state(NULL) == LK_STATE_NOT_ACTIVATED);
    CHECK(!lk_status_is_licensed(NULL));
    CHECK(!lk_status_network_used(NULL));
    CHECK(!lk_status_recovered(NULL));
    CHECK(lk_status_key_storage(NULL) == LK_KEY_STORAGE_NONE);
    CHECK(!lk_status_activated_at(NULL, &t));
    CHECK(!lk_status_last_validated(NULL, &t));
    CHECK(!lk_status_grace_deadline(NULL, &t));
    CHECK(t == 7);
    EXPECT(lk_status_instance_id(NULL, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_status_product_id(NULL, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_status_product_name(NULL, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_status_customer_email(NULL, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_status_key_hint(NULL, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
}

int main(void) {
    config_paths();
    status_paths();

    lk_config *c = NULL;
    EXPECT(lk_config_new("com", "Example", "BadInput", &c), LK_OK);
    EXPECT(lk_config_set_base_url(c, "http://127.0.0.1:9"), LK_OK);
    EXPECT(lk_config_set_key_storage(c, LK_KEY_STORAGE_MEMORY), LK_OK);
    EXPECT(lk_config_set_data_dir(c, getenv("LK_DATA_DIR")), LK_OK);
    EXPECT(lk_config_add_product_id(c, "pdt_1"), LK_OK);
    lk_licensor *l = NULL;
    EXPECT(lk_licensor_new(c, &l), LK_OK);
    lk_config_free(c);
    if (l != NULL) licensor_paths(l);

    /* Freeing NULL does nothing. */
    lk_config_free(NULL);
    lk_licensor_free(NULL);
    lk_status_free(NULL);
    lk_watch_stop(NULL);
    lk_licensor_free(l);
    printf("bad input: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
