//! `rnn-tui train --headless`: new runs (saved by default), `--resume`, `--save-every`,
//! `--no-save`, with defaults from the config file.

use std::path::{Path, PathBuf};

use super::headless::{self, Format};
use super::{CliError, TrainArgs, TrainCmd};
use crate::config::Config;
use crate::device;
use crate::hparams::HParams;
use crate::runs::{self, RunDir};
use crate::train::{resume_run, ResumeOptions, Trainer};

/// The hyperparameters for a new run: flags over the config file over built-in defaults.
pub fn new_run_hparams(args: &TrainArgs) -> Result<HParams, CliError> {
    let config = Config::load()?;
    args.hparams(config.train)
}

/// Build the trainer `train` asks for (new or resumed, recording or not) and run it headless.
/// Returns the exit code of a run that started (see [`headless::run_trainer`]).
pub fn run(args: &TrainArgs, data_dir: Option<&Path>, cmd: &TrainCmd) -> Result<i32, CliError> {
    args.apply_threads();
    let format = if cmd.json {
        Format::Json
    } else {
        Format::Plain
    };
    let trainer = build(args, data_dir, cmd)?;
    Ok(headless::run_trainer(trainer, format))
}

/// The run `--resume SPEC` names, after checking that no flag tries to change what a run
/// keeps.
pub fn resume_dir(
    args: &TrainArgs,
    data_dir: Option<&Path>,
    spec: &str,
) -> Result<RunDir, CliError> {
    if let Some(flag) = args.fixed_flag_given() {
        return Err(CliError::Usage(format!(
            "{flag} cannot change when resuming: a run keeps its hyperparameters (only --epochs, --lr and --clip can change)"
        )));
    }
    let dir = runs::resolve(&runs_root(data_dir)?, spec)?;
    if !args.model_flags().is_empty() {
        let meta = runs::RunMeta::load(&dir.meta_path())?;
        if let Some(msg) = args.model_flag_mismatch(&meta.hparams) {
            return Err(CliError::Usage(msg));
        }
    }
    Ok(dir)
}

/// Where runs are saved: `<data dir>/runs`.
pub fn runs_root(data_dir: Option<&Path>) -> Result<PathBuf, CliError> {
    Ok(runs::runs_root(&runs::data_dir(data_dir)?))
}

fn build(args: &TrainArgs, data_dir: Option<&Path>, cmd: &TrainCmd) -> Result<Trainer, CliError> {
    let (dev, dev_name) = device::select_for(args.device, args.kernel.cpu_only())?;
    let mut trainer = match &cmd.resume {
        Some(spec) => {
            let dir = resume_dir(args, data_dir, spec)?;
            let opts = ResumeOptions {
                epochs: args.epochs,
                lr: args.lr,
                clip: args.clip,
                completion_len: args.completion_len,
                kernel: args.kernel,
                record: !cmd.no_save,
            };
            let resumed = resume_run(&dir, &opts, &dev, &dev_name)?;
            for note in &resumed.notes {
                eprintln!("note: {note}");
            }
            resumed.trainer
        }
        None => {
            let hp = new_run_hparams(args)?;
            let mut t = Trainer::new(hp, &dev, &dev_name)?;
            if !cmd.no_save {
                t.record_to(RunDir::create(&runs_root(data_dir)?)?)?;
            }
            t
        }
    };
    trainer.set_compute_path(args.kernel)?;
    trainer.set_save_every(cmd.save_every.map(|n| n as usize));
    Ok(trainer)
}
