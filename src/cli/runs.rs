//! `rnn-tui runs`: the saved runs, newest first.

use std::path::Path;

use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::runs::{self, Checkpoint, RunDir, RunError};

/// Report a run error: bad input exits 2, a failure to read or write exits 1.
pub(crate) fn fail(e: &RunError) -> i32 {
    eprintln!("error: {e}");
    if e.is_usage() {
        EXIT_USAGE
    } else {
        EXIT_FAILURE
    }
}

/// Find a run from the command line's `--run` value.
pub(crate) fn find(data_dir: Option<&Path>, spec: &str) -> Result<RunDir, i32> {
    let root = runs::runs_root(&runs::data_dir(data_dir).map_err(|e| fail(&e))?);
    runs::resolve(&root, spec).map_err(|e| fail(&e))
}

/// Find and load a run's checkpoint.
pub(crate) fn load(data_dir: Option<&Path>, spec: &str) -> Result<Checkpoint, i32> {
    let dir = find(data_dir, spec)?;
    Checkpoint::load(&dir).map_err(|e| fail(&e))
}

fn fmt_ppl(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}

pub fn run(data_dir: Option<&Path>) -> i32 {
    let root = match runs::data_dir(data_dir) {
        Ok(d) => runs::runs_root(&d),
        Err(e) => return fail(&e),
    };
    let list = match runs::list_runs(&root) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if list.is_empty() {
        println!("no runs in {}", root.display());
        return 0;
    }
    println!(
        "{:<20}  {:<16}  {:<24}  {:>7} {:>5} {:>5} {:>6} {:>6}  {:>9}  {:>8}",
        "ID",
        "CREATED (UTC)",
        "CORPUS",
        "HIDDENS",
        "STEPS",
        "BATCH",
        "LR",
        "CLIP",
        "EPOCHS",
        "BEST VAL"
    );
    for r in &list {
        match r.summary() {
            Ok(m) => println!(
                "{:<20}  {:<16}  {:<24}  {:>7} {:>5} {:>5} {:>6} {:>6}  {:>9}  {:>8}",
                m.id,
                m.created,
                m.corpus,
                m.hiddens,
                m.num_steps,
                m.batch_size,
                m.lr,
                m.clip,
                m.epochs,
                fmt_ppl(m.best_val_ppl)
            ),
            Err(e) => println!("{:<20}  unreadable: {e}", r.dir.id),
        }
    }
    0
}
