//! The provider seam: who sold the key, and how its license server spells the three calls.
//!
//! Each merchant of record is one module implementing [`Wire`]: it builds the request of
//! each call, checks each answer (Keygen's signatures), and reads the answers into the one
//! model of [`super::types`]. An activation may take several requests (Keygen looks the
//! license up first, and finds a seat this machine already holds): the provider names the
//! next request and its [`Kind`] from the answers so far ([`Wire::activation_step`]), and
//! the client sends it with that kind's retry rules. Everything else (the transport, the
//! retry rules, the Licensor's policy, the cache, the key storage) is the same for every
//! provider. Adding a provider is one module here, one line in [`Provider::from_name`], and
//! one module in the emulator.

mod dodo;
mod keygen;
mod lemon_squeezy;
mod polar;
mod relay;
mod signature;

pub use relay::key_hash as relay_key_hash;
mod words;

use std::fmt;
use std::sync::Arc;

use ureq::http::HeaderMap;
use zeroize::Zeroizing;

use super::environment::Environment;
use super::types::{Activation, Seat, Validation};
use crate::error::{ApiCode, Error, ErrorKind};
use crate::key::{InstanceId, LicenseKey};
pub(crate) use words::code_from_words;

/// The merchant of record whose license server the keys come from, with the seller's
/// account there when the provider needs one. Dodo Payments is the default.
///
/// ```
/// use keyseat::api::Provider;
///
/// let dodo = Provider::dodo();
/// let lemon = Provider::lemon_squeezy(12345);
/// let polar = Provider::polar("9b5e3f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
/// assert_eq!(lemon.name(), "lemonsqueezy");
/// assert_eq!(polar.account(), Some("9b5e3f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"));
/// assert_eq!(dodo, Provider::default());
/// ```
#[derive(Clone)]
pub struct Provider(Arc<dyn Wire>);

impl Provider {
    /// Every provider's name, as [`Provider::from_settings`] takes it.
    pub const NAMES: [&'static str; 5] = ["dodo", "lemonsqueezy", "polar", "keygen", "relay"];

    /// Dodo Payments. Product ids are Dodo's (`pdt_…`); no account id is needed, since
    /// product ids are unique across merchants.
    pub fn dodo() -> Provider {
        Provider(Arc::new(dodo::Dodo))
    }

    /// Lemon Squeezy, for the store `store_id`. Its server accepts any store's key, so the
    /// answer's store is compared with this one; product ids are Lemon Squeezy product ids.
    pub fn lemon_squeezy(store_id: u64) -> Provider {
        Provider(Arc::new(lemon_squeezy::LemonSqueezy::new(store_id)))
    }

    /// Polar, for the organization `organization_id` (a UUID); product ids are the ids of the
    /// organization's license-key benefits. Checked when a client is built.
    pub fn polar(organization_id: impl Into<String>) -> Provider {
        Provider(Arc::new(polar::Polar::new(organization_id.into())))
    }

    /// Keygen, for the account `account` (its id or slug), whose answers must carry valid
    /// Ed25519 signatures by `public_key` (the account's verify key, 64 hexadecimal
    /// characters). Product ids are Keygen product ids. Checked when a client is built.
    pub fn keygen(account: impl Into<String>, public_key: impl Into<String>) -> Provider {
        Provider(Arc::new(keygen::Keygen::new(
            account.into(),
            public_key.into(),
        )))
    }

    /// A seller's own keyseat-relay at `base_url`, in front of Dodo Payments, whose every
    /// answer must be signed by one of `public_keys` (the relay's Ed25519 keys, 64
    /// hexadecimal characters each; several during a rotation), and echo what was asked
    /// (`docs/relay-protocol.md`). Product ids are Dodo's. Checked when a client is built.
    pub fn relay<I, S>(base_url: impl Into<String>, public_keys: I) -> Provider
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Provider(Arc::new(relay::Relay::new(
            base_url.into(),
            public_keys.into_iter().map(Into::into).collect(),
        )))
    }

