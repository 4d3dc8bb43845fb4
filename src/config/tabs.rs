//! The parts of a user beyond General and SIP identifiers: Forwardings,
//! Follow Me, Keys and Permissions, as they are stored, exported and edited.
//!
//! Ring destinations and keys have a short text form ("1002:20",
//! "+33612345678:30", "blf:1002") that the CLI takes, export files hold and
//! the store keeps, so one parser serves all three. Parsing only checks the
//! shape; the rules (ring times, formats, references) are in
//! [`super::validate`].

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::validate::ValidationError;

/// Shortest ring time of a forwarding or Follow Me destination, in seconds.
pub const RING_SECONDS_MIN: u32 = 5;
/// Longest ring time of a forwarding or Follow Me destination, in seconds.
pub const RING_SECONDS_MAX: u32 = 120;
/// Ring time a destination gets when none is written.
pub const RING_SECONDS_DEFAULT: u32 = 20;
/// Most keys a phone is configured with.
pub const KEYS_MAX: usize = 20;
/// Keys a new user starts with.
pub const KEYS_DEFAULT: usize = 6;

/// Who a forwarding or Follow Me step rings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RingTarget {
    /// Another user, by extension.
    User(String),
    /// A number outside the office, in international form.
    External(String),
}

impl RingTarget {
    /// `+…` is an external number; anything else names a user.
    pub fn parse(text: &str) -> RingTarget {
        let text = text.trim();
        if text.starts_with('+') {
            RingTarget::External(text.to_string())
        } else {
            RingTarget::User(text.to_string())
        }
    }
}

impl fmt::Display for RingTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingTarget::User(extension) => write!(f, "{extension}"),
            RingTarget::External(number) => write!(f, "{number}"),
        }
    }
}

/// One step of a staggered ring: a destination and how long it rings.
/// Text form `TARGET:SECONDS`, or `TARGET` for [`RING_SECONDS_DEFAULT`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ring {
    pub target: RingTarget,
    pub seconds: u32,
}

impl FromStr for Ring {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Ring, ValidationError> {
        let text = text.trim();
        let (target, seconds) = match text.rsplit_once(':') {
            Some((target, seconds)) => {
                let seconds = seconds
                    .trim()
                    .parse()
                    .map_err(|_| ValidationError::RingFormat { text: text.to_string() })?;
                (target, seconds)
            }
            None => (text, RING_SECONDS_DEFAULT),
        };
        if target.trim().is_empty() {
            return Err(ValidationError::RingFormat { text: text.to_string() });
        }
        Ok(Ring { target: RingTarget::parse(target), seconds })
    }
}

impl TryFrom<String> for Ring {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Ring, ValidationError> {
        text.parse()
    }
}

impl From<Ring> for String {
    fn from(ring: Ring) -> String {
        ring.to_string()
    }
}

impl fmt::Display for Ring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.target, self.seconds)
    }
}

/// Parses a comma-separated list of rings ("1002:20,+33612345678:30");
/// empty text is the empty list.
pub fn parse_rings(text: &str) -> Result<Vec<Ring>, ValidationError> {
    text.split(',').filter(|part| !part.trim().is_empty()).map(str::parse).collect()
}

/// Rings as the comma-separated text [`parse_rings`] reads.
pub fn rings_text(rings: &[Ring]) -> String {
    rings.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// The Forwardings tab. It is kept, but inactive, while Follow Me is enabled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Forwardings {
    /// Tried in order, one after another, when the user does not answer.
    pub no_answer: Vec<Ring>,
    /// After the no-answer destinations, the user's voicemail.
    pub voicemail_last_resort: bool,
    /// Tried in order when the user is busy.
    pub busy: Vec<Ring>,
}

/// The Follow Me tab: when enabled, calls ring these destinations in turn and
/// not the user's own phones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FollowMe {
    pub enabled: bool,
    pub destinations: Vec<Ring>,
}

/// Whom a Pickup key picks up from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickupTarget {
    User(String),
    Group(String),
}

