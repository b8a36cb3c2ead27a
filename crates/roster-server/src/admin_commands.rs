//! `roster admin …`: dashboard administrators, for the first one on a server without a
//! browser, or to get back in.

use std::io::Read;

use clap::Subcommand;
use roster_core::Timestamp;
use roster_store::AnyConnection;
use roster_store::admins::{self, AdminWriteError};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an administrator; the password is read from standard input (one line).
    Create {
        /// The address they sign in with.
        #[arg(long)]
        email: String,
    },
}

/// Reads the password: standard input up to the first line break, which is not part of it.
fn read_password() -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .map_err(|error| format!("cannot read the password from standard input: {error}"))?;
    Ok(input.lines().next().unwrap_or_default().to_owned())
}

pub(crate) fn run(conn: &mut AnyConnection, command: AdminCommand) -> Result<Value, String> {
    match command {
        AdminCommand::Create { email } => {
            let email = email.trim().to_owned();
            if !email.contains('@') || email.contains(char::is_whitespace) {
                return Err(format!("`{email}` is not an email address"));
            }
            let password = read_password()?;
            roster_dashboard::password::validate(&password)?;
            let hash = roster_dashboard::password::hash(&password)?;
            let admin =
                admins::create(conn, &email, &hash, Timestamp::now()).map_err(
                    |error| match error {
                        AdminWriteError::EmailTaken(_) => error.to_string(),
                        AdminWriteError::Query(error) => error.to_string(),
                    },
                )?;
            Ok(json!({
                "object": "admin",
                "id": admin.id,
                "email": admin.email,
                "created_at": admin.created_at.to_rfc3339(),
            }))
        }
    }
}
