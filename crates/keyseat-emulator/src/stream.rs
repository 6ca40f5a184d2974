//! One accepted connection, plain TCP or TLS, so that the HTTP code and the faults work the
//! same over both.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

/// A connection to one client.
pub enum Stream {
    /// Plain HTTP.
    Plain(TcpStream),
    /// HTTPS: the TLS session over the TCP socket.
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Stream {
    /// Wraps an accepted socket, in TLS when a server configuration is given. The handshake
    /// happens on the first read.
    pub fn accept(tcp: TcpStream, tls: Option<&Arc<rustls::ServerConfig>>) -> io::Result<Stream> {
        Ok(match tls {
            None => Stream::Plain(tcp),
            Some(config) => {
                let session =
                    rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
                Stream::Tls(Box::new(rustls::StreamOwned::new(session, tcp)))
            }
        })
    }

    /// The socket underneath, for shutting it down or resetting it.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.sock,
        }
    }

    /// Ends an answered exchange: a TLS close_notify, so the client sees a clean end.
    pub fn finish(&mut self) {
        if let Stream::Tls(tls) = self {
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}
