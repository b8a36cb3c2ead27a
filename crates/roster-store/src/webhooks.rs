//! Webhook endpoints: where events are delivered, which ones, and the secrets that sign them.

use std::fmt;

use diesel::prelude::*;
use roster_core::id::WebhookEndpointId;
use roster_core::{EventType, OrganizationId, Timestamp};

use crate::organizations::corrupt;
use crate::schema::webhook_endpoints;
use crate::{AnyConnection, QueryResult, secrets};

/// A signing secret. Deliveries are signed with it, so it is stored sealed with the process's
/// secret key (see [`crate::secrets`]) rather than as a digest; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointSecret(String);

impl EndpointSecret {
    /// Wraps a secret (`whsec_…`).
    pub fn new(value: String) -> Self {
        EndpointSecret(value)
    }

    /// The secret itself, to sign with or to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EndpointSecret(…)")
    }
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    /// `we_…`
    pub id: WebhookEndpointId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types it receives; empty means all.
    pub event_types: Vec<EventType>,
    /// Only this organization's events when set.
    pub organization_id: Option<OrganizationId>,
    /// Disabled endpoints get no new deliveries and their pending ones wait.
    pub enabled: bool,
    /// The current signing secret.
    pub secret: EndpointSecret,
    /// The secret before the last rotation, still used until `previous_secret_expires_at`.
    pub previous_secret: Option<EndpointSecret>,
    /// When the previous secret stops signing.
    pub previous_secret_expires_at: Option<Timestamp>,
    /// When the current run of failed attempts began.
    pub failing_since: Option<Timestamp>,
    /// Why it was disabled, when it was.
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl WebhookEndpoint {
    /// Whether an event of this type in this organization goes to this endpoint.
    pub fn wants(&self, event_type: EventType, organization: &str) -> bool {
        self.enabled
            && (self.event_types.is_empty() || self.event_types.contains(&event_type))
            && self
                .organization_id
                .as_ref()
                .is_none_or(|scope| scope.as_str() == organization)
    }

    /// The secrets to sign with at `now`: the current one, then the previous one while its
    /// overlap lasts.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&EndpointSecret> {
        let mut secrets = vec![&self.secret];
        if let (Some(previous), Some(expires)) =
            (&self.previous_secret, self.previous_secret_expires_at)
            && now < expires
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// What a new endpoint is made of; the URL and types are already validated.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Where to deliver.
    pub url: String,
    /// Types it receives; empty means all.
    pub event_types: Vec<EventType>,
    /// Organization scope.
    pub organization_id: Option<OrganizationId>,
    /// The freshly generated secret.
    pub secret: EndpointSecret,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
struct EndpointRow {
    id: String,
    url: String,
    event_types: String,
    organization_id: Option<String>,
    enabled: bool,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<i64>,
    failing_since: Option<i64>,
    disabled_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown event type `{0}`")]
struct UnknownEventType(String);

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = diesel::result::Error;

    fn try_from(row: EndpointRow) -> QueryResult<WebhookEndpoint> {
        let event_types = row
            .event_types
            .split(',')
            .filter(|name| !name.is_empty())
            .map(|name| {
                EventType::parse(name).ok_or_else(|| corrupt(UnknownEventType(name.to_owned())))
            })
            .collect::<QueryResult<Vec<_>>>()?;
        Ok(WebhookEndpoint {
            id: WebhookEndpointId::parse(&row.id).map_err(corrupt)?,
            url: row.url,
            event_types,
            organization_id: row
                .organization_id
                .as_deref()
                .map(OrganizationId::parse)
                .transpose()
                .map_err(corrupt)?,
            enabled: row.enabled,
            secret: EndpointSecret(reveal(&row.id, &row.secret)?),
            previous_secret: row
                .previous_secret
                .map(|stored| reveal(&row.id, &stored).map(EndpointSecret))
                .transpose()?,
            previous_secret_expires_at: row.previous_secret_expires_at.map(Timestamp::from_millis),
            failing_since: row.failing_since.map(Timestamp::from_millis),
            disabled_reason: row.disabled_reason,
            created_at: Timestamp::from_millis(row.created_at),
            updated_at: Timestamp::from_millis(row.updated_at),
        })
    }
}

/// A stored secret as it signs: opened with the process's key, or as stored if it predates
/// encryption (those are sealed at the next start, see [`seal_plaintext_secrets`]).
fn reveal(endpoint: &str, stored: &str) -> QueryResult<String> {
    if !secrets::is_sealed(stored) {
        return Ok(stored.to_owned());
    }
    secrets::key()
        .and_then(|key| key.open(endpoint, stored))
        .map_err(corrupt)
}

/// A secret as it is stored: sealed with the process's key, bound to its endpoint.
fn conceal(endpoint: &str, secret: &EndpointSecret) -> QueryResult<String> {
    secrets::key()
        .and_then(|key| key.seal(endpoint, &secret.0))
        .map_err(corrupt)
}

/// Seals every secret stored before encryption (or while no key was set); returns how many
/// endpoints were changed. Run at start, after migrations.
pub fn seal_plaintext_secrets(conn: &mut AnyConnection) -> QueryResult<usize> {
    conn.write_transaction(|conn| {
        let rows: Vec<(String, String, Option<String>)> = webhook_endpoints::table
            .select((
                webhook_endpoints::id,
                webhook_endpoints::secret,
                webhook_endpoints::previous_secret,
            ))
            .load(conn)?;
        let mut sealed = 0;
        for (id, secret, previous) in rows {
            let plain_previous = previous
                .as_deref()
                .filter(|value| !secrets::is_sealed(value));
            if secrets::is_sealed(&secret) && plain_previous.is_none() {
                continue;
            }
            let secret = if secrets::is_sealed(&secret) {
                secret
            } else {
                conceal(&id, &EndpointSecret(secret))?
            };
            let previous = match previous {
                Some(value) if !secrets::is_sealed(&value) => {
                    Some(conceal(&id, &EndpointSecret(value))?)
                }
                other => other,
            };
            diesel::update(webhook_endpoints::table.find(&id))
                .set((
                    webhook_endpoints::secret.eq(secret),
                    webhook_endpoints::previous_secret.eq(previous),
                ))
                .execute(conn)?;
            sealed += 1;
        }
        Ok(sealed)
    })
}

/// Checks that the process's key opens the stored secrets (one is enough: one key seals
/// them all), so that a wrong key stops the process at start rather than every delivery.
pub fn check_key(conn: &mut AnyConnection) -> Result<(), secrets::SecretError> {
    let sample: Option<(String, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::secret.like("enc:v1:%"))
        .select((webhook_endpoints::id, webhook_endpoints::secret))
        .first(conn)
        .optional()
        .map_err(|_| secrets::SecretError::WrongKey)?;
    match sample {
        Some((id, stored)) => secrets::key()?.open(&id, &stored).map(drop),
        None => Ok(()),
    }
}

/// Creates an endpoint, enabled.
pub fn create(conn: &mut AnyConnection, new: NewEndpoint) -> QueryResult<WebhookEndpoint> {
    let now = Timestamp::now();
    let id = WebhookEndpointId::generate().to_string();
    let row = EndpointRow {
        secret: conceal(&id, &new.secret)?,
        id,
        url: new.url,
        event_types: encode_event_types(&new.event_types),
        organization_id: new.organization_id.map(|id| id.to_string()),
        enabled: true,
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        disabled_reason: None,
        created_at: now.as_millis(),
        updated_at: now.as_millis(),
    };
    let id = row.id.clone();
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .execute(conn)?;
    find(conn, &WebhookEndpointId::parse(&id).map_err(corrupt)?)?.ok_or(diesel::NotFound)
}

fn encode_event_types(types: &[EventType]) -> String {
    types
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Changes where an endpoint delivers and which event types it receives (`None` keeps one
/// as it is). Deliveries already queued keep going to the endpoint, now at its new URL.
/// Returns the endpoint, or `None` if there is none.
pub fn update_target(
    conn: &mut AnyConnection,
    id: &WebhookEndpointId,
    url: Option<&str>,
    event_types: Option<&[EventType]>,
) -> QueryResult<Option<WebhookEndpoint>> {
    conn.write_transaction(|conn| {
        let changed = diesel::update(webhook_endpoints::table.find(id.as_str()))
            .set(webhook_endpoints::updated_at.eq(Timestamp::now().as_millis()))
            .execute(conn)?;
        if changed == 0 {
            return Ok(None);
        }
        if let Some(url) = url {
            diesel::update(webhook_endpoints::table.find(id.as_str()))
                .set(webhook_endpoints::url.eq(url))
                .execute(conn)?;
        }
        if let Some(types) = event_types {
            diesel::update(webhook_endpoints::table.find(id.as_str()))
                .set(webhook_endpoints::event_types.eq(encode_event_types(types)))
                .execute(conn)?;
        }
        find(conn, id)
    })
}

/// A page of endpoints, optionally only those limited to one organization.
pub fn list_page(
    conn: &mut AnyConnection,
    organization: Option<&OrganizationId>,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<WebhookEndpoint>> {
    let mut query = webhook_endpoints::table
        .select(EndpointRow::as_select())
        .into_boxed();
    if let Some(organization) = organization {
        query = query.filter(webhook_endpoints::organization_id.eq(organization.to_string()));
    }
    let page = crate::page::read_page!(
        conn,
        query,
        webhook_endpoints::id,
        request,
        EndpointRow,
        |row: &EndpointRow| row.id.clone()
    );
    page.try_map(WebhookEndpoint::try_from)
}

/// One endpoint.
pub fn find(
    conn: &mut AnyConnection,
    id: &WebhookEndpointId,
) -> QueryResult<Option<WebhookEndpoint>> {
    webhook_endpoints::table
        .find(id.as_str())
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
        .map(WebhookEndpoint::try_from)
        .transpose()
}

/// Every endpoint, oldest first.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<WebhookEndpoint>> {
    webhook_endpoints::table
        .order(webhook_endpoints::id.asc())
        .select(EndpointRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WebhookEndpoint::try_from)
        .collect()
}

/// The endpoints that receive new deliveries.
pub fn list_enabled(conn: &mut AnyConnection) -> QueryResult<Vec<WebhookEndpoint>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .order(webhook_endpoints::id.asc())
        .select(EndpointRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WebhookEndpoint::try_from)
        .collect()
}

/// Deletes an endpoint with its deliveries and their attempts; false if there was none.
pub fn delete(conn: &mut AnyConnection, id: &WebhookEndpointId) -> QueryResult<bool> {
    use crate::schema::{webhook_attempts, webhook_deliveries};
    conn.write_transaction(|conn| {
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(id.as_str()))
            .select(webhook_deliveries::id);
        diesel::delete(
            webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
        )
        .execute(conn)?;
        diesel::delete(
            webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(id.as_str())),
        )
        .execute(conn)?;
        let deleted = diesel::delete(webhook_endpoints::table.find(id.as_str())).execute(conn)?;
        Ok(deleted > 0)
    })
}

