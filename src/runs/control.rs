//! The run directory's command file, `control`: how a watcher (`rnn-tui watch`, on this
//! machine or on another one that syncs the directory) asks the process training the run to
//! pause, resume or save.
//!
//! One command per line, appended: a JSON object `{"command":"pause"}` (other fields are
//! ignored) or the bare word (`pause`, `resume`, `save`), so `echo pause >> RUN/control` works
//! too. The training process reads the file from where it stood when training started,
//! remembers how far it has read, and waits for a line's newline before reading it. A line it
//! cannot read is skipped and reported ([`ControlLine::Bad`]); training goes on.
//!
//! A plain appended file rather than a socket: it works on a directory synced between hosts
//! (the lines only ever grow, so any sync tool that copies the whole file keeps them), and
//! needs nothing running on the watcher's side to be read.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::files;
use super::RunError;

pub const CONTROL_FILE: &str = "control";

/// A line longer than this without a newline is dropped as damaged.
const MAX_LINE: usize = 4096;

/// The most bytes of the file one poll reads (about 100,000 commands); the rest waits for the
/// next poll.
pub const MAX_READ: u64 = 4 << 20;

/// What a watcher may ask of the training process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlCommand {
    Pause,
    Resume,
    Save,
}

impl ControlCommand {
    pub fn word(self) -> &'static str {
        match self {
            ControlCommand::Pause => "pause",
            ControlCommand::Resume => "resume",
            ControlCommand::Save => "save",
        }
    }

    fn from_word(w: &str) -> Option<ControlCommand> {
        match w {
            "pause" => Some(ControlCommand::Pause),
            "resume" => Some(ControlCommand::Resume),
            "save" => Some(ControlCommand::Save),
            _ => None,
        }
    }
}

/// Why a line of the command file is not a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControlLineError {
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("no \"command\" string in the object")]
    NoCommand,
    /// The word (its first 40 characters).
    #[error("unknown command {0:?} (pause, resume or save)")]
    Unknown(String),
}

/// Read one line of the command file.
pub fn parse_line(line: &str) -> Result<ControlCommand, ControlLineError> {
    let line = line.trim();
    let unknown = |w: &str| ControlLineError::Unknown(w.chars().take(40).collect());
    if line.starts_with('{') {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| ControlLineError::NotJson(e.to_string()))?;
        let word = value
            .get("command")
            .and_then(|c| c.as_str())
            .ok_or(ControlLineError::NoCommand)?;
        return ControlCommand::from_word(word).ok_or_else(|| unknown(word));
    }
    ControlCommand::from_word(line).ok_or_else(|| unknown(line))
}

/// Append `cmd` to the command file of the run in `dir` (creating it). `from` names the
/// sender (kept in the line for whoever reads the file; the trainer ignores it).
pub fn append(dir: &Path, cmd: ControlCommand, from: &str) -> Result<(), RunError> {
    let path = dir.join(CONTROL_FILE);
    let line = serde_json::json!({ "command": cmd.word(), "from": from }).to_string() + "\n";
    let mut f = files::open_for_writing(&path, true)?;
    // One write call: concurrent appenders never interleave inside a line.
    f.write_all(line.as_bytes())
        .map_err(|e| RunError::io(&path, e))
}

/// One line read from the command file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlLine {
    Command(ControlCommand),
    /// A damaged line (1-based number within what this reader read, and why).
    Bad {
        line: usize,
        reason: String,
    },
}

/// The training process's side: reads the lines appended since it started.
#[derive(Debug)]
pub struct ControlReader {
    path: PathBuf,
    offset: u64,
    pending: Vec<u8>,
    lines: usize,
    /// The file was found not to be a regular file (reported once).
    refused: bool,
}

