//! The `Licensor` class.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use pyo3::prelude::*;

use crate::errors::{from_core, panicked};
use crate::options::{Options, builder, duration};
use crate::seats::Seat;
use crate::status::LicenseStatus;
use crate::watch::WatchHandle;

/// Activates, checks and deactivates this app's license on this machine. Safe to share
/// between threads; every call that may use the network releases the GIL.
#[pyclass(frozen, module = "keyseat")]
pub struct Licensor {
    inner: keyseat::Licensor,
}

/// Runs a core call with the GIL released, a panic caught.
fn detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, keyseat::Error> + Send,
) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(from_core(&e)),
        Err(_) => Err(panicked()),
    }
}

#[pymethods]
impl Licensor {
    /// Resolves the data directory and computes this machine's fingerprint.
    #[new]
    #[pyo3(signature = (
        *,
        qualifier,
        organisation,
        application,
        provider = "dodo".to_owned(),
        account = None,
        public_key = None,
        public_keys = None,
        product_ids = None,
        variant_ids = None,
        any_product = false,
        vendor_secret = None,
        environment = "live".to_owned(),
        base_url = None,
        data_dir = None,
        key_storage = "keyring".to_owned(),
        grace_period = None,
        revalidate_interval = None,
        ca_file = None,
        trial_days = None,
        instance_names_include_host = true,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        qualifier: String,
        organisation: String,
        application: String,
        provider: String,
        account: Option<String>,
        public_key: Option<String>,
        public_keys: Option<Vec<String>>,
        product_ids: Option<Vec<String>>,
        variant_ids: Option<Vec<String>>,
        any_product: bool,
        vendor_secret: Option<Bound<'py, PyAny>>,
        environment: String,
        base_url: Option<String>,
        data_dir: Option<PathBuf>,
        key_storage: String,
        grace_period: Option<Bound<'py, PyAny>>,
        revalidate_interval: Option<Bound<'py, PyAny>>,
        ca_file: Option<PathBuf>,
        trial_days: Option<u32>,
        instance_names_include_host: bool,
    ) -> PyResult<Licensor> {
        let b = builder(Options {
            qualifier,
            organisation,
            application,
            provider,
            account,
            public_key,
            public_keys,
            product_ids,
            variant_ids,
            any_product,
            vendor_secret,
            environment,
            base_url,
            data_dir,
            key_storage,
            grace_period,
            revalidate_interval,
            ca_file,
            trial_days,
            instance_names_include_host,
        })?;
        let inner = detached(py, move || b.build())?;
        Ok(Licensor { inner })
    }

    /// Activates `key` on this machine and stores it.
    fn activate(&self, py: Python<'_>, key: &str) -> PyResult<LicenseStatus> {
        let key = key.to_owned();
        let status = detached(py, || self.inner.activate(&key))?;
        LicenseStatus::new(py, &status)
    }

    /// The license state: from the cache when the last answer is recent, otherwise asks
    /// the server (falling back to the grace period when it cannot be reached).
    fn check(&self, py: Python<'_>) -> PyResult<LicenseStatus> {
        let status = detached(py, || self.inner.check())?;
        LicenseStatus::new(py, &status)
    }

    /// The license state from the cache alone, never the network.
    fn check_offline(&self, py: Python<'_>) -> PyResult<LicenseStatus> {
        let status = detached(py, || self.inner.check_offline())?;
        LicenseStatus::new(py, &status)
    }

    /// Asks the server now, whatever the age of the last answer.
    fn revalidate(&self, py: Python<'_>) -> PyResult<LicenseStatus> {
        let status = detached(py, || self.inner.revalidate())?;
        LicenseStatus::new(py, &status)
    }

    /// Frees this machine's activation slot and forgets the key: 'slot_freed',
    /// 'already_gone', or with `force=True` and no server, 'local_only'.
    #[pyo3(signature = (force = false))]
    fn deactivate(&self, py: Python<'_>, force: bool) -> PyResult<&'static str> {
        detached(py, || self.inner.deactivate(force)).map(|d| d.name())
    }

    /// Starts this machine's local trial (of `trial_days`), or returns the one that exists:
    /// calling it again never moves the end, and an ended trial is 'trial_expired'. With an
    /// activation, the license's status. No network. Raises InvalidInputError without
    /// `trial_days`.
    fn start_trial(&self, py: Python<'_>) -> PyResult<LicenseStatus> {
        let status = detached(py, || self.inner.start_trial())?;
        LicenseStatus::new(py, &status)
    }

    /// Frees the seat held by instance `instance_id` of `key`, on any machine (a laptop
    /// the customer replaced): 'slot_freed' or 'already_gone'. When it is this machine's own
    /// activation, local state is removed as deactivate() does.
    fn release_instance(
        &self,
        py: Python<'_>,
        key: &str,
        instance_id: &str,
    ) -> PyResult<&'static str> {
        let (key, instance_id) = (key.to_owned(), instance_id.to_owned());
        detached(py, || self.inner.release_instance(&key, &instance_id)).map(|d| d.name())
    }

    /// The seats of `key`, or of this machine's activation's key when None: a list of Seat
    /// (id, name, created_at, this_machine), the id being what release_instance(key, id)
    /// frees. Asks the server. Raises LicenseError with code 'UNSUPPORTED' for a provider
    /// that cannot list seats (Dodo, Lemon Squeezy and Polar directly; the relay and Keygen
    /// can).
    #[pyo3(signature = (key = None))]
    fn seats(&self, py: Python<'_>, key: Option<&str>) -> PyResult<Vec<Py<Seat>>> {
        let key = key.map(str::to_owned);
        let seats = detached(py, || self.inner.seats(key.as_deref()))?;
        seats.iter().map(|s| Seat::new(py, s)).collect()
    }

    /// The request to activate `key` on this machine offline, through the seller's relay:
    /// text to carry to the relay's page, which answers with a machine file for
    /// offline_activate(). The key travels sealed; nothing is stored or sent.
    fn offline_request(&self, py: Python<'_>, key: &str) -> PyResult<String> {
        let key = key.to_owned();
        detached(py, || self.inner.offline_request(&key))
    }

    /// Activates `key` on this machine from the relay's machine file (its text), with no
    /// network. Licensed until the file's expiry (grace_deadline).
    fn offline_activate(
        &self,
        py: Python<'_>,
        key: &str,
        machine_file: &str,
    ) -> PyResult<LicenseStatus> {
        let (key, file) = (key.to_owned(), machine_file.to_owned());
        let status = detached(py, || self.inner.offline_activate(&key, &file))?;
        LicenseStatus::new(py, &status)
    }

    /// Removes this machine's offline activation, with no network, and returns the proof of
    /// its removal: text to carry to the relay's page, which frees the seat once.
    fn offline_deactivate(&self, py: Python<'_>) -> PyResult<String> {
        detached(py, || self.inner.offline_deactivate())
    }

    /// This machine's fingerprint for this app: 64 hex characters.
    fn fingerprint(&self) -> String {
        self.inner.fingerprint().id()
    }

    /// Checks now and then every `interval` (a timedelta or seconds) on a background
    /// thread, calling `callback(status)` on the first check and on every change of state.
    fn watch(&self, interval: &Bound<'_, PyAny>, callback: Py<PyAny>) -> PyResult<WatchHandle> {
        let interval = duration("interval", interval)?;
        WatchHandle::start(&self.inner, interval, callback)
    }

    fn __repr__(&self) -> String {
        format!(
            "Licensor(app={:?}, data_dir={:?})",
            self.inner.app_id(),
            self.inner.data_dir().display().to_string()
        )
    }
}
