//! Lemon Squeezy's License API: `POST /v1/licenses/{activate,validate,deactivate}`, sent
//! form-encoded as its documentation asks, answered in JSON with a flag (`activated`,
//! `valid`, `deactivated`), an `error` sentence, and `license_key`, `instance` and `meta`
//! objects. Failures are 400, 404 or 422 with the flag false.
//!
//! The server pins nothing: any store's key activates. The store and product in `meta` are
//! what tells the client whether the key is the app's, so they are read strictly.

use serde::Deserialize;

use super::{
    NewSeat, Request, Wire, code_from_words, not_an_error_body, refused, unix_time, unreadable,
};
use crate::api::types::{Activation, License, Validation};
use crate::error::{ApiCode, Error};
use crate::key::{InstanceId, LicenseKey};

/// Lemon Squeezy, for one store.
pub(super) struct LemonSqueezy {
    store: String,
}

impl LemonSqueezy {
    pub(super) fn new(store_id: u64) -> LemonSqueezy {
        LemonSqueezy {
            store: store_id.to_string(),
        }
    }
}

/// Every answer's shape. The `key` field of `license_key` is never read.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    activated: Option<bool>,
    #[serde(default)]
    valid: Option<bool>,
    #[serde(default)]
    license_key: Option<KeyInfo>,
    #[serde(default)]
    instance: Option<InstanceInfo>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct KeyInfo {
    id: u64,
    status: String,
    #[serde(default)]
    activation_limit: Option<u32>,
    #[serde(default)]
    activation_usage: Option<u32>,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    test_mode: Option<bool>,
}

#[derive(Deserialize)]
struct InstanceInfo {
    id: String,
    name: String,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    store_id: u64,
    product_id: u64,
    #[serde(default)]
    product_name: Option<String>,
    #[serde(default)]
    variant_id: Option<u64>,
    #[serde(default)]
    customer_email: Option<String>,
}

/// The error body: the flag false and a sentence.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// Statuses of a key that no longer licenses anything.
const DEAD_STATUSES: [&str; 2] = ["expired", "disabled"];

/// A form-encoded request.
fn form(path: &'static str, fields: &[(&str, &str)]) -> Request {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        body.append_pair(name, value);
    }
    Request {
        method: "POST",
        path: path.to_owned(),
        content_type: "application/x-www-form-urlencoded",
        accept: "application/json",
        headers: Vec::new(),
        body: zeroize::Zeroizing::new(body.finish().into_bytes()),
        nonce: None,
        echo: None,
    }
}

impl Answer {
    fn parse(body: &[u8], what: &str) -> Result<Answer, Error> {
        serde_json::from_slice(body).map_err(|e| unreadable(what, &e))
    }

    /// The facts of `license_key` and `meta`, when both came.
    fn license(&self) -> Option<License> {
        let (key, meta) = (self.license_key.as_ref()?, self.meta.as_ref()?);
        Some(License {
            license_key_id: key.id.to_string(),
            account_id: Some(meta.store_id.to_string()),
            product_id: meta.product_id.to_string(),
            variant_id: meta.variant_id.map(|v| v.to_string()),
            product_name: meta.product_name.clone(),
            customer_email: meta.customer_email.clone(),
            status: Some(key.status.clone()),
            expires_at: unix_time(key.expires_at.as_deref()),
            activation_limit: key.activation_limit,
            test_mode: key.test_mode,
            activations_used: key.activation_usage,
            entitlements: None,
        })
    }
}

