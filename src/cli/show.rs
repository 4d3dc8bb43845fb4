//! `switchboard user show`: every tab of one user, as the console's user
//! form shows them, for a person or as JSON. Called by the administration
//! commands; talks to the engine only through the control API.
//!
//! The user shown is the staged one, which is what the next Apply makes
//! live; a user staged for removal is shown as it is live.

use serde::Serialize;

use super::admin::{print, print_json, yes_no, CliError};
use crate::config::{Key, Ring, User};
use crate::control::api::{Command, Reply, SipIdentifiers};
use crate::control::Link;

/// The JSON shape of `user show --json`: the user's fields as the
/// configuration model writes them, without the SIP password unless
/// revealed and never with the console password hash.
#[derive(Debug, Serialize)]
struct ShownUser {
    #[serde(flatten)]
    user: User,
    /// Whether the user has a console password; the hash itself never leaves.
    console_password_set: bool,
}

/// Which version of the user is shown, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// Nothing about this user is staged: staged and live are the same.
    Live,
    /// The user has changes (or is new) that Apply has not made live yet.
    Staged,
    /// The user is live but staged for removal.
    LiveBeingRemoved,
}

/// Prints one user, every tab, with a one-line note on stderr when the
/// version shown is not simply the live one.
pub(super) async fn show_user<L: Link>(
    link: &L,
    extension: &str,
    reveal: bool,
    json: bool,
) -> Result<(), CliError> {
    // Also refuses, with the engine's words, an extension that is nowhere.
    let command = Command::ShowUser { extension: extension.to_string(), reveal: false };
    let Reply::User { sip, .. } = link.request(command).await? else {
        return Err(CliError::UnexpectedReply("user show"));
    };
    let (mut user, version) = match user_from(link, extension, false).await? {
        Some(user) => {
            let version = if staged_changes(link, extension).await? {
                Version::Staged
            } else {
                Version::Live
            };
            (user, version)
        }
        None => {
            let user = user_from(link, extension, true)
                .await?
                .ok_or(CliError::UnexpectedReply("user show"))?;
            (user, Version::LiveBeingRemoved)
        }
    };

    let console_password_set = user.permissions.password_hash.take().is_some();
    if !reveal {
        user.sip_password.clear();
    }
    if json {
        print_json(&ShownUser { user, console_password_set })?;
    } else {
        print(&user_text(&user, &sip, console_password_set, reveal))?;
    }

    match version {
        Version::Live => {}
        Version::Staged => eprintln!(
            "note: user {extension} has staged changes; this is the staged version \
             (`switchboard diff` shows them)"
        ),
        Version::LiveBeingRemoved => {
            eprintln!("note: user {extension} is staged for removal; this is the live version")
        }
    }
    Ok(())
}

/// The user as staged, or with `live` as live; `None` when that
/// configuration has no such user. Secrets come along so the caller can tell
/// whether a console password is set and reveal the SIP password of the
/// version it shows; the caller drops them before printing.
async fn user_from<L: Link>(
    link: &L,
    extension: &str,
    live: bool,
) -> Result<Option<User>, CliError> {
    match link.request(Command::ExportConfig { with_secrets: true, live }).await? {
        Reply::Config { mut config } => Ok(config.users.remove(extension)),
        _ => Err(CliError::UnexpectedReply("user show")),
    }
}

/// Whether the diff holds a change to this user.
async fn staged_changes<L: Link>(link: &L, extension: &str) -> Result<bool, CliError> {
    let Reply::Diff { changes } = link.request(Command::Diff).await? else {
        return Err(CliError::UnexpectedReply("user show"));
    };
    let subject = format!("user {extension}");
    Ok(changes.iter().any(|change| change.subject == subject))
}

