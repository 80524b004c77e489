//! The checkpoint: `model.safetensors` (the five parameters, f32, named as in
//! [`PARAM_NAMES`]) and `run.json` (vocabulary, hyperparameters, corpus and its sha256, and the
//! [`Progress`] needed to resume bit-exactly).
//!
//! The weights file is the commit point: it also carries the progress in its safetensors
//! metadata, so weights and progress always match even if a crash falls between the two
//! atomic writes. `run.json` is written second and is what listings read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::safetensors::Load;
use candle_core::{DType, Device, Tensor};
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::write_atomic;
use super::files::{read_capped, Limit};
use super::lock::RunLock;
use super::metrics::MetricsWriter;
use super::{time, RunDir, RunError};
use crate::data::corpus::TIME_MACHINE;
use crate::data::{CorpusSource, Vocab, UNK};
use crate::hparams::HParams;
use crate::model::host;
use crate::model::{Arch, LanguageModel, NamedParams};

/// Bumped whenever `run.json` or the checkpoint layout changes incompatibly.
pub const FORMAT_VERSION: u64 = 1;
pub const MODEL_FILE: &str = "model.safetensors";
/// The weights with the best validation perplexity so far, beside the latest checkpoint.
pub const BEST_FILE: &str = "best.safetensors";
pub const META_FILE: &str = "run.json";
pub const METRICS_FILE: &str = "metrics.jsonl";

/// Adam's moments (absent for SGD runs), written before the commit point.
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
const KEY_OPTIMIZER: &str = "optimizer";
const KEY_STEP: &str = "step";

/// An optimizer's saved state: its name, steps taken, and its tensors (`m.<param>`,
/// `v.<param>` for Adam).
#[derive(Clone, Debug)]
pub struct OptimizerState {
    pub kind: String,
    pub step: u64,
    pub moments: NamedParams,
}

/// Safetensors metadata keys.
const KEY_VERSION: &str = "format_version";
const KEY_PROGRESS: &str = "progress";
const KEY_VOCAB: &str = "vocab";

/// The text a run was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// `timemachine` (built in) or the absolute path of the file.
    pub source: String,
    /// sha256 of the raw bytes, hex.
    pub sha256: String,
    /// Characters after preprocessing.
    pub chars: usize,
}

/// Where training stands: enough to continue exactly where it stopped. Floats are stored as
/// strings in Rust's shortest round-trip form so they read back bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Completed epochs.
    pub epoch: usize,
    /// Batches done in the epoch in progress (0 at an epoch boundary).
    pub batch: usize,
    /// The shuffling RNG's word position at the start of the epoch in progress.
    #[serde(with = "exact::u128_str")]
    pub rng_word_pos: u128,
    /// Sum of `loss * windows` over the batches done in the epoch in progress.
    #[serde(with = "exact::f64_str")]
    pub epoch_loss_sum: f64,
    pub epoch_windows: usize,
    /// Seconds spent in training batches, over the whole run.
    #[serde(with = "exact::f64_str")]
    pub train_seconds: f64,
    /// `train_seconds` when the epoch in progress began.
    #[serde(with = "exact::f64_str")]
    pub epoch_start_seconds: f64,
    /// Live settings (they may differ from the hyperparameters the run started with).
    #[serde(with = "exact::f64_str")]
    pub lr: f64,
    #[serde(with = "exact::f64_str")]
    pub clip: f64,
    #[serde(with = "exact::f64_str")]
    pub last_train_ppl: f64,
    #[serde(with = "exact::f64_str")]
    pub last_val_ppl: f64,
    #[serde(with = "exact::f64_str")]
    pub best_val_ppl: f64,
    /// Length of `metrics.jsonl` at this checkpoint; lines after it are dropped on resume.
    pub metrics_bytes: u64,
}

impl Progress {
    /// A run that has not trained yet.
    pub fn start(hp: &HParams) -> Self {
        Progress {
            epoch: 0,
            batch: 0,
            rng_word_pos: 0,
            epoch_loss_sum: 0.0,
            epoch_windows: 0,
            train_seconds: 0.0,
            epoch_start_seconds: 0.0,
            lr: hp.lr,
            clip: hp.clip,
            last_train_ppl: f64::NAN,
            last_val_ppl: f64::NAN,
            best_val_ppl: f64::NAN,
            metrics_bytes: 0,
        }
    }
}

