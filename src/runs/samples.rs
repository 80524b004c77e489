//! `samples.jsonl`: what the model said at the end of every epoch (the greedy completion of a
//! prefix), one JSON line each, appended like `metrics.jsonl` by the same writer: whole lines
//! only, a torn last line cut off when recording resumes, every line's size capped when read.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files::Limit;
use super::metrics::read_json_lines;
use super::{RunDir, RunError};
use crate::metrics::SampleRecord;

pub const SAMPLES_FILE: &str = "samples.jsonl";

/// Most samples read back (the newest are kept): a run of a million epochs stays readable.
pub const MAX_SAMPLES_READ: usize = 10_000;

/// A line of `samples.jsonl`: `{"event":"sample","epoch":…}`, as `train --json` prints it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SampleLine {
    Sample(SampleRecord),
}

/// The samples of the log at `path`, oldest first, one per epoch: a run resumed from a
/// checkpoint before an epoch's sample samples that epoch again, and the later line wins.
pub fn read_samples(path: &Path) -> Result<Vec<SampleRecord>, RunError> {
    let lines: Vec<SampleLine> = read_json_lines(path, Limit::SAMPLES_LINE, &["sample"])?;
    let mut out: Vec<SampleRecord> = Vec::new();
    for SampleLine::Sample(s) in lines {
        // Epochs only grow within one recording; a smaller one starts a repeat.
        while out.last().is_some_and(|l| l.epoch >= s.epoch) {
            out.pop();
        }
        out.push(s);
    }
    let skip = out.len().saturating_sub(MAX_SAMPLES_READ);
    out.drain(..skip);
    Ok(out)
}

impl RunDir {
    pub fn samples_path(&self) -> std::path::PathBuf {
        self.path.join(SAMPLES_FILE)
    }

    /// The run's epoch samples (see [`read_samples`]); none for a run that has none.
    pub fn samples(&self) -> Result<Vec<SampleRecord>, RunError> {
        read_samples(&self.samples_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::metrics::JsonLinesWriter;

    fn sample(epoch: usize, text: &str) -> SampleLine {
        SampleLine::Sample(SampleRecord {
            epoch,
            val_ppl: 10.0 / epoch as f64,
            prefix: "time traveller ".into(),
            completion: text.into(),
        })
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_cut_off_when_writing_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(SAMPLES_FILE);
        let (mut w, repair) = JsonLinesWriter::open(&p, u64::MAX).unwrap();
        assert_eq!(repair.torn_bytes, 0);
        w.append(&sample(1, "the the the")).unwrap();
        w.append(&sample(2, "the time")).unwrap();
        drop(w);
        let whole = std::fs::metadata(&p).unwrap().len();
        // A crash mid-write.
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        std::io::Write::write_all(&mut f, b"{\"event\":\"sample\",\"epo").unwrap();
        drop(f);
        let read = read_samples(&p).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].completion, "the time");
        let (mut w, repair) = JsonLinesWriter::open(&p, u64::MAX).unwrap();
        assert_eq!((w.bytes(), repair.torn_bytes), (whole, 22));
        w.append(&sample(3, "the time traveller")).unwrap();
        assert_eq!(read_samples(&p).unwrap().len(), 3);
        let line = std::fs::read_to_string(&p).unwrap();
        assert!(
            line.starts_with("{\"event\":\"sample\",\"epoch\":1,"),
            "{line}"
        );
    }

    #[test]
    fn a_repeated_epoch_replaces_the_later_ones_and_a_giant_line_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(SAMPLES_FILE);
        let (mut w, _) = JsonLinesWriter::open(&p, 0).unwrap();
        for (e, t) in [(1, "a"), (2, "b"), (3, "c"), (2, "B"), (3, "C")] {
            w.append(&sample(e, t)).unwrap();
        }
        let texts: Vec<String> = read_samples(&p)
            .unwrap()
            .into_iter()
            .map(|s| s.completion)
            .collect();
        assert_eq!(texts, ["a", "B", "C"]);
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(1 << 30).unwrap();
        let e = read_samples(&p).unwrap_err().to_string();
        assert!(
            e.contains("longer than") && e.contains("samples line"),
            "{e}"
        );
    }
}
