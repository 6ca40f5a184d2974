//! Offline activation through the relay (issue 29): a request made on one machine becomes
//! a machine file (once: sent again, the same file and no second seat), which activates that
//! machine with every server unreachable, until its expiry; another machine, another relay
//! key, a forged file, a clock turned back are refused; removal writes a proof that frees
//! the seat once.

use std::time::Duration;

use keyseat::{ErrorCode, LicenseState};

use crate::support::{KEY, World, clock, licensor, machine_named};

const DAY: Duration = Duration::from_secs(86_400);

/// `POST url` of `body`: the status and the body.
fn post(url: &str, body: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.post(url).send(body.as_bytes()).unwrap();
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

#[test]
fn a_machine_that_never_goes_online_is_licensed_by_its_file_and_frees_its_seat() {
    let mut world = World::new(2);
    let keys = world.relay.public_keys().to_vec();
    let url = world.relay.url();
    let (here, there) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let c = clock();
    let lab = licensor(&url, &keys, here.path(), machine_named("lab"), &c);

    let request = lab.offline_request(KEY).unwrap();
    assert!(!request.contains(KEY), "the key travels sealed");
    let (status, file) = post(&format!("{url}/v1/offline"), &request);
    assert_eq!(status, 200, "{file}");
    assert!(
        file.starts_with("-----BEGIN KEYSEAT MACHINE FILE-----"),
        "{file}"
    );
    assert_eq!(world.emu.instances().len(), 1, "one seat");
    let (_, again) = post(&format!("{url}/v1/offline"), &request);
    assert_eq!(again, file, "the same request, the same file");
    assert_eq!(world.emu.instances().len(), 1, "and no second seat");
    // The seat is the key's like any other, bound to the lab machine.
    let seats = lab.seats(Some(KEY)).unwrap();
    assert_eq!(seats.len(), 1);
    assert!(seats[0].this_machine);

    // Every server unreachable from here on.
    world.relay.stop();
    world.emu.stop();
    let active = lab.offline_activate(KEY, &file).unwrap();
    assert_eq!(active.state, LicenseState::Active);
    assert!(active.activated_offline && !active.network_used);
    let until = active.grace_deadline.unwrap();
    let year = until.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(year > 364 * DAY && year <= 366 * DAY, "{year:?}");
    assert_eq!(
        active.instance_id.as_ref().unwrap().as_str(),
        seats[0].id.as_str()
    );
    assert!(
        active.entitlements.is_some(),
        "what Dodo's API key knew, in the file"
    );
    c.advance(30 * DAY);
    let later = lab.check().unwrap();
    assert_eq!(later.state, LicenseState::Active, "a month later, offline");
    assert!(!later.network_used);
    assert_eq!(
        lab.revalidate().unwrap().state,
        LicenseState::Active,
        "never online"
    );

    // Another machine cannot use the file, nor another key.
    let other = licensor(&url, &keys, there.path(), machine_named("other"), &c);
    let refused = other.offline_activate(KEY, &file).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    assert!(refused.to_string().contains("another machine"), "{refused}");
    assert_eq!(other.check().unwrap().state, LicenseState::NotActivated);
    assert!(
        lab.offline_activate("ANOTHER-KEY-0000-0001", &file)
            .is_err()
    );

    // A clock turned back past what it has seen: not licensed.
    c.advance(10 * DAY);
    assert_eq!(lab.check().unwrap().state, LicenseState::Active);
    c.rewind(5 * DAY);
    assert_eq!(lab.check().unwrap().state, LicenseState::ClockRollback);
    c.advance(5 * DAY);
    assert_eq!(lab.check().unwrap().state, LicenseState::Active);

    // Past its expiry: no longer licensed, and the file cannot be loaded again.
    c.advance(330 * DAY);
    assert_eq!(lab.check().unwrap().state, LicenseState::GraceExpired);
    let fresh = tempfile::tempdir().unwrap();
    let reloaded = licensor(&url, &keys, fresh.path(), machine_named("lab"), &c);
    let expired = reloaded.offline_activate(KEY, &file).unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");
}

#[test]
fn removal_writes_a_proof_that_frees_the_seat_once() {
    let world = World::new(1);
    let keys = world.relay.public_keys().to_vec();
    let url = world.relay.url();
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let lab = licensor(&url, &keys, dir.path(), machine_named("lab"), &c);
    let (_, file) = post(
        &format!("{url}/v1/offline"),
        &lab.offline_request(KEY).unwrap(),
    );
    lab.offline_activate(KEY, &file).unwrap();
    assert_eq!(world.emu.instances().len(), 1);

    let proof = lab.offline_deactivate().unwrap();
    assert!(
        proof.starts_with("-----BEGIN KEYSEAT OFFLINE RELEASE-----"),
        "{proof}"
    );
    assert!(!proof.contains(KEY));
    assert_eq!(lab.check().unwrap().state, LicenseState::NotActivated);
    assert_eq!(
        lab.offline_deactivate().unwrap_err().code(),
        ErrorCode::NotActivated
    );
    // A proof changed on the way frees nothing.
    let changed = proof.replacen('A', "B", 1);
    let (status, _) = post(&format!("{url}/v1/offline/release"), &changed);
    assert_eq!(status, 422);
    assert_eq!(world.emu.instances().len(), 1);
    let (status, body) = post(&format!("{url}/v1/offline/release"), &proof);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"already\":false"), "{body}");
    assert_eq!(world.emu.instances().len(), 0, "the seat is free");
    let (status, body) = post(&format!("{url}/v1/offline/release"), &proof);
    assert_eq!(
        (status, body.contains("\"already\":true")),
        (200, true),
        "{body}"
    );
    // The seat free, the key activates elsewhere (limit 1).
    let other_dir = tempfile::tempdir().unwrap();
    let other = licensor(&url, &keys, other_dir.path(), machine_named("other"), &c);
    assert_eq!(other.activate(KEY).unwrap().state, LicenseState::Active);
}

#[test]
fn requests_and_files_of_other_keys_are_refused() {
    let world = World::new(2);
    let url = world.relay.url();
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    // An app pinning another relay key seals its request to that key: this relay cannot
    // open it.
    let other_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".to_owned();
    let stranger = licensor(&url, &[other_key], dir.path(), machine_named("lab"), &c);
    let (status, body) = post(
        &format!("{url}/v1/offline"),
        &stranger.offline_request(KEY).unwrap(),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("does not hold"), "{body}");
    assert_eq!(world.emu.instances().len(), 0, "no seat spent");
    // Garbage is refused in words.
    let (status, body) = post(&format!("{url}/v1/offline"), "hello");
    assert_eq!(status, 422, "{body}");
    // A machine file signed by a key the app does not pin: a bad signature.
    let keys = world.relay.public_keys().to_vec();
    let lab = licensor(&url, &keys, dir.path(), machine_named("lab"), &c);
    let (_, file) = post(
        &format!("{url}/v1/offline"),
        &lab.offline_request(KEY).unwrap(),
    );
    let other_dir = tempfile::tempdir().unwrap();
    let unpinned = licensor(
        &url,
        &["d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".to_owned()],
        other_dir.path(),
        machine_named("lab"),
        &c,
    );
    assert_eq!(
        unpinned.offline_activate(KEY, &file).unwrap_err().code(),
        ErrorCode::BadSignature
    );
}
