//! Keygen's wire, signatures first: a vector signed by another Ed25519 implementation
//! (Python's `cryptography`, `make_vector.py`), and every way an answer can fail them.

use ureq::http::{HeaderMap, HeaderValue};

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

/// `vector.json`, made by `make_vector.py`.
fn vector() -> Value {
    serde_json::from_str(include_str!("vector.json")).expect("the vector is JSON")
}

fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().expect("a string field")
}

/// The vector's date, as Unix seconds.
fn vector_now(v: &Value) -> i64 {
    jiff::fmt::rfc2822::parse(text(v, "date"))
        .unwrap()
        .timestamp()
        .as_second()
}

fn headers(v: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, field) in [
        ("date", "date"),
        ("digest", "digest"),
        ("keygen-signature", "keygen_signature"),
    ] {
        h.insert(name, HeaderValue::from_str(text(v, field)).unwrap());
    }
    h
}

fn keygen(public_key: &str) -> Keygen {
    Keygen::new("demo".into(), public_key.into())
}

/// Checks `body` with `headers` as the vector's request, at the vector's date plus `later`.
fn check(
    v: &Value,
    public_key: &str,
    headers: &HeaderMap,
    body: &[u8],
    later: i64,
) -> Result<(), Error> {
    let received = Received {
        method: text(v, "method"),
        host: text(v, "host"),
        target: text(v, "target"),
        headers,
        body,
        echo: None,
    };
    keygen(public_key)
        .signer()?
        .verify(&received, vector_now(v) + later)
}

fn is_bad_signature(r: Result<(), Error>) -> bool {
    matches!(
        r.map_err(|e| e.kind().clone()),
        Err(ErrorKind::BadSignature(_))
    )
}

#[test]
fn a_signature_made_by_another_implementation_verifies() {
    let v = vector();
    let body = text(&v, "body").as_bytes();
    check(&v, text(&v, "public_key"), &headers(&v), body, 0).expect("the vector verifies");
    // Within five minutes either way, too.
    check(&v, text(&v, "public_key"), &headers(&v), body, 299).unwrap();
    check(&v, text(&v, "public_key"), &headers(&v), body, -299).unwrap();
}

#[test]
fn every_damage_is_a_bad_signature() {
    let v = vector();
    let key = text(&v, "public_key");
    let body = text(&v, "body").as_bytes();
    // Another body than the one signed.
    let changed = text(&v, "body").replace("true", "false");
    assert!(is_bad_signature(check(
        &v,
        key,
        &headers(&v),
        changed.as_bytes(),
        0
    )));
    // Another body with its own digest: the signature no longer matches.
    let mut h = headers(&v);
    let digest = format!(
        "sha-256={}",
        BASE64.encode(Sha256::digest(changed.as_bytes()))
    );
    h.insert("digest", HeaderValue::from_str(&digest).unwrap());
    assert!(is_bad_signature(check(&v, key, &h, changed.as_bytes(), 0)));
    // Stale, or from the future.
    assert!(is_bad_signature(check(&v, key, &headers(&v), body, 301)));
    assert!(is_bad_signature(check(&v, key, &headers(&v), body, -301)));
    // Another account's key.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    assert!(is_bad_signature(check(&v, other, &headers(&v), body, 0)));
    // A flipped bit of the signature.
    let mut h = headers(&v);
    let sig = text(&v, "keygen_signature").replacen("signature=\"E", "signature=\"F", 1);
    h.insert("keygen-signature", HeaderValue::from_str(&sig).unwrap());
    assert!(is_bad_signature(check(&v, key, &h, body, 0)));
    // Missing headers, another algorithm.
    for missing in ["keygen-signature", "digest", "date"] {
        let mut h = headers(&v);
        h.remove(missing);
        assert!(is_bad_signature(check(&v, key, &h, body, 0)), "{missing}");
    }
    let mut h = headers(&v);
    let rsa = text(&v, "keygen_signature").replace("ed25519", "rsa-sha256");
    h.insert("keygen-signature", HeaderValue::from_str(&rsa).unwrap());
    assert!(is_bad_signature(check(&v, key, &h, body, 0)));
    // Another request target or host than the one signed.
    let received = Received {
        method: "post",
        host: "evil.example",
        target: text(&v, "target"),
        headers: &headers(&v),
        body,
        echo: None,
    };
    assert!(is_bad_signature(
        keygen(key)
            .signer()
            .unwrap()
            .verify(&received, vector_now(&v))
    ));
}

