//! Where the license key and instance ID are kept: the OS credential store through
//! `keyring-core` (the API of keyring 4) with the platform's native store (macOS Keychain,
//! Windows Credential Manager, the Secret Service over libdbus elsewhere), a file readable
//! only by the user, or memory.
//!
//! The store is keyseat's own: it does not set keyring-core's process-wide default, so a
//! host app using keyring-core itself is not disturbed.
//!
//! With [`KeyStorage::Keyring`], a store that is unavailable (headless Linux without a
//! Secret Service, a locked keychain) falls back to the file, and [`StorageKind`] reports
//! which one holds the credentials. The key is never silently dropped: if neither can be
//! written, the caller gets the error.

use crate::sync::Locked;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fingerprint::Components;
use crate::key::{InstanceId, LicenseKey};
use crate::persisted::{KEYCHAIN_LICENSE_USER, KEYCHAIN_SERVICE_PREFIX};

/// Which credential storage a Licensor should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyStorage {
    /// The OS credential store, falling back to a 0600 file when it is unavailable.
    #[default]
    Keyring,
    /// A file readable only by the user, in the data directory.
    File,
    /// Process memory only: nothing survives the process (demos, tests).
    Memory,
}

/// Which storage actually holds the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StorageKind {
    /// The OS credential store.
    Keyring,
    /// The file fallback.
    File,
    /// Memory.
    Memory,
}

impl KeyStorage {
    /// The storage named `keyring`, `file` or `memory` (the names the bindings and
    /// `licensectl` take), or `None` for any other name.
    pub fn from_name(name: &str) -> Option<KeyStorage> {
        match name {
            "keyring" => Some(KeyStorage::Keyring),
            "file" => Some(KeyStorage::File),
            "memory" => Some(KeyStorage::Memory),
            _ => None,
        }
    }
}

impl StorageKind {
    /// `keyring`, `file` or `memory`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Keyring => "keyring",
            StorageKind::File => "file",
            StorageKind::Memory => "memory",
        }
    }
}

/// What an activation leaves behind: the secret key, and what is needed to rebuild the
/// cache without another activation.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Credentials {
    #[serde(with = "key_serde")]
    pub key: LicenseKey,
    /// The activation's id; for a key that holds no seat, the license key's id.
    pub instance_id: InstanceId,
    pub license_key_id: String,
    pub product_id: String,
    #[serde(default)]
    pub product_name: Option<String>,
    /// The instance name the server recorded (absent in credentials of releases before 0.2).
    #[serde(default)]
    pub instance_name: Option<String>,
    /// Always present before 0.2 (Dodo always gives one); Polar may not.
    #[serde(default)]
    pub customer_email: Option<String>,
    #[serde(default)]
    pub activated_at: Option<i64>,
    /// The fingerprint at activation, so a rebuilt cache stays bound to this machine.
    pub fingerprint: Components,
    /// Who sold the key: `dodo`, `lemonsqueezy`, `polar`. Absent before 0.2: Dodo.
    #[serde(default)]
    pub provider: Option<String>,
    /// The seller's account as the server reported it (Dodo business, Lemon Squeezy store,
    /// Polar organization). Absent before 0.2.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The Lemon Squeezy variant.
    #[serde(default)]
    pub variant_id: Option<String>,
    /// False for a key that licenses by validation alone (no seat to free). Absent before
    /// 0.2: every activation then held a seat.
    #[serde(default = "holds_seat_before_0_2")]
    pub holds_seat: bool,
    /// When the key stops working, as the server said at activation.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The key's activation limit, as the server said at activation.
    #[serde(default)]
    pub activation_limit: Option<u32>,
    /// Whether the key is a test-mode key, as the server said at activation.
    #[serde(default)]
    pub test_mode: Option<bool>,
}

fn holds_seat_before_0_2() -> bool {
    true
}

impl Credentials {
    /// The provider that sold the key.
    pub fn provider_name(&self) -> &str {
        self.provider.as_deref().unwrap_or(DEFAULT_PROVIDER)
    }

    /// The activation to name to the server: none for a key that holds no seat.
    pub fn seat(&self) -> Option<&InstanceId> {
        self.holds_seat.then_some(&self.instance_id)
    }
}

/// The provider of credentials that name none: every release before 0.2 spoke only to Dodo.
const DEFAULT_PROVIDER: &str = "dodo";

mod key_serde {
    use crate::key::LicenseKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &LicenseKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(k.expose())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LicenseKey, D::Error> {
        let s = zeroize::Zeroizing::new(String::deserialize(d)?);
        LicenseKey::new(&s).map_err(|_| serde::de::Error::custom("stored license key is invalid"))
    }
}

use crate::persisted::CREDENTIALS_FILE;

