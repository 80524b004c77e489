//! `rnn-tui train --headless`: new runs (saved by default), `--resume`, `--save-every`,
//! `--no-save`, with defaults from the config file.

use std::path::Path;

use super::headless::{self, Format};
use super::{TrainArgs, TrainCmd, EXIT_FAILURE, EXIT_USAGE};
use crate::device;
use crate::runs::{self, Config, RunDir};
use crate::train::{resume_run, HParams, ResumeOptions, TrainError, Trainer};

/// Print `error: …` and give the exit code for a trainer error.
fn fail(e: &TrainError) -> i32 {
    eprintln!("error: {e}");
    if e.is_usage() {
        EXIT_USAGE
    } else {
        EXIT_FAILURE
    }
}

/// The hyperparameters for a new run: flags over the config file over built-in defaults.
pub fn new_run_hparams(args: &TrainArgs) -> Result<HParams, String> {
    let config = Config::load().map_err(|e| e.to_string())?;
    args.hparams(config.train)
}

/// Build the trainer `train` asks for (new or resumed, recording or not) and run it headless.
pub fn run(args: &TrainArgs, data_dir: Option<&Path>, cmd: &TrainCmd) -> i32 {
    args.apply_threads();
    let format = if cmd.json {
        Format::Json
    } else {
        Format::Plain
    };
    match build(args, data_dir, cmd) {
        Ok(trainer) => headless::run_trainer(trainer, format),
        Err(code) => code,
    }
}

/// The run `--resume SPEC` names, after checking that no flag tries to change what a run
/// keeps. Errors are printed; the exit code comes back.
pub fn resume_dir(args: &TrainArgs, data_dir: Option<&Path>, spec: &str) -> Result<RunDir, i32> {
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        EXIT_USAGE
    };
    if let Some(flag) = args.fixed_flag_given() {
        return Err(usage(format!(
            "{flag} cannot change when resuming: a run keeps its hyperparameters (only --epochs, --lr and --clip can change)"
        )));
    }
    let root = runs_root(data_dir).map_err(usage)?;
    runs::resolve(&root, spec).map_err(|e| usage(e.to_string()))
}

/// Where runs are saved: `<data dir>/runs`.
pub fn runs_root(data_dir: Option<&Path>) -> Result<std::path::PathBuf, String> {
    runs::data_dir(data_dir)
        .map(|d| runs::runs_root(&d))
        .map_err(|e| e.to_string())
}

fn build(args: &TrainArgs, data_dir: Option<&Path>, cmd: &TrainCmd) -> Result<Trainer, i32> {
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        EXIT_USAGE
    };
    let (dev, dev_name) = device::select(args.device).map_err(usage)?;
    let mut trainer = match &cmd.resume {
        Some(spec) => {
            let dir = resume_dir(args, data_dir, spec)?;
            let opts = ResumeOptions {
                epochs: args.epochs,
                lr: args.lr,
                clip: args.clip,
                kernel: args.kernel,
                record: !cmd.no_save,
            };
            let resumed = resume_run(&dir, &opts, &dev, &dev_name).map_err(|e| fail(&e))?;
            for note in &resumed.notes {
                eprintln!("note: {note}");
            }
            resumed.trainer
        }
        None => {
            let hp = new_run_hparams(args).map_err(usage)?;
            let mut t = Trainer::new(hp, &dev, &dev_name).map_err(|e| fail(&e))?;
            if !cmd.no_save {
                let root = runs_root(data_dir).map_err(usage)?;
                let dir = RunDir::create(&root).map_err(|e| {
                    eprintln!("error: {e}");
                    EXIT_FAILURE
                })?;
                t.record_to(dir).map_err(|e| fail(&e))?;
            }
            t
        }
    };
    trainer
        .set_compute_path(args.kernel)
        .map_err(|e| fail(&e))?;
    trainer.set_save_every(cmd.save_every.map(|n| n as usize));
    Ok(trainer)
}
