//! The relay's answers: signed JSON that echoes what was asked (`docs/relay-protocol.md`),
//! and the unsigned answers that are no verdict (429, 502, 503, 413, 422).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::signing::{SigningKeys, sign};

/// What a request asked, echoed in its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    pub endpoint: &'static str,
    pub key_hash: String,
    pub instance: Option<String>,
    pub fingerprint: Option<String>,
    pub nonce: String,
}

impl Echo {
    /// The `request` object.
    pub fn json(&self) -> Value {
        json!({
            "endpoint": self.endpoint,
            "key_hash": self.key_hash,
            "instance": self.instance,
            "fingerprint": self.fingerprint,
            "nonce": self.nonce,
        })
    }
}

/// What a signature covers of the request: its method and target, the host it was sent to,
/// and the keys the client accepts.
#[derive(Debug, Clone)]
pub struct Asked {
    pub target: String,
    pub host: String,
    pub accepted: Option<String>,
}

impl Asked {
    /// What `headers` and `target` of a `POST` say.
    pub fn of(headers: &HeaderMap, target: &str) -> Asked {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Asked {
            target: target.to_owned(),
            host: text("host").unwrap_or_default(),
            accepted: text("keyseat-accept-signature"),
        }
    }
}

/// `body` with the echo, signed by the key the client accepts.
pub fn signed(
    keys: &SigningKeys,
    asked: &Asked,
    echo: &Echo,
    status: StatusCode,
    mut body: Value,
) -> Response {
    body["request"] = echo.json();
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let key = keys.choose(asked.accepted.as_deref());
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in sign(
        key,
        "post",
        &asked.target,
        &asked.host,
        &bytes,
        jiff::Timestamp::now(),
    ) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (status, headers, bytes).into_response()
}

/// A signed refusal: Dodo's `{code, message}`, with the echo.
pub fn refused(
    keys: &SigningKeys,
    asked: &Asked,
    echo: &Echo,
    status: u16,
    code: &str,
    message: &str,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    signed(
        keys,
        asked,
        echo,
        status,
        json!({ "code": code, "message": message }),
    )
}

/// An unsigned answer that is no verdict, with `Retry-After` when one is known.
pub fn unsigned(
    status: StatusCode,
    code: &str,
    message: &str,
    retry_after: Option<Duration>,
) -> Response {
    let mut response = (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response();
    if let Some(wait) = retry_after {
        let seconds = wait.as_secs().max(1).to_string();
        if let Ok(value) = HeaderValue::from_str(&seconds) {
            response.headers_mut().insert("retry-after", value);
        }
    }
    response
}
