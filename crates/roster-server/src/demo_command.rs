//! `roster demo`: Roster on a throwaway SQLite database with an organization, an Okta
//! directory, an API key, a dashboard administrator and a webhook endpoint pointing at a
//! built-in receiver; a simulated Okta push; every event printed as it arrives, verified; then
//! how to go on. It serves until
//! Ctrl-C and deletes the database when it stops.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use roster_core::{DirectoryType, Domain, validate_name};
use roster_events::{Clock, Dispatcher, DispatcherConfig};
use roster_simulator::{Options, Provider, Target};
use roster_store::organizations::NewOrganization;
use roster_store::webhooks::NewEndpoint;
use roster_store::{DatabaseUrl, Store, admins, api_keys, directories, organizations, webhooks};
use tokio::sync::Notify;

use crate::config::Config;
use crate::http;
use crate::webhook_listen::{self, Receiver, Style};

/// What `roster demo` takes.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Port Roster listens on, on 127.0.0.1 (default: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// People in the simulated push.
    #[arg(long, default_value_t = 5)]
    users: usize,
}

const DOMAIN: &str = "acme.example";

/// The dashboard administrator the demo signs in as; the password is made per run.
const ADMIN_EMAIL: &str = "admin@acme.example";

/// How long to wait for the push's events before printing what to do next anyway.
const DELIVERY_WAIT: Duration = Duration::from_secs(10);

/// What the demo creates, with the secrets shown once.
struct Fixtures {
    directory_id: roster_core::DirectoryId,
    scim_base_url: String,
    bearer_token: String,
    endpoint_id: String,
    webhook_secret: String,
    api_key: String,
    admin_password: String,
}

fn fixtures(store: &Store, public_url: &str, webhook_url: &str) -> Result<Fixtures, String> {
    let mut conn = store.connection().map_err(|e| e.to_string())?;
    let conn = &mut *conn;
    let organization = organizations::create(
        conn,
        NewOrganization {
            name: validate_name("organization", "Acme Corp").map_err(|e| e.to_string())?,
            external_id: None,
            domains: vec![Domain::parse(DOMAIN).map_err(|e| e.to_string())?],
            metadata: Default::default(),
        },
    )
    .map_err(|e| e.to_string())?;
    let (directory, token) = directories::create(
        conn,
        &organization.id,
        DirectoryType::OktaScimV2,
        "Acme Okta",
    )
    .map_err(|e| e.to_string())?;
    let endpoint = webhooks::create(
        conn,
        NewEndpoint {
            url: webhook_url.to_owned(),
            event_types: Vec::new(),
            organization_id: None,
            secret: roster_events::signing::generate_secret(),
        },
    )
    .map_err(|e| e.to_string())?;
    let api_key = api_keys::generate_secret();
    api_keys::create(conn, "roster demo", &api_key, None, false).map_err(|e| e.to_string())?;
    // A throwaway database still gets an unguessable password: the port is reachable by every
    // local user while the demo runs.
    let admin_password = api_keys::generate_secret()
        .trim_start_matches("sk_")
        .chars()
        .take(20)
        .collect::<String>();
    let password_hash = roster_dashboard::password::hash(&admin_password)?;
    admins::create(
        conn,
        ADMIN_EMAIL,
        &password_hash,
        roster_core::Timestamp::now(),
    )
    .map_err(|e| e.to_string())?;
    Ok(Fixtures {
        scim_base_url: directory.scim_base_url(public_url).unwrap_or_default(),
        directory_id: directory.id,
        bearer_token: token.expose().to_owned(),
        endpoint_id: endpoint.id.to_string(),
        webhook_secret: endpoint.secret.expose().to_owned(),
        api_key,
        admin_password,
    })
}

fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port))
        .map_err(|error| format!("cannot listen on 127.0.0.1:{port}: {error}"))
}

/// The directory's event count, read off the serving threads.
async fn stored_events(store: &Store, directory: &roster_core::DirectoryId) -> Option<usize> {
    let (store, directory) = (store.clone(), directory.clone());
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = store.connection().ok()?;
        roster_store::events::list_for_directory(&mut conn, &directory)
            .ok()
            .map(|events| events.len())
    })
    .await
    .ok()
    .flatten()
}

