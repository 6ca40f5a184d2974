"""The customer's bad day from Python (issue 21): a local trial, a seat freed from another
machine, activation names, and the name a lost answer leaves behind."""

import datetime

import pytest

import keyseat
from conftest import key


def test_start_trial_starts_once_and_never_moves_the_end(emulator, make_licensor):
    emu = emulator(key("PY-TRIAL-0001"))
    licensor = make_licensor(emu.url, trial_days=7, key_storage="memory")
    assert licensor.check_offline().state == "not_activated"
    before = datetime.datetime.now(datetime.timezone.utc)
    started = licensor.start_trial()
    assert started.state == "trial" and started.licensed
    length = started.trial_ends_at - before
    assert abs(length - datetime.timedelta(days=7)) < datetime.timedelta(seconds=5)
    assert licensor.start_trial().trial_ends_at == started.trial_ends_at
    assert licensor.check().state == "trial"
    with pytest.raises(keyseat.InvalidInputError):
        make_licensor(emu.url).start_trial()
    with pytest.raises(keyseat.InvalidInputError):
        make_licensor(emu.url, trial_days=0)


def test_a_trial_survives_an_emptied_data_directory(emulator, make_licensor, tmp_path):
    emu = emulator(key("PY-TRIAL-0002"))
    licensor = make_licensor(emu.url, trial_days=14, key_storage="memory", data_dir=tmp_path / "d")
    end = licensor.start_trial().trial_ends_at
    for f in (tmp_path / "d").iterdir():
        f.unlink()
    back = licensor.check_offline()
    assert back.state == "trial" and back.trial_ends_at == end
    assert licensor.activate("PY-TRIAL-0002").state == "active"
    licensor.deactivate()
    assert licensor.check_offline().state == "trial"


def test_release_instance_frees_another_machines_seat(emulator, make_licensor):
    emu = emulator(key("PY-SEAT-0001", activations_limit=1))
    old = make_licensor(emu.url)
    noted = old.activate("PY-SEAT-0001")
    assert noted.instance_name.endswith(" · " + old.fingerprint()[:6])
    new = make_licensor(emu.url)
    with pytest.raises(keyseat.LimitReachedError):
        new.activate("PY-SEAT-0001")
    assert new.release_instance("PY-SEAT-0001", noted.instance_id) == "slot_freed"
    assert new.activate("PY-SEAT-0001").state == "active"
    assert new.release_instance("PY-SEAT-0001", noted.instance_id) == "already_gone"


def test_a_lost_answer_is_named_in_status_and_in_the_limit_error(emulator, make_licensor):
    emu = emulator(key("PY-LOST-0001", activations_limit=1))
    licensor = make_licensor(emu.url)
    emu.fault("activate", {"kind": "process_then_close"})
    with pytest.raises(keyseat.AmbiguousActivationError):
        licensor.activate("PY-LOST-0001")
    status = licensor.check_offline()
    assert status.state == "not_activated"
    assert status.pending_activation_name.endswith(" · " + licensor.fingerprint()[:6])
    assert isinstance(status.pending_activation_at, datetime.datetime)
    assert "pending_activation_name=" in repr(status)
    with pytest.raises(keyseat.LimitReachedError) as refused:
        licensor.activate("PY-LOST-0001")
    message = str(refused.value)
    assert f"an activation named '{status.pending_activation_name}' may have been created on" in message
    assert "PY-LOST-0001" not in message
