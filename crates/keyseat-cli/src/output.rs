//! How results reach the terminal: human text (coloured only on a terminal) or stable JSON.

use std::io::IsTerminal;
use std::time::SystemTime;

use keyseat::{Deactivation, Error, ErrorKind, LicenseState, LicenseStatus};
use serde_json::{Value, json};

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    /// Licensed (active or in grace), or the command succeeded.
    pub const OK: u8 = 0;
    /// Any other failure (local storage, I/O).
    pub const OTHER: u8 = 1;
    /// Bad command line, or a vendor secret that is not the app's.
    pub const USAGE: u8 = 2;
    /// No activation on this machine (or one an earlier release left that nothing vouches
    /// for: activate again).
    pub const NOT_ACTIVATED: u8 = 3;
    /// The server revoked the license.
    pub const REVOKED: u8 = 4;
    /// Offline for longer than the grace period.
    pub const GRACE_EXPIRED: u8 = 5;
    /// Tampered cache, fingerprint mismatch or clock rollback.
    pub const INTEGRITY: u8 = 6;
    /// The license server could not be reached, its certificate is not trusted, or the
    /// activation outcome is unknown.
    pub const NETWORK: u8 = 7;
    /// Refused: unknown key, limit reached, inactive key, or a key of another product.
    pub const REFUSED: u8 = 8;
    /// No activation, and the local trial has ended.
    pub const TRIAL_EXPIRED: u8 = 9;
}

/// The exit code for a state.
pub fn state_exit(state: &LicenseState) -> u8 {
    match state {
        LicenseState::Active | LicenseState::Grace { .. } | LicenseState::Trial { .. } => exit::OK,
        LicenseState::TrialExpired => exit::TRIAL_EXPIRED,
        LicenseState::NotActivated | LicenseState::Unverified => exit::NOT_ACTIVATED,
        LicenseState::Revoked => exit::REVOKED,
        LicenseState::GraceExpired => exit::GRACE_EXPIRED,
        LicenseState::WrongProduct => exit::REFUSED,
        // Tampered, fingerprint mismatch, clock rollback, and any state added later: the
        // local data cannot be trusted.
        _ => exit::INTEGRITY,
    }
}

/// The exit code for an error.
pub fn error_exit(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::InvalidInput(_) | ErrorKind::VendorSecretMismatch { .. } => exit::USAGE,
        ErrorKind::WrongProduct { .. } => exit::REFUSED,
        ErrorKind::NotActivated => exit::NOT_ACTIVATED,
        ErrorKind::Unsupported(_) => exit::USAGE,
        ErrorKind::AlreadyActivated { .. } => exit::REFUSED,
        _ if e.is_rejection() => exit::REFUSED,
        _ if e.is_unreachable() => exit::NETWORK,
        _ => exit::OTHER,
    }
}

/// What a deactivation achieved, in words.
pub fn deactivation_text(outcome: Deactivation) -> &'static str {
    match outcome {
        Deactivation::SlotFreed => "deactivated: the activation slot is free again",
        Deactivation::AlreadyGone => "deactivated: the server had already released this activation",
        Deactivation::NoSeat => {
            "deactivated: the license held no seat on the server, and its local data is removed"
        }
        // LocalOnly, and any outcome added later: say the least that is sure.
        _ => {
            "local license data removed, but the server could not be reached: the slot stays \
             in use until it is released from the vendor's dashboard"
        }
    }
}

/// What freeing another instance's seat achieved, in words.
pub fn release_text(outcome: Deactivation, instance: &str) -> String {
    match outcome {
        Deactivation::SlotFreed => format!("released {instance}: its seat is free again"),
        _ => format!("{instance} was already released: its seat is free"),
    }
}