#[test]
fn settings_are_checked() {
    let key = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
    assert!(keygen(key).check().is_ok());
    assert!(keygen(&key.to_uppercase()).check().is_ok());
    assert!(keygen(&key[1..]).check().is_err());
    assert!(keygen(&key.replace('0', "g")).check().is_err());
    assert!(Keygen::new("a/b".into(), key.into()).check().is_err());
    assert!(Keygen::new(String::new(), key.into()).check().is_err());
}

fn license_key() -> LicenseKey {
    LicenseKey::new("KEYGEN-SECRET-0000-1111").unwrap()
}

#[test]
fn validation_requests_carry_a_nonce_and_the_scope() {
    let k = keygen("00").scoped_to(&["prod-1".to_owned()]).unwrap();
    let r = k.validate(&license_key(), None, Some("fp"));
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body["meta"]["scope"],
        json!({"fingerprint": "fp", "product": "prod-1"})
    );
    assert_eq!(body["meta"]["nonce"].as_u64(), r.nonce);
    assert!(r.nonce.is_some());
    assert_eq!(r.path, "/v1/accounts/demo/licenses/actions/validate-key");
    assert!(!r.headers.iter().any(|(n, _)| *n == "authorization"));
    // Several product ids cannot be one scope: the client checks them instead.
    let k = keygen("00")
        .scoped_to(&["a".to_owned(), "b".to_owned()])
        .unwrap();
    let body: Value = serde_json::from_slice(&k.validate(&license_key(), None, None).body).unwrap();
    assert!(body["meta"].get("scope").is_none());
    let d = keygen("00").deactivate(&license_key(), &InstanceId::new("m-1").unwrap());
    assert_eq!(
        (d.method, d.path.as_str()),
        ("DELETE", "/v1/accounts/demo/machines/m-1")
    );
    assert!(
        d.headers
            .iter()
            .any(|(n, v)| *n == "authorization" && v.starts_with("License "))
    );
}

fn answer(request: &Request, code: &str, valid: bool) -> Vec<u8> {
    json!({
        "meta": { "valid": valid, "code": code, "detail": "d", "nonce": request.nonce },
        "data": { "id": "lic-1", "type": "licenses",
            "attributes": { "status": "ACTIVE", "expiry": null, "maxMachines": 2 },
            "relationships": { "product": { "data": { "type": "products", "id": "prod-1" } } } }
    })
    .to_string()
    .into_bytes()
}

#[test]
fn validation_codes_map_to_verdicts() {
    let k = keygen("00");
    let r = k.validate(&license_key(), None, Some("fp"));
    let read = |code, valid| k.read_validation(&r, &answer(&r, code, valid), &license_key());
    let v = read("VALID", true).unwrap();
    assert!(v.valid && !v.not_activated_here);
    assert_eq!(v.license.unwrap().product_id, "prod-1");
    for code in NOT_ACTIVATED_HERE {
        let v = read(code, false).unwrap();
        assert!(!v.valid && v.not_activated_here, "{code}");
    }
    for code in INACTIVE {
        let v = read(code, false).unwrap();
        assert!(!v.valid && !v.not_activated_here, "{code}");
    }
    let e = read("NOT_FOUND", false).unwrap_err();
    assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyNotFound));
    assert!(e.is_rejection());
    // Another nonce: a replayed answer.
    let other = keygen("00").validate(&license_key(), None, None);
    let e = k
        .read_validation(&r, &answer(&other, "VALID", true), &license_key())
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::BadSignature(_)), "{e:?}");
}

#[test]
fn refusals() {
    let k = keygen("00");
    let body = |code: &str| {
        json!({"errors": [{"title": "Unprocessable resource", "detail": "no", "code": code}]})
            .to_string()
            .into_bytes()
    };
    let e = k.refusal(422, &body("MACHINE_LIMIT_EXCEEDED"), &license_key());
    assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyLimitReached));
    let e = k.refusal(422, &body("FINGERPRINT_TAKEN"), &license_key());
    assert_eq!(
        e.api_code(),
        Some(&ApiCode::Other("FINGERPRINT_TAKEN".into()))
    );
    let e = k.refusal(404, &body("NOT_FOUND"), &license_key());
    assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyNotFound));
    assert!(matches!(
        k.refusal(502, b"<html>", &license_key()).kind(),
        ErrorKind::InvalidResponse { .. }
    ));
}