    /// The provider named `dodo`, `lemonsqueezy`, `polar`, `keygen` or `relay`, with what
    /// the bindings and `licensectl` were given: the account (required for Lemon Squeezy,
    /// Polar and Keygen, refused otherwise), the public keys (one for Keygen, one or more
    /// for the relay, refused otherwise) and the base URL (the relay's, required for it).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for another name, a missing or malformed account or
    /// public key, or one given to a provider that takes none.
    pub fn from_settings(
        name: &str,
        account: Option<&str>,
        public_keys: &[&str],
        base_url: Option<&str>,
    ) -> Result<Provider, Error> {
        let keys: Vec<&str> = public_keys
            .iter()
            .map(|k| k.trim())
            .filter(|k| !k.is_empty())
            .collect();
        if name == "relay" {
            if account.is_some_and(|a| !a.trim().is_empty()) {
                return Err(Error::invalid_input(
                    "the relay takes no account id: its product ids are Dodo's",
                ));
            }
            let url = base_url.map(str::trim).filter(|u| !u.is_empty());
            let url = url.ok_or_else(|| {
                Error::invalid_input("the relay provider needs the relay's base URL")
            })?;
            let provider = Provider::relay(url, keys);
            provider.check()?;
            return Ok(provider);
        }
        let public_key = match keys.as_slice() {
            [] => None,
            [one] => Some(*one),
            _ => {
                return Err(Error::invalid_input(format!(
                    "the {name} provider takes at most one public key"
                )));
            }
        };
        match (name, public_key) {
            ("keygen", None) => Err(keygen_needs_its_public_key()),
            ("keygen", Some(key)) => {
                let account = account.map(str::trim).filter(|a| !a.is_empty());
                let account = account.ok_or_else(|| {
                    Error::invalid_input("the keygen provider needs the Keygen account id")
                })?;
                let provider = Provider::keygen(account, key);
                provider.check()?;
                Ok(provider)
            }
            (_, Some(_)) => Err(Error::invalid_input(format!(
                "a public key is Keygen's or the relay's: the {name} provider does not sign \
                 its answers"
            ))),
            (_, None) => Provider::from_name(name, account),
        }
    }

    /// The provider named `dodo`, `lemonsqueezy` or `polar`, with the account the bindings
    /// and `licensectl` were given (required for the last two, refused for Dodo). Keygen
    /// also needs its public key: see [`Provider::from_settings`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for another name, a missing or malformed account, or an
    /// account given to Dodo.
    pub fn from_name(name: &str, account: Option<&str>) -> Result<Provider, Error> {
        let account = account.map(str::trim).filter(|a| !a.is_empty());
        let provider = match (name, account) {
            ("dodo", None) => Provider::dodo(),
            ("dodo", Some(_)) => {
                return Err(Error::invalid_input(
                    "Dodo Payments takes no account id: its product ids are enough",
                ));
            }
            ("lemonsqueezy", Some(store)) => {
                let id = store.parse::<u64>().map_err(|_| {
                    Error::invalid_input(format!(
                        "a Lemon Squeezy store id is a number, got {store:?}"
                    ))
                })?;
                Provider::lemon_squeezy(id)
            }
            ("polar", Some(organization)) => Provider::polar(organization),
            ("lemonsqueezy" | "polar", None) => {
                return Err(Error::invalid_input(format!(
                    "the {name} provider needs the seller's account id (the Lemon Squeezy \
                     store id, or the Polar organization id)"
                )));
            }
            ("keygen", _) => return Err(keygen_needs_its_public_key()),
            ("relay", _) => {
                return Err(Error::invalid_input(
                    "the relay provider needs its base URL and public keys: see \
                     Provider::from_settings",
                ));
            }
            _ => {
                return Err(Error::invalid_input(format!(
                    "unknown provider {name:?}: expected one of {}",
                    Provider::NAMES.join(", ")
                )));
            }
        };
        provider.check()?;
        Ok(provider)
    }

    /// `dodo`, `lemonsqueezy`, `polar` or `keygen`: the name recorded with an activation.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The seller's account id (Lemon Squeezy store, Polar organization, Keygen account),
    /// when the provider has one.
    pub fn account(&self) -> Option<&str> {
        self.0.account()
    }

    /// The base URL of `environment` for this provider: its live or test server, or the
    /// custom URL as given (without a trailing slash).
    pub fn base_url<'a>(&'a self, environment: &'a Environment) -> &'a str {
        match environment {
            Environment::Live => self.0.live_url(),
            Environment::Test => self.0.test_url(),
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }

    /// Whether the provider's products have variants the app can bind to (Lemon Squeezy).
    pub fn has_variants(&self) -> bool {
        self.0.has_variants()
    }

    /// The same provider, told the app's product ids, for a provider whose server checks
    /// them itself (Keygen's product scope, when there is exactly one).
    pub fn scoped_to(&self, products: &[String]) -> Provider {
        self.0
            .scoped_to(products)
            .map_or_else(|| self.clone(), Provider)
    }

    /// The keys of offline activation ([`Wire::offline_keys`]): none for most providers.
    pub(crate) fn offline_keys(&self) -> Vec<crate::pinned::PinnedKey> {
        self.0.offline_keys()
    }

    /// Whether keys may license by validation alone, holding no seat (Polar).
    pub(crate) fn licenses_without_seats(&self) -> bool {
        self.0.licenses_without_seats()
    }

    /// Checks the account id.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] naming what is wrong with it.
    pub fn check(&self) -> Result<(), Error> {
        self.0.check()
    }

    pub(crate) fn wire(&self) -> &dyn Wire {
        &*self.0
    }
}

impl Default for Provider {
    fn default() -> Provider {
        Provider::dodo()
    }
}

impl PartialEq for Provider {
    fn eq(&self, other: &Provider) -> bool {
        self.name() == other.name() && self.account() == other.account()
    }
}

impl Eq for Provider {}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.account() {
            Some(account) => write!(f, "Provider({}, {account})", self.name()),
            None => write!(f, "Provider({})", self.name()),
        }
    }
}

