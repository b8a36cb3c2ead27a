//! Configuration: flags with environment fallbacks (`ROSTER_*`), validated once at start with
//! errors that name the setting.

use std::net::SocketAddr;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, ValueEnum};
use roster_events::DispatcherConfig;
use roster_events::schedule::{RetrySchedule, parse_duration};
use roster_store::DatabaseUrl;

/// Settings shared by every subcommand, as the user gave them.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database: `sqlite://PATH` (embedded, created if missing) or `postgres://…`.
    #[arg(
        long,
        global = true,
        env = "ROSTER_DATABASE_URL",
        default_value = "sqlite://roster.db"
    )]
    pub database_url: String,

    /// Connections kept open to the database.
    #[arg(
        long,
        global = true,
        env = "ROSTER_DATABASE_POOL_SIZE",
        default_value_t = 10
    )]
    pub database_pool_size: u32,

    /// How long a request waits for a database connection (then 503), and a PostgreSQL
    /// connection attempt for the server.
    #[arg(
        long,
        global = true,
        env = "ROSTER_DATABASE_TIMEOUT",
        default_value = "10s"
    )]
    pub database_timeout: String,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        global = true,
        env = "ROSTER_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: String,

    /// The URL identity providers and browsers reach Roster at; defaults to `http://` + the
    /// listen address.
    #[arg(long, global = true, env = "ROSTER_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// SCIM requests served at once; beyond it clients get 429 with `Retry-After`.
    #[arg(
        long,
        global = true,
        env = "ROSTER_SCIM_MAX_IN_FLIGHT",
        default_value_t = 256
    )]
    pub scim_max_in_flight: usize,

    /// Management API requests per second per API key (bursts of twice that); 0 turns the
    /// limit off.
    #[arg(
        long,
        global = true,
        env = "ROSTER_API_RATE_LIMIT",
        default_value_t = 100
    )]
    pub api_rate_limit: u32,

    /// SCIM requests per second per directory (bursts of twice that); 0 turns the limit off.
    #[arg(
        long,
        global = true,
        env = "ROSTER_SCIM_RATE_LIMIT",
        default_value_t = 100
    )]
    pub scim_rate_limit: u32,

    /// Limits on HTTP connections and requests.
    #[command(flatten)]
    pub http: HttpSettings,

    /// The key that encrypts webhook signing secrets in the database (32 bytes, base64 or
    /// hex). Unset with SQLite: a key file beside the database; required with PostgreSQL.
    #[arg(long, global = true, env = "ROSTER_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// The bearer token `GET /metrics` requires; unset, `/metrics` is not served.
    #[arg(
        long,
        global = true,
        env = "ROSTER_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// How long a linked directory may send no request before it is reported silent (`off`
    /// to never report).
    #[arg(
        long,
        global = true,
        env = "ROSTER_DIRECTORY_SILENT_AFTER",
        default_value = "7d"
    )]
    pub directory_silent_after: String,
    /// The most records (users and groups) one bulk API batch may hold; larger batches get 413.
    #[arg(
        long,
        global = true,
        env = "ROSTER_BULK_MAX_RECORDS",
        default_value_t = roster_bulk::DEFAULT_MAX_RECORDS
    )]
    pub bulk_max_records: usize,

    /// Log format on stderr.
    #[arg(long, global = true, env = "ROSTER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// SMTP server for invitations, setup links and alerts: `smtps://user:password@host:465`,
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtp://host:25` (no TLS). Unset: emails are
    /// written to `--mail-dir`.
    #[arg(long, global = true, env = "ROSTER_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of Roster's emails.
    #[arg(
        long,
        global = true,
        env = "ROSTER_MAIL_FROM",
        default_value = "Roster <roster@localhost>"
    )]
    pub mail_from: String,

    /// Where emails are written as `.eml` files when no SMTP server is configured.
    #[arg(
        long,
        global = true,
        env = "ROSTER_MAIL_DIR",
        default_value = "roster-mail"
    )]
    pub mail_dir: String,

    /// Webhook delivery and event retention.
    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// Limits on HTTP connections and requests, as the user gave them.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Requests served at once across every route; beyond it, 503 with `Retry-After`.
    #[arg(
        long,
        global = true,
        env = "ROSTER_HTTP_MAX_IN_FLIGHT",
        default_value_t = 1024
    )]
    pub http_max_in_flight: usize,

    /// Open connections at most; more wait in the operating system's listen queue.
    #[arg(
        long,
        global = true,
        env = "ROSTER_HTTP_MAX_CONNECTIONS",
        default_value_t = 10_000
    )]
    pub http_max_connections: usize,

    /// How long a client may take to send a request's headers.
    #[arg(
        long,
        global = true,
        env = "ROSTER_HTTP_HEADER_TIMEOUT",
        default_value = "5s"
    )]
    pub http_header_timeout: String,

    /// How long an idle keep-alive connection is kept open.
    #[arg(
        long,
        global = true,
        env = "ROSTER_HTTP_KEEP_ALIVE",
        default_value = "75s"
    )]
    pub http_keep_alive: String,

    /// How long a request body may stop arriving before the request is refused.
    #[arg(
        long,
        global = true,
        env = "ROSTER_HTTP_BODY_TIMEOUT",
        default_value = "30s"
    )]
    pub http_body_timeout: String,
}

