//! Name resolution whose every failure says "nothing was sent".
//!
//! ureq reports a failed lookup (no DNS server on a plane, an unknown name) as a plain I/O
//! error, which the client cannot tell apart from a connection lost mid-request. For an
//! activation that difference decides between "retry" and "may have spent a slot", so the
//! resolver turns every lookup error into `HostNotFound`, which the client classifies as
//! "never sent".

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs};
use ureq::unversioned::transport::NextTimeout;

/// ureq's resolver, with lookup errors reported as `HostNotFound`.
#[derive(Debug, Default)]
pub(super) struct Resolver<R = DefaultResolver>(R);

impl<R: ureq::unversioned::resolver::Resolver> ureq::unversioned::resolver::Resolver
    for Resolver<R>
{
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        self.0.resolve(uri, config, timeout).map_err(|e| match e {
            ureq::Error::Io(io) => {
                log::debug!("name lookup failed: {io}");
                ureq::Error::HostNotFound
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::resolver::Resolver as _;

    /// A resolver that fails as getaddrinfo does without a DNS server.
    #[derive(Debug)]
    struct NoDns;

    impl ureq::unversioned::resolver::Resolver for NoDns {
        fn resolve(
            &self,
            _: &Uri,
            _: &Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            Err(ureq::Error::Io(std::io::Error::other(
                "failed to lookup address information: Temporary failure in name resolution",
            )))
        }
    }

    #[test]
    fn a_failed_lookup_is_host_not_found_and_other_errors_pass_through() {
        let uri: Uri = "https://live.dodopayments.com/licenses/activate"
            .parse()
            .unwrap();
        let config = Config::default();
        let timeout = NextTimeout::default;
        let e = Resolver(NoDns)
            .resolve(&uri, &config, timeout())
            .unwrap_err();
        assert!(matches!(e, ureq::Error::HostNotFound), "{e:?}");
        let local: Uri = "http://127.0.0.1:9/x".parse().unwrap();
        let found = Resolver::<DefaultResolver>::default()
            .resolve(&local, &config, timeout())
            .unwrap();
        assert_eq!(found[0].port(), 9);
    }
}
