//! Helpers shared by the integration tests: an emulator with a seeded key, and a client
//! pointed at it with fast retries.

use std::time::Duration;

use keyseat::LicenseKey;
use keyseat::api::{Client, Environment, RetryPolicy};
use keyseat_emulator::{Emulator, KeySpec};

/// A key recognisable in any output, used to prove it never leaks.
pub const KEY: &str = "LK-SECRET-7f3a9c21-5b8e-4d2a-9e61-c0ffee1234ab";

/// An emulator serving [`KEY`] with the given activation limit.
pub fn emulator(limit: Option<u32>) -> Emulator {
    let mut spec = KeySpec::new(KEY);
    spec.activations_limit = limit;
    spec.product_name = Some("Emulated App".into());
    Emulator::start(vec![spec]).expect("emulator starts")
}

/// Retries that wait milliseconds, not seconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: RetryPolicy::default().max_retry_after,
    }
}

/// A client for `url` with fast retries and a short timeout.
pub fn client(url: &str) -> Client {
    Client::builder()
        .environment(Environment::Custom(url.to_owned()))
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(2))
        .build()
        .expect("loopback URL is accepted")
}

/// [`KEY`] as a [`LicenseKey`].
pub fn key() -> LicenseKey {
    LicenseKey::new(KEY).expect("valid key")
}

/// A loopback URL on which nothing listens (connections are refused).
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// A fingerprint for a made-up machine called `name`, so tests do not depend on the host.
pub fn machine(name: &str) -> keyseat::fingerprint::Fingerprint {
    machine_labelled("keyseat-tests", name)
}

/// The made-up machine `name`, its fingerprint keyed for the app label `label`.
pub fn machine_labelled(label: &str, name: &str) -> keyseat::fingerprint::Fingerprint {
    use keyseat::fingerprint::{Confidence, Fingerprint, RawComponents};
    let raw = RawComponents {
        machine_id: format!("{name}-machine-id"),
        hostname: Some(name.to_owned()),
        os: Some("TestOS 1".into()),
        cpu: Some("TestCPU / x86_64".into()),
        ram_gib: Some(16),
        mac: None,
    };
    Fingerprint::from_raw(label, &raw, Confidence::High)
}

/// A Licensor builder for test app `app` on server `url` and directory `dir`: file key
/// storage, a vendor secret, the made-up machine `app`, fast retries; Dodo keys of the
/// emulator's default product.
pub fn licensor_builder(
    app: &str,
    url: impl Into<String>,
    dir: &std::path::Path,
) -> keyseat::licensor::LicensorBuilder {
    Seller::Dodo.licensor_builder(app, url, dir)
}

/// An emulator serving `keys`, signing Keygen answers with [`KEYGEN_SEED`].
pub fn signing_emulator(keys: Vec<KeySpec>) -> Emulator {
    let emu = Emulator::start(keys).expect("emulator starts");
    emu.use_keygen_seed(&KEYGEN_SEED)
        .expect("the seed is accepted");
    emu
}

/// Who sold [`KEY`] in a test: the key as the emulator serves it, and the Licensor settings
/// that accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seller {
    /// Dodo Payments, product [`keyseat_emulator::DEFAULT_PRODUCT_ID`].
    Dodo,
    /// Lemon Squeezy store [`LS_STORE`], product [`LS_PRODUCT`].
    LemonSqueezy,
    /// Polar organization [`POLAR_ORG`], benefit [`POLAR_BENEFIT`].
    Polar,
    /// Keygen account [`KEYGEN_ACCOUNT`], product [`KEYGEN_PRODUCT`], answers signed with the
    /// seed [`KEYGEN_SEED`].
    Keygen,
}

/// The Keygen account of the tests.
pub const KEYGEN_ACCOUNT: &str = "acme";
/// The Keygen product of the tests.
pub const KEYGEN_PRODUCT: &str = "9c1e3c0e-0000-4000-8000-0000000000aa";
/// The seed the tests' emulators sign Keygen answers with: a public test value.
pub const KEYGEN_SEED: [u8; 32] = [0x11; 32];
/// The public key of [`KEYGEN_SEED`], computed by Python's `cryptography`, not by keyseat.
pub const KEYGEN_PUBLIC_KEY: &str =
    "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737";

/// The Lemon Squeezy store of the tests.
pub const LS_STORE: u64 = 7;
/// The Lemon Squeezy product of the tests.
pub const LS_PRODUCT: &str = "4";
/// The Polar organization of the tests.
pub const POLAR_ORG: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
/// The Polar benefit of the tests.
pub const POLAR_BENEFIT: &str = "5a1e3c0e-0000-4000-8000-000000000003";

