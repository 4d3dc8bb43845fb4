use std::sync::Mutex;

use time::macros::datetime;

use super::*;
use crate::control::api::{CallState, LiveCall, RegistrationView, UserEdit};

/// A PBX stand-in that reports fixed live state and remembers what it was told.
#[derive(Default)]
struct FakePbx {
    applied: Mutex<Vec<(u64, usize)>>,
}

impl LiveState for FakePbx {
    fn registrations(&self) -> Vec<RegistrationView> {
        vec![RegistrationView {
            user: "1001".to_string(),
            contact: "sip:1001@127.0.0.1:5070".to_string(),
            transport: "udp".to_string(),
            user_agent: Some("Desk phone".to_string()),
            expires_at: datetime!(2025-03-01 10:00 UTC),
        }]
    }

    fn calls(&self) -> Vec<LiveCall> {
        vec![LiveCall {
            id: "call-1".to_string(),
            caller: "1001".to_string(),
            callee: "1002".to_string(),
            state: CallState::Ringing,
            started_at: datetime!(2025-03-01 09:59 UTC),
            answered_at: None,
        }]
    }

    fn config_applied(&self, revision: u64, config: &Config) {
        self.applied.lock().expect("not poisoned").push((revision, config.users.len()));
    }
}

struct Fixture {
    _temp: tempfile::TempDir,
    service: Service,
    owner: Caller,
    events: broadcast::Receiver<Event>,
}

fn fixture(live: Option<Arc<dyn LiveState>>) -> Fixture {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(temp.path()).expect("store opens"));
    let owner = Caller { uid: store.owner_uid(), name: "anne".to_string() };
    let sender = event_channel();
    let events = sender.subscribe();
    let service = Service::new(store, live, sender);
    service
        .store()
        .stage(|config| {
            config.settings.domain = "pbx.example.com".to_string();
            Ok::<_, StoreError>(())
        })
        .expect("domain staged");
    Fixture { _temp: temp, service, owner, events }
}

fn new_user(extension: &str, name: &str) -> NewUser {
    NewUser { extension: extension.to_string(), name: name.to_string(), ..NewUser::default() }
}

impl Fixture {
    fn run(&self, command: Command) -> Result<Reply, ControlError> {
        self.service.execute(&self.owner, command)
    }

    fn add(&self, user: NewUser) -> Result<Reply, ControlError> {
        self.run(Command::AddUser { user })
    }
}

#[test]
fn adding_a_user_without_a_password_generates_one_and_stages_the_user() {
    let fx = fixture(None);
    let reply = fx.add(new_user("1001", "Anne Martin")).expect("added");
    let Reply::UserAdded { extension, generated_password: Some(password) } = reply else {
        panic!("expected a generated password, got {reply:?}");
    };
    assert_eq!(extension, "1001");
    assert_eq!(password.len(), 20);

    assert_eq!(fx.run(Command::ListUsers), Ok(Reply::Users { users: vec![] }), "not live yet");
    let Ok(Reply::Diff { changes }) = fx.run(Command::Diff) else { panic!("diff") };
    assert!(changes.iter().any(|c| c.subject == "user 1001" && c.description == "added"));
}

#[test]
fn a_user_with_a_bad_field_is_refused_naming_the_field() {
    let fx = fixture(None);
    let cases = [
        (NewUser { extension: "1".into(), ..new_user("", "Ann") }, "extension"),
        (new_user("1001", " "), "name"),
        (NewUser { email: Some("ann@".into()), ..new_user("1001", "Ann") }, "email"),
        (NewUser { gsm: Some("0612345678".into()), ..new_user("1001", "Ann") }, "gsm"),
        (NewUser { sip_password: Some("short".into()), ..new_user("1001", "Ann") }, "sip_password"),
    ];
    for (user, field) in cases {
        let error = fx.add(user).expect_err("must be refused");
        assert_eq!((error.kind, error.field.as_deref()), (ErrorKind::Invalid, Some(field)));
    }
    assert_eq!(fx.service.store().pending_changes().expect("pending"), 1, "only the domain");
}

