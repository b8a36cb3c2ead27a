//! A batch as its source sends it, parsed and checked record by record: a bad record is
//! reported with its index and field while the others are still checked, so that one answer
//! lists everything to fix. Pure: no I/O.

use std::collections::HashMap;

use roster_core::case_key;
use roster_scim::resources::schema::{CUSTOM_ATTRIBUTES_SCHEMA, ENTERPRISE_USER_SCHEMA};
use serde_json::{Map, Value, json};

/// What a batch does with the users it does not mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Create or update the batch's records; leave every other user as it is.
    Upsert,
    /// The batch is the whole directory (an HR system's full export): also deactivate every
    /// active user missing from it.
    ReplaceAll,
}

impl Mode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Upsert => "upsert",
            Mode::ReplaceAll => "replace_all",
        }
    }
}

/// A parsed batch: its options, and each record checked on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Answer what the batch would do, and write nothing.
    pub dry_run: bool,
    /// Upsert, or replace the directory's users.
    pub mode: Mode,
    /// Write the valid records even when others are refused (otherwise: all or nothing).
    pub partial: bool,
    /// The group records, in the order sent.
    pub groups: Vec<Checked<GroupRecord>>,
    /// The user records, in the order sent.
    pub users: Vec<Checked<UserRecord>>,
}

/// A record that passed its checks, or why it did not.
pub type Checked<T> = Result<T, RecordError>;

/// Why a record is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The record's `external_id`, when it has a readable one.
    pub external_id: Option<String>,
    /// The field at fault (`email`, `custom_attributes.department`), when one is.
    pub field: Option<String>,
    /// What is wrong, in a sentence.
    pub reason: String,
}

/// Why a whole request is refused before any record is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The body is not JSON.
    #[error("The request body is not valid JSON: {0}")]
    NotJson(String),
    /// A top-level parameter is missing, unknown or of the wrong type.
    #[error("{message}")]
    Invalid {
        /// The parameter.
        param: String,
        /// What is wrong with it.
        message: String,
    },
    /// More records than the server accepts in one request.
    #[error(
        "The batch has {records} records; this server accepts at most {max} per request (ROSTER_BULK_MAX_RECORDS). Split an upsert into several requests; a replace_all batch must hold the whole directory, so raise the limit for it."
    )]
    TooLarge {
        /// Records sent (users and groups).
        records: usize,
        /// The limit.
        max: usize,
    },
}

/// A group as the source names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The source's id for the group: what the upsert matches on.
    pub external_id: String,
    /// Its name, which user records use to name their groups.
    pub name: String,
}

impl GroupRecord {
    /// The SCIM Group document it is stored as.
    pub fn document(&self) -> Value {
        json!({"displayName": self.name, "externalId": self.external_id})
    }
}

/// An employee as the source describes them: the whole record, not a patch.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// The source's id for the user: what the upsert matches on.
    pub external_id: String,
    /// The login name: `username`, else `email`.
    pub user_name: String,
    /// The work email address.
    pub email: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// The manager's `external_id`.
    pub manager_external_id: Option<String>,
    /// The names of the groups the user belongs to, without duplicates; `None` leaves the
    /// user's memberships as they are.
    pub groups: Option<Vec<String>>,
    /// Everything else the source knows (department, cost center, location, …).
    pub custom_attributes: Map<String, Value>,
    /// Whether the user may use the product.
    pub active: bool,
}

const USER_FIELDS: [&str; 10] = [
    "external_id",
    "email",
    "first_name",
    "last_name",
    "username",
    "job_title",
    "manager_external_id",
    "groups",
    "custom_attributes",
    "active",
];

const GROUP_FIELDS: [&str; 2] = ["external_id", "name"];

const BATCH_FIELDS: [&str; 5] = ["dry_run", "mode", "partial", "users", "groups"];

/// Custom attributes that SCIM's enterprise extension (and `userType`) carry, by the name apps
/// see them under in `custom_attributes`. Stored there, a bulk user's profile is derived
/// exactly as a SCIM user's is.
const ENTERPRISE_ATTRIBUTES: [(&str, &str); 5] = [
    ("department", "department"),
    ("division", "division"),
    ("cost_center", "costCenter"),
    ("employee_number", "employeeNumber"),
    ("organization", "organization"),
];

/// Derived from `manager_external_id`, so not accepted as custom attributes.
const DERIVED_ATTRIBUTES: [&str; 2] = ["manager_id", "manager_name"];

