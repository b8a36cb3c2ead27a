//! The Roster under test: a `roster serve` child process on a free loopback port, and the
//! fixtures a benchmark needs, made with the `roster` CLI as a vendor would.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The key that seals webhook secrets in the benchmark's throwaway database (PostgreSQL
/// requires one; the server and the CLI must agree).
const BENCH_SECRET_KEY: &str = "YmVuY2gtb25seS1zZWNyZXQta2V5LTMyLWJ5dGVzISE=";

/// A running `roster serve`.
pub struct Roster {
    binary: PathBuf,
    database_url: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Child,
}

/// A directory's endpoint and credentials.
pub struct Directory {
    /// The SCIM base URL (empty for a custom API directory).
    pub scim: String,
    /// The bulk API base URL (empty for a SCIM directory).
    pub bulk: String,
    /// Its bearer token.
    pub token: String,
    /// Its id.
    pub id: String,
}

impl Roster {
    /// Starts `binary serve` on `database_url` without rate limits and waits until it is ready.
    pub async fn start(binary: PathBuf, database_url: String) -> Result<Roster, String> {
        Self::start_with_scim_rate_limit(binary, database_url, 0).await
    }

    /// [`Roster::start`] with each directory limited to `scim_rate_limit` SCIM requests a
    /// second (0: unlimited).
    pub async fn start_with_scim_rate_limit(
        binary: PathBuf,
        database_url: String,
        scim_rate_limit: u32,
    ) -> Result<Roster, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(&binary)
            .arg("serve")
            .env("ROSTER_DATABASE_URL", &database_url)
            .env("ROSTER_LISTEN", format!("127.0.0.1:{port}"))
            .env("ROSTER_PUBLIC_URL", &base)
            .env("RUST_LOG", "warn")
            .env("ROSTER_SECRET_KEY", BENCH_SECRET_KEY)
            // The benchmark's webhook receiver listens on loopback.
            .env("ROSTER_WEBHOOK_ALLOW_PRIVATE", "true")
            // Scenarios measure throughput, not the per-key and per-directory limits (the
            // noisy-tenant scenario sets its own).
            .env("ROSTER_API_RATE_LIMIT", "0")
            .env("ROSTER_SCIM_RATE_LIMIT", scim_rate_limit.to_string())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let roster = Roster {
            binary,
            database_url,
            base,
            child,
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(response) = client.get(format!("{}/ready", roster.base)).send().await
                && response.status().is_success()
            {
                return Ok(roster);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("roster serve did not become ready within 10 s".to_owned())
    }

    /// Runs a `roster` administration command and returns the JSON object it prints.
    pub fn cli(&self, args: &[&str]) -> Result<Value, String> {
        let output = Command::new(&self.binary)
            .args(args)
            .env("ROSTER_DATABASE_URL", &self.database_url)
            .env("ROSTER_PUBLIC_URL", &self.base)
            .env("ROSTER_SECRET_KEY", BENCH_SECRET_KEY)
            .env("RUST_LOG", "error")
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
    }

    /// A new organization with an Okta directory.
    pub fn directory(&self, label: &str) -> Result<Directory, String> {
        self.directory_of_type(label, "okta")
    }

    /// A new organization with a directory of `directory_type` (`roster directory create
    /// --type`).
    pub fn directory_of_type(
        &self,
        label: &str,
        directory_type: &str,
    ) -> Result<Directory, String> {
        let organization = self.cli(&["org", "create", "--name", label])?;
        let organization_id = organization["id"].as_str().unwrap_or_default().to_owned();
        let directory = self.cli(&[
            "directory",
            "create",
            "--organization",
            &organization_id,
            "--type",
            directory_type,
            "--name",
            label,
        ])?;
        let text = |key: &str| directory[key].as_str().unwrap_or_default().to_owned();
        Ok(Directory {
            scim: text("scim_base_url"),
            bulk: text("bulk_base_url"),
            token: text("bearer_token"),
            id: text("id"),
        })
    }

    /// The resident memory of the server process, in MiB (Linux).
    pub fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kib: f64 = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
