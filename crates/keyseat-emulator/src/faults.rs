//! Faults the emulator can inject into the next requests of an endpoint, whichever
//! provider's path they arrive on.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::Response;
use crate::state::Endpoint;
use crate::stream::Stream;

/// One fault. In JSON (the control surface) a fault is an object tagged by `kind`, for
/// example `{"kind": "status", "status": 429, "retry_after": "1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Wait `ms` milliseconds, then serve the request normally.
    Delay {
        /// The wait.
        ms: u64,
    },
    /// Answer with `status` and the provider's error body, without processing the request.
    Status {
        /// The status.
        status: u16,
        /// A `Retry-After` header value.
        #[serde(default)]
        retry_after: Option<String>,
        /// A `Retry-After-Ms` header value.
        #[serde(default)]
        retry_after_ms: Option<u64>,
    },
    /// Close the connection without answering, before processing the request.
    CloseBeforeProcessing,
    /// Reset the connection (TCP RST) without answering, before processing the request.
    ResetBeforeProcessing,
    /// Process the request, then close the connection without sending the answer: the
    /// lost-response case.
    ProcessThenClose,
    /// Process the request, then send only half of the answer's body.
    TruncatedBody,
    /// Process the request, then answer with a body that is not valid JSON.
    MalformedJson,
    /// Answer with an HTML error page and `status` (a proxy's), without processing.
    HtmlError {
        /// The status.
        status: u16,
    },
    /// Process the request, then answer with a body of more than 64 KiB.
    OversizedBody,
    /// Process the request, then answer with `Content-Type: text/plain`.
    WrongContentType,
    /// Process the request, then answer with unknown extra fields in the JSON body.
    ExtraFields,
    /// Process the request, then sign the answer with a corrupted signature (Keygen).
    BadSignature,
    /// Process the request, then send the answer without its signature (Keygen).
    NoSignature,
    /// Process the request, then sign the answer validly but dated ten minutes ago
    /// (Keygen).
    StaleSignature,
    /// Process the request, sign the answer, then change `false` to `true` in its body (or,
    /// with no `false` in it, add a field): a forger's edit (Keygen).
    ForgedBody,
}

/// Faults waiting for the next requests, per endpoint.
#[derive(Debug, Default)]
pub struct FaultQueue(BTreeMap<Endpoint, VecDeque<Fault>>);

impl FaultQueue {
    /// Queues `fault` for the next `count` requests of `endpoint`.
    pub fn push(&mut self, endpoint: Endpoint, fault: Fault, count: u32) {
        let queue = self.0.entry(endpoint).or_default();
        queue.extend(std::iter::repeat_n(fault, count as usize));
    }

    /// The fault for the request arriving now, if any.
    pub fn pop(&mut self, endpoint: Endpoint) -> Option<Fault> {
        self.0.get_mut(&endpoint)?.pop_front()
    }

