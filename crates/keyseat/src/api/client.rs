//! The HTTP side: one reused `ureq` agent, base-URL checks, timeouts, the retry rules of each
//! request kind, and the mapping of every transport failure to an [`ErrorKind`]. What the
//! requests and answers look like is the provider's business ([`super::provider`]).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::http::{HeaderMap, Uri};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::{Agent, Body};

use super::MAX_RESPONSE_BYTES;
use super::provider::{Kind, Next, Provider, Received, Reply, Request, Seat, ambiguous};
use super::retry::{RetryPolicy, retry_after, should_retry_header};
use super::tls::{self, TrustStore};
use super::types::{Activation, Validation};
use crate::error::{ApiCode, Error, ErrorKind};
use crate::key::{InstanceId, LicenseKey};
use crate::sync::Locked;

/// Which of the provider's servers to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// The provider's live server, real customers' keys (`https://live.dodopayments.com`,
    /// `https://api.lemonsqueezy.com`, `https://api.polar.sh`).
    #[default]
    Live,
    /// The provider's test server, the merchant's test-mode keys
    /// (`https://test.dodopayments.com`, `https://sandbox-api.polar.sh`; Lemon Squeezy has
    /// none, and its test keys live on the live server).
    Test,
    /// Any other base URL: `https://…`, or `http://…` on a loopback address only (the
    /// emulator, a local proxy).
    Custom(String),
}

impl Environment {
    /// The environment named `live` or `test`, or `None` for any other name (a custom
    /// server is given by its URL instead).
    pub fn from_name(name: &str) -> Option<Environment> {
        match name {
            "live" => Some(Environment::Live),
            "test" => Some(Environment::Test),
            _ => None,
        }
    }
}

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
        // rustls with ring, set here rather than through ureq's `rustls` feature, which would
        // also link a second copy of the Mozilla roots.
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let user_agent = format!(
            "keyseat/{} ({}; {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        let agent = |pooled: bool| -> Agent {
            let mut config = Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_connect(Some(self.connect_timeout))
                .timeout_global(Some(self.timeout))
                .tls_config(
                    ureq::tls::TlsConfig::builder()
                        .provider(ureq::tls::TlsProvider::Rustls)
                        .unversioned_rustls_crypto_provider(provider.clone())
                        .root_certs(roots.clone())
                        .build(),
                )
                .user_agent(user_agent.as_str());
            if !pooled {
                config = config
                    .max_idle_connections(0)
                    .max_idle_connections_per_host(0);
            }
            Agent::with_parts(
                config.build(),
                ureq::unversioned::transport::DefaultConnector::default(),
                super::resolve::Resolver::<DefaultResolver>::default(),
            )
        };
        Ok(Client {
            agent: agent(true),
            // Activation uses a fresh connection each time: a pooled connection the server has
            // quietly closed would turn a harmless resend into an ambiguous activation.
            activation_agent: agent(false),
            base,
            retry: self.retry,
            provider: self.provider,
            quiet_until: Arc::default(),
            signed_host,
            signed_path,
        })
    }
}

/// A client for one provider's three license endpoints. Cheap to clone; clones share
/// connections, and a pause the server asked for.
#[derive(Clone)]
pub struct Client {
    agent: Agent,
    activation_agent: Agent,
    base: String,
    retry: RetryPolicy,
    provider: Provider,
    /// No request is sent before this instant: the end of the wait a 429 asked for.
    quiet_until: Arc<Mutex<Option<Instant>>>,
    /// The host as a signed answer names it: with the port when not the scheme's default.
    signed_host: String,
    /// The base URL's path, before each request's path in a signed answer.
    signed_path: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.provider)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The longest pause a 429 can impose on this process's requests.
const MAX_PAUSE: Duration = Duration::from_secs(3600);

