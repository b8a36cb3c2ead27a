//! Any text as the URLs the `roster` command line takes: `--database-url` (also
//! `ROSTER_DATABASE_URL`) and `webhook create --url`. Parsing must never panic; a PostgreSQL
//! URL's password is shown neither in the accepted URL nor in a refusal; an accepted webhook
//! URL is accepted again as itself, and its host check never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_events::{address, admin};
use roster_store::DatabaseUrl;

/// The password in `scheme://user:password@host…`, read off the text rather than by a URL
/// parser (an unparsable URL must not show it either), when the text starts with a scheme
/// (otherwise it is no URL) and the password cannot be mistaken for another part of the text.
fn distinct_password(text: &str) -> Option<&str> {
    let (scheme, rest) = text.trim().split_once("://")?;
    let mut letters = scheme.chars();
    if !letters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        || !letters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    // URL parsers drop tabs and line breaks wherever they are, which can join two runs of
    // characters elsewhere in the text into a copy of the password.
    let as_parsed: String = text
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    (password.len() >= 6
        && text.matches(password).count() == 1
        && as_parsed.matches(password).count() == 1)
        .then_some(password)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let password = distinct_password(text);
    let shown = match DatabaseUrl::parse(text) {
        Ok(database @ DatabaseUrl::Postgres(_)) => Some(database.to_string()),
        // A SQLite path is a file name: `a:b@c` in it is no password.
        Ok(DatabaseUrl::Sqlite(_)) => None,
        Err(refused) => Some(refused.to_string()),
    };
    if let (Some(shown), Some(password)) = (shown, password) {
        // The refusal's own wording (`postgres://USER@HOST…`) may hold the same characters.
        let wording = DatabaseUrl::parse("x://")
            .err()
            .map(|refused| refused.to_string())
            .unwrap_or_default();
        assert!(
            shown.matches(password).count() <= wording.matches(password).count(),
            "`{shown}` shows the password"
        );
    }
    if let Ok(webhook) = admin::validate_url(text) {
        assert_eq!(
            admin::validate_url(&webhook).ok().as_deref(),
            Some(webhook.as_str()),
            "an accepted webhook URL is not accepted as itself"
        );
        if let Ok(parsed) = url::Url::parse(&webhook) {
            let _ = address::check_literal_host(&parsed);
        }
    }
});
