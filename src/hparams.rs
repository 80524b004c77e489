//! Hyperparameters and the one routine that validates them, shared by the command line, the
//! config file and the cockpit's form so all three give the same messages.

use serde::{Deserialize, Serialize};

use crate::data::dataset::{UnknownSplitMode, SPLIT_KEY};
use crate::data::text::{UnknownTextMode, TEXT_KEY};
use crate::data::{CorpusSource, SplitMode, SplitSpec, TextMode};
use crate::number_format::compact;

/// Largest working set the trainer will try to allocate (estimated before allocating).
pub const MEMORY_LIMIT_BYTES: u64 = 4 << 30;

/// d2l's vocabulary on The Time Machine: space, `<unk>`, a–z.
pub const D2L_VOCAB: usize = 28;

/// Why a hyperparameter (or a set of them) is refused. Every message is one line that names the
/// field by its command-line / config key, and is the same from the flags, the config file and
/// the cockpit's form.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HParamError {
    #[error("{key} must be a whole number, got {text:?}")]
    NotWhole { key: String, text: String },
    #[error("{key} must be a number, got {text:?}")]
    NotNumber { key: String, text: String },
    #[error("seed must be a whole number ≥ 0, got {text:?}")]
    Seed { text: String },
    #[error("embed must be a whole number ≥ 0 (0: one-hot input), got {text:?}")]
    Embed { text: String },
    #[error("{key} must be at least 1")]
    Zero { key: String },
    #[error("{key} must be at most {max}, got {value}")]
    TooLarge {
        key: String,
        max: usize,
        value: usize,
    },
    #[error("{key} must be a positive finite number, got {}", shown(.value))]
    NotPositive { key: String, value: f64 },
    #[error(
        "clip must be a positive finite number, or 0 or \"{CLIP_OFF}\" for no clipping, got {}",
        shown(.value)
    )]
    Clip { value: f64 },
    #[error(
        "dropout must be a number from 0 up to (not including) 1, got {}",
        shown(.value)
    )]
    Dropout { value: f64 },
    /// Dropout asked of d2l §9.5's model, which has no layer it applies to.
    #[error(
        "dropout applies between recurrent layers and before the output layer of the gru/lstm/stacked/embedding models; d2l §9.5's model (rnn, 1 layer, one-hot input) has none: pass --cell gru|lstm, --layers 2 or --embed N, or drop --dropout"
    )]
    DropoutWithoutLayers,
    #[error(
        "{LR_DECAY_KEY} must be a number above 0 and at most 1 (1: no decay), got {}",
        shown(.value)
    )]
    LrDecay { value: f64 },
    #[error(
        "{VAL_FRACTION_KEY} must be a number between 0 and 1 (both excluded), got {}",
        shown(.value)
    )]
    ValFraction { value: f64 },
    #[error("cell must be rnn, gru or lstm, got {text:?}")]
    Cell { text: String },
    #[error("optimizer must be sgd or adam, got {text:?}")]
    Optimizer { text: String },
    #[error(transparent)]
    Text(#[from] UnknownTextMode),
    #[error(transparent)]
    Split(#[from] UnknownSplitMode),
    #[error("corpus must be a file path or \"timemachine\"")]
    NoCorpus,
    #[error("unknown hyperparameter {key:?}")]
    UnknownKey { key: String },
    /// The estimated training working set is over [`MEMORY_LIMIT_BYTES`].
    #[error(
        "these sizes need about {:.1} GiB for training (batch-size {batch_size} x num-steps {num_steps} x hiddens {hiddens}{}); the limit is {} GiB",
        gib(.need_bytes),
        vocab_part(.vocab),
        MEMORY_LIMIT_BYTES >> 30
    )]
    Memory {
        need_bytes: u64,
        batch_size: usize,
        num_steps: usize,
        hiddens: usize,
        vocab: usize,
    },
}

/// A number in a message, as the form shows it.
fn shown(v: &f64) -> String {
    compact(*v)
}

fn gib(bytes: &u64) -> f64 {
    *bytes as f64 / (1u64 << 30) as f64
}

/// The vocabulary in the memory message, when it is not d2l's.
fn vocab_part(vocab: &usize) -> String {
    if *vocab == D2L_VOCAB {
        String::new()
    } else {
        format!(" x vocabulary {vocab}")
    }
}

