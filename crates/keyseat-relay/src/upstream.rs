//! Dodo, upstream: its three public license calls through the core crate's Dodo client (one
//! attempt each: the relay's own budget decides what is sent), and its API-key calls (license
//! keys, instances, entitlement grants) with the API key, which never leaves this module in
//! a log line, an error or an answer. Every call spends Dodo's budget first. The calls
//! block; the server runs them on tokio's blocking threads.

use std::sync::Arc;
use std::time::Duration;

use keyseat::api::{Activation, Client, Environment, Provider, RetryPolicy};
use keyseat::{ErrorCode, InstanceId, LicenseKey};
use serde::Deserialize;

use crate::budget::{Budget, Call, Spent};
use crate::config::Secret;
use crate::metrics::Metrics;

/// Why Dodo gave no usable answer, or what its refusal was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    /// The budget is spent (or Dodo asked for a pause): nothing was sent.
    Spent(Duration),
    /// Dodo's definite "no": its status, code and message (the key scrubbed).
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// An activation that may or may not have been made: its answer was lost.
    Ambiguous(String),
    /// No answer.
    Unreachable(String),
    /// The API key was refused: the relay is misconfigured.
    Unauthorized,
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Spent(d) => write!(f, "Dodo's budget is spent for {}s", d.as_secs()),
            UpstreamError::Refused { status, code, .. } => {
                write!(f, "Dodo refused ({status} {code})")
            }
            UpstreamError::Ambiguous(why) => write!(f, "the activation's answer was lost: {why}"),
            UpstreamError::Unreachable(why) => write!(f, "Dodo could not be reached: {why}"),
            UpstreamError::Unauthorized => f.write_str("Dodo refused the API key"),
        }
    }
}