impl UserRecord {
    /// The SCIM User document (core and enterprise extension) that SCIM's normalisation turns
    /// into the profile apps see, so that a bulk user and a SCIM user with the same attributes
    /// look the same in the management API and in events. Attributes SCIM has no place for go
    /// into Roster's custom-attributes extension.
    pub fn document(&self) -> Value {
        let mut document = Map::new();
        document.insert("externalId".to_owned(), json!(self.external_id));
        document.insert("userName".to_owned(), json!(self.user_name));
        let mut name = Map::new();
        if let Some(first) = &self.first_name {
            name.insert("givenName".to_owned(), json!(first));
        }
        if let Some(last) = &self.last_name {
            name.insert("familyName".to_owned(), json!(last));
        }
        if !name.is_empty() {
            document.insert("name".to_owned(), Value::Object(name));
        }
        if let Some(email) = &self.email {
            document.insert(
                "emails".to_owned(),
                json!([{"value": email, "type": "work", "primary": true}]),
            );
        }
        if let Some(title) = &self.job_title {
            document.insert("title".to_owned(), json!(title));
        }
        document.insert("active".to_owned(), json!(self.active));
        let mut enterprise = Map::new();
        let mut custom = Map::new();
        for (key, value) in &self.custom_attributes {
            if key == "employee_type" {
                document.insert("userType".to_owned(), scim_string(value));
            } else if let Some((_, scim_name)) =
                ENTERPRISE_ATTRIBUTES.iter().find(|(name, _)| name == key)
            {
                enterprise.insert((*scim_name).to_owned(), scim_string(value));
            } else {
                custom.insert(key.clone(), value.clone());
            }
        }
        if let Some(manager) = &self.manager_external_id {
            enterprise.insert("manager".to_owned(), json!({"value": manager}));
        }
        if !enterprise.is_empty() {
            document.insert(ENTERPRISE_USER_SCHEMA.to_owned(), Value::Object(enterprise));
        }
        if !custom.is_empty() {
            document.insert(CUSTOM_ATTRIBUTES_SCHEMA.to_owned(), Value::Object(custom));
        }
        Value::Object(document)
    }
}

/// SCIM's string attributes take numbers as strings, as its normalisation would convert them.
fn scim_string(value: &Value) -> Value {
    match value {
        Value::Number(number) => Value::String(number.to_string()),
        other => other.clone(),
    }
}

impl Batch {
    /// Parses a JSON request body. Request-level problems (not JSON, unknown options, too many
    /// records) refuse the whole request; a bad record is kept as its error.
    pub fn parse(body: &[u8], max_records: usize) -> Result<Batch, BatchError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(BatchError::NotJson(
                "the body is empty; send a JSON object".to_owned(),
            ));
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|error| BatchError::NotJson(error.to_string()))?;
        Batch::from_value(value, max_records)
    }

    /// Checks a request already parsed as JSON (or built from another format).
    pub(crate) fn from_value(value: Value, max_records: usize) -> Result<Batch, BatchError> {
        let Value::Object(mut request) = value else {
            return Err(invalid(
                "body",
                "The request body must be a JSON object with `users` and/or `groups`.",
            ));
        };
        if let Some(unknown) = request
            .keys()
            .find(|key| !BATCH_FIELDS.contains(&key.as_str()))
        {
            return Err(invalid(
                unknown,
                &format!(
                    "Unknown parameter `{unknown}`; accepted: {}.",
                    BATCH_FIELDS.join(", ")
                ),
            ));
        }
        let flag = |request: &Map<String, Value>, name: &str| match request.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(value)) => Ok(*value),
            Some(_) => Err(invalid(name, &format!("`{name}` must be true or false."))),
        };
        let dry_run = flag(&request, "dry_run")?;
        let partial = flag(&request, "partial")?;
        let mode = match request.get("mode") {
            None | Some(Value::Null) => Mode::Upsert,
            Some(Value::String(mode)) if mode == "upsert" => Mode::Upsert,
            Some(Value::String(mode)) if mode == "replace_all" => Mode::ReplaceAll,
            Some(_) => {
                return Err(invalid(
                    "mode",
                    "`mode` must be \"upsert\" (the default) or \"replace_all\".",
                ));
            }
        };
        let mut records = |name: &str| match request.remove(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(records)) => Ok(records),
            Some(_) => Err(invalid(
                name,
                &format!("`{name}` must be an array of records."),
            )),
        };
        let users = records("users")?;
        let groups = records("groups")?;
        let count = users.len() + groups.len();
        if count > max_records {
            return Err(BatchError::TooLarge {
                records: count,
                max: max_records,
            });
        }
        if mode == Mode::ReplaceAll && users.is_empty() {
            return Err(invalid(
                "users",
                "A replace_all batch without users would deactivate every user of the directory; send the full list of users.",
            ));
        }
        let mut groups: Vec<Checked<GroupRecord>> = groups.iter().map(check_group).collect();
        let mut users: Vec<Checked<UserRecord>> = users.iter().map(check_user).collect();
        refuse_repeats(&mut groups, "external_id", |group| {
            group.external_id.clone()
        });
        refuse_repeats(&mut groups, "name", |group| case_key(&group.name));
        refuse_repeats(&mut users, "external_id", |user| user.external_id.clone());
        Ok(Batch {
            dry_run,
            mode,
            partial,
            groups,
            users,
        })
    }
}

