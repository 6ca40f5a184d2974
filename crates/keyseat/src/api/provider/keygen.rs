//! Keygen: a JSON:API under `/v1/accounts/{account}`, whose answers are signed with the
//! account's Ed25519 key, and checked here before anything reads them.
//!
//! - Validation: `POST …/licenses/actions/validate-key {"meta": {key, nonce, scope:
//!   {fingerprint, product}}}`, no authorization. Always 200; `meta.code` says how it went,
//!   `data` is the license when it was found. A refusal code is reported as the 4xx it
//!   stands for: 404 for `NOT_FOUND`, 403 for the others.
//! - Activation: the validation above finds the license (and says whether this machine
//!   already holds a seat), then `POST …/machines` with `Authorization: License <key>`
//!   creates the machine; `FINGERPRINT_TAKEN` means this machine holds one already, which
//!   `GET …/machines/{fingerprint}` finds, so no second seat is spent.
//! - Deactivation: `DELETE …/machines/{id}` with the same authorization → 204.
//! - Signatures: asked for with `Keygen-Accept-Signature: algorithm="ed25519"`; every
//!   definite answer must carry `Date`, `Digest: sha-256=<base64>` of the body received, and
//!   `Keygen-Signature` over `(request-target)`, `host`, `date` and `digest`, by the
//!   account's public key, dated within five minutes of this machine's clock; a validation
//!   must echo its nonce.

use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::signature::{PinnedKey, Signer, bad_signature, check_public_key};
use super::{
    Kind, NewSeat, Next, Received, Reply, Request, Wire, ambiguous, not_an_error_body, refused,
    unix_time, unreadable,
};
use crate::api::types::{Activation, License, Seat, Validation};
use crate::error::{ApiCode, Error, ErrorKind};
use crate::key::{InstanceId, LicenseKey};

/// JSON:API's media type, which Keygen sends and accepts.
const MEDIA_TYPE: &str = "application/vnd.api+json";
/// Validation codes meaning that this machine holds no seat of the key.
const NOT_ACTIVATED_HERE: [&str; 3] = ["NO_MACHINE", "NO_MACHINES", "FINGERPRINT_SCOPE_MISMATCH"];
/// Validation codes meaning that the key no longer works.
const INACTIVE: [&str; 3] = ["SUSPENDED", "EXPIRED", "BANNED"];

/// Keygen, for one account, checked with its public key.
pub(super) struct Keygen {
    account: String,
    public_key: String,
    /// The one product id the app accepts, sent as the validation's product scope.
    product: Option<String>,
}

impl Keygen {
    pub(super) fn new(account: String, public_key: String) -> Keygen {
        Keygen {
            account: account.trim().to_owned(),
            public_key: public_key.trim().to_ascii_lowercase(),
            product: None,
        }
    }