/// `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub format_version: u64,
    pub id: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub saved: String,
    pub vocab: Vec<String>,
    pub hparams: HParams,
    pub corpus: CorpusInfo,
    pub device: String,
    /// The implementation that computed the gradients (`fused` or `candle`); resuming with
    /// the same one keeps the losses bit-exact.
    #[serde(default)]
    pub compute_path: String,
    pub progress: Progress,
}

impl RunMeta {
    /// Read and check `run.json` (see [`RunMeta::check`]).
    pub fn load(path: &Path) -> Result<RunMeta, RunError> {
        let bytes = read_capped(path, Limit::META)?;
        let damaged = |reason: String| RunError::Damaged {
            path: path.to_owned(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(FORMAT_VERSION) => {}
            Some(found) => {
                return Err(RunError::Version {
                    path: path.to_owned(),
                    found,
                })
            }
            None => return Err(damaged("no format_version".into())),
        }
        let mut meta: RunMeta =
            serde_json::from_value(value).map_err(|e| damaged(e.to_string()))?;
        meta.check(path)?;
        Ok(meta)
    }

    /// The one validation of a run, whichever command loads it: every value a flag would
    /// refuse is refused from the file too (with the flag's own message), the vocabulary must
    /// be what a corpus makes, and the memory estimate is redone with the run's own vocabulary
    /// before anything is allocated for it.
    pub fn check(&mut self, path: &Path) -> Result<(), RunError> {
        let invalid = |reason: String| RunError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let damaged = |reason: String| RunError::Damaged {
            path: path.to_owned(),
            reason,
        };
        // Older rnn-tui accepted dropout on d2l §9.5's model and ignored it: such a run was
        // trained without dropout, and says so from now on.
        if self.hparams.is_section_9_5() {
            self.hparams.dropout = 0.0;
        }
        self.hparams
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        let mut live = self.hparams.clone();
        live.lr = self.progress.lr;
        live.clip = self.progress.clip;
        live.validate()
            .map_err(|e| invalid(format!("progress: {e}")))?;
        if !self.vocab.iter().any(|t| t == UNK) {
            return Err(damaged(format!("the vocabulary has no {UNK}")));
        }
        if let Some((i, t)) = self
            .vocab
            .iter()
            .enumerate()
            .find(|(_, t)| t.as_str() != UNK && t.chars().count() != 1)
        {
            let shown: String = t.chars().take(12).collect();
            return Err(damaged(format!(
                "vocabulary token {i} is {shown:?}: every token but {UNK} is one character"
            )));
        }
        if !self.vocab.windows(2).all(|w| w[0] < w[1]) {
            return Err(damaged("the vocabulary is not sorted and distinct".into()));
        }
        self.hparams
            .check_memory(self.vocab.len())
            .map_err(|e| invalid(e.to_string()))?;
        Ok(())
    }

    pub fn vocab(&self) -> Vocab {
        Vocab::from_tokens(self.vocab.clone())
    }

    fn save(&self, path: &Path) -> Result<(), RunError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| RunError::io(path, e))?;
        text.push('\n');
        write_atomic(path, text.as_bytes()).map_err(|e| RunError::io(path, e))
    }
}

/// sha256 (hex) of the raw bytes of a corpus.
pub fn corpus_sha256(source: &CorpusSource) -> Result<String, RunError> {
    let mut h = Sha256::new();
    match source {
        CorpusSource::TimeMachine => h.update(TIME_MACHINE.as_bytes()),
        // Streamed: a big corpus is not held a second time while it is hashed.
        CorpusSource::File(p) => {
            let mut f = std::fs::File::open(p).map_err(|e| RunError::io(p, e))?;
            std::io::copy(&mut f, &mut h).map_err(|e| RunError::io(p, e))?;
        }
    }
    Ok(h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>())
}

