//! The static assets under `/static/`, compiled into the binary so that it runs from any
//! directory.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::security::CONTENT_SECURITY_POLICY;

const ASSETS: [(&str, &str, &str); 3] = [
    (
        "roster.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/static/roster.css"),
    ),
    (
        "roster.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/static/roster.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../../web/static/favicon.svg"),
    ),
];

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/static/{name}", web::get().to(asset));
}

async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(file, _, _)| *file == name.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
            .body(*body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file"),
    }
}
