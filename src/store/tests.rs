use std::os::unix::fs::PermissionsExt;

use time::macros::datetime;

use super::*;
use crate::config::{User, ValidationError};
use crate::control::api::{CallOutcome, CallRecord};
use crate::engine::CallLog;
use crate::store::fixtures::user;

fn add(store: &Store, user: User) {
    store
        .stage(|config| {
            config.users.insert(user.extension.clone(), user);
            Ok::<_, StoreError>(())
        })
        .expect("staging works");
}

fn with_domain(store: &Store) {
    store
        .stage(|config| {
            config.settings.domain = "pbx.example.com".to_string();
            Ok::<_, StoreError>(())
        })
        .expect("staging works");
}

fn call(id: &str, started_at: time::OffsetDateTime) -> CallRecord {
    CallRecord {
        id: id.to_string(),
        caller: "1001".to_string(),
        callee: "1002".to_string(),
        started_at,
        answered_at: None,
        ended_at: started_at + time::Duration::seconds(20),
        outcome: CallOutcome::NoAnswer,
    }
}

#[test]
fn a_new_store_is_empty_at_revision_zero_in_an_owner_only_directory() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let store = Store::open(&dir).expect("store opens");

    assert_eq!(store.live().expect("live").0, 0);
    assert!(store.live().expect("live").1.users.is_empty());
    assert_eq!(store.pending_changes().expect("pending"), 0);
    let mode = fs::metadata(&dir).expect("dir exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn a_directory_open_to_others_is_made_owner_only() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let _store = Store::open(temp.path()).expect("store opens");
    let mode = fs::metadata(temp.path()).expect("dir exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn applying_staged_users_makes_them_live_as_the_next_revision() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    with_domain(&store);
    add(&store, user("1001", "Ann"));
    assert_eq!(store.pending_changes().expect("pending"), 2);
    assert!(store.live().expect("live").1.users.is_empty(), "staging leaves live alone");

    let outcome = store.apply("anne").expect("apply");
    let ApplyOutcome::Applied { revision, config } = outcome else {
        panic!("expected a new revision, got {outcome:?}");
    };
    assert_eq!(revision, 1);
    assert!(config.users.contains_key("1001"));
    assert_eq!(store.live().expect("live"), (1, config));
    assert_eq!(store.pending_changes().expect("pending"), 0);

    let history = store.history().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].revision, history[0].applied_by.as_str()), (1, "anne"));
}

#[test]
fn revisions_count_up_and_history_lists_the_newest_first() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    with_domain(&store);
    add(&store, user("1001", "Ann"));
    store.apply("anne").expect("first apply");
    add(&store, user("1002", "Bob"));
    store.apply("bob").expect("second apply");

    let revisions: Vec<u64> =
        store.history().expect("history").iter().map(|r| r.revision).collect();
    assert_eq!(revisions, [2, 1]);
    assert_eq!(store.revision(1).expect("read").map(|r| r.config.users.len()), Some(1));
}

#[test]
fn applying_with_nothing_staged_says_so_and_keeps_the_revision() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    assert_eq!(store.apply("anne").expect("apply"), ApplyOutcome::NothingToApply);
    assert_eq!(store.live().expect("live").0, 0);
    assert!(store.history().expect("history").is_empty());
}

#[test]
fn undoing_a_staged_change_leaves_nothing_pending() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    with_domain(&store);
    add(&store, user("1001", "Ann"));
    store.apply("anne").expect("apply");

    add(&store, user("1002", "Bob"));
    store
        .stage(|config| {
            config.users.remove("1002");
            Ok::<_, StoreError>(())
        })
        .expect("staging works");
    assert_eq!(store.pending_changes().expect("pending"), 0);
    assert_eq!(store.apply("anne").expect("apply"), ApplyOutcome::NothingToApply);
}

#[test]
fn a_failed_edit_saves_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    #[derive(Debug)]
    struct Refused;
    impl From<StoreError> for Refused {
        fn from(_: StoreError) -> Self {
            Refused
        }
    }
    let result: Result<(), Refused> = store.stage(|config| {
        config.users.insert("1001".to_string(), user("1001", "Ann"));
        Err(Refused)
    });
    assert!(result.is_err());
    assert_eq!(store.pending_changes().expect("pending"), 0);
}

#[test]
fn an_invalid_staged_configuration_is_refused_and_live_is_unchanged() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    with_domain(&store);
    add(&store, user("1001", "Ann"));
    let mut twin = user("1002", "Bob");
    twin.sip_password = "password-1001".to_string();
    add(&store, twin);

    let error = store.apply("anne").expect_err("shared password must be refused");
    let ApplyError::Invalid(error) = error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(error.0.len(), 1, "{error}");
    assert_eq!(error.0[0].subject, "user 1002");
    assert_eq!(error.0[0].error, ValidationError::PasswordTaken);
    assert_eq!(store.live().expect("live").0, 0);
    assert_eq!(store.pending_changes().expect("pending"), 3, "staged changes are kept");
}

