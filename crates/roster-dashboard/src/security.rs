//! Response headers for every dashboard and portal page: no script but our own file (so no
//! inline script can run), no framing, no caching of pages that may show a secret once.

use actix_web::middleware::DefaultHeaders;

/// The content security policy: only same-origin styles, scripts, images and requests.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        // Setup-link and invitation tokens are in URLs: never send them on.
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}
