//! `roster-bench`: starts a Roster (`roster serve`) on a database, drives it over HTTP the way
//! Okta and Entra do, measures the machine's ceilings with the same client, and prints a table
//! (plus a JSON file) for docs/benchmarks.md. `--size quick` runs every scenario once at a tiny
//! size, which is what CI does to prove the scenarios work; it asserts nothing about speed.

mod bulk;
mod ceiling;
mod load;
mod noisy;
mod receiver;
mod roster;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

use crate::load::status;
use crate::roster::{Directory, Roster};
use crate::stats::Summary;

#[derive(Debug, Parser)]
#[command(name = "roster-bench")]
struct Args {
    /// The `roster` binary to measure (build it with --release for real figures).
    #[arg(long, default_value = "target/release/roster")]
    roster: PathBuf,
    /// Database: a PostgreSQL URL, or omitted for a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// How big a run.
    #[arg(long, value_enum, default_value_t = Size::Standard)]
    size: Size,
    /// Which scenarios to run after the ceilings.
    #[arg(long, value_enum, default_value_t = Scenarios::All)]
    scenarios: Scenarios,
    /// Where to write the results as JSON.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Size {
    /// Every scenario once at a tiny size (CI).
    Quick,
    /// The sizes docs/benchmarks.md reports.
    Standard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenarios {
    /// Every scenario.
    All,
    /// The SCIM and management-API scenarios (1 to 7).
    Scim,
    /// The bulk API scenario (8).
    Bulk,
    /// The noisy-tenant scenario (9), on a server with a per-directory rate limit.
    NoisyTenant,
    /// The webhook latency scenario (6) alone, on a fresh database.
    Webhooks,
}

struct Sizes {
    create: usize,
    lookup_directories: Vec<usize>,
    lookups: usize,
    burst: usize,
    members: usize,
    ceiling: usize,
    latency_writes: usize,
    latency_rate: usize,
    bulk_batches: usize,
    bulk_records: usize,
    noisy_seconds: usize,
}

impl Size {
    fn sizes(self) -> Sizes {
        match self {
            Size::Quick => Sizes {
                create: 100,
                lookup_directories: vec![50, 200],
                lookups: 100,
                burst: 100,
                members: 200,
                ceiling: 200,
                latency_writes: 50,
                latency_rate: 50,
                bulk_batches: 3,
                bulk_records: 100,
                noisy_seconds: 2,
            },
            Size::Standard => Sizes {
                create: 10_000,
                lookup_directories: vec![1_000, 100_000],
                lookups: 5_000,
                burst: 10_000,
                members: 10_000,
                ceiling: 20_000,
                latency_writes: 2_000,
                latency_rate: 200,
                bulk_batches: 20,
                bulk_records: 1_000,
                noisy_seconds: 10,
            },
        }
    }
}

fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Bench", "familyName": "User"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": "Bench User",
        "externalId": format!("00u{user_name}"),
        "groups": [],
        "password": "not-stored-1!",
        "active": true
    })
}

struct Bench {
    client: reqwest::Client,
    results: Vec<Summary>,
    notes: Vec<Value>,
}

