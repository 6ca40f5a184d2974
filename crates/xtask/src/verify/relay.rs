//! The relay archive as a seller runs it: `keyseat-relay keygen`, then the command line and
//! environment of the archive's own systemd unit (`ExecStart=`, `Environment=`, with the
//! credentials directory and the state directory where systemd would put them), in front
//! of the CLI archive's emulator as Dodo (with an API key, sending its webhooks to the
//! relay); and a license's life through `licensectl --provider relay`, the key revoked by
//! a webhook on the way.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::cmd::Cmd;
use crate::error::{Context as _, Result, bail};

use super::emulator::{Emulator, RELAY_KEY};
use super::{Context, PRODUCT};

/// Where the unit's `ExecStart=` expects the binary.
const INSTALLED_AT: &str = "/usr/local/bin/keyseat-relay";
/// The emulator's API key, the relay's by its credential.
const API_KEY: &str = "verify-relay-api-key";
/// The webhook secret both share (Standard Webhooks' test secret).
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub fn verify(cx: &Context<'_>) -> Result<()> {
    let Some(dir) = cx.relay.clone() else {
        bail!("no relay archive among the artifacts");
    };
    let binary = dir.join("keyseat-relay");
    let unit = std::fs::read_to_string(dir.join("keyseat-relay.service"))
        .context("reading the archive's keyseat-relay.service")?;
    // What the unit's first lines have the seller do: a signing key, the two secrets.
    let credentials = cx.fresh("relay-credentials")?;
    let public_key = Cmd::new(&binary)
        .arg("keygen")
        .arg(credentials.join("signing-key"))
        .read()?
        .trim()
        .to_owned();
    if public_key.len() != 64 || !public_key.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("keygen printed {public_key:?}, not 64 hex characters");
    }
    std::fs::write(credentials.join("api-key"), API_KEY).context("writing the API key")?;
    std::fs::write(credentials.join("webhook-secret"), WEBHOOK_SECRET)
        .context("writing the webhook secret")?;
    let state = cx.fresh("relay-state")?;
    std::fs::create_dir_all(state.join("keyseat-relay")).context("the state directory")?;

    let port = free_port()?;
    let relay_url = format!("http://127.0.0.1:{port}");
    let keys = json!([{"key": RELAY_KEY, "product_id": PRODUCT, "activations_limit": 2}]);
    let hook = format!("{relay_url}/v1/webhooks/dodo");
    let dodo = Emulator::start_with(
        &cx.cli.join("keyseat-emulator"),
        &keys,
        &cx.fresh("relay-emulator")?,
        &[
            "--api-key",
            API_KEY,
            "--webhook-url",
            &hook,
            "--webhook-secret",
            WEBHOOK_SECRET,
        ],
    )?;
    let (args, mut env) = unit_command(&unit, &credentials, &state)?;
    // /etc/keyseat-relay/env, as the unit reads it: the port, and Dodo's (the emulator's) URL.
    env.push(("KEYSEAT_RELAY_LISTEN".into(), format!("127.0.0.1:{port}")));
    env.push(("KEYSEAT_RELAY_UPSTREAM_URL".into(), dodo.url.clone()));
    let relay = Served::start(&binary, &args, &env)?;
    if relay.url != relay_url {
        bail!("the relay serves {}, not {relay_url}", relay.url);
    }
    println!("relay from the archive, as its unit runs it: {}", relay.url);
    if !state.join("keyseat-relay/relay.db").is_file() {
        bail!("the relay's database is not in the unit's state directory");
    }

    let data = cx.fresh("relay-licensectl")?;
    let licensectl = |args: &[&str]| {
        Cmd::new(cx.cli.join("licensectl"))
            .args(["--app", "com.example.VerifyRelay", "--provider", "relay"])
            .args(["--base-url", &relay.url, "--public-key", &public_key])
            .args(["--product", PRODUCT, "--key-storage", "file", "--json"])
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env(
                "KEYSEAT_VENDOR_SECRET",
                "the verify relay app's vendor secret",
            )
            .output()
    };
    let state_of = |args: &[&str], code: i32, want: &str| -> Result<()> {
        let out = licensectl(args)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let errors = String::from_utf8_lossy(&out.stderr);
        if text.contains(RELAY_KEY) || errors.contains(RELAY_KEY) {
            bail!("licensectl showed the license key");
        }
        let state: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if out.status.code() != Some(code) || state["state"] != want {
            bail!(
                "licensectl {args:?}: exit {:?}, state {}, wanted {code} and {want:?}\n{text}{errors}",
                out.status.code(),
                state["state"]
            );
        }
        println!("licensectl {}: {want}", args[0]);
        Ok(())
    };
    state_of(&["activate", RELAY_KEY], 0, "active")?;
    state_of(&["status", "--refresh"], 0, "active")?;
    // The seller disables the key at Dodo; Dodo's webhook tells the relay.
    control(&dodo.url, "keys/disable", RELAY_KEY)?;
    state_of(&["status", "--refresh"], 4, "revoked")?;
    control(&dodo.url, "keys/enable", RELAY_KEY)?;
    let out = licensectl(&["deactivate"])?;
    if !out.status.success() {
        bail!(
            "licensectl deactivate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    state_of(&["status"], 3, "not_activated")?;
    relay.stop()
}

/// A unit's command: the arguments after the program, and the environment.
type UnitCommand = (Vec<String>, Vec<(String, String)>);

/// A relay of the archive in front of an emulator of its own (with an API key), for the
/// examples' flows through it: the emulator, the relay, and the public key to pin.
pub struct ForExamples {
    _emulator: Emulator,
    relay: Served,
    /// The public key the examples pin.
    pub public_key: String,
}

impl ForExamples {
    /// Its URL.
    pub fn url(&self) -> &str {
        &self.relay.url
    }
}

/// Starts [`ForExamples`]: `keygen`, then `serve` with its secrets in variables, serving
/// [`RELAY_KEY`] of [`PRODUCT`] with 2 seats.
pub fn for_examples(cx: &Context<'_>, name: &str) -> Result<ForExamples> {
    let Some(binary) = cx.relay_binary() else {
        bail!("no relay archive among the artifacts");
    };
    let dir = cx.fresh(&format!("relay-for-{name}"))?;
    let keys = json!([{"key": RELAY_KEY, "product_id": PRODUCT, "activations_limit": 2}]);
    let emulator = Emulator::start_with(
        &cx.cli.join("keyseat-emulator"),
        &keys,
        &dir,
        &["--api-key", API_KEY],
    )?;
    let public_key = Cmd::new(&binary)
        .arg("keygen")
        .arg(dir.join("signing-key"))
        .read()?
        .trim()
        .to_owned();
    let args = [
        "serve".to_owned(),
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--database".to_owned(),
        format!("sqlite://{}", dir.join("relay.db").display()),
        "--signing-key-file".to_owned(),
        dir.join("signing-key").display().to_string(),
        "--upstream-url".to_owned(),
        emulator.url.clone(),
    ];
    let env = [
        ("KEYSEAT_RELAY_API_KEY".to_owned(), API_KEY.to_owned()),
        (
            "KEYSEAT_RELAY_WEBHOOK_SECRET".to_owned(),
            WEBHOOK_SECRET.to_owned(),
        ),
    ];
    let relay = Served::start(&binary, &args, &env)?;
    Ok(ForExamples {
        _emulator: emulator,
        relay,
        public_key,
    })
}

/// The unit's `ExecStart=` (arguments after the program) and `Environment=` pairs, with
/// `%d` the credentials directory and `%S` the state directories' root, as systemd fills
/// them.
fn unit_command(unit: &str, credentials: &Path, state: &Path) -> Result<UnitCommand> {
    let fill = |text: &str| {
        text.replace("%d", &credentials.display().to_string())
            .replace("%S", &state.display().to_string())
    };
    let mut env = Vec::new();
    let mut exec = None;
    for line in unit.lines().map(str::trim) {
        if let Some(pair) = line.strip_prefix("Environment=") {
            let Some((k, v)) = pair.split_once('=') else {
                bail!("the unit's {line:?} is not NAME=VALUE");
            };
            env.push((k.to_owned(), fill(v)));
        } else if let Some(command) = line.strip_prefix("ExecStart=") {
            exec = Some(fill(command));
        }
    }
    let Some(exec) = exec else {
        bail!("the unit has no ExecStart=");
    };
    let mut words = exec.split_whitespace().map(str::to_owned);
    if words.next().as_deref() != Some(INSTALLED_AT) {
        bail!("the unit's ExecStart= does not run {INSTALLED_AT}: {exec}");
    }
    Ok((words.collect(), env))
}

/// A port free on loopback a moment ago: the emulator's webhooks must name the relay's
/// address before the relay starts.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr().context("finding a free port")?.port())
}

