//! Form submissions with their CSRF token checked before the handler runs. A signed-in form
//! carries its session's synchronizer token; a form shown before there is a session (sign-in,
//! first-run set-up, an invitation, a setup link) carries the value of a `roster_csrf` cookie
//! set with the form (double submit). Either is compared in constant time.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::DashboardError;
use crate::session::{AdminSession, PortalSession};

const ANONYMOUS_COOKIE: &str = "roster_csrf";

#[derive(Deserialize)]
struct Token {
    csrf: Option<String>,
}

fn matches(presented: Option<&str>, expected: &str) -> bool {
    presented.is_some_and(|presented| {
        !expected.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
    })
}

/// Reads the body as a form: the CSRF token, and the fields the handler wants.
async fn read<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: &mut Payload,
) -> Result<(Option<String>, T), DashboardError> {
    let body = web::Bytes::from_request(request, payload)
        .await
        .map_err(|error| DashboardError::BadRequest(error.to_string()))?;
    parse(&body)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<(Option<String>, T), DashboardError> {
    let token: Token = serde_urlencoded::from_bytes(body)
        .map_err(|error| DashboardError::BadRequest(format!("unreadable form: {error}")))?;
    let fields: T = serde_urlencoded::from_bytes(body)
        .map_err(|error| DashboardError::BadRequest(format!("unreadable form: {error}")))?;
    Ok((token.csrf, fields))
}

/// A form posted by a signed-in administrator.
pub(crate) struct AdminForm<T> {
    pub(crate) session: AdminSession,
    pub(crate) fields: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for AdminForm<T> {
    type Error = DashboardError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashboardError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let session = AdminSession::extract(&request).await?;
            let (token, fields) = read::<T>(&request, &mut payload).await?;
            AdminForm::checked(session, token.as_deref(), fields)
        })
    }
}

impl<T> AdminForm<T> {
    /// The form, if it carries its session's token.
    fn checked(
        session: AdminSession,
        token: Option<&str>,
        fields: T,
    ) -> Result<Self, DashboardError> {
        if !matches(token, &session.csrf) {
            return Err(DashboardError::Csrf);
        }
        Ok(AdminForm { session, fields })
    }
}

/// A signed-in form carrying a CSV file in a field: it may be as large as the bulk API's
/// largest batch body once URL-encoded, rather than the 1 MiB other forms are held to. The
/// session is checked before the body is read, so only administrators can send that much.
pub(crate) struct UploadForm<T>(pub(crate) AdminForm<T>);

impl<T: DeserializeOwned + 'static> FromRequest for UploadForm<T> {
    type Error = DashboardError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashboardError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let session = AdminSession::extract(&request).await?;
            let limit = crate::session::context(&request)?.upload_form_bytes();
            let body = web::Payload::from_request(&request, &mut payload)
                .await
                .map_err(|error| DashboardError::BadRequest(error.to_string()))?
                .to_bytes_limited(limit)
                .await
                .map_err(|_| {
                    DashboardError::BadRequest(format!(
                        "The form is larger than {limit} bytes, the most this server reads for one CSV upload; split the file."
                    ))
                })?
                .map_err(|error| DashboardError::BadRequest(error.to_string()))?;
            let (token, fields) = parse(&body)?;
            AdminForm::checked(session, token.as_deref(), fields).map(UploadForm)
        })
    }
}

/// A form posted in a setup-portal session.
pub(crate) struct PortalForm<T> {
    pub(crate) session: PortalSession,
    pub(crate) fields: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for PortalForm<T> {
    type Error = DashboardError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashboardError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let session = PortalSession::extract(&request).await?;
            let (token, fields) = read::<T>(&request, &mut payload).await?;
            if !matches(token.as_deref(), &session.csrf) {
                return Err(DashboardError::Csrf);
            }
            Ok(PortalForm { session, fields })
        })
    }
}

/// A form posted before there is a session.
pub(crate) struct AnonymousForm<T> {
    pub(crate) fields: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for AnonymousForm<T> {
    type Error = DashboardError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DashboardError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let expected = request
                .cookie(ANONYMOUS_COOKIE)
                .map(|cookie| cookie.value().to_owned())
                .unwrap_or_default();
            let (token, fields) = read::<T>(&request, &mut payload).await?;
            if !matches(token.as_deref(), &expected) {
                return Err(DashboardError::Csrf);
            }
            Ok(AnonymousForm { fields })
        })
    }
}

/// The token for a form shown before there is a session: the browser's `roster_csrf` cookie,
/// or a new one with the cookie that sets it.
pub(crate) fn anonymous_token(
    request: &HttpRequest,
    secure: bool,
) -> (String, Option<Cookie<'static>>) {
    if let Some(existing) = request.cookie(ANONYMOUS_COOKIE)
        && existing.value().len() >= 32
    {
        return (existing.value().to_owned(), None);
    }
    let token = roster_core::secret::random_token("");
    let cookie = Cookie::build(ANONYMOUS_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish();
    (token, Some(cookie))
}
