//! Runs that last: every training run lives in its own directory under `<data dir>/runs/`,
//! with the weights (`model.safetensors`), what is needed to resume it exactly (`run.json`)
//! and its learning curve (`metrics.jsonl`).
//!
//! The API a front end needs:
//! - [`data_dir`] / [`runs_root`]: where runs live; [`list_runs`]: every run, newest first;
//! - [`resolve`]: a run from an id, a unique id prefix, `latest`, or a path;
//! - [`Checkpoint::load`]: the weights and progress a trainer continues from;
//! - [`read_metrics`]: the per-batch and per-epoch records, e.g. for an overlay curve;
//! - [`follow`], [`control`], [`state`]: watching a run another process trains — its growing
//!   metrics log, the command file a watcher appends to, the writer's `state.json`.
//!
//! Storage only: it reads and writes plain data ([`crate::hparams`], [`crate::metrics`],
//! tensors) and knows nothing of the trainer or the front ends.

pub mod atomic;
pub mod checkpoint;
pub mod control;
pub mod files;
pub mod follow;
pub mod label;
pub mod lock;
pub mod metrics;
pub mod samples;
pub mod state;
pub mod time;

use std::path::{Path, PathBuf};

pub use checkpoint::{
    corpus_sha256, Checkpoint, CorpusInfo, OptimizerState, Progress, Recorder, RunMeta, BEST_FILE,
    FORMAT_VERSION, META_FILE, METRICS_FILE, MODEL_FILE, OPTIMIZER_FILE,
};
pub use control::{ControlCommand, ControlLine, ControlLineError, ControlReader, CONTROL_FILE};
pub use follow::{FileWatch, MetricsTail, TailPoll};
pub use label::{LABEL_FILE, MAX_LABEL_CHARS};
pub use lock::{hostname, read_lock, LockInfo, RunLock, LOCK_FILE};
pub use metrics::{read_metrics, write_csv, JsonLinesWriter, MetricsWriter};
pub use samples::{read_samples, SampleLine, SAMPLES_FILE};
pub use state::{FinalSummary, WriterState, WriterStatus, STATE_FILE};

use crate::metrics::MetricRecord;

/// Overrides the data directory (the `--data-dir` flag wins over it).
pub const DATA_DIR_ENV: &str = "RNN_TUI_DATA_DIR";

/// Why a run could not be found, read or written. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "cannot find a home directory for the data dir: pass --data-dir or set {DATA_DIR_ENV}"
    )]
    NoDataDir,
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("no run {spec:?} in {root}")]
    NotFound { spec: String, root: PathBuf },
    #[error("{spec:?} matches several runs in {root}: {matches}")]
    Ambiguous {
        spec: String,
        root: PathBuf,
        matches: String,
    },
    #[error("{path} is not a run directory (no {META_FILE})")]
    NotARun { path: PathBuf },
    #[error("checkpoint {path} is damaged (truncated or corrupt): {reason}")]
    Damaged { path: PathBuf, reason: String },
    #[error(
        "checkpoint {path} has format version {found}; this rnn-tui reads version {FORMAT_VERSION}"
    )]
    Version { path: PathBuf, found: u64 },
    #[error("checkpoint {path} does not fit its run: {reason}")]
    Mismatch { path: PathBuf, reason: String },
    #[error("checkpoint {path}: tensor {tensor} holds non-finite values (NaN or inf)")]
    NonFinite { path: PathBuf, tensor: String },
    #[error(
        "corpus {corpus} changed since run {id} was saved (sha256 {found:.12}… instead of {expected:.12}…); resuming needs the same text"
    )]
    CorpusChanged {
        id: String,
        corpus: String,
        expected: String,
        found: String,
    },
    #[error("run {id} is in use by process {pid} (if that process is gone, remove {lock})")]
    Busy { id: String, pid: u32, lock: PathBuf },
    #[error("{path} is {what}; a run's files must be regular files")]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("{path} is {size} bytes, more than a {kind} may hold ({limit} bytes)")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
        kind: &'static str,
    },
    #[error(
        "{path} is a symbolic link; rnn-tui writes a run's files only inside its directory (replace the link with a regular file)"
    )]
    Symlink { path: PathBuf },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "{path} holds no {META_FILE}: its first save was interrupted (nothing of it can be resumed; remove the directory)"
    )]
    Incomplete { path: PathBuf },
}

impl RunError {
    pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        RunError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        }
    }

    /// Bad input from the user (a wrong id, a damaged file) rather than a failure to write.
    pub fn is_usage(&self) -> bool {
        !matches!(self, RunError::Io { .. })
    }
}

/// The data directory: `flag`, else `$RNN_TUI_DATA_DIR`, else the platform's data dir
/// (`~/.local/share/rnn-tui` on Linux).
pub fn data_dir(flag: Option<&Path>) -> Result<PathBuf, RunError> {
    if let Some(p) = flag {
        return Ok(p.to_owned());
    }
    if let Some(p) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "rnn-tui")
        .map(|d| d.data_dir().to_owned())
        .ok_or(RunError::NoDataDir)
}

