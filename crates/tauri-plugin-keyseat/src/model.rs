//! What crosses to the web side: the license status, the key's seats, and errors, as JSON
//! with camelCase names. Never the key: a status carries its redacted form only.

use std::time::SystemTime;

use serde::Serialize;

/// A point in time as RFC 3339 (UTC), or null.
fn time(t: Option<SystemTime>) -> Option<String> {
    t.and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
}

/// Unix seconds as RFC 3339.
fn unix(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.to_string())
}

/// The license on this machine (`status`, `activate`, `startTrial`, and the
/// `keyseat://status-changed` event).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// `not_activated`, `active`, `grace`, `grace_expired`, `revoked`,
    /// `fingerprint_mismatch`, `tampered`, `clock_rollback`, `wrong_product`, `trial`,
    /// `trial_expired` or `unverified`.
    pub state: String,
    /// Whether the app should run as licensed.
    pub licensed: bool,
    /// Whether this call talked to the license server.
    pub network_used: bool,
    /// Who sold the key.
    pub provider: Option<String>,
    /// The product id.
    pub product_id: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
    /// The customer's email address.
    pub customer_email: Option<String>,
    /// The activation's instance id: what frees this machine's seat from another one.
    pub instance_id: Option<String>,
    /// The activation's name, as the server recorded it.
    pub instance_name: Option<String>,
    /// Whether the activation holds a seat on the server.
    pub holds_seat: bool,
    /// When the key itself stops working, as the provider last said.
    pub expires_at: Option<String>,
    /// The key's activation limit, as the provider last said.
    pub activation_limit: Option<u32>,
    /// The key's activations in use, as the provider last said.
    pub activations_used: Option<u32>,
    /// The key's entitlements, as the provider last said (null: it does not say).
    pub entitlements: Option<Vec<Entitlement>>,
    /// The key in redacted form (`****-8f43`), never the key.
    pub key_hint: Option<String>,
    /// When the activation was made.
    pub activated_at: Option<String>,
    /// The last successful online validation.
    pub last_validated: Option<String>,
    /// When the license stops working if the server cannot be reached.
    pub grace_deadline: Option<String>,
    /// When this machine's trial ends (or ended).
    pub trial_ends_at: Option<String>,
    /// Where the key is kept: `keyring`, `file` or `memory`.
    pub key_storage: Option<String>,
    /// Whether a vendor secret of at least 16 bytes protects the local license data.
    pub local_state_protected: bool,
    /// Whether the activation is a relay's machine file (offline).
    pub activated_offline: bool,
}

impl From<&keyseat::LicenseStatus> for Status {
    fn from(s: &keyseat::LicenseStatus) -> Status {
        Status {
            state: s.state.name().to_owned(),
            licensed: s.is_licensed(),
            network_used: s.network_used,
            provider: s.provider.clone(),
            product_id: s.product_id.clone(),
            product_name: s.product_name.clone(),
            customer_email: s.customer_email.clone(),
            instance_id: s.instance_id.as_ref().map(|i| i.as_str().to_owned()),
            instance_name: s.instance_name.clone(),
            holds_seat: s.holds_seat,
            expires_at: time(s.expires_at),
            activation_limit: s.activation_limit,
            activations_used: s.activations_used,
            entitlements: s
                .entitlements
                .as_ref()
                .map(|all| all.iter().map(Entitlement::from).collect()),
            key_hint: s.key_hint.clone(),
            activated_at: time(s.activated_at),
            last_validated: time(s.last_validated),
            grace_deadline: time(s.grace_deadline),
            trial_ends_at: time(s.trial_ends_at),
            key_storage: s.key_storage.map(|k| k.as_str().to_owned()),
            local_state_protected: s.local_state_protected,
            activated_offline: s.activated_offline,
        }
    }
}

/// One entitlement of the key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entitlement {
    /// Its id.
    pub id: String,
    /// The grant's id.
    pub grant_id: Option<String>,
    /// The grant's status, in the provider's word.
    pub status: Option<String>,
    /// When the grant ends.
    pub expires_at: Option<String>,
}

impl From<&keyseat::api::Entitlement> for Entitlement {
    fn from(e: &keyseat::api::Entitlement) -> Entitlement {
        Entitlement {
            id: e.id.clone(),
            grant_id: e.grant_id.clone(),
            status: e.status.clone(),
            expires_at: unix(e.expires_at),
        }
    }
}

/// One seat of the key (`seats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seat {
    /// The activation's id: what `releaseInstance(key, id)` frees.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: Option<String>,
    /// Whether it is this machine's.
    pub this_machine: bool,
}

impl From<&keyseat::api::Seat> for Seat {
    fn from(s: &keyseat::api::Seat) -> Seat {
        Seat {
            id: s.id.as_str().to_owned(),
            name: s.name.clone(),
            created_at: unix(s.created_at),
            this_machine: s.this_machine,
        }
    }
}

/// A failure, as the web side receives it: the stable code (`LIMIT_REACHED`, …, as
/// keyseat's other bindings name them) and a message, neither holding the key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Error {
    /// The code.
    pub code: String,
    /// What happened, in words.
    pub message: String,
}

impl From<keyseat::Error> for Error {
    fn from(e: keyseat::Error) -> Error {
        Error {
            code: e.code().name().to_owned(),
            message: e.to_string(),
        }
    }
}

impl Error {
    /// A failure of the plugin itself (a background task that did not finish).
    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error {
            code: "OTHER".into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for Error {}
