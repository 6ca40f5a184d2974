//! The machine fingerprint: which machine an activation is bound to.
//!
//! A fingerprint is six components, each an HMAC-SHA256 of one machine fact keyed by an
//! application-specific key (derived from the app identity the caller gives, as
//! machine-id(5) advises), so that:
//! - the raw machine ID never leaves the process, not even as a plain SHA-256;
//! - two vendors on one machine get unrelated fingerprints;
//! - components can be compared one by one, for tolerance to small changes.
//!
//! The components: the OS machine ID (Linux `/etc/machine-id` then `/var/lib/dbus/machine-id`;
//! macOS `IOPlatformUUID`; Windows `MachineGuid`), the hostname, the OS name and major version,
//! the CPU brand and architecture, total RAM rounded to GiB, and the MAC of the primary
//! physical network interface.
//!
//! ## Matching rule
//! [`Fingerprint::matches`] compares against a stored [`Components`]:
//! - **exact** when the machine-ID component matches (other changes are listed, not counted);
//! - **fuzzy** when it does not, but at least [`FUZZY_MIN_MATCHES`] (3) of the other five
//!   components are present on both sides and equal: an OS reinstall that regenerated the ID
//!   on the same hardware, or such a change plus a hostname change or RAM upgrade;
//! - **mismatch** otherwise.
//!
//! ## Without a machine ID
//! In containers and minimal images with no machine ID, a random ID is generated once and
//! kept in the app's data directory (`machine-id` there), and the fingerprint is marked
//! [`Confidence::Low`]. A vendor may instead supply its own ID
//! ([`FingerprintBuilder::vendor_machine_id`]). No environment variable can override any of
//! this: that would let anyone clone an activation.

mod host_kind;
mod sources;

use std::fmt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub use host_kind::HostKind;
pub use sources::RawComponents;

use crate::error::{Error, ErrorKind};

/// How many of the five non-machine-ID components must match for a fuzzy match.
pub const FUZZY_MIN_MATCHES: usize = 3;

/// Longest instance name [`Fingerprint::instance_name`] returns, in characters.
pub const MAX_INSTANCE_NAME: usize = 64;

/// One 32-byte component hash, shown as lower-case hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn from_hex(s: &str) -> Option<Digest> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Digest(out))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex()[..12])
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("not a 64-digit hex digest"))
    }
}

/// The hashed components of a fingerprint: what is stored and compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    /// The machine ID.
    pub machine_id: Digest,
    /// The hostname.
    pub hostname: Option<Digest>,
    /// OS name and major version.
    pub os: Option<Digest>,
    /// CPU brand and architecture.
    pub cpu: Option<Digest>,
    /// Total RAM in GiB.
    pub ram: Option<Digest>,
    /// MAC of the primary physical interface.
    pub mac: Option<Digest>,
}

/// Names of the components, for reporting what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Component {
    /// The machine ID.
    MachineId,
    /// The hostname.
    Hostname,
    /// OS name and major version.
    Os,
    /// CPU brand and architecture.
    Cpu,
    /// Total RAM.
    Ram,
    /// Primary MAC address.
    Mac,
}

/// Where the machine ID came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Confidence {
    /// The OS machine ID.
    High,
    /// An ID the vendor supplied.
    Vendor,
    /// A random ID kept in the data directory, because the OS has none: deleting the
    /// directory makes a new machine.
    Low,
}

/// How a current fingerprint compares with a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MatchKind {
    /// The machine ID matches.
    Exact,
    /// The machine ID differs but enough other components match.
    Fuzzy,
    /// A different machine.
    Mismatch,
}

impl MatchKind {
    /// `exact`, `fuzzy` or `mismatch`.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Fuzzy => "fuzzy",
            MatchKind::Mismatch => "mismatch",
        }
    }
}

/// The result of [`Fingerprint::matches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Exact, fuzzy or mismatch.
    pub kind: MatchKind,
    /// The components that differ (or are missing on one side).
    pub changed: Vec<Component>,
}

impl Match {
    /// True for exact and fuzzy matches.
    pub fn is_same_machine(&self) -> bool {
        self.kind != MatchKind::Mismatch
    }
}

