//! The gated kernels' shapes and weights: [`Cell`], [`GatedDims`], and [`GatedParams`] (one
//! [`LayerParams`] per layer, plus the embedding and the output layer), laid out as the
//! kernels read them.

use super::super::float::add_into;
use super::cells::GateFloat;

/// The recurrent cell of every layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    /// `nn.RNN` with tanh (1 gate).
    Rnn,
    /// `nn.GRU` (gates r, z, n).
    Gru,
    /// `nn.LSTM` (gates i, f, g, o).
    Lstm,
}

impl Cell {
    /// Gate blocks per layer: 1, 3 or 4.
    pub fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru => 3,
            Cell::Lstm => 4,
        }
    }
}

/// The shapes of a model and of one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatedDims {
    pub cell: Cell,
    /// V: tokens.
    pub vocab: usize,
    /// E: embedding size; 0 = one-hot input.
    pub embed: usize,
    /// H: hidden units per layer.
    pub hidden: usize,
    /// L: stacked layers (≥ 1).
    pub layers: usize,
    /// B: batch rows.
    pub batch: usize,
    /// T: steps per row.
    pub steps: usize,
}

impl GatedDims {
    /// G·H: the width of one layer's gate pre-activations.
    pub fn gate_width(&self) -> usize {
        self.cell.gates() * self.hidden
    }

    /// The input size of layer `k`: E (or V with one-hot input) for layer 0, H above.
    pub fn input_size(&self, k: usize) -> usize {
        if k > 0 {
            self.hidden
        } else if self.embed > 0 {
            self.embed
        } else {
            self.vocab
        }
    }

    /// The same model with another batch shape.
    pub fn with_batch(self, batch: usize, steps: usize) -> Self {
        GatedDims {
            batch,
            steps,
            ..self
        }
    }

    pub(super) fn check(&self) {
        assert!(
            self.vocab > 0 && self.hidden > 0 && self.layers > 0,
            "vocab, hidden and layers must be non-zero"
        );
    }
}

/// One layer's weights (or gradients), PyTorch's `weight_ih_l{k}`, `weight_hh_l{k}`,
/// `bias_ih_l{k}`, `bias_hh_l{k}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerParams<F> {
    /// [G·H, In_k]
    pub w_ih: Vec<F>,
    /// [G·H, H]
    pub w_hh: Vec<F>,
    /// [G·H]
    pub b_ih: Vec<F>,
    /// [G·H]
    pub b_hh: Vec<F>,
}

/// Every weight (or gradient) of a model, row-major, in PyTorch's shapes. See the module
/// documentation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GatedParams<F> {
    /// [V, E]; empty with one-hot input.
    pub embedding: Vec<F>,
    pub layers: Vec<LayerParams<F>>,
    /// [V, H]
    pub fc_w: Vec<F>,
    /// [V]
    pub fc_b: Vec<F>,
}

impl<F: GateFloat> GatedParams<F> {
    /// Zeros of the shapes `d` gives.
    pub fn zeros(d: &GatedDims) -> Self {
        let mut p = GatedParams::default();
        p.resize_zero(d);
        p
    }

    /// Reshape to `d` and set every element to zero (keeps the allocations).
    pub fn resize_zero(&mut self, d: &GatedDims) {
        fn zero<F: GateFloat>(a: &mut Vec<F>, n: usize) {
            a.clear();
            a.resize(n, F::ZERO);
        }
        let (gh, h, v) = (d.gate_width(), d.hidden, d.vocab);
        zero(&mut self.embedding, v * d.embed);
        self.layers.resize_with(d.layers, LayerParams::default);
        self.layers.truncate(d.layers);
        for (k, l) in self.layers.iter_mut().enumerate() {
            zero(&mut l.w_ih, gh * d.input_size(k));
            zero(&mut l.w_hh, gh * h);
            zero(&mut l.b_ih, gh);
            zero(&mut l.b_hh, gh);
        }
        zero(&mut self.fc_w, v * h);
        zero(&mut self.fc_b, v);
    }

