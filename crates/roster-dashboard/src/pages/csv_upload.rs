//! A custom API directory's CSV upload: the HR system's export is previewed as a dry run of
//! the bulk API, then applied as the same batch. Both run `roster_bulk::apply`, the code of
//! `POST {bulk_base_url}/bulk`, so that the upload writes the same users, groups and events,
//! and wakes the dispatcher, exactly as the batch POSTed there would.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use roster_bulk::{Answer, Applied, Batch, CsvOptions, IdempotencyKey, Mode, Outcome};
use roster_core::Protocol;
use roster_store::directories::Directory;
use roster_store::organizations::Organization;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::directories::{connection_json, find};
use super::organizations::organization_json;
use super::page;
use crate::audit::{self, Action};
use crate::forms::UploadForm;
use crate::session::AdminSession;
use crate::{DashboardContext, DashboardError};

/// Changed records listed on a report; the refused ones are all listed, the unchanged ones
/// counted. A report of 1,000 records stays readable, and says how many lines it left out.
const SHOWN_CHANGES: usize = 200;

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/directories/{id}/upload")
                .get(form)
                .post(preview),
        )
        .service(web::resource("/directories/{id}/upload/apply").post(apply));
}

/// The upload form's values, empty or as the administrator last sent them.
pub(super) fn form_json(
    context: &DashboardContext,
    csv: &str,
    mode: Mode,
    partial: bool,
    error: Option<String>,
) -> Value {
    json!({
        "csv": csv,
        "mode": mode.as_str(),
        "partial": partial,
        "error": error,
        "max_records": context.bulk_max_records,
    })
}

/// The directory, if it takes batches: a SCIM directory's users come from its identity
/// provider alone (its source would overwrite or fight whatever a file put there).
async fn custom_api_directory(
    context: &DashboardContext,
    id: &str,
) -> Result<(Directory, Organization), DashboardError> {
    let (directory, organization) = find(context, id).await?;
    if directory.directory_type.protocol() != Protocol::Bulk {
        return Err(DashboardError::BadRequest(format!(
            "{} is a SCIM directory: its users come from its identity provider. Only custom API directories take CSV uploads.",
            directory.name
        )));
    }
    Ok((directory, organization))
}

fn parse_mode(mode: &str) -> Result<Mode, DashboardError> {
    match mode {
        "upsert" => Ok(Mode::Upsert),
        "replace_all" => Ok(Mode::ReplaceAll),
        _ => Err(DashboardError::BadRequest(
            "The mode is upsert or replace_all.".to_owned(),
        )),
    }
}

/// A file and its options: what the administrator previews, and then applies.
struct Upload {
    csv: Vec<u8>,
    mode: Mode,
    partial: bool,
}

impl Upload {
    /// The file as the bulk API's batch, or why it is refused as a whole (too large,
    /// unreadable, without an `external_id` column, without rows).
    fn batch(&self, context: &DashboardContext, dry_run: bool) -> Result<Batch, String> {
        let max_bytes = context.csv_max_bytes();
        if self.csv.len() > max_bytes {
            return Err(format!(
                "The file is larger than {max_bytes} bytes, the most this server takes for one batch; split it."
            ));
        }
        let options = CsvOptions {
            dry_run,
            mode: self.mode,
            partial: self.partial,
        };
        let batch = Batch::from_csv(&self.csv, options, context.bulk_max_records)
            .map_err(|error| error.to_string())?;
        if batch.users.is_empty() {
            return Err("The file has no rows under its header row.".to_owned());
        }
        Ok(batch)
    }

    /// What `Idempotency-Key` digests with the body of a CSV batch: its options.
    fn query(&self) -> String {
        format!("mode={}&partial={}", self.mode.as_str(), self.partial)
    }

