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
}

/// The token ids of a corpus and the train/validation split of its windows.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub vocab: Vocab,
    ids: Vec<u32>,
    pub num_steps: usize,
    pub num_train: usize,
    pub num_val: usize,
}

impl Dataset {
    /// Window `i` is `ids[i ..= i + num_steps]`; there are `len - num_steps` of them. The first
    /// `num_train` train, the next `num_val` validate.
    pub fn new(
        vocab: Vocab,
        text: &str,
        num_steps: usize,
        num_train: usize,
        num_val: usize,
    ) -> Result<Self, DatasetError> {
        let ids = vocab.encode(text);
        let windows = ids.len().saturating_sub(num_steps);
        if num_steps == 0 || num_train == 0 || windows < num_train + num_val {
            return Err(DatasetError::TooFewWindows {
                chars: ids.len(),
                windows,
                window: num_steps + 1,
                num_train,
                num_val,
            });
        }
        Ok(Dataset {
            vocab,
            ids,
            num_steps,
            num_train,
            num_val,
        })
    }

    /// Total number of windows the corpus yields (`len - num_steps`).
    pub fn num_windows(&self) -> usize {
        self.ids.len() - self.num_steps
    }

    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Batches per training epoch; the last one may be short (d2l keeps it).
    pub fn train_batches(&self, batch_size: usize) -> usize {
        self.num_train.div_ceil(batch_size)
    }

    /// A fresh permutation of the training windows, drawn from `rng` (one per epoch).
    pub fn shuffled_train_order(&self, rng: &mut impl Rng) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.num_train).collect();
        order.shuffle(rng);
        order
    }

    /// Fill `batch` with the windows starting at `starts` (window indices).
    pub fn fill_batch(&self, starts: &[usize], batch: &mut Batch) {
        let t = self.num_steps;
        batch.batch_size = starts.len();
        batch.num_steps = t;
        batch.x.clear();
        batch.y.clear();
        for &s in starts {
            batch.x.extend_from_slice(&self.ids[s..s + t]);
            batch.y.extend_from_slice(&self.ids[s + 1..s + t + 1]);
        }
    }

    /// Training batch `k` of an epoch whose window order is `order`.
    pub fn train_batch(&self, order: &[usize], k: usize, batch_size: usize, batch: &mut Batch) {
        let lo = k * batch_size;
        let hi = (lo + batch_size).min(order.len());
        self.fill_batch(&order[lo..hi], batch);
    }

    /// Validation batches, in order (windows `num_train .. num_train + num_val`).
    pub fn val_batches(&self, batch_size: usize) -> impl Iterator<Item = Batch> + '_ {
        let starts: Vec<usize> = (self.num_train..self.num_train + self.num_val).collect();
        let chunks: Vec<Vec<usize>> = starts.chunks(batch_size).map(|c| c.to_vec()).collect();
        chunks.into_iter().map(move |c| {
            let mut b = Batch::default();
            self.fill_batch(&c, &mut b);
            b
        })
    }
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
        assert_eq!(b.x[32], d.ids()[5]);
        let val: Vec<Batch> = d.val_batches(1024).collect();
        assert_eq!(val.len(), 5);
        assert_eq!(val.iter().map(|b| b.batch_size).sum::<usize>(), 5_000);
        assert_eq!(val[0].x[0], d.ids()[10_000]);
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
