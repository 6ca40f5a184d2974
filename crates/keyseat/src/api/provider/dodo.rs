//! Dodo Payments: `POST /licenses/{activate,validate,deactivate}`, JSON both ways, errors as
//! `{"code", "message"}`. Bodies are named as in Dodo's OpenAPI description
//! (`ActivateLicenseKeyRequest`, `ActivateLicenseKeyResponse`, …); answers may carry fields
//! not described, which are ignored.

use serde::Deserialize;
use serde_json::json;

use super::{NewSeat, Request, Wire, not_an_error_body, refused, unix_time, unreadable};
use crate::api::types::{Activation, License, Validation};
use crate::error::{ApiCode, Error};
use crate::key::{InstanceId, LicenseKey};

/// Dodo Payments.
pub(super) struct Dodo;

/// `ActivateLicenseKeyResponse`: one instance of a key.
#[derive(Deserialize)]
struct Instance {
    id: InstanceId,
    business_id: String,
    created_at: String,
    customer: Customer,
    license_key_id: String,
    name: String,
    product: Product,
}

/// `CustomerLimitedDetailsResponse`.
#[derive(Deserialize)]
struct Customer {
    email: String,
}

/// `ActivateLicenseKeyProductInfo`.
#[derive(Deserialize)]
struct Product {
    product_id: String,
    #[serde(default)]
    name: Option<String>,
}

/// `ValidateLicenseKeyResponse`.
#[derive(Deserialize)]
struct ValidateResponse {
    valid: bool,
}

/// Dodo's error body.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

impl Wire for Dodo {
    fn name(&self) -> &'static str {
        "dodo"
    }

    fn account(&self) -> Option<&str> {
        None
    }

    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    fn live_url(&self) -> &str {
        "https://live.dodopayments.com"
    }

    fn test_url(&self) -> &str {
        "https://test.dodopayments.com"
    }

    fn activate(&self, key: &LicenseKey, seat: &NewSeat<'_>) -> Result<Request, Error> {
        let body = json!({ "license_key": key.expose(), "name": seat.name });
        Ok(Request::json("/licenses/activate", &body))
    }

    fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        _fingerprint: Option<&str>,
    ) -> Request {
        let body = json!({
            "license_key": key.expose(),
            "license_key_instance_id": instance.map(InstanceId::as_str),
        });
        Request::json("/licenses/validate", &body)
    }

    fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Request {
        let body = json!({
            "license_key": key.expose(),
            "license_key_instance_id": instance.as_str(),
        });
        Request::json("/licenses/deactivate", &body)
    }

    fn read_activation(&self, body: &[u8], _key: &LicenseKey) -> Result<Activation, Error> {
        let i: Instance = serde_json::from_slice(body).map_err(|e| unreadable("activation", &e))?;
        Ok(Activation {
            id: i.id,
            name: i.name,
            created_at: unix_time(Some(&i.created_at)),
            holds_seat: true,
            license: License {
                license_key_id: i.license_key_id,
                account_id: Some(i.business_id),
                product_id: i.product.product_id,
                product_name: i.product.name,
                customer_email: Some(i.customer.email),
                ..License::default()
            },
        })
    }

    fn read_validation(
        &self,
        _request: &Request,
        body: &[u8],
        _key: &LicenseKey,
    ) -> Result<Validation, Error> {
        let answer: ValidateResponse =
            serde_json::from_slice(body).map_err(|e| unreadable("validate", &e))?;
        Ok(Validation::bare(answer.valid))
    }

    fn refusal(&self, status: u16, body: &[u8], key: &LicenseKey) -> Error {
        refusal_in_dodos_words(status, body, key, "Dodo")
    }
}

/// A refusal in Dodo's error body (`code`, `message`), from `who`: Dodo, or a relay, which
/// passes Dodo's refusals on in the same words.
pub(super) fn refusal_in_dodos_words(
    status: u16,
    body: &[u8],
    key: &LicenseKey,
    who: &str,
) -> Error {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(err) => refused(
            status,
            ApiCode::parse(&key.scrub(&err.code)),
            err.message.as_deref().unwrap_or(""),
            key,
        ),
        Err(_) => not_an_error_body(status, body, who),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const INSTANCE: &str = r#"{"id":"lki_1","business_id":"bus_1",
        "created_at":"2024-01-01T00:00:00Z",
        "customer":{"customer_id":"cus_1","name":"Ada","email":"ada@example.com"},
        "license_key_id":"lic_1","name":"laptop","product":{"product_id":"pdt_1","name":null},
        "brand_new_field":{"nested":[1,2,3]}}"#;

    fn key() -> LicenseKey {
        LicenseKey::new("secret-key-1234567890").unwrap()
    }

    #[test]
    fn activation_parses_and_ignores_unknown_fields() {
        let a = Dodo.read_activation(INSTANCE.as_bytes(), &key()).unwrap();
        assert_eq!(a.id.as_str(), "lki_1");
        assert_eq!(a.license.product_id, "pdt_1");
        assert_eq!(a.license.product_name, None);
        assert_eq!(a.license.account_id.as_deref(), Some("bus_1"));
        assert_eq!(a.license.customer_email.as_deref(), Some("ada@example.com"));
        assert_eq!(a.created_at, Some(1_704_067_200));
        assert!(a.holds_seat);
    }

    #[test]
    fn activation_missing_field_is_an_error() {
        let broken = INSTANCE.replace(r#""license_key_id":"lic_1","#, "");
        assert!(Dodo.read_activation(broken.as_bytes(), &key()).is_err());
    }

    #[test]
    fn requests_are_compact_and_exact() {
        let r = Dodo.validate(&LicenseKey::new("K").unwrap(), None, None);
        assert_eq!(
            &r.body[..],
            br#"{"license_key":"K","license_key_instance_id":null}"#
        );
        assert_eq!(r.path, "/licenses/validate");
        let seat = NewSeat {
            name: "n",
            fingerprint: None,
        };
        let r = Dodo
            .activate(&LicenseKey::new("K").unwrap(), &seat)
            .unwrap();
        assert_eq!(&r.body[..], br#"{"license_key":"K","name":"n"}"#);
        assert_eq!(r.content_type, "application/json");
    }

    #[test]
    fn error_bodies() {
        let e = Dodo.refusal(
            422,
            br#"{"code":"LICENSE_KEY_LIMIT_REACHED","message":"limit for secret-key-1234567890"}"#,
            &key(),
        );
        assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyLimitReached));
        assert!(!e.to_string().contains("secret-key-1234567890"));
        let e = Dodo.refusal(502, b"<html>Bad gateway</html>", &key());
        assert!(matches!(
            e.kind(),
            ErrorKind::InvalidResponse {
                status: Some(502),
                ..
            }
        ));
        let e = Dodo.refusal(500, b"", &key());
        assert!(e.to_string().contains("empty error body"), "{e}");
        let e = Dodo.refusal(502, b"<html></html>", &key());
        assert!(e.to_string().contains("not Dodo's error JSON"), "{e}");
    }
}
