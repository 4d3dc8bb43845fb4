//! `user set`, `number …`, `group …` and `pickup-group …` as a script sees them: exit status,
//! the diff they stage, and the errors Apply lists.

mod support;

use std::path::Path;

use support::cli::{ok, refused, switchboard, Run};

#[test]
fn every_tab_of_a_user_is_set_from_the_shell_and_shows_in_the_diff() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    ok(data, &["user", "add", "1002", "--name", "Bob", "--voicemail", "yes"]);
    ok(data, &["user", "add", "1003", "--name", "Chloé", "--voicemail", "yes"]);
    ok(data, &["apply"]);

    ok(
        data,
        &[
            "user",
            "set",
            "1003",
            "--forward-no-answer",
            "1002:20,+33612345678:30",
            "--voicemail-last-resort",
            "yes",
            "--follow-me",
            "on",
            "--follow-me-destinations",
            "1002:25",
            "--keys",
            "4",
            "--key",
            "3=blf:1002",
            "--console-username",
            "chloe",
            "--console-password",
            "long enough",
            "--preset",
            "operator",
            "--right",
            "user_management=on",
            "--directory",
            "Sales",
        ],
    );
    let diff = ok(data, &["diff"]);
    for line in [
        "user 1003: Follow Me enabled",
        "user 1003: forwarding on no answer: none → 1002 20 s, +33612345678 30 s",
        "user 1003: key 3: none → blf:1002",
        "user 1003: console password changed",
        "user 1003: right user management on",
    ] {
        assert!(diff.contains(line), "{line:?} missing from:\n{diff}");
    }
    assert!(!diff.contains("long enough"));
    ok(data, &["apply"]);
}

#[test]
fn bad_tab_values_are_refused_with_exit_one_and_unknown_flags_with_two() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    ok(data, &["user", "add", "1002", "--name", "Bob"]);
    let error = refused(data, &["user", "set", "1002", "--forward-busy", "1003:200"]);
    assert!(error.contains("must be 5 to 120 seconds, not 200"), "{error}");
    let error = refused(data, &["user", "set", "1002", "--key", "1=blf"]);
    assert!(error.contains("a blf key needs a target"), "{error}");
    let error = refused(data, &["user", "set", "1002", "--console-password", "short"]);
    assert!(error.contains("at least 8"), "{error}");
    refused(data, &["user", "set", "1009", "--name", "Nobody"]);
    assert_eq!(switchboard(data, &["user", "set", "1002", "--colour", "red"]).code, 2);
}

#[test]
fn incoming_numbers_and_groups_are_staged_listed_and_checked_at_apply() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    ok(data, &["user", "add", "1002", "--name", "Bob"]);
    ok(
        data,
        &[
            "number",
            "add",
            "+33 1 99 00 10 00",
            "--destination",
            "extension",
            "--target",
            "1009",
            "--sms",
            "reception",
        ],
    );
    ok(data, &["group", "add", "sales", "--members", "1002,1008"]);
    refused(data, &["number", "add", "+33199001000", "--destination", "hang_up"]);
    refused(data, &["number", "add", "+33199001001", "--destination", "extension"]);

    let error = refused(data, &["apply"]);
    assert!(
        error.contains("incoming number +33199001000: destination: there is no user 1009"),
        "{error}"
    );
    assert!(error.contains("group sales: members: there is no user 1008"), "{error}");

    ok(data, &["number", "set", "+33199001000", "--destination", "extension", "--target", "1002"]);
    ok(data, &["group", "set", "sales", "--members", "1002"]);
    assert!(ok(data, &["diff"]).contains("incoming number +33199001000: added"));
    ok(data, &["apply"]);

    let numbers: serde_json::Value =
        serde_json::from_str(&ok(data, &["number", "list", "--json"])).expect("JSON");
    assert_eq!(numbers[0]["destination"], "extension:1002");
    let groups: serde_json::Value =
        serde_json::from_str(&ok(data, &["group", "list", "--json"])).expect("JSON");
    assert_eq!(groups[0]["members"][0], "1002");

    ok(data, &["group", "rm", "sales"]);
    ok(data, &["number", "rm", "+33199001000"]);
    ok(data, &["apply"]);
    assert_eq!(ok(data, &["group", "list"]), "no user groups\n");
}

