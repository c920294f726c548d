//! Text data: the word vocabulary, the corpus and its batches.

pub mod corpus;
pub mod vocab;

pub use corpus::{read_corpus, Batch, Corpus};
pub use vocab::Vocab;
