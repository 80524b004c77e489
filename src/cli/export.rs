//! `rnn-tui export --csv`: a run's metrics as CSV.

use std::io::Write;
use std::path::Path;

use super::{ExportCmd, EXIT_FAILURE, EXIT_USAGE};
use crate::runs::{read_metrics, write_csv};

pub fn run(data_dir: Option<&Path>, cmd: &ExportCmd) -> i32 {
    if !cmd.csv {
        eprintln!("error: export needs a format: --csv");
        return EXIT_USAGE;
    }
    let dir = match super::runs::find(data_dir, &cmd.run) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let records = match read_metrics(&dir.metrics_path()) {
        Ok(r) => r,
        Err(e) => return super::runs::fail(&e),
    };
    let mut buf = Vec::new();
    write_csv(&records, &mut buf).expect("writing to memory");
    let result = match &cmd.output {
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
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}
