use proptest::prelude::*;

use super::*;
use crate::config::tabs::{parse_rings, Keys, Preset};
use crate::config::{Destination, IncomingNumber, PickupGroup, Settings, User, UserGroup};

/// A PHC string of the shape argon2 writes; import checks only its shape.
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$\
                    aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

fn office() -> Config {
    let mut anne = User {
        extension: "1001".into(),
        name: "Anne \"Annie\" Martin".into(),
        email: Some("anne@example.com".into()),
        gsm: Some("+33612345678".into()),
        voicemail: true,
        sip_password: "secret-one-1001".into(),
        directory: Some("Sales".into()),
        ..User::default()
    };
    anne.forwardings.no_answer = parse_rings("1002:20,+33612345678:30").expect("rings");
    anne.forwardings.voicemail_last_resort = true;
    anne.follow_me.destinations = parse_rings("1002:25").expect("rings");
    anne.keys = Keys(vec!["blf:1002".parse().expect("key"), "switch".parse().expect("key")]);
    anne.permissions.console_username = Some("anne".into());
    anne.permissions.password_hash = Some(HASH.into());
    anne.permissions.rights = Preset::Operator.rights();
    let bob = User {
        extension: "1002".into(),
        name: "Bob".into(),
        sip_password: "secret-two-1002".into(),
        ..User::default()
    };
    let mut config = Config {
        settings: Settings { domain: "pbx.example.com".into(), proxy: String::new() },
        users: [anne, bob].into_iter().map(|u| (u.extension.clone(), u)).collect(),
        ..Config::default()
    };
    config.incoming_numbers.insert(
        "+33199001000".into(),
        IncomingNumber {
            number: "+33199001000".into(),
            sms: Some("read by reception".into()),
            destination: Destination::Extension("1001".into()),
        },
    );
    config.groups.insert(
        "sales".into(),
        UserGroup { name: "sales".into(), members: vec!["1002".into(), "1001".into()] },
    );
    config.pickup_groups.insert(
        "reception".into(),
        PickupGroup { name: "reception".into(), members: vec!["1001".into()] },
    );
    config
}

#[test]
fn an_export_with_secrets_reads_back_as_the_same_configuration_and_text() {
    let text = export(&office(), true).expect("export");
    let file = parse(&text).expect("the export reads back");
    assert_eq!(file.config, office());
    assert_eq!(export(&file.config, true).expect("export"), text);
}

#[test]
fn an_export_without_secrets_leaves_out_passwords_and_hashes() {
    let text = export(&office(), false).expect("export");
    assert!(!text.contains("secret-one") && !text.contains("argon2"), "{text}");
    let file = parse(&text).expect("the export reads back");
    assert_eq!(file.config.users["1001"].sip_password, "");
    assert_eq!(file.config.users["1001"].permissions.password_hash, None);
    assert_eq!(export(&file.config, false).expect("export"), text);
}

#[test]
fn a_misspelt_key_is_reported_at_its_line_not_ignored() {
    let text =
        export(&office(), false).expect("export").replace("voicemail = true", "voicmail = true");
    let line = text.lines().position(|l| l.starts_with("voicmail")).expect("the typo") + 1;
    let errors = parse(&text).expect_err("unknown key");
    assert_eq!(
        errors,
        vec![FileError {
            line: Some(line),
            message: "user 1001: there is no setting \"voicmail\"".into()
        }]
    );
}

#[test]
fn a_bad_value_is_reported_at_its_line() {
    let text = "[settings]\ndomain = \"pbx.example.com\"\nproxy = \"\"\n\n[users.1001]\n\
                extension = \"1001\"\nname = \"Anne\"\nvoicemail = false\nmultiple_calls = false\n\
                keys = [\"blf\"]\n";
    let errors = parse(text).expect_err("a key without its target");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, Some(10));
    assert!(errors[0].message.contains("a blf key needs a target"), "{}", errors[0].message);
}

#[test]
fn broken_syntax_is_reported_at_its_line() {
    let errors = parse("[settings]\ndomain = \"pbx\nproxy = \"\"\n").expect_err("syntax");
    assert_eq!(errors[0].line, Some(2));
}

