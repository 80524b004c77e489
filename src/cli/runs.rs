//! `rnn-tui runs`: the saved runs, newest first.

use std::path::Path;

use crate::hparams::clip_text;
use crate::number_format::compact;
use crate::runs::{self, Checkpoint, RunDir, RunError};

/// Find a run from the command line's `--run` value.
pub(crate) fn find(data_dir: Option<&Path>, spec: &str) -> Result<RunDir, RunError> {
    let root = runs::runs_root(&runs::data_dir(data_dir)?);
    runs::resolve(&root, spec)
}

/// Find and load a run's latest weights, or with `best` its best-validation weights.
pub(crate) fn load_weights(
    data_dir: Option<&Path>,
    spec: &str,
    best: bool,
) -> Result<Checkpoint, RunError> {
    let dir = find(data_dir, spec)?;
    if best {
        Checkpoint::load_best(&dir)
    } else {
        Checkpoint::load(&dir)
    }
}

fn fmt_ppl(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}

pub fn run(data_dir: Option<&Path>) -> Result<(), RunError> {
    let root = runs::runs_root(&runs::data_dir(data_dir)?);
    let list = runs::list_runs(&root)?;
    if list.is_empty() {
        println!("no runs in {}", root.display());
        return Ok(());
    }
    println!(
        "{:<20}  {:<16}  {:<24}  {:<30}  {:>7} {:>5} {:>5} {:>6} {:>6}  {:>9}  {:>4}  {:>8}",
        "ID",
        "CREATED (UTC)",
        "CORPUS",
        "MODEL",
        "HIDDENS",
        "STEPS",
        "BATCH",
        "LR",
        "CLIP",
        "EPOCHS",
        "KEPT",
        "BEST VAL"
    );
    for r in &list {
        match r.summary() {
            Ok(m) => println!(
                "{:<20}  {:<16}  {:<24}  {:<30}  {:>7} {:>5} {:>5} {:>6} {:>6}  {:>9}  {:>4}  {:>8}",
                m.id,
                m.created,
                m.corpus,
                m.model,
                m.hiddens,
                m.num_steps,
                m.batch_size,
                compact(m.lr),
                clip_text(m.clip),
                m.epochs,
                // Whether best.safetensors holds the best epoch's weights.
                if m.has_best { "best" } else { "-" },
                fmt_ppl(m.best_val_ppl)
            ),
            Err(e) => println!("{:<20}  unreadable: {e}", r.dir.id),
        }
    }
    Ok(())
}
