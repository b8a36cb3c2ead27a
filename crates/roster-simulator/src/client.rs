//! The HTTP side: one SCIM client per run that counts every answer by method and status and
//! records the ones the identity provider would not have accepted.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

/// A request whose answer the simulated identity provider would have treated as an error.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path below the SCIM base URL, with its query.
    pub path: String,
    /// The HTTP status, 0 when there was no answer.
    pub status: u16,
    /// The statuses that would have been accepted.
    pub expected: Vec<u16>,
    /// The start of the answer's body, or the transport error.
    pub detail: String,
}

/// How much of an unexpected answer's body a failure keeps.
const DETAIL_CHARS: usize = 300;

/// An answer with its JSON body (`Null` when empty or not JSON).
pub(crate) struct Reply {
    pub(crate) body: Value,
}

pub(crate) struct Scim {
    http: reqwest::Client,
    base: String,
    authorization: String,
    content_type: &'static str,
    counts: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    failures: Mutex<Vec<Failure>>,
}

impl Scim {
    pub(crate) fn new(
        base: &str,
        token: &str,
        content_type: &'static str,
        user_agent: &str,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a TLS crypto provider of its own and panics when building a
        // client without one; installing ring here makes the library safe to call from any
        // program. An error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Scim {
            http,
            base: base.trim_end_matches('/').to_owned(),
            // What Okta's header-auth apps (2.0 and 1.1) and Entra send.
            authorization: format!("Bearer {token}"),
            content_type,
            counts: Mutex::new(BTreeMap::new()),
            failures: Mutex::new(Vec::new()),
        })
    }

    /// Sends one request; `None` (with the failure recorded) unless its status is `accepted`.
    pub(crate) async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        accepted: &[u16],
    ) -> Option<Reply> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("authorization", &self.authorization)
            .header("accept", "application/scim+json, application/json");
        if let Some(body) = body {
            request = request
                .header("content-type", self.content_type)
                .body(body.to_string());
        }
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                response.text().await.map(|text| (status, text))
            }
            Err(error) => Err(error),
        };
        let (status, text) = match answer {
            Ok(answer) => answer,
            Err(error) => {
                self.count(&method, "error");
                self.fail(&method, path, 0, accepted, error.to_string());
                return None;
            }
        };
        self.count(&method, &status.to_string());
        if !accepted.contains(&status) {
            self.fail(&method, path, status, accepted, text);
            return None;
        }
        Some(Reply {
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        })
    }

    pub(crate) async fn get(&self, path: &str) -> Option<Reply> {
        self.expect(Method::GET, path, None, &[200]).await
    }

    fn count(&self, method: &Method, status: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts
                .entry(method.as_str().to_owned())
                .or_default()
                .entry(status.to_owned())
                .or_default() += 1;
        }
    }

    fn fail(&self, method: &Method, path: &str, status: u16, accepted: &[u16], detail: String) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.push(Failure {
                method: method.as_str().to_owned(),
                path: path.to_owned(),
                status,
                expected: accepted.to_vec(),
                detail: detail.chars().take(DETAIL_CHARS).collect(),
            });
        }
    }

    /// The answers so far: method → status → count.
    pub(crate) fn counts(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.counts
            .lock()
            .map(|counts| counts.clone())
            .unwrap_or_default()
    }

    pub(crate) fn failures(&self) -> Vec<Failure> {
        self.failures
            .lock()
            .map(|failures| failures.clone())
            .unwrap_or_default()
    }
}

/// Percent-encodes a query parameter value (everything but RFC 3986's unreserved characters),
/// as identity providers encode filters (`%20`, not `+`).
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_are_encoded_as_okta_sends_them() {
        assert_eq!(
            super::encode("userName eq \"test.user@okta.local\""),
            "userName%20eq%20%22test.user%40okta.local%22"
        );
    }
}
