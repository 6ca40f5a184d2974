//! Helpers shared by the integration tests: an emulator with a seeded key, and a client
//! pointed at it with fast retries.

use std::time::Duration;

use licensekit::LicenseKey;
use licensekit::api::{Client, Environment, RetryPolicy};
use licensekit_emulator::{Emulator, KeySpec};

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
        max_retry_after: Duration::from_secs(60),
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
pub fn machine(name: &str) -> licensekit::fingerprint::Fingerprint {
    use licensekit::fingerprint::{Confidence, Fingerprint, RawComponents};
    let raw = RawComponents {
        machine_id: format!("{name}-machine-id"),
        hostname: Some(name.to_owned()),
        os: Some("TestOS 1".into()),
        cpu: Some("TestCPU / x86_64".into()),
        ram_gib: Some(16),
        mac: None,
    };
    Fingerprint::from_raw("licensekit-tests", &raw, Confidence::High)
}

/// A Licensor builder for test app `app` on server `url` and directory `dir`: file key
/// storage, a vendor secret, the made-up machine `app`, fast retries.
pub fn licensor_builder(
    app: &str,
    url: impl Into<String>,
    dir: &std::path::Path,
) -> licensekit::licensor::LicensorBuilder {
    licensekit::Licensor::builder(licensekit::App::new("com", "Example", app))
        .product_ids([licensekit_emulator::DEFAULT_PRODUCT_ID])
        .environment(Environment::Custom(url.into()))
        .data_dir(dir)
        .key_storage(licensekit::KeyStorage::File)
        .vendor_secret(format!("{app} vendor secret").into_bytes())
        .fingerprint(machine(app))
        .retry_policy(fast_retries())
}

/// A Licensor of test app `com.LicensekitTest.<app>` on `url` and `dir`, keeping its key in
/// the OS credential store (falling back to the file).
pub fn keyring_licensor(app: &str, url: String, dir: &std::path::Path) -> licensekit::Licensor {
    licensekit::Licensor::builder(licensekit::App::new("com", "LicensekitTest", app))
        .product_ids([licensekit_emulator::DEFAULT_PRODUCT_ID])
        .environment(Environment::Custom(url))
        .data_dir(dir)
        .key_storage(licensekit::KeyStorage::Keyring)
        .build()
        .expect("a licensor")
}
