"""Type stubs of the extension module; everything is re-exported by ``keyseat``."""

import datetime
import os
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Literal, final

__version__: str

State = Literal[
    "not_activated",
    "active",
    "grace",
    "grace_expired",
    "revoked",
    "fingerprint_mismatch",
    "tampered",
    "clock_rollback",
    "wrong_product",
    "trial",
    "trial_expired",
    "unverified",
]
KeyStorage = Literal["keyring", "file", "memory"]
Provider = Literal["dodo", "lemonsqueezy", "polar", "keygen", "relay"]
Seconds = datetime.timedelta | float | int

@final
class Entitlement:
    """One entitlement of the key (a Dodo license-key grant, through the relay)."""

    @property
    def id(self) -> str: ...
    @property
    def grant_id(self) -> str | None: ...
    @property
    def status(self) -> str | None:
        """The grant's status in the provider's word ('Delivered', 'Revoked', ...)."""
    @property
    def expires_at(self) -> datetime.datetime | None: ...

@final
class Seat:
    """One seat of a key: an activation, on this machine or another."""

    @property
    def id(self) -> str:
        """What ``release_instance(key, id)`` frees."""
    @property
    def name(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime | None: ...
    @property
    def this_machine(self) -> bool: ...

@final
class LicenseStatus:
    """The license on this machine. Immutable; no field is the key."""

    @property
    def state(self) -> State: ...
    @property
    def licensed(self) -> bool:
        """Whether the app should run as licensed ('active', 'grace' or 'trial')."""
    @property
    def network_used(self) -> bool: ...
    @property
    def provider(self) -> Provider | None:
        """Who sold the key."""
    @property
    def product_id(self) -> str | None: ...
    @property
    def product_name(self) -> str | None: ...
    @property
    def customer_email(self) -> str | None: ...
    @property
    def instance_id(self) -> str | None:
        """What frees this machine's seat from another one (``release_instance``); None
        for a key that holds no seat."""
    @property
    def holds_seat(self) -> bool:
        """False for a key that licenses by validation alone (no seat on the server)."""
    @property
    def expires_at(self) -> datetime.datetime | None:
        """When the key itself stops working, as the provider last said."""
    @property
    def activated_offline(self) -> bool:
        """Whether the activation is a relay's machine file (licensed until grace_deadline)."""
    @property
    def activation_limit(self) -> int | None:
        """How many activations the key allows at once; None when the provider does not say."""
    @property
    def activations_used(self) -> int | None:
        """How many of them are in use; None when the provider does not say."""
    @property
    def entitlements(self) -> list[Entitlement] | None:
        """The key's entitlements (the relay's license-key grants); None when the provider
        does not say."""
    @property
    def instance_name(self) -> str | None:
        """The activation's name as the server recorded it."""
    @property
    def key_hint(self) -> str | None:
        """The key in redacted form ('****-8f43')."""
    @property
    def activated_at(self) -> datetime.datetime | None: ...
    @property
    def last_validated(self) -> datetime.datetime | None: ...
    @property
    def grace_deadline(self) -> datetime.datetime | None: ...
    @property
    def key_storage(self) -> KeyStorage | None: ...
    @property
    def trial_ends_at(self) -> datetime.datetime | None:
        """When this machine's local trial ends (or ended), when one was started."""
    @property
    def pending_activation_name(self) -> str | None:
        """An activation whose answer was lost (last 30 days): it may hold a seat."""
    @property
    def pending_activation_at(self) -> datetime.datetime | None: ...
    @property
    def local_state_protected(self) -> bool: ...

@final
class WatchHandle:
    """A running watch; ``stop()`` ends it, and so does leaving a ``with`` block."""

    @property
    def running(self) -> bool: ...
    def stop(self) -> None: ...
    def __enter__(self) -> WatchHandle: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class Licensor:
    """Activates, checks and deactivates this app's license on this machine."""

    def __init__(
        self,
        *,
        qualifier: str,
        organisation: str,
        application: str,
        provider: Provider = "dodo",
        account: str | None = None,
        public_key: str | None = None,
        public_keys: Sequence[str] | None = None,
        product_ids: Sequence[str] | None = None,
        variant_ids: Sequence[str] | None = None,
        any_product: bool = False,
        vendor_secret: bytes | str | None = None,
        environment: Literal["live", "test"] = "live",
        base_url: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        key_storage: KeyStorage = "keyring",
        grace_period: Seconds | None = None,
        revalidate_interval: Seconds | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        trial_days: int | None = None,
        instance_names_include_host: bool = True,
    ) -> None: ...
    def activate(self, key: str) -> LicenseStatus: ...
    def check(self) -> LicenseStatus: ...
    def check_offline(self) -> LicenseStatus: ...
    def revalidate(self) -> LicenseStatus: ...
    def deactivate(
        self, force: bool = False
    ) -> Literal["slot_freed", "already_gone", "local_only", "no_seat"]: ...
    def start_trial(self) -> LicenseStatus:
        """Starts this machine's trial of ``trial_days``, or returns the existing one."""
    def release_instance(
        self, key: str, instance_id: str
    ) -> Literal["slot_freed", "already_gone"]:
        """Frees the seat of an instance of ``key``, on any machine."""
    def offline_request(self, key: str) -> str:
        """The request to activate ``key`` here offline, through the seller's relay."""
    def offline_activate(self, key: str, machine_file: str) -> LicenseStatus:
        """Activates ``key`` here from the relay's machine file, with no network."""
    def offline_deactivate(self) -> str:
        """Removes the offline activation; returns the proof that frees its seat."""
    def seats(self, key: str | None = None) -> list[Seat]:
        """The seats of ``key`` (or of this machine's activation's key); raises LicenseError
        with code 'UNSUPPORTED' where the provider cannot list them."""
    def fingerprint(self) -> str: ...
    def watch(
        self, interval: Seconds, callback: Callable[[LicenseStatus], object]
    ) -> WatchHandle: ...

class LicenseError(Exception):
    """A keyseat failure, with a stable ``code``."""

    code: str

class InvalidInputError(LicenseError): ...
class NetworkError(LicenseError): ...
class LimitReachedError(LicenseError): ...
class InactiveKeyError(LicenseError): ...
class KeyNotFoundError(LicenseError): ...
class WrongProductError(LicenseError): ...
class AmbiguousActivationError(LicenseError): ...
class NotActivatedError(LicenseError): ...
class AlreadyActivatedError(LicenseError): ...

def _stop_all_watches() -> None:
    """Stops every running watch (registered with atexit by the package)."""
