//! What every integration test needs: a fresh database, a running server, the CLI.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use roster_server::config::{Config, HttpLimits, LogFormat};
use roster_store::{DatabaseUrl, Store};
use serde_json::Value;
use tokio::sync::Notify;

/// The secret key every server and `roster` process of the tests uses (one process installs one
/// key, and the in-process servers share the test process).
pub const TEST_SECRET_KEY: &str = "dGVzdC1vbmx5LXNlY3JldC1rZXktMzItYnl0ZXMhISE=";

/// The variable naming a PostgreSQL server to create per-test databases on; unset means SQLite.
const TEST_DATABASE_URL: &str = "ROSTER_TEST_DATABASE_URL";

/// A database that exists for one test and is removed after it.
pub struct TestDatabase {
    pub url: String,
    postgres_admin_url: Option<(String, String)>,
    _directory: Option<tempfile::TempDir>,
    mail_directory: tempfile::TempDir,
}

impl TestDatabase {
    pub fn new() -> Self {
        // Every test makes a database first, and some build HTTP clients next: reqwest needs the
        // process's TLS crypto provider installed by then.
        roster_events::install_crypto_provider();
        match std::env::var(TEST_DATABASE_URL) {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!(
                    "roster_test_{}",
                    ulid::Ulid::generate().to_string().to_lowercase()
                );
                let mut admin = PgConnection::establish(&admin_url)
                    .expect("connect to the PostgreSQL test server");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                let mut url = url::Url::parse(&admin_url).unwrap();
                url.set_path(&name);
                TestDatabase {
                    url: url.to_string(),
                    postgres_admin_url: Some((admin_url, name)),
                    _directory: None,
                    mail_directory: tempfile::tempdir().unwrap(),
                }
            }
            _ => {
                let directory = tempfile::tempdir().unwrap();
                let path: PathBuf = directory.path().join("roster.db");
                TestDatabase {
                    url: format!("sqlite://{}", path.display()),
                    postgres_admin_url: None,
                    _directory: Some(directory),
                    mail_directory: tempfile::tempdir().unwrap(),
                }
            }
        }
    }

    /// Where the server writes emails when no SMTP server is configured.
    pub fn mail_folder(&self) -> PathBuf {
        self.mail_directory.path().to_owned()
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres_admin_url.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres_admin_url
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// A running `roster serve` equivalent on a loopback port.
pub struct TestServer {
    pub database: TestDatabase,
    pub base_url: String,
    pub store: Store,
    pub http: reqwest::Client,
    /// Signalled by the server after each SCIM commit, as `roster serve` wires it.
    pub events_written: Arc<Notify>,
    handle: ServerHandle,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_on(TestDatabase::new()).await
    }

    pub async fn start_on(database: TestDatabase) -> Self {
        Self::start_configured(database, |_| {}).await
    }

    /// A server whose configuration the test adjusts first.
    pub async fn start_configured(
        database: TestDatabase,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let mut config = Config {
            database_url: DatabaseUrl::parse(&database.url).unwrap(),
            database_pool_size: 4,
            database_timeout: roster_store::DEFAULT_TIMEOUT,
            listen: address,
            public_url: format!("http://{address}"),
            log_format: LogFormat::Text,
            scim_max_in_flight: 256,
            api_rate_limit: 100,
            scim_rate_limit: 100,
            http: HttpLimits::default(),
            secret_key: Some(roster_store::secrets::SecretKey::parse(TEST_SECRET_KEY).unwrap()),
            metrics_token: None,
            directory_silent_after: Some(std::time::Duration::from_secs(7 * 86400)),
            bulk_max_records: roster_bulk::DEFAULT_MAX_RECORDS,
            mail: roster_mail::MailConfig {
                smtp_url: None,
                from: "Roster <roster@test.example>".to_owned(),
                folder: database.mail_folder(),
            },
            // Test receivers listen on loopback.
            webhooks: roster_events::DispatcherConfig {
                allow_private: true,
                ..roster_events::DispatcherConfig::default()
            },
        };
        adjust(&mut config);
        let store = Store::open_with_timeout(
            &config.database_url,
            config.database_pool_size,
            config.database_timeout,
        )
        .unwrap();
        store.migrate().unwrap();
        roster_server::secret_key::prepare(&config, &store).unwrap();
        let events_written = Arc::new(Notify::new());
        let server =
            roster_server::http::serve(listener, &config, store.clone(), events_written.clone(), 1)
                .unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestServer {
            database,
            base_url: config.public_url,
            store,
            http: reqwest::Client::new(),
            events_written,
            handle,
        }
    }

    /// Starts a webhook dispatcher on this server's database, woken by its SCIM commits.
    pub fn dispatcher(
        &self,
        config: roster_events::DispatcherConfig,
        clock: roster_events::Clock,
    ) -> roster_events::DispatcherHandle {
        roster_events::Dispatcher::new(
            self.store.clone(),
            self.events_written.clone(),
            config,
            clock,
        )
        .unwrap()
        .spawn()
    }

    /// Runs the `roster` binary against this server's database and configuration.
    pub async fn cli(&self, args: &[&str]) -> CliOutput {
        run_cli(&self.database.url, &self.base_url, args).await
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

pub struct CliOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// The one JSON object a successful administration command prints.
    pub fn json(&self) -> Value {
        assert!(self.success, "command failed: {}", self.stderr);
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|error| {
            panic!("stdout is not one JSON object ({error}): {}", self.stdout)
        })
    }
}