    /// The file's SHA-256, which the audit log records to name it.
    fn digest(&self) -> String {
        Sha256::digest(&self.csv)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

async fn form(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, organization) = custom_api_directory(&context, &id).await?;
    let upload = form_json(&context, "", Mode::Upsert, false, None);
    render(
        &context,
        &request,
        &session,
        (&directory, &organization),
        json!({"upload": upload, "report": null, "apply": null}),
    )
}

fn render(
    context: &DashboardContext,
    request: &HttpRequest,
    session: &AdminSession,
    (directory, organization): (&Directory, &Organization),
    mut values: Value,
) -> Result<HttpResponse, DashboardError> {
    values["directory"] = connection_json(&context.public_url, directory);
    values["organization"] = organization_json(organization);
    values["tab"] = json!("upload");
    page(
        context,
        request,
        session,
        "directories/upload.html",
        "organizations",
        values,
    )
}

#[derive(Deserialize)]
struct UploadFields {
    csv: String,
    mode: String,
    partial: Option<String>,
}

/// Runs the file as a dry run and shows its report, with the form that applies it.
async fn preview(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: UploadForm<UploadFields>,
) -> Result<HttpResponse, DashboardError> {
    let UploadForm(form) = form;
    let (directory, organization) = custom_api_directory(&context, &id).await?;
    let fields = form.fields;
    let upload = Upload {
        mode: parse_mode(&fields.mode)?,
        partial: fields.partial.as_deref() == Some("true"),
        csv: fields.csv.into_bytes(),
    };
    let shown = (&directory, &organization);
    let batch = match upload.batch(&context, true) {
        Ok(batch) => batch,
        Err(error) => {
            let values = json!({
                "upload": form_json(&context, &String::from_utf8_lossy(&upload.csv), upload.mode, upload.partial, Some(error)),
                "report": null,
                "apply": null,
            });
            return render(&context, &request, &form.session, shown, values);
        }
    };
    let applied = run(&context, &directory, batch, None).await?;
    let refused = applied.answer.status != 200;
    // The previewed file goes back in a hidden field rather than a server-side record:
    // nothing to store, expire or share between instances, and the administrator, who could
    // post any file here, gains nothing by editing it. Base64 keeps it byte for byte: browsers
    // rewrite the line breaks of form values, which would change quoted multi-line cells. The
    // key makes a second click on Apply (or a reload) replay the first answer, as a retried
    // API request with an `Idempotency-Key` does, instead of applying the file twice.
    let apply = (!refused).then(|| {
        json!({
            "batch": STANDARD.encode(&upload.csv),
            "mode": upload.mode.as_str(),
            "partial": upload.partial,
            "key": roster_core::secret::random_token("dashboard-upload-"),
        })
    });
    // A refused file comes back in the form, to be fixed or sent as partial.
    let again = refused.then(|| {
        form_json(
            &context,
            &String::from_utf8_lossy(&upload.csv),
            upload.mode,
            upload.partial,
            None,
        )
    });
    let values = json!({
        "report": report_json(&applied, true),
        "apply": apply,
        "upload": again,
    });
    render(&context, &request, &form.session, shown, values)
}

#[derive(Deserialize)]
struct ApplyFields {
    batch: String,
    mode: String,
    partial: Option<String>,
    key: String,
}

/// Applies the previewed file and shows what it did.
async fn apply(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: UploadForm<ApplyFields>,
) -> Result<HttpResponse, DashboardError> {
    let UploadForm(form) = form;
    let (directory, organization) = custom_api_directory(&context, &id).await?;
    let fields = &form.fields;
    let upload = Upload {
        csv: STANDARD.decode(fields.batch.trim()).map_err(|_| {
            DashboardError::BadRequest(
                "The previewed file could not be read back; upload it again.".to_owned(),
            )
        })?,
        mode: parse_mode(&fields.mode)?,
        partial: fields.partial.as_deref() == Some("true"),
    };
    let batch = upload
        .batch(&context, false)
        .map_err(DashboardError::BadRequest)?;
    let key = IdempotencyKey::new(&fields.key, &upload.query(), &upload.csv)?;
    let rows = batch.users.len();
    let applied = run(&context, &directory, batch, Some(key)).await?;
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let details = json!({
        "name": directory.name,
        "mode": upload.mode.as_str(),
        "partial": upload.partial,
        "rows": rows,
        "sha256": upload.digest(),
        "status": applied.answer.status,
        "totals": applied.answer.body.get("totals"),
        "written": applied.committed,
        "replayed": applied.replayed,
    });
    let (target, organization_id) = (directory.id.clone(), directory.organization_id.clone());
    context
        .run(move |conn| {
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "directory.csv_applied",
                    target: Some(target.as_str()),
                    organization: Some(organization_id.as_str()),
                    details,
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    let values = json!({
        "report": report_json(&applied, false),
        "apply": null,
        "upload": null,
    });
    render(
        &context,
        &request,
        &form.session,
        (&directory, &organization),
        values,
    )
}

/// Applies `batch` (a dry run or not) on a blocking thread, as the bulk endpoint does.
async fn run(
    context: &DashboardContext,
    directory: &Directory,
    batch: Batch,
    key: Option<IdempotencyKey>,
) -> Result<Applied, DashboardError> {
    let (store, events_written) = (context.store.clone(), context.events_written.clone());
    let directory = directory.clone();
    Ok(web::block(move || {
        roster_bulk::apply(&store, &events_written, &directory, &batch, key.as_ref())
    })
    .await??)
}

/// A report as the page shows it, from the bulk API's answer (so that it says what the API
/// would answer): the totals, every refused record, the changed records, and how many are
/// unchanged. A batch refused as a whole (all or nothing) has only its refused records.
fn report_json(applied: &Applied, preview: bool) -> Value {
    let Answer { status, body } = &applied.answer;
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    if *status != 200 {
        errors.extend(lines(&body["errors"]).map(|line| line_json(line, None)));
    }
    for kind in ["groups", "users"] {
        for line in lines(&body[kind]) {
            match line["outcome"].as_str() {
                Some("error") => errors.push(line_json(line, Some(kind))),
                Some("unchanged") => unchanged += 1,
                _ => changes.push(line_json(line, Some(kind))),
            }
        }
    }
    let more_changes = changes.len().saturating_sub(SHOWN_CHANGES);
    changes.truncate(SHOWN_CHANGES);
    let totals: Vec<Value> = match body.get("totals") {
        Some(totals) => Outcome::ALL
            .iter()
            .map(|outcome| json!({"outcome": outcome.as_str(), "count": totals[outcome.as_str()]}))
            .collect(),
        None => Vec::new(),
    };
    json!({
        "preview": preview,
        "replayed": applied.replayed,
        "refused": (*status != 200).then(|| body["message"].clone()),
        "held": body["deprovisioning_held"] == json!(true),
        "totals": totals,
        "errors": errors,
        "changes": changes,
        "more_changes": more_changes,
        "unchanged": unchanged,
    })
}

fn lines(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

/// One record's line: which record (`users[3]`, as the API names it; none for a user a
/// replace_all file left out), what happened, and why.
fn line_json(line: &Value, kind: Option<&str>) -> Value {
    let record = match (&line["record"], kind, line["index"].as_u64()) {
        (Value::String(record), _, _) => record.clone(),
        (_, Some(kind), Some(index)) => format!("{kind}[{index}]"),
        _ => String::new(),
    };
    let changed: Vec<&str> = lines(&line["changed"]).filter_map(Value::as_str).collect();
    let text = |name: &str| line[name].as_str().unwrap_or_default().to_owned();
    json!({
        "record": record,
        "external_id": text("external_id"),
        "outcome": text("outcome"),
        "changed": changed.join(", "),
        "field": text("field"),
        "reason": text("reason"),
    })
}
