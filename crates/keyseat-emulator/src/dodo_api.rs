//! Dodo Payments' API-key endpoints for license keys, as its SDKs of 2026-08 describe them
//! (the relay reads them; a desktop app never does):
//!
//! - `GET /license_keys/{id}` → a `LicenseKey`;
//! - `GET /license_key_instances?license_key_id=&page_size=&page_number=` → `{items}`;
//! - `GET /license_key_instances/{id}` → a `LicenseKeyInstance`;
//! - `GET /customers/{id}/entitlement-grants?integration_type=&page_size=&page_number=` →
//!   `{items}` of `EntitlementGrant`s, one per license key of the customer.
//!
//! Every call needs `Authorization: Bearer <the emulator's API key>` (401 otherwise, and
//! always when the emulator has none). Pages are numbered from 0, `page_size` at most 100
//! (default 10), with no total: a page shorter than its size is the last.

use serde_json::{Value, json};

use crate::http::{Request, Response};
use crate::state::{InstanceRecord, KeyEntry, KeyStatus, State};

/// When the emulator's keys were made, as Dodo's objects say.
const EPOCH: &str = "2026-01-01T00:00:00Z";

/// One API-key route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    LicenseKey(String),
    Instances,
    Instance(String),
    Grants(String),
}

impl Route {
    /// The name the emulator counts the route's requests under.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Route::LicenseKey(_) => "license_key",
            Route::Instances => "license_key_instances",
            Route::Instance(_) => "license_key_instance",
            Route::Grants(_) => "entitlement_grants",
        }
    }
}

/// The API-key route of a method and path (the query left aside), if it is one.
pub(crate) fn route(method: &str, path: &str) -> Option<Route> {
    if method != "GET" {
        return None;
    }
    let path = path.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["license_keys", id] if !id.is_empty() => Some(Route::LicenseKey((*id).to_owned())),
        ["license_key_instances"] => Some(Route::Instances),
        ["license_key_instances", id] if !id.is_empty() => Some(Route::Instance((*id).to_owned())),
        ["customers", id, "entitlement-grants"] if !id.is_empty() => {
            Some(Route::Grants((*id).to_owned()))
        }
        _ => None,
    }
}

/// Whether `request` carries the API key `expected`.
pub(crate) fn authorized(request: &Request, expected: Option<&str>) -> bool {
    let given = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    matches!((given, expected), (Some(g), Some(e)) if !e.is_empty() && g == e)
}

/// Serves an API-key route (the caller checked the key).
pub(crate) fn handle(state: &State, route: &Route, request: &Request) -> Response {
    let query = query(&request.path);
    let param = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let page = match page(param("page_size"), param("page_number")) {
        Ok(page) => page,
        Err(why) => return Response::error(422, "INVALID_REQUEST_BODY", &why),
    };
    let not_found = || Response::error(404, "NOT_FOUND", "Not found");
    match route {
        Route::LicenseKey(id) => match dodo_key_by_id(state, id) {
            Some(entry) => Response::json(200, &license_key(state, &entry)),
            None => not_found(),
        },
        Route::Instance(id) => match state.instances().into_iter().find(|i| i.id == *id) {
            Some(instance) if instance.provider == "dodo" => {
                Response::json(200, &license_key_instance(&instance))
            }
            _ => not_found(),
        },
        Route::Instances => {
            let wanted = param("license_key_id");
            let items: Vec<Value> = state
                .instances()
                .iter()
                .filter(|i| i.provider == "dodo")
                .filter(|i| wanted.is_none_or(|w| i.license_key_id == w))
                .map(license_key_instance)
                .collect();
            Response::json(200, &json!({ "items": page.of(items) }))
        }
        Route::Grants(customer) => {
            if param("integration_type").is_some_and(|t| t != "license_key") {
                return Response::json(200, &json!({ "items": [] }));
            }
            let items: Vec<Value> = state
                .keys_of("dodo")
                .iter()
                .filter(|e| e.spec.customer_id == *customer)
                .map(|e| grant(state, e))
                .collect();
            Response::json(200, &json!({ "items": page.of(items) }))
        }
    }
}

/// The Dodo key whose id is `id`.
fn dodo_key_by_id(state: &State, id: &str) -> Option<KeyEntry> {
    state
        .keys_of("dodo")
        .into_iter()
        .find(|e| e.license_key_id == id)
}

