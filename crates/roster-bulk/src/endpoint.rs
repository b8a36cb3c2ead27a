//! `POST /custom/v1/{directory_id}/bulk`: a thin handler that authenticates the directory's
//! bearer token as SCIM does, reads and parses the batch, applies it on a blocking thread and
//! answers what applying it came to.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{DirectoryId, Protocol};
use roster_scim::Authentication;
use roster_store::directories::Directory;

use crate::idempotency::{self, IdempotencyKey};
use crate::{Batch, BulkContext, BulkError, CsvOptions, Mode, apply};

/// Mounts the bulk routes. The caller provides a `web::Data<BulkContext>`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/custom/v1/{directory_id}")
            .service(
                web::resource("/bulk")
                    .route(web::post().to(post_batch))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(unknown_endpoint)),
    );
}

async fn post_batch(
    request: HttpRequest,
    context: web::Data<BulkContext>,
    directory_id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, BulkError> {
    let directory = authenticate(&request, &context, &directory_id).await?;
    // After authentication, as for SCIM: nobody but the directory's own source can spend its
    // requests. Before the body is read: a refused batch costs nothing.
    context
        .rate_limit
        .check(&directory.id)
        .map_err(BulkError::rate_limited)?;
    let limit = context.max_body_bytes();
    let body = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| BulkError::body_too_large(limit))?
        .map_err(|error| BulkError::unreadable_body(&error))?;
    let key = request
        .headers()
        .get(idempotency::HEADER)
        .map(|value| {
            let value = value.to_str().unwrap_or_default();
            IdempotencyKey::new(value, request.query_string(), &body)
        })
        .transpose()?;
    let batch = if is_csv(&request) {
        Batch::from_csv(&body, csv_options(&request)?, context.max_records)?
    } else {
        Batch::parse(&body, context.max_records)?
    };
    let applied = web::block(move || {
        let key = key.as_ref();
        apply(
            &context.store,
            &context.events_written,
            &directory,
            &batch,
            key,
        )
    })
    .await??;
    let status = actix_web::http::StatusCode::from_u16(applied.answer.status)
        .map_err(|error| BulkError::internal(&error))?;
    let mut response = HttpResponse::build(status);
    if applied.replayed {
        response.insert_header((idempotency::REPLAYED_HEADER, "true"));
    }
    Ok(response.json(applied.answer.body))
}

/// Whether the body is a CSV file (`Content-Type: text/csv`) rather than a JSON batch.
fn is_csv(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| {
            let essence = essence.trim();
            essence.eq_ignore_ascii_case("text/csv")
                || essence.eq_ignore_ascii_case("application/csv")
        })
}

/// A CSV upload's options, which a JSON batch carries in its body, from the query string:
/// `?dry_run=true&mode=replace_all&partial=true`.
fn csv_options(request: &HttpRequest) -> Result<CsvOptions, BulkError> {
    let query = web::Query::<HashMap<String, String>>::from_query(request.query_string()).map_err(
        |error| {
            BulkError::invalid_query(
                "query",
                format!("The query string cannot be read: {error}."),
            )
        },
    )?;
    let flag = |name: &'static str| match query.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(BulkError::invalid_query(
            name,
            format!("`{name}` must be true or false."),
        )),
    };
    let mode = match query.get("mode").map(String::as_str) {
        None | Some("upsert") => Mode::Upsert,
        Some("replace_all") => Mode::ReplaceAll,
        Some(_) => {
            return Err(BulkError::invalid_query(
                "mode",
                "`mode` must be upsert (the default) or replace_all.",
            ));
        }
    };
    if let Some(unknown) = query
        .keys()
        .find(|key| !matches!(key.as_str(), "dry_run" | "mode" | "partial"))
    {
        return Err(BulkError::invalid_query(
            "query",
            format!("Unknown parameter `{unknown}`; accepted: dry_run, mode, partial."),
        ));
    }
    Ok(CsvOptions {
        dry_run: flag("dry_run")?,
        mode,
        partial: flag("partial")?,
    })
}

/// The `custom api` directory the request's bearer token authenticates.
async fn authenticate(
    request: &HttpRequest,
    context: &web::Data<BulkContext>,
    directory_id: &str,
) -> Result<Directory, BulkError> {
    // Unknown ids, wrong tokens and missing tokens are one answer, as on the SCIM endpoints.
    let directory_id = DirectoryId::parse(directory_id).map_err(|_| BulkError::unauthorized())?;
    let token = roster_scim::bearer_token(request);
    let store = context.store.clone();
    let authentication = web::block(move || {
        roster_scim::authenticate(&store, &directory_id, token.as_deref(), Protocol::Bulk)
    })
    .await??;
    match authentication {
        Authentication::Authenticated(directory) => Ok(directory),
        Authentication::OtherProtocol(directory) => {
            Err(BulkError::scim_directory(&directory, &context.public_url))
        }
        Authentication::Refused { .. } => Err(BulkError::unauthorized()),
    }
}

async fn method_not_allowed() -> Result<HttpResponse, BulkError> {
    Err(BulkError::method_not_allowed())
}

async fn unknown_endpoint(request: HttpRequest) -> Result<HttpResponse, BulkError> {
    Err(BulkError::unknown_endpoint(request.path()))
}
