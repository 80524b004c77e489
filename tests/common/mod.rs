//! Helpers shared by the integration tests (each test file that needs them says `mod common;`).

pub mod cli;
pub mod corpus;
pub mod keys;
pub mod screen;
pub mod tmux;
pub mod weights;
