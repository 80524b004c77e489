//! Sliding windows of `num_steps + 1` characters, split into training and validation
//! exactly as d2l's `TimeMachine` data module does.

use rand::seq::SliceRandom;
use rand::Rng;

use super::vocab::Vocab;

/// A mini-batch of windows, row-major: `x[b * num_steps + t]` is step `t` of window `b`,
/// `y` is `x` shifted by one character.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub x: Vec<u32>,
    pub y: Vec<u32>,
    pub batch_size: usize,
    pub num_steps: usize,
}

impl Batch {
    pub fn tokens(&self) -> usize {
        self.batch_size * self.num_steps
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DatasetError {
    #[error(
        "corpus too short: {chars} characters give {windows} windows of {window} characters, \
         but {num_train} training + {num_val} validation windows are needed"
    )]
    TooFewWindows {
        chars: usize,
        windows: usize,
        window: usize,
        num_train: usize,
        num_val: usize,
    },
    /// `--split whole` leaves too little text on one side for one window.
    #[error(
        "split whole with val-fraction {fraction} leaves {have} {side} characters of the corpus's {chars}; num-steps {num_steps} needs at least {need}"
    )]
    NoWholeWindow {
        side: &'static str,
        fraction: String,
        have: usize,
        need: usize,
        chars: usize,
        num_steps: usize,
    },
}

/// How the text is split into training and validation (`--split`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SplitMode {
    /// d2l's: the first `num_train` windows (stride one) train, the next `num_val` validate.
    #[default]
    D2l,
    /// The first `1 - val_fraction` of the text trains, the rest validates; an epoch covers the
    /// training text once in non-overlapping windows.
    Whole,
}

/// The key of the setting on the command line (`--split`), in the config file and the form.
pub const SPLIT_KEY: &str = "split";

impl SplitMode {
    pub const ALL: [SplitMode; 2] = [SplitMode::D2l, SplitMode::Whole];

    pub fn name(self) -> &'static str {
        match self {
            SplitMode::D2l => "d2l",
            SplitMode::Whole => "whole",
        }
    }
}

impl std::fmt::Display for SplitMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--split` value that names no [`SplitMode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{SPLIT_KEY} must be d2l or whole, got {got:?}")]
pub struct UnknownSplitMode {
    /// The value as given, trimmed.
    pub got: String,
}

impl std::str::FromStr for SplitMode {
    type Err = UnknownSplitMode;

    /// The message is the same from the flag, the config file and the form.
    fn from_str(s: &str) -> Result<Self, UnknownSplitMode> {
        let t = s.trim();
        SplitMode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownSplitMode { got: t.to_owned() })
    }
}

/// What to split and how: [`SplitMode`] with its sizes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SplitSpec {
    D2l { num_train: usize, num_val: usize },
    Whole { val_fraction: f64 },
}

impl SplitSpec {
    /// `(training characters, validation characters, training windows)` that a corpus of
    /// `corpus_chars` characters gives, as [`Dataset`] reports them once built. For readers of a
    /// run that do not load its text (the watcher); the sizes are assumed valid (the run trained).
    pub fn sizes(self, corpus_chars: usize, num_steps: usize) -> (usize, usize, usize) {
        match self {
            SplitSpec::D2l { num_train, num_val } => {
                (num_train + num_steps, num_val + num_steps, num_train)
            }
            SplitSpec::Whole { val_fraction } => {
                let (train, val) = whole_split(corpus_chars, val_fraction);
                let t = num_steps.max(1);
                (train, val, train.saturating_sub(t) / t)
            }
        }
    }
}

