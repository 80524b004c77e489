//! Why training could not start, go on or save.

use crate::data::{CorpusError, DatasetError};
use crate::runs::RunError;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    HParams(String),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Run(#[from] RunError),
}

impl TrainError {
    /// Bad input from the user (exit code 2) rather than a failure while running (1).
    pub fn is_usage(&self) -> bool {
        match self {
            TrainError::Candle(_) => false,
            TrainError::Run(e) => e.is_usage(),
            _ => true,
        }
    }
}
