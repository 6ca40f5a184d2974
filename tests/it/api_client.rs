//! The API client against the emulator: every success path, every documented failure, each
//! injected fault, and the rule that activation never spends two slots.

use std::time::{Duration, Instant};

use keyseat::api::{Client, Environment, RetryPolicy, TrustStore};
use keyseat::{ApiCode, Error, ErrorKind, InstanceId, LicenseKey};
use keyseat_emulator::{Emulator, Endpoint, Fault, KeySpec, KeyStatus};
use keyseat_tests::{KEY, client, dead_url, emulator, fast_retries, key};

/// Every error must be free of the key, in both its Display and Debug forms.
fn checked(e: Error) -> Error {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(KEY), "key leaked in error: {shown}");
    e
}

fn status(code: u16) -> Fault {
    Fault::Status {
        status: code,
        retry_after: None,
        retry_after_ms: None,
    }
}

fn short_timeout_client(url: &str) -> Client {
    Client::builder()
        .environment(Environment::Custom(url.to_owned()))
        .retry_policy(fast_retries())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

#[test]
fn activate_validate_deactivate_round_trip() {
    let emu = emulator(Some(2));
    let c = client(&emu.url());
    let k = key();
    let inst = c.activate(&k, "Ada's laptop").unwrap();
    assert!(inst.id.as_str().starts_with("lki_"));
    assert_eq!(inst.name, "Ada's laptop");
    assert_eq!(
        inst.license.customer_email.as_deref().unwrap(),
        "customer@example.com"
    );
    assert_eq!(inst.license.product_name.as_deref(), Some("Emulated App"));
    assert!(inst.created_at.is_some());
    assert_eq!(emu.instances_of(KEY).len(), 1);

    assert!(c.validate(&k, Some(&inst.id)).unwrap().valid);
    assert!(c.validate(&k, None).unwrap().valid);
    c.deactivate(&k, &inst.id).unwrap();
    assert!(!c.validate(&k, Some(&inst.id)).unwrap().valid);
    assert!(emu.instances_of(KEY).is_empty());
    assert_eq!(
        emu.authorization_headers_seen(),
        0,
        "no Authorization header, ever"
    );
}

#[test]
fn key_with_surrounding_whitespace_is_the_same_key() {
    let emu = emulator(None);
    let c = client(&emu.url());
    let k = LicenseKey::new(&format!("  {KEY} \n")).unwrap();
    let inst = c.activate(&k, "n").unwrap();
    assert!(c.validate(&key(), Some(&inst.id)).unwrap().valid);
}

#[test]
fn documented_activation_failures_are_typed_rejections() {
    let emu = emulator(Some(1));
    emu.add_key(KeySpec::new("DISABLED-KEY-000000"));
    emu.set_key_status("DISABLED-KEY-000000", KeyStatus::Disabled);
    let mut expired = KeySpec::new("EXPIRED-KEY-0000000");
    expired.expires_at = Some("2001-01-01T00:00:00Z".into());
    emu.add_key(expired);
    let c = client(&emu.url());

    let e = checked(
        c.activate(&LicenseKey::new("NO-SUCH-KEY-000000").unwrap(), "n")
            .unwrap_err(),
    );
    assert_eq!(e.http_status(), Some(404));
    assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyNotFound));
    assert!(e.is_rejection() && !e.is_unreachable());

    for k in ["DISABLED-KEY-000000", "EXPIRED-KEY-0000000"] {
        let e = checked(c.activate(&LicenseKey::new(k).unwrap(), "n").unwrap_err());
        assert_eq!(e.http_status(), Some(403));
        assert_eq!(e.api_code(), Some(&ApiCode::InactiveLicenseKey));
    }

    c.activate(&key(), "first").unwrap();
    let e = checked(c.activate(&key(), "second").unwrap_err());
    assert_eq!(e.http_status(), Some(422));
    assert_eq!(e.api_code(), Some(&ApiCode::LicenseKeyLimitReached));
    assert_eq!(emu.instances_of(KEY).len(), 1);
}