/// This machine's fingerprint for one application.
#[derive(Clone)]
pub struct Fingerprint {
    components: Components,
    confidence: Confidence,
    host_kind: HostKind,
    hostname: Option<String>,
    /// The OS name and major version, for the instance name.
    os: Option<String>,
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fingerprint")
            .field("short", &self.short())
            .field("confidence", &self.confidence)
            .field("host_kind", &self.host_kind)
            .finish()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

impl Fingerprint {
    /// Starts a [`FingerprintBuilder`] for the application identified by `app_id` (for
    /// example `com.example.MyApp`; the Licensor passes `qualifier.organisation.application`).
    pub fn builder(app_id: &str) -> FingerprintBuilder {
        FingerprintBuilder {
            app_id: app_id.to_owned(),
            vendor_id: None,
            fallback_dir: None,
        }
    }

    /// Builds a fingerprint from facts already read (a vendor's own, or a test's).
    pub fn from_raw(app_id: &str, raw: &RawComponents, confidence: Confidence) -> Fingerprint {
        let key = app_key(app_id);
        let part = |label: &str, value: Option<&str>| value.map(|v| component(&key, label, v));
        let ram = raw.ram_gib.map(|g| g.to_string());
        Fingerprint {
            components: Components {
                machine_id: component(&key, "machine_id", &raw.machine_id),
                hostname: part("hostname", raw.hostname.as_deref()),
                os: part("os", raw.os.as_deref()),
                cpu: part("cpu", raw.cpu.as_deref()),
                ram: part("ram", ram.as_deref()),
                mac: part("mac", raw.mac.as_deref()),
            },
            confidence,
            host_kind: HostKind::NoneDetected,
            hostname: raw.hostname.clone(),
            os: raw.os.clone(),
        }
    }

    /// The fingerprint as 64 hex characters: the machine-ID component.
    pub fn id(&self) -> String {
        self.components.machine_id.to_hex()
    }

    /// The first 12 hex characters, for people.
    pub fn short(&self) -> String {
        self.id()[..12].to_owned()
    }

    /// The hashed components.
    pub fn components(&self) -> &Components {
        &self.components
    }

    /// Where the machine ID came from.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// Whether the host looks like a container or a VM.
    pub fn host_kind(&self) -> HostKind {
        self.host_kind
    }

    /// A name for the activation that a person recognises in the vendor's dashboard:
    /// `<host name> (<OS name and version>) · <6-hex tag of the fingerprint>`, for example
    /// `Ada's ThinkPad (Windows 11) · 3f9a2c`, or `(macOS 15) · 3f9a2c` without the host
    /// name (`include_host` false, for privacy). At most [`MAX_INSTANCE_NAME`] characters,
    /// control characters removed; the host name is shortened to fit.
    pub fn instance_name(&self, include_host: bool) -> String {
        let clean = |s: &str, max: usize| -> String {
            let kept: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
            kept.trim().to_owned()
        };
        let tag = &self.id()[..6];
        let os = self
            .os
            .as_deref()
            .map(|os| clean(&os_display_name(os), 32))
            .filter(|os| !os.is_empty());
        let suffix = match &os {
            Some(os) => format!("({os}) · {tag}"),
            None => format!("· {tag}"),
        };
        let room = MAX_INSTANCE_NAME - suffix.chars().count() - 1;
        let host = if include_host {
            clean(self.hostname.as_deref().unwrap_or(""), room)
        } else {
            String::new()
        };
        match (host.is_empty(), os.is_some()) {
            (false, _) => format!("{host} {suffix}"),
            (true, true) => suffix,
            (true, false) => tag.to_owned(),
        }
    }

