//! Statuses as plain JavaScript objects.

use std::time::{SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys};
use napi_derive::napi;

/// The license on this machine, as a plain object (`JSON.stringify` shows every field; none
/// is the key).
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct LicenseStatus {
    /// The state, with the same names as `licensectl --json`.
    #[napi(
        ts_type = "'not_activated' | 'active' | 'grace' | 'grace_expired' | 'revoked' | 'fingerprint_mismatch' | 'tampered' | 'clock_rollback' | 'wrong_product' | 'trial' | 'trial_expired' | 'unverified'"
    )]
    pub state: String,
    /// Whether the app should run as licensed (`active`, `grace` or `trial`).
    pub licensed: bool,
    /// Whether this call talked to the license server.
    pub network_used: bool,
    /// Who sold the key: `'dodo'`, `'lemonsqueezy'`, `'polar'`, `'keygen'` or `'relay'`.
    #[napi(ts_type = "'dodo' | 'lemonsqueezy' | 'polar' | 'keygen' | 'relay'")]
    pub provider: Option<String>,
    /// The product id (Dodo's `pdt_…`, the Lemon Squeezy product id, the Polar benefit id).
    pub product_id: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
    /// The customer's email address.
    pub customer_email: Option<String>,
    /// The activation's instance id (`lki_…`): what frees this machine's seat from another
    /// one (`releaseInstance`). Null for a key that holds no seat.
    pub instance_id: Option<String>,
    /// Whether the activation holds a seat on the server: false for a key that licenses by
    /// validation alone (a Polar key whose benefit has no activations).
    pub holds_seat: bool,
    /// When the key itself stops working, as the provider last said (Lemon Squeezy, Polar,
    /// Keygen, the relay).
    #[napi(ts_type = "Date")]
    pub expires_at: Option<JsTime>,
    /// How many activations the key allows at once, as the provider last said (null when
    /// it does not say).
    pub activation_limit: Option<u32>,
    /// How many of them are in use, as the provider last said (null when it does not say).
    pub activations_used: Option<u32>,
    /// The key's entitlements, as the provider last said (the relay's license-key grants);
    /// null when it does not say.
    pub entitlements: Option<Vec<Entitlement>>,
    /// The activation's name as the server recorded it (`Ada's ThinkPad (Windows 11) ·
    /// 3f9a2c`).
    pub instance_name: Option<String>,
    /// The key in redacted form (`****-8f43`), never the key.
    pub key_hint: Option<String>,
    /// When the activation was created on the server.
    #[napi(ts_type = "Date")]
    pub activated_at: Option<JsTime>,
    /// The last successful online validation.
    #[napi(ts_type = "Date")]
    pub last_validated: Option<JsTime>,
    /// When the license stops working if the server cannot be reached.
    #[napi(ts_type = "Date")]
    pub grace_deadline: Option<JsTime>,
    /// Where the credentials are kept.
    #[napi(ts_type = "'keyring' | 'file' | 'memory'")]
    pub key_storage: Option<String>,
    /// When this machine's local trial ends (or ended), when one was started.
    #[napi(ts_type = "Date")]
    pub trial_ends_at: Option<JsTime>,
    /// The name of an activation whose answer was lost (in the last 30 days, with no
    /// activation since): it may hold a seat the vendor can release.
    pub pending_activation_name: Option<String>,
    /// When that activation was sent.
    #[napi(ts_type = "Date")]
    pub pending_activation_at: Option<JsTime>,
    /// Whether what this machine stores is protected by a vendor secret of at least 16
    /// bytes: without one, anyone who knows the key can write license data that passes.
    pub local_state_protected: bool,
    /// Whether the activation is a relay's machine file (`offlineActivate`): licensed until
    /// `graceDeadline`, never asking the server.
    pub activated_offline: bool,
}