/// Validated HTTP limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// Requests served at once.
    pub max_in_flight: usize,
    /// Open connections at most.
    pub max_connections: usize,
    /// Time allowed for a request's headers.
    pub header_timeout: Duration,
    /// Time an idle connection is kept.
    pub keep_alive: Duration,
    /// Time a request body may pause.
    pub body_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_in_flight: 1024,
            max_connections: 10_000,
            header_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_secs(75),
            body_timeout: Duration::from_secs(30),
        }
    }
}

impl HttpSettings {
    fn validate(&self) -> Result<HttpLimits, ConfigError> {
        let invalid =
            |setting: &'static str| move |message: String| ConfigError::Http { setting, message };
        let positive = |setting: &'static str, value: usize| {
            if value == 0 {
                Err(invalid(setting)("must be at least 1".to_owned()))
            } else {
                Ok(value)
            }
        };
        let duration = |setting: &'static str, value: &str| {
            let parsed = parse_duration(value).map_err(invalid(setting))?;
            if parsed.is_zero() {
                return Err(invalid(setting)("must be longer than 0".to_owned()));
            }
            Ok(parsed)
        };
        Ok(HttpLimits {
            max_in_flight: positive("ROSTER_HTTP_MAX_IN_FLIGHT", self.http_max_in_flight)?,
            max_connections: positive("ROSTER_HTTP_MAX_CONNECTIONS", self.http_max_connections)?,
            header_timeout: duration("ROSTER_HTTP_HEADER_TIMEOUT", &self.http_header_timeout)?,
            keep_alive: duration("ROSTER_HTTP_KEEP_ALIVE", &self.http_keep_alive)?,
            body_timeout: duration("ROSTER_HTTP_BODY_TIMEOUT", &self.http_body_timeout)?,
        })
    }
}

/// How webhooks are delivered (`roster serve`, `roster worker`), as the user gave it.
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// Delays between a failed delivery's attempts, comma-separated; after the last, the
    /// delivery is marked failed.
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_RETRY_SCHEDULE",
        default_value = "5s,5m,30m,2h,5h,10h,10h"
    )]
    pub webhook_retry_schedule: String,

    /// How long one delivery attempt may take.
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_TIMEOUT",
        default_value = "15s"
    )]
    pub webhook_timeout: String,

    /// How often the dispatcher looks for work when nothing wakes it (events written by another
    /// process, e.g. the CLI or another instance).
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_POLL_INTERVAL",
        default_value = "1s"
    )]
    pub webhook_poll_interval: String,

    /// Delivery attempts in flight to one endpoint at once.
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_ENDPOINT_CONCURRENCY",
        default_value_t = 4
    )]
    pub webhook_endpoint_concurrency: usize,

    /// Delivery attempts in flight in all, per process.
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_MAX_IN_FLIGHT",
        default_value_t = 64
    )]
    pub webhook_max_in_flight: usize,

    /// An endpoint whose every attempt failed for this long is disabled.
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_DISABLE_AFTER",
        default_value = "3d"
    )]
    pub webhook_disable_after: String,

    /// Allow deliveries to loopback, private, link-local and unique-local addresses.
    #[arg(
        long,
        global = true,
        env = "ROSTER_WEBHOOK_ALLOW_PRIVATE",
        default_value_t = false,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub webhook_allow_private: bool,

    /// Days events (and their deliveries) are kept.
    #[arg(
        long,
        global = true,
        env = "ROSTER_EVENT_RETENTION_DAYS",
        default_value_t = 30
    )]
    pub event_retention_days: u32,
}

