//! `rnn-tui watch RUN`: follow a run another process trains. On a terminal `main` opens the
//! cockpit on it; otherwise the run's progress is printed as `train --headless` prints it,
//! until the run finishes or its trainer dies.

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::headless::plain_line;
use super::output::{self, Delivery};
use super::train::runs_root;
use super::CliError;
use crate::exit::EXIT_FAILURE;
use crate::runs;
use crate::train::{Event, TrainerState};
use crate::watch::{self, Watch, WatchOptions};

#[derive(Debug, Args)]
#[command(
    after_help = "Space pauses and resumes the run, s saves it, q leaves the watcher (the \
                        run goes on). Commands reach the trainer through the run's `control` \
                        file.\n\nExample:\n  rnn-tui watch latest\n\nGuide: docs/headless.md"
)]
pub struct WatchCmd {
    /// The run (id, id prefix, `latest` or path)
    #[arg(value_name = "RUN")]
    pub run: String,
    /// Say that a trainer on another host (a synced run directory) may have died after this
    /// many seconds without any change in the run directory
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stale_after: u64,
}

/// Find the run and start following it (bad input: a missing run, a damaged `run.json`).
pub fn open(data_dir: Option<&Path>, cmd: &WatchCmd) -> Result<Watch, CliError> {
    let dir = runs::resolve(&runs_root(data_dir)?, &cmd.run)?;
    let opts = WatchOptions {
        stale_after: Duration::from_secs(cmd.stale_after),
        ..WatchOptions::default()
    };
    Ok(watch::start(&dir, opts)?)
}

/// Print the watched run's progress in the headless format (the history first), plus its
/// state changes, until it finishes (exit 0) or its trainer is found dead (exit 1). A closed
/// pipe (`| head`) ends the watcher quietly (exit 0); any other failure to write standard
/// output ends it with one line, `error: writing standard output: …`, and exit 1. Either
/// way only the watcher stops: the run goes on.
pub fn run_plain(w: Watch) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut code = EXIT_FAILURE;
    let mut paused = false;
    for event in w.handle.events.iter() {
        let mut lines: Vec<String> = plain_line(&event).into_iter().collect();
        let mut end = false;
        match &event {
            Event::Ready { .. } => lines.push(format!(
                "watching run {} {} ({})",
                w.dir.id,
                w.dir.path.display(),
                w.writer.describe()
            )),
            Event::State {
                state: TrainerState::Paused,
            } => {
                paused = true;
                lines.push("paused".into());
            }
            Event::State {
                state: TrainerState::Training,
            } if paused => {
                paused = false;
                lines.push("resumed".into());
            }
            Event::Warning { message } => eprintln!("warning: {message}"),
            Event::Error { message } => {
                eprintln!("error: {message}");
                end = true;
            }
            Event::Finished(s) => {
                if !s.completed {
                    lines.push(format!(
                        "stopped after {} of {} epochs (not finished)",
                        s.epochs, w.hparams.epochs
                    ));
                }
                code = 0;
                end = true;
            }
            _ => {}
        }
        for mut line in lines {
            line.push('\n');
            match output::write_to(&mut out, line.as_bytes()) {
                Ok(Delivery::Written) => {}
                Ok(Delivery::Closed) => return 0,
                Err(e) => {
                    eprintln!("error: {}", CliError::from(e));
                    return EXIT_FAILURE;
                }
            }
        }
        if end {
            break;
        }
    }
    // Dropping the handle stops the watcher (never the trainer).
    drop(w.handle);
    code
}
