//! The one error type of the crate.
//!
//! [`Error`] carries an [`ErrorKind`]; match on the kind to decide what to do. The split that
//! matters most to an application is "the server said no" ([`Error::is_rejection`]) against
//! "we could not get an answer" ([`Error::is_unreachable`]): only the first may take a
//! license away. No error text ever contains the license key.

use std::fmt;
use std::path::PathBuf;

/// Something keyseat could not do: an [`ErrorKind`] to match on, and, for I/O, JSON and
/// TLS failures, the underlying error as [`std::error::Error::source`].
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    /// A sentence that goes after the kind's own text: what this machine knows that the
    /// server did not say (an activation whose answer was lost, when the limit is reached).
    note: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What went wrong. New kinds may be added in minor releases.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error status and its provider's error body.
    Api {
        /// HTTP status of the answer.
        status: u16,
        /// The refusal as a code: the provider's own (Dodo's), or the one keyseat reads from
        /// the provider's message (Lemon Squeezy, Polar).
        code: ApiCode,
        /// The provider's message, with the license key scrubbed out and the length bounded.
        message: String,
    },
    /// No answer: DNS failure, connection refused or reset, TLS failure, proxy failure.
    Network(String),
    /// The proxy refused the credentials given to it (HTTP 407 to the CONNECT request):
    /// nothing reached the license server, and asking again with the same credentials is
    /// pointless, so it is not retried.
    ProxyAuthentication(String),
    /// The server's certificate was not trusted (or the server refused the handshake): most
    /// often a proxy that inspects TLS with a company CA. Trust that CA with a CA file, or
    /// choose the system trust store (`api::TrustStore`).
    Certificate(String),
    /// The server did not answer within the configured time.
    Timeout,
    /// An answer's signature did not verify (Keygen, whose answers are signed): missing,
    /// forged or made with another key, a body changed after signing, a date more than
    /// five minutes from this machine's clock, or a validation nonce not echoed. Counted as
    /// no answer: it never confirms a license nor takes one away.
    BadSignature(String),
    /// An answer arrived but is not what the API describes: bad JSON, wrong shape, too
    /// large, truncated, or a non-JSON error page (for example from a proxy).
    InvalidResponse {
        /// HTTP status of the answer, when one was read.
        status: Option<u16>,
        /// What was wrong with it.
        detail: String,
    },
    /// The caller passed something unusable (an empty key, a malformed URL, …).
    InvalidInput(String),
    /// An activation request may or may not have been processed by the server (timeout after
    /// sending, connection lost before the answer, 5xx, unreadable success body). It was not
    /// retried, so that no second activation slot is spent. The activation may exist on the
    /// server; retrying spends another slot if it does.
    AmbiguousActivation(String),
    /// A file could not be read or written.
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's description.
        detail: String,
    },
    /// A file's JSON could not be written (the cache, the credentials file).
    Json {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The operating system's random number source failed.
    Random(String),
    /// The credential store (OS keychain or its file fallback) failed.
    KeyStorage(String),
    /// The operating system could not start a thread (for a watch).
    Thread(String),
    /// The operation needs an activation and this machine has none.
    NotActivated,
    /// This machine already holds a working activation of a different key; deactivate it
    /// first.
    AlreadyActivated {
        /// The redacted form of the key already active.
        active_key: String,
    },
    /// The key was sold for a product this app does not accept. The new activation was
    /// released on the server at once and nothing was stored.
    WrongProduct {
        /// The key's product, as the server reported it.
        product_id: String,
        /// Why releasing the activation failed, when it did: the slot may then still be
        /// held on the server.
        release_failed: Option<String>,
    },
    /// No trial can start: the OS credential store, which keeps the trial's second copy,
    /// cannot be read (a locked keychain, no Secret Service), so whether a trial ran here
    /// cannot be known. Unlock it, or let the app keep its files only
    /// (`KeyStorage::File`, where the trial has one copy by design).
    TrialUnavailable(String),
    /// The provider cannot do what was asked (list a key's seats: Dodo's, Lemon Squeezy's
    /// and Polar's public endpoints cannot): the message says what.
    Unsupported(String),
    /// The license data was written with a different vendor secret than this program was
    /// given, and nothing on this machine was written with this program's: a configuration
    /// error (two programs of one app must share the secret). The files are left as they are.
    VendorSecretMismatch {
        /// The cache file.
        path: PathBuf,
    },
}

