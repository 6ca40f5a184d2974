//! The stable error codes that bindings hand to other languages.
//!
//! [`ErrorKind`] is rich and grows; a C, JavaScript or Python caller needs a short, fixed
//! name to branch on. [`Error::code`] maps every kind to one [`ErrorCode`] in one place, so
//! that the C ABI's `KS_ERR_*` numbers, the Node package's `err.code` and the Python
//! package's `LicenseError.code` always agree.

use crate::error::{ApiCode, Error, ErrorKind};

/// A failure as a stable code. The names ([`ErrorCode::name`]) never change meaning once
/// released; new codes may be added in minor releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The caller passed something unusable.
    InvalidInput,
    /// The license server could not be reached.
    Network,
    /// The license server did not answer in time.
    Timeout,
    /// The server refused the request with a Dodo code that has no code of its own here.
    Api,
    /// The server's answer was unusable.
    InvalidResponse,
    /// The activation may or may not have been recorded; it was not retried.
    AmbiguousActivation,
    /// A file could not be read or written.
    Io,
    /// The credential store failed.
    KeyStorage,
    /// There is no activation on this machine.
    NotActivated,
    /// Another key is already active here.
    AlreadyActivated,
    /// Every activation slot of the key is in use.
    LimitReached,
    /// The key is disabled or expired.
    InactiveKey,
    /// Unknown key or instance.
    KeyNotFound,
    /// Rate limited.
    RateLimited,
    /// The key was sold for a product this app does not accept.
    WrongProduct,
    /// The server's certificate is not trusted.
    Certificate,
    /// The cache was written with another vendor secret.
    VendorSecretMismatch,
    /// The operating system could not start a thread.
    Thread,
    /// An answer's signature did not verify (Keygen); counted as no answer.
    BadSignature,
    /// No trial can start while the OS credential store cannot be read.
    TrialUnavailable,
    /// The provider cannot do what was asked (list seats, say).
    Unsupported,
    /// Anything else (the operating system's random source failed); see the message.
    Other,
}

impl ErrorCode {
    /// The code's name: the C constant without its `KS_ERR_` prefix (`LIMIT_REACHED`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::Network => "NETWORK",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Api => "API",
            ErrorCode::InvalidResponse => "INVALID_RESPONSE",
            ErrorCode::AmbiguousActivation => "AMBIGUOUS_ACTIVATION",
            ErrorCode::Io => "IO",
            ErrorCode::KeyStorage => "KEY_STORAGE",
            ErrorCode::NotActivated => "NOT_ACTIVATED",
            ErrorCode::AlreadyActivated => "ALREADY_ACTIVATED",
            ErrorCode::LimitReached => "LIMIT_REACHED",
            ErrorCode::InactiveKey => "INACTIVE_KEY",
            ErrorCode::KeyNotFound => "KEY_NOT_FOUND",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::WrongProduct => "WRONG_PRODUCT",
            ErrorCode::Certificate => "CERTIFICATE",
            ErrorCode::VendorSecretMismatch => "VENDOR_SECRET_MISMATCH",
            ErrorCode::Thread => "THREAD",
            ErrorCode::BadSignature => "BAD_SIGNATURE",
            ErrorCode::TrialUnavailable => "TRIAL_UNAVAILABLE",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::Other => "OTHER",
        }
    }
}

