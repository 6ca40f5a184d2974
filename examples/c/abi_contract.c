/*
 * The C ABI's documented contracts, against a license server: the version macros match
 * lk_version(); a config may be freed right after lk_licensor_new(); a key of another
 * product gives LK_ERR_WRONG_PRODUCT; a status stays valid after its licensor is freed;
 * status strings follow the buffer convention; a watch calls back with a status.
 *
 * Environment: LK_BASE_URL, LK_DATA_DIR, LK_KEY, LK_PRODUCT_ID, LK_OTHER_KEY (a key of
 * another product), LK_OTHER_PRODUCT_ID (that product).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "licensekit.h"

static int failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "line %d: %s is false\n", __LINE__, #cond);             \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static lk_licensor *make_licensor(void) {
    lk_config *c = NULL;
    lk_licensor *l = NULL;
    CHECK(lk_config_new("com", "Example", "AbiContract", &c) == LK_OK);
    CHECK(lk_config_set_base_url(c, getenv("LK_BASE_URL")) == LK_OK);
    CHECK(lk_config_set_data_dir(c, getenv("LK_DATA_DIR")) == LK_OK);
    CHECK(lk_config_set_key_storage(c, LK_KEY_STORAGE_FILE) == LK_OK);
    CHECK(lk_config_add_product_id(c, getenv("LK_PRODUCT_ID")) == LK_OK);
    CHECK(lk_licensor_new(c, &l) == LK_OK);
    lk_config_free(c); /* the licensor copied what it needs */
    return l;
}

static atomic_uint watched_state = 1000;

static void on_change(const lk_status *status, void *user_data) {
    atomic_uint *calls = user_data;
    atomic_fetch_add(calls, 1);
    atomic_store(&watched_state, lk_status_state(status));
}

/* A watch that stops itself from its own callback. */
struct self_stop {
    _Atomic(lk_watch *) watch;
    atomic_uint stopped;
};

static void stop_self(const lk_status *status, void *user_data) {
    (void)status;
    struct self_stop *ss = user_data;
    struct timespec tick = {0, 1000 * 1000};
    lk_watch *w = NULL;
    /* lk_watch_start() stores the handle after the thread starts: wait for it. */
    for (int i = 0; i < 5000 && (w = atomic_load(&ss->watch)) == NULL; i++) nanosleep(&tick, NULL);
    if (w != NULL && atomic_load(&ss->stopped) == 0) {
        lk_watch_stop(w); /* returns at once from the callback */
        atomic_store(&ss->stopped, 1);
    }
}

int main(void) {
    char version[64];
    snprintf(version, sizeof version, "%d.%d.%d", LK_VERSION_MAJOR, LK_VERSION_MINOR,
             LK_VERSION_PATCH);
    CHECK(strcmp(version, lk_version()) == 0);

    lk_licensor *l = make_licensor();
    lk_status *s = (lk_status *)&failures;

    /* Another product's key: refused, nothing handed out, the product named. */
    CHECK(lk_activate(l, getenv("LK_OTHER_KEY"), &s) == LK_ERR_WRONG_PRODUCT);
    CHECK(s == NULL);
    char msg[512];
    size_t needed = 0;
    lk_last_error_message(msg, sizeof msg, &needed);
    CHECK(strstr(msg, getenv("LK_OTHER_PRODUCT_ID")) != NULL);
    CHECK(strstr(msg, getenv("LK_OTHER_KEY")) == NULL);

    CHECK(lk_activate(l, getenv("LK_KEY"), &s) == LK_OK);
    CHECK(lk_status_state(s) == LK_STATE_ACTIVE);

    /* A status outlives its licensor: it is the caller's own copy. */
    lk_licensor_free(l);
    CHECK(lk_status_is_licensed(s));
    CHECK(lk_status_network_used(s));
    CHECK(lk_status_key_storage(s) == LK_KEY_STORAGE_FILE);
    int64_t activated = 0, validated = 0, deadline = 0;
    CHECK(lk_status_activated_at(s, &activated) && activated > 1500000000);
    CHECK(lk_status_last_validated(s, &validated) && validated >= activated - 5);
    CHECK(lk_status_grace_deadline(s, &deadline) && deadline > validated);
    char id[64];
    CHECK(lk_status_instance_id(s, id, sizeof id, &needed) == LK_OK);
    CHECK(strncmp(id, "lki_", 4) == 0 && needed == strlen(id) + 1);
    char small[5];
    CHECK(lk_status_instance_id(s, small, sizeof small, &needed) == LK_ERR_BUFFER_TOO_SMALL);
    CHECK(needed == strlen(id) + 1 && strlen(small) == 4 && strncmp(small, id, 4) == 0);
    char product[64];
    CHECK(lk_status_product_id(s, product, sizeof product, &needed) == LK_OK);
    CHECK(strcmp(product, getenv("LK_PRODUCT_ID")) == 0);
    char hint[32];
    CHECK(lk_status_key_hint(s, hint, sizeof hint, &needed) == LK_OK);
    CHECK(strncmp(hint, "****-", 5) == 0 && strstr(getenv("LK_KEY"), hint + 5) != NULL);
    lk_status_free(s);

    /* A watch calls back on its own thread with a status valid during the call. */
    l = make_licensor();
    atomic_uint calls = 0;
    lk_watch *w = NULL;
    CHECK(lk_watch_start(l, 50, on_change, &calls, &w) == LK_OK && w != NULL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 500 && atomic_load(&calls) == 0; i++) nanosleep(&tick, NULL);
    lk_watch_stop(w);
    CHECK(atomic_load(&calls) >= 1);
    CHECK(atomic_load(&watched_state) == LK_STATE_ACTIVE);

    /* lk_watch_stop() from the watch's own callback returns; the watch is then gone. */
    struct self_stop ss = {NULL, 0};
    lk_watch *self = NULL;
    CHECK(lk_watch_start(l, 50, stop_self, &ss, &self) == LK_OK && self != NULL);
    atomic_store(&ss.watch, self);
    for (int i = 0; i < 500 && atomic_load(&ss.stopped) == 0; i++) nanosleep(&tick, NULL);
    CHECK(atomic_load(&ss.stopped) == 1);

    CHECK(lk_deactivate(l, false) == LK_OK);
    lk_licensor_free(l);

    printf("abi contract: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
