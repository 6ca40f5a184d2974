//! The one error type of the xtask: what failed, with its cause, for a person to read.

use std::fmt;

/// A failed step, as a sentence, with the causes after it.
#[derive(Debug)]
pub struct Error(String);

/// The xtask's result.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error saying `what`.
    pub fn new(what: impl Into<String>) -> Error {
        Error(what.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Adds what was being done to an error, as `anyhow::Context` does.
pub trait Context<T> {
    /// The error, prefixed with `what` was being done.
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error(format!("{what}: {e}")))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.ok_or_else(|| Error(format!("{what}: missing")))
    }
}

/// Returns early with an [`Error`] made from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_puts_the_step_first() {
        let r: std::result::Result<(), std::io::Error> = Err(std::io::Error::other("boom"));
        let e = r.context("writing sha256.sum").unwrap_err();
        assert_eq!(e.to_string(), "writing sha256.sum: boom");
    }
}
