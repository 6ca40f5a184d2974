"""Startup benchmark: whole-process wall time of "import, construct, offline check" against a
bare `python -c ''`, interleaved in one run. Prints median and p90 of each and the median
difference; the target is under 15 ms added.

    python crates/keyseat-py/bench/startup.py   (keyseat installed, emulator built)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("KS_BENCH_RUNS", "40"))
EMULATOR = Path(
    os.environ.get(
        "KEYSEAT_EMULATOR",
        Path(__file__).resolve().parents[3] / "target" / "debug" / "keyseat-emulator",
    )
)
OPTIONS = dict(
    qualifier="com",
    organisation="Example",
    application="PyBench",
    product_ids=["pdt_py_app"],
    vendor_secret=b"python bench vendor secret",
    key_storage="file",
)
MEASURED = """
import sys
import keyseat
status = keyseat.Licensor(base_url="http://127.0.0.1:9", data_dir=sys.argv[1], **{options}).check_offline()
if status.state != "active":
    sys.exit(f"unexpected state {{status.state}}")
"""


def activated_data_dir(root):
    """A data directory holding an activation, made once against the emulator."""
    import keyseat

    keys = Path(root) / "keys.json"
    keys.write_text(json.dumps([{"key": "PY-BENCH-0001", "product_id": "pdt_py_app"}]))
    emulator = subprocess.Popen([str(EMULATOR), "--keys", str(keys)], stdout=subprocess.PIPE,
                                text=True)
    try:
        url = emulator.stdout.readline().strip().removeprefix("listening on ")
        data_dir = str(Path(root) / "data")
        keyseat.Licensor(base_url=url, data_dir=data_dir, **OPTIONS).activate("PY-BENCH-0001")
        return data_dir
    finally:
        emulator.kill()
        emulator.wait()


def timed(args):
    start = time.perf_counter()
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main():
    with tempfile.TemporaryDirectory() as root:
        data_dir = activated_data_dir(root)
        measured = [sys.executable, "-c", MEASURED.format(options=OPTIONS), data_dir]
        bare = [sys.executable, "-c", ""]
        for _ in range(3):
            timed(bare)  # warm the page cache
            timed(measured)
        bare_ms, full_ms = [], []
        for _ in range(RUNS):
            bare_ms.append(timed(bare))
            full_ms.append(timed(measured))

    def p90(xs):
        return sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.9))]

    print(f"python {sys.version.split()[0]}, {RUNS} runs each, interleaved")
    print(f"bare interpreter (python -c '')          median {statistics.median(bare_ms):6.1f} ms"
          f"  p90 {p90(bare_ms):6.1f} ms")
    print(f"import + construct + check_offline()     median {statistics.median(full_ms):6.1f} ms"
          f"  p90 {p90(full_ms):6.1f} ms")
    added = statistics.median(full_ms) - statistics.median(bare_ms)
    print(f"added by keyseat: {added:.1f} ms (target < 15 ms): "
          f"{'met' if added < 15 else 'NOT MET'}")


if __name__ == "__main__":
    main()
