//! What the provider says of a key beyond the license state: its entitlements (in a
//! status) and its seats (`Licensor.seats()`), as frozen objects.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;

use crate::status::utc_datetime;

/// One entitlement of the key (a Dodo license-key grant, through the relay). Immutable.
#[pyclass(frozen, get_all, module = "keyseat")]
pub struct Entitlement {
    /// The entitlement's id ('ent_…').
    id: String,
    /// The grant's id ('entg_…'), when the provider gives it.
    grant_id: Option<String>,
    /// The grant's status in the provider's word ('Delivered', 'Revoked', …).
    status: Option<String>,
    /// When the grant ends (UTC), when it does.
    expires_at: Option<Py<PyAny>>,
}

impl Entitlement {
    /// The Python entitlement of a core one.
    pub fn new(py: Python<'_>, e: &keyseat::api::Entitlement) -> PyResult<Py<Entitlement>> {
        Py::new(
            py,
            Entitlement {
                id: e.id.clone(),
                grant_id: e.grant_id.clone(),
                status: e.status.clone(),
                expires_at: e.expires_at.map(|t| utc_datetime(py, at(t))).transpose()?,
            },
        )
    }
}

#[pymethods]
impl Entitlement {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Entitlement(id={}, grant_id={}, status={}, expires_at={})",
            self.id.clone().into_pyobject(py)?.repr()?,
            self.grant_id.clone().into_pyobject(py)?.repr()?,
            self.status.clone().into_pyobject(py)?.repr()?,
            optional(py, &self.expires_at)?,
        ))
    }
}

/// One seat of a key: an activation, on this machine or another. Immutable.
#[pyclass(frozen, get_all, module = "keyseat")]
pub struct Seat {
    /// The activation's id: what release_instance(key, id) frees.
    id: String,
    /// Its name ("Ada's ThinkPad (Windows 11) · 3f9a2c").
    name: String,
    /// When it was made (UTC), when the provider says.
    created_at: Option<Py<PyAny>>,
    /// Whether it is this machine's.
    this_machine: bool,
}

impl Seat {
    /// The Python seat of a core one.
    pub fn new(py: Python<'_>, s: &keyseat::api::Seat) -> PyResult<Py<Seat>> {
        Py::new(
            py,
            Seat {
                id: s.id.as_str().to_owned(),
                name: s.name.clone(),
                created_at: s.created_at.map(|t| utc_datetime(py, at(t))).transpose()?,
                this_machine: s.this_machine,
            },
        )
    }
}

#[pymethods]
impl Seat {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Seat(id={}, name={}, created_at={}, this_machine={})",
            self.id.clone().into_pyobject(py)?.repr()?,
            self.name.clone().into_pyobject(py)?.repr()?,
            optional(py, &self.created_at)?,
            if self.this_machine { "True" } else { "False" },
        ))
    }
}

/// The time `secs` Unix seconds.
fn at(secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// The `repr` of an optional object.
fn optional(py: Python<'_>, value: &Option<Py<PyAny>>) -> PyResult<String> {
    Ok(match value {
        Some(v) => v.bind(py).repr()?.to_string(),
        None => "None".to_owned(),
    })
}