/// One request of a call: its method, where it goes and what it carries. The body and the
/// headers may hold the key, so they are zeroed when dropped.
pub(crate) struct Request {
    /// `POST`, `GET` or `DELETE`.
    pub method: &'static str,
    /// The path under the base URL.
    pub path: String,
    /// The `Content-Type` of the body (empty without a body).
    pub content_type: &'static str,
    /// The `Accept` header.
    pub accept: &'static str,
    /// Further headers.
    pub headers: Vec<(&'static str, Zeroizing<String>)>,
    /// The body.
    pub body: Zeroizing<Vec<u8>>,
    /// A number the answer must echo (Keygen's validation nonce).
    pub nonce: Option<u64>,
    /// What the answer's body must echo as its `request` (the relay's).
    pub echo: Option<serde_json::Value>,
}

impl Request {
    /// A JSON `POST`.
    pub(crate) fn json(path: impl Into<String>, body: &serde_json::Value) -> Request {
        Request {
            method: "POST",
            path: path.into(),
            content_type: "application/json",
            accept: "application/json",
            headers: Vec::new(),
            // Serialising a `Value` cannot fail.
            body: Zeroizing::new(serde_json::to_vec(body).unwrap_or_default()),
            nonce: None,
            echo: None,
        }
    }
}

/// A definite answer: a success, or a refusal in the 4xx range other than 408 and 429
/// (the client has already retried or given up on everything else).
pub(crate) struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, read in full.
    pub body: Vec<u8>,
}

impl Reply {
    /// A 2xx answer.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The answer as it came, for a provider that checks answers ([`Wire::verify`]).
pub(crate) struct Received<'a> {
    /// The request's method, lower-case (`post`).
    pub method: &'a str,
    /// The host the request went to, with the port when it is not the scheme's default.
    pub host: &'a str,
    /// The request's path and query, as sent.
    pub target: &'a str,
    /// The answer's headers.
    pub headers: &'a HeaderMap,
    /// The answer's body.
    pub body: &'a [u8],
    /// What the body must echo as its `request`, when the request said.
    pub echo: Option<&'a serde_json::Value>,
}

/// How a request may be repeated: the retry rules belong to the kind, not the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Safe to repeat (validation, deactivation, a lookup): retried on failures, 408, 429
    /// and 5xx.
    Repeatable,
    /// Spends a seat: retried only when it certainly never reached the server; a lost
    /// answer is [`ErrorKind::AmbiguousActivation`].
    SpendsSeat,
}

/// What an activation does next.
pub(crate) enum Next {
    /// Send this request, with the rules of its kind.
    Send(Request, Kind),
    /// The activation is made (or found).
    Done(Activation),
    /// It failed.
    Fail(Error),
}

/// The machine an activation is for: the seat it would take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewSeat<'a> {
    /// The instance name.
    pub name: &'a str,
    /// keyseat's per-app fingerprint of the machine (Keygen binds seats to it).
    pub fingerprint: Option<&'a str>,
}

