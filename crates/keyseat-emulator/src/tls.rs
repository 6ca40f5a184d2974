//! A throwaway certificate authority and server certificate for the emulator's HTTPS mode,
//! made fresh at every start with rcgen.

use std::io;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server side of the emulator's TLS, and the CA a client must trust to reach it.
pub struct TlsIdentity {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The rustls server configuration presenting a certificate the CA signed.
    pub server: Arc<rustls::ServerConfig>,
}

/// A new CA, and a server certificate it signs for `localhost`, 127.0.0.1 and ::1.
pub fn generate() -> io::Result<TlsIdentity> {
    let ca_key = KeyPair::generate().map_err(io::Error::other)?;
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "keyseat-emulator test CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(io::Error::other)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(io::Error::other)?;
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned()]).map_err(io::Error::other)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "keyseat-emulator");
    for ip in ["127.0.0.1", "::1"] {
        let ip = ip.parse().map_err(io::Error::other)?;
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .map_err(io::Error::other)?;

    let chain = vec![
        CertificateDer::from(server_cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io::Error::other)?;
    Ok(TlsIdentity {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    })
}
