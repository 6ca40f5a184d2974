//! Keygen, as keygen-api's request specs describe it (`licenses/actions/validations`,
//! `machines/create`): a JSON:API under `/v1/accounts/{account}/`, every answer signed with
//! the emulator's Ed25519 key (`Date`, `Digest`, `Keygen-Signature`).
//!
//! - `POST …/licenses/actions/validate-key {"meta": {key, nonce?, scope?: {fingerprint?,
//!   product?}}}`: always 200, `meta {valid, code, detail, nonce?, scope?}` and the license
//!   as `data` when found (a validation).
//! - `POST …/machines` with `Authorization: License <key>`: 201 with the machine; 422
//!   `FINGERPRINT_TAKEN` or `MACHINE_LIMIT_EXCEEDED`, 403 `LICENSE_NOT_ALLOWED` (an
//!   activation).
//! - `GET …/machines` (the license's machines) and `GET …/machines/{id or fingerprint}`
//!   (both counted as validations), and `DELETE
//!   …/machines/{id}` → 204 (a deactivation), with the same authorization.
//! - Errors are `{"errors": [{title, detail, code}]}`.

use serde_json::{Map, Value, json};

use super::{Provider, fields};
use crate::http::{Request, Response};
use crate::signing::SignFor;
use crate::state::{Endpoint, InstanceRecord, KeyEntry, KeySpec, KeyStatus, State, random_uuid};

/// Keygen.
pub(crate) struct Keygen;

/// A time for the fields the emulator does not track.
const EPOCH: &str = "2026-01-01T00:00:00.000Z";

/// What a path under `/v1/accounts/{account}/` names.
enum Route<'a> {
    Validate,
    Machines,
    Machine(&'a str),
}

/// The account and route of a path.
fn parse(path: &str) -> Option<(&str, Route<'_>)> {
    let rest = path.strip_prefix("/v1/accounts/")?;
    let (account, rest) = rest.split_once('/')?;
    let route = match rest {
        "licenses/actions/validate-key" => Route::Validate,
        "machines" => Route::Machines,
        _ => Route::Machine(
            rest.strip_prefix("machines/")
                .filter(|m| !m.contains('/'))?,
        ),
    };
    Some((account, route))
}

impl Provider for Keygen {
    fn name(&self) -> &'static str {
        "keygen"
    }

    fn route(&self, method: &str, path: &str) -> Option<Endpoint> {
        match (method, parse(path)?.1) {
            ("POST", Route::Validate) | ("GET", Route::Machine(_) | Route::Machines) => {
                Some(Endpoint::Validate)
            }
            ("POST", Route::Machines) => Some(Endpoint::Activate),
            ("DELETE", Route::Machine(_)) => Some(Endpoint::Deactivate),
            _ => None,
        }
    }

    fn handle(&self, state: &mut State, _endpoint: Endpoint, request: &Request) -> Response {
        let sign = sign_for(state, request);
        let Some((account, route)) = parse(&request.path) else {
            return errors(404, "Not found", "no such route", "NOT_FOUND").signed(sign);
        };
        let response = match (request.method.as_str(), route) {
            ("POST", Route::Validate) => validate(state, account, request),
            (method, route) => match licensed(state, account, request) {
                Some(entry) => match (method, route) {
                    ("POST", Route::Machines) => create(state, &entry, request),
                    ("GET", Route::Machines) => {
                        let machines: Vec<Value> = state
                            .instances_of(&entry.spec.key)
                            .iter()
                            .map(|record| resource(record, &entry))
                            .collect();
                        Response::json(200, &json!({ "data": machines }))
                    }
                    ("GET", Route::Machine(id)) => match machine(state, &entry, id) {
                        Some(record) => {
                            Response::json(200, &json!({ "data": resource(&record, &entry) }))
                        }
                        None => not_found("machine"),
                    },
                    (_, Route::Machine(id)) => match machine(state, &entry, id) {
                        Some(record)
                            if state.remove_instance(&entry.license_key_id, &record.id) =>
                        {
                            Response::empty(204)
                        }
                        _ => not_found("machine"),
                    },
                    _ => not_found("route"),
                },
                None => errors(
                    401,
                    "Unauthorized",
                    "License key is invalid",
                    "LICENSE_INVALID",
                ),
            },
        };
        response.signed(sign)
    }

    fn fault_answer(&self, state: &State, request: &Request, status: u16) -> Response {
        let code = match status {
            429 => "TOO_MANY_REQUESTS",
            s if s >= 500 => "INTERNAL_SERVER_ERROR",
            _ => "INJECTED_FAULT",
        };
        errors(status, "Injected", "injected by the emulator", code)
            .signed(sign_for(state, request))
    }

    fn license_key_id(&self, _number: usize) -> String {
        random_uuid()
    }

    fn check(&self, spec: &KeySpec) -> Result<(), String> {
        match &spec.account_id {
            Some(a) if !a.is_empty() && !a.contains('/') => Ok(()),
            _ => Err("a Keygen key needs its account".into()),
        }
    }

    fn authenticates(&self) -> bool {
        true
    }
}

