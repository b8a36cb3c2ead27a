//! `roster`: the server and its administration commands.

use std::process::ExitCode;

fn main() -> ExitCode {
    roster_server::cli::main()
}
