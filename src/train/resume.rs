//! Continuing a saved run: the one way both front ends (the headless CLI's `--resume` and the
//! cockpit's runs picker) turn a run directory back into a trainer.

use candle_core::Device;

use super::error::TrainError;
use super::trainer::Trainer;
use crate::model::ComputePath;
use crate::runs::{Checkpoint, RunDir};

/// What may change when a run continues; everything else is the run's own.
#[derive(Clone, Debug, Default)]
pub struct ResumeOptions {
    /// Train up to this many epochs in total.
    pub epochs: Option<usize>,
    pub lr: Option<f64>,
    pub clip: Option<f64>,
    /// Characters of the sample kept at every epoch's end (a setting, not the model's).
    pub completion_len: Option<usize>,
    pub kernel: ComputePath,
    /// Keep saving checkpoints and metrics into the run's directory.
    pub record: bool,
}

/// A trainer restored from a run, and notes worth telling the user.
pub struct Resumed {
    pub trainer: Trainer,
    pub notes: Vec<String>,
}

/// Restore the run in `dir` on `device`, ready to continue exactly where it stopped.
pub fn resume_run(
    dir: &RunDir,
    opts: &ResumeOptions,
    device: &Device,
    device_name: &str,
) -> Result<Resumed, TrainError> {
    let mut ckpt = Checkpoint::load(dir)?;
    let saved_path = ckpt.meta.compute_path.clone();
    let hp = &mut ckpt.meta.hparams;
    if let Some(e) = opts.epochs {
        hp.epochs = e;
    }
    if let Some(lr) = opts.lr {
        hp.lr = lr;
        ckpt.meta.progress.lr = lr;
    }
    if let Some(c) = opts.clip {
        hp.clip = c;
        ckpt.meta.progress.clip = c;
    }
    if let Some(n) = opts.completion_len {
        hp.completion_len = n;
    }
    let mut notes = Vec::new();
    if ckpt.meta.progress.epoch >= ckpt.meta.hparams.epochs {
        notes.push(format!(
            "run {} has already trained {} of {} epochs: pass --epochs N to train longer",
            ckpt.meta.id, ckpt.meta.progress.epoch, ckpt.meta.hparams.epochs
        ));
    }
    let mut trainer = Trainer::from_checkpoint(ckpt, device, device_name)?;
    trainer.set_compute_path(opts.kernel)?;
    let now = trainer.model().compute_path().name();
    if !saved_path.is_empty() && saved_path != now {
        notes.push(format!(
            "this run was trained with the {saved_path} kernel and continues with {now}: losses may differ in the last digits from an uninterrupted run"
        ));
    }
    if opts.record {
        trainer.record_to(dir.clone())?;
        let torn = trainer.metrics_torn_bytes();
        if torn > 0 {
            notes.push(format!(
                "the last line of {} was torn ({torn} bytes, a crash or full disk mid-write): it was cut off at the last complete line",
                dir.metrics_path().display()
            ));
        }
    }
    Ok(Resumed { trainer, notes })
}