impl WebhookSettings {
    /// Checks every webhook setting.
    pub fn validate(&self) -> Result<DispatcherConfig, ConfigError> {
        let setting = |setting: &'static str| {
            move |message: String| ConfigError::Webhook { setting, message }
        };
        let positive = |name: &'static str, value: usize| {
            if value == 0 {
                Err(setting(name)("must be at least 1".to_owned()))
            } else {
                Ok(value)
            }
        };
        let timeout =
            parse_duration(&self.webhook_timeout).map_err(setting("ROSTER_WEBHOOK_TIMEOUT"))?;
        if timeout.is_zero() {
            return Err(setting("ROSTER_WEBHOOK_TIMEOUT")(
                "must be longer than 0".to_owned(),
            ));
        }
        let poll_interval = parse_duration(&self.webhook_poll_interval)
            .map_err(setting("ROSTER_WEBHOOK_POLL_INTERVAL"))?;
        if poll_interval.is_zero() {
            return Err(setting("ROSTER_WEBHOOK_POLL_INTERVAL")(
                "must be longer than 0".to_owned(),
            ));
        }
        if self.event_retention_days == 0 {
            return Err(setting("ROSTER_EVENT_RETENTION_DAYS")(
                "must be at least 1".to_owned(),
            ));
        }
        Ok(DispatcherConfig {
            retry_schedule: RetrySchedule::parse(&self.webhook_retry_schedule)
                .map_err(setting("ROSTER_WEBHOOK_RETRY_SCHEDULE"))?,
            timeout,
            poll_interval,
            endpoint_concurrency: positive(
                "ROSTER_WEBHOOK_ENDPOINT_CONCURRENCY",
                self.webhook_endpoint_concurrency,
            )?,
            max_in_flight: positive("ROSTER_WEBHOOK_MAX_IN_FLIGHT", self.webhook_max_in_flight)?,
            disable_after: parse_duration(&self.webhook_disable_after)
                .map_err(setting("ROSTER_WEBHOOK_DISABLE_AFTER"))?,
            allow_private: self.webhook_allow_private,
            event_retention: std::time::Duration::from_secs(
                u64::from(self.event_retention_days) * 86400,
            ),
        })
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where data lives.
    pub database_url: DatabaseUrl,
    /// Pool size.
    pub database_pool_size: u32,
    /// How long to wait for a connection.
    pub database_timeout: Duration,
    /// Where the HTTP server listens.
    pub listen: SocketAddr,
    /// Externally reachable base URL, without trailing slash.
    pub public_url: String,
    /// Log format.
    pub log_format: LogFormat,
    /// SCIM requests served at once.
    pub scim_max_in_flight: usize,
    /// API requests per second per key; 0 is unlimited.
    pub api_rate_limit: u32,
    /// SCIM requests per second per directory; 0 is unlimited.
    pub scim_rate_limit: u32,
    /// Limits on HTTP connections and requests.
    pub http: HttpLimits,
    /// The key sealing stored secrets, when given.
    pub secret_key: Option<roster_store::secrets::SecretKey>,
    /// The token `/metrics` requires; `None` turns `/metrics` off.
    pub metrics_token: Option<MetricsToken>,
    /// How long a linked directory may be quiet before it is reported; `None` never.
    pub directory_silent_after: Option<Duration>,
    /// Records one bulk batch may hold.
    pub bulk_max_records: usize,
    /// How email is sent.
    pub mail: roster_mail::MailConfig,
    /// How webhooks are delivered (test events from the dashboard and the API too).
    pub webhooks: DispatcherConfig,
}

/// The `/metrics` bearer token; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Wraps a token.
    pub fn new(token: String) -> Self {
        MetricsToken(token)
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        // Digests first, so that the comparison does not reveal the token's length either.
        let digest = |text: &str| roster_core::secret::token_digest(text);
        digest(presented)
            .as_bytes()
            .ct_eq(digest(&self.0).as_bytes())
            .into()
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(…)")
    }
}

