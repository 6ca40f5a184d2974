//! Every identifier that is written to a customer's machine or mixed into a hash, in one
//! place.
//!
//! keyseat was called licensekit until 2026-12. The identifiers below keep that old name on
//! purpose, byte for byte: each one is either read back from files, keychain entries and
//! caches that earlier releases wrote, or mixed into a MAC or a fingerprint. Renaming any of
//! them would cost every existing installation its activation (the cache would not parse or
//! verify, the keychain entry would not be found) or make a reinstalled machine look like a
//! new one (a changed fingerprint spends another activation slot). `tests/it/upgrade.rs`
//! loads what the releases of 2026-11 wrote, with no network, to hold them to that.
//!
//! Never change a value here. A new format gets a new constant beside the old one.

/// The cache file's `format` value.
pub(crate) const CACHE_FORMAT: &str = "licensekit-cache";

/// Domain separation of the vendor-secret id written into the cache (`secret_id`).
pub(crate) const CACHE_SECRET_ID_LABEL: &[u8] = b"licensekit vendor secret id v1\0";

/// Domain separation of the key derivation of the cache MAC.
pub(crate) const CACHE_MAC_LABEL: &[u8] = b"licensekit cache mac v1\0";

/// The HMAC key from which each app's fingerprint key is derived: changing it changes every
/// fingerprint.
pub(crate) const FINGERPRINT_KEY_LABEL: &[u8] = b"licensekit fingerprint app key v1";

/// The OS credential store's service name is this prefix followed by the app id
/// (`licensekit:com.example.PhotoTool`).
pub(crate) const KEYCHAIN_SERVICE_PREFIX: &str = "licensekit:";

/// The OS credential store's user name of the license entry.
pub(crate) const KEYCHAIN_LICENSE_USER: &str = "license";

/// Name of the cache file in the data directory.
pub const CACHE_FILE: &str = "license.json";

/// Name of the credentials file in the data directory.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// Name of the lock file in the data directory.
pub const LOCK_FILE: &str = "license.lock";

/// Name of the fallback machine-ID file in the data directory.
pub const FALLBACK_ID_FILE: &str = "machine-id";

/// Prefix of the temp files written in the data directory before being renamed into place:
/// the same as earlier releases', so that orphans a killed writer of either left behind are
/// recognised and removed.
pub(crate) const TEMP_PREFIX: &str = ".licensekit-";

/// Extension of an unusable cache file moved aside, followed by `-<unix time>`.
pub(crate) const SET_ASIDE_EXTENSION: &str = "json.corrupt";

// Identifiers first written by keyseat itself (release 0.2): never change these either.

/// Name of the trial record's copy in the data directory.
pub(crate) const TRIAL_FILE: &str = "trial.json";

/// The OS credential store's user name of the trial record's other copy (same service as the
/// license entry).
pub(crate) const KEYCHAIN_TRIAL_USER: &str = "trial";

/// The trial record's `format` value.
pub(crate) const TRIAL_FORMAT: &str = "keyseat-trial";

/// Domain separation of the key derivation of the trial record's MAC.
pub(crate) const TRIAL_MAC_LABEL: &[u8] = b"keyseat trial mac v1\0";

/// Name of the file remembering an activation whose answer was lost.
pub(crate) const PENDING_ACTIVATION_FILE: &str = "pending-activation.json";

// Identifiers first written by keyseat 0.3 (the sealed credentials): never change these either.

/// Domain separation of the key derivation of the credentials' MAC.
pub(crate) const CREDENTIALS_MAC_LABEL: &[u8] = b"keyseat credentials mac v1\0";
