"""Fixtures: the emulator binary built by cargo, and licensors in throwaway directories."""

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

import keyseat

PRODUCT = "pdt_py_app"
OTHER_PRODUCT = "pdt_someone_else"
VENDOR_SECRET = b"python test vendor secret"

EMULATOR = Path(
    os.environ.get(
        "KEYSEAT_EMULATOR",
        Path(__file__).resolve().parents[3] / "target" / "debug" / "keyseat-emulator",
    )
)
RELAY = Path(
    os.environ.get(
        "KEYSEAT_RELAY",
        Path(__file__).resolve().parents[3] / "target" / "debug" / "keyseat-relay",
    )
)
RELAY_API_KEY = "python-relay-test-api-key"


def key(text, **extra):
    """A key object for the emulator (fields as in its README)."""
    return {
        "key": text,
        "product_id": PRODUCT,
        "product_name": "Python App",
        "customer_email": "ada@example.com",
        **extra,
    }


class Emulator:
    """A running emulator process and its control surface."""

    def __init__(self, keys, tmp_path, flags=()):
        if not EMULATOR.exists():
            pytest.fail(f"{EMULATOR} is missing: cargo build -p keyseat-emulator")
        keys_file = tmp_path / "keys.json"
        keys_file.write_text(json.dumps(keys))
        self.process = subprocess.Popen(
            [str(EMULATOR), "--keys", str(keys_file), *flags], stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline().strip()
        assert line.startswith("listening on "), line
        self.url = line.removeprefix("listening on ")
        line = self.process.stdout.readline().strip()
        assert line.startswith("keygen public key: "), line
        self.keygen_public_key = line.removeprefix("keygen public key: ")

    def control(self, path, body=None, method="POST"):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def fault(self, endpoint, fault, count=1):
        self.control("/_emulator/faults", {"endpoint": endpoint, "fault": fault, "count": count})

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def emulator(tmp_path):
    """Starts an emulator serving the given key objects; stopped after the test."""
    started = []

    def start(*keys, flags=()):
        emu = Emulator(list(keys), tmp_path, flags)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


class Relay:
    """The seller's keyseat-relay, as its README runs it (keygen, then serve with the
    secrets in variables), in front of an emulator started with --api-key RELAY_API_KEY."""

    def __init__(self, emulator, tmp_path):
        if not RELAY.exists():
            pytest.fail(f"{RELAY} is missing: cargo build -p keyseat-relay")
        key_file = tmp_path / "signing-key"
        self.public_key = subprocess.run(
            [str(RELAY), "keygen", str(key_file)], capture_output=True, text=True, check=True
        ).stdout.strip()
        env = dict(
            os.environ,
            KEYSEAT_RELAY_API_KEY=RELAY_API_KEY,
            KEYSEAT_RELAY_WEBHOOK_SECRET="whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        )
        self.process = subprocess.Popen(
            [str(RELAY), "serve", "--listen", "127.0.0.1:0",
             "--database", f"sqlite://{tmp_path / 'relay.db'}",
             "--signing-key-file", str(key_file), "--upstream-url", emulator.url],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )
        line = self.process.stdout.readline().strip()
        assert line.startswith("listening on "), line
        self.url = line.removeprefix("listening on ")

    def post(self, path, text):
        request = urllib.request.Request(self.url + path, data=text.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


@pytest.fixture
def relay(tmp_path):
    """Starts a relay in front of the given emulator; stopped after the test."""
    started = []

    def start(emulator):
        r = Relay(emulator, tmp_path)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def make_licensor(tmp_path):
    """A Licensor against `url`, keeping everything in a fresh directory under tmp_path."""
    counter = iter(range(1000))

    def make(url, **extra):
        options = dict(
            qualifier="com",
            organisation="Example",
            application="PyTest",
            product_ids=[PRODUCT],
            vendor_secret=VENDOR_SECRET,
            base_url=url,
            data_dir=tmp_path / f"data{next(counter)}",
            key_storage="file",
        )
        options.update(extra)
        return keyseat.Licensor(**options)

    return make
