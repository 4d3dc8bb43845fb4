//! The configuration model: what an administrator edits, stages and applies
//! (users with their six tabs, incoming numbers, user groups, pickup groups,
//! settings), and
//! the rules it must follow. The engine reads a live [`Config`]; the store
//! keeps staged and live copies; the CLI, the console and the control service
//! all check input with [`validate`].

pub mod file;
mod model;
pub mod numbers;
pub mod tabs;
pub mod validate;
mod whole;

pub use model::{default_domain, Config, Settings, User};
pub use numbers::{Destination, DestinationType, IncomingNumber, PickupGroup, UserGroup};
pub use tabs::{
    FollowMe, Forwardings, Key, Keys, Permissions, PickupTarget, Preset, Right, Ring, RingTarget,
};
pub use validate::{validate_config, ConfigError, ConfigErrors, Field, ValidationError};
