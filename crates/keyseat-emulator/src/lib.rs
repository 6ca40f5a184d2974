//! # keyseat-emulator
//!
//! A local HTTP server that answers like the public license endpoints of Dodo Payments
//! (`/licenses/…`), Lemon Squeezy (`/v1/licenses/…`), Polar
//! (`/v1/customer-portal/license-keys/…`) and Keygen (`/v1/accounts/{account}/…`, every
//! answer signed), all at once on one base URL, with a control surface and fault
//! injection, so that keyseat's tests, examples and demo run with no network.
//!
//! ```
//! use keyseat_emulator::{Emulator, KeySpec};
//!
//! let emulator = Emulator::start(vec![KeySpec::new("TEST-KEY-0001").with_limit(2)])?;
//! println!("serving on {}", emulator.url());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The server speaks HTTP/1.1, one request per connection, over plain TCP on the address it
//! is given (a loopback address in every use here), or over TLS with a throwaway CA
//! ([`Emulator::start_tls`]). It is written directly on `std::net` so that faults can drop,
//! reset or cut short a connection at any point. [`ConnectProxy`] is a small HTTP CONNECT
//! proxy for testing clients behind one.

#![warn(missing_docs)]

mod control;
mod dodo_api;
mod faults;
mod http;
mod provider;
mod proxy;
mod rate_limit;
mod signing;
mod state;
mod stream;
mod tls;
mod webhooks;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub use faults::Fault;
pub use proxy::ConnectProxy;
pub use rate_limit::{RateLimits, Window};
pub use state::{DEFAULT_PRODUCT_ID, Endpoint, InstanceRecord, KeySpec, KeyStatus};
pub use webhooks::SentWebhook;

use faults::{FaultQueue, Plan, drop_connection};
use http::Response;
use state::State;
use stream::Stream;
use tls::TlsIdentity;

/// [`Mutex::lock`], ignoring poisoning: a panicking request thread must not take the whole
/// emulator down with it.
pub(crate) trait Locked<T> {
    /// The guard, whether or not a holder panicked.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// State shared by the server's threads.
pub(crate) struct Shared {
    state: Mutex<State>,
    faults: Mutex<FaultQueue>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.locked()
    }
    fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        self.faults.locked()
    }
}

struct Listening {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tls: Option<TlsIdentity>,
    listening: Mutex<Option<Listening>>,
}