#[test]
fn a_rule_points_at_the_field_else_at_its_entry() {
    let text = export(&office(), false).expect("export");
    let file = parse(&text).expect("reads");
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).map(|i| i + 1);

    assert_eq!(file.line_of("user 1001", "forward_no_answer"), line_of("no_answer ="));
    assert_eq!(file.line_of("user 1001", "name"), line_of("name = 'Anne"));
    assert_eq!(file.line_of("group sales", "members"), line_of("members = ["));
    let reception = text.lines().position(|l| l == "[pickup_groups.reception]").expect("table");
    let members =
        text.lines().skip(reception).position(|l| l.starts_with("members =")).expect("members");
    assert_eq!(file.line_of("pickup group reception", "members"), Some(reception + members + 1));
    assert_eq!(file.line_of("user 1002", "sip_password"), line_of("[users.1002]"));
    assert_eq!(file.line_of("user 1009", "name"), None);
}

#[test]
fn every_key_an_export_writes_is_one_import_knows() {
    let mut config = office();
    let bob = config.users.get_mut("1002").expect("bob");
    bob.outgoing_number = Some("+33199001000".into());
    bob.must_log_in = true;
    bob.multiple_calls = true;
    bob.forwardings.busy = parse_rings("1001:10").expect("rings");
    bob.follow_me.enabled = true;
    config.settings.proxy = "pbx.example.com:5060".into();
    let text = export(&config, true).expect("export");
    assert_eq!(parse(&text).map(|f| f.config).expect("every key is known"), config);
}

fn ring() -> impl Strategy<Value = String> {
    prop_oneof!["[1-9][0-9]{3}", "\\+33[1-9][0-9]{8}"]
        .prop_flat_map(|target| (Just(target), 5u32..=120))
        .prop_map(|(target, seconds)| format!("{target}:{seconds}"))
}

fn user() -> impl Strategy<Value = User> {
    (
        "[1-9][0-9]{3}",
        "[A-Za-zÀ-ÿ\"' ,.-]{1,30}",
        proptest::option::of("[a-z]{1,8}@example\\.com"),
        any::<(bool, bool, bool)>(),
        proptest::collection::vec(ring(), 0..3),
        proptest::option::of("[a-z]{3,12}"),
        proptest::collection::btree_set(
            proptest::sample::select(crate::config::Right::ALL.to_vec()),
            0..5,
        ),
        "[A-Za-z0-9]{8,20}",
    )
        .prop_map(|(extension, name, email, flags, rings, username, rights, password)| {
            let mut user = User {
                extension,
                name,
                email,
                voicemail: flags.0,
                multiple_calls: flags.1,
                must_log_in: flags.2,
                sip_password: password,
                ..User::default()
            };
            user.forwardings.no_answer = parse_rings(&rings.join(",")).unwrap_or_default();
            user.follow_me.enabled = flags.0 && !rings.is_empty();
            user.follow_me.destinations = user.forwardings.no_answer.clone();
            user.permissions.console_username = username;
            user.permissions.rights = rights;
            user
        })
}

/// A user group or pickup group: a name that is not a number, and members
/// drawn from the extensions the generated users may have.
fn named_set() -> impl Strategy<Value = (String, Vec<String>)> {
    ("[a-z][a-z0-9 -]{0,15}", proptest::collection::vec("[1-9][0-9]{3}", 0..4))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn export_import_export_gives_the_same_text(
        users in proptest::collection::vec(user(), 0..6),
        groups in proptest::collection::vec(named_set(), 0..3),
        pickup_groups in proptest::collection::vec(named_set(), 0..3),
        with_secrets in any::<bool>(),
    ) {
        let config = Config {
            settings: Settings { domain: "pbx.example.com".into(), proxy: String::new() },
            users: users.into_iter().map(|u| (u.extension.clone(), u)).collect(),
            groups: groups
                .into_iter()
                .map(|(name, members)| (name.clone(), UserGroup { name, members }))
                .collect(),
            pickup_groups: pickup_groups
                .into_iter()
                .map(|(name, members)| (name.clone(), PickupGroup { name, members }))
                .collect(),
            ..Config::default()
        };
        let text = export(&config, with_secrets).expect("export");
        let file = parse(&text).expect("the export reads back");
        prop_assert_eq!(export(&file.config, with_secrets).expect("export"), text);
        if with_secrets {
            prop_assert_eq!(file.config, config);
        }
    }
}
