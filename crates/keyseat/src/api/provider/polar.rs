//! Polar's customer-portal license keys: `POST /v1/customer-portal/license-keys/{activate,
//! validate,deactivate}`, JSON both ways, sent with no `Authorization` header (these routes
//! are anonymous; an unknown token is refused). Errors are `{"error": "<Class>", "detail":
//! "…"}`; validation answers 404 for a key that is unknown, revoked, expired or mismatched.
//!
//! The key is looked up within the organization sent, so another organization's key is
//! "not found". A key whose benefit has no activations is refused activation with a 403
//! saying so, and licenses by validation alone.

use serde::Deserialize;
use serde_json::json;

use super::{
    NewSeat, Request, Wire, code_from_words, not_an_error_body, refused, unix_time, unreadable,
};
use crate::api::types::{Activation, License, Validation};
use crate::error::{ApiCode, Error};
use crate::key::{InstanceId, LicenseKey};

/// Polar, for one organization.
pub(super) struct Polar {
    organization: String,
}

impl Polar {
    /// Polar for `organization`; its id is a UUID, which compares in lower case (an id
    /// pasted in upper case is the same organization).
    pub(super) fn new(organization: String) -> Polar {
        Polar {
            organization: organization.trim().to_ascii_lowercase(),
        }
    }
}

/// `LicenseKeyRead` and `ValidatedLicenseKey`: the fields read. `key` is never read.
#[derive(Deserialize)]
struct KeyRead {
    /// The activation a validation was asked about (`ValidatedLicenseKey` only).
    #[serde(default)]
    activation: Option<ActivationBase>,
    id: String,
    organization_id: String,
    customer: Customer,
    benefit_id: String,
    status: String,
    #[serde(default)]
    limit_activations: Option<u32>,
    #[serde(default)]
    expires_at: Option<String>,
}

/// `LicenseKeyActivationBase`: the field read.
#[derive(Deserialize)]
struct ActivationBase {
    id: String,
}

/// `LicenseKeyCustomer`: the field read.
#[derive(Deserialize)]
struct Customer {
    #[serde(default)]
    email: Option<String>,
}

/// `LicenseKeyActivationRead`: the fields read.
#[derive(Deserialize)]
struct ActivationRead {
    id: String,
    label: String,
    created_at: String,
    license_key: KeyRead,
}

/// `NotPermitted`, `ResourceNotFound`, `Unauthorized` (`error` and a `detail` sentence), and
/// `HTTPValidationError` (a `detail` list only).
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    detail: serde_json::Value,
}

impl KeyRead {
    fn license(self) -> License {
        License {
            license_key_id: self.id,
            account_id: Some(self.organization_id.to_ascii_lowercase()),
            product_id: self.benefit_id,
            customer_email: self.customer.email,
            status: Some(self.status),
            expires_at: unix_time(self.expires_at.as_deref()),
            activation_limit: self.limit_activations,
            ..License::default()
        }
    }
}