impl Emulator {
    /// Starts on a free port of 127.0.0.1 with the given keys.
    ///
    /// # Errors
    /// When no socket can be bound.
    pub fn start(keys: Vec<KeySpec>) -> io::Result<Emulator> {
        Emulator::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), keys)
    }

    /// Starts on `addr` (port 0 picks a free one) with the given keys.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub fn start_on(addr: SocketAddr, keys: Vec<KeySpec>) -> io::Result<Emulator> {
        Emulator::start_with(addr, keys, None)
    }

    /// Starts serving HTTPS on a free port of 127.0.0.1 with the given keys, with a
    /// certificate signed by a CA made for this emulator alone ([`Emulator::ca_pem`]).
    ///
    /// # Errors
    /// When no socket can be bound or the certificates cannot be made.
    pub fn start_tls(keys: Vec<KeySpec>) -> io::Result<Emulator> {
        Emulator::start_tls_on(SocketAddr::from(([127, 0, 0, 1], 0)), keys)
    }

    /// As [`Emulator::start_tls`], on `addr`.
    ///
    /// # Errors
    /// When the address cannot be bound or the certificates cannot be made.
    pub fn start_tls_on(addr: SocketAddr, keys: Vec<KeySpec>) -> io::Result<Emulator> {
        Emulator::start_with(addr, keys, Some(tls::generate()?))
    }

    fn start_with(
        addr: SocketAddr,
        keys: Vec<KeySpec>,
        tls: Option<TlsIdentity>,
    ) -> io::Result<Emulator> {
        let mut state = State::default();
        state.keygen_key = Some(Arc::new(signing::SigningKey::generate()?));
        for key in keys {
            provider::add_key(&mut state, key);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            faults: Mutex::new(FaultQueue::default()),
        });
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let emulator = Emulator {
            shared,
            addr,
            tls,
            listening: Mutex::new(None),
        };
        emulator.listen(listener);
        Ok(emulator)
    }

    /// The base URL: `http://127.0.0.1:PORT`, or `https://…` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM of the CA that signed the server certificate, when serving TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The public key Keygen's answers are signed with: 64 hexadecimal characters, what a
    /// client is given as the account's key. A new key is made at start.
    pub fn keygen_public_key(&self) -> String {
        self.shared
            .state()
            .keygen_key
            .as_ref()
            .map(|k| k.public_hex())
            .unwrap_or_default()
    }

    /// Signs Keygen's answers from now on with the Ed25519 key of this 32-byte seed.
    ///
    /// # Errors
    /// When the seed is refused (never for 32 bytes).
    pub fn use_keygen_seed(&self, seed: &[u8; 32]) -> io::Result<()> {
        let key = signing::SigningKey::from_seed(seed)?;
        self.shared.state().keygen_key = Some(Arc::new(key));
        Ok(())
    }

    /// Adds a key, or replaces the one with the same text (a Dodo key added is announced to
    /// the webhook receiver as `license_key.created`).
    pub fn add_key(&self, spec: KeySpec) {
        let key = spec.key.clone();
        provider::add_key(&mut self.shared.state(), spec);
        webhooks::notify(&self.shared.state, &key, webhooks::Change::Added);
    }

    /// Serves Dodo's API-key endpoints to callers with this key (`Authorization: Bearer`).
    pub fn set_api_key(&self, key: &str) {
        self.shared.state().api_key = Some(key.to_owned());
    }

    /// Keeps these rate limits (`RateLimits::dodo()`, Dodo's documented ones), or none.
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        let mut state = self.shared.state();
        state.rate_limits = limits;
        state.limiter = rate_limit::Limiter::default();
    }

    /// Sends Dodo's webhooks (Standard Webhooks) to `url`, signed with `secret`
    /// (`whsec_<base64>`), when a Dodo key is added, disabled, enabled or expired.
    ///
    /// # Errors
    /// When the secret is not `whsec_` followed by base64.
    pub fn set_webhook(&self, url: &str, secret: &str) -> io::Result<()> {
        let target = webhooks::Target::new(url, secret)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.shared.state().webhook = Some(target);
        Ok(())
    }

    /// Every webhook sent, oldest first.
    pub fn sent_webhooks(&self) -> Vec<SentWebhook> {
        self.shared.state().sent_webhooks.clone()
    }

    /// Requests received on Dodo's API-key endpoints (all routes, all answers).
    pub fn api_request_count(&self) -> u64 {
        self.shared.state().api_counts.values().sum()
    }

    /// Sets a key's status (announced to the webhook receiver, for a Dodo key); false when
    /// the key is unknown.
    pub fn set_key_status(&self, key: &str, status: KeyStatus) -> bool {
        let known = self.shared.state().set_status(key, status);
        if known {
            webhooks::notify(&self.shared.state, key, webhooks::Change::Status);
        }
        known
    }

    /// Every instance held.
    pub fn instances(&self) -> Vec<InstanceRecord> {
        self.shared.state().instances()
    }

    /// The instances of one key.
    pub fn instances_of(&self, key: &str) -> Vec<InstanceRecord> {
        self.shared.state().instances_of(key)
    }

    /// Requests received by one endpoint so far, of every provider (faulted ones included).
    pub fn request_count(&self, endpoint: Endpoint) -> u64 {
        self.shared
            .state()
            .counts
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received by one endpoint of `provider` (`dodo`, `lemonsqueezy`, `polar`).
    pub fn request_count_of(&self, provider: &str, endpoint: Endpoint) -> u64 {
        self.shared
            .state()
            .counts_by_provider
            .get(&(provider.to_owned(), endpoint))
            .copied()
            .unwrap_or(0)
    }

    /// Requests so far that carried an `Authorization` header.
    pub fn authorization_headers_seen(&self) -> u64 {
        self.shared.state().authorization_headers
    }

    /// Applies `fault` to the next `count` requests of `endpoint`.
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, count: u32) {
        self.shared.faults().push(endpoint, fault, count);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }

    /// Stops listening: new connections are refused until [`Emulator::resume`]. State is kept.
    pub fn stop(&self) {
        let taken = self.listening.locked().take();
        if let Some(l) = taken {
            l.stop.store(true, Ordering::SeqCst);
            // Wake the accept call so the thread sees the flag and closes the socket.
            let _ = TcpStream::connect(self.addr);
            let _ = l.thread.join();
        }
    }

    /// Listens again on the same address after [`Emulator::stop`].
    ///
    /// # Errors
    /// When the address has been taken meanwhile.
    pub fn resume(&self) -> io::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr)?;
        self.listen(listener);
        Ok(())
    }

    /// True while the server accepts connections.
    pub fn is_running(&self) -> bool {
        self.listening.locked().is_some()
    }

    fn listen(&self, listener: TcpListener) {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::clone(&self.shared);
        let flag = Arc::clone(&stop);
        let tls = self.tls.as_ref().map(|t| Arc::clone(&t.server));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(tcp) = stream else { continue };
                let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(30)));
                let Ok(stream) = Stream::accept(tcp, tls.as_ref()) else {
                    continue;
                };
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(&shared, stream));
            }
        });
        *self.listening.locked() = Some(Listening { stop, thread });
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads `keys.json`: an array of key objects, each checked for its provider
/// (a known provider, and the account and ids that provider needs).
///
/// # Errors
/// When the file cannot be read, is not such an array, or a key lacks what its provider
/// needs.
pub fn load_keys(path: &Path) -> io::Result<Vec<KeySpec>> {
    let text = std::fs::read(path)?;
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let keys: Vec<KeySpec> = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
    for key in &keys {
        provider::check(key).map_err(invalid)?;
    }
    Ok(keys)
}