/// What one key of a user's phone does. Text form: `none`, `blf:EXT`,
/// `quick_call:+NUMBER`, `line:EXT`, `switch`, `pickup:EXT` or
/// `pickup:GROUP` (a name that is not all digits).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Key {
    #[default]
    NotConfigured,
    /// Busy lamp field: shows whether a user is on the phone.
    Blf(String),
    /// Dials an external number.
    QuickCall(String),
    /// A line appearance of a user.
    Line(String),
    Switch,
    Pickup(PickupTarget),
}

impl FromStr for Key {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Key, ValidationError> {
        let text = text.trim();
        let (kind, target) = match text.split_once(':') {
            Some((kind, target)) => (kind.trim(), Some(target.trim().to_string())),
            None => (text, None),
        };
        let needs = |target: Option<String>| {
            target
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ValidationError::KeyTargetMissing { kind: kind.to_string() })
        };
        match kind {
            "none" | "not_configured" if target.is_none() => Ok(Key::NotConfigured),
            "switch" if target.is_none() => Ok(Key::Switch),
            "blf" => Ok(Key::Blf(needs(target)?)),
            "quick_call" => Ok(Key::QuickCall(needs(target)?)),
            "line" => Ok(Key::Line(needs(target)?)),
            "pickup" => {
                let target = needs(target)?;
                if target.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(Key::Pickup(PickupTarget::User(target)))
                } else {
                    Ok(Key::Pickup(PickupTarget::Group(target)))
                }
            }
            _ => Err(ValidationError::KeyFormat { text: text.to_string() }),
        }
    }
}

impl TryFrom<String> for Key {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Key, ValidationError> {
        text.parse()
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.to_string()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::NotConfigured => write!(f, "none"),
            Key::Blf(user) => write!(f, "blf:{user}"),
            Key::QuickCall(number) => write!(f, "quick_call:{number}"),
            Key::Line(user) => write!(f, "line:{user}"),
            Key::Switch => write!(f, "switch"),
            Key::Pickup(PickupTarget::User(user)) => write!(f, "pickup:{user}"),
            Key::Pickup(PickupTarget::Group(group)) => write!(f, "pickup:{group}"),
        }
    }
}

/// The Keys tab: one entry per key, so the count is the list's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Keys(pub Vec<Key>);

impl Default for Keys {
    fn default() -> Self {
        Keys(vec![Key::NotConfigured; KEYS_DEFAULT])
    }
}

/// A right of the Permissions tab. A right that is off refuses the matching
/// commands everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    UserPortalAccess,
    UserManagement,
    AdministratorAccess,
    PhoneManagement,
    UserGroupManagement,
    PhoneNumberManagement,
    DialPlanManagement,
    PickupGroupManagement,
    SwitchManagement,
    ConferenceManagement,
    QueueManagement,
    VoicemailManagement,
    AudioMessagesManagement,
    MusicOnHoldManagement,
    DirectoryManagement,
    CallList,
    ConnectedUserList,
    GlobalSettings,
    ApplyChanges,
    InvoiceDownload,
    InvoiceDetails,
    BlacklistManagement,
    ConferenceParticipantManagement,
}

impl Right {
    /// Every right, in the order the Permissions tab lists them.
    pub const ALL: [Right; 23] = [
        Right::UserPortalAccess,
        Right::UserManagement,
        Right::AdministratorAccess,
        Right::PhoneManagement,
        Right::UserGroupManagement,
        Right::PhoneNumberManagement,
        Right::DialPlanManagement,
        Right::PickupGroupManagement,
        Right::SwitchManagement,
        Right::ConferenceManagement,
        Right::QueueManagement,
        Right::VoicemailManagement,
        Right::AudioMessagesManagement,
        Right::MusicOnHoldManagement,
        Right::DirectoryManagement,
        Right::CallList,
        Right::ConnectedUserList,
        Right::GlobalSettings,
        Right::ApplyChanges,
        Right::InvoiceDownload,
        Right::InvoiceDetails,
        Right::BlacklistManagement,
        Right::ConferenceParticipantManagement,
    ];

