//! Turns a request's bearer token into the one directory it may act on. Every SCIM handler
//! takes a `DirectoryScope`, so no handler can run unauthenticated or reach another directory.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use roster_core::{DirectoryId, DirectoryState, Protocol, Timestamp};
use roster_store::directories::{self, Directory};
use roster_store::{Store, StoreError};

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
            let public_url = context.public_url.clone();
            let outcome = web::block(move || -> Result<_, ScimError> {
                let outcome = authenticate(
                    &context.store,
                    &directory_id,
                    token.as_deref(),
                    Protocol::Scim,
                )?;
                // Only the first request of a directory activates it; checking the state read
                // above first keeps every later request from taking the database's write lock.
                match outcome {
                    Authentication::Authenticated(directory)
                        if directory.state == DirectoryState::Unlinked =>
                    {
                        Ok(Authentication::Authenticated(link(&context, directory)?))
                    }
                    other => Ok(other),
                }
            })
            .await??;
            match outcome {
                Authentication::Authenticated(directory) => {
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
                Authentication::OtherProtocol(directory) => {
                    request
                        .extensions_mut()
                        .insert(LoggedDirectory(directory.id.to_string()));
                    Err(ScimError::new(
                        StatusCode::FORBIDDEN,
                        format!(
                            "This is a `{}` directory: its source posts batches to the bulk API at {}/bulk, not SCIM requests.",
                            directory.directory_type,
                            directory.bulk_base_url(&public_url).unwrap_or_default()
                        ),
                    ))
                }
                Authentication::Refused { directory_exists } => {
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

/// Links an unlinked directory on its first authenticated request, recording `dsync.activated`.
fn link(context: &ScimContext, mut directory: Directory) -> Result<Directory, ScimError> {
    let mut conn = context.store.connection()?;
    let now = Timestamp::now();
    if directories::activate(&mut conn, &directory, now)? {
        tracing::info!(directory = %directory.id, "directory linked");
        context.events_written.notify_one();
    }
    directory.state = DirectoryState::Linked;
    directory.last_request_at = Some(now);
    Ok(directory)
}

/// What a bearer token presented for a directory proves.
#[derive(Debug)]
pub enum Authentication {
    /// The token is the directory's, and its source writes through the protocol asked for.
    Authenticated(Directory),
    /// The token is the directory's, but its source writes through the other protocol.
    OtherProtocol(Directory),
    /// No such directory, not its token, or no token. `directory_exists` names the directory
    /// when there is one, for its request log, never for the client.
    Refused {
        /// The directory's id, when the path named an existing directory.
        directory_exists: Option<String>,
    },
}

/// Checks `token` against directory `id` for a writer of `protocol`, in constant time, and
/// records when a linked directory's source last made an authenticated request. It does not
/// link an unlinked directory (which records that time): the caller decides when (SCIM on the
/// first request, the bulk API with the first batch it commits). Shared by the SCIM and bulk
/// endpoints, so both authenticate alike.
pub fn authenticate(
    store: &Store,
    id: &DirectoryId,
    token: Option<&str>,
    protocol: Protocol,
) -> Result<Authentication, StoreError> {
    let mut conn = store.connection()?;
    let authenticated = match token {
        Some(token) => directories::authenticate(&mut conn, id, token)?,
        None => None,
    };
    let Some(mut directory) = authenticated else {
        let exists = directories::find(&mut conn, id)?.map(|directory| directory.id.to_string());
        return Ok(Authentication::Refused {
            directory_exists: exists,
        });
    };
    if directory.directory_type.protocol() != protocol {
        return Ok(Authentication::OtherProtocol(directory));
    }
    let now = Timestamp::now();
    // Linking records the time too: a burst of first requests writes nothing more.
    if directory.state != DirectoryState::Unlinked
        && directory
            .last_request_at
            .is_none_or(|at| now.as_millis() - at.as_millis() > LAST_REQUEST_RESOLUTION_MS)
    {
        directories::record_request(&mut conn, &directory.id, now)?;
        directory.last_request_at = Some(now);
    }
    Ok(Authentication::Authenticated(directory))
}

/// The token from `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750).
pub fn bearer_token(request: &HttpRequest) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}