#[test]
fn validate_says_false_for_unknown_inactive_or_foreign() {
    let emu = emulator(None);
    emu.add_key(KeySpec::new("OTHER-KEY-000000000"));
    let c = client(&emu.url());
    let other = LicenseKey::new("OTHER-KEY-000000000").unwrap();
    let foreign = c.activate(&other, "x").unwrap();
    let mine = c.activate(&key(), "y").unwrap();

    assert!(
        !c.validate(&LicenseKey::new("NO-SUCH-KEY-000000").unwrap(), None)
            .unwrap()
            .valid
    );
    assert!(!c.validate(&key(), Some(&foreign.id)).unwrap().valid);
    let made_up = InstanceId::new("lki_does_not_exist").unwrap();
    assert!(!c.validate(&key(), Some(&made_up)).unwrap().valid);
    emu.set_key_status(KEY, KeyStatus::Disabled);
    assert!(!c.validate(&key(), Some(&mine.id)).unwrap().valid);
    emu.set_key_status(KEY, KeyStatus::Expired);
    assert!(!c.validate(&key(), None).unwrap().valid);
}

#[test]
fn documented_deactivation_failures() {
    let emu = emulator(None);
    let c = client(&emu.url());
    let made_up = InstanceId::new("lki_does_not_exist").unwrap();
    let e = checked(c.deactivate(&key(), &made_up).unwrap_err());
    assert_eq!(e.http_status(), Some(403));
    assert!(e.is_rejection());
    let e = checked(
        c.deactivate(&LicenseKey::new("NO-SUCH-KEY-000000").unwrap(), &made_up)
            .unwrap_err(),
    );
    assert_eq!(e.http_status(), Some(404));
}