fn invalid(param: &str, message: &str) -> BatchError {
    BatchError::Invalid {
        param: param.to_owned(),
        message: message.to_owned(),
    }
}

/// Refuses every record whose key repeats an earlier record's: which of the two the source
/// meant is not ours to guess.
fn refuse_repeats<T>(records: &mut [Checked<T>], field: &str, key: impl Fn(&T) -> String)
where
    T: HasExternalId,
{
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (index, slot) in records.iter_mut().enumerate() {
        let Ok(record) = slot else {
            continue;
        };
        let value = key(record);
        match first_seen.get(&value) {
            Some(first) => {
                *slot = Err(RecordError {
                    external_id: Some(record.external_id().to_owned()),
                    field: Some(field.to_owned()),
                    reason: format!(
                        "`{field}` is the same as record {first}'s; each record must have its own."
                    ),
                });
            }
            None => {
                first_seen.insert(value, index);
            }
        }
    }
}

trait HasExternalId {
    fn external_id(&self) -> &str;
}

impl HasExternalId for UserRecord {
    fn external_id(&self) -> &str {
        &self.external_id
    }
}

impl HasExternalId for GroupRecord {
    fn external_id(&self) -> &str {
        &self.external_id
    }
}

/// Reads one record's fields, remembering its `external_id` for the error.
struct Reader<'a> {
    record: &'a Map<String, Value>,
    external_id: Option<String>,
}

impl<'a> Reader<'a> {
    fn open(value: &'a Value, kind: &str, fields: &[&str]) -> Result<Self, RecordError> {
        let Value::Object(record) = value else {
            return Err(RecordError {
                external_id: None,
                field: None,
                reason: format!("A {kind} record must be a JSON object."),
            });
        };
        let external_id = record
            .get("external_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let reader = Reader {
            record,
            external_id,
        };
        if let Some(unknown) = record.keys().find(|key| !fields.contains(&key.as_str())) {
            return Err(reader.error(
                unknown,
                format!(
                    "Unknown field `{unknown}`; accepted: {}.",
                    fields.join(", ")
                ),
            ));
        }
        Ok(reader)
    }

    fn error(&self, field: &str, reason: String) -> RecordError {
        RecordError {
            external_id: self.external_id.clone(),
            field: Some(field.to_owned()),
            reason,
        }
    }

    /// A string field; absent, null and blank are all "no value".
    fn text(&self, field: &str) -> Result<Option<String>, RecordError> {
        match self.record.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.contains('\0') => Err(self.holds_nul(field)),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => {
                Err(self.error(field, format!("`{field}` must be a string, not {other}.")))
            }
        }
    }

    /// No database stores a NUL character in text (PostgreSQL refuses it), and no attribute
    /// needs one.
    fn holds_nul(&self, field: &str) -> RecordError {
        self.error(
            field,
            format!("`{field}` holds a NUL character (\\u0000), which no attribute may contain."),
        )
    }

    fn required_text(&self, field: &str) -> Result<String, RecordError> {
        self.text(field)?
            .ok_or_else(|| self.error(field, format!("`{field}` is required.")))
    }
}

fn check_group(value: &Value) -> Checked<GroupRecord> {
    let reader = Reader::open(value, "group", &GROUP_FIELDS)?;
    Ok(GroupRecord {
        external_id: reader.required_text("external_id")?,
        name: reader.required_text("name")?,
    })
}

