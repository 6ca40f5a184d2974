"""A Python app and licensectl share one activation when they share the app's identity."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import PRODUCT, VENDOR_SECRET, key

LICENSECTL = Path(
    os.environ.get(
        "LICENSECTL",
        Path(__file__).resolve().parents[3] / "target" / "debug" / "licensectl",
    )
)


def licensectl(data_dir, *args, secret=VENDOR_SECRET):
    if not LICENSECTL.exists():
        pytest.fail(f"{LICENSECTL} is missing: cargo build -p keyseat-cli")
    return subprocess.run(
        [str(LICENSECTL), "--app", "com.Example.PyTest", "--product", PRODUCT,
         "--data-dir", str(data_dir), "--key-storage", "file", "--json", *args],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "KEYSEAT_VENDOR_SECRET": secret.decode()},
    )


def test_licensectl_sees_the_python_activation_and_the_other_way_round(
    emulator, make_licensor, tmp_path
):
    emu = emulator(key("PY-SHARED-0001"), key("PY-SHARED-0002"))
    data_dir = tmp_path / "shared"
    licensor = make_licensor(emu.url, data_dir=data_dir)
    activated = licensor.activate("PY-SHARED-0001")

    shown = licensectl(data_dir, "status", "--offline")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert (status["state"], status["instance_id"]) == ("active", activated.instance_id)

    assert licensectl(data_dir, "--base-url", emu.url, "deactivate").returncode == 0
    assert licensor.check_offline().state == "not_activated"
    done = subprocess.run(
        [str(LICENSECTL), "--app", "com.Example.PyTest", "--product", PRODUCT,
         "--data-dir", str(data_dir), "--key-storage", "file", "--base-url", emu.url,
         "activate", "-"],
        input="PY-SHARED-0002\n", capture_output=True, text=True, timeout=60,
        env={**os.environ, "KEYSEAT_VENDOR_SECRET": VENDOR_SECRET.decode()},
    )
    assert done.returncode == 0, done.stderr
    assert licensor.check_offline().state == "active"
    assert licensor.check_offline().key_hint == "****-0002"


def test_another_vendor_secret_is_refused_not_reset(emulator, make_licensor, tmp_path):
    emu = emulator(key("PY-SHARED-0003"))
    data_dir = tmp_path / "shared"
    make_licensor(emu.url, data_dir=data_dir).activate("PY-SHARED-0003")
    before = (data_dir / "license.json").read_bytes()
    shown = licensectl(data_dir, "status", "--offline", secret=b"not the app's secret")
    assert shown.returncode == 2, shown.stderr
    assert (data_dir / "license.json").read_bytes() == before
