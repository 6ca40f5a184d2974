//! Polar's customer-portal license keys, as its server sources and OpenAPI description
//! (`spec/polar-license-keys-openapi.json`) describe them: `POST
//! /v1/customer-portal/license-keys/{activate,validate,deactivate}`, JSON bodies, keys
//! looked up within the organization sent, errors as `{"error": "<Class>", "detail": "…"}`,
//! and 204 with no body for a deactivation. The routes are anonymous: an empty Bearer token
//! is accepted as anonymous, a token of Polar's shapes as a valid one, any other token is
//! refused with 401.

use serde_json::{Map, Value, json};

use super::{Provider, fields, text};
use crate::http::{Request, Response};
use crate::state::{Endpoint, InstanceRecord, KeyEntry, KeySpec, KeyStatus, State, random_uuid};

/// Polar.
pub(crate) struct Polar;

/// A fixed time for the fields the emulator does not track.
const EPOCH: &str = "2026-01-01T00:00:00Z";

impl Provider for Polar {
    fn name(&self) -> &'static str {
        "polar"
    }

    fn route(&self, method: &str, path: &str) -> Option<Endpoint> {
        if method != "POST" {
            return None;
        }
        match path {
            "/v1/customer-portal/license-keys/activate" => Some(Endpoint::Activate),
            "/v1/customer-portal/license-keys/validate" => Some(Endpoint::Validate),
            "/v1/customer-portal/license-keys/deactivate" => Some(Endpoint::Deactivate),
            _ => None,
        }
    }

    fn handle(&self, state: &mut State, endpoint: Endpoint, request: &Request) -> Response {
        if request
            .header("authorization")
            .is_some_and(|v| !is_accepted_token(v))
        {
            return error(401, "Unauthorized", "Unauthorized");
        }
        let fields = match fields(request, false) {
            Ok(f) => f,
            Err(why) => return invalid("body", &why),
        };
        let required: &[&str] = match endpoint {
            Endpoint::Activate => &["key", "organization_id", "label"],
            Endpoint::Validate => &["key", "organization_id"],
            Endpoint::Deactivate => &["key", "organization_id", "activation_id"],
        };
        if let Some(missing) = required.iter().find(|f| text(&fields, f).is_none()) {
            return invalid(missing, "Field required");
        }
        for field in ["organization_id", "activation_id", "benefit_id"] {
            if let Some(v) = fields.get(field).filter(|v| !v.is_null())
                && !v.as_str().is_some_and(is_uuid)
            {
                return invalid(field, "Input should be a valid UUID");
            }
        }
        let key = text(&fields, "key").unwrap_or("");
        let organization = text(&fields, "organization_id");
        // Polar reads the id as a UUID: the case it is written in does not matter.
        let same_organization = |e: &KeyEntry| matches!((e.spec.account_id.as_deref(), organization), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
        let Some(entry) = state.key(self.name(), key).filter(same_organization) else {
            return not_found("Not found");
        };
        match endpoint {
            Endpoint::Activate => activate(state, &entry, &fields),
            Endpoint::Validate => validate(state, &entry, &fields),
            Endpoint::Deactivate => {
                let id = text(&fields, "activation_id").unwrap_or("");
                if state.remove_instance(&entry.license_key_id, id) {
                    Response::empty(204)
                } else {
                    not_found("Not found")
                }
            }
        }
    }

    fn fault_answer(&self, _state: &State, _request: &Request, status: u16) -> Response {
        let class = match status {
            429 => "TooManyRequests",
            s if s >= 500 => "InternalServerError",
            _ => "InjectedFault",
        };
        error(status, class, "injected by the emulator")
    }

    fn license_key_id(&self, _number: usize) -> String {
        random_uuid()
    }

    fn check(&self, spec: &KeySpec) -> Result<(), String> {
        if !spec.account_id.as_deref().is_some_and(is_uuid) {
            return Err("a Polar key needs a UUID organization_id".into());
        }
        if !is_uuid(&spec.product_id) {
            return Err("a Polar key needs a UUID benefit_id".into());
        }
        Ok(())
    }
}

/// Whether an `Authorization` value passes: an empty `Bearer` token is anonymous, and a
/// token of the shape Polar issues (an organization or personal access token,
/// `polar_oat_…`, `polar_pat_…`; the server SDKs need one) stands for a valid one, since the
/// emulator keeps no accounts. Any other token is refused, as Polar refuses a token it does
/// not know.
fn is_accepted_token(value: &str) -> bool {
    let token = value.trim().trim_start_matches("Bearer").trim();
    token.is_empty()
        || ["polar_oat_", "polar_pat_"]
            .iter()
            .any(|p| token.starts_with(p))
}

