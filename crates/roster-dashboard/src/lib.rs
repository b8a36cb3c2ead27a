//! Roster's server-rendered admin dashboard (`/dashboard/…`) and the IT admins' setup portal
//! (`/setup/…`): tera templates and static assets from `web/`, compiled into the binary; a
//! session per browser stored in the database; CSRF tokens on every form; every action in the
//! audit log.

pub mod alerts;
mod assets;
mod audit;
mod error;
mod forms;
mod pages;
mod paging;
pub mod password;
mod portal;
mod providers;
mod rate_limit;
mod security;
mod session;
pub mod summary;
mod templates;

use std::sync::Arc;

use actix_web::web;
use roster_events::Clock;
use roster_mail::Mailer;
use roster_store::Store;
use tokio::sync::Notify;

pub use error::DashboardError;

/// What the dashboard needs from the server that mounts it.
#[derive(Clone)]
pub struct DashboardContext {
    store: Store,
    public_url: String,
    secure_cookies: bool,
    mailer: Mailer,
    clock: Clock,
    events_written: Arc<Notify>,
    bulk_max_records: usize,
    test_sender: roster_events::TestSender,
    login_limit: rate_limit::LoginLimit,
    templates: Arc<templates::Templates>,
}

/// How the dashboard is set up.
pub struct DashboardSettings {
    /// The database.
    pub store: Store,
    /// Where browsers and identity providers reach Roster; `https://` makes cookies `Secure`.
    pub public_url: String,
    /// Sends invitations and setup links.
    pub mailer: Mailer,
    /// The time (tests move it to expire links and sessions).
    pub clock: Clock,
    /// Signalled after a dashboard action wrote events (deleting a directory), to wake the
    /// webhook dispatcher.
    pub events_written: Arc<Notify>,
    /// The most records one batch may hold (`ROSTER_BULK_MAX_RECORDS`): a CSV file uploaded
    /// to a custom API directory is held to the bulk API's limits.
    pub bulk_max_records: usize,
    /// Sends an endpoint's test event as deliveries are sent.
    pub test_sender: roster_events::TestSender,
}

impl DashboardContext {
    /// Compiles the templates; fails only if one of them is broken.
    pub fn new(settings: DashboardSettings) -> Result<Self, DashboardError> {
        Ok(DashboardContext {
            secure_cookies: settings.public_url.starts_with("https://"),
            store: settings.store,
            public_url: settings.public_url,
            mailer: settings.mailer,
            clock: settings.clock,
            events_written: settings.events_written,
            bulk_max_records: settings.bulk_max_records,
            test_sender: settings.test_sender,
            login_limit: rate_limit::LoginLimit::new(),
            templates: Arc::new(templates::Templates::load()?),
        })
    }

    /// Runs blocking database work on the blocking pool with a pooled connection.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut roster_store::AnyConnection) -> Result<T, DashboardError>
        + Send
        + 'static,
    ) -> Result<T, DashboardError> {
        let store = self.store.clone();
        web::block(move || {
            let mut conn = store.connection()?;
            work(&mut conn)
        })
        .await?
    }

    /// The largest CSV file an upload takes: what the bulk API reads for one batch.
    fn csv_max_bytes(&self) -> usize {
        roster_bulk::max_body_bytes(self.bulk_max_records)
    }

    /// The largest upload form read: the file URL-encoded (at worst three bytes, `%XX`, for
    /// each of its bytes) and the form's few other fields.
    fn upload_form_bytes(&self) -> usize {
        self.csv_max_bytes()
            .saturating_mul(3)
            .saturating_add(64 * 1024)
    }

    fn now(&self) -> roster_core::Timestamp {
        self.clock.now()
    }

    /// Resets a directory's bearer token for `actor`, with its audit entry: the vendor pages
    /// and the setup portal reset tokens alike.
    async fn reset_token(
        &self,
        directory: roster_store::directories::Directory,
        actor: String,
    ) -> Result<
        (
            roster_store::directories::Directory,
            roster_core::BearerToken,
        ),
        DashboardError,
    > {
        let now = self.now();
        self.run(move |conn| {
            let reset = roster_store::directories::reset_token(conn, &directory.id)?
                .ok_or(DashboardError::NotFound)?;
            audit::record(
                conn,
                audit::Action {
                    actor: &actor,
                    action: "directory.token_reset",
                    target: Some(directory.id.as_str()),
                    organization: Some(directory.organization_id.as_str()),
                    details: serde_json::json!({"name": directory.name}),
                },
                now,
            )?;
            Ok(reset)
        })
        .await
    }
}

/// Mounts `/`, `/static/…`, `/dashboard/…` and `/setup/…`. The caller provides a
/// `web::Data<DashboardContext>`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(pages::root))
        .configure(assets::configure)
        .service(
            web::scope("/dashboard")
                .wrap(security::headers())
                .configure(pages::configure),
        )
        .service(
            web::scope("/setup")
                .wrap(security::headers())
                .configure(portal::configure),
        );
}
