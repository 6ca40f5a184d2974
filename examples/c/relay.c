/*
 * Through the seller's keyseat-relay (KS_PROVIDER_RELAY): a license's whole life with what
 * Dodo's API key knows, the key's seats, and activation for a machine that never goes
 * online (request, machine file, release proof), each a subcommand:
 *
 *   relay life                          activate, status, seats, deactivate
 *   relay offline-request FILE          write the request to FILE (the key from KS_KEY)
 *   relay offline-activate FILE         activate from the machine file FILE, no network
 *   relay offline-deactivate FILE       remove it, writing the release proof to FILE
 *
 * Environment: KS_RELAY_URL, KS_RELAY_PUBLIC_KEY (64 hex), KS_DATA_DIR, KS_KEY,
 * KS_PRODUCT_ID. Build: cc -Wall -Wextra -Werror -I crates/keyseat-ffi/include \
 *   examples/c/relay.c -L target/release -lkeyseat -o relay
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

static ks_result make_licensor(ks_licensor **out) {
    static const char secret[] = "example relay vendor secret";
    const char *url = getenv("KS_RELAY_URL");
    const char *public_key = getenv("KS_RELAY_PUBLIC_KEY");
    const char *data_dir = getenv("KS_DATA_DIR");
    const char *product = getenv("KS_PRODUCT_ID");
    ks_config *config = NULL;
    ks_result r = ks_config_new("com", "Example", "CRelayExample", &config);
    if (r == KS_OK) r = ks_config_set_provider(config, KS_PROVIDER_RELAY);
    if (r == KS_OK) r = ks_config_set_base_url(config, url ? url : "https://relay.example.com");
    if (r == KS_OK) r = ks_config_add_public_key(config, public_key ? public_key : "");
    if (r == KS_OK) r = ks_config_add_product_id(config, product ? product : "pdt_example");
    if (r == KS_OK) r = ks_config_set_vendor_secret(config, (const uint8_t *)secret, sizeof secret - 1);
    if (r == KS_OK) r = ks_config_set_key_storage(config, KS_KEY_STORAGE_FILE);
    if (r == KS_OK && data_dir) r = ks_config_set_data_dir(config, data_dir);
    if (r == KS_OK) r = ks_licensor_new(config, out);
    ks_config_free(config);
    return r;
}

static void print_state(const ks_status *s) {
    uint32_t state = ks_status_state(s);
    printf("state: %s\n", state == KS_STATE_ACTIVE ? "active"
                          : state == KS_STATE_NOT_ACTIVATED ? "not activated" : "other");
}

static void print_facts(const ks_status *s) {
    uint32_t limit = 0, used = 0;
    if (ks_status_activation_limit(s, &limit)) printf("activation limit: %u\n", (unsigned)limit);
    if (ks_status_activations_used(s, &used)) printf("activations used: %u\n", (unsigned)used);
    int64_t expires = 0;
    if (ks_status_expires_at(s, &expires)) printf("key expires: %" PRId64 "\n", expires);
    else printf("key expires: never\n");
    size_t count = 0;
    if (ks_status_entitlement_count(s, &count)) {
        printf("entitlements: %zu\n", count);
        for (size_t i = 0; i < count; i++) {
            char id[128], status[64];
            size_t needed = 0;
            if (ks_status_entitlement_id(s, i, id, sizeof id, &needed) != KS_OK) continue;
            if (ks_status_entitlement_status(s, i, status, sizeof status, &needed) != KS_OK)
                strcpy(status, "-");
            printf("  entitlement %s (%s)\n", id, status);
        }
    } else {
        printf("entitlements: not said\n");
    }
}

static int life(ks_licensor *licensor, const char *key) {
    ks_status *status = NULL;
    ks_result r = ks_activate(licensor, key, &status);
    if (r != KS_OK) return fail("ks_activate", r);
    print_state(status);
    print_facts(status);
    ks_status_free(status);

    ks_seats *seats = NULL;
    r = ks_seats_list(licensor, NULL, &seats);
    if (r != KS_OK) return fail("ks_seats_list", r);
    size_t n = ks_seats_count(seats);
    printf("seats: %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        char id[128];
        size_t needed = 0;
        if (ks_seats_id(seats, i, id, sizeof id, &needed) != KS_OK) continue;
        printf("  seat %s%s\n", id, ks_seats_this_machine(seats, i) ? " (this machine)" : "");
    }
    ks_seats_free(seats);

    r = ks_deactivate(licensor, false);
    if (r != KS_OK) return fail("ks_deactivate", r);
    r = ks_check_offline(licensor, &status);
    if (r != KS_OK) return fail("ks_check_offline", r);
    printf("after deactivate: %s\n",
           ks_status_state(status) == KS_STATE_NOT_ACTIVATED ? "not activated" : "still active");
    ks_status_free(status);
    return 0;
}

/* The text `call` writes, in a buffer of the size it asks for (the caller frees it). */
static char *grown(ks_result (*call)(const ks_licensor *, const char *, char *, size_t, size_t *),
                   const ks_licensor *licensor, const char *key, ks_result *r) {
    size_t needed = 0;
    *r = call(licensor, key, NULL, 0, &needed);
    if (*r != KS_ERR_BUFFER_TOO_SMALL) return NULL;
    char *buf = malloc(needed);
    if (buf == NULL) return NULL;
    *r = call(licensor, key, buf, needed, &needed);
    if (*r != KS_OK) { free(buf); return NULL; }
    return buf;
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) { perror(path); return 1; }
    fputs(text, f);
    return fclose(f) == 0 ? 0 : 1;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) { perror(path); return NULL; }
    char *text = calloc(1, 65536);
    if (text != NULL && fread(text, 1, 65535, f) == 0 && ferror(f)) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

