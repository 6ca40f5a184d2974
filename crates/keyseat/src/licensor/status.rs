//! What a license check returns.

use std::time::SystemTime;

use crate::clock::from_unix;
use crate::credentials::Credentials;
use crate::facts::KeyFacts;
use crate::fingerprint::{Match, MatchKind};
use crate::key::InstanceId;
use crate::storage::StorageKind;

/// The state of the license on this machine. New states may be added in minor releases:
/// match on [`LicenseState::is_licensed`] for the one decision every app makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LicenseState {
    /// No activation on this machine.
    NotActivated,
    /// Activated and confirmed by the server within the revalidation interval.
    Active,
    /// The server could not be reached; the license keeps working until `until`.
    Grace {
        /// End of the grace period: last successful validation plus the grace period.
        until: SystemTime,
    },
    /// The server has not been reached for longer than the grace period.
    GraceExpired,
    /// The server said the key or this activation is no longer valid (disabled, expired,
    /// deactivated elsewhere). Going offline does not undo this.
    Revoked,
    /// The cache belongs to another machine.
    FingerprintMismatch,
    /// The cache was edited, or is unreadable or missing, and the server could not be asked.
    Tampered,
    /// The clock is earlier than a time already seen, by more than the tolerance.
    ClockRollback,
    /// The stored activation is of a product this app no longer accepts (an update narrowed
    /// its product ids). Never licensed; activate a key of an accepted product.
    WrongProduct,
    /// No activation, and this machine's local trial runs until `ends_at`: licensed.
    Trial {
        /// When the trial ends.
        ends_at: SystemTime,
    },
    /// No activation, and this machine's local trial has ended. Not licensed; nothing
    /// restarts it.
    TrialExpired,
    /// The stored activation was written by an earlier release, which did not seal it, and
    /// no genuine cache of this machine vouches for it (the cache is missing, damaged or says
    /// otherwise). Not licensed: activate the key again (its old seat is released first).
    Unverified,
}

impl LicenseState {
    /// A stable lower-case name: `not_activated`, `active`, `grace`, `grace_expired`,
    /// `revoked`, `fingerprint_mismatch`, `tampered`, `clock_rollback`, `wrong_product`,
    /// `trial`, `trial_expired`, `unverified`.
    pub fn name(&self) -> &'static str {
        match self {
            LicenseState::NotActivated => "not_activated",
            LicenseState::Active => "active",
            LicenseState::Grace { .. } => "grace",
            LicenseState::GraceExpired => "grace_expired",
            LicenseState::Revoked => "revoked",
            LicenseState::FingerprintMismatch => "fingerprint_mismatch",
            LicenseState::Tampered => "tampered",
            LicenseState::ClockRollback => "clock_rollback",
            LicenseState::WrongProduct => "wrong_product",
            LicenseState::Trial { .. } => "trial",
            LicenseState::TrialExpired => "trial_expired",
            LicenseState::Unverified => "unverified",
        }
    }

    /// True when the app should run as licensed: [`LicenseState::Active`],
    /// [`LicenseState::Grace`] or [`LicenseState::Trial`].
    pub fn is_licensed(&self) -> bool {
        matches!(
            self,
            LicenseState::Active | LicenseState::Grace { .. } | LicenseState::Trial { .. }
        )
    }
}

/// The result of a check: the state and what is known about the activation. Fields may be
/// added in minor releases.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LicenseStatus {
    /// The state.
    pub state: LicenseState,
    /// The activation's instance ID: what frees this machine's seat from another one
    /// (`Licensor::release_instance`). `None` for a key that holds no seat.
    pub instance_id: Option<InstanceId>,
    /// The activation's instance name, as the server recorded it (the vendor's dashboard
    /// shows it): `Ada's ThinkPad (Windows 11) · 3f9a2c`.
    pub instance_name: Option<String>,
    /// The license key's ID (`lic_…`), not the key.
    pub license_key_id: Option<String>,
    /// The key in redacted form (`****-8f43`).
    pub key_hint: Option<String>,
    /// Product ID.
    pub product_id: Option<String>,
    /// Product name.
    pub product_name: Option<String>,
    /// Customer email.
    pub customer_email: Option<String>,
    /// Who sold the key: `dodo`, `lemonsqueezy` or `polar`.
    pub provider: Option<String>,
    /// When the key itself stops working, as the provider last said (Lemon Squeezy, Polar,
    /// Keygen and the relay say; Dodo alone does not).
    pub expires_at: Option<SystemTime>,
    /// How many activations the key allows at once, as the provider last said (`None`: it
    /// did not say, or there is no limit).
    pub activation_limit: Option<u32>,
    /// How many of the key's activations are in use, as the provider last said (the relay,
    /// Lemon Squeezy and Keygen say).
    pub activations_used: Option<u32>,
    /// The key's entitlements, as the provider last said (the relay's license-key grants);
    /// `None` when it does not say.
    pub entitlements: Option<Vec<crate::api::Entitlement>>,
    /// Whether the activation holds a seat on the server. False for a key that licenses by
    /// validation alone (a Polar key whose benefit has no activations), and with no
    /// activation.
    pub holds_seat: bool,
    /// Whether the key is a test-mode key, when the provider says (Lemon Squeezy).
    pub test_mode: Option<bool>,
    /// When the activation was created on the server.
    pub activated_at: Option<SystemTime>,
    /// Last successful online validation.
    pub last_validated: Option<SystemTime>,
    /// When the license stops working if the server cannot be reached.
    pub grace_deadline: Option<SystemTime>,
    /// Whether this check talked to the server.
    pub network_used: bool,
    /// How this machine compares with the one the cache was written on.
    pub fingerprint_match: Option<MatchKind>,
    /// Where the credentials are kept.
    pub key_storage: Option<StorageKind>,
    /// The cache was unusable and has been rebuilt from the credentials by an online
    /// validation (the unusable file is kept beside it as `license.json.corrupt-*`).
    pub recovered: bool,
    /// When this machine's local trial ends (or ended), when one was started.
    pub trial_ends_at: Option<SystemTime>,
    /// An activation whose answer was lost in the last 30 days, with no activation since:
    /// it may hold a seat on the server. Given when there is no activation.
    pub pending_activation: Option<crate::PendingActivation>,
    /// Whether the activation was made by a relay's machine file, with no network: it
    /// licenses the machine until `grace_deadline`, and never asks the server.
    pub activated_offline: bool,
    /// Whether what this machine stores (credentials, cache, trial) is protected by a vendor
    /// secret of at least 16 bytes. False without one: the MACs are then keyed by values
    /// anyone can read, so anyone who knows the key can write a cache or credentials that
    /// pass (see the README's threat model).
    pub local_state_protected: bool,
}