/// The `roster` binary set up for a test's database, as an operator's shell would be.
pub fn roster_command(database_url: &str, public_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .env("ROSTER_DATABASE_URL", database_url)
        .env("ROSTER_PUBLIC_URL", public_url)
        .env("ROSTER_SECRET_KEY", TEST_SECRET_KEY)
        .env("RUST_LOG", "warn");
    command
}

pub async fn run_cli(database_url: &str, public_url: &str, args: &[&str]) -> CliOutput {
    let mut command = roster_command(database_url, public_url);
    command.args(args);
    let output = actix_web::rt::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// An organization and an Okta directory created through the CLI, as a vendor would.
pub struct Tenant {
    pub organization_id: String,
    pub directory_id: String,
    /// Empty for a `custom api` directory.
    pub scim_base_url: String,
    pub token: String,
}

impl TestServer {
    pub async fn tenant(&self, directory_type: &str, domain: &str) -> Tenant {
        tenant(&self.database.url, &self.base_url, directory_type, domain).await
    }
}

/// An organization owning `domain` and a directory of `directory_type`, created with the
/// `roster` binary on a database, as a vendor would.
pub async fn tenant(
    database_url: &str,
    public_url: &str,
    directory_type: &str,
    domain: &str,
) -> Tenant {
    let organization = run_cli(
        database_url,
        public_url,
        &["org", "create", "--name", domain, "--domain", domain],
    )
    .await
    .json();
    let organization_id = organization["id"].as_str().unwrap().to_owned();
    let directory = run_cli(
        database_url,
        public_url,
        &[
            "directory",
            "create",
            "--organization",
            &organization_id,
            "--type",
            directory_type,
            "--name",
            "IdP",
        ],
    )
    .await
    .json();
    Tenant {
        organization_id,
        directory_id: directory["id"].as_str().unwrap().to_owned(),
        scim_base_url: directory["scim_base_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        token: directory["bearer_token"].as_str().unwrap().to_owned(),
    }
}

/// A directory's events, in order, as stored (the outbox).
pub fn events(store: &Store, directory_id: &str) -> Vec<roster_store::events::Event> {
    let id = roster_core::DirectoryId::parse(directory_id).unwrap();
    let mut conn = store.connection().unwrap();
    roster_store::events::list_for_directory(&mut conn, &id).unwrap()
}

/// A SCIM client for one directory, as an identity provider would be configured.
pub struct Scim {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// A response's status and JSON body (`Null` when empty).
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Scim {
    pub fn new(tenant: &Tenant) -> Self {
        Scim {
            http: reqwest::Client::new(),
            base: tenant.scim_base_url.clone(),
            token: tenant.token.clone(),
        }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        if !text.is_empty() && self.base.contains("/scim/v2/") {
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/scim+json"),
                "SCIM responses are application/scim+json"
            );
        }
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

impl TestServer {
    /// The directory's events, in order, as stored (the outbox).
    pub fn events(&self, directory_id: &str) -> Vec<roster_store::events::Event> {
        events(&self.store, directory_id)
    }

    /// The types of the directory's events, in order.
    pub fn event_types(&self, directory_id: &str) -> Vec<String> {
        self.events(directory_id)
            .iter()
            .map(|event| event.event_type.as_str().to_owned())
            .collect()
    }
}
