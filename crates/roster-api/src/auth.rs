//! Turns `Authorization: Bearer sk_…` into the key's scope. Every handler takes an
//! `ApiKeyScope` and passes its organization to every query, so a key limited to one
//! organization cannot read another's objects: they are simply not found.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use roster_core::{OrganizationId, Timestamp};
use roster_store::api_keys::{self, ApiKey};

use crate::{ApiContext, ApiError};

/// How stale `last_used_at` may get before a request refreshes it.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// The key a request authenticated with.
#[derive(Debug, Clone)]
pub struct ApiKeyScope {
    /// The key.
    pub key: ApiKey,
}

impl ApiKeyScope {
    /// The organization the key is limited to, if any.
    pub fn organization(&self) -> Option<&OrganizationId> {
        self.key.organization_id.as_ref()
    }

    /// Refuses writes with a read-only key.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.key.read_only {
            Err(ApiError::read_only())
        } else {
            Ok(())
        }
    }

    /// Whether the key may see objects of `organization`.
    pub fn sees(&self, organization: &OrganizationId) -> bool {
        self.organization().is_none_or(|own| own == organization)
    }
}

impl FromRequest for ApiKeyScope {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let context = request.app_data::<web::Data<ApiContext>>().cloned();
        let secret = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim().to_owned());
        Box::pin(async move {
            let context = context.ok_or_else(|| ApiError::internal(&"API context missing"))?;
            let limits = context.limits.clone();
            let secret = secret.ok_or_else(ApiError::unauthorized)?;
            let key = web::block(move || -> Result<Option<ApiKey>, ApiError> {
                let mut conn = context.store.connection()?;
                let Some(key) = api_keys::authenticate(&mut conn, &secret)? else {
                    return Ok(None);
                };
                let now = Timestamp::now();
                if key
                    .last_used_at
                    .is_none_or(|at| now.as_millis() - at.as_millis() > LAST_USED_RESOLUTION_MS)
                {
                    api_keys::touch(&mut conn, &key.id, now)?;
                }
                Ok(Some(key))
            })
            .await??;
            let key = key.ok_or_else(ApiError::unauthorized)?;
            limits.check(key.id.as_str())?;
            Ok(ApiKeyScope { key })
        })
    }
}