/// Everything that defines a training run. Defaults are d2l §9.5's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HParams {
    pub hiddens: usize,
    pub num_steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub clip: f64,
    pub epochs: usize,
    pub seed: u64,
    pub num_train: usize,
    pub num_val: usize,
    #[serde(with = "corpus_serde")]
    pub corpus: CorpusSource,
    /// How the text is read: d2l (a–z and spaces), letters (every script), raw.
    pub text: TextMode,
    /// How the text is split: d2l (`num_train` / `num_val` windows) or whole.
    pub split: SplitMode,
    /// With `split = whole`: the share of the text, at its end, that validates.
    pub val_fraction: f64,
    /// The recurrent cell: d2l §9.5's RNN (default), or a GRU / LSTM (§10.2 / §10.1).
    pub cell: Cell,
    /// Stacked recurrent layers (d2l §10.3).
    pub layers: usize,
    /// Size of a learned input embedding; 0: one-hot input, as §9.5.
    pub embed: usize,
    /// How the gradients move the weights.
    pub optimizer: Optimizer,
    /// Inverted dropout on every recurrent layer's outputs while training (0: none).
    pub dropout: f64,
    /// When an epoch's validation perplexity does not beat the best so far, the learning rate
    /// is multiplied by this (PyTorch's `ReduceLROnPlateau` with patience 0); 1: never, as d2l.
    pub lr_decay: f64,
    /// Characters the greedy completion adds to the prefix: the cockpit's completion pane and
    /// the sample kept at every epoch's end (`samples.jsonl`). Changes apply live.
    pub completion_len: usize,
}

/// The recurrent cell of a model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    /// `h' = tanh(x W_xh + h W_hh + b)` (d2l §9.5; PyTorch's `nn.RNN`).
    #[default]
    Rnn,
    /// Gated recurrent unit, PyTorch's gate order (r, z, n).
    Gru,
    /// Long short-term memory, PyTorch's gate order (i, f, g, o).
    Lstm,
}

impl Cell {
    pub const ALL: [Cell; 3] = [Cell::Rnn, Cell::Gru, Cell::Lstm];

    pub fn name(self) -> &'static str {
        match self {
            Cell::Rnn => "rnn",
            Cell::Gru => "gru",
            Cell::Lstm => "lstm",
        }
    }

    /// Gates per layer: the rows of `weight_ih` are `gates() * hiddens`.
    pub fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru => 3,
            Cell::Lstm => 4,
        }
    }

    pub fn parse(text: &str) -> Result<Cell, HParamError> {
        let t = text.trim().to_ascii_lowercase();
        Cell::ALL
            .into_iter()
            .find(|c| c.name() == t)
            .ok_or_else(|| HParamError::Cell {
                text: text.trim().to_owned(),
            })
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The update rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// `p -= lr * g` (d2l's).
    #[default]
    Sgd,
    /// Adam (betas 0.9 / 0.999, eps 1e-8, bias-corrected).
    Adam,
}

impl Optimizer {
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Adam => "adam",
        }
    }

    pub fn parse(text: &str) -> Result<Optimizer, HParamError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sgd" => Ok(Optimizer::Sgd),
            "adam" => Ok(Optimizer::Adam),
            _ => Err(HParamError::Optimizer {
                text: text.trim().to_owned(),
            }),
        }
    }
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Parse a dropout probability: a number in [0, 1).
pub fn parse_dropout(text: &str) -> Result<f64, HParamError> {
    check_dropout(parse_number(Field::Dropout.key(), text)?)
}

fn check_dropout(v: f64) -> Result<f64, HParamError> {
    if !(0.0..1.0).contains(&v) {
        return Err(HParamError::Dropout { value: v });
    }
    Ok(v)
}

/// Parse an embedding size: a whole number ≥ 0 (0 = one-hot input).
pub fn parse_embed(text: &str) -> Result<usize, HParamError> {
    let v: usize = text.trim().parse().map_err(|_| HParamError::Embed {
        text: text.trim().to_owned(),
    })?;
    check_embed(v)
}

fn check_embed(v: usize) -> Result<usize, HParamError> {
    if v > MAX_EMBED {
        return Err(HParamError::TooLarge {
            key: Field::Embed.key().to_owned(),
            max: MAX_EMBED,
            value: v,
        });
    }
    Ok(v)
}

