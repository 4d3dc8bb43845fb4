use super::*;
use crate::config::User;
use crate::store::fixtures::user;
use crate::store::ApplyOutcome;

fn add(store: &Store, user: User) {
    store
        .stage(|config| {
            config.settings.domain = "pbx.example.com".to_string();
            config.users.insert(user.extension.clone(), user);
            Ok::<_, StoreError>(())
        })
        .expect("staging works");
}

/// A store at revision 2: Ann applied by anne, then Bob added by bob.
fn two_revisions() -> (tempfile::TempDir, Store) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    add(&store, user("1001", "Ann"));
    store.apply("anne").expect("first apply");
    add(&store, user("1002", "Bob"));
    store.apply("bob").expect("second apply");
    (temp, store)
}

#[test]
fn history_entries_say_who_applied_each_revision_newest_first() {
    let (_temp, store) = two_revisions();
    let entries = store.history_entries().expect("history");
    let seen: Vec<(u64, &str)> =
        entries.iter().map(|e| (e.revision, e.applied_by.as_str())).collect();
    assert_eq!(seen, [(2, "bob"), (1, "anne")]);
    assert!(entries[0].applied_at >= entries[1].applied_at);
}

#[test]
fn a_new_store_has_no_history() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    assert!(store.history_entries().expect("history").is_empty());
}

#[test]
fn rolling_back_stages_the_earlier_configuration_and_leaves_live_alone() {
    let (_temp, store) = two_revisions();

    assert_eq!(store.stage_revision(1).expect("rollback"), 1);

    let (revision, live) = store.live().expect("live");
    assert_eq!(revision, 2);
    assert!(live.users.contains_key("1002"), "live is untouched until apply");
    assert_eq!(
        store.staged().expect("staged"),
        store.revision(1).expect("read").expect("1").config
    );
    let diff: Vec<String> = store
        .diff()
        .expect("diff")
        .iter()
        .map(|c| format!("{}: {}", c.subject, c.description))
        .collect();
    assert_eq!(diff, ["user 1002: removed"]);
}

#[test]
fn an_applied_rollback_is_a_new_revision_with_the_old_configuration() {
    let (_temp, store) = two_revisions();
    store.stage_revision(1).expect("rollback");

    let outcome = store.apply("carol").expect("apply");
    let ApplyOutcome::Applied { revision, config } = outcome else {
        panic!("expected a new revision, got {outcome:?}");
    };
    assert_eq!(revision, 3);
    assert_eq!(config, store.revision(1).expect("read").expect("1").config);
    assert_eq!(store.history_entries().expect("history")[0].applied_by, "carol");
}

#[test]
fn rolling_back_replaces_what_was_staged() {
    let (_temp, store) = two_revisions();
    add(&store, user("1003", "Chloé"));

    store.stage_revision(1).expect("rollback");

    assert!(!store.staged().expect("staged").users.contains_key("1003"));
}

#[test]
fn rolling_back_to_the_live_revision_leaves_nothing_pending() {
    let (_temp, store) = two_revisions();
    add(&store, user("1003", "Chloé"));

    assert_eq!(store.stage_revision(2).expect("rollback"), 0);
    assert_eq!(store.pending_changes().expect("pending"), 0);
}

#[test]
fn rolling_back_to_an_unknown_revision_names_the_ones_there_are() {
    let (_temp, store) = two_revisions();
    add(&store, user("1003", "Chloé"));

    let error = store.stage_revision(7).expect_err("unknown");
    assert_eq!(error.to_string(), "there is no revision 7: revisions run from 1 to 2");
    let error = store.stage_revision(0).expect_err("zero is not a revision");
    assert!(matches!(error, RollbackError::UnknownRevision { revision: 0, latest: 2 }));
    assert_eq!(store.pending_changes().expect("pending"), 1, "what was staged stays");
}

#[test]
fn rolling_back_before_anything_was_applied_says_so() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    let error = store.stage_revision(1).expect_err("empty history");
    assert_eq!(error.to_string(), "there is no revision 1: nothing has been applied yet");
}

#[test]
fn discarding_drops_every_staged_change_and_counts_them() {
    let (_temp, store) = two_revisions();
    add(&store, user("1003", "Chloé"));
    add(&store, user("1004", "Dan"));

    assert_eq!(store.discard_staged().expect("discard"), 2);

    assert_eq!(store.pending_changes().expect("pending"), 0);
    assert_eq!(store.staged().expect("staged"), store.live().expect("live").1);
    assert_eq!(store.discard_staged().expect("discard again"), 0);
}

#[test]
fn a_discard_survives_reopening_the_store() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        add(&store, user("1001", "Ann"));
        store.discard_staged().expect("discard");
    }
    let store = Store::open(temp.path()).expect("store reopens");
    assert_eq!(store.pending_changes().expect("pending"), 0);
}
