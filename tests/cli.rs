//! The `switchboard` binary as a script sees it: exit status, stdout, one-line
//! errors on stderr, and the JSON shapes, on a temporary data directory.

mod support;

use std::process::Command;

use support::cli::{ok, refused, switchboard};

use serde_json::Value;

#[test]
fn a_user_is_added_listed_shown_and_removed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();

    let added = ok(data, &["user", "add", "1001", "--name", "Anne Martin", "--voicemail", "yes"]);
    let password = added
        .lines()
        .find_map(|line| line.strip_prefix("SIP password for 1001: "))
        .expect("the generated password is printed");
    assert_eq!(password.len(), 20);

    ok(data, &["apply"]);
    let list = ok(data, &["user", "list"]);
    assert!(list.contains("1001") && list.contains("Anne Martin"), "{list}");

    let shown = ok(data, &["user", "show", "1001"]);
    assert!(shown.contains("SIP username"), "{shown}");
    assert!(!shown.contains(password), "the password needs --reveal");
    let revealed = ok(data, &["user", "show", "1001", "--reveal"]);
    assert!(revealed.contains(password), "{revealed}");

    ok(data, &["user", "rm", "1001"]);
    ok(data, &["apply"]);
    assert!(!ok(data, &["user", "list"]).contains("Anne Martin"));
}

#[test]
fn a_chosen_password_is_kept_and_not_printed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let added = ok(
        temp.path(),
        &["user", "add", "1002", "--name", "Bob", "--sip-password", "desk-phone-1"],
    );
    assert!(!added.contains("SIP password for"), "{added}");
    ok(temp.path(), &["apply"]);
    assert!(ok(temp.path(), &["user", "show", "1002", "--reveal"]).contains("desk-phone-1"));
}

#[test]
fn bad_fields_are_refused_with_a_plain_reason() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    assert_eq!(
        refused(data, &["user", "add", "1", "--name", "Ann"]),
        "error: extension must be 2 to 8 digits"
    );
    assert!(refused(data, &["user", "add", "1001", "--name", "Ann", "--email", "ann@"])
        .contains("email"));
    let gsm = refused(data, &["user", "add", "1001", "--name", "Ann", "--gsm", "0612345678"]);
    assert!(gsm.contains("country code"), "{gsm}");
    let short = refused(data, &["user", "add", "1001", "--name", "Ann", "--sip-password", "abc"]);
    assert!(short.contains("at least 8"), "{short}");
    assert_eq!(ok(data, &["diff"]).trim(), "nothing staged");
}

#[test]
fn a_duplicate_extension_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    ok(temp.path(), &["user", "add", "1001", "--name", "Anne Martin"]);
    assert_eq!(
        refused(temp.path(), &["user", "add", "1001", "--name", "Bruno Petit"]),
        "error: extension 1001 is already taken"
    );
}

#[test]
fn diff_shows_what_is_staged_and_apply_makes_it_live() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    assert_eq!(ok(data, &["apply"]).trim(), "nothing to apply");

    ok(data, &["user", "add", "1001", "--name", "Anne Martin"]);
    assert_eq!(ok(data, &["diff"]).trim(), "user 1001: added");
    let listed = switchboard(data, &["user", "list"]);
    assert!(!listed.stdout.contains("Anne"), "staged users are not live yet");
    assert!(listed.stderr.contains("staged"), "{}", listed.stderr);

    assert_eq!(ok(data, &["apply"]).trim(), "applied revision 1");
    assert_eq!(ok(data, &["diff"]).trim(), "nothing staged");
    assert_eq!(ok(data, &["apply"]).trim(), "nothing to apply");
}

#[test]
fn the_demo_fills_an_empty_store_once() {
    let temp = tempfile::tempdir().expect("temp dir");
    let loaded = ok(temp.path(), &["demo"]);
    assert!(loaded.contains("revision 1"), "{loaded}");
    let users: Value =
        serde_json::from_str(&ok(temp.path(), &["user", "list", "--json"])).expect("JSON");
    assert!(users.as_array().expect("array").len() >= 8);

    let again = refused(temp.path(), &["demo"]);
    assert!(again.contains("empty"), "{again}");
}

#[test]
fn status_without_a_running_pbx_fails_clearly() {
    let temp = tempfile::tempdir().expect("temp dir");
    let message = refused(temp.path(), &["status"]);
    assert_eq!(message, format!("error: no PBX is running on {}", temp.path().display()));
    refused(temp.path(), &["status", "--json"]);
}

#[test]
fn calls_on_a_new_store_are_an_empty_json_array() {
    let temp = tempfile::tempdir().expect("temp dir");
    let calls: Value = serde_json::from_str(&ok(temp.path(), &["calls", "--json"])).expect("JSON");
    assert_eq!(calls, Value::Array(vec![]));
}