/// Pushes a small Okta directory, waits for its events to arrive, and prints what to do next.
async fn push_and_report(
    store: &Store,
    fixtures: &Fixtures,
    receiver: &Receiver,
    users: usize,
    started: Instant,
    public_url: &str,
) -> Result<(), String> {
    let options = Options {
        provider: Provider::Okta,
        users,
        groups: 2,
        members_per_group: 2,
        deactivate_percent: 20,
        rename: false,
        concurrency: 2,
        seed: 1,
        domain: DOMAIN.to_owned(),
    };
    println!(
        "Pushing {} people and 2 groups as Okta would, then deactivating one. Each event\n\
         below arrived as a webhook whose WorkOS-Signature and webhook-signature verified:\n",
        options.users
    );
    let target = Target {
        scim_base_url: fixtures.scim_base_url.clone(),
        token: fixtures.bearer_token.clone(),
    };
    let summary = roster_simulator::run(&target, &options, &|_| {})
        .await
        .map_err(|error| error.to_string())?;

    // Let the push's last events arrive before printing what comes next.
    let deadline = Instant::now() + DELIVERY_WAIT;
    let mut stored = 0;
    while Instant::now() < deadline {
        stored = stored_events(store, &fixtures.directory_id)
            .await
            .unwrap_or(stored);
        if stored > 0 && receiver.verified() >= stored {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let first = receiver
        .first_verified()
        .map(|at| format!("{:.1} s", (at - started).as_secs_f64()))
        .unwrap_or_else(|| "never".to_owned());
    let failures = if summary.ok() {
        String::new()
    } else {
        format!(" ({} unexpected answers)", summary.failures.len())
    };
    println!(
        "\nThe push: {} SCIM requests in {} ms{failures}; {} events, {} verified; the first \
         one {first} after start.\n\n\
         See it in the dashboard, signed in as {ADMIN_EMAIL} with the password {}:\n\n\
         \x20 {public_url}/dashboard/organizations\n\n\
         Read what Roster holds through the WorkOS-compatible API:\n\n\
         \x20 curl -s -H 'Authorization: Bearer {}' '{public_url}/directory_users?directory={}'\n\n\
         Push more, as Okta, Okta AIW, Entra or Okta SCIM 1.1 would:\n\n\
         \x20 roster simulate --scim-base-url {} --token {} --provider entra --users 20 --seed 2 \
         \x20   --domain {DOMAIN}\n\n\
         Serving until Ctrl-C; the database is deleted then.",
        summary.requests.total,
        summary.duration_ms,
        stored,
        receiver.verified(),
        fixtures.admin_password,
        fixtures.api_key,
        fixtures.directory_id,
        fixtures.scim_base_url,
        fixtures.bearer_token,
    );
    Ok(())
}

/// Runs the demo until Ctrl-C.
pub(crate) fn run(config: &Config, args: DemoArgs) -> Result<(), String> {
    let started = Instant::now();
    let temporary = tempfile::Builder::new()
        .prefix("roster-demo-")
        .tempdir()
        .map_err(|error| format!("cannot create a temporary directory: {error}"))?;
    let database_path = temporary.path().join("roster.db");
    let listener = bind(args.port)?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    let config = Config {
        database_url: DatabaseUrl::parse(&format!("sqlite://{}", database_path.display()))
            .map_err(|error| error.to_string())?,
        database_pool_size: 4,
        listen: address,
        public_url: format!("http://{address}"),
        // The demo's emails, if any, go to its temporary directory.
        mail: roster_mail::MailConfig {
            smtp_url: None,
            from: config.mail.from.clone(),
            folder: temporary.path().join("mail"),
        },
        // The built-in receiver is on loopback, which deliveries refuse unless allowed.
        webhooks: DispatcherConfig {
            allow_private: true,
            ..config.webhooks.clone()
        },
        ..config.clone()
    };
    let store = Store::open(&config.database_url, config.database_pool_size)
        .map_err(|error| error.to_string())?;
    store.migrate().map_err(|error| error.to_string())?;
    crate::secret_key::prepare(&config, &store)?;
    let hook_listener = bind(0)?;
    let webhook_url = format!(
        "http://{}/webhooks",
        hook_listener
            .local_addr()
            .map_err(|error| error.to_string())?
    );
    let fixtures = fixtures(&store, &config.public_url, &webhook_url)?;
    let public_url = config.public_url.clone();

    println!(
        "Roster demo: a throwaway Roster on {}\n\n\
         \x20 Roster              {public_url}\n\
         \x20 organization        Acme Corp ({DOMAIN})\n\
         \x20 Okta directory      {}\n\
         \x20   SCIM base URL     {}\n\
         \x20   bearer token      {}\n\
         \x20 webhook endpoint    {} → {webhook_url} (built-in receiver)\n\
         \x20   signing secret    {}\n\
         \x20 API key             {}\n\
         \x20 dashboard           {public_url}/dashboard ({ADMIN_EMAIL} / {})\n",
        database_path.display(),
        fixtures.directory_id,
        fixtures.scim_base_url,
        fixtures.bearer_token,
        fixtures.endpoint_id,
        fixtures.webhook_secret,
        fixtures.api_key,
        fixtures.admin_password,
    );

    actix_web::rt::System::new().block_on(async {
        let receiver = Arc::new(Receiver::new(
            roster_store::webhooks::EndpointSecret::new(fixtures.webhook_secret.clone()),
            Style::Line,
        ));
        let hooks = webhook_listen::server(hook_listener, receiver.clone())
            .map_err(|error| error.to_string())?;
        let hooks_handle = hooks.handle();
        actix_web::rt::spawn(hooks);
        let events_written = Arc::new(Notify::new());
        let dispatcher = Dispatcher::new(
            store.clone(),
            events_written.clone(),
            config.webhooks.clone(),
            Clock::system(),
        )
        .map_err(|error| error.to_string())?
        .spawn();
        let server = http::serve(listener, &config, store.clone(), events_written, 2)
            .map_err(|error| error.to_string())?;
        let server_handle = server.handle();
        actix_web::rt::spawn(server);

        // Ctrl-C stops the demo at any point, during the push too, so the database is always
        // deleted.
        let outcome = tokio::select! {
            outcome = async {
                push_and_report(&store, &fixtures, &receiver, args.users, started, &public_url)
                    .await?;
                std::future::pending::<Result<(), String>>().await
            } => outcome,
            () = crate::cli::shutdown_signal() => Ok(()),
        };
        server_handle.stop(true).await;
        dispatcher.shutdown().await;
        hooks_handle.stop(true).await;
        outcome
    })?;
    drop(store);
    temporary
        .close()
        .map_err(|error| format!("cannot delete the demo database: {error}"))
}