fn check_user(value: &Value) -> Checked<UserRecord> {
    let reader = Reader::open(value, "user", &USER_FIELDS)?;
    let external_id = reader.required_text("external_id")?;
    let email = reader.text("email")?;
    if let Some(email) = &email {
        check_email(email).map_err(|reason| reader.error("email", reason))?;
    }
    let user_name = reader
        .text("username")?
        .or_else(|| email.clone())
        .ok_or_else(|| {
            reader.error(
                "username",
                "A user needs a `username` or an `email` (which then serves as the username)."
                    .to_owned(),
            )
        })?;
    let manager_external_id = reader.text("manager_external_id")?;
    if manager_external_id.as_deref() == Some(external_id.as_str()) {
        return Err(reader.error(
            "manager_external_id",
            "A user cannot be their own manager.".to_owned(),
        ));
    }
    let active = match reader.record.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(active)) => *active,
        Some(other) => {
            return Err(reader.error(
                "active",
                format!("`active` must be true or false, not {other}."),
            ));
        }
    };
    Ok(UserRecord {
        groups: check_groups(&reader)?,
        custom_attributes: check_custom_attributes(&reader)?,
        first_name: reader.text("first_name")?,
        last_name: reader.text("last_name")?,
        job_title: reader.text("job_title")?,
        external_id,
        user_name,
        email,
        manager_external_id,
        active,
    })
}

/// The shape of an address, not its deliverability: one `@` between a local part and a domain
/// with a dot, and no spaces.
fn check_email(email: &str) -> Result<(), String> {
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(())
    } else {
        Err(format!("`{email}` is not an email address."))
    }
}

fn check_groups(reader: &Reader<'_>) -> Result<Option<Vec<String>>, RecordError> {
    let names = match reader.record.get("groups") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(names)) => names,
        Some(_) => {
            return Err(reader.error(
                "groups",
                "`groups` must be an array of group names.".to_owned(),
            ));
        }
    };
    let mut groups: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        match name {
            Value::String(name) if name.contains('\0') => return Err(reader.holds_nul("groups")),
            Value::String(name) if !name.trim().is_empty() => {
                if !groups.iter().any(|seen| case_key(seen) == case_key(name)) {
                    groups.push(name.clone());
                }
            }
            other => {
                return Err(reader.error(
                    "groups",
                    format!("`groups` must hold group names (non-empty strings), not {other}."),
                ));
            }
        }
    }
    Ok(Some(groups))
}