    /// How this account's answers are checked: its `Keygen-Signature`, by its public key.
    fn signer(&self) -> Result<Signer<'_>, Error> {
        Ok(Signer {
            header: "keygen-signature",
            keys: vec![PinnedKey::parse(&self.public_key)?],
            by_id: false,
        })
    }

    fn path(&self, rest: &str) -> String {
        format!("/v1/accounts/{}{rest}", self.account)
    }

    /// A request with Keygen's media type and the signature asked for; with the key as
    /// `License` authorization when `key` is given.
    fn request(&self, method: &'static str, rest: &str, key: Option<&LicenseKey>) -> Request {
        let mut headers = vec![(
            "keygen-accept-signature",
            Zeroizing::new(r#"algorithm="ed25519""#.to_owned()),
        )];
        if let Some(key) = key {
            headers.push((
                "authorization",
                Zeroizing::new(format!("License {}", key.expose())),
            ));
        }
        Request {
            method,
            path: self.path(rest),
            content_type: MEDIA_TYPE,
            accept: MEDIA_TYPE,
            headers,
            body: Zeroizing::new(Vec::new()),
            nonce: None,
            echo: None,
        }
    }

    /// `GET …/machines/{fingerprint}`: the seat this machine already holds.
    fn lookup(&self, key: &LicenseKey, fingerprint: &str) -> Request {
        let fingerprint =
            form_urlencoded::byte_serialize(fingerprint.as_bytes()).collect::<String>();
        self.request("GET", &format!("/machines/{fingerprint}"), Some(key))
    }

    /// `POST …/machines` for the license `license_id`.
    fn create(&self, key: &LicenseKey, seat: &NewSeat<'_>, license_id: &str) -> Request {
        let mut request = self.request("POST", "/machines", Some(key));
        let body = json!({
            "data": {
                "type": "machines",
                "attributes": {
                    "fingerprint": seat.fingerprint,
                    "name": seat.name,
                    "platform": std::env::consts::OS,
                },
                "relationships": {
                    "license": { "data": { "type": "licenses", "id": license_id } }
                }
            }
        });
        request.body = Zeroizing::new(serde_json::to_vec(&body).unwrap_or_default());
        request
    }

    /// The facts of a license resource.
    fn license(&self, data: &Resource) -> License {
        let attributes = &data.attributes;
        let text = |name: &str| attributes.get(name).and_then(Value::as_str);
        License {
            license_key_id: data.id.clone(),
            // The URL names the account, and its key signed the answer.
            account_id: Some(self.account.clone()),
            product_id: data.related("product").unwrap_or_default().to_owned(),
            product_name: text("name").map(str::to_owned),
            status: text("status").map(str::to_owned),
            expires_at: unix_time(text("expiry")),
            activation_limit: attributes
                .get("maxMachines")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            // The license's machines, counted in its relationship's meta.
            activations_used: data
                .relationships
                .get("machines")
                .and_then(|m| m.get("meta")?.get("count")?.as_u64())
                .and_then(|n| u32::try_from(n).ok()),
            ..License::default()
        }
    }

    /// The activation a machine resource and the license found before make. The machine
    /// must be this machine's (`fingerprint`) and of that license: a signed answer about
    /// another machine, replayed, is no answer ([`ErrorKind::BadSignature`]).
    fn activation(
        &self,
        machine: &[u8],
        license: &License,
        fingerprint: &str,
    ) -> Result<Activation, Error> {
        let document: Document = serde_json::from_slice(machine)
            .map_err(|e| Error::invalid_response(Some(200), format!("machine body: {e}")))?;
        let data = document
            .data
            .ok_or_else(|| Error::invalid_response(Some(200), "machine body: no data"))?;
        let text = |name: &str| data.attributes.get(name).and_then(Value::as_str);
        if text("fingerprint") != Some(fingerprint) {
            return Err(bad_signature(
                "the machine answered about is not this machine",
            ));
        }
        if data.related("license") != Some(license.license_key_id.as_str()) {
            return Err(bad_signature(
                "the machine answered about is of another license",
            ));
        }
        Ok(Activation {
            id: InstanceId::new(data.id.clone())
                .map_err(|e| Error::invalid_response(Some(200), format!("machine id: {e}")))?,
            name: text("name").unwrap_or_default().to_owned(),
            created_at: unix_time(text("created")),
            holds_seat: true,
            license: license.clone(),
        })
    }
}

/// A JSON:API document: `data`, and for validations `meta`.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    data: Option<Resource>,
    #[serde(default)]
    meta: Option<Meta>,
}

/// A JSON:API document listing resources.
#[derive(Deserialize)]
struct List {
    data: Vec<Resource>,
}

/// A resource: its id, attributes and relationships.
#[derive(Deserialize)]
struct Resource {
    id: String,
    #[serde(default)]
    attributes: serde_json::Map<String, Value>,
    #[serde(default)]
    relationships: serde_json::Map<String, Value>,
}

impl Resource {
    /// The id of the related resource `name`.
    fn related(&self, name: &str) -> Option<&str> {
        self.relationships
            .get(name)?
            .get("data")?
            .get("id")?
            .as_str()
    }
}

/// A validation's verdict.
#[derive(Deserialize)]
struct Meta {
    valid: bool,
    code: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    nonce: Option<u64>,
}

/// Keygen's error body.
#[derive(Deserialize)]
struct Errors {
    errors: Vec<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// A read validation: the verdict, and the license when found.
struct Verdict {
    meta: Meta,
    license: Option<Resource>,
}

impl Keygen {
    /// Reads a validation answer, checking that it echoes the request's nonce.
    fn verdict(&self, request: &Request, body: &[u8]) -> Result<Verdict, Error> {
        let document: Document = serde_json::from_slice(body)
            .map_err(|e| Error::invalid_response(Some(200), format!("validation body: {e}")))?;
        let meta = document
            .meta
            .ok_or_else(|| Error::invalid_response(Some(200), "validation body: no meta"))?;
        if meta.nonce != request.nonce {
            return Err(bad_signature("the validation does not echo the nonce sent"));
        }
        Ok(Verdict {
            meta,
            license: document.data,
        })
    }