#[test]
fn a_taken_extension_or_password_is_refused() {
    let fx = fixture(None);
    let with_password = |ext: &str, pw: &str| NewUser {
        sip_password: Some(pw.to_string()),
        ..new_user(ext, "Ann")
    };
    fx.add(with_password("1001", "first-secret")).expect("added");
    let error = fx.add(with_password("1001", "other-secret")).expect_err("duplicate");
    assert_eq!(error.message, "extension 1001 is already taken");
    let error = fx.add(with_password("1002", "first-secret")).expect_err("shared password");
    assert_eq!(error.field.as_deref(), Some("sip_password"));
}

#[test]
fn removing_an_unknown_user_is_not_found() {
    let fx = fixture(None);
    let error = fx.run(Command::RemoveUser { extension: "1009".into() }).expect_err("unknown");
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert_eq!(error.message, "there is no user 1009");
}

#[test]
fn applying_tells_the_pbx_and_the_subscribers() {
    let pbx = Arc::new(FakePbx::default());
    let mut fx = fixture(Some(pbx.clone()));
    fx.add(new_user("1001", "Anne Martin")).expect("added");
    assert_eq!(
        fx.events.try_recv().ok(),
        Some(Event::ConfigChanged { revision: 0, pending_changes: 2 })
    );

    assert_eq!(fx.run(Command::Apply), Ok(Reply::Applied { revision: 1 }));
    assert_eq!(*pbx.applied.lock().expect("not poisoned"), [(1, 1)]);
    assert_eq!(
        fx.events.try_recv().ok(),
        Some(Event::ConfigChanged { revision: 1, pending_changes: 0 })
    );
    assert_eq!(fx.run(Command::Apply), Ok(Reply::NothingToApply));
    let Ok(Reply::Users { users }) = fx.run(Command::ListUsers) else { panic!("list") };
    assert_eq!(users[0].name, "Anne Martin");
}

#[test]
fn status_without_a_running_pbx_is_refused() {
    let fx = fixture(None);
    let error = fx.run(Command::Status).expect_err("no PBX");
    assert_eq!(error.kind, ErrorKind::Refused);
    assert!(error.message.starts_with("no PBX is running on "), "{}", error.message);
}

#[test]
fn status_reports_the_running_pbx() {
    let fx = fixture(Some(Arc::new(FakePbx::default())));
    let Ok(Reply::Status { status }) = fx.run(Command::Status) else { panic!("status") };
    assert_eq!(status.registrations.len(), 1);
    assert_eq!(status.calls[0].id, "call-1");
}

#[test]
fn the_demo_loads_into_an_empty_store_only() {
    let fx = fixture(None);
    let Ok(Reply::DemoLoaded { revision, users }) = fx.run(Command::LoadDemo) else {
        panic!("demo")
    };
    assert_eq!(revision, 1);
    assert!((8..=12).contains(&users));
    let Ok(Reply::Users { users: listed }) = fx.run(Command::ListUsers) else { panic!("list") };
    assert_eq!(listed.len(), users);

    let error = fx.run(Command::LoadDemo).expect_err("not empty any more");
    assert_eq!(error.kind, ErrorKind::Refused);
    assert!(error.message.contains("empty"), "{}", error.message);
}

#[test]
fn the_demo_is_refused_when_users_are_only_staged() {
    let fx = fixture(None);
    fx.add(new_user("1001", "Anne Martin")).expect("added");
    assert_eq!(fx.run(Command::LoadDemo).map_err(|e| e.kind), Err(ErrorKind::Refused));
}

#[test]
fn sip_identifiers_hide_the_password_unless_revealed() {
    let fx = fixture(None);
    fx.service.set_sip_address("0.0.0.0:5060".parse().expect("address"));
    let user = NewUser { sip_password: Some("phone-secret".into()), ..new_user("1001", "Ann") };
    fx.add(user).expect("added");
    fx.run(Command::Apply).expect("applied");

    let show = |reveal| fx.run(Command::ShowUser { extension: "1001".into(), reveal });
    let Ok(Reply::User { sip, .. }) = show(false) else { panic!("show") };
    assert_eq!(sip.username, "1001");
    assert_eq!(sip.domain, "pbx.example.com");
    assert_eq!(sip.password, None);
    assert_eq!(sip.proxy, "pbx.example.com:5060");
    let Ok(Reply::User { sip, .. }) = show(true) else { panic!("show") };
    assert_eq!(sip.password.as_deref(), Some("phone-secret"));
}

