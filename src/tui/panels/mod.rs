//! One module per panel: its state, its update, its draw.

pub mod chart;
pub mod completion;
pub mod form;
pub mod gradients;
pub mod heatmap;
pub mod help;
pub mod perplexity;
pub mod runs;
pub mod status;
