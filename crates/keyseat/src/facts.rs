//! What the provider last said of a key beyond its verdict: its expiry, activation limit
//! and seats in use, and the key's entitlements. Kept in the MAC'd cache at every answer
//! that says them, so that a status shows them offline too. A field the provider does not
//! give stays absent: nothing is guessed. (The customer's email, which does not change,
//! stays the credentials'; so a Dodo cache, whose answers say none of these, keeps the
//! shape earlier releases read.)

use serde::{Deserialize, Serialize};

use crate::api::{Entitlement, License};

/// The facts of the provider's last answer that carried any.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct KeyFacts {
    /// When the key stops working, as Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// How many activations the key allows at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_limit: Option<u32>,
    /// How many of them are in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activations_used: Option<u32>,
    /// The key's entitlements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlements: Option<Vec<Entitlement>>,
}

impl KeyFacts {
    /// The facts of a provider's license, or none when it says none of them.
    pub fn of(license: &License) -> Option<KeyFacts> {
        let facts = KeyFacts {
            expires_at: license.expires_at,
            activation_limit: license.activation_limit,
            activations_used: license.activations_used,
            entitlements: license.entitlements.clone(),
        };
        (facts != KeyFacts::default()).then_some(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_license_that_says_nothing_has_no_facts() {
        assert_eq!(KeyFacts::of(&License::default()), None);
        let license = License {
            activation_limit: Some(3),
            activations_used: Some(1),
            entitlements: Some(vec![Entitlement::new("ent_1")]),
            ..License::default()
        };
        let facts = KeyFacts::of(&license).unwrap();
        assert_eq!(
            (
                facts.activation_limit,
                facts.activations_used,
                facts.expires_at
            ),
            (Some(3), Some(1), None)
        );
        let text = serde_json::to_string(&facts).unwrap();
        let object: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            object.get("expires_at").is_none(),
            "absent fields are left out: {text}"
        );
        assert_eq!(serde_json::from_str::<KeyFacts>(&text).unwrap(), facts);
    }
}
