//! Whether what the server said, or what an earlier release left, is about what was asked:
//! the checks that keep a stored activation from turning into a license it is not.
//!
//! - A validation answer names the key's store, product and variant, the key's id and the
//!   activation (each provider what it knows): each must be the app's and the stored
//!   activation's ([`mismatch`]).
//! - A key that holds no seat licenses only while the provider says it has no activation
//!   limit, re-read at every validation ([`still_seatless`]).
//! - Credentials of an earlier release carry no MAC: they are believed only when a genuine
//!   cache of this machine says the same ([`legacy_agrees`]).

use crate::api::Validation;
use crate::cache::Loaded;
use crate::credentials::Credentials;

use super::binding::{Binding, Origin};

/// Why `answer` is not about the stored activation `creds` of an app bound by `binding`;
/// `None` when it is.
pub(super) fn mismatch(
    binding: &Binding,
    creds: &Credentials,
    answer: &Validation,
) -> Option<String> {
    // An answer that names no product (the relay, while Dodo has not told it) says nothing
    // of the product to compare.
    if let Some(license) = answer.license.as_ref().filter(|l| !l.product_id.is_empty()) {
        let origin = Origin {
            provider: binding.provider.name(),
            account: license.account_id.as_deref(),
            product: &license.product_id,
            variant: license.variant_id.as_deref(),
        };
        if let Some(what) = binding.mismatch(&origin) {
            return Some(format!("the server answered about a key of {what}"));
        }
        let differs = |ours: Option<&str>, theirs: Option<&str>| matches!((ours, theirs), (Some(a), Some(b)) if a != b);
        let stored = [
            (
                "product",
                Some(creds.product_id.as_str()),
                Some(license.product_id.as_str()),
            ),
            (
                "license key",
                Some(creds.license_key_id.as_str()),
                Some(license.license_key_id.as_str()).filter(|id| !id.is_empty()),
            ),
            (
                "account",
                creds.account_id.as_deref(),
                license.account_id.as_deref(),
            ),
            (
                "variant",
                creds.variant_id.as_deref(),
                license.variant_id.as_deref(),
            ),
        ];
        if let Some((what, ours, theirs)) = stored.into_iter().find(|(_, a, b)| differs(*a, *b)) {
            return Some(format!(
                "the server answered about {what} {}, the activation is of {}",
                theirs.unwrap_or_default(),
                ours.unwrap_or_default()
            ));
        }
    }
    match (&answer.activation_id, creds.seat()) {
        (Some(theirs), Some(ours)) if theirs != ours.as_str() => Some(format!(
            "the server answered about activation {theirs}, this machine holds {ours}"
        )),
        (Some(theirs), None) => Some(format!(
            "the server answered about activation {theirs}, this machine holds none"
        )),
        _ => None,
    }
}

/// Whether a key stored as holding no seat still licenses by validation alone: the
/// provider's answer says the key has no activation limit.
pub(super) fn still_seatless(answer: &Validation) -> bool {
    answer
        .license
        .as_ref()
        .is_some_and(|license| license.activation_limit.is_none())
}

