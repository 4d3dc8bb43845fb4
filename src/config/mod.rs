//! The configuration model: what an administrator edits, stages and applies.
//! The engine reads a live [`Config`]; the store keeps staged and live copies.

mod model;

pub use model::{Config, Settings, User};