    /// Drops every queued fault.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// How a fault changes the handling of one request.
pub enum Plan {
    /// Process, then do this with the answer.
    Process(AfterProcessing),
    /// Do not process; answer this.
    Answer(Response),
    /// Do not process; drop the connection (reset when true).
    Drop(bool),
}

/// What to do with the answer of a processed request.
pub enum AfterProcessing {
    /// Send it.
    Send,
    /// Drop the connection instead.
    Drop,
    /// Send the head and half the body.
    Truncate,
    /// Replace the body by broken JSON.
    Malform,
    /// Pad the body beyond 64 KiB.
    Oversize,
    /// Send it as `text/plain`.
    PlainText,
    /// Add fields the API does not describe.
    ExtraFields,
    /// Sign, then corrupt the signature.
    CorruptSignature,
    /// Send it unsigned.
    Unsigned,
    /// Sign it with a date ten minutes old.
    StaleDate,
    /// Sign, then turn `false` into `true` in the body.
    Forge,
}

impl Fault {
    /// Turns the fault into a plan for a request to `provider` (after sleeping, for
    /// [`Fault::Delay`]).
    pub(crate) fn plan(&self, status_answer: &dyn Fn(u16) -> Response) -> Plan {
        match self {
            Fault::Delay { ms } => {
                std::thread::sleep(Duration::from_millis(*ms));
                Plan::Process(AfterProcessing::Send)
            }
            Fault::Status {
                status,
                retry_after,
                retry_after_ms,
            } => {
                let mut response = status_answer(*status);
                if let Some(v) = retry_after {
                    response = response.with_header("Retry-After", v);
                }
                if let Some(ms) = retry_after_ms {
                    response = response.with_header("Retry-After-Ms", &ms.to_string());
                }
                Plan::Answer(response)
            }
            Fault::CloseBeforeProcessing => Plan::Drop(false),
            Fault::ResetBeforeProcessing => Plan::Drop(true),
            Fault::ProcessThenClose => Plan::Process(AfterProcessing::Drop),
            Fault::TruncatedBody => Plan::Process(AfterProcessing::Truncate),
            Fault::MalformedJson => Plan::Process(AfterProcessing::Malform),
            Fault::HtmlError { status } => Plan::Answer(Response {
                status: *status,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: b"<html><head><title>Bad Gateway</title></head><body><h1>Bad Gateway</h1>\
                        <p>The proxy could not reach the upstream server.</p></body></html>"
                    .to_vec(),
                sign: None,
            }),
            Fault::OversizedBody => Plan::Process(AfterProcessing::Oversize),
            Fault::WrongContentType => Plan::Process(AfterProcessing::PlainText),
            Fault::ExtraFields => Plan::Process(AfterProcessing::ExtraFields),
            Fault::BadSignature => Plan::Process(AfterProcessing::CorruptSignature),
            Fault::NoSignature => Plan::Process(AfterProcessing::Unsigned),
            Fault::StaleSignature => Plan::Process(AfterProcessing::StaleDate),
            Fault::ForgedBody => Plan::Process(AfterProcessing::Forge),
        }
    }
}

impl AfterProcessing {
    /// Sends (or withholds) a processed request's answer as planned. A signed answer is
    /// signed before the fault changes it, so a changed body no longer matches.
    pub fn deliver(&self, mut response: Response, stream: &mut Stream) -> std::io::Result<()> {
        match self {
            AfterProcessing::StaleDate => {
                response.sign_at(jiff::Timestamp::now().as_second() - 600)
            }
            AfterProcessing::Unsigned => response.sign = None,
            _ => response.sign_now(),
        }
        match self {
            AfterProcessing::CorruptSignature => {
                for (name, value) in &mut response.headers {
                    if name.eq_ignore_ascii_case("keygen-signature") {
                        *value = corrupted(value);
                    }
                }
                response.write_to(stream)
            }
            AfterProcessing::Forge => {
                let text = String::from_utf8_lossy(&response.body).replace("false", "true");
                response.body = if text.as_bytes() == response.body {
                    // Nothing to flip: an added field is the edit.
                    with_field(&response.body, "forged", serde_json::Value::Bool(true))
                } else {
                    text.into_bytes()
                };
                response.write_to(stream)
            }
            AfterProcessing::StaleDate | AfterProcessing::Unsigned => response.write_to(stream),
            AfterProcessing::Send => response.write_to(stream),
            AfterProcessing::Drop => {
                drop_connection(stream.tcp(), false);
                Ok(())
            }
            AfterProcessing::Truncate => {
                let full = response.body.len().max(2);
                stream.write_all(&response.head(full))?;
                stream.write_all(&response.body[..response.body.len() / 2])?;
                stream.flush()?;
                drop_connection(stream.tcp(), false);
                Ok(())
            }
            AfterProcessing::Malform => {
                response.body = b"{\"id\": \"lki_broken\", \"valid\": tr".to_vec();
                response
                    .with_header("Content-Type", "application/json")
                    .write_to(stream)
            }
            AfterProcessing::Oversize => {
                let padding = "x".repeat(100 * 1024);
                response.body = with_field(&response.body, "padding", padding.into());
                response
                    .with_header("Content-Type", "application/json")
                    .write_to(stream)
            }
            AfterProcessing::PlainText => response
                .with_header("Content-Type", "text/plain")
                .write_to(stream),
            AfterProcessing::ExtraFields => {
                let extra = serde_json::json!({ "nested": [1, 2, 3], "note": "new in v2" });
                response.body = with_field(&response.body, "unexpected_field", extra);
                response.write_to(stream)
            }
        }
    }
}

/// A `Keygen-Signature` value whose signature has one character changed (still base64).
fn corrupted(header: &str) -> String {
    let Some(at) = header
        .find("signature=\"")
        .map(|i| i + "signature=\"".len())
    else {
        return header.to_owned();
    };
    let mut out = header.to_owned();
    let first = if header[at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    out.replace_range(at..at + 1, first);
    out
}

/// Adds a field to a JSON object body; any other body becomes an object with that field.
fn with_field(body: &[u8], name: &str, value: serde_json::Value) -> Vec<u8> {
    let mut object = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    object.insert(name.to_owned(), value);
    serde_json::to_vec(&object).unwrap_or_default()
}

/// Closes the connection without a word; with `reset`, as a TCP RST.
pub fn drop_connection(stream: &TcpStream, reset: bool) {
    if reset {
        let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    } else {
        let _ = stream.shutdown(Shutdown::Both);
    }
}