    /// The refusal a validation code stands for.
    fn refusal_of(&self, verdict: &Verdict, key: &LicenseKey) -> Error {
        let code = verdict.meta.code.as_str();
        let detail = verdict.meta.detail.as_deref().unwrap_or(code);
        let message = format!("{detail} ({code})");
        match code {
            "NOT_FOUND" => refused(404, ApiCode::LicenseKeyNotFound, &message, key),
            c if INACTIVE.contains(&c) => refused(403, ApiCode::InactiveLicenseKey, &message, key),
            "TOO_MANY_MACHINES" => refused(403, ApiCode::LicenseKeyLimitReached, &message, key),
            "PRODUCT_SCOPE_MISMATCH" => Error::new(ErrorKind::WrongProduct {
                product_id: verdict
                    .license
                    .as_ref()
                    .and_then(|l| l.related("product"))
                    .unwrap_or("another product")
                    .to_owned(),
                release_failed: None,
            }),
            other => refused(403, ApiCode::Other(other.to_owned()), &message, key),
        }
    }
}

impl Wire for Keygen {
    fn name(&self) -> &'static str {
        "keygen"
    }

    fn account(&self) -> Option<&str> {
        Some(&self.account)
    }

    fn check(&self) -> Result<(), Error> {
        let account_ok = !self.account.is_empty()
            && self
                .account
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !account_ok {
            return Err(Error::invalid_input(format!(
                "a Keygen account is its id or slug (letters, digits, - and _), got {:?}",
                self.account
            )));
        }
        check_public_key(&self.public_key)?;
        Ok(())
    }

    fn scoped_to(&self, products: &[String]) -> Option<std::sync::Arc<dyn Wire>> {
        Some(std::sync::Arc::new(Keygen {
            account: self.account.clone(),
            public_key: self.public_key.clone(),
            product: match products {
                [one] => Some(one.clone()),
                _ => None,
            },
        }))
    }

    fn live_url(&self) -> &str {
        "https://api.keygen.sh"
    }

    fn test_url(&self) -> &str {
        // Keygen has no test host: test data lives in an environment of the account.
        "https://api.keygen.sh"
    }

    fn activate(&self, _key: &LicenseKey, _seat: &NewSeat<'_>) -> Result<Request, Error> {
        Err(Error::invalid_input("Keygen activates in steps"))
    }

    fn validate(
        &self,
        key: &LicenseKey,
        _instance: Option<&InstanceId>,
        fingerprint: Option<&str>,
    ) -> Request {
        let nonce = u64::from(getrandom::u32().unwrap_or(0x5eed)) + 1;
        let mut scope = serde_json::Map::new();
        if let Some(fingerprint) = fingerprint {
            scope.insert("fingerprint".into(), json!(fingerprint));
        }
        if let Some(product) = &self.product {
            scope.insert("product".into(), json!(product));
        }
        let mut meta = json!({ "key": key.expose(), "nonce": nonce });
        if !scope.is_empty() {
            meta["scope"] = Value::Object(scope);
        }
        let mut request = self.request("POST", "/licenses/actions/validate-key", None);
        request.body =
            Zeroizing::new(serde_json::to_vec(&json!({ "meta": meta })).unwrap_or_default());
        request.nonce = Some(nonce);
        request
    }

    fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Request {
        self.request(
            "DELETE",
            &format!("/machines/{}", instance.as_str()),
            Some(key),
        )
    }

    fn read_activation(&self, _body: &[u8], _key: &LicenseKey) -> Result<Activation, Error> {
        Err(Error::invalid_response(None, "Keygen activates in steps"))
    }

    fn read_validation(
        &self,
        request: &Request,
        body: &[u8],
        key: &LicenseKey,
    ) -> Result<Validation, Error> {
        let verdict = self.verdict(request, body)?;
        let code = verdict.meta.code.as_str();
        if code == "NOT_FOUND" {
            return Err(self.refusal_of(&verdict, key));
        }
        Ok(Validation {
            valid: verdict.meta.valid && code == "VALID",
            license: verdict.license.as_ref().map(|l| self.license(l)),
            not_activated_here: NOT_ACTIVATED_HERE.contains(&code),
            activation_id: None,
        })
    }

    fn verify(&self, received: &Received<'_>) -> Result<(), Error> {
        self.signer()?
            .verify(received, jiff::Timestamp::now().as_second())
    }

    fn signs_answers(&self) -> bool {
        true
    }

