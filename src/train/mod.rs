//! Training: hyperparameters, clipping, the trainer loop on its own thread, and the
//! [`protocol`] it speaks.

pub mod clip;
pub mod error;
pub mod hparams;
pub mod outbox;
pub mod protocol;
pub mod resume;
pub mod trainer;

pub use clip::{clip_gradients, ClipOutcome};
pub use hparams::{Field, HParams};
pub use protocol::{BatchStats, Command, EpochStats, Event, Summary, TrainerState};
pub use resume::{resume_run, ResumeOptions, Resumed};
pub use error::TrainError;
pub use trainer::{Trainer, TrainerHandle};
