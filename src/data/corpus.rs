//! Loading a text and reading it in a [`TextMode`] (d2l's `TimeMachine` preprocessing by
//! default: `re.sub('[^A-Za-z]+', ' ', text).lower()`), one token per character.
//!
//! Big texts go through [`EncodedCorpus`]: the file's bytes are checked as UTF-8 in place, the
//! vocabulary is built from a bit set of the characters seen, and the ids are written straight
//! into a `u16` vector — no preprocessed copy, no `String` per character.

use std::fmt;
use std::path::{Path, PathBuf};

use super::dataset::TokenIds;
use super::text::TextMode;
use super::vocab::{CharSet, Vocab};

/// The Time Machine, shipped inside the binary so `rnn-tui` works with no files around it.
pub const TIME_MACHINE: &str = include_str!("../../sample_texts/timemachine.txt");

/// Refuse texts larger than this (checked on the file's size, before reading it): the corpus is
/// held as token ids (2 bytes a character), plus the raw text while loading.
pub const MAX_CORPUS_BYTES: u64 = 1 << 30;

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
    #[error("corpus {0} is not a regular file (a FIFO, device or socket cannot be a corpus)")]
    NotAFile(PathBuf),
    #[error("corpus {0} contains no letters A-Z/a-z, so there is nothing to learn")]
    NoLetters(String),
    /// `--text letters`: no letter of any script.
    #[error("corpus {0} contains no letters, so there is nothing to learn")]
    NoUnicodeLetters(String),
}

/// A preprocessed text: the lower-cased letters and single spaces, one `char` per token.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub source: CorpusSource,
    /// Preprocessed characters (`a`–`z` and `' '`).
    pub text: String,
}

impl Corpus {
    /// Load and preprocess the d2l way.
    pub fn load(source: &CorpusSource) -> Result<Self, CorpusError> {
        Self::load_mode(source, TextMode::D2l)
    }

    /// Load and read in `mode`.
    pub fn load_mode(source: &CorpusSource, mode: TextMode) -> Result<Self, CorpusError> {
        let raw = RawText::load(source)?;
        Self::from_raw_mode(source.clone(), raw.as_str(), mode)
    }

    /// Preprocess `raw` text the d2l way; fails if no letters survive.
    pub fn from_raw(source: CorpusSource, raw: &str) -> Result<Self, CorpusError> {
        Self::from_raw_mode(source, raw, TextMode::D2l)
    }