/// A setting with a value Roster cannot use.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `ROSTER_DATABASE_URL`.
    #[error("ROSTER_DATABASE_URL: {0}")]
    DatabaseUrl(#[from] roster_store::DatabaseUrlError),
    /// `ROSTER_LISTEN`.
    #[error(
        "ROSTER_LISTEN: `{0}` is not an address to listen on (expected IP:PORT, e.g. `127.0.0.1:8080` or `0.0.0.0:8080`)"
    )]
    Listen(String),
    /// `ROSTER_PUBLIC_URL`.
    #[error(
        "ROSTER_PUBLIC_URL: `{value}` is not usable: {reason} (expected e.g. `https://roster.example.com`)"
    )]
    PublicUrl {
        /// As given.
        value: String,
        /// Why not.
        reason: String,
    },
    /// `ROSTER_DATABASE_POOL_SIZE`.
    #[error("ROSTER_DATABASE_POOL_SIZE: must be between 1 and 1000, not {0}")]
    PoolSize(u32),
    /// `ROSTER_DATABASE_TIMEOUT`.
    #[error("ROSTER_DATABASE_TIMEOUT: {0}")]
    DatabaseTimeout(String),
    /// `ROSTER_SECRET_KEY`.
    #[error("ROSTER_SECRET_KEY: {0}")]
    SecretKey(roster_store::secrets::SecretError),
    /// `ROSTER_METRICS_TOKEN`.
    #[error("ROSTER_METRICS_TOKEN: must be at least 16 characters (e.g. `openssl rand -hex 32`)")]
    MetricsToken,
    /// `ROSTER_DIRECTORY_SILENT_AFTER`.
    #[error("ROSTER_DIRECTORY_SILENT_AFTER: {0}")]
    SilentAfter(String),
    /// One of the `ROSTER_HTTP_*` settings.
    #[error("{setting}: {message}")]
    Http {
        /// Which.
        setting: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// `ROSTER_BULK_MAX_RECORDS`.
    #[error("ROSTER_BULK_MAX_RECORDS: must be between 1 and 10000, not {0}")]
    BulkMaxRecords(usize),
    /// One of the `ROSTER_WEBHOOK_*` settings or `ROSTER_EVENT_RETENTION_DAYS`.
    #[error("{setting}: {message}")]
    Webhook {
        /// Which.
        setting: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

impl Settings {
    /// Checks every setting.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let database_url = DatabaseUrl::parse(&self.database_url)?;
        if !(1..=1000).contains(&self.database_pool_size) {
            return Err(ConfigError::PoolSize(self.database_pool_size));
        }
        // One statement binds a batch's external ids; both backends bind 10,000 easily.
        if !(1..=10_000).contains(&self.bulk_max_records) {
            return Err(ConfigError::BulkMaxRecords(self.bulk_max_records));
        }
        let listen: SocketAddr = self
            .listen
            .trim()
            .parse()
            .map_err(|_| ConfigError::Listen(self.listen.clone()))?;
        let public_url = match &self.public_url {
            Some(value) => validate_public_url(value)?,
            None => format!("http://{listen}"),
        };
        let database_timeout =
            parse_duration(&self.database_timeout).map_err(ConfigError::DatabaseTimeout)?;
        if database_timeout.is_zero() {
            return Err(ConfigError::DatabaseTimeout(
                "must be longer than 0".to_owned(),
            ));
        }
        Ok(Config {
            database_url,
            database_pool_size: self.database_pool_size,
            database_timeout,
            listen,
            public_url,
            log_format: self.log_format,
            scim_max_in_flight: self.scim_max_in_flight,
            api_rate_limit: self.api_rate_limit,
            scim_rate_limit: self.scim_rate_limit,
            http: self.http.validate()?,
            secret_key: self
                .secret_key
                .as_deref()
                .map(str::trim)
                .filter(|key| !key.is_empty())
                .map(roster_store::secrets::SecretKey::parse)
                .transpose()
                .map_err(ConfigError::SecretKey)?,
            metrics_token: match self.metrics_token.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(token) if token.len() < 16 => {
                    return Err(ConfigError::MetricsToken);
                }
                Some(token) => Some(MetricsToken::new(token.to_owned())),
            },
            directory_silent_after: match self.directory_silent_after.trim() {
                "off" => None,
                value => {
                    let after = parse_duration(value).map_err(ConfigError::SilentAfter)?;
                    if after.is_zero() {
                        return Err(ConfigError::SilentAfter(
                            "must be longer than 0, or `off`".to_owned(),
                        ));
                    }
                    Some(after)
                }
            },
            bulk_max_records: self.bulk_max_records,
            mail: roster_mail::MailConfig {
                smtp_url: self.smtp_url.clone().filter(|url| !url.trim().is_empty()),
                from: self.mail_from.clone(),
                folder: self.mail_dir.clone().into(),
            },
            webhooks: self.webhooks.validate()?,
        })
    }
}

