//! `switchboard history`, `rollback` and `discard` as a script sees them:
//! exit status, messages, the JSON shape of `history --json`, and `diff`
//! after a rollback, on a temporary data directory with no PBX running.

mod support;

use std::path::Path;

use support::cli::{ok, switchboard};

use serde_json::Value;

/// Two revisions: 1 has Anne, 2 adds Bob.
fn two_revisions(data: &Path) {
    ok(data, &["user", "add", "1001", "--name", "Anne Martin"]);
    ok(data, &["apply"]);
    ok(data, &["user", "add", "1002", "--name", "Bob Durand"]);
    ok(data, &["apply"]);
}

#[test]
fn history_lists_revisions_newest_first_as_text_and_json() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    assert_eq!(ok(data, &["history"]), "no revision applied yet\n");
    assert_eq!(ok(data, &["history", "--json"]).trim(), "[]");
    two_revisions(data);

    let text = ok(data, &["history"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("REVISION"), "{text}");
    assert!(lines[1].starts_with("2 ") && lines[2].starts_with("1 "), "{text}");

    let json: Value = serde_json::from_str(&ok(data, &["history", "--json"])).expect("JSON");
    let entries = json.as_array().expect("an array");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["revision"], 2);
    assert_eq!(entries[1]["revision"], 1);
    for entry in entries {
        let applied_at = entry["applied_at"].as_str().expect("applied_at is text");
        time::OffsetDateTime::parse(applied_at, &time::format_description::well_known::Rfc3339)
            .expect("applied_at is RFC 3339");
        assert!(!entry["applied_by"].as_str().expect("applied_by is text").is_empty());
    }
}

#[test]
fn a_rollback_is_staged_shown_by_diff_and_applied_as_a_new_revision() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    two_revisions(data);

    let said = ok(data, &["rollback", "1"]);
    assert!(said.starts_with("staged revision 1: 1 change(s) against live"), "{said}");
    assert_eq!(ok(data, &["diff"]), "user 1002: removed\n");
    assert!(ok(data, &["user", "list"]).contains("Bob Durand"), "live until applied");

    assert_eq!(ok(data, &["apply"]), "applied revision 3\n");
    assert!(!ok(data, &["user", "list"]).contains("Bob Durand"));
    assert_eq!(ok(data, &["diff"]), "nothing staged\n");
    assert!(ok(data, &["history"]).lines().nth(1).is_some_and(|l| l.starts_with("3 ")));
}

#[test]
fn rolling_back_to_the_live_revision_says_nothing_is_staged() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    two_revisions(data);
    ok(data, &["user", "add", "1003", "--name", "Chloé Petit"]);

    assert_eq!(ok(data, &["rollback", "2"]), "revision 2 is what is live; nothing is staged\n");
    assert_eq!(ok(data, &["diff"]), "nothing staged\n");
}

#[test]
fn rolling_back_to_an_unknown_revision_fails_with_one_line() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();

    let run = switchboard(data, &["rollback", "1"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, "error: there is no revision 1: nothing has been applied yet\n");

    two_revisions(data);
    let run = switchboard(data, &["rollback", "5"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.stderr, "error: there is no revision 5: revisions run from 1 to 2\n");
    assert!(run.stdout.is_empty());
}

#[test]
fn a_revision_that_is_not_a_number_is_bad_usage() {
    let temp = tempfile::tempdir().expect("temp dir");
    assert_eq!(switchboard(temp.path(), &["rollback", "latest"]).code, 2);
    assert_eq!(switchboard(temp.path(), &["rollback"]).code, 2);
}

#[test]
fn discard_drops_every_staged_change_and_says_how_many() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    two_revisions(data);
    ok(data, &["user", "add", "1003", "--name", "Chloé Petit"]);
    ok(data, &["user", "rm", "1001"]);

    assert_eq!(ok(data, &["discard"]), "discarded 2 staged change(s)\n");
    assert_eq!(ok(data, &["diff"]), "nothing staged\n");
    assert_eq!(ok(data, &["discard"]), "nothing staged to discard\n");
    assert_eq!(ok(data, &["apply"]), "nothing to apply\n");
}