impl Bench {
    /// A `userName eq` filter lookup, as Okta makes before pushing a user, that must find
    /// exactly one: its status and whether it did.
    fn look_up(
        &self,
        directory: &Directory,
        user_name: &str,
    ) -> impl std::future::Future<Output = (u16, bool)> + use<> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/Users", directory.scim),
            &[
                ("filter", format!("userName eq \"{user_name}\"").as_str()),
                ("startIndex", "1"),
                ("count", "100"),
            ],
        );
        let request = url.map(|url| self.client.get(url).bearer_auth(&directory.token).send());
        async move {
            let Ok(request) = request else {
                return (0, false);
            };
            let response = request.await;
            let code = status(&response);
            let found = match response {
                Ok(response) => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|body| body["totalResults"] == 1),
                Err(_) => false,
            };
            (code, code == 200 && found)
        }
    }

    fn record(&mut self, summary: Summary) {
        println!("{}", summary.row());
        self.results.push(summary);
    }

    /// Creates `count` users in `directory`, `concurrency` at a time; returns their ids.
    async fn create_users(
        &mut self,
        scenario: &str,
        directory: &Directory,
        prefix: &str,
        count: usize,
        concurrency: usize,
    ) -> Vec<String> {
        let ids = std::sync::Mutex::new(Vec::with_capacity(count));
        let summary = load::run(scenario, count, concurrency, |index| {
            let request = self
                .client
                .post(format!("{}/Users", directory.scim))
                .bearer_auth(&directory.token)
                .header("content-type", "application/scim+json")
                .body(okta_user(&format!("{prefix}{index}@bench.example")).to_string())
                .send();
            let ids = &ids;
            async move {
                let response = request.await;
                let code = status(&response);
                if let Ok(response) = response
                    && let Ok(body) = response.json::<Value>().await
                    && let Some(id) = body["id"].as_str()
                    && let Ok(mut ids) = ids.lock()
                {
                    ids.push(id.to_owned());
                }
                (code, code == 201)
            }
        })
        .await;
        self.record(summary);
        ids.into_inner().unwrap_or_default()
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("roster-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    roster_events::install_crypto_provider();
    let sizes = args.size.sizes();
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (database_url, backend) = match &args.database_url {
        Some(url) => (url.clone(), "postgres"),
        None => (
            format!("sqlite://{}", scratch.path().join("roster.db").display()),
            "sqlite",
        ),
    };
    let ceiling_database = match &args.database_url {
        Some(url) => url.clone(),
        None => scratch.path().join("ceiling.db").display().to_string(),
    };
    println!(
        "roster-bench: {} on {backend}, size {:?}\n",
        args.roster.display(),
        args.size
    );
    println!("{}", Summary::header());
    let mut bench = Bench {
        client: reqwest::Client::new(),
        results: Vec::new(),
        notes: Vec::new(),
    };

    // The machine's ceilings, with the same client and concurrency as the SCIM scenarios.
    let ceiling = ceiling::start(&ceiling_database, 2)?;
    let summary = load::run("ceiling: bare actix-web handler", sizes.ceiling, 16, |_| {
        let request = bench.client.get(format!("{}/", ceiling.base)).send();
        async move {
            let code = status(&request.await);
            (code, code == 200)
        }
    })
    .await;
    bench.record(summary);
    let summary = load::run(
        &format!("ceiling: one INSERT per request ({backend})"),
        sizes.ceiling / 4,
        16,
        |_| {
            let request = bench.client.post(format!("{}/insert", ceiling.base)).send();
            async move {
                let code = status(&request.await);
                (code, code == 201)
            }
        },
    )
    .await;
    bench.record(summary);
    ceiling.stop().await;

    if args.scenarios == Scenarios::NoisyTenant {
        noisy_tenant(&mut bench, &args, &database_url, &sizes).await?;
        return finish(&bench, backend, &args);
    }
    let roster = Roster::start(args.roster.clone(), database_url.clone()).await?;
    if let Some(rss) = roster.rss_mib() {
        bench
            .notes
            .push(json!({"measure": "idle RSS (MiB)", "value": rss}));
    }
    if args.scenarios == Scenarios::Bulk {
        bulk::run(&mut bench, &roster, &sizes).await?;
        return finish(&bench, backend, &args);
    }
    if args.scenarios == Scenarios::Webhooks {
        webhook_latency(&mut bench, &roster, &sizes).await?;
        return finish(&bench, backend, &args);
    }

    // 1. Okta-shaped user creation.
    let created_in = roster.directory("create")?;
    let created = bench
        .create_users(
            "1. create users (POST /Users)",
            &created_in,
            "user",
            sizes.create,
            16,
        )
        .await;

    // 2. userName lookups in directories of growing size.
    for size in &sizes.lookup_directories {
        let directory = roster.directory(&format!("lookup-{size}"))?;
        let started = Instant::now();
        bench
            .create_users(
                &format!("   seed {size} users for lookups"),
                &directory,
                "person",
                *size,
                32,
            )
            .await;
        bench.notes.push(json!({"measure": format!("seeding {size} users (s)"), "value": started.elapsed().as_secs_f64()}));
        let summary = load::run(
            &format!("2. filter userName eq, directory of {size}"),
            sizes.lookups,
            16,
            |index| {
                bench.look_up(
                    &directory,
                    &format!("person{}@bench.example", (index * 7919) % size),
                )
            },
        )
        .await;
        bench.record(summary);

        // 4. Okta import: page through the whole directory, 100 at a time.
        let pages = size.div_ceil(100);
        let summary = load::run(
            &format!("4. import paging, directory of {size}"),
            pages,
            1,
            |page| {
                let request = bench
                    .client
                    .get(format!(
                        "{}/Users?startIndex={}&count=100",
                        directory.scim,
                        page * 100 + 1
                    ))
                    .bearer_auth(&directory.token)
                    .send();
                async move {
                    let code = status(&request.await);
                    (code, code == 200)
                }
            },
        )
        .await;
        bench.record(summary);
        for page in [1, pages] {
            let sent = Instant::now();
            let _ = bench
                .client
                .get(format!(
                    "{}/Users?startIndex={}&count=100",
                    directory.scim,
                    (page - 1) * 100 + 1
                ))
                .bearer_auth(&directory.token)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .bytes()
                .await;
            bench.notes.push(json!({"measure": format!("import page {page} of {pages}, directory of {size} (ms)"), "value": sent.elapsed().as_secs_f64() * 1000.0}));
        }
    }

    // 3. The midnight deactivation burst, as a vendor who expects it runs it: with the
    // mass-deprovisioning guard off, so that every event is delivered rather than held.
    roster.cli(&[
        "directory",
        "update",
        &created_in.id,
        "--deprovisioning-guard",
        "off",
    ])?;
    let burst_ids = &created[..created.len().min(sizes.burst)];
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}).to_string();
    let summary = load::run(
        "3. deactivation burst (PATCH active=false)",
        burst_ids.len(),
        64,
        |index| {
            let request = bench
                .client
                .patch(format!("{}/Users/{}", created_in.scim, burst_ids[index]))
                .bearer_auth(&created_in.token)
                .header("content-type", "application/scim+json")
                .body(deactivate.clone())
                .send();
            async move {
                let code = status(&request.await);
                (code, code == 200)
            }
        },
    )
    .await;
    bench.record(summary);
    if let Some(rss) = roster.rss_mib() {
        bench
            .notes
            .push(json!({"measure": "RSS after the burst (MiB)", "value": rss}));
    }

    // 5. Group push: one group, members added in PATCHes of 100, 16 at a time.
    let group: Value = bench
        .client
        .post(format!("{}/Groups", created_in.scim))
        .bearer_auth(&created_in.token)
        .header("content-type", "application/scim+json")
        .body(json!({"displayName": "Everyone", "members": []}).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let group_id = group["id"].as_str().unwrap_or_default().to_owned();
    let members = &created[..created.len().min(sizes.members)];
    let batches: Vec<&[String]> = members.chunks(100).collect();
    let summary = load::run(
        &format!("5. group push, {} members in PATCHes of 100", members.len()),
        batches.len(),
        16,
        |index| {
            let values: Vec<Value> = batches[index]
                .iter()
                .map(|id| json!({"value": id}))
                .collect();
            let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": values}]});
            let request = bench
                .client
                .patch(format!("{}/Groups/{group_id}", created_in.scim))
                .bearer_auth(&created_in.token)
                .header("content-type", "application/scim+json")
                .body(body.to_string())
                .send();
            async move {
                let code = status(&request.await);
                (code, code == 204)
            }
        },
    )
    .await;
    bench.record(summary);

    webhook_latency(&mut bench, &roster, &sizes).await?;

    // 7. Management API: walk the users and the events page by page.
    let key = roster.cli(&["api-key", "create", "--name", "bench"])?;
    let key = key["secret"].as_str().unwrap_or_default().to_owned();
    for (label, path) in [
        (
            "directory users",
            format!("/directory_users?directory={}", created_in.id),
        ),
        ("events", "/events".to_owned()),
    ] {
        let started = Instant::now();
        let mut samples = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let cursor = after
                .as_ref()
                .map(|id| format!("&after={id}"))
                .unwrap_or_default();
            let separator = if path.contains('?') { '&' } else { '?' };
            let sent = Instant::now();
            let response = bench
                .client
                .get(format!("{}{path}{separator}limit=100{cursor}", roster.base))
                .bearer_auth(&key)
                .send()
                .await;
            let code = status(&response);
            let body: Value = match response {
                Ok(response) => response.json().await.unwrap_or(Value::Null),
                Err(_) => Value::Null,
            };
            samples.push((sent.elapsed(), code, code == 200));
            match body["list_metadata"]["after"].as_str() {
                Some(next) if code == 200 => after = Some(next.to_owned()),
                _ => break,
            }
        }
        bench.record(Summary::new(
            &format!("7. management API: page through {label}"),
            1,
            started.elapsed(),
            samples,
        ));
    }

    if args.scenarios == Scenarios::All {
        bulk::run(&mut bench, &roster, &sizes).await?;
    }

    // Cold start on the data just written.
    drop(roster);
    let started = Instant::now();
    let restarted = Roster::start(args.roster.clone(), database_url.clone()).await?;
    bench.notes.push(json!({"measure": "cold start to ready with this data (ms)", "value": started.elapsed().as_secs_f64() * 1000.0}));
    drop(restarted);
    if args.scenarios == Scenarios::All {
        noisy_tenant(&mut bench, &args, &database_url, &sizes).await?;
    }

    finish(&bench, backend, &args)
}

