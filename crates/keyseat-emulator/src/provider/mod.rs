//! The providers the emulator answers for, all at once, each on its own paths. Each one is a
//! module implementing [`Provider`]: its routes, its reading of requests, its answers and
//! its error bodies. The keys, instances, counters and faults are shared. Adding a provider
//! is one module here and one line in [`PROVIDERS`].

mod dodo;
mod keygen;
mod lemon_squeezy;
mod polar;

use crate::http::{Request, Response};
use crate::state::{Endpoint, KeySpec, State};

/// One provider's license server.
pub(crate) trait Provider: Sync {
    /// Its name in `keys.json` (`dodo`, `lemonsqueezy`, `polar`, `keygen`).
    fn name(&self) -> &'static str;
    /// The endpoint a method and path of this provider name.
    fn route(&self, method: &str, path: &str) -> Option<Endpoint>;
    /// Serves one request of `endpoint`.
    fn handle(&self, state: &mut State, endpoint: Endpoint, request: &Request) -> Response;
    /// An error answer in this provider's shape, for an injected fault, to `request`.
    fn fault_answer(&self, state: &State, request: &Request, status: u16) -> Response;
    /// The id of the `number`th key (from 1) when it is this provider's.
    fn license_key_id(&self, number: usize) -> String;
    /// Checks a key's fields.
    fn check(&self, spec: &KeySpec) -> Result<(), String>;
    /// Whether clients send credentials to it (Keygen's license-key authorization), so that
    /// an `Authorization` header is expected and not counted as a leak.
    fn authenticates(&self) -> bool {
        false
    }
}

/// Every provider served.
static PROVIDERS: [&dyn Provider; 4] = [
    &dodo::Dodo,
    &lemon_squeezy::LemonSqueezy,
    &polar::Polar,
    &keygen::Keygen,
];

/// The provider and endpoint a method and path name.
pub(crate) fn route(method: &str, path: &str) -> Option<(&'static dyn Provider, Endpoint)> {
    PROVIDERS
        .iter()
        .find_map(|p| p.route(method, path).map(|endpoint| (*p, endpoint)))
}

/// Adds a key to `state`, or replaces the one with the same text. A key of an unknown
/// provider counts as Dodo's (see [`check`]).
pub(crate) fn add_key(state: &mut State, spec: KeySpec) {
    state.upsert_key(spec, |spec, number| {
        named(&spec.provider).license_key_id(number)
    });
}

/// The endpoint a path names, for any provider and method.
pub(crate) fn endpoint_of(path: &str) -> Option<Endpoint> {
    ["POST", "GET", "DELETE"]
        .iter()
        .find_map(|method| route(method, path))
        .map(|(_, endpoint)| endpoint)
}

/// The provider called `name`; Dodo for a name no provider has (a key that fails
/// [`check`]).
pub(crate) fn named(name: &str) -> &'static dyn Provider {
    find(name).unwrap_or(&dodo::Dodo)
}

/// The provider called `name`, if one is.
fn find(name: &str) -> Option<&'static dyn Provider> {
    PROVIDERS.iter().find(|p| p.name() == name).copied()
}

/// Checks a key: a known provider, and what that provider needs.
pub(crate) fn check(spec: &KeySpec) -> Result<(), String> {
    let provider = find(&spec.provider).ok_or_else(|| {
        let names: Vec<&str> = PROVIDERS.iter().map(|p| p.name()).collect();
        format!(
            "key {:?}: unknown provider {:?} (one of {})",
            spec.key,
            spec.provider,
            names.join(", ")
        )
    })?;
    provider
        .check(spec)
        .map_err(|why| format!("key {:?}: {why}", spec.key))
}

/// The fields of a request body: a JSON object, or (when `form` allows it and the request
/// is not JSON) `application/x-www-form-urlencoded` pairs, as strings.
pub(crate) fn fields(
    request: &Request,
    form: bool,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let is_json = request
        .header("content-type")
        .is_some_and(is_json_media_type);
    if form && !is_json {
        return Ok(form_urlencoded::parse(&request.body)
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice(&request.body) {
        Ok(serde_json::Value::Object(fields)) => Ok(fields),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("malformed JSON: {e}")),
    }
}

/// Whether a `Content-Type` names JSON: `application/json`, or any `+json` structured
/// syntax (`application/vnd.api+json`, which Lemon Squeezy's JavaScript SDK sends), with
/// any parameters, in any case.
fn is_json_media_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// A string field, when present and a string.
pub(crate) fn text<'a>(
    fields: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'a str> {
    fields.get(name).and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_has_one_provider() {
        let paths = [
            ("/licenses/activate", "dodo"),
            ("/v1/licenses/validate", "lemonsqueezy"),
            ("/v1/customer-portal/license-keys/deactivate", "polar"),
        ];
        for (path, name) in paths {
            assert_eq!(
                route("POST", path).map(|(p, _)| p.name()),
                Some(name),
                "{path}"
            );
        }
        assert!(route("POST", "/licenses/other").is_none());
        assert!(route("GET", "/licenses/activate").is_none());
        let machine = "/v1/accounts/acme/machines/m-1";
        assert_eq!(
            route("DELETE", machine).map(|(p, e)| (p.name(), e)),
            Some(("keygen", Endpoint::Deactivate))
        );
        assert_eq!(named("nobody").name(), "dodo");
    }

    #[test]
    fn json_is_json_whatever_its_structured_syntax_suffix() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "application/vnd.api+json",
            "Application/Vnd.Api+JSON",
            "application/problem+json ; x=y",
        ] {
            assert!(is_json_media_type(json), "{json}");
        }
        for other in [
            "application/x-www-form-urlencoded",
            "text/json+plain",
            "application/jsonx",
            "",
        ] {
            assert!(!is_json_media_type(other), "{other}");
        }
    }

    #[test]
    fn unknown_providers_and_missing_accounts_are_reported() {
        let mut spec = KeySpec::new("K");
        assert!(check(&spec).is_ok());
        spec.provider = "paddle".into();
        assert!(check(&spec).unwrap_err().contains("unknown provider"));
        spec.provider = "polar".into();
        assert!(check(&spec).is_err());
        spec.provider = "lemonsqueezy".into();
        assert!(check(&spec).is_err());
    }
}
