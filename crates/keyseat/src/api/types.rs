//! Request and response bodies of the three license endpoints, named as in Dodo's OpenAPI
//! description (`ActivateLicenseKeyRequest`, `ActivateLicenseKeyResponse`, …).
//!
//! Responses accept and ignore fields they do not know, as the API may add some over time.

use serde::{Deserialize, Serialize};

use crate::key::InstanceId;

/// Body of `POST /licenses/activate`.
#[derive(Serialize)]
pub(crate) struct ActivateLicenseKeyRequest<'a> {
    pub license_key: &'a str,
    pub name: &'a str,
}

/// Body of `POST /licenses/validate`.
#[derive(Serialize)]
pub(crate) struct ValidateLicenseKeyRequest<'a> {
    pub license_key: &'a str,
    pub license_key_instance_id: Option<&'a str>,
}

/// Body of `POST /licenses/deactivate`.
#[derive(Serialize)]
pub(crate) struct DeactivateLicenseKeyRequest<'a> {
    pub license_key: &'a str,
    pub license_key_instance_id: &'a str,
}

/// Answer of `POST /licenses/validate`.
#[derive(Deserialize)]
pub(crate) struct ValidateLicenseKeyResponse {
    pub valid: bool,
}

/// Dodo's error body.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub code: String,
    #[serde(default)]
    pub message: Option<String>,
}

/// One activation of a license key: the answer of `POST /licenses/activate`
/// (`ActivateLicenseKeyResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// License key instance ID (`lki_…`).
    pub id: InstanceId,
    /// The merchant's business ID.
    pub business_id: String,
    /// When the instance was created, RFC 3339.
    pub created_at: String,
    /// The customer the key belongs to.
    pub customer: Customer,
    /// The license key's ID (`lic_…`); not the key itself.
    pub license_key_id: String,
    /// The instance name sent on activation.
    pub name: String,
    /// The product the key is tied to.
    pub product: Product,
}

impl Instance {
    /// `created_at` as Unix seconds, when it parses as RFC 3339.
    pub fn created_at_unix(&self) -> Option<i64> {
        self.created_at
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second())
    }
}

/// Limited customer details (`CustomerLimitedDetailsResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Customer ID.
    pub customer_id: String,
    /// Full name.
    pub name: String,
    /// Email address.
    pub email: String,
}

/// Product details (`ActivateLicenseKeyProductInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Product ID.
    pub product_id: String,
    /// Product name, when the merchant set one.
    #[serde(default)]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCE: &str = r#"{"id":"lki_1","business_id":"bus_1",
        "created_at":"2024-01-01T00:00:00Z",
        "customer":{"customer_id":"cus_1","name":"Ada","email":"ada@example.com"},
        "license_key_id":"lic_1","name":"laptop","product":{"product_id":"pdt_1","name":null},
        "brand_new_field":{"nested":[1,2,3]}}"#;

    #[test]
    fn instance_parses_and_ignores_unknown_fields() {
        let i: Instance = serde_json::from_str(INSTANCE).unwrap();
        assert_eq!(i.id.as_str(), "lki_1");
        assert_eq!(i.product.name, None);
        assert_eq!(i.created_at_unix(), Some(1_704_067_200));
    }

    #[test]
    fn instance_missing_field_is_an_error() {
        let broken = INSTANCE.replace(r#""license_key_id":"lic_1","#, "");
        assert!(serde_json::from_str::<Instance>(&broken).is_err());
    }

    #[test]
    fn requests_are_compact_and_exact() {
        let body = serde_json::to_string(&ValidateLicenseKeyRequest {
            license_key: "K",
            license_key_instance_id: None,
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"license_key":"K","license_key_instance_id":null}"#
        );
        let body = serde_json::to_string(&ActivateLicenseKeyRequest {
            license_key: "K",
            name: "n",
        })
        .unwrap();
        assert_eq!(body, r#"{"license_key":"K","name":"n"}"#);
    }
}
