//! The credentials: what an activation leaves behind (the secret key, and what is needed to
//! rebuild the cache without another activation), sealed with a MAC.
//!
//! They are one JSON object, in the OS credential store or `credentials.json`:
//!
//! ```json
//! {"key":"…","instance_id":"lki_…",…,"secret_id":"<16 hex>","mac":"<64 hex>"}
//! ```
//!
//! - The fields are the ones earlier releases wrote, so an earlier release still reads sealed
//!   credentials (it ignores `secret_id` and `mac`).
//! - `mac` is HMAC-SHA256 over the canonical JSON of every field but `mac` and `secret_id`
//!   (object keys sorted at every level, no whitespace, so that any field, a future one
//!   included, is covered whatever order a writer used), keyed by a hash of the vendor secret
//!   and the machine-ID component of the fingerprint recorded in them: editing a field, or
//!   writing credentials by hand, breaks it; copying them to another machine keeps it, and
//!   fails the fingerprint comparison instead.
//! - `secret_id` names the vendor secret they were sealed with, as in the cache. It is read
//!   only after the MAC has failed under the reader's secret, as a hint that another
//!   program's secret sealed them.
//! - Credentials with no `mac` were written by a release before the seal ([`Opened::Legacy`]):
//!   the Licensor trusts them once, only beside a genuine cache of this machine that agrees
//!   with them, and seals them then.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::fingerprint::Components;
use crate::key::{InstanceId, LicenseKey};
use crate::mac::{secret_id, verifies};
use crate::persisted::CREDENTIALS_MAC_LABEL;

/// What an activation leaves behind.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Credentials {
    #[serde(with = "key_serde")]
    pub key: LicenseKey,
    /// The activation's id; for a key that holds no seat, the license key's id.
    pub instance_id: InstanceId,
    pub license_key_id: String,
    pub product_id: String,
    #[serde(default)]
    pub product_name: Option<String>,
    /// The instance name the server recorded (absent in credentials of releases before 0.2).
    #[serde(default)]
    pub instance_name: Option<String>,
    /// Always present before 0.2 (Dodo always gives one); Polar may not.
    #[serde(default)]
    pub customer_email: Option<String>,
    #[serde(default)]
    pub activated_at: Option<i64>,
    /// The fingerprint at activation, so a rebuilt cache stays bound to this machine.
    pub fingerprint: Components,
    /// Who sold the key: `dodo`, `lemonsqueezy`, `polar`, `keygen`. Absent before 0.2: Dodo.
    #[serde(default)]
    pub provider: Option<String>,
    /// The seller's account as the server reported it (Dodo business, Lemon Squeezy store,
    /// Polar organization). Absent before 0.2.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The Lemon Squeezy variant.
    #[serde(default)]
    pub variant_id: Option<String>,
    /// False for a key that licenses by validation alone (no seat to free). Absent before
    /// 0.2: every activation then held a seat.
    #[serde(default = "holds_seat_before_0_2")]
    pub holds_seat: bool,
    /// When the key stops working, as the server said at activation.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The key's activation limit, as the server said at activation.
    #[serde(default)]
    pub activation_limit: Option<u32>,
    /// Whether the key is a test-mode key, as the server said at activation.
    #[serde(default)]
    pub test_mode: Option<bool>,
    /// An activation by a relay's machine file ([`crate::offline`]): it licenses this
    /// machine until then (Unix seconds), with no network. Absent for online activations,
    /// whose credentials keep the shape (and MAC) they always had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_until: Option<i64>,
    /// The machine file's removal token, which proves to the relay that the offline
    /// activation was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_token: Option<String>,
}

fn holds_seat_before_0_2() -> bool {
    true
}

/// The provider of credentials that name none: every release before 0.2 spoke only to Dodo.
const DEFAULT_PROVIDER: &str = "dodo";

impl Credentials {
    /// The provider that sold the key.
    pub fn provider_name(&self) -> &str {
        self.provider.as_deref().unwrap_or(DEFAULT_PROVIDER)
    }

    /// The activation to name to the server: none for a key that holds no seat.
    pub fn seat(&self) -> Option<&InstanceId> {
        self.holds_seat.then_some(&self.instance_id)
    }
}

