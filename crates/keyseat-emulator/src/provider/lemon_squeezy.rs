//! Lemon Squeezy's License API: `POST /v1/licenses/{activate,validate,deactivate}`, bodies
//! form-encoded (as documented) or JSON (as its JavaScript SDK sends), answers with a flag,
//! an `error` sentence and the `license_key`, `instance` and `meta` objects. Failures are
//! 400, 404 or 422 with the flag false. Any store's key is served: the server pins nothing.

use serde_json::{Value, json};

use super::{Provider, fields, text};
use crate::http::{Request, Response};
use crate::state::{Endpoint, KeyEntry, KeySpec, KeyStatus, State, random_uuid};

/// Lemon Squeezy.
pub(crate) struct LemonSqueezy;

impl Provider for LemonSqueezy {
    fn name(&self) -> &'static str {
        "lemonsqueezy"
    }

    fn route(&self, method: &str, path: &str) -> Option<Endpoint> {
        if method != "POST" {
            return None;
        }
        match path {
            "/v1/licenses/activate" => Some(Endpoint::Activate),
            "/v1/licenses/validate" => Some(Endpoint::Validate),
            "/v1/licenses/deactivate" => Some(Endpoint::Deactivate),
            _ => None,
        }
    }

    fn handle(&self, state: &mut State, endpoint: Endpoint, request: &Request) -> Response {
        let flag = match endpoint {
            Endpoint::Activate => "activated",
            Endpoint::Validate => "valid",
            Endpoint::Deactivate => "deactivated",
        };
        let fields = match fields(request, true) {
            Ok(f) => f,
            Err(why) => return refusal(422, flag, &why),
        };
        let required: &[&str] = match endpoint {
            Endpoint::Activate => &["license_key", "instance_name"],
            Endpoint::Validate => &["license_key"],
            Endpoint::Deactivate => &["license_key", "instance_id"],
        };
        if let Some(missing) = required
            .iter()
            .find(|f| text(&fields, f).is_none_or(str::is_empty))
        {
            let field = missing.replace('_', " ");
            return refusal(422, flag, &format!("The {field} field is required."));
        }
        let key = text(&fields, "license_key").unwrap_or("");
        let Some(entry) = state.key(self.name(), key) else {
            return refusal(404, flag, "license_key not found.");
        };
        let instance = text(&fields, "instance_id");
        match endpoint {
            Endpoint::Activate => {
                activate(state, &entry, text(&fields, "instance_name").unwrap_or(""))
            }
            Endpoint::Validate => validate(state, &entry, instance),
            Endpoint::Deactivate => deactivate(state, &entry, instance.unwrap_or("")),
        }
    }

    fn fault_answer(&self, _state: &State, _request: &Request, status: u16) -> Response {
        Response::json(status, &json!({ "error": "injected by the emulator" }))
    }

    fn license_key_id(&self, number: usize) -> String {
        number.to_string()
    }

    fn check(&self, spec: &KeySpec) -> Result<(), String> {
        let number = |what: &str, value: Option<&str>| match value {
            Some(v) if v.parse::<u64>().is_ok() => Ok(()),
            _ => Err(format!("a Lemon Squeezy key needs an integer {what}")),
        };
        number("store_id", spec.account_id.as_deref())?;
        number("product_id", Some(&spec.product_id))?;
        if spec.variant_id.is_some() {
            number("variant_id", spec.variant_id.as_deref())?;
        }
        Ok(())
    }
}

/// A failure: the flag false, the sentence, and nulls.
fn refusal(status: u16, flag: &str, error: &str) -> Response {
    let mut body = json!({ "error": error, "license_key": null, "instance": null, "meta": null });
    body[flag] = json!(false);
    Response::json(status, &body)
}

/// A number from text checked by [`LemonSqueezy::check`] (1 when it is not a number).
fn number(text: &str) -> u64 {
    text.parse().unwrap_or(1)
}

/// `license_key`: the status in Lemon Squeezy's words (`inactive` until the first
/// activation), the limit and the usage.
fn license_key(state: &State, entry: &KeyEntry) -> Value {
    let spec = &entry.spec;
    let used = state.used(&entry.license_key_id);
    let status = match spec.status {
        _ if spec.is_past_expiry(jiff::Timestamp::now()) => "expired",
        KeyStatus::Disabled | KeyStatus::Revoked => "disabled",
        _ if used == 0 => "inactive",
        _ => "active",
    };
    json!({
        "id": entry.number,
        "status": status,
        "key": spec.key,
        "activation_limit": spec.activations_limit,
        "activation_usage": used,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "expires_at": spec.expires_at,
        "test_mode": spec.test_mode,
    })
}

/// `meta`: the store, order, product, variant and customer.
fn meta(entry: &KeyEntry) -> Value {
    let spec = &entry.spec;
    json!({
        "store_id": number(spec.account_id.as_deref().unwrap_or("1")),
        "order_id": entry.number,
        "order_item_id": entry.number,
        "product_id": number(&spec.product_id),
        "product_name": spec.product_name.clone().unwrap_or_else(|| "Emulated product".into()),
        "variant_id": number(spec.variant_id.as_deref().unwrap_or("1")),
        "variant_name": "Default",
        "customer_id": entry.number,
        "customer_name": spec.customer_name,
        "customer_email": spec.customer_email,
    })
}

