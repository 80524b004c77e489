//! Loading and preprocessing a text the way d2l's `TimeMachine` does:
//! `re.sub('[^A-Za-z]+', ' ', text).lower()`, one token per character.

use std::fmt;
use std::path::{Path, PathBuf};

/// The Time Machine, shipped inside the binary so `rnn-tui` works with no files around it.
pub const TIME_MACHINE: &str = include_str!("../../sample_texts/timemachine.txt");

/// Refuse texts larger than this: the whole corpus is held as one `Vec<u32>` of token ids
/// (4 bytes a character) plus the raw text while loading.
pub const MAX_CORPUS_BYTES: u64 = 64 * 1024 * 1024;

/// Where the text comes from.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CorpusSource {
    /// The Time Machine embedded in the binary.
    #[default]
    TimeMachine,
    /// Any UTF-8 text file.
    File(PathBuf),
}

impl CorpusSource {
    /// Parse a `--corpus` value; `timemachine` (or an empty string) names the embedded default.
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "" | "timemachine" | "time-machine" => CorpusSource::TimeMachine,
            other => CorpusSource::File(PathBuf::from(other)),
        }
    }
}

impl fmt::Display for CorpusSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorpusSource::TimeMachine => write!(f, "timemachine (built in)"),
            CorpusSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Why a corpus could not be loaded. Each message is one line a user can act on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CorpusError {
    #[error("corpus file not found: {0}")]
    NotFound(PathBuf),
    #[error("corpus path is a directory, not a text file: {0}")]
    IsDirectory(PathBuf),
    #[error("cannot read corpus {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("corpus {path} is {size} bytes; the limit is {limit} bytes")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("corpus {0} is not valid UTF-8 text (binary file?)")]
    NotUtf8(PathBuf),
    #[error("corpus {0} is empty")]
    Empty(PathBuf),
    #[error("corpus {0} contains no letters A-Z/a-z, so there is nothing to learn")]
    NoLetters(String),
}

/// A preprocessed text: the lower-cased letters and single spaces, one `char` per token.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub source: CorpusSource,
    /// Preprocessed characters (`a`–`z` and `' '`).
    pub text: String,
}

impl Corpus {
    pub fn load(source: &CorpusSource) -> Result<Self, CorpusError> {
        let raw = match source {
            CorpusSource::TimeMachine => TIME_MACHINE.to_owned(),
            CorpusSource::File(path) => read_text(path)?,
        };
        Self::from_raw(source.clone(), &raw)
    }

    /// Preprocess `raw` text; fails if no letters survive.
    pub fn from_raw(source: CorpusSource, raw: &str) -> Result<Self, CorpusError> {
        let text = preprocess(raw);
        if !text.bytes().any(|b| b.is_ascii_lowercase()) {
            return Err(CorpusError::NoLetters(source.to_string()));
        }
        Ok(Corpus { source, text })
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

fn read_text(path: &Path) -> Result<String, CorpusError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CorpusError::NotFound(path.to_owned()),
        _ => CorpusError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        },
    })?;
    if meta.is_dir() {
        return Err(CorpusError::IsDirectory(path.to_owned()));
    }
    if meta.len() > MAX_CORPUS_BYTES {
        return Err(CorpusError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_CORPUS_BYTES,
        });
    }
    if meta.len() == 0 {
        return Err(CorpusError::Empty(path.to_owned()));
    }
    let bytes = std::fs::read(path).map_err(|e| CorpusError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|_| CorpusError::NotUtf8(path.to_owned()))
}

/// d2l's preprocessing: every run of non-ASCII-letters becomes one space, then lower case.
pub fn preprocess(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_gap = false;
    for c in raw.chars() {
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
            in_gap = false;
        } else if !in_gap {
            out.push(' ');
            in_gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocess_matches_d2l_regex() {
        assert_eq!(
            preprocess("The Time-Machine, 1895!\n\nIt"),
            "the time machine it"
        );
        assert_eq!(preprocess("  héllo"), " h llo");
        assert_eq!(preprocess(""), "");
    }

    #[test]
    fn embedded_time_machine_is_the_d2l_file() {
        assert_eq!(TIME_MACHINE.len(), 178_979);
        let c = Corpus::load(&CorpusSource::TimeMachine).unwrap();
        // d2l reports 173428 characters after preprocessing.
        assert_eq!(c.len(), 173_428);
        assert!(c.text.starts_with("the time machine by h g wells "));
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.txt");
        assert_eq!(
            Corpus::load(&CorpusSource::File(missing.clone())).unwrap_err(),
            CorpusError::NotFound(missing)
        );
        assert!(matches!(
            Corpus::load(&CorpusSource::File(dir.path().to_owned())),
            Err(CorpusError::IsDirectory(_))
        ));
        let bin = dir.path().join("bin");
        std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x41]).unwrap();
        assert!(matches!(
            Corpus::load(&CorpusSource::File(bin)),
            Err(CorpusError::NotUtf8(_))
        ));
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "").unwrap();
        assert_eq!(
            Corpus::load(&CorpusSource::File(empty.clone()))
                .unwrap_err()
                .to_string(),
            format!("corpus {} is empty", empty.display())
        );
        // A path through a regular file cannot be opened (ENOTDIR); root ignores permission
        // bits, so this is how the tests reach the "cannot read" branch.
        let through = empty.join("x.txt");
        let err = Corpus::load(&CorpusSource::File(through)).unwrap_err();
        assert!(err.to_string().starts_with("cannot read corpus"), "{err}");
        let huge = dir.path().join("huge.txt");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(100 << 20)
            .unwrap();
        let err = Corpus::load(&CorpusSource::File(huge)).unwrap_err();
        assert!(
            err.to_string().contains("the limit is 67108864 bytes"),
            "{err}"
        );
        let digits = dir.path().join("digits");
        std::fs::write(&digits, "123 456 !!").unwrap();
        let err = Corpus::load(&CorpusSource::File(digits)).unwrap_err();
        assert!(err.to_string().contains("no letters"), "{err}");
    }
}