fn validate_public_url(value: &str) -> Result<String, ConfigError> {
    let error = |reason: &str| ConfigError::PublicUrl {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = url::Url::parse(value.trim()).map_err(|cause| error(&cause.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(error("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(error("it has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(error("it must not have a query or fragment"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            database_url: "sqlite://roster.db".into(),
            database_pool_size: 10,
            database_timeout: "10s".into(),
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            log_format: LogFormat::Text,
            scim_max_in_flight: 256,
            api_rate_limit: 100,
            scim_rate_limit: 100,
            secret_key: None,
            metrics_token: None,
            directory_silent_after: "7d".into(),
            http: HttpSettings {
                http_max_in_flight: 1024,
                http_max_connections: 10_000,
                http_header_timeout: "5s".into(),
                http_keep_alive: "75s".into(),
                http_body_timeout: "30s".into(),
            },
            bulk_max_records: 1000,
            smtp_url: None,
            mail_from: "Roster <roster@localhost>".into(),
            mail_dir: "roster-mail".into(),
            webhooks: WebhookSettings {
                webhook_retry_schedule: "5s,5m,30m,2h,5h,10h,10h".into(),
                webhook_timeout: "15s".into(),
                webhook_poll_interval: "1s".into(),
                webhook_endpoint_concurrency: 4,
                webhook_max_in_flight: 64,
                webhook_disable_after: "3d".into(),
                webhook_allow_private: false,
                event_retention_days: 30,
            },
        }
    }

    #[test]
    fn webhook_defaults_are_the_documented_ones_and_bad_values_are_named() {
        let config = settings().webhooks.validate().unwrap();
        let default = DispatcherConfig::default();
        assert_eq!(config.retry_schedule, default.retry_schedule);
        assert_eq!(config.timeout, default.timeout);
        assert_eq!(config.disable_after, default.disable_after);
        assert_eq!(config.event_retention, default.event_retention);
        assert!(!config.allow_private);
        let mut bad = settings();
        bad.webhooks.webhook_retry_schedule = "5s,soon".into();
        assert!(
            bad.webhooks
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_WEBHOOK_RETRY_SCHEDULE: `soon`")
        );
        let mut bad = settings();
        bad.webhooks.webhook_endpoint_concurrency = 0;
        assert!(
            bad.webhooks
                .validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_WEBHOOK_ENDPOINT_CONCURRENCY")
        );
    }

    #[test]
    fn http_defaults_are_the_documented_ones_and_bad_values_are_named() {
        assert_eq!(settings().validate().unwrap().http, HttpLimits::default());
        let mut bad = settings();
        bad.http.http_header_timeout = "0s".into();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_HTTP_HEADER_TIMEOUT")
        );
        let mut bad = settings();
        bad.http.http_max_in_flight = 0;
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_HTTP_MAX_IN_FLIGHT")
        );
    }

    #[test]
    fn defaults_derive_the_public_url_from_the_listen_address() {
        let config = settings().validate().unwrap();
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn public_urls_lose_their_trailing_slash_and_keep_their_path() {
        let mut settings = settings();
        settings.public_url = Some("https://sso.example.com/roster/".into());
        assert_eq!(
            settings.validate().unwrap().public_url,
            "https://sso.example.com/roster"
        );
    }

    #[test]
    fn each_bad_setting_is_named() {
        let mut bad = settings();
        bad.public_url = Some("ftp://example.com".into());
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_PUBLIC_URL")
        );
        let mut bad = settings();
        bad.listen = "localhost".into();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_LISTEN")
        );
        let mut bad = settings();
        bad.bulk_max_records = 0;
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_BULK_MAX_RECORDS")
        );
        let mut bad = settings();
        bad.database_url = "mysql://db/roster".into();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_DATABASE_URL")
        );
    }
}