impl Error {
    /// The stable code of this error. Dodo's well-known refusals get their own codes
    /// whatever the HTTP status; other refusals are [`ErrorCode::Api`].
    pub fn code(&self) -> ErrorCode {
        match (self.kind(), self.api_code()) {
            (_, Some(ApiCode::LicenseKeyLimitReached)) => ErrorCode::LimitReached,
            (_, Some(ApiCode::InactiveLicenseKey)) => ErrorCode::InactiveKey,
            (_, Some(ApiCode::LicenseKeyNotFound | ApiCode::NotFound)) => ErrorCode::KeyNotFound,
            (_, Some(ApiCode::TooManyRequests)) => ErrorCode::RateLimited,
            (ErrorKind::Api { .. }, _) => ErrorCode::Api,
            (ErrorKind::Network(_) | ErrorKind::ProxyAuthentication(_), _) => ErrorCode::Network,
            (ErrorKind::Certificate(_), _) => ErrorCode::Certificate,
            (ErrorKind::Timeout, _) => ErrorCode::Timeout,
            (ErrorKind::BadSignature(_), _) => ErrorCode::BadSignature,
            (ErrorKind::InvalidResponse { .. }, _) => ErrorCode::InvalidResponse,
            (ErrorKind::InvalidInput(_), _) => ErrorCode::InvalidInput,
            (ErrorKind::AmbiguousActivation(_), _) => ErrorCode::AmbiguousActivation,
            (ErrorKind::Io { .. } | ErrorKind::Json { .. }, _) => ErrorCode::Io,
            (ErrorKind::KeyStorage(_), _) => ErrorCode::KeyStorage,
            (ErrorKind::Thread(_), _) => ErrorCode::Thread,
            (ErrorKind::NotActivated, _) => ErrorCode::NotActivated,
            (ErrorKind::AlreadyActivated { .. }, _) => ErrorCode::AlreadyActivated,
            (ErrorKind::WrongProduct { .. }, _) => ErrorCode::WrongProduct,
            (ErrorKind::VendorSecretMismatch { .. }, _) => ErrorCode::VendorSecretMismatch,
            (ErrorKind::TrialUnavailable(_), _) => ErrorCode::TrialUnavailable,
            (ErrorKind::Unsupported(_), _) => ErrorCode::Unsupported,
            (ErrorKind::Random(_), _) => ErrorCode::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> Error {
        Error::new(ErrorKind::Api {
            status,
            code: ApiCode::parse(code),
            message: String::new(),
        })
    }

    #[test]
    fn dodo_refusals_get_their_own_codes() {
        assert_eq!(
            api(403, "LICENSE_KEY_LIMIT_REACHED").code(),
            ErrorCode::LimitReached
        );
        assert_eq!(
            api(403, "INACTIVE_LICENSE_KEY").code(),
            ErrorCode::InactiveKey
        );
        assert_eq!(
            api(404, "LICENSE_KEY_NOT_FOUND").code(),
            ErrorCode::KeyNotFound
        );
        assert_eq!(api(404, "NOT_FOUND").code(), ErrorCode::KeyNotFound);
        assert_eq!(api(429, "TOO_MANY_REQUESTS").code(), ErrorCode::RateLimited);
        assert_eq!(api(422, "SOMETHING_NEW").code(), ErrorCode::Api);
    }

    #[test]
    fn kinds_map_to_their_codes() {
        let cases = [
            (ErrorKind::Network("x".into()), "NETWORK"),
            (ErrorKind::Certificate("x".into()), "CERTIFICATE"),
            (ErrorKind::ProxyAuthentication("x".into()), "NETWORK"),
            (ErrorKind::Timeout, "TIMEOUT"),
            (
                ErrorKind::InvalidResponse {
                    status: None,
                    detail: "x".into(),
                },
                "INVALID_RESPONSE",
            ),
            (ErrorKind::InvalidInput("x".into()), "INVALID_INPUT"),
            (
                ErrorKind::AmbiguousActivation("x".into()),
                "AMBIGUOUS_ACTIVATION",
            ),
            (
                ErrorKind::Io {
                    path: "p".into(),
                    detail: "x".into(),
                },
                "IO",
            ),
            (
                ErrorKind::Json {
                    path: "p".into(),
                    detail: "x".into(),
                },
                "IO",
            ),
            (ErrorKind::Random("x".into()), "OTHER"),
            (ErrorKind::KeyStorage("x".into()), "KEY_STORAGE"),
            (ErrorKind::Thread("x".into()), "THREAD"),
            (ErrorKind::BadSignature("x".into()), "BAD_SIGNATURE"),
            (ErrorKind::TrialUnavailable("x".into()), "TRIAL_UNAVAILABLE"),
            (ErrorKind::Unsupported("x".into()), "UNSUPPORTED"),
            (ErrorKind::NotActivated, "NOT_ACTIVATED"),
            (
                ErrorKind::AlreadyActivated {
                    active_key: "****".into(),
                },
                "ALREADY_ACTIVATED",
            ),
            (
                ErrorKind::WrongProduct {
                    product_id: "p".into(),
                    release_failed: None,
                },
                "WRONG_PRODUCT",
            ),
            (
                ErrorKind::VendorSecretMismatch { path: "p".into() },
                "VENDOR_SECRET_MISMATCH",
            ),
        ];
        for (kind, name) in cases {
            let label = format!("{kind:?}");
            assert_eq!(Error::new(kind).code().name(), name, "{label}");
        }
    }
}