/// Whether `text` has the shape of a UUID.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn error(status: u16, class: &str, detail: &str) -> Response {
    Response::json(status, &json!({ "error": class, "detail": detail }))
}

fn not_found(detail: &str) -> Response {
    error(404, "ResourceNotFound", detail)
}

fn not_permitted(detail: &str) -> Response {
    error(403, "NotPermitted", detail)
}

/// `HTTPValidationError`.
fn invalid(field: &str, msg: &str) -> Response {
    Response::json(
        422,
        &json!({ "detail": [{ "loc": ["body", field], "msg": msg, "type": "value_error" }] }),
    )
}

/// Polar's word for the status.
fn status(spec: &KeySpec) -> &'static str {
    match spec.status {
        KeyStatus::Revoked => "revoked",
        KeyStatus::Disabled => "disabled",
        KeyStatus::Active | KeyStatus::Expired => "granted",
    }
}

/// `LicenseKeyRead` (and, with `activation`, `ValidatedLicenseKey`; when granted, the
/// `GrantedLicenseKey` of an activation), as API version 2026-10 writes it.
fn license_key(entry: &KeyEntry) -> Value {
    let spec = &entry.spec;
    let organization = spec.account_id.clone().unwrap_or_default();
    let customer_id = format!("00000000-0000-4000-8000-{:012x}", entry.number);
    let tail: String = spec
        .key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    json!({
        "id": entry.license_key_id,
        "created_at": EPOCH,
        "modified_at": null,
        "organization_id": organization,
        "customer_id": customer_id,
        "customer": {
            "id": customer_id,
            "created_at": EPOCH,
            "modified_at": null,
            "metadata": {},
            "external_id": null,
            "email": spec.customer_email,
            "email_verified": true,
            "type": "individual",
            "name": spec.customer_name,
            "billing_name": spec.customer_name,
            "billing_address": null,
            "tax_id": null,
            "locale": null,
            "organization_id": organization,
            "default_payment_method_id": null,
            "deleted_at": null,
            "first_user_event_at": null,
            "avatar_url": null,
        },
        // API version 2026-10: the seat member holding the key, for seat-based products.
        "member_id": null,
        "member": null,
        "benefit_id": spec.product_id,
        "key": spec.key,
        "display_key": format!("****-{tail}"),
        "status": status(spec),
        "limit_activations": spec.activations_limit,
        "usage": 0,
        "limit_usage": null,
        "validations": 0,
        "last_validated_at": null,
        "expires_at": spec.expires_at,
    })
}

/// `LicenseKeyActivationBase`.
fn activation(record: &InstanceRecord) -> Value {
    json!({
        "id": record.id,
        "license_key_id": record.license_key_id,
        "label": record.name,
        "meta": {},
        "created_at": record.created_at,
        "modified_at": null,
    })
}

fn activate(state: &mut State, entry: &KeyEntry, fields: &Map<String, Value>) -> Response {
    let spec = &entry.spec;
    if !matches!(spec.status, KeyStatus::Active | KeyStatus::Expired) {
        return not_permitted(
            "License key is no longer active. This license key can not be activated.",
        );
    }
    if spec.is_past_expiry(jiff::Timestamp::now()) {
        return not_permitted("License key has expired.");
    }
    let Some(limit) = spec.activations_limit.filter(|l| *l > 0) else {
        return not_permitted(
            "This license key does not support activations. Use the /validate endpoint \
             instead to check license validity.",
        );
    };
    if state.used(&entry.license_key_id) >= limit as usize {
        return not_permitted("License key activation limit already reached");
    }
    let label = text(fields, "label").unwrap_or("");
    let record = state.add_instance("polar", &entry.license_key_id, random_uuid(), label, None);
    let mut body = activation(&record);
    body["license_key"] = license_key(entry);
    Response::json(200, &body)
}

