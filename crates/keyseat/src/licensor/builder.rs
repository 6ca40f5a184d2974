//! Configuration of a [`Licensor`]: the app identity and every policy knob.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::api::{Client, Environment, Provider, RetryPolicy, TrustStore};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::fingerprint::Fingerprint;
use crate::storage::{CredentialStore, KeyStorage};

use super::binding::{Binding, Products};
use super::policy::Policy;
use super::trial::TrialSetting;
use super::{Inner, Licensor};

/// The vendor's application, as `directories::ProjectDirs` names it: it decides where the
/// cache lives and which keychain entry holds the key. Every program that should share one
/// activation (the app, `licensectl`) must use the same identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Reverse-domain qualifier, e.g. `com`.
    pub qualifier: String,
    /// Organisation, e.g. `Example`.
    pub organisation: String,
    /// Application, e.g. `PhotoTool`.
    pub application: String,
}

impl App {
    /// An app identity.
    pub fn new(qualifier: &str, organisation: &str, application: &str) -> App {
        App {
            qualifier: qualifier.to_owned(),
            organisation: organisation.to_owned(),
            application: application.to_owned(),
        }
    }

    /// An app identity whose parts are checked: none empty, none with a control character,
    /// and no dot in the qualifier or the application (so that [`App::id`] parses back).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] naming the part that is wrong.
    pub fn try_new(qualifier: &str, organisation: &str, application: &str) -> Result<App, Error> {
        for (name, part) in [
            ("qualifier", qualifier),
            ("organisation", organisation),
            ("application", application),
        ] {
            if part.trim().is_empty() || part.chars().any(char::is_control) {
                return Err(Error::invalid_input(format!(
                    "the app's {name} must be non-empty printable text, got {part:?}"
                )));
            }
        }
        if qualifier.contains('.') || application.contains('.') {
            return Err(Error::invalid_input(
                "only the app's organisation may contain a dot",
            ));
        }
        Ok(App::new(qualifier, organisation, application))
    }

    /// Parses `qualifier.organisation.application` (the organisation may itself contain
    /// dots: the first part is the qualifier and the last the application).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] when there are fewer than three non-empty parts.
    pub fn parse(id: &str) -> Result<App, Error> {
        let bad = || {
            Error::invalid_input(format!(
                "the app identity must be qualifier.organisation.application, got {id:?}"
            ))
        };
        let (qualifier, rest) = id.split_once('.').ok_or_else(bad)?;
        let (organisation, application) = rest.rsplit_once('.').ok_or_else(bad)?;
        App::try_new(qualifier, organisation, application).map_err(|_| bad())
    }

    /// `qualifier.organisation.application`.
    pub fn id(&self) -> String {
        format!(
            "{}.{}.{}",
            self.qualifier, self.organisation, self.application
        )
    }
}

/// The shortest vendor secret that protects what a Licensor stores, in bytes: a trial needs
/// one, and a status says whether the local state has one
/// ([`crate::LicenseStatus::local_state_protected`]).
pub const MIN_VENDOR_SECRET_LEN: usize = 16;

/// Options for a [`Licensor`]. Start with [`Licensor::builder`], and name the products
/// whose keys the app accepts with [`LicensorBuilder::product_ids`] (or, knowingly,
/// [`LicensorBuilder::any_product`]): `build` refuses a builder with neither.
pub struct LicensorBuilder {
    app: App,
    provider: Provider,
    product_ids: Vec<String>,
    variant_ids: Vec<String>,
    any_product: bool,
    trust: TrustStore,
    ca_file: Option<PathBuf>,
    environment: Environment,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    grace: Duration,
    revalidate_every: Duration,
    clock_tolerance: Duration,
    retry_after_failure: Duration,
    vendor_secret: Vec<u8>,
    key_storage: KeyStorage,
    data_dir: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    fingerprint: Option<Fingerprint>,
    vendor_machine_id: Option<String>,
    trial: TrialSetting,
    include_host: bool,
    report_other_secret: bool,
}

impl LicensorBuilder {
    pub(super) fn new(app: App) -> LicensorBuilder {
        LicensorBuilder {
            app,
            provider: Provider::default(),
            product_ids: Vec::new(),
            variant_ids: Vec::new(),
            any_product: false,
            trust: TrustStore::Bundled,
            ca_file: None,
            environment: Environment::Live,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            grace: Duration::from_secs(14 * 24 * 3600),
            revalidate_every: Duration::from_secs(24 * 3600),
            clock_tolerance: Duration::from_secs(2 * 3600),
            retry_after_failure: Duration::from_secs(15 * 60),
            vendor_secret: Vec::new(),
            key_storage: KeyStorage::Keyring,
            data_dir: None,
            clock: Arc::new(SystemClock),
            fingerprint: None,
            vendor_machine_id: None,
            trial: TrialSetting::Off,
            include_host: true,
            report_other_secret: false,
        }
    }