impl ControlReader {
    /// Read the command file of the run in `dir` from its current end: commands written
    /// before this process began training are not obeyed again.
    pub fn at_end(dir: &Path) -> ControlReader {
        let path = dir.join(CONTROL_FILE);
        let offset = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        ControlReader {
            path,
            offset,
            pending: Vec::new(),
            lines: 0,
            refused: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the file read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The complete lines appended since the last poll. A file that shrank was replaced:
    /// it is read again from its start. A missing file is no lines. Each byte is looked at
    /// once (a flood of lines costs time in proportion to its size), and at most
    /// [`MAX_READ`] bytes are taken per poll, so a huge backlog never holds up training.
    /// A `control` that is not a regular file (a FIFO would block every reader) is reported
    /// once and then ignored.
    pub fn poll(&mut self) -> Vec<ControlLine> {
        let mut out = Vec::new();
        let (f, len) = match files::open_regular(&self.path) {
            Ok(Some(found)) => found,
            Ok(None) => return out,
            Err(e) => {
                if !self.refused {
                    self.refused = true;
                    out.push(ControlLine::Bad {
                        line: 0,
                        reason: format!("{e}: commands from it are ignored"),
                    });
                }
                return out;
            }
        };
        self.refused = false;
        let mut f = f;
        if len < self.offset {
            self.offset = 0;
            self.pending.clear();
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return out;
        }
        let mut fresh = Vec::new();
        if f.take((len - self.offset).min(MAX_READ))
            .read_to_end(&mut fresh)
            .is_err()
        {
            return out;
        }
        self.offset += fresh.len() as u64;
        self.pending.extend_from_slice(&fresh);
        let mut start = 0;
        while let Some(nl) = self.pending[start..].iter().position(|&b| b == b'\n') {
            let raw = &self.pending[start..start + nl];
            start += nl + 1;
            self.lines += 1;
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            out.push(match std::str::from_utf8(raw) {
                Err(_) => ControlLine::Bad {
                    line: self.lines,
                    reason: "not UTF-8 text".into(),
                },
                Ok(t) => match parse_line(t) {
                    Ok(c) => ControlLine::Command(c),
                    Err(e) => ControlLine::Bad {
                        line: self.lines,
                        reason: e.to_string(),
                    },
                },
            });
        }
        // One move of the unfinished rest, however many lines came before it.
        self.pending.drain(..start);
        if self.pending.len() > MAX_LINE {
            self.lines += 1;
            self.pending.clear();
            out.push(ControlLine::Bad {
                line: self.lines,
                reason: format!("longer than {MAX_LINE} bytes without a newline"),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    fn push(dir: &Path, bytes: &[u8]) {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(CONTROL_FILE))
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }

    #[test]
    fn lines_parse_as_json_or_bare_words() {
        assert_eq!(
            parse_line(r#"{"command":"pause"}"#),
            Ok(ControlCommand::Pause)
        );
        assert_eq!(
            parse_line(r#" {"command":"resume","from":"x"} "#),
            Ok(ControlCommand::Resume)
        );
        assert_eq!(parse_line("save\r"), Ok(ControlCommand::Save));
        assert!(parse_line(r#"{"command":"stop"}"#)
            .unwrap_err()
            .to_string()
            .contains("unknown command \"stop\""));
        assert_eq!(
            parse_line(r#"{"cmd":"pause"}"#),
            Err(ControlLineError::NoCommand)
        );
        assert!(parse_line(r#"{"command":"pau"#)
            .unwrap_err()
            .to_string()
            .contains("not valid JSON"));
        assert!(parse_line("restart").is_err());
    }

    #[test]
    fn the_reader_skips_old_commands_waits_for_whole_lines_and_reports_damage() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        append(dir, ControlCommand::Pause, "old watcher").unwrap();
        let mut r = ControlReader::at_end(dir);
        assert_eq!(r.poll(), vec![]);
        // A damaged file: garbage, bad UTF-8, an unknown command, then good lines.
        push(dir, b"\x00\xff\xfe garbage\n{\"command\":\n");
        push(dir, b"explode\n\n");
        append(dir, ControlCommand::Resume, "test").unwrap();
        push(dir, b"sa");
        let got = r.poll();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(
            matches!(&got[0], ControlLine::Bad { line: 1, reason } if reason.contains("UTF-8"))
        );
        assert!(matches!(&got[1], ControlLine::Bad { line: 2, reason } if reason.contains("JSON")));
        assert!(
            matches!(&got[2], ControlLine::Bad { line: 3, reason } if reason.contains("explode"))
        );
        assert_eq!(got[3], ControlLine::Command(ControlCommand::Resume));
        // The half-written "sa" waits for its newline.
        assert_eq!(r.poll(), vec![]);
        push(dir, b"ve\n");
        assert_eq!(r.poll(), vec![ControlLine::Command(ControlCommand::Save)]);
        // A file replaced by a shorter one is read from its start.
        std::fs::write(dir.join(CONTROL_FILE), b"pause\n").unwrap();
        assert_eq!(r.poll(), vec![ControlLine::Command(ControlCommand::Pause)]);
        // An endless line without a newline is dropped, and reading goes on after it.
        push(dir, &vec![b'x'; MAX_LINE + 10]);
        assert!(
            matches!(&r.poll()[..], [ControlLine::Bad { reason, .. }] if reason.contains("without a newline"))
        );
        push(dir, b"\nsave\n");
        let got = r.poll();
        assert_eq!(
            got.last(),
            Some(&ControlLine::Command(ControlCommand::Save))
        );
    }

    #[test]
    fn a_missing_file_is_no_commands() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = ControlReader::at_end(tmp.path());
        assert_eq!(r.offset(), 0);
        assert_eq!(r.poll(), vec![]);
        append(tmp.path(), ControlCommand::Save, "t").unwrap();
        assert_eq!(r.poll(), vec![ControlLine::Command(ControlCommand::Save)]);
    }
}
