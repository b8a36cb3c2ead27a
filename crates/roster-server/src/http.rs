//! The HTTP server: health endpoints, the protocol crates' routes, shared middleware.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use roster_api::{ApiContext, ApiLimits};
use roster_scim::{InFlight, RequestLog, ScimContext};
use roster_store::Store;
use serde_json::json;
use tokio::sync::Notify;

use crate::config::Config;
use crate::request_id;

/// How often inactive users past their retention are deleted and old log entries pruned.
const UPKEEP_PERIOD: Duration = Duration::from_secs(60 * 60);

/// Largest request body accepted; SCIM documents are a few KiB.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Builds the server on an already bound listener (so callers, and tests binding port 0, know
/// the address before building `ROSTER_PUBLIC_URL` from it). The server runs when awaited.
///
/// `events_written` is signalled after every commit that recorded events.
pub fn serve(
    listener: TcpListener,
    config: &Config,
    store: Store,
    events_written: Arc<Notify>,
    workers: usize,
) -> std::io::Result<Server> {
    let scim = web::Data::new(ScimContext {
        store: store.clone(),
        public_url: config.public_url.clone(),
        in_flight: InFlight::new(config.scim_max_in_flight),
        events_written: events_written.clone(),
        request_log: RequestLog::start(store.clone()),
    });
    // Retention and log pruning: hourly is plenty for promises made in days.
    actix_web::rt::spawn(roster_scim::maintenance::run(
        scim.get_ref().clone(),
        UPKEEP_PERIOD,
    ));
    let api = web::Data::new(ApiContext {
        store: store.clone(),
        public_url: config.public_url.clone(),
        limits: ApiLimits::per_key(config.api_rate_limit),
        events_written,
    });
    let store = web::Data::new(store);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scim.clone())
            .app_data(api.clone())
            .app_data(store.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .wrap(from_fn(request_id::tag_and_log))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .configure(roster_scim::configure)
            .configure(roster_api::configure)
    })
    .workers(workers)
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}

/// The process is up.
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The process can reach its database.
async fn ready(store: web::Data<Store>) -> HttpResponse {
    let store = store.into_inner();
    match web::block(move || store.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "message": "the database is unreachable"}))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "message": "the server is shutting down"}))
        }
    }
}
