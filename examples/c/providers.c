/*
 * Lemon Squeezy and Polar keys through the C ABI, as the header describes: a Lemon Squeezy
 * key activates, checks and deactivates; a key of another store is KS_ERR_WRONG_PRODUCT
 * with its activation released; a Polar key whose benefit has no activations is licensed
 * with no seat (ks_status_holds_seat() false, no instance id) and deactivates locally; a
 * missing or unexpected account, or an unknown provider, is KS_ERR_INVALID_INPUT; a
 * Keygen key activates and deactivates with the account's public key, and with another
 * public key every answer is refused (KS_ERR_BAD_SIGNATURE), nothing stored.
 *
 * Environment: KS_BASE_URL, KS_DATA_DIR (a fresh directory; sub-directories are made per
 * case), KS_LS_KEY, KS_LS_OTHER_STORE_KEY, KS_LS_STORE, KS_LS_PRODUCT, KS_POLAR_KEY,
 * KS_POLAR_ORG, KS_POLAR_BENEFIT, KS_KEYGEN_KEY, KS_KEYGEN_ACCOUNT, KS_KEYGEN_PRODUCT,
 * KS_KEYGEN_PUBLIC_KEY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyseat.h"

static int failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "line %d: %s is false\n", __LINE__, #cond);             \
            failures++;                                                             \
        }                                                                           \
    } while (0)

/* A config of provider `provider`, account `account` and one product, in data directory
 * KS_DATA_DIR/<dir>. */
static ks_config *config(uint32_t provider, const char *account, const char *product,
                         const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", getenv("KS_DATA_DIR"), dir);
    ks_config *c = NULL;
    CHECK(ks_config_new("com", "Example", "Providers", &c) == KS_OK);
    CHECK(ks_config_set_provider(c, provider) == KS_OK);
    CHECK(ks_config_set_account(c, account) == KS_OK);
    CHECK(ks_config_set_base_url(c, getenv("KS_BASE_URL")) == KS_OK);
    CHECK(ks_config_set_data_dir(c, path) == KS_OK);
    CHECK(ks_config_set_key_storage(c, KS_KEY_STORAGE_FILE) == KS_OK);
    CHECK(ks_config_add_product_id(c, product) == KS_OK);
    return c;
}

static ks_licensor *licensor(ks_config *c) {
    ks_licensor *l = NULL;
    CHECK(ks_licensor_new(c, &l) == KS_OK);
    ks_config_free(c);
    return l;
}

static void lemon_squeezy(void) {
    ks_licensor *l = licensor(config(KS_PROVIDER_LEMON_SQUEEZY, getenv("KS_LS_STORE"),
                                     getenv("KS_LS_PRODUCT"), "ls"));
    ks_status *st = NULL;
    CHECK(ks_activate(l, getenv("KS_LS_KEY"), &st) == KS_OK);
    CHECK(ks_status_state(st) == KS_STATE_ACTIVE);
    CHECK(ks_status_holds_seat(st));
    char buf[64];
    CHECK(ks_status_provider(st, buf, sizeof buf, NULL) == KS_OK);
    CHECK(strcmp(buf, "lemonsqueezy") == 0);
    CHECK(ks_status_instance_id(st, buf, sizeof buf, NULL) == KS_OK);
    printf("lemon squeezy: %s, instance %s\n", "active", buf);
    ks_status_free(st);

    st = NULL;
    CHECK(ks_check(l, &st) == KS_OK);
    CHECK(ks_status_is_licensed(st));
    ks_status_free(st);

    /* Another store's key: refused, released, nothing stored. */
    ks_licensor *other = licensor(config(KS_PROVIDER_LEMON_SQUEEZY, getenv("KS_LS_STORE"),
                                         getenv("KS_LS_PRODUCT"), "ls-other"));
    st = NULL;
    CHECK(ks_activate(other, getenv("KS_LS_OTHER_STORE_KEY"), &st) == KS_ERR_WRONG_PRODUCT);
    CHECK(st == NULL);
    ks_licensor_free(other);

    CHECK(ks_deactivate(l, false) == KS_OK);
    st = NULL;
    CHECK(ks_check(l, &st) == KS_OK);
    CHECK(ks_status_state(st) == KS_STATE_NOT_ACTIVATED);
    ks_status_free(st);
    ks_licensor_free(l);
}

static void polar_without_activations(void) {
    ks_licensor *l = licensor(config(KS_PROVIDER_POLAR, getenv("KS_POLAR_ORG"),
                                     getenv("KS_POLAR_BENEFIT"), "polar"));
    ks_status *st = NULL;
    CHECK(ks_activate(l, getenv("KS_POLAR_KEY"), &st) == KS_OK);
    CHECK(ks_status_state(st) == KS_STATE_ACTIVE);
    CHECK(!ks_status_holds_seat(st));
    char buf[64];
    CHECK(ks_status_instance_id(st, buf, sizeof buf, NULL) == KS_ERR_NO_VALUE);
    CHECK(ks_status_provider(st, buf, sizeof buf, NULL) == KS_OK);
    CHECK(strcmp(buf, "polar") == 0);
    printf("polar: active with no seat\n");
    ks_status_free(st);
    CHECK(ks_deactivate(l, false) == KS_OK);
    ks_licensor_free(l);
}

