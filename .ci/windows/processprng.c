/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Rust's standard library imports
 * ProcessPrng from there for its random numbers (HashMap seeds, getrandom). This forwards to
 * BCryptGenRandom, which Wine has. Used only to run the Windows tests under Wine in CI;
 * never shipped.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