/// Replaces the secret; the old one keeps signing until `previous_expires_at` (none: it stops
/// at once). Returns the endpoint with its new secret, or `None` if there is no such endpoint.
pub fn rotate_secret(
    conn: &mut AnyConnection,
    id: &WebhookEndpointId,
    new_secret: EndpointSecret,
    previous_expires_at: Option<Timestamp>,
) -> QueryResult<Option<WebhookEndpoint>> {
    conn.write_transaction(|conn| {
        let Some(current) = find(conn, id)? else {
            return Ok(None);
        };
        let previous = previous_expires_at
            .map(|_| conceal(id.as_str(), &current.secret))
            .transpose()?;
        diesel::update(webhook_endpoints::table.find(id.as_str()))
            .set((
                webhook_endpoints::secret.eq(conceal(id.as_str(), &new_secret)?),
                webhook_endpoints::previous_secret.eq(previous),
                webhook_endpoints::previous_secret_expires_at
                    .eq(previous_expires_at.map(Timestamp::as_millis)),
                webhook_endpoints::updated_at.eq(Timestamp::now().as_millis()),
            ))
            .execute(conn)?;
        find(conn, id)
    })
}

/// Enables or disables an endpoint. Enabling clears its failure record, so it gets the full
/// failure period again. Returns the endpoint, or `None` if there is none.
pub fn set_enabled(
    conn: &mut AnyConnection,
    id: &WebhookEndpointId,
    enabled: bool,
    reason: Option<&str>,
) -> QueryResult<Option<WebhookEndpoint>> {
    let changed = diesel::update(webhook_endpoints::table.find(id.as_str()))
        .set((
            webhook_endpoints::enabled.eq(enabled),
            webhook_endpoints::disabled_reason.eq(reason),
            webhook_endpoints::updated_at.eq(Timestamp::now().as_millis()),
        ))
        .execute(conn)?;
    if changed > 0 && enabled {
        diesel::update(webhook_endpoints::table.find(id.as_str()))
            .set(webhook_endpoints::failing_since.eq(None::<i64>))
            .execute(conn)?;
    }
    find(conn, id)
}

