//! rnn-tui: a terminal cockpit for training the d2l §9.5 character RNN on candle.
//!
//! Modules depend one way, lowest first (`tests/layers.rs` enforces it):
//! - plain data: [`data`] (corpus → vocab → dataset), [`hparams`], [`metrics`], [`exit`];
//! - [`model`] (the RNN, its compute paths) and [`eval`] (perplexity on another text);
//! - [`runs`] (storage: run directories, checkpoints, metric logs) and [`config`]
//!   (`config.toml`); both read and write plain data only;
//! - [`train`] (the trainer thread and its [`train::protocol`] of commands and events);
//! - [`watch`] (following a run another process trains, speaking the same protocol);
//! - [`plot`] (runs' curves drawn as SVG or PNG figures, from plain records and colours);
//! - the front ends: [`cli`] (subcommands, the headless printer) and [`tui`] (the cockpit).
//!
//! [`device`] and [`signals`] are leaves any layer may use; so is [`text_width`] (text measured
//! in terminal columns, for the front ends' tables and bars).

pub mod cli;
pub mod config;
pub mod data;
pub mod device;
pub mod eval;
pub mod exit;
pub mod hparams;
pub mod metrics;
pub mod model;
pub mod number_format;
pub mod plot;
pub mod regular_file;
pub mod runs;
pub mod signals;
pub mod text_width;
pub mod train;
pub mod tui;
pub mod watch;