fn check_custom_attributes(reader: &Reader<'_>) -> Result<Map<String, Value>, RecordError> {
    let attributes = match reader.record.get("custom_attributes") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(attributes)) => attributes,
        Some(_) => {
            return Err(reader.error(
                "custom_attributes",
                "`custom_attributes` must be an object of names and values.".to_owned(),
            ));
        }
    };
    let mut checked = Map::new();
    for (name, value) in attributes {
        let field = format!("custom_attributes.{name}");
        if name.contains('\0') || value.as_str().is_some_and(|text| text.contains('\0')) {
            return Err(reader.holds_nul(&field));
        }
        if name.trim().is_empty() {
            return Err(reader.error(
                "custom_attributes",
                "Custom attribute names must not be empty.".to_owned(),
            ));
        }
        if DERIVED_ATTRIBUTES.contains(&name.as_str()) {
            return Err(reader.error(
                &field,
                format!("`{name}` is derived from `manager_external_id`; set that instead."),
            ));
        }
        let scim_string = name == "employee_type"
            || ENTERPRISE_ATTRIBUTES
                .iter()
                .any(|(attribute, _)| attribute == name);
        match value {
            Value::Null => {}
            Value::String(_) | Value::Number(_) => {
                checked.insert(name.clone(), value.clone());
            }
            Value::Bool(_) if !scim_string => {
                checked.insert(name.clone(), value.clone());
            }
            other => {
                let expected = if scim_string {
                    "a string or a number"
                } else {
                    "a string, a number or a boolean"
                };
                return Err(reader.error(
                    &field,
                    format!("`{field}` must be {expected}, not {other}."),
                ));
            }
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> Batch {
        Batch::parse(body.to_string().as_bytes(), 1000).unwrap()
    }

    #[test]
    fn a_full_record_becomes_the_scim_document_of_the_same_user() {
        let batch = parse(json!({"users": [{
            "external_id": "E1", "email": "ann@acme.com", "first_name": "Ann", "last_name": "Lee",
            "job_title": "Engineer", "manager_external_id": "E0", "groups": ["Eng", "eng", "All"],
            "custom_attributes": {"department": "R&D", "cost_center": 42, "employee_type": "FTE",
                "location": "Berlin", "remote": true, "nickname": null}
        }]}));
        let user = batch.users[0].clone().unwrap();
        assert_eq!(user.user_name, "ann@acme.com");
        assert_eq!(user.groups, Some(vec!["Eng".to_owned(), "All".to_owned()]));
        assert_eq!(
            user.document(),
            json!({
                "externalId": "E1", "userName": "ann@acme.com",
                "name": {"givenName": "Ann", "familyName": "Lee"},
                "emails": [{"value": "ann@acme.com", "type": "work", "primary": true}],
                "title": "Engineer", "active": true, "userType": "FTE",
                ENTERPRISE_USER_SCHEMA: {"department": "R&D", "costCenter": "42", "manager": {"value": "E0"}},
                CUSTOM_ATTRIBUTES_SCHEMA: {"location": "Berlin", "remote": true},
            })
        );
    }

    #[test]
    fn bad_records_name_their_field_and_leave_the_others_alone() {
        let batch = parse(json!({"users": [
            {"external_id": "E1", "email": "not-an-address"},
            {"external_id": "E2", "email": "b@acme.com", "firstName": "B"},
            {"email": "c@acme.com"},
            {"external_id": "E4"},
            {"external_id": "E5", "email": "e@acme.com", "custom_attributes": {"department": true}},
            {"external_id": "E6", "email": "f@acme.com", "active": "no"},
            "E7",
            {"external_id": "E8", "email": "h@acme.com"},
            {"external_id": "E8", "email": "h2@acme.com"},
            {"external_id": "E9", "email": "i@acme.com", "last_name": "Nul\u{0}"},
            {"external_id": "E10", "email": "j@acme.com", "custom_attributes": {"site": "\u{0}"}},
        ]}));
        let fields: Vec<Option<String>> = batch
            .users
            .iter()
            .map(|user| {
                user.as_ref()
                    .err()
                    .map(|error| error.field.clone().unwrap_or_default())
            })
            .collect();
        assert_eq!(
            fields,
            [
                Some("email".to_owned()),
                Some("firstName".to_owned()),
                Some("external_id".to_owned()),
                Some("username".to_owned()),
                Some("custom_attributes.department".to_owned()),
                Some("active".to_owned()),
                Some(String::new()),
                None,
                Some("external_id".to_owned()),
                Some("last_name".to_owned()),
                Some("custom_attributes.site".to_owned()),
            ]
        );
        let repeat = batch.users[8].clone().unwrap_err();
        assert_eq!(repeat.external_id.as_deref(), Some("E8"));
        assert!(repeat.reason.contains("record 7"), "{}", repeat.reason);
    }

    #[test]
    fn request_level_problems_refuse_the_whole_batch() {
        assert!(matches!(
            Batch::parse(b"{", 10),
            Err(BatchError::NotJson(_))
        ));
        assert!(matches!(
            Batch::parse(br#"{"mode": "merge"}"#, 10),
            Err(BatchError::Invalid { param, .. }) if param == "mode"
        ));
        assert!(matches!(
            Batch::parse(br#"{"dryRun": true}"#, 10),
            Err(BatchError::Invalid { param, .. }) if param == "dryRun"
        ));
        assert!(matches!(
            Batch::parse(br#"{"mode": "replace_all", "users": []}"#, 10),
            Err(BatchError::Invalid { param, .. }) if param == "users"
        ));
        let users: Vec<Value> = (0..11)
            .map(|i| json!({"external_id": i.to_string()}))
            .collect();
        assert_eq!(
            Batch::parse(json!({"users": users}).to_string().as_bytes(), 10),
            Err(BatchError::TooLarge {
                records: 11,
                max: 10
            })
        );
    }

    #[test]
    fn groups_are_keyed_by_external_id_and_named_uniquely() {
        let batch = parse(json!({"groups": [
            {"external_id": "G1", "name": "Eng"},
            {"external_id": "G2", "name": "ENG"},
            {"external_id": "G1", "name": "Sales"},
            {"name": "Ops"},
        ]}));
        assert!(batch.groups[0].is_ok());
        assert_eq!(
            batch.groups[1].clone().unwrap_err().field.as_deref(),
            Some("name")
        );
        assert_eq!(
            batch.groups[2].clone().unwrap_err().field.as_deref(),
            Some("external_id")
        );
        assert_eq!(
            batch.groups[3].clone().unwrap_err().field.as_deref(),
            Some("external_id")
        );
    }
}
