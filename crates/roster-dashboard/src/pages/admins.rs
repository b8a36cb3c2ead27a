//! Administrators: the list, invitations by email, and accepting one.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_mail::Template;
use roster_store::{admins, invitations};
use serde::Deserialize;
use serde_json::json;

use super::{login, page, public_page, when, when_or_never};
use crate::audit::{self, Action};
use crate::forms::{AdminForm, AnonymousForm};
use crate::paging::{Cursor, Numbered, PER_PAGE, cursor_links};
use crate::session::{AdminSession, hours_after, redirect_with};
use crate::{DashboardContext, DashboardError, password};

/// How long an invitation link works.
const INVITATION_HOURS: i64 = 7 * 24;

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/admins").get(list).post(invite))
        .service(web::resource("/admins/{id}/remove").post(remove))
        .service(
            web::resource("/invitations/{token}")
                .get(invitation)
                .post(accept),
        );
}

/// The two lists of the page: administrators by cursor, open invitations by page number.
#[derive(Deserialize)]
struct ListQuery {
    #[serde(flatten)]
    cursor: Cursor,
    page: Option<String>,
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, DashboardError> {
    let now = context.now();
    let page_request = query.cursor.request();
    let numbered = Numbered::from_query(query.page.as_deref());
    let (found, (total, open)) = context
        .run(move |conn| {
            Ok((
                admins::list_page(conn, &page_request)?,
                invitations::open_page(conn, now, numbered.offset(), PER_PAGE)?,
            ))
        })
        .await?;
    let admins: Vec<_> = found
        .items
        .iter()
        .map(|admin| {
            json!({"id": admin.id, "email": admin.email, "created_at": when(admin.created_at),
                   "last_login_at": when_or_never(admin.last_login_at)})
        })
        .collect();
    let invitations: Vec<_> = open
        .iter()
        .map(|invitation| {
            json!({"email": invitation.email, "invited_by": invitation.invited_by,
                   "expires_at": when(invitation.expires_at)})
        })
        .collect();
    // Each list's links keep the other list where it is.
    let page_text = if numbered.page > 1 {
        numbered.page.to_string()
    } else {
        String::new()
    };
    let after = query.cursor.after.as_deref().unwrap_or_default();
    let before = query.cursor.before.as_deref().unwrap_or_default();
    page(
        &context,
        &request,
        &session,
        "admins.html",
        "admins",
        json!({"admins": admins, "invitations": invitations, "error": null, "email": "",
               "pages": cursor_links(&found, "/dashboard/admins", &[("page", &page_text)]),
               "invitation_pages": numbered.links(total, invitations.len(), "/dashboard/admins",
                   &[("after", after), ("before", before)])}),
    )
}

#[derive(Deserialize)]
struct InviteFields {
    email: String,
}

async fn invite(
    context: web::Data<DashboardContext>,
    form: AdminForm<InviteFields>,
) -> Result<HttpResponse, DashboardError> {
    let email = form.fields.email.trim().to_lowercase();
    if !login::looks_like_email(&email) {
        return Ok(redirect_with(
            "/dashboard/admins",
            "Enter the email address of the person to invite.",
        ));
    }
    let inviter = form.session.admin.email.clone();
    let now = context.now();
    let expires_at = hours_after(now, INVITATION_HOURS);
    let invited = email.clone();
    let created = context
        .run(move |conn| {
            if admins::find_by_email(conn, &invited)?.is_some() {
                return Ok(None);
            }
            let (invitation, token) =
                invitations::create(conn, &invited, &inviter, now, expires_at)?;
            audit::record(
                conn,
                Action {
                    actor: &inviter,
                    action: "admin.invited",
                    target: Some(invitation.id.as_str()),
                    organization: None,
                    details: json!({"email": invited}),
                },
                now,
            )?;
            Ok(Some(token))
        })
        .await?;
    let Some(token) = created else {
        return Ok(redirect_with(
            "/dashboard/admins",
            &format!("{email} is an administrator already."),
        ));
    };
    let link = format!("{}/dashboard/invitations/{token}", context.public_url);
    let sent = context
        .mailer
        .send(
            &email,
            Template::AdminInvitation,
            &json!({"invite_url": link, "invited_by": form.session.admin.email,
                    "expires_at": when(expires_at)}),
        )
        .await;
    let message = match sent {
        Ok(()) => format!("Invitation sent to {email}."),
        Err(error) => {
            tracing::warn!(%email, %error, "invitation email not sent");
            format!("The invitation for {email} was created but the email failed: {error}")
        }
    };
    Ok(redirect_with("/dashboard/admins", &message))
}

#[derive(Deserialize)]
struct Nothing {}

/// Removes another administrator; their sessions end with them. Nobody removes themselves, so
/// there is always someone left to sign in.
async fn remove(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let id = roster_core::AdminId::parse(&id).map_err(|_| DashboardError::NotFound)?;
    if id == form.session.admin.id {
        return Ok(redirect_with(
            "/dashboard/admins",
            "You cannot remove yourself: ask another administrator.",
        ));
    }
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let removed = context
        .run(move |conn| {
            let admin = admins::find(conn, &id)?.ok_or(DashboardError::NotFound)?;
            admins::delete(conn, &id)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "admin.removed",
                    target: Some(id.as_str()),
                    organization: None,
                    details: json!({"email": admin.email}),
                },
                now,
            )?;
            Ok(admin.email)
        })
        .await?;
    Ok(redirect_with(
        "/dashboard/admins",
        &format!("{removed} can no longer sign in."),
    ))
}

