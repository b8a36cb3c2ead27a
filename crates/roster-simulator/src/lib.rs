//! An identity provider over HTTP. Given a SCIM base URL and a bearer token, it pushes
//! generated people and groups the way Okta (OIN SCIM 2.0 and custom AIW apps), Okta's SCIM
//! 1.1 header-auth apps and Microsoft Entra ID do — test the credentials, look users up,
//! create, update, push groups, change memberships, rename, deactivate — and returns a summary:
//! every answer by method and status, the answers the provider would have rejected, and what
//! the directory should hold afterwards. It works against any SCIM server, so it doubles as a
//! conformance smoke test; `roster simulate` and `roster demo` run it against Roster.
//!
//! ```no_run
//! # async fn example() -> Result<(), roster_simulator::SimulatorError> {
//! use roster_simulator::{Options, Provider, Target};
//! let target = Target {
//!     scim_base_url: "http://127.0.0.1:8080/scim/v2/directory_01…".into(),
//!     token: "roster_scim_…".into(),
//! };
//! let options = Options { provider: Provider::Entra, users: 20, ..Options::default() };
//! let summary = roster_simulator::run(&target, &options, &|_| {}).await?;
//! assert!(summary.failures.is_empty());
//! # Ok(())
//! # }
//! ```

mod client;
mod dialect;
mod people;
mod plan;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

pub use client::Failure;
use client::Scim;
use dialect::Member;
use plan::Plan;
pub use plan::{Expected, ExpectedGroup, ExpectedUser};

/// The identity provider to act as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Provider {
    /// An Okta OIN SCIM 2.0 app: lookups by `userName`, GET + PUT updates, PATCH deactivation,
    /// group push with PATCH membership changes.
    #[serde(rename = "okta")]
    Okta,
    /// An Okta custom (AIW) SCIM 2.0 app: PUT for every change, full member lists.
    #[serde(rename = "okta-aiw")]
    OktaAiw,
    /// Microsoft Entra ID: `externalId` lookups, capitalised PATCH operations, `"False"`.
    #[serde(rename = "entra")]
    Entra,
    /// An Okta SCIM 1.1 header-auth app: partial-resource PATCH, `"operation":"delete"`.
    #[serde(rename = "okta-1.1")]
    Okta11,
}

impl Provider {
    /// Every provider, in the order the CLI lists them.
    pub const ALL: [Provider; 4] = [
        Provider::Okta,
        Provider::OktaAiw,
        Provider::Entra,
        Provider::Okta11,
    ];

    /// The name the CLI takes: `okta`, `okta-aiw`, `entra`, `okta-1.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Okta => "okta",
            Provider::OktaAiw => "okta-aiw",
            Provider::Entra => "entra",
            Provider::Okta11 => "okta-1.1",
        }
    }

    /// The SCIM version it speaks, as Roster's base URLs write it (`v2`, `v1.1`).
    pub fn scim_path_segment(self) -> &'static str {
        match self {
            Provider::Okta11 => "v1.1",
            _ => "v2",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Provider::Entra => "application/scim+json",
            _ => "application/json; charset=utf-8",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is not one of [`Provider::ALL`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown provider `{0}`; expected okta, okta-aiw, entra or okta-1.1")]
pub struct UnknownProvider(String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| UnknownProvider(value.to_owned()))
    }
}

/// What to push.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which identity provider to act as.
    pub provider: Provider,
    /// People to assign.
    pub users: usize,
    /// Groups to push.
    pub groups: usize,
    /// Members each group keeps (one more is added and removed again when there is one).
    pub members_per_group: usize,
    /// The share of users deactivated at the end, in percent (rounded up).
    pub deactivate_percent: u8,
    /// Rename every group after pushing it.
    pub rename: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The same seed gives the same people, groups and choices.
    pub seed: u64,
    /// The email domain.
    pub domain: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            provider: Provider::Okta,
            users: 10,
            groups: 2,
            members_per_group: 3,
            deactivate_percent: 10,
            rename: false,
            concurrency: 4,
            seed: 1,
            domain: "example.com".to_owned(),
        }
    }
}

