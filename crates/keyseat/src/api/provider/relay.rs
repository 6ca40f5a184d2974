//! keyseat-relay: the seller's own server in front of Dodo Payments (`docs/relay-protocol.md`).
//!
//! `POST /v1/licenses/{activate,validate,deactivate}` with Dodo's field names plus the
//! machine's `fingerprint` and a random `nonce`; every answer, refusals included, is signed
//! (`Keyseat-Signature`, Ed25519, by a key the app pins, chosen by its id) and echoes what
//! was asked (`request`: the endpoint, a hash of the key, the instance, the fingerprint, the
//! nonce). An answer that fails either check is no answer
//! ([`crate::ErrorKind::BadSignature`]).

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::dodo::refusal_in_dodos_words;
use super::signature::{PinnedKey, Signer, bad_signature};
use super::{NewSeat, Received, Request, Wire, unix_time, unreadable};
use crate::api::types::{Activation, Entitlement, License, Seat, Validation};
use crate::error::Error;
use crate::key::{InstanceId, LicenseKey};

/// The domain label of a key's hash (`key_hash`).
const KEY_HASH_LABEL: &[u8] = b"keyseat relay key v1\0";

/// A relay at one URL, checked with the keys the app pins.
pub(super) struct Relay {
    url: String,
    keys: Vec<String>,
}

impl Relay {
    pub(super) fn new(url: String, keys: Vec<String>) -> Relay {
        Relay {
            url: url.trim().trim_end_matches('/').to_owned(),
            keys: keys.into_iter().map(|k| k.trim().to_owned()).collect(),
        }
    }

    /// The pinned keys, parsed.
    fn pinned(&self) -> Result<Vec<PinnedKey>, Error> {
        self.keys.iter().map(|k| PinnedKey::parse(k)).collect()
    }

    /// A signed request of `endpoint`, with the echo its answer must carry.
    fn request(
        &self,
        endpoint: &str,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        fingerprint: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Request {
        let nonce = new_nonce();
        let mut body = json!({ "license_key": key.expose(), "nonce": nonce });
        if let Some(instance) = instance {
            body["license_key_instance_id"] = json!(instance.as_str());
        }
        if let Some(fingerprint) = fingerprint {
            body["fingerprint"] = json!(fingerprint);
        }
        for (name, value) in extra {
            body[*name] = json!(value);
        }
        let accepted: Vec<String> = self
            .pinned()
            .unwrap_or_default()
            .iter()
            .map(|k| format!("keyid=\"{}\"", k.id))
            .collect();
        let mut request = Request::json(format!("/v1/licenses/{endpoint}"), &body);
        request.headers.push((
            "keyseat-accept-signature",
            Zeroizing::new(accepted.join(", ")),
        ));
        request.echo = Some(json!({
            "endpoint": endpoint,
            "key_hash": key_hash(key),
            "instance": instance.map(InstanceId::as_str),
            "fingerprint": fingerprint,
            "nonce": nonce,
        }));
        request
    }
}

/// The hash of a key that keyseat-relay keeps and echoes (`key_hash` of
/// `docs/relay-protocol.md`): hex SHA-256 of a label and the key. The relay and its clients
/// compute it with this one function.
pub fn key_hash(key: &LicenseKey) -> String {
    let digest = Sha256::new()
        .chain_update(KEY_HASH_LABEL)
        .chain_update(key.expose().as_bytes())
        .finalize();
    hex::encode(digest)
}

/// 128 random bits as 32 hex characters; a fixed value only if the OS has no randomness, in
/// which case the answer's freshness rests on its date alone.
fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        log::warn!("the OS random source failed: the relay nonce is not random");
    }
    hex::encode(bytes)
}

/// The relay's `license` object.
#[derive(Deserialize)]
struct LicenseBody {
    key_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default)]
    customer_email: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    activation_limit: Option<u32>,
    #[serde(default)]
    activations_used: Option<u32>,
}

/// One of the relay's `entitlements`.
#[derive(Deserialize)]
struct EntitlementBody {
    entitlement_id: String,
    #[serde(default)]
    grant_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

/// An activation or a validation: what every answer about a key carries.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    instance: Option<InstanceBody>,
    #[serde(default)]
    verdict: Option<String>,
    license: LicenseBody,
    #[serde(default)]
    entitlements: Option<Vec<EntitlementBody>>,
}

#[derive(Deserialize)]
struct InstanceBody {
    id: String,
    name: String,
    #[serde(default)]
    created_at: Option<String>,
}

/// The answer to `seats`.
#[derive(Deserialize)]
struct SeatsBody {
    seats: Vec<SeatBody>,
}

#[derive(Deserialize)]
struct SeatBody {
    id: String,
    name: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    this_machine: bool,
}

impl Answer {
    fn parse(body: &[u8], what: &str) -> Result<Answer, Error> {
        serde_json::from_slice(body).map_err(|e| unreadable(what, &e))
    }

