//! The emulated servers' data, shared by every provider: license keys, their instances,
//! request counters. How each provider's endpoints read and answer is in
//! [`crate::provider`].

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

/// A license key's status on the server. Each provider's own words are accepted in
/// `keys.json`: Lemon Squeezy's `inactive` (no activations yet) and Polar's `granted` are
/// `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Usable.
    #[serde(alias = "granted", alias = "inactive", alias = "ACTIVE")]
    Active,
    /// Turned off by the merchant (Keygen: `SUSPENDED`).
    #[serde(alias = "SUSPENDED")]
    Disabled,
    /// Past its end.
    #[serde(alias = "EXPIRED")]
    Expired,
    /// Taken back (Polar, when the benefit is revoked; Keygen: `BANNED`).
    #[serde(alias = "BANNED")]
    Revoked,
}

/// One license key, as written in `keys.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySpec {
    /// The key itself.
    pub key: String,
    /// Who sold it: `dodo` (the default), `lemonsqueezy`, `polar` or `keygen`.
    #[serde(default = "dodo")]
    pub provider: String,
    /// The seller's account: the Lemon Squeezy store id (`store_id`, an integer) or the
    /// Polar organization id (`organization_id`, a UUID). Dodo keys have none.
    #[serde(
        default,
        alias = "store_id",
        alias = "organization_id",
        alias = "account",
        deserialize_with = "optional_id"
    )]
    pub account_id: Option<String>,
    /// The Lemon Squeezy variant id (an integer).
    #[serde(default, deserialize_with = "optional_id")]
    pub variant_id: Option<String>,
    /// The Keygen policy id.
    #[serde(default)]
    pub policy_id: Option<String>,
    /// Status (default `active`).
    #[serde(default = "active")]
    pub status: KeyStatus,
    /// Most instances at once (Lemon Squeezy's `activation_limit`, Polar's
    /// `limit_activations`). `null`, the default, is unlimited for Dodo and Lemon Squeezy,
    /// and "no activations" for Polar: such a key licenses by validation alone.
    #[serde(
        default,
        alias = "activation_limit",
        alias = "limit_activations",
        alias = "max_machines"
    )]
    pub activations_limit: Option<u32>,
    /// RFC 3339 end of validity; `null` (the default) for perpetual. A past value counts as
    /// expired.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Product ID (default `pdt_emulator`): Dodo's `pdt_…`, the Lemon Squeezy product id (an
    /// integer), the Polar benefit id (`benefit_id`, a UUID).
    #[serde(
        default = "default_product_id",
        alias = "benefit_id",
        deserialize_with = "id"
    )]
    pub product_id: String,
    /// Product name (default `null`).
    #[serde(default)]
    pub product_name: Option<String>,
    /// Customer ID (default `cus_emulator`).
    #[serde(default = "default_customer_id")]
    pub customer_id: String,
    /// Customer name (default `Emulated Customer`).
    #[serde(default = "default_customer_name")]
    pub customer_name: String,
    /// Customer email (default `customer@example.com`).
    #[serde(default = "default_customer_email")]
    pub customer_email: String,
    /// A Lemon Squeezy test-mode key (default false).
    #[serde(default)]
    pub test_mode: bool,
    /// The Dodo entitlement the key is granted through (default `ent_emulator`): its
    /// license-key grant is what Dodo's API lists for the customer, and what its webhooks
    /// carry.
    #[serde(default = "default_entitlement_id")]
    pub entitlement_id: String,
}

fn active() -> KeyStatus {
    KeyStatus::Active
}
fn dodo() -> String {
    "dodo".into()
}

/// An id written as a string or as an integer, kept as text.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(t) => t,
        Id::Number(n) => n.to_string(),
    })
}

fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "id")] String);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
}
/// The product id of a [`KeySpec`] that names none.
pub const DEFAULT_PRODUCT_ID: &str = "pdt_emulator";

fn default_product_id() -> String {
    DEFAULT_PRODUCT_ID.into()
}
fn default_customer_id() -> String {
    "cus_emulator".into()
}
fn default_customer_name() -> String {
    "Emulated Customer".into()
}
fn default_customer_email() -> String {
    "customer@example.com".into()
}
fn default_entitlement_id() -> String {
    "ent_emulator".into()
}

