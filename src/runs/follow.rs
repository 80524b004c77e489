//! Following a run another process is writing: the new lines of its `metrics.jsonl` as they
//! are appended, and whether a file (the checkpoint, `state.json`) was replaced since last
//! looked at. Plain polling, so it works on any file system and on directories synced from
//! other machines.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::files::Limit;
use crate::metrics::MetricRecord;

/// The most bytes of the metrics log one poll reads.
const MAX_POLL_BYTES: u64 = 8 << 20;

/// Where a record falls in a run: (epoch, batch) for a batch, (epoch, MAX) for an epoch end.
fn position(r: &MetricRecord) -> (usize, usize) {
    match r {
        MetricRecord::Batch(b) => (b.epoch, b.batch),
        MetricRecord::Epoch(e) => (e.epoch, usize::MAX),
    }
}

/// What one poll of the metrics log found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TailPoll {
    /// Records not seen before, in order.
    pub records: Vec<MetricRecord>,
    /// The file got shorter (a resumed run cut it back to its checkpoint): it was read again
    /// from the start; records up to the furthest already returned are not returned again.
    pub truncated: bool,
    /// Complete lines that were not valid records (skipped).
    pub damaged: usize,
    /// The log is there but cannot be read as a log (a FIFO, a device): why.
    pub refused: Option<String>,
}

/// Reads `metrics.jsonl` incrementally: only bytes appended since the last poll, and only
/// whole lines (a line still being written waits for its newline).
#[derive(Debug)]
pub struct MetricsTail {
    path: PathBuf,
    offset: u64,
    pending: Vec<u8>,
    /// The furthest position returned so far.
    furthest: Option<(usize, usize)>,
}

impl MetricsTail {
    pub fn new(path: &Path) -> MetricsTail {
        MetricsTail {
            path: path.to_owned(),
            offset: 0,
            pending: Vec::new(),
            furthest: None,
        }
    }

    /// Bytes of the file consumed so far (whole lines and a pending partial one).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn poll(&mut self) -> TailPoll {
        let mut out = TailPoll::default();
        // Never blocks on a FIFO, never reads a device: either is no records, and says why.
        let (mut f, len) = match super::files::open_regular(&self.path) {
            Ok(Some(found)) => found,
            Ok(None) => return out,
            Err(e) => {
                out.refused = Some(e.to_string());
                return out;
            }
        };
        if len < self.offset {
            out.truncated = true;
            self.offset = 0;
            self.pending.clear();
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return out;
        }
        let mut fresh = Vec::new();
        // A bounded bite per poll: a giant log is read over several polls, never at once.
        if f.take((len - self.offset).min(MAX_POLL_BYTES))
            .read_to_end(&mut fresh)
            .is_err()
        {
            return out;
        }
        self.offset += fresh.len() as u64;
        self.pending.extend_from_slice(&fresh);
        let Some(last_nl) = self.pending.iter().rposition(|&b| b == b'\n') else {
            // No line is that long: a line without end is damage, not something to keep.
            if self.pending.len() as u64 > Limit::METRICS_LINE.bytes {
                self.pending.clear();
                out.damaged += 1;
            }
            return out;
        };
        let whole: Vec<u8> = self.pending.drain(..=last_nl).collect();
        for line in whole.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let value: serde_json::Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(_) => {
                    out.damaged += 1;
                    continue;
                }
            };
            if !matches!(
                value.get("event").and_then(|e| e.as_str()),
                Some("batch" | "epoch")
            ) {
                continue;
            }
            let Ok(record) = serde_json::from_value::<MetricRecord>(value) else {
                out.damaged += 1;
                continue;
            };
            let pos = position(&record);
            if self.furthest.is_some_and(|f| pos <= f) {
                continue;
            }
            self.furthest = Some(pos);
            out.records.push(record);
        }
        out
    }
}

/// What identifies one version of a file: its length, modification time and inode (a file
/// replaced by a rename gets a new inode even within the same clock tick).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl FileStamp {
    /// The file's stamp now, or `None` when it does not exist.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: m.len(),
            modified: m.modified().ok(),
            inode,
        })
    }
}

/// Tells when a file has a new version.
#[derive(Debug)]
pub struct FileWatch {
    path: PathBuf,
    seen: Option<FileStamp>,
}

