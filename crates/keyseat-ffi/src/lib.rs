//! The C ABI of keyseat, version 1: a thin translation of [`keyseat::Licensor`], with
//! no policy of its own.
//!
//! Modelled on rustls-ffi, so that the ABI can grow without breaking apps compiled against
//! an older header:
//! - Builder and result handles are opaque (`ks_config`, `ks_licensor`, `ks_status`,
//!   `ks_watch`), read and written through functions, never through struct fields.
//! - Every code is a fixed-width `uint32_t` (`#[repr(u32)]`), and every number that comes in
//!   from C is validated as an integer: an unknown one gives `KS_ERR_INVALID_INPUT`.
//! - Every exported function catches panics (`KS_ERR_PANIC`), and the last error message is
//!   kept per thread.
//! - `KS_VERSION_MAJOR`/`MINOR`/`PATCH` in the header come from this crate's version, and a
//!   test compares the exported symbols with the checked-in `symbols.txt`.
//!
//! The header `include/keyseat.h` is generated from these modules by cbindgen.

#![allow(non_camel_case_types)]
#![warn(missing_docs)]

mod config;
mod error;
mod licensor;
mod offline;
mod seats;
mod status;
mod status_facts;
mod strings;
mod watch;

use std::ffi::c_char;

pub use config::{
    ks_config, ks_config_add_product_id, ks_config_add_public_key, ks_config_add_variant_id,
    ks_config_allow_any_product, ks_config_free, ks_config_new, ks_config_set_account,
    ks_config_set_base_url, ks_config_set_ca_file, ks_config_set_data_dir,
    ks_config_set_environment, ks_config_set_grace_period,
    ks_config_set_instance_names_include_host, ks_config_set_key_storage, ks_config_set_provider,
    ks_config_set_public_key, ks_config_set_revalidate_interval, ks_config_set_timeout_ms,
    ks_config_set_trial_days, ks_config_set_trust_store, ks_config_set_vendor_secret,
    ks_environment, ks_key_storage, ks_provider, ks_trust_store,
};
pub use error::{ks_last_error_message, ks_result};
pub use licensor::{
    ks_activate, ks_check, ks_check_offline, ks_deactivate, ks_fingerprint, ks_licensor,
    ks_licensor_free, ks_licensor_new, ks_release_instance, ks_revalidate, ks_start_trial,
};
pub use offline::{
    ks_offline_activate, ks_offline_deactivate, ks_offline_request, ks_status_activated_offline,
};
pub use seats::{
    ks_seats, ks_seats_count, ks_seats_created_at, ks_seats_free, ks_seats_id, ks_seats_list,
    ks_seats_name, ks_seats_this_machine,
};
pub use status::{
    ks_state, ks_status, ks_status_activated_at, ks_status_customer_email, ks_status_free,
    ks_status_grace_deadline, ks_status_instance_id, ks_status_instance_name,
    ks_status_is_licensed, ks_status_key_hint, ks_status_key_storage, ks_status_last_validated,
    ks_status_network_used, ks_status_pending_activation_at, ks_status_pending_activation_name,
    ks_status_product_id, ks_status_product_name, ks_status_recovered, ks_status_state,
    ks_status_trial_ends_at,
};
pub use status_facts::{
    ks_status_activation_limit, ks_status_activations_used, ks_status_entitlement_count,
    ks_status_entitlement_expires_at, ks_status_entitlement_id, ks_status_entitlement_status,
};
pub use watch::{ks_watch, ks_watch_callback, ks_watch_start, ks_watch_stop};

/// The library version, e.g. "1.0.0": a static NUL-terminated string, never freed. Compare
/// with the header's KS_VERSION_* macros to detect a library older than the header.
#[unsafe(no_mangle)]
pub extern "C" fn ks_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
