import inspect
import json
import pickle
import traceback

import pytest

import keyseat
from conftest import VENDOR_SECRET, key

KEY = "SECRET-PY-KEY-7f3a9c"
OTHER = "SECRET-PY-KEY-OTHER-1b2c"


def assert_no_key(text, what):
    assert KEY not in text, f"{what} shows the key: {text}"
    assert OTHER not in text, f"{what} shows the other key: {text}"
    assert VENDOR_SECRET.decode() not in text, f"{what} shows the vendor secret"


def everything_about(value):
    """repr, str, and what inspect shows of every attribute."""
    parts = [repr(value), str(value)]
    for name, member in inspect.getmembers(value):
        if not name.startswith("__"):
            parts.append(f"{name}={member!r}")
    return "\n".join(parts)


def test_the_key_never_shows(emulator, make_licensor, tmp_path):
    emu = emulator(key(KEY), key(OTHER, activations_limit=0))
    licensor = make_licensor(emu.url, data_dir=tmp_path / "data")
    status = licensor.activate(KEY)
    assert status.key_hint == "****-3a9c"
    for what, value in [("status", status), ("check_offline()", licensor.check_offline()),
                        ("licensor", licensor)]:
        assert_no_key(everything_about(value), what)
    with licensor.watch(60, lambda s: None) as handle:
        assert_no_key(everything_about(handle), "watch handle")

    errors = []
    for attempt in (lambda: licensor.activate(OTHER),
                    lambda: make_licensor(emu.url).activate(OTHER)):
        with pytest.raises(keyseat.LicenseError) as raised:
            attempt()
        errors.append(raised.value)
    assert [e.code for e in errors] == ["ALREADY_ACTIVATED", "LIMIT_REACHED"]
    for e in errors:
        assert_no_key(everything_about(e), "exception")
        assert_no_key("".join(traceback.format_exception(e)), "traceback")
        assert_no_key(repr(pickle.loads(pickle.dumps(e))), "pickled exception")

    for wrapped in ([KEY], KEY.encode(), {"key": KEY}):
        with pytest.raises(TypeError) as raised:
            licensor.activate(wrapped)
        assert_no_key(everything_about(raised.value), "wrong-type error")

    with pytest.raises(TypeError):
        pickle.dumps(status)
    cache = [p for p in (tmp_path / "data").iterdir() if p.name.startswith("license")]
    assert cache, "a cache was written"
    for p in cache:
        assert_no_key(p.read_text(errors="replace"), p.name)
    assert_no_key(json.dumps({k: repr(v) for k, v in inspect.getmembers(status)
                              if not k.startswith("_")}), "status as JSON")
