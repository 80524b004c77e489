//! `rnn-tui export --csv`: a run's metrics as CSV, on stdout or into `--output FILE`.

use std::fs::FileType;
use std::path::Path;

use super::{output, CliError, ExportCmd};
use crate::runs::{read_metrics, write_csv};

pub fn run(data_dir: Option<&Path>, cmd: &ExportCmd) -> Result<(), CliError> {
    if !cmd.csv {
        return Err(CliError::Usage("export needs a format: --csv".into()));
    }
    if let Some(path) = &cmd.output {
        check_output(path)?;
    }
    let dir = super::runs::find(data_dir, &cmd.run)?;
    let records = read_metrics(&dir.metrics_path())?;
    let mut buf = Vec::new();
    write_csv(&records, &mut buf).expect("writing to memory");
    match &cmd.output {
        // Checked again just before: a path that became something else meanwhile is refused.
        Some(path) => {
            check_output(path)?;
            crate::runs::atomic::write_atomic(path, &buf)
                .map_err(|e| CliError::Failure(format!("{}: {e}", path.display())))
        }
        // A closed pipe (`| head`) is not an error; a failed write is.
        None => {
            output::write_out(&buf)?;
            Ok(())
        }
    }
}

/// `--output PATH` may name a regular file (replaced atomically) or nothing yet (created);
/// anything else — a symbolic link (not followed: its target is never touched), a FIFO, a
/// device, a directory, a socket — is refused as bad input before anything is written.
fn check_output(path: &Path) -> Result<(), CliError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Ok(()),
        Ok(meta) => Err(CliError::Usage(format!(
            "--output {}: is {}, not a regular file (nothing written)",
            path.display(),
            describe(&meta.file_type())
        ))),
        // Missing: created. Cannot tell (a parent directory that cannot be searched, …):
        // writing will say why.
        Err(_) => Ok(()),
    }
}

/// What a path that is not a regular file is, in words.
fn describe(t: &FileType) -> &'static str {
    if t.is_symlink() {
        return "a symbolic link";
    }
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "something other than a file"
}