/// The corpus as `run.json` records it: the built-in text by name, a file by absolute path.
pub fn corpus_source_absolute(source: &CorpusSource) -> CorpusSource {
    match source {
        CorpusSource::TimeMachine => CorpusSource::TimeMachine,
        CorpusSource::File(p) => {
            CorpusSource::File(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        }
    }
}

fn corpus_label(source: &CorpusSource) -> String {
    match source {
        CorpusSource::TimeMachine => "timemachine".into(),
        CorpusSource::File(p) => p.display().to_string(),
    }
}

/// A loaded checkpoint: the run's metadata, its progress (from the weights file) and weights
/// (on the CPU).
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub dir: RunDir,
    pub meta: RunMeta,
    pub params: NamedParams,
    /// The optimizer's state at this checkpoint (`None`: SGD, or nothing to keep yet).
    pub optimizer: Option<OptimizerState>,
}

impl Checkpoint {
    /// Read `run.json` and `model.safetensors`, checking versions, names, dtypes and shapes.
    pub fn load(dir: &RunDir) -> Result<Checkpoint, RunError> {
        Self::load_file(dir, &dir.model_path())
    }

    /// The run's best-validation weights (`best.safetensors`) with its `run.json`.
    pub fn load_best(dir: &RunDir) -> Result<Checkpoint, RunError> {
        let path = dir.best_path();
        if !path.is_file() {
            return Err(RunError::Mismatch {
                path,
                reason: "this run has no best-validation weights yet (they are written after its first epoch)".into(),
            });
        }
        Self::load_file(dir, &path)
    }

    fn load_file(dir: &RunDir, path: &Path) -> Result<Checkpoint, RunError> {
        let mut meta = RunMeta::load(&dir.meta_path())?;
        let path = path.to_owned();
        let bytes = read_capped(&path, weights_limit(&meta, 1))?;
        let (params, progress) = decode_model(&path, &bytes, &meta)?;
        if let Some(p) = progress {
            meta.progress = p;
        }
        let opt_path = dir.path.join(OPTIMIZER_FILE);
        let optimizer = if path == dir.model_path() && opt_path.exists() {
            Some(decode_optimizer(
                &opt_path,
                &meta.progress,
                weights_limit(&meta, 2),
            )?)
        } else {
            None
        };
        Ok(Checkpoint {
            dir: dir.clone(),
            meta,
            params,
            optimizer,
        })
    }

    pub fn vocab(&self) -> Vocab {
        self.meta.vocab()
    }

    /// The model's architecture, from `run.json`.
    pub fn arch(&self) -> Arch {
        Arch::from_hparams(&self.meta.hparams, self.meta.vocab.len())
    }

    /// The trained model (on the CPU), e.g. for sampling or evaluation.
    pub fn model(&self) -> Result<LanguageModel, RunError> {
        LanguageModel::from_named(self.vocab(), self.arch(), self.params.clone()).map_err(|e| {
            RunError::Mismatch {
                path: self.dir.model_path(),
                reason: e.to_string(),
            }
        })
    }
}

/// The most a safetensors file of the run's weights may hold: `copies` of every parameter
/// (f32) as the run's shapes say, plus the header, which carries the vocabulary and progress
/// beside the tensors' entries. Checked before the file is read, so a crafted size is refused
/// rather than allocated.
fn weights_limit(meta: &RunMeta, copies: u64) -> Limit {
    let arch = Arch::from_hparams(&meta.hparams, meta.vocab.len());
    let floats = arch
        .param_shapes()
        .iter()
        .map(|(_, shape)| shape.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64)))
        .fold(0u64, u64::saturating_add);
    let vocab_json: u64 = meta.vocab.iter().map(|t| t.len() as u64 * 6 + 3).sum();
    Limit {
        bytes: floats
            .saturating_mul(4)
            .saturating_mul(copies)
            .saturating_add(2 * vocab_json + (1 << 20)),
        kind: "weights file for this run's shapes",
    }
}

