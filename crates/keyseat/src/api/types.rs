//! The one model every provider's answers are read into.

use serde::{Deserialize, Serialize};

use crate::key::InstanceId;

/// One activation of a license key: the answer to activate, whichever provider gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Activation {
    /// The activation's id: Dodo's instance id (`lki_…`), Lemon Squeezy's instance id,
    /// Polar's activation id. For a key that holds no seat, the license key's id.
    pub id: InstanceId,
    /// The name the activation was given (Polar calls it a label).
    pub name: String,
    /// When the provider created it, as Unix seconds, when it said.
    pub created_at: Option<i64>,
    /// False for a key that licenses by validation alone and holds no seat (a Polar key
    /// whose benefit has no activations): there is nothing to deactivate on the server.
    pub holds_seat: bool,
    /// What the provider says about the key.
    pub license: License,
}

/// What a provider says about a license key. Fields a provider does not give are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct License {
    /// The license key's id (Dodo `lic_…`, Lemon Squeezy's number, Polar's UUID); not the
    /// key itself.
    pub license_key_id: String,
    /// The seller's account: Dodo's business id, the Lemon Squeezy store id, the Polar
    /// organization id.
    pub account_id: Option<String>,
    /// The product: Dodo's product id, the Lemon Squeezy product id, the Polar benefit id.
    pub product_id: String,
    /// The Lemon Squeezy variant id.
    pub variant_id: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
    /// The customer's email address.
    pub customer_email: Option<String>,
    /// The key's status in the provider's own word (`active`, `granted`, `disabled`, …).
    pub status: Option<String>,
    /// When the key stops working, as Unix seconds.
    pub expires_at: Option<i64>,
    /// How many activations the key allows at once.
    pub activation_limit: Option<u32>,
    /// Whether the key was made in the provider's test mode (Lemon Squeezy says so).
    pub test_mode: Option<bool>,
    /// How many of its activations the key uses (the relay, Lemon Squeezy and Polar say).
    #[serde(default)]
    pub activations_used: Option<u32>,
    /// The customer's entitlements that this key carries (the relay's license-key grants,
    /// Keygen's entitlements), when the provider says.
    #[serde(default)]
    pub entitlements: Option<Vec<Entitlement>>,
}

/// One entitlement a key carries: a Dodo license-key entitlement grant (through the relay),
/// or a Keygen entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Entitlement {
    /// The entitlement's id (Dodo's `ent_…`), or Keygen's entitlement code.
    pub id: String,
    /// The grant's id, when the entitlement is granted (Dodo's `entg_…`).
    pub grant_id: Option<String>,
    /// The grant's status in the provider's word (`Delivered`, `Revoked`, …).
    pub status: Option<String>,
    /// When the grant ends, as Unix seconds, when it does.
    pub expires_at: Option<i64>,
}

impl Entitlement {
    /// An entitlement known by its id alone.
    pub fn new(id: impl Into<String>) -> Entitlement {
        Entitlement {
            id: id.into(),
            grant_id: None,
            status: None,
            expires_at: None,
        }
    }
}

/// The answer to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validation {
    /// The provider's verdict: true when the key (and the activation, when one was named)
    /// is valid now.
    pub valid: bool,
    /// What the provider said about the key, when it said anything (Dodo says only
    /// `valid`).
    pub license: Option<License>,
    /// The provider says this machine holds no activation of the key (Keygen's
    /// `NO_MACHINE`: the seat was released, here or from elsewhere). Not a revocation: the
    /// key may be activated again.
    pub not_activated_here: bool,
    /// The activation the answer is about, when it names one (Lemon Squeezy's instance,
    /// Polar's activation): the Licensor compares it with the one it asked about.
    pub activation_id: Option<String>,
}

impl Validation {
    /// A verdict with nothing else.
    pub(crate) fn bare(valid: bool) -> Validation {
        Validation {
            valid,
            license: None,
            not_activated_here: false,
            activation_id: None,
        }
    }
}

/// One seat of a license key: an activation, on this machine or another. What a customer
/// sees to choose which one to free ([`crate::Licensor::release_instance`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Seat {
    /// The activation's id: what frees it.
    pub id: InstanceId,
    /// The activation's name (`Ada's ThinkPad (Windows 11) · 3f9a2c`).
    pub name: String,
    /// When it was made, as Unix seconds, when the provider says.
    pub created_at: Option<i64>,
    /// Whether it is this machine's.
    pub this_machine: bool,
}
