//! `rnn-tui train --headless`: new runs (saved by default), `--resume`, `--save-every`,
//! `--no-save`, with defaults from the config file.

use std::path::Path;

use super::headless::{self, Format};
use super::{TrainArgs, TrainCmd, EXIT_FAILURE, EXIT_USAGE};
use crate::device;
use crate::runs::{self, Checkpoint, Config, RunDir};
use crate::train::{HParams, TrainError, Trainer};

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

fn build(args: &TrainArgs, data_dir: Option<&Path>, cmd: &TrainCmd) -> Result<Trainer, i32> {
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        EXIT_USAGE
    };
    let (dev, dev_name) = device::select(args.device).map_err(usage)?;
    let mut trainer = match &cmd.resume {
        Some(spec) => {
            if let Some(flag) = args.fixed_flag_given() {
                return Err(usage(format!(
                    "{flag} cannot change when resuming: a run keeps its hyperparameters (only --epochs, --lr and --clip can change)"
                )));
            }
            let root =
                runs::runs_root(&runs::data_dir(data_dir).map_err(|e| usage(e.to_string()))?);
            let dir = runs::resolve(&root, spec).map_err(|e| usage(e.to_string()))?;
            let mut ckpt = Checkpoint::load(&dir).map_err(|e| usage(e.to_string()))?;
            let saved_path = ckpt.meta.compute_path.clone();
            let hp = &mut ckpt.meta.hparams;
            if let Some(e) = args.epochs {
                hp.epochs = e;
            }
            if let Some(lr) = args.lr {
                hp.lr = lr;
                ckpt.meta.progress.lr = lr;
            }
            if let Some(c) = args.clip {
                hp.clip = c;
                ckpt.meta.progress.clip = c;
            }
            let complete = (ckpt.meta.progress.epoch >= ckpt.meta.hparams.epochs).then(|| {
                format!(
                    "note: run {} has already trained {} of {} epochs: pass --epochs N to train longer",
                    ckpt.meta.id, ckpt.meta.progress.epoch, ckpt.meta.hparams.epochs
                )
            });
            let mut t = Trainer::from_checkpoint(ckpt, &dev, &dev_name).map_err(|e| fail(&e))?;
            if let Some(note) = complete {
                eprintln!("{note}");
            }
            t.set_compute_path(args.kernel).map_err(|e| fail(&e))?;
            let now = t.model().compute_path().name();
            if !saved_path.is_empty() && saved_path != now {
                eprintln!(
                    "note: this run was trained with the {saved_path} kernel and continues with {now}: losses may differ in the last digits from an uninterrupted run"
                );
            }
            if !cmd.no_save {
                t.record_to(dir).map_err(|e| fail(&e))?;
            }
            t
        }
        None => {
            let hp = new_run_hparams(args).map_err(usage)?;
            let mut t = Trainer::new(hp, &dev, &dev_name).map_err(|e| fail(&e))?;
            if !cmd.no_save {
                let root =
                    runs::runs_root(&runs::data_dir(data_dir).map_err(|e| usage(e.to_string()))?);
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