async fn invitation(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let now = context.now();
    let token = token.into_inner();
    let open = context
        .run(move |conn| Ok(invitations::find_open(conn, &token, now)?))
        .await?
        .ok_or(DashboardError::NotFound)?;
    public_page(
        &context,
        &request,
        "invitation.html",
        json!({"email": open.email, "invited_by": open.invited_by, "error": null}),
    )
}

#[derive(Deserialize)]
struct AcceptFields {
    password: String,
    password_again: String,
}

async fn accept(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    token: web::Path<String>,
    form: AnonymousForm<AcceptFields>,
) -> Result<HttpResponse, DashboardError> {
    let token = token.into_inner();
    let now = context.now();
    let lookup = token.clone();
    let open = context
        .run(move |conn| Ok(invitations::find_open(conn, &lookup, now)?))
        .await?
        .ok_or(DashboardError::NotFound)?;
    let AcceptFields {
        password,
        password_again,
    } = form.fields;
    let problem = if password != password_again {
        Some("The passwords differ.".to_owned())
    } else {
        password::validate(&password).err()
    };
    if let Some(error) = problem {
        return public_page(
            &context,
            &request,
            "invitation.html",
            json!({"email": open.email, "invited_by": open.invited_by, "error": error}),
        );
    }
    let hash = web::block(move || password::hash(&password))
        .await?
        .map_err(DashboardError::internal)?;
    let admin = context
        .run(move |conn| {
            let admin =
                invitations::accept(conn, &token, &hash, now).map_err(|error| match error {
                    admins::AdminWriteError::EmailTaken(email) => {
                        DashboardError::BadRequest(format!("{email} is an administrator already."))
                    }
                    admins::AdminWriteError::Query(error) => DashboardError::from(error),
                })?;
            if let Some(admin) = &admin {
                audit::record(
                    conn,
                    Action {
                        actor: &admin.email,
                        action: "admin.created",
                        target: Some(admin.id.as_str()),
                        organization: None,
                        details: json!({"email": admin.email, "how": "invitation"}),
                    },
                    now,
                )?;
            }
            Ok(admin)
        })
        .await?
        .ok_or(DashboardError::NotFound)?;
    login::start_session(&context, &admin, "/dashboard/organizations").await
}
