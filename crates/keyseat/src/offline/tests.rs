use ring::signature::{Ed25519KeyPair, KeyPair as _};

use super::*;
use crate::pinned::PinnedKey;

const SEED: [u8; 32] = [0x33; 32];

fn pinned(seed: &[u8; 32]) -> PinnedKey {
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).unwrap();
    PinnedKey::parse(&hex::encode(pair.public_key().as_ref())).unwrap()
}

fn key() -> LicenseKey {
    LicenseKey::new("OFFLINE-TEST-KEY-0001").unwrap()
}

#[test]
fn a_request_opens_at_the_relay_and_its_machine_file_on_that_machine_only() {
    let relay = RelaySecret::from_seed(&SEED).unwrap();
    let request = OfflineRequest::make(&key(), &pinned(&SEED), "fp-a", "lab pc").unwrap();
    let text = request.to_text();
    assert!(!text.contains(key().expose()), "the key travels sealed");
    let read = OfflineRequest::parse(&text).unwrap();
    assert_eq!(read, request);
    assert_eq!(relay.open_request(&read).unwrap(), key());
    // Another relay key cannot open it; a changed fingerprint breaks it.
    let other = RelaySecret::from_seed(&[0x44; 32]).unwrap();
    assert!(other.open_request(&read).is_err());
    let mut moved = read.clone();
    moved.fingerprint = "fp-b".into();
    assert!(
        relay.open_request(&moved).is_err(),
        "the fingerprint is bound"
    );

    let mut grant = OfflineGrant::new(&read, &key(), "lki_1", 100, 200).unwrap();
    grant.product_id = "pdt_1".into();
    let file = relay.issue(&grant, &key()).unwrap();
    assert!(!file.contains("lki_1") && !file.contains(&grant.removal_token));
    let pins = [pinned(&SEED)];
    assert_eq!(
        read_machine_file(&file, &key(), "fp-a", &pins).unwrap(),
        grant
    );
    let wrong_machine = read_machine_file(&file, &key(), "fp-b", &pins).unwrap_err();
    assert!(
        wrong_machine.to_string().contains("another machine"),
        "{wrong_machine}"
    );
    let other_key = LicenseKey::new("OFFLINE-TEST-KEY-0002").unwrap();
    assert!(read_machine_file(&file, &other_key, "fp-a", &pins).is_err());
    // Signed by a key the app does not pin, or changed: a bad signature.
    let unpinned = read_machine_file(&file, &key(), "fp-a", &[pinned(&[0x44; 32])]).unwrap_err();
    assert_eq!(unpinned.code(), crate::ErrorCode::BadSignature);
    let forged = other.issue(&grant, &key()).unwrap();
    assert_eq!(
        read_machine_file(&forged, &key(), "fp-a", &pins)
            .unwrap_err()
            .code(),
        crate::ErrorCode::BadSignature
    );
}

#[test]
fn a_release_proof_carries_the_key_and_token_to_the_relay_alone() {
    let relay = RelaySecret::from_seed(&SEED).unwrap();
    let proof = ReleaseProof::make(&key(), &pinned(&SEED), "lki_1", "token").unwrap();
    let text = proof.to_text();
    assert!(!text.contains("token") && !text.contains(key().expose()));
    let read = ReleaseProof::parse(&text).unwrap();
    let (k, token) = relay.open_release(&read).unwrap();
    assert_eq!((k, token.as_str()), (key(), "token"));
    let mut other_instance = read.clone();
    other_instance.instance_id = "lki_2".into();
    assert!(
        relay.open_release(&other_instance).is_err(),
        "bound to its instance"
    );
    assert!(
        ReleaseProof::parse(
            &OfflineRequest::make(&key(), &pinned(&SEED), "f", "n")
                .unwrap()
                .to_text()
        )
        .is_err()
    );
    assert!(
        !format!("{relay:?}").contains("33"),
        "the seed is not shown"
    );
}
