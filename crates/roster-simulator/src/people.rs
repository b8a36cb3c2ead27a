//! Generated people and groups: realistic enough to read in a demo (names, work emails on one
//! domain, departments, titles, a management chain), and the same for the same seed.

/// A small deterministic generator (SplitMix64): the same seed gives the same people on every
/// platform and release, which a general-purpose RNG does not promise.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        // The modulo bias is irrelevant for picking names.
        (self.next() % bound.max(1) as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `count` distinct numbers from `0..bound`, in random order.
    pub(crate) fn sample(&mut self, bound: usize, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..bound).collect();
        // A partial Fisher–Yates shuffle: the first `count` places are a uniform sample.
        let count = count.min(bound);
        for place in 0..count {
            let other = place + self.below(bound - place);
            all.swap(place, other);
        }
        all.truncate(count);
        all
    }

    /// Random characters from `alphabet`.
    pub(crate) fn string(&mut self, alphabet: &[u8], length: usize) -> String {
        (0..length)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

const GIVEN_NAMES: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Beatriz", "Carlos", "Chen", "Chloe", "Dario", "Elena",
    "Emeka", "Fatima", "Finn", "Grace", "Hana", "Ibrahim", "Ingrid", "Jamal", "Julia", "Kenji",
    "Lars", "Leila", "Lucas", "Maya", "Mateo", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Sakura", "Samuel", "Sofia", "Tariq", "Uma", "Viktor", "Wei", "Zoe",
];

const FAMILY_NAMES: &[&str] = &[
    "Adeyemi",
    "Andersson",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fernandes",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kaur",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Mbeki",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Park",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Umar",
    "Varga",
    "Wang",
    "Weber",
    "Yilmaz",
    "Zhang",
];

/// Departments with their titles, most senior last.
const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Sales",
        &[
            "Account Executive",
            "Senior Account Executive",
            "Sales Director",
        ],
    ),
    (
        "Marketing",
        &[
            "Marketing Specialist",
            "Product Marketing Manager",
            "Head of Marketing",
        ],
    ),
    (
        "Finance",
        &["Financial Analyst", "Senior Accountant", "Controller"],
    ),
    ("People", &["People Partner", "Recruiter", "Head of People"]),
    (
        "Support",
        &[
            "Support Engineer",
            "Senior Support Engineer",
            "Support Lead",
        ],
    ),
    (
        "Design",
        &["Product Designer", "Senior Product Designer", "Design Lead"],
    ),
    ("Legal", &["Paralegal", "Counsel", "General Counsel"]),
];

/// Group names, as IT admins name the groups they push.
const GROUP_NAMES: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "People Ops",
    "Support",
    "Design",
    "Legal",
    "All Staff",
    "Managers",
    "On-call",
    "Contractors",
];

/// One generated person.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) given_name: String,
    pub(crate) family_name: String,
    /// The work email, also the `userName` (as Okta and Entra's UPN mapping send it).
    pub(crate) email: String,
    /// The local part of the email: Entra's default `externalId` (`mailNickname`).
    pub(crate) nickname: String,
    /// What Okta sends as `externalId`: its own user id (`00u…`).
    pub(crate) okta_id: String,
    pub(crate) employee_number: String,
    pub(crate) department: String,
    pub(crate) title: String,
    /// The index of this person's manager (an earlier person), if any.
    pub(crate) manager: Option<usize>,
    /// Okta sends a random password even without password sync.
    pub(crate) password: String,
}