    /// Who sold the keys (default [`Provider::dodo`]): `.provider(Provider::lemon_squeezy(
    /// store_id))` or `.provider(Provider::polar(organization_id))`. A stored activation of
    /// another provider or account is [`crate::LicenseState::WrongProduct`].
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// Accepts keys of these product ids; may be called more than once. They are the
    /// provider's: Dodo product ids (`pdt_…`), Lemon Squeezy product ids, Polar benefit ids.
    /// License endpoints are public and any seller can mint keys, so an app must say which
    /// products are its own: a key of another product is refused at activation
    /// ([`crate::ErrorKind::WrongProduct`], its slot released) and a stored activation of
    /// another product is [`crate::LicenseState::WrongProduct`], never licensed.
    pub fn product_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.product_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Lemon Squeezy only: accepts keys of these variants of the accepted products, and no
    /// other; may be called more than once. Without it, every variant is accepted.
    pub fn variant_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.variant_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Accepts a key of any product, from any Dodo merchant (of the account, for the other
    /// providers). Only for tools that are not
    /// themselves the licensed product (a support utility); an app that sells licenses wants
    /// [`LicensorBuilder::product_ids`].
    pub fn any_product(mut self) -> Self {
        self.any_product = true;
        self
    }

    /// The server (default [`Environment::Live`]).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Where trusted root certificates come from (default: the Mozilla roots compiled in).
    /// See [`TrustStore`].
    pub fn trust_store(mut self, trust: TrustStore) -> Self {
        self.trust = trust;
        self
    }

    /// Also trusts the certificates of this PEM file (a company CA of a TLS-inspecting
    /// proxy), beside the bundled roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Connect timeout (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Whole-request timeout (default 30 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Retry schedule of the API client.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long the license keeps working without reaching the server, counted from the
    /// last successful validation (default 14 days).
    pub fn grace_period(mut self, d: Duration) -> Self {
        self.grace = d;
        self
    }

    /// How old the last answer may be before a check asks the server again (default 24 h).
    pub fn revalidate_every(mut self, d: Duration) -> Self {
        self.revalidate_every = d;
        self
    }

    /// How far the clock may go back before it counts as a rollback (default 2 h).
    pub fn clock_tolerance(mut self, d: Duration) -> Self {
        self.clock_tolerance = d;
        self
    }

    /// After a failed attempt to reach the server, how long checks answer from the cache
    /// before trying again (default 15 min), so that an offline app does not wait on the
    /// network at every check.
    pub fn retry_after_failure(mut self, d: Duration) -> Self {
        self.retry_after_failure = d;
        self
    }

    /// A secret of the vendor's, at least [`MIN_VENDOR_SECRET_LEN`] bytes, keying the MACs
    /// of everything the Licensor stores (credentials, cache, trial). Set one: without it,
    /// anyone who knows the license key can write credentials and a cache that pass, and a
    /// trial cannot be enabled at all.
    pub fn vendor_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.vendor_secret = secret.into();
        self
    }

    /// Where the credentials go (default [`KeyStorage::Keyring`]).
    pub fn key_storage(mut self, storage: KeyStorage) -> Self {
        self.key_storage = storage;
        self
    }

    /// Overrides the data directory (default `ProjectDirs::data_local_dir()`).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The clock (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Gives the app a local trial of `days` days, which [`Licensor::start_trial`] starts on
    /// this machine (a day is 86 400 seconds). Without it, the app has no trial and
    /// `check()` with no activation is `NotActivated`. `build` refuses 0, and a trial
    /// without a vendor secret of at least [`MIN_VENDOR_SECRET_LEN`] bytes (whose record
    /// anyone could write).
    pub fn trial_days(mut self, days: u32) -> Self {
        self.trial = TrialSetting::Days(days);
        self
    }

    /// Reports a trial the app started on this machine, without being able to start one:
    /// for a tool of the app that does not know the trial's length (`licensectl status`).
    /// With a vendor secret shorter than [`MIN_VENDOR_SECRET_LEN`] bytes there is no trial to
    /// report (the app could not have one), and none is.
    pub fn observe_trial(mut self) -> Self {
        if self.trial == TrialSetting::Off {
            self.trial = TrialSetting::Observe;
        }
        self
    }

    /// For a tool of the app (`licensectl`, a support utility), run by a person who can give
    /// it the app's secret: license data that fails its MAC and names another vendor secret,
    /// with nothing on this machine written with this program's, is
    /// [`crate::ErrorKind::VendorSecretMismatch`] instead of `Tampered`. An app never sets
    /// it: its secret is compiled in, so such a file was planted, and a check must never be
    /// turned into an error by a planted file. (A program without a vendor secret of
    /// [`MIN_VENDOR_SECRET_LEN`] bytes is told so anyway.)
    pub fn report_other_vendor_secret(mut self) -> Self {
        self.report_other_secret = true;
        self
    }

    /// Whether activation names start with this machine's host name (default true):
    /// `Ada's ThinkPad (Windows 11) · 3f9a2c`. Without it (for privacy) they are
    /// `(Windows 11) · 3f9a2c`.
    pub fn instance_names_include_host(mut self, include: bool) -> Self {
        self.include_host = include;
        self
    }

