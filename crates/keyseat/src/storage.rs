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

use zeroize::Zeroizing;

use crate::credentials::{self, Credentials, Opened};
use crate::error::Error;
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

use crate::persisted::CREDENTIALS_FILE;

/// The credential store of one application. It keeps credentials sealed with the app's
/// vendor secret ([`crate::credentials`]), and opens them on the way back.
pub(crate) struct CredentialStore {
    mode: KeyStorage,
    service: String,
    file: PathBuf,
    vendor_secret: Zeroizing<Vec<u8>>,
    /// The sealed credentials with [`KeyStorage::Memory`].
    memory: Mutex<Option<Zeroizing<String>>>,
    /// Other entries kept in memory with [`KeyStorage::Memory`], by user name.
    memory_entries: Mutex<std::collections::HashMap<String, String>>,
    in_use: Mutex<Option<StorageKind>>,
    /// The credentials as last read or written, so that a check does not go to the keychain
    /// each time.
    remembered: Mutex<Option<Opened>>,
    /// In tests: the other entries cannot be read, as with a locked keychain.
    #[cfg(test)]
    entries_unreadable: bool,
}

impl CredentialStore {
    /// The store of the app `app_id`, whose files live in `data_dir`, sealing with
    /// `vendor_secret`.
    pub fn new(
        mode: KeyStorage,
        app_id: &str,
        data_dir: &Path,
        vendor_secret: &[u8],
    ) -> CredentialStore {
        CredentialStore {
            mode,
            service: format!("{KEYCHAIN_SERVICE_PREFIX}{app_id}"),
            file: data_dir.join(CREDENTIALS_FILE),
            vendor_secret: Zeroizing::new(vendor_secret.to_vec()),
            memory: Mutex::new(None),
            memory_entries: Mutex::new(std::collections::HashMap::new()),
            in_use: Mutex::new(None),
            remembered: Mutex::new(None),
            #[cfg(test)]
            entries_unreadable: false,
        }
    }

    /// In tests: this store, with its other entries unreadable (a locked keychain).
    #[cfg(test)]
    pub(crate) fn with_entries_unreadable(mut self) -> CredentialStore {
        self.entries_unreadable = true;
        self
    }

    /// The storage holding the credentials, once known.
    pub fn kind(&self) -> Option<StorageKind> {
        *self.in_use.locked()
    }

    fn set_kind(&self, kind: Option<StorageKind>) {
        *self.in_use.locked() = kind;
    }

    /// The credentials, opened: as remembered from the last read or write, or, with `reload`
    /// or when none are remembered, read from the store again (another process may have
    /// activated or deactivated meanwhile).
    pub fn current(&self, reload: bool) -> Result<Option<Opened>, Error> {
        if !reload && let Some(opened) = self.remembered.locked().clone() {
            return Ok(Some(opened));
        }
        let loaded = self
            .load()?
            .map(|text| credentials::open(text.as_bytes(), &self.vendor_secret));
        *self.remembered.locked() = loaded.clone();
        Ok(loaded)
    }

    /// Where the credentials are when they are kept in a file (for messages).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Reads the stored credentials' text; `Ok(None)` when there are none.
    fn load(&self) -> Result<Option<Zeroizing<String>>, Error> {
        let (text, kind) = match self.mode {
            KeyStorage::Memory => (self.memory.locked().clone(), StorageKind::Memory),
            KeyStorage::File => (self.load_file()?, StorageKind::File),
            KeyStorage::Keyring => match self.load_keyring() {
                Ok(Some(text)) => (Some(text), StorageKind::Keyring),
                Ok(None) | Err(_) => {
                    // Saved to the file while the keychain was unavailable, or never saved.
                    (self.load_file()?, StorageKind::File)
                }
            },
        };
        self.set_kind(text.as_ref().map(|_| kind));
        Ok(text)
    }

    /// Seals and stores the credentials, returning where they went.
    pub fn save(&self, creds: &Credentials) -> Result<StorageKind, Error> {
        let sealed = credentials::seal(creds, &self.vendor_secret).map_err(|e| {
            Error::key_storage("the credentials could not be encoded").with_source(e)
        })?;
        let kind = match self.mode {
            KeyStorage::Memory => {
                *self.memory.locked() = Some(sealed);
                StorageKind::Memory
            }
            KeyStorage::File => {
                self.save_file(&sealed)?;
                StorageKind::File
            }
            KeyStorage::Keyring => match self.save_keyring(&sealed, creds) {
                Ok(()) => {
                    // A file left from an earlier fallback must not shadow the new credentials.
                    self.delete_file()?;
                    StorageKind::Keyring
                }
                Err(e) => {
                    log::warn!("OS credential store unavailable ({e}); using the file fallback");
                    self.save_file(&sealed)?;
                    StorageKind::File
                }
            },
        };
        self.set_kind(Some(kind));
        *self.remembered.locked() = Some(Opened::Sealed(Arc::new(creds.clone())));
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
        #[cfg(test)]
        if self.entries_unreadable {
            return Err(Error::key_storage("the keychain is locked (a test's)"));
        }
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

    fn load_keyring(&self) -> Result<Option<Zeroizing<String>>, Error> {
        let entry = self
            .entry()
            .map_err(|e| Error::key_storage(e.to_string()))?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::key_storage(e.to_string())),
        }
    }

    fn save_keyring(&self, sealed: &str, creds: &Credentials) -> Result<(), Error> {
        let entry = self
            .entry()
            .map_err(|e| Error::key_storage(e.to_string()))?;
        entry
            .set_password(sealed)
            .map_err(|e| Error::key_storage(e.to_string()))?;
        // Read it back: some stores accept a write they cannot keep (a locked keychain).
        let back = self.load_keyring()?;
        match back.map(|text| credentials::open(text.as_bytes(), &self.vendor_secret)) {
            Some(Opened::Sealed(back)) if back.instance_id == creds.instance_id => Ok(()),
            _ => Err(Error::key_storage(
                "the OS credential store did not keep the credentials",
            )),
        }
    }

    fn load_file(&self) -> Result<Option<Zeroizing<String>>, Error> {
        match std::fs::read(&self.file) {
            // Bytes that are not UTF-8 are no credentials: opening them says so.
            Ok(bytes) => Ok(Some(Zeroizing::new(
                String::from_utf8(bytes).unwrap_or_default(),
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&self.file, e)),
        }
    }

    fn save_file(&self, sealed: &str) -> Result<(), Error> {
        crate::fsutil::replace(&self.file, sealed.as_bytes())
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
