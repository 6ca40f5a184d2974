/* The unwinder finds the frames of keyseat's functions in a program linked with the static
 * library. The header says a panic inside keyseat becomes KS_ERR_PANIC and never aborts the
 * host; catching it means unwinding through keyseat's frames, which needs their unwind
 * tables (.eh_frame). Without them the same panic aborts the program. */
#include <stdint.h>
#include <stdio.h>

#include "keyseat.h"

/* libgcc's lookup of the frame description that covers an address (GCC_3.0). */
struct dwarf_eh_bases {
    void *tbase;
    void *dbase;
    void *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct dwarf_eh_bases *bases);

#define FUNCTION(f) {#f, (void *)(uintptr_t)(f)}

int main(void) {
    const struct {
        const char *name;
        void *address;
    } api[] = {
        FUNCTION(ks_config_new),     FUNCTION(ks_licensor_new), FUNCTION(ks_activate),
        FUNCTION(ks_check),          FUNCTION(ks_check_offline), FUNCTION(ks_deactivate),
        FUNCTION(ks_last_error_message), FUNCTION(ks_watch_start),
    };
    const size_t count = sizeof api / sizeof api[0];
    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        struct dwarf_eh_bases bases = {0};
        const void *fde = _Unwind_Find_FDE((char *)api[i].address + 1, &bases);
        if (fde == NULL || bases.func != api[i].address) {
            printf("%s: no unwind table entry\n", api[i].name);
            failures++;
        }
    }
    printf("unwind tables: %zu functions: %d failures\n", count, failures);
    return failures == 0 ? 0 : 1;
}