/// The token ids of a corpus: two bytes a character when the vocabulary has at most 65 536
/// tokens (always, in practice), else four.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenIds {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl TokenIds {
    /// Narrow to `u16` when every id fits.
    pub fn from_u32(ids: Vec<u32>) -> Self {
        if ids.iter().all(|&i| i <= u16::MAX as u32) {
            TokenIds::U16(ids.into_iter().map(|i| i as u16).collect())
        } else {
            TokenIds::U32(ids)
        }
    }

    pub fn len(&self) -> usize {
        match self {
            TokenIds::U16(v) => v.len(),
            TokenIds::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per id.
    pub fn width(&self) -> usize {
        match self {
            TokenIds::U16(_) => 2,
            TokenIds::U32(_) => 4,
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            TokenIds::U16(v) => v[i] as u32,
            TokenIds::U32(v) => v[i],
        }
    }

    /// Append the ids of `range` to `out`.
    #[inline]
    pub fn extend_into(&self, range: std::ops::Range<usize>, out: &mut Vec<u32>) {
        match self {
            TokenIds::U16(v) => out.extend(v[range].iter().map(|&i| i as u32)),
            TokenIds::U32(v) => out.extend_from_slice(&v[range]),
        }
    }

    pub fn to_vec(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        self.extend_into(0..self.len(), &mut out);
        out
    }
}

/// Where the windows come from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Plan {
    /// Window `i` starts at character `i`; windows `0..num_train` train, the next `num_val`
    /// validate.
    D2l,
    /// Characters `0..train_chars` train, the rest validate.
    Whole {
        train_chars: usize,
        /// Characters in the last, shorter validation window (0: none).
        val_tail: usize,
    },
}

/// The token ids of a corpus and the train/validation split of its windows.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub vocab: Vocab,
    ids: TokenIds,
    pub num_steps: usize,
    /// Training windows per epoch.
    pub num_train: usize,
    /// Full validation windows (`--split whole` may add one shorter window: see
    /// [`Dataset::val_tokens`]).
    pub num_val: usize,
    plan: Plan,
}

impl Dataset {
    /// d2l's split of `text`: window `i` is `ids[i ..= i + num_steps]`; there are
    /// `len - num_steps` of them. The first `num_train` train, the next `num_val` validate.
    pub fn new(
        vocab: Vocab,
        text: &str,
        num_steps: usize,
        num_train: usize,
        num_val: usize,
    ) -> Result<Self, DatasetError> {
        let ids = TokenIds::from_u32(vocab.encode(text));
        Self::from_ids(vocab, ids, num_steps, SplitSpec::D2l { num_train, num_val })
    }

    /// Split encoded ids as `split` says.
    pub fn from_ids(
        vocab: Vocab,
        ids: TokenIds,
        num_steps: usize,
        split: SplitSpec,
    ) -> Result<Self, DatasetError> {
        let n = ids.len();
        let (plan, num_train, num_val) = match split {
            SplitSpec::D2l { num_train, num_val } => {
                let windows = n.saturating_sub(num_steps);
                if num_steps == 0 || num_train == 0 || windows < num_train + num_val {
                    return Err(DatasetError::TooFewWindows {
                        chars: n,
                        windows,
                        window: num_steps + 1,
                        num_train,
                        num_val,
                    });
                }
                (Plan::D2l, num_train, num_val)
            }
            SplitSpec::Whole { val_fraction } => {
                let (train_chars, val_chars) = whole_split(n, val_fraction);
                let t = num_steps.max(1);
                let fraction = format!("{val_fraction}");
                // An epoch starts at a random offset in 0..num_steps, so the training text
                // must hold one window after the largest offset.
                let need_train = 2 * t;
                if train_chars < need_train {
                    return Err(DatasetError::NoWholeWindow {
                        side: "training",
                        fraction,
                        have: train_chars,
                        need: need_train,
                        chars: n,
                        num_steps,
                    });
                }
                if val_chars < t {
                    return Err(DatasetError::NoWholeWindow {
                        side: "validation",
                        fraction,
                        have: val_chars,
                        need: t,
                        chars: n,
                        num_steps,
                    });
                }
                let num_train = (train_chars - t) / t;
                // Validation predicts every held-out character once: window k reads
                // `train_chars - 1 + k*T ..` (the first input is the last training character).
                let num_val = val_chars / t;
                let val_tail = val_chars - num_val * t;
                (
                    Plan::Whole {
                        train_chars,
                        val_tail,
                    },
                    num_train,
                    num_val,
                )
            }
        };
        Ok(Dataset {
            vocab,
            ids,
            num_steps,
            num_train,
            num_val,
            plan,
        })
    }