    /// A machine ID of the vendor's own, used instead of the OS one.
    pub fn vendor_machine_id(mut self, id: impl Into<String>) -> Self {
        self.vendor_machine_id = Some(id.into());
        self
    }

    /// A fingerprint computed by the caller, used as is.
    pub fn fingerprint(mut self, fingerprint: Fingerprint) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// Resolves the data directory, computes the fingerprint and builds the Licensor.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] without a product binding (neither
    /// [`LicensorBuilder::product_ids`] nor [`LicensorBuilder::any_product`], or both), for
    /// an empty product or variant id, variant ids for a provider other than Lemon Squeezy, a
    /// malformed account id, a trial of 0 days or without a vendor secret of at least
    /// [`MIN_VENDOR_SECRET_LEN`] bytes, a bad base URL or CA file, or when no data
    /// directory can be found; [`crate::ErrorKind::Io`] when it cannot be created or the CA
    /// file read.
    pub fn build(self) -> Result<Licensor, Error> {
        let products = Products::new(self.product_ids, self.any_product)?;
        if self.variant_ids.iter().any(|v| v.trim().is_empty()) {
            return Err(Error::invalid_input("a variant id is empty"));
        }
        if !self.variant_ids.is_empty() && !self.provider.has_variants() {
            return Err(Error::invalid_input(
                "variant ids are Lemon Squeezy's: other providers have none",
            ));
        }
        if self.trial == TrialSetting::Days(0) {
            return Err(Error::invalid_input("a trial of 0 days: give at least 1"));
        }
        let short_secret = self.vendor_secret.len() < MIN_VENDOR_SECRET_LEN;
        if short_secret && matches!(self.trial, TrialSetting::Days(_)) {
            return Err(Error::invalid_input(format!(
                "a trial needs a vendor secret of at least {MIN_VENDOR_SECRET_LEN} bytes: \
                 without one, anyone can write a trial record that passes"
            )));
        }
        let trial = match self.trial {
            TrialSetting::Observe if short_secret => TrialSetting::Off,
            setting => setting,
        };
        let data_dir = match self.data_dir {
            Some(d) => d,
            None => directories::ProjectDirs::from(
                &self.app.qualifier,
                &self.app.organisation,
                &self.app.application,
            )
            .ok_or_else(|| Error::invalid_input("no home directory to keep license data in"))?
            .data_local_dir()
            .to_owned(),
        };
        create_private_dir(&data_dir)?;
        let app_id = self.app.id();
        let fingerprint = match self.fingerprint {
            Some(f) => f,
            None => {
                let mut b = Fingerprint::builder(&app_id).fallback_dir(&data_dir);
                if let Some(id) = self.vendor_machine_id {
                    b = b.vendor_machine_id(id);
                }
                b.compute()?
            }
        };
        let ids = match &products {
            Products::Only(ids) => ids.as_slice(),
            Products::Any => &[],
        };
        let client = Client::builder()
            .provider(self.provider.scoped_to(ids))
            .environment(self.environment)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .retry_policy(self.retry)
            .trust_store(self.trust);
        let client = match self.ca_file {
            Some(path) => client.ca_file(path),
            None => client,
        }
        .build()?;
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Ok(Licensor {
            inner: Arc::new(Inner {
                store: CredentialStore::new(
                    self.key_storage,
                    &app_id,
                    &data_dir,
                    &self.vendor_secret,
                ),
                app_id,
                binding: Binding {
                    provider: self.provider,
                    products,
                    variants: self.variant_ids,
                },
                cache_path: data_dir.join(crate::cache::CACHE_FILE),
                trial_path: super::trial::file_in(&data_dir),
                trial,
                include_host: self.include_host,
                memo: super::memo::CacheMemo::default(),
                lock: super::lock::DirLock::new(data_dir.clone()),
                data_dir,
                client,
                policy: Policy {
                    revalidate_every: secs(self.revalidate_every),
                    grace: secs(self.grace),
                    clock_tolerance: secs(self.clock_tolerance),
                    retry_after_failure: secs(self.retry_after_failure),
                },
                report_other_secret: self.report_other_secret || short_secret,
                vendor_secret: zeroize::Zeroizing::new(self.vendor_secret),
                clock: self.clock,
                fingerprint,
            }),
        })
    }
}

fn create_private_dir(dir: &std::path::Path) -> Result<(), Error> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_parse() {
        let a = App::parse("com.example.PhotoTool").unwrap();
        assert_eq!(a, App::new("com", "example", "PhotoTool"));
        assert_eq!(a.id(), "com.example.PhotoTool");
        let b = App::parse("io.acme.labs.Tool").unwrap();
        assert_eq!(b.organisation, "acme.labs");
        for bad in ["", "a", "a.b", "a..b", ".a.b", "a.b.", "a. .b", "a.\u{7}.b"] {
            assert!(App::parse(bad).is_err(), "{bad}");
        }
        assert!(App::try_new("com", "acme.labs", "Tool").is_ok());
        assert!(App::try_new("co.uk", "acme", "Tool").is_err());
        assert!(App::try_new("com", "acme", "Tool.exe").is_err());
        assert!(App::try_new("com", "", "Tool").is_err());
    }
}
