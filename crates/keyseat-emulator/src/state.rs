//! The emulated server's data (license keys, their instances, request counters) and the
//! behaviour of the three license endpoints, as Dodo's OpenAPI description
//! (`spec/dodo-licenses-openapi.yml`) and its API reference describe them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::http::Response;

/// A license key's status on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Turned off by the merchant.
    Disabled,
    /// Past its end.
    Expired,
}

/// One license key, as written in `keys.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySpec {
    /// The key itself.
    pub key: String,
    /// Status (default `active`).
    #[serde(default = "active")]
    pub status: KeyStatus,
    /// Most instances at once; `null` (the default) for unlimited.
    #[serde(default)]
    pub activations_limit: Option<u32>,
    /// RFC 3339 end of validity; `null` (the default) for perpetual. A past value counts as
    /// expired.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Product ID (default `pdt_emulator`).
    #[serde(default = "default_product_id")]
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
}

fn active() -> KeyStatus {
    KeyStatus::Active
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

    fn is_active(&self, now: jiff::Timestamp) -> bool {
        let expired = self
            .expires_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| t <= now);
        self.status == KeyStatus::Active && !expired
    }
}

/// One activation held on the emulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRecord {
    /// `lki_…`
    pub id: String,
    /// `lic_…` of the key it belongs to.
    pub license_key_id: String,
    /// Name sent on activation.
    pub name: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// The endpoints the emulator counts and can inject faults into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `POST /licenses/activate`
    Activate,
    /// `POST /licenses/validate`
    Validate,
    /// `POST /licenses/deactivate`
    Deactivate,
}

impl Endpoint {
    /// The endpoint a path names.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        match path {
            "/licenses/activate" => Some(Endpoint::Activate),
            "/licenses/validate" => Some(Endpoint::Validate),
            "/licenses/deactivate" => Some(Endpoint::Deactivate),
            _ => None,
        }
    }
}

struct KeyEntry {
    spec: KeySpec,
    license_key_id: String,
}

/// Everything the emulator knows.
#[derive(Default)]
pub struct State {
    keys: Vec<KeyEntry>,
    instances: Vec<InstanceRecord>,
    /// Requests received per endpoint (faulted ones included).
    pub counts: BTreeMap<Endpoint, u64>,
    /// Requests that carried an `Authorization` header (the client must never send one).
    pub authorization_headers: u64,
}

