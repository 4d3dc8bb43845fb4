//! The control interface end to end: a service on a temporary data directory,
//! reached in-process through `LocalLink` and over `DIR/control.sock` through
//! `SocketLink`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use switchboard::control::api::{Command, ErrorKind, Event, NewUser, Reply};
use switchboard::control::{
    event_channel, socket_path, ControlSocket, Link, LocalLink, Service, SocketError, SocketLink,
};
use switchboard::store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

const PATIENCE: Duration = Duration::from_secs(5);

struct Server {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let store = Arc::new(Store::open(dir).expect("store opens"));
        let service = Arc::new(Service::new(store, None, event_channel()));
        let socket = ControlSocket::bind(dir).expect("socket binds");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(socket.serve(service.clone(), async move {
            let _ = stopped.await;
        }));
        Server { stop: Some(stop), task }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(PATIENCE, self.task).await.expect("server stops in time").expect("no panic");
    }
}

fn anne(extension: &str) -> Command {
    Command::AddUser {
        user: NewUser {
            extension: extension.to_string(),
            name: "Anne Martin".to_string(),
            ..NewUser::default()
        },
    }
}

async fn link(dir: &Path) -> SocketLink {
    SocketLink::connect(dir).await.expect("connects").expect("a PBX is running")
}

#[tokio::test]
async fn a_client_round_trip_stages_and_applies_a_user() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(temp.path());
    let client = link(temp.path()).await;

    let added = client.request(anne("1001")).await.expect("added");
    assert!(matches!(added, Reply::UserAdded { generated_password: Some(_), .. }));
    assert_eq!(client.request(Command::Apply).await, Ok(Reply::Applied { revision: 1 }));
    let Ok(Reply::Users { users }) = client.request(Command::ListUsers).await else {
        panic!("users expected");
    };
    assert_eq!(users[0].extension, "1001");

    let refused = client.request(anne("1")).await.expect_err("bad extension");
    assert_eq!(refused.kind, ErrorKind::Invalid);
    assert_eq!(refused.message, "extension must be 2 to 8 digits");
    server.stop().await;
    assert!(!socket_path(temp.path()).exists(), "the socket is removed on shutdown");
}

#[tokio::test]
async fn the_socket_is_owner_only() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(temp.path());
    let mode = std::fs::metadata(socket_path(temp.path())).expect("socket").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    server.stop().await;
}

#[tokio::test]
async fn no_socket_means_no_pbx_running() {
    let temp = tempfile::tempdir().expect("temp dir");
    assert!(SocketLink::connect(temp.path()).await.expect("no error").is_none());
}

#[tokio::test]
async fn a_socket_left_by_a_crash_is_replaced() {
    let temp = tempfile::tempdir().expect("temp dir");
    // A listener that is dropped leaves its file behind, as a crash would.
    drop(std::os::unix::net::UnixListener::bind(socket_path(temp.path())).expect("bind"));
    assert!(socket_path(temp.path()).exists());
    assert!(SocketLink::connect(temp.path()).await.expect("no error").is_none());

    let server = Server::start(temp.path());
    let client = link(temp.path()).await;
    assert_eq!(client.request(Command::Apply).await, Ok(Reply::NothingToApply));
    server.stop().await;
}

#[tokio::test]
async fn a_live_socket_means_another_pbx_runs() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(temp.path());
    let Err(error) = ControlSocket::bind(temp.path()) else {
        panic!("a second bind must fail");
    };
    assert!(matches!(error, SocketError::InUse { .. }));
    assert!(error.to_string().starts_with("another switchboard PBX is already running on"));
    server.stop().await;
}

#[tokio::test]
async fn a_subscriber_gets_the_snapshot_then_each_change() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(temp.path());
    let client = link(temp.path()).await;

    let (snapshot, mut events) = client.subscribe().await.expect("subscribed");
    assert_eq!((snapshot.revision, snapshot.pending_changes), (0, 0));
    assert!(!snapshot.pbx_running);

    client.request(anne("1001")).await.expect("added");
    let event = timeout(PATIENCE, events.recv()).await.expect("in time").expect("an event");
    assert_eq!(event, Event::ConfigChanged { revision: 0, pending_changes: 1 });

    client.request(Command::Apply).await.expect("applied");
    let event = timeout(PATIENCE, events.recv()).await.expect("in time").expect("an event");
    assert_eq!(event, Event::ConfigChanged { revision: 1, pending_changes: 0 });

    drop(events);
    server.stop().await;
}

#[tokio::test]
async fn a_server_stop_ends_subscriptions() {
    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(temp.path());
    let (_, mut events) = link(temp.path()).await.subscribe().await.expect("subscribed");
    server.stop().await;
    let end = timeout(PATIENCE, events.recv()).await.expect("stream ends in time");
    assert_eq!(end, None);
}

#[tokio::test]
async fn an_overlong_or_garbled_request_is_answered_with_an_error() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let temp = tempfile::tempdir().expect("temp dir");
    let server = Server::start(temp.path());
    let stream = tokio::net::UnixStream::connect(socket_path(temp.path())).await.expect("connect");
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);

    writer.write_all(b"{\"command\":\"dance\"}\n").await.expect("write");
    let mut answer = String::new();
    reader.read_line(&mut answer).await.expect("read");
    assert!(answer.starts_with("{\"error\":"), "{answer}");

    let long = vec![b'x'; 100 * 1024];
    writer.write_all(&long).await.expect("write");
    answer.clear();
    reader.read_line(&mut answer).await.expect("read");
    assert!(answer.contains("request longer than"), "{answer}");
    answer.clear();
    // Closed with the rest of the line unread, which Unix may report as a reset.
    let after = reader.read_line(&mut answer).await;
    assert!(matches!(after, Ok(0) | Err(_)), "connection closed: {after:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_local_link_subscriber_that_falls_behind_is_told_it_lagged() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(temp.path()).expect("store opens"));
    let events = tokio::sync::broadcast::channel(4).0;
    let service = Arc::new(Service::new(store, None, events.clone()));
    let local = LocalLink::new(service);

    let (_, mut receiver) = local.subscribe().await.expect("subscribed");
    // More events than the subscriber queue and the broadcast buffer hold,
    // sent while the subscriber reads nothing.
    for revision in 0..2000 {
        let _ = events.send(Event::ConfigChanged { revision, pending_changes: 0 });
        if revision % 100 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut lagged = false;
    while let Ok(Some(event)) = timeout(Duration::from_millis(200), receiver.recv()).await {
        lagged |= event == Event::Lagged;
    }
    assert!(lagged, "a Lagged event must be delivered");
}

#[tokio::test]
async fn a_local_link_runs_commands_as_this_process() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(temp.path()).expect("store opens"));
    let local = LocalLink::new(Arc::new(Service::new(store, None, event_channel())));
    assert!(local.request(anne("1001")).await.is_ok());
    assert_eq!(local.request(Command::Apply).await, Ok(Reply::Applied { revision: 1 }));
}