#[test]
fn bad_usage_exits_2() {
    let temp = tempfile::tempdir().expect("temp dir");
    for args in [
        &["frobnicate"][..],
        &["user", "add", "1001"],
        &["user", "add", "1001", "--name", "Ann", "--voicemail", "maybe"],
        &["--sip", "not-an-address", "status"],
    ] {
        let run = switchboard(temp.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    }
}

#[test]
fn global_options_are_accepted_after_the_subcommand() {
    let temp = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["user", "add", "1001", "--name", "Ann", "--sip", "127.0.0.1:5060", "--data"])
        .arg(temp.path())
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(ok(temp.path(), &["diff"]).trim(), "user 1001: added");
}

#[test]
fn user_list_json_has_the_stable_shape() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path();
    ok(
        data,
        &[
            "user",
            "add",
            "1001",
            "--name",
            "Anne Martin",
            "--email",
            "anne@example.com",
            "--gsm",
            "+33 6 12 34 56 78",
            "--voicemail",
            "yes",
            "--outgoing-number",
            "+33199001000",
            "--multiple-calls",
        ],
    );
    ok(data, &["apply"]);
    let users: Value = serde_json::from_str(&ok(data, &["user", "list", "--json"])).expect("JSON");
    assert_eq!(
        users,
        serde_json::json!([{
            "extension": "1001",
            "name": "Anne Martin",
            "email": "anne@example.com",
            "gsm": "+33612345678",
            "voicemail": true,
            "outgoing_number": "+33199001000",
            "multiple_calls": true
        }])
    );
}

#[test]
fn serve_refuses_a_minimum_registration_longer_than_the_maximum() {
    let temp = tempfile::tempdir().expect("temp dir");
    let run = switchboard(
        temp.path(),
        &["serve", "--sip", "127.0.0.1:0", "--min-expires", "600", "--max-expires", "60"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--min-expires"), "{}", run.stderr);
}

/// A PBX stand-in with one registration and one ringing call.
struct FakePbx;

impl switchboard::control::LiveState for FakePbx {
    fn registrations(&self) -> Vec<switchboard::control::api::RegistrationView> {
        vec![switchboard::control::api::RegistrationView {
            user: "1001".to_string(),
            contact: "sip:1001@127.0.0.1:5070".to_string(),
            transport: "udp".to_string(),
            user_agent: None,
            expires_at: time::macros::datetime!(2025-03-01 10:00 UTC),
        }]
    }

    fn calls(&self) -> Vec<switchboard::control::api::LiveCall> {
        vec![switchboard::control::api::LiveCall {
            id: "call-1".to_string(),
            caller: "1001".to_string(),
            callee: "1002".to_string(),
            state: switchboard::control::api::CallState::Ringing,
            started_at: time::macros::datetime!(2025-03-01 09:59 UTC),
            answered_at: None,
        }]
    }

    fn config_applied(&self, _revision: u64, _config: &switchboard::config::Config) {}
}

#[test]
fn with_a_pbx_running_commands_go_through_its_control_socket() {
    use std::sync::Arc;
    use switchboard::control::{event_channel, ControlSocket, Service};

    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path().to_path_buf();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The store stays open in this process, so the binary can only reach it
    // through the socket.
    let store = Arc::new(switchboard::store::Store::open(&data).expect("store opens"));
    let service = Arc::new(Service::new(store, Some(Arc::new(FakePbx)), event_channel()));
    let server = {
        // Binding needs the runtime's reactor.
        let _entered = runtime.enter();
        let socket = ControlSocket::bind(&data).expect("socket binds");
        runtime.spawn(socket.serve(service, async move {
            let _ = stopped.await;
        }))
    };

    ok(&data, &["user", "add", "1001", "--name", "Anne Martin"]);
    assert_eq!(ok(&data, &["apply"]).trim(), "applied revision 1");
    assert!(ok(&data, &["user", "list"]).contains("Anne Martin"));

    let status: Value = serde_json::from_str(&ok(&data, &["status", "--json"])).expect("JSON");
    let registration = &status["registrations"][0];
    for key in ["user", "contact", "transport", "user_agent", "expires_at"] {
        assert!(registration.get(key).is_some(), "registration lacks {key}: {registration}");
    }
    assert_eq!(registration["expires_at"], "2025-03-01T10:00:00Z");
    let call = &status["calls"][0];
    for key in ["id", "caller", "callee", "state", "started_at"] {
        assert!(call.get(key).is_some(), "call lacks {key}: {call}");
    }
    assert_eq!(call["state"], "ringing");

    let _ = stop.send(());
    runtime.block_on(server).expect("server ends");
}

#[test]
fn a_store_held_by_another_process_without_a_socket_is_refused_clearly() {
    let temp = tempfile::tempdir().expect("temp dir");
    let _held = switchboard::store::Store::open(temp.path()).expect("store opens");
    assert_eq!(
        refused(temp.path(), &["user", "list"]),
        format!("error: another switchboard is using {}", temp.path().display())
    );
}
