//! A copy of the weights in plain memory, and greedy decoding from it.
//!
//! The trainer publishes snapshots over the channel; the cockpit completes prefixes from the
//! newest one on every keystroke without touching a tensor or waiting for a batch to finish.

use std::fmt;

use rand::Rng;

use super::stack::{StackState, StackWeights};
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
    /// The weights of a stacked GRU / LSTM / RNN model (then the five §9.5 fields are empty).
    pub stack: Option<std::sync::Arc<StackWeights>>,
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

    /// The output logits `h W_hq + b_q`.
    fn logits(&self, h: &[f32]) -> Vec<f32> {
        let v = self.vocab.len();
        let mut logits = self.b_q.clone();
        for (i, &hi) in h.iter().enumerate() {
            let w = &self.w_hq[i * v..(i + 1) * v];
            for (l, &wj) in logits.iter_mut().zip(w) {
                *l += hi * wj;
            }
        }
        logits
    }

    /// Index of the largest logit (the first of equals).
    fn argmax(logits: &[f32]) -> u32 {
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
        self.complete_showing(prefix, n, StateView::default())
    }

    /// Like [`ModelSnapshot::complete`], `hidden` recording the state `view` picks (a
    /// layer's hidden state, or an LSTM layer's cell state) instead of the top layer's.
    pub fn complete_showing(
        &self,
        prefix: &str,
        n: usize,
        view: StateView,
    ) -> Result<Completion, CompletionError> {
        let view = view.fit(self);
        self.generate(prefix, n, view, Self::argmax)
    }

    /// Read `text` from a zero state and keep every recurrent state after each character
    /// (every layer's hidden state and an LSTM's cell states): what the neuron inspector
    /// probes, so the front end can show any [`StateView`] of it without decoding again.
    pub fn trace(&self, text: &str) -> Result<StateTrace, CompletionError> {
        let ids = self.vocab.encode(text);
        if ids.is_empty() {
            return Err(CompletionError::EmptyPrefix);
        }
        let (layers, cell) = (self.layers(), self.has_cell_state());
        let mut h = vec![Vec::with_capacity(ids.len()); layers];
        let mut c = vec![Vec::with_capacity(ids.len()); if cell { layers } else { 0 }];
        let mut state = Decoder::new(self);
        for &id in &ids {
            state.step(id);
            for (k, states) in h.iter_mut().enumerate() {
                states.push(state.shown(StateView::of_layer(k, false)).to_vec());
            }
            for (k, states) in c.iter_mut().enumerate() {
                states.push(state.shown(StateView::of_layer(k, true)).to_vec());
            }
        }
        Ok(StateTrace {
            tokens: ids
                .iter()
                .map(|&i| self.vocab.token(i).to_owned())
                .collect(),
            h,
            c,
        })
    }

    /// Stacked layers (1 for §9.5).
    pub fn layers(&self) -> usize {
        self.stack.as_ref().map_or(1, |w| w.arch.layers)
    }

    /// Whether the model has a cell state to show (an LSTM).
    pub fn has_cell_state(&self) -> bool {
        self.stack
            .as_ref()
            .is_some_and(|w| w.arch.cell == crate::hparams::Cell::Lstm)
    }

    /// Warm up on `prefix`, then append `n` characters chosen by `next` from the logits.
    /// `hidden` records the top layer's hidden state after each character.
    fn generate(
        &self,
        prefix: &str,
        n: usize,
        view: StateView,
        mut next: impl FnMut(&[f32]) -> u32,
    ) -> Result<Completion, CompletionError> {
        let ids = self.vocab.encode(prefix);
        if ids.is_empty() {
            return Err(CompletionError::EmptyPrefix);
        }
        let mut state = Decoder::new(self);
        let mut out = ids.clone();
        let mut hidden = Vec::with_capacity(ids.len() + n);
        for &id in &ids {
            state.step(id);
            hidden.push(state.shown(view).to_vec());
        }
        for _ in 0..n {
            let id = next(&state.logits());
            out.push(id);
            state.step(id);
            hidden.push(state.shown(view).to_vec());
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

    /// Like [`ModelSnapshot::complete`], but each next character is drawn from
    /// `softmax(logits / temperature)`, restricted to the `top_k` most likely characters when
    /// given, using `rng` (seed it for reproducible samples). `Sampling::greedy()` gives
    /// exactly `complete`.
    pub fn sample(
        &self,
        prefix: &str,
        n: usize,
        sampling: &Sampling,
        rng: &mut impl Rng,
    ) -> Result<Completion, CompletionError> {
        self.sample_showing(prefix, n, sampling, StateView::default(), rng)
    }

    /// Like [`ModelSnapshot::sample`], `hidden` recording the state `view` picks (see
    /// [`ModelSnapshot::complete_showing`]).
    pub fn sample_showing(
        &self,
        prefix: &str,
        n: usize,
        sampling: &Sampling,
        view: StateView,
        rng: &mut impl Rng,
    ) -> Result<Completion, CompletionError> {
        if sampling.is_greedy() {
            return self.complete_showing(prefix, n, view);
        }
        let view = view.fit(self);
        self.generate(prefix, n, view, |logits| sampling.draw(logits, rng))
    }
}

/// Every recurrent state after each character of a text ([`ModelSnapshot::trace`]).
#[derive(Clone, Debug, PartialEq)]
pub struct StateTrace {
    /// One token per character (`<unk>` for characters outside the vocabulary).
    pub tokens: Vec<String>,
    /// `h[k][i]`: layer `k`'s hidden state after reading `tokens[i]` (one layer for §9.5).
    pub h: Vec<Vec<Vec<f32>>>,
    /// `c[k][i]`: an LSTM layer's cell state after reading `tokens[i]`; empty for other cells.
    pub c: Vec<Vec<Vec<f32>>>,
}

impl StateTrace {
    /// The states `view` picks (fitted to this model), one vector per character.
    pub fn states(&self, view: StateView) -> &[Vec<f32>] {
        let view = self.fit(view);
        let k = view.layer.unwrap_or(self.h.len() - 1);
        if view.cell {
            &self.c[k]
        } else {
            &self.h[k]
        }
    }

    /// `view` where this model has it (see [`StateView::fit`]).
    pub fn fit(&self, view: StateView) -> StateView {
        view.fit_to(self.h.len(), !self.c.is_empty())
    }
}

/// Which recurrent state a completion records for the heatmap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateView {
    /// The layer (0-based); `None`: the top one.
    pub layer: Option<usize>,
    /// An LSTM's cell state instead of its hidden state.
    pub cell: bool,
}