#[test]
fn unreachable_server_is_a_network_error_not_a_rejection() {
    let c = client(&dead_url());
    let started = Instant::now();
    let e = checked(c.validate(&key(), None).unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Network(_)), "{e:?}");
    assert!(e.is_unreachable() && !e.is_rejection());
    // Connection refused means the activation was never sent: a plain network error.
    let e = checked(c.activate(&key(), "n").unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Network(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ---- activation and the one-slot rule ----

/// Runs one activation against a fault and returns the error with the emulator's view.
fn activate_with(fault: Fault, count: u32) -> (Result<keyseat::api::Activation, Error>, Emulator) {
    let emu = emulator(Some(5));
    emu.inject(Endpoint::Activate, fault, count);
    let r = short_timeout_client(&emu.url())
        .activate(&key(), "n")
        .map_err(checked);
    (r, emu)
}

fn assert_ambiguous(r: &Result<keyseat::api::Activation, Error>) {
    match r {
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
            "expected ambiguous activation, got {e:?}"
        ),
        Ok(i) => panic!("expected ambiguous activation, got {i:?}"),
    }
}

#[test]
fn lost_response_to_activate_leaves_one_instance_and_is_ambiguous() {
    let (r, emu) = activate_with(Fault::ProcessThenClose, 1);
    assert_ambiguous(&r);
    assert_eq!(emu.request_count(Endpoint::Activate), 1, "never retried");
    assert_eq!(emu.instances_of(KEY).len(), 1, "exactly one slot spent");
}

#[test]
fn activate_timeout_after_sending_is_ambiguous_and_not_retried() {
    let (r, emu) = activate_with(Fault::Delay { ms: 800 }, 1);
    assert_ambiguous(&r);
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(emu.request_count(Endpoint::Activate), 1);
    assert_eq!(emu.instances_of(KEY).len(), 1);
}

#[test]
fn activate_cut_connections_and_5xx_are_ambiguous() {
    for fault in [
        Fault::CloseBeforeProcessing,
        Fault::ResetBeforeProcessing,
        status(500),
        status(502),
        status(503),
        Fault::HtmlError { status: 502 },
    ] {
        let (r, emu) = activate_with(fault.clone(), 1);
        assert_ambiguous(&r);
        assert_eq!(
            emu.request_count(Endpoint::Activate),
            1,
            "{fault:?} was retried"
        );
        assert!(emu.instances_of(KEY).is_empty(), "{fault:?}");
    }
}

#[test]
fn activate_with_unreadable_success_body_is_ambiguous() {
    for fault in [
        Fault::TruncatedBody,
        Fault::MalformedJson,
        Fault::OversizedBody,
    ] {
        let (r, emu) = activate_with(fault.clone(), 1);
        assert_ambiguous(&r);
        assert_eq!(emu.request_count(Endpoint::Activate), 1, "{fault:?}");
        assert_eq!(emu.instances_of(KEY).len(), 1, "{fault:?}");
    }
}

#[test]
fn activate_retries_429_honouring_retry_after() {
    let (r, emu) = activate_with(
        Fault::Status {
            status: 429,
            retry_after: None,
            retry_after_ms: Some(150),
        },
        1,
    );
    r.unwrap();
    assert_eq!(emu.request_count(Endpoint::Activate), 2);
    assert_eq!(emu.instances_of(KEY).len(), 1);

    let (r, emu) = activate_with(status(429), 10);
    let e = r.unwrap_err();
    assert_eq!(e.http_status(), Some(429));
    assert_eq!(e.api_code(), Some(&ApiCode::TooManyRequests));
    assert_eq!(
        emu.request_count(Endpoint::Activate),
        3,
        "first try plus 2 retries"
    );
    assert!(emu.instances_of(KEY).is_empty());
}

#[test]
fn activate_accepts_extra_fields_and_any_content_type() {
    for fault in [Fault::ExtraFields, Fault::WrongContentType] {
        let (r, emu) = activate_with(fault, 1);
        r.unwrap();
        assert_eq!(emu.instances_of(KEY).len(), 1);
    }
}

// ---- validate ----

fn validate_with(fault: Fault, count: u32) -> (Result<bool, Error>, Emulator, Duration) {
    let emu = emulator(None);
    emu.inject(Endpoint::Validate, fault, count);
    let started = Instant::now();
    let r = short_timeout_client(&emu.url())
        .validate(&key(), None)
        .map(|v| v.valid)
        .map_err(checked);
    (r, emu, started.elapsed())
}

#[test]
fn validate_retries_server_errors_and_cut_connections() {
    for fault in [
        status(500),
        status(502),
        status(503),
        status(408),
        status(429),
        Fault::CloseBeforeProcessing,
        Fault::ResetBeforeProcessing,
        Fault::Delay { ms: 500 },
        Fault::HtmlError { status: 503 },
    ] {
        let (r, emu, _) = validate_with(fault.clone(), 2);
        assert!(r.unwrap(), "{fault:?}");
        assert_eq!(emu.request_count(Endpoint::Validate), 3, "{fault:?}");
    }
}

#[test]
fn validate_gives_up_after_two_retries() {
    let (r, emu, _) = validate_with(status(503), 10);
    let e = r.unwrap_err();
    assert_eq!(e.http_status(), Some(503));
    assert!(e.is_unreachable());
    assert_eq!(emu.request_count(Endpoint::Validate), 3);

    let (r, _, _) = validate_with(Fault::Delay { ms: 500 }, 10);
    assert!(matches!(r.unwrap_err().kind(), ErrorKind::Timeout));

    let (r, _, _) = validate_with(Fault::HtmlError { status: 502 }, 10);
    let e = r.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::InvalidResponse {
                status: Some(502),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.is_rejection());
}

#[test]
fn validate_honours_retry_after_seconds() {
    let (r, emu, took) = validate_with(
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
            retry_after_ms: None,
        },
        1,
    );
    assert!(r.unwrap());
    assert!(took >= Duration::from_secs(1), "waited only {took:?}");
    assert_eq!(emu.request_count(Endpoint::Validate), 2);
}

#[test]
fn validate_unusable_bodies_are_invalid_responses() {
    // Malformed and oversized bodies would come back the same: not retried. A body cut short
    // is a transport failure on a request safe to repeat: retried, and an error only when
    // every attempt is cut.
    for (fault, count, requests) in [
        (Fault::MalformedJson, 1, 1),
        (Fault::OversizedBody, 1, 1),
        (Fault::TruncatedBody, 10, 3),
    ] {
        let (r, emu, _) = validate_with(fault.clone(), count);
        let e = r.unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidResponse { .. }),
            "{fault:?}: {e:?}"
        );
        assert!(e.is_unreachable(), "an unusable answer must not revoke");
        assert_eq!(emu.request_count(Endpoint::Validate), requests, "{fault:?}");
    }
    let (r, emu, _) = validate_with(Fault::TruncatedBody, 1);
    assert!(r.unwrap(), "the retry after a cut body succeeds");
    assert_eq!(emu.request_count(Endpoint::Validate), 2);
    let (r, _, _) = validate_with(Fault::OversizedBody, 1);
    assert!(r.unwrap_err().to_string().contains("larger than"));
}

