"""Lemon Squeezy and Polar keys from Python (issue 22): the whole life through one
Licensor, a key of another store refused with its activation released, and a Polar key with
no activations licensed with no seat."""

import datetime

import pytest

import keyseat

ORG = "1dbfc517-0bbf-4301-9ba8-555ca42b9737"
BENEFIT = "5a1e3c0e-0000-4000-8000-000000000003"


def lemon(text, store=7):
    return {
        "key": text,
        "provider": "lemonsqueezy",
        "store_id": store,
        "product_id": 4,
        "variant_id": 5,
        "activation_limit": 1,
        "expires_at": "2099-01-01T00:00:00Z",
    }


def test_a_lemon_squeezy_key_lives_and_another_stores_is_refused(emulator, make_licensor):
    emu = emulator(lemon("PY-LS-0001"), lemon("PY-LS-OTHER-STORE", store=8))
    licensor = make_licensor(
        emu.url, provider="lemonsqueezy", account="7", product_ids=["4"], variant_ids=["5"]
    )
    active = licensor.activate(" PY-LS-0001 ")
    assert (active.state, active.provider, active.product_id) == ("active", "lemonsqueezy", "4")
    assert active.holds_seat
    assert active.expires_at == datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
    assert "PY-LS-0001" not in repr(active)
    assert licensor.revalidate().state == "active"
    assert licensor.deactivate() == "slot_freed"
    assert emu.control("/_emulator/instances", method="GET") == []

    other = make_licensor(emu.url, provider="lemonsqueezy", account="7", product_ids=["4"])
    with pytest.raises(keyseat.WrongProductError):
        other.activate("PY-LS-OTHER-STORE")
    assert emu.control("/_emulator/instances", method="GET") == []


def test_a_polar_key_without_activations_holds_no_seat(emulator, make_licensor):
    emu = emulator(
        {"key": "PY-POLAR-0001", "provider": "polar", "organization_id": ORG, "benefit_id": BENEFIT}
    )
    licensor = make_licensor(emu.url, provider="polar", account=ORG, product_ids=[BENEFIT])
    active = licensor.activate("PY-POLAR-0001")
    assert active.state == "active"
    assert not active.holds_seat and active.instance_id is None
    assert licensor.deactivate() == "no_seat"


@pytest.mark.parametrize(
    "extra",
    [
        {"provider": "polar"},
        {"provider": "lemonsqueezy", "account": "store"},
        {"provider": "dodo", "account": "7"},
        {"provider": "paddle"},
        {"variant_ids": ["5"]},
    ],
)
def test_a_provider_needs_its_account(emulator, make_licensor, extra):
    emu = emulator()
    with pytest.raises(keyseat.InvalidInputError):
        make_licensor(emu.url, **extra)


def test_a_keygen_key_with_signed_answers(emulator, make_licensor):
    emu = emulator(
        {"key": "PY-KEYGEN-0001", "provider": "keygen", "account": "acme",
         "product_id": "prod-1", "max_machines": 1}
    )
    settings = dict(provider="keygen", account="acme", product_ids=["prod-1"])
    licensor = make_licensor(emu.url, public_key=emu.keygen_public_key, **settings)
    active = licensor.activate("PY-KEYGEN-0001")
    assert (active.state, active.provider, active.holds_seat) == ("active", "keygen", True)
    assert licensor.deactivate() == "slot_freed"
    # A key of small order (the identity) is no account's key: refused as it is given.
    with pytest.raises(keyseat.InvalidInputError):
        make_licensor(emu.url, public_key="01" + "00" * 31, **settings)
    # Another account's genuine key (RFC 8032's first test key): its answers do not verify.
    other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    forged = make_licensor(emu.url, public_key=other, **settings)
    with pytest.raises(keyseat.LicenseError) as refused:
        forged.activate("PY-KEYGEN-0001")
    assert refused.value.code == "BAD_SIGNATURE"
    assert forged.check_offline().state == "not_activated"
    with pytest.raises(keyseat.InvalidInputError):
        make_licensor(emu.url, **settings)