/// The credential store of one application.
pub(crate) struct CredentialStore {
    mode: KeyStorage,
    service: String,
    file: PathBuf,
    memory: Mutex<Option<Credentials>>,
    /// Other entries kept in memory with [`KeyStorage::Memory`], by user name.
    memory_entries: Mutex<std::collections::HashMap<String, String>>,
    in_use: Mutex<Option<StorageKind>>,
    /// The credentials as last read or written, so that a check does not go to the keychain
    /// each time.
    remembered: Mutex<Option<Arc<Credentials>>>,
}

impl CredentialStore {
    pub fn new(mode: KeyStorage, app_id: &str, data_dir: &Path) -> CredentialStore {
        CredentialStore {
            mode,
            service: format!("{KEYCHAIN_SERVICE_PREFIX}{app_id}"),
            file: data_dir.join(CREDENTIALS_FILE),
            memory: Mutex::new(None),
            memory_entries: Mutex::new(std::collections::HashMap::new()),
            in_use: Mutex::new(None),
            remembered: Mutex::new(None),
        }
    }

    /// The storage holding the credentials, once known.
    pub fn kind(&self) -> Option<StorageKind> {
        *self.in_use.locked()
    }

    fn set_kind(&self, kind: Option<StorageKind>) {
        *self.in_use.locked() = kind;
    }

    /// The credentials: as remembered from the last read or write, or, with `reload` or
    /// when none are remembered, read from the store again (another process may have
    /// activated or deactivated meanwhile).
    pub fn current(&self, reload: bool) -> Result<Option<Arc<Credentials>>, Error> {
        if !reload && let Some(creds) = self.remembered.locked().clone() {
            return Ok(Some(creds));
        }
        let loaded = self.load()?.map(Arc::new);
        *self.remembered.locked() = loaded.clone();
        Ok(loaded)
    }

    /// Reads the credentials; `Ok(None)` when there are none.
    fn load(&self) -> Result<Option<Credentials>, Error> {
        match self.mode {
            KeyStorage::Memory => {
                let creds = self.memory.locked().clone();
                self.set_kind(creds.as_ref().map(|_| StorageKind::Memory));
                Ok(creds)
            }
            KeyStorage::File => {
                let creds = self.load_file()?;
                self.set_kind(creds.as_ref().map(|_| StorageKind::File));
                Ok(creds)
            }
            KeyStorage::Keyring => match self.load_keyring() {
                Ok(Some(creds)) => {
                    self.set_kind(Some(StorageKind::Keyring));
                    Ok(Some(creds))
                }
                Ok(None) | Err(_) => {
                    // Saved to the file while the keychain was unavailable, or never saved.
                    let creds = self.load_file()?;
                    self.set_kind(creds.as_ref().map(|_| StorageKind::File));
                    Ok(creds)
                }
            },
        }
    }

    /// Stores the credentials, returning where they went.
    pub fn save(&self, creds: &Credentials) -> Result<StorageKind, Error> {
        let kind = match self.mode {
            KeyStorage::Memory => {
                *self.memory.locked() = Some(creds.clone());
                StorageKind::Memory
            }
            KeyStorage::File => {
                self.save_file(creds)?;
                StorageKind::File
            }
            KeyStorage::Keyring => match self.save_keyring(creds) {
                Ok(()) => {
                    // A file left from an earlier fallback must not shadow the new credentials.
                    self.delete_file()?;
                    StorageKind::Keyring
                }
                Err(e) => {
                    log::warn!("OS credential store unavailable ({e}); using the file fallback");
                    self.save_file(creds)?;
                    StorageKind::File
                }
            },
        };
        self.set_kind(Some(kind));
        *self.remembered.locked() = Some(Arc::new(creds.clone()));
        Ok(kind)
    }

    /// Removes the credentials from every place they may be.
    pub fn delete(&self) -> Result<(), Error> {
        match self.mode {
            KeyStorage::Memory => {
                *self.memory.locked() = None;
            }
            KeyStorage::File => self.delete_file()?,
            KeyStorage::Keyring => {
                if let Ok(entry) = self.entry() {
                    match entry.delete_credential() {
                        Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                        Err(e) => log::warn!("could not delete from the OS credential store: {e}"),
                    }
                }
                self.delete_file()?;
            }
        }
        self.set_kind(None);
        *self.remembered.locked() = None;
        Ok(())
    }

    fn entry(&self) -> Result<keyring_core::Entry, keyring_core::Error> {
        self.entry_of(KEYCHAIN_LICENSE_USER)
    }

    fn entry_of(&self, user: &str) -> Result<keyring_core::Entry, keyring_core::Error> {
        os_store()?.build(&self.service, user, None)
    }

