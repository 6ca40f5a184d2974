//! Just enough HTTP/1.1 to serve one request per connection, written by hand so that faults
//! can do what a server crate would not allow: drop the socket mid-answer, lie about the
//! length, reset the connection.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::signing::{self, SignFor};
use crate::stream::Stream;

/// Longest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Longest request body read.
const MAX_BODY: usize = 1024 * 1024;

/// One parsed request.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, query included.
    pub path: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`Content-Length` and `Connection` are added when written).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Sign the answer for this request when it is written (Keygen's answers), unless it
    /// is signed already.
    pub sign: Option<SignFor>,
}

impl Response {
    /// A JSON answer.
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
            sign: None,
        }
    }

    /// Dodo's error body.
    pub fn error(status: u16, code: &str, message: &str) -> Response {
        Response::json(
            status,
            &serde_json::json!({ "code": code, "message": message }),
        )
    }

    /// An empty answer.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            sign: None,
        }
    }

    /// Sets (or replaces) a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The head, with a `Content-Length` of `declared_len`.
    pub fn head(&self, declared_len: usize) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {declared_len}\r\nConnection: close\r\n\r\n"
        ));
        head.into_bytes()
    }

    /// Adds the signature headers for the body as it is now, dated `date` (Unix seconds),
    /// when the answer is to be signed; after this, changing the body breaks the signature.
    pub fn sign_at(&mut self, date: i64) {
        if let Some(sign) = self.sign.take() {
            for (name, value) in signing::headers(&sign, &self.body, date) {
                self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                self.headers.push((name, value));
            }
        }
    }

    /// Signs the answer now, when it is to be signed.
    pub fn sign_now(&mut self) {
        self.sign_at(jiff::Timestamp::now().as_second());
    }

    /// Writes the whole answer (signed now, when it is to be signed and is not yet).
    pub fn write_to(mut self, stream: &mut Stream) -> io::Result<()> {
        self.sign_now();
        stream.write_all(&self.head(self.body.len()))?;
        stream.write_all(&self.body)?;
        stream.flush()?;
        stream.finish();
        Ok(())
    }
}

/// Reads one request. `Ok(None)` when the peer closed before sending anything.
pub fn read_request(stream: &mut Stream) -> io::Result<Option<Request>> {
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader
            .by_ref()
            .take((MAX_HEAD - head.len()) as u64)
            .read_until(b'\n', &mut head)?;
        if n == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            return Err(bad("request head cut short"));
        }
        if head.len() >= MAX_HEAD {
            return Err(bad("request head too large"));
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let text = String::from_utf8(head).map_err(|_| bad("request head is not UTF-8"))?;
    let mut lines = text.lines();
    let request_line = lines.next().ok_or_else(|| bad("no request line"))?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().ok_or_else(|| bad("no method"))?.to_owned();
    let path = parts.next().ok_or_else(|| bad("no path"))?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse::<usize>().map_err(|_| bad("bad Content-Length")))
        .transpose()?
        .unwrap_or(0);
    if len > MAX_BODY {
        return Err(bad("request body too large"));
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