fn decode_model(
    path: &Path,
    bytes: &[u8],
    meta: &RunMeta,
) -> Result<(NamedParams, Option<Progress>), RunError> {
    let damaged = |reason: String| RunError::Damaged {
        path: path.to_owned(),
        reason,
    };
    let mismatch = |reason: String| RunError::Mismatch {
        path: path.to_owned(),
        reason,
    };
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| damaged(e.to_string()))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| damaged(e.to_string()))?;
    let info = header.metadata().clone().unwrap_or_default();
    let version = info
        .get(KEY_VERSION)
        .ok_or_else(|| damaged("no format_version in the safetensors metadata".into()))?;
    match version.parse::<u64>() {
        Ok(FORMAT_VERSION) => {}
        Ok(found) => {
            return Err(RunError::Version {
                path: path.to_owned(),
                found,
            })
        }
        Err(_) => return Err(damaged(format!("format_version {version:?}"))),
    }
    let progress = match info.get(KEY_PROGRESS) {
        Some(p) => Some(
            serde_json::from_str::<Progress>(p)
                .map_err(|e| damaged(format!("progress metadata: {e}")))?,
        ),
        None => None,
    };
    let arch = Arch::from_hparams(&meta.hparams, meta.vocab.len());
    let mut out: Vec<(String, Tensor)> = Vec::new();
    for (name, shape) in arch.param_shapes() {
        let name = name.as_str();
        let view = st
            .tensor(name)
            .map_err(|_| mismatch(format!("no tensor named {name}")))?;
        if view.dtype() != Dtype::F32 {
            return Err(mismatch(format!(
                "{name} is {:?}, expected F32",
                view.dtype()
            )));
        }
        if view.shape() != shape.as_slice() {
            return Err(mismatch(format!(
                "{name} has shape {:?}, expected {:?} for {} tokens and {} hidden units ({})",
                view.shape(),
                shape,
                meta.vocab.len(),
                meta.hparams.hiddens,
                meta.hparams.model_label()
            )));
        }
        let tensor = view
            .load(&Device::Cpu)
            .map_err(|e| damaged(e.to_string()))?;
        if !host::all_finite(&tensor).map_err(|e| damaged(e.to_string()))? {
            return Err(RunError::NonFinite {
                path: path.to_owned(),
                tensor: name.to_owned(),
            });
        }
        out.push((name.to_owned(), tensor));
    }
    Ok((NamedParams::new(out), progress))
}

/// Read `optimizer.safetensors`, checking it was saved with the same progress as the weights.
fn decode_optimizer(
    path: &Path,
    progress: &Progress,
    limit: Limit,
) -> Result<OptimizerState, RunError> {
    let damaged = |reason: String| RunError::Damaged {
        path: path.to_owned(),
        reason,
    };
    let bytes = read_capped(path, limit)?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| damaged(e.to_string()))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| damaged(e.to_string()))?;
    let info = header.metadata().clone().unwrap_or_default();
    let saved: Progress = info
        .get(KEY_PROGRESS)
        .ok_or_else(|| damaged("no progress in the metadata".into()))
        .and_then(|p| serde_json::from_str(p).map_err(|e| damaged(e.to_string())))?;
    if (saved.epoch, saved.batch, saved.rng_word_pos)
        != (progress.epoch, progress.batch, progress.rng_word_pos)
    {
        return Err(RunError::Mismatch {
            path: path.to_owned(),
            reason: format!(
                "it was saved at epoch {} batch {} but the weights at epoch {} batch {}",
                saved.epoch, saved.batch, progress.epoch, progress.batch
            ),
        });
    }
    let kind = info
        .get(KEY_OPTIMIZER)
        .cloned()
        .ok_or_else(|| damaged("no optimizer name in the metadata".into()))?;
    let step = info
        .get(KEY_STEP)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| damaged("no step count in the metadata".into()))?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
    names.sort();
    let mut entries = Vec::new();
    for name in names {
        let view = st.tensor(&name).map_err(|e| damaged(e.to_string()))?;
        let t = view
            .load(&Device::Cpu)
            .map_err(|e| damaged(e.to_string()))?;
        if !host::all_finite(&t).map_err(|e| damaged(e.to_string()))? {
            return Err(RunError::NonFinite {
                path: path.to_owned(),
                tensor: name,
            });
        }
        entries.push((name, t));
    }
    Ok(OptimizerState {
        kind,
        step,
        moments: NamedParams::new(entries),
    })
}

