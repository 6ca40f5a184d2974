/*
 * Activate, check, print the status, deactivate: the whole flow through keyseat's C ABI.
 *
 * Environment: KS_BASE_URL (license server, e.g. the emulator), KS_DATA_DIR, KS_KEY,
 * KS_PRODUCT_ID (the app's Dodo product id), KS_CA_FILE (optional: a CA to trust).
 * Build: cc -Wall -Wextra -Werror -I crates/keyseat-ffi/include examples/c/activate.c \
 *          -L target/release -lkeyseat -o activate
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyseat.h"

static int fail(const char *what, ks_result r) {
    char msg[512];
    size_t needed = 0;
    ks_last_error_message(msg, sizeof msg, &needed);
    fprintf(stderr, "%s failed (%u): %s\n", what, (unsigned)r, msg);
    return 1;
}

static const char *state_name(uint32_t s) {
    switch (s) {
    case KS_STATE_NOT_ACTIVATED: return "not activated";
    case KS_STATE_ACTIVE: return "active";
    case KS_STATE_GRACE: return "grace";
    case KS_STATE_GRACE_EXPIRED: return "grace expired";
    case KS_STATE_REVOKED: return "revoked";
    case KS_STATE_FINGERPRINT_MISMATCH: return "fingerprint mismatch";
    case KS_STATE_TAMPERED: return "tampered";
    case KS_STATE_CLOCK_ROLLBACK: return "clock rollback";
    case KS_STATE_WRONG_PRODUCT: return "wrong product";
    case KS_STATE_TRIAL: return "trial";
    case KS_STATE_TRIAL_EXPIRED: return "trial expired";
    default: return "unknown";
    }
}

/* Builds the app's Licensor. The config is copied, so it is freed at once. */
static ks_result make_licensor(ks_licensor **out) {
    static const char secret[] = "example vendor secret";
    const char *base_url = getenv("KS_BASE_URL");
    const char *data_dir = getenv("KS_DATA_DIR");
    const char *ca_file = getenv("KS_CA_FILE");
    const char *product = getenv("KS_PRODUCT_ID");
    ks_config *config = NULL;
    ks_result r = ks_config_new("com", "Example", "CExample", &config);
    if (r == KS_OK) r = ks_config_add_product_id(config, product ? product : "pdt_example");
    if (r == KS_OK) r = ks_config_set_vendor_secret(config, (const uint8_t *)secret, sizeof secret - 1);
    if (r == KS_OK) r = ks_config_set_key_storage(config, KS_KEY_STORAGE_FILE);
    if (r == KS_OK && base_url) r = ks_config_set_base_url(config, base_url);
    if (r == KS_OK && data_dir) r = ks_config_set_data_dir(config, data_dir);
    if (r == KS_OK && ca_file) r = ks_config_set_ca_file(config, ca_file);
    if (r == KS_OK) r = ks_licensor_new(config, out);
    ks_config_free(config);
    return r;
}

int main(void) {
    const char *key = getenv("KS_KEY");
    if (key == NULL) {
        fprintf(stderr, "set KS_KEY\n");
        return 2;
    }
    printf("keyseat %s (header %d.%d.%d)\n", ks_version(), KS_VERSION_MAJOR,
           KS_VERSION_MINOR, KS_VERSION_PATCH);
    ks_licensor *licensor = NULL;
    ks_result r = make_licensor(&licensor);
    if (r != KS_OK) return fail("creating the licensor", r);

    ks_status *status = NULL;
    r = ks_activate(licensor, key, &status);
    if (r != KS_OK) { ks_licensor_free(licensor); return fail("ks_activate", r); }
    ks_status_free(status);

    r = ks_check(licensor, &status);
    if (r != KS_OK) { ks_licensor_free(licensor); return fail("ks_check", r); }

    char instance[128], email[256], product[128], hint[64], fingerprint[80];
    size_t needed = 0;
    if (ks_status_instance_id(status, instance, sizeof instance, &needed) != KS_OK ||
        ks_status_customer_email(status, email, sizeof email, &needed) != KS_OK ||
        ks_status_product_id(status, product, sizeof product, &needed) != KS_OK ||
        ks_status_key_hint(status, hint, sizeof hint, &needed) != KS_OK ||
        ks_fingerprint(licensor, fingerprint, sizeof fingerprint, &needed) != KS_OK) {
        ks_status_free(status);
        ks_licensor_free(licensor);
        return fail("reading status strings", KS_ERR_BUFFER_TOO_SMALL);
    }
    int64_t deadline = 0;
    bool has_deadline = ks_status_grace_deadline(status, &deadline);
    printf("state: %s\nlicensed: %s\nnetwork used: %s\ninstance: %s\ncustomer: %s\n"
           "product: %s\nkey: %s\nfingerprint: %.12s\ngrace deadline: %" PRId64 "\n",
           state_name(ks_status_state(status)), ks_status_is_licensed(status) ? "yes" : "no",
           ks_status_network_used(status) ? "yes" : "no", instance, email, product, hint,
           fingerprint, has_deadline ? deadline : (int64_t)-1);
    ks_status_free(status);

    r = ks_deactivate(licensor, false);
    if (r != KS_OK) { ks_licensor_free(licensor); return fail("ks_deactivate", r); }
    r = ks_check(licensor, &status);
    uint32_t after = ks_status_state(status);
    printf("after deactivate: %s\n", state_name(after));
    ks_status_free(status);
    ks_licensor_free(licensor);
    return (r == KS_OK && after == KS_STATE_NOT_ACTIVATED) ? 0 : 1;
}
