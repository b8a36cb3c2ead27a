//! Signing in and out. Failures say only that the email or password is wrong, and attempts
//! are rate-limited per email address and per client.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_store::admins::{self, Admin};
use roster_store::sessions::{self, Subject};
use serde::Deserialize;
use serde_json::json;

use super::{client_address, public_page};
use crate::audit::{self, Action};
use crate::forms::{AdminForm, AnonymousForm};
use crate::session::{
    ADMIN_COOKIE, ADMIN_SESSION_HOURS, cookie, hours_after, redirect, redirect_with, removal,
};
use crate::{DashboardContext, DashboardError, password};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/login").get(form).post(submit))
        .service(web::resource("/logout").post(logout));
}

pub(super) fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    value.len() <= 254
        && !value.contains(char::is_whitespace)
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

/// Only paths inside the dashboard are followed after signing in: never another site.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|next| next.starts_with("/dashboard") && !next.starts_with("//"))
        .unwrap_or("/dashboard/organizations")
        .to_owned()
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn form(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    query: web::Query<Next>,
) -> Result<HttpResponse, DashboardError> {
    if context.run(|conn| Ok(admins::count(conn)?)).await? == 0 {
        return Ok(redirect("/dashboard/setup"));
    }
    public_page(
        &context,
        &request,
        "login.html",
        json!({"email": "", "next": safe_next(query.next.as_deref()), "error": null}),
    )
}

#[derive(Deserialize)]
struct LoginFields {
    email: String,
    password: String,
    next: Option<String>,
}

async fn submit(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    form: AnonymousForm<LoginFields>,
) -> Result<HttpResponse, DashboardError> {
    let LoginFields {
        email,
        password,
        next,
    } = form.fields;
    let email = email.trim().to_owned();
    let next = safe_next(next.as_deref());
    if !context.login_limit.allow(&email, &client_address(&request)) {
        tracing::warn!(%email, client = %client_address(&request), "sign-in attempts rate-limited");
        let mut response = public_page(
            &context,
            &request,
            "login.html",
            json!({"email": email, "next": next,
                   "error": "Too many sign-in attempts. Wait a minute, then try again."}),
        )?;
        *response.status_mut() = actix_web::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    let lookup = email.clone();
    let found = context
        .run(move |conn| Ok(admins::find_by_email(conn, &lookup)?))
        .await?;
    let (admin, stored) = match found {
        Some((admin, hash)) => (Some(admin), Some(hash)),
        None => (None, None),
    };
    let verified = web::block(move || password::verify(&password, stored.as_deref())).await?;
    match admin.filter(|_| verified) {
        Some(admin) => start_session(&context, &admin, &next).await,
        None => {
            let mut response = public_page(
                &context,
                &request,
                "login.html",
                json!({"email": email, "next": next, "error": "Wrong email or password."}),
            )?;
            *response.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

/// Signs `admin` in: a new session (never one the browser brought), its cookie, and `next`.
pub(super) async fn start_session(
    context: &DashboardContext,
    admin: &Admin,
    next: &str,
) -> Result<HttpResponse, DashboardError> {
    let now = context.now();
    let id = admin.id.clone();
    let email = admin.email.clone();
    let token = context
        .run(move |conn| {
            let (token, _) = sessions::create(
                conn,
                Subject::Admin(id.clone()),
                now,
                hours_after(now, ADMIN_SESSION_HOURS),
            )?;
            admins::record_login(conn, &id, now)?;
            sessions::prune(conn, now)?;
            audit::record(
                conn,
                Action {
                    actor: &email,
                    action: "admin.signed_in",
                    target: Some(id.as_str()),
                    organization: None,
                    details: json!({}),
                },
                now,
            )?;
            Ok(token)
        })
        .await?;
    let mut response = redirect(next);
    response
        .add_cookie(&cookie(
            context,
            ADMIN_COOKIE,
            "/dashboard",
            token,
            ADMIN_SESSION_HOURS,
        ))
        .map_err(DashboardError::internal)?;
    Ok(response)
}

#[derive(Deserialize)]
struct Nothing {}

async fn logout(
    context: web::Data<DashboardContext>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let session = form.session;
    let now = context.now();
    context
        .run(move |conn| {
            sessions::delete(conn, &session.token)?;
            audit::record(
                conn,
                Action {
                    actor: &session.admin.email,
                    action: "admin.signed_out",
                    target: Some(session.admin.id.as_str()),
                    organization: None,
                    details: json!({}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    let mut response = redirect_with("/dashboard/login", "You are signed out.");
    response
        .add_cookie(&removal(ADMIN_COOKIE, "/dashboard"))
        .map_err(DashboardError::internal)?;
    Ok(response)
}
