//! Command-line interface. Administration commands print exactly one JSON object on stdout;
//! on failure they print a message on stderr and exit non-zero.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use roster_core::{DirectoryId, DirectoryType, Domain, OrganizationId, validate_name};
use roster_store::organizations::NewOrganization;
use roster_store::{Store, directories, organizations};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::config::{Config, Settings};
use crate::{http, output, telemetry};

/// Roster: self-hosted directory sync (SCIM in, webhooks and a WorkOS-compatible API out).
#[derive(Debug, Parser)]
#[command(name = "roster", version)]
pub struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve {
        /// Worker threads; defaults to the number of CPU cores.
        #[arg(long, env = "ROSTER_WORKERS")]
        workers: Option<usize>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage directories.
    #[command(subcommand)]
    Directory(DirectoryCommand),
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organization.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// An email domain it owns; repeat for several.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Your own identifier for this customer.
        #[arg(long)]
        external_id: Option<String>,
    },
    /// List organizations.
    List,
}

#[derive(Debug, Subcommand)]
enum DirectoryCommand {
    /// Create a directory and print its SCIM base URL and bearer token (shown only now).
    Create {
        /// The organization it belongs to (`org_…`).
        #[arg(long)]
        organization: String,
        /// Provider: okta, okta-1.1, entra, onelogin, jumpcloud, pingfederate, rippling, generic
        /// (or the WorkOS type string).
        #[arg(long = "type")]
        directory_type: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// List directories.
    List {
        /// Only this organization's.
        #[arg(long)]
        organization: Option<String>,
    },
    /// Replace a directory's bearer token; the old one stops working at once.
    ResetToken {
        /// `directory_…`
        directory_id: String,
    },
    /// Delete a directory and everything provisioned into it.
    Delete {
        /// `directory_…`
        directory_id: String,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.settings.validate() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let outcome = match cli.command {
        Command::Serve { workers } => serve(&config, workers),
        command => administer(&config, command).map(|value| println!("{value}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open_store(config: &Config) -> Result<Store, String> {
    let store =
        Store::open(&config.database_url, config.database_pool_size).map_err(|e| e.to_string())?;
    store.migrate().map_err(|e| e.to_string())?;
    Ok(store)
}

fn serve(config: &Config, workers: Option<usize>) -> Result<(), String> {
    let store = open_store(config)?;
    let workers =
        workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    actix_web::rt::System::new().block_on(async {
        let listener = std::net::TcpListener::bind(config.listen)
            .map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
        let server = http::serve(listener, config, store, Arc::new(Notify::new()), workers).map_err(|error| error.to_string())?;
        tracing::info!(address = %config.listen, public_url = %config.public_url, database = %config.database_url, "roster is serving");
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            handle.stop(true).await;
        });
        server.await.map_err(|error| error.to_string())
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn administer(config: &Config, command: Command) -> Result<Value, String> {
    let store = open_store(config)?;
    if let Command::Migrate = command {
        return Ok(json!({"database": config.database_url.to_string(), "migrated": true}));
    }
    let mut conn = store.connection().map_err(|e| e.to_string())?;
    let conn = &mut *conn;
    match command {
        Command::Org(OrgCommand::Create {
            name,
            domains,
            external_id,
        }) => {
            let name = validate_name("organization", &name).map_err(|e| e.to_string())?;
            let domains = domains
                .iter()
                .map(|domain| Domain::parse(domain))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let organization = organizations::create(
                conn,
                NewOrganization {
                    name,
                    external_id,
                    domains,
                },
            )
            .map_err(|e| e.to_string())?;
            Ok(output::organization(&organization))
        }
        Command::Org(OrgCommand::List) => {
            let all = organizations::list(conn).map_err(|e| e.to_string())?;
            Ok(output::list(all.iter().map(output::organization).collect()))
        }
        Command::Directory(DirectoryCommand::Create {
            organization,
            directory_type,
            name,
        }) => {
            let organization = OrganizationId::parse(&organization).map_err(|e| e.to_string())?;
            let directory_type: DirectoryType = directory_type
                .parse()
                .map_err(|e: roster_core::directory::UnknownDirectoryType| e.to_string())?;
            let name = validate_name("directory", &name).map_err(|e| e.to_string())?;
            let (directory, token) =
                directories::create(conn, &organization, directory_type, &name)
                    .map_err(|e| e.to_string())?;
            Ok(output::directory(
                &directory,
                &config.public_url,
                Some(&token),
            ))
        }
        Command::Directory(DirectoryCommand::List { organization }) => {
            let organization = organization
                .map(|id| OrganizationId::parse(&id))
                .transpose()
                .map_err(|e| e.to_string())?;
            let all = directories::list(conn, organization.as_ref()).map_err(|e| e.to_string())?;
            Ok(output::list(
                all.iter()
                    .map(|directory| output::directory(directory, &config.public_url, None))
                    .collect(),
            ))
        }
        Command::Directory(DirectoryCommand::ResetToken { directory_id }) => {
            let id = DirectoryId::parse(&directory_id).map_err(|e| e.to_string())?;
            let (directory, token) = directories::reset_token(conn, &id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no directory has the id {id}"))?;
            Ok(output::directory(
                &directory,
                &config.public_url,
                Some(&token),
            ))
        }
        Command::Directory(DirectoryCommand::Delete { directory_id }) => {
            let id = DirectoryId::parse(&directory_id).map_err(|e| e.to_string())?;
            if !directories::delete(conn, &id).map_err(|e| e.to_string())? {
                return Err(format!("no directory has the id {id}"));
            }
            Ok(json!({"object": "directory", "id": id, "deleted": true}))
        }
        Command::Serve { .. } | Command::Migrate => Err("not an administration command".to_owned()),
    }
}
