"""License-key activation for desktop apps sold through Dodo Payments, Lemon Squeezy or Polar.

Activate a key on this machine, keep working through network outages (an offline grace
period), notice when a key is revoked::

    import keyseat

    licensor = keyseat.Licensor(
        qualifier="com", organisation="Example", application="MyApp",
        product_ids=["pdt_..."], vendor_secret=b"...",
    )
    status = licensor.check()
    if status.licensed:
        ...

Every failure is a :class:`LicenseError` (or a subclass) with a stable ``.code``.
"""

import atexit as _atexit

from ._native import (
    AlreadyActivatedError,
    AmbiguousActivationError,
    Entitlement,
    InactiveKeyError,
    InvalidInputError,
    KeyNotFoundError,
    LicenseError,
    LicenseStatus,
    Licensor,
    LimitReachedError,
    NetworkError,
    NotActivatedError,
    Seat,
    WatchHandle,
    WrongProductError,
    __version__,
)
from ._native import _stop_all_watches

__all__ = [
    "AlreadyActivatedError",
    "AmbiguousActivationError",
    "Entitlement",
    "InactiveKeyError",
    "InvalidInputError",
    "KeyNotFoundError",
    "LicenseError",
    "LicenseStatus",
    "Licensor",
    "LimitReachedError",
    "NetworkError",
    "NotActivatedError",
    "Seat",
    "WatchHandle",
    "WrongProductError",
    "__version__",
]

# Watches still running when the interpreter exits are stopped first, so that no watch
# thread calls back into an interpreter that is shutting down.
_atexit.register(_stop_all_watches)
