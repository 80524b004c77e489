//! Corpus → vocabulary → dataset: the d2l §9.5 data pipeline.

pub mod corpus;
pub mod dataset;
pub mod text;
pub mod vocab;

pub use corpus::{Corpus, CorpusError, CorpusSource, EncodedCorpus};
pub use dataset::{Batch, Dataset, DatasetError, SplitMode, SplitSpec, TokenIds};
pub use text::TextMode;
pub use vocab::{Vocab, UNK};
