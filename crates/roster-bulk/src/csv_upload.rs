//! The same user records as a CSV file, as HR systems export them and vendors' admins upload
//! them: one row per user under a header row naming the fields. Each row becomes the JSON
//! record the bulk API takes and is checked by the same code, so a CSV upload and a JSON batch
//! mean exactly the same thing.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::batch::{Batch, BatchError, Mode};

/// The field groups are listed in, and what separates their names.
const GROUPS_SEPARATOR: char = ';';

/// What a CSV file cannot say itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Answer what the upload would do, and write nothing.
    pub dry_run: bool,
    /// Upsert the rows, or replace the directory's users with them.
    pub mode: Mode,
    /// Write the valid rows even when others are refused.
    pub partial: bool,
}

/// How a column's header reads as a field name: trimmed, lower-cased, spaces and hyphens as
/// underscores (`First Name` is `first_name`, `Cost Center` is `cost_center`).
fn field_name(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

impl Batch {
    /// Parses a CSV file of user records. The header row names each column: `external_id`
    /// (required), `email`, `username`, `first_name`, `last_name`, `job_title`,
    /// `manager_external_id`, `active` (`true`/`false`, `yes`/`no`, `1`/`0`; empty is active),
    /// `groups` (names separated by `;`), and any other column is a custom attribute of that
    /// name (`department`, `cost_center`, `location`, …). Empty cells are absent values. Each
    /// group named in `groups` is also a group record whose external id is its name. Rows are
    /// numbered from 0 after the header, as `users[N]` in the answer.
    pub fn from_csv(
        csv: &[u8],
        options: CsvOptions,
        max_records: usize,
    ) -> Result<Batch, BatchError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(csv);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|error| unreadable(&error))?
            .iter()
            .map(field_name)
            .collect();
        if !headers.iter().any(|header| header == "external_id") {
            return Err(BatchError::Invalid {
                param: "external_id".to_owned(),
                message:
                    "The CSV file needs an `external_id` column: the HR system's id of each person."
                        .to_owned(),
            });
        }
        let mut users = Vec::new();
        let mut group_names: BTreeSet<String> = BTreeSet::new();
        for row in reader.records() {
            let row = row.map_err(|error| unreadable(&error))?;
            let mut record = Map::new();
            let mut custom = Map::new();
            for (header, cell) in headers.iter().zip(row.iter()) {
                if cell.is_empty() {
                    continue;
                }
                let value = match header.as_str() {
                    "groups" => {
                        let names: Vec<&str> = cell
                            .split(GROUPS_SEPARATOR)
                            .map(str::trim)
                            .filter(|name| !name.is_empty())
                            .collect();
                        group_names.extend(names.iter().map(|name| (*name).to_owned()));
                        json!(names)
                    }
                    "active" => match cell.to_lowercase().as_str() {
                        "true" | "yes" | "1" => json!(true),
                        "false" | "no" | "0" => json!(false),
                        // Kept as text: the record's check names the field and the value.
                        _ => json!(cell),
                    },
                    "external_id"
                    | "email"
                    | "username"
                    | "first_name"
                    | "last_name"
                    | "job_title"
                    | "manager_external_id" => json!(cell),
                    _ => {
                        custom.insert(header.clone(), json!(cell));
                        continue;
                    }
                };
                record.insert(header.clone(), value);
            }
            if !custom.is_empty() {
                record.insert("custom_attributes".to_owned(), Value::Object(custom));
            }
            users.push(Value::Object(record));
        }
        let groups: Vec<Value> = dedupe_ignoring_case(group_names)
            .into_iter()
            .map(|name| json!({"external_id": name, "name": name}))
            .collect();
        Batch::from_value(
            json!({
                "dry_run": options.dry_run,
                "mode": options.mode.as_str(),
                "partial": options.partial,
                "groups": groups,
                "users": users,
            }),
            max_records,
        )
    }
}

/// One spelling per group: rows naming `Sales` and `sales` mean one group, as names compare
/// without case.
fn dedupe_ignoring_case(names: BTreeSet<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    names
        .into_iter()
        .filter(|name| seen.insert(roster_core::case_key(name)))
        .collect()
}

fn unreadable(error: &csv::Error) -> BatchError {
    BatchError::Invalid {
        param: "csv".to_owned(),
        message: format!("The CSV file cannot be read: {error}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::UserRecord;

    const OPTIONS: CsvOptions = CsvOptions {
        dry_run: true,
        mode: Mode::Upsert,
        partial: false,
    };

    #[test]
    fn rows_become_the_records_a_json_batch_would_hold() {
        let csv = "External ID,Email,First Name,Last Name,Job Title,Manager External ID,Groups,Active,Department,Location\n\
                   E1,ann@acme.com,Ann,Lee,Engineer,E0,Engineering; Everyone,yes,R&D,Berlin\n\
                   E2,bob@acme.com,Bob,,,,sales,no,,\n";
        let batch = Batch::from_csv(csv.as_bytes(), OPTIONS, 1000).unwrap();
        assert!(batch.dry_run);
        let json = Batch::parse(
            json!({"dry_run": true, "groups": [
                {"external_id": "Engineering", "name": "Engineering"},
                {"external_id": "Everyone", "name": "Everyone"},
                {"external_id": "sales", "name": "sales"}],
            "users": [
                {"external_id": "E1", "email": "ann@acme.com", "first_name": "Ann", "last_name": "Lee",
                 "job_title": "Engineer", "manager_external_id": "E0", "groups": ["Engineering", "Everyone"],
                 "active": true, "custom_attributes": {"department": "R&D", "location": "Berlin"}},
                {"external_id": "E2", "email": "bob@acme.com", "first_name": "Bob", "groups": ["sales"],
                 "active": false}]})
            .to_string()
            .as_bytes(),
            1000,
        )
        .unwrap();
        assert_eq!(batch, json);
    }

    #[test]
    fn a_bad_row_is_its_record_error_and_a_missing_key_column_refuses_the_file() {
        let csv = "external_id,email,active\nE1,ann@acme.com,maybe\nE2,bob@acme.com,\n";
        let batch = Batch::from_csv(csv.as_bytes(), OPTIONS, 1000).unwrap();
        assert_eq!(
            batch.users[0].clone().unwrap_err().field.as_deref(),
            Some("active")
        );
        let bob: UserRecord = batch.users[1].clone().unwrap();
        assert!(bob.active);
        assert!(matches!(
            Batch::from_csv(b"email\nann@acme.com\n", OPTIONS, 1000),
            Err(BatchError::Invalid { param, .. }) if param == "external_id"
        ));
        assert!(matches!(
            Batch::from_csv(b"external_id\nE1\nE2\nE3\n", OPTIONS, 2),
            Err(BatchError::TooLarge { records: 3, max: 2 })
        ));
    }
}
