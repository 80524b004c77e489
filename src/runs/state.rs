//! `state.json`: what the process training a run says about itself, for watchers. Written
//! (whole, renamed into place) by `train --headless` whenever its state changes and every few
//! seconds as a heartbeat, so a watcher sees a pause, the end of training, and — on a directory
//! synced from another host, where process ids mean nothing — whether the writer still lives.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use super::RunError;

pub const STATE_FILE: &str = "state.json";

/// The writer's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriterState {
    Ready,
    Training,
    Paused,
    /// Training ended (all epochs, or stopped early: see [`FinalSummary::completed`]).
    Done,
    /// The trainer stopped with an error (`message`).
    Failed,
}

/// How training ended, as the trainer summarised it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinalSummary {
    pub epochs: usize,
    pub completed: bool,
    #[serde(deserialize_with = "f64_or_nan")]
    pub train_ppl: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub val_ppl: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub tokens_per_s: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub seconds: f64,
    pub sample: String,
}

/// The content of `state.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriterStatus {
    pub state: WriterState,
    pub pid: u32,
    pub host: String,
    /// Counts every write (state changes and heartbeats): a watcher sees the writer alive
    /// when it moves, whatever the two hosts' clocks say.
    pub beat: u64,
    /// Whether the writer obeys the run's `control` file.
    pub control: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub summary: Option<FinalSummary>,
}

impl WriterStatus {
    /// Write `state.json` into the run directory `dir` (a temporary file renamed over it).
    pub fn write(&self, dir: &Path) -> Result<(), RunError> {
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!(".{STATE_FILE}.tmp-{}", std::process::id()));
        let text = serde_json::to_string(self).map_err(|e| RunError::io(&path, e))? + "\n";
        // Created new (never through a symlink planted under the temporary's name), then
        // renamed over `state.json` (a rename replaces a symlink, never writes through it).
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| RunError::io(&path, e))
    }

    /// Read `state.json` of the run in `dir`: `None` when there is none or it cannot be read
    /// (a watcher then judges by the lock and the metrics alone).
    pub fn read(dir: &Path) -> Option<WriterStatus> {
        let text = super::files::read_text_opt(&dir.join(STATE_FILE), super::files::Limit::STATE)
            .ok()??;
        serde_json::from_str(&text).ok()
    }
}

fn f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_garbage_reads_as_none() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(WriterStatus::read(tmp.path()), None);
        let mut s = WriterStatus {
            state: WriterState::Paused,
            pid: 7,
            host: "h".into(),
            beat: 3,
            control: true,
            message: None,
            summary: None,
        };
        s.write(tmp.path()).unwrap();
        assert_eq!(WriterStatus::read(tmp.path()), Some(s.clone()));
        s.state = WriterState::Done;
        s.summary = Some(FinalSummary {
            epochs: 2,
            completed: true,
            train_ppl: 9.5,
            val_ppl: f64::NAN,
            tokens_per_s: 1e5,
            seconds: 1.0,
            sample: "it has".into(),
        });
        s.write(tmp.path()).unwrap();
        let back = WriterStatus::read(tmp.path()).unwrap();
        assert!(back.summary.unwrap().val_ppl.is_nan());
        std::fs::write(tmp.path().join(STATE_FILE), "{\"state\":").unwrap();
        assert_eq!(WriterStatus::read(tmp.path()), None);
    }
}
