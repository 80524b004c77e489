//! A copy of the weights in plain memory, and greedy decoding from it.
//!
//! The trainer publishes snapshots over the channel; the cockpit completes prefixes from the
//! newest one on every keystroke without touching a tensor or waiting for a batch to finish.

use std::fmt;

use crate::data::Vocab;

/// The five parameters, row-major `f32`, plus the vocabulary they were trained with.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSnapshot {
    pub vocab: Vocab,
    pub hiddens: usize,
    pub w_xh: Vec<f32>,
    pub w_hh: Vec<f32>,
    pub b_h: Vec<f32>,
    pub w_hq: Vec<f32>,
    pub b_q: Vec<f32>,
}

/// Why a completion could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompletionError {
    #[error("the prefix is empty: type at least one character to complete")]
    EmptyPrefix,
}

/// What `complete` returns: the prefix tokens followed by the generated ones, and the hidden
/// state after reading each of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// One token per character (`<unk>` for characters outside the vocabulary).
    pub tokens: Vec<String>,
    /// How many of `tokens` are the prefix.
    pub prefix_len: usize,
    /// `hidden[i]` is the state (`hiddens` values in -1..1) after reading `tokens[i]`.
    pub hidden: Vec<Vec<f32>>,
}

impl Completion {
    pub fn text(&self) -> String {
        self.tokens.concat()
    }

    pub fn prefix(&self) -> String {
        self.tokens[..self.prefix_len].concat()
    }

    pub fn continuation(&self) -> String {
        self.tokens[self.prefix_len..].concat()
    }
}

impl fmt::Display for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl ModelSnapshot {
    /// One recurrence step on a single sequence: `h = tanh(W_xh[id] + h W_hh + b_h)`.
    fn step(&self, id: u32, h: &mut [f32], scratch: &mut [f32]) {
        let hn = self.hiddens;
        let row = &self.w_xh[id as usize * hn..(id as usize + 1) * hn];
        for j in 0..hn {
            scratch[j] = row[j] + self.b_h[j];
        }
        for (i, &hi) in h.iter().enumerate() {
            let w = &self.w_hh[i * hn..(i + 1) * hn];
            for j in 0..hn {
                scratch[j] += hi * w[j];
            }
        }
        for j in 0..hn {
            h[j] = scratch[j].tanh();
        }
    }

    /// Index of the largest logit `h W_hq + b_q`.
    fn argmax_output(&self, h: &[f32]) -> u32 {
        let v = self.vocab.len();
        let mut logits = self.b_q.clone();
        for (i, &hi) in h.iter().enumerate() {
            let w = &self.w_hq[i * v..(i + 1) * v];
            for (l, &wj) in logits.iter_mut().zip(w) {
                *l += hi * wj;
            }
        }
        let mut best = 0;
        for (j, &l) in logits.iter().enumerate() {
            if l > logits[best] {
                best = j;
            }
        }
        best as u32
    }

    /// d2l's `predict`: warm the state up on `prefix`, then append `n` greedy (argmax)
    /// characters, each fed back as the next input.
    pub fn complete(&self, prefix: &str, n: usize) -> Result<Completion, CompletionError> {
        let ids = self.vocab.encode(prefix);
        if ids.is_empty() {
            return Err(CompletionError::EmptyPrefix);
        }
        let mut h = vec![0f32; self.hiddens];
        let mut scratch = vec![0f32; self.hiddens];
        let mut out = ids.clone();
        let mut hidden = Vec::with_capacity(ids.len() + n);
        for &id in &ids {
            self.step(id, &mut h, &mut scratch);
            hidden.push(h.clone());
        }
        for _ in 0..n {
            let next = self.argmax_output(&h);
            out.push(next);
            self.step(next, &mut h, &mut scratch);
            hidden.push(h.clone());
        }
        Ok(Completion {
            tokens: out
                .iter()
                .map(|&i| self.vocab.token(i).to_owned())
                .collect(),
            prefix_len: ids.len(),
            hidden,
        })
    }
}
