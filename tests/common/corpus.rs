//! Small corpora for fast training runs.
#![allow(dead_code)] // each test file uses a different part

use std::path::Path;

use rnn_tui::data::CorpusSource;
use rnn_tui::hparams::HParams;

/// The first 30,000 characters of The Time Machine, written to `dir/slice.txt`: enough windows
/// for a few quick epochs.
pub fn slice_corpus(dir: &Path) -> CorpusSource {
    let path = dir.join("slice.txt");
    std::fs::write(&path, &rnn_tui::data::corpus::TIME_MACHINE[..30_000]).unwrap();
    CorpusSource::File(path)
}

/// A small run on `corpus`: 8 batches of 64 windows of 16 characters per epoch (512 training,
/// 256 validation windows), 16 hidden units; everything else the defaults.
pub fn tiny_hparams(corpus: CorpusSource) -> HParams {
    HParams {
        hiddens: 16,
        num_steps: 16,
        batch_size: 64,
        num_train: 512,
        num_val: 256,
        corpus,
        ..HParams::default()
    }
}
