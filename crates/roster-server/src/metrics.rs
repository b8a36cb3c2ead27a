//! `GET /metrics` in Prometheus's text format, behind a bearer token (`ROSTER_METRICS_TOKEN`;
//! unset, the route answers 404). Counters are recorded where things happen (requests by route
//! pattern and status, SCIM requests and errors per directory, webhook attempts and failures per
//! endpoint); gauges that describe the database (outbox depth, pool use, each linked directory's
//! last request and silence) are read at scrape time, so they are never stale and a deleted
//! directory leaves no series behind.

use std::fmt::Write;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use roster_store::{Store, health};
use serde_json::json;

use crate::config::MetricsToken;

/// Request durations, in seconds: SCIM answers take milliseconds; a minute is a stuck client.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's metrics recorder (once; later calls return the same handle).
pub fn recorder() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("roster_http_request_duration_seconds".to_owned()),
                    &DURATION_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(
                    |error| tracing::warn!(%error, "metrics are off: cannot install the recorder"),
                )
                .ok()
        })
        .as_ref()
}

/// What the scrape needs.
pub(crate) struct Scrape {
    pub(crate) token: Option<MetricsToken>,
    pub(crate) store: Store,
}

pub(crate) async fn scrape(request: HttpRequest, scrape: web::Data<Scrape>) -> HttpResponse {
    let Some(token) = &scrape.token else {
        return HttpResponse::NotFound().json(json!({
            "message": "Metrics are off: set ROSTER_METRICS_TOKEN to serve them.",
            "code": "not_found",
        }));
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if !presented.is_some_and(|presented| token.matches(presented)) {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(json!({
                "message": "Send the metrics token as `Authorization: Bearer <token>`.",
                "code": "unauthorized",
            }));
    }
    let Some(handle) = recorder() else {
        return HttpResponse::ServiceUnavailable().json(json!({
            "message": "Metrics are unavailable in this process.",
            "code": "service_unavailable",
        }));
    };
    handle.run_upkeep();
    let store = scrape.store.clone();
    let gauges = web::block(move || database_gauges(&store)).await;
    let mut text = handle.render();
    match gauges {
        Ok(Ok(gauges)) => text.push_str(&gauges),
        Ok(Err(error)) => {
            tracing::warn!(%error, "metrics: cannot read the database gauges");
            text.push_str("# database gauges unavailable: the database did not answer\n");
        }
        Err(error) => tracing::warn!(%error, "metrics: database gauges failed"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

fn gauge(out: &mut String, name: &str, help: &str, series: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (labels, value) in series {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// The gauges read from the database and the pool, in the exposition format.
fn database_gauges(store: &Store) -> Result<String, roster_store::StoreError> {
    let mut out = String::new();
    let pool = store.pool_state();
    gauge(
        &mut out,
        "roster_db_pool_connections",
        "Database connections open.",
        &[(String::new(), f64::from(pool.connections))],
    );
    gauge(
        &mut out,
        "roster_db_pool_idle_connections",
        "Open database connections not lent out.",
        &[(String::new(), f64::from(pool.idle))],
    );
    gauge(
        &mut out,
        "roster_db_pool_max_connections",
        "The most database connections the pool opens.",
        &[(String::new(), f64::from(pool.max))],
    );
    let mut conn = store.connection()?;
    let depth = health::outbox_depth(&mut conn)?;
    gauge(
        &mut out,
        "roster_outbox_undispatched_events",
        "Events not yet fanned out into webhook deliveries.",
        &[(String::new(), depth.undispatched_events as f64)],
    );
    gauge(
        &mut out,
        "roster_webhook_deliveries_pending",
        "Webhook deliveries waiting for an attempt.",
        &[(String::new(), depth.pending_deliveries as f64)],
    );
    let activity = health::linked_activity(&mut conn)?;
    let label = |id: &str| format!("{{directory=\"{id}\"}}");
    gauge(
        &mut out,
        "roster_directory_last_request_timestamp_seconds",
        "When each linked directory last sent a request (to the minute), as a Unix time.",
        &activity
            .iter()
            .filter_map(|directory| {
                let at = directory.last_request_at?;
                Some((
                    label(&directory.directory_id),
                    at.as_millis() as f64 / 1000.0,
                ))
            })
            .collect::<Vec<_>>(),
    );
    gauge(
        &mut out,
        "roster_directory_silent",
        "1 when a linked directory has sent no request for longer than ROSTER_DIRECTORY_SILENT_AFTER.",
        &activity
            .iter()
            .map(|directory| {
                let silent = directory.health.silent_since.is_some();
                (label(&directory.directory_id), f64::from(u8::from(silent)))
            })
            .collect::<Vec<_>>(),
    );
    gauge(
        &mut out,
        "roster_directory_last_error_timestamp_seconds",
        "When each linked directory's identity provider was last answered an error, as a Unix time.",
        &activity
            .iter()
            .filter_map(|directory| {
                let error = directory.health.last_error.as_ref()?;
                Some((
                    format!(
                        "{{directory=\"{}\",status=\"{}\"}}",
                        directory.directory_id, error.status
                    ),
                    error.at.as_millis() as f64 / 1000.0,
                ))
            })
            .collect::<Vec<_>>(),
    );
    Ok(out)
}