#[test]
fn validate_accepts_extra_fields_and_any_content_type() {
    for fault in [Fault::ExtraFields, Fault::WrongContentType] {
        let (r, _, _) = validate_with(fault, 1);
        assert!(r.unwrap());
    }
}

// ---- deactivate ----

#[test]
fn deactivate_retry_after_lost_response_counts_as_success() {
    let emu = emulator(None);
    let c = short_timeout_client(&emu.url());
    let inst = c.activate(&key(), "n").unwrap();
    emu.inject(Endpoint::Deactivate, Fault::ProcessThenClose, 1);
    c.deactivate(&key(), &inst.id).unwrap();
    assert_eq!(emu.request_count(Endpoint::Deactivate), 2);
    assert!(emu.instances_of(KEY).is_empty());
}

#[test]
fn deactivate_retries_5xx_and_timeouts() {
    for fault in [
        status(500),
        Fault::Delay { ms: 500 },
        Fault::CloseBeforeProcessing,
    ] {
        let emu = emulator(None);
        let c = short_timeout_client(&emu.url());
        let inst = c.activate(&key(), "n").unwrap();
        emu.inject(Endpoint::Deactivate, fault.clone(), 1);
        c.deactivate(&key(), &inst.id)
            .unwrap_or_else(|e| panic!("{fault:?}: {e:?}"));
        std::thread::sleep(Duration::from_millis(300));
        assert!(emu.instances_of(KEY).is_empty(), "{fault:?}");
    }
}

#[test]
fn deactivate_gives_typed_errors_for_faults_it_cannot_retry() {
    let emu = emulator(None);
    let c = short_timeout_client(&emu.url());
    let inst = c.activate(&key(), "n").unwrap();
    emu.inject(Endpoint::Deactivate, status(503), 10);
    let e = checked(c.deactivate(&key(), &inst.id).unwrap_err());
    assert_eq!(e.http_status(), Some(503));
    assert_eq!(emu.instances_of(KEY).len(), 1, "nothing lost");
}

#[test]
fn no_retry_policy_means_one_attempt() {
    let emu = emulator(None);
    emu.inject(Endpoint::Validate, status(503), 1);
    let c = Client::builder()
        .environment(Environment::Custom(emu.url()))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    assert!(c.validate(&key(), None).is_err());
    assert_eq!(emu.request_count(Endpoint::Validate), 1);
}

/// A client for an HTTPS emulator, with the given trust settings.
fn tls_client(emu: &Emulator, ca_file: Option<&std::path::Path>, trust: TrustStore) -> Client {
    let b = Client::builder()
        .environment(Environment::Custom(emu.url()))
        .retry_policy(fast_retries())
        .trust_store(trust);
    match ca_file {
        Some(path) => b.ca_file(path),
        None => b,
    }
    .build()
    .unwrap()
}

