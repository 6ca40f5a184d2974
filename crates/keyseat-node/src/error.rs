//! Failures as JavaScript `Error`s with a stable `code` property.
//!
//! The code is the core's [`keyseat::ErrorCode`] name, which is also the C ABI's constant
//! without its `KS_ERR_` prefix (`LIMIT_REACHED`, `NETWORK`, …). Node-API sets an error's
//! `code` property from the error's status string, so the code travels as that status.

use napi::bindgen_prelude::{Env, JsError};

/// An error code, as the status string of a napi error.
#[derive(Debug, Clone, Copy)]
pub struct Code(&'static str);

impl Code {
    /// A panic inside keyseat was caught (`KS_ERR_PANIC` in C).
    pub const PANIC: Code = Code("PANIC");
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// A failure that becomes a thrown or rejected JavaScript `Error` with `code` set.
pub type Failure = napi::Error<Code>;

/// The result of a binding that may fail.
pub type Outcome<T> = std::result::Result<T, Failure>;

/// The JavaScript failure of a core error. The core's error text never contains the key.
pub fn failure(e: &keyseat::Error) -> Failure {
    napi::Error::new(Code(e.code().name()), e.to_string())
}

/// An argument the caller got wrong.
pub fn invalid_input(msg: impl Into<String>) -> Failure {
    napi::Error::new(Code(keyseat::ErrorCode::InvalidInput.name()), msg.into())
}

/// A failure as a rejection value for a Promise settled on the JavaScript thread: the
/// error object is built here, with its code, and handed to napi as is.
pub fn rejection(env: Env, failure: Failure) -> napi::Error {
    let error = JsError::from(failure).into_unknown(env);
    napi::Error::from(error)
}
