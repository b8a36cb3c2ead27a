//! First run: while no administrator exists, `/dashboard/setup` creates the first one and
//! signs them in. Afterwards it only points to the sign-in page.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_store::admins;
use serde::Deserialize;
use serde_json::json;

use super::{login, public_page};
use crate::audit::{self, Action};
use crate::forms::AnonymousForm;
use crate::session::redirect_with;
use crate::{DashboardContext, DashboardError, password};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/setup").get(form).post(submit));
}

async fn form(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
) -> Result<HttpResponse, DashboardError> {
    if context.run(|conn| Ok(admins::count(conn)?)).await? > 0 {
        return Ok(redirect_with(
            "/dashboard/login",
            "Roster is set up already: sign in.",
        ));
    }
    public_page(
        &context,
        &request,
        "setup.html",
        json!({"email": "", "error": null}),
    )
}

#[derive(Deserialize)]
struct SetupFields {
    email: String,
    password: String,
    password_again: String,
}

async fn submit(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    form: AnonymousForm<SetupFields>,
) -> Result<HttpResponse, DashboardError> {
    let fields = form.fields;
    let email = fields.email.trim().to_owned();
    let problem = if !login::looks_like_email(&email) {
        Some("Enter an email address.".to_owned())
    } else if fields.password != fields.password_again {
        Some("The passwords differ.".to_owned())
    } else {
        password::validate(&fields.password).err()
    };
    if let Some(error) = problem {
        return public_page(
            &context,
            &request,
            "setup.html",
            json!({"email": email, "error": error}),
        );
    }
    let hash = web::block(move || password::hash(&fields.password))
        .await?
        .map_err(DashboardError::internal)?;
    let now = context.now();
    let created = context
        .run(move |conn| {
            let admin =
                admins::create_first(conn, &email, &hash, now).map_err(DashboardError::internal)?;
            if let Some(admin) = &admin {
                audit::record(
                    conn,
                    Action {
                        actor: &admin.email,
                        action: "admin.created",
                        target: Some(admin.id.as_str()),
                        organization: None,
                        details: json!({"email": admin.email, "how": "first-run set-up"}),
                    },
                    now,
                )?;
            }
            Ok(admin)
        })
        .await?;
    match created {
        Some(admin) => login::start_session(&context, &admin, "/dashboard/organizations").await,
        // Someone else finished set-up first: this form creates nobody.
        None => Ok(redirect_with(
            "/dashboard/login",
            "Roster is set up already: sign in.",
        )),
    }
}