fn validate(state: &State, entry: &KeyEntry, fields: &Map<String, Value>) -> Response {
    let spec = &entry.spec;
    if !matches!(spec.status, KeyStatus::Active | KeyStatus::Expired) {
        return not_found("License key is no longer active.");
    }
    if spec.is_past_expiry(jiff::Timestamp::now()) {
        return not_found("License key has expired.");
    }
    let mut body = license_key(entry);
    body["activation"] = Value::Null;
    if let Some(id) = text(fields, "activation_id") {
        match state.instance(&entry.license_key_id, id) {
            Some(record) => body["activation"] = activation(record),
            None => return not_found("Not found"),
        }
    }
    if text(fields, "benefit_id").is_some_and(|b| b != spec.product_id) {
        return not_found("License key does not match given benefit.");
    }
    Response::json(200, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
    const BENEFIT: &str = "5a1e3c0e-0000-4000-8000-000000000003";

    fn state() -> State {
        let mut s = State::default();
        crate::provider::add_key(
            &mut s,
            KeySpec::new("P-1")
                .with_limit(1)
                .sold_by("polar", ORG)
                .of_product(BENEFIT),
        );
        crate::provider::add_key(
            &mut s,
            KeySpec::new("P-0")
                .sold_by("polar", ORG)
                .of_product(BENEFIT),
        );
        s
    }

    fn post(s: &mut State, endpoint: Endpoint, auth: Option<&str>, body: Value) -> (u16, Value) {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(a) = auth {
            headers.push(("authorization".into(), a.into()));
        }
        let request = Request {
            method: "POST".into(),
            path: String::new(),
            headers,
            body: serde_json::to_vec(&body).unwrap(),
        };
        let r = Polar.handle(s, endpoint, &request);
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn the_life_of_an_activation() {
        let mut s = state();
        let (status, a) = post(
            &mut s,
            Endpoint::Activate,
            None,
            json!({"key": "P-1", "organization_id": ORG, "label": "laptop"}),
        );
        assert_eq!(status, 200, "{a}");
        let id = a["id"].as_str().unwrap();
        assert_eq!(a["license_key"]["benefit_id"], BENEFIT);
        let (status, v) = post(
            &mut s,
            Endpoint::Validate,
            Some("Bearer "),
            json!({"key": "P-1", "organization_id": ORG, "activation_id": id}),
        );
        assert_eq!((status, &v["activation"]["id"]), (200, &json!(id)));
        let (status, e) = post(
            &mut s,
            Endpoint::Activate,
            None,
            json!({"key": "P-1", "organization_id": ORG, "label": "desk"}),
        );
        assert_eq!(
            (status, &e["detail"]),
            (403, &json!("License key activation limit already reached"))
        );
        let (status, _) = post(
            &mut s,
            Endpoint::Deactivate,
            None,
            json!({"key": "P-1", "organization_id": ORG, "activation_id": id}),
        );
        assert_eq!(status, 204);
        let (status, _) = post(
            &mut s,
            Endpoint::Deactivate,
            None,
            json!({"key": "P-1", "organization_id": ORG, "activation_id": id}),
        );
        assert_eq!(status, 404);
    }

    #[test]
    fn refusals() {
        let mut s = state();
        let other_org = "2dbfc517-0bbf-4301-9ba8-555ca42b9737";
        let (status, _) = post(
            &mut s,
            Endpoint::Validate,
            None,
            json!({"key": "P-1", "organization_id": other_org}),
        );
        assert_eq!(status, 404);
        let (status, e) = post(
            &mut s,
            Endpoint::Activate,
            None,
            json!({"key": "P-0", "organization_id": ORG, "label": "x"}),
        );
        assert_eq!(status, 403);
        assert!(
            e["detail"]
                .as_str()
                .unwrap()
                .contains("does not support activations")
        );
        let (status, _) = post(
            &mut s,
            Endpoint::Validate,
            None,
            json!({"key": "P-0", "organization_id": ORG}),
        );
        assert_eq!(status, 200);
        for (token, expected) in [
            ("Bearer polar_oat_x", 200),
            ("Bearer polar_pat_y", 200),
            ("Bearer someone-elses-token", 401),
            ("Basic dXNlcjpwYXNz", 401),
        ] {
            let (status, _) = post(
                &mut s,
                Endpoint::Validate,
                Some(token),
                json!({"key": "P-0", "organization_id": ORG}),
            );
            assert_eq!(status, expected, "{token}");
        }
        let (status, _) = post(&mut s, Endpoint::Validate, None, json!({"key": "P-0"}));
        assert_eq!(status, 422);
        let (status, _) = post(
            &mut s,
            Endpoint::Validate,
            None,
            json!({"key": "P-0", "organization_id": "org"}),
        );
        assert_eq!(status, 422);
        s.set_status("P-0", KeyStatus::Revoked);
        let (status, e) = post(
            &mut s,
            Endpoint::Validate,
            None,
            json!({"key": "P-0", "organization_id": ORG}),
        );
        assert_eq!((status, &e["error"]), (404, &json!("ResourceNotFound")));
    }
}
