//! Staged against live configuration, field by field, in the words an
//! administrator reads in the pending-changes screen and `switchboard diff`.

use crate::config::{Config, User};
use crate::control::api::Change;

/// The changes that applying `staged` over `live` would make: settings first,
/// then users in extension order. SIP passwords are never shown, only said to
/// have changed.
pub fn diff(live: &Config, staged: &Config) -> Vec<Change> {
    let mut changes = Vec::new();

    let settings = [
        ("domain", &live.settings.domain, &staged.settings.domain),
        ("proxy", &live.settings.proxy, &staged.settings.proxy),
    ];
    for (label, before, after) in settings {
        if before != after {
            changes
                .push(change("settings", format!("{label}: {} → {}", text(before), text(after))));
        }
    }

    let extensions: std::collections::BTreeSet<&String> =
        live.users.keys().chain(staged.users.keys()).collect();
    for extension in extensions {
        let subject = format!("user {extension}");
        match (live.users.get(extension), staged.users.get(extension)) {
            (None, Some(_)) => changes.push(change(&subject, "added".to_string())),
            (Some(_), None) => changes.push(change(&subject, "removed".to_string())),
            (Some(before), Some(after)) => {
                changes.extend(user_changes(before, after).into_iter().map(|d| change(&subject, d)))
            }
            (None, None) => {}
        }
    }
    changes
}

fn user_changes(before: &User, after: &User) -> Vec<String> {
    let mut descriptions = Vec::new();
    let mut compare = |label: &str, old: String, new: String| {
        if old != new {
            descriptions.push(format!("{label}: {old} → {new}"));
        }
    };
    compare("name", before.name.clone(), after.name.clone());
    compare("email", optional(&before.email), optional(&after.email));
    compare("GSM number", optional(&before.gsm), optional(&after.gsm));
    compare("voicemail", yes_no(before.voicemail), yes_no(after.voicemail));
    compare("outgoing number", optional(&before.outgoing_number), optional(&after.outgoing_number));
    compare("several calls at once", yes_no(before.multiple_calls), yes_no(after.multiple_calls));
    if before.sip_password != after.sip_password {
        descriptions.push("SIP password changed".to_string());
    }
    descriptions
}

fn change(subject: &str, description: String) -> Change {
    Change { subject: subject.to_string(), description }
}

fn text(value: &str) -> String {
    if value.is_empty() {
        "none".to_string()
    } else {
        value.to_string()
    }
}

fn optional(value: &Option<String>) -> String {
    text(value.as_deref().unwrap_or(""))
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn user(extension: &str, name: &str) -> User {
        User {
            extension: extension.to_string(),
            name: name.to_string(),
            email: None,
            gsm: None,
            voicemail: false,
            outgoing_number: None,
            multiple_calls: false,
            sip_password: format!("password-{extension}"),
            ..User::default()
        }
    }

    fn config(users: &[User]) -> Config {
        Config {
            settings: Settings { domain: "pbx.example.com".to_string(), proxy: String::new() },
            users: users.iter().map(|u| (u.extension.clone(), u.clone())).collect(),
            ..Config::default()
        }
    }

    fn described(changes: &[Change]) -> Vec<String> {
        changes.iter().map(|c| format!("{}: {}", c.subject, c.description)).collect()
    }

    #[test]
    fn identical_configurations_have_no_changes() {
        let live = config(&[user("1001", "Ann")]);
        assert!(diff(&live, &live.clone()).is_empty());
    }

    #[test]
    fn added_removed_and_renamed_users_are_listed_in_extension_order() {
        let live = config(&[user("1001", "Ann"), user("1002", "Bob")]);
        let staged = config(&[user("1001", "Anne"), user("1003", "Chloé")]);
        assert_eq!(
            described(&diff(&live, &staged)),
            ["user 1001: name: Ann → Anne", "user 1002: removed", "user 1003: added"]
        );
    }

    #[test]
    fn every_changed_field_is_its_own_line_and_passwords_stay_hidden() {
        let before = user("1001", "Ann");
        let mut after = before.clone();
        after.email = Some("ann@example.com".to_string());
        after.voicemail = true;
        after.multiple_calls = true;
        after.sip_password = "a-new-secret".to_string();
        let changes = described(&diff(&config(&[before]), &config(&[after])));
        assert_eq!(
            changes,
            [
                "user 1001: email: none → ann@example.com",
                "user 1001: voicemail: no → yes",
                "user 1001: several calls at once: no → yes",
                "user 1001: SIP password changed",
            ]
        );
        assert!(changes.iter().all(|line| !line.contains("a-new-secret")));
    }

    #[test]
    fn settings_changes_come_first() {
        let live = config(&[]);
        let mut staged = config(&[user("1001", "Ann")]);
        staged.settings.proxy = "pbx.example.com:5060".to_string();
        assert_eq!(
            described(&diff(&live, &staged)),
            ["settings: proxy: none → pbx.example.com:5060", "user 1001: added"]
        );
    }
}
