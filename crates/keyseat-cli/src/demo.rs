//! `licensectl demo`: the whole lifecycle against a built-in emulator, narrated. Everything
//! lives in a temporary directory with the key in memory: nothing touches the user's real
//! data directory or keychain, and nothing reaches the network beyond loopback.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use keyseat::api::{Environment, RetryPolicy};
use keyseat::clock::{Clock, ManualClock};
use keyseat::{App, KeyStorage, LicenseStatus, Licensor};
use keyseat_emulator::{Emulator, Endpoint, KeySpec, KeyStatus};

use crate::output::{self, Colour, exit};

const DEMO_KEY: &str = "DEMO-2b1f8e2d-c41e-4e8f-b2d3-d9fd61c38f43";
/// The demo app's own product.
const DEMO_PRODUCT: &str = "pdt_phototool_pro";
/// A key some other merchant sold for some other product.
const OTHER_KEY: &str = "OTHER-9c0d7e4a-1f2b-4c3d-8e5f-a6b7c8d9e0f1";
const DAY: Duration = Duration::from_secs(86_400);

pub fn run() -> u8 {
    match walk() {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("licensectl demo: {e}");
            exit::OTHER
        }
    }
}

fn walk() -> Result<(), Box<dyn std::error::Error>> {
    let c = Colour::stdout();
    let mut spec = KeySpec::new(DEMO_KEY).with_limit(2);
    spec.product_name = Some("PhotoTool Pro".into());
    spec.customer_email = "ada@example.com".into();
    spec.product_id = DEMO_PRODUCT.into();
    let mut other = KeySpec::new(OTHER_KEY).with_limit(1);
    other.product_id = "pdt_someone_elses_app".into();
    let server = Emulator::start(vec![spec, other])?;
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let licensor = Licensor::builder(App::new("com", "Example", "LicensectlDemo"))
        .product_ids([DEMO_PRODUCT])
        .environment(Environment::Custom(server.url()))
        .data_dir(dir.path())
        .key_storage(KeyStorage::Memory)
        .vendor_secret(*b"demo vendor secret")
        .clock(clock.clone())
        .retry_policy(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .timeout(Duration::from_secs(3))
        .build()?;

    let step = |n: u32, title: &str| say!("\n{} {title}", c.green(&format!("[{n}/8]")));
    say!("keyseat demo: a desktop app's license, start to finish.");
    say!(
        "A local stand-in for Dodo Payments' license API is running at {} with the app's \
         key (limit 2 machines) and a key of another product.\nLicense data goes to a temporary directory; the key is kept in \
         memory only. Time is simulated, so days pass in an instant.",
        server.url()
    );

    step(
        1,
        "Someone tries a key bought for another product (any Dodo merchant can mint keys).",
    );
    match licensor.activate(OTHER_KEY) {
        Err(e) if matches!(e.kind(), keyseat::ErrorKind::WrongProduct { .. }) => {
            say!("  {}", c.red(&format!("refused: {e}")));
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("a key of another product was accepted".into()),
    }
    say!(
        "  The app accepts only {DEMO_PRODUCT}. Slots that key holds on the server: {} of 1, \
         so its owner loses nothing.",
        server.instances_of(OTHER_KEY).len()
    );

    step(2, "The customer activates their own key on this machine.");
    let st = licensor.activate(DEMO_KEY)?;
    show(&st);
    say!(
        "  The server now holds {} activation, named {:?}.",
        server.instances_of(DEMO_KEY).len(),
        licensor.fingerprint().instance_name(true)
    );

    step(
        3,
        "Next app start, an hour later: the answer comes from the cache.",
    );
    clock.advance(Duration::from_secs(3600));
    let before = server.request_count(Endpoint::Validate);
    let st = licensor.check()?;
    show(&st);
    say!(
        "  Requests to the server for this check: {}.",
        server.request_count(Endpoint::Validate) - before
    );

    step(
        4,
        "The customer boards a plane: the server is unreachable for three days.",
    );
    server.stop();
    clock.advance(3 * DAY);
    let st = licensor.check()?;
    show(&st);
    say!("  The app keeps working: the grace period runs 14 days from the last confirmation.");

    step(5, "They land; the server is reachable again.");
    server.resume()?;
    clock.advance(Duration::from_secs(3600));
    show(&licensor.check()?);

    step(
        6,
        "The merchant disables the key (a refund, say). A day later the app revalidates.",
    );
    server.set_key_status(DEMO_KEY, KeyStatus::Disabled);
    clock.advance(DAY + Duration::from_secs(60));
    show(&licensor.check()?);

    step(7, "Offline again, the revocation sticks: it was recorded.");
    server.stop();
    clock.advance(2 * DAY);
    show(&licensor.check()?);
    server.resume()?;

    step(
        8,
        "The merchant re-enables the key, and the customer moves to a new computer.",
    );
    server.set_key_status(DEMO_KEY, KeyStatus::Active);
    clock.advance(DAY + Duration::from_secs(60));
    show(&licensor.check()?);
    let outcome = licensor.deactivate(false)?;
    say!(
        "  {}. Activations left on the server: {}.",
        output::deactivation_text(outcome),
        server.instances_of(DEMO_KEY).len()
    );
    show(&licensor.check()?);

    say!(
        "\nDone. Simulated time: {} days. Nothing was written outside {}, which is now removed.",
        clock
            .now()
            .duration_since(SystemTime::now())
            .map_or(0, |d| d.as_secs() / 86_400),
        dir.path().display()
    );
    Ok(())
}

/// The status lines that matter for the story: the state, whether the server was asked,
/// and any advice.
fn show(st: &LicenseStatus) {
    let text = output::status_text(st);
    let advice = output::state_advice(&st.state);
    for line in text.lines().filter(|l| {
        l.starts_with("license:")
            || l.contains("server asked")
            || advice.is_some_and(|a| l.contains(a))
    }) {
        say!("  {line}");
    }
}