mod key_serde {
    use crate::key::LicenseKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &LicenseKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(k.expose())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<LicenseKey, D::Error> {
        let s = zeroize::Zeroizing::new(String::deserialize(d)?);
        LicenseKey::new(&s).map_err(|_| serde::de::Error::custom("stored license key is invalid"))
    }
}

/// Stored credentials, as read.
#[derive(Clone)]
pub(crate) enum Opened {
    /// Sealed with the reader's vendor secret, and unchanged since: trusted.
    Sealed(Arc<Credentials>),
    /// Written by a release before the seal: trusted only beside a genuine cache that agrees.
    Legacy(Arc<Credentials>),
    /// Not credentials this app wrote: never a license. What they claim, when they parse,
    /// only to look for other evidence of the reader's secret (a genuine cache of that key).
    Damaged(Damage, Option<Arc<Credentials>>),
}

/// Why stored credentials are not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Damage {
    /// Not JSON, or not credentials.
    Unreadable,
    /// The MAC fails under the reader's secret: edited, or written by hand.
    BadMac,
    /// The MAC fails, and the credentials name another vendor secret than the reader's:
    /// sealed by a program with another secret, or forged with a made-up id.
    OtherSecret,
}

/// The two fields the seal adds.
const MAC_FIELD: &str = "mac";
const SECRET_ID_FIELD: &str = "secret_id";

/// Seals `creds` with `vendor_secret`: their JSON, with `secret_id` and `mac`.
pub(crate) fn seal(
    creds: &Credentials,
    vendor_secret: &[u8],
) -> Result<Zeroizing<String>, serde_json::Error> {
    let mut value = serde_json::to_value(creds)?;
    let mac = crate::mac::to_hex(mac(vendor_secret, &creds.fingerprint, &value));
    if let Value::Object(fields) = &mut value {
        fields.insert(SECRET_ID_FIELD.into(), secret_id(vendor_secret).into());
        fields.insert(MAC_FIELD.into(), mac.into());
    }
    let text = Zeroizing::new(serde_json::to_string(&value)?);
    wipe(&mut value);
    Ok(text)
}

/// Reads stored credentials and checks their seal. Never panics, whatever the bytes.
pub(crate) fn open(bytes: &[u8], vendor_secret: &[u8]) -> Opened {
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
        return Opened::Damaged(Damage::Unreadable, None);
    };
    let opened = open_value(&mut value, vendor_secret);
    wipe(&mut value);
    opened
}

fn open_value(value: &mut Value, vendor_secret: &[u8]) -> Opened {
    let Value::Object(fields) = value else {
        return Opened::Damaged(Damage::Unreadable, None);
    };
    let mac_field = fields.remove(MAC_FIELD);
    let named_secret = fields.remove(SECRET_ID_FIELD);
    let Ok(creds) = Credentials::deserialize(&*value) else {
        return Opened::Damaged(Damage::Unreadable, None);
    };
    let creds = Arc::new(creds);
    let Some(mac_field) = mac_field else {
        return if named_secret.is_none() {
            Opened::Legacy(creds)
        } else {
            Opened::Damaged(Damage::BadMac, Some(creds))
        };
    };
    let genuine = mac_field
        .as_str()
        .is_some_and(|given| verifies(mac(vendor_secret, &creds.fingerprint, value), given));
    if genuine {
        return Opened::Sealed(creds);
    }
    let ours = secret_id(vendor_secret);
    let damage = match named_secret.as_ref().and_then(Value::as_str) {
        Some(id) if id != ours => Damage::OtherSecret,
        _ => Damage::BadMac,
    };
    Opened::Damaged(damage, Some(creds))
}

/// The MAC of credentials' JSON `value` (without `mac` and `secret_id`) of the machine `fp`,
/// ready to finalise or verify.
fn mac(vendor_secret: &[u8], fp: &Components, value: &Value) -> Hmac<Sha256> {
    let machine = fp.machine_id.to_hex();
    let mut m = crate::mac::keyed(CREDENTIALS_MAC_LABEL, &[vendor_secret, machine.as_bytes()]);
    let mut canonical = Zeroizing::new(Vec::new());
    write_canonical(value, &mut canonical);
    m.update(&canonical);
    m
}