    fn license(&self) -> License {
        let l = &self.license;
        License {
            license_key_id: l.key_id.clone(),
            product_id: l.product_id.clone().unwrap_or_default(),
            customer_email: l.customer_email.clone(),
            status: l.status.clone(),
            expires_at: unix_time(l.expires_at.as_deref()),
            activation_limit: l.activation_limit,
            activations_used: l.activations_used,
            entitlements: self.entitlements.as_ref().map(|all| {
                all.iter()
                    .map(|e| Entitlement {
                        id: e.entitlement_id.clone(),
                        grant_id: e.grant_id.clone(),
                        status: e.status.clone(),
                        expires_at: unix_time(e.expires_at.as_deref()),
                    })
                    .collect()
            }),
            ..License::default()
        }
    }
}

impl Wire for Relay {
    fn name(&self) -> &'static str {
        "relay"
    }

    fn account(&self) -> Option<&str> {
        None
    }

    fn check(&self) -> Result<(), Error> {
        if self.keys.is_empty() {
            return Err(Error::invalid_input(
                "the relay provider needs the relay's public key (64 hexadecimal characters; \
                 several during a rotation): its answers are signed, and unsigned ones are \
                 refused",
            ));
        }
        self.pinned().map(|_| ())
    }

    fn live_url(&self) -> &str {
        &self.url
    }

    fn test_url(&self) -> &str {
        &self.url
    }

    fn activate(&self, key: &LicenseKey, seat: &NewSeat<'_>) -> Result<Request, Error> {
        let fingerprint = seat.fingerprint.ok_or_else(|| {
            Error::invalid_input("an activation through the relay needs the machine's fingerprint")
        })?;
        Ok(self.request(
            "activate",
            key,
            None,
            Some(fingerprint),
            &[("name", seat.name)],
        ))
    }

    fn validate(
        &self,
        key: &LicenseKey,
        instance: Option<&InstanceId>,
        fingerprint: Option<&str>,
    ) -> Request {
        self.request("validate", key, instance, fingerprint, &[])
    }

    fn deactivate(&self, key: &LicenseKey, instance: &InstanceId) -> Request {
        self.request("deactivate", key, Some(instance), None, &[])
    }

    fn read_activation(&self, body: &[u8], _key: &LicenseKey) -> Result<Activation, Error> {
        let answer = Answer::parse(body, "activation")?;
        let license = answer.license();
        let instance = answer
            .instance
            .ok_or_else(|| Error::invalid_response(Some(201), "activation: no instance"))?;
        Ok(Activation {
            id: InstanceId::new(instance.id)
                .map_err(|e| Error::invalid_response(Some(201), format!("instance id: {e}")))?,
            name: instance.name,
            created_at: unix_time(instance.created_at.as_deref()),
            holds_seat: true,
            license,
        })
    }

    fn read_validation(
        &self,
        _request: &Request,
        body: &[u8],
        _key: &LicenseKey,
    ) -> Result<Validation, Error> {
        let answer = Answer::parse(body, "validate")?;
        let verdict = answer.verdict.as_deref().unwrap_or_default();
        if !["valid", "invalid", "not_activated_here"].contains(&verdict) {
            return Err(Error::invalid_response(
                Some(200),
                format!("validate body: unknown verdict {verdict:?}"),
            ));
        }
        Ok(Validation {
            valid: verdict == "valid",
            license: Some(answer.license()),
            not_activated_here: verdict == "not_activated_here",
            activation_id: None,
        })
    }

    fn offline_keys(&self) -> Vec<PinnedKey> {
        self.pinned().unwrap_or_default()
    }

    fn seats(&self, key: &LicenseKey, fingerprint: &str) -> Option<Request> {
        Some(self.request("seats", key, None, Some(fingerprint), &[]))
    }

    fn read_seats(
        &self,
        body: &[u8],
        _key: &LicenseKey,
        _fingerprint: &str,
    ) -> Result<Vec<Seat>, Error> {
        let answer: SeatsBody =
            serde_json::from_slice(body).map_err(|e| unreadable("seats", &e))?;
        answer
            .seats
            .into_iter()
            .map(|s| {
                Ok(Seat {
                    id: InstanceId::new(s.id)
                        .map_err(|e| Error::invalid_response(Some(200), format!("seat id: {e}")))?,
                    name: s.name,
                    created_at: unix_time(s.created_at.as_deref()),
                    this_machine: s.this_machine,
                })
            })
            .collect()
    }

    fn verify(&self, received: &Received<'_>) -> Result<(), Error> {
        let signer = Signer {
            header: "keyseat-signature",
            keys: self.pinned()?,
            by_id: true,
        };
        signer.verify(received, jiff::Timestamp::now().as_second())?;
        let Some(echo) = received.echo else {
            return Ok(());
        };
        let said: Value = serde_json::from_slice(received.body)
            .map_err(|_| bad_signature("the signed answer is not JSON"))?;
        if said.get("request") != Some(echo) {
            return Err(bad_signature(
                "the answer is not to this request (another key, machine or nonce: replayed?)",
            ));
        }
        Ok(())
    }

    fn signs_answers(&self) -> bool {
        true
    }

    fn refusal(&self, status: u16, body: &[u8], key: &LicenseKey) -> Error {
        refusal_in_dodos_words(status, body, key, "the relay")
    }
}

#[cfg(test)]
mod tests;
