//! `roster webhook listen`: a local receiver that verifies both signatures every delivery
//! carries (`WorkOS-Signature`, Standard Webhooks' `webhook-signature`) with the endpoint's
//! secret and prints each event as it arrives — what a developer keeps open in a second
//! terminal. `roster demo` runs the same receiver with one line per event.

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::dev::Server;
use actix_web::http::header::HeaderMap;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use roster_core::Timestamp;
use roster_events::signing::{self, SignatureError};
use roster_store::webhooks::EndpointSecret;
use serde_json::Value;

/// How events are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A heading line and the whole event, indented JSON.
    Pretty,
    /// One line per event: its sequence, type and whom it is about.
    Line,
}

/// The receiver's state: the secret, and what it has verified so far.
pub(crate) struct Receiver {
    secret: EndpointSecret,
    style: Style,
    verified: AtomicUsize,
    first_verified: OnceLock<Instant>,
}

impl Receiver {
    pub(crate) fn new(secret: EndpointSecret, style: Style) -> Self {
        Receiver {
            secret,
            style,
            verified: AtomicUsize::new(0),
            first_verified: OnceLock::new(),
        }
    }

    /// Deliveries accepted so far.
    pub(crate) fn verified(&self) -> usize {
        self.verified.load(Ordering::SeqCst)
    }

    /// When the first delivery was accepted.
    pub(crate) fn first_verified(&self) -> Option<Instant> {
        self.first_verified.get().copied()
    }
}

/// What one signature scheme said about a delivery.
enum Check {
    Verified,
    Missing,
    Rejected(SignatureError),
}

impl Check {
    fn describe(&self, scheme: &str) -> String {
        match self {
            Check::Verified => format!("{scheme} ✓"),
            Check::Missing => format!("{scheme} missing"),
            Check::Rejected(error) => format!("{scheme} ✗ {error}"),
        }
    }
}

struct Outcome {
    workos: Check,
    standard: Check,
}

impl Outcome {
    /// Accepted when no signature present fails and at least one is present (a sender that
    /// signs with only one scheme, as WorkOS itself does, still verifies).
    fn accepted(&self) -> bool {
        !matches!(
            (&self.workos, &self.standard),
            (Check::Rejected(_), _) | (_, Check::Rejected(_)) | (Check::Missing, Check::Missing)
        )
    }