/// Where the run directories are: `<data dir>/runs`.
pub fn runs_root(data_dir: &Path) -> PathBuf {
    data_dir.join("runs")
}

/// One run directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    /// The directory name, e.g. `20261128-051502-a3f9`.
    pub id: String,
    pub path: PathBuf,
}

impl RunDir {
    /// A new, empty run directory with a fresh sortable id (`YYYYMMDD-HHMMSS-xxxx`, UTC).
    pub fn create(runs_root: &Path) -> Result<RunDir, RunError> {
        std::fs::create_dir_all(runs_root).map_err(|e| RunError::io(runs_root, e))?;
        let stamp = time::compact(time::now_secs());
        for _ in 0..64 {
            let id = format!("{stamp}-{:04x}", rand::random::<u16>());
            let path = runs_root.join(&id);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    atomic::sync_dir(runs_root).map_err(|e| RunError::io(runs_root, e))?;
                    return Ok(RunDir { id, path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(RunError::io(&path, e)),
            }
        }
        Err(RunError::io(runs_root, "could not pick an unused run id"))
    }

    /// An existing run directory (it must hold `run.json`).
    pub fn open(path: &Path) -> Result<RunDir, RunError> {
        if !path.join(META_FILE).exists() {
            if is_incomplete_run(path) {
                return Err(RunError::Incomplete {
                    path: path.to_owned(),
                });
            }
            return Err(RunError::NotARun {
                path: path.to_owned(),
            });
        }
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Ok(RunDir {
            id,
            path: path.to_owned(),
        })
    }

    pub fn model_path(&self) -> PathBuf {
        self.path.join(MODEL_FILE)
    }

    /// The best-validation weights, beside the latest checkpoint.
    pub fn best_path(&self) -> PathBuf {
        self.path.join(BEST_FILE)
    }

    pub fn meta_path(&self) -> PathBuf {
        self.path.join(META_FILE)
    }

    pub fn metrics_path(&self) -> PathBuf {
        self.path.join(METRICS_FILE)
    }

    /// The run's `run.json` (what a listing shows).
    pub fn meta(&self) -> Result<RunMeta, RunError> {
        RunMeta::load(&self.meta_path())
    }

    /// The run's weights and progress, ready to continue training from.
    pub fn checkpoint(&self) -> Result<Checkpoint, RunError> {
        Checkpoint::load(self)
    }

    /// Remove the run's directory and everything in it. Refused while a process records into
    /// it (its lock is held by a live process, this one included): the lock is taken first, so
    /// no trainer can start on it meanwhile.
    pub fn delete(&self) -> Result<(), RunError> {
        let lock = lock::RunLock::acquire(self)?;
        let removed = std::fs::remove_dir_all(&self.path).map_err(|e| RunError::io(&self.path, e));
        // The lock went with the directory; dropping it finds nothing to remove.
        drop(lock);
        removed?;
        if let Some(root) = self.path.parent() {
            let _ = atomic::sync_dir(root);
        }
        Ok(())
    }

    /// Every batch and epoch record of the run, in order (e.g. to overlay its curve).
    pub fn metrics(&self) -> Result<Vec<MetricRecord>, RunError> {
        read_metrics(&self.metrics_path())
    }
}

/// Find a run: a path to a run directory, an id, a unique prefix of an id, or `latest`.
pub fn resolve(runs_root: &Path, spec: &str) -> Result<RunDir, RunError> {
    let spec = spec.trim();
    let as_path = Path::new(spec);
    if spec.contains(std::path::MAIN_SEPARATOR) || spec.contains('/') || spec == "." {
        return RunDir::open(as_path);
    }
    let not_found = || RunError::NotFound {
        spec: spec.to_owned(),
        root: runs_root.to_owned(),
    };
    if spec.is_empty() {
        return Err(not_found());
    }
    if spec == "latest" {
        return match run_ids(runs_root)?.last() {
            Some(id) => RunDir::open(&runs_root.join(id)),
            None => Err(not_found()),
        };
    }
    // Complete runs and interrupted ones (opening one of those says what happened to it).
    let ids: Vec<String> = dir_names(runs_root)?
        .into_iter()
        .filter(|id| {
            let p = runs_root.join(id);
            p.join(META_FILE).exists() || is_incomplete_run(&p)
        })
        .collect();
    if ids.iter().any(|id| id == spec) {
        return RunDir::open(&runs_root.join(spec));
    }
    let matches: Vec<&String> = ids.iter().filter(|id| id.starts_with(spec)).collect();
    match matches.as_slice() {
        [] if as_path.join(META_FILE).exists() => RunDir::open(as_path),
        [] => Err(not_found()),
        [one] => RunDir::open(&runs_root.join(one)),
        many => Err(RunError::Ambiguous {
            spec: spec.to_owned(),
            root: runs_root.to_owned(),
            matches: many
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Names of the run directories (those holding `run.json`), oldest first. A name that is not
/// UTF-8 cannot be an id rnn-tui made, nor be typed back: it is left out.
fn run_ids(runs_root: &Path) -> Result<Vec<String>, RunError> {
    Ok(dir_names(runs_root)?
        .into_iter()
        .filter(|id| runs_root.join(id).join(META_FILE).exists())
        .collect())
}

/// Names (UTF-8 only) of the directories in `runs_root`, sorted.
fn dir_names(runs_root: &Path) -> Result<Vec<String>, RunError> {
    let entries = match std::fs::read_dir(runs_root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RunError::io(runs_root, e)),
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ids.sort();
    Ok(ids)
}

/// Whether a directory without `run.json` is a run whose first save was interrupted: it holds
/// what only a run writes (its lock, weights or metrics).
fn is_incomplete_run(path: &Path) -> bool {
    !path.join(META_FILE).exists()
        && [LOCK_FILE, MODEL_FILE, METRICS_FILE, OPTIMIZER_FILE]
            .iter()
            .any(|f| path.join(f).symlink_metadata().is_ok())
}

/// A run as the list shows it: its directory and its `run.json`, or why that is unreadable.
#[derive(Debug)]
pub struct RunListing {
    pub dir: RunDir,
    pub meta: Result<RunMeta, RunError>,
}

/// What a list of runs shows of one run: plain text and numbers, no tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    pub id: String,
    pub path: PathBuf,
    /// `YYYY-MM-DD HH:MM`, UTC.
    pub created: String,
    /// The corpus file's name (`timemachine` for the built-in text).
    pub corpus: String,
    pub hiddens: usize,
    pub num_steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub clip: f64,
    /// Completed epochs of the total, `+` when it stopped inside an epoch: `12+/100`.
    pub epochs: String,
    /// NaN before the first epoch ends.
    pub best_val_ppl: f64,
    /// The model in a few words ([`HParams::model_label`](crate::hparams::HParams::model_label)).
    pub model: String,
    /// Whether the run kept its best-validation weights (`best.safetensors`).
    pub has_best: bool,
    /// The name the user gave it (`label.txt`), if any.
    pub label: Option<String>,
}

/// The order a list of runs is shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunOrder {
    /// Newest first.
    #[default]
    Date,
    /// Best validation perplexity first (runs without one last, newest first among them).
    Best,
}

impl RunOrder {
    pub fn name(self) -> &'static str {
        match self {
            RunOrder::Date => "newest first",
            RunOrder::Best => "best validation first",
        }
    }

    /// Sort `runs` (given newest first, as [`list_runs`] lists them); `best` reads a run's best
    /// validation perplexity (`None` or NaN: none). The sort is stable, so ties stay newest first.
    pub fn sort<T>(self, runs: &mut [T], best: impl Fn(&T) -> Option<f64>) {
        if self == RunOrder::Best {
            let key = |r: &T| best(r).filter(|v| v.is_finite()).unwrap_or(f64::INFINITY);
            runs.sort_by(|a, b| key(a).total_cmp(&key(b)));
        }
    }
}

impl RunListing {
    /// The listing's summary, or why its `run.json` cannot be read.
    pub fn summary(&self) -> Result<RunSummary, &RunError> {
        let m = self.meta.as_ref()?;
        let hp = &m.hparams;
        let corpus = Path::new(&m.corpus.source)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| m.corpus.source.clone());
        let created = m.created.replace('T', " ");
        let created = created.trim_end_matches('Z');
        let created = created.get(..16).unwrap_or(created).to_owned();
        let plus = if m.progress.batch > 0 { "+" } else { "" };
        Ok(RunSummary {
            id: self.dir.id.clone(),
            path: self.dir.path.clone(),
            created,
            corpus,
            hiddens: hp.hiddens,
            num_steps: hp.num_steps,
            batch_size: hp.batch_size,
            lr: hp.lr,
            clip: hp.clip,
            epochs: format!("{}{plus}/{}", m.progress.epoch, hp.epochs),
            best_val_ppl: m.progress.best_val_ppl,
            model: hp.model_label(),
            has_best: self.dir.best_path().is_file(),
            label: self.dir.label(),
        })
    }
}

/// Every run under `runs_root`, newest first. A run whose first save was interrupted (no
/// `run.json` yet, but its lock, weights or metrics) is listed with a
/// [`RunError::Incomplete`], so it is seen and can be removed; `latest` never picks one.
pub fn list_runs(runs_root: &Path) -> Result<Vec<RunListing>, RunError> {
    let mut out = Vec::new();
    for id in dir_names(runs_root)?.into_iter().rev() {
        let dir = RunDir {
            path: runs_root.join(&id),
            id,
        };
        let meta = if dir.meta_path().exists() {
            RunMeta::load(&dir.meta_path())
        } else if is_incomplete_run(&dir.path) {
            Err(RunError::Incomplete {
                path: dir.path.clone(),
            })
        } else {
            continue;
        };
        out.push(RunListing { dir, meta });
    }
    Ok(out)
}