/// What a provider module does: its servers, its requests, and the reading of its answers.
pub(crate) trait Wire: Send + Sync {
    /// The provider's name, as [`Provider::name`].
    fn name(&self) -> &'static str;
    /// The seller's account, as [`Provider::account`].
    fn account(&self) -> Option<&str>;
    /// Checks the account given.
    fn check(&self) -> Result<(), Error>;
    /// Whether products have variants.
    fn has_variants(&self) -> bool {
        false
    }
    /// This provider told the app's product ids, when its server checks them.
    fn scoped_to(&self, _products: &[String]) -> Option<Arc<dyn Wire>> {
        None
    }
    /// The live server.
    fn live_url(&self) -> &str;
    /// The test server (the live one when the provider has none).
    fn test_url(&self) -> &str;
    /// The activation request of a provider that activates with one request.
    fn activate(&self, key: &LicenseKey, seat: &NewSeat<'_>) -> Result<Request, Error>;
    /// The validation request, of the key alone or of one activation on this machine.
    fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        fingerprint: Option<&str>,
    ) -> Request;
    /// The deactivation request.
    fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Request;
    /// Reads a 2xx answer to activation. A 2xx that still says no is the refusal it states.
    fn read_activation(&self, body: &[u8], key: &LicenseKey) -> Result<Activation, Error>;
    /// Reads a 2xx answer to validation `request`.
    fn read_validation(
        &self,
        request: &Request,
        body: &[u8],
        key: &LicenseKey,
    ) -> Result<Validation, Error>;
    /// Checks an answer before anything reads it: Keygen's signatures. Its error is
    /// [`ErrorKind::BadSignature`], which counts as no answer.
    fn verify(&self, _received: &Received<'_>) -> Result<(), Error> {
        Ok(())
    }
    /// Whether every answer is checked by [`Wire::verify`]: then an answer whose body did
    /// not arrive whole cannot be checked, and is no answer, even where its status alone
    /// would say enough (a deactivation's 2xx).
    fn signs_answers(&self) -> bool {
        false
    }
    /// Whether a key may license by validation alone, holding no seat (Polar's keys whose
    /// benefit has no activations). For other providers, credentials that say so are not
    /// the provider's.
    fn licenses_without_seats(&self) -> bool {
        false
    }

    /// The next step of an activation, from the requests sent so far and their answers.
    /// The default is one request spending a seat ([`Wire::activate`]), and for a key that
    /// has no seats (Polar), its validation instead.
    fn activation_step(
        &self,
        key: &LicenseKey,
        seat: &NewSeat<'_>,
        done: &[(Request, Reply)],
    ) -> Next {
        match done {
            [] => match self.activate(key, seat) {
                Ok(request) => Next::Send(request, Kind::SpendsSeat),
                Err(e) => Next::Fail(e),
            },
            [(_, reply)] if reply.is_success() => match self.read_activation(&reply.body, key) {
                Ok(activation) => Next::Done(activation),
                // A success status whose body still says no.
                Err(e) if e.is_rejection() => Next::Fail(e),
                Err(e) => Next::Fail(ambiguous(&format!(
                    "the server accepted the activation but {e}"
                ))),
            },
            [(_, reply)] => {
                let refusal = self.refusal(reply.status, &reply.body, key);
                if refusal.api_code() == Some(&ApiCode::ActivationsNotSupported) {
                    log::info!("the key has no activation slots: it licenses by validation alone");
                    Next::Send(self.validate(key, None, None), Kind::Repeatable)
                } else {
                    Next::Fail(refusal)
                }
            }
            [_, (request, reply)] if reply.is_success() => {
                match self.read_validation(request, &reply.body, key) {
                    Ok(validation) => seatless(validation, seat.name),
                    Err(e) => Next::Fail(e),
                }
            }
            [_, (_, reply)] => Next::Fail(self.refusal(reply.status, &reply.body, key)),
            _ => Next::Fail(Error::invalid_response(
                None,
                "an activation of too many steps",
            )),
        }
    }

    /// Turns an error answer into an error: [`ErrorKind::Api`] when the body is the
    /// provider's error JSON, [`ErrorKind::InvalidResponse`] otherwise.
    fn refusal(&self, status: u16, body: &[u8], key: &LicenseKey) -> Error;

    /// The keys an offline request is sealed to and a machine file must be signed by: the
    /// relay's; none for a provider with no offline activation.
    fn offline_keys(&self) -> Vec<crate::pinned::PinnedKey> {
        Vec::new()
    }

    /// The request listing the key's seats, `fingerprint` this machine's; none when the
    /// provider's endpoints cannot list them.
    fn seats(&self, _key: &LicenseKey, _fingerprint: &str) -> Option<Request> {
        None
    }
    /// Reads a 2xx answer to [`Wire::seats`].
    fn read_seats(
        &self,
        _body: &[u8],
        _key: &LicenseKey,
        _fingerprint: &str,
    ) -> Result<Vec<Seat>, Error> {
        Err(ErrorKind::Unsupported(format!("{} cannot list a key's seats", self.name())).into())
    }
}

/// How much of a server's error message is kept: enough to read, not a whole page.
const MAX_MESSAGE_BYTES: usize = 300;

