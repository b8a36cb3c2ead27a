//! Roster's email. Messages are rendered from tera templates (a plain-text and an HTML body
//! each, under `web/templates/mail/`, embedded in the binary) and sent by one task that owns
//! the transport: SMTP when `ROSTER_SMTP_URL` is set (TLS as its scheme says), otherwise
//! `.eml` files in a folder, so that nothing is lost on a machine without a mail server.

mod templates;
mod transport;

use std::path::PathBuf;

use tokio::sync::{mpsc, oneshot};

pub use templates::Template;
pub use transport::Delivery;

/// How mail leaves Roster. `Debug` hides the SMTP URL, which may hold a password.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://`, `smtps://` or `smtp://…?tls=required` (STARTTLS); `None` writes files.
    pub smtp_url: Option<String>,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    /// Where messages are written when there is no SMTP server.
    pub folder: PathBuf,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .field("folder", &self.folder)
            .finish()
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A setting is unusable; the message names it.
    #[error("{0}")]
    Config(String),
    /// An address is not one.
    #[error("`{0}` is not an email address")]
    Address(String),
    /// A template failed to render.
    #[error("cannot render the {template} email: {cause}")]
    Render {
        /// Which.
        template: &'static str,
        /// Why.
        cause: String,
    },
    /// The transport refused or failed.
    #[error("cannot send email: {0}")]
    Send(String),
    /// The mail task has stopped (the server is shutting down).
    #[error("the mail sender has stopped")]
    Stopped,
}

struct Job {
    message: lettre::Message,
    done: oneshot::Sender<Result<(), MailError>>,
}

/// A handle on the mail task; cheap to clone, usable from any thread or runtime.
#[derive(Clone)]
pub struct Mailer {
    jobs: mpsc::Sender<Job>,
    from: lettre::message::Mailbox,
    delivery: Delivery,
    templates: std::sync::Arc<templates::Templates>,
}

impl Mailer {
    /// Starts the mail task on the current tokio runtime. The SMTP transport is built inside it
    /// (its connection pool spawns tasks of its own), and every connection is used from it, so
    /// callers on other runtimes (actix's workers) never touch one.
    pub fn start(config: &MailConfig) -> Result<Self, MailError> {
        let from: lettre::message::Mailbox = config.from.parse().map_err(|_| {
            MailError::Config(format!(
                "ROSTER_MAIL_FROM: `{}` is not an email address (expected e.g. `Roster <roster@example.com>`)",
                config.from
            ))
        })?;
        let (transport, delivery) = transport::Transport::build(config)?;
        let (jobs, mut queue) = mpsc::channel::<Job>(256);
        tokio::spawn(async move {
            while let Some(job) = queue.recv().await {
                let _ = job.done.send(transport.send(job.message).await);
            }
        });
        Ok(Mailer {
            jobs,
            from,
            delivery,
            templates: std::sync::Arc::new(templates::Templates::load()?),
        })
    }

    /// Where mail goes, for the dashboard to say.
    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// Renders `template` with `context` and sends it to `to`; returns once the transport
    /// accepted it.
    pub async fn send(
        &self,
        to: &str,
        template: Template,
        context: &serde_json::Value,
    ) -> Result<(), MailError> {
        let message = self.compose(to, template, context)?;
        let (done, outcome) = oneshot::channel();
        self.jobs
            .send(Job { message, done })
            .await
            .map_err(|_| MailError::Stopped)?;
        outcome.await.map_err(|_| MailError::Stopped)?
    }

    fn compose(
        &self,
        to: &str,
        template: Template,
        context: &serde_json::Value,
    ) -> Result<lettre::Message, MailError> {
        let recipient: lettre::message::Mailbox = to
            .trim()
            .parse()
            .map_err(|_| MailError::Address(to.to_owned()))?;
        let rendered = self.templates.render(template, context)?;
        lettre::Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(rendered.subject)
            .multipart(lettre::message::MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|error| MailError::Send(error.to_string()))
    }
}