/// The six tabs, each a heading and its fields, labels aligned.
fn user_text(
    user: &User,
    sip: &SipIdentifiers,
    console_password_set: bool,
    reveal: bool,
) -> String {
    let none = || "none".to_string();
    let optional = |value: &Option<String>| value.clone().unwrap_or_else(none);
    let mut text = String::new();

    section(
        &mut text,
        "General",
        &[
            ("Extension", user.extension.clone()),
            ("Name", user.name.clone()),
            ("Email", optional(&user.email)),
            ("GSM number", optional(&user.gsm)),
            ("Voicemail", yes_no(user.voicemail).to_string()),
            ("Directory", optional(&user.directory)),
            ("Outgoing number", optional(&user.outgoing_number)),
            ("Several calls at once", yes_no(user.multiple_calls).to_string()),
            ("Must log in to call", yes_no(user.must_log_in).to_string()),
        ],
    );

    // Follow Me replaces the forwardings without erasing them.
    let forwardings = if user.follow_me.enabled {
        "Forwardings (inactive while Follow Me is enabled)"
    } else {
        "Forwardings"
    };
    let last_resort = user.forwardings.voicemail_last_resort;
    section(
        &mut text,
        forwardings,
        &[
            ("On no answer", rings(&user.forwardings.no_answer)),
            ("Voicemail last resort", yes_no(last_resort).to_string()),
            ("On busy", rings(&user.forwardings.busy)),
        ],
    );

    section(
        &mut text,
        "Follow Me",
        &[
            ("Enabled", yes_no(user.follow_me.enabled).to_string()),
            ("Destinations", rings(&user.follow_me.destinations)),
        ],
    );

    let keys: Vec<(String, String)> = user
        .keys
        .0
        .iter()
        .enumerate()
        .map(|(index, key)| (format!("Key {}", index + 1), key_text(key)))
        .collect();
    let keys: Vec<(&str, String)> =
        keys.iter().map(|(label, value)| (label.as_str(), value.clone())).collect();
    section(&mut text, "Keys", &keys);

    let password =
        if reveal { user.sip_password.clone() } else { "hidden (--reveal shows it)".to_string() };
    section(
        &mut text,
        "SIP identifiers",
        &[
            ("SIP username", sip.username.clone()),
            ("Domain", sip.domain.clone()),
            ("SIP password", password),
            ("Proxy", sip.proxy.clone()),
        ],
    );

    let permissions = &user.permissions;
    let password_set = if console_password_set { "set" } else { "not set" };
    let mut fields = vec![
        ("Console username", optional(&permissions.console_username)),
        ("Console password", password_set.to_string()),
    ];
    if permissions.rights.is_empty() {
        fields.push(("Rights", none()));
    }
    // One right a line, in the order the Permissions tab lists them.
    for (index, right) in permissions.rights.iter().enumerate() {
        fields.push((if index == 0 { "Rights" } else { "" }, right.label()));
    }
    section(&mut text, "Permissions", &fields);

    text
}

fn section(text: &mut String, heading: &str, fields: &[(&str, String)]) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(heading);
    text.push('\n');
    for (label, value) in fields {
        text.push_str(format!("{label:<22} {value}").trim_end());
        text.push('\n');
    }
}

/// "1002 20 s, +33612345678 30 s", in the words of the diff.
fn rings(rings: &[Ring]) -> String {
    if rings.is_empty() {
        return "none".to_string();
    }
    rings
        .iter()
        .map(|ring| format!("{} {} s", ring.target, ring.seconds))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_text(key: &Key) -> String {
    match key {
        Key::NotConfigured => "not configured".to_string(),
        key => key.to_string().replacen(':', " ", 1).replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PickupTarget, Right};

    fn sip() -> SipIdentifiers {
        SipIdentifiers {
            username: "1003".into(),
            domain: "pbx.example.com".into(),
            password: None,
            proxy: "pbx.example.com:5060".into(),
        }
    }

    fn chloe() -> User {
        let mut user = User {
            extension: "1003".into(),
            name: "Chloé".into(),
            sip_password: "phone-secret-1003".into(),
            ..User::default()
        };
        user.forwardings.no_answer = vec!["1002:20".parse().expect("ring")];
        user.follow_me.enabled = true;
        user.keys.0[1] = Key::Pickup(PickupTarget::Group("sales".into()));
        user.permissions.rights = [Right::CallList, Right::UserPortalAccess].into();
        user
    }

    #[test]
    fn forwardings_are_marked_inactive_while_follow_me_is_on() {
        let text = user_text(&chloe(), &sip(), false, false);
        assert!(text.contains("Forwardings (inactive while Follow Me is enabled)\n"), "{text}");
        assert!(text.contains("On no answer           1002 20 s\n"), "{text}");

        let mut user = chloe();
        user.follow_me.enabled = false;
        assert!(user_text(&user, &sip(), false, false).contains("\nForwardings\n"));
    }

    #[test]
    fn the_sip_password_shows_only_when_revealed() {
        let hidden = user_text(&chloe(), &sip(), false, false);
        assert!(!hidden.contains("phone-secret-1003"), "{hidden}");
        assert!(hidden.contains("hidden (--reveal shows it)"));
        let revealed = user_text(&chloe(), &sip(), false, true);
        assert!(revealed.contains("SIP password           phone-secret-1003\n"), "{revealed}");
    }

    #[test]
    fn keys_and_rights_read_in_words_one_a_line() {
        let text = user_text(&chloe(), &sip(), true, false);
        assert!(text.contains("Key 1                  not configured\n"), "{text}");
        assert!(text.contains("Key 2                  pickup sales\n"), "{text}");
        assert!(text.contains("Console password       set\n"), "{text}");
        // The Permissions tab's order, not the alphabet's.
        let rights =
            format!("Rights                 user portal access\n{}call list\n", " ".repeat(23));
        assert!(text.ends_with(&rights), "{text}");
    }
}
