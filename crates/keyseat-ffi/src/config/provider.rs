//! Who sold the keys and where their server is: the provider, its account and public keys,
//! Lemon Squeezy's variants, the environment or base URL.

use std::ffi::c_char;

use keyseat::api::Environment;

use super::{ks_config, ks_environment, ks_provider, with_config};
use crate::error::{invalid, ks_result};
use crate::strings::{str_in, str_required};

/// Who sold the keys: KS_PROVIDER_DODO (the default), KS_PROVIDER_LEMON_SQUEEZY,
/// KS_PROVIDER_POLAR, KS_PROVIDER_KEYGEN or KS_PROVIDER_RELAY (since ABI 1.4); Lemon
/// Squeezy, Polar and Keygen need ks_config_set_account(), Keygen ks_config_set_public_key(),
/// the relay ks_config_set_base_url() and ks_config_add_public_key(), checked by
/// ks_licensor_new(). Any other value gives KS_ERR_INVALID_INPUT. Since ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_provider(
    config: *mut ks_config,
    provider: u32,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.provider = match provider {
            x if x == ks_provider::KS_PROVIDER_DODO as u32 => ks_provider::KS_PROVIDER_DODO,
            x if x == ks_provider::KS_PROVIDER_LEMON_SQUEEZY as u32 => {
                ks_provider::KS_PROVIDER_LEMON_SQUEEZY
            }
            x if x == ks_provider::KS_PROVIDER_POLAR as u32 => ks_provider::KS_PROVIDER_POLAR,
            x if x == ks_provider::KS_PROVIDER_KEYGEN as u32 => ks_provider::KS_PROVIDER_KEYGEN,
            x if x == ks_provider::KS_PROVIDER_RELAY as u32 => ks_provider::KS_PROVIDER_RELAY,
            other => return invalid(&format!("unknown provider {other}")),
        };
        ks_result::KS_OK
    })
}

/// The seller's account at the provider: the Lemon Squeezy store id ("12345"), the Polar
/// organization id (a UUID) or the Keygen account id; NULL clears it. Dodo takes none. Checked by ks_licensor_new(),
/// which gives KS_ERR_INVALID_INPUT for a missing, malformed or unexpected account. Since
/// ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `account` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_account(
    config: *mut ks_config,
    account: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises account is NULL or NUL-terminated.
    let account = unsafe { str_in(account, "account") };
    with_config(config, |c| match account {
        Ok(account) => {
            c.account = account.map(str::to_owned);
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Keygen and the relay only, and required for them: the Ed25519 public key (64 hexadecimal
/// characters) answers must be signed by, replacing any set before; NULL clears them.
/// Answers not signed by it are refused (KS_ERR_BAD_SIGNATURE, counted as no answer).
/// Checked by ks_licensor_new(). Since ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `public_key` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_public_key(
    config: *mut ks_config,
    public_key: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises public_key is NULL or NUL-terminated.
    let public_key = unsafe { str_in(public_key, "public_key") };
    with_config(config, |c| match public_key {
        Ok(key) => {
            c.public_keys = key.map(str::to_owned).into_iter().collect();
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// The relay only: one more Ed25519 public key (64 hexadecimal characters) its answers may
/// be signed by, for a key rotation; call once per key. Answers signed by none of them are
/// refused (KS_ERR_BAD_SIGNATURE). Checked by ks_licensor_new(). Since ABI 1.4.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `public_key` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_add_public_key(
    config: *mut ks_config,
    public_key: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises public_key is NULL or NUL-terminated.
    let public_key = unsafe { str_required(public_key, "public_key") };
    with_config(config, |c| match public_key {
        Ok(key) => {
            c.public_keys.push(key.to_owned());
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Lemon Squeezy only: accepts keys of this variant id of the accepted products, and of no
/// other variant once one is added; call once per variant. Since ABI 1.2.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `variant_id` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_add_variant_id(
    config: *mut ks_config,
    variant_id: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises variant_id is NULL or NUL-terminated.
    let variant_id = unsafe { str_required(variant_id, "variant_id") };
    with_config(config, |c| match variant_id {
        Ok(v) => {
            c.variant_ids.push(v.to_owned());
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}

/// Which of the provider's servers: KS_ENVIRONMENT_LIVE (the default) or
/// KS_ENVIRONMENT_TEST. Replaces a base URL set before. Any other value gives
/// KS_ERR_INVALID_INPUT.
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_environment(
    config: *mut ks_config,
    environment: u32,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    with_config(config, |c| {
        c.environment = match environment {
            x if x == ks_environment::KS_ENVIRONMENT_LIVE as u32 => Environment::Live,
            x if x == ks_environment::KS_ENVIRONMENT_TEST as u32 => Environment::Test,
            other => return invalid(&format!("unknown environment {other}")),
        };
        ks_result::KS_OK
    })
}

/// Another license server (`https://…`, or `http://` on a loopback address, such as the
/// emulator), replacing the environment; for KS_PROVIDER_RELAY, the relay's URL (required).
/// Checked by ks_licensor_new().
///
/// # Safety
/// `config` must be NULL or a live config used by no other thread; `url` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ks_config_set_base_url(
    config: *mut ks_config,
    url: *const c_char,
) -> ks_result {
    // SAFETY: the caller promises config is NULL or a live config used by this thread
    // alone.
    let config = unsafe { config.as_mut() };
    // SAFETY: the caller promises url is NULL or NUL-terminated.
    let url = unsafe { str_required(url, "url") };
    with_config(config, |c| match url {
        Ok(url) => {
            c.environment = Environment::Custom(url.to_owned());
            ks_result::KS_OK
        }
        Err(code) => code,
    })
}