impl Seller {
    /// `key` as this seller's emulator serves it, with at most `limit` activations (for
    /// Polar, `None` is 100: its `null` means no activations at all).
    pub fn spec(self, key: &str, limit: Option<u32>) -> KeySpec {
        let spec = KeySpec::new(key);
        let mut spec = match self {
            Seller::Dodo => spec,
            Seller::LemonSqueezy => spec
                .sold_by("lemonsqueezy", &LS_STORE.to_string())
                .of_product(LS_PRODUCT),
            Seller::Polar => spec.sold_by("polar", POLAR_ORG).of_product(POLAR_BENEFIT),
            Seller::Keygen => spec
                .sold_by("keygen", KEYGEN_ACCOUNT)
                .of_product(KEYGEN_PRODUCT),
        };
        spec.activations_limit = match self {
            Seller::Polar => limit.or(Some(100)),
            _ => limit,
        };
        spec.product_name = Some("Emulated App".into());
        spec
    }

    /// An emulator serving [`KEY`] as this seller's, with the given activation limit.
    pub fn emulator(self, limit: Option<u32>) -> Emulator {
        signing_emulator(vec![self.spec(KEY, limit)])
    }

    /// The provider.
    pub fn provider(self) -> keyseat::api::Provider {
        match self {
            Seller::Dodo => keyseat::api::Provider::dodo(),
            Seller::LemonSqueezy => keyseat::api::Provider::lemon_squeezy(LS_STORE),
            Seller::Polar => keyseat::api::Provider::polar(POLAR_ORG),
            Seller::Keygen => keyseat::api::Provider::keygen(KEYGEN_ACCOUNT, KEYGEN_PUBLIC_KEY),
        }
    }

    /// The product (Polar: benefit) the app accepts.
    pub fn product(self) -> &'static str {
        match self {
            Seller::Dodo => keyseat_emulator::DEFAULT_PRODUCT_ID,
            Seller::LemonSqueezy => LS_PRODUCT,
            Seller::Polar => POLAR_BENEFIT,
            Seller::Keygen => KEYGEN_PRODUCT,
        }
    }

    /// As [`licensor_builder`], for this seller's keys.
    pub fn licensor_builder(
        self,
        app: &str,
        url: impl Into<String>,
        dir: &std::path::Path,
    ) -> keyseat::licensor::LicensorBuilder {
        keyseat::Licensor::builder(keyseat::App::new("com", "Example", app))
            .provider(self.provider())
            .product_ids([self.product()])
            .environment(Environment::Custom(url.into()))
            .data_dir(dir)
            .key_storage(keyseat::KeyStorage::File)
            .vendor_secret(format!("{app} vendor secret").into_bytes())
            .fingerprint(machine(app))
            .retry_policy(fast_retries())
    }
}

/// A Licensor of test app `com.KeyseatTest.<app>` on `url` and `dir`, keeping its key in
/// the OS credential store (falling back to the file).
pub fn keyring_licensor(app: &str, url: String, dir: &std::path::Path) -> keyseat::Licensor {
    keyseat::Licensor::builder(keyseat::App::new("com", "KeyseatTest", app))
        .product_ids([keyseat_emulator::DEFAULT_PRODUCT_ID])
        .environment(Environment::Custom(url))
        .data_dir(dir)
        .key_storage(keyseat::KeyStorage::Keyring)
        .build()
        .expect("a licensor")
}

/// The data that earlier releases wrote (`tests/fixtures`, see each README there).
pub mod fixtures {
    use std::path::{Path, PathBuf};

    /// When the fixtures were written: the Unix time of the clock of the releases' tests.
    pub const WRITTEN_AT: u64 = 1_800_000_000;

    /// The folder of fixture `name` (`v0.1`, `format2`).
    pub fn dir(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
    }

    /// A JSON file of the fixtures.
    pub fn json(path: &str) -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(path);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The made-up machine the fixtures were written on (`fixtures/machine.json`): the test
    /// machine of those releases, its fingerprint keyed with a label of its own.
    pub fn machine() -> keyseat::fingerprint::Fingerprint {
        let machine = json("machine.json");
        let field = |name: &str| machine[name].as_str().expect("a string field").to_owned();
        super::machine_labelled(&field("fingerprint_app_label"), &field("name"))
    }
}
