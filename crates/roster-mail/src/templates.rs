//! The messages Roster sends. Each has a plain-text template whose first line is
//! `Subject: …`, and an HTML template; both are compiled into the binary.

use tera::Tera;

use crate::MailError;

/// A kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Another administrator invites you (`invite_url`, `invited_by`, `expires_at`).
    AdminInvitation,
    /// Set up directory sync for your organization (`organization`, `link`, `expires_at`).
    SetupLink,
    /// A webhook endpoint was disabled (`url`, `endpoint_id`, `reason`, `dashboard_url`).
    EndpointDisabled,
    /// Directories whose identity provider met errors today (`directories`: `name`,
    /// `organization`, `problem`, `url`).
    FailingDirectories,
    /// Directories whose identity provider stopped calling (`directories`: `name`,
    /// `organization`, `last_request_at`, `url`).
    DirectoriesSilent,
}

impl Template {
    const ALL: [Template; 5] = [
        Template::AdminInvitation,
        Template::SetupLink,
        Template::EndpointDisabled,
        Template::FailingDirectories,
        Template::DirectoriesSilent,
    ];

    fn name(self) -> &'static str {
        match self {
            Template::AdminInvitation => "admin_invitation",
            Template::SetupLink => "setup_link",
            Template::EndpointDisabled => "endpoint_disabled",
            Template::FailingDirectories => "failing_directories",
            Template::DirectoriesSilent => "directories_silent",
        }
    }

    fn sources(self) -> (&'static str, &'static str) {
        macro_rules! pair {
            ($name:literal) => {
                (
                    include_str!(concat!("../../../web/templates/mail/", $name, ".txt")),
                    include_str!(concat!("../../../web/templates/mail/", $name, ".html")),
                )
            };
        }
        match self {
            Template::AdminInvitation => pair!("admin_invitation"),
            Template::SetupLink => pair!("setup_link"),
            Template::EndpointDisabled => pair!("endpoint_disabled"),
            Template::FailingDirectories => pair!("failing_directories"),
            Template::DirectoriesSilent => pair!("directories_silent"),
        }
    }
}

pub(crate) struct Rendered {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

pub(crate) struct Templates(Tera);

impl Templates {
    pub(crate) fn load() -> Result<Self, MailError> {
        let mut tera = Tera::default();
        let layout = include_str!("../../../web/templates/mail/layout.html");
        let mut sources = vec![("mail_layout.html".to_owned(), layout.to_owned())];
        for template in Template::ALL {
            let (text, html) = template.sources();
            sources.push((format!("{}.txt", template.name()), text.to_owned()));
            sources.push((format!("{}.html", template.name()), html.to_owned()));
        }
        tera.add_raw_templates(sources)
            .map_err(|error| MailError::Render {
                template: "mail layout",
                cause: format!("{error:?}"),
            })?;
        Ok(Templates(tera))
    }

    pub(crate) fn render(
        &self,
        template: Template,
        context: &serde_json::Value,
    ) -> Result<Rendered, MailError> {
        let error = |cause: tera::Error| MailError::Render {
            template: template.name(),
            cause: format!("{cause:?}"),
        };
        let context = tera::Context::from_value(context.clone()).map_err(error)?;
        let text = self
            .0
            .render(&format!("{}.txt", template.name()), &context)
            .map_err(error)?;
        let html = self
            .0
            .render(&format!("{}.html", template.name()), &context)
            .map_err(error)?;
        let (subject, body) = text
            .split_once('\n')
            .and_then(|(first, rest)| Some((first.strip_prefix("Subject: ")?, rest)))
            .ok_or_else(|| MailError::Render {
                template: template.name(),
                cause: "the text template must start with `Subject: `".to_owned(),
            })?;
        Ok(Rendered {
            subject: subject.trim().to_owned(),
            text: body.trim_start().to_owned(),
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_template_renders_with_its_documented_context() {
        let templates = Templates::load().unwrap();
        let context = json!({
            "invite_url": "https://roster.example.com/dashboard/invitations/inv_x",
            "invited_by": "ana@vendor.example",
            "organization": "Acme <Corp>",
            "link": "https://roster.example.com/setup/setup_x",
            "expires_at": "2026-12-01 10:00 UTC",
            "url": "https://app.example.com/hooks",
            "endpoint_id": "we_1",
            "reason": "every delivery attempt failed for 3 days",
            "dashboard_url": "https://roster.example.com/dashboard/webhooks/we_1",
            "directories": [{"name": "Acme Okta", "organization": "Acme", "problem": "12 requests refused with 401",
                             "last_request_at": "2026-11-23 09:41 UTC",
                             "url": "https://roster.example.com/dashboard/directories/directory_1/requests"}],
        });
        for template in Template::ALL {
            let rendered = templates.render(template, &context).unwrap();
            assert!(!rendered.subject.is_empty());
            assert!(!rendered.text.starts_with("Subject"));
            assert!(rendered.html.contains("<html"));
        }
        let setup = templates.render(Template::SetupLink, &context).unwrap();
        assert!(setup.html.contains("Acme &lt;Corp&gt;"), "HTML is escaped");
        assert!(setup.text.contains("Acme <Corp>"), "text is not");
    }
}