/// `POST /_emulator/<route>` with `{"key": key}`.
fn control(emulator: &str, route: &str, key: &str) -> Result<()> {
    let url = format!("{emulator}/_emulator/{route}");
    ureq::post(&url)
        .content_type("application/json")
        .send(json!({ "key": key }).to_string())
        .map(|_| ())
        .context(format!("POST {url}"))
}

/// The relay, running, its URL read from its first line.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(binary: &Path, args: &[String], env: &[(String, String)]) -> Result<Served> {
        println!("$ {} {}", binary.display(), args.join(" "));
        let mut child = Command::new(binary)
            .args(args)
            // Only the secrets given: none of this process's own.
            .env_remove("KEYSEAT_RELAY_API_KEY")
            .env_remove("KEYSEAT_RELAY_WEBHOOK_SECRET")
            .env_remove("KEYSEAT_RELAY_SIGNING_KEY")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context(format!("starting {}", binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("the relay has no output");
        };
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the relay's first line")?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the relay printed {line:?}, not `listening on <url>`");
        };
        Ok(Served {
            url: url.to_owned(),
            child,
        })
    }

    /// SIGTERM, as systemd stops it: it must exit with 0.
    fn stop(mut self) -> Result<()> {
        Cmd::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .run()?;
        let status = self.child.wait().context("waiting for the relay")?;
        if !status.success() {
            bail!("the relay ended with {status} at SIGTERM");
        }
        println!("relay stopped at SIGTERM");
        Ok(())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: &str = include_str!("../../../keyseat-relay/deploy/keyseat-relay.service");

    #[test]
    fn the_units_command_names_the_credentials_and_the_state_directory() {
        let (args, env) =
            unit_command(UNIT, Path::new("/run/creds"), Path::new("/var/lib")).unwrap();
        assert_eq!(args[0], "serve");
        for (flag, file) in [
            ("--signing-key-file", "/run/creds/signing-key"),
            ("--api-key-file", "/run/creds/api-key"),
            ("--webhook-secret-file", "/run/creds/webhook-secret"),
        ] {
            let at = args.iter().position(|a| a == flag).unwrap();
            assert_eq!(args[at + 1], file);
        }
        assert!(env.contains(&(
            "KEYSEAT_RELAY_DATABASE_URL".into(),
            "sqlite:///var/lib/keyseat-relay/relay.db".into()
        )));
        assert!(unit_command("[Service]\n", Path::new("/"), Path::new("/")).is_err());
        assert!(unit_command("ExecStart=/bin/true", Path::new("/"), Path::new("/")).is_err());
    }
}