    /// Compares with a stored fingerprint; see the module docs for the rule.
    pub fn matches(&self, stored: &Components) -> Match {
        let now = &self.components;
        let mut changed = Vec::new();
        let mut others_equal = 0;
        let pairs = [
            (Component::Hostname, now.hostname, stored.hostname),
            (Component::Os, now.os, stored.os),
            (Component::Cpu, now.cpu, stored.cpu),
            (Component::Ram, now.ram, stored.ram),
            (Component::Mac, now.mac, stored.mac),
        ];
        for (name, a, b) in pairs {
            match (a, b) {
                (Some(a), Some(b)) if a == b => others_equal += 1,
                (None, None) => {}
                _ => changed.push(name),
            }
        }
        let kind = if now.machine_id == stored.machine_id {
            MatchKind::Exact
        } else {
            changed.insert(0, Component::MachineId);
            if others_equal >= FUZZY_MIN_MATCHES {
                MatchKind::Fuzzy
            } else {
                MatchKind::Mismatch
            }
        };
        Match { kind, changed }
    }
}

/// Options for computing a [`Fingerprint`].
#[derive(Debug, Clone)]
pub struct FingerprintBuilder {
    app_id: String,
    vendor_id: Option<String>,
    fallback_dir: Option<PathBuf>,
}

impl FingerprintBuilder {
    /// Uses the vendor's own machine ID (for example one their installer wrote) instead of
    /// the OS one.
    pub fn vendor_machine_id(mut self, id: impl Into<String>) -> Self {
        self.vendor_id = Some(id.into());
        self
    }

    /// Where to keep a generated ID when the OS has none (the app's data directory).
    pub fn fallback_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fallback_dir = Some(dir.into());
        self
    }

    /// Reads the machine and computes the fingerprint.
    ///
    /// # Errors
    /// When the OS has no machine ID and the fallback ID can neither be read nor created
    /// (no fallback directory given, or it is not writable).
    pub fn compute(self) -> Result<Fingerprint, Error> {
        let (machine_id, confidence) = match self.vendor_id.as_deref().and_then(sources::usable_id)
        {
            Some(id) => (id, Confidence::Vendor),
            None => match sources::os_machine_id() {
                Some(id) => (id, Confidence::High),
                None => {
                    let dir = self.fallback_dir.as_deref().ok_or_else(|| {
                        Error::invalid_input(
                            "this machine has no machine ID and no fallback directory was given",
                        )
                    })?;
                    log::warn!(
                        "no OS machine ID; using the fallback ID kept in {}",
                        dir.display()
                    );
                    (fallback_id(dir)?, Confidence::Low)
                }
            },
        };
        let raw = sources::read_other_components(machine_id);
        let mut fingerprint = Fingerprint::from_raw(&self.app_id, &raw, confidence);
        fingerprint.host_kind = HostKind::detect();
        Ok(fingerprint)
    }
}

pub use crate::persisted::FALLBACK_ID_FILE;

/// Reads the fallback ID, creating it (atomically, never overwriting) when absent.
fn fallback_id(dir: &Path) -> Result<String, Error> {
    let path = dir.join(FALLBACK_ID_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Some(id) = sources::usable_id(&text) {
            return Ok(id);
        }
        log::warn!("{} is unusable; keeping it and failing", path.display());
        return Err(Error::invalid_input(format!(
            "the fallback machine ID in {} is unusable",
            path.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::new(ErrorKind::Random(e.to_string())))?;
    let id = hex::encode(bytes);
    let tmp = crate::fsutil::write_temp(dir, format!("{id}\n").as_bytes())?;
    match tmp.persist_noclobber(&path) {
        Ok(_) => {
            crate::fsutil::sync_dir(dir);
            Ok(id)
        }
        // Another process created it first: use theirs.
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            sources::usable_id(&text)
                .ok_or_else(|| Error::invalid_input("the fallback machine ID is unusable"))
        }
        Err(e) => Err(Error::io(&path, e.error)),
    }
}

/// The OS as people call it: `Darwin 15` (as the OS reports itself) is `macOS 15`.
fn os_display_name(os: &str) -> String {
    match os.strip_prefix("Darwin") {
        Some(version) => format!("macOS{version}"),
        None => os.to_owned(),
    }
}

/// The per-application HMAC key.
fn app_key(app_id: &str) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(crate::persisted::FINGERPRINT_KEY_LABEL)
            .expect("HMAC takes any key length");
    mac.update(app_id.as_bytes());
    mac.finalize().into_bytes().into()
}

fn component(key: &[u8; 32], label: &str, value: &str) -> Digest {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    Digest(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests;