static ks_result deactivate_into(const ks_licensor *licensor, const char *unused, char *buf,
                                 size_t len, size_t *needed) {
    (void)unused;
    return ks_offline_deactivate(licensor, buf, len, needed);
}

int main(int argc, char **argv) {
    const char *key = getenv("KS_KEY");
    if (argc < 2 || key == NULL) {
        fprintf(stderr, "usage: relay life | offline-request FILE | offline-activate FILE | "
                        "offline-deactivate FILE (with KS_KEY set)\n");
        return 2;
    }
    ks_licensor *licensor = NULL;
    ks_result r = make_licensor(&licensor);
    if (r != KS_OK) return fail("creating the licensor", r);
    int code = 0;
    if (strcmp(argv[1], "life") == 0) {
        code = life(licensor, key);
    } else if (argc == 3 && strcmp(argv[1], "offline-request") == 0) {
        char *request = grown(ks_offline_request, licensor, key, &r);
        code = request ? write_file(argv[2], request) : fail("ks_offline_request", r);
        free(request);
    } else if (argc == 3 && strcmp(argv[1], "offline-activate") == 0) {
        char *file = read_file(argv[2]);
        ks_status *status = NULL;
        r = file ? ks_offline_activate(licensor, key, file, &status) : KS_ERR_IO;
        free(file);
        if (r != KS_OK) {
            code = fail("ks_offline_activate", r);
        } else {
            print_state(status);
            printf("activated offline: %s\n", ks_status_activated_offline(status) ? "yes" : "no");
            print_facts(status);
            ks_status_free(status);
        }
    } else if (argc == 3 && strcmp(argv[1], "offline-deactivate") == 0) {
        char *proof = grown(deactivate_into, licensor, NULL, &r);
        code = proof ? write_file(argv[2], proof) : fail("ks_offline_deactivate", r);
        free(proof);
        if (code == 0) {
            ks_status *status = NULL;
            if (ks_check_offline(licensor, &status) == KS_OK) {
                printf("after offline deactivate: %s\n",
                       ks_status_state(status) == KS_STATE_NOT_ACTIVATED ? "not activated"
                                                                          : "still active");
                ks_status_free(status);
            }
        }
    } else {
        fprintf(stderr, "unknown command %s\n", argv[1]);
        code = 2;
    }
    ks_licensor_free(licensor);
    return code;
}