/// What a status of an activation is made of.
pub(super) struct Parts<'a> {
    /// The activation's facts.
    pub creds: &'a Credentials,
    /// What the provider last said of the key, when a usable cache records it: over the
    /// credentials' facts of the activation.
    pub facts: Option<&'a KeyFacts>,
    /// The last successful validation, when a usable cache records it.
    pub last_validated: Option<i64>,
    /// The grace period, in seconds.
    pub grace: i64,
    pub state: LicenseState,
    pub network_used: bool,
    pub matched: &'a Match,
    pub key_storage: Option<StorageKind>,
}

impl LicenseStatus {
    /// The status of an activation: the credentials' facts, and the times.
    pub(super) fn of(p: Parts<'_>) -> LicenseStatus {
        LicenseStatus {
            state: p.state,
            instance_id: p.creds.seat().cloned(),
            instance_name: p.creds.instance_name.clone(),
            license_key_id: Some(p.creds.license_key_id.clone()),
            key_hint: Some(p.creds.key.redacted()),
            product_id: Some(p.creds.product_id.clone()),
            product_name: p.creds.product_name.clone(),
            customer_email: p.creds.customer_email.clone(),
            provider: Some(p.creds.provider_name().to_owned()),
            expires_at: match p.facts {
                Some(f) => f.expires_at,
                None => p.creds.expires_at,
            }
            .map(from_unix),
            activation_limit: match p.facts {
                Some(f) => f.activation_limit,
                None => p.creds.activation_limit,
            },
            activations_used: p.facts.and_then(|f| f.activations_used),
            entitlements: p.facts.and_then(|f| f.entitlements.clone()),
            holds_seat: p.creds.holds_seat,
            test_mode: p.creds.test_mode,
            activated_at: p.creds.activated_at.map(from_unix),
            last_validated: p.last_validated.map(from_unix),
            grace_deadline: p
                .last_validated
                .map(|t| from_unix(t.saturating_add(p.grace))),
            network_used: p.network_used,
            fingerprint_match: Some(p.matched.kind),
            key_storage: p.key_storage,
            recovered: false,
            trial_ends_at: None,
            pending_activation: None,
            activated_offline: false,
            local_state_protected: false,
        }
    }

    /// A status with only a state.
    pub(crate) fn bare(state: LicenseState) -> LicenseStatus {
        LicenseStatus {
            state,
            instance_id: None,
            instance_name: None,
            license_key_id: None,
            key_hint: None,
            product_id: None,
            product_name: None,
            customer_email: None,
            provider: None,
            expires_at: None,
            activation_limit: None,
            activations_used: None,
            entitlements: None,
            holds_seat: false,
            test_mode: None,
            activated_at: None,
            last_validated: None,
            grace_deadline: None,
            network_used: false,
            fingerprint_match: None,
            key_storage: None,
            recovered: false,
            trial_ends_at: None,
            pending_activation: None,
            activated_offline: false,
            local_state_protected: false,
        }
    }

    /// Shorthand for `self.state.is_licensed()`.
    pub fn is_licensed(&self) -> bool {
        self.state.is_licensed()
    }
}

/// What [`Licensor::deactivate`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deactivation {
    /// The server freed the activation slot.
    SlotFreed,
    /// The server no longer knew the activation (freed elsewhere); local state removed.
    AlreadyGone,
    /// The server could not be reached and `force` was given: local state removed, the slot
    /// is still in use on the server.
    LocalOnly,
    /// The license held no seat on the server (a key that licenses by validation alone):
    /// local state removed, and there was nothing to free.
    NoSeat,
}

impl Deactivation {
    /// A stable lower-case name: `slot_freed`, `already_gone`, `local_only`, `no_seat` (the
    /// names `licensectl --json` and the bindings use).
    pub fn name(self) -> &'static str {
        match self {
            Deactivation::SlotFreed => "slot_freed",
            Deactivation::AlreadyGone => "already_gone",
            Deactivation::LocalOnly => "local_only",
            Deactivation::NoSeat => "no_seat",
        }
    }
}
