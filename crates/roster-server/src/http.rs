//! The HTTP server: health endpoints, the protocol crates' routes, shared middleware.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use roster_api::{ApiContext, ApiLimits};
use roster_bulk::BulkContext;
use roster_core::{DirectoryId, RateLimit};
use roster_dashboard::{DashboardContext, DashboardSettings};
use roster_scim::{InFlight, RequestLog, ScimContext};
use roster_store::Store;
use serde_json::json;
use tokio::sync::Notify;

use crate::config::Config;
use crate::metrics::{self, Scrape};
use crate::overload::{self, Limits};
use crate::request_id;

/// How often inactive users past their retention are deleted and old log entries pruned.
const UPKEEP_PERIOD: Duration = Duration::from_secs(60 * 60);

/// How long a connection may take to close after its response, before it is dropped.
const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often rate-limit buckets that filled up again are forgotten.
const FORGET_IDLE_BUCKETS_EVERY: Duration = Duration::from_secs(60);

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
    metrics::recorder();
    let scim = web::Data::new(ScimContext {
        store: store.clone(),
        public_url: config.public_url.clone(),
        in_flight: InFlight::new(config.scim_max_in_flight),
        rate_limit: RateLimit::per_second(config.scim_rate_limit),
        events_written: events_written.clone(),
        request_log: RequestLog::start(store.clone()),
    });
    // Retention and log pruning: hourly is plenty for promises made in days.
    actix_web::rt::spawn(roster_scim::maintenance::run(
        scim.get_ref().clone(),
        UPKEEP_PERIOD,
    ));
    actix_web::rt::spawn(forget_idle_buckets(scim.rate_limit.clone()));
    let test_sender =
        roster_events::TestSender::new(&config.webhooks).map_err(std::io::Error::other)?;
    let api = web::Data::new(ApiContext {
        store: store.clone(),
        public_url: config.public_url.clone(),
        limits: ApiLimits::per_key(config.api_rate_limit),
        events_written,
        test_sender: test_sender.clone(),
    });
    let scrape = web::Data::new(Scrape {
        token: config.metrics_token.clone(),
        store: store.clone(),
    });
    let bulk = web::Data::new(BulkContext {
        store: store.clone(),
        public_url: config.public_url.clone(),
        max_records: config.bulk_max_records,
        events_written: scim.events_written.clone(),
        rate_limit: scim.rate_limit.clone(),
    });
    let mailer = roster_mail::Mailer::start(&config.mail).map_err(std::io::Error::other)?;
    if let Some(silent_after) = config.directory_silent_after {
        let (alert_store, alert_mailer) = (store.clone(), mailer.clone());
        let public_url = config.public_url.clone();
        actix_web::rt::spawn(roster_scim::maintenance::watch_silence(
            store.clone(),
            silent_after,
            silence_check_period(silent_after),
            move |directories| {
                let (store, mailer, public_url) = (
                    alert_store.clone(),
                    alert_mailer.clone(),
                    public_url.clone(),
                );
                async move {
                    let alerted = roster_dashboard::alerts::directories_silent(
                        &store,
                        &mailer,
                        &public_url,
                        directories,
                    );
                    if let Err(error) = alerted.await {
                        tracing::warn!(%error, "cannot tell administrators about silent directories");
                    }
                }
            },
        ));
    }
    actix_web::rt::spawn(roster_dashboard::summary::run(
        store.clone(),
        mailer.clone(),
        config.public_url.clone(),
    ));
    let dashboard = web::Data::new(
        DashboardContext::new(DashboardSettings {
            store: store.clone(),
            public_url: config.public_url.clone(),
            mailer,
            clock: roster_events::Clock::system(),
            events_written: scim.events_written.clone(),
            bulk_max_records: config.bulk_max_records,
            test_sender,
        })
        .map_err(|error| std::io::Error::other(error.to_string()))?,
    );
    let store = web::Data::new(store);
    let limits = web::Data::new(Limits::new(
        config.http.max_in_flight,
        config.http.body_timeout,
    ));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scim.clone())
            .app_data(api.clone())
            .app_data(bulk.clone())
            .app_data(dashboard.clone())
            .app_data(store.clone())
            .app_data(limits.clone())
            .app_data(scrape.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .wrap(from_fn(overload::refuse_nul))
            .wrap(from_fn(overload::limit))
            .wrap(from_fn(request_id::tag_and_log))
            .route("/health", web::get().to(health))
            .route("/ready", web::get().to(ready))
            .route("/metrics", web::get().to(metrics::scrape))
            .configure(roster_scim::configure)
            .configure(roster_api::configure)
            .configure(roster_bulk::configure)
            .configure(roster_dashboard::configure)
    })
    .workers(workers)
    .max_connections(config.http.max_connections.div_ceil(workers.max(1)))
    .client_request_timeout(config.http.header_timeout)
    .keep_alive(config.http.keep_alive)
    .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}

/// How often silence is checked: a sixtieth of the allowed silence (a minute for an hour),
/// at most a minute, at least 50 ms.
fn silence_check_period(silent_after: Duration) -> Duration {
    (silent_after / 60).clamp(Duration::from_millis(50), Duration::from_secs(60))
}

/// Keeps the per-directory buckets to the directories that sent requests lately.
async fn forget_idle_buckets(rate_limit: RateLimit<DirectoryId>) {
    let mut every = actix_web::rt::time::interval(FORGET_IDLE_BUCKETS_EVERY);
    loop {
        every.tick().await;
        rate_limit.forget_idle();
    }
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
