//! The `Licensor` class.

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Env, Function, ToNapiValue, TypeName, Unknown};
use napi_derive::napi;

use crate::error::{Code, Failure, Outcome, failure, invalid_input, rejection};
use crate::options::{LicensorOptions, builder, from_js};
use crate::status::{LicenseStatus, Seat};
use crate::watch::{Watch, interval};

/// Activates, checks and deactivates this app's license on this machine. Construct one per
/// process; every method may be called from any async context. Methods that may use the
/// network return Promises and run off the JavaScript thread.
#[napi]
pub struct Licensor {
    inner: keyseat::Licensor,
}

#[napi]
impl Licensor {
    /// Resolves the data directory and computes this machine's fingerprint. Throws (code
    /// `INVALID_INPUT`) without `productIds` or `anyProduct`, or for an unusable option.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "LicensorOptions")] options: Unknown<'_>,
    ) -> napi::Result<Licensor, Code> {
        let options: LicensorOptions = from_js(options)?;
        let inner = builder(options)?.build().map_err(|e| failure(&e))?;
        Ok(Licensor { inner })
    }

    /// Activates `key` on this machine and stores it. Rejects with `LIMIT_REACHED`,
    /// `INACTIVE_KEY`, `KEY_NOT_FOUND`, `WRONG_PRODUCT`, `AMBIGUOUS_ACTIVATION`, `NETWORK`, …
    #[napi(ts_return_type = "Promise<LicenseStatus>")]
    pub fn activate(
        &self,
        #[napi(ts_arg_type = "string")] key: Unknown<'_>,
    ) -> AsyncTask<Blocking<keyseat::LicenseStatus>> {
        // A key of the wrong type rejects, as every other failure of this method does, and
        // with a message of its own: napi's would print the value, which may hold the key.
        let key: Outcome<String> =
            from_js(key).map_err(|_| invalid_input("the key must be a string"));
        let licensor = self.inner.clone();
        AsyncTask::new(Blocking {
            work: Some(Box::new(move || {
                licensor.activate(&key?).map_err(|e| failure(&e))
            })),
        })
    }

    /// The license state: from the cache when the last answer is recent, otherwise asks the
    /// server (and falls back to the grace period when it cannot be reached).
    #[napi(ts_return_type = "Promise<LicenseStatus>")]
    pub fn check(&self) -> AsyncTask<Blocking<keyseat::LicenseStatus>> {
        let licensor = self.inner.clone();
        blocking(move || licensor.check())
    }

    /// Asks the server now, whatever the age of the last answer.
    #[napi(ts_return_type = "Promise<LicenseStatus>")]
    pub fn revalidate(&self) -> AsyncTask<Blocking<keyseat::LicenseStatus>> {
        let licensor = self.inner.clone();
        blocking(move || licensor.revalidate())
    }

    /// Frees this machine's activation slot and forgets the key. With `force`, local state
    /// is removed even when the server cannot be reached (`'local_only'`). A key that holds
    /// no seat is forgotten without asking the server (`'no_seat'`).
    #[napi(ts_return_type = "Promise<'slot_freed' | 'already_gone' | 'local_only' | 'no_seat'>")]
    pub fn deactivate(
        &self,
        #[napi(ts_arg_type = "{ force?: boolean }")] options: Option<DeactivateOptions>,
    ) -> AsyncTask<Blocking<keyseat::Deactivation>> {
        let licensor = self.inner.clone();
        let force = options.and_then(|o| o.force).unwrap_or(false);
        blocking(move || licensor.deactivate(force))
    }

    /// Starts this machine's local trial (of `trialDays`), or returns the one that exists:
    /// calling it again never moves the end, and an ended trial is `trial_expired`. With an
    /// activation, the license's status. No network; the record is kept in the data
    /// directory and the OS credential store. Throws `INVALID_INPUT` without `trialDays`.
    #[napi]
    pub fn start_trial(&self) -> napi::Result<LicenseStatus, Code> {
        right_now(|| self.inner.start_trial())
    }

    /// Frees the seat held by instance `instanceId` of `key`, on any machine (a laptop the
    /// customer replaced): `'slot_freed'`, or `'already_gone'`. When it is this machine's
    /// own activation, local state is removed as `deactivate()` does.
    #[napi(ts_return_type = "Promise<'slot_freed' | 'already_gone'>")]
    pub fn release_instance(
        &self,
        #[napi(ts_arg_type = "string")] key: Unknown<'_>,
        instance_id: String,
    ) -> AsyncTask<Blocking<keyseat::Deactivation>> {
        let key: Outcome<String> =
            from_js(key).map_err(|_| invalid_input("the key must be a string"));
        let licensor = self.inner.clone();
        AsyncTask::new(Blocking {
            work: Some(Box::new(move || {
                licensor
                    .release_instance(&key?, &instance_id)
                    .map_err(|e| failure(&e))
            })),
        })
    }

    /// The seats of `key`, or of this machine's activation's key when none is given: each
    /// with its `id` (what `releaseInstance(key, id)` frees), `name`, `createdAt` and
    /// whether it is `thisMachine`. Asks the server. Rejects with code `UNSUPPORTED` for a
    /// provider that cannot list seats (Dodo, Lemon Squeezy and Polar directly; the relay
    /// and Keygen can).
    #[napi(ts_return_type = "Promise<Array<Seat>>")]
    pub fn seats(
        &self,
        #[napi(ts_arg_type = "string | undefined | null")] key: Option<Unknown<'_>>,
    ) -> AsyncTask<Blocking<Vec<keyseat::api::Seat>>> {
        let key: Outcome<Option<String>> = match key {
            None => Ok(None),
            Some(key) => match key.get_type() {
                Ok(napi::ValueType::Undefined | napi::ValueType::Null) => Ok(None),
                _ => from_js(key)
                    .map(Some)
                    .map_err(|_| invalid_input("the key must be a string")),
            },
        };
        let licensor = self.inner.clone();
        AsyncTask::new(Blocking {
            work: Some(Box::new(move || {
                licensor.seats(key?.as_deref()).map_err(|e| failure(&e))
            })),
        })
    }

    /// The request to activate `key` on this machine offline, through the seller's relay:
    /// text to carry to the relay's page, which answers with a machine file for
    /// `offlineActivate`. The key travels sealed to the relay's key; nothing is stored or
    /// sent. Throws with code `UNSUPPORTED` for a provider other than the relay.
    #[napi]
    pub fn offline_request(
        &self,
        #[napi(ts_arg_type = "string")] key: Unknown<'_>,
    ) -> napi::Result<String, Code> {
        let key: String = from_js(key).map_err(|_| invalid_input("the key must be a string"))?;
        self.inner.offline_request(&key).map_err(|e| failure(&e))
    }

    /// Activates `key` on this machine from the relay's machine file (its text), with no
    /// network: signed by a pinned relay key, for this key on this machine, of an accepted
    /// product, not expired. Licensed until the file's expiry (`graceDeadline`).
    #[napi(ts_return_type = "Promise<LicenseStatus>")]
    pub fn offline_activate(
        &self,
        #[napi(ts_arg_type = "string")] key: Unknown<'_>,
        #[napi(ts_arg_type = "string")] machine_file: Unknown<'_>,
    ) -> AsyncTask<Blocking<keyseat::LicenseStatus>> {
        let key: Outcome<String> =
            from_js(key).map_err(|_| invalid_input("the key must be a string"));
        let file: Outcome<String> =
            from_js(machine_file).map_err(|_| invalid_input("the machine file must be a string"));
        let licensor = self.inner.clone();
        AsyncTask::new(Blocking {
            work: Some(Box::new(move || {
                licensor
                    .offline_activate(&key?, &file?)
                    .map_err(|e| failure(&e))
            })),
        })
    }

    /// Removes this machine's offline activation, with no network, and resolves with the
    /// proof of its removal: text to carry to the relay's page, which frees the seat once.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn offline_deactivate(&self) -> AsyncTask<Blocking<String>> {
        let licensor = self.inner.clone();
        blocking(move || licensor.offline_deactivate())
    }

    /// The license state from the cache alone, never the network: for the first frame of
    /// a window, or a check on every launch that must not wait.
    #[napi]
    pub fn check_offline(&self) -> napi::Result<LicenseStatus, Code> {
        right_now(|| self.inner.check_offline())
    }

    /// This machine's fingerprint for this app: 64 hex characters.
    #[napi]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint().id()
    }

    /// Checks the license now and then every `intervalMs` milliseconds on a background
    /// thread, asking the server when the last answer is older than the interval, and calls
    /// `callback` with the status on the first check and on every change of state. The
    /// watch keeps the process alive until `stop()` is called, as `setInterval` does.
    #[napi]
    pub fn watch(
        &self,
        interval_ms: f64,
        callback: Function<'_, LicenseStatus, ()>,
    ) -> napi::Result<Watch, Code> {
        Watch::start(&self.inner, interval(interval_ms)?, callback)
    }
}