impl State {
    /// Adds a key, or replaces the one with the same text.
    pub fn upsert_key(&mut self, spec: KeySpec) {
        if let Some(entry) = self.keys.iter_mut().find(|e| e.spec.key == spec.key) {
            entry.spec = spec;
        } else {
            let license_key_id = format!("lic_{:04}", self.keys.len() + 1);
            self.keys.push(KeyEntry {
                spec,
                license_key_id,
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

    /// Serves one license request.
    pub fn handle(&mut self, endpoint: Endpoint, body: &[u8]) -> Response {
        let fields = match parse_body(endpoint, body) {
            Ok(fields) => fields,
            Err(why) => return Response::error(422, "INVALID_REQUEST_BODY", &why),
        };
        let key = fields
            .get("license_key")
            .and_then(Value::as_str)
            .unwrap_or("");
        let instance = fields
            .get("license_key_instance_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match endpoint {
            Endpoint::Activate => {
                let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
                self.activate(key, name)
            }
            Endpoint::Validate => self.validate(key, instance.as_deref()),
            Endpoint::Deactivate => self.deactivate(key, instance.as_deref().unwrap_or("")),
        }
    }

    fn activate(&mut self, key: &str, name: &str) -> Response {
        let now = jiff::Timestamp::now();
        let Some(entry) = self.keys.iter().find(|e| e.spec.key == key) else {
            return Response::error(404, "LICENSE_KEY_NOT_FOUND", "License key not found");
        };
        if !entry.spec.is_active(now) {
            return Response::error(403, "INACTIVE_LICENSE_KEY", "License key is not active");
        }
        let used = self
            .instances
            .iter()
            .filter(|i| i.license_key_id == entry.license_key_id)
            .count();
        if entry
            .spec
            .activations_limit
            .is_some_and(|limit| used >= limit as usize)
        {
            return Response::error(
                422,
                "LICENSE_KEY_LIMIT_REACHED",
                "License key activation limit reached",
            );
        }
        let record = InstanceRecord {
            id: format!("lki_{}", random_hex()),
            license_key_id: entry.license_key_id.clone(),
            name: name.to_owned(),
            created_at: now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
        };
        let spec = &entry.spec;
        let body = json!({
            "id": record.id,
            "business_id": "bus_emulator",
            "created_at": record.created_at,
            "customer": {
                "customer_id": spec.customer_id,
                "name": spec.customer_name,
                "email": spec.customer_email,
            },
            "license_key_id": record.license_key_id,
            "name": record.name,
            "product": { "product_id": spec.product_id, "name": spec.product_name },
        });
        self.instances.push(record);
        Response::json(201, &body)
    }

    fn validate(&self, key: &str, instance: Option<&str>) -> Response {
        let now = jiff::Timestamp::now();
        let valid = self
            .keys
            .iter()
            .find(|e| e.spec.key == key)
            .is_some_and(|entry| {
                entry.spec.is_active(now)
                    && instance.is_none_or(|id| {
                        self.instances
                            .iter()
                            .any(|i| i.id == id && i.license_key_id == entry.license_key_id)
                    })
            });
        Response::json(200, &json!({ "valid": valid }))
    }

    fn deactivate(&mut self, key: &str, instance: &str) -> Response {
        let Some(entry) = self.keys.iter().find(|e| e.spec.key == key) else {
            return Response::error(404, "LICENSE_KEY_NOT_FOUND", "License key not found");
        };
        let before = self.instances.len();
        let key_id = entry.license_key_id.clone();
        self.instances
            .retain(|i| !(i.id == instance && i.license_key_id == key_id));
        if self.instances.len() == before {
            return Response::error(
                403,
                "LICENSE_KEY_NOT_FOUND",
                "License key instance not found or does not belong to this license key",
            );
        }
        Response::empty(200)
    }
}

/// Checks a request body against the endpoint's schema: a JSON object with exactly the
/// allowed fields, the required ones present, each of the right type.
fn parse_body(endpoint: Endpoint, body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err("the body must be a JSON object".into());
    };
    // (name, required, nullable)
    let schema: &[(&str, bool, bool)] = match endpoint {
        Endpoint::Activate => &[("license_key", true, false), ("name", true, false)],
        Endpoint::Validate => &[
            ("license_key", true, false),
            ("license_key_instance_id", false, true),
        ],
        Endpoint::Deactivate => &[
            ("license_key", true, false),
            ("license_key_instance_id", true, false),
        ],
    };
    for name in fields.keys() {
        if !schema.iter().any(|(n, _, _)| n == name) {
            return Err(format!("unknown field `{name}`"));
        }
    }
    for (name, required, nullable) in schema {
        match fields.get(*name) {
            None if *required => return Err(format!("missing field `{name}`")),
            None | Some(Value::String(_)) => {}
            Some(Value::Null) if *nullable => {}
            Some(_) => return Err(format!("field `{name}` must be a string")),
        }
    }
    Ok(fields)
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Unique enough for a test server when the OS source fails.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let mut s = State::default();
        s.upsert_key(KeySpec::new("K1").with_limit(1));
        s
    }

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn schema_is_strict() {
        let mut s = state();
        for bad in [
            b"{".to_vec(),
            b"[]".to_vec(),
            body(json!({"license_key": "K1"})),
            body(json!({"license_key": "K1", "name": 3})),
            body(json!({"license_key": "K1", "name": "n", "extra": 1})),
        ] {
            assert_eq!(s.handle(Endpoint::Activate, &bad).status, 422);
        }
        let ok = body(json!({"license_key": "K1", "license_key_instance_id": null}));
        assert_eq!(s.handle(Endpoint::Validate, &ok).status, 200);
    }

    #[test]
    fn limit_and_expiry() {
        let mut s = state();
        let req = body(json!({"license_key": "K1", "name": "n"}));
        assert_eq!(s.handle(Endpoint::Activate, &req).status, 201);
        assert_eq!(s.handle(Endpoint::Activate, &req).status, 422);
        let mut spec = KeySpec::new("K2");
        spec.expires_at = Some("2000-01-01T00:00:00Z".into());
        s.upsert_key(spec);
        let req = body(json!({"license_key": "K2", "name": "n"}));
        assert_eq!(s.handle(Endpoint::Activate, &req).status, 403);
    }
}