trait Signed {
    fn signed(self, sign: Option<SignFor>) -> Response;
}

impl Signed for Response {
    /// The answer, to be signed for the request when it is written.
    fn signed(mut self, sign: Option<SignFor>) -> Response {
        self.sign = sign;
        if self.status != 204 {
            self.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
            self.headers
                .push(("Content-Type".into(), "application/vnd.api+json".into()));
        }
        self
    }
}

/// What an answer to `request` is signed for.
fn sign_for(state: &State, request: &Request) -> Option<SignFor> {
    Some(SignFor {
        key: state.keygen_key.clone()?,
        method: request.method.to_ascii_lowercase(),
        host: request.header("host").unwrap_or_default().to_owned(),
        target: request.path.clone(),
    })
}

fn errors(status: u16, title: &str, detail: &str, code: &str) -> Response {
    Response::json(
        status,
        &json!({ "errors": [{ "title": title, "detail": detail, "code": code }] }),
    )
}

fn not_found(what: &str) -> Response {
    errors(
        404,
        "Not found",
        &format!("The requested {what} was not found"),
        "NOT_FOUND",
    )
}

/// The license a `License <key>` authorization names, within `account`.
fn licensed(state: &State, account: &str, request: &Request) -> Option<KeyEntry> {
    let key = request
        .header("authorization")?
        .strip_prefix("License ")?
        .trim();
    state
        .key("keygen", key)
        .filter(|e| e.spec.account_id.as_deref() == Some(account))
}

/// The machine `id` (or fingerprint) of the license.
fn machine(state: &State, entry: &KeyEntry, id: &str) -> Option<InstanceRecord> {
    state
        .instances_of(&entry.spec.key)
        .into_iter()
        .find(|m| m.id == id || m.fingerprint.as_deref() == Some(id))
}

/// Keygen's word for the status.
fn status(spec: &KeySpec) -> &'static str {
    match spec.status {
        _ if spec.is_past_expiry(jiff::Timestamp::now()) => "EXPIRED",
        KeyStatus::Active => "ACTIVE",
        KeyStatus::Disabled => "SUSPENDED",
        KeyStatus::Expired => "EXPIRED",
        KeyStatus::Revoked => "BANNED",
    }
}

/// The license resource.
fn license(state: &State, entry: &KeyEntry) -> Value {
    let spec = &entry.spec;
    let related = |kind: &str, id: Option<&str>| json!({ "data": id.map(|id| json!({ "type": kind, "id": id })) });
    json!({
        "id": entry.license_key_id,
        "type": "licenses",
        "attributes": {
            "name": spec.product_name,
            "key": spec.key,
            "expiry": spec.expires_at,
            "status": status(spec),
            "maxMachines": spec.activations_limit,
            "created": EPOCH,
        },
        "relationships": {
            "account": related("accounts", spec.account_id.as_deref()),
            "product": related("products", Some(&spec.product_id)),
            "policy": related("policies", spec.policy_id.as_deref()),
            "machines": { "meta": { "count": state.used(&entry.license_key_id) } },
        }
    })
}

/// The machine resource.
fn resource(record: &InstanceRecord, entry: &KeyEntry) -> Value {
    json!({
        "id": record.id,
        "type": "machines",
        "attributes": {
            "fingerprint": record.fingerprint,
            "name": record.name,
            "created": record.created_at,
        },
        "relationships": {
            "license": { "data": { "type": "licenses", "id": entry.license_key_id } },
            "product": { "data": { "type": "products", "id": entry.spec.product_id } },
        }
    })
}