    /// Total number of windows the corpus yields with stride one (`len - num_steps`).
    pub fn num_windows(&self) -> usize {
        self.ids.len() - self.num_steps
    }

    /// The corpus's token ids.
    pub fn ids(&self) -> &TokenIds {
        &self.ids
    }

    /// Characters in the corpus.
    pub fn corpus_chars(&self) -> usize {
        self.ids.len()
    }

    /// Characters the training windows read (d2l: `num_train + num_steps`, the first ones of the
    /// corpus; whole: the first part of the corpus).
    pub fn train_chars(&self) -> usize {
        match self.plan {
            Plan::D2l => self.num_train + self.num_steps,
            Plan::Whole { train_chars, .. } => train_chars,
        }
    }

    /// Characters the validation windows read (d2l: `num_val + num_steps` after the training
    /// windows' starts; whole: the held-out rest of the corpus).
    pub fn val_chars(&self) -> usize {
        match self.plan {
            Plan::D2l => self.num_val + self.num_steps,
            Plan::Whole { train_chars, .. } => self.ids.len() - train_chars,
        }
    }

    /// Where the validation text begins: the first validation window's start (d2l), or the
    /// first held-out character (whole).
    pub fn val_start(&self) -> usize {
        match self.plan {
            Plan::D2l => self.num_train,
            Plan::Whole { train_chars, .. } => train_chars,
        }
    }

    /// Characters validation predicts (its loss is averaged over these).
    pub fn val_tokens(&self) -> usize {
        match self.plan {
            Plan::D2l => self.num_val * self.num_steps,
            Plan::Whole { val_tail, .. } => self.num_val * self.num_steps + val_tail,
        }
    }

    /// Batches per training epoch; the last one may be short (d2l keeps it).
    pub fn train_batches(&self, batch_size: usize) -> usize {
        self.num_train.div_ceil(batch_size)
    }

    /// The starts (character positions) of an epoch's training windows, in the order to train
    /// them, drawn from `rng` (one draw per epoch). d2l: a permutation of `0..num_train`. Whole:
    /// an offset in `0..num_steps`, then the `num_train` windows from it, each `num_steps`
    /// characters after the last, shuffled.
    pub fn shuffled_train_order(&self, rng: &mut impl Rng) -> Vec<usize> {
        let mut order: Vec<usize> = match self.plan {
            Plan::D2l => (0..self.num_train).collect(),
            Plan::Whole { .. } => {
                let t = self.num_steps;
                let offset = rng.random_range(0..t);
                (0..self.num_train).map(|k| offset + k * t).collect()
            }
        };
        order.shuffle(rng);
        order
    }

    /// Fill `batch` with the windows starting at `starts` (character positions).
    pub fn fill_batch(&self, starts: &[usize], batch: &mut Batch) {
        self.fill_steps(starts, self.num_steps, batch);
    }

    fn fill_steps(&self, starts: &[usize], t: usize, batch: &mut Batch) {
        batch.batch_size = starts.len();
        batch.num_steps = t;
        batch.x.clear();
        batch.y.clear();
        for &s in starts {
            self.ids.extend_into(s..s + t, &mut batch.x);
            self.ids.extend_into(s + 1..s + t + 1, &mut batch.y);
        }
    }

