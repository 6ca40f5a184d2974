/*
 * Activate, check, print the status, deactivate: the whole flow through licensekit's C ABI.
 *
 * Environment: LK_BASE_URL (license server, e.g. the emulator), LK_DATA_DIR, LK_KEY,
 * LK_PRODUCT_ID (the app's Dodo product id), LK_CA_FILE (optional: a CA to trust).
 * Build: cc -Wall -Wextra -Werror -I crates/licensekit-ffi/include examples/c/activate.c \
 *          -L target/release -llicensekit -o activate
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licensekit.h"

static int fail(const char *what, lk_result r) {
    char msg[512];
    size_t needed = 0;
    lk_last_error_message(msg, sizeof msg, &needed);
    fprintf(stderr, "%s failed (%u): %s\n", what, (unsigned)r, msg);
    return 1;
}

static const char *state_name(uint32_t s) {
    switch (s) {
    case LK_STATE_NOT_ACTIVATED: return "not activated";
    case LK_STATE_ACTIVE: return "active";
    case LK_STATE_GRACE: return "grace";
    case LK_STATE_GRACE_EXPIRED: return "grace expired";
    case LK_STATE_REVOKED: return "revoked";
    case LK_STATE_FINGERPRINT_MISMATCH: return "fingerprint mismatch";
    case LK_STATE_TAMPERED: return "tampered";
    case LK_STATE_CLOCK_ROLLBACK: return "clock rollback";
    case LK_STATE_WRONG_PRODUCT: return "wrong product";
    default: return "unknown";
    }
}

/* Builds the app's Licensor. The config is copied, so it is freed at once. */
static lk_result make_licensor(lk_licensor **out) {
    static const char secret[] = "example vendor secret";
    const char *base_url = getenv("LK_BASE_URL");
    const char *data_dir = getenv("LK_DATA_DIR");
    const char *ca_file = getenv("LK_CA_FILE");
    const char *product = getenv("LK_PRODUCT_ID");
    lk_config *config = NULL;
    lk_result r = lk_config_new("com", "Example", "CExample", &config);
    if (r == LK_OK) r = lk_config_add_product_id(config, product ? product : "pdt_example");
    if (r == LK_OK) r = lk_config_set_vendor_secret(config, (const uint8_t *)secret, sizeof secret - 1);
    if (r == LK_OK) r = lk_config_set_key_storage(config, LK_KEY_STORAGE_FILE);
    if (r == LK_OK && base_url) r = lk_config_set_base_url(config, base_url);
    if (r == LK_OK && data_dir) r = lk_config_set_data_dir(config, data_dir);
    if (r == LK_OK && ca_file) r = lk_config_set_ca_file(config, ca_file);
    if (r == LK_OK) r = lk_licensor_new(config, out);
    lk_config_free(config);
    return r;
}

int main(void) {
    const char *key = getenv("LK_KEY");
    if (key == NULL) {
        fprintf(stderr, "set LK_KEY\n");
        return 2;
    }
    printf("licensekit %s (header %d.%d.%d)\n", lk_version(), LK_VERSION_MAJOR,
           LK_VERSION_MINOR, LK_VERSION_PATCH);
    lk_licensor *licensor = NULL;
    lk_result r = make_licensor(&licensor);
    if (r != LK_OK) return fail("creating the licensor", r);

    lk_status *status = NULL;
    r = lk_activate(licensor, key, &status);
    if (r != LK_OK) { lk_licensor_free(licensor); return fail("lk_activate", r); }
    lk_status_free(status);

    r = lk_check(licensor, &status);
    if (r != LK_OK) { lk_licensor_free(licensor); return fail("lk_check", r); }

    char instance[128], email[256], product[128], hint[64], fingerprint[80];
    size_t needed = 0;
    if (lk_status_instance_id(status, instance, sizeof instance, &needed) != LK_OK ||
        lk_status_customer_email(status, email, sizeof email, &needed) != LK_OK ||
        lk_status_product_id(status, product, sizeof product, &needed) != LK_OK ||
        lk_status_key_hint(status, hint, sizeof hint, &needed) != LK_OK ||
        lk_fingerprint(licensor, fingerprint, sizeof fingerprint, &needed) != LK_OK) {
        lk_status_free(status);
        lk_licensor_free(licensor);
        return fail("reading status strings", LK_ERR_BUFFER_TOO_SMALL);
    }
    int64_t deadline = 0;
    bool has_deadline = lk_status_grace_deadline(status, &deadline);
    printf("state: %s\nlicensed: %s\nnetwork used: %s\ninstance: %s\ncustomer: %s\n"
           "product: %s\nkey: %s\nfingerprint: %.12s\ngrace deadline: %" PRId64 "\n",
           state_name(lk_status_state(status)), lk_status_is_licensed(status) ? "yes" : "no",
           lk_status_network_used(status) ? "yes" : "no", instance, email, product, hint,
           fingerprint, has_deadline ? deadline : (int64_t)-1);
    lk_status_free(status);

    r = lk_deactivate(licensor, false);
    if (r != LK_OK) { lk_licensor_free(licensor); return fail("lk_deactivate", r); }
    r = lk_check(licensor, &status);
    uint32_t after = lk_status_state(status);
    printf("after deactivate: %s\n", state_name(after));
    lk_status_free(status);
    lk_licensor_free(licensor);
    return (r == LK_OK && after == LK_STATE_NOT_ACTIVATED) ? 0 : 1;
}