    /// Read `raw` in `mode`; fails if nothing is left to learn.
    pub fn from_raw_mode(
        source: CorpusSource,
        raw: &str,
        mode: TextMode,
    ) -> Result<Self, CorpusError> {
        let text = mode.apply(raw);
        let mut seen = CharSet::new();
        text.chars().for_each(|c| seen.insert(c));
        check_learnable(&source, mode, &seen)?;
        Ok(Corpus { source, text })
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Whether the characters a text was read as leave something to learn (d2l: a letter a–z;
/// letters: any letter; raw: any character).
fn check_learnable(
    source: &CorpusSource,
    mode: TextMode,
    seen: &CharSet,
) -> Result<(), CorpusError> {
    let ok = match mode {
        TextMode::D2l => ('a'..='z').any(|c| seen.contains(c)),
        // Every character but the space is a letter in this mode.
        TextMode::Letters => seen.iter().any(|c| c != ' '),
        TextMode::Raw => !seen.is_empty(),
    };
    if ok {
        return Ok(());
    }
    Err(match (mode, source) {
        (TextMode::D2l, _) => CorpusError::NoLetters(source.to_string()),
        (TextMode::Letters, _) => CorpusError::NoUnicodeLetters(source.to_string()),
        (TextMode::Raw, CorpusSource::File(p)) => CorpusError::Empty(p.clone()),
        (TextMode::Raw, CorpusSource::TimeMachine) => CorpusError::Empty("timemachine".into()),
    })
}

/// A text's raw characters: the built-in one borrowed, a file's read whole (checked as UTF-8
/// in place, not copied).
pub enum RawText {
    Static(&'static str),
    Owned(String),
}

impl RawText {
    pub fn load(source: &CorpusSource) -> Result<Self, CorpusError> {
        Ok(match source {
            CorpusSource::TimeMachine => RawText::Static(TIME_MACHINE),
            CorpusSource::File(path) => RawText::Owned(read_text(path)?),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            RawText::Static(s) => s,
            RawText::Owned(s) => s,
        }
    }
}

/// A corpus read in a text mode and encoded: its vocabulary and the id of every character.
#[derive(Clone, Debug)]
pub struct EncodedCorpus {
    pub source: CorpusSource,
    pub mode: TextMode,
    pub vocab: Vocab,
    pub ids: TokenIds,
}

impl EncodedCorpus {
    /// Load `source`, read it in `mode`, build its vocabulary and encode it.
    pub fn load(source: &CorpusSource, mode: TextMode) -> Result<Self, CorpusError> {
        let raw = RawText::load(source)?;
        Self::from_raw(source.clone(), raw.as_str(), mode, None)
    }

    /// Like [`EncodedCorpus::load`] with a given vocabulary (a saved run's): characters
    /// outside it are `<unk>`.
    pub fn load_with_vocab(
        source: &CorpusSource,
        mode: TextMode,
        vocab: Vocab,
    ) -> Result<Self, CorpusError> {
        let raw = RawText::load(source)?;
        Self::from_raw(source.clone(), raw.as_str(), mode, Some(vocab))
    }

    /// Encode `raw` in one pass: each character gets a provisional id in order of first
    /// appearance (a table lookup), written as `u16`; then the vocabulary is sorted (or `vocab`
    /// is used) and the ids are renumbered in place. A text of more than 65 535 distinct
    /// characters takes a slower two-pass route with `u32` ids.
    pub fn from_raw(
        source: CorpusSource,
        raw: &str,
        mode: TextMode,
        vocab: Option<Vocab>,
    ) -> Result<Self, CorpusError> {
        const UNSEEN: u16 = u16::MAX;
        let mut table = vec![UNSEEN; char::MAX as usize + 1];
        let mut order: Vec<char> = Vec::new();
        // At most one character per byte; pages never written are never resident, and
        // `shrink_to_fit` hands the rest back.
        let mut ids: Vec<u16> = Vec::with_capacity(raw.len());
        let mut overflow = false;
        mode.for_each_char(raw, |c| {
            let slot = &mut table[c as usize];
            if *slot == UNSEEN {
                if order.len() == UNSEEN as usize {
                    overflow = true;
                    return;
                }
                *slot = order.len() as u16;
                order.push(c);
            }
            ids.push(*slot);
        });
        drop(table);
        if overflow || vocab.as_ref().is_some_and(|v| v.len() > 1 << 16) {
            drop(ids);
            return Self::from_raw_wide(source, raw, mode, vocab);
        }
        let mut seen = CharSet::new();
        order.iter().for_each(|&c| seen.insert(c));
        check_learnable(&source, mode, &seen)?;
        let vocab = vocab.unwrap_or_else(|| Vocab::from_chars(seen.iter()));
        let enc = vocab.encoder();
        let renumber: Vec<u16> = order.iter().map(|&c| enc.id(c) as u16).collect();
        for id in ids.iter_mut() {
            *id = renumber[*id as usize];
        }
        ids.shrink_to_fit();
        Ok(EncodedCorpus {
            source,
            mode,
            vocab,
            ids: TokenIds::U16(ids),
        })
    }

    /// Two passes, `u32` ids: one collects the distinct characters (unless `vocab` is given),
    /// the second writes the ids.
    fn from_raw_wide(
        source: CorpusSource,
        raw: &str,
        mode: TextMode,
        vocab: Option<Vocab>,
    ) -> Result<Self, CorpusError> {
        let mut seen = CharSet::new();
        mode.for_each_char(raw, |c| seen.insert(c));
        check_learnable(&source, mode, &seen)?;
        let vocab = vocab.unwrap_or_else(|| Vocab::from_chars(seen.iter()));
        let enc = vocab.encoder();
        let mut ids: Vec<u32> = Vec::with_capacity(raw.len());
        mode.for_each_char(raw, |c| ids.push(enc.id(c)));
        ids.shrink_to_fit();
        Ok(EncodedCorpus {
            source,
            mode,
            vocab,
            ids: TokenIds::U32(ids),
        })
    }

    /// Characters of the text as read.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// What can be said of `path` as a corpus without reading it: that it exists, is a regular
/// file within the size limit, and opens for reading. The form's corpus field checks this as
/// the path is typed; loading says the same words for the same faults.
pub fn check_path(path: &Path) -> Result<(), CorpusError> {
    metadata(path)?;
    // The same non-blocking open as reading: a FIFO never holds the form up.
    open_nonblocking(path)?;
    Ok(())
}

/// The error for an I/O failure on `path`.
fn unreadable(path: &Path, e: std::io::Error) -> CorpusError {
    CorpusError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Opens `path` for reading without blocking (a FIFO swapped in is refused, not waited on).
fn open_nonblocking(path: &Path) -> Result<std::fs::File, CorpusError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NONBLOCK);
    opts.open(path).map_err(|e| unreadable(path, e))
}

/// The file's metadata, refused as a corpus when it is not a regular file within the limit.
fn metadata(path: &Path) -> Result<std::fs::Metadata, CorpusError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CorpusError::NotFound(path.to_owned()),
        _ => unreadable(path, e),
    })?;
    if meta.is_dir() {
        return Err(CorpusError::IsDirectory(path.to_owned()));
    }
    // A FIFO would block, a device never ends (/dev/urandom), and both report size 0: they
    // are refused as what they are, not read and not called empty.
    if !meta.is_file() {
        return Err(CorpusError::NotAFile(path.to_owned()));
    }
    if meta.len() > MAX_CORPUS_BYTES {
        return Err(CorpusError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_CORPUS_BYTES,
        });
    }
    Ok(meta)
}

fn read_text(path: &Path) -> Result<String, CorpusError> {
    let meta = metadata(path)?;
    let unreadable = |e: std::io::Error| unreadable(path, e);
    // Never more than the limit (+1 to notice a file that grew since), into one buffer of the
    // file's size; UTF-8 is checked in place.
    // Non-blocking open and a second look at what was opened: a FIFO swapped in since the
    // check above is refused, not waited on.
    let file = open_nonblocking(path)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(CorpusError::NotAFile(path.to_owned()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_CORPUS_BYTES + 1),
        &mut bytes,
    )
    .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CORPUS_BYTES {
        return Err(CorpusError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_CORPUS_BYTES,
        });
    }
    // Checked on what was read, not the reported size: a /proc file says 0 and holds text.
    if bytes.is_empty() {
        return Err(CorpusError::Empty(path.to_owned()));
    }
    String::from_utf8(bytes).map_err(|_| CorpusError::NotUtf8(path.to_owned()))
}

/// d2l's preprocessing: every run of non-ASCII-letters becomes one space, then lower case.
pub fn preprocess(raw: &str) -> String {
    TextMode::D2l.apply(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_refused_and_proc_files_read_by_content() {
        // A device reports size 0 and never ends: refused as what it is, not called empty.
        let e = read_text(Path::new("/dev/urandom")).unwrap_err();
        assert!(matches!(e, CorpusError::NotAFile(_)), "{e}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // A /proc file reports size 0 and holds text: read, not called empty.
        let text = read_text(Path::new("/proc/self/status")).unwrap();
        assert!(text.contains("Name:"), "{text}");
    }

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
            .set_len((1 << 30) + 1)
            .unwrap();
        let err = Corpus::load(&CorpusSource::File(huge)).unwrap_err();
        assert!(
            err.to_string()
                .contains("is 1073741825 bytes; the limit is 1073741824 bytes"),
            "{err}"
        );
        let digits = dir.path().join("digits");
        std::fs::write(&digits, "123 456 !!").unwrap();
        let err = Corpus::load(&CorpusSource::File(digits)).unwrap_err();
        assert!(err.to_string().contains("no letters"), "{err}");
    }
}
