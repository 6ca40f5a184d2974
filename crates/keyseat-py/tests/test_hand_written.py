"""Nothing an end user writes is a license (issue 27), from Python: credentials edited by
hand are 'tampered', an earlier release's with no cache 'unverified', neither licensed; a
trial needs a vendor secret of 16 bytes; a status says whether the local data is protected."""

import json

import pytest

import keyseat
from conftest import key


def test_credentials_edited_by_hand_are_never_a_license(emulator, make_licensor, tmp_path):
    emu = emulator(key("PY-HAND-0001", activations_limit=1))
    data = tmp_path / "hand"
    active = make_licensor(emu.url, data_dir=data).activate("PY-HAND-0001")
    assert active.local_state_protected
    path = data / "credentials.json"
    genuine = json.loads(path.read_text())
    path.write_text(json.dumps({**genuine, "holds_seat": False, "instance_id": "anything"}))
    (data / "license.json").unlink()
    tampered = make_licensor(emu.url, data_dir=data).check()
    assert (tampered.state, tampered.licensed) == ("tampered", False)

    earlier = {k: v for k, v in genuine.items() if k not in ("mac", "secret_id")}
    assert len(earlier) == len(genuine) - 2
    path.write_text(json.dumps(earlier))
    unverified = make_licensor(emu.url, data_dir=data).check()
    assert (unverified.state, unverified.licensed) == ("unverified", False)
    assert "local_state_protected=" in repr(unverified)


def test_a_trial_needs_a_vendor_secret_of_16_bytes(emulator, make_licensor):
    emu = emulator(key("PY-HAND-0002"))
    for secret in (b"", b"fifteen bytes!!"):
        with pytest.raises(keyseat.InvalidInputError):
            make_licensor(emu.url, vendor_secret=secret, trial_days=7)
    assert not make_licensor(emu.url, vendor_secret=b"").check_offline().local_state_protected
