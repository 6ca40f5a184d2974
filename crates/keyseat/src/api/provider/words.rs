//! Refusals stated in words: Lemon Squeezy and Polar give no error codes, only a status and
//! a sentence, which are read into the one set of [`ApiCode`]s here.

use crate::error::ApiCode;

/// The code of a refusal that a provider states only in words (Lemon Squeezy, Polar): the
/// status first, then the message's well-known phrases.
pub(crate) fn code_from_words(status: u16, message: &str) -> Option<ApiCode> {
    let message = message.to_ascii_lowercase();
    let has = |phrase: &str| message.contains(phrase);
    Some(match status {
        429 => ApiCode::TooManyRequests,
        422 => ApiCode::InvalidRequestBody,
        s if s >= 500 => ApiCode::InternalServerError,
        _ if has("does not support activations") => ApiCode::ActivationsNotSupported,
        _ if has("activation limit") => ApiCode::LicenseKeyLimitReached,
        _ if has("disabled")
            || has("expired")
            || has("no longer active")
            || has("inactive")
            || has("revoked") =>
        {
            ApiCode::InactiveLicenseKey
        }
        _ if has("not found") => ApiCode::LicenseKeyNotFound,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_to_codes() {
        let code = |status, text| code_from_words(status, text);
        assert_eq!(
            code(400, "This license key has reached the activation limit."),
            Some(ApiCode::LicenseKeyLimitReached)
        );
        assert_eq!(
            code(403, "License key activation limit already reached"),
            Some(ApiCode::LicenseKeyLimitReached)
        );
        assert_eq!(
            code(
                403,
                "This license key does not support activations. Use /validate."
            ),
            Some(ApiCode::ActivationsNotSupported)
        );
        assert_eq!(
            code(404, "license_key not found."),
            Some(ApiCode::LicenseKeyNotFound)
        );
        assert_eq!(
            code(404, "License key has expired."),
            Some(ApiCode::InactiveLicenseKey)
        );
        assert_eq!(
            code(400, "This license key is disabled."),
            Some(ApiCode::InactiveLicenseKey)
        );
        assert_eq!(code(429, "slow down"), Some(ApiCode::TooManyRequests));
        assert_eq!(code(400, "something else"), None);
    }
}
