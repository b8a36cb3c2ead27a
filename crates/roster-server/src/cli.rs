//! Command-line interface. Administration commands print exactly one JSON object on stdout;
//! on failure they print a message on stderr and exit non-zero.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{ArgGroup, Parser, Subcommand};
use roster_core::{
    DirectoryId, DirectoryType, Domain, EmailDomainPolicy, OrganizationId, Timestamp, validate_name,
};
use roster_events::{Clock, Dispatcher, DispatcherConfig, admin};
use roster_store::organizations::NewOrganization;
use roster_store::{Store, directories, organizations};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::admin_commands::{self, AdminCommand};
use crate::api_key_commands::{self, ApiKeyCommand};
use crate::config::{Config, Settings};
use crate::demo_command::DemoArgs;
use crate::hold_commands;
use crate::simulate_command::SimulateArgs;
use crate::{demo_command, simulate_command, terminal, webhook_listen};
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
    /// Deliver webhooks without serving HTTP (`roster serve` delivers them too). Several may
    /// share one PostgreSQL database; on SQLite, run one.
    Worker,
    /// Apply pending database migrations.
    Migrate,
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage directories.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Manage webhook endpoints and their deliveries.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Manage keys for the management API.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Manage dashboard administrators.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Act as an identity provider (Okta, Okta AIW, Entra, Okta SCIM 1.1) against a directory's
    /// SCIM endpoint; prints one JSON summary.
    Simulate(SimulateArgs),
    /// Start a throwaway Roster, push a simulated Okta directory to it, and print the signed
    /// webhooks as they arrive. Serves until Ctrl-C.
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
enum WebhookCommand {
    /// Receive webhooks on 127.0.0.1, verify both signatures and print each event.
    Listen {
        /// Port to listen on.
        #[arg(long, default_value_t = 8090)]
        port: u16,
        /// The endpoint's signing secret (`whsec_…`).
        #[arg(long, env = "ROSTER_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
    },
    /// Register an endpoint and print its signing secret (shown only now).
    Create {
        /// Where events are POSTed.
        #[arg(long)]
        url: String,
        /// Event types it receives, comma-separated (default: all).
        #[arg(long)]
        events: Option<String>,
        /// Only this organization's events (`org_…`).
        #[arg(long)]
        organization: Option<String>,
    },
    /// List endpoints (without secrets).
    List,
    /// Delete an endpoint with its deliveries.
    Delete {
        /// `we_…`
        endpoint_id: String,
    },
    /// Enable an endpoint (after it was disabled for failing); its waiting deliveries resume.
    Enable {
        /// `we_…`
        endpoint_id: String,
    },
    /// Disable an endpoint; its deliveries wait until it is enabled.
    Disable {
        /// `we_…`
        endpoint_id: String,
    },
    /// Replace an endpoint's secret and print the new one (shown only now).
    RotateSecret {
        /// `we_…`
        endpoint_id: String,
        /// Hours during which the old secret also signs (in `webhook-signature`); 0 ends it now.
        #[arg(long, default_value_t = 24)]
        overlap_hours: u32,
    },
    /// List deliveries, newest first, with their attempts.
    Deliveries {
        /// Only this endpoint's (`we_…`).
        #[arg(long)]
        endpoint: Option<String>,
        /// Only this event's (`event_…`).
        #[arg(long)]
        event: Option<String>,
        /// Only those pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Queue an event again (same event id), or every failed delivery since a time.
    #[command(group(ArgGroup::new("which").required(true).args(["event_id", "failed_since"])))]
    Redeliver {
        /// `event_…`
        event_id: Option<String>,
        /// Every failed delivery of an event created at or after this RFC 3339 time.
        #[arg(long)]
        failed_since: Option<String>,
    },
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
    /// Create a directory and print its SCIM base URL (bulk API base URL for `custom`) and
    /// bearer token (shown only now).
    Create {
        /// The organization it belongs to (`org_…`).
        #[arg(long)]
        organization: String,
        /// Provider: okta, okta-1.1, entra, onelogin, jumpcloud, pingfederate, rippling, generic,
        /// or custom (a source posting batches to the bulk API); or the WorkOS type string.
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
    /// Change a directory's settings.
    Update {
        /// `directory_…`
        directory_id: String,
        /// Delete users that stay deactivated this many days, or `keep` them (the default).
        #[arg(
            long,
            value_name = "DAYS|keep",
            required_unless_present_any = [
                "email_domain_policy",
                "deprovisioning_guard",
                "deprovisioning_guard_minimum",
                "deprovisioning_guard_window_minutes",
            ]
        )]
        inactive_user_retention_days: Option<String>,
        /// Users whose email domain is not the organization's: `flag` them (the default) or
        /// `refuse` them.
        #[arg(long, value_name = "flag|refuse")]
        email_domain_policy: Option<String>,
        /// Hold the webhooks of deactivations and deletions once more than this percentage of
        /// the active users is deprovisioned within the window (default 30), or `off`.
        #[arg(long, value_name = "PERCENT|off")]
        deprovisioning_guard: Option<String>,
        /// The fewest deprovisionings within the window that can open a hold (default 20).
        #[arg(long, value_name = "N")]
        deprovisioning_guard_minimum: Option<String>,
        /// How far back deprovisionings are counted, in minutes (default 60).
        #[arg(long, value_name = "MINUTES")]
        deprovisioning_guard_window_minutes: Option<String>,
    },
    /// List mass-deprovisioning holds, newest first.
    Holds {
        /// Only this directory's (`directory_…`).
        #[arg(long)]
        directory: Option<String>,
        /// Only those open, released or discarded.
        #[arg(long)]
        status: Option<String>,
    },
    /// Deliver a hold's withheld webhooks, in their order.
    ReleaseHold {
        /// `hold_…`
        hold_id: String,
    },
    /// Never deliver a hold's withheld webhooks (the events stay in the event log).
    DiscardHold {
        /// `hold_…`
        hold_id: String,
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
    let webhooks = config.webhooks.clone();
    match &cli.command {
        Command::Demo(_) | Command::Webhook(WebhookCommand::Listen { .. }) => {
            terminal::init_quiet_logs(config.log_format);
        }
        _ => telemetry::init(config.log_format),
    }
    roster_events::install_crypto_provider();
    let outcome = match cli.command {
        Command::Serve { workers } => serve(&config, webhooks, workers),
        Command::Worker => worker(&config, webhooks),
        Command::Simulate(args) => simulate_command::run(&config, args),
        Command::Demo(args) => demo_command::run(&config, args),
        Command::Webhook(WebhookCommand::Listen { port, secret }) => {
            webhook_listen::run(port, secret)
        }
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
    let store = Store::open_with_timeout(
        &config.database_url,
        config.database_pool_size,
        config.database_timeout,
    )
    .map_err(|e| e.to_string())?;
    store.migrate().map_err(|e| e.to_string())?;
    crate::secret_key::prepare(config, &store)?;
    Ok(store)
}

fn serve(
    config: &Config,
    webhooks: DispatcherConfig,
    workers: Option<usize>,
) -> Result<(), String> {
    let store = open_store(config)?;
    let workers =
        workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    actix_web::rt::System::new().block_on(async {
        let listener = std::net::TcpListener::bind(config.listen)
            .map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
        // SCIM writes signal it after each commit; the dispatcher waits on it.
        let events_written = Arc::new(Notify::new());
        let dispatcher = Dispatcher::new(store.clone(), events_written.clone(), webhooks, Clock::system())
            .map_err(|error| error.to_string())?
            .on_endpoint_disabled(endpoint_disabled_alert(config, &store)?)
            .spawn();
        let server = http::serve(listener, config, store, events_written, workers).map_err(|error| error.to_string())?;
        tracing::info!(address = %config.listen, public_url = %config.public_url, database = %config.database_url, "roster is serving");
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            handle.stop(true).await;
        });
        let served = server.await.map_err(|error| error.to_string());
        dispatcher.shutdown().await;
        served
    })
}

