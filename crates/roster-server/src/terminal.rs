//! What the commands a person watches (`simulate`, `webhook listen`, `demo`) share: quieter
//! logs and a progress bar on stderr.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use roster_simulator::Progress;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the log subscriber with `warn` as the default level: these commands print for a
/// person, and the server's per-request log lines would drown what they print.
pub(crate) fn init_quiet_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Only fails when a subscriber is installed already, which then stays.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

const BAR_WIDTH: usize = 24;

/// Draws a simulator's progress on stderr: a bar redrawn in place on a terminal, one line per
/// finished phase otherwise (so logs and CI output stay readable).
pub(crate) struct ProgressBar {
    terminal: bool,
    last: Mutex<Option<(&'static str, usize)>>,
}

impl ProgressBar {
    pub(crate) fn new() -> Self {
        ProgressBar {
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    pub(crate) fn show(&self, progress: Progress) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if progress.total == 0 {
            return;
        }
        if *last == Some((progress.phase, progress.done)) {
            return;
        }
        *last = Some((progress.phase, progress.done));
        let finished = progress.done == progress.total;
        let mut stderr = std::io::stderr().lock();
        // Progress is a courtesy: a closed stderr must not stop the run.
        if self.terminal {
            let filled = (progress.done * BAR_WIDTH)
                .checked_div(progress.total)
                .unwrap_or(BAR_WIDTH);
            let _ = write!(
                stderr,
                "\r  {:<14}[{}{}] {}/{}",
                progress.phase,
                "#".repeat(filled),
                "-".repeat(BAR_WIDTH - filled),
                progress.done,
                progress.total
            );
            if finished {
                let _ = writeln!(stderr);
            }
        } else if finished {
            let _ = writeln!(
                stderr,
                "  {:<14}{}/{}",
                progress.phase, progress.done, progress.total
            );
        }
    }
}