/// Why a license server refused a request. The names are Dodo's error codes; the other
/// providers' refusals are mapped onto the same codes, so that an app branches the same way
/// whoever sold the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiCode {
    /// `LICENSE_KEY_LIMIT_REACHED`: every activation slot of the key is in use.
    LicenseKeyLimitReached,
    /// `INACTIVE_LICENSE_KEY`: the key is disabled or expired.
    InactiveLicenseKey,
    /// `LICENSE_KEY_NOT_FOUND`: the key, or the instance of the key, does not exist.
    LicenseKeyNotFound,
    /// `NOT_FOUND`: generic 404.
    NotFound,
    /// `INVALID_REQUEST_BODY`: the server could not read the request.
    InvalidRequestBody,
    /// `TOO_MANY_REQUESTS`: rate limited.
    TooManyRequests,
    /// `INTERNAL_SERVER_ERROR`: generic server failure.
    InternalServerError,
    /// `ACTIVATIONS_NOT_SUPPORTED` (keyseat's name): the key licenses by validation alone and
    /// has no activation slots (a Polar key whose benefit has no activations). The Licensor
    /// absorbs it; only [`crate::api::Client`] callers see it.
    ActivationsNotSupported,
    /// Any other code, as sent.
    Other(String),
}

/// The former name of [`ApiCode`], from when Dodo was the only provider.
#[deprecated(
    since = "0.2.0",
    note = "renamed ApiCode: the codes cover every provider"
)]
pub type DodoCode = ApiCode;

impl ApiCode {
    /// Maps the wire text to a code.
    pub fn parse(code: &str) -> ApiCode {
        match code {
            "LICENSE_KEY_LIMIT_REACHED" => ApiCode::LicenseKeyLimitReached,
            "INACTIVE_LICENSE_KEY" => ApiCode::InactiveLicenseKey,
            "LICENSE_KEY_NOT_FOUND" => ApiCode::LicenseKeyNotFound,
            "NOT_FOUND" => ApiCode::NotFound,
            "INVALID_REQUEST_BODY" => ApiCode::InvalidRequestBody,
            "TOO_MANY_REQUESTS" => ApiCode::TooManyRequests,
            "INTERNAL_SERVER_ERROR" => ApiCode::InternalServerError,
            "ACTIVATIONS_NOT_SUPPORTED" => ApiCode::ActivationsNotSupported,
            other => ApiCode::Other(other.to_owned()),
        }
    }

    /// The wire text of the code.
    pub fn as_str(&self) -> &str {
        match self {
            ApiCode::LicenseKeyLimitReached => "LICENSE_KEY_LIMIT_REACHED",
            ApiCode::InactiveLicenseKey => "INACTIVE_LICENSE_KEY",
            ApiCode::LicenseKeyNotFound => "LICENSE_KEY_NOT_FOUND",
            ApiCode::NotFound => "NOT_FOUND",
            ApiCode::InvalidRequestBody => "INVALID_REQUEST_BODY",
            ApiCode::TooManyRequests => "TOO_MANY_REQUESTS",
            ApiCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ApiCode::ActivationsNotSupported => "ACTIVATIONS_NOT_SUPPORTED",
            ApiCode::Other(s) => s,
        }
    }
}

