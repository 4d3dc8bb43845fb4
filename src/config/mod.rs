//! The configuration model: what an administrator edits, stages and applies,
//! and the rules it must follow. The engine reads a live [`Config`]; the store
//! keeps staged and live copies; the CLI, the console and the control service
//! all check input with [`validate`].

mod model;
pub mod validate;

pub use model::{default_domain, Config, Settings, User};
pub use validate::{validate_config, ConfigError, Field, ValidationError};
