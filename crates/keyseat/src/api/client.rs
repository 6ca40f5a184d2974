//! The client of a provider's license endpoints: its builder, and the three calls. How a
//! request is sent and retried is [`super::transport`]'s; how it is spelled and its answer
//! read is the provider's ([`super::provider`]).

use std::path::PathBuf;
use std::time::Duration;

use super::environment::{Environment, check_base_url, signed_parts};
use super::provider::{Kind, NewSeat, Next, Provider, Reply, Request};
use super::retry::RetryPolicy;
use super::tls::{self, TrustStore};
use super::transport::{Settings, Transport};
use super::types::{Activation, Seat, Validation};
use crate::error::Error;
#[cfg(doc)]
use crate::error::ErrorKind;
use crate::key::{InstanceId, LicenseKey};

/// Options for a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    provider: Provider,
    environment: Environment,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    trust: TrustStore,
    ca_file: Option<PathBuf>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            provider: Provider::default(),
            environment: Environment::Live,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            trust: TrustStore::Bundled,
            ca_file: None,
        }
    }
}

impl ClientBuilder {
    /// Whose license server to talk to (default [`Provider::dodo`]).
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// The server (default [`Environment::Live`]).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Time allowed to open a connection, TLS included (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one whole request, answer included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry schedule for `validate` and `deactivate` (and for activation attempts that
    /// certainly did not reach the server).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Where trusted root certificates come from (default [`TrustStore::Bundled`], the
    /// Mozilla roots compiled in). See [`TrustStore`] for what each choice trades away.
    pub fn trust_store(mut self, trust: TrustStore) -> Self {
        self.trust = trust;
        self
    }

    /// Also trusts the certificates of this PEM file, beside the bundled roots: the company
    /// CA of a network whose proxy inspects TLS. Read when the client is built.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Checks the base URL, reads the CA file and builds the client.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a malformed base URL, plain `http://` to a host that
    /// is not a loopback address, a malformed account id of the provider, a CA file with no
    /// certificate, or a CA file with [`TrustStore::System`]; [`ErrorKind::Io`] when the CA
    /// file cannot be read.
    pub fn build(self) -> Result<Client, Error> {
        self.provider.check()?;
        let base = self.provider.base_url(&self.environment).to_owned();
        check_base_url(&base)?;
        let (signed_host, signed_path) = signed_parts(&base)?;
        let roots = tls::root_certs(self.trust, self.ca_file.as_deref())?;
        let settings = Settings {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            retry: self.retry,
            roots,
        };
        Ok(Client {
            transport: Transport::new(base, (signed_host, signed_path), settings),
            provider: self.provider,
        })
    }
}

