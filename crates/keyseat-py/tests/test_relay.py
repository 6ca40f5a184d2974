"""Through the seller's keyseat-relay (issue 29): a license's whole life with what Dodo's
API key knows (the limit, the seats in use, the entitlements), the seats listed, and an
offline activation with every server gone; and what other providers say they cannot do."""

import datetime

import pytest

import keyseat

from conftest import RELAY_API_KEY, key

KEY = "PY-RELAY-0001"


def test_a_key_lives_through_the_relay_and_a_machine_activates_offline(
    emulator, relay, make_licensor
):
    emu = emulator(key(KEY, activations_limit=2), flags=("--api-key", RELAY_API_KEY))
    r = relay(emu)
    licensor = make_licensor(r.url, provider="relay", public_keys=[r.public_key])
    active = licensor.activate(KEY)
    assert active.state == "active"
    assert active.provider == "relay"
    assert (active.activation_limit, active.activations_used) == (2, 1)
    assert [e.id for e in active.entitlements] == ["ent_emulator"]
    assert active.expires_at is None
    assert KEY not in repr(active)
    seats = licensor.seats()
    assert [(s.id, s.this_machine) for s in seats] == [(active.instance_id, True)]
    assert licensor.deactivate() == "slot_freed"

    request = licensor.offline_request(KEY)
    assert KEY not in request
    machine_file = r.post("/v1/offline", request)
    r.stop()
    emu.stop()
    offline = licensor.offline_activate(KEY, machine_file)
    assert offline.state == "active"
    assert offline.activated_offline
    assert offline.grace_deadline > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=300)
    assert licensor.check_offline().state == "active"
    proof = licensor.offline_deactivate()
    assert proof.startswith("-----BEGIN KEYSEAT OFFLINE RELEASE-----")
    assert licensor.check_offline().state == "not_activated"
    with pytest.raises(keyseat.LicenseError) as refused:
        licensor.offline_activate("PY-RELAY-OTHER", machine_file)
    assert refused.value.code == "INVALID_INPUT"


def test_dodo_directly_says_nothing_and_cannot_list_seats(emulator, make_licensor):
    emu = emulator(key("PY-DODO-FACTS", activations_limit=2))
    licensor = make_licensor(emu.url)
    active = licensor.activate("PY-DODO-FACTS")
    assert (active.activation_limit, active.activations_used, active.entitlements) == (None, None, None)
    assert active.activated_offline is False
    with pytest.raises(keyseat.LicenseError) as e:
        licensor.seats()
    assert e.value.code == "UNSUPPORTED"
    with pytest.raises(keyseat.LicenseError) as e:
        licensor.offline_request("PY-DODO-FACTS")
    assert e.value.code == "UNSUPPORTED"