impl KeySpec {
    /// An active, perpetual key with unlimited activations and default customer data.
    pub fn new(key: &str) -> KeySpec {
        serde_json::from_value(json!({ "key": key })).expect("defaults are complete")
    }

    /// The same key with an activation limit.
    pub fn with_limit(mut self, limit: u32) -> KeySpec {
        self.activations_limit = Some(limit);
        self
    }

    /// The same key, sold through `provider` for the seller `account`.
    pub fn sold_by(mut self, provider: &str, account: &str) -> KeySpec {
        self.provider = provider.to_owned();
        self.account_id = Some(account.to_owned());
        self
    }

    /// The same key, of product (Polar: benefit) `product_id`.
    pub fn of_product(mut self, product_id: &str) -> KeySpec {
        self.product_id = product_id.to_owned();
        self
    }

    /// Whether the key's end has passed.
    pub(crate) fn is_past_expiry(&self, now: jiff::Timestamp) -> bool {
        self.status == KeyStatus::Expired
            || self
                .expires_at
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| t <= now)
    }

    /// Whether the key works now: active and not past its end.
    pub(crate) fn is_active(&self, now: jiff::Timestamp) -> bool {
        self.status == KeyStatus::Active && !self.is_past_expiry(now)
    }
}

/// One activation held on the emulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRecord {
    /// The instance (activation) id: Dodo's `lki_…`, a UUID for the others.
    pub id: String,
    /// The machine fingerprint it was made for (Keygen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The provider of the key it belongs to.
    pub provider: String,
    /// The id of the key it belongs to (Dodo's `lic_…`).
    pub license_key_id: String,
    /// Name sent on activation.
    pub name: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// The kinds of request the emulator counts and can inject faults into, whichever
/// provider's path they arrive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// Activate (Dodo `POST /licenses/activate`, …).
    Activate,
    /// Validate.
    Validate,
    /// Deactivate.
    Deactivate,
}

/// A key the emulator serves, with the id its provider gave it.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub spec: KeySpec,
    pub license_key_id: String,
    /// Its position among the keys, from 1: Lemon Squeezy's numeric id.
    pub number: usize,
}

/// Everything the emulator knows.
#[derive(Default)]
pub struct State {
    keys: Vec<KeyEntry>,
    instances: Vec<InstanceRecord>,
    /// Requests received per endpoint (faulted ones included).
    pub counts: BTreeMap<Endpoint, u64>,
    /// Requests received per provider and endpoint (faulted ones included).
    pub counts_by_provider: BTreeMap<(String, Endpoint), u64>,
    /// Requests that carried an `Authorization` header (the client must never send one,
    /// but to Keygen's machine routes, which authenticate with the license key).
    pub authorization_headers: u64,
    /// The key Keygen's answers are signed with.
    pub(crate) keygen_key: Option<std::sync::Arc<crate::signing::SigningKey>>,
    /// The API key Dodo's API-key endpoints accept (none: they refuse every call).
    pub(crate) api_key: Option<String>,
    /// Requests to Dodo's API-key endpoints, per route.
    pub(crate) api_counts: BTreeMap<&'static str, u64>,
    /// Dodo's rate limits, when kept, and the requests counted against them.
    pub(crate) rate_limits: Option<crate::rate_limit::RateLimits>,
    pub(crate) limiter: crate::rate_limit::Limiter,
    /// Where Dodo's webhooks go, and every one sent.
    pub(crate) webhook: Option<crate::webhooks::Target>,
    pub(crate) sent_webhooks: Vec<crate::webhooks::SentWebhook>,
}

impl State {
    /// Adds a key, or replaces the one with the same text; a new key's id is
    /// `license_key_id` of its position among the keys (from 1).
    pub(crate) fn upsert_key(
        &mut self,
        spec: KeySpec,
        license_key_id: impl FnOnce(&KeySpec, usize) -> String,
    ) {
        if let Some(entry) = self.keys.iter_mut().find(|e| e.spec.key == spec.key) {
            entry.spec = spec;
        } else {
            let number = self.keys.len() + 1;
            let license_key_id = license_key_id(&spec, number);
            self.keys.push(KeyEntry {
                spec,
                license_key_id,
                number,
            });
        }
    }