/// Largest embedding size.
pub const MAX_EMBED: usize = 4096;

impl Default for HParams {
    fn default() -> Self {
        HParams {
            hiddens: 32,
            num_steps: 32,
            batch_size: 1024,
            lr: 1.0,
            clip: 1.0,
            epochs: 100,
            seed: 0,
            num_train: 10_000,
            num_val: 5_000,
            corpus: CorpusSource::TimeMachine,
            text: TextMode::D2l,
            split: SplitMode::D2l,
            val_fraction: DEFAULT_VAL_FRACTION,
            cell: Cell::Rnn,
            layers: 1,
            embed: 0,
            optimizer: Optimizer::Sgd,
            dropout: 0.0,
            lr_decay: 1.0,
            completion_len: DEFAULT_COMPLETION_LEN,
        }
    }
}

/// `--completion-len`'s default: the completion pane's length before it was a setting.
pub const DEFAULT_COMPLETION_LEN: usize = 40;

/// `--val-fraction`'s default: the last 10% of the text validates.
pub const DEFAULT_VAL_FRACTION: f64 = 0.1;

/// The fields a user can edit, in the order the form shows them (the form owns their labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Hiddens,
    NumSteps,
    BatchSize,
    Lr,
    Clip,
    Epochs,
    Seed,
    Corpus,
    Text,
    Split,
    ValFraction,
    Cell,
    Layers,
    Embed,
    Optimizer,
    Dropout,
    LrDecay,
    CompletionLen,
}

impl Field {
    pub const ALL: [Field; 18] = [
        Field::Hiddens,
        Field::NumSteps,
        Field::BatchSize,
        Field::Lr,
        Field::Clip,
        Field::Epochs,
        Field::Seed,
        Field::Corpus,
        Field::Text,
        Field::Split,
        Field::ValFraction,
        Field::Cell,
        Field::Layers,
        Field::Embed,
        Field::Optimizer,
        Field::Dropout,
        Field::LrDecay,
        Field::CompletionLen,
    ];

    /// The name used on the command line and in the config file.
    pub fn key(self) -> &'static str {
        match self {
            Field::Hiddens => "hiddens",
            Field::NumSteps => "num-steps",
            Field::BatchSize => "batch-size",
            Field::Lr => "lr",
            Field::Clip => "clip",
            Field::Epochs => "epochs",
            Field::Seed => "seed",
            Field::Corpus => "corpus",
            Field::Text => TEXT_KEY,
            Field::Split => SPLIT_KEY,
            Field::ValFraction => VAL_FRACTION_KEY,
            Field::Cell => "cell",
            Field::Layers => "layers",
            Field::Embed => "embed",
            Field::Optimizer => "optimizer",
            Field::Dropout => "dropout",
            Field::LrDecay => LR_DECAY_KEY,
            Field::CompletionLen => "completion-len",
        }
    }

    /// Whether a change needs a new model or dataset (a restart) rather than applying live
    /// (lr and clip from the next batch; epochs, the run's length, at once).
    pub fn needs_restart(self) -> bool {
        !matches!(
            self,
            Field::Lr | Field::Clip | Field::Epochs | Field::CompletionLen
        )
    }
}