/// The SCIM server to push to.
#[derive(Debug, Clone)]
pub struct Target {
    /// The directory's SCIM base URL (`…/scim/v2/directory_…`).
    pub scim_base_url: String,
    /// Its bearer token.
    pub token: String,
}

/// How far a run is, reported after every step.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The phase: `connect`, `users`, `updates`, `groups`, `removals`, `renames`,
    /// `deactivations`.
    pub phase: &'static str,
    /// Steps of this phase done.
    pub done: usize,
    /// Steps in this phase.
    pub total: usize,
}

/// Why a run could not start (answers the provider would reject are in [`Summary::failures`]).
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The options make no sense.
    #[error("{0}")]
    Options(String),
}

/// What each step did, counted as it succeeded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Operations {
    /// Users created (`POST /Users`).
    pub users_created: usize,
    /// Users found already (from an earlier run) and brought up to date instead.
    pub users_linked: usize,
    /// Profile changes sent.
    pub users_updated: usize,
    /// Users deactivated.
    pub users_deactivated: usize,
    /// Groups pushed.
    pub groups_pushed: usize,
    /// Members added.
    pub members_added: usize,
    /// Members removed again.
    pub members_removed: usize,
    /// Groups renamed.
    pub groups_renamed: usize,
}

/// Requests sent, by answer.
#[derive(Debug, Clone, Serialize)]
pub struct Requests {
    /// All requests.
    pub total: u64,
    /// Method → status (or `error` when there was no answer) → count.
    pub by_method: BTreeMap<String, BTreeMap<String, u64>>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The provider acted as.
    pub provider: Provider,
    /// Where it pushed to.
    pub scim_base_url: String,
    /// The seed used.
    pub seed: u64,
    /// Wall time of the whole run.
    pub duration_ms: u64,
    /// Every request by method and status.
    pub requests: Requests,
    /// What succeeded.
    pub operations: Operations,
    /// Answers the provider would not have accepted (empty when everything worked).
    pub failures: Vec<Failure>,
    /// What the directory should hold now, if it was empty before.
    pub expected: Expected,
}

