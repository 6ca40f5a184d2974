//! `licensectl offline-request`, `offline-activate` and `offline-deactivate`: activation
//! for a machine that never goes online, through the seller's keyseat-relay, with files a
//! person carries (a USB stick, an e-mail, the relay's page).

use std::path::Path;

use keyseat::Licensor;
use serde_json::json;

use crate::failure::Failure;
use crate::output::{self, exit, state_exit};

/// Writes `text` to `out`, or prints it.
fn deliver(text: &str, out: Option<&Path>) -> Result<(), Failure> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| Failure::System {
            what: "writing the file",
            detail: format!("{}: {e}", path.display()),
        }),
        None => {
            say!("{}", text.trim_end());
            Ok(())
        }
    }
}

/// `offline-request`: the request for `key`, to stdout or `out`.
pub fn request(licensor: &Licensor, key: &str, out: Option<&Path>) -> Result<u8, Failure> {
    let text = licensor.offline_request(key)?;
    deliver(&text, out)?;
    if out.is_some() {
        eprintln!(
            "licensectl: the request is written; take it to the seller's relay (its page), and \
             bring back the machine file for: licensectl offline-activate FILE"
        );
    }
    Ok(exit::OK)
}

/// `offline-activate`: activates `key` from the machine file at `file`.
pub fn activate(
    licensor: &Licensor,
    json_out: bool,
    key: &str,
    file: &Path,
) -> Result<u8, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::System {
        what: "reading the machine file",
        detail: format!("{}: {e}", file.display()),
    })?;
    let status = licensor.offline_activate(key, &text)?;
    if json_out {
        say!("{}", output::status_json(&status));
    } else {
        say!("{}", output::status_text(&status));
    }
    Ok(state_exit(&status.state))
}

/// `offline-deactivate`: removes the offline activation and writes its release proof.
pub fn deactivate(licensor: &Licensor, json_out: bool, out: Option<&Path>) -> Result<u8, Failure> {
    // The proof is kept safe (written) before anything is removed.
    let proof = licensor.offline_release_proof()?;
    if let Some(path) = out {
        deliver(&proof, Some(path))?;
    }
    licensor.offline_deactivate()?;
    match (out, json_out) {
        (Some(path), true) => {
            say!(
                "{}",
                json!({ "deactivated": true, "proof_file": path.display().to_string() })
            )
        }
        (Some(path), false) => say!(
            "deactivated: the seat is freed when the seller's relay gets the proof in {}",
            path.display()
        ),
        (None, true) => say!("{}", json!({ "deactivated": true, "proof": proof })),
        (None, false) => say!("{}", proof.trim_end()),
    }
    Ok(exit::OK)
}