    /// Another of the app's entries in the credential store (the trial record's copy), by
    /// user name: `Ok(None)` when there is none, or when the storage is the file, which has
    /// no place apart from the data directory.
    pub fn read_entry(&self, user: &str) -> Result<Option<String>, Error> {
        match self.mode {
            KeyStorage::Memory => Ok(self.memory_entries.locked().get(user).cloned()),
            KeyStorage::File => Ok(None),
            KeyStorage::Keyring => {
                let entry = self
                    .entry_of(user)
                    .map_err(|e| Error::key_storage(e.to_string()))?;
                match entry.get_password() {
                    Ok(value) => Ok(Some(value)),
                    Err(keyring_core::Error::NoEntry) => Ok(None),
                    Err(e) => Err(Error::key_storage(e.to_string())),
                }
            }
        }
    }

    /// Whether the storage has a place apart from the data directory for other entries
    /// (the OS store, or memory).
    pub fn has_own_place(&self) -> bool {
        self.mode != KeyStorage::File
    }

    /// Writes another of the app's entries; returns whether a place apart from the data
    /// directory holds it now (false with file storage).
    pub fn write_entry(&self, user: &str, value: &str) -> Result<bool, Error> {
        match self.mode {
            KeyStorage::Memory => {
                self.memory_entries
                    .locked()
                    .insert(user.to_owned(), value.to_owned());
                Ok(true)
            }
            KeyStorage::File => Ok(false),
            KeyStorage::Keyring => {
                let entry = self
                    .entry_of(user)
                    .map_err(|e| Error::key_storage(e.to_string()))?;
                entry
                    .set_password(value)
                    .map_err(|e| Error::key_storage(e.to_string()))?;
                Ok(true)
            }
        }
    }

    fn load_keyring(&self) -> Result<Option<Credentials>, Error> {
        let entry = self
            .entry()
            .map_err(|e| Error::key_storage(e.to_string()))?;
        match entry.get_password() {
            Ok(secret) => {
                let secret = zeroize::Zeroizing::new(secret);
                serde_json::from_str(&secret).map(Some).map_err(|_| {
                    Error::key_storage("the OS credential store holds unreadable credentials")
                })
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::key_storage(e.to_string())),
        }
    }

    fn save_keyring(&self, creds: &Credentials) -> Result<(), Error> {
        let entry = self
            .entry()
            .map_err(|e| Error::key_storage(e.to_string()))?;
        let secret = zeroize::Zeroizing::new(to_json(creds)?);
        entry
            .set_password(&secret)
            .map_err(|e| Error::key_storage(e.to_string()))?;
        // Read it back: some stores accept a write they cannot keep (a locked keychain).
        match self.load_keyring()? {
            Some(back) if back.instance_id == creds.instance_id => Ok(()),
            _ => Err(Error::key_storage(
                "the OS credential store did not keep the credentials",
            )),
        }
    }

    fn load_file(&self) -> Result<Option<Credentials>, Error> {
        match std::fs::read(&self.file) {
            Ok(bytes) => {
                let bytes = zeroize::Zeroizing::new(bytes);
                serde_json::from_slice(&bytes).map(Some).map_err(|_| {
                    Error::key_storage(format!("{} is unreadable", self.file.display()))
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&self.file, e)),
        }
    }

    fn save_file(&self, creds: &Credentials) -> Result<(), Error> {
        let json = zeroize::Zeroizing::new(to_json(creds)?);
        crate::fsutil::replace(&self.file, json.as_bytes())
    }

    fn delete_file(&self) -> Result<(), Error> {
        crate::fsutil::remove(&self.file)
    }
}

/// The platform's credential store, opened once per process.
fn os_store() -> Result<Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    static STORE: OnceLock<Result<Arc<keyring_core::CredentialStore>, String>> = OnceLock::new();
    STORE
        .get_or_init(|| open_os_store().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| keyring_core::Error::NoStorageAccess(e.into()))
}

#[cfg(target_os = "macos")]
fn open_os_store() -> Result<Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn open_os_store() -> Result<Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn open_os_store() -> Result<Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    Ok(dbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(not(any(unix, windows)))]
fn open_os_store() -> Result<Arc<keyring_core::CredentialStore>, keyring_core::Error> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no OS credential store on this platform".into(),
    ))
}

fn to_json(creds: &Credentials) -> Result<String, Error> {
    serde_json::to_string(creds)
        .map_err(|e| Error::key_storage("the credentials could not be encoded").with_source(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_storage_by_name() {
        for kind in [StorageKind::Keyring, StorageKind::File, StorageKind::Memory] {
            let storage = KeyStorage::from_name(kind.as_str()).unwrap();
            assert_eq!(format!("{storage:?}"), format!("{kind:?}"));
        }
        assert_eq!(KeyStorage::from_name("cloud"), None);
        assert_eq!(KeyStorage::from_name("File"), None);
    }
}
