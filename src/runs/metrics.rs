//! `metrics.jsonl`: one JSON object per batch and per epoch, the same objects `train --json`
//! prints, appended and flushed as training goes.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::RunError;
use crate::metrics::MetricRecord;

/// Appends metric lines; every line is written through to the file at once.
pub struct MetricsWriter {
    file: File,
    path: PathBuf,
    bytes: u64,
}

impl MetricsWriter {
    /// Open (or create) the log and cut it back to its first `keep` bytes: lines written after
    /// the checkpoint being resumed from are dropped, so no batch appears twice.
    pub fn open(path: &Path, keep: u64) -> Result<MetricsWriter, RunError> {
        let io = |e: std::io::Error| RunError::io(path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let bytes = keep.min(len);
        if len > bytes {
            file.set_len(bytes).map_err(io)?;
        }
        file.seek(SeekFrom::Start(bytes)).map_err(io)?;
        Ok(MetricsWriter {
            file,
            path: path.to_owned(),
            bytes,
        })
    }

    /// Append one batch or epoch record.
    pub fn log(&mut self, record: &MetricRecord) -> Result<(), RunError> {
        let mut line = serde_json::to_string(record).map_err(|e| RunError::io(&self.path, e))?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| RunError::io(&self.path, e))?;
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

/// Every record of a metrics log. A torn last line (a crash mid-write) is skipped; a bad line
/// elsewhere is an error naming it. Lines of other kinds are skipped.
pub fn read_metrics(path: &Path) -> Result<Vec<MetricRecord>, RunError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RunError::io(path, e)),
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let torn = i + 1 == lines.len() && !line.ends_with('\n');
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) if torn => break,
            Err(e) => {
                return Err(RunError::Damaged {
                    path: path.to_owned(),
                    reason: format!("line {}: {e}", i + 1),
                })
            }
        };
        if !matches!(
            value.get("event").and_then(|e| e.as_str()),
            Some("batch" | "epoch")
        ) {
            continue;
        }
        match serde_json::from_value::<MetricRecord>(value) {
            Ok(r) => out.push(r),
            Err(e) => {
                return Err(RunError::Damaged {
                    path: path.to_owned(),
                    reason: format!("line {}: {e}", i + 1),
                })
            }
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
        let mut w = MetricsWriter::open(&p, 0).unwrap();
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
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"event\":\"bat")
            .unwrap();
        assert_eq!(read_metrics(&p).unwrap().len(), 3);
        let mut w = MetricsWriter::open(&p, keep).unwrap();
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
}