    /// Every tensor's checkpoint name and shape, in the order of [`Self::tensors`]:
    /// `embedding.weight` (only when E > 0), per layer `rnn.weight_ih_l{k}`,
    /// `rnn.weight_hh_l{k}`, `rnn.bias_ih_l{k}`, `rnn.bias_hh_l{k}`, then `fc.weight`,
    /// `fc.bias`.
    pub fn names_and_shapes(d: &GatedDims) -> Vec<(String, Vec<usize>)> {
        let (gh, h, v) = (d.gate_width(), d.hidden, d.vocab);
        let mut out = Vec::with_capacity(4 * d.layers + 3);
        if d.embed > 0 {
            out.push(("embedding.weight".to_owned(), vec![v, d.embed]));
        }
        for k in 0..d.layers {
            out.push((format!("rnn.weight_ih_l{k}"), vec![gh, d.input_size(k)]));
            out.push((format!("rnn.weight_hh_l{k}"), vec![gh, h]));
            out.push((format!("rnn.bias_ih_l{k}"), vec![gh]));
            out.push((format!("rnn.bias_hh_l{k}"), vec![gh]));
        }
        out.push(("fc.weight".to_owned(), vec![v, h]));
        out.push(("fc.bias".to_owned(), vec![v]));
        out
    }

    /// The tensors in checkpoint order (the embedding only when it is non-empty).
    pub fn tensors(&self) -> Vec<&Vec<F>> {
        let mut out = Vec::with_capacity(4 * self.layers.len() + 3);
        if !self.embedding.is_empty() {
            out.push(&self.embedding);
        }
        for l in &self.layers {
            out.extend([&l.w_ih, &l.w_hh, &l.b_ih, &l.b_hh]);
        }
        out.push(&self.fc_w);
        out.push(&self.fc_b);
        out
    }

    /// The tensors in checkpoint order, writable (the embedding only when it is non-empty).
    pub fn tensors_mut(&mut self) -> Vec<&mut Vec<F>> {
        let mut out = Vec::with_capacity(4 * self.layers.len() + 3);
        if !self.embedding.is_empty() {
            out.push(&mut self.embedding);
        }
        for l in &mut self.layers {
            out.extend([&mut l.w_ih, &mut l.w_hh, &mut l.b_ih, &mut l.b_hh]);
        }
        out.push(&mut self.fc_w);
        out.push(&mut self.fc_b);
        out
    }

    /// The tensors with their checkpoint names and shapes.
    pub fn named(&self, d: &GatedDims) -> Vec<(String, Vec<usize>, &[F])> {
        Self::names_and_shapes(d)
            .into_iter()
            .zip(self.tensors())
            .map(|((n, s), t)| (n, s, t.as_slice()))
            .collect()
    }

    /// Panics unless every tensor has the length `d` gives.
    pub(super) fn check(&self, d: &GatedDims) {
        assert_eq!(self.layers.len(), d.layers, "one LayerParams per layer");
        let (gh, h, v, e) = (d.gate_width(), d.hidden, d.vocab, d.embed);
        assert_eq!(self.embedding.len(), v * e, "embedding must be vocab×embed");
        for (k, l) in self.layers.iter().enumerate() {
            assert_eq!(l.w_ih.len(), gh * d.input_size(k), "w_ih of layer {k}");
            assert_eq!(l.w_hh.len(), gh * h, "w_hh of layer {k}");
            assert_eq!(l.b_ih.len(), gh, "b_ih of layer {k}");
            assert_eq!(l.b_hh.len(), gh, "b_hh of layer {k}");
        }
        assert_eq!(self.fc_w.len(), v * h, "fc_w must be vocab×hidden");
        assert_eq!(self.fc_b.len(), v, "fc_b must be vocab");
    }

    /// `self += other`, tensor by tensor.
    pub(super) fn add(&mut self, other: &Self) {
        add_into(&mut self.embedding, &other.embedding);
        for (a, b) in self.layers.iter_mut().zip(&other.layers) {
            add_into(&mut a.w_ih, &b.w_ih);
            add_into(&mut a.w_hh, &b.w_hh);
            add_into(&mut a.b_ih, &b.b_ih);
            add_into(&mut a.b_hh, &b.b_hh);
        }
        add_into(&mut self.fc_w, &other.fc_w);
        add_into(&mut self.fc_b, &other.fc_b);
    }
}
