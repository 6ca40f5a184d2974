import dataclasses
import datetime
import threading
import time

import pytest

import keyseat
from conftest import PRODUCT, key


def test_activate_gives_a_frozen_status_with_aware_datetimes(emulator, make_licensor):
    emu = emulator(key("PY-ACTIVATE-0001"))
    licensor = make_licensor(emu.url)
    before = datetime.datetime.now(datetime.timezone.utc)
    status = licensor.activate("PY-ACTIVATE-0001")
    assert isinstance(status, keyseat.LicenseStatus)
    assert status.state == "active"
    assert status.licensed is True
    assert status.network_used is True
    assert status.product_id == PRODUCT
    assert status.product_name == "Python App"
    assert status.customer_email == "ada@example.com"
    assert status.instance_id.startswith("lki_")
    assert status.key_hint == "****-0001"
    assert status.key_storage == "file"
    for t in (status.activated_at, status.last_validated, status.grace_deadline):
        assert isinstance(t, datetime.datetime)
        assert t.tzinfo is not None and t.utcoffset() == datetime.timedelta(0)
    assert status.last_validated >= before - datetime.timedelta(seconds=1)
    assert status.grace_deadline - status.last_validated == datetime.timedelta(days=14)
    with pytest.raises(AttributeError):
        status.state = "revoked"
    with pytest.raises(AttributeError):
        status.extra = 1
    assert not dataclasses.is_dataclass(status)
    assert "state='active'" in repr(status)


def test_check_offline_check_and_fingerprint(emulator, make_licensor):
    emu = emulator(key("PY-OFFLINE-0001"))
    licensor = make_licensor(emu.url)
    empty = licensor.check_offline()
    assert (empty.state, empty.licensed) == ("not_activated", False)
    assert empty.instance_id is None and empty.activated_at is None
    assert len(licensor.fingerprint()) == 64
    int(licensor.fingerprint(), 16)

    activated = licensor.activate("PY-OFFLINE-0001")
    offline = licensor.check_offline()
    assert (offline.state, offline.network_used) == ("active", False)
    assert offline.instance_id == activated.instance_id
    checked = licensor.check()
    assert (checked.state, checked.network_used) == ("active", False)


def test_grace_period_and_interval_take_timedelta_or_seconds(emulator, make_licensor):
    emu = emulator(key("PY-GRACE-ARGS-0001"), key("PY-GRACE-ARGS-0002"))
    by_delta = make_licensor(emu.url, grace_period=datetime.timedelta(days=3))
    status = by_delta.activate("PY-GRACE-ARGS-0001")
    assert status.grace_deadline - status.last_validated == datetime.timedelta(days=3)
    by_secs = make_licensor(emu.url, grace_period=3600, revalidate_interval=0)
    by_secs.activate("PY-GRACE-ARGS-0002")
    again = by_secs.check()
    assert again.network_used is True, "an interval of 0 asks the server at every check"
    assert again.grace_deadline - again.last_validated == datetime.timedelta(hours=1)


def test_network_calls_release_the_gil(emulator, make_licensor):
    emu = emulator(key("PY-GIL-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-GIL-0001")
    emu.fault("validate", {"kind": "delay", "ms": 600})
    done = threading.Event()
    result = {}

    def call():
        result["status"] = licensor.revalidate()
        done.set()

    thread = threading.Thread(target=call)
    started = time.monotonic()
    thread.start()
    spins = 0
    while not done.is_set():
        spins += 1  # pure Python: runs only while the other thread does not hold the GIL
        time.sleep(0)
    thread.join()
    assert time.monotonic() - started >= 0.55, "the delay was served"
    assert result["status"].network_used is True
    assert spins > 1000, f"the main thread ran only {spins} times during the call"


def test_revocation_and_offline_grace(emulator, make_licensor):
    emu = emulator(key("PY-REVOKE-0001"), key("PY-GRACE-0001"))
    revoked = make_licensor(emu.url)
    revoked.activate("PY-REVOKE-0001")
    emu.control("/_emulator/keys/disable", {"key": "PY-REVOKE-0001"})
    status = revoked.revalidate()
    assert (status.state, status.licensed) == ("revoked", False)

    offline = make_licensor(emu.url)
    offline.activate("PY-GRACE-0001")
    emu.stop()
    grace = offline.revalidate()
    assert (grace.state, grace.licensed) == ("grace", True)
    assert offline.deactivate(force=True) == "local_only"
    assert offline.check_offline().state == "not_activated"


def test_deactivate_frees_the_slot(emulator, make_licensor):
    emu = emulator(key("PY-DEACT-0001", activations_limit=1))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-DEACT-0001")
    assert licensor.deactivate() == "slot_freed"
    assert licensor.check_offline().state == "not_activated"
    assert emu.control("/_emulator/instances", method="GET") == []
    with pytest.raises(keyseat.NotActivatedError):
        licensor.deactivate()


def test_licensor_is_shared_between_threads(emulator, make_licensor):
    emu = emulator(key("PY-THREADS-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-THREADS-0001")
    states = []
    threads = [
        threading.Thread(target=lambda: states.append(licensor.revalidate().state))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert states == ["active"] * 8
