//! The C ABI of licensekit, version 1: a thin translation of [`licensekit::Licensor`], with
//! no policy of its own.
//!
//! Modelled on rustls-ffi, so that the ABI can grow without breaking apps compiled against
//! an older header:
//! - Builder and result handles are opaque (`lk_config`, `lk_licensor`, `lk_status`,
//!   `lk_watch`), read and written through functions, never through struct fields.
//! - Every code is a fixed-width `uint32_t` (`#[repr(u32)]`), and every number that comes in
//!   from C is validated as an integer: an unknown one gives `LK_ERR_INVALID_INPUT`.
//! - Every exported function catches panics (`LK_ERR_PANIC`), and the last error message is
//!   kept per thread.
//! - `LK_VERSION_MAJOR`/`MINOR`/`PATCH` in the header come from this crate's version, and a
//!   test compares the exported symbols with the checked-in `symbols.txt`.
//!
//! The header `include/licensekit.h` is generated from these modules by cbindgen.

#![allow(non_camel_case_types)]
#![warn(missing_docs)]

mod config;
mod error;
mod licensor;
mod status;
mod strings;
mod watch;

use std::ffi::c_char;

pub use config::{
    lk_config, lk_config_add_product_id, lk_config_allow_any_product, lk_config_free,
    lk_config_new, lk_config_set_base_url, lk_config_set_ca_file, lk_config_set_data_dir,
    lk_config_set_environment, lk_config_set_grace_period, lk_config_set_key_storage,
    lk_config_set_revalidate_interval, lk_config_set_timeout_ms, lk_config_set_trust_store,
    lk_config_set_vendor_secret, lk_environment, lk_key_storage, lk_trust_store,
};
pub use error::{lk_last_error_message, lk_result};
pub use licensor::{
    lk_activate, lk_check, lk_check_offline, lk_deactivate, lk_fingerprint, lk_licensor,
    lk_licensor_free, lk_licensor_new, lk_revalidate,
};
pub use status::{
    lk_state, lk_status, lk_status_activated_at, lk_status_customer_email, lk_status_free,
    lk_status_grace_deadline, lk_status_instance_id, lk_status_is_licensed, lk_status_key_hint,
    lk_status_key_storage, lk_status_last_validated, lk_status_network_used, lk_status_product_id,
    lk_status_product_name, lk_status_recovered, lk_status_state,
};
pub use watch::{lk_watch, lk_watch_callback, lk_watch_start, lk_watch_stop};

/// The library version, e.g. "1.0.0": a static NUL-terminated string, never freed. Compare
/// with the header's LK_VERSION_* macros to detect a library older than the header.
#[unsafe(no_mangle)]
pub extern "C" fn lk_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
