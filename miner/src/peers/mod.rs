//! Talking to other miners: the axon (server), the dendrite (client), the wire format, and the
//! scores that turn peers' usefulness into weights, and copy detection.

pub mod auth;
pub mod axon;
pub mod copies;
pub mod dendrite;
pub mod scoring;
pub mod wire;

pub use axon::{Axon, AxonConfig, Encoder, Served, Snapshot};
pub use dendrite::{Dendrite, PeerReply};
pub use scoring::{Candidate, Scores, SlotChange, SlotPolicy};