/// A core call that returns a status, run on the JavaScript thread (it uses no network),
/// its panic caught.
fn right_now(
    call: impl FnOnce() -> Result<keyseat::LicenseStatus, keyseat::Error>,
) -> napi::Result<LicenseStatus, Code> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(status)) => Ok(LicenseStatus::from(&status)),
        Ok(Err(e)) => Err(failure(&e)),
        Err(_) => Err(panicked()),
    }
}

/// Options of `deactivate()`.
#[napi(object)]
pub struct DeactivateOptions {
    /// Remove local state even when the server cannot be reached.
    pub force: Option<bool>,
}

/// A core call run on libuv's thread pool, settling a Promise on the JavaScript thread.
pub struct Blocking<T: Send + 'static> {
    work: Option<Box<dyn FnOnce() -> Outcome<T> + Send>>,
}

fn blocking<T: IntoJs>(
    work: impl FnOnce() -> Result<T, keyseat::Error> + Send + 'static,
) -> AsyncTask<Blocking<T>> {
    AsyncTask::new(Blocking {
        work: Some(Box::new(move || work().map_err(|e| failure(&e)))),
    })
}

/// What a finished core call becomes in JavaScript.
pub trait IntoJs: Send + 'static {
    /// The JavaScript value.
    type Js: ToNapiValue + TypeName;
    /// Converts on the JavaScript thread.
    fn into_js(self) -> Self::Js;
}

