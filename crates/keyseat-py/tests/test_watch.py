import datetime
import subprocess
import sys
import threading
import time

import pytest

import keyseat
from conftest import key


def test_watch_reports_changes_and_stops(emulator, make_licensor):
    emu = emulator(key("PY-WATCH-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-WATCH-0001")
    seen = []
    revoked = threading.Event()

    def on_change(status):
        seen.append(status.state)
        if status.state == "revoked":
            revoked.set()

    handle = licensor.watch(0.05, on_change)
    assert handle.running
    time.sleep(0.15)
    emu.control("/_emulator/keys/disable", {"key": "PY-WATCH-0001"})
    assert revoked.wait(10)
    handle.stop()
    handle.stop()
    assert not handle.running
    assert seen == ["active", "revoked"]
    count = len(seen)
    time.sleep(0.2)
    assert len(seen) == count, "no callback after stop()"


def test_watch_as_a_context_manager(emulator, make_licensor):
    emu = emulator(key("PY-WATCH-CM-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-WATCH-CM-0001")
    first = threading.Event()
    with licensor.watch(datetime.timedelta(milliseconds=50), lambda s: first.set()) as handle:
        assert isinstance(handle, keyseat.WatchHandle)
        assert first.wait(10)
        assert handle.running
    assert not handle.running


def test_a_failing_callback_goes_to_unraisablehook(emulator, make_licensor, monkeypatch):
    emu = emulator(key("PY-WATCH-RAISE-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-WATCH-RAISE-0001")
    reported = threading.Event()
    errors = []

    def hook(unraisable):
        errors.append(unraisable.exc_value)
        reported.set()

    monkeypatch.setattr(sys, "unraisablehook", hook)

    def callback(status):
        raise RuntimeError("callback failed")

    with licensor.watch(0.05, callback):
        assert reported.wait(10)
    assert isinstance(errors[0], RuntimeError)


def test_bad_interval(make_licensor):
    licensor = make_licensor("http://127.0.0.1:9")
    for bad in (0, -1, float("inf"), "soon"):
        with pytest.raises(keyseat.InvalidInputError):
            licensor.watch(bad, print)


def test_a_running_watch_does_not_hang_interpreter_exit(emulator, tmp_path):
    emu = emulator(key("PY-WATCH-EXIT-0001"))
    script = f"""
import keyseat, threading
licensor = keyseat.Licensor(
    qualifier="com", organisation="Example", application="PyExit", product_ids=["pdt_py_app"],
    base_url={emu.url!r}, data_dir={str(tmp_path / "exit")!r}, key_storage="file")
licensor.activate("PY-WATCH-EXIT-0001")
first = threading.Event()
handle = licensor.watch(0.05, lambda status: (print(status.state, flush=True), first.set()))
first.wait(10)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "active"


def test_stop_from_the_callback(emulator, make_licensor):
    emu = emulator(key("PY-WATCH-SELF-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-WATCH-SELF-0001")
    stopped = threading.Event()
    holder = {}
    ready = threading.Event()

    def callback(status):
        ready.wait(10)
        holder["handle"].stop()
        stopped.set()

    holder["handle"] = licensor.watch(0.05, callback)
    ready.set()
    assert stopped.wait(10), "stop() from the callback returned"
    assert not holder["handle"].running