#[test]
fn the_proxy_is_the_configured_one_else_the_listening_address() {
    let fx = fixture(None);
    fx.service.set_sip_address("192.0.2.10:5062".parse().expect("address"));
    fx.run(Command::Apply).expect("applied");
    let snapshot = fx.service.snapshot(&fx.owner).expect("snapshot");
    assert_eq!(snapshot.proxy, "192.0.2.10:5062");

    fx.service
        .store()
        .stage(|config| {
            config.settings.proxy = "sip.example.com".to_string();
            Ok::<_, StoreError>(())
        })
        .expect("staged");
    fx.run(Command::Apply).expect("applied");
    assert_eq!(fx.service.snapshot(&fx.owner).expect("snapshot").proxy, "sip.example.com");
}

#[test]
fn a_snapshot_holds_live_users_pending_changes_and_live_state() {
    let fx = fixture(Some(Arc::new(FakePbx::default())));
    fx.add(new_user("1001", "Anne Martin")).expect("added");
    fx.run(Command::Apply).expect("applied");
    fx.add(new_user("1002", "Bruno Petit")).expect("added");

    let snapshot = fx.service.snapshot(&fx.owner).expect("snapshot");
    assert!(snapshot.pbx_running);
    assert_eq!((snapshot.revision, snapshot.pending_changes), (1, 1));
    assert_eq!(snapshot.users.len(), 1);
    assert_eq!((snapshot.registrations.len(), snapshot.calls.len()), (1, 1));
}

#[test]
fn a_snapshot_lists_staged_users_marked_against_live() {
    let fx = fixture(None);
    for (extension, name) in [("1001", "Anne Martin"), ("1002", "Bruno Petit"), ("1003", "Chloé")]
    {
        fx.add(new_user(extension, name)).expect("added");
    }
    fx.run(Command::Apply).expect("applied");
    fx.run(Command::RemoveUser { extension: "1002".to_string() }).expect("removal staged");
    let edit = UserEdit { name: Some("Chloé Dubois".to_string()), ..UserEdit::default() };
    fx.run(Command::SetUser { extension: "1003".to_string(), edit: Box::new(edit) })
        .expect("change staged");
    fx.add(new_user("1004", "David Osei")).expect("added");

    let snapshot = fx.service.snapshot(&fx.owner).expect("snapshot");
    let staged: Vec<(&str, &str, Option<PendingChange>)> = snapshot
        .staged_users
        .iter()
        .map(|s| (s.user.extension.as_str(), s.user.name.as_str(), s.pending))
        .collect();
    assert_eq!(
        staged,
        [
            ("1001", "Anne Martin", None),
            ("1002", "Bruno Petit", Some(PendingChange::Removed)),
            ("1003", "Chloé Dubois", Some(PendingChange::Changed)),
            ("1004", "David Osei", Some(PendingChange::Added)),
        ]
    );
    assert_eq!(snapshot.users.len(), 3, "live users stay as they are until Apply");
}

#[test]
fn only_the_owner_of_the_data_directory_or_root_may_use_it() {
    let fx = fixture(None);
    let stranger = Caller { uid: fx.owner.uid + 4242, name: "mallory".to_string() };
    let error = fx.service.execute(&stranger, Command::ListUsers).expect_err("forbidden");
    assert_eq!(error.kind, ErrorKind::Forbidden);
    assert!(fx.service.snapshot(&stranger).is_err());

    let root = Caller { uid: 0, name: "root".to_string() };
    assert!(fx.service.execute(&root, Command::ListUsers).is_ok());
}

#[test]
fn calls_are_listed_newest_first() {
    let fx = fixture(None);
    let record = |id: &str, at| crate::control::api::CallRecord {
        id: id.to_string(),
        caller: "1001".into(),
        callee: "1002".into(),
        started_at: at,
        answered_at: Some(at),
        ended_at: at,
        outcome: crate::control::api::CallOutcome::Answered,
    };
    fx.service.store().record_call(&record("old", datetime!(2025-01-01 8:00 UTC))).expect("kept");
    fx.service.store().record_call(&record("new", datetime!(2025-01-02 8:00 UTC))).expect("kept");
    let Ok(Reply::Calls { calls }) = fx.run(Command::Calls { limit: None }) else { panic!() };
    assert_eq!(calls.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["new", "old"]);
}

