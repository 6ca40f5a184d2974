//! A license request, read and checked: Dodo's field names, the machine's `fingerprint`, and
//! a `nonce` of at least 128 bits. A body that is not one is an unsigned 422.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyseat::api::relay_key_hash;
use keyseat::{InstanceId, LicenseKey};
use serde::Deserialize;

use crate::answer::{Asked, Echo, unsigned};

/// The body of a license request.
#[derive(Deserialize)]
struct Body {
    license_key: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    license_key_instance_id: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// A license request, checked.
pub struct Asking {
    pub key: LicenseKey,
    pub instance: Option<InstanceId>,
    pub fingerprint: Option<String>,
    pub name: Option<String>,
    pub echo: Echo,
    pub asked: Asked,
}

/// What a request of `endpoint` must carry.
#[derive(Clone, Copy)]
pub struct Needs {
    pub instance: bool,
    pub fingerprint: bool,
    pub name: bool,
}

/// Reads a request of `endpoint`.
///
/// # Errors
/// An unsigned 422 saying what is wrong (never with the key), boxed.
pub fn read(
    endpoint: &'static str,
    needs: Needs,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Asking, Box<Response>> {
    let bad = |why: &str| {
        Box::new(unsigned(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST_BODY",
            why,
            None,
        ))
    };
    let b: Body = serde_json::from_slice(body).map_err(|_| {
        bad("the body is not the license request described in docs/relay-protocol.md")
    })?;
    let key =
        LicenseKey::new(&b.license_key).map_err(|_| bad("license_key is not a license key"))?;
    let nonce = b
        .nonce
        .filter(|n| (32..=128).contains(&n.len()) && n.bytes().all(token_byte))
        .ok_or_else(|| {
            bad("nonce must be 32 to 128 characters of [0-9A-Za-z_-] (128 random bits or more)")
        })?;
    let fingerprint = match b.fingerprint {
        Some(f) if (1..=128).contains(&f.len()) && f.bytes().all(token_byte) => Some(f),
        Some(_) => {
            return Err(bad(
                "fingerprint must be 1 to 128 characters of [0-9A-Za-z_-]",
            ));
        }
        None if needs.fingerprint => return Err(bad("fingerprint is required")),
        None => None,
    };
    let instance = match b.license_key_instance_id {
        Some(id) => {
            Some(InstanceId::new(id).map_err(|_| bad("license_key_instance_id is not an id"))?)
        }
        None if needs.instance => return Err(bad("license_key_instance_id is required")),
        None => None,
    };
    let name = match b.name {
        Some(n) if n.chars().count() <= 256 => Some(n),
        Some(_) => return Err(bad("name is longer than 256 characters")),
        None if needs.name => return Err(bad("name is required")),
        None => None,
    };
    let echo = Echo {
        endpoint,
        key_hash: relay_key_hash(&key),
        instance: instance.as_ref().map(|i| i.as_str().to_owned()),
        fingerprint: fingerprint.clone(),
        nonce,
    };
    Ok(Asking {
        key,
        instance,
        fingerprint,
        name,
        echo,
        asked: Asked::of(headers, target),
    })
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Needs = Needs {
        instance: true,
        fingerprint: true,
        name: false,
    };

    fn body(v: serde_json::Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn a_request_is_read_and_echoed_by_the_keys_hash() {
        let nonce = "0123456789abcdef0123456789abcdef";
        let a = read(
            "validate",
            ALL,
            "/v1/licenses/validate",
            &HeaderMap::new(),
            &body(
                serde_json::json!({"license_key": " KEY-1 ", "license_key_instance_id": "lki_1",
                "fingerprint": "ab12", "nonce": nonce}),
            ),
        )
        .unwrap_or_else(|_| panic!("read"));
        assert_eq!(a.key.expose(), "KEY-1");
        assert_eq!(a.echo.nonce, nonce);
        assert_eq!(a.echo.key_hash, relay_key_hash(&a.key));
        assert!(!a.echo.json().to_string().contains("KEY-1"));
    }

    #[test]
    fn every_missing_or_malformed_field_is_a_422() {
        let good = serde_json::json!({"license_key": "K", "license_key_instance_id": "lki_1",
            "fingerprint": "ab", "nonce": "0".repeat(32)});
        for (field, value) in [
            ("nonce", serde_json::json!("short")),
            ("nonce", serde_json::json!("x".repeat(31))),
            ("nonce", serde_json::json!(format!("{}!", "x".repeat(40)))),
            ("fingerprint", serde_json::json!("has space")),
            ("license_key", serde_json::json!("")),
            ("license_key_instance_id", serde_json::Value::Null),
        ] {
            let mut b = good.clone();
            b[field] = value;
            let r = read("validate", ALL, "/", &HeaderMap::new(), &body(b));
            assert!(matches!(r, Err(ref e) if e.status() == 422), "{field}");
        }
        assert!(read("validate", ALL, "/", &HeaderMap::new(), b"not json").is_err());
    }
}