/// RFC 3339, or null.
pub fn time(t: Option<SystemTime>) -> Value {
    t.and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map_or(Value::Null, |t| {
            json!(t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        })
}

/// The documented JSON object of a status.
pub fn status_json(s: &LicenseStatus) -> Value {
    json!({
        "state": s.state.name(),
        "licensed": s.is_licensed(),
        "instance_id": s.instance_id.as_ref().map(|i| i.as_str()),
        "license_key_id": s.license_key_id,
        "key": s.key_hint,
        "product_id": s.product_id,
        "product_name": s.product_name,
        "customer_email": s.customer_email,
        "activated_at": time(s.activated_at),
        "last_validated": time(s.last_validated),
        "grace_deadline": time(s.grace_deadline),
        "network_used": s.network_used,
        "fingerprint_match": s.fingerprint_match.map(|m| m.name()),
        "key_storage": s.key_storage.map(|k| k.as_str()),
        "recovered": s.recovered,
        "instance_name": s.instance_name,
        "provider": s.provider,
        "expires_at": time(s.expires_at),
        "activation_limit": s.activation_limit,
        "activations_used": s.activations_used,
        "entitlements": s.entitlements.as_ref().map(|all| {
            all.iter().map(entitlement_json).collect::<Vec<_>>()
        }),
        "holds_seat": s.holds_seat,
        "test_mode": s.test_mode,
        "trial_ends_at": time(s.trial_ends_at),
        "local_state_protected": s.local_state_protected,
        "activated_offline": s.activated_offline,
        "pending_activation": s.pending_activation.as_ref().map(|p| json!({
            "name": p.name,
            "at": time(Some(p.at)),
        })),
    })
}

/// One entitlement, as JSON.
fn entitlement_json(e: &keyseat::api::Entitlement) -> Value {
    json!({
        "id": e.id,
        "grant_id": e.grant_id,
        "status": e.status,
        "expires_at": time(e.expires_at.map(unix)),
    })
}

/// The time `secs` Unix seconds.
pub fn unix(secs: i64) -> SystemTime {
    let magnitude = std::time::Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}

/// A key's seats, as JSON: the documented object of `licensectl seats --json`.
pub fn seats_json(seats: &[keyseat::api::Seat]) -> Value {
    json!({
        "seats": seats.iter().map(|seat| json!({
            "id": seat.id.as_str(),
            "name": seat.name,
            "created_at": time(seat.created_at.map(unix)),
            "this_machine": seat.this_machine,
        })).collect::<Vec<_>>(),
    })
}

/// A key's seats, for a person: one line each, this machine's marked.
pub fn seats_text(seats: &[keyseat::api::Seat]) -> String {
    if seats.is_empty() {
        return "the key holds no seats".to_owned();
    }
    let mut lines = vec![format!("{} seat(s):", seats.len())];
    for seat in seats {
        let made = seat.created_at.map(|t| show(time(Some(unix(t)))));
        lines.push(format!(
            "  {}  {}{}{}",
            seat.id,
            seat.name,
            made.map(|m| format!("  (made {m})")).unwrap_or_default(),
            if seat.this_machine {
                "  <- this machine"
            } else {
                ""
            },
        ));
    }
    lines.push(
        "free one with: licensectl deactivate --instance ID  (reads the key from stdin)".into(),
    );
    lines.join("\n")
}

/// A human summary of a status.
pub fn status_text(s: &LicenseStatus) -> String {
    let colour = Colour::stdout();
    let state = match s.state {
        LicenseState::Active => colour.green("active"),
        LicenseState::Grace { until } => colour.yellow(&format!(
            "grace (offline; works until {})",
            show(time(Some(until)))
        )),
        LicenseState::Trial { ends_at } => {
            colour.yellow(&format!("trial (ends {})", show(time(Some(ends_at)))))
        }
        other => colour.red(&other.name().replace('_', " ")),
    };
    let mut lines = vec![format!("license: {state}")];
    let mut add = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            lines.push(format!("  {label:<16}{v}"));
        }
    };
    add("key", s.key_hint.clone());
    add("provider", s.provider.clone());
    add("product", s.product_name.clone().or(s.product_id.clone()));
    add("customer", s.customer_email.clone());
    add("instance", s.instance_id.as_ref().map(|i| i.to_string()));
    if s.key_hint.is_some() && !s.holds_seat {
        add(
            "seat",
            Some("none: the key licenses by validation alone".into()),
        );
    }
    add("key expires", s.expires_at.map(|t| show(time(Some(t)))));
    add(
        "seats",
        match (s.activations_used, s.activation_limit) {
            (Some(used), Some(limit)) => Some(format!("{used} of {limit} in use")),
            (Some(used), None) => Some(format!("{used} in use")),
            (None, Some(limit)) => Some(format!("at most {limit}")),
            (None, None) => None,
        },
    );
    add(
        "entitlements",
        s.entitlements.as_ref().map(|all| {
            if all.is_empty() {
                "none".to_owned()
            } else {
                all.iter()
                    .map(|e| match &e.status {
                        Some(status) => format!("{} ({status})", e.id),
                        None => e.id.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }),
    );
    if s.test_mode == Some(true) {
        add("test mode", Some("yes (a test-mode key)".into()));
    }
    add("instance name", s.instance_name.clone());
    add("trial ends", s.trial_ends_at.map(|t| show(time(Some(t)))));
    if let Some(p) = &s.pending_activation {
        add(
            "lost answer",
            Some(format!(
                "an activation named '{}' was sent {} and its answer was lost: it may hold \
                 a seat (ask the vendor to release it)",
                p.name,
                show(time(Some(p.at)))
            )),
        );
    }
    add("activated", s.activated_at.map(|t| show(time(Some(t)))));
    add(
        "last validated",
        s.last_validated.map(|t| show(time(Some(t)))),
    );
    if s.activated_offline {
        add(
            "offline until",
            s.grace_deadline.map(|t| {
                format!(
                    "{} (a machine file: renew it before then)",
                    show(time(Some(t)))
                )
            }),
        );
    } else {
        add("grace until", s.grace_deadline.map(|t| show(time(Some(t)))));
    }
    add(
        "server asked",
        Some(if s.network_used { "yes" } else { "no (cache)" }.into()),
    );
    add("key storage", s.key_storage.map(|k| k.as_str().to_owned()));
    if !s.local_state_protected {
        add(
            "protection",
            Some("none: no vendor secret of 16 bytes protects the local license data".into()),
        );
    }
    if let Some(advice) = state_advice(&s.state) {
        lines.push(format!("  {advice}"));
    }
    lines.join("\n")
}

fn show(v: Value) -> String {
    v.as_str().unwrap_or("-").to_owned()
}

/// What to do about a state.
pub fn state_advice(state: &LicenseState) -> Option<&'static str> {
    match state {
        LicenseState::NotActivated => {
            Some("activate with: licensectl activate -  (reads the key from stdin)")
        }
        LicenseState::Revoked => {
            Some("the vendor disabled this license or it expired: contact the vendor")
        }
        LicenseState::GraceExpired => {
            Some("connect to the internet so the license can be confirmed")
        }
        LicenseState::Tampered => Some(
            "the license data fails its check (edited, damaged, or written by hand); a damaged \
             cache is rebuilt online, damaged credentials mean: activate again",
        ),
        LicenseState::Unverified => Some(
            "an earlier release's activation, with no cache to vouch for it: activate again \
             with: licensectl activate -  (its old seat is released first)",
        ),
        LicenseState::FingerprintMismatch => Some(
            "this license data belongs to another machine: deactivate it there, then activate here",
        ),
        LicenseState::ClockRollback => {
            Some("the system clock is behind; fix the date and time, or connect to the internet")
        }
        LicenseState::WrongProduct => Some(
            "the stored key is for a different product than this app: activate a key bought for this app",
        ),
        LicenseState::Trial { .. } => Some("buy a license, then: licensectl activate -"),
        LicenseState::TrialExpired => {
            Some("the trial has ended: buy a license, then: licensectl activate -")
        }
        _ => None,
    }
}

/// What to do about an error.
pub fn error_advice(e: &Error) -> &'static str {
    use keyseat::ApiCode;
    match (e.kind(), e.api_code()) {
        (_, Some(ApiCode::LicenseKeyLimitReached)) => {
            "activation limit reached for this key: deactivate another machine first, or contact the vendor"
        }
        (_, Some(ApiCode::InactiveLicenseKey)) => {
            "this key is disabled or expired: contact the vendor"
        }
        (_, Some(ApiCode::LicenseKeyNotFound | ApiCode::NotFound)) => {
            "this key is not known to the license server: check it for typos"
        }
        (_, Some(ApiCode::TooManyRequests)) => "the license server is busy: try again in a minute",
        (ErrorKind::AmbiguousActivation(_), _) => {
            "the activation may have been recorded; run `licensectl activate` again once online \
             (it may use a second slot), or ask the vendor to check the key's activations"
        }
        (ErrorKind::WrongProduct { .. }, _) => {
            "this key was bought for a different product: use the key you received for this app"
        }
        (ErrorKind::VendorSecretMismatch { .. }, _) => {
            "give licensectl the app's vendor secret: KEYSEAT_VENDOR_SECRET or --vendor-secret-file"
        }
        (ErrorKind::Certificate(_), _) => {
            "a proxy that inspects TLS (a company network, a debugging proxy) stands in the way: \
             pass its CA certificate with --ca-file PATH, or --trust-store system"
        }
        (ErrorKind::ProxyAuthentication(_), _) => {
            "the proxy refused its credentials: fix the user name and password in HTTPS_PROXY \
             (http://user:password@proxy:port), or ask the network's administrator"
        }
        (ErrorKind::BadSignature(_), _) => {
            "the answer did not come from the license server, or was changed on the way: check \
             --public-key, the system clock (within five minutes), and what stands between this \
             machine and the server (a proxy, a hosts file)"
        }
        (ErrorKind::Network(_) | ErrorKind::Timeout, _) => {
            "check the internet connection or proxy settings (HTTPS_PROXY), then try again"
        }
        (ErrorKind::AlreadyActivated { .. }, _) => {
            "run `licensectl deactivate` first to release the other key"
        }
        (ErrorKind::NotActivated, _) => "nothing to do: this machine holds no activation",
        (ErrorKind::TrialUnavailable(_), _) => {
            "unlock the keychain (or start the Secret Service), then start the trial again"
        }
        (ErrorKind::KeyStorage(_), _) => {
            "the credential store failed: try --key-storage file, or unlock the keychain"
        }
        (ErrorKind::InvalidInput(_), _) => "check the command line",
        (ErrorKind::Unsupported(_), _) => {
            "this provider's license endpoints cannot list a key's seats: the vendor's \
             dashboard shows them (the relay and Keygen can list them here)"
        }
        _ => "try again; if it persists, run with -v and send the output to the vendor",
    }
}

/// ANSI colour when stdout is a terminal and `NO_COLOR` is unset.
pub struct Colour(bool);

impl Colour {
    /// For stdout.
    pub fn stdout() -> Colour {
        Colour(std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none())
    }
    fn paint(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    /// Green.
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Yellow.
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// Red.
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
}
