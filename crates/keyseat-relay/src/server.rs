//! The HTTP service: the routes, the body limit, request metrics, `/healthz` and `/metrics`,
//! HTTP or HTTPS (from PEM files), and a graceful shutdown that lets requests in flight
//! finish.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::net::TcpListener;

use crate::budget::Budget;
use crate::client_limits::ClientLimits;
use crate::config::{Rate, Secret};
use crate::decide::Windows;
use crate::metrics::Metrics;
use crate::signing::{SigningKey, SigningKeys};
use crate::state::App;
use crate::store::Store;
use crate::upstream::Upstream;
use crate::{licenses, offline, page, validation, webhooks};

/// Everything a relay needs, read from flags, files and the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address to serve on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`.
    pub database: String,
    /// The signing keys (64 hex characters each), the preferred first.
    pub signing_keys: Vec<Secret>,
    /// Dodo's API key.
    pub api_key: Secret,
    /// The webhook secrets (`whsec_…`; several during a rotation).
    pub webhook_secrets: Vec<Secret>,
    /// Dodo's server.
    pub upstream_url: String,
    /// The certificate chain and private key (PEM) to serve HTTPS with.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// How long Dodo's confirmation of a validation answers with no call.
    pub freshness: Duration,
    /// How old a confirmation may answer, stale, when Dodo cannot be asked.
    pub max_staleness: Duration,
    /// Requests a minute from one client IP (0: no limit).
    pub client_limit_per_ip: u32,
    /// Requests a minute about one key (0: no limit).
    pub client_limit_per_key: u32,
    /// Dodo's budget for its public license calls.
    pub upstream_public_rate: Rate,
    /// Dodo's budget for its API-key calls.
    pub upstream_api_rate: Rate,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Take the client's IP from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// How long a machine file licenses its machine.
    pub offline_validity: Duration,
}

/// A relay ready to serve: its state and routes.
pub struct Relay {
    app: Arc<App>,
    settings: Settings,
}

impl Relay {
    /// Opens the database (migrating it), reads the keys and builds the service.
    ///
    /// # Errors
    /// In words: a bad key or secret, a database that cannot be reached or migrated.
    pub async fn new(settings: Settings) -> Result<Relay, String> {
        let keys = settings
            .signing_keys
            .iter()
            .map(SigningKey::from_hex)
            .collect::<Result<Vec<_>, _>>()?;
        let keys = SigningKeys::new(keys)?;
        let webhooks = settings
            .webhook_secrets
            .iter()
            .map(|s| {
                standardwebhooks::Webhook::new(s.expose())
                    .map_err(|_| "a webhook secret is whsec_ followed by base64".to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if webhooks.is_empty() {
            return Err("a webhook secret is needed".into());
        }
        let store = Store::open(&settings.database)
            .await
            .map_err(|e| format!("the database: {e}"))?;
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(settings.upstream_public_rate, settings.upstream_api_rate);
        let upstream = Upstream::new(
            &settings.upstream_url,
            settings.api_key.clone(),
            budget,
            metrics.clone(),
        )?;
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let app = App {
            store,
            upstream: Arc::new(upstream),
            keys,
            metrics,
            limits: ClientLimits::new(settings.client_limit_per_ip, settings.client_limit_per_key),
            windows: Windows {
                freshness: secs(settings.freshness),
                max_staleness: secs(settings.max_staleness),
            },
            trust_forwarded_for: settings.trust_forwarded_for,
            webhooks,
            offline_validity: secs(settings.offline_validity),
        };
        Ok(Relay {
            app: Arc::new(app),
            settings,
        })
    }

    /// The public keys an app pins, as hex.
    pub fn public_keys(&self) -> Vec<String> {
        self.app.keys.public_keys()
    }

    /// The metrics, for a benchmark to read.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.app.metrics.clone()
    }

    /// The machine file of an offline request (`keyseat-relay offline sign`), as
    /// `POST /v1/offline` makes it.
    ///
    /// # Errors
    /// Why it was not made, in words.
    pub async fn offline_sign(&self, request: &str) -> Result<String, String> {
        offline::sign(&self.app, request)
            .await
            .map_err(|e| e.to_string())
    }

    /// Frees the seat of a release proof (`keyseat-relay offline release`), as
    /// `POST /v1/offline/release` does: the instance, and whether it was freed before.
    ///
    /// # Errors
    /// Why it was not, in words.
    pub async fn offline_release(&self, proof: &str) -> Result<(String, bool), String> {
        offline::release(&self.app, proof)
            .await
            .map_err(|e| e.to_string())
    }

    /// The routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/licenses/activate", post(licenses::activate))
            .route("/v1/licenses/validate", post(validation::validate))
            .route("/v1/licenses/deactivate", post(licenses::deactivate))
            .route("/v1/licenses/seats", post(licenses::seats))
            .route("/v1/offline", post(offline::request))
            .route("/v1/offline/release", post(offline::release_proof))
            .route("/v1/webhooks/dodo", post(webhooks::dodo))
            .route("/", get(page::index))
            .route("/page.js", get(page::script))
            .route("/page.css", get(page::style))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .layer(from_fn_with_state(self.app.clone(), observe))
            .layer(DefaultBodyLimit::max(self.settings.max_body_bytes))
            .with_state(self.app.clone())
    }

    /// Binds the listening socket.
    ///
    /// # Errors
    /// When it cannot be bound.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.settings.listen).await
    }

    /// Serves on `listener` until `shutdown` completes, then lets requests in flight finish
    /// (at most 30 seconds).
    ///
    /// # Errors
    /// When serving fails, or the TLS files cannot be read.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let tidy = self.app.clone();
        let tidier = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                tidy.limits.tidy();
                // The webhook ids of the last 30 days are kept, to know Dodo's retries.
                let month_ago = crate::state::now() - 30 * 86_400;
                if let Err(e) = tidy.store.forget_deliveries(month_ago).await {
                    tracing::warn!(error = %e, "old webhook ids could not be forgotten");
                }
            }
        });
        let service = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = match &self.settings.tls {
            None => axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|e| e.to_string()),
            Some((cert, key)) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|e| format!("the TLS certificate or key: {e}"))?;
                let handle = axum_server::Handle::new();
                let stopping = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stopping.graceful_shutdown(Some(Duration::from_secs(30)));
                });
                let listener = listener.into_std().map_err(|e| e.to_string())?;
                axum_server::from_tcp_rustls(listener, config)
                    .map_err(|e| e.to_string())?
                    .handle(handle)
                    .serve(service)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        tidier.abort();
        served
    }
}

/// Counts and times every request by its route.
async fn observe(
    State(app): State<Arc<App>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = matched.map_or_else(|| "unknown".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    app.metrics.request(
        &endpoint,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /healthz`: 200 while the database answers, 503 otherwise.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    if app.store.ping().await {
        (StatusCode::OK, axum::Json(json!({ "status": "ok" }))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "the database cannot be reached" })),
        )
            .into_response()
    }
}

/// `GET /metrics`.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.encode(),
    )
        .into_response()
}
