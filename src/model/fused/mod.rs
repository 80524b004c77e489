//! The fused CPU kernels: the whole forward pass and backpropagation through time of a batch in
//! one pass over contiguous host buffers, instead of one candle op at a time.
//!
//! - [`rnn`]: d2l §9.5's RNN (one-hot input, tanh cell, output layer), the default model.
//! - [`gated`]: stacks of RNN / GRU / LSTM layers with embeddings and dropout.
//!
//! What both share, as siblings of the two kernels: `float` (the element types and the fast
//! `exp`/`tanh`), `gemm` (bounds-checked matrix products), `packed` (weights packed once
//! per call for the AVX2+FMA 6×16 tile), `grad_product` (weight gradients `aᵀ·b` on the same
//! tile), `softmax_ce` (softmax and cross-entropy with its gradient), `rows` (buffer sizes)
//! and `split` (the batch over threads, results independent of the thread count). Which
//! vector path runs is [`crate::device::isa`]'s to say.

mod float;
pub mod gated;
mod gemm;
mod grad_product;
mod packed;
pub mod product_bench;
pub mod rnn;
mod rows;
mod softmax_ce;
mod split;
mod tile;

pub use float::FusedFloat;
pub use rnn::{work_items, FusedRnn, GradsBuf, ParamsRef, ITEM_ROWS};