/// One entitlement of the key (a Dodo license-key grant, through the relay).
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Entitlement {
    /// The entitlement's id (`ent_…`).
    pub id: String,
    /// The grant's id (`entg_…`), when the provider gives it.
    pub grant_id: Option<String>,
    /// The grant's status in the provider's word (`Delivered`, `Revoked`, …).
    pub status: Option<String>,
    /// When the grant ends, when it does.
    #[napi(ts_type = "Date")]
    pub expires_at: Option<JsTime>,
}

impl From<&keyseat::api::Entitlement> for Entitlement {
    fn from(e: &keyseat::api::Entitlement) -> Entitlement {
        Entitlement {
            id: e.id.clone(),
            grant_id: e.grant_id.clone(),
            status: e.status.clone(),
            expires_at: e.expires_at.map(JsTime::from_unix),
        }
    }
}

/// One seat of a key (`seats()`).
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct Seat {
    /// The activation's id: what `releaseInstance(key, id)` frees.
    pub id: String,
    /// Its name (`Ada's ThinkPad (Windows 11) · 3f9a2c`).
    pub name: String,
    /// When it was made, when the provider says.
    #[napi(ts_type = "Date")]
    pub created_at: Option<JsTime>,
    /// Whether it is this machine's.
    pub this_machine: bool,
}

impl From<&keyseat::api::Seat> for Seat {
    fn from(s: &keyseat::api::Seat) -> Seat {
        Seat {
            id: s.id.as_str().to_owned(),
            name: s.name.clone(),
            created_at: s.created_at.map(JsTime::from_unix),
            this_machine: s.this_machine,
        }
    }
}

impl From<&keyseat::LicenseStatus> for LicenseStatus {
    fn from(s: &keyseat::LicenseStatus) -> LicenseStatus {
        LicenseStatus {
            state: s.state.name().to_owned(),
            licensed: s.is_licensed(),
            network_used: s.network_used,
            provider: s.provider.clone(),
            product_id: s.product_id.clone(),
            product_name: s.product_name.clone(),
            customer_email: s.customer_email.clone(),
            instance_id: s.instance_id.as_ref().map(|i| i.as_str().to_owned()),
            holds_seat: s.holds_seat,
            expires_at: s.expires_at.map(JsTime),
            activation_limit: s.activation_limit,
            activations_used: s.activations_used,
            entitlements: s
                .entitlements
                .as_ref()
                .map(|all| all.iter().map(Entitlement::from).collect()),
            instance_name: s.instance_name.clone(),
            key_hint: s.key_hint.clone(),
            activated_at: s.activated_at.map(JsTime),
            last_validated: s.last_validated.map(JsTime),
            grace_deadline: s.grace_deadline.map(JsTime),
            key_storage: s.key_storage.map(|k| k.as_str().to_owned()),
            trial_ends_at: s.trial_ends_at.map(JsTime),
            pending_activation_name: s.pending_activation.as_ref().map(|p| p.name.clone()),
            pending_activation_at: s.pending_activation.as_ref().map(|p| JsTime(p.at)),
            local_state_protected: s.local_state_protected,
            activated_offline: s.activated_offline,
        }
    }
}

/// A point in time that becomes a JavaScript `Date`.
pub struct JsTime(SystemTime);

impl JsTime {
    /// The time `secs` Unix seconds.
    fn from_unix(secs: i64) -> JsTime {
        let magnitude = std::time::Duration::from_secs(secs.unsigned_abs());
        JsTime(if secs >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        })
    }

    /// Milliseconds since the Unix epoch, negative before it.
    fn unix_millis(&self) -> f64 {
        match self.0.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64() * 1000.0,
            Err(before) => -before.duration().as_secs_f64() * 1000.0,
        }
    }
}

impl TypeName for JsTime {
    fn type_name() -> &'static str {
        "Date"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for JsTime {
    unsafe fn to_napi_value(env: sys::napi_env, val: JsTime) -> napi::Result<sys::napi_value> {
        let mut date = std::ptr::null_mut();
        // SAFETY: `env` is the live environment napi passed to this conversion, and `date`
        // is a valid place for the new value.
        check_status!(unsafe { sys::napi_create_date(env, val.unix_millis(), &mut date) })?;
        Ok(date)
    }
}