/// Serves one connection: one request, one answer (or a fault).
fn serve(shared: &Shared, mut stream: Stream) {
    let request = match http::read_request(&mut stream) {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            let _ =
                Response::error(400, "INVALID_REQUEST_BODY", &e.to_string()).write_to(&mut stream);
            return;
        }
    };
    if request.path.starts_with("/_emulator/") {
        let _ = control::handle(shared, &request).write_to(&mut stream);
        return;
    }
    if let Some(route) = dodo_api::route(&request.method, &request.path) {
        let _ = api_answer(shared, &route, &request).write_to(&mut stream);
        return;
    }
    let Some((provider, endpoint)) = provider::route(&request.method, &request.path) else {
        let _ = match provider::endpoint_of(&request.path) {
            Some(_) => Response::error(405, "METHOD_NOT_ALLOWED", "Not with this method"),
            None => Response::error(404, "NOT_FOUND", "Not found"),
        }
        .write_to(&mut stream);
        return;
    };
    let (fault, limited) = {
        let mut state = shared.state();
        *state.counts.entry(endpoint).or_default() += 1;
        let by_provider = (provider.name().to_owned(), endpoint);
        *state.counts_by_provider.entry(by_provider).or_default() += 1;
        if request.header("authorization").is_some() && !provider.authenticates() {
            state.authorization_headers += 1;
        }
        let ip = stream.tcp().peer_addr().map(|a| a.ip().to_string());
        let limited = match (provider.name(), state.rate_limits.clone()) {
            ("dodo", Some(limits)) => {
                let bucket = rate_limit::Bucket::Public(ip.unwrap_or_default());
                Some(
                    state
                        .limiter
                        .admit(&limits, bucket, std::time::Instant::now()),
                )
            }
            _ => None,
        };
        (shared.faults().pop(endpoint), limited)
    };
    let rate_headers = match limited {
        Some(Err(refused)) => {
            let _ = refused.write_to(&mut stream);
            return;
        }
        Some(Ok(headers)) => headers,
        None => Vec::new(),
    };
    let plan = fault.map_or(Plan::Process(faults::AfterProcessing::Send), |f| {
        f.plan(&|status| provider.fault_answer(&shared.state(), &request, status))
    });
    match plan {
        Plan::Answer(response) => {
            let _ = response.write_to(&mut stream);
        }
        Plan::Drop(reset) => drop_connection(stream.tcp(), reset),
        Plan::Process(after) => {
            let mut response = provider.handle(&mut shared.state(), endpoint, &request);
            response.headers.extend(rate_headers);
            let _ = after.deliver(response, &mut stream);
        }
    }
}

/// The answer of one of Dodo's API-key endpoints: 401 without the API key, 429 over the
/// rate limit, else the route's.
fn api_answer(shared: &Shared, route: &dodo_api::Route, request: &http::Request) -> Response {
    let mut state = shared.state();
    *state.api_counts.entry(route.name()).or_default() += 1;
    if !dodo_api::authorized(request, state.api_key.as_deref()) {
        return Response::error(401, "UNAUTHORIZED", "Missing or invalid API key");
    }
    let headers = match state.rate_limits.clone() {
        Some(limits) => {
            let bucket = rate_limit::Bucket::Api(state.api_key.clone().unwrap_or_default());
            match state
                .limiter
                .admit(&limits, bucket, std::time::Instant::now())
            {
                Ok(headers) => headers,
                Err(refused) => return *refused,
            }
        }
        None => Vec::new(),
    };
    let mut response = dodo_api::handle(&state, route, request);
    response.headers.extend(headers);
    response
}
