//! The text the offline files travel as (on a USB stick, by e-mail, pasted into a page):
//! a JSON object, base64, between `-----BEGIN KEYSEAT <KIND>-----` and `-----END …-----`
//! lines, wrapped at 64 characters, as PEM is.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// `value` as the armored text of `kind` (`MACHINE FILE`).
pub(crate) fn wrap<T: Serialize>(kind: &str, value: &T) -> String {
    // Serialising these structs cannot fail.
    let json = serde_json::to_vec(value).unwrap_or_default();
    let body = BASE64.encode(json);
    let mut text = format!("-----BEGIN KEYSEAT {kind}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END KEYSEAT {kind}-----\n"));
    text
}

/// The value the armored `text` of `kind` holds.
///
/// # Errors
/// [`crate::ErrorKind::InvalidInput`] for text that is not one, saying what it is not.
pub(crate) fn unwrap<T: DeserializeOwned>(kind: &str, text: &str) -> Result<T, Error> {
    let what = kind.to_ascii_lowercase();
    let not_one = || Error::invalid_input(format!("this is not a keyseat {what}"));
    let begin = format!("-----BEGIN KEYSEAT {kind}-----");
    let end = format!("-----END KEYSEAT {kind}-----");
    let start = text.find(&begin).ok_or_else(not_one)? + begin.len();
    let stop = text[start..].find(&end).ok_or_else(not_one)? + start;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let json = BASE64.decode(body).map_err(|_| not_one())?;
    serde_json::from_slice(&json).map_err(|e| {
        Error::invalid_input(format!("this {what} is damaged or of a newer kind: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_text() {
        let value = serde_json::json!({"a": "x".repeat(100)});
        let text = wrap("MACHINE FILE", &value);
        assert!(
            text.lines()
                .all(|l| l.len() <= 64 || l.starts_with("-----"))
        );
        let back: serde_json::Value = unwrap("MACHINE FILE", &text).unwrap();
        assert_eq!(back, value);
        // Pasted with CRLF line ends and surrounding text: still read.
        let pasted = format!("Dear customer,\r\n{}\r\nthanks", text.replace('\n', "\r\n"));
        assert_eq!(
            unwrap::<serde_json::Value>("MACHINE FILE", &pasted).unwrap(),
            value
        );
        assert!(unwrap::<serde_json::Value>("OFFLINE REQUEST", &text).is_err());
        assert!(unwrap::<serde_json::Value>("MACHINE FILE", "garbage").is_err());
        let broken = text.replacen("e", "!", 3);
        assert!(unwrap::<serde_json::Value>("MACHINE FILE", &broken).is_err());
    }
}
