//! Standard output for every subcommand, and the one rule for when writing it fails:
//!
//! - a closed pipe ([`ErrorKind::BrokenPipe`]: the reader, `head` or `true`, went away) is not
//!   an error: the command ends quietly with exit 0 (what it could not print, nobody reads);
//! - any other failure (`ENOSPC` from a full disk or `/dev/full`, `EIO`, …) is an
//!   [`OutputError`]: one line on stderr, `error: writing standard output: <reason>`, and exit
//!   1 ([`crate::exit::EXIT_FAILURE`]) through [`super::CliError::Output`].
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe returns `EPIPE` instead of killing the
//! process; that is what lets a closed pipe be told from other failures here (and lets a
//! headless run stop and save its work). Nothing here changes that.

use std::io::{self, ErrorKind, Write};

/// Writing standard output failed for a reason other than a closed pipe.
#[derive(Debug, thiserror::Error)]
#[error("writing standard output: {0}")]
pub struct OutputError(#[source] pub io::Error);

impl OutputError {
    /// What the system said (`No space left on device (os error 28)`).
    pub fn io(&self) -> &io::Error {
        &self.0
    }
}

/// What became of bytes given to [`write_out`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Written and flushed.
    Written,
    /// The reader has gone (a closed pipe): nothing more will be read.
    Closed,
}

/// Sort the result of a write: a closed pipe is [`Delivery::Closed`], any other error an
/// [`OutputError`].
pub fn classify(result: io::Result<()>) -> Result<Delivery, OutputError> {
    match result {
        Ok(()) => Ok(Delivery::Written),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(Delivery::Closed),
        Err(e) => Err(OutputError(e)),
    }
}

/// Write `bytes` to standard output and flush them, to `out` (a test's buffer, or the locked
/// stdout).
pub fn write_to(out: &mut impl Write, bytes: &[u8]) -> Result<Delivery, OutputError> {
    classify(out.write_all(bytes).and_then(|()| out.flush()))
}

/// Write `bytes` to standard output and flush them. Says whether the reader has gone, for a
/// command that would go on printing (a headless run stops then).
pub fn write_out(bytes: &[u8]) -> Result<Delivery, OutputError> {
    write_to(&mut io::stdout().lock(), bytes)
}

/// Print `text` as it is (no newline added). A closed pipe is `Ok`: the command goes on to its
/// end and exits 0.
pub fn print(text: &str) -> Result<(), OutputError> {
    write_out(text.as_bytes()).map(|_| ())
}

/// Print `line` and a newline, like `println!` but returning the failure instead of panicking.
/// A closed pipe is `Ok`, as for [`print`].
pub fn println(line: &str) -> Result<(), OutputError> {
    write_line(line).map(|_| ())
}

/// Print `line` and a newline, saying whether the reader has gone (for a command that can
/// stop early then).
pub fn write_line(line: &str) -> Result<Delivery, OutputError> {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    write_out(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails every write with `kind`.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error_and_anything_else_is() {
        let mut buf = Vec::new();
        assert_eq!(write_to(&mut buf, b"a\n").unwrap(), Delivery::Written);
        assert_eq!(buf, b"a\n");
        let closed = write_to(&mut Failing(ErrorKind::BrokenPipe), b"a").unwrap();
        assert_eq!(closed, Delivery::Closed);
        let full = io::Error::from_raw_os_error(28); // ENOSPC on Linux
        let e = classify(Err(full)).unwrap_err();
        assert!(
            e.to_string().starts_with("writing standard output: "),
            "{e}"
        );
        assert!(write_to(&mut Failing(ErrorKind::Other), b"a").is_err());
    }
}
