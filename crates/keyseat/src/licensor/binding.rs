//! Which keys license the app: the provider that sold them, the seller's account there, the
//! products (and, for Lemon Squeezy, the variants). The provider's servers check little of
//! this themselves (Dodo's and Lemon Squeezy's activate any key of any seller), so the
//! Licensor checks it on every activation and every stored activation.

use crate::api::Provider;
use crate::credentials::Credentials;
use crate::error::Error;

/// Which products' keys the app accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Products {
    /// Keys of these product ids only (Dodo and Lemon Squeezy product ids, Polar benefit
    /// ids).
    Only(Vec<String>),
    /// Keys of any product of the account (of any merchant, for Dodo).
    Any,
}

impl Products {
    /// The product binding from the builder's two settings.
    pub(crate) fn new(ids: Vec<String>, any: bool) -> Result<Products, Error> {
        if ids.iter().any(|id| id.trim().is_empty()) {
            return Err(Error::invalid_input("a product id is empty"));
        }
        match (ids.is_empty(), any) {
            (false, false) => Ok(Products::Only(ids)),
            (true, true) => Ok(Products::Any),
            (true, false) => Err(Error::invalid_input(
                "no product binding: call LicensorBuilder::product_ids([\"pdt_…\"]) with the \
                 product ids (Polar: benefit ids) whose keys this app accepts, or \
                 LicensorBuilder::any_product() to accept keys of any product",
            )),
            (false, true) => Err(Error::invalid_input(
                "both product_ids(…) and any_product() were given: choose one",
            )),
        }
    }

    /// Whether a key of `product_id` licenses the app.
    pub(crate) fn allows(&self, product_id: &str) -> bool {
        match self {
            Products::Only(ids) => ids.iter().any(|id| id == product_id),
            Products::Any => true,
        }
    }
}

/// Where a key was sold, as an activation's answer (or its stored credentials) says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub provider: &'a str,
    pub account: Option<&'a str>,
    pub product: &'a str,
    pub variant: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// The origin stored credentials record.
    pub(crate) fn of(creds: &'a Credentials) -> Origin<'a> {
        Origin {
            provider: creds.provider_name(),
            account: creds.account_id.as_deref(),
            product: &creds.product_id,
            variant: creds.variant_id.as_deref(),
        }
    }
}

/// The keys an app accepts.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub provider: Provider,
    pub products: Products,
    /// Lemon Squeezy variant ids; empty accepts every variant of an accepted product.
    pub variants: Vec<String>,
}

impl Binding {
    /// `None` when a key of `origin` licenses the app; otherwise what the key is, for the
    /// [`crate::ErrorKind::WrongProduct`] error and the log.
    pub(crate) fn mismatch(&self, origin: &Origin<'_>) -> Option<String> {
        let product = origin.product;
        if origin.provider != self.provider.name() {
            return Some(format!("{product} sold through {}", origin.provider));
        }
        if let Some(account) = self.provider.account()
            && origin.account != Some(account)
        {
            let theirs = origin.account.unwrap_or("an unknown account");
            return Some(format!("{product} of account {theirs}"));
        }
        if !self.products.allows(product) {
            return Some(product.to_owned());
        }
        if !self.variants.is_empty()
            && !origin
                .variant
                .is_some_and(|v| self.variants.iter().any(|ok| ok == v))
        {
            let variant = origin.variant.unwrap_or("none");
            return Some(format!("{product} variant {variant}"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin<'a>(
        provider: &'a str,
        account: Option<&'a str>,
        product: &'a str,
        variant: Option<&'a str>,
    ) -> Origin<'a> {
        Origin {
            provider,
            account,
            product,
            variant,
        }
    }

    #[test]
    fn product_binding_is_required_and_unambiguous() {
        let none = Products::new(Vec::new(), false).unwrap_err().to_string();
        assert!(
            none.contains("product_ids(") && none.contains("any_product()"),
            "{none}"
        );
        assert!(Products::new(vec!["pdt_a".into()], true).is_err());
        assert!(Products::new(vec![" ".into()], false).is_err());
        assert_eq!(Products::new(Vec::new(), true).unwrap(), Products::Any);
        let only = Products::new(vec!["pdt_a".into(), "pdt_b".into()], false).unwrap();
        assert!(only.allows("pdt_a") && only.allows("pdt_b"));
        assert!(!only.allows("pdt_c") && !only.allows("") && !only.allows("PDT_A"));
        assert!(Products::Any.allows("pdt_anything"));
    }

    #[test]
    fn provider_account_product_and_variant_must_all_match() {
        let ls = Binding {
            provider: Provider::lemon_squeezy(7),
            products: Products::Only(vec!["4".into()]),
            variants: vec!["5".into()],
        };
        assert_eq!(
            ls.mismatch(&origin("lemonsqueezy", Some("7"), "4", Some("5"))),
            None
        );
        for (o, why) in [
            (origin("dodo", None, "4", Some("5")), "4 sold through dodo"),
            (
                origin("lemonsqueezy", Some("8"), "4", Some("5")),
                "4 of account 8",
            ),
            (
                origin("lemonsqueezy", None, "4", Some("5")),
                "4 of account an unknown account",
            ),
            (origin("lemonsqueezy", Some("7"), "9", Some("5")), "9"),
            (
                origin("lemonsqueezy", Some("7"), "4", Some("6")),
                "4 variant 6",
            ),
            (
                origin("lemonsqueezy", Some("7"), "4", None),
                "4 variant none",
            ),
        ] {
            assert_eq!(ls.mismatch(&o).as_deref(), Some(why));
        }
        // Dodo has no account: any business's key of an accepted product is accepted.
        let dodo = Binding {
            provider: Provider::dodo(),
            products: Products::Only(vec!["pdt_1".into()]),
            variants: Vec::new(),
        };
        assert_eq!(
            dodo.mismatch(&origin("dodo", Some("bus_9"), "pdt_1", None)),
            None
        );
        assert_eq!(dodo.mismatch(&origin("dodo", None, "pdt_1", None)), None);
    }
}
