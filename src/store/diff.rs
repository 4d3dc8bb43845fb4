//! Staged against live configuration, field by field, in the words an
//! administrator reads in the pending-changes screen and `switchboard diff`.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, Destination, Ring, User};
use crate::control::api::Change;

/// The changes that applying `staged` over `live` would make: settings first,
/// then users in extension order, incoming numbers, groups, pickup groups.
/// Passwords are
/// never shown, only said to have changed.
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

    let extensions: BTreeSet<&String> = live.users.keys().chain(staged.users.keys()).collect();
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

    let numbers: BTreeSet<&String> =
        live.incoming_numbers.keys().chain(staged.incoming_numbers.keys()).collect();
    for number in numbers {
        let subject = format!("incoming number {number}");
        match (live.incoming_numbers.get(number), staged.incoming_numbers.get(number)) {
            (None, Some(_)) => changes.push(change(&subject, "added".to_string())),
            (Some(_), None) => changes.push(change(&subject, "removed".to_string())),
            (Some(before), Some(after)) => {
                if before.destination != after.destination {
                    changes.push(change(&subject, destination_text(&after.destination)));
                }
                if before.sms != after.sms {
                    let (old, new) = (optional(&before.sms), optional(&after.sms));
                    changes.push(change(&subject, format!("SMS note: {old} → {new}")));
                }
            }
            (None, None) => {}
        }
    }

    let groups = live.groups.iter().map(|(n, g)| (n, &g.members));
    let staged_groups = staged.groups.iter().map(|(n, g)| (n, &g.members));
    named_sets(&mut changes, "group", groups.collect(), staged_groups.collect());
    let pickup = live.pickup_groups.iter().map(|(n, g)| (n, &g.members));
    let staged_pickup = staged.pickup_groups.iter().map(|(n, g)| (n, &g.members));
    named_sets(&mut changes, "pickup group", pickup.collect(), staged_pickup.collect());
    changes
}

/// Groups of either kind, by name: added, removed, or their members changed.
fn named_sets(
    changes: &mut Vec<Change>,
    what: &str,
    live: BTreeMap<&String, &Vec<String>>,
    staged: BTreeMap<&String, &Vec<String>>,
) {
    let names: BTreeSet<&String> = live.keys().chain(staged.keys()).copied().collect();
    for name in names {
        let subject = format!("{what} {name}");
        match (live.get(name), staged.get(name)) {
            (None, Some(_)) => changes.push(change(&subject, "added".to_string())),
            (Some(_), None) => changes.push(change(&subject, "removed".to_string())),
            (Some(before), Some(after)) if before != after => {
                let (old, new) = (list(before), list(after));
                changes.push(change(&subject, format!("members: {old} → {new}")));
            }
            _ => {}
        }
    }
}

