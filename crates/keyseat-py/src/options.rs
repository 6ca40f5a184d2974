//! The keyword arguments of `Licensor(...)`, checked and turned into a core builder.

use std::path::PathBuf;
use std::time::Duration;

use keyseat::api::{Environment, Provider};
use keyseat::licensor::LicensorBuilder;
use keyseat::{App, KeyStorage};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::{from_core, invalid_input};

/// The arguments of `Licensor(...)`, as Python gave them.
pub struct Options<'py> {
    pub qualifier: String,
    pub organisation: String,
    pub application: String,
    pub provider: String,
    pub account: Option<String>,
    pub public_key: Option<String>,
    pub public_keys: Option<Vec<String>>,
    pub product_ids: Option<Vec<String>>,
    pub variant_ids: Option<Vec<String>>,
    pub any_product: bool,
    pub vendor_secret: Option<Bound<'py, PyAny>>,
    pub environment: String,
    pub base_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub key_storage: String,
    pub grace_period: Option<Bound<'py, PyAny>>,
    pub revalidate_interval: Option<Bound<'py, PyAny>>,
    pub ca_file: Option<PathBuf>,
    pub trial_days: Option<u32>,
    pub instance_names_include_host: bool,
}

/// The core builder the arguments describe; the core checks the rest when it builds.
pub fn builder(o: Options<'_>) -> PyResult<LicensorBuilder> {
    let app =
        App::try_new(&o.qualifier, &o.organisation, &o.application).map_err(|e| from_core(&e))?;
    let keys: Vec<&str> = o
        .public_key
        .as_deref()
        .into_iter()
        .chain(o.public_keys.iter().flatten().map(String::as_str))
        .collect();
    let provider = Provider::from_settings(
        &o.provider,
        o.account.as_deref(),
        &keys,
        o.base_url.as_deref(),
    )
    .map_err(|e| from_core(&e))?;
    let mut b = keyseat::Licensor::builder(app)
        .provider(provider)
        .variant_ids(o.variant_ids.unwrap_or_default());
    let ids = o.product_ids.unwrap_or_default();
    b = match (ids.is_empty(), o.any_product) {
        (false, false) => b.product_ids(ids),
        (true, true) => b.any_product(),
        (false, true) => {
            return Err(invalid_input(
                "give product_ids or any_product=True, not both",
            ));
        }
        (true, false) => {
            return Err(invalid_input(
                "name the products whose keys license this app with product_ids=[...] \
                 (or, for a tool that is not the licensed product, any_product=True)",
            ));
        }
    };
    if let Some(secret) = o.vendor_secret {
        b = b.vendor_secret(secret_bytes(&secret)?);
    }
    b = b.environment(match o.base_url {
        Some(url) => Environment::Custom(url),
        None => Environment::from_name(&o.environment).ok_or_else(|| {
            invalid_input(format!(
                "environment must be 'live' or 'test', not {:?}",
                o.environment
            ))
        })?,
    });
    if let Some(dir) = o.data_dir {
        b = b.data_dir(dir);
    }
    b = b.key_storage(KeyStorage::from_name(&o.key_storage).ok_or_else(|| {
        invalid_input(format!(
            "key_storage must be 'keyring', 'file' or 'memory', not {:?}",
            o.key_storage
        ))
    })?);
    if let Some(d) = o.grace_period {
        b = b.grace_period(duration("grace_period", &d)?);
    }
    if let Some(d) = o.revalidate_interval {
        b = b.revalidate_every(duration("revalidate_interval", &d)?);
    }
    if let Some(path) = o.ca_file {
        b = b.ca_file(path);
    }
    if let Some(days) = o.trial_days {
        b = b.trial_days(days);
    }
    b = b.instance_names_include_host(o.instance_names_include_host);
    Ok(b)
}

/// The vendor secret: `bytes` (or `bytearray`), or a `str` taken as UTF-8.
fn secret_bytes(secret: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(text) = secret.cast::<PyString>() {
        return Ok(text.to_str()?.as_bytes().to_vec());
    }
    if let Ok(bytes) = secret.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    secret
        .extract::<Vec<u8>>()
        .map_err(|_| invalid_input("vendor_secret must be bytes or str"))
}

/// A duration from Python: a `datetime.timedelta`, or a number of seconds. Finite and not
/// negative.
pub fn duration(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let secs: f64 = if value.hasattr("total_seconds")? {
        value.call_method0("total_seconds")?.extract()?
    } else {
        value.extract().map_err(|_| {
            invalid_input(format!(
                "{name} must be a datetime.timedelta or a number of seconds"
            ))
        })?
    };
    Duration::try_from_secs_f64(secs).map_err(|_| {
        invalid_input(format!(
            "{name} must be finite and not negative, not {secs} seconds"
        ))
    })
}