#[test]
fn an_untrusted_certificate_is_its_own_error_and_a_ca_file_fixes_it() {
    let emu = Emulator::start_tls(vec![KeySpec::new(KEY)]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();

    // The bundled roots, and the system store, do not know the emulator's throwaway CA.
    for trust in [TrustStore::Bundled, TrustStore::System] {
        let client = tls_client(&emu, None, trust);
        let e = checked(client.validate(&key(), None).unwrap_err());
        assert!(matches!(e.kind(), ErrorKind::Certificate(_)), "{e:?}");
        assert!(e.is_unreachable() && !e.is_rejection());
        let cause = std::error::Error::source(&e).expect("the TLS error is kept as the source");
        assert!(
            cause.to_string().to_lowercase().contains("certificate"),
            "{cause}"
        );
        let e = checked(client.activate(&key(), "machine").unwrap_err());
        assert!(matches!(e.kind(), ErrorKind::Certificate(_)), "{e:?}");
    }
    assert_eq!(
        emu.request_count(Endpoint::Validate) + emu.request_count(Endpoint::Activate),
        0,
        "no request got through"
    );

    let client = tls_client(&emu, Some(&ca), TrustStore::Bundled);
    let instance = client.activate(&key(), "machine").unwrap();
    assert!(client.validate(&key(), Some(&instance.id)).unwrap().valid);
    client.deactivate(&key(), &instance.id).unwrap();

    // A CA file with the system store is a contradiction, refused at build time.
    let e = Client::builder()
        .trust_store(TrustStore::System)
        .ca_file(&ca)
        .build()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{e:?}");
}

/// A client for `emu` that retries twice, the first time after `base_delay`.
fn retrying_after(emu: &Emulator, base_delay: Duration) -> Client {
    Client::builder()
        .environment(Environment::Custom(emu.url()))
        .retry_policy(RetryPolicy {
            max_retries: 2,
            base_delay,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

#[test]
fn activation_is_retried_while_connections_are_refused() {
    let emu = emulator(None);
    let client = retrying_after(&emu, Duration::from_millis(400));
    emu.stop();
    let instance = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            emu.resume().unwrap();
        });
        client.activate(&key(), "machine")
    })
    .expect("the refused attempt was retried once the server listened again");
    assert_eq!(emu.instances_of(KEY).len(), 1);
    assert_eq!(emu.request_count(Endpoint::Activate), 1);
    assert_eq!(
        instance.license.license_key_id,
        emu.instances_of(KEY)[0].license_key_id
    );
}

#[test]
fn a_certificate_failure_is_never_retried() {
    let emu = Emulator::start_tls(vec![KeySpec::new(KEY)]).unwrap();
    // Retries would wait at least 3.75 s (5 s less 25 % jitter) before the second attempt.
    let client = retrying_after(&emu, Duration::from_secs(5));
    let started = Instant::now();
    let e = checked(client.activate(&key(), "machine").unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Certificate(_)), "{e:?}");
    let e = checked(client.validate(&key(), None).unwrap_err());
    assert!(matches!(e.kind(), ErrorKind::Certificate(_)), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a certificate failure was retried ({:?})",
        started.elapsed()
    );
}

#[test]
fn a_request_timeout_answer_is_retried() {
    let emu = emulator(None);
    emu.inject(Endpoint::Validate, status(408), 1);
    assert!(client(&emu.url()).validate(&key(), None).is_ok());
    assert_eq!(
        emu.request_count(Endpoint::Validate),
        2,
        "one 408, one retry"
    );
}

#[test]
fn a_403_after_an_unanswered_deactivation_counts_as_done() {
    let emu = emulator(None);
    let c = client(&emu.url());
    let inst = c.activate(&key(), "n").unwrap();
    // Freed elsewhere meanwhile; then a 5xx whose outcome is unknown, then the retry's 403.
    c.deactivate(&key(), &inst.id).unwrap();
    emu.inject(Endpoint::Deactivate, status(503), 1);
    c.deactivate(&key(), &inst.id)
        .expect("after an attempt that may have worked, 'not found' means done");
    assert_eq!(emu.request_count(Endpoint::Deactivate), 3);
    // A 4xx is a definite answer: the 403 that follows it is the real outcome.
    emu.inject(Endpoint::Deactivate, status(409), 1);
    let e = checked(c.deactivate(&key(), &inst.id).unwrap_err());
    assert_eq!(e.http_status(), Some(409), "409 is not retried");
    let e = checked(c.deactivate(&key(), &inst.id).unwrap_err());
    assert_eq!(e.http_status(), Some(403));
}

/// A loopback server that answers each connection with `reply`, whatever was asked.
fn raw_server(reply: &'static [u8]) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(reply);
        }
    });
    url
}

#[test]
fn an_answer_that_is_not_http_is_an_invalid_response() {
    let url = raw_server(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
    let e = checked(client(&url).validate(&key(), None).unwrap_err());
    assert!(
        matches!(e.kind(), ErrorKind::InvalidResponse { .. }),
        "{e:?}"
    );
    // The request went out, so an activation cannot know whether it counted.
    let e = checked(client(&url).activate(&key(), "n").unwrap_err());
    assert!(
        matches!(e.kind(), ErrorKind::AmbiguousActivation(_)),
        "{e:?}"
    );
}