#[test]
fn pickup_groups_are_staged_listed_live_and_pickup_keys_must_name_one() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    ok(data, &["user", "add", "1001", "--name", "Anne"]);
    ok(data, &["user", "add", "1002", "--name", "Bob"]);
    ok(data, &["user", "set", "1001", "--key", "1=pickup:reception"]);
    ok(data, &["pickup-group", "add", "desk", "--members", "1002,1008"]);
    let error = refused(data, &["apply"]);
    assert!(error.contains("user 1001: key 1: there is no pickup group reception"), "{error}");
    assert!(error.contains("pickup group desk: members: there is no user 1008"), "{error}");

    ok(data, &["pickup-group", "rm", "desk"]);
    ok(data, &["pickup-group", "add", "reception", "--members", "1001,1002"]);
    refused(data, &["pickup-group", "add", "reception"]);
    refused(data, &["pickup-group", "add", "1003"]);
    refused(data, &["pickup-group", "add", "hall", "--members", "1001,1001"]);
    refused(data, &["pickup-group", "set", "hall", "--members", "1001"]);
    assert!(ok(data, &["diff"]).contains("pickup group reception: added\n"));
    let Run { code, stdout, stderr } = switchboard(data, &["pickup-group", "list"]);
    assert_eq!((code, stdout.as_str()), (0, "no pickup groups\n"));
    assert!(stderr.starts_with("note: "), "{stderr}");
    ok(data, &["apply"]);

    let Run { stdout, stderr, .. } = switchboard(data, &["pickup-group", "list"]);
    assert!(stdout.contains("reception") && stdout.contains("1001, 1002"), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    ok(data, &["pickup-group", "set", "reception", "--members", "1001"]);
    assert!(ok(data, &["diff"]).contains("pickup group reception: members: 1001, 1002 → 1001"));
    ok(data, &["apply"]);
    let groups: serde_json::Value =
        serde_json::from_str(&ok(data, &["pickup-group", "list", "--json"])).expect("JSON");
    assert_eq!(groups, serde_json::json!([{ "name": "reception", "members": ["1001"] }]));

    // Removing the group a key names is refused at Apply, not silently kept.
    ok(data, &["pickup-group", "rm", "reception"]);
    let error = refused(data, &["apply"]);
    assert!(error.contains("user 1001: key 1: there is no pickup group reception"), "{error}");
    ok(data, &["user", "set", "1001", "--key", "1=none"]);
    ok(data, &["apply"]);
    assert_eq!(ok(data, &["pickup-group", "list"]), "no pickup groups\n");
}

/// Two users, 1003 with every tab set and applied.
fn office_with_every_tab_set(data: &Path) {
    ok(data, &["user", "add", "1002", "--name", "Bob", "--voicemail", "yes"]);
    ok(
        data,
        &[
            "user",
            "add",
            "1003",
            "--name",
            "Chloé",
            "--voicemail",
            "yes",
            "--sip-password",
            "Phone-Secret-1003",
        ],
    );
    ok(
        data,
        &[
            "user",
            "set",
            "1003",
            "--forward-no-answer",
            "1002:20,+33612345678:30",
            "--voicemail-last-resort",
            "yes",
            "--forward-busy",
            "1002:15",
            "--follow-me",
            "on",
            "--follow-me-destinations",
            "1002:25",
            "--keys",
            "3",
            "--key",
            "2=blf:1002",
            "--console-username",
            "chloe",
            "--console-password",
            "long enough",
            "--right",
            "call_list=on",
        ],
    );
    ok(data, &["apply"]);
}

