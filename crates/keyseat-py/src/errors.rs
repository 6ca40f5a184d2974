//! `LicenseError` and its subclasses, each with the stable `.code` of the core's
//! [`keyseat::ErrorCode`] (the C constant without `KS_ERR_`, as in the Node package).

use keyseat::ErrorCode;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    keyseat,
    LicenseError,
    PyException,
    "A keyseat failure. `.code` is a stable string such as 'LIMIT_REACHED' or 'NETWORK'."
);
create_exception!(
    keyseat,
    InvalidInputError,
    LicenseError,
    "An argument was refused (code 'INVALID_INPUT')."
);
create_exception!(
    keyseat,
    NetworkError,
    LicenseError,
    "The license server could not be reached, did not answer in time, or its certificate is \
     not trusted (codes 'NETWORK', 'TIMEOUT', 'CERTIFICATE')."
);
create_exception!(
    keyseat,
    LimitReachedError,
    LicenseError,
    "Every activation slot of the key is in use (code 'LIMIT_REACHED')."
);
create_exception!(
    keyseat,
    InactiveKeyError,
    LicenseError,
    "The key is disabled or expired (code 'INACTIVE_KEY')."
);
create_exception!(
    keyseat,
    KeyNotFoundError,
    LicenseError,
    "The key (or this activation of it) does not exist (code 'KEY_NOT_FOUND')."
);
create_exception!(
    keyseat,
    WrongProductError,
    LicenseError,
    "The key was sold for a product this app does not accept; its activation was released \
     (code 'WRONG_PRODUCT')."
);
create_exception!(
    keyseat,
    AmbiguousActivationError,
    LicenseError,
    "The activation may or may not have been recorded; it was not retried \
     (code 'AMBIGUOUS_ACTIVATION')."
);
create_exception!(
    keyseat,
    NotActivatedError,
    LicenseError,
    "There is no activation on this machine (code 'NOT_ACTIVATED')."
);
create_exception!(
    keyseat,
    AlreadyActivatedError,
    LicenseError,
    "Another key is already active here; deactivate it first (code 'ALREADY_ACTIVATED')."
);

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LicenseError", py.get_type::<LicenseError>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("NetworkError", py.get_type::<NetworkError>())?;
    m.add("LimitReachedError", py.get_type::<LimitReachedError>())?;
    m.add("InactiveKeyError", py.get_type::<InactiveKeyError>())?;
    m.add("KeyNotFoundError", py.get_type::<KeyNotFoundError>())?;
    m.add("WrongProductError", py.get_type::<WrongProductError>())?;
    m.add(
        "AmbiguousActivationError",
        py.get_type::<AmbiguousActivationError>(),
    )?;
    m.add("NotActivatedError", py.get_type::<NotActivatedError>())?;
    m.add(
        "AlreadyActivatedError",
        py.get_type::<AlreadyActivatedError>(),
    )?;
    Ok(())
}

/// The Python exception of a core error. The core's error text never contains the key.
pub fn from_core(e: &keyseat::Error) -> PyErr {
    with_code(e.code(), e.to_string())
}

/// An argument the caller got wrong.
pub fn invalid_input(msg: impl Into<String>) -> PyErr {
    with_code(ErrorCode::InvalidInput, msg.into())
}

/// A panic inside keyseat, caught: code 'PANIC', as `KS_ERR_PANIC` in C.
pub fn panicked() -> PyErr {
    exception_with_code(
        LicenseError::new_err("internal error (panic) in keyseat"),
        "PANIC",
    )
}

fn with_code(code: ErrorCode, msg: String) -> PyErr {
    let err = match code {
        ErrorCode::InvalidInput => InvalidInputError::new_err(msg),
        ErrorCode::Network | ErrorCode::Timeout | ErrorCode::Certificate => {
            NetworkError::new_err(msg)
        }
        ErrorCode::LimitReached => LimitReachedError::new_err(msg),
        ErrorCode::InactiveKey => InactiveKeyError::new_err(msg),
        ErrorCode::KeyNotFound => KeyNotFoundError::new_err(msg),
        ErrorCode::WrongProduct => WrongProductError::new_err(msg),
        ErrorCode::AmbiguousActivation => AmbiguousActivationError::new_err(msg),
        ErrorCode::NotActivated => NotActivatedError::new_err(msg),
        ErrorCode::AlreadyActivated => AlreadyActivatedError::new_err(msg),
        _ => LicenseError::new_err(msg),
    };
    exception_with_code(err, code.name())
}

/// Sets `.code` on the exception (a plain attribute, so it pickles and prints simply).
fn exception_with_code(err: PyErr, code: &'static str) -> PyErr {
    Python::attach(|py| {
        // Setting an attribute on a fresh exception object cannot fail short of memory
        // exhaustion; the exception is raised either way.
        let _ = err.value(py).setattr("code", code);
    });
    err
}
