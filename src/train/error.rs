//! Why training could not start, go on or save.

use crate::data::{CorpusError, DatasetError};
use crate::hparams::HParamError;
use crate::runs::RunError;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Hyperparameters that fail validation (the message names the field).
    #[error(transparent)]
    HParams(#[from] HParamError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Run(#[from] RunError),
    /// The weights went NaN or infinite: a failure of training, not of the user's input.
    #[error("refusing to save: {param} holds NaN or infinite values")]
    NonFiniteWeights { param: String },
}

impl TrainError {
    /// Bad input from the user (exit code 2) rather than a failure while running (1).
    pub fn is_usage(&self) -> bool {
        match self {
            TrainError::HParams(_) | TrainError::Corpus(_) | TrainError::Dataset(_) => true,
            TrainError::Candle(_) | TrainError::NonFiniteWeights { .. } => false,
            TrainError::Run(e) => e.is_usage(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_weights_are_a_failure_not_bad_input() {
        let e = TrainError::NonFiniteWeights {
            param: "W_hh".into(),
        };
        assert_eq!(
            e.to_string(),
            "refusing to save: W_hh holds NaN or infinite values"
        );
        assert!(!e.is_usage());
        let bad = TrainError::from(HParamError::NotPositive {
            key: "lr".into(),
            value: -1.0,
        });
        assert_eq!(
            bad.to_string(),
            "lr must be a positive finite number, got -1"
        );
        assert!(bad.is_usage());
    }
}
