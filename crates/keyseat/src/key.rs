//! The two identifiers every license call carries: the secret [`LicenseKey`] and the
//! non-secret [`InstanceId`] the server hands out on activation.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::Error;

/// The longest license key accepted, in bytes (after trimming).
pub const MAX_KEY_LEN: usize = 256;

/// A license key as the customer typed or pasted it.
///
/// Construction trims surrounding whitespace and rejects keys that are empty, longer than
/// [`MAX_KEY_LEN`] bytes or contain control characters. The key is a secret: its `Debug` and
/// `Display` show only a redacted form such as `****-8f43`, its memory is zeroed on drop, and
/// the only way to read it is [`LicenseKey::expose`], which this crate calls only to build a
/// request body or a MAC key.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseKey(Zeroizing<String>);

impl LicenseKey {
    /// Parses a key, trimming surrounding whitespace.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the trimmed key is empty, too long or holds a control
    /// character. The error text never contains the key.
    pub fn new(raw: &str) -> Result<Self, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid_input("the license key is empty"));
        }
        if trimmed.len() > MAX_KEY_LEN {
            return Err(Error::invalid_input(format!(
                "the license key is {} bytes long; at most {MAX_KEY_LEN} are accepted",
                trimmed.len()
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                "the license key contains a control character",
            ));
        }
        Ok(LicenseKey(Zeroizing::new(trimmed.to_owned())))
    }

    /// The key itself. Treat the result as a secret: never log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A form safe to show: `****-` followed by the last four characters, or just `****` for
    /// a key too short to reveal any of it.
    ///
    /// The key is not copied on the way (a copy would escape the zeroing on drop).
    pub fn redacted(&self) -> String {
        let key = self.expose();
        if key.chars().count() < 12 {
            return "****".to_owned();
        }
        let tail = key
            .char_indices()
            .rev()
            .nth(3)
            .map_or(key, |(at, _)| &key[at..]);
        ["****-", tail].concat()
    }

    /// Replaces every occurrence of this key in `text` with its redacted form, so that text
    /// from elsewhere (a server message, a proxy page) cannot carry the key into an error.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if text.contains(self.expose()) {
            text.replace(self.expose(), &self.redacted())
        } else {
            text.to_owned()
        }
    }
}

impl fmt::Debug for LicenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LicenseKey({})", self.redacted())
    }
}

impl fmt::Display for LicenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::str::FromStr for LicenseKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        LicenseKey::new(s)
    }
}

/// The ID of one activation of a key on one machine (`lki_…`), as returned by activate.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InstanceId(String);

impl InstanceId {
    /// Checks and wraps an instance ID: non-empty, at most 256 bytes, no control characters
    /// and no surrounding whitespace.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when the ID breaks one of those rules.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_KEY_LEN {
            return Err(Error::invalid_input(
                "an instance ID must be 1 to 256 bytes long",
            ));
        }
        if id.chars().any(char::is_control) || id.trim() != id {
            return Err(Error::invalid_input(
                "an instance ID must not contain control characters or surrounding spaces",
            ));
        }
        Ok(InstanceId(id))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InstanceId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        InstanceId::new(s)
    }
}

impl From<InstanceId> for String {
    fn from(id: InstanceId) -> String {
        id.0
    }
}

impl fmt::Debug for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstanceId({})", self.0)
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const KEY: &str = "2b1f8e2d-c41e-4e8f-b2d3-d9fd61c38f43";

    #[test]
    fn trims_surrounding_whitespace() {
        let k = LicenseKey::new(&format!("  {KEY}\n\t")).unwrap();
        assert_eq!(k.expose(), KEY);
    }

    #[test]
    fn rejects_empty_long_and_control() {
        for bad in ["", "   \n", "abc\u{7}def", "abc\0"] {
            let e = LicenseKey::new(bad).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{bad:?}");
        }
        let long = "k".repeat(MAX_KEY_LEN + 1);
        assert!(matches!(
            LicenseKey::new(&long).unwrap_err().kind(),
            ErrorKind::InvalidInput(_)
        ));
        assert!(LicenseKey::new(&"k".repeat(MAX_KEY_LEN)).is_ok());
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let k = LicenseKey::new(KEY).unwrap();
        let shown = format!("{k:?} {k} {:#?}", k);
        assert!(!shown.contains(KEY));
        assert!(!shown.contains("2b1f8e2d"));
        assert_eq!(k.redacted(), "****-8f43");
        assert_eq!(LicenseKey::new("short").unwrap().redacted(), "****");
        // The forms say what they are, not nothing.
        assert_eq!(format!("{k:?}"), "LicenseKey(****-8f43)");
        assert_eq!(format!("{k}"), "****-8f43");
        // A tail shows from 12 characters on, never below.
        assert_eq!(LicenseKey::new("ABCDEFGHIJK").unwrap().redacted(), "****");
        assert_eq!(
            LicenseKey::new("ABCDEFGHIJKL").unwrap().redacted(),
            "****-IJKL"
        );
        // Characters, not bytes: a tail of multi-byte characters is whole.
        assert_eq!(
            LicenseKey::new("ÄÖÜäöüßéèêëñ").unwrap().redacted(),
            "****-èêëñ"
        );
        assert_eq!(LicenseKey::new("ÄÖÜäöüßéèêë").unwrap().redacted(), "****");
    }

    #[test]
    fn scrub_removes_the_key() {
        let k = LicenseKey::new(KEY).unwrap();
        assert_eq!(k.scrub(&format!("bad key {KEY}!")), "bad key ****-8f43!");
    }

    #[test]
    fn error_text_never_echoes_input() {
        let long = format!("{KEY}{}", "x".repeat(300));
        let e = LicenseKey::new(&long).unwrap_err();
        assert!(!e.to_string().contains(KEY));
    }

    #[test]
    fn instance_id_rules() {
        assert!(InstanceId::new("lki_123").is_ok());
        assert!(InstanceId::new("").is_err());
        assert!(InstanceId::new(" lki").is_err());
        assert!(InstanceId::new("lki\n").is_err());
        let json: Result<InstanceId, _> = serde_json::from_str("\"\"");
        assert!(json.is_err());
        let id = InstanceId::new("lki_123").unwrap();
        assert_eq!(format!("{id} {id:?}"), "lki_123 InstanceId(lki_123)");
        assert_eq!(String::from(id.clone()), "lki_123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"lki_123\"");
    }

    mod hostile {
        use super::*;
        use crate::proptest_config::config;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_text_gives_a_key_or_a_typed_error(raw in any::<String>()) {
                match LicenseKey::new(&raw) {
                    Ok(k) => {
                        prop_assert_eq!(k.expose(), raw.trim());
                        prop_assert!(k.expose().len() <= MAX_KEY_LEN);
                        prop_assert!(!k.expose().chars().any(char::is_control));
                        if k.expose().chars().count() >= 12 {
                            let shown = format!("{k:?} {k}");
                            prop_assert!(!shown.contains(k.expose()));
                        }
                    }
                    Err(e) => {
                        prop_assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)));
                        let trimmed = raw.trim();
                        if trimmed.chars().count() >= 8 {
                            prop_assert!(!e.to_string().contains(trimmed));
                        }
                    }
                }
            }
        }
    }
}