/// A `LicenseKey`.
pub(crate) fn license_key(state: &State, entry: &KeyEntry) -> Value {
    let spec = &entry.spec;
    let status = match spec.status {
        _ if spec.is_past_expiry(jiff::Timestamp::now()) => "expired",
        KeyStatus::Active => "active",
        KeyStatus::Disabled | KeyStatus::Revoked => "disabled",
        KeyStatus::Expired => "expired",
    };
    json!({
        "id": entry.license_key_id,
        "brand_id": "brd_emulator",
        "business_id": "bus_emulator",
        "created_at": EPOCH,
        "customer_id": spec.customer_id,
        "instances_count": state.used(&entry.license_key_id),
        "key": spec.key,
        "product_id": spec.product_id,
        "source": "auto",
        "status": status,
        "activations_limit": spec.activations_limit,
        "expires_at": spec.expires_at,
        "payment_id": null,
        "subscription_id": null,
    })
}

/// A `LicenseKeyInstance`.
fn license_key_instance(instance: &InstanceRecord) -> Value {
    json!({
        "id": instance.id,
        "business_id": "bus_emulator",
        "created_at": instance.created_at,
        "license_key_id": instance.license_key_id,
        "name": instance.name,
    })
}

/// The `EntitlementGrant` of a key: delivered while the key is active, revoked (with the
/// reason its status gives) otherwise.
pub(crate) fn grant(state: &State, entry: &KeyEntry) -> Value {
    let spec = &entry.spec;
    let active = spec.is_active(jiff::Timestamp::now());
    let reason = match spec.status {
        _ if active => None,
        KeyStatus::Disabled => Some("license_key_disabled"),
        KeyStatus::Revoked => Some("manual"),
        KeyStatus::Active | KeyStatus::Expired => Some("subscription_expired"),
    };
    json!({
        "id": format!("entg_{}", entry.license_key_id.trim_start_matches("lic_")),
        "brand_id": "brd_emulator",
        "business_id": "bus_emulator",
        "customer_id": spec.customer_id,
        "entitlement_id": spec.entitlement_id,
        "integration_type": "license_key",
        "metadata": {},
        "status": if active { "Delivered" } else { "Revoked" },
        "created_at": EPOCH,
        "updated_at": EPOCH,
        "delivered_at": EPOCH,
        "revoked_at": if active { Value::Null } else { json!(EPOCH) },
        "oauth_expires_at": null,
        "payment_id": null,
        "subscription_id": null,
        "revocation_reason": reason,
        "error_code": null,
        "error_message": null,
        "oauth_url": null,
        "license_key": {
            "key": spec.key,
            "activations_used": state.used(&entry.license_key_id),
            "activations_limit": spec.activations_limit,
            "expires_at": spec.expires_at,
        },
    })
}

/// A page of a list.
struct Page {
    size: usize,
    number: usize,
}

impl Page {
    fn of(&self, items: Vec<Value>) -> Vec<Value> {
        items
            .into_iter()
            .skip(self.size.saturating_mul(self.number))
            .take(self.size)
            .collect()
    }
}

/// The page a request asks for: `page_size` 0 to 100 (default 10), `page_number` from 0.
fn page(size: Option<&str>, number: Option<&str>) -> Result<Page, String> {
    let read = |v: Option<&str>, default: usize| match v {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| format!("not a number: {text:?}")),
    };
    let size = read(size, 10)?;
    if size > 100 {
        return Err("page_size is at most 100".into());
    }
    Ok(Page {
        size,
        number: read(number, 0)?,
    })
}

/// The query pairs of a path.
fn query(path: &str) -> Vec<(String, String)> {
    path.split_once('?')
        .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_pages() {
        assert_eq!(
            route("GET", "/license_keys/lic_1"),
            Some(Route::LicenseKey("lic_1".into()))
        );
        assert_eq!(
            route(
                "GET",
                "/license_key_instances?license_key_id=lic_1&page_size=2"
            ),
            Some(Route::Instances)
        );
        assert_eq!(
            route(
                "GET",
                "/customers/cus_1/entitlement-grants?integration_type=license_key"
            ),
            Some(Route::Grants("cus_1".into()))
        );
        assert_eq!(route("POST", "/license_keys/lic_1"), None);
        assert_eq!(route("GET", "/licenses/validate"), None);
        let p = page(Some("2"), Some("1")).unwrap();
        let items = p.of((0..5).map(|i| json!(i)).collect());
        assert_eq!(items, vec![json!(2), json!(3)]);
        assert!(page(Some("101"), None).is_err());
        assert!(page(Some("x"), None).is_err());
    }
}
