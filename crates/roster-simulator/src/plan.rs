//! What a run will do, decided up front from the options and the seed, and what the directory
//! should hold once it is done.

use serde::Serialize;

use crate::Options;
use crate::people::{self, Person, Rng};

/// One group the identity provider pushes.
#[derive(Debug, Clone)]
pub(crate) struct GroupPlan {
    pub(crate) name: String,
    /// Its name after the rename, when the run renames groups.
    pub(crate) renamed: Option<String>,
    /// Indexes of the people who stay members.
    pub(crate) members: Vec<usize>,
    /// Someone added with the others and removed again (an assignment undone), when there is
    /// anyone left to pick.
    pub(crate) transient: Option<usize>,
    /// Entra's object id for the group.
    pub(crate) object_id: String,
}

/// The whole run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Everyone, as first provisioned.
    pub(crate) people: Vec<Person>,
    /// Profile changes: whose, and the profile afterwards.
    pub(crate) updates: Vec<(usize, Person)>,
    pub(crate) groups: Vec<GroupPlan>,
    /// Who is deactivated at the end.
    pub(crate) deactivations: Vec<usize>,
}

/// One in five people gets a profile change: enough to see updates, few enough to read.
const UPDATE_EVERY: usize = 5;

impl Plan {
    pub(crate) fn new(options: &Options) -> Plan {
        let mut rng = Rng::new(options.seed);
        let people = people::people(&mut rng, options.users, &options.domain);
        let count = people.len();
        let mut updates: Vec<(usize, Person)> = rng
            .sample(count, count.div_ceil(UPDATE_EVERY))
            .into_iter()
            .map(|index| (index, people::updated(&mut rng, &people[index])))
            .collect();
        updates.sort_by_key(|(index, _)| *index);
        let groups = (0..options.groups)
            .map(|index| {
                let name = people::group_name(index);
                let mut chosen = rng.sample(count, options.members_per_group.saturating_add(1));
                let transient = (chosen.len() > options.members_per_group)
                    .then(|| chosen.pop())
                    .flatten();
                chosen.sort_unstable();
                GroupPlan {
                    renamed: options.rename.then(|| format!("{name} (renamed)")),
                    name,
                    members: chosen,
                    transient,
                    object_id: people::guid(&mut rng),
                }
            })
            .collect();
        let deactivate = (count * usize::from(options.deactivate_percent.min(100))).div_ceil(100);
        let mut deactivations = rng.sample(count, deactivate);
        deactivations.sort_unstable();
        Plan {
            people,
            updates,
            groups,
            deactivations,
        }
    }

    /// A person's profile at the end of the run.
    pub(crate) fn final_person(&self, index: usize) -> &Person {
        self.updates
            .iter()
            .find(|(updated, _)| *updated == index)
            .map_or(&self.people[index], |(_, person)| person)
    }

    /// What the directory should hold afterwards, with the ids the server gave out.
    pub(crate) fn expected(
        &self,
        user_ids: &[Option<String>],
        group_ids: &[Option<String>],
    ) -> Expected {
        let users: Vec<ExpectedUser> = (0..self.people.len())
            .map(|index| {
                let person = self.final_person(index);
                ExpectedUser {
                    id: user_ids.get(index).cloned().flatten(),
                    user_name: person.email.clone(),
                    given_name: person.given_name.clone(),
                    family_name: person.family_name.clone(),
                    email: person.email.clone(),
                    title: person.title.clone(),
                    department: person.department.clone(),
                    employee_number: person.employee_number.clone(),
                    manager: person
                        .manager
                        .map(|manager| self.people[manager].email.clone()),
                    active: !self.deactivations.contains(&index),
                }
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .enumerate()
            .map(|(index, group)| ExpectedGroup {
                id: group_ids.get(index).cloned().flatten(),
                display_name: group.renamed.clone().unwrap_or_else(|| group.name.clone()),
                members: group
                    .members
                    .iter()
                    .map(|&member| self.people[member].email.clone())
                    .collect(),
            })
            .collect();
        Expected {
            active_users: users.iter().filter(|user| user.active).count(),
            inactive_users: users.iter().filter(|user| !user.active).count(),
            users,
            groups,
        }
    }
}

/// What the directory should contain after a run on an empty directory.
#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    /// Users that should be `active`.
    pub active_users: usize,
    /// Users that should be deactivated (and still readable).
    pub inactive_users: usize,
    /// Every user, in the order they were generated.
    pub users: Vec<ExpectedUser>,
    /// Every group.
    pub groups: Vec<ExpectedGroup>,
}

/// A user as the directory should hold it.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedUser {
    /// The SCIM id the server gave it (absent if its creation failed).
    pub id: Option<String>,
    /// `userName` (the work email).
    pub user_name: String,
    /// `name.givenName`.
    pub given_name: String,
    /// `name.familyName`, after any profile change.
    pub family_name: String,
    /// The primary work email.
    pub email: String,
    /// `title`, after any promotion.
    pub title: String,
    /// The enterprise extension's `department`.
    pub department: String,
    /// The enterprise extension's `employeeNumber`.
    pub employee_number: String,
    /// The manager's `userName`.
    pub manager: Option<String>,
    /// Whether it should be active.
    pub active: bool,
}

/// A group as the directory should hold it.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedGroup {
    /// The SCIM id the server gave it (absent if its creation failed).
    pub id: Option<String>,
    /// `displayName`, after any rename.
    pub display_name: String,
    /// Its members' `userName`s, sorted as generated.
    pub members: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    fn options(users: usize, groups: usize, members: usize, deactivate: u8) -> Options {
        Options {
            provider: Provider::Okta,
            users,
            groups,
            members_per_group: members,
            deactivate_percent: deactivate,
            rename: true,
            concurrency: 1,
            seed: 42,
            domain: "acme.example".into(),
        }
    }

    #[test]
    fn counts_follow_the_options() {
        let plan = Plan::new(&options(10, 3, 4, 25));
        assert_eq!(plan.people.len(), 10);
        assert_eq!(plan.updates.len(), 2);
        assert_eq!(plan.deactivations.len(), 3, "25% of 10, rounded up");
        assert_eq!(plan.groups.len(), 3);
        for group in &plan.groups {
            assert_eq!(group.members.len(), 4);
            let transient = group.transient.unwrap();
            assert!(!group.members.contains(&transient));
        }
        let expected = plan.expected(&[], &[]);
        assert_eq!((expected.active_users, expected.inactive_users), (7, 3));
        assert!(expected.groups[0].display_name.ends_with("(renamed)"));
    }

    #[test]
    fn small_directories_have_no_one_to_remove() {
        let plan = Plan::new(&options(3, 1, 5, 0));
        assert_eq!(plan.groups[0].members.len(), 3);
        assert!(plan.groups[0].transient.is_none());
        assert!(plan.deactivations.is_empty());
    }
}
