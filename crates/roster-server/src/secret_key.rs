//! The process's secret key, which seals webhook signing secrets in the database:
//! `ROSTER_SECRET_KEY`, or else, for SQLite, a key file beside the database (created on first
//! use, readable by its owner only). PostgreSQL serves several instances, which must share one
//! key, so there the variable is required.

use std::io::Write;
use std::path::{Path, PathBuf};

use roster_store::secrets::{self, SecretKey};
use roster_store::{DatabaseUrl, Store, webhooks};

use crate::config::Config;

/// Where the key lives for a SQLite database without `ROSTER_SECRET_KEY`.
pub fn key_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn resolve(config: &Config) -> Result<SecretKey, String> {
    if let Some(key) = &config.secret_key {
        return Ok(key.clone());
    }
    let DatabaseUrl::Sqlite(database) = &config.database_url else {
        return Err("ROSTER_SECRET_KEY is required with PostgreSQL: it encrypts webhook signing secrets, and every instance needs the same key. Generate one with `openssl rand -base64 32` and keep it apart from database backups.".to_owned());
    };
    let path = key_file(database);
    match std::fs::read_to_string(&path) {
        Ok(text) => SecretKey::parse(&text).map_err(|error| format!("{}: {error}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            write_new(&path, &key)?;
            tracing::info!(path = %path.display(), "generated the secret key that encrypts webhook secrets; keep it with the database, but out of its backups");
            Ok(key)
        }
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

fn write_new(path: &Path, key: &SecretKey) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    writeln!(file, "{}", key.to_base64())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// Installs the key for this process, seals any secret stored in plain text (before
/// encryption existed), and checks that the key opens what is stored.
pub fn prepare(config: &Config, store: &Store) -> Result<(), String> {
    let key = resolve(config)?;
    secrets::install(key).map_err(|_| {
        "this process already uses another secret key (one process, one database)".to_owned()
    })?;
    let mut conn = store.connection().map_err(|error| error.to_string())?;
    webhooks::check_key(&mut conn).map_err(|error| error.to_string())?;
    let sealed = webhooks::seal_plaintext_secrets(&mut conn).map_err(|error| error.to_string())?;
    if sealed > 0 {
        tracing::info!(
            endpoints = sealed,
            "encrypted webhook secrets stored in plain text"
        );
    }
    Ok(())
}
