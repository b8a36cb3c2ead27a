//! The dashboard's one error type, answered as a small HTML page (or, for a missing session,
//! a redirect to sign in). Internal causes are logged, never shown.

use std::fmt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

/// An error answered to a browser.
#[derive(Debug)]
pub enum DashboardError {
    /// Not signed in: go to the sign-in page, then back to `next`.
    SignInRequired {
        /// Where to return after signing in.
        next: String,
    },
    /// The setup-portal session is missing or over.
    PortalSessionRequired,
    /// A form without its CSRF token, or with another session's.
    Csrf,
    /// No such page or object (or not one this session may see).
    NotFound,
    /// Too many attempts.
    TooManyRequests,
    /// The request makes no sense; the message says why.
    BadRequest(String),
    /// The database is unreachable.
    Unavailable(String),
    /// Our failure.
    Internal(String),
}

impl DashboardError {
    /// An internal failure, logged here.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(%cause, "dashboard request failed");
        DashboardError::Internal(cause.to_string())
    }
}

impl fmt::Display for DashboardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, title, _) = self.describe();
        f.write_str(title)
    }
}

impl DashboardError {
    fn describe(&self) -> (StatusCode, &'static str, String) {
        match self {
            DashboardError::SignInRequired { .. } => (
                StatusCode::SEE_OTHER,
                "Sign in required",
                "Sign in to continue.".to_owned(),
            ),
            DashboardError::PortalSessionRequired => (
                StatusCode::FORBIDDEN,
                "Your setup session has ended",
                "Setup links work once and sessions expire. Ask your vendor for a new setup link."
                    .to_owned(),
            ),
            DashboardError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was missing its security token or it belonged to another session. Go back, reload the page and try again.".to_owned(),
            ),
            DashboardError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it was deleted.".to_owned(),
            ),
            DashboardError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Wait a minute before trying again.".to_owned(),
            ),
            DashboardError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, "Bad request", message.clone())
            }
            DashboardError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The database cannot be reached right now. Try again in a moment.".to_owned(),
            ),
            DashboardError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The error was logged. Try again, and tell your Roster operator if it persists."
                    .to_owned(),
            ),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

impl ResponseError for DashboardError {
    fn status_code(&self) -> StatusCode {
        self.describe().0
    }

    fn error_response(&self) -> HttpResponse {
        if let DashboardError::SignInRequired { next } = self {
            let target = format!(
                "/dashboard/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        let (status, title, message) = self.describe();
        let page = format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · Roster</title><link rel="stylesheet" href="/static/roster.css"></head><body class="centered"><main class="card narrow"><p class="brand">Roster</p><h1>{title}</h1><p>{message}</p><p><a class="button secondary" href="/">Back to Roster</a></p></main></body></html>"#,
            title = escape(title),
            message = escape(&message)
        );
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(page)
    }
}

impl From<roster_store::StoreError> for DashboardError {
    fn from(error: roster_store::StoreError) -> Self {
        match error {
            roster_store::StoreError::Pool(_) | roster_store::StoreError::Connect { .. } => {
                tracing::warn!(%error, "database unavailable for a dashboard request");
                DashboardError::Unavailable(error.to_string())
            }
            _ => DashboardError::internal(error),
        }
    }
}

impl From<roster_store::QueryError> for DashboardError {
    fn from(error: roster_store::QueryError) -> Self {
        DashboardError::internal(error)
    }
}

impl From<actix_web::error::BlockingError> for DashboardError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        DashboardError::internal(error)
    }
}

impl From<tera::Error> for DashboardError {
    fn from(error: tera::Error) -> Self {
        DashboardError::internal(format!("{error:?}"))
    }
}

impl From<roster_bulk::BulkError> for DashboardError {
    fn from(error: roster_bulk::BulkError) -> Self {
        // The bulk crate logged its own failures; a refusal is the administrator's to read.
        match error.status().as_u16() {
            503 => DashboardError::Unavailable(error.to_string()),
            500.. => DashboardError::Internal(error.to_string()),
            _ => DashboardError::BadRequest(error.message().to_owned()),
        }
    }
}
