//! Every answer of the emulator's license endpoints, success and error, against the
//! providers' own OpenAPI descriptions: Dodo's (`spec/dodo-licenses-openapi.yml`) and
//! Polar's (`spec/polar-license-keys-openapi.json`). The status must be one the spec lists
//! for the path, and the body must validate against the spec's schema for it (formats
//! included); Dodo's error bodies, which its spec leaves undescribed, must be its
//! `{code, message}`. Lemon Squeezy publishes no OpenAPI description.

use std::io::{Read, Write};
use std::net::TcpStream;

use keyseat_emulator::{Emulator, KeySpec};
use serde_json::{Value, json};

const KEY: &str = "SPEC-TEST-KEY-0123456789";
const LIMITED: &str = "SPEC-LIMITED-KEY-000001";
const DISABLED: &str = "SPEC-DISABLED-KEY-00001";

/// Polar's spec.
fn polar_spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/polar-license-keys-openapi.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the spec")).expect("JSON")
}

/// Dodo's spec, as JSON.
fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/dodo-licenses-openapi.yml"
    );
    let text = std::fs::read_to_string(path).expect("the spec");
    serde_norway::from_str(&text).expect("the spec is YAML")
}

/// `schema` with every `$ref: '#/components/schemas/X'` replaced by that schema (the spec
/// has no recursive schemas), so a plain JSON Schema validator can take it.
fn resolved(schema: &Value, spec: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .expect("a local ref");
                return resolved(&spec["components"]["schemas"][name], spec);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolved(v, spec)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolved(v, spec)).collect()),
        other => other.clone(),
    }
}

/// Dodo's error body, from its API reference (the spec leaves error bodies undescribed).
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code", "message"],
        "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
    })
}

/// A raw POST to the emulator; returns the status and the body.
fn post(url: &str, path: &str, body: &Value) -> (u16, String) {
    post_with(url, path, body, "")
}

/// As [`post`], with extra header lines (each ending in `\r\n`).
fn post_with(url: &str, path: &str, body: &Value, headers: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let body = body.to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// Checks one answer against the spec; returns the status.
fn check(spec: &Value, path: &str, (status, body): (u16, String)) -> u16 {
    let responses = &spec["paths"][path]["post"]["responses"];
    let response = &responses[status.to_string()];
    assert!(
        response.is_object(),
        "{path}: status {status} is not in the spec ({responses})"
    );
    let schema = match &response["content"]["application/json"]["schema"] {
        Value::Null if (200..300).contains(&status) => {
            assert!(
                body.is_empty(),
                "{path}: {status} has no described body: {body}"
            );
            return status;
        }
        Value::Null => error_schema(),
        described => resolved(described, spec),
    };
    let instance: Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("{path} {status}: not JSON ({e}): {body}"));
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{path} {status}: {errors:?} in {body}");
    status
}

#[test]
fn every_answer_matches_the_spec() {
    let spec = spec();
    let mut disabled = KeySpec::new(DISABLED);
    disabled.status = keyseat_emulator::KeyStatus::Disabled;
    let mut named = KeySpec::new(KEY);
    named.product_name = Some("Spec App".into());
    let emu = Emulator::start(vec![named, KeySpec::new(LIMITED).with_limit(1), disabled]).unwrap();
    let url = emu.url();
    let activate = |key: &str| json!({ "license_key": key, "name": "spec test" });
    let mut seen = Vec::new();
    let mut answer = |path: &str, body: Value| {
        let (status, text) = post(&url, path, &body);
        seen.push((path.to_owned(), status));
        (check(&spec, path, (status, text.clone())), text)
    };

    // activate: 201, 403 (inactive), 404 (unknown), 422 (limit)
    let (status, text) = answer("/licenses/activate", activate(KEY));
    assert_eq!(status, 201);
    let instance: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer("/licenses/activate", activate(LIMITED)).0, 201);
    assert_eq!(answer("/licenses/activate", activate(LIMITED)).0, 422);
    assert_eq!(answer("/licenses/activate", activate(DISABLED)).0, 403);
    assert_eq!(
        answer("/licenses/activate", activate("NO-SUCH-KEY-000000")).0,
        404
    );
    // LIMITED's product has no name: its 201 checked the spec's string-or-null above.

    // validate: 200 true and false, 422 for a body of the wrong shape
    let id = instance["id"].as_str().unwrap();
    let validate =
        |key: &str, id: Value| json!({ "license_key": key, "license_key_instance_id": id });
    assert_eq!(
        answer("/licenses/validate", validate(KEY, json!(id))).0,
        200
    );
    assert_eq!(
        answer("/licenses/validate", validate(KEY, Value::Null)).0,
        200
    );
    assert_eq!(
        answer(
            "/licenses/validate",
            validate("NO-SUCH-KEY-000000", Value::Null)
        )
        .0,
        200
    );
    assert_eq!(
        answer("/licenses/validate", json!({ "license_key": 42 })).0,
        422
    );

    // deactivate: 200 (empty body), 403 (not this key's instance), 404 (unknown key)
    let deactivate =
        |key: &str, id: &str| json!({ "license_key": key, "license_key_instance_id": id });
    assert_eq!(
        answer("/licenses/deactivate", deactivate(LIMITED, id)).0,
        403
    );
    assert_eq!(
        answer("/licenses/deactivate", deactivate("NO-SUCH-KEY-000000", id)).0,
        404
    );
    assert_eq!(answer("/licenses/deactivate", deactivate(KEY, id)).0, 200);
    assert_eq!(answer("/licenses/deactivate", deactivate(KEY, id)).0, 403);

    all_statuses_produced(&spec, &seen);
}

