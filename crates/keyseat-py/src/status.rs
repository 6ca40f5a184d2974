//! `LicenseStatus`: a frozen object with timezone-aware datetimes.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

use crate::seats::Entitlement;

/// The license on this machine. Immutable; no field is the key.
#[pyclass(frozen, get_all, module = "keyseat")]
pub struct LicenseStatus {
    /// 'not_activated', 'active', 'grace', 'grace_expired', 'revoked',
    /// 'fingerprint_mismatch', 'tampered', 'clock_rollback', 'wrong_product', 'trial',
    /// 'trial_expired' or 'unverified'.
    state: &'static str,
    /// Whether the app should run as licensed ('active', 'grace' or 'trial').
    licensed: bool,
    /// Whether this call talked to the license server.
    network_used: bool,
    /// Who sold the key: 'dodo', 'lemonsqueezy', 'polar', 'keygen' or 'relay'.
    provider: Option<String>,
    /// The product id (Dodo's 'pdt_…', the Lemon Squeezy product id, the Polar benefit id).
    product_id: Option<String>,
    /// The product's name.
    product_name: Option<String>,
    /// The customer's email address.
    customer_email: Option<String>,
    /// The activation's instance id ('lki_…'): what frees this machine's seat from another
    /// one (release_instance). None for a key that holds no seat.
    instance_id: Option<String>,
    /// Whether the activation holds a seat on the server: false for a key that licenses by
    /// validation alone (a Polar key whose benefit has no activations).
    holds_seat: bool,
    /// When the key itself stops working, as the provider last said (UTC).
    expires_at: Option<Py<PyAny>>,
    /// How many activations the key allows at once, as the provider last said (None when
    /// it does not say).
    activation_limit: Option<u32>,
    /// How many of them are in use, as the provider last said (None when it does not say).
    activations_used: Option<u32>,
    /// The key's entitlements, as the provider last said (the relay's license-key grants);
    /// None when it does not say.
    entitlements: Option<Vec<Py<Entitlement>>>,
    /// The activation's name as the server recorded it.
    instance_name: Option<String>,
    /// The key in redacted form ('****-8f43').
    key_hint: Option<String>,
    /// When the activation was created on the server (UTC).
    activated_at: Option<Py<PyAny>>,
    /// The last successful online validation (UTC).
    last_validated: Option<Py<PyAny>>,
    /// When the license stops working if the server cannot be reached (UTC).
    grace_deadline: Option<Py<PyAny>>,
    /// 'keyring', 'file' or 'memory'.
    key_storage: Option<&'static str>,
    /// When this machine's local trial ends (or ended), when one was started (UTC).
    trial_ends_at: Option<Py<PyAny>>,
    /// The name of an activation whose answer was lost (in the last 30 days, with no
    /// activation since): it may hold a seat the vendor can release.
    pending_activation_name: Option<String>,
    /// When that activation was sent (UTC).
    pending_activation_at: Option<Py<PyAny>>,
    /// Whether what this machine stores is protected by a vendor secret of at least 16
    /// bytes: without one, anyone who knows the key can write license data that passes.
    local_state_protected: bool,
    /// Whether the activation is a relay's machine file (offline_activate): licensed until
    /// grace_deadline, never asking the server.
    activated_offline: bool,
}

impl LicenseStatus {
    /// The Python status of a core status.
    pub fn new(py: Python<'_>, s: &keyseat::LicenseStatus) -> PyResult<LicenseStatus> {
        Ok(LicenseStatus {
            state: s.state.name(),
            licensed: s.is_licensed(),
            network_used: s.network_used,
            provider: s.provider.clone(),
            product_id: s.product_id.clone(),
            product_name: s.product_name.clone(),
            customer_email: s.customer_email.clone(),
            instance_id: s.instance_id.as_ref().map(|i| i.as_str().to_owned()),
            holds_seat: s.holds_seat,
            expires_at: s.expires_at.map(|t| utc_datetime(py, t)).transpose()?,
            activation_limit: s.activation_limit,
            activations_used: s.activations_used,
            entitlements: s
                .entitlements
                .as_ref()
                .map(|all| all.iter().map(|e| Entitlement::new(py, e)).collect())
                .transpose()?,
            instance_name: s.instance_name.clone(),
            key_hint: s.key_hint.clone(),
            activated_at: s.activated_at.map(|t| utc_datetime(py, t)).transpose()?,
            last_validated: s.last_validated.map(|t| utc_datetime(py, t)).transpose()?,
            grace_deadline: s.grace_deadline.map(|t| utc_datetime(py, t)).transpose()?,
            key_storage: s.key_storage.map(|k| k.as_str()),
            trial_ends_at: s.trial_ends_at.map(|t| utc_datetime(py, t)).transpose()?,
            pending_activation_name: s.pending_activation.as_ref().map(|p| p.name.clone()),
            pending_activation_at: s
                .pending_activation
                .as_ref()
                .map(|p| utc_datetime(py, p.at))
                .transpose()?,
            local_state_protected: s.local_state_protected,
            activated_offline: s.activated_offline,
        })
    }
}

