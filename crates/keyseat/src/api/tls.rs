//! Which certificates the client trusts, and how a certificate failure is recognised.
//!
//! The default is the Mozilla root set compiled into the library (webpki-root-certs), not the
//! operating system's store. Dodo's answers are not signed, so whoever can present a trusted
//! certificate for Dodo's host can answer "valid" for any key; with compiled-in roots, a root
//! that the user installs (a TLS-intercepting debugging proxy) cannot. Two opt-ins exist for
//! managed networks whose proxy re-signs TLS with a company CA:
//! - [`TrustStore::Bundled`] plus a PEM file of extra roots ([`super::ClientBuilder::ca_file`]):
//!   trusts the Mozilla roots and those certificates, nothing else.
//! - [`TrustStore::System`]: the operating system's verifier and store
//!   (rustls-platform-verifier), which trusts whatever the machine's administrator, or the
//!   user, has installed.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use ureq::tls::{Certificate, RootCerts};

use crate::error::{Error, ErrorKind};

/// Where the client's trusted root certificates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TrustStore {
    /// The Mozilla root certificates compiled into the library, plus any
    /// [`super::ClientBuilder::ca_file`] (the default).
    #[default]
    Bundled,
    /// The operating system's certificate verifier and trust store.
    System,
}

/// The roots for `trust`, with the certificates of `ca_file` added to the bundled ones.
pub(crate) fn root_certs(trust: TrustStore, ca_file: Option<&Path>) -> Result<RootCerts, Error> {
    // One copy of the Mozilla roots is linked: webpki-root-certs' certificates, which a CA
    // file can extend (ureq's own webpki-roots feature is off).
    let bundled = || -> Vec<Certificate<'static>> {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()))
            .collect()
    };
    match (trust, ca_file) {
        (TrustStore::Bundled, None) => Ok(RootCerts::Specific(Arc::new(bundled()))),
        (TrustStore::Bundled, Some(path)) => {
            let mut roots = bundled();
            roots.extend(read_pem(path)?);
            Ok(RootCerts::Specific(Arc::new(roots)))
        }
        (TrustStore::System, None) => Ok(RootCerts::PlatformVerifier),
        (TrustStore::System, Some(_)) => Err(Error::invalid_input(
            "a CA file adds to the bundled roots; with the system trust store, install the \
             certificate in the operating system's store instead",
        )),
    }
}

/// The certificates of a PEM file; at least one.
fn read_pem(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.map(|der| Certificate::from_der(der.as_ref()).to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::invalid_input(format!(
                "{}: not a PEM certificate file: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::invalid_input(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            path.display()
        )));
    }
    log::debug!(
        "trusting {} extra root(s) from {}",
        certs.len(),
        path.display()
    );
    Ok(certs)
}

/// The certificate failure behind a transport error, if that is what it is.
pub(crate) fn certificate_failure(e: &ureq::Error) -> Option<Error> {
    let tls = match e {
        ureq::Error::Rustls(tls) => tls,
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>()?,
        _ => return None,
    };
    let detail = match tls {
        rustls::Error::InvalidCertificate(why) => format!("{why:?}"),
        rustls::Error::AlertReceived(alert) => format!("{alert:?} alert"),
        _ => return None,
    };
    Some(Error::new(ErrorKind::Certificate(detail)).with_source(tls.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_bundled_and_system_refuses_a_ca_file() {
        let Ok(RootCerts::Specific(roots)) = root_certs(TrustStore::default(), None) else {
            panic!("the default is the bundled roots, as a specific set");
        };
        assert_eq!(roots.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(matches!(
            root_certs(TrustStore::System, None),
            Ok(RootCerts::PlatformVerifier)
        ));
        let e = root_certs(TrustStore::System, Some(Path::new("x.pem"))).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{e}");
    }

    #[test]
    fn bad_ca_files_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = root_certs(TrustStore::Bundled, Some(&missing)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Io { .. }), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let e = root_certs(TrustStore::Bundled, Some(&empty)).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = root_certs(TrustStore::Bundled, Some(&broken)).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidInput(_)), "{e}");
    }

    #[test]
    fn a_ca_file_adds_to_the_bundled_roots() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        let der = webpki_root_certs::TLS_SERVER_ROOT_CERTS[0].as_ref();
        let body = base64_lines(der);
        std::fs::write(
            &pem,
            format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"),
        )
        .unwrap();
        let Ok(RootCerts::Specific(roots)) = root_certs(TrustStore::Bundled, Some(&pem)) else {
            panic!("expected specific roots");
        };
        assert_eq!(
            roots.len(),
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + 1
        );
        assert_eq!(roots.last().unwrap().der(), der);
    }

    /// PEM body lines for `der`.
    fn base64_lines(der: &[u8]) -> String {
        use base64::Engine as _;
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        text.as_bytes()
            .chunks(64)
            .map(|l| format!("{}\n", String::from_utf8_lossy(l)))
            .collect()
    }
}