fn worker(config: &Config, webhooks: DispatcherConfig) -> Result<(), String> {
    let store = open_store(config)?;
    actix_web::rt::System::new().block_on(async {
        // Nothing in this process writes events: the dispatcher finds them by polling.
        let alert = endpoint_disabled_alert(config, &store)?;
        let dispatcher = Dispatcher::new(store, Arc::new(Notify::new()), webhooks, Clock::system())
            .map_err(|error| error.to_string())?
            .on_endpoint_disabled(alert)
            .spawn();
        tracing::info!(database = %config.database_url, owner = dispatcher.owner(), "roster is delivering webhooks");
        shutdown_signal().await;
        tracing::info!("shutting down: finishing deliveries in flight");
        dispatcher.shutdown().await;
        Ok(())
    })
}

/// Emails administrators when the dispatcher disables an endpoint. Call inside the runtime:
/// the mailer's task starts on it.
fn endpoint_disabled_alert(
    config: &Config,
    store: &Store,
) -> Result<roster_events::dispatcher::EndpointDisabledHook, String> {
    let mailer = roster_mail::Mailer::start(&config.mail).map_err(|error| error.to_string())?;
    Ok(roster_dashboard::alerts::endpoint_disabled(
        store.clone(),
        mailer,
        config.public_url.clone(),
    ))
}

