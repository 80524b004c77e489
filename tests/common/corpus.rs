//! Small corpora for fast training runs.
#![allow(dead_code)] // each test file uses a different part

use std::path::Path;

use rnn_tui::data::CorpusSource;

/// The first 30,000 characters of The Time Machine, written to `dir/slice.txt`: enough windows
/// for a few quick epochs.
pub fn slice_corpus(dir: &Path) -> CorpusSource {
    let path = dir.join("slice.txt");
    std::fs::write(&path, &rnn_tui::data::corpus::TIME_MACHINE[..30_000]).unwrap();
    CorpusSource::File(path)
}