/// A client for one provider's three license endpoints. Cheap to clone; clones share
/// connections, and a pause the server asked for.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    provider: Provider,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.provider)
            .field("base", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.transport.base()
    }

    /// Whose license server this is.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Activates `key` as a new activation called `name`: as
    /// [`Client::activate_machine`] with no fingerprint (which Keygen needs).
    ///
    /// # Errors
    /// As [`Client::activate_machine`].
    pub fn activate(&self, key: &LicenseKey, name: &str) -> Result<Activation, Error> {
        self.activate_machine(key, name, None)
    }

    /// Activates `key` on this machine as an activation called `name`, bound to the
    /// machine's `fingerprint` where the provider binds seats to one (Keygen).
    ///
    /// Spends one activation slot on success. The request that spends it is retried only
    /// when it certainly did not reach the server (connection refused, DNS failure, connect
    /// timeout, a 429 asking for a short wait). A key that licenses by validation alone (a
    /// Polar key with no activations) is validated instead, and comes back with
    /// [`Activation::holds_seat`] false; a seat this machine already holds (Keygen's
    /// `FINGERPRINT_TAKEN`) is found and returned, and no other is spent.
    ///
    /// # Errors
    /// [`ErrorKind::AmbiguousActivation`] when the server may have processed the request but
    /// no usable answer came back (an answer whose signature fails included);
    /// [`ErrorKind::Api`] when the server refused (limit reached, inactive key, unknown key);
    /// other kinds as described on [`ErrorKind`].
    pub fn activate_machine(
        &self,
        key: &LicenseKey,
        name: &str,
        fingerprint: Option<&str>,
    ) -> Result<Activation, Error> {
        let seat = NewSeat { name, fingerprint };
        let wire = self.provider.wire();
        let mut done: Vec<(Request, Reply)> = Vec::new();
        loop {
            match wire.activation_step(key, &seat, &done) {
                Next::Done(activation) => return Ok(activation),
                Next::Fail(e) => return Err(e),
                Next::Send(request, kind) => {
                    let reply = match kind {
                        Kind::SpendsSeat => self.transport.exchange_once(wire, &request, key)?,
                        Kind::Repeatable => {
                            self.transport
                                .exchange_repeatable(wire, &request, key, false)
                                .0?
                        }
                    };
                    done.push((request, reply));
                }
            }
        }
    }

    /// Asks whether `key` (and, when given, its activation `instance`) is valid: as
    /// [`Client::validate_machine`] with no fingerprint.
    ///
    /// # Errors
    /// As [`Client::validate_machine`].
    pub fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
    ) -> Result<Validation, Error> {
        self.validate_machine(key, instance, None)
    }

    /// Asks whether `key` (and, when given, its activation `instance` on the machine of
    /// `fingerprint`) is valid. `valid: false` is the server's definite "no".
    ///
    /// # Errors
    /// Network, timeout, unusable-answer and bad-signature errors after the retries are
    /// spent; an [`ErrorKind::Api`] error when the server refused the request itself (Lemon
    /// Squeezy and Polar refuse an unknown, expired or revoked key this way).
    pub fn validate_machine(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        fingerprint: Option<&str>,
    ) -> Result<Validation, Error> {
        let wire = self.provider.wire();
        let request = wire.validate(key, instance, fingerprint);
        let reply = self
            .transport
            .exchange_repeatable(wire, &request, key, false)
            .0?;
        if reply.is_success() {
            wire.read_validation(&request, &reply.body, key)
        } else {
            Err(wire.refusal(reply.status, &reply.body, key))
        }
    }

    /// The key's seats, `fingerprint` this machine's (keyseat's per-app fingerprint, as
    /// [`Client::activate_machine`] takes it): the relay's and Keygen's. A repeatable
    /// request, retried as a validation is.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for a provider whose endpoints cannot list seats (Dodo,
    /// Lemon Squeezy, Polar); otherwise as [`Client::validate`].
    ///
    /// [`ErrorKind::Unsupported`]: crate::ErrorKind::Unsupported
    pub fn seats(&self, key: &LicenseKey, fingerprint: &str) -> Result<Vec<Seat>, Error> {
        let wire = self.provider.wire();
        let Some(request) = wire.seats(key, fingerprint) else {
            return wire.read_seats(&[], key, fingerprint);
        };
        let reply = self
            .transport
            .exchange_repeatable(wire, &request, key, false)
            .0?;
        if reply.is_success() {
            wire.read_seats(&reply.body, key, fingerprint)
        } else {
            Err(wire.refusal(reply.status, &reply.body, key))
        }
    }

    /// Frees the activation slot held by `instance`.
    ///
    /// If an earlier attempt's outcome was unknown (it timed out or lost its answer) and a
    /// retry then hears "not found", the first attempt did the work: that counts as success.
    ///
    /// # Errors
    /// As [`Client::validate`]; [`ErrorKind::Api`] with status 403 or 404 when the activation
    /// or the key does not exist.
    pub fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Result<(), Error> {
        let wire = self.provider.wire();
        let request = wire.deactivate(key, instance);
        // The answer's status is the whole answer: a 2xx whose body went astray has still
        // freed the slot. Not when answers are signed: a body that did not arrive whole
        // cannot be checked, and an unchecked 2xx is anyone's.
        let status_is_answer = !wire.signs_answers();
        let (reply, earlier_unknown) =
            self.transport
                .exchange_repeatable(wire, &request, key, status_is_answer);
        let refusal = match reply {
            Ok(reply) if reply.is_success() => return Ok(()),
            Ok(reply) => wire.refusal(reply.status, &reply.body, key),
            Err(e) => e,
        };
        if earlier_unknown && matches!(refusal.http_status(), Some(403 | 404)) {
            log::info!("deactivate: activation already gone after an unanswered attempt");
            return Ok(());
        }
        Err(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn environments() {
        let dodo = Provider::dodo();
        assert_eq!(
            dodo.base_url(&Environment::default()),
            "https://live.dodopayments.com"
        );
        assert!(
            Client::builder()
                .provider(Provider::polar("not-a-uuid"))
                .build()
                .is_err()
        );
        assert!(
            Client::builder()
                .environment(Environment::Custom("http://example.com".into()))
                .build()
                .is_err()
        );
    }

    fn api_message(e: &Error) -> &str {
        match e.kind() {
            ErrorKind::Api { message, .. } => message,
            other => panic!("not an API error: {other:?}"),
        }
    }

    #[test]
    fn long_server_messages_are_cut_at_300_bytes_on_a_char_boundary() {
        let key = LicenseKey::new("secret-key-1234567890").unwrap();
        let answer = |message: &str| {
            let body = serde_json::json!({"code": "X", "message": message}).to_string();
            Provider::dodo().wire().refusal(400, body.as_bytes(), &key)
        };
        assert_eq!(api_message(&answer(&"a".repeat(300))).len(), 300);
        assert_eq!(api_message(&answer(&"a".repeat(301))), "a".repeat(300));
        assert_eq!(api_message(&answer(&"a".repeat(5000))).len(), 300);
        // 'é' is two bytes: byte 300 falls inside the 150th one when one ASCII byte leads.
        let text = format!("a{}", "é".repeat(200));
        let cut = api_message(&answer(&text)).to_owned();
        assert_eq!(cut.len(), 299);
        assert!(text.starts_with(&cut));
        assert_eq!(api_message(&answer("short")), "short");
    }

    mod hostile {
        use super::*;
        use crate::proptest_config::{config, mutated};
        use proptest::prelude::*;

        const KEY: &str = "PROP-SECRET-KEY-0123456789";

        fn providers() -> [Provider; 4] {
            [
                Provider::dodo(),
                Provider::lemon_squeezy(1),
                Provider::polar("1dbfc517-0bbf-4301-9ba8-555ca42b9737"),
                Provider::keygen(
                    "demo",
                    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
                ),
            ]
        }
        const INSTANCE: &str = r#"{"id":"lki_1","business_id":"b","created_at":"2024-01-01T00:00:00Z","customer":{"customer_id":"c","name":"n","email":"e"},"license_key_id":"lic","name":"n","product":{"product_id":"p","name":null}}"#;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn arbitrary_bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), status in 100u16..600) {
                let key = LicenseKey::new(KEY).unwrap();
                for provider in providers() {
                    let wire = provider.wire();
                    if let Err(e) = wire.read_activation(&bytes, &key) {
                        prop_assert!(!e.to_string().contains(KEY));
                    }
                    let _ = wire.read_validation(&wire.validate(&key, None, None), &bytes, &key);
                    let e = wire.refusal(status, &bytes, &key);
                    prop_assert!(!e.to_string().contains(KEY));
                }
            }

            #[test]
            fn mutated_bodies_never_panic(
                instance in mutated(INSTANCE.as_bytes().to_vec()),
                valid in mutated(br#"{"valid":true}"#.to_vec()),
                error in mutated(format!(r#"{{"code":"LICENSE_KEY_NOT_FOUND","message":"no {KEY}","error":"no {KEY}","detail":"no {KEY}"}}"#).into_bytes()),
            ) {
                let key = LicenseKey::new(KEY).unwrap();
                let wire = Provider::dodo();
                if let Ok(i) = wire.wire().read_activation(&instance, &key) {
                    prop_assert!(!i.id.as_str().is_empty());
                }
                let _ = wire.wire().read_validation(&wire.wire().validate(&key, None, None), &valid, &key);
                for provider in providers() {
                    let e = provider.wire().refusal(422, &error, &key);
                    let shown = format!("{e} {e:?}");
                    prop_assert!(!shown.contains(KEY));
                }
            }
        }
    }
}
