//! Sessions as the browser holds them: an HttpOnly cookie per kind (`roster_session` for
//! administrators, path `/dashboard`; `roster_portal` for the setup portal, path `/setup`), a
//! stored row behind each, and a flash message carried across a redirect.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use roster_core::Timestamp;
use roster_store::admins::{self, Admin};
use roster_store::organizations::{self, Organization};
use roster_store::sessions::{self, Subject};

use crate::{DashboardContext, DashboardError};

pub(crate) const ADMIN_COOKIE: &str = "roster_session";
pub(crate) const PORTAL_COOKIE: &str = "roster_portal";
const FLASH_COOKIE: &str = "roster_flash";

/// How long an administrator stays signed in.
pub(crate) const ADMIN_SESSION_HOURS: i64 = 12;
/// How long a setup-portal session lasts after its link was opened.
pub(crate) const PORTAL_SESSION_HOURS: i64 = 12;

pub(crate) fn hours_after(at: Timestamp, hours: i64) -> Timestamp {
    Timestamp::from_millis(at.as_millis() + hours * 3_600_000)
}

/// A session cookie: HttpOnly, SameSite=Lax, Secure when Roster is served over https.
pub(crate) fn cookie(
    context: &DashboardContext,
    name: &'static str,
    path: &'static str,
    value: String,
    hours: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(context.secure_cookies)
        .max_age(CookieDuration::hours(hours))
        .finish()
}

/// A cookie that tells the browser to forget `name`.
pub(crate) fn removal(name: &'static str, path: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "").path(path).finish();
    cookie.make_removal();
    cookie
}

/// A redirect (303, so the browser follows with GET) that shows `message` on the next page.
pub(crate) fn redirect_with(location: &str, message: &str) -> HttpResponse {
    let flash = Cookie::build(
        FLASH_COOKIE,
        url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>(),
    )
    .path("/")
    .http_only(true)
    .same_site(SameSite::Lax)
    .max_age(CookieDuration::minutes(1))
    .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .cookie(flash)
        .finish()
}

/// A plain redirect.
pub(crate) fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// The flash message the previous response left, if any.
pub(crate) fn take_flash(request: &HttpRequest) -> Option<String> {
    let raw = request.cookie(FLASH_COOKIE)?;
    let decoded: String = url::form_urlencoded::parse(format!("m={}", raw.value()).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())?;
    (!decoded.is_empty()).then_some(decoded)
}

/// Clears the flash cookie on a response that showed it.
pub(crate) fn clear_flash(response: &mut HttpResponse) {
    let _ = response.add_cookie(&removal(FLASH_COOKIE, "/"));
}

/// A signed-in administrator.
pub(crate) struct AdminSession {
    pub(crate) admin: Admin,
    pub(crate) csrf: String,
    pub(crate) token: String,
}

/// An IT admin's setup-portal session: one organization, nothing else.
pub(crate) struct PortalSession {
    pub(crate) organization: Organization,
    pub(crate) csrf: String,
}

pub(crate) fn context(
    request: &HttpRequest,
) -> Result<web::Data<DashboardContext>, DashboardError> {
    request
        .app_data::<web::Data<DashboardContext>>()
        .cloned()
        .ok_or_else(|| DashboardError::internal("dashboard context missing"))
}

impl FromRequest for AdminSession {
    type Error = DashboardError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashboardError>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let context = context(request);
        let token = request
            .cookie(ADMIN_COOKIE)
            .map(|cookie| cookie.value().to_owned());
        // After signing in, come back to the page asked for (a form goes back to the start).
        let next = if request.method() == Method::GET {
            request
                .uri()
                .path_and_query()
                .map_or_else(|| "/dashboard".to_owned(), |path| path.as_str().to_owned())
        } else {
            "/dashboard".to_owned()
        };
        Box::pin(async move {
            let context = context?;
            let sign_in = || DashboardError::SignInRequired { next: next.clone() };
            let token = token.ok_or_else(sign_in)?;
            let now = context.now();
            let lookup = token.clone();
            let found = context
                .run(move |conn| {
                    let Some(session) = sessions::find(conn, &lookup, now)? else {
                        return Ok(None);
                    };
                    let Subject::Admin(admin) = &session.subject else {
                        return Ok(None);
                    };
                    Ok(admins::find(conn, admin)?.map(|admin| (admin, session.csrf_token)))
                })
                .await?;
            let (admin, csrf) = found.ok_or_else(sign_in)?;
            Ok(AdminSession { admin, csrf, token })
        })
    }
}

impl FromRequest for PortalSession {
    type Error = DashboardError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashboardError>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let context = context(request);
        let token = request
            .cookie(PORTAL_COOKIE)
            .map(|cookie| cookie.value().to_owned());
        Box::pin(async move {
            let context = context?;
            let token = token.ok_or(DashboardError::PortalSessionRequired)?;
            let now = context.now();
            let found = context
                .run(move |conn| {
                    let Some(session) = sessions::find(conn, &token, now)? else {
                        return Ok(None);
                    };
                    let Subject::Portal(organization) = &session.subject else {
                        return Ok(None);
                    };
                    Ok(organizations::find(conn, organization)?
                        .map(|organization| (organization, session.csrf_token)))
                })
                .await?;
            let (organization, csrf) = found.ok_or(DashboardError::PortalSessionRequired)?;
            Ok(PortalSession { organization, csrf })
        })
    }
}