    fn describe(&self) -> String {
        format!(
            "{}, {}",
            self.workos.describe("WorkOS-Signature"),
            self.standard.describe("webhook-signature")
        )
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn check(secret: &EndpointSecret, headers: &HeaderMap, body: &[u8]) -> Outcome {
    let now = Timestamp::now().as_millis();
    let workos = match header(headers, "workos-signature") {
        None => Check::Missing,
        Some(value) => match signing::verify_workos(secret, value, body, now) {
            Ok(()) => Check::Verified,
            Err(error) => Check::Rejected(error),
        },
    };
    let standard = match (
        header(headers, "webhook-id"),
        header(headers, "webhook-timestamp"),
        header(headers, "webhook-signature"),
    ) {
        (None, None, None) => Check::Missing,
        (Some(id), Some(timestamp), Some(signatures)) => {
            match signing::verify_standard(secret, id, timestamp, signatures, body, now / 1000) {
                Ok(()) => Check::Verified,
                Err(error) => Check::Rejected(error),
            }
        }
        _ => Check::Rejected(SignatureError::Malformed(
            "webhook-id, webhook-timestamp and webhook-signature come together",
        )),
    };
    Outcome { workos, standard }
}

/// Whom an event is about, for the one-line style: a user's email, a group's name, both for
/// membership changes, and which attributes an update changed.
fn subject(event: &Value) -> String {
    let data = &event["data"];
    let user = |user: &Value| {
        user["email"]
            .as_str()
            .or(user["username"].as_str())
            .or(user["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let kind = event["event"].as_str().unwrap_or_default();
    let mut subject = if kind.starts_with("dsync.group.user_") {
        format!(
            "{} → {}",
            user(&data["user"]),
            data["group"]["name"].as_str().unwrap_or_default()
        )
    } else if kind.starts_with("dsync.user.") {
        user(data)
    } else {
        data["name"].as_str().unwrap_or_default().to_owned()
    };
    if let Some(previous) = data["previous_attributes"].as_object() {
        let changed: Vec<&str> = previous.keys().map(String::as_str).collect();
        subject.push_str(&format!("  (changed: {})", changed.join(", ")));
    }
    subject
}

fn print(receiver: &Receiver, headers: &HeaderMap, body: &[u8], outcome: &Outcome) {
    let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let kind = event["event"].as_str().unwrap_or("(not an event)");
    let sequence = header(headers, "roster-event-sequence").unwrap_or("?");
    let mut stdout = std::io::stdout().lock();
    // Printing is what this receiver is for, but a closed stdout must not fail the delivery.
    let _ = match (receiver.style, outcome.accepted()) {
        (Style::Pretty, true) => writeln!(
            stdout,
            "verified  {kind}  {}  sequence {sequence}  ({})\n{}\n",
            event["id"].as_str().unwrap_or_default(),
            outcome.describe(),
            serde_json::to_string_pretty(&event)
                .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned())
        ),
        (Style::Line, true) => {
            writeln!(stdout, "  ✓ #{sequence:<3} {kind:<26} {}", subject(&event))
        }
        (Style::Pretty, false) => writeln!(
            stdout,
            "REJECTED  answered 400  {kind}  ({})\n",
            outcome.describe()
        ),
        (Style::Line, false) => writeln!(stdout, "  ✗ rejected {kind}: {}", outcome.describe()),
    };
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    receiver: web::Data<Receiver>,
) -> HttpResponse {
    let outcome = check(&receiver.secret, request.headers(), &body);
    print(&receiver, request.headers(), &body, &outcome);
    if outcome.accepted() {
        receiver.first_verified.get_or_init(Instant::now);
        receiver.verified.fetch_add(1, Ordering::SeqCst);
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::BadRequest().body(outcome.describe())
    }
}

/// The receiver on an already bound listener; it answers every path. Runs when awaited.
pub(crate) fn server(listener: TcpListener, receiver: Arc<Receiver>) -> std::io::Result<Server> {
    let data = web::Data::from(receiver);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// `roster webhook listen`: serves on `127.0.0.1:port` until Ctrl-C.
pub(crate) fn run(port: u16, secret: String) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|error| format!("cannot listen on 127.0.0.1:{port}: {error}"))?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    let receiver = Arc::new(Receiver::new(EndpointSecret::new(secret), Style::Pretty));
    actix_web::rt::System::new().block_on(async {
        let server = server(listener, receiver).map_err(|error| error.to_string())?;
        let handle = server.handle();
        eprintln!(
            "Listening on http://{address}/ — verifying WorkOS-Signature and webhook-signature.\n\
             Register it with `roster webhook create --url http://{address}/webhooks` and run\n\
             Roster with ROSTER_WEBHOOK_ALLOW_PRIVATE=true (it refuses loopback addresses otherwise).\n\
             Ctrl-C stops."
        );
        actix_web::rt::spawn(async move {
            crate::cli::shutdown_signal().await;
            handle.stop(true).await;
        });
        server.await.map_err(|error| error.to_string())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn one_line_says_whom_an_event_is_about() {
        let added = json!({"event": "dsync.group.user_added", "data": {
            "user": {"email": "ada@acme.example"}, "group": {"name": "Engineering"}}});
        assert_eq!(super::subject(&added), "ada@acme.example → Engineering");
        let updated = json!({"event": "dsync.user.updated", "data": {
            "email": "ada@acme.example", "previous_attributes": {"job_title": "Engineer"}}});
        assert_eq!(
            super::subject(&updated),
            "ada@acme.example  (changed: job_title)"
        );
        let group = json!({"event": "dsync.group.created", "data": {"name": "Sales"}});
        assert_eq!(super::subject(&group), "Sales");
    }
}