/// Why a key cannot be used now, in Lemon Squeezy's words.
fn unusable(spec: &KeySpec) -> Option<&'static str> {
    if spec.is_past_expiry(jiff::Timestamp::now()) {
        Some("This license key is expired.")
    } else if spec.status != KeyStatus::Active {
        Some("This license key is disabled.")
    } else {
        None
    }
}

fn activate(state: &mut State, entry: &KeyEntry, name: &str) -> Response {
    if let Some(why) = unusable(&entry.spec) {
        return refusal(400, "activated", why);
    }
    let used = state.used(&entry.license_key_id);
    if entry
        .spec
        .activations_limit
        .is_some_and(|limit| used >= limit as usize)
    {
        return refusal(
            400,
            "activated",
            "This license key has reached the activation limit.",
        );
    }
    let record = state.add_instance(
        "lemonsqueezy",
        &entry.license_key_id,
        random_uuid(),
        name,
        None,
    );
    let body = json!({
        "activated": true,
        "error": null,
        "license_key": license_key(state, entry),
        "instance": { "id": record.id, "name": record.name, "created_at": record.created_at },
        "meta": meta(entry),
    });
    Response::json(200, &body)
}

fn validate(state: &State, entry: &KeyEntry, instance: Option<&str>) -> Response {
    let record = match instance {
        Some(id) => match state.instance(&entry.license_key_id, id) {
            Some(record) => Some(record),
            None => return refusal(404, "valid", "license_key instance not found."),
        },
        None => None,
    };
    if let Some(why) = unusable(&entry.spec) {
        return refusal(400, "valid", why);
    }
    let instance =
        record.map(|r| json!({ "id": r.id, "name": r.name, "created_at": r.created_at }));
    Response::json(
        200,
        &json!({
            "valid": true,
            "error": null,
            "license_key": license_key(state, entry),
            "instance": instance,
            "meta": meta(entry),
        }),
    )
}

fn deactivate(state: &mut State, entry: &KeyEntry, instance: &str) -> Response {
    if !state.remove_instance(&entry.license_key_id, instance) {
        return refusal(404, "deactivated", "license_key instance not found.");
    }
    let body = json!({
        "deactivated": true,
        "error": null,
        "license_key": license_key(state, entry),
        "meta": meta(entry),
    });
    Response::json(200, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let mut s = State::default();
        crate::provider::add_key(
            &mut s,
            KeySpec::new("LS-1")
                .with_limit(1)
                .sold_by("lemonsqueezy", "7")
                .of_product("4"),
        );
        s
    }

    fn post(s: &mut State, endpoint: Endpoint, content_type: &str, body: &str) -> (u16, Value) {
        let request = Request {
            method: "POST".into(),
            path: String::new(),
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        };
        let r = LemonSqueezy.handle(s, endpoint, &request);
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    const FORM: &str = "application/x-www-form-urlencoded";

    #[test]
    fn form_and_json_bodies_are_both_read() {
        let mut s = state();
        let (status, body) = post(
            &mut s,
            Endpoint::Activate,
            FORM,
            "license_key=LS-1&instance_name=Ada%27s+PC",
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["instance"]["name"], "Ada's PC");
        assert_eq!(body["meta"]["store_id"], 7);
        assert_eq!(body["license_key"]["status"], "active");
        let id = body["instance"]["id"].as_str().unwrap().to_owned();
        let json_body = format!(r#"{{"license_key":"LS-1","instance_id":"{id}"}}"#);
        let (status, body) = post(&mut s, Endpoint::Validate, "application/json", &json_body);
        assert_eq!((status, &body["valid"]), (200, &json!(true)));
    }

    #[test]
    fn failures_say_no_with_a_sentence() {
        let mut s = state();
        let (status, body) = post(
            &mut s,
            Endpoint::Activate,
            FORM,
            "license_key=nope&instance_name=x",
        );
        assert_eq!((status, &body["activated"]), (404, &json!(false)));
        let (status, _) = post(&mut s, Endpoint::Activate, FORM, "license_key=LS-1");
        assert_eq!(status, 422);
        post(
            &mut s,
            Endpoint::Activate,
            FORM,
            "license_key=LS-1&instance_name=a",
        );
        let (status, body) = post(
            &mut s,
            Endpoint::Activate,
            FORM,
            "license_key=LS-1&instance_name=b",
        );
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains("activation limit"));
        s.set_status("LS-1", KeyStatus::Disabled);
        let (status, body) = post(&mut s, Endpoint::Validate, FORM, "license_key=LS-1");
        assert_eq!((status, &body["valid"]), (400, &json!(false)));
        let (status, _) = post(
            &mut s,
            Endpoint::Deactivate,
            FORM,
            "license_key=LS-1&instance_id=x",
        );
        assert_eq!(status, 404);
    }

    #[test]
    fn keys_need_a_numeric_store_and_product() {
        assert!(
            LemonSqueezy
                .check(
                    &KeySpec::new("K")
                        .sold_by("lemonsqueezy", "7")
                        .of_product("4")
                )
                .is_ok()
        );
        assert!(
            LemonSqueezy
                .check(
                    &KeySpec::new("K")
                        .sold_by("lemonsqueezy", "x")
                        .of_product("4")
                )
                .is_err()
        );
        assert!(
            LemonSqueezy
                .check(&KeySpec::new("K").sold_by("lemonsqueezy", "7"))
                .is_err()
        );
    }
}