/// Keygen named without the public key its answers are checked with.
fn keygen_needs_its_public_key() -> Error {
    Error::invalid_input(
        "the keygen provider needs the account's Ed25519 public key (64 hexadecimal \
         characters): its answers are signed, and unsigned ones are refused",
    )
}

/// An [`ErrorKind::Api`] error, with the key scrubbed from the message and the message cut
/// to [`MAX_MESSAGE_BYTES`] on a character boundary.
pub(crate) fn refused(status: u16, code: ApiCode, message: &str, key: &LicenseKey) -> Error {
    let mut message = key.scrub(message);
    message.truncate(message.floor_char_boundary(MAX_MESSAGE_BYTES));
    Error::new(ErrorKind::Api {
        status,
        code,
        message,
    })
}

/// The error for an error answer whose body is not the provider's error JSON.
pub(crate) fn not_an_error_body(status: u16, body: &[u8], provider: &str) -> Error {
    if body.is_empty() {
        Error::invalid_response(Some(status), "empty error body")
    } else {
        Error::invalid_response(
            Some(status),
            format!("error body is not {provider}'s error JSON"),
        )
    }
}

/// The activation of a key that has no activation slots: its validation, as an activation
/// holding no seat, named by the license key's id.
fn seatless(validation: Validation, name: &str) -> Next {
    if validation
        .license
        .as_ref()
        .is_some_and(|l| l.activation_limit.is_some())
    {
        return Next::Fail(Error::invalid_response(
            Some(200),
            "the key was refused activations, yet its validation gives it an activation limit",
        ));
    }
    let Some(license) = validation.license.filter(|_| validation.valid) else {
        return Next::Fail(Error::new(ErrorKind::Api {
            status: 200,
            code: ApiCode::InactiveLicenseKey,
            message: "the key has no activations and is not valid".into(),
        }));
    };
    match InstanceId::new(license.license_key_id.clone()) {
        Ok(id) => Next::Done(Activation {
            id,
            name: name.to_owned(),
            created_at: None,
            holds_seat: false,
            license,
        }),
        Err(e) => Next::Fail(Error::invalid_response(
            Some(200),
            format!("license key id: {e}"),
        )),
    }
}

/// An activation that may or may not have been made.
pub(crate) fn ambiguous(detail: &str) -> Error {
    Error::new(ErrorKind::AmbiguousActivation(detail.to_owned()))
}

/// An RFC 3339 time as Unix seconds; `None` when absent or unreadable.
pub(crate) fn unix_time(text: Option<&str>) -> Option<i64> {
    text?.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// The error for a 2xx answer that does not parse.
pub(crate) fn unreadable(what: &str, e: &serde_json::Error) -> Error {
    Error::invalid_response(Some(200), format!("{what} body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_accounts() {
        assert_eq!(Provider::from_name("dodo", None).unwrap(), Provider::dodo());
        assert_eq!(
            Provider::from_name("lemonsqueezy", Some(" 42 ")).unwrap(),
            Provider::lemon_squeezy(42)
        );
        let org = "9b5e3f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            Provider::from_name("polar", Some(org)).unwrap(),
            Provider::polar(org)
        );
        for (name, account) in [
            ("dodo", Some("1")),
            ("lemonsqueezy", None),
            ("lemonsqueezy", Some("store-1")),
            ("polar", None),
            ("polar", Some("not a uuid")),
            ("paddle", None),
            ("Dodo", None),
            ("keygen", Some("acme")),
        ] {
            let e = Provider::from_name(name, account).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{name} {e}");
        }
        assert_ne!(Provider::lemon_squeezy(1), Provider::lemon_squeezy(2));
        assert_eq!(
            format!("{:?}", Provider::lemon_squeezy(7)),
            "Provider(lemonsqueezy, 7)"
        );
    }

    #[test]
    fn base_urls() {
        let custom = Environment::Custom("http://127.0.0.1:9/".into());
        for p in [
            Provider::dodo(),
            Provider::lemon_squeezy(1),
            Provider::polar("x"),
        ] {
            assert_eq!(p.base_url(&custom), "http://127.0.0.1:9");
            assert!(p.base_url(&Environment::Live).starts_with("https://"));
        }
        assert_eq!(
            Provider::dodo().base_url(&Environment::Test),
            "https://test.dodopayments.com"
        );
        assert_eq!(
            Provider::lemon_squeezy(1).base_url(&Environment::Test),
            "https://api.lemonsqueezy.com"
        );
        assert_eq!(
            Provider::polar("x").base_url(&Environment::Test),
            "https://sandbox-api.polar.sh"
        );
    }
}
