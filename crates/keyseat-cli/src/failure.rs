//! Why a `licensectl` run failed, and the exit code each cause gets: a wrong command line is
//! exit 2, keyseat's own errors map as documented in `--help`, and the process's own
//! machinery failing (stdin, signal handlers) is exit 1, not "usage".

use serde_json::{Value, json};

use crate::output::{self, exit};

/// What ended a run.
pub enum Failure {
    /// The command line is wrong or incomplete.
    Usage(String),
    /// keyseat refused or failed.
    License(keyseat::Error),
    /// Something of the process's own failed: reading stdin, installing signal handlers.
    System {
        /// What was being done.
        what: &'static str,
        /// The operating system's description.
        detail: String,
    },
}

impl From<keyseat::Error> for Failure {
    fn from(e: keyseat::Error) -> Failure {
        Failure::License(e)
    }
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => exit::USAGE,
            Failure::License(e) => output::error_exit(e),
            Failure::System { .. } => exit::OTHER,
        }
    }

    /// Prints the failure: a message and advice on stderr, or a JSON object on stdout.
    pub fn report(&self, json_out: bool) {
        let (message, advice) = match self {
            Failure::Usage(msg) => (msg.clone(), "see licensectl --help"),
            Failure::License(e) => (e.to_string(), output::error_advice(e)),
            Failure::System { what, detail } => (
                format!("{what}: {detail}"),
                "try again; if it persists, run with -v and send the output to the vendor",
            ),
        };
        if json_out {
            say!("{}", self.json(&message, advice));
        } else {
            eprintln!("licensectl: {message}\n  {advice}");
        }
    }

    fn json(&self, message: &str, advice: &str) -> Value {
        let (http_status, code) = match self {
            Failure::License(e) => (e.http_status(), e.api_code().map(|c| c.as_str().to_owned())),
            _ => (None, None),
        };
        json!({ "error": {
            "message": message,
            "advice": advice,
            "http_status": http_status,
            "code": code,
            "exit_code": self.exit_code(),
        }})
    }
}
