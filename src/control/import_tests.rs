use std::sync::Arc;

use super::*;
use crate::config::tabs::parse_rings;
use crate::config::User;
use crate::control::api::Command;
use crate::control::{event_channel, Caller};
use crate::store::{Store, StoreError};

struct Fixture {
    _temp: tempfile::TempDir,
    service: Service,
    owner: Caller,
}

fn fixture() -> Fixture {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(temp.path()).expect("store opens"));
    let owner = Caller { uid: store.owner_uid(), name: "anne".to_string() };
    let service = Service::new(store, None, event_channel());
    service
        .store()
        .stage(|config| {
            config.settings.domain = "pbx.example.com".to_string();
            let anne = User {
                extension: "1001".into(),
                name: "Anne".into(),
                sip_password: "anne-secret-1".into(),
                ..User::default()
            };
            config.users.insert("1001".into(), anne);
            Ok::<_, StoreError>(())
        })
        .expect("stages");
    Fixture { _temp: temp, service, owner }
}

fn new_user(extension: &str, name: &str) -> NewUser {
    NewUser { extension: extension.into(), name: name.into(), ..NewUser::default() }
}

impl Fixture {
    fn run(&self, command: Command) -> Result<Reply, ControlError> {
        self.service.execute(&self.owner, command)
    }

    fn exported(&self, with_secrets: bool) -> Config {
        match self.run(Command::ExportConfig { with_secrets, live: false }) {
            Ok(Reply::Config { config }) => *config,
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn an_export_without_secrets_hides_them_and_with_secrets_keeps_them() {
    let f = fixture();
    assert_eq!(f.exported(false).users["1001"].sip_password, "");
    assert_eq!(f.exported(true).users["1001"].sip_password, "anne-secret-1");
}

#[test]
fn importing_without_secrets_keeps_existing_ones_and_generates_new_ones() {
    let f = fixture();
    let mut config = f.exported(false);
    config.users.insert(
        "1002".into(),
        User { extension: "1002".into(), name: "Bob".into(), ..User::default() },
    );

    let Ok(Reply::Imported { generated, .. }) =
        f.run(Command::ImportConfig { config: Box::new(config) })
    else {
        panic!("import refused");
    };
    let staged = f.service.store().staged().expect("staged");
    assert_eq!(staged.users["1001"].sip_password, "anne-secret-1");
    assert_eq!(generated.len(), 1);
    assert_eq!(generated[0].extension, "1002");
    assert_eq!(staged.users["1002"].sip_password, generated[0].password);
}

#[test]
fn an_import_with_a_broken_rule_stages_nothing_and_lists_every_rule() {
    let f = fixture();
    let before = f.service.store().staged().expect("staged");
    let mut config = f.exported(false);
    let anne = config.users.get_mut("1001").expect("anne");
    anne.forwardings.no_answer = parse_rings("1999:20").expect("rings");
    anne.name = String::new();

    let error = f.run(Command::ImportConfig { config: Box::new(config) }).expect_err("refused");
    let found: Vec<(String, String)> =
        error.problems.iter().map(|p| (p.subject.clone(), p.field.clone())).collect();
    assert_eq!(
        found,
        [
            ("user 1001".to_string(), "name".to_string()),
            ("user 1001".into(), "forward_no_answer".into())
        ]
    );
    assert_eq!(f.service.store().staged().expect("staged"), before);
}

#[test]
fn a_bulk_import_is_all_or_nothing_with_each_refused_row_numbered() {
    let f = fixture();
    let rows = vec![
        new_user("1002", "Bob"),
        new_user("12a4", "Carl"),
        new_user("1001", "Dup"),
        new_user("1002", "Bob again"),
    ];

    let error = f.run(Command::ImportUsers { users: rows }).expect_err("refused");
    let found: Vec<(Option<usize>, String)> =
        error.problems.iter().map(|p| (p.index, p.message.clone())).collect();
    assert_eq!(
        found,
        [
            (Some(1), "extension must be 2 to 8 digits".to_string()),
            (Some(2), "extension 1001 is already taken".to_string()),
            (Some(3), "extension 1002 is already taken".to_string()),
        ]
    );
    assert!(!f.service.store().staged().expect("staged").users.contains_key("1002"));
}

#[test]
fn a_bulk_import_stages_every_user_with_a_generated_password_each() {
    let f = fixture();
    let rows = vec![new_user("1002", "Bob"), new_user("1003", "Carl")];
    let Ok(Reply::Imported { generated, .. }) = f.run(Command::ImportUsers { users: rows }) else {
        panic!("import refused");
    };
    let staged = f.service.store().staged().expect("staged");
    assert_eq!(
        generated.iter().map(|g| g.extension.as_str()).collect::<Vec<_>>(),
        ["1002", "1003"]
    );
    for g in &generated {
        assert_eq!(staged.users[&g.extension].sip_password, g.password);
    }
}
