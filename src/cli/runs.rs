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
        match &r.meta {
            Ok(m) => {
                let hp = &m.hparams;
                let corpus = Path::new(&m.corpus.source)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| m.corpus.source.clone());
                let created = m.created.replace('T', " ");
                let created = created.trim_end_matches('Z');
                let created = created.get(..16).unwrap_or(created);
                let epochs = if m.progress.batch > 0 {
                    format!("{}+/{}", m.progress.epoch, hp.epochs)
                } else {
                    format!("{}/{}", m.progress.epoch, hp.epochs)
                };
                println!(
                    "{:<20}  {:<16}  {:<24}  {:>7} {:>5} {:>5} {:>6} {:>6}  {:>9}  {:>8}",
                    r.dir.id,
                    created,
                    corpus,
                    hp.hiddens,
                    hp.num_steps,
                    hp.batch_size,
                    hp.lr,
                    hp.clip,
                    epochs,
                    fmt_ppl(m.progress.best_val_ppl)
                );
            }
            Err(e) => println!("{:<20}  unreadable: {e}", r.dir.id),
        }
    }
    0
}