    fn activation_step(
        &self,
        key: &LicenseKey,
        seat: &NewSeat<'_>,
        done: &[(Request, Reply)],
    ) -> Next {
        let Some(fingerprint) = seat.fingerprint else {
            return Next::Fail(Error::invalid_input(
                "a Keygen activation needs the machine's fingerprint",
            ));
        };
        let Some((validation, reply)) = done.first() else {
            return Next::Send(
                self.validate(key, None, Some(fingerprint)),
                Kind::Repeatable,
            );
        };
        if !reply.is_success() {
            return Next::Fail(self.refusal(reply.status, &reply.body, key));
        }
        let verdict = match self.verdict(validation, &reply.body) {
            Ok(v) => v,
            Err(e) => return Next::Fail(e),
        };
        let Some(found) = verdict.license.as_ref() else {
            return Next::Fail(self.refusal_of(&verdict, key));
        };
        let license = self.license(found);
        let code = verdict.meta.code.as_str();
        match done {
            // The license is found: this machine holds a seat already, or needs one.
            [_] if code == "VALID" => Next::Send(self.lookup(key, fingerprint), Kind::Repeatable),
            [_] if NOT_ACTIVATED_HERE.contains(&code) || code == "TOO_MANY_MACHINES" => {
                Next::Send(self.create(key, seat, &found.id), Kind::SpendsSeat)
            }
            [_] => Next::Fail(self.refusal_of(&verdict, key)),
            [.., (last, reply)] if reply.is_success() => {
                match self.activation(&reply.body, &license, fingerprint) {
                    Ok(activation) => Next::Done(activation),
                    Err(e) if last.method == "POST" => {
                        Next::Fail(ambiguous(&format!("the server made the machine but {e}")))
                    }
                    Err(e) => Next::Fail(e),
                }
            }
            [_, (last, reply)] if last.method == "POST" => {
                let refusal = self.refusal(reply.status, &reply.body, key);
                if refusal.api_code() == Some(&ApiCode::Other("FINGERPRINT_TAKEN".into())) {
                    log::info!("this machine already holds a seat of the key: finding it");
                    Next::Send(self.lookup(key, fingerprint), Kind::Repeatable)
                } else {
                    Next::Fail(refusal)
                }
            }
            [.., (_, reply)] => Next::Fail(self.refusal(reply.status, &reply.body, key)),
            [] => Next::Fail(Error::invalid_response(None, "no validation")),
        }
    }

    /// `GET …/machines` with the key as `License` authorization: the license's machines.
    fn seats(&self, key: &LicenseKey, _fingerprint: &str) -> Option<Request> {
        Some(self.request("GET", "/machines", Some(key)))
    }

    fn read_seats(
        &self,
        body: &[u8],
        _key: &LicenseKey,
        fingerprint: &str,
    ) -> Result<Vec<Seat>, Error> {
        let list: List = serde_json::from_slice(body).map_err(|e| unreadable("machines", &e))?;
        list.data
            .iter()
            .map(|machine| {
                let text = |name: &str| machine.attributes.get(name).and_then(Value::as_str);
                Ok(Seat {
                    id: InstanceId::new(machine.id.clone()).map_err(|e| {
                        Error::invalid_response(Some(200), format!("machine id: {e}"))
                    })?,
                    name: text("name").unwrap_or_default().to_owned(),
                    created_at: unix_time(text("created")),
                    this_machine: text("fingerprint") == Some(fingerprint),
                })
            })
            .collect()
    }

    fn refusal(&self, status: u16, body: &[u8], key: &LicenseKey) -> Error {
        let Ok(Errors { errors }) = serde_json::from_slice::<Errors>(body) else {
            return not_an_error_body(status, body, "Keygen");
        };
        let first = errors.first();
        let code = first.and_then(|e| e.code.as_deref()).unwrap_or("");
        let message = first
            .and_then(|e| e.detail.as_deref().or(e.title.as_deref()))
            .unwrap_or("refused");
        let code = match (status, code) {
            (429, _) => ApiCode::TooManyRequests,
            (404, _) | (_, "NOT_FOUND") => ApiCode::LicenseKeyNotFound,
            (_, "MACHINE_LIMIT_EXCEEDED") => ApiCode::LicenseKeyLimitReached,
            (_, "LICENSE_SUSPENDED" | "LICENSE_EXPIRED" | "LICENSE_BANNED") => {
                ApiCode::InactiveLicenseKey
            }
            (_, "") => ApiCode::Other("KEYGEN_ERROR".into()),
            (_, other) => ApiCode::Other(other.to_owned()),
        };
        refused(status, code, message, key)
    }
}

#[cfg(test)]
mod tests;