impl IntoJs for keyseat::LicenseStatus {
    type Js = LicenseStatus;
    fn into_js(self) -> LicenseStatus {
        LicenseStatus::from(&self)
    }
}

impl IntoJs for String {
    type Js = String;
    fn into_js(self) -> String {
        self
    }
}

impl IntoJs for Vec<keyseat::api::Seat> {
    type Js = Vec<Seat>;
    fn into_js(self) -> Vec<Seat> {
        self.iter().map(Seat::from).collect()
    }
}

/// What `deactivate()` achieved: `'slot_freed'` (the server freed the slot),
/// `'already_gone'` (the server no longer knew the activation), `'local_only'` (the
/// server could not be reached and `force` was given: the slot is still held) or
/// `'no_seat'` (the key held no seat: local state removed).
impl IntoJs for keyseat::Deactivation {
    type Js = String;
    fn into_js(self) -> String {
        self.name().to_owned()
    }
}

impl<T: IntoJs> Task for Blocking<T> {
    type Output = Outcome<T>;
    type JsValue = T::Js;

    fn compute(&mut self) -> napi::Result<Outcome<T>> {
        let Some(work) = self.work.take() else {
            return Ok(Err(panicked()));
        };
        Ok(catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| Err(panicked())))
    }

    fn resolve(&mut self, env: Env, output: Outcome<T>) -> napi::Result<T::Js> {
        match output {
            Ok(value) => Ok(value.into_js()),
            Err(e) => Err(rejection(env, e)),
        }
    }
}

/// A panic inside keyseat, caught: code `PANIC`, as `KS_ERR_PANIC` in C.
fn panicked() -> Failure {
    napi::Error::new(Code::PANIC, "internal error (panic) in keyseat")
}