impl Field {
    /// The field a command-line (`num-steps`) or config-file (`num_steps`) key names.
    pub fn from_key(key: &str) -> Option<Field> {
        let key = key.replace('_', "-");
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Parse this count field's value, within its bounds.
    fn parse_count(self, text: &str) -> Result<usize, HParamError> {
        parse_count(self.key(), text, self.max().unwrap_or(usize::MAX))
    }

    /// The largest value a count field takes (`None` for the non-count fields).
    fn max(self) -> Option<usize> {
        match self {
            Field::Hiddens => Some(4096),
            Field::NumSteps => Some(10_000),
            Field::BatchSize => Some(1 << 20),
            Field::Epochs => Some(1_000_000),
            Field::Layers => Some(MAX_LAYERS),
            Field::CompletionLen => Some(MAX_COMPLETION_LEN),
            _ => None,
        }
    }
}

/// Longest completion the cockpit and the epoch samples generate.
pub const MAX_COMPLETION_LEN: usize = 2000;

/// Most stacked layers.
pub const MAX_LAYERS: usize = 16;

/// Parse a whole number; the message names `key` (as the form, the config file and the command
/// line all do).
pub fn parse_whole(key: &str, text: &str) -> Result<usize, HParamError> {
    text.trim().parse().map_err(|_| HParamError::NotWhole {
        key: key.to_owned(),
        text: text.trim().to_owned(),
    })
}

/// Parse a number (not yet checked to be positive and finite).
pub fn parse_number(key: &str, text: &str) -> Result<f64, HParamError> {
    text.trim().parse().map_err(|_| HParamError::NotNumber {
        key: key.to_owned(),
        text: text.trim().to_owned(),
    })
}

/// Parse a seed: a whole number ≥ 0.
pub fn parse_seed(text: &str) -> Result<u64, HParamError> {
    text.trim().parse().map_err(|_| HParamError::Seed {
        text: text.trim().to_owned(),
    })
}

fn check_count(key: &str, v: usize, max: usize) -> Result<usize, HParamError> {
    if v == 0 {
        return Err(HParamError::Zero {
            key: key.to_owned(),
        });
    }
    if v > max {
        return Err(HParamError::TooLarge {
            key: key.to_owned(),
            max,
            value: v,
        });
    }
    Ok(v)
}

fn parse_count(key: &str, text: &str, max: usize) -> Result<usize, HParamError> {
    check_count(key, parse_whole(key, text)?, max)
}

fn check_positive(field: Field, v: f64) -> Result<f64, HParamError> {
    if !v.is_finite() || v <= 0.0 {
        return Err(HParamError::NotPositive {
            key: field.key().to_owned(),
            value: v,
        });
    }
    Ok(v)
}

/// The clip threshold: a positive finite number, or 0 / `off` for no clipping (as d2l's
/// trainer treats `gradient_clip_val=0`). Negative, NaN and infinite thresholds are refused.
pub fn parse_clip(text: &str) -> Result<f64, HParamError> {
    check_clip(parse_clip_number(text)?)
}

/// The clip threshold's text as a number (`off` is 0), not yet range-checked: the command line
/// parses with this and leaves the range to [`HParams::validate`], as for every other number.
pub fn parse_clip_number(text: &str) -> Result<f64, HParamError> {
    if text.trim().eq_ignore_ascii_case(CLIP_OFF) {
        return Ok(0.0);
    }
    parse_number(Field::Clip.key(), text)
}

fn check_clip(v: f64) -> Result<f64, HParamError> {
    if !v.is_finite() || v < 0.0 {
        return Err(HParamError::Clip { value: v });
    }
    Ok(v)
}

/// How "no clipping" is written: accepted by the flag, the config file and the form, and shown
/// wherever the threshold is.
pub const CLIP_OFF: &str = "off";

/// The clip threshold as the user sees it: `off` for no clipping, else the number.
pub fn clip_text(clip: f64) -> String {
    if clip == 0.0 {
        CLIP_OFF.into()
    } else {
        compact(clip)
    }
}

/// The key of the learning-rate decay on a validation plateau.
pub const LR_DECAY_KEY: &str = "lr-decay";

/// Parse an `--lr-decay`: a factor above 0 and at most 1.
pub fn parse_lr_decay(text: &str) -> Result<f64, HParamError> {
    check_lr_decay(parse_number(LR_DECAY_KEY, text)?)
}

fn check_lr_decay(v: f64) -> Result<f64, HParamError> {
    if !(v > 0.0 && v <= 1.0) {
        return Err(HParamError::LrDecay { value: v });
    }
    Ok(v)
}

/// Keys of the two split sizes (not in the form; the command line and the config file set them).
pub const NUM_TRAIN_KEY: &str = "num-train";
pub const NUM_VAL_KEY: &str = "num-val";
pub const VAL_FRACTION_KEY: &str = "val-fraction";

/// Parse a `--val-fraction`: a number strictly between 0 and 1.
pub fn parse_val_fraction(text: &str) -> Result<f64, HParamError> {
    check_val_fraction(parse_number(VAL_FRACTION_KEY, text)?)
}

fn check_val_fraction(v: f64) -> Result<f64, HParamError> {
    if !(v > 0.0 && v < 1.0) {
        return Err(HParamError::ValFraction { value: v });
    }
    Ok(v)
}

impl HParams {
    /// The current value of a field as text (what the form shows).
    pub fn get(&self, field: Field) -> String {
        match field {
            Field::Hiddens => self.hiddens.to_string(),
            Field::NumSteps => self.num_steps.to_string(),
            Field::BatchSize => self.batch_size.to_string(),
            Field::Lr => compact(self.lr),
            Field::Clip => clip_text(self.clip),
            Field::Epochs => self.epochs.to_string(),
            Field::Seed => self.seed.to_string(),
            Field::Corpus => match &self.corpus {
                CorpusSource::TimeMachine => "timemachine".into(),
                CorpusSource::File(p) => p.display().to_string(),
            },
            Field::Text => self.text.name().into(),
            Field::Split => self.split.name().into(),
            Field::ValFraction => compact(self.val_fraction),
            Field::Cell => self.cell.name().into(),
            Field::Layers => self.layers.to_string(),
            Field::Embed => self.embed.to_string(),
            Field::Optimizer => self.optimizer.name().into(),
            Field::Dropout => compact(self.dropout),
            Field::LrDecay => compact(self.lr_decay),
            Field::CompletionLen => self.completion_len.to_string(),
        }
    }

