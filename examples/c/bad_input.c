/*
 * The C ABI's bad-input paths: NULL for every pointer argument, out-of-range values,
 * invalid UTF-8, buffers of size 0 and 1, freeing NULL, and calling after a failed
 * constructor. Exits 0 when every call gives the documented result.
 *
 * Environment: KS_DATA_DIR (a scratch directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyseat.h"

static int failures = 0;

#define EXPECT(call, want)                                                          \
    do {                                                                            \
        ks_result got_ = (call);                                                    \
        if (got_ != (ks_result)(want)) {                                            \
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
    ks_last_error_message(msg, sizeof msg, &needed);
    if (strstr(msg, part) == NULL) {
        fprintf(stderr, "last error %s lacks %s\n", msg, part);
        failures++;
    }
}

static void config_paths(void) {
    ks_config *c = (ks_config *)&failures; /* garbage, must be reset to NULL */
    EXPECT(ks_config_new("com", "Example", "BadInput", NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_new(NULL, "Example", "BadInput", &c), KS_ERR_NULL_ARGUMENT);
    CHECK(c == NULL);
    EXPECT(ks_config_new("com", NULL, "BadInput", &c), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_new("com", "Example", NULL, &c), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_new("com", "\xff\xfe", "BadInput", &c), KS_ERR_INVALID_UTF8);
    EXPECT(ks_config_new("com", "", "BadInput", &c), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_new("co.uk", "Example", "BadInput", &c), KS_ERR_INVALID_INPUT);
    CHECK(c == NULL);

    /* Every setter with a NULL config. */
    EXPECT(ks_config_set_environment(NULL, KS_ENVIRONMENT_TEST), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_base_url(NULL, "http://127.0.0.1:9"), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_data_dir(NULL, "/tmp"), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_key_storage(NULL, KS_KEY_STORAGE_FILE), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_vendor_secret(NULL, (const uint8_t *)"s", 1), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_add_product_id(NULL, "pdt_1"), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_allow_any_product(NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_grace_period(NULL, 60), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_revalidate_interval(NULL, 60), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_timeout_ms(NULL, 1000), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_ca_file(NULL, "/tmp/ca.pem"), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_trust_store(NULL, KS_TRUST_STORE_SYSTEM), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_trial_days(NULL, 14), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_instance_names_include_host(NULL, false), KS_ERR_NULL_ARGUMENT);
    message_contains("config is NULL");

    EXPECT(ks_config_new("com", "Example", "BadInput", &c), KS_OK);
    /* NULL pointer arguments with a live config. */
    EXPECT(ks_config_set_base_url(c, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_add_product_id(c, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_ca_file(c, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_vendor_secret(c, NULL, 4), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_config_set_vendor_secret(c, NULL, 0), KS_OK); /* an empty secret */
    EXPECT(ks_config_set_data_dir(c, NULL), KS_OK);         /* the platform default */
    EXPECT(ks_config_add_product_id(c, "\xc3\x28"), KS_ERR_INVALID_UTF8);
    EXPECT(ks_config_add_product_id(c, "  "), KS_ERR_INVALID_INPUT);

    /* Out-of-range values are refused, never cast. */
    EXPECT(ks_config_set_environment(c, 2), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_environment(c, 0xFFFFFFFFu), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_key_storage(c, KS_KEY_STORAGE_NONE), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_key_storage(c, 1000), KS_ERR_INVALID_INPUT);
    message_contains("unknown key storage 1000");
    EXPECT(ks_config_set_trust_store(c, 2), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_revalidate_interval(c, 0), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_revalidate_interval(c, UINT64_MAX), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_grace_period(c, UINT64_MAX), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_grace_period(c, 0), KS_OK); /* no offline use: allowed */
    EXPECT(ks_config_set_timeout_ms(c, 0), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_timeout_ms(c, 600001), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_trial_days(c, 0), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_trial_days(c, 36501), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_trial_days(c, UINT32_MAX), KS_ERR_INVALID_INPUT);
    message_contains("1 to 36500");
    EXPECT(ks_config_set_instance_names_include_host(c, false), KS_OK);
    EXPECT(ks_config_set_environment(c, KS_ENVIRONMENT_TEST), KS_OK);
    EXPECT(ks_config_set_key_storage(c, KS_KEY_STORAGE_MEMORY), KS_OK);
    EXPECT(ks_config_set_data_dir(c, getenv("KS_DATA_DIR")), KS_OK);

    /* ks_licensor_new: NULL arguments, no product binding, a bad URL, a missing CA. */
    ks_licensor *l = (ks_licensor *)&failures;
    EXPECT(ks_licensor_new(NULL, &l), KS_ERR_NULL_ARGUMENT);
    CHECK(l == NULL);
    EXPECT(ks_licensor_new(c, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_licensor_new(c, &l), KS_ERR_INVALID_INPUT);
    message_contains("product");
    CHECK(l == NULL);
    EXPECT(ks_config_add_product_id(c, "pdt_1"), KS_OK);
    EXPECT(ks_config_set_base_url(c, "http://example.com"), KS_OK);
    EXPECT(ks_licensor_new(c, &l), KS_ERR_INVALID_INPUT);
    EXPECT(ks_config_set_base_url(c, "http://127.0.0.1:9"), KS_OK);
    EXPECT(ks_config_set_ca_file(c, "/nonexistent/ca.pem"), KS_OK);
    EXPECT(ks_licensor_new(c, &l), KS_ERR_IO);
    ks_config_free(c);
}

static void licensor_paths(ks_licensor *l) {
    ks_status *s = (ks_status *)&failures;
    char buf[64];
    size_t needed = 0;

    /* NULL handles and out-pointers; *out is reset to NULL on failure. */
    EXPECT(ks_check(NULL, &s), KS_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    EXPECT(ks_check(l, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_check_offline(NULL, &s), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_check_offline(l, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_revalidate(NULL, &s), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_revalidate(l, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_activate(NULL, "KEY-1234567890", &s), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_activate(l, NULL, &s), KS_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    EXPECT(ks_activate(l, "KEY-1234567890", NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_activate(l, "\xc3\x28", &s), KS_ERR_INVALID_UTF8);
    EXPECT(ks_activate(l, "   ", &s), KS_ERR_INVALID_INPUT);
    EXPECT(ks_deactivate(NULL, true), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_fingerprint(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    ks_watch *w = (ks_watch *)&failures;
    EXPECT(ks_watch_start(NULL, 1000, NULL, NULL, &w), KS_ERR_NULL_ARGUMENT);
    CHECK(w == NULL);
    EXPECT(ks_watch_start(l, 1000, NULL, NULL, &w), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_watch_start(l, 1000, NULL, NULL, NULL), KS_ERR_NULL_ARGUMENT);

    /* Buffers of size 0 and 1. */
    EXPECT(ks_fingerprint(l, buf, 0, &needed), KS_ERR_BUFFER_TOO_SMALL);
    CHECK(needed == 65);
    buf[0] = 'x';
    EXPECT(ks_fingerprint(l, buf, 1, &needed), KS_ERR_BUFFER_TOO_SMALL);
    CHECK(buf[0] == '\0');
    EXPECT(ks_fingerprint(l, NULL, 0, &needed), KS_ERR_BUFFER_TOO_SMALL);
    EXPECT(ks_fingerprint(l, NULL, 10, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_fingerprint(l, buf, sizeof buf, NULL), KS_ERR_BUFFER_TOO_SMALL);
    char big[80];
    EXPECT(ks_fingerprint(l, big, sizeof big, NULL), KS_OK);
    CHECK(strlen(big) == 64);

    /* Nothing activated: a status without values; the server is unreachable. */
    EXPECT(ks_check_offline(l, &s), KS_OK);
    CHECK(ks_status_state(s) == KS_STATE_NOT_ACTIVATED);
    CHECK(!ks_status_is_licensed(s));
    CHECK(ks_status_key_storage(s) == KS_KEY_STORAGE_NONE);
    int64_t t = 42;
    CHECK(!ks_status_activated_at(s, &t) && t == 42);
    CHECK(!ks_status_grace_deadline(s, &t) && t == 42);
    EXPECT(ks_status_instance_id(s, buf, sizeof buf, &needed), KS_ERR_NO_VALUE);
    EXPECT(ks_status_key_hint(s, buf, sizeof buf, &needed), KS_ERR_NO_VALUE);
    EXPECT(ks_status_instance_name(s, buf, sizeof buf, &needed), KS_ERR_NO_VALUE);
    EXPECT(ks_status_pending_activation_name(s, buf, sizeof buf, &needed), KS_ERR_NO_VALUE);
    CHECK(!ks_status_trial_ends_at(s, &t) && t == 42);
    ks_status_free(s);
    EXPECT(ks_deactivate(l, false), KS_ERR_NOT_ACTIVATED);
    EXPECT(ks_activate(l, "SOME-KEY-0123456789", &s), KS_ERR_NETWORK);
    CHECK(s == NULL);

    /* A licensor without a trial length starts no trial; NULLs are refused. */
    EXPECT(ks_start_trial(l, &s), KS_ERR_INVALID_INPUT);
    CHECK(s == NULL);
    EXPECT(ks_start_trial(NULL, &s), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_start_trial(l, NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_release_instance(NULL, "SOME-KEY-0123456789", "lki_1"), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_release_instance(l, NULL, "lki_1"), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_release_instance(l, "SOME-KEY-0123456789", NULL), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_release_instance(l, "SOME-KEY-0123456789", "\xff\xfe"), KS_ERR_INVALID_UTF8);
    EXPECT(ks_release_instance(l, "SOME-KEY-0123456789", " "), KS_ERR_INVALID_INPUT);
    EXPECT(ks_release_instance(l, "SOME-KEY-0123456789", "lki_1"), KS_ERR_NETWORK);

    /* The error message, read with the header's two-call pattern: ask for `needed`,
     * allocate exactly that, call again. Asking, and even a too-small buffer, leave the
     * message in place: the second call gets the whole original message. */
    size_t first = 0;
    EXPECT(ks_last_error_message(NULL, 0, &first), KS_ERR_BUFFER_TOO_SMALL);
    CHECK(first > 1);
    char tiny[8];
    size_t again = 0;
    EXPECT(ks_last_error_message(tiny, sizeof tiny, &again), KS_ERR_BUFFER_TOO_SMALL);
    CHECK(again == first && strlen(tiny) == sizeof tiny - 1);
    char *msg = malloc(first);
    CHECK(msg != NULL);
    if (msg != NULL) {
        size_t last = 0;
        EXPECT(ks_last_error_message(msg, first, &last), KS_OK);
        CHECK(last == first && strlen(msg) + 1 == first);
        CHECK(strncmp(msg, tiny, sizeof tiny - 1) == 0);
        CHECK(strstr(msg, "could not reach the license server") != NULL);
        CHECK(strstr(msg, "SOME-KEY-0123456789") == NULL);
        /* Reading it did not replace it: a third read gives it again. */
        EXPECT(ks_last_error_message(msg, first, NULL), KS_OK);
        CHECK(strstr(msg, "could not reach the license server") != NULL);
        free(msg);
    }
}

static void status_paths(void) {
    char buf[8];
    size_t needed = 0;
    int64_t t = 7;
    /* Every accessor with a NULL status. */
    CHECK(ks_status_state(NULL) == KS_STATE_NOT_ACTIVATED);
    CHECK(!ks_status_is_licensed(NULL));
    CHECK(!ks_status_network_used(NULL));
    CHECK(!ks_status_recovered(NULL));
    CHECK(ks_status_key_storage(NULL) == KS_KEY_STORAGE_NONE);
    CHECK(!ks_status_activated_at(NULL, &t));
    CHECK(!ks_status_last_validated(NULL, &t));
    CHECK(!ks_status_grace_deadline(NULL, &t));
    CHECK(!ks_status_trial_ends_at(NULL, &t));
    CHECK(!ks_status_pending_activation_at(NULL, &t));
    CHECK(t == 7);
    EXPECT(ks_status_instance_id(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_status_product_id(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_status_product_name(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_status_customer_email(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_status_key_hint(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_status_instance_name(NULL, buf, sizeof buf, &needed), KS_ERR_NULL_ARGUMENT);
    EXPECT(ks_status_pending_activation_name(NULL, buf, sizeof buf, &needed),
           KS_ERR_NULL_ARGUMENT);
}

int main(void) {
    config_paths();
    status_paths();

    ks_config *c = NULL;
    EXPECT(ks_config_new("com", "Example", "BadInput", &c), KS_OK);
    EXPECT(ks_config_set_base_url(c, "http://127.0.0.1:9"), KS_OK);
    EXPECT(ks_config_set_key_storage(c, KS_KEY_STORAGE_MEMORY), KS_OK);
    EXPECT(ks_config_set_data_dir(c, getenv("KS_DATA_DIR")), KS_OK);
    EXPECT(ks_config_add_product_id(c, "pdt_1"), KS_OK);
    ks_licensor *l = NULL;
    EXPECT(ks_licensor_new(c, &l), KS_OK);
    ks_config_free(c);
    if (l != NULL) licensor_paths(l);

    /* Freeing NULL does nothing. */
    ks_config_free(NULL);
    ks_licensor_free(NULL);
    ks_status_free(NULL);
    ks_watch_stop(NULL);
    ks_licensor_free(l);
    printf("bad input: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
