"""Activate, check, print the status and deactivate through keyseat's C ABI with ctypes.

(For a Python app, the `keyseat` package is the idiomatic way; this shows the C ABI from a
language with an FFI and no build step.)

Environment: KS_LIB (path to libkeyseat.so / .dylib / keyseat.dll), KS_BASE_URL,
KS_DATA_DIR, KS_KEY, KS_PRODUCT_ID.
"""
import ctypes
import os
import sys

KS_OK = 0
KS_KEY_STORAGE_FILE = 1
STATES = {0: "not activated", 1: "active", 2: "grace", 3: "grace expired", 4: "revoked",
          5: "fingerprint mismatch", 6: "tampered", 7: "clock rollback", 8: "wrong product"}

HANDLE = ctypes.c_void_p
OUT = ctypes.POINTER(ctypes.c_void_p)
RESULT = ctypes.c_uint32
BUF = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]


def load(path):
    lib = ctypes.CDLL(path)
    signatures = {
        "ks_version": (ctypes.c_char_p, []),
        "ks_config_new": (RESULT, [ctypes.c_char_p] * 3 + [OUT]),
        "ks_config_free": (None, [HANDLE]),
        "ks_config_set_base_url": (RESULT, [HANDLE, ctypes.c_char_p]),
        "ks_config_set_data_dir": (RESULT, [HANDLE, ctypes.c_char_p]),
        "ks_config_set_key_storage": (RESULT, [HANDLE, ctypes.c_uint32]),
        "ks_config_set_vendor_secret": (RESULT, [HANDLE, ctypes.c_char_p, ctypes.c_size_t]),
        "ks_config_add_product_id": (RESULT, [HANDLE, ctypes.c_char_p]),
        "ks_licensor_new": (RESULT, [HANDLE, OUT]),
        "ks_licensor_free": (None, [HANDLE]),
        "ks_activate": (RESULT, [HANDLE, ctypes.c_char_p, OUT]),
        "ks_check": (RESULT, [HANDLE, OUT]),
        "ks_deactivate": (RESULT, [HANDLE, ctypes.c_bool]),
        "ks_status_free": (None, [HANDLE]),
        "ks_status_state": (ctypes.c_uint32, [HANDLE]),
        "ks_status_is_licensed": (ctypes.c_bool, [HANDLE]),
        "ks_status_network_used": (ctypes.c_bool, [HANDLE]),
        "ks_status_customer_email": (RESULT, [HANDLE] + BUF),
        "ks_last_error_message": (RESULT, BUF),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def main():
    lib = load(os.environ["KS_LIB"])

    def check(what, result):
        if result != KS_OK:
            buf = ctypes.create_string_buffer(512)
            lib.ks_last_error_message(buf, len(buf), None)
            sys.exit(f"{what} failed ({result}): {buf.value.decode()}")

    def status_of(what, call):
        status = ctypes.c_void_p()
        check(what, call(ctypes.byref(status)))
        return status

    print("keyseat", lib.ks_version().decode())
    config = ctypes.c_void_p()
    check("ks_config_new", lib.ks_config_new(b"com", b"Example", b"PyExample",
                                             ctypes.byref(config)))
    secret = b"example vendor secret"
    try:
        check("base url", lib.ks_config_set_base_url(config, os.environ["KS_BASE_URL"].encode()))
        check("data dir", lib.ks_config_set_data_dir(config, os.environ["KS_DATA_DIR"].encode()))
        check("key storage", lib.ks_config_set_key_storage(config, KS_KEY_STORAGE_FILE))
        check("secret", lib.ks_config_set_vendor_secret(config, secret, len(secret)))
        check("product", lib.ks_config_add_product_id(config,
                                                      os.environ["KS_PRODUCT_ID"].encode()))
        handle = ctypes.c_void_p()
        check("ks_licensor_new", lib.ks_licensor_new(config, ctypes.byref(handle)))
    finally:
        lib.ks_config_free(config)
    try:
        key = os.environ["KS_KEY"].encode()
        lib.ks_status_free(status_of("ks_activate", lambda out: lib.ks_activate(handle, key, out)))
        status = status_of("ks_check", lambda out: lib.ks_check(handle, out))
        email = ctypes.create_string_buffer(256)
        check("email", lib.ks_status_customer_email(status, email, len(email), None))
        print(f"state: {STATES[lib.ks_status_state(status)]}")
        print(f"licensed: {'yes' if lib.ks_status_is_licensed(status) else 'no'}")
        print(f"network used: {'yes' if lib.ks_status_network_used(status) else 'no'}")
        print(f"customer: {email.value.decode()}")
        lib.ks_status_free(status)
        check("ks_deactivate", lib.ks_deactivate(handle, False))
        status = status_of("ks_check", lambda out: lib.ks_check(handle, out))
        state = lib.ks_status_state(status)
        lib.ks_status_free(status)
        print(f"after deactivate: {STATES[state]}")
        return 0 if state == 0 else 1
    finally:
        lib.ks_licensor_free(handle)


if __name__ == "__main__":
    sys.exit(main())
