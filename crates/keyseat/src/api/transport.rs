//! The HTTP side: one reused `ureq` agent (and one that never reuses a connection, for
//! activations), timeouts, the retry rules of each request kind, a pause a 429 asked for, and
//! the mapping of every transport failure to an [`ErrorKind`]. What the requests and
//! answers look like is the provider's business ([`super::provider`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::http::HeaderMap;
use ureq::tls::RootCerts;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::{Agent, Body};

use super::MAX_RESPONSE_BYTES;
use super::provider::{Received, Reply, Request, Wire, ambiguous};
use super::retry::{RetryPolicy, retry_after, should_retry_header};
use super::tls;
use crate::error::{ApiCode, Error, ErrorKind};
use crate::key::LicenseKey;
use crate::sync::Locked;

/// How requests are sent: timeouts, retries and the trusted roots.
pub(super) struct Settings {
    /// Time allowed to open a connection, TLS included.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request.
    pub timeout: Duration,
    /// The retry schedule.
    pub retry: RetryPolicy,
    /// The trusted root certificates.
    pub roots: RootCerts,
}

/// The connections to one base URL, and the pause a 429 asked for. Cheap to clone; clones
/// share connections and the pause.
#[derive(Clone)]
pub(super) struct Transport {
    agent: Agent,
    activation_agent: Agent,
    base: String,
    retry: RetryPolicy,
    /// No request is sent before this instant: the end of the wait a 429 asked for.
    quiet_until: Arc<Mutex<Option<Instant>>>,
    /// The host as a signed answer names it: with the port when not the scheme's default.
    signed_host: String,
    /// The base URL's path, before each request's path in a signed answer.
    signed_path: String,
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

impl Transport {
    /// The transport to `base` (already checked), as a signed answer names it by
    /// `signed_host` and `signed_path`.
    pub(super) fn new(
        base: String,
        (signed_host, signed_path): (String, String),
        settings: Settings,
    ) -> Transport {
        // rustls with ring, set here rather than through ureq's `rustls` feature, which would
        // also link a second copy of the Mozilla roots.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
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
                .timeout_connect(Some(settings.connect_timeout))
                .timeout_global(Some(settings.timeout))
                .tls_config(
                    ureq::tls::TlsConfig::builder()
                        .provider(ureq::tls::TlsProvider::Rustls)
                        .unversioned_rustls_crypto_provider(provider.clone())
                        .root_certs(settings.roots.clone())
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
        Transport {
            agent: agent(true),
            // Activation uses a fresh connection each time: a pooled connection the server has
            // quietly closed would turn a harmless resend into an ambiguous activation.
            activation_agent: agent(false),
            base,
            retry: settings.retry,
            quiet_until: Arc::default(),
            signed_host,
            signed_path,
        }
    }

    /// The base URL requests go to.
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// The provider's reading of an error answer.
    fn refusal(
        &self,
        wire: &dyn Wire,
        status: u16,
        body: Result<Vec<u8>, Error>,
        key: &LicenseKey,
    ) -> Error {
        match body {
            Ok(b) => wire.refusal(status, &b, key),
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
    pub(super) fn exchange_once(
        &self,
        wire: &dyn Wire,
        request: &Request,
        key: &LicenseKey,
    ) -> Result<Reply, Error> {
        let mut retry = 0;
        loop {
            let (wait_headers, error) = match self.send(wire, &self.activation_agent, request, key)
            {
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
                } => (Some(headers), self.refusal(wire, 429, body, key)),
                Attempt::Answered { status, body, .. } if status >= 500 => {
                    return Err(ambiguous(
                        &self.refusal(wire, status, body, key).to_string(),
                    ));
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
    pub(super) fn exchange_repeatable(
        &self,
        wire: &dyn Wire,
        request: &Request,
        key: &LicenseKey,
        status_is_answer: bool,
    ) -> (Result<Reply, Error>, bool) {
        let mut earlier_unknown = false;
        let mut retry = 0;
        loop {
            let (unknown, retryable, headers, result) =
                match self.send(wire, &self.agent, request, key) {
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
                        let retryable = should_retry_header(&headers)
                            .unwrap_or(passing || body_cut)
                            && (passing || body.is_err());
                        let result = match body {
                            Ok(body) if !passing => Ok(Reply { status, body }),
                            body => Err(self.refusal(wire, status, body, key)),
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
    fn send(&self, wire: &dyn Wire, agent: &Agent, request: &Request, key: &LicenseKey) -> Attempt {
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
                    && let Err(e) = self.verify(wire, request, &headers, bytes)
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
    fn verify(
        &self,
        wire: &dyn Wire,
        request: &Request,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), Error> {
        let target = format!("{}{}", self.signed_path, request.path);
        wire.verify(&Received {
            method: &request.method.to_ascii_lowercase(),
            host: &self.signed_host,
            target: &target,
            headers,
            body,
            echo: request.echo.as_ref(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_never_reuses_a_connection_and_the_rest_do() {
        let settings = Settings {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            roots: tls::root_certs(tls::TrustStore::Bundled, None).unwrap(),
        };
        let base = "http://127.0.0.1:1".to_owned();
        let t = Transport::new(base, ("127.0.0.1:1".into(), String::new()), settings);
        assert_eq!(t.base(), "http://127.0.0.1:1");
        let once = t.activation_agent.config();
        assert_eq!(once.max_idle_connections(), 0);
        assert_eq!(once.max_idle_connections_per_host(), 0);
        assert!(t.agent.config().max_idle_connections() > 0);
        assert!(t.agent.config().max_idle_connections_per_host() > 0);
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
}