/// Why a checkpoint's bytes could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error(transparent)]
    Tensor(#[from] candle_core::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Safetensors(#[from] safetensors::SafeTensorError),
}

/// The bytes of `optimizer.safetensors`.
fn encode_optimizer(state: &OptimizerState, progress: &Progress) -> Result<Vec<u8>, EncodeError> {
    let views = state
        .moments
        .named()
        .map(|(n, t)| {
            let t = t
                .to_device(&Device::Cpu)
                .and_then(|t| t.to_dtype(DType::F32))?;
            Ok((n.to_owned(), t))
        })
        .collect::<Result<Vec<(String, Tensor)>, EncodeError>>()?;
    let mut info = HashMap::new();
    info.insert(KEY_VERSION.to_owned(), FORMAT_VERSION.to_string());
    info.insert(KEY_OPTIMIZER.to_owned(), state.kind.clone());
    info.insert(KEY_STEP.to_owned(), state.step.to_string());
    info.insert(KEY_PROGRESS.to_owned(), serde_json::to_string(progress)?);
    Ok(safetensors::serialize(views, Some(info))?)
}

/// The bytes of `model.safetensors` for these weights and progress.
pub fn encode_model(
    params: &NamedParams,
    vocab: &Vocab,
    progress: &Progress,
) -> Result<Vec<u8>, EncodeError> {
    // f32 on the CPU first: candle's safetensors view of a tensor cannot report a failed
    // conversion, so every conversion happens here, where it can.
    let views = params
        .named()
        .map(|(name, p)| {
            let name = name.to_owned();
            // To the CPU before any conversion: no other dtype is made on the device.
            let t = p
                .to_device(&Device::Cpu)
                .and_then(|t| t.to_dtype(DType::F32))?;
            Ok((name, t))
        })
        .collect::<Result<Vec<(String, Tensor)>, EncodeError>>()?;
    let mut info = HashMap::new();
    info.insert(KEY_VERSION.to_owned(), FORMAT_VERSION.to_string());
    info.insert(KEY_PROGRESS.to_owned(), serde_json::to_string(progress)?);
    info.insert(KEY_VOCAB.to_owned(), serde_json::to_string(vocab.tokens())?);
    Ok(safetensors::serialize(views, Some(info))?)
}

/// Records a training run into its directory: appends metrics, writes checkpoints.
pub struct Recorder {
    dir: RunDir,
    created: String,
    corpus: CorpusInfo,
    device: String,
    metrics: MetricsWriter,
    /// Bytes of a torn last metrics line cut off when recording began.
    torn_bytes: u64,
    /// `samples.jsonl`, opened at the first sample (a torn last line cut off then).
    samples: Option<super::JsonLinesWriter>,
    /// Held as long as this recorder writes into `dir`.
    _lock: RunLock,
}

