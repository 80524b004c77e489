//! `metrics.jsonl`: one JSON object per batch and per epoch, the same objects `train --json`
//! prints, appended and flushed as training goes. The writer and the reader serve every
//! append-only JSON-lines file of a run (`samples.jsonl` too).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::files::{self, Limit};
use super::RunError;
use crate::metrics::MetricRecord;

/// Appends JSON lines; every line is written through to the file at once, whole or not at
/// all: a write that fails part-way (a full disk) is cut back off, so the file always ends
/// at the end of a line and [`JsonLinesWriter::bytes`] is its true length.
pub struct JsonLinesWriter {
    file: File,
    path: PathBuf,
    bytes: u64,
    /// A failed write could not be cut back off: nothing more is appended, so no line ever
    /// follows a torn one.
    broken: bool,
}

/// The writer of `metrics.jsonl`.
pub type MetricsWriter = JsonLinesWriter;

/// What [`JsonLinesWriter::open`] found and did to the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsRepair {
    /// Bytes of a torn last line (a crash or a full disk mid-write) that were cut off.
    pub torn_bytes: u64,
}

impl JsonLinesWriter {
    /// Open (or create) the log and cut it back to its first `keep` bytes: lines written after
    /// the checkpoint being resumed from are dropped, so no batch appears twice. The cut is
    /// always at a line's end: a torn tail before `keep` is cut at the last complete line.
    /// The log is never opened through a symlink, nor when it is not a regular file.
    pub fn open(path: &Path, keep: u64) -> Result<(JsonLinesWriter, MetricsRepair), RunError> {
        let io = |e: std::io::Error| RunError::io(path, e);
        let mut file = files::open_for_writing(path, false)?;
        let len = file.metadata().map_err(io)?.len();
        let mut bytes = keep.min(len);
        let whole = last_line_end(&mut file, bytes).map_err(io)?;
        let repair = MetricsRepair {
            torn_bytes: bytes - whole,
        };
        bytes = whole;
        if len > bytes {
            file.set_len(bytes).map_err(io)?;
        }
        file.seek(SeekFrom::Start(bytes)).map_err(io)?;
        Ok((
            JsonLinesWriter {
                file,
                path: path.to_owned(),
                bytes,
                broken: false,
            },
            repair,
        ))
    }

    /// Append one batch or epoch record, in one write. On failure whatever part of the line
    /// reached the file is cut off again.
    pub fn log(&mut self, record: &MetricRecord) -> Result<(), RunError> {
        self.append(record)
    }