/// 6. End to end: SCIM write to signed webhook received, at a steady rate.
async fn webhook_latency(bench: &mut Bench, roster: &Roster, sizes: &Sizes) -> Result<(), String> {
    let receiver = receiver::Receiver::start()?;
    roster.cli(&[
        "webhook",
        "create",
        "--url",
        &receiver.url,
        "--events",
        "dsync.user.created",
    ])?;
    let latency_in = roster.directory("latency")?;
    let sent_at = std::sync::Mutex::new(Vec::with_capacity(sizes.latency_writes));
    let pace = std::time::Duration::from_secs(1) / u32::try_from(sizes.latency_rate).unwrap_or(200);
    let started = Instant::now();
    let writes = load::run(
        "6. SCIM writes for webhook latency",
        sizes.latency_writes,
        64,
        |index| {
            let due = started + pace * u32::try_from(index).unwrap_or(u32::MAX);
            let request = bench
                .client
                .post(format!("{}/Users", latency_in.scim))
                .bearer_auth(&latency_in.token)
                .header("content-type", "application/scim+json")
                .body(okta_user(&format!("steady{index}@bench.example")).to_string());
            let sent_at = &sent_at;
            async move {
                tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
                let sent = Instant::now();
                let response = request.send().await;
                let code = status(&response);
                if let Ok(response) = response
                    && let Ok(body) = response.json::<Value>().await
                    && let Some(id) = body["id"].as_str()
                    && let Ok(mut sent_at) = sent_at.lock()
                {
                    sent_at.push((id.to_owned(), sent));
                }
                (code, code == 201)
            }
        },
    )
    .await;
    bench.record(writes);
    let sent_at = sent_at.into_inner().unwrap_or_default();
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while Instant::now() < deadline
        && receiver
            .arrivals
            .lock()
            .map(|arrived| arrived.len())
            .unwrap_or(0)
            < sent_at.len()
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let arrivals = receiver
        .arrivals
        .lock()
        .map(|arrived| arrived.clone())
        .unwrap_or_default();
    let samples: Vec<(std::time::Duration, u16, bool)> = sent_at
        .iter()
        .map(|(id, sent)| match arrivals.get(id) {
            Some(arrived) => (arrived.saturating_duration_since(*sent), 200, true),
            None => (std::time::Duration::from_secs(30), 0, false),
        })
        .collect();
    bench.record(Summary::new(
        &format!("6. SCIM write → webhook received, {}/s", sizes.latency_rate),
        1,
        started.elapsed(),
        samples,
    ));
    receiver.stop().await;
    Ok(())
}

/// Scenario 9 on its own server: the others run without rate limits, this one is about them.
async fn noisy_tenant(
    bench: &mut Bench,
    args: &Args,
    database_url: &str,
    sizes: &Sizes,
) -> Result<(), String> {
    let limited = Roster::start_with_scim_rate_limit(
        args.roster.clone(),
        database_url.to_owned(),
        noisy::RATE_LIMIT,
    )
    .await?;
    noisy::run(bench, &limited, sizes).await
}

/// Prints the notes, writes the JSON report, and fails if any request did.
fn finish(bench: &Bench, backend: &str, args: &Args) -> Result<(), String> {
    println!();
    for note in &bench.notes {
        println!(
            "- {}: {:.1}",
            note["measure"].as_str().unwrap_or_default(),
            note["value"].as_f64().unwrap_or_default()
        );
    }
    if let Some(path) = &args.output {
        let report = json!({"backend": backend, "size": format!("{:?}", args.size), "results": bench.results, "notes": bench.notes});
        std::fs::write(
            path,
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
    }
    let failed: usize = bench
        .results
        .iter()
        .map(|summary| summary.errors.values().sum::<usize>())
        .sum();
    if failed > 0 {
        return Err(format!("{failed} requests failed"));
    }
    Ok(())
}