impl Recorder {
    /// Start recording into `dir`. `resume_from` is the progress of the checkpoint the trainer
    /// was restored from when `dir` is that checkpoint's own directory: the metrics log is cut
    /// back to that checkpoint. Otherwise the log starts empty.
    pub fn open(
        dir: RunDir,
        hp: &HParams,
        corpus_chars: usize,
        device: &str,
        resume: Option<(&RunMeta, &Progress)>,
    ) -> Result<Recorder, RunError> {
        let sha256 = corpus_sha256(&hp.corpus)?;
        let corpus = CorpusInfo {
            source: corpus_label(&corpus_source_absolute(&hp.corpus)),
            sha256,
            chars: corpus_chars,
        };
        let (created, keep) = match resume {
            Some((meta, p)) => (meta.created.clone(), Some(p.metrics_bytes)),
            None => (time::rfc3339(time::now_secs()), None),
        };
        let lock = RunLock::acquire(&dir)?;
        remove_stale_temporaries(&dir.path);
        let (metrics, repair) = MetricsWriter::open(&dir.metrics_path(), keep.unwrap_or(0))?;
        Ok(Recorder {
            dir,
            created,
            corpus,
            device: device.to_owned(),
            metrics,
            torn_bytes: repair.torn_bytes,
            samples: None,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    pub fn metrics(&mut self) -> &mut MetricsWriter {
        &mut self.metrics
    }

    /// Append an epoch's sample to `samples.jsonl` (kept whole: a resumed run's samples are
    /// never cut back, a repeated epoch's later line wins when read).
    pub fn log_sample(&mut self, sample: &crate::metrics::SampleRecord) -> Result<(), RunError> {
        if self.samples.is_none() {
            let (w, _) = super::JsonLinesWriter::open(&self.dir.samples_path(), u64::MAX)?;
            self.samples = Some(w);
        }
        let line = super::SampleLine::Sample(sample.clone());
        self.samples.as_mut().expect("opened above").append(&line)
    }

    /// Bytes of a torn last line (a crash or full disk mid-write) that were cut off the
    /// metrics log when recording began; 0 when it ended at a line's end.
    pub fn torn_bytes(&self) -> u64 {
        self.torn_bytes
    }

    /// Write the best-validation weights, `best.safetensors` (with the progress they were
    /// saved at in their metadata). `run.json` is the latest checkpoint's.
    pub fn save_best(
        &mut self,
        vocab: &Vocab,
        params: &NamedParams,
        progress: &Progress,
    ) -> Result<PathBuf, RunError> {
        let path = self.dir.best_path();
        let bytes = encode_model(params, vocab, progress).map_err(|e| RunError::io(&path, e))?;
        write_atomic(&path, &bytes).map_err(|e| RunError::io(&path, e))?;
        Ok(path)
    }

    /// Write a checkpoint: weights and progress first (the commit point), then `run.json`.
    pub fn save(
        &mut self,
        hp: &HParams,
        vocab: &Vocab,
        params: &NamedParams,
        compute_path: &str,
        optimizer: Option<&OptimizerState>,
        mut progress: Progress,
    ) -> Result<PathBuf, RunError> {
        self.metrics.sync()?;
        progress.metrics_bytes = self.metrics.bytes();
        // Before the weights (the commit point): a crash in between leaves weights that
        // refuse to resume with the newer moments rather than silently mixing them.
        if let Some(state) = optimizer {
            let path = self.dir.path.join(OPTIMIZER_FILE);
            let bytes = encode_optimizer(state, &progress).map_err(|e| RunError::io(&path, e))?;
            write_atomic(&path, &bytes).map_err(|e| RunError::io(&path, e))?;
        }
        let model_path = self.dir.model_path();
        let bytes =
            encode_model(params, vocab, &progress).map_err(|e| RunError::io(&model_path, e))?;
        write_atomic(&model_path, &bytes).map_err(|e| RunError::io(&model_path, e))?;
        let mut hp = hp.clone();
        hp.corpus = corpus_source_absolute(&hp.corpus);
        let meta = RunMeta {
            format_version: FORMAT_VERSION,
            id: self.dir.id.clone(),
            created: self.created.clone(),
            saved: time::rfc3339(time::now_secs()),
            vocab: vocab.tokens().to_vec(),
            hparams: hp,
            corpus: self.corpus.clone(),
            device: self.device.clone(),
            compute_path: compute_path.to_owned(),
            progress,
        };
        meta.save(&self.dir.meta_path())?;
        Ok(self.dir.path.clone())
    }
}

/// Temporary files a killed saver left behind (see [`write_atomic`]).
fn remove_stale_temporaries(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Serde helpers that keep numbers exact through JSON.
pub(crate) mod exact {
    pub mod f64_str {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&format!("{v:?}"))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
            let text = String::deserialize(d)?;
            text.parse()
                .map_err(|_| serde::de::Error::custom(format!("not a number: {text:?}")))
        }
    }

    pub mod u128_str {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&v.to_string())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
            let text = String::deserialize(d)?;
            text.parse()
                .map_err(|_| serde::de::Error::custom(format!("not a whole number: {text:?}")))
        }
    }
}