impl Wire for LemonSqueezy {
    fn name(&self) -> &'static str {
        "lemonsqueezy"
    }

    fn account(&self) -> Option<&str> {
        Some(&self.store)
    }

    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    fn has_variants(&self) -> bool {
        true
    }

    fn live_url(&self) -> &str {
        "https://api.lemonsqueezy.com"
    }

    fn test_url(&self) -> &str {
        // No sandbox host: test-mode keys live on the same server.
        "https://api.lemonsqueezy.com"
    }

    fn activate(&self, key: &LicenseKey, seat: &NewSeat<'_>) -> Result<Request, Error> {
        Ok(form(
            "/v1/licenses/activate",
            &[("license_key", key.expose()), ("instance_name", seat.name)],
        ))
    }

    fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        _fingerprint: Option<&str>,
    ) -> Request {
        let mut fields = vec![("license_key", key.expose())];
        if let Some(id) = instance {
            fields.push(("instance_id", id.as_str()));
        }
        form("/v1/licenses/validate", &fields)
    }

    fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Request {
        form(
            "/v1/licenses/deactivate",
            &[
                ("license_key", key.expose()),
                ("instance_id", instance.as_str()),
            ],
        )
    }

    fn read_activation(&self, body: &[u8], key: &LicenseKey) -> Result<Activation, Error> {
        let answer = Answer::parse(body, "activation")?;
        if answer.activated != Some(true) {
            return Err(self.refusal(200, body, key));
        }
        let missing = |what| Error::invalid_response(Some(200), format!("activation: no {what}"));
        let license = answer
            .license()
            .ok_or_else(|| missing("license_key or meta"))?;
        let instance = answer.instance.ok_or_else(|| missing("instance"))?;
        Ok(Activation {
            id: InstanceId::new(instance.id)
                .map_err(|e| Error::invalid_response(Some(200), format!("instance id: {e}")))?,
            name: instance.name,
            created_at: unix_time(instance.created_at.as_deref()),
            holds_seat: true,
            license,
        })
    }

    fn read_validation(
        &self,
        _request: &Request,
        body: &[u8],
        _key: &LicenseKey,
    ) -> Result<Validation, Error> {
        let answer = Answer::parse(body, "validate")?;
        let license = answer.license();
        let dead = license
            .as_ref()
            .and_then(|l| l.status.as_deref())
            .is_some_and(|s| DEAD_STATUSES.contains(&s));
        let valid = answer
            .valid
            .ok_or_else(|| Error::invalid_response(Some(200), "validate body: no `valid`"))?;
        Ok(Validation {
            valid: valid && !dead,
            license,
            not_activated_here: false,
            activation_id: answer.instance.map(|i| i.id),
        })
    }

    fn refusal(&self, status: u16, body: &[u8], key: &LicenseKey) -> Error {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(err) => {
                let code = code_from_words(status, &err.error)
                    .unwrap_or_else(|| ApiCode::Other("LEMON_SQUEEZY_ERROR".into()));
                refused(status, code, &err.error, key)
            }
            Err(_) => not_an_error_body(status, body, "Lemon Squeezy"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const KEY: &str = "38b1460a-5104-4067-a91d-77b872934d51";

    fn key() -> LicenseKey {
        LicenseKey::new(KEY).unwrap()
    }

    fn request() -> Request {
        LemonSqueezy::new(7).validate(&key(), None, None)
    }

    fn answer(flag: &str, value: bool, status: &str) -> String {
        format!(
            r#"{{"{flag}":{value},"error":null,
            "license_key":{{"id":1,"status":"{status}","key":"{KEY}","activation_limit":3,
              "activation_usage":1,"created_at":"2021-01-24T14:15:07.000000Z",
              "expires_at":"2030-01-01T00:00:00.000000Z","test_mode":true}},
            "instance":{{"id":"f90ec370-fd83-46a5-8bbd-44a241e78665","name":"laptop",
              "created_at":"2021-02-24T14:15:07.000000Z"}},
            "meta":{{"store_id":7,"order_id":2,"order_item_id":3,"product_id":4,
              "product_name":"App","variant_id":5,"variant_name":"Default","customer_id":6,
              "customer_name":"Ada","customer_email":"ada@example.com"}}}}"#
        )
    }

    #[test]
    fn requests_are_form_encoded() {
        let seat = NewSeat {
            name: "Ada's PC",
            fingerprint: None,
        };
        let r = LemonSqueezy::new(7)
            .activate(&LicenseKey::new("K y&z").unwrap(), &seat)
            .unwrap();
        assert_eq!(r.content_type, "application/x-www-form-urlencoded");
        assert_eq!(&r.body[..], b"license_key=K+y%26z&instance_name=Ada%27s+PC");
        let id = InstanceId::new("i-1").unwrap();
        let r = LemonSqueezy::new(7).validate(&key(), Some(&id), None);
        assert!(r.body.ends_with(b"&instance_id=i-1"));
        let r = LemonSqueezy::new(7).validate(&key(), None, None);
        assert!(!r.body.windows(8).any(|w| w == b"instance"));
        assert_eq!(
            LemonSqueezy::new(7).deactivate(&key(), &id).path,
            "/v1/licenses/deactivate"
        );
    }

    #[test]
    fn activation_reads_store_product_and_variant() {
        let body = answer("activated", true, "active");
        let a = LemonSqueezy::new(7)
            .read_activation(body.as_bytes(), &key())
            .unwrap();
        assert_eq!(a.id.as_str(), "f90ec370-fd83-46a5-8bbd-44a241e78665");
        let l = &a.license;
        assert_eq!(l.account_id.as_deref(), Some("7"));
        assert_eq!(
            (l.product_id.as_str(), l.variant_id.as_deref()),
            ("4", Some("5"))
        );
        assert_eq!(l.activation_limit, Some(3));
        assert_eq!(l.activations_used, Some(1));
        assert_eq!(l.test_mode, Some(true));
        assert_eq!(l.expires_at, Some(1_893_456_000));
        assert!(!format!("{a:?}").contains(KEY));
    }

    #[test]
    fn a_success_status_that_says_no_is_a_refusal() {
        let body =
            r#"{"activated":false,"error":"This license key has reached the activation limit."}"#;
        let e = LemonSqueezy::new(7)
            .read_activation(body.as_bytes(), &key())
            .unwrap_err();
        assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyLimitReached));
    }

    #[test]
    fn validation_of_a_dead_key_is_invalid() {
        let ls = LemonSqueezy::new(7);
        let v = ls.read_validation(
            &request(),
            answer("valid", true, "active").as_bytes(),
            &key(),
        );
        assert!(v.unwrap().valid);
        for dead in ["expired", "disabled"] {
            let v = ls.read_validation(&request(), answer("valid", true, dead).as_bytes(), &key());
            assert!(!v.unwrap().valid, "{dead}");
        }
        assert!(ls.read_validation(&request(), b"{}", &key()).is_err());
    }

    #[test]
    fn refusals() {
        let ls = LemonSqueezy::new(7);
        let e = ls.refusal(
            404,
            br#"{"valid":false,"error":"license_key not found."}"#,
            &key(),
        );
        assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyNotFound));
        assert!(e.is_rejection());
        let e = ls.refusal(
            400,
            format!(r#"{{"error":"odd {KEY}"}}"#).as_bytes(),
            &key(),
        );
        assert!(!e.to_string().contains(KEY), "{e}");
        assert!(matches!(
            ls.refusal(502, b"<html>", &key()).kind(),
            ErrorKind::InvalidResponse { .. }
        ));
    }
}
