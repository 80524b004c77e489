//! `rnn-tui export --csv`: a run's metrics as CSV.

use std::io::Write;
use std::path::Path;

use super::{CliError, ExportCmd};
use crate::runs::{read_metrics, write_csv};

pub fn run(data_dir: Option<&Path>, cmd: &ExportCmd) -> Result<(), CliError> {
    if !cmd.csv {
        return Err(CliError::Usage("export needs a format: --csv".into()));
    }
    let dir = super::runs::find(data_dir, &cmd.run)?;
    let records = read_metrics(&dir.metrics_path())?;
    let mut buf = Vec::new();
    write_csv(&records, &mut buf).expect("writing to memory");
    match &cmd.output {
        Some(path) => crate::runs::atomic::write_atomic(path, &buf)
            .map_err(|e| format!("{}: {e}", path.display())),
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match out.write_all(&buf).and_then(|_| out.flush()) {
                // A closed pipe (`| head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| e.to_string()),
            }
        }
    }
    .map_err(CliError::Failure)
}
