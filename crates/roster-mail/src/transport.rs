//! SMTP or a folder of `.eml` files.

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{MailConfig, MailError};

/// Where mail goes, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An SMTP server (`host:port`, and whether the connection is encrypted).
    Smtp {
        /// `host:port`.
        server: String,
        /// `smtps`, `STARTTLS` or `none`.
        tls: &'static str,
    },
    /// No SMTP server is configured: messages are files in this folder.
    Folder(std::path::PathBuf),
}

pub(crate) enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

impl Transport {
    pub(crate) fn build(config: &MailConfig) -> Result<(Self, Delivery), MailError> {
        let Some(raw) = config.smtp_url.as_deref() else {
            return Ok((
                Transport::Folder(
                    AsyncFileTransport::new(&config.folder),
                    config.folder.clone(),
                ),
                Delivery::Folder(config.folder.clone()),
            ));
        };
        let invalid = |reason: String| {
            MailError::Config(format!(
                "ROSTER_SMTP_URL: {reason} (expected e.g. `smtps://user:password@smtp.example.com:465` or `smtp://smtp.example.com:587?tls=required`)"
            ))
        };
        let url = url::Url::parse(raw).map_err(|error| invalid(error.to_string()))?;
        let tls = match (
            url.scheme(),
            url.query_pairs().find(|(key, _)| key == "tls"),
        ) {
            ("smtps", _) => "smtps",
            ("smtp", Some((_, mode))) if mode == "required" || mode == "opportunistic" => {
                "STARTTLS"
            }
            ("smtp", None) => "none",
            (scheme, _) => {
                return Err(invalid(format!(
                    "unsupported scheme or tls mode in `{scheme}://…`"
                )));
            }
        };
        let server = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port()
                .map_or_else(|| "default port".to_owned(), |port| port.to_string())
        );
        let transport: AsyncSmtpTransport<Tokio1Executor> =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(raw)
                .map_err(|error| invalid(error.to_string()))?
                .build();
        Ok((Transport::Smtp(transport), Delivery::Smtp { server, tls }))
    }

    pub(crate) async fn send(&self, message: lettre::Message) -> Result<(), MailError> {
        let sent = match self {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            // Created with the first message, so that a server that never sends mail leaves no
            // empty folder behind.
            Transport::Folder(folder, path) => match tokio::fs::create_dir_all(path).await {
                Ok(()) => folder
                    .send(message)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string()),
                Err(error) => Err(format!("cannot create `{}`: {error}", path.display())),
            },
        };
        sent.map_err(MailError::Send)
    }
}