/// JSON with the keys of every object sorted and no whitespace: the same bytes for the same
/// fields, whatever order they were written in.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            out.push(b'{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(name.clone()), out);
                out.push(b':');
                write_canonical(&fields[name], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a string, number, bool or null into a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}

/// Zeroes every string of `value` (the key is one of them).
fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(fields) => fields.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fingerprint::{Confidence, Fingerprint, RawComponents};
    use serde_json::json;

    pub(crate) const KEY: &str = "CREDS-TEST-KEY-0123456789";

    pub(crate) fn machine(name: &str) -> Fingerprint {
        let raw = RawComponents {
            machine_id: format!("{name}-id"),
            hostname: Some(name.into()),
            os: Some("TestOS 1".into()),
            cpu: Some("cpu".into()),
            ram_gib: Some(8),
            mac: None,
        };
        Fingerprint::from_raw("credentials-tests", &raw, Confidence::High)
    }

    pub(crate) fn creds() -> Credentials {
        Credentials {
            key: LicenseKey::new(KEY).unwrap(),
            instance_id: InstanceId::new("lki_1").unwrap(),
            license_key_id: "lic_1".into(),
            product_id: "pdt_1".into(),
            product_name: Some("App".into()),
            instance_name: Some("laptop".into()),
            customer_email: Some("ada@example.com".into()),
            activated_at: Some(1_800_000_000),
            fingerprint: machine("a").components().clone(),
            provider: Some("lemonsqueezy".into()),
            account_id: Some("7".into()),
            variant_id: Some("5".into()),
            holds_seat: true,
            expires_at: None,
            activation_limit: Some(2),
            test_mode: None,
            offline_until: None,
            removal_token: None,
        }
    }

    fn sealed(secret: &[u8]) -> String {
        seal(&creds(), secret).unwrap().to_string()
    }

    fn is_sealed(o: &Opened) -> bool {
        matches!(o, Opened::Sealed(c) if c.instance_id.as_str() == "lki_1" && c.key.expose() == KEY)
    }

    fn damage(o: Opened) -> Option<Damage> {
        match o {
            Opened::Damaged(d, _) => Some(d),
            _ => None,
        }
    }

    #[test]
    fn sealed_credentials_open_and_keep_the_fields_earlier_releases_read() {
        let text = sealed(b"a vendor secret of 16+ bytes");
        assert!(is_sealed(&open(
            text.as_bytes(),
            b"a vendor secret of 16+ bytes"
        )));
        // An earlier release reads the same object, ignoring the seal's two fields.
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["key"], KEY);
        assert_eq!(v["holds_seat"], true);
        assert_eq!(v["secret_id"].as_str().unwrap().len(), 16);
        assert_eq!(v["mac"].as_str().unwrap().len(), 64);
        assert!(Credentials::deserialize(&v).is_ok());
    }

    #[test]
    fn every_edited_field_breaks_the_seal() {
        let secret = b"a vendor secret of 16+ bytes";
        let text = sealed(secret);
        let v: Value = serde_json::from_str(&text).unwrap();
        let fields: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        for field in fields.iter().filter(|f| *f != "mac" && *f != "secret_id") {
            let mut edited = v.clone();
            edited[field.as_str()] = match &v[field.as_str()] {
                Value::Bool(b) => Value::Bool(!b),
                Value::Number(n) => (n.as_i64().unwrap_or(0) + 1).into(),
                Value::Null => [Value::from(1), "x".into(), true.into()]
                    .into_iter()
                    .find(|candidate| {
                        let mut e = v.clone();
                        e[field.as_str()] = candidate.clone();
                        Credentials::deserialize(&e).is_ok()
                    })
                    .unwrap(),
                Value::String(s) if s.len() == 64 => s.replace(&s[..1], "f").into(),
                Value::String(s) => format!("{s}x").into(),
                Value::Object(o) => {
                    let mut o = o.clone();
                    o.insert("ram".into(), "0".repeat(64).into());
                    Value::Object(o)
                }
                Value::Array(_) => Value::Null,
            };
            let bytes = serde_json::to_vec(&edited).unwrap();
            assert_eq!(
                damage(open(&bytes, secret)),
                Some(Damage::BadMac),
                "{field}"
            );
        }
        // A field added by hand is covered too.
        let mut added = v.clone();
        added["holds_seat_override"] = true.into();
        assert_eq!(
            damage(open(&serde_json::to_vec(&added).unwrap(), secret)),
            Some(Damage::BadMac)
        );
        // The order of the fields is not part of the seal.
        let mut reordered = serde_json::Map::new();
        for (k, val) in v.as_object().unwrap().iter().rev() {
            reordered.insert(k.clone(), val.clone());
        }
        let pretty = serde_json::to_vec_pretty(&Value::Object(reordered)).unwrap();
        assert!(is_sealed(&open(&pretty, secret)));
    }

    #[test]
    fn no_mac_is_legacy_and_a_dropped_mac_with_its_id_is_not() {
        let secret = b"a vendor secret of 16+ bytes";
        let mut v: Value = serde_json::from_str(&sealed(secret)).unwrap();
        v.as_object_mut().unwrap().remove("mac");
        // The seal's id without its MAC: someone removed the MAC, not an old release.
        let bytes = serde_json::to_vec(&v).unwrap();
        assert_eq!(damage(open(&bytes, secret)), Some(Damage::BadMac));
        v.as_object_mut().unwrap().remove("secret_id");
        let bytes = serde_json::to_vec(&v).unwrap();
        assert!(matches!(open(&bytes, secret), Opened::Legacy(c) if c.product_id == "pdt_1"));
    }

    #[test]
    fn another_secret_is_named_only_after_the_mac_fails() {
        let text = sealed(b"the other program's secret");
        assert_eq!(
            damage(open(text.as_bytes(), b"a vendor secret of 16+ bytes")),
            Some(Damage::OtherSecret)
        );
        // A genuine seal with its id edited is still genuine: the id is only a hint.
        let ours = b"a vendor secret of 16+ bytes";
        let mut v: Value = serde_json::from_str(&sealed(ours)).unwrap();
        v["secret_id"] = "0123456789abcdef".into();
        assert!(is_sealed(&open(&serde_json::to_vec(&v).unwrap(), ours)));
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        for bad in [
            &b""[..],
            b"{",
            b"null",
            b"[]",
            b"{\"key\":1}",
            &[0xff, 0xfe],
        ] {
            assert_eq!(damage(open(bad, b"s")), Some(Damage::Unreadable));
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v: Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":"\u00e9"},[2,3]],"a":null}"#).unwrap();
        let mut out = Vec::new();
        write_canonical(&v, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":null,"b":[{"a":"é","z":1},[2,3]]}"#
        );
    }

    #[test]
    fn wiping_empties_every_string_at_every_level() {
        let mut v = json!({"key": "SECRET", "list": ["SECRET", {"deep": "SECRET"}], "n": 1});
        wipe(&mut v);
        assert_eq!(v, json!({"key": "", "list": ["", {"deep": ""}], "n": 1}));
    }

    #[test]
    fn credentials_of_releases_before_0_2_held_a_seat_and_were_dodos() {
        let mut v = serde_json::to_value(creds()).unwrap();
        let fields = v.as_object_mut().unwrap();
        for newer in ["holds_seat", "provider", "account_id", "variant_id"] {
            fields.remove(newer);
        }
        let old = Credentials::deserialize(&v).unwrap();
        assert!(old.holds_seat);
        assert_eq!(old.provider_name(), "dodo");
        assert_eq!(old.seat().map(InstanceId::as_str), Some("lki_1"));
    }

    mod hostile {
        use super::*;
        use crate::proptest_config::{config, mutated};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                prop_assert!(!matches!(open(&bytes, b"s"), Opened::Sealed(_)));
            }

            #[test]
            fn edited_credentials_never_open_as_other_credentials(bytes in mutated(sealed(b"s").into_bytes())) {
                if let Opened::Sealed(c) = open(&bytes, b"s") {
                    let again = seal(&c, b"s").unwrap();
                    let first = sealed(b"s");
                    prop_assert_eq!(again.as_str(), first.as_str());
                }
            }
        }
    }
}