pub(crate) async fn shutdown_signal() {
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
                    metadata: Default::default(),
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
        Command::Directory(DirectoryCommand::Update {
            directory_id,
            inactive_user_retention_days,
            email_domain_policy,
            deprovisioning_guard,
            deprovisioning_guard_minimum,
            deprovisioning_guard_window_minutes,
        }) => {
            let id = DirectoryId::parse(&directory_id).map_err(|e| e.to_string())?;
            let guard = hold_commands::GuardOptions {
                guard: deprovisioning_guard.as_deref(),
                minimum: deprovisioning_guard_minimum.as_deref(),
                window_minutes: deprovisioning_guard_window_minutes.as_deref(),
            };
            update_directory(
                conn,
                &id,
                inactive_user_retention_days.as_deref(),
                email_domain_policy.as_deref(),
                &guard,
            )?;
            let directory = directories::find(conn, &id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no directory has the id {id}"))?;
            let mut shown = output::directory(&directory, &config.public_url, None);
            shown["deprovisioning_guard"] = hold_commands::settings_json(conn, &id)?;
            Ok(shown)
        }
        Command::Directory(DirectoryCommand::Holds { directory, status }) => {
            hold_commands::list(conn, directory.as_deref(), status.as_deref())
        }
        Command::Directory(DirectoryCommand::ReleaseHold { hold_id }) => {
            hold_commands::decide(conn, &hold_id, true)
        }
        Command::Directory(DirectoryCommand::DiscardHold { hold_id }) => {
            hold_commands::decide(conn, &hold_id, false)
        }
        Command::Directory(DirectoryCommand::Delete { directory_id }) => {
            let id = DirectoryId::parse(&directory_id).map_err(|e| e.to_string())?;
            if !directories::delete(conn, &id).map_err(|e| e.to_string())? {
                return Err(format!("no directory has the id {id}"));
            }
            Ok(json!({"object": "directory", "id": id, "deleted": true}))
        }
        Command::Webhook(command) => webhook(conn, command).map_err(|e| e.to_string()),
        Command::ApiKey(command) => api_key_commands::run(conn, command),
        Command::Admin(command) => admin_commands::run(conn, command),
        Command::Serve { .. }
        | Command::Worker
        | Command::Migrate
        | Command::Simulate(_)
        | Command::Demo(_) => Err("not an administration command".to_owned()),
    }
}

fn webhook(
    conn: &mut roster_store::AnyConnection,
    command: WebhookCommand,
) -> Result<Value, admin::AdminError> {
    match command {
        WebhookCommand::Create {
            url,
            events,
            organization,
        } => admin::create_endpoint(conn, &url, events.as_deref(), organization.as_deref()),
        WebhookCommand::List => admin::list_endpoints(conn),
        WebhookCommand::Delete { endpoint_id } => admin::delete_endpoint(conn, &endpoint_id),
        WebhookCommand::Enable { endpoint_id } => admin::set_enabled(conn, &endpoint_id, true),
        WebhookCommand::Disable { endpoint_id } => admin::set_enabled(conn, &endpoint_id, false),
        WebhookCommand::RotateSecret {
            endpoint_id,
            overlap_hours,
        } => admin::rotate_secret(conn, &endpoint_id, overlap_hours, Timestamp::now()),
        WebhookCommand::Deliveries {
            endpoint,
            event,
            status,
            limit,
        } => admin::list_deliveries(
            conn,
            endpoint.as_deref(),
            event.as_deref(),
            status.as_deref(),
            limit,
        ),
        WebhookCommand::Redeliver {
            event_id: Some(event_id),
            ..
        } => admin::redeliver_event(conn, &event_id, Timestamp::now()),
        WebhookCommand::Redeliver {
            failed_since: Some(since),
            ..
        } => admin::redeliver_failed_since(conn, &since, Timestamp::now()),
        WebhookCommand::Redeliver { .. } => Err(admin::AdminError::Invalid(
            "name an event id or --failed-since TIME".to_owned(),
        )),
        WebhookCommand::Listen { .. } => Err(admin::AdminError::Invalid(
            "not an administration command".to_owned(),
        )),
    }
}

/// Validates every setting before writing any, so a bad value changes nothing.
fn update_directory(
    conn: &mut roster_store::AnyConnection,
    id: &DirectoryId,
    retention: Option<&str>,
    policy: Option<&str>,
    guard: &hold_commands::GuardOptions<'_>,
) -> Result<(), String> {
    let retention = retention
        .map(|retention| match retention.trim() {
            "keep" => Ok(None),
            days => days.parse::<i64>().ok().filter(|days| roster_core::directory::INACTIVE_USER_RETENTION_DAYS.contains(days)).map(Some).ok_or_else(|| {
                format!("--inactive-user-retention-days must be a number of days from 1 to 3650, or `keep`, not `{days}`")
            }),
        })
        .transpose()?;
    let policy = policy
        .map(|policy| {
            EmailDomainPolicy::parse(policy.trim()).ok_or_else(|| {
                format!("--email-domain-policy must be `flag` or `refuse`, not `{policy}`")
            })
        })
        .transpose()?;
    let guard = hold_commands::validate(conn, id, guard)?;
    let missing = || format!("no directory has the id {id}");
    if let Some(days) = retention
        && !directories::set_inactive_user_retention(conn, id, days).map_err(|e| e.to_string())?
    {
        return Err(missing());
    }
    if let Some(policy) = policy
        && !directories::set_email_domain_policy(conn, id, policy).map_err(|e| e.to_string())?
    {
        return Err(missing());
    }
    hold_commands::apply(conn, id, guard)
}