    /// The stable name, as in `--right NAME=on` and export files.
    pub fn key(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The right as the Permissions tab shows it ("user group management").
    pub fn label(self) -> String {
        self.key().replace('_', " ")
    }
}

impl FromStr for Right {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Right, ValidationError> {
        let wanted = text.trim().replace([' ', '-'], "_").to_lowercase();
        Right::ALL
            .into_iter()
            .find(|right| right.key() == wanted)
            .ok_or_else(|| ValidationError::UnknownRight { name: text.trim().to_string() })
    }
}

/// A set of rights to start a user's permissions from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Every right.
    Administrator,
    /// The live views and the day-to-day telephony, not users or settings.
    Operator,
    /// Their own portal only.
    User,
}

impl Preset {
    pub fn rights(self) -> BTreeSet<Right> {
        match self {
            Preset::Administrator => Right::ALL.into_iter().collect(),
            Preset::Operator => [
                Right::UserPortalAccess,
                Right::CallList,
                Right::ConnectedUserList,
                Right::QueueManagement,
                Right::VoicemailManagement,
                Right::ConferenceManagement,
                Right::ConferenceParticipantManagement,
                Right::BlacklistManagement,
            ]
            .into_iter()
            .collect(),
            Preset::User => [Right::UserPortalAccess].into_iter().collect(),
        }
    }
}

impl FromStr for Preset {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Preset, ValidationError> {
        match text.trim().to_lowercase().as_str() {
            "administrator" => Ok(Preset::Administrator),
            "operator" => Ok(Preset::Operator),
            "user" => Ok(Preset::User),
            _ => Err(ValidationError::UnknownPreset { name: text.trim().to_string() }),
        }
    }
}

/// The Permissions tab. The console password is kept only as an argon2 hash
/// (a PHC string), never as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Permissions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub rights: BTreeSet<Right>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_read_and_write_the_same_text() {
        let rings = parse_rings("1002:20, +33612345678:30").expect("valid rings");
        assert_eq!(rings[0].target, RingTarget::User("1002".into()));
        assert_eq!(rings[1].target, RingTarget::External("+33612345678".into()));
        assert_eq!(rings_text(&rings), "1002:20,+33612345678:30");
        assert_eq!(parse_rings("1002").map(|r| r[0].seconds), Ok(vec![RING_SECONDS_DEFAULT][0]));
        assert_eq!(parse_rings(""), Ok(vec![]));
        assert!(matches!(parse_rings("1002:soon"), Err(ValidationError::RingFormat { .. })));
    }

    #[test]
    fn keys_read_and_write_the_same_text() {
        for text in ["none", "blf:1002", "quick_call:+33612345678", "line:1003", "switch"] {
            assert_eq!(text.parse::<Key>().map(|k| k.to_string()), Ok(text.to_string()));
        }
        assert_eq!("pickup:1002".parse(), Ok(Key::Pickup(PickupTarget::User("1002".into()))));
        assert_eq!("pickup:sales".parse(), Ok(Key::Pickup(PickupTarget::Group("sales".into()))));
    }

    #[test]
    fn a_key_that_needs_a_target_is_refused_without_one() {
        assert_eq!(
            "blf".parse::<Key>(),
            Err(ValidationError::KeyTargetMissing { kind: "blf".into() })
        );
        assert_eq!(
            "pickup:".parse::<Key>(),
            Err(ValidationError::KeyTargetMissing { kind: "pickup".into() })
        );
        assert!(matches!("dance:1002".parse::<Key>(), Err(ValidationError::KeyFormat { .. })));
        assert!(matches!("switch:1002".parse::<Key>(), Err(ValidationError::KeyFormat { .. })));
    }

    #[test]
    fn there_are_twenty_three_rights_each_with_its_own_name() {
        let names: BTreeSet<String> = Right::ALL.iter().map(|r| r.key()).collect();
        assert_eq!(names.len(), 23);
        assert_eq!("user group management".parse(), Ok(Right::UserGroupManagement));
        assert_eq!("apply_changes".parse(), Ok(Right::ApplyChanges));
        assert!("fly".parse::<Right>().is_err());
    }

    #[test]
    fn presets_go_from_every_right_to_the_portal_only() {
        assert_eq!(Preset::Administrator.rights().len(), 23);
        let operator = Preset::Operator.rights();
        assert!(operator.contains(&Right::CallList) && !operator.contains(&Right::UserManagement));
        assert_eq!(
            Preset::User.rights().into_iter().collect::<Vec<_>>(),
            [Right::UserPortalAccess]
        );
    }
}
