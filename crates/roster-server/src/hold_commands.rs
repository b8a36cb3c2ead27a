//! `roster directory holds|release-hold|discard-hold` and the mass-deprovisioning guard's
//! settings in `roster directory update`.

use roster_core::id::DeprovisioningHoldId;
use roster_core::{DirectoryId, Timestamp};
use roster_store::AnyConnection;
use roster_store::holds::{self, Decision, GuardSettings, Hold, HoldStatus};
use serde_json::{Value, json};

fn hold_json(hold: &Hold) -> Value {
    json!({
        "object": "deprovisioning_hold",
        "id": hold.id,
        "directory_id": hold.directory_id,
        "organization_id": hold.organization_id,
        "status": hold.status.as_str(),
        "opened_at": hold.opened_at.to_rfc3339(),
        "deprovisioned": hold.deprovisioned,
        "active_users_at_start": hold.active_at_start,
        "events": hold.events,
        "decided_at": hold.decided_at.map(|at| at.to_rfc3339()),
    })
}

/// `roster directory holds`: holds, newest first.
pub(crate) fn list(
    conn: &mut AnyConnection,
    directory: Option<&str>,
    status: Option<&str>,
) -> Result<Value, String> {
    let directory = directory
        .map(DirectoryId::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let status = status
        .map(|status| {
            HoldStatus::parse(status.trim()).ok_or_else(|| {
                format!("--status must be `open`, `released` or `discarded`, not `{status}`")
            })
        })
        .transpose()?;
    let all = holds::list(conn, directory.as_ref(), status).map_err(|e| e.to_string())?;
    Ok(json!({"object": "list", "data": all.iter().map(hold_json).collect::<Vec<_>>()}))
}

/// `roster directory release-hold` (`release`) or `discard-hold`.
pub(crate) fn decide(conn: &mut AnyConnection, id: &str, release: bool) -> Result<Value, String> {
    let id = DeprovisioningHoldId::parse(id).map_err(|e| e.to_string())?;
    match holds::decide(conn, &id, release, Timestamp::now()).map_err(|e| e.to_string())? {
        Decision::Decided(hold) => {
            tracing::info!(hold_id = %hold.id, directory_id = %hold.directory_id, status = hold.status.as_str(), events = hold.events, "deprovisioning hold decided");
            Ok(hold_json(&hold))
        }
        Decision::Unknown => Err(format!("no deprovisioning hold has the id {id}")),
        Decision::AlreadyDecided(hold) => Err(format!(
            "the deprovisioning hold {id} was already {}",
            hold.status.as_str()
        )),
    }
}

/// The guard's settings as `roster directory update` and `list` show them.
pub(crate) fn settings_json(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
) -> Result<Value, String> {
    let settings = holds::settings(conn, directory)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no directory has the id {directory}"))?;
    Ok(json!({
        "enabled": settings.enabled,
        "percent": settings.percent,
        "minimum": settings.minimum,
        "window_minutes": settings.window_minutes,
    }))
}

/// The guard's options of `roster directory update`, as typed.
#[derive(Debug, Default)]
pub(crate) struct GuardOptions<'a> {
    /// `off` or a percentage.
    pub guard: Option<&'a str>,
    /// The fewest deprovisionings that can open a hold.
    pub minimum: Option<&'a str>,
    /// How far back deprovisionings count.
    pub window_minutes: Option<&'a str>,
}

impl GuardOptions<'_> {
    /// Whether any guard option was given.
    pub(crate) fn any(&self) -> bool {
        self.guard.is_some() || self.minimum.is_some() || self.window_minutes.is_some()
    }
}

fn number(option: &str, value: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, String> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|number| range.contains(number))
        .ok_or_else(|| {
            format!(
                "{option} must be a number from {} to {}, not `{value}`",
                range.start(),
                range.end()
            )
        })
}

/// Checks the options against the current settings; the result is written by [`apply`], so
/// that `update` validates every setting before writing any.
pub(crate) fn validate(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    options: &GuardOptions<'_>,
) -> Result<Option<GuardSettings>, String> {
    if !options.any() {
        return Ok(None);
    }
    let mut settings = holds::settings(conn, directory)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no directory has the id {directory}"))?;
    match options.guard.map(str::trim) {
        Some("off") => settings.enabled = false,
        Some(percent) => {
            settings.percent = number(
                "--deprovisioning-guard",
                percent.trim_end_matches('%'),
                1..=99,
            )
            .map_err(|message| format!("{message} (or `off`)"))?;
            settings.enabled = true;
        }
        None => {}
    }
    if let Some(minimum) = options.minimum {
        settings.minimum = number("--deprovisioning-guard-minimum", minimum, 1..=1_000_000)?;
    }
    if let Some(window) = options.window_minutes {
        settings.window_minutes =
            number("--deprovisioning-guard-window-minutes", window, 1..=10_080)?;
    }
    Ok(Some(settings))
}

/// Writes settings [`validate`] returned.
pub(crate) fn apply(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    settings: Option<GuardSettings>,
) -> Result<(), String> {
    if let Some(settings) = settings
        && !holds::set_settings(conn, directory, settings).map_err(|e| e.to_string())?
    {
        return Err(format!("no directory has the id {directory}"));
    }
    Ok(())
}