/// Whether `text` has the shape of a UUID (8-4-4-4-12 hexadecimal digits).
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Wire for Polar {
    fn name(&self) -> &'static str {
        "polar"
    }

    fn account(&self) -> Option<&str> {
        Some(&self.organization)
    }

    fn check(&self) -> Result<(), Error> {
        if is_uuid(&self.organization) {
            Ok(())
        } else {
            Err(Error::invalid_input(format!(
                "a Polar organization id is a UUID, got {:?}",
                self.organization
            )))
        }
    }

    fn licenses_without_seats(&self) -> bool {
        true
    }

    fn live_url(&self) -> &str {
        "https://api.polar.sh"
    }

    fn test_url(&self) -> &str {
        "https://sandbox-api.polar.sh"
    }

    fn activate(&self, key: &LicenseKey, seat: &NewSeat<'_>) -> Result<Request, Error> {
        let body = json!({
            "key": key.expose(),
            "organization_id": self.organization,
            "label": seat.name,
        });
        Ok(Request::json(
            "/v1/customer-portal/license-keys/activate",
            &body,
        ))
    }

    fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        _fingerprint: Option<&str>,
    ) -> Request {
        let mut body = json!({ "key": key.expose(), "organization_id": self.organization });
        if let Some(id) = instance {
            body["activation_id"] = json!(id.as_str());
        }
        Request::json("/v1/customer-portal/license-keys/validate", &body)
    }

    fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Request {
        let body = json!({
            "key": key.expose(),
            "organization_id": self.organization,
            "activation_id": instance.as_str(),
        });
        Request::json("/v1/customer-portal/license-keys/deactivate", &body)
    }

    fn read_activation(&self, body: &[u8], _key: &LicenseKey) -> Result<Activation, Error> {
        let a: ActivationRead =
            serde_json::from_slice(body).map_err(|e| unreadable("activation", &e))?;
        Ok(Activation {
            id: InstanceId::new(a.id)
                .map_err(|e| Error::invalid_response(Some(200), format!("activation id: {e}")))?,
            name: a.label,
            created_at: unix_time(Some(&a.created_at)),
            holds_seat: true,
            license: a.license_key.license(),
        })
    }

    fn read_validation(
        &self,
        _request: &Request,
        body: &[u8],
        _key: &LicenseKey,
    ) -> Result<Validation, Error> {
        let mut k: KeyRead =
            serde_json::from_slice(body).map_err(|e| unreadable("validate", &e))?;
        let activation_id = k.activation.take().map(|a| a.id);
        let license = k.license();
        // The server answers 404 for a key that is not granted or has expired; a 200 that
        // says otherwise is read as it says.
        let now = jiff::Timestamp::now().as_second();
        let valid = license.status.as_deref() == Some("granted")
            && license.expires_at.is_none_or(|t| t > now);
        Ok(Validation {
            valid,
            license: Some(license),
            not_activated_here: false,
            activation_id,
        })
    }

    fn refusal(&self, status: u16, body: &[u8], key: &LicenseKey) -> Error {
        let Ok(err) = serde_json::from_slice::<ErrorBody>(body) else {
            return not_an_error_body(status, body, "Polar");
        };
        let message = match (&err.detail, &err.error) {
            (serde_json::Value::String(detail), _) => detail.clone(),
            (_, Some(class)) => class.clone(),
            _ => "the request was not valid".to_owned(),
        };
        let code = code_from_words(status, &message).unwrap_or_else(|| {
            ApiCode::Other(err.error.unwrap_or_else(|| "POLAR_ERROR".to_owned()))
        });
        refused(status, code, &message, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
    const KEY: &str = "POLAR-KEY-0000-1111-2222";

    fn key() -> LicenseKey {
        LicenseKey::new(KEY).unwrap()
    }

    fn license_key(status: &str, expires: &str) -> String {
        format!(
            r#"{{"id":"5a1e3c0e-0000-4000-8000-000000000001","created_at":"2026-01-01T00:00:00Z",
            "modified_at":null,"organization_id":"{ORG}",
            "customer_id":"5a1e3c0e-0000-4000-8000-000000000002",
            "customer":{{"id":"5a1e3c0e-0000-4000-8000-000000000002","email":"ada@example.com"}},
            "benefit_id":"5a1e3c0e-0000-4000-8000-000000000003","key":"{KEY}",
            "display_key":"****-2222","status":"{status}","limit_activations":2,"usage":0,
            "limit_usage":null,"validations":0,"last_validated_at":null,"expires_at":{expires}}}"#
        )
    }

    #[test]
    fn organization_ids_are_uuids() {
        assert!(Polar::new(ORG.into()).check().is_ok());
        assert!(Polar::new(format!(" {ORG} ")).check().is_ok());
        for bad in [
            "",
            "org",
            "1dbfc517-0bbf-4301-9ba8-555ca42b973",
            "1dbfc517x0bbf-4301-9ba8-555ca42b9737",
        ] {
            assert!(Polar::new(bad.into()).check().is_err(), "{bad}");
        }
    }

    #[test]
    fn requests() {
        let p = Polar::new(ORG.into());
        let seat = NewSeat {
            name: "laptop",
            fingerprint: None,
        };
        let r = p.validate(&key(), None, None);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v, json!({"key": KEY, "organization_id": ORG}));
        let id = InstanceId::new("a-1").unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&p.validate(&key(), Some(&id), None).body).unwrap();
        assert_eq!(v["activation_id"], "a-1");
        let v: serde_json::Value =
            serde_json::from_slice(&p.activate(&key(), &seat).unwrap().body).unwrap();
        assert_eq!(v["label"], "laptop");
    }

    #[test]
    fn answers() {
        let p = Polar::new(ORG.into());
        let body = format!(
            r#"{{"id":"5a1e3c0e-0000-4000-8000-00000000000a","license_key_id":"x","label":"laptop",
            "meta":{{}},"created_at":"2026-01-01T00:00:00Z","modified_at":null,
            "license_key":{}}}"#,
            license_key("granted", "null")
        );
        let a = p.read_activation(body.as_bytes(), &key()).unwrap();
        assert_eq!(a.name, "laptop");
        assert_eq!(a.license.account_id.as_deref(), Some(ORG));
        assert_eq!(a.license.product_id, "5a1e3c0e-0000-4000-8000-000000000003");
        assert_eq!(a.license.activation_limit, Some(2));
        assert!(!format!("{a:?}").contains(KEY));
        let ok = p.read_validation(
            &p.validate(&key(), None, None),
            license_key("granted", "null").as_bytes(),
            &key(),
        );
        assert!(ok.unwrap().valid);
        let revoked = p.read_validation(
            &p.validate(&key(), None, None),
            license_key("revoked", "null").as_bytes(),
            &key(),
        );
        assert!(!revoked.unwrap().valid);
        let past = p.read_validation(
            &p.validate(&key(), None, None),
            license_key("granted", r#""2001-01-01T00:00:00Z""#).as_bytes(),
            &key(),
        );
        assert!(!past.unwrap().valid);
    }

    #[test]
    fn refusals() {
        let p = Polar::new(ORG.into());
        let no_seats = br#"{"error":"NotPermitted","detail":"This license key does not support activations. Use the /validate endpoint instead to check license validity."}"#;
        assert_eq!(
            p.refusal(403, no_seats, &key()).api_code(),
            Some(&ApiCode::ActivationsNotSupported)
        );
        let limit =
            br#"{"error":"NotPermitted","detail":"License key activation limit already reached"}"#;
        assert_eq!(
            p.refusal(403, limit, &key()).api_code(),
            Some(&ApiCode::LicenseKeyLimitReached)
        );
        let gone = br#"{"error":"ResourceNotFound","detail":"Not found"}"#;
        assert_eq!(
            p.refusal(404, gone, &key()).api_code(),
            Some(&ApiCode::LicenseKeyNotFound)
        );
        let invalid =
            br#"{"detail":[{"loc":["body","key"],"msg":"Field required","type":"missing"}]}"#;
        assert_eq!(
            p.refusal(422, invalid, &key()).api_code(),
            Some(&ApiCode::InvalidRequestBody)
        );
        let odd = br#"{"error":"Unauthorized","detail":"Bad token"}"#;
        assert_eq!(
            p.refusal(401, odd, &key()).api_code(),
            Some(&ApiCode::Other("Unauthorized".into()))
        );
    }
}
