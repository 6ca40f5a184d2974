"""Activate, check, print the status and deactivate through licensekit's C ABI with ctypes.

(For a Python app, the `licensekit` package is the idiomatic way; this shows the C ABI from a
language with an FFI and no build step.)

Environment: LK_LIB (path to liblicensekit.so / .dylib / licensekit.dll), LK_BASE_URL,
LK_DATA_DIR, LK_KEY, LK_PRODUCT_ID.
"""
import ctypes
import os
import sys

LK_OK = 0
LK_KEY_STORAGE_FILE = 1
STATES = {0: "not activated", 1: "active", 2: "grace", 3: "grace expired", 4: "revoked",
          5: "fingerprint mismatch", 6: "tampered", 7: "clock rollback", 8: "wrong product"}

HANDLE = ctypes.c_void_p
OUT = ctypes.POINTER(ctypes.c_void_p)
RESULT = ctypes.c_uint32
BUF = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]


def load(path):
    lib = ctypes.CDLL(path)
    signatures = {
        "lk_version": (ctypes.c_char_p, []),
        "lk_config_new": (RESULT, [ctypes.c_char_p] * 3 + [OUT]),
        "lk_config_free": (None, [HANDLE]),
        "lk_config_set_base_url": (RESULT, [HANDLE, ctypes.c_char_p]),
        "lk_config_set_data_dir": (RESULT, [HANDLE, ctypes.c_char_p]),
        "lk_config_set_key_storage": (RESULT, [HANDLE, ctypes.c_uint32]),
        "lk_config_set_vendor_secret": (RESULT, [HANDLE, ctypes.c_char_p, ctypes.c_size_t]),
        "lk_config_add_product_id": (RESULT, [HANDLE, ctypes.c_char_p]),
        "lk_licensor_new": (RESULT, [HANDLE, OUT]),
        "lk_licensor_free": (None, [HANDLE]),
        "lk_activate": (RESULT, [HANDLE, ctypes.c_char_p, OUT]),
        "lk_check": (RESULT, [HANDLE, OUT]),
        "lk_deactivate": (RESULT, [HANDLE, ctypes.c_bool]),
        "lk_status_free": (None, [HANDLE]),
        "lk_status_state": (ctypes.c_uint32, [HANDLE]),
        "lk_status_is_licensed": (ctypes.c_bool, [HANDLE]),
        "lk_status_network_used": (ctypes.c_bool, [HANDLE]),
        "lk_status_customer_email": (RESULT, [HANDLE] + BUF),
        "lk_last_error_message": (RESULT, BUF),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def main():
    lib = load(os.environ["LK_LIB"])

    def check(what, result):
        if result != LK_OK:
            buf = ctypes.create_string_buffer(512)
            lib.lk_last_error_message(buf, len(buf), None)
            sys.exit(f"{what} failed ({result}): {buf.value.decode()}")

    def status_of(what, call):
        status = ctypes.c_void_p()
        check(what, call(ctypes.byref(status)))
        return status

    print("licensekit", lib.lk_version().decode())
    config = ctypes.c_void_p()
    check("lk_config_new", lib.lk_config_new(b"com", b"Example", b"PyExample",
                                             ctypes.byref(config)))
    secret = b"example vendor secret"
    try:
        check("base url", lib.lk_config_set_base_url(config, os.environ["LK_BASE_URL"].encode()))
        check("data dir", lib.lk_config_set_data_dir(config, os.environ["LK_DATA_DIR"].encode()))
        check("key storage", lib.lk_config_set_key_storage(config, LK_KEY_STORAGE_FILE))
        check("secret", lib.lk_config_set_vendor_secret(config, secret, len(secret)))
        check("product", lib.lk_config_add_product_id(config,
                                                      os.environ["LK_PRODUCT_ID"].encode()))
        handle = ctypes.c_void_p()
        check("lk_licensor_new", lib.lk_licensor_new(config, ctypes.byref(handle)))
    finally:
        lib.lk_config_free(config)
    try:
        key = os.environ["LK_KEY"].encode()
        lib.lk_status_free(status_of("lk_activate", lambda out: lib.lk_activate(handle, key, out)))
        status = status_of("lk_check", lambda out: lib.lk_check(handle, out))
        email = ctypes.create_string_buffer(256)
        check("email", lib.lk_status_customer_email(status, email, len(email), None))
        print(f"state: {STATES[lib.lk_status_state(status)]}")
        print(f"licensed: {'yes' if lib.lk_status_is_licensed(status) else 'no'}")
        print(f"network used: {'yes' if lib.lk_status_network_used(status) else 'no'}")
        print(f"customer: {email.value.decode()}")
        lib.lk_status_free(status)
        check("lk_deactivate", lib.lk_deactivate(handle, False))
        status = status_of("lk_check", lambda out: lib.lk_check(handle, out))
        state = lib.lk_status_state(status)
        lib.lk_status_free(status)
        print(f"after deactivate: {STATES[state]}")
        return 0 if state == 0 else 1
    finally:
        lib.lk_licensor_free(handle)


if __name__ == "__main__":
    sys.exit(main())
