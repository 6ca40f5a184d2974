import pytest

import keyseat
from conftest import OTHER_PRODUCT, key

UNREACHABLE = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "extra",
    [
        dict(product_ids=None),
        dict(product_ids=[]),
        dict(any_product=True),
        dict(product_ids=[""]),
        dict(key_storage="cloud"),
        dict(base_url=None, environment="staging"),
        dict(base_url="http://example.com"),
        dict(grace_period=-1),
        dict(revalidate_interval=float("nan")),
        dict(grace_period="two weeks"),
        dict(vendor_secret=12),
    ],
)
def test_bad_options_are_invalid_input(make_licensor, extra):
    with pytest.raises(keyseat.InvalidInputError) as raised:
        make_licensor(UNREACHABLE, **extra)
    assert raised.value.code == "INVALID_INPUT"
    assert isinstance(raised.value, keyseat.LicenseError)


def test_options_are_keyword_only_and_typed(make_licensor):
    with pytest.raises(TypeError):
        keyseat.Licensor("com", "Example", "PyTest")
    with pytest.raises(TypeError):
        make_licensor(UNREACHABLE, qualifier=7)
    with pytest.raises(keyseat.LicenseError) as raised:
        make_licensor(UNREACHABLE, ca_file="/nonexistent/ca.pem")
    assert raised.value.code == "IO"
    anything = make_licensor(UNREACHABLE, product_ids=None, any_product=True)
    assert anything.check_offline().state == "not_activated"


def test_refusals_raise_subclasses_with_codes(emulator, make_licensor):
    emu = emulator(
        key("PY-LIMIT-0001", activations_limit=0),
        key("PY-DISABLED-0001", status="disabled"),
        key("PY-OTHER-0001", product_id=OTHER_PRODUCT),
        key("PY-AMBIG-0001"),
    )
    licensor = make_licensor(emu.url)
    cases = [
        ("PY-LIMIT-0001", keyseat.LimitReachedError, "LIMIT_REACHED"),
        ("PY-DISABLED-0001", keyseat.InactiveKeyError, "INACTIVE_KEY"),
        ("PY-UNKNOWN-0001", keyseat.KeyNotFoundError, "KEY_NOT_FOUND"),
        ("PY-OTHER-0001", keyseat.WrongProductError, "WRONG_PRODUCT"),
        ("   ", keyseat.InvalidInputError, "INVALID_INPUT"),
    ]
    for text, kind, code in cases:
        with pytest.raises(kind) as raised:
            licensor.activate(text)
        assert raised.value.code == code
        assert isinstance(raised.value, keyseat.LicenseError)
    emu.fault("activate", {"kind": "process_then_close"})
    with pytest.raises(keyseat.AmbiguousActivationError) as raised:
        licensor.activate("PY-AMBIG-0001")
    assert raised.value.code == "AMBIGUOUS_ACTIVATION"
    assert len(emu.control("/_emulator/instances", method="GET")) == 1, (
        "only the ambiguous activation holds a slot; the wrong product's was released"
    )
    emu.stop()
    with pytest.raises(keyseat.NetworkError) as raised:
        licensor.activate("PY-LIMIT-0001")
    assert raised.value.code == "NETWORK"


def test_already_activated(emulator, make_licensor):
    emu = emulator(key("PY-FIRST-0001"), key("PY-SECOND-0001"))
    licensor = make_licensor(emu.url)
    licensor.activate("PY-FIRST-0001")
    with pytest.raises(keyseat.AlreadyActivatedError) as raised:
        licensor.activate("PY-SECOND-0001")
    assert raised.value.code == "ALREADY_ACTIVATED"


def test_vendor_secret_mismatch_has_its_code(emulator, make_licensor, tmp_path):
    emu = emulator(key("PY-SECRET-0001"))
    data_dir = tmp_path / "shared"
    make_licensor(emu.url, data_dir=data_dir).activate("PY-SECRET-0001")
    other = make_licensor(emu.url, data_dir=data_dir, vendor_secret="another secret")
    with pytest.raises(keyseat.LicenseError) as raised:
        other.check_offline()
    assert raised.value.code == "VENDOR_SECRET_MISMATCH"