#[test]
fn staged_and_live_configuration_survive_reopening() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        with_domain(&store);
        add(&store, user("1001", "Ann"));
        store.apply("anne").expect("apply");
        add(&store, user("1002", "Bob"));
    }
    let store = Store::open(temp.path()).expect("store reopens");
    let (revision, live) = store.live().expect("live");
    assert_eq!((revision, live.users.len()), (1, 1));
    assert_eq!(store.staged().expect("staged").users.len(), 2);
    assert_eq!(store.diff().expect("diff")[0].subject, "user 1002");
}

#[test]
fn a_store_in_use_is_refused_with_a_clear_message() {
    let temp = tempfile::tempdir().expect("temp dir");
    let _first = Store::open(temp.path()).expect("store opens");
    let Err(error) = Store::open(temp.path()) else {
        panic!("a second open must fail");
    };
    assert!(matches!(error, StoreError::Locked { .. }));
    assert_eq!(
        error.to_string(),
        format!("another switchboard is using {}", temp.path().display())
    );
}

#[test]
fn a_store_from_a_newer_switchboard_is_reported_not_replaced() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        store.meta.insert(schema::SCHEMA_KEY, &99u32.to_be_bytes()).expect("write");
        store.flush().expect("flush");
    }
    let Err(error) = Store::open(temp.path()) else {
        panic!("an unknown schema must be refused");
    };
    assert!(matches!(error, StoreError::UnknownSchema { found: 99, supported: 1, .. }));

    // The store was left alone: the version is still the unknown one.
    let Err(again) = Store::open(temp.path()) else {
        panic!("still refused");
    };
    assert!(matches!(again, StoreError::UnknownSchema { found: 99, .. }));
}

#[test]
fn a_store_with_an_unreadable_configuration_is_reported_damaged() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        store.config.insert(b"live", b"{not json".to_vec()).expect("write");
        store.flush().expect("flush");
    }
    let Err(error) = Store::open(temp.path()) else {
        panic!("a damaged store must be refused");
    };
    assert!(matches!(error, StoreError::Damaged { .. }), "{error:?}");
    assert!(error.to_string().contains("is damaged"), "{error}");
}

#[test]
fn a_store_whose_live_revision_is_missing_from_history_is_reported_damaged() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        with_domain(&store);
        add(&store, user("1001", "Ann"));
        store.apply("anne").expect("apply");
        store.revisions.clear().expect("clear");
        store.flush().expect("flush");
    }
    assert!(matches!(Store::open(temp.path()), Err(StoreError::Damaged { .. })));
}

#[test]
fn call_records_are_listed_newest_first() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open(temp.path()).expect("store opens");
    store.record(&call("b", datetime!(2025-03-01 10:00 UTC)));
    store.record(&call("c", datetime!(2025-03-02 09:00 UTC)));
    store.record(&call("a", datetime!(2025-02-28 18:30 UTC)));

    let ids: Vec<String> = store.calls(None).expect("calls").into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["c", "b", "a"]);
    let newest: Vec<String> =
        store.calls(Some(2)).expect("calls").into_iter().map(|c| c.id).collect();
    assert_eq!(newest, ["c", "b"]);
}

#[test]
fn call_records_survive_reopening() {
    let temp = tempfile::tempdir().expect("temp dir");
    let record = call("x", datetime!(2025-03-01 10:00 UTC));
    {
        let store = Store::open(temp.path()).expect("store opens");
        store.record_call(&record).expect("record");
    }
    let store = Store::open(temp.path()).expect("store reopens");
    assert_eq!(store.calls(None).expect("calls"), [record]);
}

#[test]
fn a_store_that_lost_its_contents_is_reported_not_started_afresh() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        with_domain(&store);
        add(&store, user("1001", "Ann"));
        store.apply("anne").expect("apply");
    }
    // As if sled had recovered nothing from a damaged log.
    fs::remove_dir_all(temp.path().join("store")).expect("remove");
    let Err(error) = Store::open(temp.path()) else {
        panic!("an emptied store must be refused");
    };
    assert!(matches!(error, StoreError::Damaged { .. }), "{error:?}");
}

#[test]
fn a_store_that_lost_applied_revisions_is_reported_damaged() {
    let temp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(temp.path()).expect("store opens");
        with_domain(&store);
        add(&store, user("1001", "Ann"));
        store.apply("anne").expect("apply");
    }
    // As if revision 2 had been applied and then lost from the log.
    fs::write(temp.path().join("revision"), "2\n").expect("write");
    let Err(error) = Store::open(temp.path()) else {
        panic!("a store behind its record must be refused");
    };
    assert!(error.to_string().contains("revision 2 was applied"), "{error}");
}