impl StateView {
    /// This view where `snap` has it: the layer within range, the cell state only for LSTMs.
    pub fn fit(self, snap: &ModelSnapshot) -> StateView {
        self.fit_to(snap.layers(), snap.has_cell_state())
    }

    /// This view in a model of `layers` layers (at least 1) that has a cell state or not.
    pub fn fit_to(self, layers: usize, has_cell: bool) -> StateView {
        let top = layers.max(1) - 1;
        StateView {
            layer: self.layer.map(|k| k.min(top)).filter(|&k| k < top),
            cell: self.cell && has_cell,
        }
    }

    /// Layer `k`'s hidden or cell state (not fitted: for a model known to have it).
    fn of_layer(k: usize, cell: bool) -> StateView {
        StateView {
            layer: Some(k),
            cell,
        }
    }

    /// The layer shown, 0-based.
    pub fn layer_index(self, snap: &ModelSnapshot) -> usize {
        self.fit(snap).layer.unwrap_or(snap.layers() - 1)
    }

    /// One layer down (`[`) or up (`]`), within the model's layers.
    pub fn step_layer(self, snap: &ModelSnapshot, up: bool) -> StateView {
        let top = snap.layers() - 1;
        let k = self.layer_index(snap);
        let k = if up {
            (k + 1).min(top)
        } else {
            k.saturating_sub(1)
        };
        StateView {
            layer: (k < top).then_some(k),
            ..self
        }
    }

    /// What the heatmap shows, for its title: `layer 1/2 cell state`; empty for §9.5's one
    /// hidden state.
    pub fn label(self, snap: &ModelSnapshot) -> String {
        let v = self.fit(snap);
        let mut s = String::new();
        if snap.layers() > 1 {
            s = format!("layer {}/{} ", v.layer_index(snap) + 1, snap.layers());
        }
        if snap.has_cell_state() {
            s.push_str(if v.cell {
                "cell state "
            } else {
                "hidden state "
            });
        }
        s
    }
}

/// One sequence being decoded: the §9.5 state or a stack's.
enum Decoder<'a> {
    Rnn {
        snap: &'a ModelSnapshot,
        h: Vec<f32>,
        scratch: Vec<f32>,
    },
    Stack {
        weights: &'a StackWeights,
        state: StackState,
    },
}

impl<'a> Decoder<'a> {
    fn new(snap: &'a ModelSnapshot) -> Self {
        match &snap.stack {
            Some(w) => Decoder::Stack {
                weights: w,
                state: w.zero_state(),
            },
            None => Decoder::Rnn {
                snap,
                h: vec![0f32; snap.hiddens],
                scratch: vec![0f32; snap.hiddens],
            },
        }
    }

    fn step(&mut self, id: u32) {
        match self {
            Decoder::Rnn { snap, h, scratch } => snap.step(id, h, scratch),
            Decoder::Stack { weights, state } => weights.step(id, state),
        }
    }

    /// The state `view` picks (already fitted to the model).
    fn shown(&self, view: StateView) -> &[f32] {
        match self {
            Decoder::Rnn { h, .. } => h,
            Decoder::Stack { state, .. } => {
                let k = view.layer.unwrap_or(state.h.len() - 1);
                if view.cell {
                    &state.c[k]
                } else {
                    &state.h[k]
                }
            }
        }
    }

    fn logits(&self) -> Vec<f32> {
        match self {
            Decoder::Rnn { snap, h, .. } => snap.logits(h),
            Decoder::Stack { weights, state } => weights.logits(state),
        }
    }
}

