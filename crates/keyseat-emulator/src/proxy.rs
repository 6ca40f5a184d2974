//! A small HTTP CONNECT proxy for tests: it opens tunnels to loopback addresses only, counts
//! them, and can require `Proxy-Authorization: Basic` credentials.
//!
//! ```
//! use keyseat_emulator::ConnectProxy;
//!
//! let proxy = ConnectProxy::start(Some(("user", "pass")))?;
//! // HTTPS_PROXY=http://user:pass@127.0.0.1:PORT routes a client through it.
//! assert_eq!(proxy.tunnels(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::Locked;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;

/// Longest CONNECT request head read.
const MAX_HEAD: u64 = 8 * 1024;

/// What the proxy's threads share.
#[derive(Default)]
struct Counters {
    tunnels: AtomicU64,
    refused_auth: AtomicU64,
    targets: Mutex<Vec<String>>,
}

/// A running CONNECT proxy on 127.0.0.1. Dropping it stops accepting connections.
pub struct ConnectProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ConnectProxy {
    /// Starts on a free port of 127.0.0.1. With `credentials`, a CONNECT without the right
    /// `Proxy-Authorization: Basic` header gets `407`.
    ///
    /// # Errors
    /// When no socket can be bound.
    pub fn start(credentials: Option<(&str, &str)>) -> io::Result<ConnectProxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let expected = credentials.map(|(user, pass)| {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            format!("basic {token}")
        });
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (counters, stop) = (Arc::clone(&counters), Arc::clone(&stop));
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let (counters, expected) = (Arc::clone(&counters), expected.clone());
                    std::thread::spawn(move || {
                        let _ = tunnel(client, expected.as_deref(), &counters);
                    });
                }
            })
        };
        Ok(ConnectProxy {
            addr,
            counters,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Tunnels opened so far.
    pub fn tunnels(&self) -> u64 {
        self.counters.tunnels.load(Ordering::SeqCst)
    }

    /// CONNECT requests refused with 407 so far.
    pub fn refused_auth(&self) -> u64 {
        self.counters.refused_auth.load(Ordering::SeqCst)
    }

    /// The `host:port` of every tunnel opened, in order.
    pub fn targets(&self) -> Vec<String> {
        self.counters.targets.locked().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves one CONNECT: checks credentials and target, then copies bytes both ways.
fn tunnel(client: TcpStream, expected: Option<&str>, counters: &Counters) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    loop {
        let n = reader
            .by_ref()
            .take(MAX_HEAD)
            .read_until(b'\n', &mut head)?;
        if n == 0 || head.ends_with(b"\r\n\r\n") || head.len() as u64 >= MAX_HEAD {
            break;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let mut request = lines.next().unwrap_or("").split_whitespace();
    let (method, target) = (request.next().unwrap_or(""), request.next().unwrap_or(""));
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_ascii_lowercase());
    let mut client = client;
    if method != "CONNECT" {
        return reply(&mut client, "405 Method Not Allowed", "");
    }
    if let Some(expected) = expected
        && authorization.as_deref() != Some(&expected.to_ascii_lowercase())
    {
        counters.refused_auth.fetch_add(1, Ordering::SeqCst);
        return reply(
            &mut client,
            "407 Proxy Authentication Required",
            "Proxy-Authenticate: Basic realm=\"keyseat-test\"\r\n",
        );
    }
    let Some(upstream_addr) = loopback(target) else {
        return reply(&mut client, "403 Forbidden", "");
    };
    let Ok(upstream) = TcpStream::connect_timeout(&upstream_addr, Duration::from_secs(5)) else {
        return reply(&mut client, "502 Bad Gateway", "");
    };
    // Relay small TLS records at once rather than waiting on delayed acknowledgements.
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    counters.tunnels.fetch_add(1, Ordering::SeqCst);
    counters.targets.locked().push(target.to_owned());
    client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
    // Bytes the client sent after the head (none, for a client that waits for the 200).
    let early = reader.buffer().to_vec();
    let mut up_writer = upstream.try_clone()?;
    up_writer.write_all(&early)?;
    let mut down_reader = upstream;
    let mut down_writer = client;
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut reader, &mut up_writer);
        let _ = up_writer.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut down_reader, &mut down_writer);
    let _ = down_writer.shutdown(Shutdown::Both);
    let _ = up.join();
    Ok(())
}

/// The address of a `host:port` CONNECT target, when it is on loopback: the proxy never
/// opens a connection beyond this machine.
fn loopback(target: &str) -> Option<SocketAddr> {
    let (host, port) = target.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.eq_ignore_ascii_case("localhost") {
        "127.0.0.1"
    } else {
        host
    };
    let addr = SocketAddr::new(host.parse().ok()?, port.parse().ok()?);
    addr.ip().is_loopback().then_some(addr)
}

fn reply(client: &mut TcpStream, status: &str, headers: &str) -> io::Result<()> {
    client.write_all(format!("HTTP/1.1 {status}\r\n{headers}Content-Length: 0\r\n\r\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(loopback("127.0.0.1:443").is_some());
        assert!(loopback("localhost:80").is_some());
        assert!(loopback("[::1]:8443").is_some());
        assert!(loopback("10.0.0.1:443").is_none());
        assert!(loopback("example.com:443").is_none());
        assert!(loopback("127.0.0.1").is_none());
    }
}
