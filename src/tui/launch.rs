//! How the cockpit gets its trainers: new runs (recorded into a run directory once training
//! starts), runs resumed from the picker, the list of saved runs and their metric logs. All
//! the file and tensor work happens here, on the event loop's side; the app state only sees
//! the plain results.

use std::path::{Path, PathBuf};

use candle_core::Device;

use crate::device::{self, DeviceChoice, DeviceError};
use crate::hparams::HParams;
use crate::metrics::MetricRecord;
use crate::model::ComputePath;
use crate::runs::{self, RunDir, RunError, RunSummary};
use crate::train::{resume_run, ResumeOptions, Resumed, TrainError, Trainer};

/// Builds trainers for the cockpit on one device, with one compute path.
pub struct Launcher {
    device: Device,
    device_name: String,
    kernel: ComputePath,
    /// Where runs are saved; `None` when saving is off (`--no-save`).
    runs_root: Option<PathBuf>,
    save_every: Option<usize>,
}

/// A saved run restored into a trainer, with what the cockpit shows of its past.
pub struct ResumedRun {
    pub dir: RunDir,
    pub trainer: Trainer,
    /// Worth telling the user (a finished run, another kernel).
    pub notes: Vec<String>,
    pub history: Vec<MetricRecord>,
    /// The run had trained all its epochs and was loaded to train this many more (its
    /// epochs count raised by as much), so space continues it rather than ending at once.
    pub more_epochs: Option<usize>,
    /// Its epoch samples (`samples.jsonl`), for the completion pane's history.
    pub samples: Vec<crate::metrics::SampleRecord>,
}

/// The saved runs as the picker lists them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunList {
    pub runs: Vec<RunSummary>,
    /// Run directories whose `run.json` could not be read (left out of `runs`).
    pub unreadable: usize,
}

impl Launcher {
    pub fn new(
        choice: DeviceChoice,
        kernel: ComputePath,
        runs_root: Option<PathBuf>,
        save_every: Option<usize>,
    ) -> Result<Launcher, DeviceError> {
        let (device, device_name) = device::select_for(choice, kernel.cpu_only())?;
        Ok(Launcher {
            device,
            device_name,
            kernel,
            runs_root,
            save_every,
        })
    }

    /// Where runs are saved, if saving is on.
    pub fn runs_root(&self) -> Option<&Path> {
        self.runs_root.as_deref()
    }

    /// A trainer for a new run with `hp`; it records into a new run directory when told to
    /// start.
    pub fn new_run(&self, hp: HParams) -> Result<Trainer, TrainError> {
        let mut t = Trainer::new(hp, &self.device, &self.device_name)?;
        t.set_compute_path(self.kernel)?;
        t.set_save_every(self.save_every);
        t.set_probe(true);
        if let Some(root) = &self.runs_root {
            t.record_on_start(root.clone());
        }
        Ok(t)
    }

    /// Continue the run in `dir` where it stopped (its own hyperparameters, save for the
    /// overrides), saving into the same directory; with its metric history for the charts.
    /// Without `epochs`, a run that had trained all its epochs is offered as many again
    /// (100/100 → 200), which the form's epochs field can change before space starts them.
    pub fn resume(
        &self,
        dir: &RunDir,
        epochs: Option<usize>,
        lr: Option<f64>,
        clip: Option<f64>,
    ) -> Result<ResumedRun, TrainError> {
        let mut more_epochs = None;
        let epochs = match epochs {
            Some(e) => Some(e),
            None => {
                let meta = dir.meta()?;
                let (done, total) = (meta.progress.epoch, meta.hparams.epochs);
                more_epochs = (done >= total).then_some(total.max(1));
                more_epochs.map(|m| done + m)
            }
        };
        let opts = ResumeOptions {
            epochs,
            lr,
            clip,
            completion_len: None,
            kernel: self.kernel,
            record: self.runs_root.is_some(),
        };
        let Resumed { mut trainer, notes } =
            resume_run(dir, &opts, &self.device, &self.device_name)?;
        trainer.set_save_every(self.save_every);
        trainer.set_probe(true);
        // Read after recording started: the log is cut back to the checkpoint by then.
        // A log that cannot be read only costs the charts their history.
        let history = dir.metrics().unwrap_or_default();
        // Likewise the samples cost only the history list.
        let samples = dir.samples().unwrap_or_default();
        Ok(ResumedRun {
            dir: dir.clone(),
            trainer,
            notes,
            history,
            more_epochs,
            samples,
        })
    }

    /// Continue the run in the directory at `path` (the picker's choice), as it was saved
    /// (a finished one offered more epochs, see [`Launcher::resume`]).
    pub fn resume_at(&self, path: &Path) -> Result<ResumedRun, TrainError> {
        let dir = RunDir::open(path)?;
        self.resume(&dir, None, None, None)
    }

    /// The saved runs, newest first. Without a runs root (saving off) the list is empty.
    pub fn list(&self) -> Result<RunList, RunError> {
        let Some(root) = &self.runs_root else {
            return Ok(RunList::default());
        };
        let listing = runs::list_runs(root)?;
        let mut list = RunList::default();
        for l in &listing {
            match l.summary() {
                Ok(s) => list.runs.push(s),
                Err(_) => list.unreadable += 1,
            }
        }
        Ok(list)
    }
}

/// Name the run at `path` (an empty label removes it); the label stored.
pub fn label(path: &Path, label: &str) -> Result<Option<String>, RunError> {
    RunDir::open(path)?.set_label(label)
}

/// Delete the run at `path` (refused while a process, this one included, records into it).
pub fn delete(path: &Path) -> Result<(), RunError> {
    RunDir::open(path)?.delete()
}

/// Every batch and epoch record of the run at `path` (for its curve).
pub fn history(path: &Path) -> Result<Vec<MetricRecord>, RunError> {
    RunDir::open(path).and_then(|d| d.metrics())
}