/// Every documented status of every path was produced at least once (but 500).
fn all_statuses_produced(spec: &Value, seen: &[(String, u16)]) {
    for (path, item) in spec["paths"].as_object().unwrap() {
        for status in item["post"]["responses"].as_object().unwrap().keys() {
            let produced = seen
                .iter()
                .any(|(p, s)| p == path && s.to_string() == *status);
            assert!(
                produced || status == "500",
                "{path} {status} never produced"
            );
        }
    }
}

#[test]
fn every_polar_answer_matches_polars_schema() {
    const ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
    const BENEFIT: &str = "5a1e3c0e-0000-4000-8000-000000000003";
    let spec = polar_spec();
    let polar = |key: &str| KeySpec::new(key).sold_by("polar", ORG).of_product(BENEFIT);
    let mut named = polar(KEY).with_limit(2);
    named.expires_at = Some("2099-01-01T00:00:00Z".into());
    let mut revoked = polar(DISABLED).with_limit(2);
    revoked.status = keyseat_emulator::KeyStatus::Revoked;
    let no_activations = polar("SPEC-NO-ACTIVATIONS-0001");
    let emu = Emulator::start(vec![
        named,
        polar(LIMITED).with_limit(1),
        revoked,
        no_activations,
    ])
    .unwrap();
    let url = emu.url();
    let base = "/v1/customer-portal/license-keys";
    let mut seen = Vec::new();
    let mut answer = |op: &str, body: Value, headers: &str| {
        let path = format!("{base}/{op}");
        let (status, text) = post_with(&url, &path, &body, headers);
        seen.push((path.clone(), status));
        (check(&spec, &path, (status, text.clone())), text)
    };
    let activate = |key: &str| json!({ "key": key, "organization_id": ORG, "label": "spec" });

    // activate: 200, 403 (limit, revoked, no activations), 404 (unknown, other org), 422
    let (status, text) = answer("activate", activate(KEY), "");
    assert_eq!(status, 200);
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(answer("activate", activate(LIMITED), "").0, 200);
    assert_eq!(answer("activate", activate(LIMITED), "").0, 403);
    assert_eq!(answer("activate", activate(DISABLED), "").0, 403);
    assert_eq!(
        answer("activate", activate("SPEC-NO-ACTIVATIONS-0001"), "").0,
        403
    );
    assert_eq!(
        answer("activate", activate("NO-SUCH-KEY-000000"), "").0,
        404
    );
    let other_org = json!({ "key": KEY, "organization_id": BENEFIT, "label": "x" });
    assert_eq!(answer("activate", other_org, "").0, 404);
    assert_eq!(answer("activate", json!({ "key": KEY }), "").0, 422);

    // validate: 200 with and without an activation, 404 (revoked, unknown activation)
    let validate = |key: &str| json!({ "key": key, "organization_id": ORG });
    let mut with_activation = validate(KEY);
    with_activation["activation_id"] = json!(id);
    let (status, text) = answer("validate", with_activation, "");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["activation"]["id"],
        json!(id)
    );
    assert_eq!(
        answer("validate", validate("SPEC-NO-ACTIVATIONS-0001"), "").0,
        200
    );
    // An empty Bearer token is anonymous, as Polar's own SDKs may send.
    assert_eq!(
        answer("validate", validate(KEY), "Authorization: Bearer \r\n").0,
        200
    );
    assert_eq!(answer("validate", validate(DISABLED), "").0, 404);
    let mut unknown = validate(KEY);
    unknown["activation_id"] = json!(BENEFIT);
    assert_eq!(answer("validate", unknown, "").0, 404);
    assert_eq!(answer("validate", json!({ "key": 1 }), "").0, 422);

    // deactivate: 204 with no body, then 404; 422
    let deactivate = json!({ "key": KEY, "organization_id": ORG, "activation_id": id });
    assert_eq!(answer("deactivate", deactivate.clone(), "").0, 204);
    assert_eq!(answer("deactivate", deactivate, "").0, 404);
    assert_eq!(
        answer(
            "deactivate",
            json!({ "key": KEY, "organization_id": ORG }),
            ""
        )
        .0,
        422
    );

    all_statuses_produced(&spec, &seen);
}