#[test]
fn user_show_prints_every_tab_and_hides_secrets_unless_revealed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    office_with_every_tab_set(data);

    let Run { code, stdout: text, stderr } = switchboard(data, &["user", "show", "1003"]);
    assert_eq!((code, stderr.as_str()), (0, ""), "nothing staged, no note");
    for line in [
        "General\n",
        "Name                   Chloé\n",
        "Forwardings (inactive while Follow Me is enabled)\n",
        "On no answer           1002 20 s, +33612345678 30 s\n",
        "Voicemail last resort  yes\n",
        "On busy                1002 15 s\n",
        "Follow Me\nEnabled                yes\nDestinations           1002 25 s\n",
        "Keys\nKey 1                  not configured\nKey 2                  blf 1002\n",
        "Key 3                  not configured\n\nSIP identifiers\n",
        "SIP username           1003\n",
        "SIP password           hidden (--reveal shows it)\n",
        "Console username       chloe\nConsole password       set\n",
        "Rights                 call list\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(!text.contains("Phone-Secret-1003") && !text.contains("argon2"), "{text}");

    let revealed = ok(data, &["user", "show", "1003", "--reveal"]);
    assert!(revealed.contains("SIP password           Phone-Secret-1003\n"), "{revealed}");
    assert!(!revealed.contains("argon2"), "{revealed}");

    let bob = ok(data, &["user", "show", "1002"]);
    assert!(bob.contains("\nForwardings\nOn no answer           none\n"), "{bob}");
    assert!(bob.contains("Console password       not set\nRights                 none\n"));
}

#[test]
fn user_show_json_is_the_model_without_secrets_unless_revealed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    office_with_every_tab_set(data);

    let json: serde_json::Value =
        serde_json::from_str(&ok(data, &["user", "show", "1003", "--json"])).expect("JSON");
    assert_eq!(json["extension"], "1003");
    assert_eq!(json["forwardings"]["no_answer"][1], "+33612345678:30");
    assert_eq!(json["forwardings"]["voicemail_last_resort"], true);
    assert_eq!(json["follow_me"]["enabled"], true);
    assert_eq!(json["keys"][1], "blf:1002");
    assert_eq!(json["permissions"]["console_username"], "chloe");
    assert_eq!(json["permissions"]["rights"][0], "call_list");
    assert_eq!(json["console_password_set"], true);
    assert!(json.get("sip_password").is_none(), "{json}");
    assert!(json["permissions"].get("password_hash").is_none(), "{json}");

    let json: serde_json::Value =
        serde_json::from_str(&ok(data, &["user", "show", "1003", "--json", "--reveal"]))
            .expect("JSON");
    assert_eq!(json["sip_password"], "Phone-Secret-1003");
    assert!(json["permissions"].get("password_hash").is_none(), "{json}");
}

#[test]
fn user_show_gives_the_staged_version_with_a_note() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    office_with_every_tab_set(data);
    ok(data, &["user", "set", "1003", "--follow-me", "off", "--sip-password", "Staged-Secret-77"]);

    let Run { code, stdout: text, stderr } =
        switchboard(data, &["user", "show", "1003", "--reveal"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.contains("\nForwardings\n") && text.contains("Enabled                no\n"));
    assert!(text.contains("SIP password           Staged-Secret-77\n"), "{text}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("user 1003 has staged changes"), "{stderr}");
    let Run { stderr: untouched, .. } = switchboard(data, &["user", "show", "1002"]);
    assert_eq!(untouched, "", "only the changed user is noted");

    ok(data, &["user", "rm", "1002"]);
    let Run { code, stdout: text, stderr } = switchboard(data, &["user", "show", "1002", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("user 1002 is staged for removal"), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(json["name"], "Bob");
}

#[test]
fn user_show_of_an_unknown_user_fails_with_exit_one_and_a_bad_flag_with_two() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    ok(data, &["user", "add", "1002", "--name", "Bob"]);
    let error = refused(data, &["user", "show", "1009"]);
    assert!(error.contains("1009"), "{error}");
    assert_eq!(switchboard(data, &["user", "show", "1002", "--colour"]).code, 2);
}
