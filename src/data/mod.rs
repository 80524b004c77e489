//! Corpus → vocabulary → dataset: the d2l §9.5 data pipeline.

pub mod corpus;
pub mod dataset;
pub mod vocab;

pub use corpus::{Corpus, CorpusError, CorpusSource};
pub use dataset::{Batch, Dataset, DatasetError};
pub use vocab::{Vocab, UNK};