#[pymethods]
impl LicenseStatus {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let fields = [
            ("state", self.state.into_pyobject(py)?.into_any()),
            (
                "licensed",
                self.licensed.into_pyobject(py)?.to_owned().into_any(),
            ),
            (
                "network_used",
                self.network_used.into_pyobject(py)?.to_owned().into_any(),
            ),
            ("provider", self.provider.clone().into_pyobject(py)?),
            ("product_id", self.product_id.clone().into_pyobject(py)?),
            ("product_name", self.product_name.clone().into_pyobject(py)?),
            (
                "customer_email",
                self.customer_email.clone().into_pyobject(py)?,
            ),
            ("instance_id", self.instance_id.clone().into_pyobject(py)?),
            (
                "holds_seat",
                self.holds_seat.into_pyobject(py)?.to_owned().into_any(),
            ),
            ("expires_at", time(py, &self.expires_at)),
            (
                "activation_limit",
                self.activation_limit.into_pyobject(py)?.into_any(),
            ),
            (
                "activations_used",
                self.activations_used.into_pyobject(py)?.into_any(),
            ),
            (
                "entitlements",
                match &self.entitlements {
                    Some(all) => all.into_pyobject(py)?.into_any(),
                    None => py.None().into_bound(py),
                },
            ),
            (
                "instance_name",
                self.instance_name.clone().into_pyobject(py)?,
            ),
            ("key_hint", self.key_hint.clone().into_pyobject(py)?),
            ("activated_at", time(py, &self.activated_at)),
            ("last_validated", time(py, &self.last_validated)),
            ("grace_deadline", time(py, &self.grace_deadline)),
            ("key_storage", self.key_storage.into_pyobject(py)?),
            ("trial_ends_at", time(py, &self.trial_ends_at)),
            (
                "pending_activation_name",
                self.pending_activation_name.clone().into_pyobject(py)?,
            ),
            (
                "pending_activation_at",
                time(py, &self.pending_activation_at),
            ),
            (
                "local_state_protected",
                self.local_state_protected
                    .into_pyobject(py)?
                    .to_owned()
                    .into_any(),
            ),
            (
                "activated_offline",
                self.activated_offline
                    .into_pyobject(py)?
                    .to_owned()
                    .into_any(),
            ),
        ];
        let mut parts = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            parts.push(format!("{name}={}", value.repr()?));
        }
        Ok(format!("LicenseStatus({})", parts.join(", ")))
    }
}

fn time<'py>(py: Python<'py>, t: &Option<Py<PyAny>>) -> Bound<'py, PyAny> {
    match t {
        Some(t) => t.bind(py).clone(),
        None => py.None().into_bound(py),
    }
}

/// A timezone-aware `datetime` in UTC. Built through the `datetime` module, which the
/// stable ABI (abi3) allows, rather than the datetime C API, which it does not.
pub(crate) fn utc_datetime(py: Python<'_>, t: SystemTime) -> PyResult<Py<PyAny>> {
    static FROM_TIMESTAMP: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (from_timestamp, utc) = FROM_TIMESTAMP.get_or_try_init(py, || -> PyResult<_> {
        let datetime = py.import("datetime")?;
        let from_timestamp = datetime.getattr("datetime")?.getattr("fromtimestamp")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        Ok((from_timestamp.unbind(), utc.unbind()))
    })?;
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    };
    let args = PyTuple::new(
        py,
        [secs.into_pyobject(py)?.into_any(), utc.bind(py).clone()],
    )?;
    Ok(from_timestamp.bind(py).call1(args)?.unbind())
}
