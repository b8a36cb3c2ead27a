//! Scenario 8: the bulk API as an HR system drives it. Batches of `records` records (ten
//! groups, the rest users, each in one group) go to one custom API directory, one after
//! another, as a nightly export would: first creating everyone, then the same batches again
//! (everything unchanged: nothing written), then each batch with every user's job title
//! changed. A batch's records are its unit of work, so each row's figure is also given in
//! records per second.

use serde_json::{Value, json};

use crate::load::{self, status};
use crate::roster::Roster;
use crate::{Bench, Sizes};

const GROUPS: usize = 10;

/// One batch: the ten groups and `records - 10` users, numbered on from `batch`'s first.
fn batch(batch: usize, records: usize, job_title: &str) -> String {
    let users_per_batch = records.saturating_sub(GROUPS);
    let groups: Vec<Value> = (0..GROUPS)
        .map(|group| json!({"external_id": format!("G{group}"), "name": format!("Team {group}")}))
        .collect();
    let users: Vec<Value> = (0..users_per_batch)
        .map(|offset| {
            let index = batch * users_per_batch + offset;
            json!({
                "external_id": format!("E{index:07}"),
                "email": format!("employee{index}@bench.example"),
                "first_name": "Bench",
                "last_name": format!("Employee {index}"),
                "job_title": job_title,
                "manager_external_id": format!("M{}", index % 50),
                "groups": [format!("Team {}", index % GROUPS)],
                "custom_attributes": {"department": format!("Department {}", index % 7),
                    "cost_center": 4100 + index % 13, "location": "Berlin"},
            })
        })
        .collect();
    json!({"groups": groups, "users": users}).to_string()
}

/// Runs the scenario's three passes and records each.
pub(crate) async fn run(bench: &mut Bench, roster: &Roster, sizes: &Sizes) -> Result<(), String> {
    let directory = roster.directory_of_type("bulk", "custom")?;
    let url = format!("{}/bulk", directory.bulk);
    let passes = [
        ("create", "Engineer", "created"),
        ("same batches again", "Engineer", "unchanged"),
        ("every job title changed", "Staff Engineer", "updated"),
    ];
    for (label, job_title, outcome) in passes {
        let bodies: Vec<String> = (0..sizes.bulk_batches)
            .map(|index| batch(index, sizes.bulk_records, job_title))
            .collect();
        let users_per_batch = sizes.bulk_records.saturating_sub(GROUPS);
        // The groups are created by the first batch and unchanged afterwards.
        let expected = |index: usize| match outcome {
            "created" if index > 0 => users_per_batch,
            "created" => sizes.bulk_records,
            "updated" => users_per_batch,
            _ => sizes.bulk_records,
        };
        // One client: a directory's batches apply one after another anyway (its write lock).
        let summary = load::run(
            &format!("8. bulk: {label}, {} records a batch", sizes.bulk_records),
            bodies.len(),
            1,
            |index| {
                let request = bench
                    .client
                    .post(&url)
                    .bearer_auth(&directory.token)
                    .header("content-type", "application/json")
                    .body(bodies[index].clone())
                    .send();
                async move {
                    let response = request.await;
                    let code = status(&response);
                    let counted = match response {
                        Ok(response) => response
                            .json::<Value>()
                            .await
                            .ok()
                            .and_then(|answer| answer["totals"][outcome].as_u64()),
                        Err(_) => None,
                    };
                    let as_expected = counted
                        .and_then(|counted| usize::try_from(counted).ok())
                        .is_some_and(|counted| counted == expected(index));
                    (code, code == 200 && as_expected)
                }
            },
        )
        .await;
        let records_per_second =
            (summary.requests * sizes.bulk_records) as f64 / summary.seconds.max(f64::EPSILON);
        bench.notes.push(json!({
            "measure": format!("8. bulk {label}: records per second"),
            "value": records_per_second,
        }));
        bench.record(summary);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_holds_the_groups_and_its_own_users() {
        let body: Value = serde_json::from_str(&batch(2, 100, "Engineer")).unwrap_or_default();
        assert_eq!(body["groups"].as_array().map(Vec::len), Some(GROUPS));
        assert_eq!(body["users"].as_array().map(Vec::len), Some(90));
        assert_eq!(body["users"][0]["external_id"], "E0000180");
        assert_eq!(body["users"][0]["groups"], json!(["Team 0"]));
    }
}