    /// Append any value as one JSON line, in one write (see [`JsonLinesWriter::log`]).
    pub fn append<T: serde::Serialize>(&mut self, value: &T) -> Result<(), RunError> {
        let mut line = serde_json::to_string(value).map_err(|e| RunError::io(&self.path, e))?;
        line.push('\n');
        if self.broken {
            return Err(RunError::io(
                &self.path,
                "an earlier write failed and could not be undone; no more lines are appended",
            ));
        }
        if let Err(e) = self.file.write_all(line.as_bytes()) {
            let undone = self
                .file
                .set_len(self.bytes)
                .and_then(|_| self.file.seek(SeekFrom::Start(self.bytes)).map(|_| ()));
            self.broken = undone.is_err();
            return Err(RunError::io(&self.path, e));
        }
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn sync(&mut self) -> Result<(), RunError> {
        self.file
            .sync_data()
            .map_err(|e| RunError::io(&self.path, e))
    }
}

/// The end of the last complete line at or before `upto` (0 when there is none).
fn last_line_end(file: &mut File, upto: u64) -> std::io::Result<u64> {
    let mut end = upto;
    let mut buf = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if end == upto && chunk.last() == Some(&b'\n') {
            return Ok(upto);
        }
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Every record of a metrics log, read line by line (the file may be large; a line may not
/// be longer than [`Limit::METRICS_LINE`]). A torn last line (a crash mid-write) is skipped;
/// a bad line elsewhere is an error naming it. Lines of other kinds are skipped. A missing
/// log is no records; a log that is not a regular file is refused.
pub fn read_metrics(path: &Path) -> Result<Vec<MetricRecord>, RunError> {
    read_json_lines(path, Limit::METRICS_LINE, &["batch", "epoch"])
}

/// Every line of a JSON-lines file whose `event` is one of `events`, as `T`, read line by line
/// (no line longer than `limit`). A torn last line (a crash mid-write) is skipped; a bad line
/// elsewhere is an error naming it; lines of other events are skipped. A missing file is no
/// records; a file that is not a regular file is refused.
pub fn read_json_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
    limit: Limit,
    events: &[&str],
) -> Result<Vec<T>, RunError> {
    let Some((file, _)) = files::open_regular(path)? else {
        return Ok(Vec::new());
    };
    let mut reader = BufReader::new(file);
    let mut out = Vec::new();
    let mut raw = Vec::new();
    let damaged = |n: usize, reason: String| RunError::Damaged {
        path: path.to_owned(),
        reason: format!("line {n}: {reason}"),
    };
    for n in 1.. {
        raw.clear();
        let read = (&mut reader)
            .take(limit.bytes + 1)
            .read_until(b'\n', &mut raw)
            .map_err(|e| RunError::io(path, e))?;
        if read == 0 {
            break;
        }
        let torn = raw.last() != Some(&b'\n');
        if torn && raw.len() as u64 > limit.bytes {
            return Err(damaged(
                n,
                format!(
                    "longer than {} bytes (a {} is at most that)",
                    limit.bytes, limit.kind
                ),
            ));
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) if torn => break,
            Err(e) => return Err(damaged(n, e.to_string())),
        };
        let event = value.get("event").and_then(|e| e.as_str());
        if !event.is_some_and(|e| events.contains(&e)) {
            continue;
        }
        match serde_json::from_value::<T>(value) {
            Ok(r) => out.push(r),
            Err(e) => return Err(damaged(n, e.to_string())),
        }
    }
    Ok(out)
}

/// The CSV header [`write_csv`] writes.
pub const CSV_HEADER: &str = "event,epoch,batch,batches_per_epoch,loss,grad_norm,clipped,clip_threshold,lr,tokens,elapsed,train_ppl,val_ppl,tokens_per_s";

/// Metrics as CSV: one row per record, empty cells where a field does not apply.
pub fn write_csv(records: &[MetricRecord], w: &mut impl Write) -> std::io::Result<()> {
    writeln!(w, "{CSV_HEADER}")?;
    for r in records {
        match r {
            MetricRecord::Batch(b) => writeln!(
                w,
                "batch,{},{},{},{},{},{},{},{},{},{},,,",
                b.epoch,
                b.batch,
                b.batches_per_epoch,
                b.loss,
                b.grad_norm,
                b.clipped,
                b.clip_threshold,
                b.lr,
                b.tokens,
                b.elapsed
            )?,
            MetricRecord::Epoch(e) => writeln!(
                w,
                "epoch,{},,,,,,,,,{},{},{},{}",
                e.epoch, e.elapsed, e.train_ppl, e.val_ppl, e.tokens_per_s
            )?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BatchStats, EpochStats};
    use std::fs::OpenOptions;

    fn batch(k: usize) -> MetricRecord {
        MetricRecord::Batch(BatchStats {
            epoch: 1,
            batch: k,
            batches_per_epoch: 4,
            loss: 3.25,
            grad_norm: 0.5,
            clipped: false,
            clip_threshold: 1.0,
            lr: 1.0,
            tokens: 64,
            elapsed: 0.125,
        })
    }

    #[test]
    fn log_truncate_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrics.jsonl");
        let (mut w, _) = MetricsWriter::open(&p, 0).unwrap();
        w.log(&batch(1)).unwrap();
        let keep = w.bytes();
        w.log(&batch(2)).unwrap();
        w.log(&MetricRecord::Epoch(EpochStats {
            epoch: 1,
            epochs: 2,
            train_ppl: 20.0,
            val_ppl: f64::NAN,
            tokens_per_s: 1e5,
            elapsed: 1.0,
        }))
        .unwrap();
        drop(w);
        let all = read_metrics(&p).unwrap();
        assert_eq!(all.len(), 3);
        match &all[2] {
            MetricRecord::Epoch(e) => assert!(e.val_ppl.is_nan()),
            other => panic!("{other:?}"),
        }
        // A torn last line is skipped.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"event\":\"bat")
            .unwrap();
        assert_eq!(read_metrics(&p).unwrap().len(), 3);
        let (mut w, repair) = MetricsWriter::open(&p, keep).unwrap();
        assert_eq!(repair.torn_bytes, 0);
        w.log(&batch(2)).unwrap();
        let again = read_metrics(&p).unwrap();
        assert_eq!(again.len(), 2);
        let mut csv = Vec::new();
        write_csv(&again, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with(CSV_HEADER));
        assert!(
            csv.contains("\nbatch,1,2,4,3.25,0.5,false,1,1,64,0.125,,,\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_torn_tail_is_cut_at_the_last_whole_line_on_resume() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrics.jsonl");
        let (mut w, _) = MetricsWriter::open(&p, 0).unwrap();
        w.log(&batch(1)).unwrap();
        let one = w.bytes();
        w.log(&batch(2)).unwrap();
        let two = w.bytes();
        drop(w);
        // A full disk tore the third line; the checkpoint recorded a count inside it.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"event\":\"batch\",\"ep")
            .unwrap();
        let (w, repair) = MetricsWriter::open(&p, two + 7).unwrap();
        assert_eq!(repair.torn_bytes, 7);
        assert_eq!(w.bytes(), two);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), two);
        drop(w);
        // A checkpoint count in the middle of a line cuts back to that line's start.
        let (w, repair) = MetricsWriter::open(&p, one + 3).unwrap();
        assert_eq!((w.bytes(), repair.torn_bytes), (one, 3));
        assert_eq!(read_metrics(&p).unwrap().len(), 1);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_damage_not_memory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrics.jsonl");
        let f = std::fs::File::create(&p).unwrap();
        // Sparse: a gigabyte of zero bytes that costs no disk.
        f.set_len(1 << 30).unwrap();
        let e = read_metrics(&p).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("longer than"), "{e}");
    }
}