impl Summary {
    /// Whether every request got an answer the provider accepts.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs `items` through `step`, `concurrency` at a time, reporting progress; results come back
/// in the order of `items`.
async fn each<T, R, F, Fut>(
    phase: &'static str,
    items: Vec<T>,
    concurrency: usize,
    progress: &(dyn Fn(Progress) + Sync),
    step: F,
) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = R>,
{
    let total = items.len();
    progress(Progress {
        phase,
        done: 0,
        total,
    });
    let mut done = 0;
    let mut results: Vec<(usize, R)> = stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| {
            let future = step(item);
            async move { (index, future.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .inspect(|_| {
            done += 1;
            progress(Progress { phase, done, total });
        })
        .collect()
        .await;
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Pushes the generated directory to `target` as `options.provider` would, reporting progress
/// after every step, and returns the summary. Unexpected answers do not stop the run: they are
/// listed in [`Summary::failures`], and what depended on them is skipped.
pub async fn run(
    target: &Target,
    options: &Options,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Summary, SimulatorError> {
    if options.deactivate_percent > 100 {
        return Err(SimulatorError::Options(
            "the share to deactivate is a percentage from 0 to 100".to_owned(),
        ));
    }
    let started = Instant::now();
    let provider = options.provider;
    let scim = Scim::new(
        &target.scim_base_url,
        &target.token,
        provider.content_type(),
        &format!("roster-simulator ({provider})"),
    )?;
    let plan = Plan::new(options);
    let concurrency = options.concurrency;
    let mut operations = Operations::default();

    let probe = format!("roster-simulator-probe-{}", options.seed);
    let connected = each("connect", vec![()], 1, progress, |()| {
        provider.connect(&scim, &probe)
    })
    .await;
    let plan = &plan;
    let scim = &scim;
    let summary = |operations, user_ids: &[Option<String>], group_ids: &[Option<String>]| {
        let by_method = scim.counts();
        Summary {
            provider,
            scim_base_url: target.scim_base_url.clone(),
            seed: options.seed,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            requests: Requests {
                total: by_method.values().flat_map(BTreeMap::values).sum(),
                by_method,
            },
            operations,
            failures: scim.failures(),
            expected: plan.expected(user_ids, group_ids),
        }
    };
    // An identity provider whose connection test fails cannot be set up: it sends nothing else.
    if connected.iter().any(Option::is_none) {
        return Ok(summary(Operations::default(), &[], &[]));
    }

    let provisioned = each(
        "users",
        (0..plan.people.len()).collect(),
        concurrency,
        progress,
        |index| async move {
            let manager = plan.people[index]
                .manager
                .map(|manager| &plan.people[manager]);
            provider
                .provision_user(scim, &plan.people[index], manager)
                .await
        },
    )
    .await;
    let user_ids: Vec<Option<String>> = provisioned
        .iter()
        .map(|user| user.as_ref().map(|user| user.id.clone()))
        .collect();
    operations.users_created = provisioned.iter().flatten().filter(|u| u.created).count();
    operations.users_linked = provisioned.iter().flatten().filter(|u| !u.created).count();
    let user_ids = &user_ids;
    let member = |index: usize| {
        user_ids[index].as_ref().map(|id| Member {
            id: id.clone(),
            display: plan.people[index].display_name(),
        })
    };

    let updates = each(
        "updates",
        plan.updates.iter().collect(),
        concurrency,
        progress,
        |(index, person)| async move {
            let id = user_ids[*index].as_deref()?;
            provider.update_user(scim, id, person, false).await
        },
    )
    .await;
    operations.users_updated = updates.iter().flatten().count();

    let group_ids = each(
        "groups",
        plan.groups.iter().collect(),
        concurrency,
        progress,
        |group| async move {
            let members: Vec<Member> = group
                .members
                .iter()
                .chain(&group.transient)
                .filter_map(|&index| member(index))
                .collect();
            let id = provider
                .push_group(scim, &group.name, &group.object_id, &members)
                .await?;
            Some((id, members.len()))
        },
    )
    .await;
    operations.groups_pushed = group_ids.iter().flatten().count();
    operations.members_added = group_ids.iter().flatten().map(|(_, added)| added).sum();
    let group_ids: Vec<Option<String>> = group_ids
        .into_iter()
        .map(|group| group.map(|(id, _)| id))
        .collect();
    let pushed: Vec<(&plan::GroupPlan, &String)> = plan
        .groups
        .iter()
        .zip(&group_ids)
        .filter_map(|(group, id)| Some((group, id.as_ref()?)))
        .collect();

    let removals = each(
        "removals",
        pushed
            .iter()
            .filter_map(|(group, id)| Some((*group, *id, member(group.transient?)?)))
            .collect(),
        concurrency,
        progress,
        |(group, id, member)| async move {
            provider.remove_member(scim, id, &group.name, &member).await
        },
    )
    .await;
    operations.members_removed = removals.iter().flatten().count();

    let renames = each(
        "renames",
        pushed
            .iter()
            .filter_map(|(group, id)| Some((*id, group.renamed.as_ref()?)))
            .collect(),
        concurrency,
        progress,
        |(id, name)| provider.rename_group(scim, id, name),
    )
    .await;
    operations.groups_renamed = renames.iter().flatten().count();

    let deactivations = each(
        "deactivations",
        plan.deactivations
            .iter()
            .filter_map(|&index| user_ids[index].as_deref())
            .collect(),
        concurrency,
        progress,
        |id| provider.deactivate_user(scim, id),
    )
    .await;
    operations.users_deactivated = deactivations.iter().flatten().count();

    Ok(summary(operations, user_ids, &group_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>().unwrap(), provider);
            assert_eq!(
                serde_json::to_value(provider).unwrap(),
                serde_json::json!(provider.as_str())
            );
        }
        assert!("onelogin".parse::<Provider>().is_err());
    }
}