/// Records that a delivery to the endpoint succeeded: it is no longer failing.
pub fn record_success(conn: &mut AnyConnection, id: &WebhookEndpointId) -> QueryResult<()> {
    diesel::update(
        webhook_endpoints::table
            .find(id.as_str())
            .filter(webhook_endpoints::failing_since.is_not_null()),
    )
    .set(webhook_endpoints::failing_since.eq(None::<i64>))
    .execute(conn)?;
    Ok(())
}

/// Records a failed attempt at `now`. If the endpoint has been failing since before
/// `disable_before`, it is disabled; returns whether this call disabled it.
pub fn record_failure(
    conn: &mut AnyConnection,
    id: &WebhookEndpointId,
    now: Timestamp,
    disable_before: Timestamp,
    reason: &str,
) -> QueryResult<bool> {
    diesel::update(
        webhook_endpoints::table
            .find(id.as_str())
            .filter(webhook_endpoints::failing_since.is_null()),
    )
    .set(webhook_endpoints::failing_since.eq(now.as_millis()))
    .execute(conn)?;
    let disabled = diesel::update(
        webhook_endpoints::table
            .find(id.as_str())
            .filter(webhook_endpoints::enabled.eq(true))
            .filter(webhook_endpoints::failing_since.le(disable_before.as_millis())),
    )
    .set((
        webhook_endpoints::enabled.eq(false),
        webhook_endpoints::disabled_reason.eq(reason),
        webhook_endpoints::updated_at.eq(now.as_millis()),
    ))
    .execute(conn)?;
    Ok(disabled > 0)
}