/// Whether credentials of an earlier release (no MAC) say what the genuine cache `loaded`
/// of this machine says: the key (the cache's MAC is keyed by it), the activation, the
/// provider and account, the machine, and what a version 1 cache kept of the key's id and
/// product.
pub(super) fn legacy_agrees(creds: &Credentials, loaded: &Loaded) -> bool {
    let record = &loaded.record;
    let facts_agree = loaded.legacy.as_ref().is_none_or(|facts| {
        facts.license_key_id == creds.license_key_id && facts.product_id == creds.product_id
    });
    record.instance_id == creds.instance_id.as_str()
        && (record.provider.as_deref(), record.account.as_deref()) == super::cache_origin(creds)
        && record.fingerprint.machine_id == creds.fingerprint.machine_id
        && facts_agree
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{License, Provider};
    use crate::cache::LegacyFacts;
    use crate::credentials::tests::creds;
    use crate::licensor::binding::Products;

    fn binding() -> Binding {
        Binding {
            provider: Provider::lemon_squeezy(7),
            products: Products::Only(vec!["pdt_1".into()]),
            variants: Vec::new(),
        }
    }

    fn license() -> License {
        License {
            license_key_id: "lic_1".into(),
            account_id: Some("7".into()),
            product_id: "pdt_1".into(),
            variant_id: Some("5".into()),
            ..License::default()
        }
    }

    /// An edit of a license, and what the mismatch then names.
    type Edit = (&'static str, fn(&mut License));

    fn answer(license: Option<License>, activation: Option<&str>) -> Validation {
        let mut v = Validation::bare(true);
        v.license = license;
        v.activation_id = activation.map(str::to_owned);
        v
    }

    #[test]
    fn an_answer_about_the_stored_activation_matches() {
        let c = creds();
        assert_eq!(
            mismatch(&binding(), &c, &answer(Some(license()), Some("lki_1"))),
            None
        );
        assert_eq!(
            mismatch(&binding(), &c, &answer(None, None)),
            None,
            "Dodo says nothing"
        );
    }

    #[test]
    fn every_fact_of_another_key_is_a_mismatch() {
        let c = creds();
        let edits: [Edit; 5] = [
            ("account 8", |l| l.account_id = Some("8".into())),
            ("pdt_2", |l| l.product_id = "pdt_2".into()),
            ("license key lic_2", |l| l.license_key_id = "lic_2".into()),
            ("variant 6", |l| l.variant_id = Some("6".into())),
            ("an unknown account", |l| l.account_id = None),
        ];
        for (said, edit) in edits {
            let mut l = license();
            edit(&mut l);
            let why = mismatch(&binding(), &c, &answer(Some(l), None)).unwrap_or_default();
            assert!(why.contains(said), "{said}: {why}");
        }
        // A product the app accepts, but not the one stored.
        let mut both = binding();
        both.products = Products::Only(vec!["pdt_1".into(), "pdt_2".into()]);
        let mut l = license();
        l.product_id = "pdt_2".into();
        let why = mismatch(&both, &c, &answer(Some(l), None)).unwrap();
        assert!(why.contains("product pdt_2"), "{why}");
    }

    #[test]
    fn another_activation_is_a_mismatch() {
        let c = creds();
        let why = mismatch(&binding(), &c, &answer(None, Some("lki_2"))).unwrap();
        assert!(why.contains("lki_2") && why.contains("lki_1"), "{why}");
        let mut seatless = creds();
        seatless.holds_seat = false;
        assert!(mismatch(&binding(), &seatless, &answer(None, Some("lki_1"))).is_some());
    }

    #[test]
    fn a_seatless_key_licenses_only_while_the_answer_says_it_has_no_limit() {
        let mut l = license();
        l.activation_limit = None;
        assert!(still_seatless(&answer(Some(l.clone()), None)));
        l.activation_limit = Some(1);
        assert!(!still_seatless(&answer(Some(l), None)));
        assert!(!still_seatless(&answer(None, None)), "no word is no limit");
    }

    #[test]
    fn legacy_credentials_must_agree_with_a_genuine_cache() {
        let c = creds();
        let mut record = crate::cache::tests::record();
        record.instance_id = "lki_1".into();
        record.fingerprint = c.fingerprint.clone();
        record.provider = Some("lemonsqueezy".into());
        record.account = Some("7".into());
        let loaded = Loaded {
            record: record.clone(),
            legacy: None,
        };
        assert!(legacy_agrees(&c, &loaded));
        let mut other = loaded.clone();
        other.record.instance_id = "lki_2".into();
        assert!(!legacy_agrees(&c, &other));
        let mut other = loaded.clone();
        other.record.account = Some("8".into());
        assert!(!legacy_agrees(&c, &other));
        let mut other = loaded.clone();
        other.record.fingerprint = crate::credentials::tests::machine("b").components().clone();
        assert!(!legacy_agrees(&c, &other));
        let v1 = |license_key_id: &str, product_id: &str| Loaded {
            record: record.clone(),
            legacy: Some(LegacyFacts {
                license_key_id: license_key_id.into(),
                product_id: product_id.into(),
            }),
        };
        assert!(legacy_agrees(&c, &v1("lic_1", "pdt_1")));
        assert!(!legacy_agrees(&c, &v1("lic_9", "pdt_1")));
        assert!(!legacy_agrees(&c, &v1("lic_1", "pdt_9")));
    }
}
