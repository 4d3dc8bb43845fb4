//! Incoming numbers (where calls from the trunk go), user groups (what a
//! queue rings) and pickup groups (whose ringing a Pickup key answers), as
//! they are stored, exported and edited.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::validate::ValidationError;

/// A number the office receives calls on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingNumber {
    /// In international form; also the key it is stored under.
    pub number: String,
    /// A note about SMS sent to this number (who reads them, where they go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
    #[serde(default)]
    pub destination: Destination,
}

/// Where calls to an incoming number go. Text form: `not_configured`,
/// `extension:EXT`, `dial_plan:NAME`, `voicemail:EXT`, `hang_up`,
/// `conference:NAME`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Destination {
    #[default]
    NotConfigured,
    /// A user's phones.
    Extension(String),
    /// A digital receptionist, by name.
    DialPlan(String),
    /// A user's voicemail box.
    Voicemail(String),
    HangUp,
    /// A conference room, by name.
    Conference(String),
}

/// The kinds of [`Destination`], as the first of the two choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationType {
    NotConfigured,
    Extension,
    DialPlan,
    Voicemail,
    HangUp,
    Conference,
}

impl DestinationType {
    /// Whether the type needs a second choice (which user, plan or room).
    pub fn needs_target(self) -> bool {
        !matches!(self, DestinationType::NotConfigured | DestinationType::HangUp)
    }

    /// The type's stable name, as in `--destination`.
    pub fn key(self) -> &'static str {
        match self {
            DestinationType::NotConfigured => "not_configured",
            DestinationType::Extension => "extension",
            DestinationType::DialPlan => "dial_plan",
            DestinationType::Voicemail => "voicemail",
            DestinationType::HangUp => "hang_up",
            DestinationType::Conference => "conference",
        }
    }
}

impl FromStr for DestinationType {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<DestinationType, ValidationError> {
        let wanted = text.trim().replace([' ', '-'], "_").to_lowercase();
        [
            DestinationType::NotConfigured,
            DestinationType::Extension,
            DestinationType::DialPlan,
            DestinationType::Voicemail,
            DestinationType::HangUp,
            DestinationType::Conference,
        ]
        .into_iter()
        .find(|kind| kind.key() == wanted)
        .ok_or_else(|| ValidationError::DestinationType { text: text.trim().to_string() })
    }
}

impl Destination {
    /// Builds a destination from its two choices; a type that needs a target
    /// refuses to go without one, and one that takes none refuses one.
    pub fn new(
        kind: DestinationType,
        target: Option<&str>,
    ) -> Result<Destination, ValidationError> {
        let target = target.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        match (kind, target) {
            (DestinationType::NotConfigured, None) => Ok(Destination::NotConfigured),
            (DestinationType::HangUp, None) => Ok(Destination::HangUp),
            (DestinationType::Extension, Some(t)) => Ok(Destination::Extension(t)),
            (DestinationType::DialPlan, Some(t)) => Ok(Destination::DialPlan(t)),
            (DestinationType::Voicemail, Some(t)) => Ok(Destination::Voicemail(t)),
            (DestinationType::Conference, Some(t)) => Ok(Destination::Conference(t)),
            (kind, None) => Err(ValidationError::DestinationTargetMissing { kind: kind.key() }),
            (kind, Some(_)) => Err(ValidationError::DestinationTargetUnwanted { kind: kind.key() }),
        }
    }

    pub fn kind(&self) -> DestinationType {
        match self {
            Destination::NotConfigured => DestinationType::NotConfigured,
            Destination::Extension(_) => DestinationType::Extension,
            Destination::DialPlan(_) => DestinationType::DialPlan,
            Destination::Voicemail(_) => DestinationType::Voicemail,
            Destination::HangUp => DestinationType::HangUp,
            Destination::Conference(_) => DestinationType::Conference,
        }
    }

    /// The second choice, when the type has one.
    pub fn target(&self) -> Option<&str> {
        match self {
            Destination::Extension(t)
            | Destination::DialPlan(t)
            | Destination::Voicemail(t)
            | Destination::Conference(t) => Some(t),
            Destination::NotConfigured | Destination::HangUp => None,
        }
    }
}

impl FromStr for Destination {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Destination, ValidationError> {
        let (kind, target) = match text.split_once(':') {
            Some((kind, target)) => (kind, Some(target)),
            None => (text, None),
        };
        Destination::new(kind.parse()?, target)
    }
}

impl TryFrom<String> for Destination {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Destination, ValidationError> {
        text.parse()
    }
}

impl From<Destination> for String {
    fn from(destination: Destination) -> String {
        destination.to_string()
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.target() {
            Some(target) => write!(f, "{}:{target}", self.kind().key()),
            None => write!(f, "{}", self.kind().key()),
        }
    }
}

/// A named set of users; a queue rings a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroup {
    /// Also the key it is stored under.
    pub name: String,
    /// Extensions, in the order they were added.
    #[serde(default)]
    pub members: Vec<String>,
}

/// A named set of users whose ringing phones any of them may answer from
/// a Pickup key naming the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupGroup {
    /// Also the key it is stored under; never all digits, so a Pickup key's
    /// target is never ambiguous with an extension.
    pub name: String,
    /// Extensions, in the order they were added.
    #[serde(default)]
    pub members: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_read_and_write_the_same_text() {
        for text in ["not_configured", "extension:1002", "dial_plan:main", "hang_up"] {
            assert_eq!(text.parse::<Destination>().map(|d| d.to_string()), Ok(text.to_string()));
        }
        assert_eq!("voicemail:1003".parse(), Ok(Destination::Voicemail("1003".into())));
    }

    #[test]
    fn the_second_choice_follows_the_first() {
        assert_eq!(
            Destination::new(DestinationType::Extension, None),
            Err(ValidationError::DestinationTargetMissing { kind: "extension" })
        );
        assert_eq!(
            Destination::new(DestinationType::HangUp, Some("1002")),
            Err(ValidationError::DestinationTargetUnwanted { kind: "hang_up" })
        );
        assert!("ring_everyone".parse::<DestinationType>().is_err());
        assert_eq!("dial plan".parse(), Ok(DestinationType::DialPlan));
    }
}