/// What one attempt produced.
enum Attempt {
    /// The server answered with a status; the body may still have failed to arrive.
    Answered {
        status: u16,
        headers: HeaderMap,
        body: Result<Vec<u8>, Error>,
        /// The body failed in transit (cut short, timed out), as opposed to being too large:
        /// worth another try for a request that is safe to repeat.
        body_cut: bool,
    },
    /// No status came back.
    Failed {
        error: Error,
        /// True when the request certainly never reached the server.
        not_sent: bool,
    },
    /// An answer came, but the provider's check of it failed ([`ErrorKind::BadSignature`]):
    /// no answer.
    Unverified(Error),
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base
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
        let seat = Seat { name, fingerprint };
        let wire = self.provider.wire();
        let mut done: Vec<(Request, Reply)> = Vec::new();
        loop {
            match wire.activation_step(key, &seat, &done) {
                Next::Done(activation) => return Ok(activation),
                Next::Fail(e) => return Err(e),
                Next::Send(request, kind) => {
                    let reply = match kind {
                        Kind::SpendsSeat => self.exchange_once(&request, key)?,
                        Kind::Repeatable => self.exchange_repeatable(&request, key, false).0?,
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
        let reply = self.exchange_repeatable(&request, key, false).0?;
        if reply.is_success() {
            wire.read_validation(&request, &reply.body, key)
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
        // freed the slot.
        let (reply, earlier_unknown) = self.exchange_repeatable(&request, key, true);
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

    /// The provider's reading of an error answer.
    fn refusal(&self, status: u16, body: Result<Vec<u8>, Error>, key: &LicenseKey) -> Error {
        match body {
            Ok(b) => self.provider.wire().refusal(status, &b, key),
            Err(e) => e,
        }
    }

    /// The wait before retry number `retry`, or `None` when there is no retry left or the
    /// server asked for a longer pause than the policy's `max_retry_after` (the pause is
    /// kept, and requests before its end fail at once instead of being sent).
    fn wait_before_retry(&self, retry: u32, headers: Option<&HeaderMap>) -> Option<Duration> {
        if retry >= self.retry.max_retries {
            return None;
        }
        if headers
            .and_then(retry_after)
            .is_some_and(|asked| asked > self.retry.max_retry_after)
        {
            return None;
        }
        Some(self.retry.delay(retry, headers))
    }

    /// Sends a request that spends a seat: retried only when it certainly never arrived.
    /// Returns a definite answer (a success or a refusal), or the error: anything that may
    /// have been processed without a usable answer is [`ErrorKind::AmbiguousActivation`].
    fn exchange_once(&self, request: &Request, key: &LicenseKey) -> Result<Reply, Error> {
        let mut retry = 0;
        loop {
            let (wait_headers, error) = match self.send(&self.activation_agent, request, key) {
                Attempt::Failed {
                    error,
                    not_sent: true,
                } if !is_final(&error) => (None, error),
                Attempt::Failed {
                    error,
                    not_sent: true,
                } => return Err(error),
                Attempt::Failed {
                    error,
                    not_sent: false,
                } => return Err(ambiguous(&error.to_string())),
                Attempt::Answered {
                    status: 429,
                    headers,
                    body,
                    ..
                } => (Some(headers), self.refusal(429, body, key)),
                Attempt::Answered { status, body, .. } if status >= 500 => {
                    return Err(ambiguous(&self.refusal(status, body, key).to_string()));
                }
                Attempt::Answered { status, body, .. } => {
                    let success = (200..300).contains(&status);
                    return match body {
                        Ok(body) => Ok(Reply { status, body }),
                        Err(e) if success => Err(ambiguous(&format!(
                            "the server accepted the activation but {e}"
                        ))),
                        Err(e) => Err(e),
                    };
                }
                Attempt::Unverified(e) => return Err(ambiguous(&e.to_string())),
            };
            let Some(wait) = self.wait_before_retry(retry, wait_headers.as_ref()) else {
                return Err(error);
            };
            log::info!("activate: request not delivered ({error}); retrying in {wait:?}");
            std::thread::sleep(wait);
            retry += 1;
        }
    }

    /// Sends a request that is safe to repeat, retrying per the policy. Returns a definite
    /// answer (a success or a refusal) or the last error, and whether an attempt before the
    /// last one had an unknown outcome. With `status_is_answer` (a deactivation), a success
    /// is the whole answer, whatever became of its body.
    fn exchange_repeatable(
        &self,
        request: &Request,
        key: &LicenseKey,
        status_is_answer: bool,
    ) -> (Result<Reply, Error>, bool) {
        let mut earlier_unknown = false;
        let mut retry = 0;
        loop {
            let (unknown, retryable, headers, result) = match self.send(&self.agent, request, key) {
                Attempt::Failed { error, not_sent } => {
                    (!not_sent, !is_final(&error), None, Err(error))
                }
                // A forged or damaged answer: asking again would only bring another.
                Attempt::Unverified(e) => (true, false, None, Err(e)),
                Attempt::Answered {
                    status,
                    headers,
                    body,
                    body_cut,
                } => {
                    let passing = is_passing(status);
                    let body = match body {
                        Err(_) if status_is_answer && (200..300).contains(&status) => {
                            Ok(Vec::new())
                        }
                        body => body,
                    };
                    let retryable = should_retry_header(&headers).unwrap_or(passing || body_cut)
                        && (passing || body.is_err());
                    let result = match body {
                        Ok(body) if !passing => Ok(Reply { status, body }),
                        body => Err(self.refusal(status, body, key)),
                    };
                    (status >= 500 || body_cut, retryable, Some(headers), result)
                }
            };
            let wait = match &result {
                Err(e) if retryable => self
                    .wait_before_retry(retry, headers.as_ref())
                    .map(|w| (e, w)),
                _ => None,
            };
            let Some((e, wait)) = wait else {
                return (result, earlier_unknown);
            };
            log::info!(
                "{}: attempt {} failed ({e}); retrying in {wait:?}",
                request.path,
                retry + 1
            );
            earlier_unknown |= unknown;
            std::thread::sleep(wait);
            retry += 1;
        }
    }

    /// One request: sends it, reads the answer with the size limit, and has the provider
    /// check it. Nothing is sent while a pause asked for by a 429 lasts.
    fn send(&self, agent: &Agent, request: &Request, key: &LicenseKey) -> Attempt {
        if let Some(left) = self.pause_left() {
            return Attempt::Failed {
                error: Error::new(ErrorKind::Api {
                    status: 429,
                    code: ApiCode::TooManyRequests,
                    message: format!(
                        "not sent: the license server asked for no requests for {} s more",
                        left.as_secs().max(1)
                    ),
                }),
                not_sent: true,
            };
        }
        let url = format!("{}{}", self.base, request.path);
        log::debug!("{} {url}", request.method);
        let sent = self.dispatch(agent, request, &url);
        match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                log::debug!("{} {url} -> {status}", request.method);
                let headers = response.headers().clone();
                if status == 429 {
                    self.pause(&headers);
                }
                let (body, body_cut) = match read_body(response.body_mut(), status, key) {
                    Ok(bytes) => (Ok(bytes), false),
                    Err(BodyFailure::TooLarge(e)) => (Err(e), false),
                    Err(BodyFailure::Cut(e)) => (Err(e), true),
                };
                // Only a definite answer is read as one, so only it must pass the check: a
                // passing status (a proxy's, often) is no answer whatever it says.
                if !is_passing(status)
                    && let Ok(bytes) = &body
                    && let Err(e) = self.verify(request, &headers, bytes)
                {
                    log::warn!("{} {url}: {e}", request.method);
                    return Attempt::Unverified(e);
                }
                Attempt::Answered {
                    status,
                    headers,
                    body,
                    body_cut,
                }
            }
            Err(e) => {
                let (error, not_sent) = classify(&e, key);
                log::debug!("{} {url} failed: {error}", request.method);
                Attempt::Failed { error, not_sent }
            }
        }
    }

    /// Sends `request` to `url` with its method, headers and body.
    fn dispatch(
        &self,
        agent: &Agent,
        request: &Request,
        url: &str,
    ) -> Result<ureq::http::Response<Body>, ureq::Error> {
        match request.method {
            "GET" => with_headers(agent.get(url), request).call(),
            "DELETE" => with_headers(agent.delete(url), request).call(),
            _ => with_headers(agent.post(url), request)
                .content_type(request.content_type)
                .send(&request.body[..]),
        }
    }

    /// The provider's check of an answer (Keygen's signatures), with what it signs.
    fn verify(&self, request: &Request, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
        let target = format!("{}{}", self.signed_path, request.path);
        self.provider.wire().verify(&Received {
            method: &request.method.to_ascii_lowercase(),
            host: &self.signed_host,
            target: &target,
            headers,
            body,
        })
    }

    /// Remembers the pause a 429 asked for (`Retry-After`), at most [`MAX_PAUSE`].
    fn pause(&self, headers: &HeaderMap) {
        if let Some(asked) = retry_after(headers) {
            let until = Instant::now() + asked.min(MAX_PAUSE);
            log::info!("the license server asked for a pause of {asked:?}");
            *self.quiet_until.locked() = Some(until);
        }
    }

    /// What is left of the pause a 429 asked for, if any.
    fn pause_left(&self) -> Option<Duration> {
        let until = (*self.quiet_until.locked())?;
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }
}

/// A status that is no answer to the request, only a passing state of the server or of a
/// proxy before it: 408, 429 and every 5xx.
fn is_passing(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// `builder` with the request's `Accept` and further headers.
fn with_headers<B>(
    mut builder: ureq::RequestBuilder<B>,
    request: &Request,
) -> ureq::RequestBuilder<B> {
    builder = builder.header("accept", request.accept);
    for (name, value) in &request.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
}

/// Why a response body could not be used.
enum BodyFailure {
    /// Larger than [`MAX_RESPONSE_BYTES`]: another try would bring the same.
    TooLarge(Error),
    /// Cut short or timed out in transit: another try may succeed.
    Cut(Error),
}

/// Reads a response body, refusing more than [`MAX_RESPONSE_BYTES`].
fn read_body(body: &mut Body, status: u16, key: &LicenseKey) -> Result<Vec<u8>, BodyFailure> {
    body.with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => BodyFailure::TooLarge(Error::invalid_response(
                Some(status),
                format!("body larger than {MAX_RESPONSE_BYTES} bytes"),
            )),
            ureq::Error::Timeout(_) => BodyFailure::Cut(Error::new(ErrorKind::Timeout)),
            other => BodyFailure::Cut(Error::invalid_response(
                Some(status),
                format!(
                    "body could not be read in full: {}",
                    key.scrub(&other.to_string())
                ),
            )),
        })
}

/// Maps a transport error to an [`Error`], and says whether the request certainly never
/// reached the server.
fn classify(e: &ureq::Error, key: &LicenseKey) -> (Error, bool) {
    use std::io::ErrorKind as Io;
    use ureq::Timeout;
    if let Some(certificate) = tls::certificate_failure(e) {
        // The handshake failed before the request was sent.
        return (certificate, true);
    }
    let text = key.scrub(&e.to_string());
    match e {
        ureq::Error::Timeout(t) => (
            Error::new(ErrorKind::Timeout),
            matches!(t, Timeout::Resolve | Timeout::Connect),
        ),
        // The CONNECT was refused before anything reached the license server.
        ureq::Error::ConnectProxyFailed(reason) if reason.contains("responded 407") => {
            (Error::new(ErrorKind::ProxyAuthentication(text)), true)
        }
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => (Error::new(ErrorKind::Network(text)), true),
        ureq::Error::Io(io) => {
            let not_sent = matches!(
                io.kind(),
                Io::ConnectionRefused
                    | Io::AddrNotAvailable
                    | Io::NetworkUnreachable
                    | Io::HostUnreachable
                    | Io::NetworkDown
            );
            (Error::new(ErrorKind::Network(text)), not_sent)
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
            (Error::invalid_input(text), true)
        }
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => {
            (Error::invalid_response(None, text), false)
        }
        _ => (Error::new(ErrorKind::Network(text)), false),
    }
}

/// A failure without an answer that does not heal by itself, so never worth a retry: an
/// untrusted certificate, or a proxy refusing the credentials it was given (asking again
/// with the same ones can only lock the account).
/// A request held back by a pause the server asked for ([`ErrorKind::Api`] without an
/// answer) is final too: trying again before the pause ends can only be held back again.
fn is_final(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Certificate(_) | ErrorKind::ProxyAuthentication(_) | ErrorKind::Api { .. }
    )
}

/// The host (with a port that is not the scheme's default) and the path of a base URL, as
/// a signed answer names them.
fn signed_parts(base: &str) -> Result<(String, String), Error> {
    let uri: Uri = base
        .parse()
        .map_err(|_| Error::invalid_input(format!("not a URL: {base:?}")))?;
    let host = uri.host().unwrap_or_default();
    let default_port = match uri.scheme_str() {
        Some("http") => 80,
        _ => 443,
    };
    let host = match uri.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    Ok((host, uri.path().trim_end_matches('/').to_owned()))
}

/// Accepts `https://host[:port][/path]`, and `http://` only for loopback hosts.
fn check_base_url(base: &str) -> Result<(), Error> {
    let uri: Uri = base
        .parse()
        .map_err(|_| Error::invalid_input(format!("not a URL: {base:?}")))?;
    let host = uri
        .host()
        .ok_or_else(|| Error::invalid_input(format!("URL has no host: {base:?}")))?;
    if uri.query().is_some() {
        return Err(Error::invalid_input("the base URL must not have a query"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(Error::invalid_input(format!(
            "plain http:// is refused for {host}: use https://, or a loopback address for a \
             local server"
        ))),
        _ => Err(Error::invalid_input(format!(
            "the base URL must start with https:// : {base:?}"
        ))),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert!(check_base_url("https://live.dodopayments.com").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://127.5.0.1:8080/prefix").is_ok());
        assert!(check_base_url("http://[::1]:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        let refused = check_base_url("http://example.com").unwrap_err();
        assert!(refused.to_string().contains("plain http://"), "{refused}");
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("ftp://example.com").is_err());
        assert!(check_base_url("not a url").is_err());
        assert!(check_base_url("https://x.com/?a=b").is_err());
    }

    #[test]
    fn environments_by_name() {
        assert_eq!(Environment::from_name("live"), Some(Environment::Live));
        assert_eq!(Environment::from_name("test"), Some(Environment::Test));
        assert_eq!(Environment::from_name("Live"), None);
        assert_eq!(Environment::from_name("staging"), None);
    }

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

    #[test]
    fn activation_never_reuses_a_connection_and_the_rest_do() {
        let client = Client::builder()
            .environment(Environment::Custom("http://127.0.0.1:1/".into()))
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
        assert!(format!("{client:?}").contains("http://127.0.0.1:1"));
        assert_eq!(client.activation_agent.config().max_idle_connections(), 0);
        assert_eq!(
            client
                .activation_agent
                .config()
                .max_idle_connections_per_host(),
            0
        );
        assert!(client.agent.config().max_idle_connections() > 0);
        assert!(client.agent.config().max_idle_connections_per_host() > 0);
    }

    #[test]
    fn failures_before_sending_are_marked_not_sent() {
        let key = LicenseKey::new("secret-key-1234567890").unwrap();
        for e in [
            ureq::Error::HostNotFound,
            ureq::Error::ConnectionFailed,
            ureq::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
        ] {
            let (error, not_sent) = classify(&e, &key);
            assert!(matches!(error.kind(), ErrorKind::Network(_)), "{e:?}");
            assert!(not_sent, "{e:?}");
        }
        let refused = ureq::Error::ConnectProxyFailed("proxy server responded 407/407".into());
        let (error, not_sent) = classify(&refused, &key);
        assert!(
            matches!(error.kind(), ErrorKind::ProxyAuthentication(_)),
            "{error:?}"
        );
        assert!(not_sent && is_final(&error) && error.is_unreachable());
        assert!(
            error.to_string().contains("refused the credentials"),
            "{error}"
        );
        let other = ureq::Error::ConnectProxyFailed("proxy server responded 502/502".into());
        assert!(matches!(
            classify(&other, &key).0.kind(),
            ErrorKind::Network(_)
        ));
        let (error, not_sent) = classify(&ureq::Error::InvalidProxyUrl, &key);
        assert!(matches!(error.kind(), ErrorKind::InvalidInput(_)));
        assert!(not_sent);
        let lost = ureq::Error::Io(std::io::ErrorKind::ConnectionReset.into());
        let (error, not_sent) = classify(&lost, &key);
        assert!(matches!(error.kind(), ErrorKind::Network(_)));
        assert!(!not_sent, "a reset may come after the request was read");
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