    /// Training batch `k` of an epoch whose window order is `order`.
    pub fn train_batch(&self, order: &[usize], k: usize, batch_size: usize, batch: &mut Batch) {
        let lo = k * batch_size;
        let hi = (lo + batch_size).min(order.len());
        self.fill_batch(&order[lo..hi], batch);
    }

    /// Validation batches, in order. d2l: windows `num_train .. num_train + num_val`. Whole:
    /// non-overlapping windows over the held-out text, so every held-out character is predicted
    /// once; when its length is not a multiple of `num_steps`, a last batch holds one shorter
    /// window with the rest.
    pub fn val_batches(&self, batch_size: usize) -> impl Iterator<Item = Batch> + '_ {
        let t = self.num_steps;
        let (first, stride, tail) = match self.plan {
            Plan::D2l => (self.num_train, 1, 0),
            Plan::Whole {
                train_chars,
                val_tail,
            } => (train_chars - 1, t, val_tail),
        };
        let full = self.num_val;
        let chunks = full.div_ceil(batch_size.max(1));
        let mut starts = Vec::with_capacity(batch_size.min(full));
        (0..chunks)
            .map(move |c| {
                let lo = c * batch_size;
                let hi = (lo + batch_size).min(full);
                starts.clear();
                starts.extend((lo..hi).map(|k| first + k * stride));
                let mut b = Batch::default();
                self.fill_steps(&starts, t, &mut b);
                b
            })
            .chain((tail > 0).then(|| {
                let mut b = Batch::default();
                self.fill_steps(&[first + full * stride], tail, &mut b);
                b
            }))
    }
}

/// `(training, validation)` characters of `n` under `--split whole`: the last
/// `round(n * val_fraction)` characters validate.
pub fn whole_split(n: usize, val_fraction: f64) -> (usize, usize) {
    let val = ((n as f64) * val_fraction).round() as usize;
    let val = val.min(n);
    (n - val, val)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::corpus::{Corpus, CorpusSource};
    use rand::SeedableRng;

    fn tm(num_steps: usize) -> Dataset {
        let c = Corpus::load(&CorpusSource::TimeMachine).unwrap();
        Dataset::new(Vocab::from_text(&c.text), &c.text, num_steps, 10_000, 5_000).unwrap()
    }

    #[test]
    fn windows_and_split_match_d2l() {
        let d = tm(32);
        assert_eq!(d.ids().len(), 173_428);
        assert_eq!(d.num_windows(), 173_428 - 32);
        assert_eq!(d.train_batches(1024), 10);
        let mut b = Batch::default();
        d.fill_batch(&[0, 5], &mut b);
        assert_eq!(b.x.len(), 64);
        assert_eq!(
            d.vocab.decode(&b.x[..32]),
            "the time machine by h g wells i "
        );
        assert_eq!(&b.x[1..32], &b.y[..31]);
        assert_eq!(b.x[32], d.ids().get(5));
        let val: Vec<Batch> = d.val_batches(1024).collect();
        assert_eq!(val.len(), 5);
        assert_eq!(val.iter().map(|b| b.batch_size).sum::<usize>(), 5_000);
        assert_eq!(val[0].x[0], d.ids().get(10_000));
    }

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let d = tm(32);
        let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let a = d.shuffled_train_order(&mut r1);
        assert_eq!(a, d.shuffled_train_order(&mut r2));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10_000).collect::<Vec<_>>());
        assert_ne!(a, d.shuffled_train_order(&mut r1), "reshuffled every epoch");
        let mut b = Batch::default();
        d.train_batch(&a, 9, 1024, &mut b);
        assert_eq!(b.batch_size, 10_000 - 9 * 1024);
    }

    #[test]
    fn too_short_corpus_names_the_numbers() {
        let v = Vocab::from_text("abc ");
        let err = Dataset::new(v, "abc abc abc", 4, 5, 3).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("11 characters give 7 windows"), "{msg}");
        assert!(msg.contains("5 training + 3 validation"), "{msg}");
    }
}
