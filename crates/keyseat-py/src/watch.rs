//! `licensor.watch(interval, callback)`: the core's watch thread calling a Python callback.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::from_core;
use crate::status::LicenseStatus;

/// A running watch. `stop()` ends it; as a context manager it stops on leaving the `with`
/// block. Keep a reference while it should run: it also stops when garbage-collected.
#[pyclass(frozen, module = "keyseat")]
pub struct WatchHandle {
    handle: Arc<Running>,
}

/// The core watch while it runs; `None` once stopped.
type Running = Mutex<Option<keyseat::WatchHandle>>;

/// Every watch started, so that the ones still running can be stopped at exit.
static STARTED: Mutex<Vec<Weak<Running>>> = Mutex::new(Vec::new());

/// Stops every watch still running: registered with `atexit` by the package, so that no
/// watch thread calls back into an interpreter that is shutting down.
#[pyfunction]
pub fn _stop_all_watches(py: Python<'_>) {
    let started = std::mem::take(&mut *STARTED.lock().unwrap_or_else(PoisonError::into_inner));
    for running in started.iter().filter_map(Weak::upgrade) {
        stop(py, &running);
    }
}

/// Takes the core watch out of `running` and stops it with the GIL released: its thread may
/// be waiting for the GIL to run the callback, and it is joined here.
fn stop(py: Python<'_>, running: &Running) {
    let handle = running
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(handle) = handle {
        py.detach(move || handle.stop());
    }
}

impl WatchHandle {
    /// Starts the core watch with a callback that calls `callback` holding the GIL.
    pub fn start(
        licensor: &keyseat::Licensor,
        interval: Duration,
        callback: Py<PyAny>,
    ) -> PyResult<WatchHandle> {
        let handle = licensor
            .watch(interval, move |status| {
                Python::attach(|py| {
                    let result =
                        LicenseStatus::new(py, status).and_then(|s| callback.call1(py, (s,)));
                    if let Err(e) = result {
                        // An exception in the callback goes where Python sends exceptions
                        // of threads it cannot raise into: sys.unraisablehook.
                        e.write_unraisable(py, Some(callback.bind(py)));
                    }
                });
            })
            .map_err(|e| from_core(&e))?;
        let running = Arc::new(Mutex::new(Some(handle)));
        let mut started = STARTED.lock().unwrap_or_else(PoisonError::into_inner);
        started.retain(|w| w.strong_count() > 0);
        started.push(Arc::downgrade(&running));
        Ok(WatchHandle { handle: running })
    }
}

#[pymethods]
impl WatchHandle {
    /// Ends the watch and waits for a check in progress. No callback runs after it
    /// returns. Calling it again does nothing.
    fn stop(&self, py: Python<'_>) {
        stop(py, &self.handle);
    }

    /// Whether the watch is running.
    #[getter]
    fn running(&self) -> bool {
        self.handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        stop(py, &self.handle);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "WatchHandle(running={})",
            if self.running() { "True" } else { "False" }
        )
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        // Collected while running: stop, releasing the GIL while the thread is joined.
        Python::attach(|py| stop(py, &self.handle));
    }
}
