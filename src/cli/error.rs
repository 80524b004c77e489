//! The command line's one error type, and the one place an error becomes a message and an
//! exit code: the library returns typed errors, the subcommands pass them up with `?`, and
//! `main` prints `error: <message>` (one line) and exits with [`CliError::exit_code`].

use crate::config::ConfigError;
use crate::data::CorpusError;
use crate::device::DeviceError;
use crate::exit::{EXIT_FAILURE, EXIT_USAGE};
use crate::hparams::HParamError;
use crate::model::snapshot::CompletionError;
use crate::runs::RunError;
use crate::train::TrainError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input the command line found itself: a missing option, a value out of range.
    #[error("{0}")]
    Usage(String),
    /// A failure while running that the command line found itself (writing output, starting
    /// a child process).
    #[error("{0}")]
    Failure(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Hyperparameters from the flags that fail validation.
    #[error(transparent)]
    HParams(#[from] HParamError),
    /// A `--device` this build or machine cannot give.
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Isa(#[from] crate::device::isa::IsaError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Tensor(#[from] candle_core::Error),
    #[error(transparent)]
    Completion(#[from] CompletionError),
    /// Writing standard output failed (not a closed pipe, which is no error): exit 1.
    #[error(transparent)]
    Output(#[from] super::output::OutputError),
}

impl CliError {
    /// [`EXIT_USAGE`] (2) for bad input, [`EXIT_FAILURE`] (1) for a failure while running.
    /// (Signals end a run with 128 + n, which is an outcome, not an error.)
    pub fn exit_code(&self) -> i32 {
        if self.is_usage() {
            EXIT_USAGE
        } else {
            EXIT_FAILURE
        }
    }

    fn is_usage(&self) -> bool {
        match self {
            CliError::Usage(_)
            | CliError::Config(_)
            | CliError::Corpus(_)
            | CliError::HParams(_)
            | CliError::Device(_)
            | CliError::Isa(_) => true,
            CliError::Failure(_) | CliError::Tensor(_) | CliError::Completion(_) => false,
            CliError::Output(_) => false,
            CliError::Run(e) => e.is_usage(),
            CliError::Train(e) => e.is_usage(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_exits_2_and_failures_exit_1() {
        let usage = CliError::Usage("--prefix needs at least one character".into());
        assert_eq!(usage.exit_code(), EXIT_USAGE);
        assert_eq!(usage.to_string(), "--prefix needs at least one character");
        assert_eq!(CliError::Failure("x".into()).exit_code(), EXIT_FAILURE);
        let missing = CliError::from(RunError::NotFound {
            spec: "nope".into(),
            root: "/runs".into(),
        });
        assert_eq!(missing.exit_code(), EXIT_USAGE);
        let io = CliError::from(RunError::Io {
            path: "/runs".into(),
            reason: "disk full".into(),
        });
        assert_eq!(io.exit_code(), EXIT_FAILURE);
        let nan = CliError::from(TrainError::NonFiniteWeights {
            param: "W_hh".into(),
        });
        assert_eq!(nan.exit_code(), EXIT_FAILURE);
        // Bad hyperparameters and devices are bad input, as their strings were.
        let hp = CliError::from(HParamError::DropoutWithoutLayers);
        assert_eq!(hp.exit_code(), EXIT_USAGE);
        assert!(hp.to_string().starts_with("dropout applies"), "{hp}");
        let dev = CliError::from(DeviceError::NotCompiled(crate::device::Gpu::Metal));
        assert_eq!(dev.exit_code(), EXIT_USAGE);
        assert_eq!(
            dev.to_string(),
            "this build has no Metal support: rebuild with `--features metal` (macOS only)"
        );
    }
}
