//! rnn-tui: a terminal cockpit for training the d2l §9.5 character RNN on candle.
//!
//! Data flows one way: [`data`] (corpus → vocab → dataset) → [`train`] (trainer thread) →
//! [`train::protocol`] events → the cockpit or the headless printer.

pub mod cli;
pub mod data;
pub mod device;
pub mod model;
pub mod number_format;
pub mod runs;
pub mod signals;
pub mod train;
pub mod tui;
