//! Text data: the network's tokenizer, the corpus and its batches.

pub mod corpus;
pub mod tokenizer;

pub use corpus::{read_corpus, Batch, Corpus};
