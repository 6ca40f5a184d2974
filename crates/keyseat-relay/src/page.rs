//! The customer page, at `/`: a key's seats, seen and freed; an offline request turned into
//! a machine file; a release proof sent. Plain HTML, CSS and JavaScript (`page/`), compiled
//! into the binary, calling the relay's own endpoints. Served with a content security policy
//! that allows nothing but this relay, and no framing.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const HTML: &str = include_str!("../page/index.html");
const JS: &str = include_str!("../page/page.js");
const CSS: &str = include_str!("../page/page.css");

/// The policy: this relay's own scripts, styles and endpoints, nothing else.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; form-action 'self'; \
                      frame-ancestors 'none'; base-uri 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /`.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", HTML)
}

/// `GET /page.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// `GET /page.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_has_a_label_and_the_page_loads_only_its_own_files() {
        for id in ["license-key", "request-file", "release-file"] {
            assert!(
                HTML.contains(&format!("<label for=\"{id}\">")),
                "{id} has a label"
            );
            assert!(HTML.contains(&format!("id=\"{id}\"")), "{id} exists");
        }
        assert!(HTML.contains("role=\"status\" aria-live=\"polite\""));
        assert!(HTML.contains("<html lang=\"en\">"));
        assert!(
            !HTML.contains("<script>") && !HTML.contains("style="),
            "no inline code"
        );
        assert!(
            !JS.contains("localStorage") && !JS.contains("sessionStorage"),
            "the key is kept nowhere"
        );
        for path in ["/page.js", "/page.css"] {
            assert!(HTML.contains(path));
        }
    }
}
