/*
 * The C ABI's bad-input paths: NULL handles and out-pointers, invalid UTF-8, buffers of size
 * 0 and 1, freeing NULL, and calling after a failed lk_licensor_new(). Exits 0 when every
 * call gives the documented result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licensekit.h"

static int failures = 0;

#define EXPECT(call, want)                                                          \
    do {                                                                            \
        lk_result got_ = (call);                                                    \
        if (got_ != (want)) {                                                       \
            fprintf(stderr, "line %d: %s gave %d, want %d\n", __LINE__, #call,      \
                    (int)got_, (int)(want));                                        \
            failures++;                                                             \
        }                                                                           \
    } while (0)

int main(void) {
    lk_status status;
    char buf[64];
    size_t needed = 0;

    /* NULL config and NULL out. */
    lk_licensor *l = (lk_licensor *)&status; /* garbage, must be reset to NULL */
    EXPECT(lk_licensor_new(NULL, &l), LK_ERR_NULL_ARGUMENT);
    if (l != NULL) { fprintf(stderr, "out not reset to NULL\n"); failures++; }
    lk_config config;
    memset(&config, 0, sizeof config);
    EXPECT(lk_licensor_new(&config, NULL), LK_ERR_NULL_ARGUMENT);
    /* Missing identity strings: a failed new leaves NULL ... */
    EXPECT(lk_licensor_new(&config, &l), LK_ERR_NULL_ARGUMENT);
    /* ... and calling with it afterwards is a clean error, not a crash. */
    EXPECT(lk_check(l, &status), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_activate(l, "KEY-123", &status), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_deactivate(l, true), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_fingerprint(l, buf, sizeof buf, &needed), LK_ERR_NULL_ARGUMENT);
    lk_licensor_free(NULL);
    lk_watch_stop(NULL);

    /* Invalid UTF-8 in config. */
    config.qualifier = "com";
    config.organisation = "\xff\xfe";
    config.application = "BadInput";
    EXPECT(lk_licensor_new(&config, &l), LK_ERR_INVALID_UTF8);
    /* A plain-http non-loopback URL is refused. */
    config.organisation = "Example";
    config.base_url = "http://example.com";
    EXPECT(lk_licensor_new(&config, &l), LK_ERR_INVALID_INPUT);

    config.base_url = "http://127.0.0.1:9";
    config.key_storage = LK_KEY_STORAGE_MEMORY;
    const char *dir = getenv("LK_DATA_DIR");
    config.data_dir = dir;
    EXPECT(lk_licensor_new(&config, &l), LK_OK);

    /* NULL out-pointers and keys with a live handle. */
    EXPECT(lk_check(l, NULL), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_activate(l, NULL, &status), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_activate(l, "\xc3\x28", &status), LK_ERR_INVALID_UTF8);
    EXPECT(lk_activate(l, "   ", &status), LK_ERR_INVALID_INPUT);
    EXPECT(lk_watch_start(l, 1000, NULL, NULL, NULL), LK_ERR_NULL_ARGUMENT);

    /* Buffers of size 0 and 1. */
    EXPECT(lk_fingerprint(l, buf, 0, &needed), LK_ERR_BUFFER_TOO_SMALL);
    if (needed != 65) { fprintf(stderr, "needed %zu, want 65\n", needed); failures++; }
    buf[0] = 'x';
    EXPECT(lk_fingerprint(l, buf, 1, &needed), LK_ERR_BUFFER_TOO_SMALL);
    if (buf[0] != '\0') { fprintf(stderr, "size-1 buffer not NUL-terminated\n"); failures++; }
    EXPECT(lk_fingerprint(l, NULL, 0, &needed), LK_ERR_BUFFER_TOO_SMALL);
    EXPECT(lk_fingerprint(l, NULL, 10, &needed), LK_ERR_NULL_ARGUMENT);
    EXPECT(lk_fingerprint(l, buf, sizeof buf, NULL), LK_ERR_BUFFER_TOO_SMALL);
    char big[80];
    EXPECT(lk_fingerprint(l, big, sizeof big, NULL), LK_OK);
    if (strlen(big) != 64) { fprintf(stderr, "fingerprint length %zu\n", strlen(big)); failures++; }

    /* Nothing activated: status strings are unavailable; the server is unreachable. */
    EXPECT(lk_instance_id(l, buf, sizeof buf, &needed), LK_ERR_NOT_ACTIVATED);
    EXPECT(lk_deactivate(l, false), LK_ERR_NOT_ACTIVATED);
    EXPECT(lk_activate(l, "SOME-KEY-0123456789", &status), LK_ERR_NETWORK);

    /* The error message: size 0 reports the size, and it never holds the key. */
    EXPECT(lk_last_error_message(NULL, 0, &needed), LK_ERR_BUFFER_TOO_SMALL);
    char msg[512];
    EXPECT(lk_last_error_message(msg, sizeof msg, &needed), LK_OK);
    if (strstr(msg, "SOME-KEY-0123456789") != NULL) { fprintf(stderr, "key in message\n"); failures++; }

    lk_licensor_free(l);
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
