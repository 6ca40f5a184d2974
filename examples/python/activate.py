"""Activate, check, print the status and deactivate through licensekit's C ABI with ctypes.

Environment: LK_LIB (path to liblicensekit.so / .dylib / licensekit.dll), LK_BASE_URL,
LK_DATA_DIR, LK_KEY.
"""
import ctypes
import os
import sys

LK_OK = 0
LK_KEY_STORAGE_FILE = 1
STATES = ["not activated", "active", "grace", "grace expired", "revoked",
          "fingerprint mismatch", "tampered", "clock rollback"]


class Config(ctypes.Structure):
    _fields_ = [
        ("qualifier", ctypes.c_char_p),
        ("organisation", ctypes.c_char_p),
        ("application", ctypes.c_char_p),
        ("base_url", ctypes.c_char_p),
        ("test_mode", ctypes.c_bool),
        ("data_dir", ctypes.c_char_p),
        ("key_storage", ctypes.c_int),
        ("vendor_secret", ctypes.c_char_p),
        ("vendor_secret_len", ctypes.c_size_t),
        ("grace_period_secs", ctypes.c_uint64),
        ("revalidate_every_secs", ctypes.c_uint64),
        ("timeout_ms", ctypes.c_uint64),
    ]


class Status(ctypes.Structure):
    _fields_ = [
        ("state", ctypes.c_int),
        ("licensed", ctypes.c_bool),
        ("activated_at", ctypes.c_int64),
        ("last_validated", ctypes.c_int64),
        ("grace_deadline", ctypes.c_int64),
        ("network_used", ctypes.c_bool),
        ("recovered", ctypes.c_bool),
        ("key_storage", ctypes.c_int),
    ]


def main():
    lib = ctypes.CDLL(os.environ["LK_LIB"])
    lib.lk_version.restype = ctypes.c_char_p
    handle_p = ctypes.POINTER(ctypes.c_void_p)
    lib.lk_licensor_new.argtypes = [ctypes.POINTER(Config), handle_p]
    lib.lk_activate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Status)]
    lib.lk_check.argtypes = [ctypes.c_void_p, ctypes.POINTER(Status)]
    lib.lk_deactivate.argtypes = [ctypes.c_void_p, ctypes.c_bool]
    lib.lk_licensor_free.argtypes = [ctypes.c_void_p]
    lib.lk_customer_email.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                      ctypes.POINTER(ctypes.c_size_t)]
    lib.lk_last_error_message.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                          ctypes.POINTER(ctypes.c_size_t)]

    def check(what, result):
        if result != LK_OK:
            buf = ctypes.create_string_buffer(512)
            lib.lk_last_error_message(buf, len(buf), None)
            sys.exit(f"{what} failed ({result}): {buf.value.decode()}")

    secret = b"example vendor secret"
    config = Config(b"com", b"Example", b"PyExample", os.environ["LK_BASE_URL"].encode(), False,
                    os.environ["LK_DATA_DIR"].encode(), LK_KEY_STORAGE_FILE, secret,
                    len(secret), 0, 0, 0)
    handle = ctypes.c_void_p()
    print("licensekit", lib.lk_version().decode())
    check("lk_licensor_new", lib.lk_licensor_new(ctypes.byref(config), ctypes.byref(handle)))
    status = Status()
    try:
        check("lk_activate", lib.lk_activate(handle, os.environ["LK_KEY"].encode(),
                                             ctypes.byref(status)))
        check("lk_check", lib.lk_check(handle, ctypes.byref(status)))
        email = ctypes.create_string_buffer(256)
        check("lk_customer_email", lib.lk_customer_email(handle, email, len(email), None))
        print(f"state: {STATES[status.state]}")
        print(f"licensed: {'yes' if status.licensed else 'no'}")
        print(f"network used: {'yes' if status.network_used else 'no'}")
        print(f"customer: {email.value.decode()}")
        check("lk_deactivate", lib.lk_deactivate(handle, False))
        check("lk_check", lib.lk_check(handle, ctypes.byref(status)))
        print(f"after deactivate: {STATES[status.state]}")
        return 0 if status.state == 0 else 1
    finally:
        lib.lk_licensor_free(handle)


if __name__ == "__main__":
    sys.exit(main())
