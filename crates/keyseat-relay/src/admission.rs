//! The license calls' extractor: a request read and checked ([`crate::requests`]) and counted
//! against the clients' budgets, before a handler sees it. Each call says its path's last
//! part and what its body must carry.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::answer::unsigned;
use crate::requests::{Asking, Needs, read};
use crate::state::App;

/// A license call: `POST /v1/licenses/{NAME}`, whose body carries [`LicenseCall::NEEDS`].
pub trait LicenseCall {
    /// The path's last part.
    const NAME: &'static str;
    /// What the body must carry.
    const NEEDS: Needs;
}

/// `activate`: a fingerprint and a name.
pub struct Activate;
/// `validate`: a fingerprint.
pub struct Validate;
/// `deactivate`: an instance.
pub struct Deactivate;
/// `seats`: the key alone.
pub struct Seats;

impl LicenseCall for Activate {
    const NAME: &'static str = "activate";
    const NEEDS: Needs = Needs {
        instance: false,
        fingerprint: true,
        name: true,
    };
}

impl LicenseCall for Validate {
    const NAME: &'static str = "validate";
    const NEEDS: Needs = Needs {
        instance: false,
        fingerprint: true,
        name: false,
    };
}

impl LicenseCall for Deactivate {
    const NAME: &'static str = "deactivate";
    const NEEDS: Needs = Needs {
        instance: true,
        fingerprint: false,
        name: false,
    };
}

impl LicenseCall for Seats {
    const NAME: &'static str = "seats";
    const NEEDS: Needs = Needs {
        instance: false,
        fingerprint: false,
        name: false,
    };
}

/// A request of the license call `C`, read, checked and within the clients' budgets.
pub struct Admitted<C>(pub Asking, pub PhantomData<C>);

impl<C: LicenseCall> FromRequest<Arc<App>> for Admitted<C> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Response> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
        let headers = req.headers().clone();
        // Over the size limit: axum's 413.
        let body = Bytes::from_request(req, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let target = format!("/v1/licenses/{}", C::NAME);
        let asking = read(C::NAME, C::NEEDS, &target, &headers, &body).map_err(|r| *r)?;
        app.limits
            .admit(app.client_ip(peer, &headers), Some(&asking.echo.key_hash))
            .map_err(|wait| {
                unsigned(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TOO_MANY_REQUESTS",
                    "too many requests from this client or about this key",
                    Some(wait),
                )
            })?;
        Ok(Admitted(asking, PhantomData))
    }
}
