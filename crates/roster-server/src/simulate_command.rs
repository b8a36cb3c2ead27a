//! `roster simulate`: act as an identity provider against a directory's SCIM endpoint (or any
//! SCIM server), showing progress on stderr and printing one JSON summary on stdout.

use clap::{ArgGroup, Args};
use roster_core::DirectoryId;
use roster_simulator::{Options, Provider, Target};

use crate::config::Config;
use crate::terminal::ProgressBar;

/// What `roster simulate` takes.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["directory", "scim_base_url"])))]
pub(crate) struct SimulateArgs {
    /// The directory to push to (`directory_…`); its SCIM base URL is built from
    /// ROSTER_PUBLIC_URL.
    #[arg(long)]
    directory: Option<String>,
    /// Or the SCIM base URL itself (any SCIM server).
    #[arg(long)]
    scim_base_url: Option<String>,
    /// The directory's bearer token.
    #[arg(long, env = "ROSTER_SCIM_TOKEN", hide_env_values = true)]
    token: String,
    /// The identity provider to act as: okta, okta-aiw, entra, okta-1.1.
    #[arg(long)]
    provider: Provider,
    /// People to assign.
    #[arg(long, default_value_t = 10)]
    users: usize,
    /// Groups to push.
    #[arg(long, default_value_t = 2)]
    groups: usize,
    /// Members each group keeps (one more is added and removed again).
    #[arg(long, default_value_t = 3)]
    members_per_group: usize,
    /// Share of users deactivated at the end, in percent (`20` or `20%`).
    #[arg(long, default_value = "10", value_parser = parse_percent)]
    deactivate: u8,
    /// Rename every group after pushing it.
    #[arg(long)]
    rename: bool,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// The same seed pushes the same people and groups.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The people's email domain.
    #[arg(long, default_value = "example.com")]
    domain: String,
}

fn parse_percent(value: &str) -> Result<u8, String> {
    value
        .trim()
        .trim_end_matches('%')
        .parse::<u8>()
        .ok()
        .filter(|percent| *percent <= 100)
        .ok_or_else(|| format!("`{value}` is not a percentage from 0 to 100"))
}

/// Runs the simulation and prints its summary; fails (after printing it) when any answer was
/// one the identity provider would not accept.
pub(crate) fn run(config: &Config, args: SimulateArgs) -> Result<(), String> {
    let scim_base_url = match (&args.directory, &args.scim_base_url) {
        (_, Some(url)) => url.trim_end_matches('/').to_owned(),
        (Some(directory), None) => {
            let id = DirectoryId::parse(directory).map_err(|error| error.to_string())?;
            format!(
                "{}/scim/{}/{id}",
                config.public_url,
                args.provider.scim_path_segment()
            )
        }
        (None, None) => return Err("name a --directory or a --scim-base-url".to_owned()),
    };
    let target = Target {
        scim_base_url,
        token: args.token,
    };
    let options = Options {
        provider: args.provider,
        users: args.users,
        groups: args.groups,
        members_per_group: args.members_per_group,
        deactivate_percent: args.deactivate,
        rename: args.rename,
        concurrency: usize::from(args.concurrency),
        seed: args.seed,
        domain: args.domain,
    };
    eprintln!(
        "Acting as {} against {}: {} users, {} groups",
        options.provider, target.scim_base_url, options.users, options.groups
    );
    let bar = ProgressBar::new();
    let summary = actix_web::rt::System::new()
        .block_on(roster_simulator::run(&target, &options, &|progress| {
            bar.show(progress)
        }))
        .map_err(|error| error.to_string())?;
    let json = serde_json::to_string(&summary).map_err(|error| error.to_string())?;
    println!("{json}");
    if summary.ok() {
        Ok(())
    } else {
        Err(format!(
            "{} requests got answers {} would not accept; see `failures`",
            summary.failures.len(),
            options.provider
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_take_an_optional_sign() {
        assert_eq!(super::parse_percent("20%"), Ok(20));
        assert_eq!(super::parse_percent("0"), Ok(0));
        assert!(super::parse_percent("101").is_err());
        assert!(super::parse_percent("a lot").is_err());
    }
}