    /// Changes a key's status; false when the key is unknown.
    pub fn set_status(&mut self, key: &str, status: KeyStatus) -> bool {
        match self.keys.iter_mut().find(|e| e.spec.key == key) {
            Some(entry) => {
                entry.spec.status = status;
                if status == KeyStatus::Active {
                    entry.spec.expires_at = None;
                }
                true
            }
            None => false,
        }
    }

    /// Every instance held.
    pub fn instances(&self) -> Vec<InstanceRecord> {
        self.instances.clone()
    }

    /// Every key of `provider`.
    pub(crate) fn keys_of(&self, provider: &str) -> Vec<KeyEntry> {
        self.keys
            .iter()
            .filter(|e| e.spec.provider == provider)
            .cloned()
            .collect()
    }

    /// The instances of one key.
    pub fn instances_of(&self, key: &str) -> Vec<InstanceRecord> {
        match self.keys.iter().find(|e| e.spec.key == key) {
            Some(entry) => self
                .instances
                .iter()
                .filter(|i| i.license_key_id == entry.license_key_id)
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// The key `key` of `provider`, when the emulator serves it (a copy: answering also
    /// changes the state).
    pub(crate) fn key(&self, provider: &str, key: &str) -> Option<KeyEntry> {
        self.keys
            .iter()
            .find(|e| e.spec.provider == provider && e.spec.key == key)
            .cloned()
    }

    /// How many instances the key `license_key_id` holds.
    pub(crate) fn used(&self, license_key_id: &str) -> usize {
        self.instances
            .iter()
            .filter(|i| i.license_key_id == license_key_id)
            .count()
    }

    /// The instance `id` of the key `license_key_id`.
    pub(crate) fn instance(&self, license_key_id: &str, id: &str) -> Option<&InstanceRecord> {
        self.instances
            .iter()
            .find(|i| i.id == id && i.license_key_id == license_key_id)
    }

    /// Records a new instance of the key `license_key_id` of `provider`, with the id `id`.
    pub(crate) fn add_instance(
        &mut self,
        provider: &str,
        license_key_id: &str,
        id: String,
        name: &str,
        fingerprint: Option<&str>,
    ) -> InstanceRecord {
        let now = jiff::Timestamp::now();
        let record = InstanceRecord {
            id,
            fingerprint: fingerprint.map(str::to_owned),
            provider: provider.to_owned(),
            license_key_id: license_key_id.to_owned(),
            name: name.to_owned(),
            created_at: now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
        };
        self.instances.push(record.clone());
        record
    }

    /// Removes the instance `id` of the key `license_key_id`; false when there is none.
    pub(crate) fn remove_instance(&mut self, license_key_id: &str, id: &str) -> bool {
        let before = self.instances.len();
        self.instances
            .retain(|i| !(i.id == id && i.license_key_id == license_key_id));
        self.instances.len() != before
    }
}

/// 16 random hexadecimal digits.
pub(crate) fn random_hex() -> String {
    hex::encode(random_bytes::<8>())
}

/// A random (version 4) UUID, as Lemon Squeezy and Polar give their ids. Written here rather
/// than with the `uuid` crate: the emulator needs only this one line of formatting.
pub(crate) fn random_uuid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        // Unique enough for a test server when the OS source fails.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ i as u8;
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_json_takes_each_providers_words() {
        let spec: KeySpec = serde_json::from_value(json!({
            "key": "LS-1", "provider": "lemonsqueezy", "store_id": 7, "product_id": 4,
            "variant_id": 5, "status": "inactive", "activation_limit": 2
        }))
        .unwrap();
        assert_eq!(spec.account_id.as_deref(), Some("7"));
        assert_eq!(
            (spec.product_id.as_str(), spec.variant_id.as_deref()),
            ("4", Some("5"))
        );
        assert_eq!(
            (spec.status, spec.activations_limit),
            (KeyStatus::Active, Some(2))
        );
        let spec: KeySpec = serde_json::from_value(json!({
            "key": "P-1", "provider": "polar", "organization_id": "o", "benefit_id": "b",
            "status": "granted", "limit_activations": null
        }))
        .unwrap();
        assert_eq!(spec.account_id.as_deref(), Some("o"));
        assert_eq!(
            (spec.product_id.as_str(), spec.activations_limit),
            ("b", None)
        );
        assert_eq!(KeySpec::new("D").provider, "dodo");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = random_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, random_uuid());
    }
}
