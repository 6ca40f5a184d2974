//! The control surface under `/_emulator/`, for tests and demos driving the emulator from
//! another process. Every route takes and returns JSON.
//!
//! | route | body | effect |
//! |---|---|---|
//! | `GET /_emulator/instances` | | every instance held, with its provider |
//! | `GET /_emulator/requests` | | requests per endpoint (and per provider under `by_provider`), and how many carried `Authorization` |
//! | `POST /_emulator/keys` | a key object as in `keys.json` | add or replace a key |
//! | `POST /_emulator/keys/disable` | `{"key": "…"}` | set the key's status to `disabled` |
//! | `POST /_emulator/keys/enable` | `{"key": "…"}` | set it to `active` (clears `expires_at`) |
//! | `POST /_emulator/keys/expire` | `{"key": "…"}` | set it to `expired` |
//! | `POST /_emulator/keys/revoke` | `{"key": "…"}` | set it to `revoked` (Polar's word) |
//! | `POST /_emulator/faults` | `{"endpoint": "activate", "fault": {…}, "count": 1}` | queue a fault |
//! | `DELETE /_emulator/faults` | | drop every queued fault |
//! | `GET /_emulator/webhooks` | | every webhook sent: id, timestamp, signature, type, exact body, the receiver's status |

use serde::Deserialize;
use serde_json::json;

use crate::Shared;
use crate::faults::Fault;
use crate::http::{Request, Response};
use crate::state::{Endpoint, KeySpec, KeyStatus};

#[derive(Deserialize)]
struct KeyRef {
    key: String,
}

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: Endpoint,
    fault: Fault,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// Serves one control request.
pub fn handle(shared: &Shared, req: &Request) -> Response {
    let route = req.path.trim_start_matches("/_emulator");
    match (req.method.as_str(), route) {
        ("GET", "/webhooks") => Response::json(200, &json!(shared.state().sent_webhooks)),
        ("GET", "/instances") => {
            let instances = shared.state().instances();
            Response::json(200, &json!(instances))
        }
        ("GET", "/requests") => {
            let state = shared.state();
            let count = |e| state.counts.get(&e).copied().unwrap_or(0);
            let mut by_provider = serde_json::Map::new();
            for ((provider, endpoint), n) in &state.counts_by_provider {
                let counts = by_provider
                    .entry(provider.clone())
                    .or_insert_with(|| json!({}));
                counts[json!(endpoint).as_str().unwrap_or("?")] = json!(n);
            }
            Response::json(
                200,
                &json!({
                    "activate": count(Endpoint::Activate),
                    "validate": count(Endpoint::Validate),
                    "deactivate": count(Endpoint::Deactivate),
                    "by_provider": by_provider,
                    "authorization_headers": state.authorization_headers,
                    "api": state.api_counts,
                }),
            )
        }
        ("POST", "/keys") => match serde_json::from_slice::<KeySpec>(&req.body) {
            Ok(spec) => match crate::provider::check(&spec) {
                Ok(()) => {
                    let key = spec.key.clone();
                    crate::provider::add_key(&mut shared.state(), spec);
                    crate::webhooks::notify(&shared.state, &key, crate::webhooks::Change::Added);
                    Response::json(200, &json!({ "ok": true }))
                }
                Err(why) => bad(&why),
            },
            Err(e) => bad(&e.to_string()),
        },
        ("POST", "/keys/disable") => set_status(shared, req, KeyStatus::Disabled),
        ("POST", "/keys/enable") => set_status(shared, req, KeyStatus::Active),
        ("POST", "/keys/expire") => set_status(shared, req, KeyStatus::Expired),
        ("POST", "/keys/revoke") => set_status(shared, req, KeyStatus::Revoked),
        ("POST", "/faults") => match serde_json::from_slice::<FaultRequest>(&req.body) {
            Ok(f) => {
                shared.faults().push(f.endpoint, f.fault, f.count);
                Response::json(200, &json!({ "ok": true }))
            }
            Err(e) => bad(&e.to_string()),
        },
        ("DELETE", "/faults") => {
            shared.faults().clear();
            Response::json(200, &json!({ "ok": true }))
        }
        _ => Response::error(404, "NOT_FOUND", "no such emulator control route"),
    }
}

fn set_status(shared: &Shared, req: &Request, status: KeyStatus) -> Response {
    match serde_json::from_slice::<KeyRef>(&req.body) {
        Ok(r) if shared.state().set_status(&r.key, status) => {
            crate::webhooks::notify(&shared.state, &r.key, crate::webhooks::Change::Status);
            Response::json(200, &json!({ "ok": true }))
        }
        Ok(_) => Response::error(404, "LICENSE_KEY_NOT_FOUND", "License key not found"),
        Err(e) => bad(&e.to_string()),
    }
}

fn bad(why: &str) -> Response {
    Response::error(422, "INVALID_REQUEST_BODY", why)
}