impl Person {
    pub(crate) fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// A GUID-shaped random id, as Entra writes object ids.
pub(crate) fn guid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        rng.string(HEX, 8),
        rng.string(HEX, 4),
        rng.string(HEX, 4),
        rng.string(HEX, 4),
        rng.string(HEX, 12)
    )
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `count` people with emails on `domain`; the first has no manager, everyone else reports to
/// someone listed before them.
pub(crate) fn people(rng: &mut Rng, count: usize, domain: &str) -> Vec<Person> {
    let mut taken = std::collections::HashSet::new();
    let mut people: Vec<Person> = Vec::with_capacity(count);
    for index in 0..count {
        let given_name = rng.pick(GIVEN_NAMES).to_owned();
        let family_name = rng.pick(FAMILY_NAMES).to_owned();
        let base = format!("{}.{}", ascii_lower(&given_name), ascii_lower(&family_name));
        let mut nickname = base.clone();
        let mut suffix = 2;
        while !taken.insert(nickname.clone()) {
            nickname = format!("{base}{suffix}");
            suffix += 1;
        }
        let (department, titles) = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
        // Everyone but the most senior title: promotions need somewhere to go.
        let title = titles[rng.below(titles.len().saturating_sub(1).max(1))].to_owned();
        let manager = (index > 0).then(|| rng.below(index));
        people.push(Person {
            email: format!("{nickname}@{domain}"),
            nickname,
            given_name,
            family_name,
            okta_id: format!("00u{}", rng.string(BASE62, 17)),
            employee_number: format!("{}", 10_000 + index),
            department: department.to_owned(),
            title,
            manager,
            password: rng.string(BASE62, 20),
        });
    }
    people
}

/// The same person after a profile change: a new family name and a promotion.
pub(crate) fn updated(rng: &mut Rng, person: &Person) -> Person {
    let mut family_name = rng.pick(FAMILY_NAMES);
    // Terminates: the list holds more than one name.
    while family_name == person.family_name {
        family_name = rng.pick(FAMILY_NAMES);
    }
    let titles = DEPARTMENTS
        .iter()
        .find(|(name, _)| *name == person.department)
        .map_or(&[][..], |(_, titles)| *titles);
    let title = titles
        .iter()
        .position(|title| *title == person.title)
        .and_then(|position| titles.get(position + 1))
        .map_or_else(
            || format!("Senior {}", person.title),
            |title| (*title).to_owned(),
        );
    Person {
        family_name: family_name.to_owned(),
        title,
        ..person.clone()
    }
}

/// The name of the `index`th group; beyond the built-in list, names repeat with a number.
pub(crate) fn group_name(index: usize) -> String {
    let name = GROUP_NAMES[index % GROUP_NAMES.len()];
    match index / GROUP_NAMES.len() {
        0 => name.to_owned(),
        round => format!("{name} {}", round + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let first = people(&mut Rng::new(7), 50, "acme.example");
        let again = people(&mut Rng::new(7), 50, "acme.example");
        let other = people(&mut Rng::new(8), 50, "acme.example");
        let emails = |people: &[Person]| people.iter().map(|p| p.email.clone()).collect::<Vec<_>>();
        assert_eq!(emails(&first), emails(&again));
        assert_ne!(emails(&first), emails(&other));
    }

    #[test]
    fn emails_are_unique_and_managers_come_first() {
        let people = people(&mut Rng::new(1), 500, "acme.example");
        let emails: std::collections::HashSet<_> = people.iter().map(|p| &p.email).collect();
        assert_eq!(emails.len(), 500);
        assert!(people[0].manager.is_none());
        assert!(
            people
                .iter()
                .enumerate()
                .skip(1)
                .all(|(index, person)| person.manager.is_some_and(|manager| manager < index))
        );
        assert!(people.iter().all(|p| p.email.ends_with("@acme.example")));
    }

    #[test]
    fn samples_are_distinct_and_bounded() {
        let mut rng = Rng::new(3);
        let sample = rng.sample(10, 4);
        assert_eq!(sample.len(), 4);
        let distinct: std::collections::HashSet<_> = sample.iter().collect();
        assert_eq!(distinct.len(), 4);
        assert!(sample.iter().all(|&i| i < 10));
        assert_eq!(rng.sample(3, 10).len(), 3);
    }

    #[test]
    fn an_update_changes_the_family_name_and_promotes() {
        let mut rng = Rng::new(5);
        let person = &people(&mut rng, 1, "acme.example")[0];
        let after = updated(&mut rng, person);
        assert_ne!(after.family_name, person.family_name);
        assert_ne!(after.title, person.title);
        assert_eq!(after.email, person.email);
    }

    #[test]
    fn group_names_stay_unique_past_the_list() {
        let names: std::collections::HashSet<_> = (0..40).map(group_name).collect();
        assert_eq!(names.len(), 40);
    }
}