/// A `LicenseKey` of Dodo's API: the fields read.
#[derive(Debug, Clone, Deserialize)]
pub struct DodoKey {
    pub id: String,
    pub customer_id: String,
    pub product_id: String,
    pub status: String,
    #[serde(default)]
    pub activations_limit: Option<i64>,
    #[serde(default)]
    pub instances_count: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// A `LicenseKeyInstance`.
#[derive(Debug, Clone, Deserialize)]
pub struct DodoInstance {
    pub id: String,
    pub license_key_id: String,
    pub name: String,
    pub created_at: String,
}

/// An `EntitlementGrant`: the fields read.
#[derive(Debug, Clone, Deserialize)]
pub struct DodoGrant {
    pub id: String,
    pub entitlement_id: String,
    pub status: String,
    #[serde(default)]
    pub license_key: Option<GrantKey>,
}

/// A grant's `license_key`.
#[derive(Debug, Clone, Deserialize)]
pub struct GrantKey {
    pub key: String,
    #[serde(default)]
    pub activations_used: Option<i64>,
    #[serde(default)]
    pub activations_limit: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

/// Dodo, upstream.
pub struct Upstream {
    client: Client,
    agent: ureq::Agent,
    base: String,
    api_key: Secret,
    budget: Budget,
    metrics: Arc<Metrics>,
}

/// The longest page Dodo gives.
const PAGE_SIZE: usize = 100;

impl Upstream {
    /// Dodo at `base` (its live or test server, or the emulator), with this API key and
    /// budget.
    ///
    /// # Errors
    /// A malformed base URL.
    pub fn new(
        base: &str,
        api_key: Secret,
        budget: Budget,
        metrics: Arc<Metrics>,
    ) -> Result<Upstream, String> {
        let client = Client::builder()
            .provider(Provider::dodo())
            .environment(Environment::Custom(base.to_owned()))
            .retry_policy(RetryPolicy::never())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("--upstream-url: {e}"))?;
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(15)))
            .tls_config(tls)
            .user_agent(concat!("keyseat-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Upstream {
            client,
            agent,
            base: base.trim_end_matches('/').to_owned(),
            api_key,
            budget,
            metrics,
        })
    }

    /// Spends one call of `call`'s budget.
    fn spend(&self, call: Call) -> Result<(), UpstreamError> {
        self.budget.take(call).map_err(|Spent(wait)| {
            self.metrics.upstream(call.name(), "budget_spent", None);
            UpstreamError::Spent(wait)
        })
    }

    /// One public call, timed and counted, its error read.
    fn public<T>(
        &self,
        what: &'static str,
        call: impl FnOnce(&Client) -> Result<T, keyseat::Error>,
    ) -> Result<T, UpstreamError> {
        self.spend(Call::Public)?;
        let started = std::time::Instant::now();
        let result = call(&self.client);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) if e.is_rejection() => "refused",
            Err(_) => "failed",
        };
        self.metrics
            .upstream(what, outcome, Some(started.elapsed().as_secs_f64()));
        result.map_err(|e| self.public_error(&e))
    }

    fn public_error(&self, e: &keyseat::Error) -> UpstreamError {
        if e.code() == ErrorCode::RateLimited {
            self.budget.pause(Call::Public, Duration::from_secs(60));
            return UpstreamError::Spent(Duration::from_secs(60));
        }
        if e.is_rejection() {
            let (status, code, message) = match e.kind() {
                keyseat::ErrorKind::Api {
                    status,
                    code,
                    message,
                } => (*status, code.as_str().to_owned(), message.clone()),
                _ => (
                    e.http_status().unwrap_or(400),
                    "REFUSED".into(),
                    e.to_string(),
                ),
            };
            return UpstreamError::Refused {
                status,
                code,
                message,
            };
        }
        match e.kind() {
            keyseat::ErrorKind::AmbiguousActivation(why) => UpstreamError::Ambiguous(why.clone()),
            _ => UpstreamError::Unreachable(e.to_string()),
        }
    }

    /// `POST /licenses/activate`: spends a seat; never retried.
    ///
    /// # Errors
    /// As [`UpstreamError`].
    pub fn activate(&self, key: &LicenseKey, name: &str) -> Result<Activation, UpstreamError> {
        self.public("activate", |c| c.activate(key, name))
    }

    /// `POST /licenses/validate` of the key and, when given, its instance.
    ///
    /// # Errors
    /// As [`UpstreamError`].
    pub fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
    ) -> Result<bool, UpstreamError> {
        self.public("validate", |c| c.validate(key, instance).map(|v| v.valid))
    }

    /// `POST /licenses/deactivate`.
    ///
    /// # Errors
    /// As [`UpstreamError`].
    pub fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Result<(), UpstreamError> {
        self.public("deactivate", |c| c.deactivate(key, instance))
    }

    /// `GET /license_keys/{id}`.
    ///
    /// # Errors
    /// As [`UpstreamError`]; `Refused` with 404 for an unknown key.
    pub fn license_key(&self, id: &str) -> Result<DodoKey, UpstreamError> {
        self.get("license_key", &format!("/license_keys/{id}"))
    }

    /// `GET /license_key_instances/{id}`; `None` when Dodo knows no such instance.
    ///
    /// # Errors
    /// As [`UpstreamError`].
    pub fn instance(&self, id: &str) -> Result<Option<DodoInstance>, UpstreamError> {
        match self.get(
            "license_key_instance",
            &format!("/license_key_instances/{id}"),
        ) {
            Ok(instance) => Ok(Some(instance)),
            Err(UpstreamError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every instance of the key `license_key_id`, a page (one call) at a time.
    ///
    /// # Errors
    /// As [`UpstreamError`].
    pub fn instances(&self, license_key_id: &str) -> Result<Vec<DodoInstance>, UpstreamError> {
        self.pages("license_key_instances", |n| {
            format!("/license_key_instances?license_key_id={license_key_id}&page_size={PAGE_SIZE}&page_number={n}")
        })
    }

    /// The customer's license-key grants of the key `key`.
    ///
    /// # Errors
    /// As [`UpstreamError`].
    pub fn grants(
        &self,
        customer_id: &str,
        key: &LicenseKey,
    ) -> Result<Vec<DodoGrant>, UpstreamError> {
        let all: Vec<DodoGrant> = self.pages("entitlement_grants", |n| {
            format!("/customers/{customer_id}/entitlement-grants?integration_type=license_key&page_size={PAGE_SIZE}&page_number={n}")
        })?;
        Ok(all
            .into_iter()
            .filter(|g| {
                g.license_key
                    .as_ref()
                    .is_some_and(|k| k.key == key.expose())
            })
            .collect())
    }

    /// Every page of a list, until one is short.
    fn pages<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        path: impl Fn(usize) -> String,
    ) -> Result<Vec<T>, UpstreamError> {
        let mut all = Vec::new();
        for n in 0.. {
            let page: Page<T> = self.get(what, &path(n))?;
            let short = page.items.len() < PAGE_SIZE;
            all.extend(page.items);
            if short || n >= 50 {
                break;
            }
        }
        Ok(all)
    }

    /// One API-key `GET`, its JSON read.
    fn get<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        path: &str,
    ) -> Result<T, UpstreamError> {
        self.spend(Call::Api)?;
        let started = std::time::Instant::now();
        let sent = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header(
                "authorization",
                &format!("Bearer {}", self.api_key.expose()),
            )
            .header("accept", "application/json")
            .call();
        let elapsed = Some(started.elapsed().as_secs_f64());
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => {
                self.metrics.upstream(what, "failed", elapsed);
                return Err(UpstreamError::Unreachable(e.to_string()));
            }
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(4 * 1024 * 1024)
            .read_to_vec();
        let outcome = match status {
            200..=299 => "ok",
            401 | 403 | 404 | 422 => "refused",
            _ => "failed",
        };
        self.metrics.upstream(what, outcome, elapsed);
        match status {
            200..=299 => {
                let body = body.map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
                serde_json::from_slice(&body)
                    .map_err(|e| UpstreamError::Unreachable(format!("{what}: {e}")))
            }
            401 => {
                tracing::error!(call = what, "Dodo refused the API key");
                Err(UpstreamError::Unauthorized)
            }
            429 => {
                let wait = retry_after(&response).unwrap_or(Duration::from_secs(60));
                self.budget.pause(Call::Api, wait);
                Err(UpstreamError::Spent(wait))
            }
            400..=499 => Err(UpstreamError::Refused {
                status,
                code: format!("HTTP_{status}"),
                message: what.to_owned(),
            }),
            _ => Err(UpstreamError::Unreachable(format!("{what}: HTTP {status}"))),
        }
    }
}

/// The wait a 429 asked for: `Retry-After` seconds, else `X-RateLimit-Reset` seconds.
fn retry_after(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    ["retry-after", "x-ratelimit-reset"]
        .iter()
        .find_map(|name| {
            response
                .headers()
                .get(*name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs)
        })
}
