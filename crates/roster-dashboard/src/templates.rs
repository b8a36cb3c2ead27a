//! The page templates under `web/templates/`, compiled into the binary. Tera escapes every
//! value in an `.html` template; a missing variable is an error, not an empty string.

use serde_json::Value;
use tera::Tera;

use crate::DashboardError;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../../web/templates/", $name)))),*]
    };
}

const TEMPLATES: [(&str, &str); 34] = templates![
    "layout.html",
    "macros.html",
    "public.html",
    "setup.html",
    "login.html",
    "invitation.html",
    "organizations/list.html",
    "organizations/form.html",
    "organizations/show.html",
    "organizations/delete.html",
    "organizations/setup_link.html",
    "directories/new.html",
    "directories/show.html",
    "directories/token.html",
    "directories/users.html",
    "directories/user.html",
    "directories/groups.html",
    "directories/group.html",
    "directories/requests.html",
    "directories/upload.html",
    "directories/upload_form.html",
    "events/list.html",
    "events/show.html",
    "webhooks/list.html",
    "webhooks/form.html",
    "webhooks/show.html",
    "webhooks/edit.html",
    "api_keys.html",
    "audit.html",
    "admins.html",
    "portal/layout.html",
    "portal/landing.html",
    "portal/home.html",
    "portal/directory.html",
];

pub(crate) struct Templates(Tera);

impl Templates {
    pub(crate) fn load() -> Result<Self, DashboardError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES)
            .map_err(|error| DashboardError::internal(format!("{error:?}")))?;
        Ok(Templates(tera))
    }

    pub(crate) fn render(&self, name: &str, context: &Value) -> Result<String, DashboardError> {
        let context = tera::Context::from_value(context.clone())?;
        Ok(self.0.render(name, &context)?)
    }
}