/// How [`ModelSnapshot::sample`] picks each next character.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// Divides the logits: below 1 sharpens, above 1 flattens. `None`: 1, or greedy when
    /// `top_k` is also `None`.
    pub temperature: Option<f64>,
    /// Only the `k` most likely characters can be drawn (`Some(1)` is greedy).
    pub top_k: Option<usize>,
}

impl Sampling {
    pub fn greedy() -> Self {
        Sampling {
            temperature: None,
            top_k: None,
        }
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature.is_none() && self.top_k.is_none()
    }

    /// Draw one index from the tempered, top-k-restricted softmax of `logits`.
    fn draw(&self, logits: &[f32], rng: &mut impl Rng) -> u32 {
        let t = self.temperature.unwrap_or(1.0).max(1e-6);
        let mut order: Vec<usize> = (0..logits.len()).collect();
        // Most likely first; ties keep the lower index first, as argmax does.
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        let k = self.top_k.unwrap_or(order.len()).clamp(1, order.len());
        let kept = &order[..k];
        let top = logits[kept[0]] as f64;
        let weights: Vec<f64> = kept
            .iter()
            .map(|&i| ((logits[i] as f64 - top) / t).exp())
            .collect();
        let total: f64 = weights.iter().sum();
        let mut u = rng.random::<f64>() * total;
        for (&i, w) in kept.iter().zip(&weights) {
            if u < *w {
                return i as u32;
            }
            u -= w;
        }
        kept[k - 1] as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{init_params, LanguageModel};
    use candle_core::{DType, Device};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn snap() -> ModelSnapshot {
        let vocab = Vocab::from_text("the quick brown fox jumps over a lazy dog");
        let params = init_params(vocab.len(), 8, 0.8, 5, &Device::Cpu, DType::F32).unwrap();
        LanguageModel::from_params(vocab, params)
            .unwrap()
            .snapshot()
            .unwrap()
    }

    #[test]
    fn the_heatmap_view_picks_a_layer_and_the_lstm_cell_state() {
        use crate::hparams::{Cell, HParams};
        let vocab = Vocab::from_text("the quick brown fox jumps over a lazy dog");
        let hp = HParams {
            cell: Cell::Lstm,
            layers: 2,
            hiddens: 6,
            ..HParams::default()
        };
        let s = LanguageModel::for_hparams(vocab, &hp, &Device::Cpu)
            .unwrap()
            .snapshot()
            .unwrap();
        assert_eq!((s.layers(), s.has_cell_state()), (2, true));
        let top = StateView::default();
        assert_eq!(top.label(&s), "layer 2/2 hidden state ");
        let low = top.step_layer(&s, false);
        assert_eq!(low.layer_index(&s), 0);
        assert_eq!(low.step_layer(&s, false), low, "stays at the bottom");
        assert_eq!(low.step_layer(&s, true), top, "back to the top");
        assert_eq!(top.step_layer(&s, true), top, "stays at the top");
        let cell = StateView { cell: true, ..low };
        assert_eq!(cell.label(&s), "layer 1/2 cell state ");
        // The views record different states of the same decoding; the text is the same.
        let a = s.complete_showing("the", 10, top).unwrap();
        let b = s.complete_showing("the", 10, low).unwrap();
        let c = s.complete_showing("the", 10, cell).unwrap();
        assert_eq!(a.text(), b.text());
        assert_eq!(a.text(), c.text());
        assert_ne!(a.hidden, b.hidden);
        assert_ne!(b.hidden, c.hidden);
        assert_eq!(a, s.complete("the", 10).unwrap());
        // The §9.5 model has one hidden state: every view shows it, with no label.
        let rnn = snap();
        assert_eq!(
            StateView {
                layer: Some(3),
                cell: true
            }
            .label(&rnn),
            ""
        );
        assert_eq!(
            rnn.complete_showing(
                "the",
                5,
                StateView {
                    layer: Some(3),
                    cell: true
                }
            )
            .unwrap(),
            rnn.complete("the", 5).unwrap()
        );
    }

    #[test]
    fn sampling_is_seeded_and_greedy_cases_match_complete() {
        let s = snap();
        let greedy = s.complete("the", 30).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(
            s.sample("the", 30, &Sampling::greedy(), &mut rng).unwrap(),
            greedy
        );
        let top1 = Sampling {
            temperature: Some(2.0),
            top_k: Some(1),
        };
        assert_eq!(
            s.sample("the", 30, &top1, &mut rng).unwrap().text(),
            greedy.text()
        );
        let hot = Sampling {
            temperature: Some(5.0),
            top_k: None,
        };
        let draw = |seed| {
            s.sample("the", 40, &hot, &mut ChaCha8Rng::seed_from_u64(seed))
                .unwrap()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7).text(), draw(8).text());
        let c = draw(7);
        assert_eq!(c.tokens.len(), 43);
        assert_eq!(c.hidden.len(), 43);
        assert_eq!(c.prefix(), "the");
        assert!(s.sample("", 3, &hot, &mut rng).is_err());
    }
}
