//! The per-call tables every work item reads: derived from the weights once per call.

use super::super::float::add_into;
use super::super::gemm::{matmul, MatMut, MatRef};
use super::super::packed::PackedRhs;
use super::super::rows::ensure;
use super::cells::GateFloat;
use super::params::{Cell, GatedDims, GatedParams};

/// Per-call read-only tables derived from the weights.
#[derive(Default)]
pub(super) struct Shared<F> {
    /// Layer 0's input table `P` [V, G·H]: `W_ihᵀ` (or `E·W_ihᵀ`) plus the folded biases.
    pub inp0: Vec<F>,
    /// Per layer: the biases added to the input projection, [G·H]: `b_ih + b_hh` (GRU:
    /// `b_hh` of r and z only).
    pub bias_x: Vec<Vec<F>>,
    /// Per layer: `W_hhᵀ` [H, G·H] (forward) and `W_hh` [G·H, H] (BPTT), packed.
    pub w_hh_t: Vec<PackedRhs<F>>,
    pub w_hh: Vec<PackedRhs<F>>,
    /// Per layer (k ≥ 1; unused for 0): `W_ihᵀ` [H, G·H] and `W_ih` [G·H, H], packed.
    pub w_ih_t: Vec<PackedRhs<F>>,
    pub w_ih: Vec<PackedRhs<F>>,
    /// `fc_wᵀ` [H, V] and `fc_w` [V, H], packed.
    pub fc_w_t: PackedRhs<F>,
    pub fc_w: PackedRhs<F>,
}

impl<F: GateFloat> Shared<F> {
    pub(super) fn prepare(&mut self, d: &GatedDims, p: &GatedParams<F>) {
        let (v, h, gh, nl) = (d.vocab, d.hidden, d.gate_width(), d.layers);
        self.bias_x.resize_with(nl, Vec::new);
        for packed in [
            &mut self.w_hh_t,
            &mut self.w_hh,
            &mut self.w_ih_t,
            &mut self.w_ih,
        ] {
            packed.resize_with(nl, PackedRhs::default);
        }
        for (k, l) in p.layers.iter().enumerate() {
            let b = &mut self.bias_x[k];
            b.clear();
            b.extend(
                l.b_ih
                    .iter()
                    .zip(&l.b_hh)
                    .enumerate()
                    .map(|(j, (&bi, &bh))| {
                        if d.cell == Cell::Gru && j >= 2 * h {
                            bi
                        } else {
                            bi + bh
                        }
                    }),
            );
            self.w_hh_t[k].pack(&l.w_hh, h, gh, true);
            self.w_hh[k].pack(&l.w_hh, gh, h, false);
            if k > 0 {
                self.w_ih_t[k].pack(&l.w_ih, h, gh, true);
                self.w_ih[k].pack(&l.w_ih, gh, h, false);
            }
        }
        self.fc_w_t.pack(&p.fc_w, h, v, true);
        self.fc_w.pack(&p.fc_w, v, h, false);
        ensure(&mut self.inp0, v * gh);
        let inp0 = &mut self.inp0[..v * gh];
        let l0 = &p.layers[0];
        if d.embed == 0 {
            for (row, id) in inp0.chunks_exact_mut(gh).zip(0..v) {
                for (j, o) in row.iter_mut().enumerate() {
                    *o = l0.w_ih[j * v + id];
                }
            }
        } else {
            let e = d.embed;
            matmul(
                MatMut::new(inp0, v, gh, gh),
                MatRef::new(&p.embedding, v, e, e),
                MatRef::new(&l0.w_ih, gh, e, e).t(),
                false,
            );
        }
        for row in inp0.chunks_exact_mut(gh) {
            add_into(row, &self.bias_x[0]);
        }
    }
}