#[test]
fn small_order_and_non_canonical_public_keys_are_refused() {
    let refused = [
        // The identity: with it, one signature verifies every message.
        "0100000000000000000000000000000000000000000000000000000000000000",
        // All zeros: a point of order 4.
        "0000000000000000000000000000000000000000000000000000000000000000",
        // y = -1: the point of order 2.
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        // A point of order 8.
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        // The identity with the sign bit of x set: a non-canonical encoding.
        "0100000000000000000000000000000000000000000000000000000000000080",
        // y = p + 1, the identity's y beyond the field: non-canonical.
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for key in refused {
        let e = keygen(key).check().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{key}: {e}");
        let e = crate::api::Provider::keygen("demo", key)
            .check()
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{key}");
    }
    // Genuine keys: RFC 8032's first test key, and the vector's.
    for key in [
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        text(&vector(), "public_key"),
    ] {
        keygen(key).check().unwrap();
    }
}

#[test]
fn every_fact_of_the_license_is_read() {
    let k = keygen("00");
    let r = k.validate(&license_key(), None, Some("fp"));
    let body = json!({
        "meta": { "valid": true, "code": "VALID", "nonce": r.nonce },
        "data": { "id": "lic-42", "type": "licenses",
            "attributes": { "name": "Pro", "status": "ACTIVE",
                "expiry": "2030-01-01T00:00:00Z", "maxMachines": 3 },
            "relationships": { "product": { "data": { "type": "products", "id": "prod-9" } } } }
    });
    let v = k
        .read_validation(&r, body.to_string().as_bytes(), &license_key())
        .unwrap();
    let l = v.license.unwrap();
    assert_eq!(l.license_key_id, "lic-42");
    assert_eq!(l.account_id.as_deref(), Some("demo"));
    assert_eq!(l.product_id, "prod-9");
    assert_eq!(l.product_name.as_deref(), Some("Pro"));
    assert_eq!(l.status.as_deref(), Some("ACTIVE"));
    assert_eq!(l.expires_at, Some(1_893_456_000));
    assert_eq!(l.activation_limit, Some(3));
}

/// A machine resource as the server answers creating or finding one.
fn machine_body(fingerprint: &str, license: &str) -> Vec<u8> {
    json!({
        "data": { "id": "m-1", "type": "machines",
            "attributes": { "fingerprint": fingerprint, "name": "laptop",
                "created": "2026-01-01T00:00:00Z" },
            "relationships": { "license": { "data": { "type": "licenses", "id": license } } } }
    })
    .to_string()
    .into_bytes()
}

#[test]
fn a_machine_answer_must_name_this_machine_and_this_license() {
    let k = keygen("00");
    let key = license_key();
    let seat = NewSeat {
        name: "laptop",
        fingerprint: Some("fp-here"),
    };
    let Next::Send(validation, _) = k.activation_step(&key, &seat, &[]) else {
        panic!("a validation first");
    };
    let found = Reply {
        status: 200,
        body: answer(&validation, "NO_MACHINE", false),
    };
    let Next::Send(create, _) = k.activation_step(&key, &seat, &[(validation, found)]) else {
        panic!("then the machine's creation");
    };
    let step = |body: Vec<u8>| {
        let validation = k.validate(&key, None, Some("fp-here"));
        let found = Reply {
            status: 200,
            body: answer(&validation, "NO_MACHINE", false),
        };
        let made = Reply { status: 201, body };
        let create = Request {
            method: create.method,
            path: create.path.clone(),
            content_type: create.content_type,
            accept: create.accept,
            headers: Vec::new(),
            body: Zeroizing::new(Vec::new()),
            nonce: None,
            echo: None,
        };
        k.activation_step(&key, &seat, &[(validation, found), (create, made)])
    };
    assert!(
        matches!(step(machine_body("fp-here", "lic-1")), Next::Done(a) if a.id.as_str() == "m-1")
    );
    for (body, what) in [
        (machine_body("fp-elsewhere", "lic-1"), "another machine"),
        (machine_body("fp-here", "lic-2"), "another license"),
    ] {
        let Next::Fail(e) = step(body) else {
            panic!("{what} is no activation");
        };
        assert!(
            matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
            "{what}: {e:?}"
        );
    }
}
