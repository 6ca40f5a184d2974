/*
 * The C ABI's documented contracts, against a license server: the version macros match
 * ks_version(); a config may be freed right after ks_licensor_new(); a key of another
 * product gives KS_ERR_WRONG_PRODUCT; a status stays valid after its licensor is freed;
 * status strings follow the buffer convention; a watch calls back with a status; a local
 * trial starts once and its end never moves; ks_release_instance() frees another
 * machine's seat, named by ks_status_instance_name(); credentials edited by hand are never
 * a license.
 *
 * Environment: KS_BASE_URL, KS_DATA_DIR, KS_KEY, KS_PRODUCT_ID, KS_OTHER_KEY (a key of
 * another product), KS_OTHER_PRODUCT_ID (that product).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyseat.h"

static int failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "line %d: %s is false\n", __LINE__, #cond);             \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static ks_licensor *make_licensor(void) {
    ks_config *c = NULL;
    ks_licensor *l = NULL;
    CHECK(ks_config_new("com", "Example", "AbiContract", &c) == KS_OK);
    CHECK(ks_config_set_base_url(c, getenv("KS_BASE_URL")) == KS_OK);
    CHECK(ks_config_set_data_dir(c, getenv("KS_DATA_DIR")) == KS_OK);
    CHECK(ks_config_set_key_storage(c, KS_KEY_STORAGE_FILE) == KS_OK);
    CHECK(ks_config_add_product_id(c, getenv("KS_PRODUCT_ID")) == KS_OK);
    CHECK(ks_licensor_new(c, &l) == KS_OK);
    ks_config_free(c); /* the licensor copied what it needs */
    return l;
}

static atomic_uint watched_state = 1000;

static void on_change(const ks_status *status, void *user_data) {
    atomic_uint *calls = user_data;
    atomic_fetch_add(calls, 1);
    atomic_store(&watched_state, ks_status_state(status));
}

/* A watch that stops itself from its own callback. */
struct self_stop {
    _Atomic(ks_watch *) watch;
    atomic_uint stopped;
};

static void stop_self(const ks_status *status, void *user_data) {
    (void)status;
    struct self_stop *ss = user_data;
    struct timespec tick = {0, 1000 * 1000};
    ks_watch *w = NULL;
    /* ks_watch_start() stores the handle after the thread starts: wait for it. */
    for (int i = 0; i < 5000 && (w = atomic_load(&ss->watch)) == NULL; i++) nanosleep(&tick, NULL);
    if (w != NULL && atomic_load(&ss->stopped) == 0) {
        ks_watch_stop(w); /* returns at once from the callback */
        atomic_store(&ss->stopped, 1);
    }
}

/* Replaces the first `from` in the file at `path` by `to`; returns whether it was there. */
static int rewrite(const char *path, const char *from, const char *to) {
    char text[8192];
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, from);
    if (at == NULL) return 0;
    f = fopen(path, "wb");
    if (f == NULL) return 0;
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
    return 1;
}

