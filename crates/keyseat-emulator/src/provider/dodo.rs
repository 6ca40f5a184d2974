//! Dodo Payments, as its OpenAPI description (`spec/dodo-licenses-openapi.yml`) and API
//! reference describe the three public license endpoints: strict JSON bodies, errors as
//! `{"code", "message"}`.

use serde_json::{Map, Value, json};

use super::{Provider, text};
use crate::http::{Request, Response};
use crate::state::{Endpoint, KeySpec, State, random_hex};

/// Dodo Payments.
pub(crate) struct Dodo;

impl Provider for Dodo {
    fn name(&self) -> &'static str {
        "dodo"
    }

    fn route(&self, method: &str, path: &str) -> Option<Endpoint> {
        if method != "POST" {
            return None;
        }
        match path {
            "/licenses/activate" => Some(Endpoint::Activate),
            "/licenses/validate" => Some(Endpoint::Validate),
            "/licenses/deactivate" => Some(Endpoint::Deactivate),
            _ => None,
        }
    }

    fn handle(&self, state: &mut State, endpoint: Endpoint, request: &Request) -> Response {
        let fields = match parse_body(endpoint, &request.body) {
            Ok(fields) => fields,
            Err(why) => return Response::error(422, "INVALID_REQUEST_BODY", &why),
        };
        let key = text(&fields, "license_key").unwrap_or("");
        let instance = text(&fields, "license_key_instance_id");
        match endpoint {
            Endpoint::Activate => activate(state, key, text(&fields, "name").unwrap_or("")),
            Endpoint::Validate => validate(state, key, instance),
            Endpoint::Deactivate => deactivate(state, key, instance.unwrap_or("")),
        }
    }

    fn fault_answer(&self, _state: &State, _request: &Request, status: u16) -> Response {
        let code = match status {
            429 => "TOO_MANY_REQUESTS",
            s if s >= 500 => "INTERNAL_SERVER_ERROR",
            _ => "INJECTED_FAULT",
        };
        Response::error(status, code, "injected by the emulator")
    }

    fn license_key_id(&self, number: usize) -> String {
        format!("lic_{number:04}")
    }

    fn check(&self, spec: &KeySpec) -> Result<(), String> {
        match (&spec.account_id, &spec.variant_id) {
            (None, None) => Ok(()),
            _ => Err("Dodo keys have no store, organization or variant".into()),
        }
    }
}

fn activate(state: &mut State, key: &str, name: &str) -> Response {
    let now = jiff::Timestamp::now();
    let Some(entry) = state.key("dodo", key) else {
        return Response::error(404, "LICENSE_KEY_NOT_FOUND", "License key not found");
    };
    let spec = &entry.spec;
    if !spec.is_active(now) {
        return Response::error(403, "INACTIVE_LICENSE_KEY", "License key is not active");
    }
    let used = state.used(&entry.license_key_id);
    if spec
        .activations_limit
        .is_some_and(|limit| used >= limit as usize)
    {
        return Response::error(
            422,
            "LICENSE_KEY_LIMIT_REACHED",
            "License key activation limit reached",
        );
    }
    let id = format!("lki_{}", random_hex());
    let record = state.add_instance("dodo", &entry.license_key_id, id, name, None);
    let body = json!({
        "id": record.id,
        "business_id": "bus_emulator",
        "created_at": record.created_at,
        "customer": {
            "customer_id": spec.customer_id,
            "name": spec.customer_name,
            "email": spec.customer_email,
        },
        "license_key_id": record.license_key_id,
        "name": record.name,
        "product": { "product_id": spec.product_id, "name": spec.product_name },
    });
    Response::json(201, &body)
}

fn validate(state: &State, key: &str, instance: Option<&str>) -> Response {
    let now = jiff::Timestamp::now();
    let valid = state.key("dodo", key).is_some_and(|entry| {
        entry.spec.is_active(now)
            && instance.is_none_or(|id| state.instance(&entry.license_key_id, id).is_some())
    });
    Response::json(200, &json!({ "valid": valid }))
}

fn deactivate(state: &mut State, key: &str, instance: &str) -> Response {
    let Some(entry) = state.key("dodo", key) else {
        return Response::error(404, "LICENSE_KEY_NOT_FOUND", "License key not found");
    };
    if !state.remove_instance(&entry.license_key_id, instance) {
        return Response::error(
            403,
            "LICENSE_KEY_NOT_FOUND",
            "License key instance not found or does not belong to this license key",
        );
    }
    Response::empty(200)
}

/// Checks a request body against the endpoint's schema: a JSON object with exactly the
/// allowed fields, the required ones present, each of the right type.
fn parse_body(endpoint: Endpoint, body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err("the body must be a JSON object".into());
    };
    // (name, required, nullable)
    let schema: &[(&str, bool, bool)] = match endpoint {
        Endpoint::Activate => &[("license_key", true, false), ("name", true, false)],
        Endpoint::Validate => &[
            ("license_key", true, false),
            ("license_key_instance_id", false, true),
        ],
        Endpoint::Deactivate => &[
            ("license_key", true, false),
            ("license_key_instance_id", true, false),
        ],
    };
    for name in fields.keys() {
        if !schema.iter().any(|(n, _, _)| n == name) {
            return Err(format!("unknown field `{name}`"));
        }
    }
    for (name, required, nullable) in schema {
        match fields.get(*name) {
            None if *required => return Err(format!("missing field `{name}`")),
            None | Some(Value::String(_)) => {}
            Some(Value::Null) if *nullable => {}
            Some(_) => return Err(format!("field `{name}` must be a string")),
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let mut s = State::default();
        crate::provider::add_key(&mut s, KeySpec::new("K1").with_limit(1));
        s
    }

    fn post(s: &mut State, endpoint: Endpoint, body: Vec<u8>) -> Response {
        let request = Request {
            method: "POST".into(),
            path: String::new(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        };
        Dodo.handle(s, endpoint, &request)
    }

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn schema_is_strict() {
        let mut s = state();
        for bad in [
            b"{".to_vec(),
            b"[]".to_vec(),
            body(json!({"license_key": "K1"})),
            body(json!({"license_key": "K1", "name": 3})),
            body(json!({"license_key": "K1", "name": "n", "extra": 1})),
        ] {
            assert_eq!(post(&mut s, Endpoint::Activate, bad).status, 422);
        }
        let ok = body(json!({"license_key": "K1", "license_key_instance_id": null}));
        assert_eq!(post(&mut s, Endpoint::Validate, ok).status, 200);
    }

    #[test]
    fn limit_and_expiry() {
        let mut s = state();
        let req = || body(json!({"license_key": "K1", "name": "n"}));
        assert_eq!(post(&mut s, Endpoint::Activate, req()).status, 201);
        assert_eq!(post(&mut s, Endpoint::Activate, req()).status, 422);
        let mut spec = KeySpec::new("K2");
        spec.expires_at = Some("2000-01-01T00:00:00Z".into());
        crate::provider::add_key(&mut s, spec);
        let req = body(json!({"license_key": "K2", "name": "n"}));
        assert_eq!(post(&mut s, Endpoint::Activate, req).status, 403);
    }

    #[test]
    fn other_providers_keys_are_unknown_here() {
        let mut s = state();
        crate::provider::add_key(
            &mut s,
            KeySpec::new("LS")
                .sold_by("lemonsqueezy", "1")
                .of_product("2"),
        );
        let req = body(json!({"license_key": "LS", "name": "n"}));
        assert_eq!(post(&mut s, Endpoint::Activate, req).status, 404);
    }
}
