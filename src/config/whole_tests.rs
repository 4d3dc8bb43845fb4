use proptest::prelude::*;

use super::*;
use crate::config::numbers::{IncomingNumber, PickupGroup, UserGroup};
use crate::config::tabs::{parse_rings, Keys, Ring};
use crate::config::Settings;

fn user(extension: &str) -> User {
    User {
        extension: extension.to_string(),
        name: format!("User {extension}"),
        voicemail: true,
        sip_password: format!("password-{extension}"),
        ..User::default()
    }
}

fn office(users: Vec<User>) -> Config {
    Config {
        settings: Settings { domain: "pbx.example.com".to_string(), proxy: String::new() },
        users: users.into_iter().map(|u| (u.extension.clone(), u)).collect(),
        ..Config::default()
    }
}

fn messages(config: &Config) -> Vec<String> {
    match validate_config(config) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_user_with_every_tab_filled_in_is_accepted() {
    let mut anne = user("1001");
    anne.directory = Some("Sales".into());
    anne.forwardings.no_answer = parse_rings("1002:20,+33612345678:30").expect("rings");
    anne.forwardings.voicemail_last_resort = true;
    anne.forwardings.busy = parse_rings("1002:15").expect("rings");
    anne.follow_me.destinations = parse_rings("+33612345678:25").expect("rings");
    anne.keys = Keys(vec!["blf:1002".parse().expect("key"), "switch".parse().expect("key")]);
    anne.permissions.console_username = Some("anne".into());
    assert_eq!(messages(&office(vec![anne, user("1002")])), Vec::<String>::new());
}

#[test]
fn apply_lists_every_broken_reference_naming_the_thing_and_the_field() {
    let mut anne = user("1001");
    anne.forwardings.no_answer = parse_rings("1009:20").expect("rings");
    anne.keys = Keys(vec!["line:1008".parse().expect("key")]);
    let mut config = office(vec![anne]);
    config.groups.insert(
        "sales".into(),
        UserGroup { name: "sales".into(), members: vec!["1001".into(), "1007".into()] },
    );
    config.incoming_numbers.insert(
        "+33199001000".into(),
        IncomingNumber {
            number: "+33199001000".into(),
            sms: None,
            destination: "extension:1002".parse().expect("destination"),
        },
    );
    assert_eq!(
        messages(&config),
        [
            "user 1001: forwarding on no answer: there is no user 1009",
            "user 1001: key 1: there is no user 1008",
            "incoming number +33199001000: destination: there is no user 1002",
            "group sales: members: there is no user 1007",
        ]
    );
}

#[test]
fn ring_times_outside_five_to_one_hundred_twenty_seconds_are_refused() {
    let mut anne = user("1001");
    anne.forwardings.busy = vec![Ring { target: RingTarget::parse("1002"), seconds: 4 }];
    anne.follow_me.destinations =
        vec![Ring { target: RingTarget::parse("+33612345678"), seconds: 121 }];
    assert_eq!(
        messages(&office(vec![anne, user("1002")])),
        [
            "user 1001: forwarding on busy: ring time of 1002 must be 5 to 120 seconds, not 4",
            "user 1001: Follow Me: ring time of +33612345678 must be 5 to 120 seconds, not 121",
        ]
    );
}

#[test]
fn forwardings_stay_but_are_inactive_while_follow_me_is_on() {
    let mut anne = user("1001");
    anne.forwardings.no_answer = parse_rings("1002:20").expect("rings");
    assert!(anne.active_forwardings().is_some());
    anne.follow_me.enabled = true;
    anne.follow_me.destinations = parse_rings("1002:20").expect("rings");
    assert!(anne.active_forwardings().is_none());
    assert_eq!(anne.forwardings.no_answer.len(), 1, "kept, not erased");
    assert_eq!(messages(&office(vec![anne, user("1002")])), Vec::<String>::new());
}

#[test]
fn tab_rules_refuse_what_cannot_work() {
    let mut anne = user("1001");
    anne.voicemail = false;
    anne.forwardings.voicemail_last_resort = true;
    anne.forwardings.no_answer = parse_rings("1001:20,0612345678:20").expect("rings");
    anne.follow_me.enabled = true;
    anne.keys = Keys(Vec::new());
    anne.permissions.password_hash = Some("plain-text".into());
    assert_eq!(
        messages(&office(vec![anne])),
        [
            "user 1001: forwarding on no answer: a user cannot ring themselves",
            "user 1001: forwarding on no answer: 0612345678 is neither an extension (2 to 8 \
             digits) nor a number in international form (+ then digits)",
            "user 1001: voicemail as a last resort needs the user's voicemail to be on",
            "user 1001: Follow Me is enabled but has no destinations",
            "user 1001: number of keys must be 1 to 20, not 0",
            "user 1001: a console password needs a console username",
            "user 1001: console password is stored in a form that cannot be read; set it again",
        ]
    );
}

#[test]
fn console_usernames_are_unique_and_pickup_groups_must_exist() {
    let mut anne = user("1001");
    anne.permissions.console_username = Some("desk".into());
    let mut bob = user("1002");
    bob.permissions.console_username = Some("desk".into());
    bob.keys = Keys(vec!["pickup:sales".parse().expect("key")]);
    assert_eq!(
        messages(&office(vec![anne, bob])),
        [
            "user 1002: console username desk is already taken",
            "user 1002: key 1: there is no pickup group sales",
        ]
    );
}

#[test]
fn incoming_numbers_need_a_canonical_number_and_a_reachable_destination() {
    let mut bob = user("1002");
    bob.voicemail = false;
    let mut config = office(vec![bob]);
    for (number, destination) in [
        ("+33199001000", "voicemail:1002"),
        ("0199001001", "dial_plan:main"),
        ("+33199001002", "hang_up"),
    ] {
        config.incoming_numbers.insert(
            number.into(),
            IncomingNumber {
                number: number.into(),
                sms: Some("to reception".into()),
                destination: destination.parse().expect("destination"),
            },
        );
    }
    assert_eq!(
        messages(&config),
        [
            "incoming number +33199001000: destination: user 1002 has no voicemail",
            "incoming number 0199001001: number needs the country code: write it as + then \
             the country code, e.g. +33612345678",
            "incoming number 0199001001: destination: there is no dial plan main",
        ]
    );
}

#[test]
fn groups_need_a_name_that_is_not_a_number_and_each_member_once() {
    let mut config = office(vec![user("1001")]);
    for (name, members) in [("1001", vec!["1001"]), ("sales", vec!["1001", "1001"])] {
        let members = members.into_iter().map(String::from).collect();
        config.groups.insert(name.into(), UserGroup { name: name.into(), members });
    }
    assert_eq!(
        messages(&config),
        [
            "group 1001: group name must be 1 to 64 characters, not only digits, without \
             control characters",
            "group sales: members: user 1001 is listed twice",
        ]
    );
}

fn pickup_group(name: &str, members: &[&str]) -> PickupGroup {
    PickupGroup { name: name.into(), members: members.iter().map(|m| m.to_string()).collect() }
}

#[test]
fn a_pickup_key_naming_an_existing_pickup_group_or_user_is_accepted() {
    let mut anne = user("1001");
    anne.keys =
        Keys(vec!["pickup:reception".parse().expect("key"), "pickup:1002".parse().expect("key")]);
    let mut config = office(vec![anne, user("1002")]);
    config.pickup_groups.insert("reception".into(), pickup_group("reception", &["1001", "1002"]));
    assert_eq!(messages(&config), Vec::<String>::new());
}

#[test]
fn a_pickup_key_naming_a_missing_user_or_pickup_group_is_refused() {
    let mut anne = user("1001");
    anne.keys =
        Keys(vec!["pickup:reception".parse().expect("key"), "pickup:1009".parse().expect("key")]);
    let mut config = office(vec![anne]);
    // A user group of that name is not a pickup group.
    config.groups.insert(
        "reception".into(),
        UserGroup { name: "reception".into(), members: vec!["1001".into()] },
    );
    assert_eq!(
        messages(&config),
        [
            "user 1001: key 1: there is no pickup group reception",
            "user 1001: key 2: there is no user 1009",
        ]
    );
}

#[test]
fn pickup_groups_need_a_name_that_is_not_a_number_and_users_as_members_each_once() {
    let mut config = office(vec![user("1001")]);
    for group in [
        pickup_group("1001", &["1001"]),
        pickup_group("desk", &["1001", "1001"]),
        pickup_group("floor", &["1007"]),
    ] {
        config.pickup_groups.insert(group.name.clone(), group);
    }
    config.pickup_groups.insert("hall".into(), pickup_group("lobby", &[]));
    assert_eq!(
        messages(&config),
        [
            "pickup group 1001: group name must be 1 to 64 characters, not only digits, without \
             control characters",
            "pickup group desk: members: user 1001 is listed twice",
            "pickup group floor: members: there is no user 1007",
            "pickup group hall: pickup group hall is stored as lobby; they must match",
        ]
    );
}

#[test]
fn console_usernames_and_passwords_follow_their_rules() {
    use crate::config::validate::{check_console_password, check_console_username};
    assert_eq!(check_console_username(" anne.m "), Ok("anne.m".into()));
    for bad in ["an", "Anne", "anne martin", &"a".repeat(33)] {
        assert!(check_console_username(bad).is_err(), "{bad:?}");
    }
    assert_eq!(check_console_password("1234567"), Err(ValidationError::ConsolePasswordTooShort));
    assert_eq!(check_console_password("12345678"), Ok(()));
}

proptest! {
    #[test]
    fn a_ring_time_is_accepted_exactly_from_five_to_one_hundred_twenty(seconds in 0u32..400) {
        let ring = Ring { target: RingTarget::parse("1002"), seconds };
        let accepted = crate::config::validate::check_ring(Field::FollowMe, &ring, "1001").is_ok();
        prop_assert_eq!(accepted, (5..=120).contains(&seconds));
    }

    #[test]
    fn a_key_count_is_accepted_exactly_from_one_to_twenty(count in 0usize..64) {
        let accepted = crate::config::validate::check_key_count(count).is_ok();
        prop_assert_eq!(accepted, (1..=20).contains(&count));
    }

    #[test]
    fn every_dangling_reference_is_reported_once(
        present in proptest::collection::btree_set("10[0-9]{2}", 1..6),
        wanted in proptest::collection::vec("10[0-9]{2}", 0..6),
    ) {
        let users: Vec<User> = present.iter().map(|e| user(e)).collect();
        let mut config = office(users);
        let members: Vec<String> = wanted.iter().cloned().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        config.groups.insert("team".into(), UserGroup { name: "team".into(), members: members.clone() });
        let dangling = members.iter().filter(|m| !present.contains(*m)).count();
        let reported = messages(&config).len();
        prop_assert_eq!(reported, dangling);
    }

    #[test]
    fn ring_and_key_text_reads_back_the_same(ext in "[0-9]{2,8}", seconds in 5u32..=120) {
        let ring: Ring = format!("{ext}:{seconds}").parse().expect("ring");
        prop_assert_eq!(ring.to_string(), format!("{ext}:{seconds}"));
        let key: crate::config::Key = format!("blf:{ext}").parse().expect("key");
        prop_assert_eq!(key.to_string(), format!("blf:{ext}"));
    }
}