impl fmt::Display for ApiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// Wraps a kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error {
            kind,
            note: None,
            source: None,
        }
    }

    /// The same error, with `note` said after it.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Error {
        self.note = Some(note.into());
        self
    }

    /// What this machine adds to the error, when anything: for a refusal for the activation
    /// limit, the name of an activation whose answer was lost and that may hold a seat.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The same error, with `source` as its cause.
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The HTTP status, when the server answered.
    pub fn http_status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Api { status, .. } => Some(*status),
            ErrorKind::InvalidResponse { status, .. } => *status,
            _ => None,
        }
    }

    /// The refusal's code, when the server refused.
    pub fn api_code(&self) -> Option<&ApiCode> {
        match &self.kind {
            ErrorKind::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The former name of [`Error::api_code`].
    #[deprecated(
        since = "0.2.0",
        note = "renamed api_code: the codes cover every provider"
    )]
    pub fn dodo_code(&self) -> Option<&ApiCode> {
        self.api_code()
    }

    /// True when the server gave a definite "no" to this request: an error status in the
    /// 4xx range other than 408 (timeout) and 429 (rate limit), with the provider's error
    /// body.
    pub fn is_rejection(&self) -> bool {
        matches!(&self.kind, ErrorKind::Api { status, .. }
            if (400..500).contains(status) && *status != 408 && *status != 429)
    }

    /// True when no usable answer came back: network failure, timeout, an ambiguous
    /// activation, a server error (5xx, 408, 429) or an unreadable answer. Such errors must not
    /// take a license away.
    pub fn is_unreachable(&self) -> bool {
        match &self.kind {
            ErrorKind::Network(_)
            | ErrorKind::Certificate(_)
            | ErrorKind::ProxyAuthentication(_)
            | ErrorKind::Timeout
            | ErrorKind::BadSignature(_)
            | ErrorKind::AmbiguousActivation(_)
            | ErrorKind::InvalidResponse { .. } => true,
            ErrorKind::Api { .. } => !self.is_rejection(),
            _ => false,
        }
    }

    pub(crate) fn invalid_input(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput(msg.into()))
    }

    pub(crate) fn invalid_response(status: Option<u16>, detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidResponse {
            status,
            detail: detail.into(),
        })
    }

    pub(crate) fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Io {
            path: path.into(),
            detail: err.to_string(),
        })
        .with_source(err)
    }

    pub(crate) fn json(path: impl Into<PathBuf>, err: serde_json::Error) -> Error {
        Error::new(ErrorKind::Json {
            path: path.into(),
            detail: err.to_string(),
        })
        .with_source(err)
    }

    pub(crate) fn key_storage(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::KeyStorage(msg.into()))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        match &self.note {
            Some(note) => write!(f, "; {note}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Api {
                status,
                code,
                message,
            } => write!(
                f,
                "license server refused the request (HTTP {status}, {code}): {message}"
            ),
            ErrorKind::Network(detail) => {
                write!(f, "could not reach the license server: {detail}")
            }
            ErrorKind::ProxyAuthentication(detail) => write!(
                f,
                "the proxy refused the credentials ({detail}): check the user name and \
                 password in the proxy URL (HTTPS_PROXY)"
            ),
            ErrorKind::Certificate(detail) => write!(
                f,
                "the license server's certificate is not trusted ({detail}); a proxy that \
                 inspects TLS needs its CA trusted through a CA file"
            ),
            ErrorKind::Timeout => f.write_str("the license server did not answer in time"),
            ErrorKind::BadSignature(detail) => write!(
                f,
                "the license server's answer is not signed as it must be ({detail}); it was \
                 ignored, as if no answer had come"
            ),
            ErrorKind::InvalidResponse {
                status: Some(status),
                detail,
            } => write!(
                f,
                "unusable answer from the license server (HTTP {status}): {detail}"
            ),
            ErrorKind::InvalidResponse {
                status: None,
                detail,
            } => write!(f, "unusable answer from the license server: {detail}"),
            ErrorKind::InvalidInput(msg) => write!(f, "invalid input: {msg}"),
            ErrorKind::AmbiguousActivation(detail) => write!(
                f,
                "the activation may or may not have been recorded by the license server \
                 ({detail}); it was not retried so that no second activation slot is spent"
            ),
            ErrorKind::Io { path, detail } => write!(f, "{}: {detail}", path.display()),
            ErrorKind::Json { path, detail } => write!(f, "{}: {detail}", path.display()),
            ErrorKind::Random(msg) => {
                write!(f, "the operating system's random source failed: {msg}")
            }
            ErrorKind::KeyStorage(msg) => write!(f, "credential storage failed: {msg}"),
            ErrorKind::Thread(msg) => write!(f, "could not start a thread: {msg}"),
            ErrorKind::NotActivated => f.write_str("this machine holds no activation"),
            ErrorKind::AlreadyActivated { active_key } => write!(
                f,
                "this machine already holds a working activation of key {active_key}; \
                 deactivate it first"
            ),
            ErrorKind::WrongProduct {
                product_id,
                release_failed: None,
            } => write!(
                f,
                "the key belongs to a different product ({product_id}) than this app; the \
                 activation was released again"
            ),
            ErrorKind::WrongProduct {
                product_id,
                release_failed: Some(why),
            } => write!(
                f,
                "the key belongs to a different product ({product_id}) than this app, and \
                 releasing the activation failed ({why}): the activation slot may still be held"
            ),
            ErrorKind::TrialUnavailable(why) => write!(
                f,
                "no trial can start: the OS credential store, which keeps a copy of the \
                 trial, cannot be read ({why})"
            ),
            ErrorKind::Unsupported(what) => write!(f, "not supported: {what}"),
            ErrorKind::VendorSecretMismatch { path } => write!(
                f,
                "{} was written with a different vendor secret than this program's: give \
                 every program of the app the same vendor secret",
                path.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::new(ErrorKind::Api {
            status,
            code: ApiCode::parse("X"),
            message: "m".into(),
        })
    }

    #[test]
    fn rejection_and_unreachable_are_exclusive() {
        assert!(api(403).is_rejection());
        assert!(api(422).is_rejection());
        assert!(!api(429).is_rejection() && api(429).is_unreachable());
        assert!(!api(408).is_rejection() && api(408).is_unreachable());
        assert!(!api(500).is_rejection() && api(500).is_unreachable());
        let timeout = Error::new(ErrorKind::Timeout);
        assert!(timeout.is_unreachable() && !timeout.is_rejection());
        let input = Error::invalid_input("x");
        assert!(!input.is_unreachable() && !input.is_rejection());
    }

    #[test]
    fn codes_round_trip() {
        for code in [
            "LICENSE_KEY_LIMIT_REACHED",
            "INACTIVE_LICENSE_KEY",
            "LICENSE_KEY_NOT_FOUND",
            "NOT_FOUND",
            "INVALID_REQUEST_BODY",
            "TOO_MANY_REQUESTS",
            "INTERNAL_SERVER_ERROR",
            "ACTIVATIONS_NOT_SUPPORTED",
            "SOMETHING_NEW",
        ] {
            assert_eq!(ApiCode::parse(code).as_str(), code);
        }
        assert_eq!(
            ApiCode::parse("SOMETHING_NEW"),
            ApiCode::Other("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn io_and_json_errors_keep_their_cause() {
        use std::error::Error as _;
        let io = Error::io(
            "/x",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert!(matches!(io.kind(), ErrorKind::Io { .. }));
        let cause = io.source().expect("a source");
        assert_eq!(
            cause.downcast_ref::<std::io::Error>().map(|e| e.kind()),
            Some(std::io::ErrorKind::NotFound)
        );
        let bad = serde_json::from_str::<u8>("x").unwrap_err();
        let json = Error::json("/y", bad);
        assert!(matches!(json.kind(), ErrorKind::Json { .. }));
        assert!(json.source().unwrap().is::<serde_json::Error>());
        assert!(Error::new(ErrorKind::Timeout).source().is_none());
    }

    #[test]
    fn display_names_status_and_code() {
        let e = Error::new(ErrorKind::Api {
            status: 422,
            code: ApiCode::LicenseKeyLimitReached,
            message: "License key activation limit reached".into(),
        });
        let s = e.to_string();
        assert!(
            s.contains("422") && s.contains("LICENSE_KEY_LIMIT_REACHED"),
            "{s}"
        );
    }
}
