//! A webhook receiver for the end-to-end latency scenario: it notes when each
//! `dsync.user.created` arrives, keyed by the user's id.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;

/// Arrival times of users' `dsync.user.created` events.
pub type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// A running receiver.
pub struct Receiver {
    /// Where to point the webhook endpoint.
    pub url: String,
    /// What arrived when.
    pub arrivals: Arrivals,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Starts the receiver on a free loopback port.
    pub fn start() -> Result<Receiver, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let url = format!(
            "http://{}/webhooks",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let arrivals: Arrivals = Arc::default();
        let shared = web::Data::new(arrivals.clone());
        let (sender, receiver) = std::sync::mpsc::channel();
        thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(shared.clone())
                        .route("/webhooks", web::post().to(receive))
                })
                .workers(1)
                .disable_signals()
                .listen(listener);
                match server {
                    Ok(server) => {
                        let server = server.run();
                        let _ = sender.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(error) => {
                        let _ = sender.send(Err(error.to_string()));
                    }
                }
            });
        });
        let handle = receiver.recv().map_err(|e| e.to_string())??;
        Ok(Receiver {
            url,
            arrivals,
            handle,
        })
    }

    /// Stops it.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

async fn receive(arrivals: web::Data<Arrivals>, body: web::Bytes) -> HttpResponse {
    let arrived = Instant::now();
    if let Ok(event) = serde_json::from_slice::<Value>(&body)
        && event["event"] == "dsync.user.created"
        && let Some(id) = event["data"]["id"].as_str()
        && let Ok(mut arrivals) = arrivals.lock()
    {
        arrivals.insert(id.to_owned(), arrived);
    }
    HttpResponse::Ok().finish()
}
