//! Configuration: flags with environment fallbacks (`ROSTER_*`), validated once at start with
//! errors that name the setting.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};
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

    /// Log format on stderr.
    #[arg(long, global = true, env = "ROSTER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
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
    /// Where the HTTP server listens.
    pub listen: SocketAddr,
    /// Externally reachable base URL, without trailing slash.
    pub public_url: String,
    /// Log format.
    pub log_format: LogFormat,
    /// SCIM requests served at once.
    pub scim_max_in_flight: usize,
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
}

impl Settings {
    /// Checks every setting.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let database_url = DatabaseUrl::parse(&self.database_url)?;
        if !(1..=1000).contains(&self.database_pool_size) {
            return Err(ConfigError::PoolSize(self.database_pool_size));
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
        Ok(Config {
            database_url,
            database_pool_size: self.database_pool_size,
            listen,
            public_url,
            log_format: self.log_format,
            scim_max_in_flight: self.scim_max_in_flight,
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
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            log_format: LogFormat::Text,
            scim_max_in_flight: 256,
        }
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
        bad.database_url = "mysql://db/roster".into();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .starts_with("ROSTER_DATABASE_URL")
        );
    }
}
