/*
 * Activate, check, print the status, deactivate: the whole flow through licensekit's C ABI.
 *
 * Environment: LK_BASE_URL (license server, e.g. the emulator), LK_DATA_DIR, LK_KEY.
 * Build: cc -Wall -Wextra -Werror -I crates/licensekit-ffi/include examples/c/activate.c \
 *          -L target/release -llicensekit -o activate
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licensekit.h"

static int fail(const char *what, lk_result r) {
    char msg[512];
    size_t needed = 0;
    lk_last_error_message(msg, sizeof msg, &needed);
    fprintf(stderr, "%s failed (%d): %s\n", what, (int)r, msg);
    return 1;
}

static const char *state_name(lk_state s) {
    switch (s) {
    case LK_STATE_NOT_ACTIVATED: return "not activated";
    case LK_STATE_ACTIVE: return "active";
    case LK_STATE_GRACE: return "grace";
    case LK_STATE_GRACE_EXPIRED: return "grace expired";
    case LK_STATE_REVOKED: return "revoked";
    case LK_STATE_FINGERPRINT_MISMATCH: return "fingerprint mismatch";
    case LK_STATE_TAMPERED: return "tampered";
    case LK_STATE_CLOCK_ROLLBACK: return "clock rollback";
    }
    return "unknown";
}

int main(void) {
    const char *key = getenv("LK_KEY");
    if (key == NULL) {
        fprintf(stderr, "set LK_KEY\n");
        return 2;
    }
    static const char secret[] = "example vendor secret";
    lk_config config;
    memset(&config, 0, sizeof config);
    config.qualifier = "com";
    config.organisation = "Example";
    config.application = "CExample";
    config.base_url = getenv("LK_BASE_URL");
    config.data_dir = getenv("LK_DATA_DIR");
    config.key_storage = LK_KEY_STORAGE_FILE;
    config.vendor_secret = (const uint8_t *)secret;
    config.vendor_secret_len = sizeof secret - 1;

    printf("licensekit %s\n", lk_version());
    lk_licensor *licensor = NULL;
    lk_result r = lk_licensor_new(&config, &licensor);
    if (r != LK_OK) return fail("lk_licensor_new", r);

    lk_status status;
    r = lk_activate(licensor, key, &status);
    if (r != LK_OK) { lk_licensor_free(licensor); return fail("lk_activate", r); }

    r = lk_check(licensor, &status);
    if (r != LK_OK) { lk_licensor_free(licensor); return fail("lk_check", r); }

    char instance[128], email[256], fingerprint[80];
    size_t needed = 0;
    if (lk_instance_id(licensor, instance, sizeof instance, &needed) != LK_OK ||
        lk_customer_email(licensor, email, sizeof email, &needed) != LK_OK ||
        lk_fingerprint(licensor, fingerprint, sizeof fingerprint, &needed) != LK_OK) {
        lk_licensor_free(licensor);
        return fail("reading status strings", LK_ERR_BUFFER_TOO_SMALL);
    }
    printf("state: %s\nlicensed: %s\nnetwork used: %s\ninstance: %s\ncustomer: %s\n"
           "fingerprint: %.12s\ngrace deadline: %lld\n",
           state_name(status.state), status.licensed ? "yes" : "no",
           status.network_used ? "yes" : "no", instance, email, fingerprint,
           (long long)status.grace_deadline);

    r = lk_deactivate(licensor, false);
    if (r != LK_OK) { lk_licensor_free(licensor); return fail("lk_deactivate", r); }
    r = lk_check(licensor, &status);
    printf("after deactivate: %s\n", state_name(status.state));
    lk_licensor_free(licensor);
    return (r == LK_OK && status.state == LK_STATE_NOT_ACTIVATED) ? 0 : 1;
}
