//! A webhook receiver on a loopback port: records every request (body, headers, path, when it
//! arrived, what it was answered) and answers what the test sets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub body: Vec<u8>,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub at: Instant,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn event_id(&self) -> String {
        self.header("webhook-id").to_owned()
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.answered)
    }
}

/// What the receiver answers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Answer {
            status,
            body: String::new(),
            retry_after: None,
            location: None,
            delay: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    answer: Mutex<Option<Answer>>,
}

pub struct Receiver {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    state: Arc<State>,
    handle: ServerHandle,
}

async fn record(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let at = Instant::now();
    let answer = state
        .answer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(Answer::status(200));
    if !answer.delay.is_zero() {
        actix_web::rt::time::sleep(answer.delay).await;
    }
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    state.received.lock().unwrap().push(Received {
        path: request.path().to_owned(),
        body: body.to_vec(),
        headers,
        at,
        answered: answer.status,
    });
    let mut response =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.status).unwrap());
    if let Some(retry_after) = &answer.retry_after {
        response.insert_header(("retry-after", retry_after.as_str()));
    }
    if let Some(location) = &answer.location {
        response.insert_header(("location", location.as_str()));
    }
    response.body(answer.body)
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_at("127.0.0.1:0").await
    }

    /// A receiver on a given address (one a test reserved, say, to play a receiver that was
    /// down and comes back).
    pub async fn start_at(address: &str) -> Self {
        let state = Arc::new(State::default());
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .bind(address)
        .unwrap();
        let address = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://{address}"),
            state,
            handle,
        }
    }

    /// Sets what every following request is answered.
    pub fn answer(&self, answer: Answer) {
        *self.state.answer.lock().unwrap() = Some(answer);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    pub fn delivered(&self) -> Vec<Received> {
        self.received().into_iter().filter(Received::ok).collect()
    }

    /// Waits until `done` holds for what was received, failing after `within`.
    pub async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "after {within:?}, still waiting for {what}; received {} requests",
                received.len()
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for `count` requests answered 2xx.
    pub async fn wait_for_delivered(&self, count: usize, within: Duration) -> Vec<Received> {
        self.wait_until(within, &format!("{count} deliveries"), |received| {
            received.iter().filter(|r| r.ok()).count() >= count
        })
        .await
        .into_iter()
        .filter(Received::ok)
        .collect()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