/// Applies Anne (revision 1) then Bob (revision 2), emptying the event queue.
fn two_revisions(fx: &mut Fixture) {
    fx.add(new_user("1001", "Anne Martin")).expect("added");
    fx.run(Command::Apply).expect("applied");
    fx.add(new_user("1002", "Bob Durand")).expect("added");
    fx.run(Command::Apply).expect("applied");
    while fx.events.try_recv().is_ok() {}
}

#[test]
fn history_lists_who_applied_each_revision_newest_first() {
    let mut fx = fixture(None);
    two_revisions(&mut fx);
    let Ok(Reply::History { revisions }) = fx.run(Command::History) else { panic!("history") };
    let seen: Vec<(u64, &str)> =
        revisions.iter().map(|r| (r.revision, r.applied_by.as_str())).collect();
    assert_eq!(seen, [(2, "anne"), (1, "anne")]);
}

#[test]
fn rollback_stages_the_earlier_revision_and_announces_the_pending_count() {
    let mut fx = fixture(None);
    two_revisions(&mut fx);

    assert_eq!(
        fx.run(Command::Rollback { revision: 1 }),
        Ok(Reply::RolledBack { revision: 1, pending_changes: 1 })
    );
    assert_eq!(
        fx.events.try_recv().ok(),
        Some(Event::ConfigChanged { revision: 2, pending_changes: 1 })
    );
    let Ok(Reply::Diff { changes }) = fx.run(Command::Diff) else { panic!("diff") };
    assert_eq!(
        (changes[0].subject.as_str(), changes[0].description.as_str()),
        ("user 1002", "removed")
    );

    assert_eq!(fx.run(Command::Apply), Ok(Reply::Applied { revision: 3 }));
    let Ok(Reply::Users { users }) = fx.run(Command::ListUsers) else { panic!("list") };
    assert_eq!(users.iter().map(|u| u.extension.as_str()).collect::<Vec<_>>(), ["1001"]);
}

#[test]
fn rollback_to_an_unknown_revision_is_not_found_and_changes_nothing() {
    let mut fx = fixture(None);
    two_revisions(&mut fx);
    fx.add(new_user("1003", "Chloé Petit")).expect("added");
    while fx.events.try_recv().is_ok() {}

    let error = fx.run(Command::Rollback { revision: 9 }).expect_err("unknown");
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert_eq!(error.field.as_deref(), Some("revision"));
    assert_eq!(error.message, "there is no revision 9: revisions run from 1 to 2");
    assert!(fx.events.try_recv().is_err(), "nothing changed, nothing announced");
    let Ok(Reply::Diff { changes }) = fx.run(Command::Diff) else { panic!("diff") };
    assert_eq!(changes.len(), 1);
}

#[test]
fn discard_drops_the_staged_changes_and_announces_none_pending() {
    let mut fx = fixture(None);
    two_revisions(&mut fx);
    fx.add(new_user("1003", "Chloé Petit")).expect("added");
    fx.run(Command::RemoveUser { extension: "1001".into() }).expect("removed");
    while fx.events.try_recv().is_ok() {}

    assert_eq!(fx.run(Command::Discard), Ok(Reply::Discarded { dropped: 2 }));
    assert_eq!(
        fx.events.try_recv().ok(),
        Some(Event::ConfigChanged { revision: 2, pending_changes: 0 })
    );
    assert_eq!(fx.run(Command::Diff), Ok(Reply::Diff { changes: Vec::new() }));
    assert_eq!(fx.run(Command::Discard), Ok(Reply::Discarded { dropped: 0 }));
}

#[test]
fn history_rollback_and_discard_are_refused_to_strangers() {
    let fx = fixture(None);
    let stranger = Caller { uid: fx.owner.uid + 4242, name: "mallory".to_string() };
    for command in [Command::History, Command::Rollback { revision: 1 }, Command::Discard] {
        let error = fx.service.execute(&stranger, command).expect_err("stranger");
        assert_eq!(error.kind, ErrorKind::Forbidden);
    }
}