int main(void) {
    char version[64];
    snprintf(version, sizeof version, "%d.%d.%d", KS_VERSION_MAJOR, KS_VERSION_MINOR,
             KS_VERSION_PATCH);
    CHECK(strcmp(version, ks_version()) == 0);

    ks_licensor *l = make_licensor();
    ks_status *s = (ks_status *)&failures;

    /* Another product's key: refused, nothing handed out, the product named. */
    CHECK(ks_activate(l, getenv("KS_OTHER_KEY"), &s) == KS_ERR_WRONG_PRODUCT);
    CHECK(s == NULL);
    char msg[512];
    size_t needed = 0;
    ks_last_error_message(msg, sizeof msg, &needed);
    CHECK(strstr(msg, getenv("KS_OTHER_PRODUCT_ID")) != NULL);
    CHECK(strstr(msg, getenv("KS_OTHER_KEY")) == NULL);

    CHECK(ks_activate(l, getenv("KS_KEY"), &s) == KS_OK);
    CHECK(ks_status_state(s) == KS_STATE_ACTIVE);

    /* A status outlives its licensor: it is the caller's own copy. */
    ks_licensor_free(l);
    CHECK(ks_status_is_licensed(s));
    CHECK(ks_status_network_used(s));
    CHECK(ks_status_key_storage(s) == KS_KEY_STORAGE_FILE);
    int64_t activated = 0, validated = 0, deadline = 0;
    CHECK(ks_status_activated_at(s, &activated) && activated > 1500000000);
    CHECK(ks_status_last_validated(s, &validated) && validated >= activated - 5);
    CHECK(ks_status_grace_deadline(s, &deadline) && deadline > validated);
    char id[64];
    CHECK(ks_status_instance_id(s, id, sizeof id, &needed) == KS_OK);
    CHECK(strncmp(id, "lki_", 4) == 0 && needed == strlen(id) + 1);
    char small[5];
    CHECK(ks_status_instance_id(s, small, sizeof small, &needed) == KS_ERR_BUFFER_TOO_SMALL);
    CHECK(needed == strlen(id) + 1 && strlen(small) == 4 && strncmp(small, id, 4) == 0);
    char product[64];
    CHECK(ks_status_product_id(s, product, sizeof product, &needed) == KS_OK);
    CHECK(strcmp(product, getenv("KS_PRODUCT_ID")) == 0);
    char hint[32];
    CHECK(ks_status_key_hint(s, hint, sizeof hint, &needed) == KS_OK);
    CHECK(strncmp(hint, "****-", 5) == 0 && strstr(getenv("KS_KEY"), hint + 5) != NULL);
    ks_status_free(s);

    /* A watch calls back on its own thread with a status valid during the call. */
    l = make_licensor();
    atomic_uint calls = 0;
    ks_watch *w = NULL;
    CHECK(ks_watch_start(l, 50, on_change, &calls, &w) == KS_OK && w != NULL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 500 && atomic_load(&calls) == 0; i++) nanosleep(&tick, NULL);
    ks_watch_stop(w);
    CHECK(atomic_load(&calls) >= 1);
    CHECK(atomic_load(&watched_state) == KS_STATE_ACTIVE);

    /* ks_watch_stop() from the watch's own callback returns; the watch is then gone. */
    struct self_stop ss = {NULL, 0};
    ks_watch *self = NULL;
    CHECK(ks_watch_start(l, 50, stop_self, &ss, &self) == KS_OK && self != NULL);
    atomic_store(&ss.watch, self);
    for (int i = 0; i < 500 && atomic_load(&ss.stopped) == 0; i++) nanosleep(&tick, NULL);
    CHECK(atomic_load(&ss.stopped) == 1);

    /* The instance and its name, noted on one machine, free its seat from another. */
    ks_status *a = NULL;
    CHECK(ks_check(l, &a) == KS_OK);
    char name[128];
    CHECK(ks_status_instance_name(a, name, sizeof name, &needed) == KS_OK);
    CHECK(strstr(name, " \xc2\xb7 ") != NULL); /* "<host> (<OS>) · <tag>" */
    CHECK(ks_status_instance_id(a, id, sizeof id, &needed) == KS_OK);
    ks_status_free(a);
    char other_dir[1024];
    snprintf(other_dir, sizeof other_dir, "%s/other-machine", getenv("KS_DATA_DIR"));
    ks_config *oc = NULL;
    ks_licensor *other = NULL;
    CHECK(ks_config_new("com", "Example", "AbiContract", &oc) == KS_OK);
    CHECK(ks_config_set_base_url(oc, getenv("KS_BASE_URL")) == KS_OK);
    CHECK(ks_config_set_data_dir(oc, other_dir) == KS_OK);
    CHECK(ks_config_set_key_storage(oc, KS_KEY_STORAGE_MEMORY) == KS_OK);
    CHECK(ks_config_add_product_id(oc, getenv("KS_PRODUCT_ID")) == KS_OK);
    CHECK(ks_licensor_new(oc, &other) == KS_OK);
    ks_config_free(oc);
    CHECK(ks_release_instance(other, getenv("KS_KEY"), id) == KS_OK);
    CHECK(ks_release_instance(other, getenv("KS_KEY"), id) == KS_OK); /* already released */
    ks_licensor_free(other);
    CHECK(ks_revalidate(l, &a) == KS_OK);
    CHECK(ks_status_state(a) == KS_STATE_REVOKED); /* the seat is gone */
    ks_status_free(a);
    CHECK(ks_deactivate(l, true) == KS_OK);
    ks_licensor_free(l);

    /* Credentials edited by hand (a seat dropped), with no cache beside them: tampered,
     * never a license, and nothing asked of the server. Without a vendor secret the
     * status says the local data is unprotected. */
    l = make_licensor();
    CHECK(ks_activate(l, getenv("KS_KEY"), &a) == KS_OK);
    CHECK(!ks_status_local_state_protected(a));
    ks_status_free(a);
    char path[4096];
    snprintf(path, sizeof path, "%s/credentials.json", getenv("KS_DATA_DIR"));
    CHECK(rewrite(path, "\"holds_seat\":true", "\"holds_seat\":false"));
    snprintf(path, sizeof path, "%s/license.json", getenv("KS_DATA_DIR"));
    CHECK(remove(path) == 0);
    ks_licensor_free(l);
    l = make_licensor();
    CHECK(ks_check(l, &a) == KS_OK);
    CHECK(ks_status_state(a) == KS_STATE_TAMPERED && !ks_status_is_licensed(a));
    CHECK(!ks_status_network_used(a));
    ks_status_free(a);
    CHECK(ks_deactivate(l, false) == KS_ERR_NOT_ACTIVATED); /* nothing it can release */
    CHECK(ks_deactivate(l, true) == KS_OK);                 /* removed, as asked */
    ks_licensor_free(l);

    /* A local trial: no trial until started; started once; the end never moves. It needs
     * a vendor secret of at least 16 bytes: without one, anyone could write its record. */
    ks_config *tc = NULL;
    ks_licensor *t = NULL;
    CHECK(ks_config_new("com", "Example", "AbiContractTrial", &tc) == KS_OK);
    CHECK(ks_config_set_base_url(tc, getenv("KS_BASE_URL")) == KS_OK);
    CHECK(ks_config_set_data_dir(tc, getenv("KS_DATA_DIR")) == KS_OK);
    CHECK(ks_config_set_key_storage(tc, KS_KEY_STORAGE_MEMORY) == KS_OK);
    CHECK(ks_config_add_product_id(tc, getenv("KS_PRODUCT_ID")) == KS_OK);
    CHECK(ks_config_set_trial_days(tc, 30) == KS_OK);
    CHECK(ks_licensor_new(tc, &t) == KS_ERR_INVALID_INPUT && t == NULL);
    static const char trial_secret[] = "the trial app's vendor secret";
    CHECK(ks_config_set_vendor_secret(tc, (const uint8_t *)trial_secret,
                                      sizeof trial_secret - 1) == KS_OK);
    CHECK(ks_licensor_new(tc, &t) == KS_OK);
    ks_config_free(tc);
    ks_status *ts = NULL;
    int64_t ends = 0, again = 0;
    CHECK(ks_check_offline(t, &ts) == KS_OK);
    CHECK(ks_status_state(ts) == KS_STATE_NOT_ACTIVATED && !ks_status_trial_ends_at(ts, &ends));
    ks_status_free(ts);
    time_t now = time(NULL);
    CHECK(ks_start_trial(t, &ts) == KS_OK);
    CHECK(ks_status_state(ts) == KS_STATE_TRIAL && ks_status_is_licensed(ts));
    CHECK(ks_status_trial_ends_at(ts, &ends));
    CHECK(ends >= (int64_t)now + 30 * 86400 - 5 && ends <= (int64_t)now + 30 * 86400 + 5);
    ks_status_free(ts);
    CHECK(ks_start_trial(t, &ts) == KS_OK);
    CHECK(ks_status_trial_ends_at(ts, &again) && again == ends);
    ks_status_free(ts);
    ks_licensor_free(t);

    printf("abi contract: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