impl FileWatch {
    pub fn new(path: &Path) -> FileWatch {
        FileWatch {
            path: path.to_owned(),
            seen: None,
        }
    }

    /// Whether the file exists and changed since the last call that returned `true` (the
    /// first call on an existing file does).
    pub fn changed(&mut self) -> bool {
        let now = FileStamp::of(&self.path);
        if now.is_some() && now != self.seen {
            self.seen = now;
            return true;
        }
        false
    }

    /// Forget the version seen, so the next [`FileWatch::changed`] reports the file again
    /// (after a version could not be read, say).
    pub fn forget(&mut self) {
        self.seen = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BatchStats, EpochStats};
    use std::io::Write;

    fn batch(epoch: usize, k: usize) -> MetricRecord {
        MetricRecord::Batch(BatchStats {
            epoch,
            batch: k,
            batches_per_epoch: 2,
            loss: 3.0 - k as f64 / 10.0,
            grad_norm: 0.5,
            clipped: false,
            clip_threshold: 1.0,
            lr: 1.0,
            tokens: 64,
            elapsed: 0.1 * k as f64,
        })
    }

    fn epoch(e: usize) -> MetricRecord {
        MetricRecord::Epoch(EpochStats {
            epoch: e,
            epochs: 3,
            train_ppl: 20.0,
            val_ppl: 21.0,
            tokens_per_s: 1e5,
            elapsed: 1.0,
        })
    }

    fn line(r: &MetricRecord) -> String {
        serde_json::to_string(r).unwrap() + "\n"
    }

    fn append(path: &Path, text: &str) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    #[test]
    fn a_partial_last_line_waits_for_its_newline() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("metrics.jsonl");
        let mut tail = MetricsTail::new(&p);
        assert_eq!(tail.poll(), TailPoll::default(), "no file yet");
        let second = line(&batch(1, 2));
        let (head, rest) = second.split_at(17);
        append(&p, &(line(&batch(1, 1)) + head));
        let got = tail.poll();
        assert_eq!(got.records, vec![batch(1, 1)]);
        assert_eq!(got.damaged, 0);
        assert_eq!(tail.poll().records, vec![]);
        append(&p, rest);
        assert_eq!(tail.poll().records, vec![batch(1, 2)]);
        append(
            &p,
            &(line(&epoch(1)) + "{\"event\":\"state\",\"state\":\"paused\"}\n" + "not json\n"),
        );
        let got = tail.poll();
        assert_eq!(got.records, vec![epoch(1)]);
        assert_eq!(
            got.damaged, 1,
            "the garbage line is counted, other kinds skipped"
        );
    }

    #[test]
    fn a_truncated_log_is_read_again_without_repeating_records() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("metrics.jsonl");
        let first = line(&batch(1, 1)) + &line(&batch(1, 2)) + &line(&epoch(1));
        append(
            &p,
            &(first.clone() + &line(&batch(2, 1)) + &line(&batch(2, 2))),
        );
        let mut tail = MetricsTail::new(&p);
        assert_eq!(tail.poll().records.len(), 5);
        // A resume cuts the log back to its checkpoint (after epoch 1) and trains on.
        std::fs::write(&p, &first).unwrap();
        let got = tail.poll();
        assert!(got.truncated);
        assert_eq!(got.records, vec![]);
        append(
            &p,
            &(line(&batch(2, 1)) + &line(&batch(2, 2)) + &line(&epoch(2))),
        );
        let got = tail.poll();
        assert!(!got.truncated);
        assert_eq!(
            got.records,
            vec![epoch(2)],
            "only what goes beyond what was shown"
        );
    }

    #[test]
    fn a_new_checkpoint_is_noticed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("model.safetensors");
        let mut w = FileWatch::new(&p);
        assert!(!w.changed(), "no file yet");
        std::fs::write(&p, b"one").unwrap();
        assert!(w.changed());
        assert!(!w.changed());
        // Replaced by a rename, as checkpoints are: same length, new inode.
        let tmp_file = tmp.path().join(".model.tmp");
        std::fs::write(&tmp_file, b"two").unwrap();
        std::fs::rename(&tmp_file, &p).unwrap();
        assert!(w.changed());
        assert!(!w.changed());
        w.forget();
        assert!(w.changed());
    }
}
