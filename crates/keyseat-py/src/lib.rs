//! Python bindings for keyseat, built with PyO3 and maturin as the extension module
//! `keyseat._native`; the `keyseat` package re-exports it.
//!
//! [`licensor::Licensor`] is the Python class; [`options`] reads its keyword arguments into
//! a core builder; [`status`] makes frozen status objects with timezone-aware datetimes;
//! [`errors`] maps every failure to `LicenseError` (or a subclass) with a stable `.code`;
//! [`watch`] runs the core's watch with a Python callback. Every call that may use the
//! network releases the GIL.

#![deny(missing_docs)]

use pyo3::prelude::*;

mod errors;
mod licensor;
mod options;
mod seats;
mod status;
mod watch;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<licensor::Licensor>()?;
    m.add_class::<status::LicenseStatus>()?;
    m.add_class::<seats::Entitlement>()?;
    m.add_class::<seats::Seat>()?;
    m.add_class::<watch::WatchHandle>()?;
    m.add_function(wrap_pyfunction!(watch::_stop_all_watches, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