    /// Parse and check one field from text, then check the whole set; on error `self` is
    /// unchanged and the message says what is wrong.
    pub fn set(&mut self, field: Field, text: &str) -> Result<(), HParamError> {
        let mut next = self.clone();
        next.parse_field(field, text)?;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Parse one field from text and check it alone (not the whole set: see [`HParams::set`]).
    /// The config file sets every key this way, then validates once.
    pub fn parse_field(&mut self, field: Field, text: &str) -> Result<(), HParamError> {
        let key = field.key();
        match field {
            Field::Hiddens => self.hiddens = field.parse_count(text)?,
            Field::NumSteps => self.num_steps = field.parse_count(text)?,
            Field::BatchSize => self.batch_size = field.parse_count(text)?,
            Field::Epochs => self.epochs = field.parse_count(text)?,
            Field::Lr => self.lr = check_positive(field, parse_number(key, text)?)?,
            Field::Clip => self.clip = parse_clip(text)?,
            Field::Seed => self.seed = parse_seed(text)?,
            Field::Corpus => {
                if text.trim().is_empty() {
                    return Err(HParamError::NoCorpus);
                }
                self.corpus = CorpusSource::parse(text)
            }
            Field::Text => self.text = text.parse()?,
            Field::Split => self.split = text.parse()?,
            Field::ValFraction => self.val_fraction = parse_val_fraction(text)?,
            Field::Cell => self.cell = Cell::parse(text)?,
            Field::Layers => self.layers = field.parse_count(text)?,
            Field::Embed => self.embed = parse_embed(text)?,
            Field::Optimizer => self.optimizer = Optimizer::parse(text)?,
            Field::Dropout => self.dropout = parse_dropout(text)?,
            Field::LrDecay => self.lr_decay = parse_lr_decay(text)?,
            Field::CompletionLen => self.completion_len = field.parse_count(text)?,
        }
        Ok(())
    }

    /// Parse `num-train` or `num-val` from text.
    pub fn parse_split(&mut self, key: &str, text: &str) -> Result<(), HParamError> {
        match key {
            NUM_TRAIN_KEY => self.num_train = parse_count(key, text, usize::MAX)?,
            NUM_VAL_KEY => self.num_val = parse_count(key, text, usize::MAX)?,
            other => {
                return Err(HParamError::UnknownKey {
                    key: other.to_owned(),
                })
            }
        }
        Ok(())
    }

    /// Check every field and the estimated memory. Corpus-dependent checks (enough windows)
    /// happen when the dataset is built.
    pub fn validate(&self) -> Result<(), HParamError> {
        for (field, v) in [
            (Field::Hiddens, self.hiddens),
            (Field::NumSteps, self.num_steps),
            (Field::BatchSize, self.batch_size),
            (Field::Epochs, self.epochs),
            (Field::Layers, self.layers),
            (Field::CompletionLen, self.completion_len),
        ] {
            check_count(field.key(), v, field.max().unwrap_or(usize::MAX))?;
        }
        check_positive(Field::Lr, self.lr)?;
        check_clip(self.clip)?;
        check_embed(self.embed)?;
        check_dropout(self.dropout)?;
        // §9.5's model has no layer output that dropout could apply to: refuse rather than
        // train as if it were not there.
        if self.is_section_9_5() && self.dropout > 0.0 {
            return Err(HParamError::DropoutWithoutLayers);
        }
        check_lr_decay(self.lr_decay)?;
        // No validation windows would leave the validation perplexity undefined (NaN).
        check_count(NUM_TRAIN_KEY, self.num_train, usize::MAX)?;
        check_count(NUM_VAL_KEY, self.num_val, usize::MAX)?;
        check_val_fraction(self.val_fraction)?;
        // The vocabulary is known once the corpus is read ([`HParams::check_memory`]); before,
        // d2l's 28 tokens are the least any text needs.
        self.check_memory(D2L_VOCAB)
    }

    /// Refuse sizes whose training working set for a vocabulary of `vocab` tokens would not
    /// fit (see [`HParams::estimated_memory_bytes_for`]).
    pub fn check_memory(&self, vocab: usize) -> Result<(), HParamError> {
        let need = self.estimated_memory_bytes_for(vocab);
        if need <= MEMORY_LIMIT_BYTES {
            return Ok(());
        }
        Err(HParamError::Memory {
            need_bytes: need,
            batch_size: self.batch_size,
            num_steps: self.num_steps,
            hiddens: self.hiddens,
            vocab,
        })
    }

    /// [`HParams::estimated_memory_bytes_for`] d2l's vocabulary of 28 tokens.
    pub fn estimated_memory_bytes(&self) -> u64 {
        self.estimated_memory_bytes_for(D2L_VOCAB)
    }

    /// A generous estimate of the training working set: per token, a few copies of the hidden
    /// state and of the logits over the `vocab` tokens (forward values and their gradients),
    /// 4 bytes each, plus the weights (and their gradients and copies), which grow with the
    /// vocabulary too.
    pub fn estimated_memory_bytes_for(&self, vocab: usize) -> u64 {
        let v = vocab as u64;
        let tokens = (self.batch_size as u64).saturating_mul(self.num_steps as u64);
        let h = self.hiddens as u64;
        // Gated cells and stacks keep gates x layers times the state (1 x 1 for §9.5).
        let gl = (self.cell.gates() as u64).saturating_mul(self.layers as u64);
        let e = self.embed as u64;
        let per_token = 4 * (6 * h * gl + 2 * e + 6 * v);
        let weights = 4 * 4 * (h * h * gl + 2 * h * v + h + v + e * (v + h * gl));
        tokens.saturating_mul(per_token).saturating_add(weights)
    }

    /// The model in a few words, as `runs` shows it: `rnn H32 sgd`, `gru×2 H256 E64 adam`,
    /// `lstm H256 adam dropout 0.3`.
    pub fn model_label(&self) -> String {
        let mut s = self.cell.name().to_owned();
        if self.layers > 1 {
            s.push_str(&format!("×{}", self.layers));
        }
        s.push_str(&format!(" H{}", self.hiddens));
        if self.embed > 0 {
            s.push_str(&format!(" E{}", self.embed));
        }
        s.push(' ');
        s.push_str(self.optimizer.name());
        if self.dropout > 0.0 {
            s.push_str(&format!(" dropout {}", compact(self.dropout)));
        }
        s
    }

    /// Whether this is d2l §9.5's model exactly (one RNN layer on one-hot input), whose
    /// parameters keep their §9.5 names `W_xh, W_hh, b_h, W_hq, b_q`.
    pub fn is_section_9_5(&self) -> bool {
        self.cell == Cell::Rnn && self.layers == 1 && self.embed == 0
    }

    /// The split the dataset is built with.
    pub fn split_spec(&self) -> SplitSpec {
        match self.split {
            SplitMode::D2l => SplitSpec::D2l {
                num_train: self.num_train,
                num_val: self.num_val,
            },
            SplitMode::Whole => SplitSpec::Whole {
                val_fraction: self.val_fraction,
            },
        }
    }

    pub fn tokens_per_batch(&self) -> usize {
        self.batch_size * self.num_steps
    }
}

mod corpus_serde {
    use super::CorpusSource;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &CorpusSource, s: S) -> Result<S::Ok, S::Error> {
        match c {
            CorpusSource::TimeMachine => s.serialize_str("timemachine"),
            CorpusSource::File(p) => s.serialize_str(&p.display().to_string()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CorpusSource, D::Error> {
        Ok(CorpusSource::parse(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_d2l_and_valid() {
        let h = HParams::default();
        assert_eq!((h.hiddens, h.num_steps, h.batch_size), (32, 32, 1024));
        assert_eq!((h.lr, h.clip, h.epochs), (1.0, 1.0, 100));
        h.validate().unwrap();
    }

    #[test]
    fn bad_values_are_refused_with_a_message_and_leave_state_alone() {
        let mut h = HParams::default();
        for (field, text, needle) in [
            (Field::Hiddens, "0", "at least 1"),
            (Field::Hiddens, "-3", "whole number"),
            (Field::Hiddens, "abc", "whole number"),
            (Field::Lr, "nan", "positive finite"),
            (Field::Lr, "inf", "positive finite"),
            (Field::Lr, "-1", "positive finite"),
            (Field::Clip, "-1", "or 0 or \"off\" for no clipping"),
            (Field::Clip, "nan", "or 0 or \"off\" for no clipping"),
            (Field::Clip, "offf", "clip must be a number"),
            (Field::BatchSize, "1000000", "GiB"),
            (Field::Seed, "-1", "seed"),
            (Field::Corpus, "  ", "corpus"),
        ] {
            let err = h.set(field, text).unwrap_err().to_string();
            assert!(err.contains(needle), "{field:?}={text}: {err}");
            assert_eq!(h, HParams::default());
        }
        h.set(Field::Lr, " 0.5 ").unwrap();
        assert_eq!(h.lr, 0.5);
        // 0 and "off" both mean no clipping, shown as "off".
        for off in ["0", "off", " OFF "] {
            h.set(Field::Clip, "2").unwrap();
            h.set(Field::Clip, off).unwrap();
            assert_eq!(
                (h.clip, h.get(Field::Clip).as_str()),
                (0.0, "off"),
                "{off:?}"
            );
        }
        h.set(Field::Lr, "1e39").unwrap();
        assert_eq!(h.get(Field::Lr), "1e39");
        h.set(Field::Corpus, "sample_texts/x.txt").unwrap();
        assert_eq!(h.get(Field::Corpus), "sample_texts/x.txt");
    }

    #[test]
    fn model_settings_parse_check_and_label() {
        let mut h = HParams::default();
        for (field, text, needle) in [
            (
                Field::Cell,
                "xyz",
                "cell must be rnn, gru or lstm, got \"xyz\"",
            ),
            (Field::Layers, "0", "layers must be at least 1"),
            (Field::Layers, "17", "layers must be at most 16"),
            (Field::Embed, "-3", "embed must be a whole number ≥ 0"),
            (Field::Optimizer, "rmsprop", "optimizer must be sgd or adam"),
            (Field::Dropout, "1", "dropout must be a number from 0 up to"),
            (
                Field::Dropout,
                "nan",
                "dropout must be a number from 0 up to",
            ),
            (
                Field::Dropout,
                "-0.1",
                "dropout must be a number from 0 up to",
            ),
        ] {
            let err = h.set(field, text).unwrap_err().to_string();
            assert!(err.contains(needle), "{field:?}={text}: {err}");
            assert_eq!(h, HParams::default());
        }
        assert_eq!(h.model_label(), "rnn H32 sgd");
        assert!(h.is_section_9_5());
        h.set(Field::Cell, " GRU ").unwrap();
        h.set(Field::Layers, "2").unwrap();
        h.set(Field::Embed, "64").unwrap();
        h.set(Field::Optimizer, "adam").unwrap();
        h.set(Field::Dropout, "0.3").unwrap();
        h.set(Field::Hiddens, "256").unwrap();
        assert_eq!(h.model_label(), "gru×2 H256 E64 adam dropout 0.3");
        assert!(!h.is_section_9_5());
        let back: HParams = toml::from_str(&toml::to_string(&h).unwrap()).unwrap();
        assert_eq!(back, h);
        // A run.json written before these settings existed reads as today's model.
        let old: HParams = serde_json::from_str("{\"hiddens\": 32}").unwrap();
        assert_eq!(old, HParams::default());
        // The default model's memory estimate is unchanged; gates and layers count.
        let lstm2 = HParams {
            cell: Cell::Lstm,
            layers: 2,
            ..HParams::default()
        };
        assert!(lstm2.estimated_memory_bytes() > 4 * HParams::default().estimated_memory_bytes());
    }

    #[test]
    fn dropout_is_refused_on_the_section_9_5_model_only() {
        let refused = HParams {
            dropout: 0.5,
            ..HParams::default()
        };
        assert!(refused.is_section_9_5());
        let err = refused.validate().unwrap_err();
        assert_eq!(err, HParamError::DropoutWithoutLayers);
        let msg = err.to_string();
        assert!(
            msg.starts_with("dropout applies between recurrent layers"),
            "{msg}"
        );
        assert!(
            msg.contains("--cell gru|lstm, --layers 2 or --embed N"),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
        // Every model with a layer for dropout to act on takes it.
        for hp in [
            HParams {
                cell: Cell::Gru,
                ..refused.clone()
            },
            HParams {
                cell: Cell::Lstm,
                ..refused.clone()
            },
            HParams {
                layers: 2,
                ..refused.clone()
            },
            HParams {
                embed: 8,
                ..refused.clone()
            },
        ] {
            assert!(!hp.is_section_9_5());
            hp.validate().unwrap();
        }
        // §9.5 with no dropout is the default and valid.
        HParams {
            dropout: 0.0,
            ..refused.clone()
        }
        .validate()
        .unwrap();
        // The form's path (`set`): refused and unchanged; allowed once the model has layers.
        let mut h = HParams::default();
        assert_eq!(
            h.set(Field::Dropout, "0.5"),
            Err(HParamError::DropoutWithoutLayers)
        );
        assert_eq!(h, HParams::default());
        h.set(Field::Dropout, "0").unwrap();
        h.set(Field::Embed, "8").unwrap();
        h.set(Field::Dropout, "0.5").unwrap();
        // Going back to §9.5 with dropout on is refused too.
        assert_eq!(
            h.set(Field::Embed, "0"),
            Err(HParamError::DropoutWithoutLayers)
        );
        assert_eq!(h.embed, 8);
    }

    #[test]
    fn messages_are_the_ones_the_flags_config_and_form_share() {
        let mut h = HParams::default();
        for (field, text, message) in [
            (
                Field::Hiddens,
                "x",
                "hiddens must be a whole number, got \"x\"",
            ),
            (
                Field::Hiddens,
                "5000",
                "hiddens must be at most 4096, got 5000",
            ),
            (Field::Embed, "5000", "embed must be at most 4096, got 5000"),
            (Field::Lr, "abc", "lr must be a number, got \"abc\""),
            (Field::Lr, "0", "lr must be a positive finite number, got 0"),
            (
                Field::Text,
                "bytes",
                "text must be d2l, letters or raw, got \"bytes\"",
            ),
            (
                Field::Split,
                "half",
                "split must be d2l or whole, got \"half\"",
            ),
            (
                Field::ValFraction,
                "1",
                "val-fraction must be a number between 0 and 1 (both excluded), got 1",
            ),
            (
                Field::Corpus,
                " ",
                "corpus must be a file path or \"timemachine\"",
            ),
        ] {
            assert_eq!(h.set(field, text).unwrap_err().to_string(), message);
        }
        assert_eq!(
            h.parse_split("num-x", "3").unwrap_err().to_string(),
            "unknown hyperparameter \"num-x\""
        );
        let big = HParams {
            batch_size: 1_000_000,
            ..HParams::default()
        };
        assert_eq!(
            big.check_memory(100).unwrap_err().to_string(),
            "these sizes need about 94.4 GiB for training (batch-size 1000000 x num-steps 32 x hiddens 32 x vocabulary 100); the limit is 4 GiB"
        );
    }

    #[test]
    fn round_trips_through_toml() {
        let mut h = HParams::default();
        h.set(Field::Hiddens, "64").unwrap();
        let text = toml::to_string(&h).unwrap();
        let back: HParams = toml::from_str(&text).unwrap();
        assert_eq!(back, h);
        let partial: HParams = toml::from_str("lr = 0.25").unwrap();
        assert_eq!(partial.lr, 0.25);
        assert_eq!(partial.hiddens, 32);
    }
}
