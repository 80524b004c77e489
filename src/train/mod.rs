//! Training: clipping, the trainer loop on its own thread, and the [`protocol`] it speaks.

pub mod clip;
pub mod error;
pub mod optimizer;
pub mod outbox;
pub mod probe;
pub mod protocol;
pub mod resume;
pub mod trainer;
pub mod worker;

pub use clip::{clip_gradients, ClipOutcome};
pub use protocol::{Command, Event, Summary, TrainerState};

// Compatibility re-exports: hyperparameters and the metric records moved below `train`
// (`crate::hparams`, `crate::metrics`); the cockpit, the trainer and tests still name them here.
pub use error::TrainError;
pub use resume::{resume_run, ResumeOptions, Resumed};
pub use trainer::{Trainer, TrainerHandle};