/// "destination extension 1002", "destination hang up".
fn destination_text(destination: &Destination) -> String {
    let kind = destination.kind().key().replace('_', " ");
    match destination.target() {
        Some(target) => format!("destination {kind} {target}"),
        None => format!("destination {kind}"),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn rings(rings: &[Ring]) -> String {
    if rings.is_empty() {
        "none".to_string()
    } else {
        rings.iter().map(|r| format!("{} {} s", r.target, r.seconds)).collect::<Vec<_>>().join(", ")
    }
}

fn user_changes(before: &User, after: &User) -> Vec<String> {
    let mut descriptions = Vec::new();
    compare(&mut descriptions, "name", before.name.clone(), after.name.clone());
    compare(&mut descriptions, "email", optional(&before.email), optional(&after.email));
    compare(&mut descriptions, "GSM number", optional(&before.gsm), optional(&after.gsm));
    compare(&mut descriptions, "voicemail", yes_no(before.voicemail), yes_no(after.voicemail));
    compare(
        &mut descriptions,
        "outgoing number",
        optional(&before.outgoing_number),
        optional(&after.outgoing_number),
    );
    compare(
        &mut descriptions,
        "several calls at once",
        yes_no(before.multiple_calls),
        yes_no(after.multiple_calls),
    );
    compare(
        &mut descriptions,
        "directory",
        optional(&before.directory),
        optional(&after.directory),
    );
    compare(
        &mut descriptions,
        "must log in to call",
        yes_no(before.must_log_in),
        yes_no(after.must_log_in),
    );
    if before.sip_password != after.sip_password {
        descriptions.push("SIP password changed".to_string());
    }

    let (old, new) = (&before.forwardings, &after.forwardings);
    compare(
        &mut descriptions,
        "forwarding on no answer",
        rings(&old.no_answer),
        rings(&new.no_answer),
    );
    compare(
        &mut descriptions,
        "voicemail as a last resort",
        yes_no(old.voicemail_last_resort),
        yes_no(new.voicemail_last_resort),
    );
    compare(&mut descriptions, "forwarding on busy", rings(&old.busy), rings(&new.busy));
    if before.follow_me.enabled != after.follow_me.enabled {
        let state = if after.follow_me.enabled { "enabled" } else { "disabled" };
        descriptions.push(format!("Follow Me {state}"));
    }
    compare(
        &mut descriptions,
        "Follow Me destinations",
        rings(&before.follow_me.destinations),
        rings(&after.follow_me.destinations),
    );

    let (old, new) = (&before.keys.0, &after.keys.0);
    if old.len() != new.len() {
        descriptions.push(format!("number of keys: {} → {}", old.len(), new.len()));
    }
    for (index, key) in new.iter().enumerate() {
        let previous = old.get(index).map_or("none".to_string(), ToString::to_string);
        if previous != key.to_string() && !(index >= old.len() && key.to_string() == "none") {
            descriptions.push(format!("key {}: {previous} → {key}", index + 1));
        }
    }

    let (old, new) = (&before.permissions, &after.permissions);
    compare(
        &mut descriptions,
        "console username",
        optional(&old.console_username),
        optional(&new.console_username),
    );
    if old.password_hash != new.password_hash {
        descriptions.push("console password changed".to_string());
    }
    for right in crate::config::Right::ALL {
        match (old.rights.contains(&right), new.rights.contains(&right)) {
            (false, true) => descriptions.push(format!("right {} on", right.label())),
            (true, false) => descriptions.push(format!("right {} off", right.label())),
            _ => {}
        }
    }
    descriptions
}

/// Adds "LABEL: OLD → NEW" when the value changed.
fn compare(descriptions: &mut Vec<String>, label: &str, old: String, new: String) {
    if old != new {
        descriptions.push(format!("{label}: {old} → {new}"));
    }
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
    use crate::store::fixtures::user;

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
    fn the_tabs_of_a_user_read_in_the_products_words() {
        let before = user("1003", "Chloé");
        let mut after = before.clone();
        after.follow_me.enabled = true;
        after.follow_me.destinations = crate::config::tabs::parse_rings("1002:20").expect("ok");
        after.keys.0[2] = "blf:1002".parse().expect("key");
        after.permissions.rights.insert(crate::config::Right::CallList);
        after.permissions.password_hash = Some("$argon2id$secret".into());
        let changes = described(&diff(&config(&[before]), &config(&[after])));
        assert_eq!(
            changes,
            [
                "user 1003: Follow Me enabled",
                "user 1003: Follow Me destinations: none → 1002 20 s",
                "user 1003: key 3: none → blf:1002",
                "user 1003: console password changed",
                "user 1003: right call list on",
            ]
        );
        assert!(changes.iter().all(|line| !line.contains("secret")));
    }

    #[test]
    fn incoming_numbers_and_groups_follow_users() {
        use crate::config::{IncomingNumber, UserGroup};
        let live = config(&[user("1002", "Bob")]);
        let mut staged = live.clone();
        let number = "+33199001000".to_string();
        let mut incoming =
            IncomingNumber { number: number.clone(), sms: None, destination: Destination::HangUp };
        let mut before = live.clone();
        before.incoming_numbers.insert(number.clone(), incoming.clone());
        incoming.destination = "extension:1002".parse().expect("destination");
        staged.incoming_numbers.insert(number.clone(), incoming);
        staged.groups.insert(
            "sales".into(),
            UserGroup { name: "sales".into(), members: vec!["1002".into()] },
        );
        assert_eq!(
            described(&diff(&before, &staged)),
            ["incoming number +33199001000: destination extension 1002", "group sales: added"]
        );
    }

    #[test]
    fn pickup_groups_come_last_added_removed_or_with_new_members() {
        use crate::config::PickupGroup;
        let group = |name: &str, members: &[&str]| PickupGroup {
            name: name.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        };
        let mut live = config(&[user("1001", "Ann"), user("1002", "Bob")]);
        live.pickup_groups.insert("desk".into(), group("desk", &["1001", "1002"]));
        live.pickup_groups.insert("hall".into(), group("hall", &["1002"]));
        let mut staged = live.clone();
        staged.pickup_groups.insert("desk".into(), group("desk", &["1001"]));
        staged.pickup_groups.remove("hall");
        staged.pickup_groups.insert("reception".into(), group("reception", &[]));
        staged.users.get_mut("1002").expect("bob").name = "Robert".into();
        assert_eq!(
            described(&diff(&live, &staged)),
            [
                "user 1002: name: Bob → Robert",
                "pickup group desk: members: 1001, 1002 → 1001",
                "pickup group hall: removed",
                "pickup group reception: added",
            ]
        );
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
