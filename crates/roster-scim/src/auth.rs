//! Turns a request's bearer token into the one directory it may act on. Every SCIM handler
//! takes a `DirectoryScope`, so no handler can run unauthenticated or reach another directory.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use roster_core::{DirectoryId, DirectoryState, Timestamp};
use roster_store::directories::{self, Directory};

use crate::request_log::LoggedDirectory;
use crate::{ScimContext, ScimError};

/// How stale `last_request_at` may get before a request refreshes it. Writing it on every
/// request would turn every read into a database write.
const LAST_REQUEST_RESOLUTION_MS: i64 = 60_000;

/// The directory the request's bearer token authenticates.
#[derive(Debug, Clone)]
pub struct DirectoryScope {
    /// The authenticated directory.
    pub directory: Directory,
}

impl FromRequest for DirectoryScope {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ScimError>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let context = request.app_data::<web::Data<ScimContext>>().cloned();
        let directory_id = request
            .match_info()
            .get("directory_id")
            .and_then(|id| DirectoryId::parse(id).ok());
        let token = bearer_token(request);
        let request = request.clone();
        Box::pin(async move {
            let context = context.ok_or_else(|| ScimError::internal(&"SCIM context missing"))?;
            let rate_limit = context.rate_limit.clone();
            // Unknown ids, wrong tokens and missing tokens are one answer, so a caller cannot
            // probe which directories exist.
            let directory_id = directory_id.ok_or_else(ScimError::unauthorized)?;
            let outcome =
                web::block(move || authenticate(&context, &directory_id, token.as_deref()))
                    .await??;
            match outcome {
                Outcome::Authenticated(directory) => {
                    request
                        .extensions_mut()
                        .insert(LoggedDirectory(directory.id.to_string()));
                    // After authentication: nobody but the directory's own identity provider
                    // can spend its requests.
                    rate_limit
                        .check(&directory.id)
                        .map_err(ScimError::rate_limited)?;
                    Ok(DirectoryScope { directory })
                }
                Outcome::Refused { directory_exists } => {
                    // A failing "Test API Credentials" is exactly what the directory's request
                    // log is for.
                    if let Some(id) = directory_exists {
                        request.extensions_mut().insert(LoggedDirectory(id));
                    }
                    Err(ScimError::unauthorized())
                }
            }
        })
    }
}

enum Outcome {
    Authenticated(Directory),
    Refused { directory_exists: Option<String> },
}

fn authenticate(
    context: &ScimContext,
    id: &DirectoryId,
    token: Option<&str>,
) -> Result<Outcome, ScimError> {
    let mut conn = context.store.connection()?;
    let authenticated = match token {
        Some(token) => directories::authenticate(&mut conn, id, token)?,
        None => None,
    };
    let Some(mut directory) = authenticated else {
        let exists = directories::find(&mut conn, id)?.map(|directory| directory.id.to_string());
        return Ok(Outcome::Refused {
            directory_exists: exists,
        });
    };
    let now = Timestamp::now();
    // Only the first request of a directory activates it; checking the state read above first
    // keeps every later request from taking the database's write lock.
    if directory.state == DirectoryState::Unlinked
        && directories::activate(&mut conn, &directory, now)?
    {
        tracing::info!(directory = %directory.id, "directory linked");
        directory.state = DirectoryState::Linked;
        directory.last_request_at = Some(now);
        context.events_written.notify_one();
    } else if directory
        .last_request_at
        .is_none_or(|at| now.as_millis() - at.as_millis() > LAST_REQUEST_RESOLUTION_MS)
    {
        directories::record_request(&mut conn, &directory.id, now)?;
        directory.last_request_at = Some(now);
    }
    Ok(Outcome::Authenticated(directory))
}

/// The token from `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750).
fn bearer_token(request: &HttpRequest) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}
