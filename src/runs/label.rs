//! A run's label: a name the user gives it (`rnn-tui runs --label RUN TEXT`, or `n` in the
//! cockpit's runs picker), kept as one line in `label.txt` in the run's directory, written
//! atomically and never through a symlink, read with a size cap like every run file.

use super::files::{self, Limit};
use super::{atomic, RunDir, RunError};

pub const LABEL_FILE: &str = "label.txt";
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 60;

/// A label as it is stored: one line, control characters as spaces, trimmed. Empty: no label.
pub fn clean_label(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

impl RunDir {
    pub fn label_path(&self) -> std::path::PathBuf {
        self.path.join(LABEL_FILE)
    }

    /// The run's label, if it has one (an unreadable or empty file is none).
    pub fn label(&self) -> Option<String> {
        let text = files::read_text_opt(&self.label_path(), Limit::LABEL).ok()??;
        let label = clean_label(&text);
        (!label.is_empty()).then_some(label)
    }

    /// Name the run `text` (cleaned, see [`clean_label`]); an empty text removes the label.
    /// Returns the label stored. Refused when longer than [`MAX_LABEL_CHARS`], or when
    /// `label.txt` is anything but a regular file.
    pub fn set_label(&self, text: &str) -> Result<Option<String>, RunError> {
        let label = clean_label(text);
        let path = self.label_path();
        let n = label.chars().count();
        if n > MAX_LABEL_CHARS {
            return Err(RunError::Invalid {
                path,
                reason: format!("a label has at most {MAX_LABEL_CHARS} characters, got {n}"),
            });
        }
        files::replaceable(&path)?;
        if label.is_empty() {
            return match std::fs::remove_file(&path) {
                Ok(()) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(RunError::io(&path, e)),
            };
        }
        atomic::write_atomic(&path, format!("{label}\n").as_bytes())
            .map_err(|e| RunError::io(&path, e))?;
        Ok(Some(label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_one_clean_line_written_atomically_and_removed_when_empty() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path()).unwrap();
        assert_eq!(dir.label(), None);
        assert_eq!(
            dir.set_label("  lstm\nbaseline\t ").unwrap().as_deref(),
            Some("lstm baseline")
        );
        assert_eq!(dir.label().as_deref(), Some("lstm baseline"));
        assert!(dir.set_label(&"x".repeat(MAX_LABEL_CHARS + 1)).is_err());
        assert_eq!(dir.label().as_deref(), Some("lstm baseline"));
        assert_eq!(dir.set_label("  ").unwrap(), None);
        assert!(!dir.label_path().exists());
        assert_eq!(dir.set_label("").unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_label_is_never_written_through_a_symlink() {
        let root = tempfile::tempdir().unwrap();
        let dir = RunDir::create(root.path()).unwrap();
        let decoy = root.path().join("decoy");
        std::fs::write(&decoy, "keep me").unwrap();
        std::os::unix::fs::symlink(&decoy, dir.label_path()).unwrap();
        assert!(matches!(dir.set_label("x"), Err(RunError::Symlink { .. })));
        assert_eq!(std::fs::read_to_string(&decoy).unwrap(), "keep me");
    }
}