fn validate(state: &State, account: &str, request: &Request) -> Response {
    let fields = match fields(request, false) {
        Ok(f) => f,
        Err(why) => return errors(400, "Bad request", &why, "PARAMETER_INVALID"),
    };
    let meta = fields
        .get("meta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let key = meta.get("key").and_then(Value::as_str).unwrap_or("");
    let scope = meta
        .get("scope")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let found = state
        .key("keygen", key)
        .filter(|e| e.spec.account_id.as_deref() == Some(account));
    let (code, detail) = match &found {
        None => ("NOT_FOUND", "does not exist"),
        Some(entry) => verdict(state, entry, &scope),
    };
    let mut out = Map::new();
    out.insert("valid".into(), json!(code == "VALID"));
    out.insert("detail".into(), json!(detail));
    out.insert("code".into(), json!(code));
    if let Some(nonce) = meta.get("nonce") {
        out.insert("nonce".into(), nonce.clone());
    }
    if !scope.is_empty() {
        out.insert("scope".into(), Value::Object(scope));
    }
    let data = found.as_ref().map_or(Value::Null, |e| license(state, e));
    Response::json(200, &json!({ "meta": out, "data": data }))
}

/// A found license's validation code and detail, for `scope`.
fn verdict(
    state: &State,
    entry: &KeyEntry,
    scope: &Map<String, Value>,
) -> (&'static str, &'static str) {
    let spec = &entry.spec;
    let text = |name: &str| scope.get(name).and_then(Value::as_str);
    if text("product").is_some_and(|p| p != spec.product_id) {
        return ("PRODUCT_SCOPE_MISMATCH", "product scope does not match");
    }
    match status(spec) {
        "SUSPENDED" => return ("SUSPENDED", "is suspended"),
        "EXPIRED" => return ("EXPIRED", "is expired"),
        "BANNED" => return ("BANNED", "is banned"),
        _ => {}
    }
    let used = state.used(&entry.license_key_id);
    if spec
        .activations_limit
        .is_some_and(|max| used > max as usize)
    {
        return ("TOO_MANY_MACHINES", "has too many associated machines");
    }
    if let Some(fingerprint) = text("fingerprint")
        && machine(state, entry, fingerprint).is_none()
    {
        return (
            "NO_MACHINE",
            "fingerprint is not activated (has no associated machine)",
        );
    }
    ("VALID", "is valid")
}

fn create(state: &mut State, entry: &KeyEntry, request: &Request) -> Response {
    let fields = fields(request, false).unwrap_or_default();
    let data = fields.get("data").cloned().unwrap_or(Value::Null);
    let attributes = &data["attributes"];
    let Some(fingerprint) = attributes["fingerprint"].as_str().filter(|f| !f.is_empty()) else {
        return errors(
            422,
            "Unprocessable resource",
            "cannot be blank",
            "FINGERPRINT_BLANK",
        );
    };
    let name = attributes["name"].as_str().unwrap_or("");
    if data["relationships"]["license"]["data"]["id"].as_str() != Some(&entry.license_key_id) {
        return errors(
            403,
            "Access denied",
            "not allowed for this license",
            "LICENSE_NOT_ALLOWED",
        );
    }
    if status(&entry.spec) != "ACTIVE" {
        return errors(
            403,
            "Access denied",
            "the license is not active",
            "LICENSE_NOT_ALLOWED",
        );
    }
    if machine(state, entry, fingerprint).is_some() {
        return errors(
            422,
            "Unprocessable resource",
            "has already been taken",
            "FINGERPRINT_TAKEN",
        );
    }
    let used = state.used(&entry.license_key_id);
    if let Some(max) = entry.spec.activations_limit
        && used >= max as usize
    {
        return errors(
            422,
            "Unprocessable resource",
            &format!("machine count has exceeded maximum allowed for license ({max})"),
            "MACHINE_LIMIT_EXCEEDED",
        );
    }
    let record = state.add_instance(
        "keygen",
        &entry.license_key_id,
        random_uuid(),
        name,
        Some(fingerprint),
    );
    Response::json(201, &json!({ "data": resource(&record, entry) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = |m, p| Keygen.route(m, p);
        assert_eq!(
            r("POST", "/v1/accounts/a/licenses/actions/validate-key"),
            Some(Endpoint::Validate)
        );
        assert_eq!(
            r("POST", "/v1/accounts/a/machines"),
            Some(Endpoint::Activate)
        );
        assert_eq!(
            r("GET", "/v1/accounts/a/machines/fp"),
            Some(Endpoint::Validate)
        );
        assert_eq!(
            r("DELETE", "/v1/accounts/a/machines/m"),
            Some(Endpoint::Deactivate)
        );
        assert_eq!(
            r("GET", "/v1/accounts/a/machines"),
            Some(Endpoint::Validate),
            "the license's machines"
        );
        assert_eq!(r("PATCH", "/v1/accounts/a/machines"), None);
        assert_eq!(r("POST", "/v1/accounts/a/machines/m/x"), None);
        assert_eq!(r("POST", "/v1/licenses/activate"), None);
    }
}
