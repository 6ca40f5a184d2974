"""Activate, check, check offline, deactivate: the whole flow through the `keyseat`
package, as an app that installed it (`pip install keyseat`) would run it.

Environment: KS_BASE_URL (license server, e.g. the emulator), KS_DATA_DIR, KS_KEY,
KS_PRODUCT_ID (the app's product id).
"""

import os
import sys

import keyseat


def main() -> int:
    licensor = keyseat.Licensor(
        qualifier="com",
        organisation="Example",
        application="PythonExample",
        product_ids=[os.environ.get("KS_PRODUCT_ID", "pdt_example")],
        vendor_secret=b"example vendor secret",
        base_url=os.environ.get("KS_BASE_URL"),
        data_dir=os.environ.get("KS_DATA_DIR"),
        key_storage="file",
    )
    try:
        activated = licensor.activate(os.environ["KS_KEY"])
        print(f"activated: {activated.state}")
        checked = licensor.check()
        print(f"state: {checked.state}")
        print(f"licensed: {'yes' if checked.licensed else 'no'}")
        print(f"key: {checked.key_hint}")
        print(f"offline: {licensor.check_offline().state}")
        print(f"deactivate: {licensor.deactivate(force=False)}")
        print(f"after deactivate: {licensor.check_offline().state.replace('_', ' ')}")
    except keyseat.LicenseError as e:
        print(f"failed ({e.code}): {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
