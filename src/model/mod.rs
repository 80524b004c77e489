//! The d2l §9.5 language model: the from-scratch RNN cell, its output layer and loss,
//! the trainable parameters, and greedy decoding from a plain-memory snapshot.
//!
//! Two compute paths train the same parameters:
//! - [`scratch::RnnScratch`], candle ops with autograd: the reference, and the path on CUDA/Metal;
//! - [`fused`], a hand-fused CPU kernel for the whole forward and backward pass.
//!
//! [`LanguageModel`] picks one; nothing outside this module knows which ran.

pub mod dropout;
pub mod fused;
pub mod host;
pub mod lm;
pub mod named;
pub mod params;
pub mod scratch;
pub mod snapshot;
pub mod stack;

pub use lm::{BatchLoss, ComputePath, Gradients, LanguageModel};
pub use named::NamedParams;
pub use params::{init_params, RnnParams, PARAM_NAMES};
pub use scratch::RnnScratch;
pub use snapshot::{Completion, ModelSnapshot, Sampling};
pub use stack::{Arch, StackNet};