static void keygen(void) {
    ks_config *c = config(KS_PROVIDER_KEYGEN, getenv("KS_KEYGEN_ACCOUNT"),
                          getenv("KS_KEYGEN_PRODUCT"), "keygen");
    CHECK(ks_config_set_public_key(c, getenv("KS_KEYGEN_PUBLIC_KEY")) == KS_OK);
    ks_licensor *l = licensor(c);
    ks_status *st = NULL;
    CHECK(ks_activate(l, getenv("KS_KEYGEN_KEY"), &st) == KS_OK);
    CHECK(ks_status_state(st) == KS_STATE_ACTIVE);
    CHECK(ks_status_holds_seat(st));
    char buf[64];
    CHECK(ks_status_provider(st, buf, sizeof buf, NULL) == KS_OK);
    CHECK(strcmp(buf, "keygen") == 0);
    printf("keygen: active\n");
    ks_status_free(st);
    CHECK(ks_deactivate(l, false) == KS_OK);
    ks_licensor_free(l);

    /* A public key of small order (the identity point), with which one signature would
     * verify every message, is no account's key: refused as an invalid argument. */
    ks_config *weak = config(KS_PROVIDER_KEYGEN, getenv("KS_KEYGEN_ACCOUNT"),
                             getenv("KS_KEYGEN_PRODUCT"), "keygen-weak");
    CHECK(ks_config_set_public_key(
              weak, "0100000000000000000000000000000000000000000000000000000000000000") ==
          KS_OK);
    l = NULL;
    CHECK(ks_licensor_new(weak, &l) == KS_ERR_INVALID_INPUT && l == NULL);
    ks_config_free(weak);

    /* Another account's public key (RFC 8032's first test key): the genuine answers do not
     * verify, so nothing is activated. */
    ks_config *wrong = config(KS_PROVIDER_KEYGEN, getenv("KS_KEYGEN_ACCOUNT"),
                              getenv("KS_KEYGEN_PRODUCT"), "keygen-wrong");
    CHECK(ks_config_set_public_key(
              wrong, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") ==
          KS_OK);
    l = licensor(wrong);
    st = NULL;
    CHECK(ks_activate(l, getenv("KS_KEYGEN_KEY"), &st) == KS_ERR_BAD_SIGNATURE);
    CHECK(st == NULL);
    CHECK(ks_check_offline(l, &st) == KS_OK);
    CHECK(ks_status_state(st) == KS_STATE_NOT_ACTIVATED);
    ks_status_free(st);
    ks_licensor_free(l);
}

static void bad_settings(void) {
    ks_config *c = NULL;
    CHECK(ks_config_new("com", "Example", "Providers", &c) == KS_OK);
    CHECK(ks_config_set_provider(c, 77) == KS_ERR_INVALID_INPUT);
    CHECK(ks_config_set_provider(NULL, KS_PROVIDER_POLAR) == KS_ERR_NULL_ARGUMENT);
    CHECK(ks_config_set_account(NULL, "1") == KS_ERR_NULL_ARGUMENT);
    CHECK(ks_config_add_variant_id(c, NULL) == KS_ERR_NULL_ARGUMENT);
    ks_config_free(c);

    /* Lemon Squeezy without its store id; Dodo with an account; a store id that is not a
     * number; a variant for Polar; Keygen without its public key. */
    const struct {
        uint32_t provider;
        const char *account;
        const char *variant;
    } cases[] = {
        {KS_PROVIDER_LEMON_SQUEEZY, NULL, NULL},
        {KS_PROVIDER_DODO, "12", NULL},
        {KS_PROVIDER_LEMON_SQUEEZY, "store-one", NULL},
        {KS_PROVIDER_POLAR, getenv("KS_POLAR_ORG"), "5"},
        {KS_PROVIDER_KEYGEN, getenv("KS_KEYGEN_ACCOUNT"), NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ks_config *bad = config(cases[i].provider, cases[i].account, "p", "bad");
        if (cases[i].variant != NULL) {
            CHECK(ks_config_add_variant_id(bad, cases[i].variant) == KS_OK);
        }
        ks_licensor *l = NULL;
        CHECK(ks_licensor_new(bad, &l) == KS_ERR_INVALID_INPUT);
        CHECK(l == NULL);
        ks_config_free(bad);
    }
}

int main(void) {
    lemon_squeezy();
    polar_without_activations();
    keygen();
    bad_settings();
    printf("providers: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
